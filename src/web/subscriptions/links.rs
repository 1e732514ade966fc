//! The links in subscribers' emails: confirming, managing, rotating and unsubscribing.
//! Each works without an account, by its token; a token that belongs to nothing says so.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{SubscribePage, failed, first, form, message, private};
use crate::db::Frequency;
use crate::web::http::page_with_status;
use crate::web::site::Site;
use crate::web::{AppState, WebError};

pub(super) fn gone_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "This link no longer works",
        &[
            "The subscription it belonged to has ended, or the link was mistyped. You can subscribe again at any time.",
        ],
        None,
    )
}

type Params = Query<HashMap<String, String>>;

fn token(params: &HashMap<String, String>) -> String {
    params.get("token").cloned().unwrap_or_default()
}

pub(super) async fn confirm(State(state): State<AppState>, Query(params): Params) -> Response {
    let token = token(&params);
    let confirmed = state
        .run_raw(move |app| -> Result<bool, WebError> { Ok(app.db()?.confirm(&token)?.is_some()) })
        .await;
    match confirmed {
        Ok(Ok(true)) => message(
            StatusCode::OK,
            "Your subscription is confirmed",
            &[
                "You will receive the updates you chose. Every email has a link to change them or to unsubscribe.",
            ],
            None,
        ),
        Ok(Ok(false)) => message(
            StatusCode::NOT_FOUND,
            "This confirmation link no longer works",
            &[
                "It has expired, was used already, or was mistyped. Subscribe again to get a new one.",
            ],
            None,
        ),
        Ok(Err(e)) | Err(e) => failed(e),
    }
}

pub(super) async fn manage(State(state): State<AppState>, Query(params): Params) -> Response {
    let token = token(&params);
    let titles = match state.manual_titles().await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let found = state
        .run_raw({
            let token = token.clone();
            move |app| -> Result<_, WebError> { Ok(app.db()?.subscriber_for_token(&token)?) }
        })
        .await;
    let subscriber = match found {
        Ok(Ok(Some(s))) => s,
        Ok(Ok(None)) => return gone_link(),
        Ok(Err(e)) | Err(e) => return failed(e),
    };
    let html = SubscribePage {
        site: Site::plain(),
        email: subscriber.email.clone(),
        manuals: titles
            .iter()
            .map(|(id, t)| {
                (
                    id.clone(),
                    t.clone(),
                    !subscriber.all_manuals && subscriber.follows(id),
                )
            })
            .collect(),
        immediate: subscriber.frequency == Frequency::Immediate,
        token: Some(token),
        button: "Save my choices",
    }
    .render();
    match html {
        Ok(html) => private(page_with_status(StatusCode::OK, html)),
        Err(e) => failed(WebError::internal(e.to_string())),
    }
}

/// The link in an email's footer: a page with the one button (mail scanners follow links;
/// they do not press buttons).
pub(super) async fn unsubscribe_page(Query(params): Params) -> Response {
    let token = token(&params);
    let action = format!(
        "/unsubscribe?token={}",
        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    );
    message(
        StatusCode::OK,
        "Unsubscribe from the procedure updates",
        &["Press the button and no further updates will be sent to you."],
        Some((action, "Unsubscribe".into())),
    )
}

/// RFC 8058 one-click unsubscribe, and the button above: immediate and idempotent.
pub(super) async fn unsubscribe(State(state): State<AppState>, Query(params): Params) -> Response {
    let token = token(&params);
    let done = state
        .run_raw(move |app| -> Result<bool, WebError> { Ok(app.db()?.unsubscribe(&token)?) })
        .await;
    match done {
        Ok(Ok(false)) => gone_link(),
        Ok(Ok(true)) => message(
            StatusCode::OK,
            "You are unsubscribed",
            &[
                "No further updates will be sent to this address. You can subscribe again at any time.",
            ],
            None,
        ),
        Ok(Err(e)) | Err(e) => failed(e),
    }
}

/// `POST /subscriptions/rotate` with the manage page's token: new links, the old ones end.
pub(super) async fn rotate(State(state): State<AppState>, body: Bytes) -> Response {
    let token = first(&form(&body), "token");
    let rotated = state
        .run_raw(move |app| -> Result<Option<String>, WebError> {
            let db = app.db()?;
            let Some(subscriber) = db.subscriber_for_token(&token)? else {
                return Ok(None);
            };
            let fresh = db.rotate_subscriber_token(subscriber.id)?;
            Ok(Some(app.links().page(&format!(
                "/subscriptions/manage?token={}",
                fresh.as_str()
            ))))
        })
        .await;
    match rotated {
        Ok(Ok(Some(link))) => message(
            StatusCode::OK,
            "New links made",
            &[
                "The links in the emails you received before no longer work. Keep this link to change what you receive or to unsubscribe; every email from now on carries the new links:",
                &link,
            ],
            None,
        ),
        Ok(Ok(None)) => gone_link(),
        Ok(Err(e)) | Err(e) => failed(e),
    }
}
