//! A charge-point simulator for OCPP 1.6J and 2.0.1.
//!
//! One simulated station behaves as a conformant charging station does,
//! against any CSMS: Gridlet's end-to-end tests drive it against a real
//! server, users run it as `gridlet sim …`, and the load generator runs
//! many of them at once (each costs one tokio task and small buffers).
//! Every message it sends, and every answer it accepts, passes the official
//! OCPP schemas through the [`ocpp`] crate, the only one that knows the wire
//! format.
//!
//! # Layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`connection`] | [`Connection`]: one OCPP-J WebSocket, CALL/answer matching, timeouts, CSMS CALLs answered through a [`CallHandler`], raw frames for protocol tests |
//! | [`state`] | [`StationState`]: connectors, energy registers, transactions, configuration; no I/O |
//! | `messages` | the messages built from the state, per version, and what the answers change |
//! | [`commands`] | [`CommandHandler`] and [`DefaultCommands`]: how the station answers Reset, TriggerMessage, GetVariables, … |
//! | [`station`] | [`Station`]: boot, status, authorize, transactions, notifications, offline queue and replay |
//! | [`clock`] | [`Clock`], [`SystemClock`], [`ManualClock`] for exact timestamps in tests |
//! | [`cli`] | [`cli::SimArgs`] and [`cli::run`]: `gridlet sim …` |
//!
//! # A session
//!
//! ```no_run
//! # async fn session() -> Result<(), sim::SimError> {
//! use sim::{ConnectorStatus, OcppVersion, Station, StationConfig, StopReason};
//!
//! let config = StationConfig::new("ws://127.0.0.1:9000/ocpp", "CP1", OcppVersion::V201).password("secret");
//! let mut station = Station::new(config);
//! station.connect().await?;
//! station.boot().await?;
//! station.status(1, ConnectorStatus::Occupied).await?;
//! let transaction = station.start_transaction(1, "TOKEN-1").await?;
//! station.meter_values(transaction).await?;
//! station.stop_transaction(transaction, StopReason::Local).await?;
//! # Ok(())
//! # }
//! ```

pub mod cli;
pub mod clock;
pub mod commands;
pub mod connection;
mod messages;
pub mod state;
pub mod station;

pub use clock::{Clock, ManualClock, SystemClock};
pub use commands::{COST_VENDOR_ID, CommandHandler, DefaultCommands};
pub use connection::{
    CallFailure, CallHandler, CloseInfo, ConnectError, ConnectOptions, Connection, FollowUp,
    Refusal, Reply, WireEvent, WireTap,
};
pub use messages::BootOutcome;
pub use ocpp::{ErrorCode, OcppVersion};
pub use state::{
    Connector, ConnectorStatus, ReceivedCommand, Setting, StartOptions, StateError, StationIdentity,
    StationState, StopReason, Transaction, TransactionHandle, TransactionId, UnknownName,
};
pub use station::{Delivery, Exchange, ReplayOptions, SimError, Station, StationConfig};
