//! The simulated station's state, without any I/O.
//!
//! [`StationState`] is what the station knows about itself: its connectors
//! (EVSEs in 2.0.1, one connector each) with their status, an energy
//! register per connector that advances with the power drawn, the
//! transactions it runs, its configuration (1.6 keys, 2.0.1 component
//! variables) and what the CSMS asked of it. [`crate::Station`] builds the
//! messages it sends from this state (see `messages`), and the
//! [`crate::CommandHandler`] answering CSMS CALLs reads and changes it.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ocpp::OcppVersion;
use serde_json::Value;
use tokio::sync::Notify;

use crate::clock::Clock;

/// How many CSMS commands [`StationState::received_commands`] remembers.
const RECEIVED_LOG_LEN: usize = 32;

/// Milliseconds in an hour: energy in watt-milliseconds over this is Wh.
const MS_PER_HOUR: u64 = 3_600_000;

/// Who the station says it is in its BootNotification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationIdentity {
    /// The vendor (1.6 `chargePointVendor`, 2.0.1 `vendorName`), at most 20 characters.
    pub vendor: String,
    /// The model, at most 20 characters.
    pub model: String,
    /// The serial number, if reported.
    pub serial_number: Option<String>,
    /// The firmware version, if reported.
    pub firmware_version: Option<String>,
}

impl Default for StationIdentity {
    fn default() -> Self {
        StationIdentity {
            vendor: "Gridlet".to_owned(),
            model: "Simulator".to_owned(),
            serial_number: None,
            firmware_version: Some(concat!("sim-", env!("CARGO_PKG_VERSION")).to_owned()),
        }
    }
}

/// A connector's status, as the station reports it.
///
/// 1.6 reports each state by name. 2.0.1 has fewer states: `Preparing`,
/// `Charging`, `SuspendedEvse`, `SuspendedEv` and `Finishing` are all
/// `Occupied` there; `Occupied` is written `Preparing` in 1.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectorStatus {
    /// Free for a new user.
    Available,
    /// A user presented a token or plugged in; no transaction yet.
    Preparing,
    /// Energy flows to the EV.
    Charging,
    /// The EVSE is not offering energy.
    SuspendedEvse,
    /// The EV is not taking energy.
    SuspendedEv,
    /// The transaction stopped; the connector is not free yet.
    Finishing,
    /// Held for a reservation.
    Reserved,
    /// Not available for charging.
    Unavailable,
    /// Out of order.
    Faulted,
    /// In use (2.0.1's name for everything between Available and Available).
    Occupied,
}

impl ConnectorStatus {
    /// The status as `version` writes it in a StatusNotification.
    pub fn as_str(self, version: OcppVersion) -> &'static str {
        use ConnectorStatus::*;
        match (self, version) {
            (Available, _) => "Available",
            (Reserved, _) => "Reserved",
            (Unavailable, _) => "Unavailable",
            (Faulted, _) => "Faulted",
            (
                Preparing | Charging | SuspendedEvse | SuspendedEv | Finishing | Occupied,
                OcppVersion::V201,
            ) => "Occupied",
            (Preparing | Occupied, OcppVersion::V16) => "Preparing",
            (Charging, OcppVersion::V16) => "Charging",
            (SuspendedEvse, OcppVersion::V16) => "SuspendedEVSE",
            (SuspendedEv, OcppVersion::V16) => "SuspendedEV",
            (Finishing, OcppVersion::V16) => "Finishing",
        }
    }
}

/// A name that is not a [`ConnectorStatus`] or [`StopReason`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}; expected one of {expected}")]
pub struct UnknownName {
    kind: &'static str,
    name: String,
    expected: &'static str,
}

impl FromStr for ConnectorStatus {
    type Err = UnknownName;

