//! The event stream and uptime through the API: a session's events arrive
//! in order with increasing ids, filtered by station and kind; a station
//! that falls silent is marked offline in the stream, its detail, its log
//! and its availability; faults and status history are kept.

use std::time::Duration;

use serde_json::json;

use domain::Scope;
use ocpp::OcppVersion;
use sim::{ConnectorStatus, StopReason};

use crate::api::eventually;
use crate::harness::TestServer;
use crate::station;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_event_stream_delivers_a_sessions_events_in_order_filtered_by_station() {
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let server = TestServer::start().await;
        server.add_token("EVT-TAG").await;
        let reader = server.client(Scope::Read).await;
        let id = format!("EVT-{}", version.subprotocol());
        let mut mine = reader.events(&format!("station={id}")).await;
        let mut transactions = reader.events("kind=transaction").await;
        let mut everything = reader.events("").await;

        // another station's traffic, interleaved, must not show in the filtered stream
        let (mut other, _) = station(&server, &format!("OTHER-{}", version.subprotocol()), version).await;
        other.boot().await.unwrap();
        let (mut cp, clock) = station(&server, &id, version).await;
        cp.boot().await.unwrap();
        other.status(1, ConnectorStatus::Faulted).await.unwrap();
        cp.status(1, ConnectorStatus::Preparing).await.unwrap();
        let handle = cp.start_transaction(1, "EVT-TAG").await.unwrap();
        clock.advance(60_000);
        cp.meter_values(handle).await.unwrap();
        cp.stop_transaction(handle, StopReason::Local).await.unwrap();
        let operator = server.client(Scope::Operate).await;
        operator.post(&format!("/stations/{id}/commands/clear-cache"), json!({})).await.expect(200);

        let events = mine.until("command.completed", WAIT).await;
        let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "station.connected",
                "station.booted",
                "connector.status",
                "transaction.started",
                "transaction.updated",
                "transaction.ended",
                "command.completed"
            ],
            "{version}"
        );
        let ids: Vec<u64> = events.iter().map(|e| e.id.expect("every event has an id")).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
        for event in &events {
            assert_eq!(event.data["station"], id.as_str());
            assert_eq!(event.data["kind"], event.event.as_str());
            assert_eq!(event.data["seq"].as_u64(), event.id);
            assert!(event.data["at"].is_string());
        }
        assert_eq!(events[0].data["protocol"], if version == OcppVersion::V16 { "1.6" } else { "2.0.1" });
        assert_eq!(events[1].data["registration"], "Accepted");
        assert_eq!(events[2].data["status"]["evse"], 1);
        let ended = &events[5].data["transaction"];
        assert_eq!((ended["state"].as_str(), ended["energy_wh"].as_f64().map(|wh| wh > 0.0)), (Some("Ended"), Some(true)));
        assert_eq!((events[6].data["action"].as_str(), events[6].data["outcome"].as_str()), (Some("ClearCache"), Some("Accepted")));

        let only_transactions = transactions.until("transaction.ended", WAIT).await;
        assert!(only_transactions.iter().all(|e| e.event.starts_with("transaction.")), "{only_transactions:?}");
        let all = everything.until("command.completed", WAIT).await;
        assert!(all.iter().any(|e| e.data["station"] != id.as_str()), "the unfiltered stream has both stations");
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));

        reader.get("/events?kind=fun").await.expect_error(422, "invalid_request");
        reader.get("/events?station=bad:id").await.expect_error(422, "invalid_request");
        // the streams end when the server shuts down
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_silent_station_is_marked_offline_in_the_stream_its_detail_and_its_availability() {
    let server = TestServer::start_with(|config| {
        config.settings.heartbeat_interval_secs = 1;
        config.settings.offline_grace_secs = 0;
    })
    .await;
    let reader = server.client(Scope::Read).await;
    let mut events = reader.events("station=SILENT").await;
    let (mut cp, _clock) = station(&server, "SILENT", OcppVersion::V201).await;
    cp.boot().await.unwrap();
    cp.status(1, ConnectorStatus::Available).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    cp.heartbeat().await.unwrap();
    let live = reader.get("/stations/SILENT").await.expect(200);
    assert_eq!((live["connected"].as_bool(), live["connection"]["protocol"].as_str()), (Some(true), Some("2.0.1")));
    let listed = reader.get("/stations").await.expect(200);
    assert_eq!(listed["items"][0]["connected"], true);

    let seen = events.until("station.offline", WAIT).await;
    let offline = seen.last().unwrap();
    assert!(offline.data["last_heard"].is_string(), "{offline:?}");
    let after = events.next(WAIT).await.expect("the connection is then closed");
    assert_eq!(after.event, "station.disconnected");

    eventually(WAIT, "the station shows as disconnected", async || {
        reader.get("/stations/SILENT").await.expect(200)["connected"] == false
    })
    .await;
    let detail = reader.get("/stations/SILENT").await.expect(200);
    assert!(detail["connection"].is_null() && detail["last_seen"].is_string(), "{detail}");
    let log = reader.get("/stations/SILENT/log").await.expect(200);
    let types: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["event"]["type"].as_str()).collect();
    assert_eq!(types, ["connected", "booted", "went_offline", "disconnected"]);

    let availability = reader.get("/stations/SILENT/availability").await.expect(200);
    assert_eq!(availability["connected_now"], false);
    let periods = availability["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "{availability}");
    assert_eq!(periods[0]["end_reason"], "went silent");
    let online = availability["online_ms"].as_i64().unwrap();
    assert!(online > 0 && online < 5_000, "online while it talked: {online} ms");
    assert!(availability["offline_ms"].as_i64().unwrap() > 23 * 3_600_000, "offline the rest of the last 24 hours");
    assert!(availability["online_ratio"].as_f64().unwrap() < 0.01);
    let connector = &availability["connectors"][0];
    assert_eq!((connector["evse"].as_u64(), connector["faults"].as_u64()), (Some(1), Some(0)));
    assert!(connector["time_in_state_ms"]["Available"].as_i64().unwrap() > 0, "{connector}");
    server.shutdown().await;
}

