//! The simulator against a real WebSocket server: a minimal OCPP responder
//! on 127.0.0.1:0 (`csms`) that answers with fixed, schema-valid responses
//! and records everything it got.

// Test code: a failed unwrap is a failed test. (clippy's allow-*-in-tests
// covers `#[test]` functions, not the helpers in this binary's modules.)
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod cli;
mod connection;
mod csms;
mod offline;
mod session;

use std::time::Duration;

use sim::{ManualClock, OcppVersion, Station, StationConfig};

/// 2025-11-21T10:00:00Z.
pub const T0: i64 = 1_763_719_200_000;

/// A station of `version` named `id` for `csms`, on a manual clock at [`T0`].
pub fn config(csms: &csms::Csms, id: &str, version: OcppVersion) -> (StationConfig, ManualClock) {
    let clock = ManualClock::new(T0);
    let config = StationConfig::new(&csms.url, id, version)
        .clock(clock.clone())
        .call_timeout(Duration::from_secs(5));
    (config, clock)
}

/// A connected, booted station.
pub async fn booted(csms: &csms::Csms, id: &str, version: OcppVersion) -> (Station, ManualClock) {
    let (config, clock) = config(csms, id, version);
    let mut station = Station::new(config);
    station.connect().await.unwrap();
    assert!(station.boot().await.unwrap().accepted());
    (station, clock)
}
