//! The pages practitioners read (SPEC §7): server-rendered HTML, complete without
//! JavaScript. Handlers gather what a page shows from the application; askama templates
//! (checked at compile time) write it.

use std::collections::HashMap;
use std::sync::LazyLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;

use super::http::{Caching, Params, cached, page, page_with_status, param};
use super::{AppState, WebError};
use crate::app::{AppError, Chapterhouse, HistoryEntry, Missing};
use crate::content::ManualId;
use crate::diff::chapter::{Part, SectionStatus, section_diffs};
use crate::notice::{Links, atom_feed};
use crate::search::{SearchRequest, UserQuery};
use crate::store::Release;

/// The stylesheet, served at `/static/style.css`.
const STYLE: &str = include_str!("../../static/style.css");

/// A short hash of the stylesheet: its URL changes when it does, so it can be cached long.
static CSS_VERSION: LazyLock<String> = LazyLock::new(|| {
    super::http::etag_of(STYLE.as_bytes())
        .trim_matches('"')
        .chars()
        .take(10)
        .collect()
});

/// Feeds list at most this many releases.
const FEED_ENTRIES: usize = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/style.css", get(style))
        .route("/search", get(search))
        .route("/feed.atom", get(feed))
        .route("/manuals/{manual}", get(manual))
        .route("/manuals/{manual}/feed.atom", get(manual_feed))
        .route("/manuals/{manual}/releases", get(releases))
        .route("/manuals/{manual}/releases/{release}", get(release))
        .route("/manuals/{manual}/chapters/{id}", get(chapter))
        .route("/manuals/{manual}/chapters/{id}/history", get(history))
        .route("/manuals/{manual}/chapters/{id}/diff", get(chapter_diff))
}

/// What every page's frame shows.
pub struct Site {
    pub name: &'static str,
    pub css_version: &'static str,
    /// The search box's text.
    pub query: String,
}

impl Site {
    fn new() -> Site {
        Site::with_query(String::new())
    }

    /// The frame of a page with an empty search box.
    pub fn plain() -> Site {
        Site::new()
    }

    fn with_query(query: String) -> Site {
        Site {
            name: "Safeguarding procedures",
            css_version: CSS_VERSION.as_str(),
            query,
        }
    }
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

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The banner over a past (or scheduled) version.
pub struct PastBanner {
    pub text: String,
    pub current_href: String,
}

fn render(template: &impl Template) -> Result<String, AppError> {
    template
        .render()
        .map_err(|e| AppError::Config(format!("page template failed: {e}")))
}

// ----- errors -----

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    site: Site,
    heading: String,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
    suggestion: String,
}

/// An error as a page: the status, what went wrong, and where to go instead.
pub struct PageError {
    status: StatusCode,
    heading: String,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
    suggestion: String,
}

impl PageError {
    fn new(status: StatusCode, heading: &str, paragraph: String) -> PageError {
        PageError {
            status,
            heading: heading.to_owned(),
            paragraphs: vec![paragraph],
            links: vec![("/".into(), "All manuals".into())],
            suggestion: String::new(),
        }
    }

    fn suggest(mut self, words: &str) -> PageError {
        self.suggestion = words.replace(['-', '_', '/'], " ").trim().to_owned();
        self
    }

    fn link(mut self, href: String, text: String) -> PageError {
        self.links.insert(0, (href, text));
        self
    }
}

impl From<WebError> for PageError {
    fn from(e: WebError) -> PageError {
        let heading = match e.status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::BAD_REQUEST => "That request could not be understood",
            s if s.is_server_error() => "Something went wrong",
            _ => "That could not be done",
        };
        PageError::new(e.status, heading, e.message)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError::from(WebError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let html = ErrorPage {
            site: Site::new(),
            heading: self.heading,
            paragraphs: self.paragraphs,
            links: self.links,
            suggestion: self.suggestion,
        }
        .render()
        .unwrap_or_else(|_| "<!doctype html><title>Error</title><h1>Error</h1>".into());
        page_with_status(self.status, html)
    }
}

/// Anything else: a helpful 404 page (JSON under `/api/`).
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return super::api::not_found().await.into_response();
    }
    let words = uri
        .path()
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .chars()
        .take(80)
        .collect::<String>();
    PageError::new(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address. It may have been mistyped, or the page may have \
         moved: search the procedures, or start from the list of manuals."
            .into(),
    )
    .suggest(&words)
    .into_response()
}

