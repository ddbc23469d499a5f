//! The axum pieces wired into a router: the `appKey` middleware, the JSON body extractor and
//! JSON errors.
#![allow(clippy::unwrap_used)]

use alwayson_rest::app_key::require_app_key;
use alwayson_rest::{AppKey, JsonBody, RestError};
use axum::body::Body;
use axum::routing::post;
use axum::Router;
use http::{Request, StatusCode};
use serde_json::{json, Value as Json};
use tower::ServiceExt as _;

fn app() -> Router {
    Router::new()
        .route(
            "/echo",
            post(|JsonBody(body): JsonBody| async move {
                match body {
                    Some(Json::Object(m)) => Ok(axum::Json(Json::Object(m))),
                    _ => Err(RestError::bad_request("want an object")),
                }
            }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            AppKey::new("k"),
            require_app_key,
        ))
}

async fn call(
    key: Option<&str>,
    ct: Option<&str>,
    body: &str,
) -> (StatusCode, Option<String>, Json) {
    let mut b = Request::builder().method("POST").uri("/echo");
    if let Some(k) = key {
        b = b.header("appKey", k);
    }
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    let resp = app()
        .oneshot(b.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, ct, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn key_body_and_errors() {
    let (s, ct, j) = call(Some("k"), Some("application/json"), r#"{"a":1}"#).await;
    assert_eq!((s, j), (StatusCode::OK, json!({"a": 1})));
    assert_eq!(ct.as_deref(), Some("application/json"));
    let (s, ct, j) = call(None, None, "{}").await;
    assert_eq!(
        (s, j),
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": "missing appKey header"})
        )
    );
    assert_eq!(ct.as_deref(), Some("application/json"));
    let (s, _, j) = call(Some("x"), None, "{}").await;
    assert_eq!(
        (s, j),
        (StatusCode::UNAUTHORIZED, json!({"error": "invalid appKey"}))
    );
    let (s, _, j) = call(Some("k"), Some("text/plain"), "{}").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(j["error"].as_str().unwrap().contains("text/plain"));
    let (s, _, j) = call(Some("k"), Some("application/json"), "{").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(j["error"]
        .as_str()
        .unwrap()
        .starts_with("body is not valid JSON"));
    let (s, _, j) = call(Some("k"), None, "").await;
    assert_eq!(
        (s, j),
        (StatusCode::BAD_REQUEST, json!({"error": "want an object"}))
    );
}
