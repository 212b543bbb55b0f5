//! What a client without credentials can make the server spend: a flood of
//! handshakes for made-up stations stays within a stated memory bound while
//! other stations are admitted, and connections that never finish their
//! handshake are closed after the deadline and cannot hold more than the
//! cap of handshake slots.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;

use ocpp::OcppVersion;
use server::ListenLimits;
use sim::{Station, StationConfig};

use crate::harness::{GridletProcess, PASSWORD, TestServer};

/// The anonymous resident memory of process `pid`, in bytes (Linux).
fn anonymous_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let line = status.lines().find(|line| line.starts_with("RssAnon:")).expect("RssAnon line");
    let kib: u64 = line.split_whitespace().nth(1).expect("value").parse().expect("number");
    kib * 1024
}

/// A WebSocket handshake for `id` with Basic `password`; the HTTP status
/// (101 when admitted). The socket is closed at once.
async fn knock(url: &str, id: &str, password: &str) -> u16 {
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!("{url}/{id}")).unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "ocpp2.0.1".parse().unwrap());
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{id}:{password}"));
    headers.insert("authorization", format!("Basic {encoded}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, response)) => {
            let _ = socket.close(None).await;
            response.status().as_u16()
        }
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("handshake failed: {other}"),
    }
}

/// The flood that took a default server down (every made-up id with its
/// own password, hundreds at a time) now costs each handshake a record and
/// a SHA-256, not 19 MiB of Argon2: 1,000 of them, 200 at a time, grow the
/// process by less than 64 MiB, and a station booting meanwhile is answered.
#[tokio::test]
async fn a_flood_of_made_up_stations_stays_within_its_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    // limits raised so that every handshake of the flood creates a record
    let gridlet = GridletProcess::start(
        dir.path(),
        &[("GRIDLET_AUTH_MAX_PENDING_STATIONS", "100000"), ("GRIDLET_AUTH_PENDING_PER_MINUTE", "100000")],
    )
    .await;
    let pid = gridlet.child.id().expect("pid");
    let url = gridlet.url();
    // warm up (threads, allocator arenas, the store's first pages)
    for n in 0..50 {
        assert_eq!(knock(&url, &format!("WARM-{n}"), &format!("warm-up-password-{n:04}")).await, 101);
    }
    let before = anonymous_rss(pid);

    let flood = {
        let url = url.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for wave in 0..5 {
                let knocks = (0..200).map(|n| {
                    let url = url.clone();
                    let id = format!("FLOOD-{wave}-{n}");
                    tokio::spawn(async move { knock(&url, &id, &format!("made-up-password-{wave}-{n:05}")).await })
                });
                for knock in knocks.collect::<Vec<_>>() {
                    statuses.push(knock.await.unwrap());
                }
            }
            statuses
        })
    };
    // meanwhile, a real (new) station boots and is answered
    let config = StationConfig::new(url.clone(), "BYSTANDER", OcppVersion::V16).password(PASSWORD);
    let mut bystander = Station::new(config);
    let boot = tokio::time::timeout(Duration::from_secs(30), async {
        bystander.connect().await.expect("the bystander connects");
        bystander.boot().await.expect("the bystander's boot is answered")
    })
    .await
    .expect("the bystander is answered during the flood");
    assert_eq!(boot.status, "Pending");

    let statuses = flood.await.unwrap();
    assert_eq!(statuses.len(), 1000);
    assert!(statuses.iter().all(|&s| s == 101), "every made-up station was let in as pending");
    let after = anonymous_rss(pid);
    let growth = after.saturating_sub(before);
    eprintln!("flood of 1000 handshakes: anonymous RSS {before} -> {after} bytes (+{growth})");
    assert!(growth < 64 * 1024 * 1024, "the flood grew the server by {growth} bytes");
    gridlet.kill().await;
}

/// Reads from `socket` until the server closes it (or `limit` passes);
/// when `trickle`, sends one more header line every 300 ms meanwhile, as a
/// slowloris client does. Returns how long the server kept it open.
async fn held_open(mut socket: TcpStream, trickle: bool, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(300));
    let mut line = 0;
    let mut buffer = [0u8; 256];
    if trickle {
        let _ = socket.write_all(b"GET /ocpp/SLOW HTTP/1.1\r\nHost: gridlet\r\n").await;
    }
    loop {
        tokio::select! {
            read = socket.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return Some(start.elapsed()),
                Ok(_) => {}
            },
            _ = ticker.tick(), if trickle => {
                line += 1;
                let _ = socket.write_all(format!("X-Slow-{line}: still coming\r\n").as_bytes()).await;
            }
            _ = tokio::time::sleep(limit.saturating_sub(start.elapsed())) => return None,
        }
    }
}

#[tokio::test]
async fn half_open_handshakes_are_closed_after_the_deadline() {
    let server = TestServer::start_with(|config| {
        config.listen = ListenLimits { header_read_timeout: Duration::from_secs(1), max_handshaking_connections: 1024 };
    })
    .await;
    let mut holders = Vec::new();
    for n in 0..10 {
        let socket = TcpStream::connect(server.addr).await.unwrap();
        holders.push(tokio::spawn(held_open(socket, n % 2 == 1, Duration::from_secs(20))));
    }
    for (n, holder) in holders.into_iter().enumerate() {
        let held = holder.await.unwrap().unwrap_or_else(|| panic!("connection {n} was still open after 20 s"));
        assert!(held >= Duration::from_millis(900), "connection {n} closed after {held:?}, before the deadline");
    }
    // and a station that completes its handshake is admitted as usual
    server.register_station("PROMPT").await;
    assert_eq!(knock(&server.url(), "PROMPT", PASSWORD).await, 101);
    server.shutdown().await;
}

#[tokio::test]
async fn connections_in_their_handshake_are_capped() {
    let server = TestServer::start_with(|config| {
        config.listen = ListenLimits { header_read_timeout: Duration::from_secs(2), max_handshaking_connections: 4 };
    })
    .await;
    server.register_station("WAITING").await;
    // four silent connections hold every handshake slot ...
    let mut holders = Vec::new();
    for _ in 0..4 {
        let socket = TcpStream::connect(server.addr).await.unwrap();
        holders.push(tokio::spawn(held_open(socket, false, Duration::from_secs(20))));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ... so a station's handshake waits (in the listen backlog, costing nothing here) ...
    let waiting = tokio::time::timeout(Duration::from_millis(500), knock(&server.url(), "WAITING", PASSWORD)).await;
    assert!(waiting.is_err(), "no handshake completes while the slots are held");
    // ... until the deadline closes the silent ones
    for holder in holders {
        assert!(holder.await.unwrap().is_some(), "the silent connection was closed");
    }
    assert_eq!(knock(&server.url(), "WAITING", PASSWORD).await, 101);

    // admitted stations do not hold slots: eight stay connected, and a ninth still gets in
    let mut connected = Vec::new();
    for n in 0..8 {
        let id = format!("STAYING-{n}");
        server.register_station(&id).await;
        let config = StationConfig::new(server.url(), &id, OcppVersion::V201).password(PASSWORD);
        let mut station = Station::new(config);
        station.connect().await.expect("connects");
        connected.push(station);
    }
    assert_eq!(knock(&server.url(), "WAITING", PASSWORD).await, 101);
    server.shutdown().await;
}
