//! The read side of the JSON API under `/api/v1` (SPEC §7), over the application.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

use super::{AppState, WebError};
use crate::app::AppError;
use crate::content::{ManualId, markdown};
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

type Params = Query<HashMap<String, String>>;

fn manual_id(text: &str) -> Result<ManualId, WebError> {
    text.parse()
        .map_err(|_| WebError::from(AppError::UnknownManual(text.chars().take(80).collect())))
}

/// A query parameter; an empty one counts as absent (`?at=` from an empty form field).
fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn date_param(params: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, WebError> {
    match param(params, name) {
        None => Ok(None),
        Some(text) => crate::cli::parse_date(text)
            .map(Some)
            .map_err(|e| WebError::bad_request(format!("{name}: {e}"))),
    }
}

/// `/healthz`: the server answers and its store can be read.
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, WebError> {
    let manuals = state
        .run(|app| Ok(app.store().released_manuals()?.len()))
        .await?;
    Ok(Json(json!({ "status": "ok", "manuals": manuals })))
}

/// Anything else: a helpful 404.
pub async fn not_found() -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(
            json!({ "error": "no such page; the API lives under /api/v1 (start with /api/v1/manuals)" }),
        ),
    )
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
}

fn release_json(r: &Release, today: NaiveDate) -> Value {
    serde_json::to_value(ReleaseJson {
        name: r.name.as_str(),
        date: r.date,
        scheduled: !r.in_force_on(today),
        revision: r.revision.as_str(),
        notes: &r.notes,
    })
    .expect("release serialises")
}

async fn releases(
    State(state): State<AppState>,
    Path(manual): Path<String>,
) -> Result<Json<Value>, WebError> {
    let manual = manual_id(&manual)?;
    let list = state
        .run(move |app| {
            let today = app.today();
            Ok(app
                .releases(&manual)?
                .iter()
                .map(|r| release_json(r, today))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Json(Value::Array(list)))
}

async fn release(
    State(state): State<AppState>,
    Path((manual, release)): Path<(String, String)>,
) -> Result<Json<Value>, WebError> {
    let manual = manual_id(&manual)?;
    let notice = state
        .run(move |app| app.notice(&manual, None, Some(&release)))
        .await?;
    Ok(Json(notice.to_json()))
}

async fn diff(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, WebError> {
    let manual = manual_id(&manual)?;
    let notice = state
        .run(move |app| app.notice(&manual, param(&params, "from"), param(&params, "to")))
        .await?;
    Ok(Json(notice.to_json()))
}

async fn chapters(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, WebError> {
    let manual = manual_id(&manual)?;
    let at = date_param(&params, "at")?;
    let value = state
        .run(move |app| {
            let release = app.resolve_release(&manual, at, param(&params, "release"))?;
            let snapshot = app.contents(&manual, &release)?;
            let chapters: Vec<Value> = snapshot
                .chapters
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id, "title": c.title, "kind": c.kind, "url": c.url,
                        "section": c.section, "tags": c.tags,
                    })
                })
                .collect();
            Ok(json!({
                "manual": manual, "title": snapshot.info.title,
                "release": release.name, "date": release.date, "chapters": chapters,
            }))
        })
        .await?;
    Ok(Json(value))
}

async fn chapter(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    Query(params): Params,
) -> Result<Json<Value>, WebError> {
    let manual = manual_id(&manual)?;
    let at = date_param(&params, "at")?;
    let value = state
        .run(move |app| {
            let release = app.resolve_release(&manual, at, param(&params, "release"))?;
            let snapshot = app.contents(&manual, &release)?;
            let chapter = snapshot
                .chapters
                .into_iter()
                .find(|c| c.id.as_str() == id)
                .ok_or_else(|| AppError::UnknownChapter {
                    manual: manual.clone(),
                    id: id.chars().take(80).collect(),
                    release: release.name.clone(),
                })?;
            let html = markdown::to_html(&chapter.body);
            Ok(json!({
                "manual": manual, "id": chapter.id, "title": chapter.title, "kind": chapter.kind,
                "url": chapter.url, "section": chapter.section, "tags": chapter.tags,
                "review_due": chapter.review_due, "markdown": chapter.body, "html": html,
                "release": release.name, "date": release.date, "revision": release.revision,
            }))
        })
        .await?;
    Ok(Json(value))
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
        .map_err(WebError::bad_request)?;
    let value = state
        .run(move |app| {
            let at = at.unwrap_or_else(|| app.today());
            let limit = limit.unwrap_or(app.config().search.default_limit);
            let results = app.search(&SearchRequest {
                query,
                manual,
                at,
                limit,
            })?;
            Ok(serde_json::to_value(results).expect("results serialise"))
        })
        .await?;
    Ok(Json(value))
}