fn manual_id(text: &str) -> Result<ManualId, PageError> {
    text.parse().map_err(|_| {
        PageError::new(
            StatusCode::NOT_FOUND,
            "Manual not found",
            "There is no manual at this address.".into(),
        )
        .suggest(text)
    })
}

fn date_param(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Option<NaiveDate>, PageError> {
    match param(params, name) {
        None => Ok(None),
        Some(text) => crate::content::parse_date(text).map(Some).map_err(|e| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "That date could not be read",
                e.to_string(),
            )
        }),
    }
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

// ----- static -----

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLE,
    )
        .into_response()
}

// ----- home -----

struct ManualCard {
    id: String,
    title: String,
    description: Option<String>,
    current: Option<ReleaseView>,
    scheduled: Option<ReleaseView>,
}

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    site: Site,
    manuals: Vec<ManualCard>,
    notices: Vec<String>,
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    run_page(&state, move |app| {
        let links = Links::new("");
        let mut manuals = Vec::new();
        let mut notices = Vec::new();
        for summary in app.manual_summaries()? {
            if let Some(current) = &summary.current {
                notices.push((
                    current.date,
                    app.release_notice(&summary.id, current)?.to_html(&links),
                ));
            }
            let scheduled = summary
                .current
                .as_ref()
                .is_none_or(|c| c.name != summary.latest.name)
                .then(|| ReleaseView::of(&summary.latest));
            manuals.push(ManualCard {
                id: summary.id.to_string(),
                title: summary.title,
                description: summary.description,
                current: summary.current.as_ref().map(ReleaseView::of),
                scheduled,
            });
        }
        notices.sort_by_key(|n| std::cmp::Reverse(n.0));
        let html = render(&HomePage {
            site: Site::new(),
            manuals,
            notices: notices.into_iter().map(|(_, n)| n).collect(),
        })?;
        Ok(page(&headers, html, Caching::Revalidate))
    })
    .await
}

// ----- manual contents -----

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
}

/// The release a page shows, and the banner when it is not today's.
struct Reading {
    release: Release,
    past: Option<PastBanner>,
    caching: Caching,
    /// The query string that selects this version (`?release=…`), for links within it.
    version_query: String,
}

fn reading(
    app: &Chapterhouse,
    manual: &ManualId,
    params: &HashMap<String, String>,
    current_href: String,
) -> Result<Reading, PageError> {
    let at = date_param(params, "at")?;
    let named = param(params, "release");
    let today = app.today();
    let release = app.resolve_release(manual, at, named)?;
    let current = app.current_release(manual)?;
    let is_current = current.as_ref().is_some_and(|c| c.name == release.name);
    let scheduled = release.date > today;
    let past = if scheduled {
        Some(format!(
            "This version is scheduled: it comes into force on {} (release {}).",
            long_date(release.date),
            release.name
        ))
    } else if let Some(day) = at.filter(|_| !is_current) {
        Some(format!(
            "This is the version in force on {} (release {}, in force from {}).",
            long_date(day),
            release.name,
            long_date(release.date)
        ))
    } else if named.is_some() {
        Some(format!(
            "This is the version published in release {}, in force from {}.",
            release.name,
            long_date(release.date)
        ))
    } else {
        None
    };
    // A named release in force is fixed forever; anything else may change.
    let caching = if named.is_some() && !scheduled {
        Caching::Immutable
    } else {
        Caching::Revalidate
    };
    let version_query = if past.is_some() {
        format!("?release={}", release.name)
    } else {
        String::new()
    };
    Ok(Reading {
        past: past.map(|text| PastBanner { text, current_href }),
        release,
        caching,
        version_query,
    })
}

async fn manual(
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
        let groups = contents
            .sections()
            .into_iter()
            .map(|(section, entries)| ContentsGroup {
                heading: section.unwrap_or("Other chapters").to_owned(),
                chapters: entries
                    .into_iter()
                    .map(|e| ContentsLine {
                        href: format!("/manuals/{manual}/chapters/{}{}", e.id, read.version_query),
                        title: e.title.clone(),
                        is_link: e.kind == crate::content::ChapterKind::Link,
                        changed: changed.get(&e.id).map(ToString::to_string),
                    })
                    .collect(),
            })
            .collect();
        let html = render(&ManualPage {
            site: Site::new(),
            manual: manual.to_string(),
            title: contents.info.title.clone(),
            description: contents.info.description.clone(),
            release: ReleaseView::of(&read.release),
            past: read.past,
            groups,
        })?;
        Ok(page(&headers, html, read.caching))
    })
    .await
}

