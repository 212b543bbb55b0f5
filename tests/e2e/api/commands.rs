//! Every command through the API, on simulated stations of both versions:
//! what the station received and what came back; remote start answers the
//! transaction the station then starts; reservations; an offline station
//! fails fast; what a version cannot express or the schema forbids never
//! reaches the station.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use domain::{Scope, Storage};
use ocpp::OcppVersion;
use sim::{StartOptions, Station, StopReason};

use crate::api::eventually;
use crate::harness::{ApiClient, TestServer};
use crate::{VERSIONS, station};

/// Sends `command` with `body` and returns the station's answer, checking
/// the station received `action`; returns the answer and what it received.
async fn round_trip(client: &ApiClient, cp: &Station, id: &str, command: &str, body: Value, action: &str) -> (Value, Value) {
    let answer = client.post(&format!("/stations/{id}/commands/{command}"), body).await.expect(200);
    assert_eq!(answer["action"], action, "{command}: {answer}");
    let received = cp.wait_for_command(action, Duration::from_secs(2)).await.unwrap_or_else(|| panic!("the station received {action}"));
    (answer, received.payload)
}

fn future(seconds: i64) -> String {
    server::now().add_millis(seconds * 1000).to_string()
}

#[tokio::test]
async fn every_command_round_trips_on_ocpp16() {
    let server = TestServer::start().await;
    let (mut cp, _clock) = station(&server, "API-CMD-16", OcppVersion::V16).await;
    cp.boot().await.unwrap();
    let client = server.client(Scope::Operate).await;
    let id = "API-CMD-16";

    let (answer, sent) = round_trip(&client, &cp, id, "reset", json!({"immediate": true}), "Reset").await;
    assert_eq!((answer["status"].as_str(), sent["type"].as_str()), (Some("Accepted"), Some("Hard")));
    let (answer, sent) =
        round_trip(&client, &cp, id, "change-availability", json!({"evse": 1, "operative": false}), "ChangeAvailability").await;
    assert_eq!((answer["status"].as_str(), &sent), (Some("Accepted"), &json!({"connectorId": 1, "type": "Inoperative"})));
    round_trip(&client, &cp, id, "change-availability", json!({"operative": true}), "ChangeAvailability").await;
    let (answer, sent) = round_trip(&client, &cp, id, "unlock-connector", json!({"evse": 1}), "UnlockConnector").await;
    assert_eq!((answer["status"].as_str(), &sent), (Some("Unlocked"), &json!({"connectorId": 1})));
    let answer = client.request("POST", &format!("/stations/{id}/commands/clear-cache"), None).await.expect(200);
    assert_eq!(answer["status"], "Accepted", "a command without arguments needs no body");
    cp.wait_for_command("ClearCache", Duration::from_secs(2)).await.expect("the station got ClearCache");
    let (answer, sent) = round_trip(
        &client,
        &cp,
        id,
        "trigger-message",
        json!({"message": "StatusNotification", "evse": 1}),
        "TriggerMessage",
    )
    .await;
    assert_eq!((answer["status"].as_str(), &sent), (Some("Accepted"), &json!({"requestedMessage": "StatusNotification", "connectorId": 1})));
    let (answer, sent) = round_trip(
        &client,
        &cp,
        id,
        "data-transfer",
        json!({"vendor_id": "com.example", "message_id": "ping", "data": {"n": 1}}),
        "DataTransfer",
    )
    .await;
    assert_eq!(answer["status"], "UnknownVendorId");
    assert_eq!(sent["data"], "{\"n\":1}", "1.6 carries data as text");
    let (answer, sent) = round_trip(
        &client,
        &cp,
        id,
        "send-local-list",
        json!({"version": 3, "entries": [{"id_token": {"value": "LOCAL-1"}, "authorization": {"status": "Accepted"}}]}),
        "SendLocalList",
    )
    .await;
    assert_eq!((answer["status"].as_str(), sent["listVersion"].as_i64(), sent["updateType"].as_str()), (Some("Accepted"), Some(3), Some("Full")));
    let (answer, _) = round_trip(&client, &cp, id, "get-local-list-version", json!({}), "GetLocalListVersion").await;
    assert_eq!(answer["payload"], json!({"listVersion": 3}));
    let (answer, sent) =
        round_trip(&client, &cp, id, "update-firmware", json!({"location": "https://example.com/fw.bin", "retries": 2}), "UpdateFirmware").await;
    assert_eq!((&answer["payload"], sent["location"].as_str(), sent["retries"].as_i64()), (&json!({}), Some("https://example.com/fw.bin"), Some(2)));
    let (_, sent) = round_trip(&client, &cp, id, "upload-logs", json!({"location": "ftp://example.com/logs"}), "GetDiagnostics").await;
    assert_eq!(sent["location"], "ftp://example.com/logs");
    let (answer, sent) =
        round_trip(&client, &cp, id, "get-configuration", json!({"keys": ["HeartbeatInterval"]}), "GetConfiguration").await;
    assert_eq!(sent, json!({"key": ["HeartbeatInterval"]}));
    assert_eq!(answer["payload"]["configurationKey"][0]["key"], "HeartbeatInterval");
    let (answer, _) =
        round_trip(&client, &cp, id, "change-configuration", json!({"key": "HeartbeatInterval", "value": "60"}), "ChangeConfiguration").await;
    assert_eq!(answer["status"], "Accepted");
    round_trip(&client, &cp, id, "get-configuration", json!({}), "GetConfiguration").await;
    let detail = client.get(&format!("/stations/{id}")).await.expect(200);
    let keys = detail["configuration"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["key"] == "HeartbeatInterval" && k["value"] == "60"), "the keys read are shown: {keys:?}");

    // what 1.6 cannot express is refused before it reaches the station
    for (command, body) in [
        ("get-variables", json!({"variables": [{"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"}]})),
        ("set-variables", json!({"variables": [{"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "5"}]})),
        ("get-base-report", json!({})),
        ("get-transaction-status", json!({})),
    ] {
        client.post(&format!("/stations/{id}/commands/{command}"), body).await.expect_error(400, "unsupported_for_version");
    }
    let raw = client
        .post(&format!("/stations/{id}/commands/raw"), json!({"action": "GetCompositeSchedule", "payload": {"connectorId": 1, "duration": 60}}))
        .await;
    let message = raw.expect_error(502, "station_refused");
    assert!(message.contains("NotSupported"), "the station's CALLERROR code is in the message: {message}");
    client
        .post(&format!("/stations/{id}/commands/raw"), json!({"action": "ClearCache", "payload": {"surprise": 1}}))
        .await
        .expect_error(422, "invalid_command");
    let received: Vec<String> = cp.state().received_commands().map(|c| c.action.clone()).collect();
    assert_eq!(received, ["GetCompositeSchedule"], "the refused raw command reached the station, the invalid one did not");

    reservations_and_remote_control(&server, &client, &mut cp, id).await;
    server.shutdown().await;
}

#[tokio::test]
async fn every_command_round_trips_on_ocpp201() {
    let server = TestServer::start().await;
    let (mut cp, _clock) = station(&server, "API-CMD-201", OcppVersion::V201).await;
    cp.boot().await.unwrap();
    let client = server.client(Scope::Operate).await;
    let id = "API-CMD-201";

    let (answer, sent) = round_trip(&client, &cp, id, "reset", json!({}), "Reset").await;
    assert_eq!((answer["status"].as_str(), sent["type"].as_str()), (Some("Accepted"), Some("OnIdle")));
    let (answer, sent) =
        round_trip(&client, &cp, id, "change-availability", json!({"evse": 1, "operative": false}), "ChangeAvailability").await;
    assert_eq!((answer["status"].as_str(), &sent), (Some("Accepted"), &json!({"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 1}})));
    round_trip(&client, &cp, id, "change-availability", json!({"evse": 1, "operative": true}), "ChangeAvailability").await;
    let (answer, sent) = round_trip(&client, &cp, id, "unlock-connector", json!({"evse": 1}), "UnlockConnector").await;
    assert_eq!((answer["status"].as_str(), &sent), (Some("Unlocked"), &json!({"evseId": 1, "connectorId": 1})));
    round_trip(&client, &cp, id, "clear-cache", json!({}), "ClearCache").await;
    let (answer, _) = round_trip(
        &client,
        &cp,
        id,
        "trigger-message",
        json!({"message": "StatusNotification", "evse": 1, "connector": 1}),
        "TriggerMessage",
    )
    .await;
    assert_eq!(answer["status"], "Accepted");
    let (_, sent) =
        round_trip(&client, &cp, id, "data-transfer", json!({"vendor_id": "com.example", "data": {"n": 1}}), "DataTransfer").await;
    assert_eq!(sent["data"], json!({"n": 1}), "2.0.1 carries data as JSON");
    let (answer, sent) = round_trip(
        &client,
        &cp,
        id,
        "send-local-list",
        json!({"version": 5, "full": true, "entries": [{"id_token": {"value": "LOCAL-1", "type": "ISO14443"}, "authorization": {"status": "Blocked"}}]}),
        "SendLocalList",
    )
    .await;
    assert_eq!((answer["status"].as_str(), sent["versionNumber"].as_i64()), (Some("Accepted"), Some(5)));
    assert_eq!(sent["localAuthorizationList"][0]["idTokenInfo"]["status"], "Blocked");
    let (answer, _) = round_trip(&client, &cp, id, "get-local-list-version", json!({}), "GetLocalListVersion").await;
    assert_eq!(answer["payload"], json!({"versionNumber": 5}));
    let (answer, sent) = round_trip(
        &client,
        &cp,
        id,
        "update-firmware",
        json!({"location": "https://example.com/fw.bin", "request_id": 77}),
        "UpdateFirmware",
    )
    .await;
    assert_eq!((answer["status"].as_str(), sent["requestId"].as_i64()), (Some("Rejected"), Some(77)));
    let (answer, sent) =
        round_trip(&client, &cp, id, "upload-logs", json!({"location": "ftp://example.com/logs", "log_type": "SecurityLog"}), "GetLog").await;
    assert_eq!((answer["status"].as_str(), sent["logType"].as_str()), (Some("Rejected"), Some("SecurityLog")));
    assert!(sent["requestId"].is_i64(), "Gridlet chooses a requestId: {sent}");
    let (answer, _) = round_trip(
        &client,
        &cp,
        id,
        "set-variables",
        json!({"variables": [{"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "45"}]}),
        "SetVariables",
    )
    .await;
    assert_eq!(answer["payload"]["setVariableResult"][0]["attributeStatus"], "Accepted");
    let (answer, sent) = round_trip(
        &client,
        &cp,
        id,
        "get-variables",
        json!({"variables": [{"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"}]}),
        "GetVariables",
    )
    .await;
    assert_eq!(sent["getVariableData"][0]["variable"]["name"], "HeartbeatInterval");
    assert_eq!(answer["payload"]["getVariableResult"][0]["attributeValue"], "45");
    let (answer, sent) = round_trip(&client, &cp, id, "get-base-report", json!({}), "GetBaseReport").await;
    assert_eq!((answer["status"].as_str(), sent["reportBase"].as_str()), (Some("Accepted"), Some("FullInventory")));
    eventually(Duration::from_secs(5), "the device model is reported", async || {
        let detail = client.get(&format!("/stations/{id}")).await.expect(200);
        detail["device_model"].as_array().is_some_and(|vars| vars.iter().any(|v| v["variable"] == "HeartbeatInterval"))
    })
    .await;
    let (answer, _) = round_trip(&client, &cp, id, "get-transaction-status", json!({}), "GetTransactionStatus").await;
    assert_eq!(answer["payload"]["messagesInQueue"], false);

    for (command, body) in [("get-configuration", json!({})), ("change-configuration", json!({"key": "K", "value": "V"}))] {
        client.post(&format!("/stations/{id}/commands/{command}"), body).await.expect_error(400, "unsupported_for_version");
    }
    client
        .post(&format!("/stations/{id}/commands/get-base-report"), json!({"report_base": "Everything"}))
        .await
        .expect_error(422, "invalid_command");
    client
        .post(&format!("/stations/{id}/commands/reset"), json!({"immediate": "yes"}))
        .await
        .expect_error(422, "invalid_request");

    reservations_and_remote_control(&server, &client, &mut cp, id).await;
    server.shutdown().await;
}

/// Reservations, remote start (the transaction comes back), remote stop,
/// and 2.0.1's GetTransactionStatus of a running transaction.
async fn reservations_and_remote_control(server: &TestServer, client: &ApiClient, cp: &mut Station, id: &str) {
    let version = cp.version();
    server.add_token("REMOTE-TAG").await;

    // a reservation the station accepts, then cancels
    let made = client
        .post(&format!("/stations/{id}/reservations"), json!({"evse": 1, "id_token": {"value": "REMOTE-TAG"}, "expires_at": future(3600)}))
        .await
        .expect(201);
    assert_eq!(made["state"], "Active", "{made}");
    let sent = cp.wait_for_command("ReserveNow", Duration::from_secs(2)).await.unwrap().payload;
    let reservation_id = made["id"].as_i64().unwrap();
    match version {
        OcppVersion::V16 => assert_eq!((sent["reservationId"].as_i64(), sent["connectorId"].as_i64()), (Some(reservation_id), Some(1))),
        OcppVersion::V201 => assert_eq!((sent["id"].as_i64(), sent["evseId"].as_i64()), (Some(reservation_id), Some(1))),
    }
    let listed = client.get(&format!("/reservations?station={id}")).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let cancelled = client.delete(&format!("/reservations/{reservation_id}")).await.expect(200);
    assert_eq!(cancelled["state"], "Cancelled");
    cp.wait_for_command("CancelReservation", Duration::from_secs(2)).await.unwrap();
    client.delete(&format!("/reservations/{reservation_id}")).await.expect_error(409, "reservation_not_open");
    client
        .post(&format!("/stations/{id}/reservations"), json!({"evse": 9, "id_token": {"value": "REMOTE-TAG"}, "expires_at": future(3600)}))
        .await
        .expect_error(409, "reservation_refused");
    client
        .post(&format!("/stations/{id}/reservations"), json!({"evse": 1, "id_token": {"value": "REMOTE-TAG"}, "expires_at": future(-60)}))
        .await
        .expect_error(422, "invalid_request");

    // remote start: the answer is the transaction the station starts
    let starter = client.clone();
    let path = format!("/stations/{id}/commands/remote-start");
    let start = tokio::spawn(async move {
        starter.post(&path, json!({"evse": 1, "id_token": {"value": "REMOTE-TAG", "type": "ISO14443"}})).await
    });
    let (action, token_field) = match version {
        OcppVersion::V16 => ("RemoteStartTransaction", "/idTag"),
        OcppVersion::V201 => ("RequestStartTransaction", "/idToken/idToken"),
    };
    let request = cp.wait_for_command(action, Duration::from_secs(5)).await.expect("the station got the remote start").payload;
    assert_eq!(request.pointer(token_field).and_then(Value::as_str), Some("REMOTE-TAG"), "{request}");
    let remote_start_id = request["remoteStartId"].as_i64();
    let handle = cp.start_transaction_with(1, "REMOTE-TAG", StartOptions { remote_start_id, reservation_id: None }).await.unwrap();
    let started = start.await.unwrap().expect(201);
    let station_tx_id = cp.transaction(handle).unwrap().id.unwrap().to_string();
    assert_eq!(started["station_tx_id"], station_tx_id.as_str(), "{started}");
    assert_eq!((started["station"].as_str(), started["state"].as_str()), (Some(id), Some("Active")));
    if version == OcppVersion::V201 {
        assert_eq!(started["remote_start_id"].as_i64(), remote_start_id);
    }
    let number = started["number"].as_u64().unwrap();
    let detail = client.get(&format!("/stations/{id}")).await.expect(200);
    assert_eq!(detail["active_transactions"][0]["number"].as_u64(), Some(number));

    // a busy connector refuses a second remote start
    client
        .post(&format!("/stations/{id}/commands/remote-start"), json!({"evse": 1, "id_token": {"value": "REMOTE-TAG"}}))
        .await
        .expect_error(409, "remote_start_rejected");

    if version == OcppVersion::V201 {
        let (answer, sent) =
            round_trip(client, cp, id, "get-transaction-status", json!({"transaction": number}), "GetTransactionStatus").await;
        assert_eq!((sent["transactionId"].as_str(), &answer["payload"]["ongoingIndicator"]), (Some(station_tx_id.as_str()), &json!(true)));
    }
    let (answer, sent) = round_trip(client, cp, id, "remote-stop", json!({"transaction": number}), match version {
        OcppVersion::V16 => "RemoteStopTransaction",
        OcppVersion::V201 => "RequestStopTransaction",
    })
    .await;
    assert_eq!(answer["status"], "Accepted");
    assert_eq!(sent["transactionId"].to_string().trim_matches('"'), station_tx_id);
    cp.stop_transaction(handle, StopReason::Remote).await.unwrap();
    let ended = client.get(&format!("/transactions/{number}")).await.expect(200);
    assert_eq!((ended["transaction"]["state"].as_str(), ended["transaction"]["stop_reason"].as_str()), (Some("Ended"), Some("Remote")));
    client
        .post(&format!("/stations/{id}/commands/remote-stop"), json!({"transaction": 999_999}))
        .await
        .expect_error(404, "transaction_not_found");
}

#[tokio::test]
async fn a_remote_start_the_station_never_begins_times_out_clearly() {
    for version in VERSIONS {
        let server = TestServer::start().await;
        let id = format!("NEVER-{}", version.subprotocol());
        let (mut cp, _clock) = station(&server, &id, version).await;
        cp.boot().await.unwrap();
        let client = server.client(Scope::Operate).await;
        let started = Instant::now();
        let answer = client
            .post(&format!("/stations/{id}/commands/remote-start"), json!({"id_token": {"value": "NOBODY"}, "wait_secs": 1}))
            .await;
        answer.expect_error(504, "remote_start_timeout");
        assert!(started.elapsed() < Duration::from_secs(5));
        server.shutdown().await;
    }
}

#[tokio::test]
async fn commands_to_an_offline_or_unknown_station_fail_fast() {
    let server = TestServer::start().await;
    server.register_station("API-AWAY").await;
    let client = server.client(Scope::Operate).await;
    for command in ["reset", "clear-cache", "get-configuration"] {
        let started = Instant::now();
        let answer = client.post(&format!("/stations/API-AWAY/commands/{command}"), json!({})).await;
        let message = answer.expect_error(409, "station_offline");
        assert!(message.contains("API-AWAY"), "{message}");
        assert!(started.elapsed() < Duration::from_millis(500), "{command} failed fast: {:?}", started.elapsed());
    }
    let started = Instant::now();
    client
        .post("/stations/API-AWAY/commands/remote-start", json!({"id_token": {"value": "T"}}))
        .await
        .expect_error(409, "station_offline");
    client
        .post("/stations/API-AWAY/reservations", json!({"id_token": {"value": "T"}, "expires_at": future(60)}))
        .await
        .expect_error(409, "station_offline");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(server.store.reservations(None, None, 10).unwrap().is_empty(), "no reservation is recorded for an offline station");
    client.post("/stations/NOBODY/commands/reset", json!({})).await.expect_error(404, "station_not_found");
    client.post("/stations/bad:id/commands/reset", json!({})).await.expect_error(422, "invalid_request");
    server.shutdown().await;
}
