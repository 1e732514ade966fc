//! The accessibility statement (SPEC §7): what works, how it is checked, where to report a
//! problem (the configured reply-to or sender address) and who enforces the regulations.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::http::{Caching, page};
use crate::web::site::Site;

#[derive(Template)]
#[template(path = "pages/accessibility.html")]
struct AccessibilityPage {
    site: Site,
    /// Where to report a problem or ask for another format.
    contact: String,
}

pub async fn accessibility(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let statement = AccessibilityPage {
        site: Site::plain(),
        contact: state.mailer.contact_address(),
    };
    match statement.render() {
        Ok(html) => page(&headers, html, Caching::Revalidate),
        Err(e) => PageError::from(e).into_response(),
    }
}
