//! A chapter page: the chapter as of the release asked for, its contents, its review date
//! and its history.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::history::{HistoryLine, history_lines};
use super::missing::missing;
use super::reading::{PastBanner, reading};
use super::{ReleaseView, long_date, manual_id, run_page};
use crate::web::AppState;
use crate::web::http::{Params, page};
use crate::web::site::Site;

#[derive(Template)]
#[template(path = "pages/chapter.html")]
struct ChapterPage {
    site: Site,
    manual: String,
    manual_title: String,
    id: String,
    title: String,
    release: ReleaseView,
    is_current: bool,
    past: Option<PastBanner>,
    review_due: Option<String>,
    link_url: Option<String>,
    toc: Vec<(String, String)>,
    body: String,
    history: Vec<HistoryLine>,
    last_diff: Option<String>,
    stamp: PrintStamp,
}

/// What a printed copy says of itself: printed copies go out of date.
struct PrintStamp {
    /// `?print=1`: the stamp on screen too, as the page prints.
    shown: bool,
    printed: String,
    current_url: String,
}

pub async fn chapter(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let current_href = format!("/manuals/{manual}/chapters/{id}");
        let read = reading(app, &manual, &params, current_href)?;
        let Some(version) = app.chapter_at(&manual, &read.release, &id)? else {
            return missing(app, &manual, &read.release, &id, uri.query());
        };
        let contents = app.contents_at(&manual, &read.release)?;
        let history = history_lines(&manual, &id, app.history(&manual, &id, &read.release)?);
        let chapter = &version.chapter;
        let html = ChapterPage {
            site: Site::plain(),
            manual: manual.to_string(),
            manual_title: contents.info.title.clone(),
            id: chapter.id.to_string(),
            title: chapter.title.clone(),
            release: ReleaseView::of(&read.release),
            is_current: read.past.is_none(),
            past: read.past,
            review_due: chapter.review_due.map(long_date),
            link_url: chapter.url.clone(),
            toc: version.rendered.toc.clone(),
            body: version.rendered.html.clone(),
            last_diff: history.first().and_then(|h| h.diff_href.clone()),
            history,
            stamp: PrintStamp {
                shown: params.get("print").is_some_and(|v| v == "1"),
                printed: long_date(app.today()),
                current_url: format!(
                    "{}/manuals/{manual}/chapters/{}",
                    app.config().server.public_url.trim_end_matches('/'),
                    chapter.id
                ),
            },
        }
        .render()?;
        Ok(page(&headers, html, read.caching))
    })
    .await
}
