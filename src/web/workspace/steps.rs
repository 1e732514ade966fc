//! The steps of a release's review sent from the release page: propose, approve,
//! publish, withdraw. Each answers 303 back to the page, or the page with the reason.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::letters::review_letter;
use super::release::render;
use super::{Fields, posting, see_other};
use crate::app::{AppError, Chapterhouse, ReleasePlan, ReviewError};
use crate::content::{ChapterId, ManualId, ReleaseName};
use crate::db::Session;
use crate::mail::Letter;
use crate::notice::Notice;
use crate::web::AppState;
use crate::web::error::PageError;

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
    let (session, fields, manual) = match posting(&state, &headers, &body, &manual).await {
        Ok(p) => p,
        Err(r) => return r,
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
