//! The read side of the JSON API under `/api/v1` (SPEC §7), over the application.

use crate::db::ReleaseRecord;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

use super::http::{Caching, Params, cached, date_param, param};
use super::paging::{Window, add_window_fields, next_address, with_next_link};
use super::shapes::{ChapterFields, ChapterJson, ContentsJson, EntryJson, ErrorJson, ReleaseJson};
use super::{AppState, WebError};
use crate::app::AppError;
use crate::app::ManualSummary;
use crate::content::ManualId;
use crate::notice::{Notice, NoticeJson};
use crate::search::SearchRequest;
use crate::search::SearchResults;
use crate::store::Release;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manuals", get(manuals))
        .route("/manuals/{manual}/chapters", get(chapters))
        .route("/manuals/{manual}/chapters/{id}", get(chapter))
        .route("/manuals/{manual}/releases", get(releases))
        .route("/manuals/{manual}/releases/{release}", get(release))
        .route("/manuals/{manual}/diff", get(diff))
        .route("/search", get(search))
}

/// A manual named in a path; one that cannot be an id is as unknown as a missing one.
pub(super) fn manual_id(text: &str) -> Result<ManualId, WebError> {
    text.parse()
        .map_err(|_| WebError::from(AppError::UnknownManual(text.chars().take(80).collect())))
}

/// `/healthz`: the server answers and its store can be read.
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, WebError> {
    let manuals = state
        .run(|app| Ok(app.store().released_manuals()?.len()))
        .await?;
    Ok(Json(json!({ "status": "ok", "manuals": manuals })))
}

/// `/readyz`: whether this instance can serve: its store, search index and database each
/// answer, with the mail transport in use; 503 when one does not. `replication` says how
/// the store's pushes (a writer) or fetches (a replica) stand; a remote that fails is
/// reported there, and the instance goes on serving what it has.
pub async fn ready(State(state): State<AppState>) -> Response {
    let mail = state.mailer.describe();
    let checked = state
        .run_raw(|app| (app.readiness(), app.replication_status()))
        .await;
    let (status, body) = match checked {
        Ok((r, replication)) => {
            let ready = r.ready();
            let body = json!({
                "status": if ready { "ready" } else { "not ready" },
                "store": r.store,
                "index": r.index,
                "database": r.database,
                "mail": {"ok": true, "detail": mail},
                "replication": replication,
            });
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (status, body)
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "not ready", "error": e.message}),
        ),
    };
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(get, path = "/api/v1/manuals", tag = "read",
    responses((status = 200, description = "Every manual with a release", body = Vec<ManualSummary>)))]
pub(super) async fn manuals(State(state): State<AppState>) -> Result<Json<Value>, WebError> {
    let list = state.run(|app| app.manual_summaries()).await?;
    Ok(Json(serde_json::to_value(list).expect("manuals serialise")))
}

fn release_json(r: &Release, today: NaiveDate, record: Option<&ReleaseRecord>) -> ReleaseJson {
    // Releases published outside the workspace name their publisher in the tag.
    let tagger = r.publisher.split(" <").next().unwrap_or(&r.publisher);
    ReleaseJson {
        name: r.name.to_string(),
        date: r.date,
        scheduled: !r.in_force_on(today),
        revision: r.revision.as_str().to_owned(),
        notes: r
            .notes
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        proposed_by: record.and_then(|r| r.proposed_by.clone()),
        approved_by: record.map_or_else(Vec::new, |r| r.approved_by.clone()),
        published_by: record
            .and_then(|r| r.published_by.clone())
            .unwrap_or_else(|| tagger.to_owned()),
    }
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/releases", tag = "read",
    params(("manual" = String, Path, description = "The manual's id")),
    responses((status = 200, description = "The manual's releases, oldest first", body = Vec<ReleaseJson>),
        (status = 404, description = "No such manual", body = ErrorJson)))]
