//! Keys and scopes, table-driven over the OpenAPI document so no route is
//! forgotten: every operation refuses a missing, malformed, unknown or
//! revoked key (401) and a weaker scope (403), and answers with the scope
//! it documents — which also shows every documented operation is served
//! and no undocumented method is.

use std::time::Duration;

use serde_json::{Value, json};

use domain::Scope;

use crate::harness::{ApiClient, TestServer};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A documented path with its parameters filled in with things that do not exist.
fn concrete(path: &str) -> String {
    path.trim_start_matches("/api/v1")
        .replace("{id}", "NO-SUCH-1")
        .replace("{number}", "999999")
        .replace("{token}", "NO-SUCH-TOKEN")
        .replace("{group}", "NO-SUCH-GROUP")
        .replace("{station}", "NO-SUCH-1")
}

/// `method path` as `client` (an event stream answers with its status alone).
async fn status_of(client: &ApiClient, method: &str, path: &str) -> (u16, Value) {
    let answer = tokio::time::timeout(Duration::from_secs(10), client.request(method, path, None))
        .await
        .unwrap_or_else(|_| panic!("{method} {path} answers"));
    (answer.status, answer.body)
}

#[tokio::test]
async fn every_route_refuses_missing_bad_revoked_and_weaker_keys() {
    let server = TestServer::start().await;
    let anonymous = ApiClient::new(&server.http_url(), None);
    let mut by_scope = Vec::new();
    for scope in Scope::ALL {
        by_scope.push((scope, server.client(scope).await));
    }
    let revoked_key = server.api_key(Scope::Admin).await;
    let revoked_id = api::auth::parse_key(&revoked_key).unwrap().0.to_owned();
    api::operations::keys::revoke(server.store.as_ref(), &revoked_id, api::operations::keys::Revoker::Operator, server::now()).await.unwrap();
    let refused_keys = [
        ("missing", None),
        ("malformed", Some("not-a-key".to_owned())),
        ("unknown", Some("gl_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned())),
        ("wrong secret", Some(format!("gl_{revoked_id}_wrong-secret"))),
        ("revoked", Some(revoked_key)),
    ];

    let document = serde_json::to_value(api::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut operations = 0;
    for (template, item) in paths {
        let path = concrete(template);
        let item = item.as_object().unwrap();
        for (method, operation) in item {
            let method = method.to_uppercase();
            operations += 1;
            let needed = operation["security"][0]["api_key"][0].as_str().map(|s| Scope::parse(s).unwrap());
            let Some(needed) = needed else {
                // the document itself: public
                let (status, _) = status_of(&anonymous, &method, &path).await;
                assert_eq!(status, 200, "{method} {path} is public");
                continue;
            };
            for (what, key) in &refused_keys {
                let client = anonymous.with_key(key.as_deref());
                let (status, body) = status_of(&client, &method, &path).await;
                assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")), "{method} {path} with a {what} key: {body}");
            }
            for (scope, client) in &by_scope {
                let (status, body) = status_of(client, &method, &path).await;
                if scope.allows(needed) {
                    assert!(
                        status != 401 && status != 403 && status != 405 && body["error"]["code"] != "route_not_found",
                        "{method} {path} is served and allowed with scope {}: {status} {body}",
                        scope.as_str()
                    );
                    if *scope == needed && status >= 400 {
                        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{method} {path}: {body}");
                    }
                } else {
                    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{method} {path} with {}", scope.as_str());
                    let message = body["error"]["message"].as_str().unwrap();
                    assert!(message.contains(needed.as_str()), "the refusal names the scope needed: {message}");
                }
            }
        }
        // methods the document does not list are not served on the path
        let admin = &by_scope[2].1;
        for method in METHODS.iter().filter(|m| !item.contains_key(&m.to_lowercase())) {
            let answer = admin.request(method, &path, None).await;
            answer.expect_error(405, "method_not_allowed");
        }
    }
    assert!(operations >= 45, "the document lists every operation ({operations})");
    server.shutdown().await;
}

#[tokio::test]
async fn refusals_say_how_to_authenticate() {
    let server = TestServer::start().await;
    let response = reqwest::get(format!("{}/api/v1/stations", server.http_url())).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("Authorization: Bearer"), "{body}");
    // a Basic header is no API key
    let basic = reqwest::Client::new()
        .get(format!("{}/api/v1/stations", server.http_url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    // keys made through the API work at once, and stop working once revoked
    let admin = server.client(Scope::Admin).await;
    let created = admin.post("/api-keys", json!({"name": "billing export", "scope": "read"})).await.expect(201);
    let key = created["api_key"].as_str().unwrap();
    assert!(key.starts_with("gl_"));
    let reader = admin.with_key(Some(key));
    reader.get("/stations").await.expect(200);
    reader.post("/id-tokens", json!({"value": "NOPE"})).await.expect_error(403, "forbidden");
    let listed = admin.get("/api-keys").await.expect(200);
    let listed_text = listed.to_string();
    assert!(listed_text.contains("billing export"));
    assert!(!listed_text.contains(key.rsplit('_').next().unwrap()), "secrets are never listed");
    let id = created["key"]["id"].as_str().unwrap();
    let revoked = admin.delete(&format!("/api-keys/{id}")).await.expect(200);
    assert!(revoked["revoked_at"].is_string());
    reader.get("/stations").await.expect_error(401, "unauthorized");
    admin.post("/api-keys", json!({"name": "x", "scope": "superuser"})).await.expect_error(422, "invalid_request");
    admin.delete("/api-keys/0000000000000000").await.expect_error(404, "api_key_not_found");
    server.shutdown().await;
}

#[tokio::test]
async fn a_key_cannot_revoke_itself_nor_the_last_admin_key_go() {
    let server = TestServer::start().await;
    let first = server.client(Scope::Admin).await;
    let first_id = api::auth::parse_key(first.key().unwrap()).unwrap().0.to_owned();
    let message = first.delete(&format!("/api-keys/{first_id}")).await.expect_error(409, "api_key_in_use");
    assert!(message.contains("another admin key"), "{message}");
    let listed = first.get("/api-keys").await.expect(200);
    assert!(listed["items"][0]["revoked_at"].is_null(), "nothing changed: {listed}");

    // a second admin key may revoke the first, and is then the last one
    let created = first.post("/api-keys", json!({"name": "second admin", "scope": "admin"})).await.expect(201);
    let second = first.with_key(created["api_key"].as_str());
    let second_id = created["key"]["id"].as_str().unwrap();
    let reader = second.post("/api-keys", json!({"name": "reader", "scope": "read"})).await.expect(201);
    second.delete(&format!("/api-keys/{first_id}")).await.expect(200);
    first.get("/api-keys").await.expect_error(401, "unauthorized");
    second.delete(&format!("/api-keys/{second_id}")).await.expect_error(409, "api_key_in_use");
    // the full key in the path names the same key
    second.delete(&format!("/api-keys/gl_{second_id}_secret")).await.expect_error(409, "api_key_in_use");
    // keys of other scopes go as before
    second.delete(&format!("/api-keys/{}", reader["key"]["id"].as_str().unwrap())).await.expect(200);
    let keys = second.get("/api-keys").await.expect(200);
    let live: Vec<&Value> = keys["items"].as_array().unwrap().iter().filter(|k| k["revoked_at"].is_null()).collect();
    assert_eq!(live.len(), 1, "only the second admin key is left: {keys}");
    assert_eq!(live[0]["id"], second_id);
    second.get("/stations").await.expect(200);
    server.shutdown().await;
}
