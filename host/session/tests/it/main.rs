//! The session crate's one integration-test binary: a station session
//! driven frame by frame against an in-memory store (`memory_store`), no
//! sockets, no sled.
//!
//! - `cases`: the data-driven cases in `tests/cases/` (frame in → frames out
//!   plus the change set).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod cases;
