//! The request timeout's answers.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use tower::ServiceExt;

fn slow_router() -> Router {
    let slow = || async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        "done"
    };
    Router::new()
        .route("/api/v1/slow", get(slow))
        .route("/slow", get(slow))
        .route("/quick", get(|| async { "quick" }))
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_secs(1),
            super::request_timeout,
        ))
}

async fn get_answer(path: &str) -> (StatusCode, String, String) {
    let response = slow_router()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_503_in_json_under_the_api() {
    let (status, kind, body) = get_answer("/api/v1/slow").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(kind.starts_with("application/json"), "{kind}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        json["error"].as_str().unwrap().contains("allows (1 s)"),
        "{body}"
    );
}

#[tokio::test]
async fn a_page_that_takes_too_long_is_answered_with_an_error_page() {
    let (status, kind, body) = get_answer("/slow").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("allows (1 s)"), "{body}");
}

#[tokio::test]
async fn a_quick_request_is_answered_as_usual() {
    let (status, _, body) = get_answer("/quick").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "quick");
}
