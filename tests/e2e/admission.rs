//! Who may connect: subprotocol negotiation, station ids, HTTP Basic
//! passwords, the policy for unknown stations, and pending approval.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite;

use ocpp::OcppVersion;
use sim::connection::refuse_all;
use sim::{CallFailure, ConnectError, ConnectOptions, Connection, ErrorCode, SimError, Station, StationConfig};

use domain::{Change, Registration, Station as StationRecord, StationId, Storage};
use session::admission::UnknownStationPolicy;

use crate::harness::{PASSWORD, TestServer};

/// Opens a WebSocket by hand; returns the subprotocol chosen, or the HTTP
/// status the handshake was refused with.
async fn handshake(url: &str, subprotocols: Option<&str>, basic: Option<(&str, &str)>) -> Result<Option<String>, u16> {
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    let headers = request.headers_mut();
    if let Some(protocols) = subprotocols {
        headers.insert("sec-websocket-protocol", protocols.parse().unwrap());
    }
    if let Some((user, password)) = basic {
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{user}:{password}"));
        headers.insert("authorization", format!("Basic {encoded}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => Ok(response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned())),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("handshake failed unexpectedly: {other}"),
    }
}

async fn connect(server: &TestServer, id: &str, version: OcppVersion, password: Option<&str>) -> Result<Connection, ConnectError> {
    let mut options = ConnectOptions::new(server.url(), id, version);
    options.password = password.map(str::to_owned);
    Connection::connect(&options, refuse_all()).await
}

fn refused_with(result: Result<Connection, ConnectError>) -> u16 {
    match result {
        Err(ConnectError::Refused { status, .. }) => status,
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected an HTTP refusal, got a connection"),
    }
}

#[tokio::test]
async fn subprotocols_are_negotiated_in_the_stations_order() {
    let server = TestServer::start().await;
    server.register_station("NEGOTIATE").await;
    let url = format!("{}/NEGOTIATE", server.url());
    let auth = Some(("NEGOTIATE", PASSWORD));
    assert_eq!(handshake(&url, Some("ocpp1.6, ocpp2.0.1"), auth).await, Ok(Some("ocpp1.6".into())));
    assert_eq!(handshake(&url, Some("ocpp2.1, ocpp2.0.1, ocpp1.6"), auth).await, Ok(Some("ocpp2.0.1".into())));
    assert_eq!(handshake(&url, Some("ocpp2.1"), auth).await, Err(400), "an unknown subprotocol is refused");
    assert_eq!(handshake(&url, None, auth).await, Err(400), "a missing subprotocol is refused");
    server.shutdown().await;

    let only_16 = TestServer::start_with(|config| config.versions = vec![OcppVersion::V16]).await;
    only_16.register_station("OLD").await;
    let url = format!("{}/OLD", only_16.url());
    assert_eq!(handshake(&url, Some("ocpp2.0.1"), Some(("OLD", PASSWORD))).await, Err(400));
    assert_eq!(handshake(&url, Some("ocpp2.0.1,ocpp1.6"), Some(("OLD", PASSWORD))).await, Ok(Some("ocpp1.6".into())));
    only_16.shutdown().await;
}

#[tokio::test]
async fn station_ids_are_checked_after_percent_decoding() {
    let server = TestServer::start().await;
    let base = server.url();
    let auth = Some(("x", PASSWORD));
    for bad in ["bad%3Aid", "a%2Fb", "with%20space", &"L".repeat(49)] {
        assert_eq!(handshake(&format!("{base}/{bad}"), Some("ocpp1.6"), auth).await, Err(400), "{bad}");
    }
    // a percent-encoded allowed character is decoded
    server.register_station("CP*7").await;
    assert!(handshake(&format!("{base}/CP%2A7"), Some("ocpp1.6"), Some(("CP*7", PASSWORD))).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn passwords_are_required_and_checked() {
    let server = TestServer::start().await;
    server.register_station("LOCKED").await;
    assert_eq!(refused_with(connect(&server, "LOCKED", OcppVersion::V16, Some("wrong-password-0000")).await), 401);
    assert_eq!(refused_with(connect(&server, "LOCKED", OcppVersion::V16, None).await), 401);
    let url = format!("{}/LOCKED", server.url());
    assert_eq!(handshake(&url, Some("ocpp1.6"), Some(("SOMEONE-ELSE", PASSWORD))).await, Err(401), "user name must be the station id");
    assert!(connect(&server, "LOCKED", OcppVersion::V16, Some(PASSWORD)).await.is_ok());
    // again, from the verification memory, and a wrong one is still refused afterwards
    assert!(connect(&server, "LOCKED", OcppVersion::V201, Some(PASSWORD)).await.is_ok());
    assert_eq!(refused_with(connect(&server, "LOCKED", OcppVersion::V16, Some("wrong-password-0000")).await), 401);

    // a station registered without a password needs the operator's permission to connect
    let id = StationId::parse("OPEN").unwrap();
    server.apply(Change::PutStation(StationRecord::registered(id, None, server::now()))).await;
    assert_eq!(refused_with(connect(&server, "OPEN", OcppVersion::V16, None).await), 401);
    let dir = server.shutdown().await;
    let relaxed = TestServer::start_in(dir, |config| config.admission.allow_stations_without_password = true).await;
    assert!(connect(&relaxed, "OPEN", OcppVersion::V16, None).await.is_ok());
    relaxed.shutdown().await;
}

#[tokio::test]
async fn unknown_stations_are_refused_under_the_reject_policy() {
    let server = TestServer::start_with(|config| config.admission.unknown_stations = UnknownStationPolicy::Reject).await;
    assert_eq!(refused_with(connect(&server, "STRANGER", OcppVersion::V201, Some(PASSWORD)).await), 401);
    assert!(server.store.station(&StationId::parse("STRANGER").unwrap()).unwrap().is_none(), "nothing was recorded");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_stations_wait_for_approval_under_the_pending_policy() {
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let server = TestServer::start().await;
        let id = StationId::parse("NEWCOMER").unwrap();
        let config = StationConfig::new(server.url(), "NEWCOMER", version).password(PASSWORD);
        let mut station = Station::new(config);
        station.connect().await.unwrap();
        let boot = station.boot().await.unwrap();
        assert_eq!(boot.status, "Pending");
        assert_eq!(boot.interval_s, 7, "the pending retry interval");

        // nothing but BootNotification is allowed while pending
        for (action, payload) in [
            ("Heartbeat", json!({})),
            ("Authorize", if version == OcppVersion::V16 { json!({"idTag": "T"}) } else { json!({"idToken": {"idToken": "T", "type": "ISO14443"}}) }),
        ] {
            match station.send(action, payload).await {
                Err(SimError::Call { failure: CallFailure::CallError { code, .. }, .. }) => {
                    assert_eq!(code, ErrorCode::SecurityError, "{action}")
                }
                other => panic!("{action} while pending: {other:?}"),
            }
        }
        let mut record = server.store.station(&id).unwrap().expect("the newcomer is recorded");
        assert_eq!(record.registration, Registration::Pending);
        assert!(record.password_hash.is_some(), "the password it presented is kept");

        // the operator approves; the station's next boot is accepted
        record.registration = Registration::Accepted;
        server.apply(Change::PutStation(record)).await;
        assert!(station.boot().await.unwrap().accepted());
        station.heartbeat().await.unwrap();

        // the password presented while pending is now the station's password
        assert_eq!(refused_with(connect(&server, "NEWCOMER", version, Some("another-password-00")).await), 401);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn rejected_stations_are_told_so() {
    let server = TestServer::start().await;
    let id = server.register_station("BANNED").await;
    let mut record = server.store.station(&id).unwrap().unwrap();
    record.registration = Registration::Rejected;
    server.apply(Change::PutStation(record)).await;
    let mut station = Station::new(StationConfig::new(server.url(), "BANNED", OcppVersion::V16).password(PASSWORD));
    station.connect().await.unwrap();
    assert_eq!(station.boot().await.unwrap().status, "Rejected");
    assert!(station.heartbeat().await.is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn health_reports_connected_stations() {
    let server = TestServer::start().await;
    server.register_station("HEALTHY").await;
    let _connection = connect(&server, "HEALTHY", OcppVersion::V201, Some(PASSWORD)).await.unwrap();
    // the connection registers itself just after the handshake; allow it a moment
    let mut body = serde_json::Value::Null;
    for _ in 0..50 {
        let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        socket.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        body = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        if body["connected_stations"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(body["status"], "ok");
    assert_eq!(body["connected_stations"], 1, "{body}");
    server.shutdown().await;
}
