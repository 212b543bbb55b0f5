//! Interoperability with an OCPP implementation Gridlet's authors did not
//! write: charge points built on the PyPI package `ocpp`, which validates
//! every request and every response against the official JSON schemas,
//! drive whole 1.6 and 2.0.1 sessions against a real `gridlet serve`.
//!
//! Needs Python 3.11+ with pip; the pinned packages of
//! `tests/interop/requirements.txt` are installed once under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use domain::{Change, IdTokenRecord, Station, StationId, Storage, Timestamp, TransactionState};
use store::{SledStore, StoreOptions};

use crate::harness::{self, GridletProcess, PASSWORD};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// Installs the pinned Python packages (once) and returns their directory.
fn python_packages() -> PathBuf {
    harness::python_packages(&interop_dir().join("requirements.txt"), "interop")
}

/// Runs an interop script; returns the JSON line it printed.
fn run_script(script: &str, url: &str, station: &str, token: &str) -> serde_json::Value {
    let packages = python_packages();
    let output = Command::new("python3")
        .arg(interop_dir().join(script))
        .args([url, station, PASSWORD, token])
        .env("PYTHONPATH", format!("{}:{}", packages.display(), interop_dir().display()))
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    let result: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|_| panic!("{script} printed no result\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    assert!(output.status.success() && result["ok"] == true, "{script} failed: {result}\nstderr:\n{stderr}");
    result
}

async fn prepare(dir: &Path, station: &str, token: &str) {
    let store = SledStore::open(dir, StoreOptions::default()).unwrap();
    let hash = session::auth::hash_password(PASSWORD).unwrap();
    let mut changes = domain::ChangeSet::new();
    changes.push(Change::PutStation(Station::registered(StationId::parse(station).unwrap(), Some(hash), Timestamp::from_unix_millis(0))));
    changes.push(Change::PutIdToken(IdTokenRecord::accepted(token).unwrap()));
    let ticket = store.apply(changes).unwrap();
    store.durable(ticket).await.unwrap();
    store.close().unwrap();
}

async fn interop_session(script: &str, station: &str, token: &str) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path(), station, token).await;
    let gridlet = GridletProcess::start(dir.path(), &[]).await;
    let url = gridlet.url();
    let (script, station, token) = (script.to_owned(), station.to_owned(), token.to_owned());
    let result = tokio::task::spawn_blocking(move || run_script(&script, &url, &station, &token)).await.unwrap();
    gridlet.kill().await;
    (dir, result)
}

#[tokio::test]
async fn python_ocpp_16_charge_point() {
    let (dir, result) = interop_session("charge_point_16.py", "PY16", "PYTAG16").await;
    let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
    let station = StationId::parse("PY16").unwrap();
    let tx_id = result["transaction_id"].as_i64().unwrap().to_string();
    let tx = store.transaction_by_station_tx_id(&station, &tx_id).unwrap().expect("the python session's transaction");
    assert_eq!(tx.state, TransactionState::Ended);
    assert_eq!(tx.energy_wh(), Some(2500.0));
    assert_eq!(tx.stop_reason.as_deref(), Some("EVDisconnected"));
    let samples = store.meter_samples(tx.number).unwrap();
    assert!(samples.iter().any(|s| s.measurand == "Power.Active.Import" && s.value == Some(7200.0) && s.unit.as_deref() == Some("W")));
    let record = store.station(&station).unwrap().unwrap();
    assert_eq!(record.boot.unwrap().vendor, "PyVendor");
    assert_eq!(record.diagnostics_status.unwrap().status, "Idle");
    store.close().unwrap();
}

#[tokio::test]
async fn python_ocpp_201_charging_station() {
    let (dir, result) = interop_session("charge_point_201.py", "PY201", "PYTAG201").await;
    let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
    let station = StationId::parse("PY201").unwrap();
    let tx_id = result["transaction_id"].as_str().unwrap();
    let tx = store.transaction_by_station_tx_id(&station, tx_id).unwrap().expect("the python session's transaction");
    assert_eq!(tx.state, TransactionState::Ended);
    assert_eq!(tx.energy_wh(), Some(1200.0));
    assert_eq!(tx.stop_reason.as_deref(), Some("EVDisconnected"));
    assert_eq!(store.transaction_events(tx.number).unwrap().len(), 4);
    let variables = store.reported_variables(&station).unwrap();
    assert!(variables.iter().any(|v| v.address.variable == "HeartbeatInterval"));
    store.close().unwrap();
}
