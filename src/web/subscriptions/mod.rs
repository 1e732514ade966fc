//! Subscribing, confirming, managing and unsubscribing (SPEC §7, §8): web pages and
//! `POST /api/v1/subscriptions`. A request answers the same whether or not the address is
//! known; nothing but the confirmation email goes to an unconfirmed address; unsubscribing
//! needs no account, works while the subscription lives, and is immediate and idempotent.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::http::page_with_status;
use super::shapes::{ErrorJson, SubscribedJson, SubscriptionRequest};
use super::site::Site;
use super::{AppState, WebError};
use crate::app::{AppError, Chapterhouse};
use crate::content::ManualId;
use crate::db::{
    Frequency, LetterError, NewSubscriber, Subscribed, SubscriberError, subscription_letter,
};
use crate::mail::Letter;

mod links;
mod reads;
use links::{confirm, gone_link, manage, rotate, unsubscribe, unsubscribe_page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subscribe", get(subscribe_page).post(subscribe_form))
        .route("/subscriptions/confirm", get(confirm))
        .route("/subscriptions/manage", get(manage))
        .route("/subscriptions/rotate", post(rotate))
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
        .route("/acknowledge", get(reads::page).post(reads::record))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/subscriptions", post(subscribe_api))
}

/// At most one subscription email (a confirmation, or a note to an address subscribed
/// already) goes to an address in this long.
const MAIL_EVERY: chrono::Duration = chrono::Duration::minutes(10);
/// A valid subscription request is answered this long after it arrived, never sooner.
const ANSWER_AFTER: std::time::Duration = std::time::Duration::from_millis(40);

/// What every subscription request is answered with.
const CHECK_YOUR_EMAIL: &str = "If the address can receive the updates, an email is on its way to it: follow the link in it to confirm. Nothing else will be sent until you do.";

#[derive(Template)]
#[template(path = "pages/subscribe.html")]
struct SubscribePage {
    site: Site,
    email: String,
    manuals: Vec<(String, String, bool)>,
    immediate: bool,
    token: Option<String>,
    button: &'static str,
}

#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage {
    site: Site,
    heading: String,
    paragraphs: Vec<String>,
    button: Option<(String, String)>,
}

fn message(
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
    button: Option<(String, String)>,
) -> Response {
    let html = MessagePage {
        site: Site::plain(),
        heading: heading.to_owned(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        button,
    }
    .render()
    .unwrap_or_else(|e| format!("<!doctype html><title>Error</title><p>{e}</p>"));
    private(page_with_status(status, html))
}

/// Pages reached by a subscriber's token are theirs alone: never kept anywhere.
fn private(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    response
}

fn failed(e: WebError) -> Response {
    message(e.status, "That could not be done", &[&e.message], None)
}

impl From<SubscriberError> for WebError {
    fn from(e: SubscriberError) -> WebError {
        match e {
            SubscriberError::Invalid(m) => WebError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            SubscriberError::Unknown(m) => WebError::new(StatusCode::NOT_FOUND, m),
            SubscriberError::Db(e) => WebError::from(AppError::from(e)),
        }
    }
}

impl From<LetterError> for WebError {
    fn from(e: LetterError) -> WebError {
        match e {
            LetterError::Subscribers(e) => WebError::from(e),
            LetterError::Template(e) => WebError::internal(e.to_string()),
        }
    }
}

/// A subscription request from the web or the API.
struct Request {
    email: String,
    manuals: Vec<String>,
    frequency: String,
}

/// Checks the manuals a request names: each must exist (an unknown one is bad input here,
/// not a missing page).
fn manuals(app: &Chapterhouse, names: &[String]) -> Result<Vec<ManualId>, WebError> {
    app.known_manuals(names).map_err(|e| match e {
        AppError::UnknownManual(_) => {
            WebError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        other => WebError::from(other),
    })
}

/// Records a request and returns the email to send (if any). The caller answers the same
/// whatever happened, once the input itself was valid.
async fn request(state: &AppState, request: Request) -> Result<(), WebError> {
    let started = tokio::time::Instant::now();
    let letter: Option<Letter> = state
        .run_raw(move |app| -> Result<Option<Letter>, WebError> {
            let manuals = manuals(app, &request.manuals)?;
            let frequency: Frequency = request.frequency.parse()?;
            let db = app.db()?;
            let outcome: Subscribed = db.subscribe(&NewSubscriber {
                email: request.email,
                manuals,
                frequency,
                confirmed: false,
            })?;
            let letter = subscription_letter(db, &app.links(), &outcome)?;
            // At most one confirmation or note per address in a while, however often
            // (and by whomever) the address is posted.
            Ok(match letter {
                Some(letter) if db.may_mail("subscription", &letter.to, MAIL_EVERY)? => {
                    Some(letter)
                }
                _ => None,
            })
        })
        .await??;
    if let Some(letter) = letter {
        let mailer = state.mailer.clone();
        // Sent after answering: the answer must not depend on whether the address exists.
        tokio::spawn(async move {
            if let Err(e) = mailer.send(&letter).await {
                tracing::warn!(letter = %letter.id, error = %e, "subscription email not sent");
            }
        });
    }
    // The same answer after the same time, whatever the address is and whatever was done.
    tokio::time::sleep_until(started + ANSWER_AFTER).await;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "subscriptions",
    request_body(content = SubscriptionRequest, content_type = "application/json"),
    responses((status = 202, description = "The same answer whether or not the address exists; a confirmation email follows", body = SubscribedJson),
        (status = 415, description = "Not JSON", body = ErrorJson),
        (status = 422, description = "A bad address, manual or frequency", body = ErrorJson),
        (status = 429, description = "Too many requests from this client (Retry-After)", body = ErrorJson)))]
pub(in crate::web) async fn subscribe_api(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, WebError> {
    let parsed: SubscriptionRequest = serde_json::from_slice(&body).map_err(|e| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the request must be JSON {{\"email\": \"...\", \"manuals\": [\"children\"], \"frequency\": \"monthly\"}}: {e}"),
        )
    })?;
    request(
        &state,
        Request {
            email: parsed.email,
            manuals: parsed.manuals,
            frequency: parsed.frequency.unwrap_or_default(),
        },
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SubscribedJson {
            status: CHECK_YOUR_EMAIL.to_owned(),
        }),
    )
        .into_response())
}