    /// Reads a status by its 1.6 or 2.0.1 name, ignoring case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        use ConnectorStatus::*;
        Ok(match name.to_ascii_lowercase().as_str() {
            "available" => Available,
            "preparing" => Preparing,
            "charging" => Charging,
            "suspendedevse" => SuspendedEvse,
            "suspendedev" => SuspendedEv,
            "finishing" => Finishing,
            "reserved" => Reserved,
            "unavailable" => Unavailable,
            "faulted" => Faulted,
            "occupied" => Occupied,
            _ => {
                return Err(UnknownName {
                    kind: "connector status",
                    name: name.to_owned(),
                    expected: "Available, Preparing, Charging, SuspendedEVSE, SuspendedEV, Finishing, Reserved, Unavailable, Faulted, Occupied",
                });
            }
        })
    }
}

/// Why a transaction stopped; the reasons both versions know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// The user stopped it at the station.
    Local,
    /// The CSMS stopped it.
    Remote,
    /// The cable was unplugged.
    EvDisconnected,
    /// The token was found invalid.
    DeAuthorized,
    /// The emergency stop was pressed.
    EmergencyStop,
    /// The station lost power.
    PowerLoss,
    /// The station rebooted.
    Reboot,
    /// A hard reset (2.0.1: an immediate reset).
    HardReset,
    /// Anything else.
    Other,
}

impl StopReason {
    /// The reason as `version` writes it (1.6 `reason`, 2.0.1 `stoppedReason`).
    pub fn as_str(self, version: OcppVersion) -> &'static str {
        match (self, version) {
            (StopReason::Local, _) => "Local",
            (StopReason::Remote, _) => "Remote",
            (StopReason::EvDisconnected, _) => "EVDisconnected",
            (StopReason::DeAuthorized, _) => "DeAuthorized",
            (StopReason::EmergencyStop, _) => "EmergencyStop",
            (StopReason::PowerLoss, _) => "PowerLoss",
            (StopReason::Reboot, _) => "Reboot",
            (StopReason::HardReset, OcppVersion::V16) => "HardReset",
            (StopReason::HardReset, OcppVersion::V201) => "ImmediateReset",
            (StopReason::Other, _) => "Other",
        }
    }

    /// The 2.0.1 `triggerReason` of the TransactionEvent that ends a
    /// transaction for this reason.
    pub(crate) fn trigger_reason(self) -> &'static str {
        match self {
            StopReason::Local => "StopAuthorized",
            StopReason::Remote => "RemoteStop",
            StopReason::EvDisconnected => "EVCommunicationLost",
            StopReason::DeAuthorized => "Deauthorized",
            StopReason::Reboot | StopReason::HardReset => "ResetCommand",
            StopReason::EmergencyStop | StopReason::PowerLoss | StopReason::Other => {
                "AbnormalCondition"
            }
        }
    }
}

impl FromStr for StopReason {
    type Err = UnknownName;

    /// Reads a reason by its 1.6 or 2.0.1 name, ignoring case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "local" => StopReason::Local,
            "remote" => StopReason::Remote,
            "evdisconnected" => StopReason::EvDisconnected,
            "deauthorized" => StopReason::DeAuthorized,
            "emergencystop" => StopReason::EmergencyStop,
            "powerloss" => StopReason::PowerLoss,
            "reboot" => StopReason::Reboot,
            "hardreset" | "immediatereset" => StopReason::HardReset,
            "other" => StopReason::Other,
            _ => {
                return Err(UnknownName {
                    kind: "stop reason",
                    name: name.to_owned(),
                    expected: "Local, Remote, EVDisconnected, DeAuthorized, EmergencyStop, PowerLoss, Reboot, HardReset, Other",
                });
            }
        })
    }
}

/// What a transaction start carries besides the connector and the token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartOptions {
    /// 2.0.1: the `remoteStartId` of the RequestStartTransaction this start
    /// answers (the TransactionEvent's `triggerReason` is then `RemoteStart`).
    pub remote_start_id: Option<i64>,
    /// The reservation the transaction uses (`reservationId`).
    pub reservation_id: Option<i64>,
}

/// The station's own name for a transaction, valid from the moment it
/// starts, before (and whether or not) the CSMS knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionHandle(pub(crate) u64);

