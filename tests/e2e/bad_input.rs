//! Every kind of bad input a station can send gets the CALLERROR the
//! specification names, the connection stays up, and nothing is stored.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use ocpp::OcppVersion;
use sim::connection::refuse_all;
use sim::{ConnectOptions, Connection};

use domain::Storage;

use crate::VERSIONS;
use crate::harness::{PASSWORD, TestServer};

async fn connect(server: &TestServer, id: &str, version: OcppVersion) -> Connection {
    server.register_station(id).await;
    let mut options = ConnectOptions::new(server.url(), id, version);
    options.password = Some(PASSWORD.to_owned());
    Connection::connect(&options, refuse_all()).await.expect("connect")
}

/// Sends `text` and returns the server's reply as JSON.
async fn exchange(connection: &mut Connection, text: &str) -> Value {
    connection.send_text(text).await.expect("send");
    let reply = tokio::time::timeout(Duration::from_secs(5), connection.next_text())
        .await
        .expect("a reply within 5 s")
        .expect("connection still open");
    serde_json::from_str(&reply).expect("reply is JSON")
}

/// Asserts `reply` is a CALLERROR with `unique_id` and `code`.
fn assert_call_error(reply: &Value, unique_id: &str, code: &str, case: &str) {
    assert_eq!(reply[0], 4, "{case}: {reply}");
    assert_eq!(reply[1], unique_id, "{case}: {reply}");
    assert_eq!(reply[2], code, "{case}: {reply}");
    assert!(reply[3].as_str().is_some_and(|d| !d.is_empty()), "{case}: a description is given: {reply}");
    assert!(reply[4].is_object(), "{case}: {reply}");
}

