//! A manual's releases: the list, and one release's notice.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::pager::{PER_PAGE, Pager, page_of};
use super::{ReleaseView, long_date, manual_id, run_page};
use crate::notice::Links;
use crate::web::AppState;
use crate::web::http::{Caching, Params, page};
use crate::web::site::Site;

struct ReleaseLine {
    name: String,
    date_text: String,
    scheduled: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "pages/releases.html")]
struct ReleasesPage {
    site: Site,
    manual: String,
    manual_title: String,
    releases: Vec<ReleaseLine>,
}

pub async fn releases(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let releases = app.releases(&manual)?;
        let today = app.today();
        let current = app.current_release(&manual)?;
        let latest = releases
            .last()
            .expect("a manual with releases has a last one");
        let title = app.contents_at(&manual, latest)?.info.title.clone();
        let html = ReleasesPage {
            site: Site::plain(),
            manual: manual.to_string(),
            manual_title: title,
            releases: releases
                .iter()
                .rev()
                .map(|r| ReleaseLine {
                    name: r.name.to_string(),
                    date_text: long_date(r.date),
                    scheduled: !r.in_force_on(today),
                    current: current.as_ref().is_some_and(|c| c.name == r.name),
                })
                .collect(),
        }
        .render()?;
        Ok(page(&headers, html, Caching::Revalidate))
    })
    .await
}

#[derive(Template)]
#[template(path = "pages/release.html")]
struct ReleasePage {
    site: Site,
    manual: String,
    manual_title: String,
    heading: String,
    release: ReleaseView,
    scheduled: bool,
    previous: Option<String>,
    notice: String,
    /// What the notice reports, counted, for a notice of many pages.
    counts: Option<String>,
    pager: Option<Pager>,
    /// Who agreed it, for a release reviewed in the workspace.
    agreed: Option<String>,
}

/// "Proposed by Sam, approved by Pat and Lee, and published by Lee."
fn agreed(record: &crate::db::ReleaseRecord) -> Option<String> {
    let proposed = record.proposed_by.as_ref()?;
    let approved = match record.approved_by.as_slice() {
        [] => String::new(),
        [one] => format!(", approved by {one}"),
        [many @ .., last] => format!(", approved by {} and {last}", many.join(", ")),
    };
    let published = record
        .published_by
        .as_ref()
        .map(|p| format!(", and published by {p}"))
        .unwrap_or_default();
    Some(format!("Proposed by {proposed}{approved}{published}."))
}

pub async fn release(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let release = app.resolve_release(&manual, None, Some(&release))?;
        let notice = app.release_notice(&manual, &release)?;
        let scheduled = release.date > app.today();
        let address = format!("/manuals/{manual}/releases/{}", release.name);
        let (skip, pager) = page_of(&params, notice.len(), &address)?;
        let shown = match &pager {
            Some(_) => notice.window(skip, PER_PAGE).to_html(&Links::new("")),
            None => notice.to_html(&Links::new("")),
        };
        let html = ReleasePage {
            site: Site::plain(),
            manual: manual.to_string(),
            manual_title: notice.manual_title.clone(),
            heading: format!("Release {} of {}", release.name, notice.manual_title),
            release: ReleaseView::of(&release),
            scheduled,
            previous: notice.from.as_ref().map(|f| f.name.to_string()),
            notice: shown,
            counts: pager.as_ref().map(|_| format!("{}.", notice.counts())),
            pager,
            agreed: app
                .db()?
                .release_records(manual.as_str())?
                .get(release.name.as_str())
                .and_then(agreed),
        }
        .render()?;
        // A release never moves, but a scheduled one's page changes on its date.
        let caching = if scheduled {
            Caching::Revalidate
        } else {
            Caching::Immutable
        };
        Ok(page(&headers, html, caching))
    })
    .await
}
