//! The charging domain: what Gridlet knows about a network, and the rules for
//! changing it.
//!
//! This crate is sans-IO. It names no wire format, no database and no clock:
//! every function takes the current time ([`Timestamp`]) and any fresh ids as
//! arguments, and every rule returns the new state as values. That keeps the
//! rules testable without sockets or sleeps, and lets the same rules serve
//! OCPP 1.6 and 2.0.1.
//!
//! - [`station`]: [`StationId`], [`Station`], its registration and boot facts.
//! - [`connector`]: [`EvseConnector`] addresses, the [`ConnectorLimits`] a
//!   station must stay within, and [`ConnectorStatus`] reports.
//! - [`token`]: stored [`IdTokenRecord`]s and the [`authorize`] rule.
//! - [`meter`]: [`MeterSample`]s, unit normalisation and what a reading
//!   must be to be stored.
//! - [`transaction`]: the version-neutral [`Transaction`] and its rules.
//! - [`event`]: the per-station log of notifications ([`StationEvent`]).
//! - [`device_model`]: variables a 2.0.1 station reports about itself.
//! - [`reservation`]: connectors held for a token.
//! - [`operator`]: API keys and their [`Scope`]s; 1.6 configuration keys.
//! - [`notification`]: what live subscribers are told ([`Notification`]).
//! - [`uptime`]: connection periods and [`uptime::availability`].
//! - [`pricing`]: tariff assignments, [`Pricing`] outcomes and the [`Pricer`]
//!   boundary behind which tariff plugins run.
//! - [`storage`]: the [`Storage`] trait and the [`ChangeSet`] a rule produces.

pub mod connector;
pub mod device_model;
pub mod event;
pub mod meter;
pub mod notification;
pub mod operator;
pub mod pricing;
pub mod reservation;
pub mod station;
pub mod storage;
pub mod time;
pub mod token;
pub mod transaction;
pub mod uptime;

pub use connector::{ConnectorLimits, ConnectorState, ConnectorStatus, EvseConnector};
pub use device_model::{ReportedVariable, VariableAttribute};
pub use event::{StationEvent, StationEventKind};
pub use meter::MeterSample;
pub use notification::Notification;
pub use operator::{ApiKeyRecord, ConfigurationKey, Scope};
pub use pricing::{Price, PriceLine, PricedBy, Pricer, Pricing, RunningCost, TariffAssignment, TariffScope, tariff_for};
pub use reservation::{Reservation, ReservationState};
pub use station::{BootInfo, ProtocolVersion, Registration, Station, StationId};
pub use storage::{Change, ChangeSet, Storage, StorageError, TransactionQuery, WriteTicket};
pub use time::Timestamp;
pub use token::{Authorization, AuthorizationStatus, IdToken, IdTokenRecord, IdTokenType, TokenStatus, authorize};
pub use transaction::{Transaction, TransactionEventRecord, TransactionState};
