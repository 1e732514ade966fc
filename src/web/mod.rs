//! The web server (axum): routes, shared state and the bridge from async handlers to the
//! blocking engines underneath.

mod api;
mod cache;
mod connections;
mod editors;
mod error;
mod follow;
mod guard;
mod http;
mod metrics;
mod openapi;
mod pages;
mod paging;
mod replica;
mod shapes;
mod site;
mod subscriptions;
mod workspace;

pub use connections::ConnectionLimits;
pub use error::WebError;
pub use metrics::install as install_metrics;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::{AppError, Chapterhouse};
use crate::mail::Mailer;
use crate::search::SearchIndex;

/// Pages run no scripts and load nothing from elsewhere: even if markup slipped past the
/// sanitiser, a browser would not run it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Largest request body accepted (a chapter file with room to spare).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What every handler shares: the application's services, the search index and the page
/// cache. Nothing here is locked as a whole: requests read side by side, and writes queue
/// at the application's publisher.
#[derive(Clone)]
pub struct AppState {
    app: Arc<Chapterhouse>,
    search: Arc<SearchIndex>,
    /// Turns to search (`search.at_once`): searches beyond them wait, in arrival order,
    /// rather than share the cores (and each hold their memory) all at once.
    searching: Arc<tokio::sync::Semaphore>,
    /// Hits per search when the request names no limit.
    search_limit: usize,
    pages: Arc<cache::PageCache>,
    mailer: Arc<Mailer>,
    /// Mail-sending requests per client address.
    mail_limit: Arc<guard::ClientLimit>,
    /// Wakes the store's follower before its next look (a replica fetched).
    look_now: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(app: Arc<Chapterhouse>, mailer: Arc<Mailer>) -> Result<AppState, AppError> {
        let search = app.search_index()?;
        let at_once = app.config().search.searches_at_once();
        let server = &app.config().server;
        let mail_limit = Arc::new(guard::ClientLimit::new(
            server.mail_requests_per_client,
            std::time::Duration::from_secs(server.mail_requests_window_secs.max(1)),
        ));
        Ok(AppState {
            mail_limit,
            mailer,
            search_limit: app.config().search.default_limit,
            app,
            search,
            searching: Arc::new(tokio::sync::Semaphore::new(at_once)),
            pages: Arc::default(),
            look_now: Arc::default(),
        })
    }

    /// Runs `work` on the search index off the async runtime, when a turn is free.
    pub async fn search<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SearchIndex) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, WebError> {
        let index = self.search.clone();
        let turn = self
            .searching
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| WebError::internal(format!("search turns closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            // Held until the search is done, even when the client has gone.
            let _turn = turn;
            work(&index)
        })
        .await
        .map_err(|e| WebError::internal(format!("search task failed: {e}")))?
        .map_err(WebError::from)
    }

    /// Every manual's id and title (kept briefly, like a page).
    pub async fn manual_titles(&self) -> Result<Arc<Vec<(String, String)>>, WebError> {
        if let Some(titles) = self.pages.titles() {
            return Ok(titles);
        }
        let titles = self
            .run(|app| {
                Ok(app
                    .manual_summaries()?
                    .into_iter()
                    .map(|s| (s.id.to_string(), s.title))
                    .collect::<Vec<_>>())
            })
            .await?;
        let titles = Arc::new(titles);
        self.pages.keep_titles(titles.clone());
        Ok(titles)
    }

    /// Today, by the application's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.app.today()
    }

    /// Something was written: pages showing current views must be made again.
    pub fn written(&self) {
        self.pages.invalidate();
    }

    /// Runs `work` on the application off the async runtime, whatever it returns.
    pub async fn run_raw<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Chapterhouse) -> T + Send + 'static,
    ) -> Result<T, WebError> {
        self.app
            .blocking(work)
            .await
            .map_err(|e| WebError::internal(format!("request task failed: {e}")))
    }

    /// Runs `work` on the application off the async runtime (git2, tantivy and the
    /// filesystem block).
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Chapterhouse) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, WebError> {
        self.run_raw(work).await?.map_err(WebError::from)
    }
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let request_timeout =
        std::time::Duration::from_secs(state.app.config().server.request_timeout_secs.max(1));
    Router::new()
        .route("/healthz", get(api::health))
        .route("/readyz", get(api::ready))
        .nest(
            "/api/v1",
            api::routes()
                .route("/openapi.json", get(openapi::openapi_json))
                .merge(
                    editors::routes().route_layer(axum::middleware::from_fn_with_state(
                        state.clone(),
                        replica::to_primary,
                    )),
                )
                .merge(subscriptions::api_routes()),
        )
        .merge(pages::routes())
        .merge(subscriptions::routes())
        .merge(
            workspace::routes().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                replica::to_primary,
            )),
        )
        .merge(metrics_route(&state))
        // Layers of routed requests (innermost first). The route's pattern is noted on
        // the answer, for the metrics counted outside.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::layer,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::same_origin_posts,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::limit_mail_requests,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            request_timeout,
            connections::request_timeout,
        ))
        .route_layer(axum::middleware::from_fn(metrics::mark_route))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn(error::api_errors_as_json))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::extract::Request| {
                    // Queries carry tokens (confirm, unsubscribe, sign-in) and searches:
                    // only the path is logged.
                    let query = if request.uri().query().is_some() {
                        "?…"
                    } else {
                        ""
                    };
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        uri = %format_args!("{}{query}", request.uri().path()),
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// `/metrics` beside the site, unless metrics are off or served on an address of their own.
fn metrics_route(state: &AppState) -> Router<AppState> {
    let config = &state.app.config().metrics;
    if config.enabled && config.listen.is_none() {
        Router::new().route("/metrics", get(metrics::render))
    } else {
        Router::new()
    }
}

/// Serves `/metrics` alone on its own address (`metrics.listen`), until the process ends.
pub async fn serve_metrics(listener: TcpListener, state: AppState) {
    let router = Router::new()
        .route("/metrics", get(metrics::render))
        .with_state(state);
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

/// Binds the server's address (port 0 picks a free one).
pub async fn bind(listen: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {listen}: {e}")))
}

/// Serves until Ctrl-C or SIGTERM, within `limits`; then stops accepting and finishes the
/// requests under way.
pub async fn serve(listener: TcpListener, state: AppState, limits: ConnectionLimits) {
    // Pages kept and the search index follow releases that other processes publish.
    let follow = tokio::spawn(follow::follow_store(state.clone()));
    // A replica fetches the store from its remote; a writer pushes to its remotes.
    let remotes = match state.app.is_replica() {
        true => tokio::spawn(replica::follow_remote(state.clone())),
        false => tokio::spawn(replica::push_remotes(state.clone())),
    };
    connections::serve(listener, router(state), limits, shutdown_signal()).await;
    follow.abort();
    remotes.abort();
    tracing::info!("stopped");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
