//! A chapter's changes between two releases, section by section, with insertions and
//! deletions marked.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{ReleaseView, manual_id, run_page};
use crate::content::markdown::escape_html as escape;
use crate::diff::chapter::{Part, SectionStatus, section_diffs};
use crate::store::Release;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Caching, Params, page, param};
use crate::web::site::Site;

/// One section of a word-level comparison, as pages show it.
pub struct DiffSection {
    pub heading: String,
    pub changed: bool,
    pub status: &'static str,
    pub html: String,
}

/// Two versions of a chapter's body compared section by section, words marked.
pub fn section_views(old: &str, new: &str) -> Vec<DiffSection> {
    section_diffs(old, new)
        .iter()
        .map(|s| DiffSection {
            heading: s.heading.clone(),
            changed: s.status != SectionStatus::Unchanged,
            status: s.status.label(),
            html: parts_html(&s.parts),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "pages/diff.html")]
struct DiffPage {
    site: Site,
    manual: String,
    manual_title: String,
    id: String,
    title: String,
    old_title: Option<String>,
    releases: Vec<String>,
    from: ReleaseView,
    to: ReleaseView,
    summary: Option<String>,
    sections: Vec<DiffSection>,
}

/// A section's words as HTML, added ones in `<ins>` and removed ones in `<del>`.
fn parts_html(parts: &[Part]) -> String {
    let mut html = String::new();
    for part in parts {
        match part {
            Part::Same(t) => html.push_str(&escape(t)),
            Part::Added(t) => {
                html.push_str("<ins>");
                html.push_str(&escape(t));
                html.push_str("</ins>");
            }
            Part::Removed(t) => {
                html.push_str("<del>");
                html.push_str(&escape(t));
                html.push_str("</del>");
            }
        }
    }
    html
}

/// `?from=&to=`: by default, the current release and the one before it.
pub async fn chapter_diff(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let releases = app.releases(&manual)?;
        let to = match param(&params, "to") {
            Some(name) => app.resolve_release(&manual, None, Some(name))?,
            None => Release::shown_on(&releases, app.today())
                .expect("a manual with releases shows one")
                .clone(),
        };
        let from = match param(&params, "from") {
            Some(name) => app.resolve_release(&manual, None, Some(name))?,
            // The first release is compared with itself: nothing came before it.
            None => Release::previous(&releases, &to).unwrap_or(&to).clone(),
        };
        let old = app.chapter_at(&manual, &from, &id)?;
        let new = app.chapter_at(&manual, &to, &id)?;
        let (title, old_title, summary, sections) = match (&old, &new) {
            (None, None) => {
                return Err(PageError::not_found(
                    "Chapter not found",
                    format!(
                        "Neither release {} nor release {} has a chapter at this address.",
                        from.name, to.name
                    ),
                )
                .link(format!("/manuals/{manual}"), "The manual's contents".into())
                .suggest(&id));
            }
            (Some(o), None) => (
                o.chapter.title.clone(),
                None,
                Some(format!("This chapter is not in release {}.", to.name)),
                section_views(&o.chapter.body, ""),
            ),
            (None, Some(n)) => (
                n.chapter.title.clone(),
                None,
                Some(format!("This chapter is new since release {}.", from.name)),
                section_views("", &n.chapter.body),
            ),
            (Some(o), Some(n)) => {
                let update = crate::diff::compare_chapter(&o.chapter, &n.chapter, None);
                (
                    n.chapter.title.clone(),
                    (o.chapter.title != n.chapter.title).then(|| o.chapter.title.clone()),
                    update.map(|u| u.summary()),
                    section_views(&o.chapter.body, &n.chapter.body),
                )
            }
        };
        let contents = app.contents_at(&manual, &to)?;
        // Two named releases in force never change.
        let immutable = to.date <= app.today()
            && param(&params, "to").is_some()
            && param(&params, "from").is_some();
        let html = DiffPage {
            site: Site::plain(),
            manual: manual.to_string(),
            manual_title: contents.info.title.clone(),
            id: id.clone(),
            title,
            old_title,
            releases: releases.iter().map(|r| r.name.to_string()).collect(),
            from: ReleaseView::of(&from),
            to: ReleaseView::of(&to),
            summary,
            sections,
        }
        .render()?;
        let caching = if immutable {
            Caching::Immutable
        } else {
            Caching::Revalidate
        };
        Ok(page(&headers, html, caching))
    })
    .await
}
