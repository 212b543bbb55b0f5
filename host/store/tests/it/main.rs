//! The store's tests, one binary: each module tests one promise through the
//! public API, on real sled directories in temporary folders.
//!
//! - `changes`: every change round-trips; indexes, replays, ordering, paging.
//! - `queries`: transactions by station, token, state and time; histories
//!   since a time, with the state at that time.
//! - `operator`: configuration keys, deleted stations, reservations and
//!   their ids, API keys.
//! - `durability`: group commit, concurrent writers, and a `kill -9` test
//!   that runs a writer in a child process.
//! - `opening`: locked, corrupt, foreign and newer-format directories.
//! - `pricing`: tariff assignments; transactions with their pricing.
//! - `migration`: format 1 and 2 directories, interrupted migrations.

// Test code may unwrap (clippy.toml allows it in tests); this extends that to
// the helpers and child halves outside `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod changes;
mod durability;
mod migration;
mod opening;
mod operator;
mod pricing;
mod queries;
mod support;
