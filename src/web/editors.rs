//! The editors' side of the JSON API (SPEC §7): Bearer tokens, chapter writes guarded by
//! `If-Match`, the draft preview, and publishing.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use headers::authorization::Bearer;
use headers::{Authorization, ETag, HeaderMapExt, IfMatch, IfNoneMatch};

use super::api::manual_id;
use super::http::{Caching, Params};
use super::shapes::{ChapterFields, DraftChapterJson, ErrorJson, PublishRequest, PublishedJson};
use super::{AppState, WebError};
use crate::app::Written;
use crate::app::{BasedOn, ChapterEdit, Chapterhouse, EditError, Precondition, ReleasePlan};
use crate::content::{ChapterId, ManualId, ReleaseName};
use crate::db::{Editor, Role};
use crate::notice::NoticeJson;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manuals/{manual}/draft", get(draft))
        .route("/manuals/{manual}/draft/chapters/{id}", get(draft_chapter))
        .route(
            "/manuals/{manual}/chapters/{id}",
            put(put_chapter).delete(delete_chapter),
        )
        .route("/manuals/{manual}/releases", axum::routing::post(publish))
}

/// The bearer token of a request (`Authorization: Bearer <token>`).
fn bearer(headers: &HeaderMap) -> Result<String, WebError> {
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(WebError::unauthorized(
            "this needs an editor's token: send Authorization: Bearer <token>",
            false,
        ));
    }
    match headers.typed_try_get::<Authorization<Bearer>>() {
        Ok(Some(auth)) if !auth.token().trim().is_empty() => Ok(auth.token().trim().to_owned()),
        _ => Err(WebError::unauthorized(
            "use Authorization: Bearer <token>, with a token from `chapterhouse editors add`",
            true,
        )),
    }
}

/// A typed header, read leniently: entity tags sent bare (`If-Match: 3f2a…`, as some
/// clients send a revision) are read as if quoted. Anything else that is neither `*` nor
/// entity tags is refused, rather than read as a revision that never matches.
fn entity_tags<H: headers::Header>(headers: &HeaderMap, name: &str) -> Result<Option<H>, WebError> {
    let unreadable = || {
        WebError::bad_request(format!(
            "the {name} header is not readable: send \"*\" or quoted revisions"
        ))
    };
    let mut quoted = HeaderMap::new();
    for value in headers.get_all(H::name()) {
        let text = value.to_str().map_err(|_| unreadable())?;
        let tags: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                if t == "*" || t.starts_with('"') || t.starts_with("W/") {
                    t.to_owned()
                } else {
                    format!("\"{t}\"")
                }
            })
            .collect();
        let readable = match tags.as_slice() {
            [any] if any == "*" => true,
            tags => tags.iter().all(|t| t.parse::<ETag>().is_ok()),
        };
        if !readable {
            return Err(unreadable());
        }
        let value = HeaderValue::from_str(&tags.join(", ")).map_err(|_| unreadable())?;
        quoted.append(H::name(), value);
    }
    quoted.typed_try_get::<H>().map_err(|_| unreadable())
}

/// What a write requires of the chapter, from `If-Match` and `If-None-Match` (RFC 9110:
/// `If-Match: *` means "it exists", `If-None-Match: *` means "create only").
fn precondition(headers: &HeaderMap) -> Result<Precondition, WebError> {
    let if_match: Option<IfMatch> = entity_tags(headers, "If-Match")?;
    let if_none_match: Option<IfNoneMatch> = entity_tags(headers, "If-None-Match")?;
    Ok(match (if_match, if_none_match) {
        (Some(m), _) if m.is_any() => Precondition::Exists,
        (Some(m), _) => Precondition::Matches(BasedOn::new(move |tag| {
            format!("\"{tag}\"")
                .parse::<ETag>()
                .is_ok_and(|etag| m.precondition_passes(&etag))
        })),
        (None, Some(n)) if n == IfNoneMatch::any() => Precondition::Absent,
        (None, Some(_)) => {
            return Err(WebError::bad_request(
                "a write takes If-None-Match: * (create only) or If-Match with the revision it is based on",
            ));
        }
        (None, None) => Precondition::Unstated,
    })
}