/// A transaction's id on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TransactionId {
    /// 1.6: assigned by the CSMS in its StartTransaction answer.
    Csms(i64),
    /// 2.0.1: chosen by the station.
    Station(String),
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionId::Csms(id) => write!(f, "{id}"),
            TransactionId::Station(id) => f.write_str(id),
        }
    }
}

/// A transaction the station runs or ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The station's name for it.
    pub handle: TransactionHandle,
    /// The connector (2.0.1: EVSE) it runs on.
    pub connector: u32,
    /// The token that started it.
    pub id_token: String,
    /// Its id on the wire: in 1.6 unknown until the CSMS answers the start.
    pub id: Option<TransactionId>,
    /// The authorization status the CSMS last gave for it, e.g. `Accepted`.
    pub authorization: Option<String>,
    /// The energy register when it started, in Wh.
    pub meter_start_wh: u64,
    /// When it started, in unix ms.
    pub started_at_ms: i64,
    /// Whether it has been stopped.
    pub ended: bool,
    /// 2.0.1: the next TransactionEvent's `seqNo`.
    pub(crate) next_seq_no: u64,
}

/// One connector (in 2.0.1 the EVSE with the same number, which has this
/// one connector, numbered 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    /// Its number, from 1.
    pub id: u32,
    /// The status last reported (or set by the CSMS's commands).
    pub status: ConnectorStatus,
    /// Whether it is operative (ChangeAvailability).
    pub operative: bool,
    /// The power it draws now, in W: the station's charging power during a
    /// transaction, 0 otherwise, unless set with [`StationState::set_power`].
    pub power_w: u32,
    /// The transaction running on it.
    pub transaction: Option<TransactionHandle>,
    /// The energy register, in watt-milliseconds (exact, unlike Wh).
    energy_wms: u64,
    /// When the register was last advanced, in unix ms.
    read_at_ms: i64,
}

/// One configuration setting: a 1.6 configuration key, or a 2.0.1
/// variable of a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// 2.0.1: the component, e.g. `OCPPCommCtrlr`; `None` for 1.6 keys.
    pub component: Option<String>,
    /// The key or variable name, e.g. `HeartbeatInterval`.
    pub name: String,
    /// Its value, as text.
    pub value: String,
    /// Whether the CSMS may not change it.
    pub readonly: bool,
    /// Whether a new value must be a whole number.
    pub integer: bool,
}

/// A CALL the CSMS sent, as the station received it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedCommand {
    /// The action, e.g. `RemoteStartTransaction`.
    pub action: String,
    /// The request payload.
    pub payload: Value,
}

/// Everything the simulated station knows about itself. See the module
/// documentation.
pub struct StationState {
    pub(crate) version: OcppVersion,
    pub(crate) station_id: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) identity: StationIdentity,
    /// 2.0.1: the `type` of the idTokens the station reads, e.g. `ISO14443`.
    pub(crate) id_token_type: String,
    /// The power a connector draws while charging, in W.
    pub(crate) charging_power_w: u32,
    pub(crate) connectors: Vec<Connector>,
    pub(crate) transactions: BTreeMap<TransactionHandle, Transaction>,
    next_handle: u64,
    /// 2.0.1: makes the station's transaction ids unique across runs.
    transaction_id_prefix: String,
    pub(crate) settings: Vec<Setting>,
    /// The `status` of the last BootNotification answer.
    pub(crate) boot_status: Option<String>,
    /// The last Reset the CSMS asked for and the station accepted (`Hard`,
    /// `Soft`, `Immediate`, `OnIdle`).
    pub(crate) reset_requested: Option<String>,
    /// The local authorization list's version.
    pub(crate) local_list_version: i64,
    /// Reservations the station accepted: id and connector (`None`: any).
    pub(crate) reservations: BTreeMap<i64, Option<u32>>,
    received: VecDeque<ReceivedCommand>,
    /// Woken whenever a CSMS command is recorded.
    pub(crate) received_notify: Arc<Notify>,
}

