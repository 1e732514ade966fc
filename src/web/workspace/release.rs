//! The draft release page: what the next release would publish, the notes per chapter,
//! and its review — propose, approve, publish, withdraw (SPEC §7a).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::overview::when;
use super::{Desk, Fields, html, manual_id, reader, work};
use crate::app::{Chapterhouse, Review};
use crate::content::{ChapterId, ManualId};
use crate::db::{Role, Session};
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
pub(super) fn render(
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
    work(&state, move |app| {
        render(app, &session, &manual_id(&manual)?, None, notice, None)
    })
    .await
}