/// The editor behind a token, who must hold at least `role`.
fn authorise(app: &Chapterhouse, token: &str, role: Role) -> Result<Editor, WebError> {
    let editor = app
        .db()?
        .editor_for_token(token)?
        .ok_or_else(|| WebError::unauthorized("this token is unknown or has been revoked", true))?;
    if editor.role < role {
        return Err(WebError::forbidden(format!(
            "this needs the {role} role; {} is an {}",
            editor.name, editor.role
        )));
    }
    Ok(editor)
}

/// Checks the token before anything the request sends is read: a stranger learns nothing
/// from the validation of their input (401/403 come before 4xx about the body).
async fn authenticate(state: &AppState, headers: &HeaderMap, role: Role) -> Result<(), WebError> {
    let token = bearer(headers)?;
    state
        .run_raw(move |app| authorise(app, &token, role).map(drop))
        .await?
}

/// Runs an editor's request: the token is checked on the same turn as the work.
async fn as_editor<T: Send + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    role: Role,
    work: impl FnOnce(&Chapterhouse, Editor) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let token = bearer(headers)?;
    state
        .run_raw(move |app| {
            let editor = authorise(app, &token, role)?;
            work(app, editor)
        })
        .await?
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/draft", tag = "editors",
    security(("bearer" = [])),
    params(("manual" = String, Path, description = "The manual's id"),
        ("cursor" = Option<String>, Query, description = "Where this window starts: the `next` of the window before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Entries in this window [default and at most: 1000]")),
    responses((status = 200, description = "The draft against the latest release", body = NoticeJson),
        (status = 401, description = "No token, or one that does not work", body = ErrorJson),
        (status = 403, description = "The editor's role may not do this", body = ErrorJson),
        (status = 404, description = "No such manual", body = ErrorJson),
        (status = 400, description = "A cursor this list did not give, or a limit out of range", body = ErrorJson)))]
pub(super) async fn draft(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    authenticate(&state, &headers, Role::Editor).await?;
    let manual = manual_id(&manual)?;
    let path = format!("/api/v1/manuals/{manual}/draft");
    let notice = as_editor(&state, &headers, Role::Editor, move |app, _| {
        Ok(app.draft_notice(&manual)?)
    })
    .await?;
    super::api::notice_answer(&headers, &notice, &params, &path, &[], Caching::Revalidate)
}

#[utoipa::path(get, path = "/api/v1/manuals/{manual}/draft/chapters/{id}", tag = "editors",
    security(("bearer" = [])),
    params(("manual" = String, Path, description = "The manual's id"),
        ("id" = String, Path, description = "The chapter's id")),
    responses((status = 200, description = "The chapter as the draft holds it; its ETag is its revision", body = DraftChapterJson),
        (status = 401, description = "No token, or one that does not work", body = ErrorJson),
        (status = 403, description = "The editor's role may not do this", body = ErrorJson),
        (status = 404, description = "No such manual or chapter", body = ErrorJson)))]
pub(super) async fn draft_chapter(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    authenticate(&state, &headers, Role::Editor).await?;
    let manual = manual_id(&manual)?;
    as_editor(&state, &headers, Role::Editor, move |app, _| {
        let (chapter, blob, head) = app.draft_chapter(&manual, &id)?.ok_or_else(|| {
            WebError::from(EditError::UnknownChapter(id.chars().take(80).collect()))
        })?;
        let body = DraftChapterJson {
            manual,
            chapter: ChapterFields::of_chapter(&chapter),
            markdown: chapter.body,
            revision: blob.clone(),
            commit: head.as_str().to_owned(),
        };
        Ok(with_etag(StatusCode::OK, &blob, Json(body)))
    })
    .await
}

fn with_etag(status: StatusCode, revision: &str, body: impl IntoResponse) -> Response {
    let mut response = (status, body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{revision}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

#[utoipa::path(put, path = "/api/v1/manuals/{manual}/chapters/{id}", tag = "editors",
    security(("bearer" = [])),
    params(("manual" = String, Path, description = "The manual's id"),
        ("id" = String, Path, description = "The chapter's id"),
        ("If-Match" = Option<String>, Header, description = "The revision the text was based on; `*` for any; none to create")),
    request_body(content = String, content_type = "text/markdown", description = "The chapter file: front matter and Markdown"),
    responses((status = 200, description = "Saved in the draft", body = Written),
        (status = 201, description = "Created in the draft", body = Written),
        (status = 401, description = "No token, or one that does not work", body = ErrorJson),
        (status = 403, description = "The editor's role may not do this", body = ErrorJson),
        (status = 412, description = "The chapter changed since that revision", body = ErrorJson),
        (status = 422, description = "The file breaks the content rules", body = ErrorJson)))]
