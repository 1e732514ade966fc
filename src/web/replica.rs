//! The store between instances, on the web server's side: a writer pushes to its remotes
//! again until each has every write; a read replica fetches from its remote when the
//! writer says so (PostgreSQL notices) and at least every `store.follow_interval`
//! seconds, and sends editors' requests to the writer (`server.primary_url`).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// How often a writer looks for remotes that lack a write (a failed push, a write by
/// another process such as `chapterhouse import`).
const PUSH_AGAIN: Duration = Duration::from_secs(2);

/// Pushes to the writer's remotes every [`PUSH_AGAIN`] where they lack something. Runs
/// while the server does.
pub async fn push_remotes(state: AppState) {
    loop {
        tokio::time::sleep(PUSH_AGAIN).await;
        let _ = state.app.blocking(|app| app.push_replicas()).await;
    }
}

/// Fetches from the remote this replica follows, when told and on its interval; after a
/// fetch that moved a ref, the store is looked at at once (pages and search follow). Runs
/// while the server does.
pub async fn follow_remote(state: AppState) {
    let interval = Duration::from_secs(state.app.config().store.follow_interval.max(1));
    let mut notices = match state.app.blocking(|app| app.db().cloned()).await {
        Ok(Ok(db)) => match db.store_notices().await {
            Ok(notices) => notices,
            Err(e) => {
                tracing::warn!(error = %e, "not listening for the writer's notices; fetching every {}s", interval.as_secs());
                None
            }
        },
        _ => None,
    };
    loop {
        match state.app.blocking(|app| app.fetch_followed()).await {
            Ok(Ok(true)) => state.look_now.notify_one(),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "fetching the store; serving what this replica has")
            }
            Err(e) => tracing::error!(error = %e, "the fetch task failed"),
        }
        let told = async {
            match notices.as_mut() {
                Some(notices) => {
                    if notices.next().await.is_err() {
                        // Reconnected, or about to: a notice may have been missed.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(interval) => {},
            () = told => {},
        }
    }
}

/// On a replica, an editor's request answers 307 to the same path and query on the
/// writer (`server.primary_url`), or 503 saying where editing happens when none is set.
/// Elsewhere it goes on.
pub async fn to_primary(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.app.is_replica() {
        return next.run(request).await;
    }
    let Some(primary) = state.app.config().server.primary_url.as_deref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "This is a read replica: editing happens on the writer instance (server.primary_url is not set).\n",
        )
            .into_response();
    };
    // Under a nested router the request's own URI has lost its prefix.
    let uri = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or(request.uri(), |original| &original.0);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let target = format!("{}{path}", primary.trim_end_matches('/'));
    match HeaderValue::from_str(&target) {
        Ok(location) => (
            StatusCode::TEMPORARY_REDIRECT,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "unusable request path\n").into_response(),
    }
}
