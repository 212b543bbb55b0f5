//! Whole charging sessions on both versions: boot, status, authorize,
//! start, meter values, stop — and what Gridlet keeps of them.

use ocpp::OcppVersion;
use sim::{ConnectorStatus, StopReason, TransactionId};

use domain::event::StationEventKind;
use domain::{ConnectorState, EvseConnector, ProtocolVersion, Registration, StationId, Storage, TransactionState};

use crate::harness::TestServer;
use crate::{T0, station};

const MINUTE: i64 = 60_000;

async fn full_session(version: OcppVersion) {
    let server = TestServer::start().await;
    let id = format!("CP-{}", version.subprotocol());
    let (mut cp, clock) = station(&server, &id, version).await;
    server.add_token("TAG-0001").await;

    let boot = cp.boot().await.unwrap();
    assert!(boot.accepted(), "{boot:?}");
    assert_eq!(boot.interval_s, 120);
    cp.heartbeat().await.unwrap();
    cp.status(1, ConnectorStatus::Available).await.unwrap();
    assert_eq!(cp.authorize("TAG-0001").await.unwrap(), "Accepted");
    let unknown = if version == OcppVersion::V16 { "Invalid" } else { "Unknown" };
    assert_eq!(cp.authorize("NOBODY").await.unwrap(), unknown);

    cp.status(1, ConnectorStatus::Preparing).await.unwrap();
    let handle = cp.start_transaction(1, "TAG-0001").await.unwrap();
    cp.status(1, ConnectorStatus::Charging).await.unwrap();
    for _ in 0..3 {
        clock.advance(10 * MINUTE);
        cp.meter_values(handle).await.unwrap();
    }
    clock.advance(5 * MINUTE);
    cp.stop_transaction(handle, StopReason::EvDisconnected).await.unwrap();
    cp.status(1, ConnectorStatus::Available).await.unwrap();

    let started = cp.transaction(handle).unwrap();
    let station_tx_id = match started.id.clone().unwrap() {
        TransactionId::Csms(n) => n.to_string(),
        TransactionId::Station(s) => s,
    };
    let stop_register = cp.state().energy_wh(1).unwrap();
    let station_id = StationId::parse(&id).unwrap();
    let store = &server.store;

    // the transaction, as one model for both versions
    let tx = store.transaction_by_station_tx_id(&station_id, &station_tx_id).unwrap().expect("transaction stored");
    assert_eq!(tx.state, TransactionState::Ended);
    assert_eq!(tx.protocol, if version == OcppVersion::V16 { ProtocolVersion::Ocpp16 } else { ProtocolVersion::Ocpp201 });
    assert_eq!(tx.location, EvseConnector { evse: 1, connector: 1 });
    assert_eq!(tx.id_token.as_ref().unwrap().value, "TAG-0001");
    assert_eq!(tx.started_at.unwrap().unix_millis(), T0);
    assert_eq!(tx.ended_at.unwrap().unix_millis(), T0 + 35 * MINUTE);
    assert_eq!(tx.stop_reason.as_deref(), Some("EVDisconnected"));
    // 11 kW for 35 minutes
    let expected_wh = (stop_register - started.meter_start_wh) as f64;
    assert_eq!(expected_wh, (11_000.0_f64 * 35.0 / 60.0).floor(), "the register counts whole Wh");
    assert_eq!(tx.energy_wh(), Some(expected_wh));
    let samples = store.meter_samples(tx.number).unwrap();
    let registers: Vec<_> = samples.iter().filter_map(|s| s.energy_register_wh()).collect();
    assert!(registers.len() >= 4, "periodic and closing readings are kept: {samples:?}");
    assert!(samples.iter().any(|s| s.measurand == "Power.Active.Import" && s.unit.as_deref() == Some("W")));
    assert!(registers.windows(2).all(|w| w[0] <= w[1]), "readings come back in time order");

    // the connector's status and its history
    let statuses = store.connector_statuses(&station_id).unwrap();
    let connector = statuses.iter().find(|s| s.location.evse == 1).expect("connector status");
    assert_eq!(connector.state, ConnectorState::Available);
    let history: Vec<_> = store.status_history(&station_id, 100).unwrap().into_iter().map(|s| s.state).collect();
    let expected_history = if version == OcppVersion::V16 {
        vec![ConnectorState::Available, ConnectorState::Preparing, ConnectorState::Charging, ConnectorState::Available]
    } else {
        vec![ConnectorState::Available, ConnectorState::Occupied, ConnectorState::Occupied, ConnectorState::Available]
    };
    assert_eq!(history, expected_history);

    // the station: boot facts, registration, log
    let record = store.station(&station_id).unwrap().unwrap();
    assert_eq!(record.registration, Registration::Accepted);
    let boot_info = record.boot.unwrap();
    assert_eq!((boot_info.vendor.as_str(), boot_info.model.as_str()), ("Gridlet", "Simulator"));
    assert!(store.last_seen(&station_id).unwrap().is_some());
    let log = store.station_events(&station_id, 100).unwrap();
    assert!(matches!(log[0].kind, StationEventKind::Connected { .. }), "{log:?}");
    assert!(log.iter().any(|e| matches!(&e.kind, StationEventKind::Booted { answered, .. } if answered == "Accepted")));
    server.shutdown().await;
}

