//! The API's router without a socket (`Router::oneshot`): keys, scopes,
//! the document and the error shape. The end-to-end tests in `tests/e2e/api`
//! cover the rest against a real server and real stations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use domain::{Scope, Storage};
use server::{Server, ServerConfig};
use session::admission::{AdmissionPolicy, UnknownStationPolicy};
use store::{SledStore, StoreOptions};

struct Api {
    router: Router,
    store: Arc<SledStore>,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SledStore::open(dir.path(), StoreOptions::default()).unwrap());
        let storage: Arc<dyn Storage> = store.clone();
        let policy = AdmissionPolicy { unknown_stations: UnknownStationPolicy::Reject, allow_stations_without_password: true };
        let server = Server::new(storage, ServerConfig::new(policy));
        let options = api::ApiOptions { allow_stations_without_password: true, ..api::ApiOptions::default() };
        Api { router: api::router(server.network(), options), store, _dir: dir }
    }

    async fn key(&self, scope: Scope) -> String {
        api::operations::keys::create(self.store.as_ref(), "router test", scope, server::now()).await.unwrap().1
    }

    async fn call(&self, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let request = match body {
            Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, body)
    }
}

#[tokio::test]
async fn requests_need_a_key_with_the_right_scope() {
    let api = Api::new();
    let (status, body) = api.call("GET", "/api/v1/stations", None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let read = api.key(Scope::Read).await;
    let (status, body) = api.call("GET", "/api/v1/stations", Some(&read), None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"items": [], "next_cursor": null})));
    let (status, body) = api.call("POST", "/api/v1/stations", Some(&read), Some(json!({"id": "CP-1"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let admin = api.key(Scope::Admin).await;
    let (status, body) = api.call("POST", "/api/v1/stations", Some(&admin), Some(json!({"id": "CP-1"}))).await;
    assert_eq!((status, body["station"]["password_set"].as_bool()), (StatusCode::CREATED, Some(false)));
    let (status, body) = api.call("GET", "/api/v1/stations/CP-1", Some(&read), None).await;
    assert_eq!((status, body["registration"].as_str(), body["connected"].as_bool()), (StatusCode::OK, Some("Accepted"), Some(false)));
}

#[tokio::test]
async fn the_document_is_public_and_errors_keep_their_shape() {
    let api = Api::new();
    let (status, document) = api.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document, serde_json::to_value(api::openapi()).unwrap());
    let key = api.key(Scope::Operate).await;
    for (method, path, status, code) in [
        ("GET", "/api/v1/nowhere", StatusCode::NOT_FOUND, "route_not_found"),
        ("DELETE", "/api/v1/transactions", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("GET", "/api/v1/stations/CP-9", StatusCode::NOT_FOUND, "station_not_found"),
        ("GET", "/api/v1/stations?limit=nine", StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        ("POST", "/api/v1/stations/CP-9/commands/clear-cache", StatusCode::NOT_FOUND, "station_not_found"),
        ("POST", "/api/v1/stations/CP-9/commands/reset", StatusCode::BAD_REQUEST, "invalid_json"),
    ] {
        let (got, body) = api.call(method, path, Some(&key), None).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{method} {path}: {body}");
        assert!(body["error"]["message"].is_string());
    }
}
