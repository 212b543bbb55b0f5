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

/// A plain WebSocket (no OCPP client in between) to `server` as station
/// `id`, registered with [`PASSWORD`], offering `subprotocol`: for frames the
/// simulator would never send.
async fn raw_socket(
    server: &TestServer,
    id: &str,
    subprotocol: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    server.register_station(id).await;
    let url = format!("{}/{id}", server.url());
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", subprotocol.parse().unwrap());
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{id}:{PASSWORD}"));
    headers.insert("authorization", format!("Basic {basic}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

#[tokio::test]
async fn binary_frames_are_answered_and_ignored() {
    let server = TestServer::start().await;
    let mut socket = raw_socket(&server, "BINARY", "ocpp2.0.1").await;
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

/// Sends each `(action, payload, words)` case and asserts it is refused with
/// `PropertyConstraintViolation`, a description containing every one of
/// `words`, and the connection still up.
async fn assert_refused(connection: &mut Connection, cases: &[(&str, Value, &[&str])]) {
    for (n, (action, payload, words)) in cases.iter().enumerate() {
        let id = format!("r{n}");
        let reply = exchange(connection, &json!([2, id, action, payload]).to_string()).await;
        let case = format!("{} {action} {payload}", connection.version());
        assert_call_error(&reply, &id, "PropertyConstraintViolation", &case);
        let description = reply[3].as_str().unwrap_or_default();
        for word in *words {
            assert!(description.contains(word), "{case}: {description:?} names {word:?}");
        }
        still_up(connection).await;
    }
}

/// The measurand energy is billed on.
const ENERGY: &str = "Energy.Active.Import.Register";

/// A 1.6 sampled value of `measurand` in `unit`, `value` as the station writes it.
fn v16_reading(value: &str, measurand: &str, unit: &str) -> Value {
    json!({"timestamp": "2026-11-21T08:05:00.000Z", "sampledValue": [{"value": value, "measurand": measurand, "unit": unit}]})
}

#[tokio::test]
async fn absurd_v16_readings_are_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    server.add_token("TAG").await;
    let mut connection = connect(&server, "ABSURD16", OcppVersion::V16).await;
    let started = connection
        .call("StartTransaction", json!({"connectorId": 1, "idTag": "TAG", "meterStart": 1000, "timestamp": "2026-11-21T08:00:00.000Z"}))
        .await
        .unwrap();
    let tx_id = started["transactionId"].as_i64().unwrap();
    let station = domain::StationId::parse("ABSURD16").unwrap();
    let store = &server.store;
    let number = store.transaction_by_station_tx_id(&station, &tx_id.to_string()).unwrap().unwrap().number;
    let before = store.transaction(number).unwrap().unwrap();

    let energy = ENERGY;
    let values = |reading: Value| json!({"connectorId": 1, "transactionId": tx_id, "meterValue": [reading]});
    let out_of_range: &[&str] = &[ENERGY, "is out of range", "between 0 and 1e12 Wh"];
    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("MeterValues", values(v16_reading("1e308", energy, "Wh")), &[ENERGY, "1e308", "between 0 and 1e12 Wh"]),
        ("MeterValues", values(v16_reading("-1e308", energy, "Wh")), out_of_range),
        ("MeterValues", values(v16_reading("2000000000", energy, "kWh")), out_of_range),
        ("MeterValues", values(v16_reading("NaN", energy, "Wh")), &[ENERGY, "NaN", "is not a finite number"]),
        ("MeterValues", values(v16_reading("inf", energy, "Wh")), &["inf", "is not a finite number"]),
        ("MeterValues", values(v16_reading("-infinity", "Power.Active.Import", "W")), &["Power.Active.Import", "is not a finite number"]),
        ("MeterValues", values(v16_reading("lots", energy, "Wh")), &["\"lots\"", "is not a decimal number"]),
        ("MeterValues", values(v16_reading("150", "SoC", "Percent")), &["SoC", "150", "between 0 and 100 %"]),
        ("MeterValues", values(v16_reading("1e13", "Current.Import", "A")), &["Current.Import", "at most 1e12 in magnitude"]),
        ("StartTransaction", json!({"connectorId": 2, "idTag": "TAG", "meterStart": -5, "timestamp": "2026-11-21T08:00:00.000Z"}),
            &["meterStart", "-5", "between 0 and 1e12 Wh"]),
        ("StartTransaction", json!({"connectorId": 2, "idTag": "TAG", "meterStart": 9_000_000_000_000_000_000_i64, "timestamp": "2026-11-21T08:00:00.000Z"}),
            &["meterStart", "9000000000000000000"]),
        ("StopTransaction", json!({"transactionId": tx_id, "meterStop": -1, "timestamp": "2026-11-21T08:10:00.000Z"}),
            &["meterStop", "-1", "between 0 and 1e12 Wh"]),
        ("StopTransaction", json!({"transactionId": tx_id, "meterStop": 2000, "timestamp": "2026-11-21T08:10:00.000Z",
            "transactionData": [v16_reading("1e308", energy, "Wh")]}), out_of_range),
    ];
    assert_refused(&mut connection, &cases).await;

    assert_eq!(store.transaction(number).unwrap().unwrap(), before, "the transaction is unchanged");
    assert_eq!(before.meter_start_wh, Some(1000.0));
    assert!(before.running_cost.is_none() && before.pricing.is_none());
    assert!(store.meter_samples(number).unwrap().is_empty(), "no reading was stored");
    assert!(store.evse_samples(&station, 1, 10).unwrap().is_empty(), "no connector reading was stored");
    assert_eq!(store.transactions(None, 10).unwrap().len(), 1, "no transaction came of refused starts");

    // sensible readings still count, and so does a sensible stop
    connection.call("MeterValues", values(v16_reading("1.5", energy, "kWh"))).await.unwrap();
    connection
        .call("StopTransaction", json!({"transactionId": tx_id, "meterStop": 2500, "timestamp": "2026-11-21T08:10:00.000Z"}))
        .await
        .unwrap();
    let ended = store.transaction(number).unwrap().unwrap();
    assert_eq!(ended.energy_wh(), Some(1500.0), "{ended:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn absurd_v201_readings_are_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    server.add_token("TAG").await;
    let mut connection = connect(&server, "ABSURD201", OcppVersion::V201).await;
    let energy = ENERGY;
    let reading = |minute: u32, value: f64, measurand: &str, unit: &str, multiplier: i64| {
        json!([{"timestamp": format!("2026-11-21T08:{minute:02}:00.000Z"),
            "sampledValue": [{"value": value, "measurand": measurand, "unitOfMeasure": {"unit": unit, "multiplier": multiplier}}]}])
    };
    let event = |event_type: &str, seq_no: u64, meter_value: Value| {
        json!({"eventType": event_type, "timestamp": "2026-11-21T08:05:00.000Z", "triggerReason": "MeterValuePeriodic",
            "seqNo": seq_no, "transactionInfo": {"transactionId": "T1"}, "evse": {"id": 1, "connectorId": 1},
            "idToken": {"idToken": "TAG", "type": "ISO14443"}, "meterValue": meter_value})
    };
    connection.call("TransactionEvent", event("Started", 0, reading(0, 1000.0, energy, "Wh", 0))).await.unwrap();
    let station = domain::StationId::parse("ABSURD201").unwrap();
    let store = &server.store;
    let number = store.transaction_by_station_tx_id(&station, "T1").unwrap().unwrap().number;
    let before = store.transaction(number).unwrap().unwrap();
    let samples_before = store.meter_samples(number).unwrap();

    let meter_values = |meter_value: Value| json!({"evseId": 1, "meterValue": meter_value});
    let out_of_range: &[&str] = &[ENERGY, "is out of range", "between 0 and 1e12 Wh"];
    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("MeterValues", meter_values(reading(5, 1e308, energy, "Wh", 0)), &[ENERGY, "1e308", "between 0 and 1e12 Wh"]),
        ("MeterValues", meter_values(reading(5, -1e308, energy, "Wh", 0)), out_of_range),
        ("MeterValues", meter_values(reading(5, 1e300, energy, "kWh", 10)), &[ENERGY, "after unit conversion"]),
        ("MeterValues", meter_values(reading(5, 101.0, "SoC", "Percent", 0)), &["SoC", "between 0 and 100 %"]),
        ("TransactionEvent", event("Updated", 1, reading(5, -5.0, energy, "Wh", 0)), out_of_range),
        ("TransactionEvent", event("Updated", 1, reading(5, 5e12, "Power.Active.Export", "W", 0)), &["Power.Active.Export", "at most 1e12"]),
        ("TransactionEvent", event("Ended", 1, reading(5, 1e308, energy, "Wh", 0)), out_of_range),
    ];
    assert_refused(&mut connection, &cases).await;

    assert_eq!(store.transaction(number).unwrap().unwrap(), before, "the transaction is unchanged");
    assert_eq!(store.meter_samples(number).unwrap(), samples_before, "no reading was stored");
    assert!(store.evse_samples(&station, 1, 10).unwrap().is_empty(), "no EVSE reading was stored");
    assert!(store.transaction_event(number, 1).unwrap().is_none(), "refused events are not recorded");

    // power flowing back and signed net energy are fine; then a sensible end
    connection.call("MeterValues", meter_values(reading(5, -7.2, "Power.Active.Import", "kW", 0))).await.unwrap();
    connection.call("MeterValues", meter_values(reading(5, -3.0, "Energy.Active.Net", "kWh", 0))).await.unwrap();
    connection.call("TransactionEvent", event("Ended", 1, reading(10, 2.5, energy, "kWh", 0))).await.unwrap();
    let ended = store.transaction(number).unwrap().unwrap();
    assert_eq!(ended.energy_wh(), Some(1500.0), "{ended:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn connectors_beyond_the_limits_are_refused_and_nothing_is_stored() {
    let server = TestServer::start().await; // default limits: 32 EVSEs, 8 connectors each
    server.add_token("TAG").await;
    let now = "2026-11-21T08:00:00.000Z";

    let mut v16 = connect(&server, "MANY16", OcppVersion::V16).await;
    let status = |connector: i64| json!({"connectorId": connector, "errorCode": "NoError", "status": "Available"});
    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("StatusNotification", status(2_000_000_000), &["connectorId 2000000000", "from 0 to 32"]),
        ("StatusNotification", status(33), &["connectorId 33", "from 0 to 32"]),
        ("StartTransaction", json!({"connectorId": 33, "idTag": "TAG", "meterStart": 0, "timestamp": now}), &["connectorId 33"]),
        ("MeterValues", json!({"connectorId": 1_000_000, "meterValue": [v16_reading("1", "Voltage", "V")]}), &["connectorId 1000000"]),
    ];
    assert_refused(&mut v16, &cases).await;
    v16.call("StatusNotification", status(32)).await.unwrap();
    let station = domain::StationId::parse("MANY16").unwrap();
    let statuses = server.store.connector_statuses(&station).unwrap();
    let kept: Vec<_> = statuses.iter().map(|s| s.location).collect();
    assert_eq!(kept, [domain::EvseConnector::from_v16(32)], "only the connector within the limit is kept");
    assert!(server.store.evse_samples(&station, 1_000_000, 10).unwrap().is_empty());
    assert!(server.store.transactions(None, 10).unwrap().is_empty());

    let mut v201 = connect(&server, "MANY201", OcppVersion::V201).await;
    let status = |evse: i64, connector: i64| json!({"timestamp": now, "connectorStatus": "Available", "evseId": evse, "connectorId": connector});
    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("StatusNotification", status(2_000_000_000, 1), &["evseId 2000000000", "from 0 to 32"]),
        ("StatusNotification", status(1, 9), &["connectorId 9", "from 0 to 8"]),
        ("TransactionEvent", json!({"eventType": "Started", "timestamp": now, "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "T1"}, "evse": {"id": 40, "connectorId": 1}}), &["evse.id 40"]),
        ("TransactionEvent", json!({"eventType": "Started", "timestamp": now, "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "T1"}, "evse": {"id": 1, "connectorId": 100}}), &["evse.connectorId 100"]),
        ("MeterValues", json!({"evseId": 33, "meterValue": [{"timestamp": now, "sampledValue": [{"value": 230.0, "measurand": "Voltage"}]}]}),
            &["evseId 33"]),
        ("NotifyReport", json!({"requestId": 1, "generatedAt": now, "seqNo": 0, "reportData": [{
            "component": {"name": "Connector", "evse": {"id": 99, "connectorId": 1}}, "variable": {"name": "AvailabilityState"},
            "variableAttribute": [{"value": "Available"}]}]}), &["evse.id 99"]),
    ];
    assert_refused(&mut v201, &cases).await;
    let station = domain::StationId::parse("MANY201").unwrap();
    assert!(server.store.connector_statuses(&station).unwrap().is_empty(), "no status was kept");
    assert!(server.store.evse_samples(&station, 33, 10).unwrap().is_empty());
    assert!(server.store.reported_variables(&station).unwrap().is_empty());
    assert!(server.store.transactions(None, 10).unwrap().is_empty(), "no transaction came of refused events");
    server.shutdown().await;

    // the limits are the operator's
    let server = TestServer::start_with(|config| {
        config.settings.connector_limits = domain::ConnectorLimits { max_evse_id: 2, max_connector_id: 1 };
    })
    .await;
    let mut v16 = connect(&server, "SMALL16", OcppVersion::V16).await;
    let status = |connector: i64| json!({"connectorId": connector, "errorCode": "NoError", "status": "Available"});
    assert_refused(&mut v16, &[("StatusNotification", status(3), &["connectorId 3", "from 0 to 2"])]).await;
    v16.call("StatusNotification", status(2)).await.unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007_and_other_stations_carry_on() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    let disconnected_for_utf8 = |log: &[domain::StationEvent]| {
        log.iter().any(|e| matches!(&e.kind, domain::event::StationEventKind::Disconnected { reason } if reason.contains("UTF-8")))
    };

    let server = TestServer::start().await;
    let bystander = connect(&server, "BYSTANDER", OcppVersion::V16).await;
    let mut socket = raw_socket(&server, "GARBLED", "ocpp1.6").await;

    // a text frame whose payload is not UTF-8 (0xff never is)
    let garbled = b"[2,\"u1\",\"Heartbeat\",{\"x\":\"\xff\xfe\"}]".to_vec();
    socket.send(Message::Frame(Frame::message(garbled, OpCode::Data(Data::Text), true))).await.unwrap();
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame within 5 s");
    let close = close.expect("the close frame has a code");
    assert_eq!(u16::from(close.code), 1007, "{close:?}");

    still_up(&bystander).await;
    let garbled_id = domain::StationId::parse("GARBLED").unwrap();
    let mut log = Vec::new();
    for _ in 0..50 {
        log = server.store.station_events(&garbled_id, 10).unwrap();
        if disconnected_for_utf8(&log) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(disconnected_for_utf8(&log), "the disconnection says why: {log:?}");
    server.shutdown().await;
}
