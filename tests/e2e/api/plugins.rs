//! Plugins and tariffs on a real `gridlet serve` process with the real
//! default tariff components: a fresh server installs and lists the default
//! plugins; a tariff assigned through the API prices sessions of both OCPP
//! versions, with lines and provenance matching `GET /plugins/{id}`; an
//! upgrade uploaded through the API takes effect without a restart and
//! rolls back; a rejected configuration changes nothing; a disabled tariff
//! leaves a transaction unpriced until it is enabled and repriced; and all
//! of it survives a restart. The CLI manages plugins and tariffs on the
//! data directory while the server is stopped.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use gridlet::client::{Part, multipart};
use ocpp::OcppVersion;
use sim::{ManualClock, Station, StationConfig, StopReason};

use crate::T0;
use crate::api::eventually;
use crate::harness::{ApiClient, GridletProcess, PASSWORD, gridlet_cli, gridlet_cli_env};

const MINUTE: i64 = 60_000;
const TOKEN: &str = "PRICE-TAG";

/// Registers stations and a token and creates an admin key with the CLI on
/// the data directory (the server stopped); returns the key.
async fn prepare(data: &Path, stations: &[&str]) -> String {
    let (ok, out, err) = gridlet_cli(data, &["api-key", "create", "--name", "pricing", "--scope", "admin"], None).await;
    assert!(ok, "{err}");
    for id in stations {
        let (ok, _, err) = gridlet_cli(data, &["station", "add", id, "--password-stdin"], Some(&format!("{PASSWORD}\n"))).await;
        assert!(ok, "{err}");
    }
    let (ok, _, err) = gridlet_cli(data, &["token", "add", TOKEN], None).await;
    assert!(ok, "{err}");
    out.lines().last().unwrap_or_default().trim().to_owned()
}

/// A simulated station of one version with its own clock.
struct Charger {
    cp: Station,
    clock: ManualClock,
    id: String,
}

impl Charger {
    async fn connect(server: &GridletProcess, id: &str, version: OcppVersion) -> Charger {
        let clock = ManualClock::new(T0);
        let config = StationConfig::new(server.url(), id, version).password(PASSWORD).clock(clock.clone());
        let mut cp = Station::new(config);
        cp.connect().await.expect("station connects");
        assert!(cp.boot().await.expect("boot").accepted());
        Charger { cp, clock, id: id.to_owned() }
    }

    /// The station's newest transaction, as the API shows it.
    async fn newest(&self, api: &ApiClient) -> Value {
        let page = api.get(&format!("/transactions?station={}&order=desc&limit=1", self.id)).await.expect(200);
        page["items"][0].clone()
    }

    /// A session of 11 kW: start, a reading 10 minutes on (and, if it is
    /// `priced`, its running cost: the server estimates one at every
    /// reading), stop 5 minutes later; returns the ended transaction.
    async fn charge(&mut self, api: &ApiClient, priced: bool) -> Value {
        let handle = self.cp.start_transaction(1, TOKEN).await.expect("start");
        self.clock.advance(10 * MINUTE);
        self.cp.meter_values(handle).await.expect("meter values");
        // the running cost is estimated after the reading is answered
        let mut running = self.newest(api).await;
        if priced {
            eventually(Duration::from_secs(5), "a running cost is estimated", async || {
                running = self.newest(api).await;
                running["running_cost"].is_object()
            })
            .await;
            assert_eq!(running["running_cost"]["currency"], "EUR", "{running}");
        }
        assert_eq!(running["state"], "Active", "{running}");
        self.clock.advance(5 * MINUTE);
        self.cp.stop_transaction(handle, StopReason::EvDisconnected).await.expect("stop");
        let number = running["number"].as_u64().expect("number");
        let mut ended = Value::Null;
        eventually(Duration::from_secs(5), "the transaction is priced", async || {
            ended = api.get(&format!("/transactions/{number}")).await.expect(200)["transaction"].clone();
            ended["pricing"].is_object()
        })
        .await;
        ended
    }
}

