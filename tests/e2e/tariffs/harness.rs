//! A Gridlet with tariffs for a test: the end-to-end [`TestServer`] with its
//! plugin registry (the default plugins installed by
//! `pricing::open_plugins_with`, the registry attached as the server's
//! pricer and handed to the API), and simulated stations that charge.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use domain::{
    Change, ChangeSet, IdTokenRecord, Pricer, Station as StationRecord, StationId, Storage, TariffAssignment,
    TariffScope, Transaction,
};
use ocpp::OcppVersion;
use plugin_host::PluginRegistry;
use pricing::Plugins;
use server::ServerConfig;
use session::admission::UnknownStationPolicy;
use session::pricing::COST_VENDOR_ID;
use sim::{
    CommandHandler, DefaultCommands, ManualClock, Reply, Station, StationConfig, StationState, StopReason,
    TransactionHandle, TransactionId, WireEvent,
};
use store::SledStore;

pub use crate::T0;
pub use crate::harness::PASSWORD;
use crate::harness::TestServer;

/// A minute, in milliseconds.
pub const MINUTE: i64 = 60_000;

/// The token every test charges with.
pub const TOKEN: &str = "TAG-0001";

/// Unknown stations refused (every test registers its own), then `adjust`.
fn server_config(config: &mut ServerConfig, adjust: impl FnOnce(&mut ServerConfig)) {
    config.admission.unknown_stations = UnknownStationPolicy::Reject;
    adjust(config);
}

/// A running Gridlet with tariffs.
pub struct Gridlet {
    /// Its store (the operator's view).
    pub store: Arc<SledStore>,
    /// The plugin registry, as opened (with the default plugins' outcome).
    pub plugins: Plugins,
    /// The pricer the server prices with.
    pub pricer: Arc<dyn Pricer>,
    server: TestServer,
}

impl Gridlet {
    /// A Gridlet on a new data directory.
    pub async fn start() -> Gridlet {
        Gridlet::start_with(|_| {}).await
    }

    /// A Gridlet on a new data directory, its configuration changed by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Gridlet {
        Gridlet::start_in(tempfile::tempdir().expect("temp dir"), adjust).await
    }

    /// A Gridlet on an existing data directory.
    pub async fn start_in(dir: TempDir, adjust: impl FnOnce(&mut ServerConfig)) -> Gridlet {
        let mut server = TestServer::start_priced_in(dir, |config| server_config(config, adjust)).await;
        let plugins = server.plugins.take().expect("the priced server has plugins");
        assert!(plugins.default_failures.is_empty(), "the default plugins install: {:?}", plugins.default_failures);
        let pricer = server.pricer.clone().expect("the priced server has a pricer");
        Gridlet { store: server.store.clone(), plugins, pricer, server }
    }

    /// The plugin registry.
    pub fn registry(&self) -> &PluginRegistry {
        &self.plugins.registry
    }

    /// Applies changes as an operator would, once durable.
    pub async fn apply(&self, changes: impl Into<ChangeSet>) {
        self.server.apply(changes).await;
    }

    /// Registers an accepted station with [`PASSWORD`], in `group` if given,
    /// and the token [`TOKEN`].
    pub async fn register(&self, id: &str, group: Option<&str>) -> StationId {
        let id = StationId::parse(id).expect("station id");
        let hash = session::auth::hash_password(PASSWORD).expect("hash");
        let mut station = StationRecord::registered(id.clone(), Some(hash), server::now());
        station.group = group.map(str::to_owned);
        let mut changes = ChangeSet::from(Change::PutStation(station));
        changes.push(Change::PutIdToken(IdTokenRecord::accepted(TOKEN).expect("token")));
        self.apply(changes).await;
        id
    }

    /// Assigns tariff plugin `plugin` (billing in EUR) to `scope`.
    pub async fn assign(&self, scope: TariffScope, plugin: &str) {
        let assignment = TariffAssignment::new(scope, plugin, "EUR").expect("assignment");
        self.apply(Change::PutTariffAssignment(assignment)).await;
    }

    /// A registered station `id` speaking `version`, connected and booted,
    /// with a manual clock at [`T0`], answering commands with `commands`.
    pub async fn station(&self, id: &str, version: OcppVersion, commands: Arc<dyn CommandHandler>) -> Sim {
        let clock = ManualClock::new(T0);
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        let tap = Arc::new(move |event: WireEvent<'_>| {
            if let WireEvent::Received(text) = event {
                seen.lock().unwrap().push(text.to_owned());
            }
        });
        let config =
            StationConfig::new(self.server.url(), id, version).password(PASSWORD).clock(clock.clone()).tap(tap);
        let mut cp = Station::new(config).with_commands(commands);
        cp.connect().await.expect("station connects");
        assert!(cp.boot().await.expect("boot").accepted());
        Sim { cp, clock, received, id: StationId::parse(id).expect("station id") }
    }

    /// The stored transaction `handle` of `sim`.
    pub fn transaction(&self, sim: &Sim, handle: TransactionHandle) -> Transaction {
        let station_tx_id = sim.station_tx_id(handle);
        self.store
            .transaction_by_station_tx_id(&sim.id, &station_tx_id)
            .expect("read")
            .unwrap_or_else(|| panic!("transaction {station_tx_id} of {} is stored", sim.id))
    }

    /// Stops the server, closes the store and hands back the data directory.
    pub async fn shutdown(self) -> TempDir {
        self.server.shutdown().await
    }
}

