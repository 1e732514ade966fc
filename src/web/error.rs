//! Errors as HTTP answers: the one place where chapterhouse's errors become status codes.
//! Causes are logged for server errors only; clients get a JSON `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppError;
use crate::search::SearchError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    /// Extra headers the answer carries (`WWW-Authenticate` on a 401).
    pub headers: Vec<(axum::http::HeaderName, &'static str)>,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: axum::http::HeaderName, value: &'static str) -> WebError {
        self.headers.push((name, value));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

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
            | AppError::Notes { .. }
            | AppError::Store(StoreError::Content(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NothingToReport { .. }
            | AppError::DateBeforeLatest { .. }
            | AppError::Store(StoreError::ReleaseExists { .. } | StoreError::Conflict) => {
                StatusCode::CONFLICT
            }
            AppError::Search(SearchError::EmptyQuery) => StatusCode::BAD_REQUEST,
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
                .insert(name, axum::http::HeaderValue::from_static(value));
        }
        response
    }
}