pub(super) async fn releases(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let list = state
        .run(move |app| {
            let today = app.today();
            let releases = app.releases(&manual)?;
            let records = app.db()?.release_records(manual.as_str())?;
            Ok(releases
                .iter()
                .map(|r| release_json(r, today, records.get(r.name.as_str())))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(json_answer(&headers, &list, Caching::Revalidate))
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/releases/{release}", tag = "read",
    params(("manual" = String, Path, description = "The manual's id"),
        ("release" = String, Path, description = "The release's name"),
        ("cursor" = Option<String>, Query, description = "Where this window starts: the `next` of the window before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Entries in this window [default and at most: 1000]")),
    responses((status = 200, description = "The release diff against the release before it", body = NoticeJson),
        (status = 404, description = "No such manual or release", body = ErrorJson),
        (status = 400, description = "A cursor this list did not give, or a limit out of range", body = ErrorJson)))]
pub(super) async fn release(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let path = format!("/api/v1/manuals/{manual}/releases/{release}");
    let notice = state
        .run(move |app| {
            let release = app.resolve_release(&manual, None, Some(&release))?;
            app.release_notice(&manual, &release)
        })
        .await?;
    notice_answer(&headers, &notice, &params, &path, &[], Caching::Revalidate)
}

/// A notice as JSON, a window of its entries at a time (see [`paging`]).
pub(super) fn notice_answer(
    headers: &HeaderMap,
    notice: &Notice,
    params: &std::collections::HashMap<String, String>,
    path: &str,
    query: &[(&str, &str)],
    caching: Caching,
) -> Result<Response, WebError> {
    let total = notice.len();
    let window = Window::of(params, total)?;
    let mut value = notice.window(window.skip, window.take).to_json();
    let next = window
        .next(total)
        .map(|cursor| next_address(path, query, cursor, window));
    add_window_fields(&mut value, total, next.as_deref());
    Ok(with_next_link(
        json_answer(headers, &value, caching),
        next.as_deref(),
    ))
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/diff", tag = "read",
    params(("manual" = String, Path, description = "The manual's id"),
        ("from" = Option<String>, Query, description = "The earlier release [default: the one before `to`]"),
        ("to" = Option<String>, Query, description = "The later release [default: the latest]"),
        ("cursor" = Option<String>, Query, description = "Where this window starts: the `next` of the window before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Entries in this window [default and at most: 1000]")),
    responses((status = 200, description = "The diff between any two releases", body = NoticeJson),
        (status = 404, description = "No such manual or release", body = ErrorJson),
        (status = 400, description = "A release given twice, or not before the other; a bad cursor or limit", body = ErrorJson)))]
pub(super) async fn diff(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let path = format!("/api/v1/manuals/{manual}/diff");
    let asked = params.clone();
    let notice = state
        .run(move |app| app.notice(&manual, param(&asked, "from"), param(&asked, "to")))
        .await?;
    // The next window compares the same two releases, whatever is published meanwhile.
    let (from, to) = (
        notice.from.as_ref().map(|r| r.name.to_string()),
        notice.to.name.to_string(),
    );
    let mut query = vec![("to", to.as_str())];
    if let Some(from) = &from {
        query.insert(0, ("from", from.as_str()));
    }
    notice_answer(
        &headers,
        &notice,
        &params,
        &path,
        &query,
        Caching::Revalidate,
    )
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/chapters", tag = "read",
    params(("manual" = String, Path, description = "The manual's id"),
        ("at" = Option<NaiveDate>, Query, description = "The release in force on this date [default: today]"),
        ("release" = Option<String>, Query, description = "This release, by name"),
        ("cursor" = Option<String>, Query, description = "Where this window starts: the `next` of the window before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Entries in this window [default and at most: 1000]")),
    responses((status = 200, description = "The contents at a release", body = ContentsJson),
        (status = 404, description = "No such manual or release", body = ErrorJson),
        (status = 400, description = "A bad date, cursor or limit", body = ErrorJson)))]
