//! Errors as HTTP answers: the one place where chapterhouse's errors become status codes.
//! Two presentations of one policy: JSON `{"error": "..."}` under `/api` ([`WebError`]),
//! an error page elsewhere ([`PageError`]). Causes are logged here, for server errors only.

use askama::Template;
use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::http::{BadDate, page_with_status};
use super::site::Site;
use crate::app::{AppError, EditError};
use crate::db::EditorError;
use crate::search::SearchError;
use crate::store::StoreError;

/// An error answer, presented as JSON.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    /// Extra headers the answer carries (`WWW-Authenticate` on a 401).
    headers: Vec<(HeaderName, &'static str)>,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Input that was read but cannot be used (a body that is not UTF-8, a bad field).
    pub fn unprocessable(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// No usable credentials; `invalid` when a token was sent but is not one (RFC 6750).
    pub fn unauthorized(message: impl Into<String>, invalid: bool) -> WebError {
        let challenge = if invalid {
            "Bearer realm=\"chapterhouse\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"chapterhouse\""
        };
        let mut e = WebError::new(StatusCode::UNAUTHORIZED, message);
        e.headers.push((header::WWW_AUTHENTICATE, challenge));
        e
    }

    /// Known credentials without the right to do this.
    pub fn forbidden(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::FORBIDDEN, message)
    }

    /// A fault of the server: the cause goes to the log, the client gets no details.
    pub fn internal(message: impl Into<String>) -> WebError {
        let message = message.into();
        tracing::error!(error = %message, "request failed");
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the details are in the server's log",
        )
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        let status = match &e {
            AppError::UnknownManual(_)
            | AppError::NoReleases(_)
            | AppError::NothingInForce { .. }
            | AppError::UnknownChapter { .. }
            | AppError::Store(StoreError::UnknownManual(_) | StoreError::UnknownRelease { .. }) => {
                StatusCode::NOT_FOUND
            }
            AppError::Content(_)
            | AppError::Refused(_)
            | AppError::Notes { .. }
            | AppError::Store(StoreError::Content(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NothingToReport { .. }
            | AppError::DraftMoved { .. }
            | AppError::DateBeforeLatest { .. }
            | AppError::Store(StoreError::ReleaseExists { .. } | StoreError::Conflict) => {
                StatusCode::CONFLICT
            }
            AppError::Search(SearchError::EmptyQuery) => StatusCode::BAD_REQUEST,
            AppError::Store(StoreError::Remote { .. }) => StatusCode::BAD_GATEWAY,
            AppError::Replica => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(StoreError::Git(_))
            | AppError::Search(_)
            | AppError::Config(_)
            | AppError::Db(_) => {
                return WebError::internal(e.to_string());
            }
        };
        WebError::new(status, e.to_string())
    }
}

/// An editor's write: preconditions (RFC 9110) fail with 412, a missing one is 428.
impl From<EditError> for WebError {
    fn from(e: EditError) -> WebError {
        let status = match e {
            EditError::App(inner) => return WebError::from(inner),
            EditError::Stale { .. }
            | EditError::NoSuchRevision { .. }
            | EditError::Exists { .. } => StatusCode::PRECONDITION_FAILED,
            EditError::PreconditionRequired { .. } => StatusCode::PRECONDITION_REQUIRED,
            EditError::UnknownChapter(_) => StatusCode::NOT_FOUND,
            EditError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        WebError::new(status, e.to_string())
    }
}

impl From<EditorError> for WebError {
    fn from(e: EditorError) -> WebError {
        match e {
            EditorError::Invalid(m) => WebError::unprocessable(m),
            EditorError::Unknown(_) => WebError::new(StatusCode::NOT_FOUND, e.to_string()),
            EditorError::Db(e) => WebError::from(AppError::from(e)),
        }
    }
}

impl From<crate::db::DbError> for WebError {
    fn from(e: crate::db::DbError) -> WebError {
        WebError::from(AppError::from(e))
    }
}

impl From<BadDate> for WebError {
    fn from(e: BadDate) -> WebError {
        WebError::bad_request(e.to_string())
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> WebError {
        WebError::internal(format!("page template failed: {e}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        for (name, value) in self.headers {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        response
    }
}

/// An error as a page: the status, what went wrong, and where to go instead.
pub struct PageError {
    status: StatusCode,
    heading: String,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
    /// What the page's search box starts with.
    suggestion: String,
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    site: Site,
    error: &'a PageError,
}

impl PageError {
    /// A page saying what went wrong, with a link to the list of manuals.
    fn new(
        status: StatusCode,
        heading: impl Into<String>,
        paragraph: impl Into<String>,
    ) -> PageError {
        PageError {
            status,
            heading: heading.into(),
            paragraphs: vec![paragraph.into()],
            links: vec![("/".into(), "All manuals".into())],
            suggestion: String::new(),
        }
    }

    /// Nothing at this address: a 404 saying what was looked for.
    pub fn not_found(heading: impl Into<String>, paragraph: impl Into<String>) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, heading, paragraph)
    }

    /// A request that cannot be answered as asked: a 400 saying why.
    pub fn bad_request(heading: impl Into<String>, paragraph: impl Into<String>) -> PageError {
        PageError::new(StatusCode::BAD_REQUEST, heading, paragraph)
    }

    /// Something that was here has gone for good: a 410 saying where it went.
    pub fn gone(heading: impl Into<String>, paragraph: impl Into<String>) -> PageError {
        PageError::new(StatusCode::GONE, heading, paragraph)
    }

    /// Offers a link ahead of those the page has.
    pub fn link(mut self, href: String, text: String) -> PageError {
        self.links.insert(0, (href, text));
        self
    }

    /// Offers these links instead of those the page has.
    pub fn links(mut self, links: Vec<(String, String)>) -> PageError {
        self.links = links;
        self
    }

    /// Starts the search box with the words of an address (`section-47` → `section 47`).
    pub fn suggest(self, words: &str) -> PageError {
        let words = words.replace(['-', '_', '/'], " ");
        self.search_for(words.trim())
    }

    /// Starts the search box with `text` as it is written (a chapter's title).
    pub fn search_for(mut self, text: &str) -> PageError {
        text.clone_into(&mut self.suggestion);
        self
    }
}

impl From<WebError> for PageError {
    fn from(e: WebError) -> PageError {
        let heading = match e.status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::BAD_REQUEST => "That request could not be understood",
            s if s.is_server_error() => "Something went wrong",
            _ => "That could not be done",
        };
        PageError::new(e.status, heading, e.message)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError::from(WebError::from(e))
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        PageError::from(AppError::from(e))
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(e: crate::db::DbError) -> PageError {
        PageError::from(AppError::from(e))
    }
}

impl From<EditorError> for PageError {
    fn from(e: EditorError) -> PageError {
        PageError::from(WebError::from(e))
    }
}

impl From<BadDate> for PageError {
    fn from(e: BadDate) -> PageError {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "That date could not be read",
            e.error.to_string(),
        )
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> PageError {
        PageError::from(WebError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let html = ErrorPage {
            site: Site::plain(),
            error: &self,
        }
        .render()
        .unwrap_or_else(|_| "<!doctype html><title>Error</title><h1>Error</h1>".into());
        page_with_status(self.status, html)
    }
}

/// True for the JSON API's addresses, whose errors are JSON.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// An error presented for where the request went: JSON under `/api/`, a page elsewhere.
pub fn answer_at(path: &str, e: WebError) -> Response {
    if is_api(path) {
        e.into_response()
    } else {
        PageError::from(e).into_response()
    }
}

/// Longest request target answered; longer ones get 414.
const MAX_URI_BYTES: usize = 8 * 1024;

/// Errors made below the handlers (an oversized body, a method a route does not take, an
/// overlong address, a rate limit) are JSON under `/api` like every other API error.
pub async fn api_errors_as_json(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if request.uri().to_string().len() > MAX_URI_BYTES {
        let e = WebError::new(
            StatusCode::URI_TOO_LONG,
            format!("the address is longer than {MAX_URI_BYTES} bytes"),
        );
        return answer_at(&path, e);
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !is_api(&path) || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let reason = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large (at most 2 MiB)".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this address does not take that method".to_owned(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "send the body as application/json".to_owned(),
        other => other.canonical_reason().unwrap_or("refused").to_lowercase(),
    };
    let (mut parts, _) = response.into_parts();
    let body = WebError::new(status, reason).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, body.into_body())
}

/// Any address nothing else answers: a 404 that says where to go instead.
pub async fn not_found(uri: Uri) -> Response {
    if is_api(uri.path()) {
        return WebError::new(
            StatusCode::NOT_FOUND,
            "no such page; the API lives under /api/v1 (start with /api/v1/manuals)",
        )
        .into_response();
    }
    let words = uri
        .path()
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .chars()
        .take(80)
        .collect::<String>();
    PageError::not_found(
        "Page not found",
        "There is no page at this address. It may have been mistyped, or the page may have \
         moved: search the procedures, or start from the list of manuals.",
    )
    .suggest(&words)
    .into_response()
}
