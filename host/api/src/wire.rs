//! The API's wire format: what requests carry and answers hold.
//!
//! These are the API's own types, never domain or protocol types, so the
//! domain can change without breaking clients. Conventions: field names in
//! snake_case; times are RFC 3339 strings in UTC with milliseconds
//! (`2026-11-21T09:30:00.000Z`); energy in Wh, power in W; a place on a
//! station is an `evse` and a `connector` (an OCPP 1.6 connector `N` is EVSE
//! `N`, connector 1; EVSE 0 is the station as a whole); OCPP names (statuses,
//! reasons, message names) are spelled as OCPP spells them. Request bodies
//! refuse unknown fields, so a misspelt field is an error, not ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use domain::device_model::{ReportedVariable, VariableAttribute, VariableCharacteristics};
use domain::event::{DeviceEvent, StationEvent, StationEventKind};
use domain::station::OperationStatus;
use domain::uptime::{Availability, ConnectionPeriod, ConnectorAvailability};
use domain::{
    ApiKeyRecord, BootInfo, ConfigurationKey, ConnectorStatus, IdToken, IdTokenRecord, MeterSample, PriceLine, Pricing,
    ProtocolVersion, Reservation, RunningCost, TariffAssignment, TariffScope, Timestamp, Transaction,
    TransactionEventRecord,
};
use plugin_host::{Capabilities, PluginInfo, PluginStatus};

/// A time as the API writes it.
pub fn time(t: Timestamp) -> String {
    t.to_string()
}

fn opt_time(t: Option<Timestamp>) -> Option<String> {
    t.map(time)
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------- rules on text
//
// Schemas for the rules the server enforces on text fields and parameters,
// so the document states them: each is a `String` on the wire, named here
// once and referred to with `#[schema(value_type = …)]`. White space means
// Unicode's White_Space, control characters Unicode's Cc (what Rust's
// `char::is_whitespace` and `char::is_control` test).

/// A station's identity (OCPP 2.0.1's rule): 1 to 48 of `a-z A-Z 0-9 * - _ = + | @ .`.
#[derive(ToSchema)]
#[schema(min_length = 1, max_length = 48, pattern = r"^[A-Za-z0-9*_=+|@.-]{1,48}$")]
pub struct StationIdText(pub String);

/// An ID token's identifier: 1 to 36 characters, neither white space nor
/// control characters; compared ignoring ASCII case.
#[derive(ToSchema)]
#[schema(
    min_length = 1,
    max_length = 36,
    pattern = r"^[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]{1,36}$"
)]
pub struct IdTokenText(pub String);

/// A name (of an API key, a group of stations): 1 to 100 characters
/// without control characters that neither begins nor ends with white space.
#[derive(ToSchema)]
#[schema(
    min_length = 1,
    max_length = 100,
    pattern = r"^[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?$"
)]
pub struct NameText(pub String);

/// A station's group, or `""` for none: a name (1 to 100 characters
/// without control characters that neither begins nor ends with white space).
#[derive(ToSchema)]
#[schema(
    max_length = 100,
    pattern = r"^([^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?$"
)]
pub struct GroupOrEmpty(pub String);

/// A station's HTTP Basic password: 16 to 40 printable ASCII characters (no space).
#[derive(ToSchema)]
#[schema(min_length = 16, max_length = 40, pattern = r"^[!-~]{16,40}$")]
pub struct PasswordText(pub String);

/// A currency: three upper-case letters (ISO 4217), e.g. `EUR`.
#[derive(ToSchema)]
#[schema(min_length = 3, max_length = 3, pattern = r"^[A-Z]{3}$")]
pub struct CurrencyCode(pub String);

/// A list's `next_cursor`, handed back unchanged: base64url without
/// padding. A cursor the list did not hand out is `400 invalid_cursor`.
#[derive(ToSchema)]
#[schema(min_length = 1, pattern = r"^[A-Za-z0-9_-]+$")]
pub struct CursorText(pub String);

/// A time in RFC 3339, e.g. `2027-01-01T00:00:00Z`.
#[derive(ToSchema)]
#[schema(format = DateTime)]
pub struct TimeText(pub String);

/// A station's registration: the operator's decision (matched ignoring case).
#[derive(Serialize, ToSchema)]
pub enum RegistrationName {
    /// It may charge.
    Accepted,
    /// It waits for the operator.
    Pending,
    /// It is refused.
    Rejected,
}

/// Whether a registered ID token may charge (matched ignoring case).
#[derive(Serialize, ToSchema)]
pub enum TokenStatusName {
    /// It may charge (until it expires).
    Accepted,
    /// It may not.
    Blocked,
}

/// The type of a registered ID token, as OCPP 2.0.1 names it (matched ignoring case).
#[derive(Serialize, ToSchema)]
pub enum TokenTypeName {
    /// An ISO 14443 RFID card.
    #[serde(rename = "ISO14443")]
    Iso14443,
    /// An ISO 15693 RFID card.
    #[serde(rename = "ISO15693")]
    Iso15693,
    /// A key code.
    KeyCode,
    /// An e-mobility account id.
    #[serde(rename = "eMAID")]
    EMaid,
    /// A MAC address.
    MacAddress,
    /// A token the CSMS generated.
    Central,
    /// A token the station knows locally.
    Local,
}

/// The type of an ID token a command carries, as OCPP 2.0.1 names it
/// (matched ignoring case).
#[derive(Serialize, ToSchema)]
pub enum PresentedTokenType {
    /// An ISO 14443 RFID card.
    #[serde(rename = "ISO14443")]
    Iso14443,
    /// An ISO 15693 RFID card.
    #[serde(rename = "ISO15693")]
    Iso15693,
    /// A key code.
    KeyCode,
    /// An e-mobility account id.
    #[serde(rename = "eMAID")]
    EMaid,
    /// A MAC address.
    MacAddress,
    /// A token the CSMS generated.
    Central,
    /// A token the station knows locally.
    Local,
    /// No authorization needed.
    NoAuthorization,
}

/// A transaction's state, as a filter (matched ignoring case).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransactionStateName {
    /// Still running.
    Active,
    /// Ended.
    Ended,
}

/// A list's order (matched ignoring case).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderName {
    /// Oldest first.
    Asc,
    /// Newest first.
    Desc,
}

/// What a station is to answer for a token of its local list (matched ignoring case).
#[derive(Serialize, ToSchema)]
pub enum AuthorizationStatusName {
    /// It may charge.
    Accepted,
    /// It is blocked.
    Blocked,
    /// It has expired.
    Expired,
    /// It is invalid.
    Invalid,
    /// It is unknown.
    Unknown,
    /// It is in another transaction.
    ConcurrentTx,
}

/// 2.0.1 `logType`.
#[derive(Serialize, ToSchema)]
pub enum LogTypeName {
    /// Diagnostics.
    DiagnosticsLog,
    /// Security events.
    SecurityLog,
}

