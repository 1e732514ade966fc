//! The workspace's lists: every manual with its draft, a manual's chapters with their
//! state since the last release, and a manual's activity (commits and release events).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::{Desk, html, manual_id, reader};
use crate::app::{Chapterhouse, DraftChapter};
use crate::db::Session;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Params, param};
use crate::web::site::Site;

/// How many commits and events the activity page shows.
const ACTIVITY_SHOWN: usize = 200;

/// A moment as the workspace writes it, in the partnership's zone: `2 April 2024, 14:05`.
pub fn when(app: &Chapterhouse, at: DateTime<Utc>) -> String {
    at.with_timezone(&app.clock().zone())
        .format("%-d %B %Y, %H:%M")
        .to_string()
}

struct ManualRow {
    id: String,
    title: String,
    latest: String,
    changed: usize,
    proposal: Option<String>,
}

#[derive(Template)]
#[template(path = "edit/manuals.html")]
struct ManualsPage {
    site: Site,
    desk: Desk,
    manuals: Vec<ManualRow>,
}

struct ChapterRow {
    id: String,
    title: String,
    section: String,
    state: &'static str,
    label: &'static str,
    last_edit: String,
}

#[derive(Template)]
#[template(path = "edit/manual.html")]
struct ManualPage {
    site: Site,
    desk: Desk,
    manual: String,
    title: String,
    latest: String,
    changed: usize,
    sections: Vec<String>,
    section: String,
    chapters: Vec<ChapterRow>,
    notice: Option<String>,
}

struct ActivityRow {
    when: String,
    who: String,
    what: String,
    chapters: Vec<String>,
    release: bool,
}

#[derive(Template)]
#[template(path = "edit/activity.html")]
struct ActivityPage {
    site: Site,
    desk: Desk,
    manual: String,
    title: String,
    rows: Vec<ActivityRow>,
}

/// Runs a page for a signed-in editor.
pub(super) async fn signed_page(
    state: &AppState,
    headers: &HeaderMap,
    job: impl FnOnce(&Chapterhouse, Session) -> Result<Response, PageError> + Send + 'static,
) -> Response {
    let session = match reader(state, headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match state.run_raw(move |app| job(app, session)).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => e.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `GET /edit`: every manual, with what its draft holds.
pub async fn manuals(State(state): State<AppState>, headers: HeaderMap) -> Response {
    signed_page(&state, &headers, |app, session| {
        let mut manuals = Vec::new();
        for manual in app.store().manuals()? {
            let overview = app.draft_overview(&manual)?;
            let proposal = app.db()?.open_proposal(manual.as_str())?;
            manuals.push(ManualRow {
                id: manual.to_string(),
                title: overview.title.clone(),
                latest: overview
                    .latest_release
                    .map_or_else(|| "none yet".into(), |r| r.to_string()),
                changed: overview.changed,
                proposal: proposal
                    .map(|p| format!("Release {} proposed by {}", p.name, p.proposed_by.1)),
            });
        }
        let page = ManualsPage {
            site: Site::plain(),
            desk: Desk::of(&session),
            manuals,
        };
        Ok(html(StatusCode::OK, page.render()))
    })
    .await
}

fn row(app: &Chapterhouse, c: &DraftChapter) -> ChapterRow {
    ChapterRow {
        id: c.id.to_string(),
        title: c.title.clone(),
        section: c.section.clone().unwrap_or_default(),
        state: c.state.as_str(),
        label: c.state.label(),
        last_edit: c
            .last_edit
            .as_ref()
            .map(|e| format!("{}, {}", e.author, when(app, e.at)))
            .unwrap_or_default(),
    }
}

/// `GET /edit/manuals/{m}[?section=]`: the manual's chapters and their state.
pub async fn manual(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    signed_page(&state, &headers, move |app, session| {
        let manual = manual_id(&manual)?;
        let overview = app.draft_overview(&manual)?;
        let section = param(&params, "section").unwrap_or_default().to_owned();
        let chapters = if section.is_empty() {
            overview.chapters.iter().collect()
        } else {
            overview.in_section(Some(&section))
        };
        let page = ManualPage {
            site: Site::plain(),
            desk: Desk::of(&session),
            manual: manual.to_string(),
            title: overview.title.clone(),
            latest: overview
                .latest_release
                .as_ref()
                .map_or_else(|| "none yet".into(), |r| r.to_string()),
            changed: overview.changed,
            chapters: chapters.into_iter().map(|c| row(app, c)).collect(),
            sections: overview.sections.clone(),
            section,
            notice: param(&params, "deleted").map(|id| {
                format!("Chapter {id} was deleted from the draft. It stays readable in the published releases until the next one.")
            }),
        };
        Ok(html(StatusCode::OK, page.render()))
    })
    .await
}

/// `GET /edit/manuals/{m}/activity`: every commit and release event, newest first.
pub async fn activity(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Response {
    signed_page(&state, &headers, move |app, session| {
        let manual = manual_id(&manual)?;
        let title = app.draft_overview(&manual)?.title;
        let mut rows: Vec<(DateTime<Utc>, ActivityRow)> = app
            .activity(&manual, ACTIVITY_SHOWN)?
            .into_iter()
            .map(|c| {
                let row = ActivityRow {
                    when: when(app, c.at),
                    who: c.author,
                    what: c.message,
                    chapters: c.chapters,
                    release: false,
                };
                (c.at, row)
            })
            .collect();
        let events = app.db()?.release_events(manual.as_str(), ACTIVITY_SHOWN)?;
        for event in &events {
            let what = match &event.reason {
                Some(reason) => format!(
                    "Release {} {}: {reason}",
                    event.release,
                    event.kind.as_str()
                ),
                None => format!("Release {} {}", event.release, event.kind.as_str()),
            };
            rows.push((
                event.at,
                ActivityRow {
                    when: when(app, event.at),
                    who: event.editor_name.clone(),
                    what,
                    chapters: Vec::new(),
                    release: true,
                },
            ));
        }
        // Releases published without the workspace (imports, scripts) are in the store only.
        for release in app.releases(&manual).unwrap_or_default() {
            let recorded = events.iter().any(|e| {
                e.release == release.name.as_str()
                    && e.kind == crate::db::ReleaseEventKind::Published
            });
            let Some(at) = DateTime::from_timestamp(release.published_at, 0) else {
                continue;
            };
            if !recorded {
                let who = release
                    .publisher
                    .split(" <")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                rows.push((
                    at,
                    ActivityRow {
                        when: when(app, at),
                        who,
                        what: format!(
                            "Release {} published, in force from {}",
                            release.name, release.date
                        ),
                        chapters: Vec::new(),
                        release: true,
                    },
                ));
            }
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        rows.truncate(ACTIVITY_SHOWN);
        let page = ActivityPage {
            site: Site::plain(),
            desk: Desk::of(&session),
            manual: manual.to_string(),
            title,
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        };
        Ok(html(StatusCode::OK, page.render()))
    })
    .await
}
