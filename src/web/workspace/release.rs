//! The draft release page: what the next release would publish, the notes per chapter,
//! and its review — propose, approve, publish, withdraw (SPEC §7a).

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::letters::review_letter;
use super::overview::when;
use super::{Desk, Fields, html, reader, see_other, writer};
use crate::app::{AppError, Chapterhouse, ReleasePlan, Review, ReviewError};
use crate::content::{ChapterId, ManualId, ReleaseName};
use crate::db::{Role, Session};
use crate::mail::Letter;
use crate::notice::Notice;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Params, param};
use crate::web::site::Site;

/// A chapter the next release reports, with the note it will carry.
struct Row {
    id: String,
    title: String,
    summary: String,
    /// The note field's value, for chapters that take a note (not removed ones).
    note: Option<String>,
}

struct ProposalView {
    name: String,
    date: String,
    by: String,
    at: String,
    approvals: Vec<(String, String)>,
}

struct EventView {
    at: String,
    release: String,
    kind: &'static str,
    who: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "edit/release.html")]
struct ReleasePage {
    site: Site,
    desk: Desk,
    manual: String,
    title: String,
    latest: String,
    groups: Vec<(&'static str, Vec<Row>)>,
    empty: bool,
    name: String,
    date: String,
    today: String,
    required: u32,
    proposal: Option<ProposalView>,
    can_propose: bool,
    can_approve: bool,
    can_publish: bool,
    can_withdraw: bool,
    events: Vec<EventView>,
    notice: Option<String>,
    error: Option<String>,
}

fn manual_id(text: &str) -> Result<ManualId, PageError> {
    text.parse().map_err(|_| {
        PageError::not_found("Manual not found", "There is no manual at this address.")
    })
}

/// The first of `YYYY-MM`, `YYYY-MM-2`, … that no release of the manual has.
fn default_name(app: &Chapterhouse, manual: &ManualId) -> String {
    let month = app.today().format("%Y-%m").to_string();
    let taken: Vec<String> = app
        .releases(manual)
        .unwrap_or_default()
        .iter()
        .map(|r| r.name.to_string())
        .collect();
    std::iter::once(month.clone())
        .chain((2..).map(|n| format!("{month}-{n}")))
        .find(|n| !taken.contains(n))
        .expect("some name is free")
}

fn rows(
    notice: &Notice,
    notes: &BTreeMap<String, String>,
    sent: Option<&Fields>,
) -> Vec<(&'static str, Vec<Row>)> {
    let note = |id: &ChapterId, summary: &str| {
        let sent = sent.map(|f| f.get(&format!("note.{id}")).to_owned());
        Some(
            sent.or_else(|| notes.get(id.as_str()).cloned())
                .unwrap_or_else(|| summary.to_owned()),
        )
    };
    let updated = notice.diff.updated.iter().map(|c| {
        let summary = c.summary();
        Row {
            id: c.id.to_string(),
            title: c.title.clone(),
            note: note(&c.id, &summary),
            summary,
        }
    });
    let added = notice.diff.added.iter().map(|c| {
        let summary = Notice::new_summary(c.kind).to_owned();
        Row {
            id: c.id.to_string(),
            title: c.title.clone(),
            note: note(&c.id, &summary),
            summary,
        }
    });
    let removed = notice.diff.removed.iter().map(|c| Row {
        id: c.id.to_string(),
        title: c.title.clone(),
        summary: String::new(),
        note: None,
    });
    vec![
        ("Updated chapters", updated.collect()),
        ("New chapters", added.collect()),
        ("Removed chapters", removed.collect()),
    ]
}

/// The release page for this editor, with what the form sent (after a refusal).
fn render(
    app: &Chapterhouse,
    session: &Session,
    manual: &ManualId,
    sent: Option<&Fields>,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let review: Review = app.review(manual)?;
    let me = &session.editor;
    let publisher = me.role >= Role::Publisher;
    let proposal = review.proposal.as_ref();
    let notes = proposal.map(|p| p.notes.clone()).unwrap_or_default();
    let title = review.notice.manual_title.clone();
    let latest = review
        .notice
        .from
        .as_ref()
        .map_or_else(|| "none yet".into(), |r| r.name.to_string());
    let empty = review.notice.diff.is_empty();
    let page = ReleasePage {
        site: Site::plain(),
        desk: Desk::of(session),
        manual: manual.to_string(),
        groups: rows(&review.notice, &notes, sent),
        title,
        latest,
        empty,
        name: sent
            .map(|f| f.get("name").to_owned())
            .unwrap_or_else(|| default_name(app, manual)),
        date: sent
            .map(|f| f.get("date").to_owned())
            .unwrap_or_else(|| app.today().to_string()),
        today: app.today().to_string(),
        required: review.approvals_required,
        can_propose: proposal.is_none() && !empty,
        can_approve: publisher
            && proposal.is_some_and(|p| {
                p.proposed_by.0 != me.id && !p.approvals.iter().any(|a| a.0 == me.id)
            }),
        can_publish: publisher
            && (review.approved()
                || (proposal.is_none() && review.approvals_required == 0 && !empty)),
        can_withdraw: proposal.is_some_and(|p| p.proposed_by.0 == me.id),
        proposal: proposal.map(|p| ProposalView {
            name: p.name.clone(),
            date: p.date.map_or_else(
                || "the day it is published".into(),
                |d| d.format("%-d %B %Y").to_string(),
            ),
            by: p.proposed_by.1.clone(),
            at: when(app, p.proposed_at),
            approvals: p
                .approvals
                .iter()
                .map(|(_, name, at)| (name.clone(), when(app, *at)))
                .collect(),
        }),
        events: review
            .events
            .iter()
            .map(|e| EventView {
                at: when(app, e.at),
                release: e.release.clone(),
                kind: e.kind.as_str(),
                who: e.editor_name.clone(),
                reason: e.reason.clone().unwrap_or_default(),
            })
            .collect(),
        notice,
        error: error.as_ref().map(|(_, m)| m.clone()),
    };
    Ok(html(
        error.map_or(StatusCode::OK, |(s, _)| s),
        page.render(),
    ))
}

/// `GET /edit/manuals/{m}/release`
pub async fn page(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let session = match reader(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let done = param(&params, "done").map(|d| match d {
        "proposed" => "The release is proposed. Publishers have been emailed to review it.",
        "approved" => "You approved the release.",
        "published" => "The release is published.",
        "withdrawn" => "The proposal is withdrawn.",
        _ => "Done.",
    });
    let notice = done.map(str::to_owned);
    answer(&state, move |app| {
        render(app, &session, &manual_id(&manual)?, None, notice, None)
    })
    .await
}

async fn answer(
    state: &AppState,
    job: impl FnOnce(&Chapterhouse) -> Result<Response, PageError> + Send + 'static,
) -> Response {
    match state.run_raw(job).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => e.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The plan a form describes: 422 with the reason when it cannot be one.
fn plan(
    app: &Chapterhouse,
    fields: &Fields,
    summaries: &BTreeMap<String, String>,
) -> Result<ReleasePlan, String> {
    let name: ReleaseName = fields
        .get("name")
        .trim()
        .parse()
        .map_err(|e: crate::content::InvalidId| format!("Release name: {e}"))?;
    let today = app.today();
    let date = match fields.get("date").trim() {
        "" => None,
        text => {
            let day = crate::content::parse_date(text)
                .map_err(|_| "Date: write it as YYYY-MM-DD.".to_owned())?;
            if day < today {
                return Err(format!(
                    "Date: a release is dated today ({today}) or later; a later date schedules it."
                ));
            }
            (day > today).then_some(day)
        }
    };
    let mut notes = BTreeMap::new();
    for (id, note) in fields.prefixed("note.") {
        let note = note.split_whitespace().collect::<Vec<_>>().join(" ");
        // The automatic summary, left as it was prefilled, stays automatic.
        if note.is_empty() || summaries.get(id) == Some(&note) {
            continue;
        }
        let id: ChapterId = id
            .parse()
            .map_err(|e: crate::content::InvalidId| format!("Note: {e}"))?;
        notes.insert(id, note);
    }
    Ok(ReleasePlan { name, date, notes })
}

/// Each reported chapter's automatic summary, by id.
fn summaries(notice: &Notice) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = notice
        .diff
        .updated
        .iter()
        .map(|c| (c.id.to_string(), c.summary()))
        .collect();
    out.extend(
        notice
            .diff
            .added
            .iter()
            .map(|c| (c.id.to_string(), Notice::new_summary(c.kind).to_owned())),
    );
    out
}

/// What a step did: where to send the browser, and the letters to send.
enum Outcome {
    Done(&'static str, Vec<Letter>, bool),
    Refused(Response),
}

/// `POST /edit/manuals/{m}/release` with `action` = propose | approve | publish | withdraw.
pub async fn act(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, fields) = match writer(&state, &headers, &body).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let manual = match manual_id(&manual) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let target = format!("/edit/manuals/{manual}/release");
    let outcome = state
        .run_raw(move |app| step(app, &session, &manual, &fields))
        .await;
    match outcome {
        Ok(Ok(Outcome::Done(done, letters, published))) => {
            if published {
                state.written();
            }
            let mailer = state.mailer.clone();
            tokio::spawn(async move {
                for letter in letters {
                    if let Err(e) = mailer.send(&letter).await {
                        tracing::error!(to = %letter.to, error = %e.reason, "a review request could not be sent");
                    }
                }
            });
            see_other(&format!("{target}?done={done}"))
        }
        Ok(Ok(Outcome::Refused(response))) => response,
        Ok(Err(e)) => e.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

fn step(
    app: &Chapterhouse,
    session: &Session,
    manual: &ManualId,
    fields: &Fields,
) -> Result<Outcome, PageError> {
    let me = &session.editor;
    let refuse = |status: StatusCode, reason: String| -> Result<Outcome, PageError> {
        Ok(Outcome::Refused(render(
            app,
            session,
            manual,
            Some(fields),
            None,
            Some((status, reason)),
        )?))
    };
    let done = match fields.get("action") {
        "propose" => {
            let notice = app.draft_notice(manual)?;
            let plan = match plan(app, fields, &summaries(&notice)) {
                Ok(plan) => plan,
                Err(reason) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, reason),
            };
            app.propose_release(manual, &plan, me)
                .map(|(proposal, reviewers)| {
                    let link = app.links().page(&format!("/edit/manuals/{manual}/release"));
                    let changes = notice.diff.updated.len()
                        + notice.diff.added.len()
                        + notice.diff.removed.len();
                    let letters = reviewers
                        .iter()
                        .map(|p| review_letter(p, &proposal, &notice.manual_title, &link, changes))
                        .collect();
                    Outcome::Done("proposed", letters, false)
                })
        }
        "approve" => app
            .approve_release(manual, me)
            .map(|()| Outcome::Done("approved", Vec::new(), false)),
        "withdraw" => app
            .withdraw_release(manual, me)
            .map(|()| Outcome::Done("withdrawn", Vec::new(), false)),
        "publish" => {
            let notice = app.draft_notice(manual)?;
            let direct = plan(app, fields, &summaries(&notice)).ok();
            app.publish_reviewed(manual, direct.as_ref(), me).map(|release| {
                tracing::info!(%manual, release = %release.name, editor = %me.name, "published from the workspace");
                Outcome::Done("published", Vec::new(), true)
            })
        }
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "The form asked for no known action (propose, approve, publish or withdraw)."
                    .into(),
            );
        }
    };
    match done {
        Ok(outcome) => Ok(outcome),
        Err(ReviewError::Forbidden(reason)) => refuse(StatusCode::FORBIDDEN, reason),
        Err(ReviewError::Conflict(reason)) => refuse(StatusCode::CONFLICT, reason),
        Err(ReviewError::App(e @ (AppError::Notes { .. } | AppError::Content(_)))) => {
            refuse(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Err(ReviewError::App(
            e @ (AppError::NothingToReport { .. }
            | AppError::DateBeforeLatest { .. }
            | AppError::DraftMoved { .. }
            | AppError::Store(crate::store::StoreError::ReleaseExists { .. })),
        )) => refuse(StatusCode::CONFLICT, e.to_string()),
        Err(ReviewError::App(e)) => Err(PageError::from(e)),
    }
}
