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

/// Opens a WebSocket by hand and answers with the HTTP status (101 when
/// admitted) and the `Retry-After` header, if any. The socket is closed.
async fn handshake_status(url: &str, basic: Option<(&str, &str)>) -> (u16, Option<u32>) {
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "ocpp1.6".parse().unwrap());
    if let Some((user, password)) = basic {
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{user}:{password}"));
        headers.insert("authorization", format!("Basic {encoded}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, response)) => {
            let _ = socket.close(None).await;
            (response.status().as_u16(), None)
        }
        Err(tungstenite::Error::Http(response)) => {
            let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
            (response.status().as_u16(), retry)
        }
        Err(other) => panic!("handshake failed unexpectedly: {other}"),
    }
}

#[tokio::test]
async fn concurrent_first_connections_keep_only_the_first_password() {
    // (failure limits out of the way: this test makes many failures on purpose)
    let server = TestServer::start_with(|config| {
        config.admission_limits.max_failures_per_station = 100;
        config.admission_limits.max_failures_per_address = 100;
    })
    .await;
    let url = format!("{}/RACE-1", server.url());
    let passwords: Vec<String> = (0..8).map(|n| format!("racing-password-{n:04}")).collect();
    let attempts = passwords.iter().map(|password| {
        let (url, password) = (url.clone(), password.clone());
        tokio::spawn(async move { handshake_status(&url, Some(("RACE-1", &password))).await.0 })
    });
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let admitted: Vec<usize> = (0..8).filter(|&n| statuses[n] == 101).collect();
    assert_eq!(admitted.len(), 1, "exactly one first connection is admitted: {statuses:?}");
    assert!(statuses.iter().all(|s| [101, 409, 401].contains(s)), "the others are refused: {statuses:?}");
    // the admitted connection's password is the station's; every other is refused
    let winner = &passwords[admitted[0]];
    for (n, password) in passwords.iter().enumerate() {
        let expected = if n == admitted[0] { 101 } else { 401 };
        assert_eq!(handshake_status(&url, Some(("RACE-1", password))).await.0, expected, "password {n}");
    }
    let record = server.store.station(&StationId::parse("RACE-1").unwrap()).unwrap().unwrap();
    assert_eq!(record.registration, Registration::Pending);
    assert!(handshake_status(&url, Some(("RACE-1", winner))).await.0 == 101);
    server.shutdown().await;
}

