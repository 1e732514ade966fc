//! Rendered pages kept in memory: a page is made once and then served from here until the
//! releases may have changed. Views of a named release never change and stay until
//! evicted; current views are made again after a release is published through this
//! server, after the store's releases changed on disk (another process imported one:
//! [`super::follow::follow_store`] looks every second, and catches the search index up
//! too), and at a change of day (scheduled releases).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::answer_at;
use super::http::not_modified;
use super::{AppState, WebError};
use crate::weighed::{Weigh, WeighedLru};

/// Pages kept, at most.
const CAPACITY: usize = 4096;
/// Bytes of pages kept, about; a page over a quarter of this is not kept.
const CAPACITY_BYTES: usize = 64 * 1024 * 1024;
/// Larger answers are not read to be kept.
const MAX_PAGE_BYTES: usize = CAPACITY_BYTES / 4;
/// The query parameters that change a page (all the pages' parameters): the cache keys on
/// these alone, normalised, so made-up parameters (`?cb=1`, `?cb=2` …) share one entry.
const KNOWN_PARAMETERS: &[&str] = &[
    "q", "manual", "at", "release", "from", "to", "limit", "print", "page", "cursor",
];

#[derive(Clone)]
struct Cached {
    headers: HeaderMap,
    body: Bytes,
    etag: String,
    seen: Seen,
    immutable: bool,
}

/// The writes a kept page was made after. A manual's pages (`/manuals/{m}…`,
/// `/api/v1/manuals/{m}…`) show that manual alone: a release of another manual leaves them
/// fresh. Other pages (the home page, search, the site feed) go with any write.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Site(u64),
    Manual { all: u64, manual: u64 },
}

/// The manual a path's page shows alone, if it is one manual's.
fn manual_of(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/manuals/")
        .or_else(|| path.strip_prefix("/api/v1/manuals/"))?;
    let manual = rest.split('/').next().unwrap_or_default();
    (!manual.is_empty()).then_some(manual)
}

impl Weigh for Cached {
    fn weight(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum();
        self.body.len() + headers + self.etag.len() + 64
    }
}

/// The cache, and the count of writes that may have changed what pages show.
pub struct PageCache {
    pages: Mutex<WeighedLru<String, Cached>>,
    /// Moves with every write.
    site: AtomicU64,
    /// Moves with writes that may touch every manual.
    all: AtomicU64,
    /// Moves with the writes of one manual, by manual.
    manuals: Mutex<std::collections::HashMap<String, u64>>,
    /// Manual ids and titles, for the search page: when kept, at which site generation.
    titles: Mutex<Option<(u64, Titles)>>,
}

type Titles = std::sync::Arc<Vec<(String, String)>>;

impl Default for PageCache {
    fn default() -> PageCache {
        PageCache {
            pages: Mutex::new(WeighedLru::new(CAPACITY, CAPACITY_BYTES)),
            site: AtomicU64::new(0),
            all: AtomicU64::new(0),
            manuals: Mutex::default(),
            titles: Mutex::new(None),
        }
    }
}

impl PageCache {
    /// Something was written that any page may show: current views must be made again.
    pub fn invalidate(&self) {
        self.all.fetch_add(1, Ordering::SeqCst);
        self.site.fetch_add(1, Ordering::SeqCst);
    }

    /// Releases of these manuals were written: their current views, and the pages of the
    /// whole site, must be made again; other manuals' pages stay.
    pub fn invalidate_manuals(&self, manuals: &[String]) {
        let mut generations = self.manuals.lock().unwrap_or_else(|p| p.into_inner());
        for manual in manuals {
            *generations.entry(manual.clone()).or_default() += 1;
        }
        drop(generations);
        self.site.fetch_add(1, Ordering::SeqCst);
    }

    /// The pages of the whole site must be made again (search answers moved).
    pub fn invalidate_site(&self) {
        self.site.fetch_add(1, Ordering::SeqCst);
    }

    /// What a page of `path` made now has seen.
    fn seen(&self, path: &str) -> Seen {
        match manual_of(path) {
            Some(manual) => Seen::Manual {
                all: self.all.load(Ordering::SeqCst),
                manual: self
                    .manuals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(manual)
                    .copied()
                    .unwrap_or_default(),
            },
            None => Seen::Site(self.site.load(Ordering::SeqCst)),
        }
    }

    /// The manual titles, while fresh.
    pub fn titles(&self) -> Option<Titles> {
        let generation = self.site.load(Ordering::SeqCst);
        let kept = self.titles.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref()
            .filter(|(g, _)| *g == generation)
            .map(|(_, titles)| titles.clone())
    }

    pub fn keep_titles(&self, titles: Titles) {
        let generation = self.site.load(Ordering::SeqCst);
        *self.titles.lock().unwrap_or_else(|p| p.into_inner()) = Some((generation, titles));
    }

    /// A kept page of `path`. Current views made before what they show last changed are
    /// not served.
    fn get(&self, key: &str, path: &str) -> Option<Cached> {
        let seen = self.seen(path);
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let hit = pages.get(key)?;
        (hit.immutable || hit.seen == seen).then(|| hit.clone())
    }
}

