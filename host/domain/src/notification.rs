//! What happens on the network, as live subscribers (dashboards, mobile
//! apps, fleet tools) are told: stations coming and going, status changes,
//! transactions, and the outcome of commands sent to stations.
//!
//! A notification is published only after what it reports is durable, so a
//! subscriber is never told about something a crash could undo.

use crate::connector::ConnectorStatus;
use crate::station::{ProtocolVersion, Registration, StationId};
use crate::time::Timestamp;
use crate::transaction::Transaction;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// A station opened its OCPP connection.
    StationConnected {
        /// The station.
        station: StationId,
        /// The negotiated version.
        protocol: ProtocolVersion,
        /// When.
        at: Timestamp,
    },
    /// A station's connection ended.
    StationDisconnected {
        /// The station.
        station: StationId,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// A station stayed silent beyond its heartbeat interval and the grace:
    /// it is considered offline (its connection, if still open, is closed).
    StationOffline {
        /// The station.
        station: StationId,
        /// When it was last heard from.
        last_heard: Timestamp,
        /// When it was declared offline.
        at: Timestamp,
    },
    /// A station booted and was told its registration.
    StationBooted {
        /// The station.
        station: StationId,
        /// The registration answered.
        registration: Registration,
        /// When.
        at: Timestamp,
    },
    /// A connector reported a status.
    StatusChanged(ConnectorStatus),
    /// A transaction began (or was first heard of).
    TransactionStarted(Transaction),
    /// A running transaction changed (readings, charging state, token).
    TransactionUpdated(Transaction),
    /// A transaction ended.
    TransactionEnded(Transaction),
    /// A command sent to a station was answered, refused or timed out.
    CommandCompleted {
        /// The station.
        station: StationId,
        /// The OCPP action, e.g. `Reset`.
        action: String,
        /// `Accepted`, `Rejected`, … when the answer has a status; else `answered`.
        outcome: String,
        /// Why it failed, when it did (CALLERROR, timeout, connection lost).
        error: Option<String>,
        /// When.
        at: Timestamp,
    },
}

impl Notification {
    /// The station it concerns.
    pub fn station(&self) -> &StationId {
        match self {
            Notification::StationConnected { station, .. }
            | Notification::StationDisconnected { station, .. }
            | Notification::StationOffline { station, .. }
            | Notification::StationBooted { station, .. }
            | Notification::CommandCompleted { station, .. } => station,
            Notification::StatusChanged(status) => &status.station,
            Notification::TransactionStarted(tx)
            | Notification::TransactionUpdated(tx)
            | Notification::TransactionEnded(tx) => &tx.station,
        }
    }

    /// A stable name for the kind, e.g. `transaction.started`.
    pub fn kind(&self) -> &'static str {
        match self {
            Notification::StationConnected { .. } => "station.connected",
            Notification::StationDisconnected { .. } => "station.disconnected",
            Notification::StationOffline { .. } => "station.offline",
            Notification::StationBooted { .. } => "station.booted",
            Notification::StatusChanged(_) => "connector.status",
            Notification::TransactionStarted(_) => "transaction.started",
            Notification::TransactionUpdated(_) => "transaction.updated",
            Notification::TransactionEnded(_) => "transaction.ended",
            Notification::CommandCompleted { .. } => "command.completed",
        }
    }
}
