//! Rendered pages kept in memory: a page is made once and then served from here until the
//! releases may have changed. Views of a named release never change and stay until
//! evicted; current views are remade after a write through this server, at a change of
//! day (scheduled releases), and at least every [`FRESH_FOR`] (releases imported by
//! another process).

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::http::not_modified;

/// How long a current view is served before it is made again.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// Pages kept.
const CAPACITY: usize = 4096;
/// Larger pages are not kept.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Cached {
    headers: HeaderMap,
    body: Bytes,
    etag: String,
    made: Instant,
    generation: u64,
    immutable: bool,
}

/// The cache, and the count of writes that may have changed what pages show.
pub struct PageCache {
    pages: Mutex<lru::LruCache<String, Cached>>,
    generation: AtomicU64,
    /// Manual ids and titles, for the search page: when kept, at which generation.
    titles: Mutex<Option<(Instant, u64, Titles)>>,
}

type Titles = std::sync::Arc<Vec<(String, String)>>;

impl Default for PageCache {
    fn default() -> PageCache {
        PageCache {
            pages: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(CAPACITY).expect("capacity is not zero"),
            )),
            generation: AtomicU64::new(0),
            titles: Mutex::new(None),
        }
    }
}

impl PageCache {
    /// Something was written: current views must be made again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The manual titles, while fresh.
    pub fn titles(&self) -> Option<Titles> {
        let generation = self.generation.load(Ordering::SeqCst);
        let kept = self.titles.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref()
            .filter(|(made, g, _)| *g == generation && made.elapsed() < FRESH_FOR)
            .map(|(_, _, titles)| titles.clone())
    }

    pub fn keep_titles(&self, titles: Titles) {
        let generation = self.generation.load(Ordering::SeqCst);
        *self.titles.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), generation, titles));
    }

    fn get(&self, key: &str) -> Option<Cached> {
        let generation = self.generation.load(Ordering::SeqCst);
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let hit = pages.get(key)?;
        let fresh =
            hit.immutable || (hit.generation == generation && hit.made.elapsed() < FRESH_FOR);
        fresh.then(|| hit.clone())
    }
}

/// Serves GET requests for pages from the cache, and keeps successful answers that carry
/// an ETag.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Editors' answers are theirs alone.
    if request.method() != Method::GET || request.headers().contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    let today = chrono::Local::now().date_naive();
    let key = format!("{today} {}", request.uri());
    let cache = &state.pages;
    if let Some(hit) = cache.get(&key) {
        if not_modified(request.headers(), &hit.etag) {
            let mut headers = hit.headers.clone();
            headers.remove(header::CONTENT_TYPE);
            headers.remove(header::CONTENT_LENGTH);
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        return (hit.headers, hit.body).into_response();
    }
    let generation = cache.generation.load(Ordering::SeqCst);
    let response = next.run(request).await;
    // Only whole 200 answers with an ETag are kept (a 304 has no body to keep).
    let Some(etag) = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let immutable = parts
        .headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.to_str().is_ok_and(|v| v.contains("immutable")));
    cache.pages.lock().unwrap_or_else(|p| p.into_inner()).put(
        key,
        Cached {
            headers: parts.headers.clone(),
            body: bytes.clone(),
            etag,
            made: Instant::now(),
            generation,
            immutable,
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}
