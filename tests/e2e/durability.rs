//! What Gridlet acknowledged survives a `kill -9`: stations charge against
//! a real `gridlet serve` process, the process is killed with SIGKILL in the
//! middle of their traffic, and after a restart on the same data directory
//! every acknowledged transaction start, meter reading and stop is there.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocpp::OcppVersion;
use sim::{Delivery, ManualClock, Station, StationConfig, StopReason, TransactionId};

use domain::{Change, IdTokenRecord, Station as StationRecord, StationId, Storage, Timestamp, TransactionState};
use store::{SledStore, StoreOptions};

use crate::T0;
use crate::harness::{GridletProcess, PASSWORD};

/// Something Gridlet acknowledged.
#[derive(Debug, Clone)]
enum Acked {
    Started { station: String, tx: String },
    Reading { station: String, tx: String, at_ms: i64, register_wh: u64 },
    Stopped { station: String, tx: String },
}

fn tx_id(station: &Station, handle: sim::TransactionHandle) -> Option<String> {
    match station.transaction(handle)?.id? {
        TransactionId::Csms(n) => Some(n.to_string()),
        TransactionId::Station(s) => Some(s),
    }
}

/// Charges in a loop until the server goes away, recording every acknowledgement.
async fn charge_until_killed(url: String, id: String, version: OcppVersion, start_ms: i64, acked: Arc<Mutex<Vec<Acked>>>) {
    let clock = ManualClock::new(start_ms);
    let config = StationConfig::new(url, id.clone(), version).password(PASSWORD).clock(clock.clone());
    let mut station = Station::new(config);
    if station.connect().await.is_err() || station.boot().await.is_err() {
        return;
    }
    let record = |a: Acked| acked.lock().unwrap().push(a);
    loop {
        let Ok(handle) = station.start_transaction(1, "DURABLE").await else { return };
        if !station.queued_actions().is_empty() {
            return;
        }
        let Some(tx) = tx_id(&station, handle) else { return };
        record(Acked::Started { station: id.clone(), tx: tx.clone() });
        for _ in 0..5 {
            clock.advance(60_000);
            match station.meter_values(handle).await {
                Ok(Delivery::Acknowledged) => {}
                _ => return,
            }
            let register_wh = station.state().energy_wh(1).unwrap_or_default();
            record(Acked::Reading { station: id.clone(), tx: tx.clone(), at_ms: clock_now(&clock), register_wh });
        }
        clock.advance(1_000);
        match station.stop_transaction(handle, StopReason::Local).await {
            Ok(Delivery::Acknowledged) => record(Acked::Stopped { station: id.clone(), tx }),
            _ => return,
        }
        clock.advance(1_000);
    }
}

fn clock_now(clock: &ManualClock) -> i64 {
    sim::Clock::now_ms(clock)
}

#[tokio::test]
async fn acknowledged_data_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let stations: Vec<(String, OcppVersion)> =
        (0..16).map(|n| (format!("KILL-{n}"), if n % 2 == 0 { OcppVersion::V16 } else { OcppVersion::V201 })).collect();
    {
        let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        let hash = session::auth::hash_password(PASSWORD).unwrap();
        let mut changes = domain::ChangeSet::new();
        for (id, _) in &stations {
            let station = StationRecord::registered(StationId::parse(id).unwrap(), Some(hash.clone()), Timestamp::from_unix_millis(T0));
            changes.push(Change::PutStation(station));
        }
        let mut token = IdTokenRecord::accepted("DURABLE").unwrap();
        token.concurrent_transactions = true;
        changes.push(Change::PutIdToken(token));
        let ticket = store.apply(changes).unwrap();
        store.durable(ticket).await.unwrap();
        store.close().unwrap();
    }

    // Three cycles of: start, charge, SIGKILL in the middle of the traffic.
    // A wide group-commit window makes an acknowledgement sent before its
    // flush (a broken contract) likely to be caught by each kill.
    let acked = Arc::new(Mutex::new(Vec::new()));
    for cycle in 0..3_i64 {
        let gridlet = GridletProcess::start(dir.path(), &[("GRIDLET_STORAGE_FLUSH_INTERVAL_MS", "20")]).await;
        let before = acked.lock().unwrap().len();
        let start_ms = T0 + cycle * 86_400_000;
        let tasks: Vec<_> = stations
            .iter()
            .map(|(id, version)| {
                tokio::spawn(charge_until_killed(gridlet.url(), id.clone(), *version, start_ms, acked.clone()))
            })
            .collect();
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if acked.lock().unwrap().len() >= before + 300 {
                break;
            }
        }
        gridlet.kill().await;
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(60), task).await.expect("stations notice the kill").unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    let readings = acked.iter().filter(|a| matches!(a, Acked::Reading { .. })).count();
    assert!(readings >= 150, "enough traffic was acknowledged before the kills to mean something: {readings}");

    // restart on the same directory: it serves again...
    let restarted = GridletProcess::start(dir.path(), &[]).await;
    let mut check = Station::new(StationConfig::new(restarted.url(), "KILL-0", OcppVersion::V16).password(PASSWORD));
    check.connect().await.unwrap();
    assert!(check.boot().await.unwrap().accepted());
    restarted.kill().await;

    // ...and everything it acknowledged is there
    let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
    for ack in &acked {
        match ack {
            Acked::Started { station, tx } => {
                let station = StationId::parse(station).unwrap();
                assert!(store.transaction_by_station_tx_id(&station, tx).unwrap().is_some(), "acknowledged start of {tx} lost");
            }
            Acked::Reading { station, tx, at_ms, register_wh } => {
                let station = StationId::parse(station).unwrap();
                let stored = store.transaction_by_station_tx_id(&station, tx).unwrap().expect("transaction");
                let samples = store.meter_samples(stored.number).unwrap();
                assert!(
                    samples.iter().any(|s| s.timestamp.unix_millis() == *at_ms
                        && s.energy_register_wh() == Some(*register_wh as f64)),
                    "acknowledged reading of {tx} at {at_ms} lost"
                );
            }
            Acked::Stopped { station, tx } => {
                let station = StationId::parse(station).unwrap();
                let stored = store.transaction_by_station_tx_id(&station, tx).unwrap().expect("transaction");
                assert_eq!(stored.state, TransactionState::Ended, "acknowledged stop of {tx} lost");
            }
        }
    }
    store.close().unwrap();
}