// ----- chapter -----

struct HistoryLine {
    release: String,
    date_text: String,
    note: Option<String>,
    summary: String,
    diff_href: Option<String>,
}

fn history_lines(manual: &ManualId, id: &str, entries: Vec<HistoryEntry>) -> Vec<HistoryLine> {
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
}

async fn chapter(
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
        let html = render(&ChapterPage {
            site: Site::new(),
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
        })?;
        Ok(page(&headers, html, read.caching))
    })
    .await
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct GonePage {
    site: Site,
    heading: String,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
    suggestion: String,
}

/// A chapter the release does not have: 301 to its new id when renamed, 410 with where it
/// went when removed, 404 otherwise.
fn missing(
    app: &Chapterhouse,
    manual: &ManualId,
    release: &Release,
    id: &str,
    query: Option<&str>,
) -> Result<Response, PageError> {
    match app.missing_chapter(manual, release, id)? {
        Missing::Renamed { to } => {
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            // 301 (not 308): the old address is read with GET only, and every client knows 301.
            Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(
                    header::LOCATION,
                    format!("/manuals/{manual}/chapters/{to}{query}"),
                )],
            )
                .into_response())
        }
        Missing::Removed {
            title,
            removed_in,
            last,
        } => {
            let html = render(&GonePage {
                site: Site::new(),
                heading: format!("“{title}” has been removed"),
                paragraphs: vec![format!(
                    "This chapter was removed from the manual in release {} ({}). The last \
                     version, from release {}, is still available to read.",
                    removed_in.name,
                    long_date(removed_in.date),
                    last.name
                )],
                links: vec![
                    (
                        format!("/manuals/{manual}/chapters/{id}?release={}", last.name),
                        format!("Read the last version (release {})", last.name),
                    ),
                    (
                        format!("/manuals/{manual}/releases/{}", removed_in.name),
                        format!("What changed in release {}", removed_in.name),
                    ),
                    (format!("/manuals/{manual}"), "The manual's contents".into()),
                ],
                suggestion: title,
            })?;
            Ok(page_with_status(StatusCode::GONE, html))
        }
        Missing::Unknown => Err(PageError::new(
            StatusCode::NOT_FOUND,
            "Chapter not found",
            format!(
                "Release {} of this manual has no chapter at this address.",
                release.name
            ),
        )
        .link(format!("/manuals/{manual}"), "The manual's contents".into())
        .suggest(id)),
    }
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

async fn history(
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
        let html = render(&HistoryPage {
            site: Site::new(),
            manual: manual.to_string(),
            manual_title: contents.info.title.clone(),
            id: id.clone(),
            title: version.chapter.title.clone(),
            history: history_lines(&manual, &id, app.history(&manual, &id, &current)?),
        })?;
        Ok(page(&headers, html, Caching::Revalidate))
    })
    .await
}

// ----- chapter diff -----

struct DiffSection {
    heading: String,
    changed: bool,
    status: &'static str,
    html: String,
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

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    pulldown_cmark_escape::escape_html(&mut out, text).expect("writing to a String");
    out
}

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