impl StationState {
    /// A station with `connectors` connectors (at least one), all Available
    /// and operative, each register at 0 Wh.
    pub(crate) fn new(
        version: OcppVersion,
        station_id: String,
        clock: Arc<dyn Clock>,
        connectors: u32,
        charging_power_w: u32,
    ) -> Self {
        let now = clock.now_ms();
        let connectors = (1..=connectors.max(1))
            .map(|id| Connector {
                id,
                status: ConnectorStatus::Available,
                operative: true,
                power_w: 0,
                transaction: None,
                energy_wms: 0,
                read_at_ms: now,
            })
            .collect::<Vec<_>>();
        let settings = default_settings(version, &station_id, connectors.len());
        StationState {
            version,
            station_id,
            clock,
            identity: StationIdentity::default(),
            id_token_type: "ISO14443".to_owned(),
            charging_power_w,
            connectors,
            transactions: BTreeMap::new(),
            next_handle: 1,
            transaction_id_prefix: format!("{:x}", now.max(0)),
            settings,
            boot_status: None,
            reset_requested: None,
            local_list_version: 0,
            reservations: BTreeMap::new(),
            received: VecDeque::new(),
            received_notify: Arc::new(Notify::new()),
        }
    }

    /// The OCPP version the station speaks.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// The station's identity (its id in the URL).
    pub fn station_id(&self) -> &str {
        &self.station_id
    }

    /// The station's clock, in unix ms.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The connectors, numbered from 1.
    pub fn connectors(&self) -> &[Connector] {
        &self.connectors
    }

    /// Connector `id`, if it exists.
    pub fn connector(&self, id: u32) -> Option<&Connector> {
        self.connectors.iter().find(|connector| connector.id == id)
    }

    pub(crate) fn connector_mut(&mut self, id: u32) -> Option<&mut Connector> {
        self.connectors
            .iter_mut()
            .find(|connector| connector.id == id)
    }

    /// Sets the power connector `id` draws from now on (for load tests and
    /// suspended charging). Returns false if there is no such connector.
    pub fn set_power(&mut self, id: u32, power_w: u32) -> bool {
        let now = self.now_ms();
        match self.connector_mut(id) {
            Some(connector) => {
                connector.advance(now);
                connector.power_w = power_w;
                true
            }
            None => false,
        }
    }

    /// Connector `id`'s energy register now, in Wh (rounded down).
    pub fn energy_wh(&mut self, id: u32) -> Option<u64> {
        let now = self.now_ms();
        self.connector_mut(id)
            .map(|connector| connector.read_wh(now))
    }

    /// The transaction with `handle`, running or ended.
    pub fn transaction(&self, handle: TransactionHandle) -> Option<&Transaction> {
        self.transactions.get(&handle)
    }

