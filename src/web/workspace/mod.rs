//! The editors' workspace (SPEC §7a): HTML forms for signing in, editing chapters,
//! reviewing and publishing releases, and the activity of a manual. It shares the JSON
//! API's implementation of editing and publishing (the application's publisher and
//! review); here are only the session, the forms and their pages.
//!
//! A session is a cookie holding a random token (only its hash is stored); every form that
//! changes something carries the session's CSRF token, checked before anything is done.
//! Workspace pages are never cached.

mod chapters;
mod delete;
mod form;
mod letters;
mod overview;
mod reads;
mod release;
mod reviews;
mod signin;
mod steps;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use headers::HeaderMapExt;

use super::AppState;
use super::error::PageError;
use crate::db::Session;
use crate::tokens::same;

pub use form::Fields;

/// The session cookie's name.
const COOKIE: &str = "chapterhouse_session";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin", get(signin::signin).post(signin::request_link))
        .route("/signout", post(signin::signout))
        .route("/edit", get(overview::manuals))
        .route("/edit/manuals/{manual}", get(overview::manual))
        .route("/edit/manuals/{manual}/activity", get(overview::activity))
        .route(
            "/edit/manuals/{manual}/reviews",
            get(reviews::page).post(reviews::mark_reviewed),
        )
        .route("/edit/manuals/{manual}/reads", get(reads::list))
        .route(
            "/edit/manuals/{manual}/reads/{release}",
            get(reads::release),
        )
        .route(
            "/edit/manuals/{manual}/reads/{release}/download",
            get(reads::download),
        )
        .route(
            "/edit/manuals/{manual}/chapters/new",
            get(chapters::new_form).post(chapters::create),
        )
        .route(
            "/edit/manuals/{manual}/chapters/{id}",
            get(chapters::edit_form).post(chapters::save),
        )
        .route(
            "/edit/manuals/{manual}/chapters/{id}/delete",
            get(delete::delete_form).post(delete::delete),
        )
        .route(
            "/edit/manuals/{manual}/release",
            get(release::page).post(steps::act),
        )
}

/// What every workspace page shows beside the site's frame: who is signed in, and the
/// session's CSRF token (for the sign-out button and the page's forms).
pub struct Desk {
    pub editor: String,
    pub role: String,
    pub csrf: String,
}

impl Desk {
    fn of(session: &Session) -> Desk {
        Desk {
            editor: session.editor.name.clone(),
            role: session.editor.role.to_string(),
            csrf: session.csrf.clone(),
        }
    }
}

/// The session cookie's token in a request.
fn session_token(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.typed_get::<headers::Cookie>()?;
    cookies
        .get(COOKIE)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .map(str::to_owned)
}

/// The signed-in editor of a request, if any.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, PageError> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    state
        .run_raw(move |app| -> Result<_, PageError> { Ok(app.db()?.session(&token)?) })
        .await
        .map_err(PageError::from)?
}

/// A page for signed-in editors: without a session, the answer is a redirect to sign in.
async fn reader(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    match session(state, headers).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(see_other("/signin")),
        Err(e) => Err(e.into_response()),
    }
}

/// A form sent by a signed-in editor, with the right CSRF token; anything else is refused
/// (403) before any work is done.
async fn writer(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Session, Fields), Response> {
    let session = match session(state, headers).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "You are not signed in",
                "Your session has ended or was never opened. Sign in again, then send the form again.",
            ));
        }
        Err(e) => return Err(e.into_response()),
    };
    let fields = Fields::parse(body);
    if !same(fields.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "This form cannot be accepted",
            "The form did not carry this session's security token (it may be from an old page or another site). Nothing was changed: reload the page and try again.",
        ));
    }
    Ok((session, fields))
}

/// A signed-in editor's view of a manual's page.
async fn viewing(
    state: &AppState,
    headers: &HeaderMap,
    manual: &str,
) -> Result<(Session, crate::content::ManualId), Response> {
    let session = reader(state, headers).await?;
    let manual = manual_id(manual).map_err(IntoResponse::into_response)?;
    Ok((session, manual))
}

/// A form sent about a manual by a signed-in editor, with the right CSRF token.
async fn posting(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    manual: &str,
) -> Result<(Session, Fields, crate::content::ManualId), Response> {
    let (session, fields) = writer(state, headers, body).await?;
    let manual = manual_id(manual).map_err(IntoResponse::into_response)?;
    Ok((session, fields, manual))
}

/// A manual named in a workspace address.
fn manual_id(text: &str) -> Result<crate::content::ManualId, PageError> {
    text.parse().map_err(|_| {
        PageError::not_found("Manual not found", "There is no manual at this address.")
    })
}

/// Runs page work on the application; its refusals become pages.
async fn work(
    state: &AppState,
    job: impl FnOnce(&crate::app::Chapterhouse) -> Result<Response, PageError> + Send + 'static,
) -> Response {
    match state.run_raw(job).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => e.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// A refusal page, with a way back to the workspace.
fn refusal(status: StatusCode, heading: &str, paragraph: &str) -> Response {
    let mut page = PageError::not_found(heading, paragraph)
        .links(vec![
            ("/edit".into(), "The editors' workspace".into()),
            ("/signin".into(), "Sign in".into()),
        ])
        .into_response();
    *page.status_mut() = status;
    page
}

/// 303 See Other: where a form sends the browser next.
fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    no_store(response)
}

/// A workspace answer: for this editor only, never kept.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A workspace page with its status.
fn html(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(html) => no_store((status, axum::response::Html(html)).into_response()),
        Err(e) => PageError::from(e).into_response(),
    }
}
