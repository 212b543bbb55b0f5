//! Fixtures (domain values with every field set), store helpers, and the
//! plumbing to run a test's other half in a child process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use domain::connector::{ConnectorState, ConnectorStatus, EvseConnector};
use domain::device_model::{
    ReportedVariable, VariableAddress, VariableAttribute, VariableCharacteristics,
};
use domain::event::{StationEvent, StationEventKind};
use domain::meter::MeterSample;
use domain::operator::{ApiKeyRecord, ConfigurationKey, Scope};
use domain::reservation::{Reservation, ReservationState};
use domain::station::{
    BootInfo, OperationStatus, ProtocolVersion, Registration, Station, StationId,
};
use domain::time::Timestamp;
use domain::token::{AuthorizationStatus, IdToken, IdTokenRecord, IdTokenType, TokenStatus};
use domain::transaction::{
    RegisterReading, Transaction, TransactionEventRecord, TransactionEventType, TransactionState,
};
use domain::{ChangeSet, Storage};
use store::{SledStore, StoreOptions};

pub fn t(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(millis)
}

pub fn station_id(id: &str) -> StationId {
    StationId::parse(id).unwrap()
}

pub fn options() -> StoreOptions {
    StoreOptions {
        flush_interval: Duration::from_millis(1),
        cache_capacity_bytes: 16 * 1024 * 1024,
    }
}

pub fn open(dir: &Path) -> SledStore {
    SledStore::open(dir, options()).unwrap()
}

