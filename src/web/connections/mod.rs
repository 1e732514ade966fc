//! Serving connections (hyper, HTTP/1.1) with limits on how long a client may take and how
//! many are served at once: a client trickling its headers, idling between requests,
//! taking too long over a request or no longer reading its answer is disconnected, and a
//! crowd of idle connections gives way to clients with requests to make.

mod activity;
mod slots;

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::WebError;
use super::error::answer_at;
use crate::config::ServerConfig;
use activity::{Answering, Step, Watched};
use slots::{Slot, Slots};

/// How long a client may take over each part of a connection, and how many connections
/// are served at once (`[server]` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// For a request's headers: from connecting, then from each request's first byte.
    pub header: Duration,
    /// Between requests on a kept-alive connection.
    pub idle: Duration,
    /// For a request, its body included, until its answer begins.
    pub request: Duration,
    pub max_connections: u32,
}

impl ConnectionLimits {
    /// The limits as configured; none may be zero.
    pub fn from_config(server: &ServerConfig) -> Result<ConnectionLimits, String> {
        for (key, value) in [
            ("header_timeout_secs", server.header_timeout_secs),
            ("idle_timeout_secs", server.idle_timeout_secs),
            ("request_timeout_secs", server.request_timeout_secs),
            ("max_connections", server.max_connections.into()),
        ] {
            if value == 0 {
                return Err(format!("server.{key} must be at least 1"));
            }
        }
        Ok(ConnectionLimits {
            header: Duration::from_secs(server.header_timeout_secs),
            idle: Duration::from_secs(server.idle_timeout_secs),
            request: Duration::from_secs(server.request_timeout_secs),
            max_connections: server.max_connections,
        })
    }

    /// How long bytes may stand still while an answer is under way before the client
    /// counts as gone (a client that stopped reading holds its connection busy).
    fn stall(&self) -> Duration {
        self.request + self.idle
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets
/// the answers under way finish and closes every connection.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Slots::new(limits);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            stream = accept(&listener) => stream,
        };
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.take() => slot,
        };
        tokio::spawn(connection(stream, slot, router.clone(), limits));
    }
    drop(listener);
    slots.close_all();
    slots.all_closed().await;
}

/// The next connection. Failures to accept are skipped; when they are for want of
/// resources (open files), it waits a moment for connections to close first.
async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionRefused
                ) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot accept a connection; waiting a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Serves one connection until the client closes it or its watchdog does.
async fn connection(stream: TcpStream, slot: Slot, router: Router, limits: ConnectionLimits) {
    let _ = stream.set_nodelay(true);
    // Handlers may ask who is asking (per-client limits).
    let peer = stream.peer_addr().ok();
    let activity = slot.activity().clone();
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |mut request: axum::http::Request<Incoming>| {
            if let Some(peer) = peer {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
            }
            let in_flight = activity.begin();
            let answer = router.clone().oneshot(request);
            async move {
                let response = answer.await.unwrap_or_else(|never| match never {});
                Ok::<_, Infallible>(response.map(|body| Answering::new(body, in_flight)))
            }
        }
    });
    let mut builder = http1::Builder::new();
    // The watchdog keeps every time limit; hyper's own header timer would also run
    // between requests, cutting kept-alive connections short.
    builder.header_read_timeout(None);
    let served = builder.serve_connection(io, service);
    tokio::pin!(served);
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended early");
                }
                break;
            }
            step = activity.next_step(&limits) => match step {
                Step::Finish => served.as_mut().graceful_shutdown(),
                Step::Drop => break,
            },
        }
    }
    drop(slot);
}

/// Answers 503 when a request takes longer than `limit` (its body read included), as JSON
/// under `/api` and as a page elsewhere. Work already handed to a blocking thread (a write
/// to the store) runs to its end regardless.
pub async fn request_timeout(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path, seconds = limit.as_secs_f64(), "request timed out");
            let message = format!(
                "the request took longer than the server allows ({} s); please try again",
                limit.as_secs()
            );
            answer_at(
                &path,
                WebError::new(StatusCode::SERVICE_UNAVAILABLE, message),
            )
        }
    }
}

#[cfg(test)]
mod tests;
