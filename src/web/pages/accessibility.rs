//! The accessibility statement (SPEC §7): what works, how it is checked, where to report a
//! problem (`accessibility.contact`, else the reply-to or sender address), who enforces the
//! regulations, and when the statement was prepared and the site last tested (config).

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::config::Enforcement;
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
    phone: Option<String>,
    prepared: Option<String>,
    last_tested: Option<String>,
    northern_ireland: bool,
}

pub async fn accessibility(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let config = &state.app.config().accessibility;
    let statement = AccessibilityPage {
        site: Site::plain(),
        contact: config
            .contact
            .clone()
            .unwrap_or_else(|| state.mailer.contact_address()),
        phone: config.phone.clone(),
        prepared: config.prepared.clone(),
        last_tested: config.last_tested.clone(),
        northern_ireland: config.enforcement == Enforcement::NorthernIreland,
    };
    match statement.render() {
        Ok(html) => page(&headers, html, Caching::Revalidate),
        Err(e) => PageError::from(e).into_response(),
    }
}