#[tokio::test]
async fn faults_and_status_history_are_kept_with_time_and_code() {
    let server = TestServer::start().await;
    let reader = server.client(Scope::Read).await;
    let (mut cp, _clock) = station(&server, "FAULTY", OcppVersion::V16).await;
    cp.boot().await.unwrap();
    let from = server::now().to_string();
    cp.status(1, ConnectorStatus::Available).await.unwrap();
    cp.status(1, ConnectorStatus::Faulted).await.unwrap();
    cp.status(1, ConnectorStatus::Available).await.unwrap();
    let history = reader.all(&format!("/stations/FAULTY/status-history?from={from}"), 2).await;
    let states: Vec<&str> = history.iter().filter_map(|s| s["status"].as_str()).collect();
    assert_eq!(states, ["Available", "Faulted", "Available"]);
    let faults = reader.get("/stations/FAULTY/faults").await.expect(200);
    let faults = faults["items"].as_array().unwrap();
    assert_eq!(faults.len(), 1);
    assert_eq!((faults[0]["status"].as_str(), faults[0]["error_code"].as_str()), (Some("Faulted"), Some("OtherError")));
    assert!(faults[0]["received_at"].is_string());
    let availability = reader.get(&format!("/stations/FAULTY/availability?from={from}")).await.expect(200);
    assert_eq!(availability["connectors"][0]["faults"], 1);
    assert_eq!(availability["connected_now"], true);
    assert!(availability["periods"][0]["end"].is_null(), "the live connection counts to now");
    // a range that ends before it begins is empty, as the document says
    let empty = reader.get(&format!("/stations/FAULTY/availability?from={from}&to=2000-01-01T00:00:00Z")).await.expect(200);
    assert_eq!((empty["online_ms"].as_i64(), empty["offline_ms"].as_i64(), empty["online_ratio"].as_f64()), (Some(0), Some(0), Some(0.0)), "{empty}");
    let none = reader.get(&format!("/stations/FAULTY/status-history?from={from}&to=2000-01-01T00:00:00Z")).await.expect(200);
    assert_eq!(none["items"], json!([]));
    reader.get("/stations/FAULTY/faults?from=yesterday").await.expect_error(422, "invalid_request");
    reader.get("/stations/NOBODY/availability").await.expect_error(404, "station_not_found");
    server.shutdown().await;
}