    /// The running transactions.
    pub fn active_transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.transactions
            .values()
            .filter(|transaction| !transaction.ended)
    }

    /// The running transaction whose wire id is `id`.
    pub fn transaction_by_id(&self, id: &TransactionId) -> Option<&Transaction> {
        self.active_transactions()
            .find(|transaction| transaction.id.as_ref() == Some(id))
    }

    /// The `status` of the CSMS's answer to the last BootNotification.
    pub fn boot_status(&self) -> Option<&str> {
        self.boot_status.as_deref()
    }

    /// The heartbeat interval in seconds: `HeartbeatInterval` as the CSMS
    /// last set it (by the boot answer or a configuration change).
    pub fn heartbeat_interval_s(&self) -> u64 {
        self.setting(heartbeat_component(self.version), "HeartbeatInterval")
            .and_then(|setting| setting.value.parse().ok())
            .unwrap_or(300)
    }

    /// The reset the CSMS last asked for and the station accepted.
    pub fn reset_requested(&self) -> Option<&str> {
        self.reset_requested.as_deref()
    }

    /// The local authorization list's version.
    pub fn local_list_version(&self) -> i64 {
        self.local_list_version
    }

    /// The reservations the station holds: id and connector (`None`: any).
    pub fn reservations(&self) -> &BTreeMap<i64, Option<u32>> {
        &self.reservations
    }

    /// The configuration: 1.6 keys or 2.0.1 component variables.
    pub fn settings(&self) -> &[Setting] {
        &self.settings
    }

    /// The setting `name` (of `component` in 2.0.1; `None` in 1.6).
    pub fn setting(&self, component: Option<&str>, name: &str) -> Option<&Setting> {
        self.settings
            .iter()
            .find(|setting| setting.component.as_deref() == component && setting.name == name)
    }

    /// Sets a setting's value, adding it if it is new.
    pub fn set_setting(&mut self, component: Option<&str>, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self
            .settings
            .iter_mut()
            .find(|setting| setting.component.as_deref() == component && setting.name == name)
        {
            Some(setting) => setting.value = value,
            None => self.settings.push(Setting {
                component: component.map(str::to_owned),
                name: name.to_owned(),
                value,
                readonly: false,
                integer: false,
            }),
        }
    }

    /// The last few CALLs the CSMS sent, oldest first.
    pub fn received_commands(&self) -> impl Iterator<Item = &ReceivedCommand> {
        self.received.iter()
    }

    /// Takes the oldest recorded command `action` out of the log.
    pub fn take_command(&mut self, action: &str) -> Option<ReceivedCommand> {
        let index = self
            .received
            .iter()
            .position(|command| command.action == action)?;
        self.received.remove(index)
    }

    pub(crate) fn record_command(&mut self, action: &str, payload: &Value) {
        if self.received.len() == RECEIVED_LOG_LEN {
            self.received.pop_front();
        }
        self.received.push_back(ReceivedCommand {
            action: action.to_owned(),
            payload: payload.clone(),
        });
        self.received_notify.notify_waiters();
    }

    /// Opens a transaction on `connector`: the connector starts drawing the
    /// charging power and the register's reading is its start value.
    pub(crate) fn open_transaction(
        &mut self,
        connector: u32,
        id_token: &str,
    ) -> Result<TransactionHandle, StateError> {
        let now = self.now_ms();
        let power = self.charging_power_w;
        let handle = TransactionHandle(self.next_handle);
        let id = match self.version {
            OcppVersion::V16 => None,
            OcppVersion::V201 => Some(TransactionId::Station(format!(
                "{}-{}",
                self.transaction_id_prefix, handle.0
            ))),
        };
        let slot = self
            .connector_mut(connector)
            .ok_or(StateError::UnknownConnector(connector))?;
        if slot.transaction.is_some() {
            return Err(StateError::ConnectorBusy(connector));
        }
        let meter_start_wh = slot.read_wh(now);
        slot.power_w = power;
        slot.transaction = Some(handle);
        self.next_handle += 1;
        // A transaction on a reserved connector uses its reservation.
        self.reservations
            .retain(|_, reserved| *reserved != Some(connector));
        self.transactions.insert(
            handle,
            Transaction {
                handle,
                connector,
                id_token: id_token.to_owned(),
                id,
                authorization: None,
                meter_start_wh,
                started_at_ms: now,
                ended: false,
                next_seq_no: 0,
            },
        );
        Ok(handle)
    }

    /// Ends a transaction: its connector stops drawing power and is free.
    pub(crate) fn close_transaction(
        &mut self,
        handle: TransactionHandle,
    ) -> Result<Transaction, StateError> {
        let now = self.now_ms();
        let transaction = self
            .transactions
            .get_mut(&handle)
            .ok_or(StateError::UnknownTransaction(handle))?;
        if transaction.ended {
            return Err(StateError::TransactionEnded(handle));
        }
        transaction.ended = true;
        let ended = transaction.clone();
        if let Some(connector) = self.connector_mut(ended.connector) {
            connector.advance(now);
            connector.power_w = 0;
            connector.transaction = None;
        }
        Ok(ended)
    }

    /// A running transaction, or why it can't be used.
    pub(crate) fn running(&self, handle: TransactionHandle) -> Result<&Transaction, StateError> {
        match self.transactions.get(&handle) {
            None => Err(StateError::UnknownTransaction(handle)),
            Some(transaction) if transaction.ended => Err(StateError::TransactionEnded(handle)),
            Some(transaction) => Ok(transaction),
        }
    }

    pub(crate) fn transaction_mut(
        &mut self,
        handle: TransactionHandle,
    ) -> Option<&mut Transaction> {
        self.transactions.get_mut(&handle)
    }

    /// Takes the next `seqNo` of a 2.0.1 transaction.
    pub(crate) fn take_seq_no(&mut self, handle: TransactionHandle) -> u64 {
        match self.transactions.get_mut(&handle) {
            Some(transaction) => {
                let seq_no = transaction.next_seq_no;
                transaction.next_seq_no += 1;
                seq_no
            }
            None => 0,
        }
    }

    /// Forgets ended transactions that `keep` does not name.
    pub(crate) fn forget_ended_transactions(&mut self, keep: impl Fn(TransactionHandle) -> bool) {
        self.transactions
            .retain(|handle, transaction| !transaction.ended || keep(*handle));
    }

    /// Reads connector `id`'s register and power now: `(Wh, W)`.
    pub(crate) fn read_meter(&mut self, id: u32) -> Result<(u64, u32), StateError> {
        let now = self.now_ms();
        let connector = self
            .connector_mut(id)
            .ok_or(StateError::UnknownConnector(id))?;
        Ok((connector.read_wh(now), connector.power_w))
    }
}

