//! The OpenAPI document: served without a key, the same as the one built
//! from the code, and valid OpenAPI 3.1 according to an independent
//! validator (the PyPI package `openapi-spec-validator`, installed once
//! under `target/` like the interop tests' packages). That its paths are
//! exactly the routes served is checked route by route in `auth`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{ApiClient, TestServer, python_packages};

fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi")
}

#[tokio::test]
async fn the_document_is_served_without_a_key_and_is_valid_openapi() {
    let server = TestServer::start().await;
    let anonymous = ApiClient::new(&server.http_url(), None);
    let served = anonymous.get("/openapi.json").await.expect(200);
    assert_eq!(served, serde_json::to_value(api::openapi()).unwrap(), "the served document is the one built from the code");
    assert_eq!(served["openapi"], "3.1.0");
    assert!(served["paths"]["/api/v1/stations/{id}/commands/remote-start"]["post"].is_object());
    assert_eq!(served["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_string_pretty(&served).unwrap()).unwrap();
    let output = tokio::task::spawn_blocking(move || {
        let packages = python_packages(&openapi_dir().join("requirements.txt"), "openapi");
        Command::new("python3")
            .arg(openapi_dir().join("validate.py"))
            .arg(&file)
            .env("PYTHONPATH", packages)
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stdout.trim() == "ok", "the document is not valid OpenAPI:\n{stdout}\n{stderr}");
    server.shutdown().await;
}