/// 2.0.1 `reportBase`.
#[derive(Serialize, ToSchema)]
pub enum ReportBaseName {
    /// Every variable.
    FullInventory,
    /// The configurable variables.
    ConfigurationInventory,
    /// A summary.
    SummaryInventory,
}

/// 2.0.1 `attributeType`.
#[derive(Serialize, ToSchema)]
pub enum VariableAttributeName {
    /// The actual value.
    Actual,
    /// The target value.
    Target,
    /// The minimum set.
    MinSet,
    /// The maximum set.
    MaxSet,
}

/// What an API key may do; each scope includes the ones before it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeName {
    /// Read everything, follow the event stream.
    Read,
    /// Also send commands, manage ID tokens and reservations.
    Operate,
    /// Also manage stations, API keys, plugins and tariffs.
    Admin,
}

// ---------------------------------------------------------------- stations

/// A connector's current (or a past) status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectorView {
    /// The EVSE (1.6: the connector id); 0 is the station as a whole.
    pub evse: u32,
    /// The connector on the EVSE (1.6: always 1, or 0 for the station).
    pub connector: u32,
    /// OCPP's status, e.g. `Available`, `Charging`, `Faulted`, `Occupied`.
    pub status: String,
    /// 1.6 `errorCode` when not `NoError`, e.g. `GroundFailure`.
    pub error_code: Option<String>,
    /// 1.6 free-text `info`.
    pub info: Option<String>,
    /// 1.6 `vendorId` of a vendor error code.
    pub vendor_id: Option<String>,
    /// 1.6 `vendorErrorCode`.
    pub vendor_error_code: Option<String>,
    /// When the station says the status began.
    #[schema(format = DateTime)]
    pub reported_at: Option<String>,
    /// When Gridlet received the report.
    #[schema(format = DateTime)]
    pub received_at: String,
}

impl From<&ConnectorStatus> for ConnectorView {
    fn from(status: &ConnectorStatus) -> Self {
        ConnectorView {
            evse: status.location.evse,
            connector: status.location.connector,
            status: status.state.as_str().to_owned(),
            error_code: status.error_code.clone(),
            info: status.info.clone(),
            vendor_id: status.vendor_id.clone(),
            vendor_error_code: status.vendor_error_code.clone(),
            reported_at: opt_time(status.reported_at),
            received_at: time(status.received_at),
        }
    }
}

/// A station's live connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectionView {
    /// The negotiated OCPP version: `1.6` or `2.0.1`.
    pub protocol: String,
    /// When it was established.
    #[schema(format = DateTime)]
    pub connected_at: String,
    /// When the station last sent a message on it.
    #[schema(format = DateTime)]
    pub last_heard: String,
}

impl From<&server::Connection> for ConnectionView {
    fn from(connection: &server::Connection) -> Self {
        ConnectionView {
            protocol: session::protocol_version(connection.protocol).as_str().to_owned(),
            connected_at: time(connection.connected_at),
            last_heard: time(connection.last_heard),
        }
    }
}

/// A station in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StationSummary {
    /// Its identity.
    pub id: String,
    /// The operator's decision: `Accepted`, `Pending` or `Rejected`.
    pub registration: String,
    /// The OCPP version of its latest connection: `1.6` or `2.0.1`.
    pub protocol: Option<String>,
    /// Whether it is connected now.
    pub connected: bool,
    /// Its live connection, when connected.
    pub connection: Option<ConnectionView>,
    /// When it was last heard from (kept across restarts; may lag the live
    /// connection's `last_heard` by up to 30 s).
    #[schema(format = DateTime)]
    pub last_seen: Option<String>,
    /// Vendor from its latest boot.
    pub vendor: Option<String>,
    /// Model from its latest boot.
    pub model: Option<String>,
    /// Firmware version from its latest boot.
    pub firmware_version: Option<String>,
    /// When it last booted.
    #[schema(format = DateTime)]
    pub booted_at: Option<String>,
    /// Each connector's current status.
    pub connectors: Vec<ConnectorView>,
    /// The group (site) the operator put it in; a tariff assigned to the
    /// group applies to it.
    #[serde(default)]
    pub group: Option<String>,
    /// When Gridlet first learnt of it.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// What a station said about itself in its latest BootNotification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BootView {
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial_number: Option<String>,
    /// 1.6: serial number of the charge box.
    pub charge_box_serial_number: Option<String>,
    /// Firmware version.
    pub firmware_version: Option<String>,
    /// ICCID of the modem's SIM.
    pub iccid: Option<String>,
    /// IMSI of the modem's SIM.
    pub imsi: Option<String>,
    /// 1.6: type of the main meter.
    pub meter_type: Option<String>,
    /// 1.6: serial number of the main meter.
    pub meter_serial_number: Option<String>,
    /// 2.0.1: why it booted, e.g. `PowerUp`.
    pub reason: Option<String>,
}

impl From<&BootInfo> for BootView {
    fn from(boot: &BootInfo) -> Self {
        BootView {
            vendor: boot.vendor.clone(),
            model: boot.model.clone(),
            serial_number: boot.serial_number.clone(),
            charge_box_serial_number: boot.charge_box_serial_number.clone(),
            firmware_version: boot.firmware_version.clone(),
            iccid: boot.iccid.clone(),
            imsi: boot.imsi.clone(),
            meter_type: boot.meter_type.clone(),
            meter_serial_number: boot.meter_serial_number.clone(),
            reason: boot.reason.clone(),
        }
    }
}

/// The last status a station reported for a firmware update, diagnostics or log upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperationStatusView {
    /// The status as the station named it, e.g. `Downloading`, `Uploaded`.
    pub status: String,
    /// 2.0.1 `requestId` it belongs to.
    pub request_id: Option<i64>,
    /// When Gridlet received it.
    #[schema(format = DateTime)]
    pub received_at: String,
}

impl From<&OperationStatus> for OperationStatusView {
    fn from(status: &OperationStatus) -> Self {
        OperationStatusView {
            status: status.status.clone(),
            request_id: status.request_id,
            received_at: time(status.received_at),
        }
    }
}

/// A 1.6 configuration key as last read with GetConfiguration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigurationKeyView {
    /// The key, e.g. `HeartbeatInterval`.
    pub key: String,
    /// Its value.
    pub value: Option<String>,
    /// Whether the station says it cannot be changed.
    pub readonly: bool,
    /// When it was read.
    #[schema(format = DateTime)]
    pub reported_at: String,
}

impl From<&ConfigurationKey> for ConfigurationKeyView {
    fn from(key: &ConfigurationKey) -> Self {
        ConfigurationKeyView {
            key: key.key.clone(),
            value: key.value.clone(),
            readonly: key.readonly,
            reported_at: time(key.reported_at),
        }
    }
}

/// One attribute of a 2.0.1 variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VariableAttributeView {
    /// `Actual`, `Target`, `MinSet` or `MaxSet`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value.
    pub value: Option<String>,
    /// `ReadOnly`, `WriteOnly` or `ReadWrite`.
    pub mutability: Option<String>,
    /// Whether it survives a reboot.
    pub persistent: Option<bool>,
    /// Whether it never changes.
    pub constant: Option<bool>,
}

