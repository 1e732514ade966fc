//! What stands between a hostile client and the forms that send mail or change things:
//! a per-client limit on the requests that make the server send email (subscribing,
//! asking for a sign-in link), and a same-origin check on every form post.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::answer_at;
use super::{AppState, WebError};

/// Requests that make the server send an email.
fn sends_mail(method: &Method, path: &str) -> bool {
    method == Method::POST && matches!(path, "/subscribe" | "/signin" | "/api/v1/subscriptions")
}

/// Clients remembered at most; past this, expired windows are forgotten first.
const CLIENTS_KEPT: usize = 10_000;

/// A fixed window of requests per client address.
pub struct ClientLimit {
    most: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl ClientLimit {
    pub fn new(most: u32, window: Duration) -> ClientLimit {
        ClientLimit {
            most,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when `client` may go on; otherwise how long until it may.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= CLIENTS_KEPT {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if seen.len() >= CLIENTS_KEPT {
                // Still full of live windows: the oldest make room.
                let oldest = seen.iter().min_by_key(|(_, (s, _))| *s).map(|(ip, _)| *ip);
                if let Some(ip) = oldest {
                    seen.remove(&ip);
                }
            }
        }
        let (start, count) = seen.entry(client).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        if *count >= self.most {
            return Err(self.window.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        Ok(())
    }
}

/// The address of the client that sent a request.
fn client(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// 429, with `Retry-After`, for a client over its limit of mail-sending requests.
pub async fn limit_mail_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !sends_mail(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    match state.mail_limit.take(client(&request), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs().max(1);
            let e = WebError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many requests from this address; try again in {seconds} seconds"),
            );
            let mut response = answer_at(request.uri().path(), e);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

/// The origin (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest
        .find('/')
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    Some(&url[..end])
}

/// True when a browser's `Origin` (or, without one, its `Referer`) names this site: the
/// configured public address or the host the request was sent to. A request naming
/// neither comes from no web page (a script, a mail provider's one-click unsubscribe).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let named = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let Some(named) = named else {
        return true;
    };
    let Some(origin) = origin_of(named) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let ours = [
        origin_of(public_url).map(str::to_owned),
        Some(format!("http://{host}")),
        Some(format!("https://{host}")),
    ];
    ours.iter()
        .flatten()
        .any(|o| o.eq_ignore_ascii_case(origin))
}

/// Form posts from other sites are refused (403) before anything is done; the JSON API's
/// subscription endpoint takes JSON only, which no cross-site form can send.
pub async fn same_origin_posts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let public = &state.app.config().server.public_url;
    let bearer = request.headers().contains_key(header::AUTHORIZATION);
    if request.method() != Method::POST || bearer {
        return next.run(request).await;
    }
    if !same_origin(request.headers(), public) {
        let e = WebError::forbidden(
            "this form was sent from another site; nothing was done. Use the form on this site",
        );
        return answer_at(&path, e);
    }
    if path == "/api/v1/subscriptions" {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim_start().starts_with("application/json"));
        if !json {
            return WebError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the subscription as Content-Type: application/json",
            )
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_limit_per_window_and_then_a_wait() {
        let limit = ClientLimit::new(3, Duration::from_secs(600));
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limit.take(a, t0).is_ok());
        }
        let wait = limit.take(a, t0 + Duration::from_secs(100)).unwrap_err();
        assert_eq!(wait.as_secs(), 500);
        assert!(limit.take(b, t0).is_ok(), "another client is not held up");
        assert!(
            limit.take(a, t0 + Duration::from_secs(600)).is_ok(),
            "a new window"
        );
    }

    #[test]
    fn only_this_site_may_post_its_forms() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            h
        };
        let public = "https://procedures.example.org";
        assert!(same_origin(&headers(&[]), public));
        assert!(same_origin(
            &headers(&[("origin", "https://procedures.example.org")]),
            public
        ));
        assert!(same_origin(
            &headers(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080")
            ]),
            public
        ));
        assert!(same_origin(
            &headers(&[("referer", "https://procedures.example.org/subscribe?x=1")]),
            public
        ));
        for foreign in [
            "https://evil.example",
            "null",
            "https://procedures.example.org.evil.example",
        ] {
            assert!(
                !same_origin(
                    &headers(&[("origin", foreign), ("host", "procedures.example.org")]),
                    public
                ),
                "{foreign}"
            );
        }
        assert!(!same_origin(
            &headers(&[("referer", "https://evil.example/page")]),
            public
        ));
    }
}
