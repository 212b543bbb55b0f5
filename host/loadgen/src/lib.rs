//! A load generator for OCPP-J servers, and the pieces of Gridlet's
//! benchmark report.
//!
//! It opens thousands of lean station connections (either OCPP version, or a
//! mix) against any OCPP server on a loopback address, drives realistic
//! traffic or a closed loop, and measures what the server did: round trips,
//! latency percentiles from an HDR histogram, errors by kind, dropped
//! connections, and — given the server's pid — its CPU seconds and memory.
//!
//! | module | what it holds |
//! |---|---|
//! | [`target`] | the endpoint; refuses anything that is not loopback |
//! | [`script`] | what a station says (templates for both versions) and the answers it reads |
//! | [`client`] | one lean connection: CALL, check the answer, stay connected |
//! | [`stats`] | the HDR histogram, error counts and the measurement window |
//! | [`procstat`] | a process's CPU time and memory from `/proc` |
//! | [`scenario`] | `idle`, `sustained`, `saturate`, `storm` |
//!
//! Every run is bounded: at most [`scenario::MAX_STATIONS`] stations and
//! [`scenario::MAX_DURATION`] per phase, and it stops by itself.

pub mod client;
pub mod procstat;
pub mod scenario;
pub mod script;
pub mod stats;
pub mod target;