impl From<&VariableAttribute> for VariableAttributeView {
    fn from(a: &VariableAttribute) -> Self {
        VariableAttributeView {
            kind: a.kind.clone(),
            value: a.value.clone(),
            mutability: a.mutability.clone(),
            persistent: a.persistent,
            constant: a.constant,
        }
    }
}

/// What a 2.0.1 variable is like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VariableCharacteristicsView {
    /// Unit.
    pub unit: Option<String>,
    /// Data type, e.g. `integer`, `OptionList`.
    pub data_type: String,
    /// Lowest allowed value.
    pub min_limit: Option<f64>,
    /// Highest allowed value.
    pub max_limit: Option<f64>,
    /// Allowed values of a list type.
    pub values_list: Option<String>,
    /// Whether it can be monitored.
    pub supports_monitoring: bool,
}

impl From<&VariableCharacteristics> for VariableCharacteristicsView {
    fn from(c: &VariableCharacteristics) -> Self {
        VariableCharacteristicsView {
            unit: c.unit.clone(),
            data_type: c.data_type.clone(),
            min_limit: c.min_limit,
            max_limit: c.max_limit,
            values_list: c.values_list.clone(),
            supports_monitoring: c.supports_monitoring,
        }
    }
}

/// A 2.0.1 device-model variable as last reported (NotifyReport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VariableView {
    /// Component, e.g. `OCPPCommCtrlr`.
    pub component: String,
    /// Component instance.
    pub component_instance: Option<String>,
    /// EVSE of the component.
    pub evse: Option<u32>,
    /// Connector of the component.
    pub connector: Option<u32>,
    /// Variable, e.g. `HeartbeatInterval`.
    pub variable: String,
    /// Variable instance.
    pub variable_instance: Option<String>,
    /// Its attributes.
    pub attributes: Vec<VariableAttributeView>,
    /// Its characteristics.
    pub characteristics: Option<VariableCharacteristicsView>,
    /// The report's `generatedAt`.
    #[schema(format = DateTime)]
    pub reported_at: String,
}

impl From<&ReportedVariable> for VariableView {
    fn from(v: &ReportedVariable) -> Self {
        VariableView {
            component: v.address.component.clone(),
            component_instance: v.address.component_instance.clone(),
            evse: v.address.evse,
            connector: v.address.connector,
            variable: v.address.variable.clone(),
            variable_instance: v.address.variable_instance.clone(),
            attributes: v.attributes.iter().map(Into::into).collect(),
            characteristics: v.characteristics.as_ref().map(Into::into),
            reported_at: time(v.reported_at),
        }
    }
}

/// A station with everything Gridlet knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StationDetail {
    /// Its identity.
    pub id: String,
    /// The operator's decision: `Accepted`, `Pending` or `Rejected`.
    pub registration: String,
    /// Whether it has a password (the password itself is never shown).
    pub password_set: bool,
    /// The group (site) the operator put it in; a tariff assigned to the
    /// group applies to it.
    #[serde(default)]
    pub group: Option<String>,
    /// The OCPP version of its latest connection.
    pub protocol: Option<String>,
    /// Whether it is connected now.
    pub connected: bool,
    /// Its live connection, when connected.
    pub connection: Option<ConnectionView>,
    /// When it was last heard from.
    #[schema(format = DateTime)]
    pub last_seen: Option<String>,
    /// When Gridlet first learnt of it.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// What it said in its latest BootNotification.
    pub boot: Option<BootView>,
    /// When that was.
    #[schema(format = DateTime)]
    pub booted_at: Option<String>,
    /// Its latest firmware update status.
    pub firmware_status: Option<OperationStatusView>,
    /// Its latest diagnostics upload status (1.6).
    pub diagnostics_status: Option<OperationStatusView>,
    /// Its latest log upload status.
    pub log_status: Option<OperationStatusView>,
    /// Each connector's current status.
    pub connectors: Vec<ConnectorView>,
    /// Its transactions still running.
    pub active_transactions: Vec<TransactionView>,
    /// 1.6: configuration keys as last read (send `get-configuration` to refresh).
    pub configuration: Vec<ConfigurationKeyView>,
    /// 2.0.1: device model as last reported (send `get-base-report` to refresh).
    pub device_model: Vec<VariableView>,
}

/// A station to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStation {
    /// Its identity: up to 48 of `a-z A-Z 0-9 * - _ = + | @ .`.
    #[schema(value_type = StationIdText)]
    pub id: String,
    /// Its HTTP Basic password: 16 to 40 printable ASCII characters. A
    /// station needs a password (given or generated) unless the server
    /// allows password-less stations (`auth.allow_stations_without_password`).
    #[serde(default)]
    #[schema(value_type = Option<PasswordText>)]
    pub password: Option<String>,
    /// Let Gridlet choose the password; it is answered once, in
    /// `generated_password`. Not together with `password`.
    #[serde(default)]
    pub generate_password: bool,
    /// `Accepted` (default), `Pending` or `Rejected`.
    #[serde(default)]
    #[schema(value_type = Option<RegistrationName>)]
    pub registration: Option<String>,
    /// The group (site) it belongs to, for tariffs assigned to a group; `""` for none.
    #[serde(default)]
    #[schema(value_type = Option<GroupOrEmpty>)]
    pub group: Option<String>,
}

/// Changes to a station; fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationChange {
    /// `Accepted`, `Pending` or `Rejected`; a station learns it at its next
    /// boot. `Accepted` needs a password unless the server allows
    /// password-less stations.
    #[serde(default)]
    #[schema(value_type = Option<RegistrationName>)]
    pub registration: Option<String>,
    /// A new password: 16 to 40 printable ASCII characters.
    #[serde(default)]
    #[schema(value_type = Option<PasswordText>)]
    pub password: Option<String>,
    /// Let Gridlet choose a new password; it is answered once. Not together with `password`.
    #[serde(default)]
    pub generate_password: bool,
    /// Its group (site), for tariffs assigned to a group; `""` takes it out
    /// of its group.
    #[serde(default)]
    #[schema(value_type = Option<GroupOrEmpty>)]
    pub group: Option<String>,
}

/// A station as saved, with the password Gridlet chose, if it chose one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StationSaved {
    /// The station.
    pub station: StationDetail,
    /// The generated password, shown this once; `null` unless asked for.
    pub generated_password: Option<String>,
}

/// One entry of a station's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LogEntryView {
    /// When Gridlet received (or noticed) it.
    #[schema(format = DateTime)]
    pub received_at: String,
    /// What happened.
    pub event: LogEvent,
}

