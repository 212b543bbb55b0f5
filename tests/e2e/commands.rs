//! The command core through `server::Network` (the handle the REST API and
//! the CLI use): commands round-trip on both versions, one at a time; an
//! offline station fails at once; CALLERRORs and silence end a command
//! clearly; remote start yields the transaction; reservations follow the
//! station's answers; silent stations are marked offline; live events come
//! in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use domain::event::StationEventKind;
use domain::{
    Change, EvseConnector, IdToken, Notification, ProtocolVersion, Reservation, ReservationState, StationId, Storage,
    Timestamp,
};
use ocpp::OcppVersion;
use session::commands::{Command, CommandError};
use sim::{ConnectorStatus, StopReason};

use crate::harness::{PASSWORD, TestServer};
use crate::{VERSIONS, station};

/// How a scripted station answers a CALL.
enum Answer {
    Result(Value),
    Error(&'static str),
    Ignore,
}

/// A station that boots and then answers CSMS calls as `script` says.
async fn scripted_station(
    server: &TestServer,
    id: &str,
    version: OcppVersion,
    script: impl Fn(&str, &Value) -> Answer + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    server.register_station(id).await;
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "{}/{id}",
        server.url()
    ))
    .unwrap();
    request.headers_mut().insert("sec-websocket-protocol", version.subprotocol().parse().unwrap());
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{id}:{PASSWORD}"));
    request.headers_mut().insert("authorization", format!("Basic {basic}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let boot = match version {
        OcppVersion::V16 => json!([2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]),
        OcppVersion::V201 => {
            json!([2, "b1", "BootNotification", {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"}])
        }
    };
    socket.send(Message::Text(boot.to_string().into())).await.unwrap();
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let frame: Value = serde_json::from_str(&text).unwrap();
            if frame[0] != 2 {
                continue;
            }
            let id = frame[1].clone();
            let reply = match script(frame[2].as_str().unwrap(), &frame[3]) {
                Answer::Result(payload) => json!([3, id, payload]),
                Answer::Error(code) => json!([4, id, code, "scripted refusal", {}]),
                Answer::Ignore => continue,
            };
            if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
                break;
            }
        }
    })
}

