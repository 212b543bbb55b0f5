//! Reconnects and replays: a new connection replaces the old one, and
//! messages a station queued offline (or sends twice because it lost the
//! acknowledgement) create no second transaction and count no energy twice.

use std::collections::HashSet;
use std::time::Duration;

use ocpp::OcppVersion;
use sim::connection::refuse_all;
use sim::{ConnectOptions, Connection, ReplayOptions, StopReason, TransactionId};

use domain::{StationId, Storage, TransactionState};

use crate::harness::{PASSWORD, TestServer};
use crate::{VERSIONS, station};

const MINUTE: i64 = 60_000;

#[tokio::test]
async fn a_new_connection_replaces_the_old_one() {
    for version in VERSIONS {
        let server = TestServer::start().await;
        server.register_station("TWICE").await;
        let mut options = ConnectOptions::new(server.url(), "TWICE", version);
        options.password = Some(PASSWORD.to_owned());
        let first = Connection::connect(&options, refuse_all()).await.unwrap();
        first.call("Heartbeat", serde_json::json!({})).await.unwrap();
        let second = Connection::connect(&options, refuse_all()).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(5), first.closed()).await.expect("old connection closed");
        assert_eq!(closed.code, Some(1000), "{closed:?}");
        assert_eq!(closed.reason, "replaced by a new connection");
        second.call("Heartbeat", serde_json::json!({})).await.expect("the new connection works");
        let log = server.store.station_events(&StationId::parse("TWICE").unwrap(), 10).unwrap();
        assert!(
            log.iter().any(|e| matches!(&e.kind, domain::event::StationEventKind::Disconnected { reason } if reason == "replaced by a new connection")),
            "{log:?}"
        );
        server.shutdown().await;
    }
}

/// Runs a session partly offline, replays it with lost acks and doubled
/// messages, and checks nothing was counted twice.
async fn offline_session(version: OcppVersion) {
    let server = TestServer::start().await;
    let id = format!("OFFLINE-{}", version.subprotocol());
    let (mut cp, clock) = station(&server, &id, version).await;
    server.add_token("ROAMER").await;
    cp.boot().await.unwrap();

    // one transaction starts online, then the network goes away
    let online = cp.start_transaction(1, "ROAMER").await.unwrap();
    clock.advance(10 * MINUTE);
    cp.meter_values(online).await.unwrap();
    cp.go_offline();
    for _ in 0..2 {
        clock.advance(10 * MINUTE);
        cp.meter_values(online).await.unwrap();
    }
    clock.advance(5 * MINUTE);
    cp.stop_transaction(online, StopReason::Local).await.unwrap();
    let online_end_wh = cp.state().energy_wh(1).unwrap();
    // a second transaction happens entirely offline
    clock.advance(MINUTE);
    let offline = cp.start_transaction(1, "ROAMER").await.unwrap();
    clock.advance(20 * MINUTE);
    cp.meter_values(offline).await.unwrap();
    cp.stop_transaction(offline, StopReason::EvDisconnected).await.unwrap();
    let offline_end_wh = cp.state().energy_wh(1).unwrap();
    assert!(!cp.queued_actions().is_empty());

    // back online: the station re-sends two messages whose acks it lost, and every message twice
    let replayed = cp.reconnect_with(ReplayOptions { resend_acknowledged: 2, send_each_twice: true }).await.unwrap();
    assert!(replayed.len() >= 2 * 6, "{replayed:?}");
    assert!(cp.queued_actions().is_empty());

    let station_id = StationId::parse(&id).unwrap();
    let store = &server.store;
    let all = store.transactions(None, 100).unwrap();
    assert_eq!(all.len(), 2, "replays created no extra transaction: {all:#?}");
    for (handle, end_wh, reason) in [(online, online_end_wh, "Local"), (offline, offline_end_wh, "EVDisconnected")] {
        let sim_tx = cp.transaction(handle).unwrap();
        let station_tx_id = match sim_tx.id.clone().expect("the transaction has an id after the replay") {
            TransactionId::Csms(n) => n.to_string(),
            TransactionId::Station(s) => s,
        };
        let tx = store.transaction_by_station_tx_id(&station_id, &station_tx_id).unwrap().unwrap();
        assert_eq!(tx.state, TransactionState::Ended);
        assert_eq!(tx.stop_reason.as_deref(), Some(reason));
        assert_eq!(tx.energy_wh(), Some((end_wh - sim_tx.meter_start_wh) as f64), "energy counted once");
        let samples = store.meter_samples(tx.number).unwrap();
        let distinct: HashSet<_> = samples
            .iter()
            .map(|s| (s.timestamp, s.measurand.clone(), s.phase.clone(), s.location.clone(), s.context.clone()))
            .collect();
        assert_eq!(distinct.len(), samples.len(), "no reading is stored twice");
        if version == OcppVersion::V201 {
            let events = store.transaction_events(tx.number).unwrap();
            let seq_nos: Vec<_> = events.iter().map(|e| e.seq_no).collect();
            let unique: HashSet<_> = seq_nos.iter().collect();
            assert_eq!(unique.len(), seq_nos.len(), "each seqNo is applied once");
            assert!(tx.offline, "events queued offline are flagged");
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn offline_replay_counts_once_on_ocpp16() {
    offline_session(OcppVersion::V16).await;
}

#[tokio::test]
async fn offline_replay_counts_once_on_ocpp201() {
    offline_session(OcppVersion::V201).await;
}