/// What a log entry records; `type` tells which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    /// The station connected.
    Connected {
        /// `1.6` or `2.0.1`.
        protocol: String,
    },
    /// The connection ended.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// The station fell silent beyond its heartbeat interval and the grace.
    WentOffline {
        /// When it was last heard from.
        #[schema(format = DateTime)]
        last_heard: String,
    },
    /// BootNotification.
    Booted {
        /// 2.0.1 boot reason.
        reason: Option<String>,
        /// The registration answered.
        answered: String,
    },
    /// DataTransfer from the station.
    DataTransfer {
        /// `vendorId`.
        vendor_id: String,
        /// `messageId`.
        message_id: Option<String>,
        /// `data`.
        data: Option<String>,
        /// The status answered.
        answered: String,
    },
    /// Firmware status notification.
    FirmwareStatus {
        /// The status.
        status: String,
        /// `requestId`.
        request_id: Option<i64>,
    },
    /// 1.6 diagnostics status notification.
    DiagnosticsStatus {
        /// The status.
        status: String,
    },
    /// Log status notification.
    LogStatus {
        /// The status.
        status: String,
        /// `requestId`.
        request_id: Option<i64>,
    },
    /// Security event notification.
    SecurityEvent {
        /// `type`, e.g. `FirmwareUpdated`.
        event_type: String,
        /// When it happened (station time).
        #[schema(format = DateTime)]
        timestamp: String,
        /// `techInfo`.
        tech_info: Option<String>,
    },
    /// 2.0.1 NotifyEvent entry.
    DeviceEvent {
        /// `eventId`.
        event_id: i64,
        /// When (station time).
        #[schema(format = DateTime)]
        timestamp: String,
        /// `Alerting`, `Delta` or `Periodic`.
        trigger: String,
        /// The component, as `name[instance]@evse/connector`.
        component: String,
        /// The variable, as `name[instance]`.
        variable: String,
        /// `actualValue`.
        actual_value: String,
        /// `techCode`.
        tech_code: Option<String>,
        /// `techInfo`.
        tech_info: Option<String>,
        /// `cleared`.
        cleared: Option<bool>,
    },
}

impl From<&StationEvent> for LogEntryView {
    fn from(entry: &StationEvent) -> Self {
        let event = match &entry.kind {
            StationEventKind::Connected { protocol } => LogEvent::Connected { protocol: protocol.as_str().to_owned() },
            StationEventKind::Disconnected { reason } => LogEvent::Disconnected { reason: reason.clone() },
            StationEventKind::WentOffline { last_heard } => LogEvent::WentOffline { last_heard: time(*last_heard) },
            StationEventKind::Booted { reason, answered } => {
                LogEvent::Booted { reason: reason.clone(), answered: answered.clone() }
            }
            StationEventKind::DataTransfer { vendor_id, message_id, data, answered } => LogEvent::DataTransfer {
                vendor_id: vendor_id.clone(),
                message_id: message_id.clone(),
                data: data.clone(),
                answered: answered.clone(),
            },
            StationEventKind::FirmwareStatus { status, request_id } => {
                LogEvent::FirmwareStatus { status: status.clone(), request_id: *request_id }
            }
            StationEventKind::DiagnosticsStatus { status } => LogEvent::DiagnosticsStatus { status: status.clone() },
            StationEventKind::LogStatus { status, request_id } => {
                LogEvent::LogStatus { status: status.clone(), request_id: *request_id }
            }
            StationEventKind::SecurityEvent { event_type, timestamp, tech_info } => LogEvent::SecurityEvent {
                event_type: event_type.clone(),
                timestamp: time(*timestamp),
                tech_info: tech_info.clone(),
            },
            StationEventKind::DeviceEvent(DeviceEvent {
                event_id,
                timestamp,
                trigger,
                actual_value,
                tech_code,
                tech_info,
                cleared,
                component,
                variable,
                ..
            }) => LogEvent::DeviceEvent {
                event_id: *event_id,
                timestamp: time(*timestamp),
                trigger: trigger.clone(),
                component: component.clone(),
                variable: variable.clone(),
                actual_value: actual_value.clone(),
                tech_code: tech_code.clone(),
                tech_info: tech_info.clone(),
                cleared: *cleared,
            },
        };
        LogEntryView { received_at: time(entry.received_at), event }
    }
}

/// A station's availability over a time range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityView {
    /// The station.
    pub station: String,
    /// Start of the range.
    #[schema(format = DateTime)]
    pub from: String,
    /// End of the range (capped at the time of asking).
    #[schema(format = DateTime)]
    pub to: String,
    /// Milliseconds connected within the range.
    pub online_ms: i64,
    /// Milliseconds not connected within the range.
    pub offline_ms: i64,
    /// The share of the range it was connected, 0 to 1.
    pub online_ratio: f64,
    /// Whether it is connected now.
    pub connected_now: bool,
    /// Its connection periods within the range.
    pub periods: Vec<PeriodView>,
    /// Per connector, time in each state while the station was connected.
    pub connectors: Vec<ConnectorAvailabilityView>,
}

/// A stretch of time a station was connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PeriodView {
    /// When it began (or the range's start).
    #[schema(format = DateTime)]
    pub start: String,
    /// When it ended (or the range's end); `null` while it lasts.
    #[schema(format = DateTime)]
    pub end: Option<String>,
    /// Why it ended, e.g. `closed by station`, `went silent`.
    pub end_reason: Option<String>,
}

impl From<&ConnectionPeriod> for PeriodView {
    fn from(p: &ConnectionPeriod) -> Self {
        PeriodView { start: time(p.start), end: opt_time(p.end), end_reason: p.end_reason.clone() }
    }
}

/// A connector's time per state, and its faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectorAvailabilityView {
    /// The EVSE.
    pub evse: u32,
    /// The connector.
    pub connector: u32,
    /// Milliseconds per OCPP status, e.g. `{"Available": 3600000}`.
    pub time_in_state_ms: BTreeMap<String, i64>,
    /// How many times it went into a fault in the range.
    pub faults: u32,
}

impl From<&ConnectorAvailability> for ConnectorAvailabilityView {
    fn from(c: &ConnectorAvailability) -> Self {
        ConnectorAvailabilityView {
            evse: c.location.evse,
            connector: c.location.connector,
            time_in_state_ms: c.time_in_state.iter().map(|(state, ms)| (state.as_str().to_owned(), *ms)).collect(),
            faults: c.faults,
        }
    }
}

impl AvailabilityView {
    /// The view of `availability` of `station`.
    pub fn of(station: &str, availability: &Availability, connected_now: bool) -> Self {
        AvailabilityView {
            station: station.to_owned(),
            from: time(availability.from),
            to: time(availability.to),
            online_ms: availability.online_ms,
            offline_ms: availability.offline_ms,
            online_ratio: availability.online_ratio(),
            connected_now,
            periods: availability.periods.iter().map(Into::into).collect(),
            connectors: availability.connectors.iter().map(Into::into).collect(),
        }
    }
}

// ---------------------------------------------------------------- transactions