impl Connector {
    /// Adds the energy drawn since the last reading.
    fn advance(&mut self, now_ms: i64) {
        if now_ms > self.read_at_ms {
            let elapsed = (now_ms - self.read_at_ms).unsigned_abs();
            self.energy_wms = self
                .energy_wms
                .saturating_add(u64::from(self.power_w).saturating_mul(elapsed));
            self.read_at_ms = now_ms;
        }
    }

    fn read_wh(&mut self, now_ms: i64) -> u64 {
        self.advance(now_ms);
        self.energy_wms / MS_PER_HOUR
    }
}

/// A request the station's state cannot carry out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// No connector with this number.
    #[error("connector {0} does not exist")]
    UnknownConnector(u32),
    /// The connector already runs a transaction.
    #[error("connector {0} already has a transaction")]
    ConnectorBusy(u32),
    /// No transaction with this handle.
    #[error("no transaction {0:?}")]
    UnknownTransaction(TransactionHandle),
    /// The transaction has been stopped.
    #[error("transaction {0:?} has ended")]
    TransactionEnded(TransactionHandle),
    /// 1.6: the CSMS has not (yet) assigned the transaction an id, so a
    /// StopTransaction for it cannot be written.
    #[error("the csms never assigned an id to transaction {0:?}")]
    NoTransactionId(TransactionHandle),
}

/// The component that holds `HeartbeatInterval` in `version`.
pub(crate) fn heartbeat_component(version: OcppVersion) -> Option<&'static str> {
    match version {
        OcppVersion::V16 => None,
        OcppVersion::V201 => Some("OCPPCommCtrlr"),
    }
}

