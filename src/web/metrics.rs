//! `/metrics` in the Prometheus text format: requests by route pattern and status with
//! their latency, searches and the page cache (counted where they happen, through the
//! `metrics` facade), and what the store, the index and the delivery ledger hold (read
//! when scraped). Labels are route patterns, manuals and recent periods: never raw paths.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::app::Chapterhouse;

/// Latency buckets, in seconds: from a cached page to a request timing out.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Digest and notice periods reported, the most recently written first.
const RECENT_PERIODS: usize = 6;

/// The process's recorder, installed on first use (one per process: the `metrics` macros
/// record into it from anywhere). `None` when another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder, so that what is counted before the first scrape is kept.
pub fn install() {
    if handle().is_none() {
        tracing::warn!("another metrics recorder is installed; /metrics reports nothing");
    }
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "chapterhouse_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        "chapterhouse_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern"
    );
    describe_counter!(
        "chapterhouse_searches_total",
        "Searches, answered from the answer cache or searched"
    );
    describe_histogram!(
        "chapterhouse_search_duration_seconds",
        Unit::Seconds,
        "Time to answer a search, cached or searched"
    );
    describe_counter!(
        "chapterhouse_page_cache_total",
        "Pages asked of the page cache: hit or miss"
    );
    describe_gauge!(
        "chapterhouse_index_generation",
        "The search index's searcher generation (moves with every commit)"
    );
    describe_gauge!(
        "chapterhouse_index_documents",
        "Chapter versions in the search index"
    );
    describe_gauge!("chapterhouse_releases", "Releases per manual");
    describe_gauge!(
        "chapterhouse_latest_release_age_seconds",
        Unit::Seconds,
        "Time since the latest release of each manual came into force (negative: scheduled)"
    );
    describe_gauge!(
        "chapterhouse_deliveries",
        "Digest and notice deliveries of recent periods, by state"
    );
    describe_counter!(
        "chapterhouse_digest_messages_total",
        "Digest and notice messages: sent, deferred (transient failure) or failed"
    );
    describe_counter!(
        "chapterhouse_reads_confirmed_total",
        "Changes subscribers confirmed they have read (each once) by the link in their email"
    );
    describe_counter!(
        "chapterhouse_smtp_errors_total",
        "Messages the mail transport did not take, transient or permanent"
    );
    describe_counter!(
        "chapterhouse_editor_signins_total",
        "Editors' sign-in links used: signed in or refused"
    );
    describe_counter!(
        "chapterhouse_store_pushes_total",
        "Pushes of the store to the writer's remotes (store.push_to), by result"
    );
    describe_gauge!(
        "chapterhouse_store_remotes_failing",
        "The writer's remotes whose last push failed (retried until it lands)"
    );
    describe_counter!(
        "chapterhouse_store_fetches_total",
        "A replica's fetches of the store from its remote (store.follow), by result"
    );
    describe_gauge!(
        "chapterhouse_store_follow_failing",
        "1 while a replica's last fetch from its remote failed"
    );
}

/// Notes the route's pattern on its answer (the pattern is known once the request is
/// routed; the answer carries it out to [`track`]).
pub async fn mark_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Counts every request and its latency under its route pattern (`unmatched` for a path
/// no route serves).
pub async fn track(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let status = response.status().as_u16().to_string();
    metrics::counter!("chapterhouse_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("chapterhouse_http_request_duration_seconds", "route" => route)
        .record(started.elapsed());
    response
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not recorded\n",
        )
            .into_response();
    };
    if let Err(e) = state.run_raw(read_gauges).await {
        tracing::warn!(error = %e.message, "metrics: the gauges could not be read");
    }
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Sets the gauges from what the store, the index and the ledger hold now.
fn read_gauges(app: &Chapterhouse) {
    if let Ok(index) = app.index() {
        let (generation, documents) = index.stats();
        metrics::gauge!("chapterhouse_index_generation").set(generation as f64);
        metrics::gauge!("chapterhouse_index_documents").set(documents as f64);
    }
    let now = app.clock().now();
    for manual in app.store().released_manuals().unwrap_or_default() {
        let Ok(releases) = app.store().releases(&manual) else {
            continue;
        };
        let label = manual.to_string();
        metrics::gauge!("chapterhouse_releases", "manual" => label.clone())
            .set(releases.len() as f64);
        let in_force = releases.iter().rev().find(|r| r.date <= now.date_naive());
        if let Some(latest) = in_force.or(releases.last()) {
            let since = latest
                .date
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc();
            let age = (now - since).num_seconds();
            metrics::gauge!("chapterhouse_latest_release_age_seconds", "manual" => label)
                .set(age as f64);
        }
    }
    if let Ok(db) = app.db()
        && let Ok(rows) = db.deliveries_by_period(RECENT_PERIODS)
    {
        let mut periods: Vec<&str> = rows.iter().map(|(p, _, _)| p.as_str()).collect();
        periods.dedup();
        for period in periods {
            for state in ["pending", "sending", "sent", "failed"] {
                let n = rows
                    .iter()
                    .find(|(p, s, _)| p == period && s == state)
                    .map_or(0, |(_, _, n)| *n);
                metrics::gauge!("chapterhouse_deliveries", "period" => period.to_owned(), "state" => state)
                    .set(n as f64);
            }
        }
    }
}