/// An ID token as a station presented it (or as a command carries it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdTokenView {
    /// The identifier, e.g. an RFID UID.
    pub value: String,
    /// 2.0.1 type (`ISO14443`, `ISO15693`, `KeyCode`, `eMAID`, `MacAddress`,
    /// `Central`, `Local`, `NoAuthorization`); `null` for a 1.6 `idTag`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// An ID token a request carries (a command, a reservation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdTokenArg {
    /// The identifier, e.g. an RFID UID: 1 to 36 characters without white
    /// space or control characters.
    #[schema(value_type = IdTokenText)]
    pub value: String,
    /// 2.0.1 type; left out, an untyped 1.6 `idTag` (a 2.0.1 remote start
    /// sends it as `Central`).
    #[serde(rename = "type", default)]
    #[schema(value_type = Option<PresentedTokenType>)]
    pub kind: Option<String>,
}

impl From<&IdToken> for IdTokenView {
    fn from(token: &IdToken) -> Self {
        IdTokenView { value: token.value.clone(), kind: token.kind.map(|k| k.as_str().to_owned()) }
    }
}

/// A transaction, in one model for both OCPP versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransactionView {
    /// Gridlet's number for it (a 1.6 station's `transactionId`).
    pub number: u64,
    /// The station.
    pub station: String,
    /// The station's id for it (2.0.1 `transactionId`; 1.6: the number).
    pub station_tx_id: String,
    /// `1.6` or `2.0.1`.
    pub protocol: String,
    /// The EVSE (0 while unknown).
    pub evse: u32,
    /// The connector (0 while unknown).
    pub connector: u32,
    /// The token that started (or authorized) it.
    pub id_token: Option<IdTokenView>,
    /// The token's group.
    pub group_id: Option<String>,
    /// What authorizing the token answered, e.g. `Accepted`.
    pub authorization: Option<String>,
    /// `Active` or `Ended`.
    pub state: String,
    /// When it started (station time).
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// When it ended (station time).
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// The energy register at the start, in Wh.
    pub meter_start_wh: Option<f64>,
    /// The energy register at the stop, in Wh.
    pub meter_stop_wh: Option<f64>,
    /// Energy delivered so far (or in total), in Wh.
    pub energy_wh: Option<f64>,
    /// Why it stopped, e.g. `EVDisconnected`, `Remote`.
    pub stop_reason: Option<String>,
    /// The token that stopped it.
    pub stopped_by: Option<IdTokenView>,
    /// 2.0.1 `chargingState`, e.g. `Charging`.
    pub charging_state: Option<String>,
    /// The reservation it used.
    pub reservation_id: Option<i64>,
    /// 2.0.1 `remoteStartId` when started remotely.
    pub remote_start_id: Option<i64>,
    /// Whether some of its messages were queued while the station was offline.
    pub offline: bool,
    /// When Gridlet created the record.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When Gridlet last changed it.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// What pricing it came to once it ended (or was priced again); `null`
    /// while running or when no tariff applied.
    #[serde(default)]
    pub pricing: Option<PricingView>,
    /// The latest estimate of its cost while it ran.
    #[serde(default)]
    pub running_cost: Option<RunningCostView>,
}

/// The name the API gives a protocol version.
pub fn protocol(p: ProtocolVersion) -> String {
    p.as_str().to_owned()
}

impl From<&Transaction> for TransactionView {
    fn from(tx: &Transaction) -> Self {
        TransactionView {
            number: tx.number,
            station: tx.station.to_string(),
            station_tx_id: tx.station_tx_id.clone(),
            protocol: protocol(tx.protocol),
            evse: tx.location.evse,
            connector: tx.location.connector,
            id_token: tx.id_token.as_ref().map(Into::into),
            group_id: tx.group_id.clone(),
            authorization: tx.authorization.map(|a| a.as_str().to_owned()),
            state: tx.state.as_str().to_owned(),
            started_at: opt_time(tx.started_at),
            ended_at: opt_time(tx.ended_at),
            meter_start_wh: tx.meter_start_wh,
            meter_stop_wh: tx.meter_stop_wh,
            energy_wh: tx.energy_wh(),
            stop_reason: tx.stop_reason.clone(),
            stopped_by: tx.stopped_by.as_ref().map(Into::into),
            charging_state: tx.charging_state.clone(),
            reservation_id: tx.reservation_id,
            remote_start_id: tx.remote_start_id,
            offline: tx.offline,
            created_at: time(tx.created_at),
            updated_at: time(tx.updated_at),
            pricing: tx.pricing.as_ref().map(Into::into),
            running_cost: tx.running_cost.as_ref().map(Into::into),
        }
    }
}

// ---------------------------------------------------------------- pricing

/// What pricing a transaction came to: a price (`state` = `priced`) with
/// who computed it, or why there is none (`unpriced`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PricingView {
    /// `priced` or `unpriced`.
    pub state: String,
    /// The currency (ISO 4217), when priced.
    pub currency: Option<String>,
    /// The total as a decimal in major units, e.g. `"12.34"`, when priced.
    pub total: Option<String>,
    /// The total in minor units (cents), when priced.
    pub total_minor: Option<i64>,
    /// The lines, which add up to the total (empty when unpriced).
    pub lines: Vec<PriceLineView>,
    /// The tariff plugin version that computed the price, when priced.
    pub priced_by: Option<PricedByView>,
    /// Why it is unpriced, for the operator.
    pub reason: Option<String>,
    /// The tariff plugin that was asked, when unpriced.
    pub plugin_id: Option<String>,
    /// When it was priced (or found unpriceable), server time.
    #[schema(format = DateTime)]
    pub at: String,
}

/// One line of a price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PriceLineView {
    /// `energy`, `time`, `idle`, `flat`, `cap`, `discount` or `tax`.
    pub kind: String,
    /// Shown to the driver, e.g. "Energy at 0.35 EUR/kWh".
    pub description: String,
    /// The quantity as a decimal, e.g. `"12.345"` (kWh).
    pub quantity: String,
    /// `kWh`, `min`, `session`, or a currency for tax lines.
    pub unit: String,
    /// The amount as a decimal in major units (negative only for caps and discounts).
    pub amount: String,
    /// The amount in minor units.
    pub amount_minor: i64,
    /// For tax lines: the rate in basis points (2100 = 21 %).
    pub tax_rate_bp: Option<u32>,
}

/// Which tariff plugin, at which version and content, computed a price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PricedByView {
    /// The plugin's id.
    pub plugin_id: String,
    /// Its version (semver).
    pub version: String,
    /// The SHA-256 of its component, `sha256:<hex>` (as `GET /plugins/{id}` shows it).
    pub hash: String,
}

impl PriceLineView {
    fn of(line: &PriceLine, minor_digits: u32) -> Self {
        PriceLineView {
            kind: line.kind.clone(),
            description: line.description.clone(),
            quantity: domain::pricing::decimal(line.quantity_milli, 3),
            unit: line.unit.clone(),
            amount: domain::pricing::decimal(line.amount_minor, minor_digits),
            amount_minor: line.amount_minor,
            tax_rate_bp: line.tax_rate_bp,
        }
    }
}