#[tokio::test]
async fn a_full_session_on_ocpp16() {
    full_session(OcppVersion::V16).await;
}

#[tokio::test]
async fn a_full_session_on_ocpp201() {
    full_session(OcppVersion::V201).await;
}

async fn notifications(version: OcppVersion) {
    let server = TestServer::start().await;
    let id = format!("NOTE-{}", version.subprotocol());
    let (mut cp, _clock) = station(&server, &id, version).await;
    cp.boot().await.unwrap();
    cp.firmware_status("Installed", Some(7)).await.unwrap();
    cp.log_status("Uploaded", Some(8)).await.unwrap();
    cp.security_event("FirmwareUpdated", Some("v2 installed")).await.unwrap();
    let answer = cp.data_transfer("com.example", Some("ping"), Some("hello")).await.unwrap();
    assert_eq!(answer["status"], "UnknownVendorId", "no vendor extension is installed");
    if version == OcppVersion::V16 {
        cp.diagnostics_status("Uploaded").await.unwrap();
    } else {
        cp.notify_report(3).await.unwrap();
        cp.notify_event("Connector", "AvailabilityState", "Faulted").await.unwrap();
        cp.connector_meter_values(1).await.unwrap();
    }

    let station_id = StationId::parse(&id).unwrap();
    let store = &server.store;
    let record = store.station(&station_id).unwrap().unwrap();
    assert_eq!(record.firmware_status.as_ref().map(|s| s.status.as_str()), Some("Installed"));
    assert_eq!(record.log_status.as_ref().map(|s| s.status.as_str()), Some("Uploaded"));
    let log: Vec<_> = store.station_events(&station_id, 100).unwrap().into_iter().map(|e| e.kind).collect();
    assert!(log.iter().any(|k| matches!(k, StationEventKind::SecurityEvent { event_type, tech_info, .. }
        if event_type == "FirmwareUpdated" && tech_info.as_deref() == Some("v2 installed"))));
    assert!(log.iter().any(|k| matches!(k, StationEventKind::DataTransfer { vendor_id, answered, .. }
        if vendor_id == "com.example" && answered == "UnknownVendorId")));
    if version == OcppVersion::V16 {
        assert_eq!(record.diagnostics_status.as_ref().map(|s| s.status.as_str()), Some("Uploaded"));
    } else {
        assert!(!store.reported_variables(&station_id).unwrap().is_empty(), "NotifyReport fills the device model");
        assert!(log.iter().any(|k| matches!(k, StationEventKind::DeviceEvent(e) if e.actual_value == "Faulted")));
        assert!(!store.evse_samples(&station_id, 1, 10).unwrap().is_empty());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn notifications_are_kept_on_ocpp16() {
    notifications(OcppVersion::V16).await;
}

#[tokio::test]
async fn notifications_are_kept_on_ocpp201() {
    notifications(OcppVersion::V201).await;
}