/// Form fields, repeated ones (`manual`) included.
fn form(body: &[u8]) -> HashMap<String, Vec<String>> {
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        fields
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    fields
}

fn first(fields: &HashMap<String, Vec<String>>, name: &str) -> String {
    fields
        .get(name)
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default()
}

async fn subscribe_page(State(state): State<AppState>) -> Response {
    let titles = match state.manual_titles().await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let html = SubscribePage {
        site: Site::plain(),
        email: String::new(),
        manuals: titles
            .iter()
            .map(|(id, t)| (id.clone(), t.clone(), false))
            .collect(),
        immediate: false,
        token: None,
        button: "Subscribe",
    }
    .render();
    match html {
        Ok(html) => page_with_status(StatusCode::OK, html),
        Err(e) => failed(WebError::internal(e.to_string())),
    }
}

async fn subscribe_form(State(state): State<AppState>, body: Bytes) -> Response {
    let fields = form(&body);
    let token = first(&fields, "token");
    let manuals = fields.get("manual").cloned().unwrap_or_default();
    let frequency = first(&fields, "frequency");
    if !token.is_empty() {
        // The manage page: new preferences for the subscription the token belongs to.
        let saved = state
            .run_raw(move |app| -> Result<bool, WebError> {
                let manuals = self::manuals(app, &manuals)?;
                let frequency: Frequency = frequency.parse()?;
                let db = app.db()?;
                let Some(subscriber) = db.subscriber_for_token(&token)? else {
                    return Ok(false);
                };
                db.update_preferences(subscriber.id, &manuals, frequency)?;
                Ok(true)
            })
            .await;
        return match saved {
            Ok(Ok(true)) => message(
                StatusCode::OK,
                "Your choices are saved",
                &["The next email will follow them."],
                None,
            ),
            Ok(Ok(false)) => gone_link(),
            Ok(Err(e)) | Err(e) => failed(e),
        };
    }
    let outcome = request(
        &state,
        Request {
            email: first(&fields, "email"),
            manuals,
            frequency,
        },
    )
    .await;
    match outcome {
        Ok(()) => message(
            StatusCode::OK,
            "Check your email",
            &[CHECK_YOUR_EMAIL],
            None,
        ),
        Err(e) => failed(e),
    }
}