impl From<&Pricing> for PricingView {
    fn from(pricing: &Pricing) -> Self {
        match pricing {
            Pricing::Priced { price, by, at } => PricingView {
                state: "priced".to_owned(),
                currency: Some(price.currency.clone()),
                total: Some(price.total_decimal()),
                total_minor: Some(price.total_minor),
                lines: price.lines.iter().map(|line| PriceLineView::of(line, price.minor_digits)).collect(),
                priced_by: Some(PricedByView {
                    plugin_id: by.plugin_id.clone(),
                    version: by.version.clone(),
                    hash: by.hash.clone(),
                }),
                reason: None,
                plugin_id: None,
                at: time(*at),
            },
            Pricing::Unpriced { reason, plugin_id, at } => PricingView {
                state: "unpriced".to_owned(),
                currency: None,
                total: None,
                total_minor: None,
                lines: Vec::new(),
                priced_by: None,
                reason: Some(reason.clone()),
                plugin_id: plugin_id.clone(),
                at: time(*at),
            },
        }
    }
}

/// The latest estimate of a running transaction's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunningCostView {
    /// The currency (ISO 4217).
    pub currency: String,
    /// The cost so far as a decimal in major units.
    pub total: String,
    /// The cost so far in minor units.
    pub total_minor: i64,
    /// When it was estimated (server time).
    #[schema(format = DateTime)]
    pub at: String,
}

impl From<&RunningCost> for RunningCostView {
    fn from(cost: &RunningCost) -> Self {
        RunningCostView {
            currency: cost.currency.clone(),
            total: cost.total_decimal(),
            total_minor: cost.total_minor,
            at: time(cost.at),
        }
    }
}

/// `POST /transactions/{number}/reprice`: the tariff to price with; leave
/// both out for the one that applies to the station now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepriceRequest {
    /// An installed tariff plugin's id; needs `currency`.
    #[serde(default)]
    #[schema(min_length = 1)]
    pub plugin_id: Option<String>,
    /// The currency to bill in (ISO 4217, e.g. `EUR`); needs `plugin_id`.
    #[serde(default)]
    #[schema(value_type = Option<CurrencyCode>)]
    pub currency: Option<String>,
}

// ---------------------------------------------------------------- plugins

/// An installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PluginView {
    /// Its id, e.g. `simple-tariff`.
    pub id: String,
    /// Its human-readable name.
    pub name: String,
    /// `tariff`, `payment`, `load-management` or `report`.
    pub kind: String,
    /// The active version (semver).
    pub version: String,
    /// The SHA-256 of the active version's component, `sha256:<hex>`; a
    /// price records the same string in `priced_by.hash`.
    pub hash: String,
    /// The WIT version it implements.
    pub wit: String,
    /// Earlier versions, oldest first (a rollback goes to the last).
    pub history: Vec<String>,
    /// `enabled`, `disabled`, `needs-config` or `stopped`.
    pub status: String,
    /// Why it is `needs-config` or `stopped`.
    pub status_reason: Option<String>,
    /// Its configuration.
    pub config: Value,
    /// What the operator granted it.
    pub granted: CapabilitiesView,
    /// The limits every call runs under.
    pub limits: PluginLimitsView,
}

/// What a plugin may use beyond computing; nothing unless granted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilitiesView {
    /// Hosts a payment plugin may send HTTPS requests to.
    #[serde(default)]
    pub http_hosts: Vec<String>,
    /// Reading the wall clock (never for tariffs).
    #[serde(default)]
    pub clock: bool,
    /// Reading random numbers (never for tariffs).
    #[serde(default)]
    pub random: bool,
}

/// The limits a plugin's every call runs under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PluginLimitsView {
    /// Memory, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline, in milliseconds.
    pub timeout_ms: u64,
    /// Fuel (instructions, roughly).
    pub fuel: u64,
}

impl From<&Capabilities> for CapabilitiesView {
    fn from(c: &Capabilities) -> Self {
        CapabilitiesView { http_hosts: c.http_hosts.clone(), clock: c.clock, random: c.random }
    }
}

impl From<&CapabilitiesView> for Capabilities {
    fn from(c: &CapabilitiesView) -> Self {
        Capabilities { http_hosts: c.http_hosts.clone(), clock: c.clock, random: c.random }
    }
}

impl From<&PluginInfo> for PluginView {
    fn from(info: &PluginInfo) -> Self {
        let (status, status_reason) = match &info.status {
            PluginStatus::Enabled => ("enabled", None),
            PluginStatus::Disabled => ("disabled", None),
            PluginStatus::NeedsConfig { reason } => ("needs-config", Some(reason.clone())),
            PluginStatus::Stopped { reason } => ("stopped", Some(reason.clone())),
        };
        PluginView {
            id: info.id.clone(),
            name: info.name.clone(),
            kind: info.kind.to_string(),
            version: info.version.to_string(),
            hash: info.hash.to_string(),
            wit: info.wit.to_string(),
            history: info.history.iter().map(ToString::to_string).collect(),
            status: status.to_owned(),
            status_reason,
            config: info.config.clone(),
            granted: (&info.granted).into(),
            limits: PluginLimitsView {
                memory_bytes: info.memory_limit_bytes,
                timeout_ms: info.timeout_ms,
                fuel: info.fuel,
            },
        }
    }
}

/// `POST /plugins`: a plugin package as `multipart/form-data`, e.g.
/// `curl -F manifest=@gridlet-plugin.toml -F component=@my_tariff.wasm`.
#[derive(Debug, Clone, ToSchema)]
pub struct PluginUpload {
    /// The package's `gridlet-plugin.toml`, as text.
    pub manifest: String,
    /// The component (`.wasm`), as bytes.
    #[schema(value_type = String, format = Binary)]
    pub component: Vec<u8>,
    /// The capabilities granted, as JSON (a `CapabilitiesView`); none when left out.
    #[schema(value_type = Option<CapabilitiesView>)]
    pub grant: Option<String>,
}

// ---------------------------------------------------------------- tariffs

/// A tariff assigned to the network (default), a group of stations or one
/// station. Station beats group beats default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TariffAssignmentView {
    /// `default`, `group` or `station`.
    pub scope: String,
    /// The group, for `group`.
    pub group: Option<String>,
    /// The station, for `station`.
    pub station: Option<String>,
    /// The tariff plugin's id.
    pub plugin_id: String,
    /// The currency transactions are billed in (ISO 4217).
    pub currency: String,
}

impl From<&TariffAssignment> for TariffAssignmentView {
    fn from(a: &TariffAssignment) -> Self {
        let (scope, group, station) = match &a.scope {
            TariffScope::Default => ("default", None, None),
            TariffScope::Group(group) => ("group", Some(group.clone()), None),
            TariffScope::Station(station) => ("station", None, Some(station.to_string())),
        };
        TariffAssignmentView {
            scope: scope.to_owned(),
            group,
            station,
            plugin_id: a.plugin_id.clone(),
            currency: a.currency.clone(),
        }
    }
}

/// A tariff to assign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffInput {
    /// An installed tariff plugin's id.
    #[schema(min_length = 1)]
    pub plugin_id: String,
    /// The currency to bill in: three upper-case letters (ISO 4217), e.g. `EUR`.
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
}