pub(super) async fn chapters(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let at = date_param(&params, "at")?;
    let path = format!("/api/v1/manuals/{manual}/chapters");
    let asked = params.clone();
    let id = manual.clone();
    let (release, contents) = state
        .run(move |app| {
            let release = app.resolve_release(&manual, at, param(&asked, "release"))?;
            let contents = app.contents_at(&manual, &release)?;
            Ok((release, contents))
        })
        .await?;
    let total = contents.entries.len();
    let window = Window::of(&params, total)?;
    let chapters = contents
        .entries
        .iter()
        .skip(window.skip)
        .take(window.take)
        .map(|c| EntryJson {
            chapter: ChapterFields::of_entry(c),
            revision: c.blob.clone(),
        })
        .collect();
    // The next window is of the same release, whatever is published meanwhile.
    let next = window
        .next(total)
        .map(|cursor| next_address(&path, &[("release", release.name.as_str())], cursor, window));
    let value = ContentsJson {
        manual: id,
        title: contents.info.title.clone(),
        release: release.name.clone(),
        date: release.date,
        chapters,
        total,
        next,
    };
    let next = value.next.clone();
    Ok(with_next_link(
        json_answer(&headers, &value, Caching::Revalidate),
        next.as_deref(),
    ))
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/chapters/{id}", tag = "read",
    params(("manual" = String, Path, description = "The manual's id"),
        ("id" = String, Path, description = "The chapter's id"),
        ("at" = Option<NaiveDate>, Query, description = "As in force on this date [default: today]"),
        ("release" = Option<String>, Query, description = "As this release fixed it")),
    responses((status = 200, description = "The chapter; at a named release in force, immutable (strong ETag)", body = ChapterJson),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such manual, release or chapter", body = ErrorJson),
        (status = 400, description = "A bad date", body = ErrorJson)))]
pub(super) async fn chapter(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let at = date_param(&params, "at")?;
    let named = param(&params, "release").is_some();
    let (value, caching) = state
        .run(move |app| {
            let release = app.resolve_release(&manual, at, param(&params, "release"))?;
            let version = app.chapter_at(&manual, &release, &id)?.ok_or_else(|| {
                AppError::UnknownChapter {
                    manual: manual.clone(),
                    id: id.chars().take(80).collect(),
                    release: release.name.clone(),
                }
            })?;
            // A chapter at a named release in force never changes.
            let caching = if named && release.in_force_on(app.today()) {
                Caching::Immutable
            } else {
                Caching::Revalidate
            };
            let c = &version.chapter;
            let value = ChapterJson {
                manual,
                chapter: ChapterFields::of_chapter(c),
                review_due: c.review_due,
                markdown: c.body.clone(),
                html: version.rendered.html.clone(),
                release: release.name.clone(),
                date: release.date,
                revision: release.revision.clone(),
                chapter_revision: version.blob.clone(),
            };
            Ok((value, caching))
        })
        .await?;
    Ok(json_answer(&headers, &value, caching))
}

/// A JSON answer with a strong ETag (its hash): 304 when the client has it already.
fn json_answer(headers: &HeaderMap, value: &impl Serialize, caching: Caching) -> Response {
    let body = serde_json::to_vec(value).expect("JSON serialises");
    cached(headers, "application/json", body, caching)
}

#[utoipa::path(get, path = "/api/v1/search", tag = "read",
    params(("q" = String, Query, pattern = "[A-Za-z0-9]", description = "Words, \"quoted phrases\" or acronyms: at least one letter or digit"),
        ("manual" = Option<String>, Query, description = "Only this manual"),
        ("at" = Option<NaiveDate>, Query, description = "The procedures as they stood on this date [default: today]"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Hits [default: search.default_limit]")),
    responses((status = 200, description = "The best hits, with counts per manual", body = SearchResults),
        (status = 400, description = "An empty query, a bad date or limit", body = ErrorJson),
        (status = 404, description = "No such manual", body = ErrorJson)))]
pub(super) async fn search(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, WebError> {
    let query = param(&params, "q").unwrap_or_default().to_owned();
    let manual = param(&params, "manual").map(manual_id).transpose()?;
    let at = date_param(&params, "at")?;
    let limit = param(&params, "limit")
        .map(crate::search::parse_limit)
        .transpose()
        .map_err(WebError::bad_request)?
        .unwrap_or(state.search_limit);
    let today = state.today();
    let value = state
        .search(move |index| {
            if let Some(m) = &manual
                && !index.knows_manual(m.as_str())
            {
                return Err(AppError::UnknownManual(m.to_string()));
            }
            let results = index.search(&SearchRequest {
                query,
                manual,
                at: at.unwrap_or(today),
                limit,
            })?;
            Ok(serde_json::to_value(results).expect("results serialise"))
        })
        .await?;
    Ok(Json(value))
}
