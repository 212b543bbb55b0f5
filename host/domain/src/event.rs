//! The per-station log: what a station notified that is not a transaction or
//! a connector status (boots, firmware and log progress, security events,
//! device events, data transfers), plus its connections coming and going.

use crate::station::{ProtocolVersion, StationId};
use crate::time::Timestamp;

/// One entry of a station's log.
#[derive(Debug, Clone, PartialEq)]
pub struct StationEvent {
    /// The station.
    pub station: StationId,
    /// When Gridlet received it.
    pub received_at: Timestamp,
    /// What happened.
    pub kind: StationEventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum StationEventKind {
    /// The station opened an OCPP connection.
    Connected {
        /// The negotiated OCPP version.
        protocol: ProtocolVersion,
    },
    /// The station's OCPP connection ended.
    Disconnected {
        /// Why, e.g. `closed by station` or `replaced by a new connection`.
        reason: String,
    },
    /// The station stayed silent beyond its heartbeat interval and the
    /// grace; Gridlet considers it offline from `last_heard` on.
    WentOffline {
        /// When it was last heard from.
        last_heard: Timestamp,
    },
    /// BootNotification.
    Booted {
        /// 2.0.1 boot reason.
        reason: Option<String>,
        /// The registration status answered.
        answered: String,
    },
    /// DataTransfer from the station.
    DataTransfer {
        /// `vendorId`.
        vendor_id: String,
        /// `messageId`.
        message_id: Option<String>,
        /// `data` as sent (1.6: the string; 2.0.1: the JSON text).
        data: Option<String>,
        /// The status answered.
        answered: String,
    },
    /// FirmwareStatusNotification (1.6, 2.0.1) or SignedFirmwareStatusNotification (1.6 security).
    FirmwareStatus {
        /// The status.
        status: String,
        /// 2.0.1/security `requestId`.
        request_id: Option<i64>,
    },
    /// DiagnosticsStatusNotification (1.6).
    DiagnosticsStatus {
        /// The status.
        status: String,
    },
    /// LogStatusNotification (2.0.1, 1.6 security).
    LogStatus {
        /// The status.
        status: String,
        /// `requestId`.
        request_id: Option<i64>,
    },
    /// SecurityEventNotification.
    SecurityEvent {
        /// `type`, e.g. `FirmwareUpdated` or `InvalidCsmsCertificate`.
        event_type: String,
        /// When it happened (station time).
        timestamp: Timestamp,
        /// `techInfo`.
        tech_info: Option<String>,
    },
    /// One `eventData` entry of a 2.0.1 NotifyEvent.
    DeviceEvent(DeviceEvent),
}

/// A 2.0.1 NotifyEvent `eventData` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEvent {
    /// `eventId`.
    pub event_id: i64,
    /// `timestamp` (station time).
    pub timestamp: Timestamp,
    /// `trigger`: `Alerting`, `Delta` or `Periodic`.
    pub trigger: String,
    /// `cause`: the `eventId` of the event that caused this one.
    pub cause: Option<i64>,
    /// `actualValue`.
    pub actual_value: String,
    /// `techCode`.
    pub tech_code: Option<String>,
    /// `techInfo`.
    pub tech_info: Option<String>,
    /// `cleared`.
    pub cleared: Option<bool>,
    /// `transactionId`.
    pub transaction_id: Option<String>,
    /// `variableMonitoringId`.
    pub variable_monitoring_id: Option<i64>,
    /// `eventNotificationType`.
    pub notification_type: String,
    /// The component's name (and instance, EVSE, connector, as `name[instance]@evse/connector`).
    pub component: String,
    /// The variable's name (and instance, as `name[instance]`).
    pub variable: String,
}
