//! Signing in with a one-time link, asking for one by email, and signing out.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::letters::signin_letter;
use super::{COOKIE, Fields, html, no_store, refusal, see_other, session, session_token, writer};
use crate::db::{SigninRefused, SigninRequest};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Params, param};
use crate::web::site::Site;

#[derive(Template)]
#[template(path = "edit/signin.html")]
struct SigninPage {
    site: Site,
    signed_in_as: Option<String>,
    sent: bool,
}

/// `GET /signin`: the form asking for a link; `GET /signin?token=…` signs in with one.
pub async fn signin(
    State(state): State<AppState>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = param(&params, "token") {
        return sign_in(&state, token.to_owned()).await;
    }
    let signed_in_as = match session(&state, &headers).await {
        Ok(s) => s.map(|s| s.editor.name),
        Err(e) => return e.into_response(),
    };
    let page = SigninPage {
        site: Site::plain(),
        signed_in_as,
        sent: false,
    };
    html(StatusCode::OK, page.render())
}

async fn sign_in(state: &AppState, token: String) -> Response {
    let secure = state.app.config().server.public_url.starts_with("https://");
    let opened = state
        .run_raw(move |app| -> Result<_, PageError> { Ok(app.db()?.sign_in(&token)?) })
        .await
        .map_err(PageError::from)
        .and_then(|r| r);
    match opened {
        Ok(Ok((cookie, session))) => {
            tracing::info!(editor = %session.editor.name, "signed in");
            metrics::counter!("chapterhouse_editor_signins_total", "result" => "signed_in")
                .increment(1);
            let mut response = see_other("/edit");
            let value = format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{}",
                cookie.as_str(),
                if secure { "; Secure" } else { "" }
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Err(refused)) => {
            metrics::counter!("chapterhouse_editor_signins_total", "result" => "refused")
                .increment(1);
            let (status, heading, paragraph) = match refused {
                SigninRefused::Used => (
                    StatusCode::FORBIDDEN,
                    "This sign-in link has been used",
                    "A sign-in link works once. Ask for a new one below, or from the partnership's business office.",
                ),
                SigninRefused::Expired => (
                    StatusCode::FORBIDDEN,
                    "This sign-in link has expired",
                    "A sign-in link works for 24 hours. Ask for a new one.",
                ),
                SigninRefused::Unknown => (
                    StatusCode::BAD_REQUEST,
                    "This is not a sign-in link",
                    "The link is not one chapterhouse made, or it was cut short when it was copied. Ask for a new one.",
                ),
            };
            refusal(status, heading, paragraph)
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /signin` with `email`: emails a link to an editor with that address. The answer
/// is the same whether or not the address is known, and comes before the email is sent.
pub async fn request_link(State(state): State<AppState>, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    let email = fields.get("email").to_owned();
    let asked = state
        .run_raw(move |app| -> Result<_, PageError> {
            let request = app.db()?.request_signin_link(&email)?;
            Ok((request, app.links()))
        })
        .await;
    match asked {
        Ok(Ok((SigninRequest::Send(editor, token), links))) => {
            let link = links.page(&format!("/signin?token={}", token.as_str()));
            let letter = signin_letter(&editor, &link);
            let mailer = state.mailer.clone();
            tokio::spawn(async move {
                if let Err(e) = mailer.send(&letter).await {
                    tracing::error!(editor = %editor.name, error = %e.reason, "the sign-in link could not be sent");
                }
            });
        }
        Ok(Ok((SigninRequest::Nothing, _))) => {}
        Ok(Err(e)) => return e.into_response(),
        Err(e) => return PageError::from(e).into_response(),
    }
    let page = SigninPage {
        site: Site::plain(),
        signed_in_as: None,
        sent: true,
    };
    html(StatusCode::OK, page.render())
}

/// `POST /signout`: ends the session and forgets the cookie.
pub async fn signout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = writer(&state, &headers, &body).await {
        return refused;
    }
    let Some(token) = session_token(&headers) else {
        return see_other("/signin");
    };
    if let Err(e) = state
        .run_raw(move |app| -> Result<_, PageError> { Ok(app.db()?.end_session(&token)?) })
        .await
        .map_err(PageError::from)
        .and_then(|r| r)
    {
        return e.into_response();
    }
    let mut response = see_other("/signin");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "chapterhouse_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        ),
    );
    no_store(response)
}