/// The settings a fresh station has.
fn default_settings(version: OcppVersion, station_id: &str, connectors: usize) -> Vec<Setting> {
    // (component, name, value, readonly, integer)
    let connectors = connectors.to_string();
    let table: Vec<(Option<&str>, &str, &str, bool, bool)> = match version {
        OcppVersion::V16 => vec![
            (None, "AuthorizeRemoteTxRequests", "false", false, false),
            (None, "ConnectionTimeOut", "60", false, true),
            (None, "GetConfigurationMaxKeys", "50", true, true),
            (None, "HeartbeatInterval", "300", false, true),
            (None, "LocalAuthListEnabled", "true", false, false),
            (None, "LocalAuthorizeOffline", "true", false, false),
            (None, "LocalPreAuthorize", "false", false, false),
            (None, "MeterValueSampleInterval", "60", false, true),
            (
                None,
                "MeterValuesSampledData",
                "Energy.Active.Import.Register,Power.Active.Import",
                false,
                false,
            ),
            (None, "NumberOfConnectors", &connectors, true, true),
            (None, "StopTransactionOnInvalidId", "true", false, false),
            (
                None,
                "SupportedFeatureProfiles",
                "Core,FirmwareManagement,LocalAuthListManagement,Reservation,RemoteTrigger",
                true,
                false,
            ),
            (None, "TransactionMessageAttempts", "3", false, true),
            (None, "TransactionMessageRetryInterval", "60", false, true),
        ],
        OcppVersion::V201 => vec![
            (
                Some("AuthCtrlr"),
                "AuthorizeRemoteStart",
                "false",
                false,
                false,
            ),
            (
                Some("OCPPCommCtrlr"),
                "HeartbeatInterval",
                "300",
                false,
                true,
            ),
            (
                Some("SampledDataCtrlr"),
                "TxUpdatedInterval",
                "60",
                false,
                true,
            ),
            (
                Some("SampledDataCtrlr"),
                "TxUpdatedMeasurands",
                "Energy.Active.Import.Register,Power.Active.Import",
                false,
                false,
            ),
            (Some("SecurityCtrlr"), "Identity", station_id, true, false),
            (Some("SecurityCtrlr"), "SecurityProfile", "1", true, true),
            (Some("TxCtrlr"), "EVConnectionTimeOut", "60", false, true),
            (Some("TxCtrlr"), "StopTxOnInvalidId", "true", false, false),
        ],
    };
    table
        .into_iter()
        .map(|(component, name, value, readonly, integer)| Setting {
            component: component.map(str::to_owned),
            name: name.to_owned(),
            value: value.to_owned(),
            readonly,
            integer,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn station(version: OcppVersion, clock: &ManualClock) -> StationState {
        StationState::new(
            version,
            "CP1".to_owned(),
            Arc::new(clock.clone()),
            2,
            11_000,
        )
    }

    #[test]
    fn the_register_advances_with_the_power_drawn() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut state = station(OcppVersion::V16, &clock);
        let handle = state.open_transaction(1, "TAG").unwrap();
        clock.advance(60 * 60 * 1000 / 2);
        assert_eq!(state.read_meter(1).unwrap(), (5_500, 11_000));
        assert_eq!(state.read_meter(2).unwrap(), (0, 0));
        state.set_power(1, 3_600);
        clock.advance(1_000);
        assert_eq!(state.energy_wh(1), Some(5_501));
        state.close_transaction(handle).unwrap();
        clock.advance(60 * 60 * 1000);
        assert_eq!(
            state.energy_wh(1),
            Some(5_501),
            "no power after the transaction"
        );
    }

    #[test]
    fn a_connector_runs_one_transaction_at_a_time() {
        let clock = ManualClock::new(0);
        let mut state = station(OcppVersion::V201, &clock);
        let first = state.open_transaction(1, "A").unwrap();
        assert_eq!(
            state.open_transaction(1, "B"),
            Err(StateError::ConnectorBusy(1))
        );
        assert_eq!(
            state.open_transaction(3, "B"),
            Err(StateError::UnknownConnector(3))
        );
        let second = state.open_transaction(2, "B").unwrap();
        assert_ne!(
            state.transaction(first).unwrap().id,
            state.transaction(second).unwrap().id
        );
        state.close_transaction(first).unwrap();
        assert_eq!(
            state.close_transaction(first),
            Err(StateError::TransactionEnded(first))
        );
        state.forget_ended_transactions(|_| false);
        assert!(state.transaction(first).is_none());
        assert!(state.transaction(second).is_some());
    }

    #[test]
    fn statuses_and_reasons_are_written_per_version() {
        assert_eq!(
            ConnectorStatus::SuspendedEvse.as_str(OcppVersion::V16),
            "SuspendedEVSE"
        );
        assert_eq!(
            ConnectorStatus::Charging.as_str(OcppVersion::V201),
            "Occupied"
        );
        assert_eq!(
            ConnectorStatus::Occupied.as_str(OcppVersion::V16),
            "Preparing"
        );
        assert_eq!(
            StopReason::HardReset.as_str(OcppVersion::V201),
            "ImmediateReset"
        );
        assert_eq!("suspendedEV".parse(), Ok(ConnectorStatus::SuspendedEv));
        assert_eq!("EVDisconnected".parse(), Ok(StopReason::EvDisconnected));
        assert!("Sleeping".parse::<ConnectorStatus>().is_err());
    }
}