/// The code's name in `version`'s spelling.
fn code(version: OcppVersion, v201: &'static str) -> &'static str {
    match (version, v201) {
        (OcppVersion::V16, "FormatViolation" | "RpcFrameworkError") => "FormationViolation",
        (OcppVersion::V16, "OccurrenceConstraintViolation") => "OccurenceConstraintViolation",
        (OcppVersion::V16, "MessageTypeNotSupported") => "NotSupported",
        (_, other) => other,
    }
}

async fn still_up(connection: &Connection) {
    connection.call("Heartbeat", json!({})).await.expect("the connection still works");
}

#[tokio::test]
async fn malformed_frames_get_framework_errors() {
    for version in VERSIONS {
        let server = TestServer::start().await;
        let mut connection = connect(&server, "FRAMES", version).await;
        let long_id = "x".repeat(37);
        let cases: Vec<(String, &str, &str)> = vec![
            ("this is not json".into(), "-1", "RpcFrameworkError"),
            ("{}".into(), "-1", "RpcFrameworkError"),
            ("[]".into(), "-1", "RpcFrameworkError"),
            (r#"[2,"m1","Heartbeat"]"#.into(), "m1", "RpcFrameworkError"),
            (r#"[2,17,"Heartbeat",{}]"#.into(), "-1", "RpcFrameworkError"),
            (format!(r#"[2,"{long_id}","Heartbeat",{{}}]"#), long_id.as_str(), "RpcFrameworkError"),
            (r#"[7,"m2","Heartbeat",{}]"#.into(), "m2", "MessageTypeNotSupported"),
            (r#"[2,"m3","Heartbeat",[]]"#.into(), "m3", "FormatViolation"),
            (r#"[2,"m4","FlyToTheMoon",{}]"#.into(), "m4", "NotImplemented"),
        ];
        for (frame, id, expected) in &cases {
            let reply = exchange(&mut connection, frame).await;
            assert_call_error(&reply, id, code(version, expected), &format!("{version} {frame}"));
            still_up(&connection).await;
        }
        // results and errors nobody asked for get no answer and do no harm
        connection.send_text(r#"[3,"nobody-asked",{}]"#).await.unwrap();
        connection.send_text(r#"[4,"nobody-asked","GenericError","",{}]"#).await.unwrap();
        still_up(&connection).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn actions_only_the_csms_sends_are_not_supported() {
    for (version, reset) in [(OcppVersion::V16, json!({"type": "Hard"})), (OcppVersion::V201, json!({"type": "Immediate"}))] {
        let server = TestServer::start().await;
        let mut connection = connect(&server, "DIRECTION", version).await;
        let reply = exchange(&mut connection, &json!([2, "r1", "Reset", reset]).to_string()).await;
        assert_call_error(&reply, "r1", "NotSupported", &format!("{version} Reset"));
        still_up(&connection).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn schema_violations_get_the_matching_codes_and_store_nothing() {
    let now = "2026-11-21T08:00:00.000Z";
    let v16_cases = vec![
        ("StatusNotification", json!({"connectorId": "1", "errorCode": "NoError", "status": "Available"}), "TypeConstraintViolation"),
        ("BootNotification", json!({"chargePointVendor": "V"}), "OccurrenceConstraintViolation"),
        ("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Exploded"}), "PropertyConstraintViolation"),
        ("StartTransaction", json!({"connectorId": 1, "idTag": "X".repeat(21), "meterStart": 0, "timestamp": now}), "PropertyConstraintViolation"),
        ("StartTransaction", json!({"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "yesterday"}), "TypeConstraintViolation"),
        ("StartTransaction", json!({"connectorId": 1, "idTag": "TAG", "meterStart": 1.5, "timestamp": now}), "TypeConstraintViolation"),
        ("Heartbeat", json!({"surprise": 1}), "FormatViolation"),
    ];
    let v201_cases = vec![
        ("StatusNotification", json!({"timestamp": now, "connectorStatus": "Available", "evseId": "1", "connectorId": 1}), "TypeConstraintViolation"),
        ("BootNotification", json!({"reason": "PowerUp"}), "OccurrenceConstraintViolation"),
        ("StatusNotification", json!({"timestamp": now, "connectorStatus": "Exploded", "evseId": 1, "connectorId": 1}), "PropertyConstraintViolation"),
        ("TransactionEvent", json!({"eventType": "Started", "timestamp": now, "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "T".repeat(37)}}), "PropertyConstraintViolation"),
        ("TransactionEvent", json!({"eventType": "Started", "timestamp": "yesterday", "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "T1"}}), "TypeConstraintViolation"),
        ("Heartbeat", json!({"surprise": 1}), "FormatViolation"),
    ];
    for (version, cases) in [(OcppVersion::V16, v16_cases), (OcppVersion::V201, v201_cases)] {
        let server = TestServer::start().await;
        let mut connection = connect(&server, "SCHEMA", version).await;
        for (n, (action, payload, expected)) in cases.into_iter().enumerate() {
            let id = format!("s{n}");
            let reply = exchange(&mut connection, &json!([2, id, action, payload]).to_string()).await;
            assert_call_error(&reply, &id, code(version, expected), &format!("{version} {action} {payload}"));
            let description = reply[3].as_str().unwrap();
            assert!(!description.contains("panicked"), "{description}");
            still_up(&connection).await;
        }
        let store = &server.store;
        assert!(store.transactions(None, 10).unwrap().is_empty(), "no transaction came of refused messages");
        let station = domain::StationId::parse("SCHEMA").unwrap();
        assert!(store.connector_statuses(&station).unwrap().is_empty(), "no status came of refused messages");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn oversized_messages_are_refused() {
    for version in VERSIONS {
        let server = TestServer::start().await; // limit: 16 KiB
        let mut connection = connect(&server, "BIG", version).await;
        let data = "x".repeat(20 * 1024);
        let frame = json!([2, "big-1", "DataTransfer", {"vendorId": "v", "data": data}]).to_string();
        let reply = exchange(&mut connection, &frame).await;
        assert_call_error(&reply, "big-1", "GenericError", "20 KiB message");
        assert_eq!(reply[4]["maxBytes"], 16 * 1024);
        still_up(&connection).await;
        let log = server.store.station_events(&domain::StationId::parse("BIG").unwrap(), 50).unwrap();
        assert!(
            !log.iter().any(|e| matches!(e.kind, domain::event::StationEventKind::DataTransfer { .. })),
            "the oversized message was not processed"
        );

        // beyond twice the limit the WebSocket layer refuses it and closes (1009)
        let huge = json!([2, "big-2", "DataTransfer", {"vendorId": "v", "data": "y".repeat(40 * 1024)}]).to_string();
        connection.send_text(&huge).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(5), connection.closed()).await.expect("closed within 5 s");
        assert_eq!(closed.code, Some(1009), "{closed:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn binary_frames_are_answered_and_ignored() {
    let server = TestServer::start().await;
    server.register_station("BINARY").await;
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!("{}/BINARY", server.url())).unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "ocpp2.0.1".parse().unwrap());
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("BINARY:{PASSWORD}"));
    headers.insert("authorization", format!("Basic {basic}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Message::Binary(vec![0x92, 0x02].into())).await.unwrap();
    let reply = loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => break serde_json::from_str::<Value>(&text).unwrap(),
            _ => continue,
        }
    };
    assert_call_error(&reply, "-1", "RpcFrameworkError", "binary frame");
    socket.send(Message::Text(r#"[2,"hb","Heartbeat",{}]"#.into())).await.unwrap();
    let answer = loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => break serde_json::from_str::<Value>(&text).unwrap(),
            _ => continue,
        }
    };
    assert_eq!(answer[0], 3, "{answer}");
    assert_eq!(answer[1], "hb");
    server.shutdown().await;
}