pub(super) async fn put_chapter(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    authenticate(&state, &headers, Role::Editor).await?;
    let manual = manual_id(&manual)?;
    let precondition = precondition(&headers)?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| WebError::unprocessable(format!("{manual}/{id}.md: not UTF-8 text")))?;
    write(state, headers, manual, id, Some(text), precondition).await
}

#[utoipa::path(delete, path = "/api/v1/manuals/{manual}/chapters/{id}", tag = "editors",
    security(("bearer" = [])),
    params(("manual" = String, Path, description = "The manual's id"),
        ("id" = String, Path, description = "The chapter's id"),
        ("If-Match" = Option<String>, Header, description = "The revision last read")),
    responses((status = 200, description = "Deleted from the draft", body = Written),
        (status = 401, description = "No token, or one that does not work", body = ErrorJson),
        (status = 403, description = "The editor's role may not do this", body = ErrorJson),
        (status = 404, description = "No such chapter", body = ErrorJson),
        (status = 412, description = "The chapter changed since that revision", body = ErrorJson)))]
pub(super) async fn delete_chapter(
    State(state): State<AppState>,
    Path((manual, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    authenticate(&state, &headers, Role::Editor).await?;
    let manual = manual_id(&manual)?;
    let precondition = precondition(&headers)?;
    write(state, headers, manual, id, None, precondition).await
}

async fn write(
    state: AppState,
    headers: HeaderMap,
    manual: ManualId,
    id: String,
    text: Option<String>,
    precondition: Precondition,
) -> Result<Response, WebError> {
    // A saved chapter is in the draft only, which readers' pages never show: the kept
    // pages stay valid until a release is published.
    as_editor(&state, &headers, Role::Editor, move |app, editor| {
        let written = app.edit_chapter(&ChapterEdit {
            manual,
            id,
            text,
            precondition,
            author: editor.author(),
        })?;
        let status = if written.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let body = Json(serde_json::to_value(&written).expect("written serialises"));
        Ok(match &written.revision {
            Some(revision) => with_etag(status, revision, body),
            None => (status, body).into_response(),
        })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/manuals/{manual}/releases", tag = "editors",
    security(("bearer" = [])),
    params(("manual" = String, Path, description = "The manual's id")),
    request_body(content = PublishRequest, content_type = "application/json"),
    responses((status = 201, description = "Published, with its notice", body = PublishedJson),
        (status = 401, description = "No token, or one that does not work", body = ErrorJson),
        (status = 403, description = "The editor's role may not do this", body = ErrorJson),
        (status = 409, description = "The release exists, or nothing reportable changed", body = ErrorJson),
        (status = 422, description = "A bad name, date or note", body = ErrorJson)))]
pub(super) async fn publish(
    State(state): State<AppState>,
    Path(manual): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    authenticate(&state, &headers, Role::Publisher).await?;
    let manual = manual_id(&manual)?;
    let request: PublishRequest = serde_json::from_slice(&body).map_err(|e| {
        WebError::unprocessable(format!(
            "the request must be JSON {{\"name\": \"2024-05\", \"date\": \"2024-05-01\", \"notes\": {{\"chapter-id\": \"note\"}}}}: {e}"
        ))
    })?;
    let name: ReleaseName = request
        .name
        .parse()
        .map_err(|e: crate::content::InvalidId| WebError::unprocessable(e.to_string()))?;
    let date = request
        .date
        .as_deref()
        .map(crate::content::parse_date)
        .transpose()
        .map_err(|e| WebError::unprocessable(format!("date: {e}")))?;
    let mut notes = BTreeMap::new();
    for (id, note) in request.notes {
        let id: ChapterId = id.parse().map_err(|e: crate::content::InvalidId| {
            WebError::unprocessable(format!("notes: {e}"))
        })?;
        notes.insert(id, note.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    let body = as_editor(&state, &headers, Role::Publisher, move |app, editor| {
        let plan = ReleasePlan { name, date, notes };
        let release = app.publish_direct(&manual, &plan, &editor)?;
        let notice = app.release_notice(&manual, &release)?;
        Ok(PublishedJson {
            scheduled: !release.in_force_on(app.today()),
            manual,
            name: release.name,
            date: release.date,
            revision: release.revision,
            notice: notice.to_json(),
        })
    })
    .await;
    state.written();
    Ok((StatusCode::CREATED, Json(body?)).into_response())
}
