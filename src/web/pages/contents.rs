//! A manual's contents page: its chapters grouped by section, as of the release asked for.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::pager::{PER_PAGE, Pager, page_of};
use super::reading::{PastBanner, reading};
use super::{ReleaseView, manual_id, run_page};
use crate::content::ChapterKind;
use crate::web::AppState;
use crate::web::http::{Params, page};
use crate::web::site::Site;

struct ContentsLine {
    href: String,
    title: String,
    is_link: bool,
    changed: Option<String>,
}

struct ContentsGroup {
    heading: String,
    chapters: Vec<ContentsLine>,
}

#[derive(Template)]
#[template(path = "pages/manual.html")]
struct ManualPage {
    site: Site,
    manual: String,
    title: String,
    description: Option<String>,
    release: ReleaseView,
    past: Option<PastBanner>,
    groups: Vec<ContentsGroup>,
    pager: Option<Pager>,
}

pub async fn contents(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let read = reading(app, &manual, &params, format!("/manuals/{manual}"))?;
        let contents = app.contents_at(&manual, &read.release)?;
        let changed = app.last_changed(&manual, &read.release)?;
        let address = format!("/manuals/{manual}{}", read.version_query);
        let (skip, pager) = page_of(&params, contents.entries.len(), &address)?;
        // The page's entries, in contents order, regrouped by section; a section that
        // began on an earlier page says it continues.
        let mut groups: Vec<ContentsGroup> = Vec::new();
        let mut seen = 0;
        for (section, entries) in contents.sections() {
            let heading = section.unwrap_or("Other chapters");
            let starts = seen;
            seen += entries.len();
            if seen <= skip || starts >= skip + PER_PAGE {
                continue;
            }
            let from = skip.saturating_sub(starts);
            let take = (skip + PER_PAGE - starts.max(skip)).min(entries.len() - from);
            groups.push(ContentsGroup {
                heading: if from > 0 {
                    format!("{heading} (continued)")
                } else {
                    heading.to_owned()
                },
                chapters: entries[from..from + take]
                    .iter()
                    .map(|e| ContentsLine {
                        href: format!("/manuals/{manual}/chapters/{}{}", e.id, read.version_query),
                        title: e.title.clone(),
                        is_link: e.kind == ChapterKind::Link,
                        changed: changed.get(&e.id).map(ToString::to_string),
                    })
                    .collect(),
            });
        }
        let html = ManualPage {
            site: Site::plain(),
            manual: manual.to_string(),
            title: contents.info.title.clone(),
            description: contents.info.description.clone(),
            release: ReleaseView::of(&read.release),
            past: read.past,
            groups,
            pager,
        }
        .render()?;
        Ok(page(&headers, html, read.caching))
    })
    .await
}