/// One meter reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MeterSampleView {
    /// When it was measured (station time).
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// What, e.g. `Energy.Active.Import.Register`.
    pub measurand: String,
    /// Phase, e.g. `L1`.
    pub phase: Option<String>,
    /// Where, e.g. `Outlet`.
    pub location: Option<String>,
    /// Why, e.g. `Sample.Periodic`, `Transaction.Begin`.
    pub context: Option<String>,
    /// The value in `unit` (base units: Wh, W, A, V…); `null` for signed data.
    pub value: Option<f64>,
    /// The unit.
    pub unit: Option<String>,
    /// Signed meter data as sent.
    pub signed_data: Option<String>,
}

impl From<&MeterSample> for MeterSampleView {
    fn from(s: &MeterSample) -> Self {
        MeterSampleView {
            timestamp: time(s.timestamp),
            measurand: s.measurand.clone(),
            phase: s.phase.clone(),
            location: s.location.clone(),
            context: s.context.clone(),
            value: s.value,
            unit: s.unit.clone(),
            signed_data: s.signed_data.clone(),
        }
    }
}

/// A received 2.0.1 TransactionEvent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransactionEventView {
    /// `seqNo`.
    pub seq_no: u64,
    /// `Started`, `Updated` or `Ended`.
    pub event_type: String,
    /// `triggerReason`.
    pub trigger_reason: String,
    /// `timestamp` (station time).
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// Whether it was queued while offline.
    pub offline: bool,
    /// When Gridlet received it.
    #[schema(format = DateTime)]
    pub received_at: String,
}

impl From<&TransactionEventRecord> for TransactionEventView {
    fn from(e: &TransactionEventRecord) -> Self {
        TransactionEventView {
            seq_no: e.seq_no,
            event_type: e.event_type.as_str().to_owned(),
            trigger_reason: e.trigger_reason.clone(),
            timestamp: time(e.timestamp),
            offline: e.offline,
            received_at: time(e.received_at),
        }
    }
}

/// A transaction with its meter readings and (2.0.1) events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransactionDetail {
    /// The transaction.
    pub transaction: TransactionView,
    /// Its meter readings, by measurement time.
    pub meter_samples: Vec<MeterSampleView>,
    /// Its 2.0.1 TransactionEvents, by `seqNo`.
    pub events: Vec<TransactionEventView>,
}

// ---------------------------------------------------------------- ID tokens

/// A registered ID token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdTokenRecordView {
    /// The identifier (compared ignoring ASCII case).
    pub value: String,
    /// Its type; `null` matches a token of any type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `Accepted` or `Blocked`.
    pub status: String,
    /// When it stops being valid.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Its group (1.6 `parentIdTag`, 2.0.1 `groupIdToken`).
    pub group_id: Option<String>,
    /// Whether it may be in several transactions at once.
    pub concurrent_transactions: bool,
}

impl From<&IdTokenRecord> for IdTokenRecordView {
    fn from(r: &IdTokenRecord) -> Self {
        IdTokenRecordView {
            value: r.value.clone(),
            kind: r.kind.map(|k| k.as_str().to_owned()),
            status: r.status.as_str().to_owned(),
            expires_at: opt_time(r.expires_at),
            group_id: r.group_id.clone(),
            concurrent_transactions: r.concurrent_transactions,
        }
    }
}

/// An ID token to register (POST, import).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdTokenInput {
    /// The identifier: 1 to 36 characters without white space or control characters.
    #[schema(value_type = IdTokenText)]
    pub value: String,
    /// Its type (`ISO14443`, `ISO15693`, `KeyCode`, `eMAID`, `MacAddress`,
    /// `Central`, `Local`); left out, it matches any type.
    #[serde(rename = "type", default)]
    #[schema(value_type = Option<TokenTypeName>)]
    pub kind: Option<String>,
    /// `Accepted` (default) or `Blocked`.
    #[serde(default)]
    #[schema(value_type = Option<TokenStatusName>)]
    pub status: Option<String>,
    /// When it expires (RFC 3339).
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub expires_at: Option<String>,
    /// Its group: an ID token's identifier.
    #[serde(default)]
    #[schema(value_type = Option<IdTokenText>)]
    pub group_id: Option<String>,
    /// Whether it may be in several transactions at once (default false).
    #[serde(default)]
    pub concurrent_transactions: bool,
}

/// An ID token's settings (PUT: its value is in the path).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdTokenFields {
    /// Its type; left out, it matches any type.
    #[serde(rename = "type", default)]
    #[schema(value_type = Option<TokenTypeName>)]
    pub kind: Option<String>,
    /// `Accepted` (default) or `Blocked`.
    #[serde(default)]
    #[schema(value_type = Option<TokenStatusName>)]
    pub status: Option<String>,
    /// When it expires (RFC 3339).
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub expires_at: Option<String>,
    /// Its group: an ID token's identifier.
    #[serde(default)]
    #[schema(value_type = Option<IdTokenText>)]
    pub group_id: Option<String>,
    /// Whether it may be in several transactions at once (default false).
    #[serde(default)]
    pub concurrent_transactions: bool,
}

impl IdTokenFields {
    /// These settings for the token `value`.
    pub fn with_value(self, value: &str) -> IdTokenInput {
        IdTokenInput {
            value: value.to_owned(),
            kind: self.kind,
            status: self.status,
            expires_at: self.expires_at,
            group_id: self.group_id,
            concurrent_transactions: self.concurrent_transactions,
        }
    }
}

/// What a bulk import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    /// Tokens saved in all.
    pub imported: usize,
    /// Of which new.
    pub created: usize,
    /// Of which replaced an existing token.
    pub replaced: usize,
}

// ---------------------------------------------------------------- reservations

/// A reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReservationView {
    /// Its id (OCPP `reservationId`).
    pub id: i64,
    /// The station.
    pub station: String,
    /// The EVSE; `null` for any.
    pub evse: Option<u32>,
    /// The connector; `null` for any.
    pub connector: Option<u32>,
    /// The token it is held for.
    pub id_token: IdTokenView,
    /// The token's group.
    pub group_id: Option<String>,
    /// When it expires.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// `Requested`, `Active`, `Refused`, `Cancelled`, `Used` or `Expired`.
    pub state: String,
    /// The station's answer when it refused, e.g. `Occupied`.
    pub refusal: Option<String>,
    /// The transaction that used it.
    pub transaction: Option<u64>,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl ReservationView {
    /// The view of `r` as of `now` (an open reservation past its expiry is `Expired`).
    pub fn of(r: &Reservation, now: Timestamp) -> Self {
        ReservationView {
            id: r.id,
            station: r.station.to_string(),
            evse: r.location.map(|l| l.evse),
            connector: r.location.map(|l| l.connector),
            id_token: (&r.id_token).into(),
            group_id: r.group_id.clone(),
            expires_at: time(r.expires_at),
            state: r.state_at(now).as_str().to_owned(),
            refusal: r.refusal.clone(),
            transaction: r.transaction,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        }
    }
}