async fn chapter_diff(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let releases = app.releases(&manual)?;
        let current = app.current_release(&manual)?.unwrap_or_else(|| {
            releases
                .last()
                .expect("a manual with releases has a last one")
                .clone()
        });
        let to = match param(&params, "to") {
            Some(name) => app.resolve_release(&manual, None, Some(name))?,
            None => current,
        };
        let from = match param(&params, "from") {
            Some(name) => app.resolve_release(&manual, None, Some(name))?,
            None => {
                let i = releases.iter().position(|r| r.name == to.name).unwrap_or(0);
                releases[i.saturating_sub(1)].clone()
            }
        };
        let old = app.chapter_at(&manual, &from, &id)?;
        let new = app.chapter_at(&manual, &to, &id)?;
        let (title, old_title, summary, sections) = match (&old, &new) {
            (None, None) => {
                return Err(PageError::new(
                    StatusCode::NOT_FOUND,
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
                section_diffs(&o.chapter.body, ""),
            ),
            (None, Some(n)) => (
                n.chapter.title.clone(),
                None,
                Some(format!("This chapter is new since release {}.", from.name)),
                section_diffs("", &n.chapter.body),
            ),
            (Some(o), Some(n)) => {
                let update = crate::diff::compare_chapter(&o.chapter, &n.chapter, None);
                (
                    n.chapter.title.clone(),
                    (o.chapter.title != n.chapter.title).then(|| o.chapter.title.clone()),
                    update.map(|u| u.summary()),
                    section_diffs(&o.chapter.body, &n.chapter.body),
                )
            }
        };
        let contents = app.contents_at(&manual, &to)?;
        let immutable = to.date <= app.today()
            && param(&params, "to").is_some()
            && param(&params, "from").is_some();
        let html = render(&DiffPage {
            site: Site::new(),
            manual: manual.to_string(),
            manual_title: contents.info.title.clone(),
            id: id.clone(),
            title,
            old_title,
            releases: releases.iter().map(|r| r.name.to_string()).collect(),
            from: ReleaseView::of(&from),
            to: ReleaseView::of(&to),
            summary,
            sections: sections
                .iter()
                .map(|s| DiffSection {
                    heading: s.heading.clone(),
                    changed: s.status != SectionStatus::Unchanged,
                    status: s.status.label(),
                    html: parts_html(&s.parts),
                })
                .collect(),
        })?;
        Ok(page(
            &headers,
            html,
            if immutable {
                Caching::Immutable
            } else {
                Caching::Revalidate
            },
        ))
    })
    .await
}

// ----- releases -----

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

async fn releases(
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
        let html = render(&ReleasesPage {
            site: Site::new(),
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
        })?;
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
}

async fn release(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run_page(&state, move |app| {
        let manual = manual_id(&manual)?;
        let release = app.resolve_release(&manual, None, Some(&release))?;
        let notice = app.release_notice(&manual, &release)?;
        let scheduled = release.date > app.today();
        let html = render(&ReleasePage {
            site: Site::new(),
            manual: manual.to_string(),
            manual_title: notice.manual_title.clone(),
            heading: format!("Release {} of {}", release.name, notice.manual_title),
            release: ReleaseView::of(&release),
            scheduled,
            previous: notice.from.as_ref().map(|f| f.name.to_string()),
            notice: notice.to_html(&Links::new("")),
        })?;
        let caching = if scheduled {
            Caching::Revalidate
        } else {
            Caching::Immutable
        };
        Ok(page(&headers, html, caching))
    })
    .await
}

// ----- feeds -----

const ATOM: &str = "application/atom+xml; charset=utf-8";

/// The notices of a manual's latest releases in force, newest first.
fn feed_notices(
    app: &Chapterhouse,
    manual: &ManualId,
) -> Result<Vec<crate::notice::Notice>, AppError> {
    let today = app.today();
    app.releases(manual)?
        .iter()
        .rev()
        .filter(|r| r.in_force_on(today))
        .take(FEED_ENTRIES)
        .map(|release| Ok((*app.release_notice(manual, release)?).clone()))
        .collect()
}

