//! The OpenAPI document against the server, by a schema-driven fuzzer
//! (PyPI `schemathesis`, pinned in `tests/openapi/fuzz-requirements.txt`
//! and installed once under `target/` like the other Python packages).
//! From the document alone it makes valid and invalid requests for every
//! operation and checks that the server never fails (`not_a_server_error`),
//! answers only statuses, content types and bodies the document states
//! (`status_code_conformance`, `content_type_conformance`,
//! `response_schema_conformance`), refuses what the document calls
//! invalid (`negative_data_rejection`) and takes what it calls valid
//! (`positive_data_acceptance`).
//!
//! Bounded and deterministic: a fixed seed, derandomized generation, a
//! fixed number of examples per operation, one worker, and a time limit
//! (`tests/openapi/schemathesis.toml` has the settings and says why each
//! exception is there). What is left out: `GET /events`, an endless
//! event stream no request-response check can finish reading (its filters
//! are tested in `events`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use domain::Scope;

use crate::harness::{ApiClient, TestServer, python_packages};

/// The longest the fuzzer may run (it takes well under this on two cores).
const TIME_LIMIT: Duration = Duration::from_secs(150);

/// The checks run on every answer.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,negative_data_rejection,positive_data_acceptance";

fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi")
}

#[tokio::test]
async fn a_schema_driven_fuzzer_finds_the_server_as_documented() {
    // Password-less stations allowed, so registering one without a
    // password (a rule that depends on this setting) is not refused.
    let server = TestServer::start_with(|config| config.admission.allow_stations_without_password = true).await;
    server.register_station("FUZZ-1").await;
    let key = server.api_key(Scope::Admin).await;
    let key_after = key.clone();
    let base = server.http_url();
    let report = tempfile::tempdir().unwrap();
    let report_dir = report.path().to_owned();

    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        let packages = python_packages(&openapi_dir().join("fuzz-requirements.txt"), "fuzz");
        let mut fuzzer = Command::new("timeout");
        fuzzer
            .arg(TIME_LIMIT.as_secs().to_string())
            .args(["python3", "-m", "schemathesis.cli", "--no-color", "--config-file"])
            .arg(openapi_dir().join("schemathesis.toml"))
            .arg("run")
            .arg(format!("{base}/api/v1/openapi.json"))
            .args(["--url", &base])
            .args(["--header", &format!("Authorization: Bearer {key}")])
            .args(["--checks", CHECKS])
            .args(["--exclude-operation-id", "stream_events"])
            .arg("--report-dir")
            .arg(&report_dir)
            .env("PYTHONPATH", packages)
            .current_dir(&report_dir);
        fuzzer.output().expect("run python3 -m schemathesis.cli")
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the fuzzer found the server disagreeing with its document (or ran over {TIME_LIMIT:?}: {elapsed:?}):\n{stdout}\n{stderr}"
    );
    let summary: Vec<&str> = stdout.lines().skip_while(|line| !line.contains("SUMMARY")).collect();
    eprintln!("schemathesis ran in {elapsed:?}\n{}", summary.join("\n"));

    // the key it used still works: no request revoked the last admin key
    ApiClient::new(&server.http_url(), Some(key_after)).get("/api-keys").await.expect(200);
    server.shutdown().await;
}
