//! Gridlet's end-to-end tests, one binary with a module per feature: a real
//! server on `127.0.0.1:0`, real WebSockets, real sled directories in temp
//! dirs, simulated stations (`sim`) and independent ones (PyPI `ocpp`).

// Test code: a failed expectation should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admission;
mod api;
mod bad_input;
mod charging;
mod cli;
mod commands;
mod durability;
mod exhaustion;
mod harness;
mod interop;
mod loadgen;
mod tariffs;
mod replay;
mod tidy;


use ocpp::OcppVersion;
use sim::{ManualClock, Station, StationConfig};

use harness::{PASSWORD, TestServer};

/// 2026-11-21T08:00:00Z, where simulated clocks start.
pub const T0: i64 = 1_795_248_000_000;

/// A simulated station registered on `server`, with a manual clock at [`T0`].
pub async fn station(server: &TestServer, id: &str, version: OcppVersion) -> (Station, ManualClock) {
    server.register_station(id).await;
    let clock = ManualClock::new(T0);
    let config = StationConfig::new(server.url(), id, version).password(PASSWORD).clock(clock.clone());
    let mut station = Station::new(config);
    station.connect().await.expect("station connects");
    (station, clock)
}

/// Both OCPP versions, for tests that run on each.
pub const VERSIONS: [OcppVersion; 2] = [OcppVersion::V16, OcppVersion::V201];