#[tokio::test]
async fn a_pending_station_must_present_a_password_ocpp_allows() {
    let server = TestServer::start().await;
    for bad in ["abc", "short-password1", &"x".repeat(41), "sixteen chars ok"] {
        let url = format!("{}/WEAK-1", server.url());
        assert_eq!(handshake_status(&url, Some(("WEAK-1", bad))).await.0, 401, "{bad:?}");
    }
    assert!(server.store.station(&StationId::parse("WEAK-1").unwrap()).unwrap().is_none(), "nothing was recorded");
    // a password within the rules is kept (as a verifier, not the password)
    let url = format!("{}/WEAK-1", server.url());
    assert_eq!(handshake_status(&url, Some(("WEAK-1", PASSWORD))).await.0, 101);
    let record = server.store.station(&StationId::parse("WEAK-1").unwrap()).unwrap().unwrap();
    let stored = record.password_hash.unwrap();
    assert!(session::auth::is_pending_verifier(&stored) && !stored.contains(PASSWORD), "{stored}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_approved_stations_verifier_becomes_an_argon2_hash() {
    let server = TestServer::start().await;
    let id = StationId::parse("UPGRADE-1").unwrap();
    let url = format!("{}/UPGRADE-1", server.url());
    assert_eq!(handshake_status(&url, Some(("UPGRADE-1", PASSWORD))).await.0, 101);
    let mut record = server.store.station(&id).unwrap().unwrap();
    assert!(session::auth::is_pending_verifier(record.password_hash.as_deref().unwrap()));
    // a wrong password is refused while pending and after approval
    assert_eq!(handshake_status(&url, Some(("UPGRADE-1", "another-password-00"))).await.0, 401);
    record.registration = Registration::Accepted;
    server.apply(Change::PutStation(record)).await;
    assert_eq!(handshake_status(&url, Some(("UPGRADE-1", "another-password-00"))).await.0, 401);
    assert_eq!(handshake_status(&url, Some(("UPGRADE-1", PASSWORD))).await.0, 101);
    let phc = server.store.station(&id).unwrap().unwrap().password_hash.unwrap();
    assert!(phc.starts_with("$argon2id$"), "{phc}");
    assert!(session::auth::verify_password(&phc, PASSWORD));
    assert_eq!(handshake_status(&url, Some(("UPGRADE-1", "another-password-00"))).await.0, 401);
    assert_eq!(handshake_status(&url, Some(("UPGRADE-1", PASSWORD))).await.0, 101);
    server.shutdown().await;
}

#[tokio::test]
async fn pending_stations_are_capped_and_rate_limited() {
    // the cap: 5 pending stations, then 503 with Retry-After; nothing more recorded
    let server = TestServer::start_with(|config| {
        config.admission_limits.max_pending_stations = 5;
        config.admission_limits.pending_per_minute = 1000;
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        let id = format!("MADE-UP-{n}");
        statuses.push(handshake_status(&format!("{}/{id}", server.url()), None).await);
    }
    assert!(statuses[..5].iter().all(|s| s.0 == 101), "{statuses:?}");
    assert!(statuses[5..].iter().all(|&s| s == (503, Some(7))), "refused with the pending retry interval: {statuses:?}");
    let pending = server.store.stations(None, 100).unwrap();
    assert_eq!(pending.len(), 5, "only the first five were recorded");
    // known stations are not affected by the cap
    server.register_station("KNOWN-1").await;
    assert!(connect(&server, "KNOWN-1", OcppVersion::V201, Some(PASSWORD)).await.is_ok());
    server.shutdown().await;

    // the rate: 3 a minute, then 429 with the seconds until the next may come
    let server = TestServer::start_with(|config| config.admission_limits.pending_per_minute = 3).await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.push(handshake_status(&format!("{}/RATED-{n}", server.url()), None).await);
    }
    assert!(statuses[..3].iter().all(|s| s.0 == 101), "{statuses:?}");
    for (status, retry) in &statuses[3..] {
        assert_eq!(*status, 429, "{statuses:?}");
        assert!((1..=60).contains(&retry.unwrap()), "{statuses:?}");
    }
    assert_eq!(server.store.stations(None, 100).unwrap().len(), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn pending_stations_never_approved_expire() {
    let server = TestServer::start_with(|config| {
        config.admission_limits.pending_expiry_secs = 2;
        config.admission_limits.max_pending_stations = 2;
        config.pending_sweep_interval = std::time::Duration::from_millis(200);
    })
    .await;
    for id in ["STALE-1", "STALE-2"] {
        assert_eq!(handshake_status(&format!("{}/{id}", server.url()), None).await.0, 101);
    }
    // an approved one stays, whatever its age
    server.register_station("APPROVED-1").await;
    assert_eq!(handshake_status(&format!("{}/STALE-3", server.url()), None).await.0, 503, "the cap is full");
    let mut left = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = server.store.stations(None, 100).unwrap().into_iter().map(|s| s.id.to_string()).collect();
        if left == ["APPROVED-1"] {
            break;
        }
    }
    assert_eq!(left, ["APPROVED-1"], "the pending stations expired, the approved one stayed");
    // and the cap has room again
    assert_eq!(handshake_status(&format!("{}/STALE-3", server.url()), None).await.0, 101);
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_are_rate_limited_per_station_and_per_address() {
    let server = TestServer::start_with(|config| {
        config.admission_limits.max_failures_per_station = 4;
        config.admission_limits.max_failures_per_address = 8;
    })
    .await;
    server.register_station("GUESSED").await;
    server.register_station("OTHER").await;
    let url = format!("{}/GUESSED", server.url());
    // the right password once, so this process remembers it
    assert_eq!(handshake_status(&url, Some(("GUESSED", PASSWORD))).await.0, 101);
    // a burst of concurrent guesses: at most 4 are verified, the rest refused at once
    let guesses = (0..20).map(|n| {
        let url = url.clone();
        tokio::spawn(async move { handshake_status(&url, Some(("GUESSED", &format!("guess-number-{n:06}")))).await })
    });
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| s.0 == 401).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| s.0 == 429 && s.1.is_some()).count(), 16, "{statuses:?}");
    // the station itself is not locked out, and another station is unaffected
    assert_eq!(handshake_status(&url, Some(("GUESSED", PASSWORD))).await.0, 101);
    let other = format!("{}/OTHER", server.url());
    assert_eq!(handshake_status(&other, Some(("OTHER", PASSWORD))).await.0, 101);
    // per address: 8 failures in all, across station ids, then everything from it waits
    for n in 0..8 {
        let status = handshake_status(&other, Some(("OTHER", &format!("other-guess-{n:06}")))).await.0;
        assert_eq!(status, if n < 4 { 401 } else { 429 }, "guess {n}");
    }
    server.register_station("THIRD").await;
    let third = format!("{}/THIRD", server.url());
    let (status, retry) = handshake_status(&third, Some(("THIRD", PASSWORD))).await;
    assert_eq!((status, retry.is_some()), (429, true), "the address used up its failures");
    server.shutdown().await;
}