async fn wait_connected(server: &TestServer, id: &StationId) {
    for _ in 0..100 {
        if server.network.connection(id).is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{id} never connected");
}

#[tokio::test]
async fn commands_round_trip_on_both_versions() {
    for version in VERSIONS {
        let server = TestServer::start().await;
        let id = format!("CMD-{}", version.subprotocol());
        let (mut cp, _clock) = station(&server, &id, version).await;
        cp.boot().await.unwrap();
        let station_id = StationId::parse(&id).unwrap();
        let network = &server.network;

        let reset = network.send(&station_id, Command::Reset { immediate: false, evse: None }).await.unwrap();
        assert_eq!(reset.status.as_deref(), Some("Accepted"), "{reset:?}");
        let cleared = network.send(&station_id, Command::ClearCache).await.unwrap();
        assert_eq!(cleared.status.as_deref(), Some("Accepted"));
        let trigger = Command::TriggerMessage { message: "StatusNotification".into(), location: Some(EvseConnector::from_v16(1)) };
        assert_eq!(network.send(&station_id, trigger).await.unwrap().status.as_deref(), Some("Accepted"));
        let version_reply = network.send(&station_id, Command::GetLocalListVersion).await.unwrap();
        assert!(version_reply.payload.is_object());
        match version {
            OcppVersion::V16 => {
                let config = network.send(&station_id, Command::GetConfiguration { keys: vec![] }).await.unwrap();
                assert!(config.payload["configurationKey"].as_array().is_some_and(|keys| !keys.is_empty()), "{config:?}");
                let stored = server.store.configuration(&station_id).unwrap();
                assert!(stored.iter().any(|k| k.key == "HeartbeatInterval"), "the keys read are stored: {stored:?}");
                let refused = network.send(&station_id, Command::GetBaseReport { request_id: 1, report_base: "FullInventory".into() }).await;
                assert!(matches!(refused, Err(CommandError::Unsupported { .. })), "{refused:?}");
            }
            OcppVersion::V201 => {
                let report = network.send(&station_id, Command::GetBaseReport { request_id: 4, report_base: "FullInventory".into() }).await.unwrap();
                assert_eq!(report.status.as_deref(), Some("Accepted"));
                // the NotifyReport parts follow and fill the device model
                let mut variables = Vec::new();
                for _ in 0..100 {
                    variables = server.store.reported_variables(&station_id).unwrap();
                    if !variables.is_empty() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                assert!(!variables.is_empty(), "GetBaseReport's NotifyReport is collected into the device model");
            }
        }
        let received: Vec<String> = cp.state().received_commands().map(|c| c.action.clone()).collect();
        assert!(received.contains(&"Reset".to_owned()) && received.contains(&"ClearCache".to_owned()), "{received:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn commands_to_one_station_go_one_at_a_time_in_order() {
    let server = TestServer::start().await;
    let (mut cp, _clock) = station(&server, "QUEUE", OcppVersion::V16).await;
    cp.boot().await.unwrap();
    let id = StationId::parse("QUEUE").unwrap();
    let sends: Vec<_> = (0..6)
        .map(|n| {
            let network = server.network.clone();
            let id = id.clone();
            let command = Command::ChangeConfiguration { key: "HeartbeatInterval".into(), value: (100 + n).to_string() };
            tokio::spawn(async move { network.send(&id, command).await })
        })
        .collect();
    for send in sends {
        assert_eq!(send.await.unwrap().unwrap().status.as_deref(), Some("Accepted"));
    }
    let received: Vec<_> = cp.state().received_commands().map(|c| c.payload["value"].as_str().unwrap().to_owned()).collect();
    assert_eq!(received.len(), 6);
    server.shutdown().await;
}

#[tokio::test]
async fn a_command_to_an_offline_station_fails_at_once() {
    let server = TestServer::start().await;
    let id = server.register_station("NOT-HERE").await;
    let started = Instant::now();
    let error = server.network.send(&id, Command::ClearCache).await.unwrap_err();
    assert!(matches!(error, CommandError::Offline(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(200), "fails fast, took {:?}", started.elapsed());
    server.shutdown().await;
}

#[tokio::test]
async fn refusals_and_silence_end_commands_clearly() {
    let server = TestServer::start_with(|config| config.settings.command_timeout_secs = 1).await;
    let _station = scripted_station(&server, "STUBBORN", OcppVersion::V201, |action, _| match action {
        "ClearCache" => Answer::Error("NotImplemented"),
        "Reset" => Answer::Ignore,
        "GetLocalListVersion" => Answer::Result(json!({"versionNumber": "not a number"})),
        _ => Answer::Result(json!({"status": "Accepted"})),
    })
    .await;
    let id = StationId::parse("STUBBORN").unwrap();
    wait_connected(&server, &id).await;
    let network = &server.network;
    match network.send(&id, Command::ClearCache).await {
        Err(CommandError::Refused { code, .. }) => assert_eq!(code, ocpp::ErrorCode::NotImplemented),
        other => panic!("{other:?}"),
    }
    let started = Instant::now();
    assert!(matches!(network.send(&id, Command::Reset { immediate: true, evse: None }).await, Err(CommandError::Timeout { .. })));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(network.send(&id, Command::GetLocalListVersion).await, Err(CommandError::InvalidReply { .. })));
    // the connection still serves the next command
    assert_eq!(network.send(&id, Command::ChangeAvailability { location: None, operative: true }).await.unwrap().status.as_deref(), Some("Accepted"));
    server.shutdown().await;
}

#[tokio::test]
async fn reservations_follow_the_stations_answers() {
    let server = TestServer::start().await;
    let _station = scripted_station(&server, "HOLDER", OcppVersion::V16, |action, payload| match action {
        "ReserveNow" if payload["reservationId"] == 1 => Answer::Result(json!({"status": "Accepted"})),
        "ReserveNow" => Answer::Result(json!({"status": "Occupied"})),
        "CancelReservation" => Answer::Result(json!({"status": "Accepted"})),
        _ => Answer::Error("NotSupported"),
    })
    .await;
    let id = StationId::parse("HOLDER").unwrap();
    wait_connected(&server, &id).await;
    let now = server::now();
    for _ in 0..2 {
        let reservation = Reservation {
            id: server.store.next_reservation_id().unwrap(),
            station: id.clone(),
            location: Some(EvseConnector::from_v16(1)),
            id_token: IdToken::untyped("TAG"),
            group_id: None,
            expires_at: Timestamp::from_unix_millis(now.unix_millis() + 3_600_000),
            state: ReservationState::Requested,
            refusal: None,
            transaction: None,
            created_at: now,
            updated_at: now,
        };
        server.apply(Change::PutReservation(reservation.clone())).await;
        server.network.send(&id, Command::ReserveNow { reservation }).await.unwrap();
    }
    assert_eq!(server.store.reservation(1).unwrap().unwrap().state, ReservationState::Active);
    let refused = server.store.reservation(2).unwrap().unwrap();
    assert_eq!((refused.state, refused.refusal.as_deref()), (ReservationState::Refused, Some("Occupied")));
    server.network.send(&id, Command::CancelReservation { reservation_id: 1 }).await.unwrap();
    assert_eq!(server.store.reservation(1).unwrap().unwrap().state, ReservationState::Cancelled);
    server.shutdown().await;
}

#[tokio::test]
async fn remote_start_yields_the_transaction_the_station_starts() {
    let server = TestServer::start().await;
    server.add_token("REMOTE-1").await;
    let (mut cp, _clock) = station(&server, "REMOTE", OcppVersion::V16).await;
    cp.boot().await.unwrap();
    let id = StationId::parse("REMOTE").unwrap();
    let network = server.network.clone();
    let start = tokio::spawn(async move {
        network.remote_start(&id, Some(EvseConnector::from_v16(1)), IdToken::untyped("REMOTE-1"), Duration::from_secs(10)).await
    });
    let command = cp.wait_for_command("RemoteStartTransaction", Duration::from_secs(5)).await.expect("the station got the command");
    assert_eq!(command.payload["idTag"], "REMOTE-1");
    let handle = cp.start_transaction(1, "REMOTE-1").await.unwrap();
    let tx = start.await.unwrap().expect("the remote start returns the transaction");
    let sim_id = cp.transaction(handle).unwrap().id.unwrap().to_string();
    assert_eq!(tx.station_tx_id, sim_id);
    assert_eq!(tx.id_token.unwrap().value, "REMOTE-1");
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_station_is_marked_offline() {
    let server = TestServer::start_with(|config| {
        config.settings.heartbeat_interval_secs = 1;
        config.settings.offline_grace_secs = 1;
    })
    .await;
    let mut events = server.network.subscribe();
    let (mut cp, _clock) = station(&server, "QUIET", OcppVersion::V201).await;
    cp.boot().await.unwrap();
    let id = StationId::parse("QUIET").unwrap();
    let offline = tokio::time::timeout(Duration::from_secs(6), async {
        loop {
            let published = events.recv().await.unwrap();
            if let Notification::StationOffline { station, .. } = &published.notification
                && station == &id
            {
                return published.notification.clone();
            }
        }
    })
    .await
    .expect("the silent station is declared offline");
    assert_eq!(offline.kind(), "station.offline");
    let log = server.store.station_events(&id, 20).unwrap();
    assert!(log.iter().any(|e| matches!(e.kind, StationEventKind::WentOffline { .. })), "{log:?}");
    let closed = tokio::time::timeout(Duration::from_secs(5), cp.connection().unwrap().closed()).await.unwrap();
    assert_eq!(closed.code, Some(1001), "{closed:?}");
    for _ in 0..100 {
        if server.network.connection(&id).is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(server.network.connection(&id).is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn live_events_arrive_in_order() {
    let server = TestServer::start().await;
    server.add_token("WATCHED").await;
    let mut events = server.network.subscribe();
    let (mut cp, clock) = station(&server, "WATCHED-CP", OcppVersion::V16).await;
    cp.boot().await.unwrap();
    cp.status(1, ConnectorStatus::Preparing).await.unwrap();
    let handle = cp.start_transaction(1, "WATCHED").await.unwrap();
    clock.advance(60_000);
    cp.meter_values(handle).await.unwrap();
    cp.stop_transaction(handle, StopReason::Local).await.unwrap();
    let id = StationId::parse("WATCHED-CP").unwrap();
    let mut seen = Vec::new();
    let mut last_seq = 0;
    while seen.last() != Some(&"transaction.ended") {
        let published = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
        assert!(published.seq > last_seq, "sequence numbers increase");
        last_seq = published.seq;
        if published.notification.station() == &id {
            seen.push(published.notification.kind());
        }
        if let Notification::StationConnected { protocol, .. } = &published.notification {
            assert_eq!(*protocol, ProtocolVersion::Ocpp16);
        }
    }
    assert_eq!(
        seen,
        vec!["station.connected", "station.booted", "connector.status", "transaction.started", "transaction.updated", "transaction.ended"]
    );
    let _ = Arc::new(());
    server.shutdown().await;
}