/// Opens the sled database of a closed store directly, to read or write raw
/// bytes as damage, an older or a newer Gridlet would.
pub fn raw_db(dir: &Path) -> sled::Db {
    // sled's lock may outlive a dropped store, or sit in a forked child, for a moment
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() > deadline => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Writes raw bytes into the store's sled database. The store must be closed.
pub fn poke(dir: &Path, key: &[u8], value: &[u8]) {
    let db = raw_db(dir);
    db.insert(key, value).unwrap();
    db.flush().unwrap();
}

/// Runs a contract check of the `Storage` trait against a fresh `SledStore`
/// (in a temporary directory) and a fresh `memory_store::MemoryStorage`.
pub fn each_store(check: impl Fn(&dyn Storage)) {
    let dir = tempfile::tempdir().unwrap();
    eprintln!("checking SledStore");
    check(&open(dir.path()));
    eprintln!("checking MemoryStorage");
    check(&memory_store::MemoryStorage::new());
}

/// Applies `changes` and waits until they are durable.
pub fn write(store: &dyn Storage, changes: impl Into<ChangeSet>) {
    let ticket = store.apply(changes.into()).unwrap();
    block_on(store.durable(ticket)).unwrap();
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn status_of(status: &str, request_id: i64, at: i64) -> OperationStatus {
    OperationStatus {
        status: status.into(),
        request_id: Some(request_id),
        received_at: t(at),
    }
}

pub fn station(id: &str) -> Station {
    Station {
        id: station_id(id),
        registration: Registration::Pending,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        created_at: t(1_000),
        protocol: Some(ProtocolVersion::Ocpp201),
        boot: Some(BootInfo {
            vendor: "Vendor".into(),
            model: "Model".into(),
            serial_number: Some("SN".into()),
            charge_box_serial_number: Some("CB".into()),
            firmware_version: Some("1.2.3".into()),
            iccid: Some("ICCID".into()),
            imsi: Some("IMSI".into()),
            meter_type: Some("MT".into()),
            meter_serial_number: Some("MSN".into()),
            reason: Some("PowerUp".into()),
        }),
        booted_at: Some(t(2_000)),
        firmware_status: Some(status_of("Installed", 7, 3_000)),
        diagnostics_status: Some(status_of("Uploaded", 8, 3_001)),
        log_status: Some(status_of("Uploading", 9, 3_002)),
        group: Some("site-north".into()),
    }
}

pub fn status(station: &str, evse: u32, state: ConnectorState, at: i64) -> ConnectorStatus {
    ConnectorStatus {
        station: station_id(station),
        location: EvseConnector { evse, connector: 1 },
        state,
        error_code: Some("GroundFailure".into()),
        info: Some("info".into()),
        vendor_id: Some("vendor".into()),
        vendor_error_code: Some("E42".into()),
        reported_at: Some(t(at - 1)),
        received_at: t(at),
    }
}

pub fn token(value: &str) -> IdTokenRecord {
    IdTokenRecord {
        value: value.into(),
        kind: Some(IdTokenType::Iso14443),
        status: TokenStatus::Blocked,
        expires_at: Some(t(9_000)),
        group_id: Some("FLEET".into()),
        concurrent_transactions: true,
    }
}

/// An active 1.6 transaction started by `tag`, with every field set.
pub fn transaction(number: u64, station: &str, tag: &str) -> Transaction {
    Transaction {
        number,
        station: station_id(station),
        station_tx_id: number.to_string(),
        protocol: ProtocolVersion::Ocpp16,
        location: EvseConnector {
            evse: 2,
            connector: 1,
        },
        id_token: Some(IdToken::untyped(tag)),
        group_id: Some("FLEET".into()),
        authorization: Some(AuthorizationStatus::Accepted),
        started_at: Some(t(10_000)),
        meter_start_wh: Some(1_000.0),
        ended_at: None,
        meter_stop_wh: None,
        first_register: Some(RegisterReading {
            at: t(10_000),
            wh: 1_000.0,
        }),
        last_register: Some(RegisterReading {
            at: t(20_000),
            wh: 1_500.5,
        }),
        stop_reason: Some("Local".into()),
        stopped_by: Some(IdToken::typed("BOSS", IdTokenType::Central)),
        state: TransactionState::Active,
        charging_state: Some("Charging".into()),
        reservation_id: Some(-4),
        remote_start_id: Some(5),
        last_seq_no: Some(6),
        offline: true,
        created_at: t(10_001),
        updated_at: t(20_001),
        station_group: None,
        pricing: None,
        running_cost: None,
    }
}

pub fn sample(at: i64, measurand: &str, value: f64) -> MeterSample {
    MeterSample {
        timestamp: t(at),
        measurand: measurand.into(),
        phase: Some("L1-N".into()),
        location: Some("Outlet".into()),
        context: Some("Sample.Periodic".into()),
        value: Some(value),
        unit: Some("Wh".into()),
        signed_data: Some("signed".into()),
    }
}

pub fn tx_event(seq_no: u64, at: i64) -> TransactionEventRecord {
    TransactionEventRecord {
        seq_no,
        event_type: TransactionEventType::Updated,
        trigger_reason: "MeterValuePeriodic".into(),
        timestamp: t(at),
        offline: true,
        received_at: t(at + 5),
    }
}

pub fn station_event(station: &str, at: i64, kind: StationEventKind) -> StationEvent {
    StationEvent {
        station: station_id(station),
        received_at: t(at),
        kind,
    }
}

pub fn variable(component: &str, variable: &str, value: &str) -> ReportedVariable {
    ReportedVariable {
        address: VariableAddress {
            component: component.into(),
            component_instance: Some("main".into()),
            evse: Some(1),
            connector: None,
            variable: variable.into(),
            variable_instance: None,
        },
        attributes: vec![VariableAttribute {
            kind: "Actual".into(),
            value: Some(value.into()),
            mutability: Some("ReadWrite".into()),
            persistent: Some(true),
            constant: Some(false),
        }],
        characteristics: Some(VariableCharacteristics {
            unit: Some("s".into()),
            data_type: "integer".into(),
            min_limit: Some(0.0),
            max_limit: Some(3600.0),
            values_list: None,
            supports_monitoring: true,
        }),
        reported_at: t(4_000),
    }
}

pub fn config_key(station: &str, key: &str, value: Option<&str>, at: i64) -> ConfigurationKey {
    ConfigurationKey {
        station: station_id(station),
        key: key.into(),
        value: value.map(str::to_owned),
        readonly: value.is_none(),
        reported_at: t(at),
    }
}

/// A reservation of connector 2 at `station`, with every field set.
pub fn reservation(id: i64, station: &str) -> Reservation {
    Reservation {
        id,
        station: station_id(station),
        location: Some(EvseConnector {
            evse: 2,
            connector: 1,
        }),
        id_token: IdToken::typed("RFID-9", IdTokenType::Iso15693),
        group_id: Some("FLEET".into()),
        expires_at: t(50_000),
        state: ReservationState::Refused,
        refusal: Some("Occupied".into()),
        transaction: Some(77),
        created_at: t(40_000),
        updated_at: t(40_500),
    }
}

pub fn api_key(id: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        name: format!("key {id}"),
        scope: Scope::Operate,
        secret_sha256: "ab".repeat(32),
        created_at: t(1_000),
        revoked_at: Some(t(2_000)),
    }
}

/// A child process running the test `test` of this binary with the
/// environment variables `env` set: the test sees them and plays its child
/// half. Its stdin and stdout are piped; lines the child prints with
/// `println!` arrive on stdout, between libtest's own lines.
pub fn spawn_child(test: &str, env: &[(&str, &str)]) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// What follows `marker` on the next line from a child that holds it (the
/// first line a child prints shares its line with libtest's `test … ...`).
pub fn next_line_with(stdout: &mut BufReader<ChildStdout>, marker: &str) -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            return None;
        }
        if let Some((_, rest)) = line.trim_end().split_once(marker) {
            return Some(rest.to_owned());
        }
    }
}
