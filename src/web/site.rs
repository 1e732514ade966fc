//! The frame every page shares: the site's name, its search box and its stylesheet.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::http::etag_of;

/// The stylesheet, served at `/static/style.css`.
const STYLE: &str = include_str!("../../static/style.css");

/// A short hash of the stylesheet: its URL changes when it does, so it can be cached long.
static CSS_VERSION: LazyLock<String> = LazyLock::new(|| {
    etag_of(STYLE.as_bytes())
        .trim_matches('"')
        .chars()
        .take(10)
        .collect()
});

/// What every page's frame shows.
pub struct Site {
    pub name: &'static str,
    pub css_version: &'static str,
    /// The search box's text.
    pub query: String,
}

impl Site {
    /// The frame of a page with an empty search box.
    pub fn plain() -> Site {
        Site::with_query(String::new())
    }

    /// The frame of a page whose search box holds `query` (the search page's own).
    pub fn with_query(query: String) -> Site {
        Site {
            name: "Safeguarding procedures",
            css_version: CSS_VERSION.as_str(),
            query,
        }
    }
}

/// `/static/style.css`, cached for a year: pages name it by its version.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLE,
    )
        .into_response()
}