/// A reservation to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReservation {
    /// The EVSE (1.6: the connector id); left out, any.
    #[serde(default)]
    pub evse: Option<u32>,
    /// The connector on the EVSE (default 1); needs `evse`.
    #[serde(default)]
    pub connector: Option<u32>,
    /// The token to hold it for.
    pub id_token: IdTokenArg,
    /// The token's group: an ID token's identifier.
    #[serde(default)]
    #[schema(value_type = Option<IdTokenText>)]
    pub group_id: Option<String>,
    /// When it expires (RFC 3339, in the future).
    #[schema(value_type = TimeText)]
    pub expires_at: String,
}

// ---------------------------------------------------------------- API keys

/// An API key (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyView {
    /// Its public id (the part of the key after `gl_`).
    pub id: String,
    /// What it is for.
    pub name: String,
    /// `read`, `operate` or `admin`.
    pub scope: String,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was revoked; a revoked key authorizes nothing.
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeyView {
    fn from(r: &ApiKeyRecord) -> Self {
        ApiKeyView {
            id: r.id.clone(),
            name: r.name.clone(),
            scope: r.scope.as_str().to_owned(),
            created_at: time(r.created_at),
            revoked_at: opt_time(r.revoked_at),
        }
    }
}

/// An API key to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What it is for, e.g. `billing export`: 1 to 100 characters without
    /// control characters, neither beginning nor ending with white space.
    #[schema(value_type = NameText)]
    pub name: String,
    /// `read`, `operate` or `admin`.
    #[schema(value_type = ScopeName)]
    pub scope: String,
}

/// A new API key, with the key itself, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key's record.
    pub key: ApiKeyView,
    /// The key to send as `Authorization: Bearer …`; Gridlet keeps only its hash.
    pub api_key: String,
}

// ---------------------------------------------------------------- commands

/// A station's answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommandReplyView {
    /// The OCPP action sent, e.g. `Reset`, `RequestStartTransaction`.
    pub action: String,
    /// The answer's `status`, when it has one, e.g. `Accepted`.
    pub status: Option<String>,
    /// The answer as the station sent it (checked against the OCPP schema).
    pub payload: Value,
}

impl From<session::commands::CommandReply> for CommandReplyView {
    fn from(reply: session::commands::CommandReply) -> Self {
        CommandReplyView { action: reply.action, status: reply.status, payload: reply.payload }
    }
}

// ---------------------------------------------------------------- events

/// Something that happened, as the event stream tells it. `kind` says
/// which of the optional fields are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// Increasing within a server's run (also the SSE `id:`).
    pub seq: u64,
    /// `station.connected`, `station.disconnected`, `station.offline`,
    /// `station.booted`, `connector.status`, `transaction.started`,
    /// `transaction.updated`, `transaction.ended` or `command.completed`
    /// (also the SSE `event:`).
    pub kind: String,
    /// The station it concerns.
    pub station: String,
    /// When it happened.
    #[schema(format = DateTime)]
    pub at: String,
    /// `station.connected`: `1.6` or `2.0.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `station.disconnected`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `station.offline`: when it was last heard from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub last_heard: Option<String>,
    /// `station.booted`: the registration answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    /// `connector.status`: the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectorView>,
    /// `transaction.*`: the transaction as it now stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TransactionView>,
    /// `command.completed`: the OCPP action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `command.completed`: the answer's status, `answered`, or `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// `command.completed`: why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Sent as SSE event `events_lost` when a subscriber fell too far behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventsLost {
    /// How many events it missed.
    pub count: u64,
}

impl EventView {
    /// The view of a published notification.
    pub fn of(published: &session::events::Published) -> Self {
        use domain::Notification as N;
        let n = &published.notification;
        let mut view = EventView {
            seq: published.seq,
            kind: n.kind().to_owned(),
            station: n.station().to_string(),
            at: String::new(),
            protocol: None,
            reason: None,
            last_heard: None,
            registration: None,
            status: None,
            transaction: None,
            action: None,
            outcome: None,
            error: None,
        };
        let at = match n {
            N::StationConnected { protocol: p, at, .. } => {
                view.protocol = Some(protocol(*p));
                *at
            }
            N::StationDisconnected { reason, at, .. } => {
                view.reason = Some(reason.clone());
                *at
            }
            N::StationOffline { last_heard, at, .. } => {
                view.last_heard = Some(time(*last_heard));
                *at
            }
            N::StationBooted { registration, at, .. } => {
                view.registration = Some(registration.as_str().to_owned());
                *at
            }
            N::StatusChanged(status) => {
                view.status = Some(status.into());
                status.received_at
            }
            N::TransactionStarted(tx) | N::TransactionUpdated(tx) | N::TransactionEnded(tx) => {
                view.transaction = Some(tx.into());
                tx.updated_at
            }
            N::CommandCompleted { action, outcome, error, at, .. } => {
                view.action = Some(action.clone());
                view.outcome = Some(outcome.clone());
                view.error = error.clone();
                *at
            }
        };
        view.at = time(at);
        view
    }
}

// ---------------------------------------------------------------- queries

/// `?limit=&cursor=` of a plain list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
}

/// `GET /transactions` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransactionsQuery {
    /// Only this station's.
    #[param(value_type = Option<StationIdText>)]
    pub station: Option<String>,
    /// Only those of this token (any case).
    pub token: Option<String>,
    /// Only those started at or after this time (RFC 3339).
    #[param(value_type = Option<TimeText>)]
    pub from: Option<String>,
    /// Only those started before this time (RFC 3339).
    #[param(value_type = Option<TimeText>)]
    pub to: Option<String>,
    /// `active` or `ended` (matched ignoring case).
    #[param(value_type = Option<TransactionStateName>)]
    pub state: Option<String>,
    /// `asc` (oldest first, default) or `desc` (newest first), matched ignoring case.
    #[param(value_type = Option<OrderName>)]
    pub order: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
}

/// `GET /reservations` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReservationsQuery {
    /// Only this station's.
    #[param(value_type = Option<StationIdText>)]
    pub station: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
}

/// A time range and a page of a station's history.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// From this time on (RFC 3339; default: the beginning).
    #[param(value_type = Option<TimeText>)]
    pub from: Option<String>,
    /// Before this time (RFC 3339; default: now). A range where `from` is
    /// not before `to` holds nothing.
    #[param(value_type = Option<TimeText>)]
    pub to: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
}

/// A time range.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Start (RFC 3339; default: 24 hours before `to`).
    #[param(value_type = Option<TimeText>)]
    pub from: Option<String>,
    /// End (RFC 3339; default and at most: now). A range where `from` is
    /// not before `to` is empty.
    #[param(value_type = Option<TimeText>)]
    pub to: Option<String>,
}

/// `GET /events` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events of these stations (comma-separated ids).
    pub station: Option<String>,
    /// Only these kinds (comma-separated; `transaction` matches every
    /// `transaction.*` kind).
    pub kind: Option<String>,
}