async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    run_page(&state, move |app| {
        let mut notices = Vec::new();
        for manual in app.store().released_manuals().map_err(AppError::from)? {
            notices.extend(feed_notices(app, &manual)?);
        }
        notices.sort_by_key(|n| std::cmp::Reverse(n.to.date));
        notices.truncate(FEED_ENTRIES);
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

async fn manual_feed(
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

// ----- search -----

struct FacetLine {
    title: String,
    count: u64,
    href: String,
    selected: bool,
}

struct HitLine {
    href: String,
    title: String,
    manual_title: String,
    release: Option<String>,
    snippet: String,
}

struct ResultsView {
    total: usize,
    at_text: Option<String>,
    fuzzy: bool,
    facets: Vec<FacetLine>,
    hits: Vec<HitLine>,
    glossary: Vec<String>,
    all_manuals_href: String,
    today_href: String,
}

#[derive(Template)]
#[template(path = "pages/search.html")]
struct SearchPage {
    site: Site,
    query: String,
    manual: String,
    at: String,
    manuals: Vec<(String, String)>,
    message: Option<String>,
    results: Option<ResultsView>,
}

fn search_href(query: &str, manual: Option<&str>, at: Option<&str>) -> String {
    let mut href = format!("/search?q={}", urlencode(query));
    if let Some(m) = manual {
        href.push_str(&format!("&manual={}", urlencode(m)));
    }
    if let Some(a) = at {
        href.push_str(&format!("&at={}", urlencode(a)));
    }
    href
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn search(State(state): State<AppState>, Query(params): Params) -> Response {
    let manuals = match state.manual_titles().await {
        Ok(titles) => titles,
        Err(e) => return PageError::from(e).into_response(),
    };
    let limit = state.search_limit;
    let today = state.today();
    let answer = state.search(move |index| {
        let query = param(&params, "q").unwrap_or_default().to_owned();
        let manual_text = param(&params, "manual").unwrap_or_default().to_owned();
        let at_text = param(&params, "at").unwrap_or_default().to_owned();
        let title_of = |id: &str| {
            manuals
                .iter()
                .find(|(m, _)| m == id)
                .map_or_else(|| id.to_owned(), |(_, t)| t.clone())
        };
        let mut message = None;
        let mut results = None;
        let manual = if manual_text.is_empty() {
            None
        } else if manuals.iter().any(|(m, _)| *m == manual_text) {
            manual_text.parse::<ManualId>().ok()
        } else {
            message = Some(format!(
                "There is no manual called “{}”; searching all manuals instead.",
                manual_text.chars().take(80).collect::<String>()
            ));
            None
        };
        let at = match date_param(&params, "at") {
            Ok(at) => at,
            Err(_) => {
                message = Some(format!(
                    "“{}” is not a date; write it as YYYY-MM-DD. Searching today's procedures instead.",
                    at_text.chars().take(40).collect::<String>()
                ));
                None
            }
        };
        if UserQuery::parse(&query).is_empty() {
            if !query.is_empty() {
                message = Some(
                    "Type a few words or an acronym to search for, such as “bruising in babies” or “LADO”."
                        .into(),
                );
            }
        } else {
            let found = index.search(&SearchRequest {
                query: query.clone(),
                manual: manual.clone(),
                at: at.unwrap_or(today),
                limit,
            })?;
            let glossary = if found.hits.is_empty() {
                index
                    .glossary()
                    .alternatives(&crate::search::glossary_words(&query))
                    .into_iter()
                    .take(5)
                    .map(|form| format!("Also searched for: “{}”.", form.join(" ")))
                    .collect()
            } else {
                Vec::new()
            };
            let manual_param = manual.as_ref().map(ToString::to_string);
            let at_param = at.map(|d| d.to_string());
            let mut facets: Vec<FacetLine> = found
                .facets
                .iter()
                .map(|(id, count)| FacetLine {
                    title: title_of(id),
                    count: *count,
                    href: search_href(&query, Some(id), at_param.as_deref()),
                    selected: manual_param.as_deref() == Some(id.as_str()),
                })
                .collect();
            if manual.is_some() && !facets.is_empty() {
                facets.insert(
                    0,
                    FacetLine {
                        title: "All manuals".into(),
                        count: found.facets.values().sum(),
                        href: search_href(&query, None, at_param.as_deref()),
                        selected: false,
                    },
                );
            }
            let version = |release: &Option<String>| match (at, release) {
                (Some(_), Some(r)) => format!("?release={r}"),
                _ => String::new(),
            };
            results = Some(ResultsView {
                total: found.total,
                at_text: at.map(long_date),
                fuzzy: found.fuzzy,
                facets,
                hits: found
                    .hits
                    .iter()
                    .map(|h| HitLine {
                        href: format!("/manuals/{}/chapters/{}{}", h.manual, h.id, version(&h.release)),
                        title: h.title.clone(),
                        manual_title: title_of(&h.manual),
                        release: h.release.clone(),
                        snippet: h.snippet.clone(),
                    })
                    .collect(),
                glossary,
                all_manuals_href: search_href(&query, None, at_param.as_deref()),
                today_href: search_href(&query, manual_param.as_deref(), None),
            });
        }
        let html = render(&SearchPage {
            site: Site::with_query(query.clone()),
            query,
            manual: manual.map(|m| m.to_string()).unwrap_or_default(),
            at: at.map(|d| d.to_string()).unwrap_or_default(),
            manuals: manuals.to_vec(),
            message,
            results,
        })?;
        Ok(page_with_status(StatusCode::OK, html))
    });
    match answer.await {
        Ok(response) => response,
        Err(e) => PageError::from(e).into_response(),
    }
}
