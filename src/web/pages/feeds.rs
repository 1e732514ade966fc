//! Atom feeds of release notices: all manuals' at `/feed.atom`, one manual's at
//! `/manuals/{manual}/feed.atom`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{manual_id, run_page};
use crate::app::{AppError, Chapterhouse};
use crate::content::ManualId;
use crate::notice::{Notice, atom_feed};
use crate::store::Release;
use crate::web::AppState;
use crate::web::http::{Caching, cached};

const ATOM: &str = "application/atom+xml; charset=utf-8";

/// Feeds list at most this many releases.
const FEED_ENTRIES: usize = 30;

/// A manual's latest releases in force, newest first.
fn feed_releases(app: &Chapterhouse, manual: &ManualId) -> Result<Vec<Release>, AppError> {
    let releases = app.releases(manual)?;
    let published = Release::published_by(&releases, app.today());
    Ok(published.iter().rev().take(FEED_ENTRIES).cloned().collect())
}

/// The notices of these releases, in their order.
fn notices_of(app: &Chapterhouse, releases: &[Release]) -> Result<Vec<Notice>, AppError> {
    releases
        .iter()
        .map(|r| Ok((*app.release_notice(&r.manual, r)?).clone()))
        .collect()
}

/// The notices of a manual's latest releases in force, newest first.
fn feed_notices(app: &Chapterhouse, manual: &ManualId) -> Result<Vec<Notice>, AppError> {
    notices_of(app, &feed_releases(app, manual)?)
}

pub async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    run_page(&state, move |app| {
        // The latest releases of all manuals first, and only theirs made into notices: a
        // host of hundreds of manuals builds FEED_ENTRIES notices, not hundreds.
        let mut latest = Vec::new();
        for manual in app.store().released_manuals().map_err(AppError::from)? {
            latest.extend(feed_releases(app, &manual)?);
        }
        latest.sort_by_key(|r| std::cmp::Reverse(r.date));
        latest.truncate(FEED_ENTRIES);
        let notices = notices_of(app, &latest)?;
        let links = app.links();
        let xml = atom_feed(
            "Safeguarding procedures: releases",
            &format!(
                "{}/feed.atom",
                app.config().server.public_url.trim_end_matches('/')
            ),
            &notices,
            &links,
        );
        Ok(cached(&headers, ATOM, xml, Caching::Revalidate))
    })
    .await
}

pub async fn manual_feed(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let notices = feed_notices(app, &manual)?;
        let links = app.links();
        let title = notices
            .first()
            .map_or_else(|| manual.to_string(), |n| n.manual_title.clone());
        let xml = atom_feed(
            &format!("{title}: releases"),
            &links.manual_feed(&manual),
            &notices,
            &links,
        );
        Ok(cached(&headers, ATOM, xml, Caching::Revalidate))
    })
    .await
}