/// `manifest` with its `version` (not its `wit`) set to `version`, and its
/// `id` to `id`.
fn manifest_with(manifest: &str, id: &str, version: &str) -> String {
    manifest
        .lines()
        .map(|line| {
            if line.starts_with("version = ") {
                format!("version = \"{version}\"")
            } else if line.starts_with("id = ") {
                format!("id = \"{id}\"")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The default plugin `id`'s manifest and component.
fn default_plugin(id: &str) -> (&'static str, &'static [u8]) {
    let artifact = plugin_artifacts::DEFAULT_PLUGINS
        .iter()
        .find(|a| a.manifest.contains(&format!("id = \"{id}\"")))
        .unwrap_or_else(|| panic!("{id} is a default plugin"));
    (artifact.manifest, artifact.component)
}

/// Uploads a package made of `manifest` and `component` to `POST /plugins`.
async fn upload(api: &ApiClient, manifest: &str, component: &[u8]) -> crate::harness::Answer {
    let (content_type, body) = multipart(&[
        Part { name: "manifest", file_name: Some("gridlet-plugin.toml".into()), content_type: "application/toml", bytes: manifest.as_bytes().to_vec() },
        Part { name: "component", file_name: Some("tariff.wasm".into()), content_type: "application/wasm", bytes: component.to_vec() },
    ]);
    api.raw_bytes("POST", "/plugins", &content_type, body).await
}

/// Checks `tx` is priced by `plugin` as `GET /plugins/{plugin}` shows it now.
async fn assert_priced_by(api: &ApiClient, tx: &Value, plugin: &str) {
    let pricing = &tx["pricing"];
    assert_eq!(pricing["state"], "priced", "{tx}");
    let installed = api.get(&format!("/plugins/{plugin}")).await.expect(200);
    assert_eq!(pricing["priced_by"], json!({"plugin_id": plugin, "version": installed["version"], "hash": installed["hash"]}), "{tx}");
    assert_eq!(pricing["currency"], "EUR");
    let lines = pricing["lines"].as_array().expect("lines");
    assert!(!lines.is_empty(), "{tx}");
    let sum: i64 = lines.iter().map(|line| line["amount_minor"].as_i64().expect("amount")).sum();
    assert_eq!(pricing["total_minor"].as_i64(), Some(sum), "the lines add up to the total: {tx}");
    assert!(pricing["total"].as_str().is_some_and(|total| total.contains('.')), "{tx}");
}

#[tokio::test]
async fn tariffs_and_plugins_are_managed_through_the_api_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let key = prepare(data, &["PRICE-16", "PRICE-201"]).await;
    let env = [("GRIDLET_PRICING_RUNNING_COST_INTERVAL_SECS", "0")];
    let server = GridletProcess::start(data, &env).await;
    let api = ApiClient::new(&format!("http://{}", server.addr), Some(key.clone()));

    // a fresh server installed the default plugins
    let plugins = api.all("/plugins", 1).await;
    let ids: Vec<&str> = plugins.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, ["simple-tariff", "tou-tariff"]);
    for plugin in &plugins {
        assert_eq!((plugin["kind"].as_str(), plugin["status"].as_str()), (Some("tariff"), Some("enabled")), "{plugin}");
        assert!(plugin["hash"].as_str().is_some_and(|h| h.starts_with("sha256:")), "{plugin}");
        assert!(plugin["limits"]["timeout_ms"].as_u64().is_some_and(|ms| ms > 0), "{plugin}");
    }
    api.get("/plugins/no-such-plugin").await.expect_error(404, "plugin_not_found");

    // assignments are checked, then priced with
    api.put("/tariff-assignments/default", json!({"plugin_id": "simple-tariff", "currency": "eur"}))
        .await
        .expect_error(422, "invalid_request");
    let message = api
        .put("/tariff-assignments/default", json!({"plugin_id": "no-such-plugin", "currency": "EUR"}))
        .await
        .expect_error(422, "invalid_request");
    assert!(message.contains("plugin_id"), "{message}");
    api.put("/tariff-assignments/stations/NOT-REGISTERED", json!({"plugin_id": "simple-tariff", "currency": "EUR"}))
        .await
        .expect_error(404, "station_not_found");
    let assigned = api.put("/tariff-assignments/default", json!({"plugin_id": "simple-tariff", "currency": "EUR"})).await.expect(200);
    assert_eq!(assigned, json!({"scope": "default", "group": null, "station": null, "plugin_id": "simple-tariff", "currency": "EUR"}));

    let mut v16 = Charger::connect(&server, "PRICE-16", OcppVersion::V16).await;
    let mut v201 = Charger::connect(&server, "PRICE-201", OcppVersion::V201).await;
    for charger in [&mut v16, &mut v201] {
        let tx = charger.charge(&api, true).await;
        assert_priced_by(&api, &tx, "simple-tariff").await;
        let energy = &tx["pricing"]["lines"][0];
        assert_eq!((energy["kind"].as_str(), energy["unit"].as_str()), (Some("energy"), Some("kWh")), "{tx}");
        assert!(tx["running_cost"]["total"].is_string(), "the running cost is kept: {tx}");
    }

    // a station's own tariff beats the default, a group's too
    api.put("/tariff-assignments/stations/PRICE-201", json!({"plugin_id": "tou-tariff", "currency": "EUR"})).await.expect(200);
    api.patch("/stations/PRICE-16", json!({"group": "depot"})).await.expect(200);
    api.put("/tariff-assignments/groups/depot", json!({"plugin_id": "tou-tariff", "currency": "EUR"})).await.expect(200);
    let listed = api.get("/tariff-assignments").await.expect(200);
    let scopes: Vec<&str> = listed["items"].as_array().unwrap().iter().filter_map(|a| a["scope"].as_str()).collect();
    assert_eq!(scopes, ["default", "group", "station"]);
    for charger in [&mut v16, &mut v201] {
        assert_priced_by(&api, &charger.charge(&api, true).await, "tou-tariff").await;
    }
    api.delete("/tariff-assignments/groups/depot").await.expect(204);
    api.delete("/tariff-assignments/stations/PRICE-201").await.expect(204);
    api.delete("/tariff-assignments/stations/PRICE-201").await.expect_error(404, "tariff_assignment_not_found");

    // upgrade by upload, without a restart; then roll back
    let (manifest, component) = default_plugin("simple-tariff");
    let before = api.get("/plugins/simple-tariff").await.expect(200);
    let upgraded = upload(&api, &manifest_with(manifest, "simple-tariff", "0.2.0"), component).await.expect(200);
    assert_eq!((upgraded["version"].as_str(), upgraded["history"].clone()), (Some("0.2.0"), json!(["0.1.0"])));
    assert_eq!(upgraded["config"], before["config"], "an upgrade keeps the configuration");
    let tx = v16.charge(&api, true).await;
    assert_priced_by(&api, &tx, "simple-tariff").await;
    assert_eq!(tx["pricing"]["priced_by"]["version"], "0.2.0");
    let rolled_back = api.post("/plugins/simple-tariff/rollback", json!({})).await.expect(200);
    assert_eq!((rolled_back["version"].as_str(), rolled_back["history"].clone()), (Some("0.1.0"), json!([])));
    api.post("/plugins/simple-tariff/rollback", json!({})).await.expect_error(409, "nothing_to_roll_back");
    assert_eq!(v201.charge(&api, true).await["pricing"]["priced_by"]["version"], "0.1.0");
    let (_, other_component) = default_plugin("tou-tariff");
    upload(&api, manifest, other_component).await.expect_error(409, "plugin_version_conflict");
    upload(&api, "id = \"broken\"", component).await.expect_error(422, "invalid_plugin_package");
    api.raw("POST", "/plugins", "application/json", "{}").await.expect_error(415, "unsupported_media_type");
    // a new id is a new plugin, and can go again
    let copy = upload(&api, &manifest_with(manifest, "my-tariff", "1.0.0"), component).await.expect(201);
    assert_eq!((copy["id"].as_str(), copy["status"].as_str()), (Some("my-tariff"), Some("enabled")));
    api.delete("/plugins/my-tariff").await.expect(204);
    api.get("/plugins/my-tariff").await.expect_error(404, "plugin_not_found");

    // a configuration the plugin's schema rejects changes nothing
    let message = api
        .put("/plugins/simple-tariff/config", json!({"currency": "EURO", "energy_per_kwh": "0.40"}))
        .await
        .expect_error(422, "plugin_config_rejected");
    assert!(message.contains("currency"), "{message}");
    assert_eq!(api.get("/plugins/simple-tariff").await.expect(200)["config"], before["config"]);
    let mut config = before["config"].clone();
    config["energy_per_kwh"] = json!("0.50");
    let configured = api.put("/plugins/simple-tariff/config", config.clone()).await.expect(200);
    assert_eq!(configured["config"], config);

    // disabled: the transaction ends unpriced; enabled and repriced: priced
    let disabled = api.post("/plugins/simple-tariff/disable", json!({})).await.expect(200);
    assert_eq!(disabled["status"], "disabled");
    let tx = v201.charge(&api, false).await;
    assert_eq!(tx["pricing"]["state"], "unpriced", "{tx}");
    assert!(tx["pricing"]["reason"].as_str().is_some_and(|r| r.contains("disabled")), "{tx}");
    assert_eq!(tx["pricing"]["plugin_id"], "simple-tariff");
    let number = tx["number"].as_u64().unwrap();
    api.post(&format!("/transactions/{number}/reprice"), json!({})).await.expect(200);
    api.post("/plugins/simple-tariff/enable", json!({})).await.expect(200);
    let repriced = api.post(&format!("/transactions/{number}/reprice"), json!({})).await.expect(200);
    assert_priced_by(&api, &repriced, "simple-tariff").await;
    let named = api
        .post(&format!("/transactions/{number}/reprice"), json!({"plugin_id": "tou-tariff", "currency": "EUR"}))
        .await
        .expect(200);
    assert_priced_by(&api, &named, "tou-tariff").await;
    api.post(&format!("/transactions/{number}/reprice"), json!({"plugin_id": "tou-tariff"}))
        .await
        .expect_error(422, "invalid_request");
    api.post("/transactions/999999/reprice", json!({})).await.expect_error(404, "transaction_not_found");
    api.post("/plugins/tou-tariff/disable", json!({})).await.expect(200);

    // everything survives a restart
    drop((v16, v201));
    server.kill().await;
    let server = GridletProcess::start(data, &[]).await;
    let api = ApiClient::new(&format!("http://{}", server.addr), Some(key));
    let simple = api.get("/plugins/simple-tariff").await.expect(200);
    assert_eq!((simple["config"].clone(), simple["status"].as_str()), (config, Some("enabled")));
    assert_eq!(api.get("/plugins/tou-tariff").await.expect(200)["status"], "disabled");
    assert_eq!(api.get("/plugins").await.expect(200)["items"].as_array().map(Vec::len), Some(2), "an uninstalled plugin stays gone");
    let assignments = api.get("/tariff-assignments").await.expect(200);
    assert_eq!(assignments["items"].as_array().map(Vec::len), Some(1), "{assignments}");
    let kept = api.get(&format!("/transactions/{number}")).await.expect(200);
    assert_eq!(kept["transaction"]["pricing"], named["pricing"]);
    server.kill().await;
}

#[tokio::test]
async fn the_cli_manages_plugins_and_tariffs_on_the_data_directory_and_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let key = prepare(data, &["CLI-PRICE-1"]).await;

    // the server stopped: the CLI opens the data directory's plugins
    let (ok, out, err) = gridlet_cli(data, &["plugin", "list"], None).await;
    assert!(ok && out.contains("simple-tariff") && out.contains("tou-tariff") && out.contains("enabled"), "{out}{err}");
    let (ok, _, err) = gridlet_cli(data, &["tariff", "assign", "--default", "--plugin", "simple-tariff", "--currency", "eur"], None).await;
    assert!(!ok && err.contains("currency"), "{err}");
    let (ok, out, err) = gridlet_cli(data, &["tariff", "assign", "--default", "--plugin", "simple-tariff", "--currency", "EUR"], None).await;
    assert!(ok && out.contains("assigned to default"), "{out}{err}");
    let (ok, out, err) = gridlet_cli(data, &["tariff", "assign", "--station", "CLI-PRICE-1", "--plugin", "tou-tariff", "--currency", "EUR"], None).await;
    assert!(ok && out.contains("assigned to station CLI-PRICE-1"), "{out}{err}");
    let (ok, out, _) = gridlet_cli(data, &["tariff", "list"], None).await;
    assert!(ok && out.contains("default") && out.contains("CLI-PRICE-1") && out.contains("tou-tariff"), "{out}");
    let (ok, _, err) = gridlet_cli(data, &["plugin", "configure", "simple-tariff", "--json", r#"{"currency": "EURO"}"#], None).await;
    assert!(!ok && err.contains("configuration rejected"), "{err}");
    let (ok, out, err) = gridlet_cli(data, &["plugin", "disable", "tou-tariff"], None).await;
    assert!(ok && out.contains("disabled"), "{out}{err}");
    let (ok, _, err) = gridlet_cli(data, &["plugin", "rollback", "tou-tariff"], None).await;
    assert!(!ok && err.contains("no earlier version"), "{err}");

    // the server sees what the CLI did; the CLI goes through its API
    let server = GridletProcess::start(data, &[("GRIDLET_PRICING_RUNNING_COST_INTERVAL_SECS", "0")]).await;
    let api = ApiClient::new(&format!("http://{}", server.addr), Some(key.clone()));
    assert_eq!(api.get("/plugins/tou-tariff").await.expect(200)["status"], "disabled");
    assert_eq!(api.get("/tariff-assignments").await.expect(200)["items"].as_array().map(Vec::len), Some(2));
    let url = format!("http://{}", server.addr);
    let env = [("GRIDLET_API_URL", url.as_str()), ("GRIDLET_API_KEY", key.as_str())];
    let (ok, _, err) = gridlet_cli(data, &["plugin", "list"], None).await;
    assert!(!ok && err.contains("--api"), "the data directory is in use: {err}");
    let (ok, out, err) = gridlet_cli_env(data, &["plugin", "enable", "tou-tariff"], None, &env).await;
    assert!(ok && out.contains("tou-tariff enabled"), "{out}{err}");
    let (ok, out, err) = gridlet_cli_env(data, &["plugin", "show", "simple-tariff"], None, &env).await;
    assert!(ok && out.contains("sha256:") && out.contains("energy_per_kwh"), "{out}{err}");
    let (ok, out, err) = gridlet_cli_env(data, &["tariff", "unassign", "--station", "CLI-PRICE-1"], None, &env).await;
    assert!(ok && out.contains("removed"), "{out}{err}");
    let (ok, _, err) = gridlet_cli_env(data, &["tariff", "unassign", "--station", "CLI-PRICE-1"], None, &env).await;
    assert!(!ok && err.contains("tariff_assignment_not_found"), "{err}");

    // a package directory uploaded through the API: an upgrade
    let (manifest, component) = default_plugin("simple-tariff");
    let package = data.join("package");
    std::fs::create_dir(&package).unwrap();
    let manifest = manifest_with(manifest, "simple-tariff", "0.3.0");
    let file = manifest.lines().find_map(|l| l.strip_prefix("component = ")).unwrap().trim_matches('"').to_owned();
    std::fs::write(package.join("gridlet-plugin.toml"), &manifest).unwrap();
    std::fs::write(package.join(file), component).unwrap();
    let package_arg = package.display().to_string();
    let (ok, out, err) = gridlet_cli_env(data, &["plugin", "install", &package_arg], None, &env).await;
    assert!(ok && out.contains("now at version 0.3.0"), "{out}{err}");

    // a session, priced and shown by the CLI
    let mut charger = Charger::connect(&server, "CLI-PRICE-1", OcppVersion::V201).await;
    let tx = charger.charge(&api, true).await;
    assert_priced_by(&api, &tx, "simple-tariff").await;
    let number = tx["number"].as_u64().unwrap().to_string();
    let (ok, out, err) = gridlet_cli_env(data, &["transaction", "show", &number], None, &env).await;
    assert!(ok && out.contains("priced by      simple-tariff 0.3.0 sha256:") && out.contains("energy"), "{out}{err}");
    let (ok, out, err) = gridlet_cli_env(data, &["transaction", "list"], None, &env).await;
    let total = tx["pricing"]["total"].as_str().unwrap();
    assert!(ok && out.contains(&format!("{total} EUR")), "the list shows the price: {out}{err}");
    let (ok, out, err) = gridlet_cli_env(data, &["transaction", "reprice", &number], None, &env).await;
    assert!(ok && out.contains("priced again") && out.contains("EUR"), "{out}{err}");
    drop(charger);
    server.kill().await;
}