/// A simulated station with its clock and the frames it received.
pub struct Sim {
    /// The station.
    pub cp: Station,
    /// Its clock.
    pub clock: ManualClock,
    /// Its identity.
    pub id: StationId,
    received: Arc<Mutex<Vec<String>>>,
}

impl Sim {
    /// Starts a transaction on connector 1, sends `readings` meter values
    /// ten minutes apart, and stops it five minutes later: 11 kW for
    /// `10 * readings + 5` minutes.
    pub async fn charge(&mut self, readings: usize) -> TransactionHandle {
        let handle = self.start().await;
        for _ in 0..readings {
            self.reading(handle).await;
        }
        self.stop(handle).await;
        handle
    }

    /// Starts a transaction on connector 1 for [`TOKEN`].
    pub async fn start(&mut self) -> TransactionHandle {
        self.cp.start_transaction(1, TOKEN).await.expect("start")
    }

    /// Ten minutes on, a meter reading.
    pub async fn reading(&mut self, handle: TransactionHandle) {
        self.clock.advance(10 * MINUTE);
        self.cp.meter_values(handle).await.expect("meter values");
    }

    /// Five minutes on, the stop.
    pub async fn stop(&mut self, handle: TransactionHandle) {
        self.clock.advance(5 * MINUTE);
        self.cp.stop_transaction(handle, StopReason::EvDisconnected).await.expect("stop");
    }

    /// The transaction's id on the wire.
    pub fn station_tx_id(&self, handle: TransactionHandle) -> String {
        match self.cp.transaction(handle).and_then(|tx| tx.id).expect("transaction id") {
            TransactionId::Csms(n) => n.to_string(),
            TransactionId::Station(id) => id,
        }
    }

    /// Every CALLRESULT payload the station received that has `key`.
    pub fn answers_with(&self, key: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .filter(|frame| frame[0] == 3 && frame[2].get(key).is_some())
            .map(|frame| frame[2].clone())
            .collect()
    }

    /// Waits for the CSMS's next `action` CALL (up to 5 s) and returns its payload.
    pub async fn next_command(&self, action: &str) -> Option<Value> {
        self.cp.wait_for_command(action, Duration::from_secs(5)).await.map(|command| command.payload)
    }

    /// How many `action` CALLs the station received and nobody took yet,
    /// after a round trip and a moment for anything the CSMS still had queued.
    pub async fn settled_count(&mut self, action: &str) -> usize {
        self.cp.heartbeat().await.expect("heartbeat");
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.cp.state().received_commands().filter(|c| c.action == action).count()
    }
}

/// A station that takes cost messages: CostUpdated answered, the OCA cost
/// DataTransfers accepted; everything else as [`DefaultCommands`].
pub struct TakesCosts;

impl CommandHandler for TakesCosts {
    fn on_command(&self, station: &mut StationState, action: &str, payload: &Value) -> Reply {
        match action {
            "CostUpdated" => Reply::result(json!({})),
            "DataTransfer" if payload["vendorId"] == COST_VENDOR_ID => Reply::result(json!({"status": "Accepted"})),
            _ => DefaultCommands.on_command(station, action, payload),
        }
    }
}

/// A well-behaved station without cost display: refuses CostUpdated
/// (`NotSupported`) and the cost DataTransfers (`UnknownVendorId`);
/// everything else as [`DefaultCommands`] (which takes costs).
pub fn refuses_costs() -> Arc<dyn CommandHandler> {
    Arc::new(RefusesCosts)
}

/// See [`refuses_costs`].
struct RefusesCosts;

impl CommandHandler for RefusesCosts {
    fn on_command(&self, station: &mut StationState, action: &str, payload: &Value) -> Reply {
        match action {
            "CostUpdated" => Reply::error(ocpp::ErrorCode::NotSupported, "no cost display"),
            "DataTransfer" => Reply::result(json!({"status": "UnknownVendorId"})),
            _ => DefaultCommands.on_command(station, action, payload),
        }
    }
}

pub use crate::VERSIONS;

/// The 1.6 cost message `message_id` among a DataTransfer payload's fields,
/// with its `data` parsed.
pub fn cost_data(payload: &Value, message_id: &str) -> Value {
    assert_eq!(payload["vendorId"], COST_VENDOR_ID, "{payload}");
    assert_eq!(payload["messageId"], message_id, "{payload}");
    let data = payload["data"].as_str().expect("data is JSON text");
    serde_json::from_str(data).expect("data parses")
}

/// `minor` minor units of a 2-digit currency as the JSON number a station gets.
pub fn major(minor: i64) -> Value {
    serde_json::from_str(&domain::pricing::decimal(minor, 2)).expect("a decimal")
}
