//! HTTP details shared by pages and API: query parameters, ETags and caching.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use headers::HeaderMapExt;
use sha2::{Digest, Sha256};

/// A request's query parameters.
pub type Params = axum::extract::Query<std::collections::HashMap<String, String>>;

/// A query parameter; an empty one counts as absent (`?at=` from an empty form field).
pub fn param<'a>(
    params: &'a std::collections::HashMap<String, String>,
    name: &str,
) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// A date parameter that is not `YYYY-MM-DD`; the API and the pages present it each
/// their own way (see `error.rs`).
#[derive(Debug, thiserror::Error)]
#[error("{name}: {error}")]
pub struct BadDate {
    pub name: String,
    pub error: crate::content::InvalidDate,
}

/// A date parameter (`?at=YYYY-MM-DD`); an empty one counts as absent.
pub fn date_param(
    params: &std::collections::HashMap<String, String>,
    name: &str,
) -> Result<Option<NaiveDate>, BadDate> {
    param(params, name)
        .map(crate::content::parse_date)
        .transpose()
        .map_err(|error| BadDate {
            name: name.to_owned(),
            error,
        })
}

/// How long a response may be reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Fixed forever (a chapter at a named release): cache for a year, never revalidate.
    Immutable,
    /// May change (current views): keep, but revalidate every time.
    Revalidate,
}

/// A strong ETag for a body: its hash.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// True when the client's `If-None-Match` names `etag` (or `*`), by the weak comparison
/// RFC 9110 asks for on GET.
pub fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    let (Ok(Some(if_none_match)), Ok(etag)) = (
        request.typed_try_get::<headers::IfNoneMatch>(),
        etag.parse::<headers::ETag>(),
    ) else {
        return false;
    };
    !if_none_match.precondition_passes(&etag)
}

fn cache_control(caching: Caching) -> HeaderValue {
    HeaderValue::from_static(match caching {
        Caching::Immutable => "public, max-age=31536000, immutable",
        Caching::Revalidate => "no-cache",
    })
}

/// A cacheable answer: 304 when the client has it already, else the body with its ETag.
pub fn cached(
    request: &HeaderMap,
    content_type: &'static str,
    body: impl Into<Vec<u8>>,
    caching: Caching,
) -> Response {
    let body = body.into();
    let etag = etag_of(&body);
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, cache_control(caching));
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    if not_modified(request, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (headers, body).into_response()
}

/// An HTML page, cached as `caching` says.
pub fn page(request: &HeaderMap, html: String, caching: Caching) -> Response {
    cached(request, "text/html; charset=utf-8", html, caching)
}

/// An HTML page with a status other than 200 (never cached for long).
pub fn page_with_status(status: StatusCode, html: String) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        Html(html),
    )
        .into_response()
}