/// The kept answer to a request (304 when the client has it).
fn serve(request_headers: &HeaderMap, hit: Cached) -> Response {
    if not_modified(request_headers, &hit.etag) {
        let mut headers = hit.headers;
        headers.remove(header::CONTENT_TYPE);
        headers.remove(header::CONTENT_LENGTH);
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (hit.headers, hit.body).into_response()
}

/// Keeps a whole 200 answer to `path` that carries an ETag, and returns it.
async fn keep(
    cache: &PageCache,
    key: String,
    path: &str,
    seen: Seen,
    response: Response,
) -> Response {
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
    // A page too big to keep is served as it is (a contents page of tens of thousands of
    // chapters): the cache bounds what it holds, never what is answered.
    let size = http_body::Body::size_hint(response.body());
    if size
        .upper()
        .is_none_or(|upper| upper > MAX_PAGE_BYTES as u64)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let cause = format!("{path}: the answer could not be read to be kept: {e}");
            return answer_at(path, WebError::internal(cause));
        }
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
            seen,
            immutable,
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}

/// What a request's answer depends on: its path and its known parameters, in one order.
/// Unknown parameters change nothing. `None` when a known parameter comes twice: which
/// one a page reads is not the cache's business, so such an answer is not kept.
fn key_of(uri: &axum::http::Uri) -> Option<String> {
    let mut known: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if KNOWN_PARAMETERS.contains(&name.as_ref()) {
            if known.iter().any(|(n, _)| n == &name) {
                return None;
            }
            known.push((name.into_owned(), value.into_owned()));
        }
    }
    known.sort();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&known)
        .finish();
    Some(format!("{}?{query}", uri.path()))
}

/// Serves GET requests for pages from the cache, and keeps successful answers that carry
/// an ETag.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Editors' answers are theirs alone.
    let private = |path: &str| path.starts_with("/edit") || path.starts_with("/signin");
    if request.method() != Method::GET
        || request.headers().contains_key(header::AUTHORIZATION)
        || private(request.uri().path())
    {
        return next.run(request).await;
    }
    let today = state.today();
    let Some(key) = key_of(request.uri()) else {
        return next.run(request).await;
    };
    let key = format!("{today} {key}");
    let path = request.uri().path().to_owned();
    let cache = state.pages.clone();
    if let Some(hit) = cache.get(&key, &path) {
        metrics::counter!("chapterhouse_page_cache_total", "result" => "hit").increment(1);
        return serve(request.headers(), hit);
    }
    metrics::counter!("chapterhouse_page_cache_total", "result" => "miss").increment(1);
    let seen = cache.seen(&path);
    let response = next.run(request).await;
    keep(&cache, key, &path, seen, response).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_of(bytes: usize) -> Response {
        let mut response = Response::new(Body::from("x".repeat(bytes)));
        response
            .headers_mut()
            .insert(header::ETAG, "\"tag\"".parse().unwrap());
        response
    }

    #[tokio::test]
    async fn a_page_too_big_to_keep_is_answered_whole_and_not_kept() {
        let cache = PageCache::default();
        let seen = cache.seen("/big");
        let big = keep(
            &cache,
            "big".into(),
            "/big",
            seen,
            page_of(MAX_PAGE_BYTES + 1),
        )
        .await;
        assert_eq!(big.status(), StatusCode::OK);
        let body = axum::body::to_bytes(big.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body.len(), MAX_PAGE_BYTES + 1);
        assert!(cache.get("big", "/big").is_none());
        let seen = cache.seen("/small");
        let small = keep(&cache, "small".into(), "/small", seen, page_of(1000)).await;
        assert_eq!(small.status(), StatusCode::OK);
        assert!(cache.get("small", "/small").is_some());
    }

    #[tokio::test]
    async fn a_release_of_one_manual_leaves_the_pages_of_others_fresh() {
        let cache = PageCache::default();
        let paths = [
            "/manuals/a",
            "/api/v1/manuals/b/chapters",
            "/",
            "/api/v1/manuals",
        ];
        let keep_all = || async {
            for path in paths {
                keep(&cache, path.into(), path, cache.seen(path), page_of(10)).await;
            }
        };
        let fresh = |path: &str| cache.get(path, path).is_some();
        keep_all().await;
        cache.invalidate_manuals(&["a".to_owned()]);
        assert!(!fresh("/manuals/a") && !fresh("/") && !fresh("/api/v1/manuals"));
        assert!(fresh("/api/v1/manuals/b/chapters"), "b's page stays");
        keep_all().await;
        cache.invalidate_site();
        assert!(fresh("/manuals/a") && fresh("/api/v1/manuals/b/chapters") && !fresh("/"));
        keep_all().await;
        cache.invalidate();
        assert!(
            paths.iter().all(|p| !fresh(p)),
            "a write of unknown reach goes everywhere"
        );
    }

    fn key(uri: &str) -> Option<String> {
        key_of(&uri.parse().unwrap())
    }

    #[test]
    fn pages_are_kept_by_their_known_parameters_only() {
        let plain = key("/manuals/m/chapters/c?release=2024-03&at=2024-03-01");
        assert_eq!(
            plain,
            key("/manuals/m/chapters/c?at=2024-03-01&cb=1&release=2024-03")
        );
        assert_eq!(
            plain,
            key("/manuals/m/chapters/c?cb=2&at=2024-03-01&release=2024-03&x")
        );
        assert_ne!(
            plain,
            key("/manuals/m/chapters/c?at=2024-03-02&release=2024-03")
        );
        assert_eq!(key("/search?q=a%20b"), key("/search?q=a+b"));
        assert_eq!(key("/"), key("/?utm_source=newsletter"));
        assert_eq!(key("/manuals/m/chapters/c?release=a&release=b"), None);
    }
}
