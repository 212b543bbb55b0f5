//! The CLI through the API: the first admin key is made on the data
//! directory with the server stopped; with the server running, the data
//! directory is refused with a pointer to `--api`, and `--api` runs the
//! same commands (stations, tokens, bulk import, transactions, API keys)
//! plus commands to stations, with the API's errors. And `gridlet sim idle`
//! acts on the remote starts and stops the API sends.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use domain::{Scope, StationId};
use ocpp::OcppVersion;
use sim::{Station, StationConfig};

use crate::api::eventually;
use crate::harness::{GridletProcess, PASSWORD, TestServer, gridlet_cli, gridlet_cli_env, gridlet_program};

#[tokio::test]
async fn the_cli_works_through_the_api_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let (ok, _, err) = gridlet_cli(data, &["api-key", "create", "--name", "ops", "--scope", "superuser"], None).await;
    assert!(!ok && err.contains("read, operate, admin"), "{err}");
    let (ok, out, err) = gridlet_cli(data, &["api-key", "create", "--name", "ops", "--scope", "admin"], None).await;
    assert!(ok, "{err}");
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("gl_"), "the key is printed on its own line: {out}");
    // the only admin key cannot be revoked on the data directory either
    let key_id = api::auth::parse_key(&key).unwrap().0.to_owned();
    let (ok, _, err) = gridlet_cli(data, &["api-key", "revoke", &key_id], None).await;
    assert!(!ok && err.contains("last admin key"), "{err}");
    let (ok, out, _) = gridlet_cli(data, &["api-key", "list"], None).await;
    let line = out.lines().find(|line| line.starts_with(&key_id)).unwrap_or_default();
    assert!(ok && line.split_whitespace().nth(3) == Some("-"), "the key is not revoked: {out}");

    let server = GridletProcess::start(data, &[]).await;
    let (ok, _, err) = gridlet_cli(data, &["station", "list"], None).await;
    assert!(!ok, "the data directory is in use");
    assert!(err.contains("in use by another gridlet process") && err.contains("--api"), "{err}");

    let url = format!("http://{}", server.addr);
    let env = [("GRIDLET_API_URL", url.as_str()), ("GRIDLET_API_KEY", key.as_str())];
    let cli = |args: &'static [&'static str], stdin: Option<&'static str>| async move {
        gridlet_cli_env(data, args, stdin, &env).await
    };
    let (ok, out, err) = cli(&["station", "add", "CLI-API-1", "--password-stdin"], Some("correct-horse-battery\n")).await;
    assert!(ok && out.contains("station CLI-API-1 added"), "{out}{err}");
    let (ok, _, err) = cli(&["station", "add", "CLI-API-1", "--generate-password"], None).await;
    assert!(!ok && err.contains("station_exists"), "the API's error code is shown: {err}");
    let (ok, _, err) = cli(&["station", "add", "CLI-API-2", "--password", "short"], None).await;
    assert!(!ok && err.contains("16 to 40"), "{err}");
    let (ok, out, err) = cli(&["token", "add", "CLI-TAG", "--type", "ISO14443", "--group", "FLEET"], None).await;
    assert!(ok && out.contains("token CLI-TAG saved"), "{out}{err}");
    let csv = data.join("tokens.csv");
    std::fs::write(&csv, "value,status\nBULK-1,\nBULK-2,Blocked\n").unwrap();
    let csv_arg = csv.display().to_string();
    let (ok, out, err) = gridlet_cli_env(data, &["token", "import", &csv_arg], None, &env).await;
    assert!(ok && out.contains("2 tokens imported"), "{out}{err}");
    std::fs::write(&csv, "value,status\nBULK-3,\nBULK-4,Maybe\n").unwrap();
    let (ok, _, err) = gridlet_cli_env(data, &["token", "import", &csv_arg], None, &env).await;
    assert!(!ok && err.contains("invalid_import") && err.contains("row 2"), "{err}");
    let (ok, out, _) = cli(&["token", "list"], None).await;
    assert!(ok && out.contains("CLI-TAG") && out.contains("FLEET") && out.contains("BULK-2") && !out.contains("BULK-3"), "{out}");

    let (ok, _, err) = cli(&["command", "CLI-API-1", "reset"], None).await;
    assert!(!ok && err.contains("station_offline"), "{err}");
    let (ok, _, err) = cli(&["command", "CLI-API-1", "explode"], None).await;
    assert!(!ok && err.contains("unknown command"), "{err}");

    let config = StationConfig::new(format!("ws://{}/ocpp", server.addr), "CLI-API-1", OcppVersion::V16).password(PASSWORD);
    let mut cp = Station::new(config);
    cp.connect().await.unwrap();
    cp.boot().await.unwrap();
    let (ok, out, err) = cli(&["command", "CLI-API-1", "change-configuration", "--json", r#"{"key":"HeartbeatInterval","value":"90"}"#], None).await;
    assert!(ok && out.contains("\"status\": \"Accepted\""), "{out}{err}");
    assert!(cp.wait_for_command("ChangeConfiguration", Duration::from_secs(2)).await.is_some());
    let (ok, out, err) = cli(&["station", "list"], None).await;
    assert!(ok && out.contains("CLI-API-1") && out.contains("yes"), "connected, through the API: {out}{err}");
    let (ok, out, err) = cli(&["station", "show", "CLI-API-1"], None).await;
    assert!(ok && out.contains("Connected (OCPP 1.6)") && out.contains("Booted"), "{out}{err}");
    let (ok, out, _) = cli(&["transaction", "list"], None).await;
    assert!(ok && out.contains("NUMBER"), "{out}");
    let (ok, out, err) = cli(&["api-key", "create", "--name", "dashboard", "--scope", "read"], None).await;
    assert!(ok, "{err}");
    let read_key = out.lines().last().unwrap().trim().to_owned();
    let (ok, out, _) = cli(&["api-key", "list"], None).await;
    assert!(ok && out.contains("ops") && out.contains("dashboard") && !out.contains(&read_key), "{out}");
    let read_env = [("GRIDLET_API_URL", url.as_str()), ("GRIDLET_API_KEY", read_key.as_str())];
    let (ok, _, err) = gridlet_cli_env(data, &["token", "remove", "CLI-TAG"], None, &read_env).await;
    assert!(!ok && err.contains("forbidden"), "{err}");
    let (ok, _, err) = gridlet_cli_env(data, &["station", "list"], None, &[("GRIDLET_API_URL", url.as_str())]).await;
    assert!(!ok && err.contains("GRIDLET_API_KEY"), "{err}");
    let (ok, _, err) = gridlet_cli(data, &["command", "CLI-API-1", "reset"], None).await;
    assert!(!ok && err.contains("--api"), "{err}");
    server.kill().await;
}

#[tokio::test]
async fn a_gridlet_sim_idle_station_starts_and_stops_remotely() {
    for (version, flag) in [(OcppVersion::V16, "1.6"), (OcppVersion::V201, "2.0.1")] {
        let server = TestServer::start().await;
        let id = format!("IDLE-{flag}");
        server.register_station(&id).await;
        server.add_token("IDLE-TAG").await;
        let mut sim = tokio::process::Command::new(gridlet_program())
            .args(["sim", "--url", &server.url(), "--station", &id, "--password", PASSWORD, "--ocpp", flag, "-q"])
            .args(["idle", "--duration", "30s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let station = StationId::parse(&id).unwrap();
        eventually(Duration::from_secs(20), "gridlet sim connects", async || {
            server.network.connection(&station).is_some()
        })
        .await;
        let operator = server.client(Scope::Operate).await;
        let started = operator
            .post(&format!("/stations/{id}/commands/remote-start"), json!({"id_token": {"value": "IDLE-TAG"}}))
            .await
            .expect(201);
        assert_eq!((started["state"].as_str(), started["evse"].as_u64()), (Some("Active"), Some(1)), "{version}: {started}");
        if version == OcppVersion::V201 {
            assert!(started["remote_start_id"].is_i64(), "{started}");
        }
        let number = started["number"].as_u64().unwrap();
        let stop = operator.post(&format!("/stations/{id}/commands/remote-stop"), json!({"transaction": number})).await.expect(200);
        assert_eq!(stop["status"], "Accepted");
        eventually(Duration::from_secs(5), "the station stops the transaction", async || {
            operator.get(&format!("/transactions/{number}")).await.expect(200)["transaction"]["state"] == "Ended"
        })
        .await;
        let ended = operator.get(&format!("/transactions/{number}")).await.expect(200);
        assert_eq!(ended["transaction"]["stop_reason"], "Remote");
        sim.kill().await.unwrap();
        server.shutdown().await;
    }
}
