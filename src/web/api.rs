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
use super::{AppState, WebError};
use crate::app::AppError;
use crate::content::ManualId;
use crate::search::SearchRequest;
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
/// answer, with the mail transport in use; 503 when one does not.
pub async fn ready(State(state): State<AppState>) -> Response {
    let mail = state.mailer.describe();
    let checked = state.run_raw(|app| app.readiness()).await;
    let (status, body) = match checked {
        Ok(r) => {
            let ready = r.ready();
            let body = json!({
                "status": if ready { "ready" } else { "not ready" },
                "store": r.store,
                "index": r.index,
                "database": r.database,
                "mail": {"ok": true, "detail": mail},
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

async fn manuals(State(state): State<AppState>) -> Result<Json<Value>, WebError> {
    let list = state.run(|app| app.manual_summaries()).await?;
    Ok(Json(serde_json::to_value(list).expect("manuals serialise")))
}

#[derive(Serialize)]
struct ReleaseJson<'a> {
    name: &'a str,
    date: NaiveDate,
    scheduled: bool,
    revision: &'a str,
    notes: &'a std::collections::BTreeMap<crate::content::ChapterId, String>,
    /// Who agreed it, for releases reviewed in the workspace (evidence for audits).
    proposed_by: Option<&'a str>,
    approved_by: &'a [String],
    published_by: &'a str,
}

fn release_json(r: &Release, today: NaiveDate, record: Option<&ReleaseRecord>) -> Value {
    // Releases published outside the workspace name their publisher in the tag.
    let tagger = r.publisher.split(" <").next().unwrap_or(&r.publisher);
    serde_json::to_value(ReleaseJson {
        name: r.name.as_str(),
        date: r.date,
        scheduled: !r.in_force_on(today),
        revision: r.revision.as_str(),
        notes: &r.notes,
        proposed_by: record.and_then(|r| r.proposed_by.as_deref()),
        approved_by: record.map_or(&[], |r| r.approved_by.as_slice()),
        published_by: record
            .and_then(|r| r.published_by.as_deref())
            .unwrap_or(tagger),
    })
    .expect("release serialises")
}

async fn releases(
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
    Ok(json_answer(
        &headers,
        &Value::Array(list),
        Caching::Revalidate,
    ))
}

async fn release(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let notice = state
        .run(move |app| {
            let release = app.resolve_release(&manual, None, Some(&release))?;
            app.release_notice(&manual, &release)
        })
        .await?;
    Ok(json_answer(
        &headers,
        &notice.to_json(),
        Caching::Revalidate,
    ))
}

async fn diff(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let notice = state
        .run(move |app| app.notice(&manual, param(&params, "from"), param(&params, "to")))
        .await?;
    Ok(json_answer(
        &headers,
        &notice.to_json(),
        Caching::Revalidate,
    ))
}

async fn chapters(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let manual = manual_id(&manual)?;
    let at = date_param(&params, "at")?;
    let value = state
        .run(move |app| {
            let release = app.resolve_release(&manual, at, param(&params, "release"))?;
            let contents = app.contents_at(&manual, &release)?;
            let chapters: Vec<Value> = contents
                .entries
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id, "title": c.title, "kind": c.kind, "url": c.url,
                        "section": c.section, "tags": c.tags, "revision": c.blob,
                    })
                })
                .collect();
            Ok(json!({
                "manual": manual, "title": contents.info.title,
                "release": release.name, "date": release.date, "chapters": chapters,
            }))
        })
        .await?;
    Ok(json_answer(&headers, &value, Caching::Revalidate))
}

async fn chapter(
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
            let value = json!({
                "manual": manual, "id": c.id, "title": c.title, "kind": c.kind,
                "url": c.url, "section": c.section, "tags": c.tags,
                "review_due": c.review_due, "markdown": c.body, "html": version.rendered.html,
                "release": release.name, "date": release.date, "revision": release.revision,
                "chapter_revision": version.blob,
            });
            Ok((value, caching))
        })
        .await?;
    Ok(json_answer(&headers, &value, caching))
}

/// A JSON answer with a strong ETag (its hash): 304 when the client has it already.
fn json_answer(headers: &HeaderMap, value: &Value, caching: Caching) -> Response {
    let body = serde_json::to_vec(value).expect("JSON serialises");
    cached(headers, "application/json", body, caching)
}

async fn search(
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
