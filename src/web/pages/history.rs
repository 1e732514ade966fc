//! A chapter's history: the releases that changed it, each with its note or summary and a
//! link to the change. The chapter page shows the same lines.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::missing::missing;
use super::{long_date, manual_id, run_page};
use crate::app::HistoryEntry;
use crate::content::ManualId;
use crate::web::AppState;
use crate::web::http::{Caching, page};
use crate::web::site::Site;

/// One release that changed a chapter.
pub struct HistoryLine {
    pub release: String,
    pub date_text: String,
    pub note: Option<String>,
    pub summary: String,
    /// The chapter's changes in that release (none for its first).
    pub diff_href: Option<String>,
}

pub fn history_lines(manual: &ManualId, id: &str, entries: Vec<HistoryEntry>) -> Vec<HistoryLine> {
    entries
        .into_iter()
        .map(|h| HistoryLine {
            diff_href: h.previous.as_ref().map(|p| {
                format!(
                    "/manuals/{manual}/chapters/{id}/diff?from={}&to={}",
                    p.name, h.release.name
                )
            }),
            release: h.release.name.to_string(),
            date_text: long_date(h.release.date),
            note: h.note,
            summary: h.summary,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "pages/history.html")]
struct HistoryPage {
    site: Site,
    manual: String,
    manual_title: String,
    id: String,
    title: String,
    history: Vec<HistoryLine>,
}

pub async fn history(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let release = app.latest_release(&manual)?;
        let Some(version) = app.chapter_at(&manual, &release, &id)? else {
            return missing(app, &manual, &release, &id, uri.query());
        };
        let contents = app.contents_at(&manual, &release)?;
        let current = app.current_release(&manual)?.unwrap_or(release.clone());
        let html = HistoryPage {
            site: Site::plain(),
            manual: manual.to_string(),
            manual_title: contents.info.title.clone(),
            id: id.clone(),
            title: version.chapter.title.clone(),
            history: history_lines(&manual, &id, app.history(&manual, &id, &current)?),
        }
        .render()?;
        Ok(page(&headers, html, Caching::Revalidate))
    })
    .await
}
