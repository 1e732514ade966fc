//! The pages practitioners read (SPEC §7): server-rendered HTML, complete without
//! JavaScript. Each page's handler gathers what it shows from the application; askama
//! templates (checked at compile time) write it. Here: the routes and what pages share.

mod accessibility;
mod chapter;
mod contents;
pub mod diff;
mod feeds;
mod history;
mod home;
mod missing;
mod pager;
mod reading;
mod releases;
mod search;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;

use super::AppState;
use super::error::PageError;
use super::site::stylesheet;
use crate::app::Chapterhouse;
use crate::content::ManualId;
use crate::store::Release;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/static/style.css", get(stylesheet))
        .route("/search", get(search::search))
        .route("/accessibility", get(accessibility::accessibility))
        .route("/feed.atom", get(feeds::feed))
        .route("/manuals/{manual}", get(contents::contents))
        .route("/manuals/{manual}/feed.atom", get(feeds::manual_feed))
        .route("/manuals/{manual}/releases", get(releases::releases))
        .route(
            "/manuals/{manual}/releases/{release}",
            get(releases::release),
        )
        .route("/manuals/{manual}/chapters/{id}", get(chapter::chapter))
        .route(
            "/manuals/{manual}/chapters/{id}/history",
            get(history::history),
        )
        .route(
            "/manuals/{manual}/chapters/{id}/diff",
            get(diff::chapter_diff),
        )
}

/// A release as pages name it.
pub struct ReleaseView {
    pub name: String,
    pub date_text: String,
}

impl ReleaseView {
    fn of(release: &Release) -> ReleaseView {
        ReleaseView {
            name: release.name.to_string(),
            date_text: long_date(release.date),
        }
    }
}

/// A date as pages write it: `2 April 2024`.
fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A manual named in a page's address.
fn manual_id(text: &str) -> Result<ManualId, PageError> {
    text.parse().map_err(|_| {
        PageError::not_found("Manual not found", "There is no manual at this address.")
            .suggest(text)
    })
}

/// Runs page work on the application; its errors become error pages.
async fn run_page(
    state: &AppState,
    work: impl FnOnce(&Chapterhouse) -> Result<Response, PageError> + Send + 'static,
) -> Response {
    match state.run_raw(work).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => e.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
