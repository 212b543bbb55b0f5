//! Tariffs end to end, one binary with a module per promise: a real server
//! on `127.0.0.1:0`, real sled and plugin directories in temp dirs, the real
//! default plugins (`plugin-artifacts`), simulated stations (`sim`).
//!
//! - `priced`: 1.6 and 2.0.1 sessions priced when they end, with
//!   provenance; the same price as the registry gives for the same facts;
//!   2.0.1 `totalCost`; the stored price reproduced from stored inputs.
//! - `running_cost`: CostUpdated and the 1.6 RunningCost/FinalCost
//!   DataTransfers, rate-limited, switchable, not repeated to a station
//!   that refuses them.
//! - `failures`: a failing tariff leaves the transaction unpriced with the
//!   reason; the operator prices it again; no tariff, no pricing.
//! - `precedence`: station beats group beats default.
//! - `upgrade`: a tariff upgraded while sessions run.
//! - `restart`: a restart on the same data directory with installed,
//!   configured plugins.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod failures;
mod harness;
mod precedence;
mod priced;
mod restart;
mod running_cost;
mod upgrade;
