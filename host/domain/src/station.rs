//! Charging stations: who they are, whether the operator lets them in, and
//! what they said about themselves when they booted.

use std::fmt;

use crate::time::Timestamp;

/// The longest station identity OCPP allows (2.0.1's `identity`, 48 characters).
pub const MAX_STATION_ID_LEN: usize = 48;

/// A charging station's identity: the last segment of its OCPP URL and its
/// HTTP Basic user name.
///
/// OCPP 2.0.1 restricts identities to `a-z A-Z 0-9 * - _ = + | @ .` (its
/// `identifierString` without the colon, which Basic authentication forbids).
/// Gridlet applies the same rule to 1.6 stations. Identities compare exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StationId(String);

/// Why a string is not a [`StationId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidStationId {
    /// The identity is empty.
    #[error("station id is empty")]
    Empty,
    /// The identity is longer than [`MAX_STATION_ID_LEN`].
    #[error("station id is {0} characters long; at most {MAX_STATION_ID_LEN} are allowed")]
    TooLong(usize),
    /// The identity holds a character outside the allowed set.
    #[error("station id contains {0:?}; allowed are letters, digits and * - _ = + | @ .")]
    BadCharacter(char),
}

impl StationId {
    /// Checks `id` against OCPP's identity rules.
    pub fn parse(id: &str) -> Result<Self, InvalidStationId> {
        if id.is_empty() {
            return Err(InvalidStationId::Empty);
        }
        let len = id.chars().count();
        if len > MAX_STATION_ID_LEN {
            return Err(InvalidStationId::TooLong(len));
        }
        if let Some(bad) = id.chars().find(|c| !is_identity_char(*c)) {
            return Err(InvalidStationId::BadCharacter(bad));
        }
        Ok(StationId(id.to_owned()))
    }

    /// The identity as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_identity_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_' | '=' | '+' | '|' | '@' | '.')
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OCPP version a station speaks on its current or last connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// OCPP 1.6J (edition 2, with the security whitepaper).
    Ocpp16,
    /// OCPP 2.0.1.
    Ocpp201,
}

impl ProtocolVersion {
    /// The version as operators write it: `1.6` or `2.0.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::Ocpp16 => "1.6",
            ProtocolVersion::Ocpp201 => "2.0.1",
        }
    }
}

/// The operator's decision about a station, answered in BootNotification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Registration {
    /// The station may operate.
    Accepted,
    /// Known, but waiting for an operator to approve it.
    Pending,
    /// Refused by the operator.
    Rejected,
}

impl Registration {
    /// OCPP's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Accepted => "Accepted",
            Registration::Pending => "Pending",
            Registration::Rejected => "Rejected",
        }
    }

    /// Parses OCPP's name for the status, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        [Registration::Accepted, Registration::Pending, Registration::Rejected]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }
}

/// What a station says about itself in BootNotification (both versions).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BootInfo {
    /// Vendor name (1.6 `chargePointVendor`, 2.0.1 `chargingStation.vendorName`).
    pub vendor: String,
    /// Model (1.6 `chargePointModel`, 2.0.1 `chargingStation.model`).
    pub model: String,
    /// Serial number of the station.
    pub serial_number: Option<String>,
    /// 1.6 only: serial number of the charge box inside the charge point.
    pub charge_box_serial_number: Option<String>,
    /// Firmware version the station runs.
    pub firmware_version: Option<String>,
    /// ICCID of the modem's SIM card.
    pub iccid: Option<String>,
    /// IMSI of the modem's SIM card.
    pub imsi: Option<String>,
    /// 1.6 only: type of the main electrical meter.
    pub meter_type: Option<String>,
    /// 1.6 only: serial number of the main electrical meter.
    pub meter_serial_number: Option<String>,
    /// 2.0.1 only: why the station booted (`PowerUp`, `FirmwareUpdate`, …).
    pub reason: Option<String>,
}

/// The last status a station reported for a long-running operation (firmware
/// update, diagnostics upload, log upload).
#[derive(Debug, Clone, PartialEq)]
pub struct OperationStatus {
    /// The status as the station named it, e.g. `Downloading` or `Uploaded`.
    pub status: String,
    /// 2.0.1 request id the status belongs to, when given.
    pub request_id: Option<i64>,
    /// When Gridlet received the report.
    pub received_at: Timestamp,
}

/// A charging station as Gridlet keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    /// Its identity.
    pub id: StationId,
    /// Whether the operator has let it in.
    pub registration: Registration,
    /// Argon2id hash (PHC string) of its HTTP Basic password; `None` when it
    /// has none (only allowed when the operator permits password-less stations).
    pub password_hash: Option<String>,
    /// When Gridlet first learnt of it.
    pub created_at: Timestamp,
    /// The OCPP version of its latest connection.
    pub protocol: Option<ProtocolVersion>,
    /// What it reported in its latest BootNotification.
    pub boot: Option<BootInfo>,
    /// When that BootNotification arrived.
    pub booted_at: Option<Timestamp>,
    /// Its latest firmware update status.
    pub firmware_status: Option<OperationStatus>,
    /// Its latest diagnostics upload status (1.6).
    pub diagnostics_status: Option<OperationStatus>,
    /// Its latest log upload status.
    pub log_status: Option<OperationStatus>,
    /// The group (site) the operator put it in; a tariff assigned to the
    /// group applies to it (see [`crate::pricing::tariff_for`]).
    pub group: Option<String>,
}

impl Station {
    /// A station the operator registers, accepted from the start.
    pub fn registered(id: StationId, password_hash: Option<String>, now: Timestamp) -> Self {
        Station {
            id,
            registration: Registration::Accepted,
            password_hash,
            created_at: now,
            protocol: None,
            boot: None,
            booted_at: None,
            firmware_status: None,
            diagnostics_status: None,
            log_status: None,
            group: None,
        }
    }

    /// An unknown station that connected and waits for an operator's approval.
    /// `password_hash` is the hash of the password it presented, if any: once
    /// approved, that password is the one it must keep using.
    pub fn awaiting_approval(id: StationId, password_hash: Option<String>, now: Timestamp) -> Self {
        Station { registration: Registration::Pending, ..Station::registered(id, password_hash, now) }
    }

    /// Records a BootNotification and returns the registration status to
    /// answer with: the operator's decision, whatever the station says.
    pub fn record_boot(&mut self, info: BootInfo, protocol: ProtocolVersion, now: Timestamp) -> Registration {
        self.boot = Some(info);
        self.booted_at = Some(now);
        self.protocol = Some(protocol);
        self.registration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_ids_follow_ocpp_identity_rules() {
        assert!(StationId::parse("CP-001").is_ok());
        assert!(StationId::parse("a*b-c_d=e+f|g@h.i").is_ok());
        assert_eq!(StationId::parse(""), Err(InvalidStationId::Empty));
        assert_eq!(StationId::parse(&"x".repeat(49)), Err(InvalidStationId::TooLong(49)));
        assert!(StationId::parse(&"x".repeat(48)).is_ok());
        assert_eq!(StationId::parse("CP:1"), Err(InvalidStationId::BadCharacter(':')));
        assert_eq!(StationId::parse("CP/1"), Err(InvalidStationId::BadCharacter('/')));
        assert_eq!(StationId::parse("CP 1"), Err(InvalidStationId::BadCharacter(' ')));
        assert_eq!(StationId::parse("CPé"), Err(InvalidStationId::BadCharacter('é')));
    }

    #[test]
    fn boot_answers_the_operators_decision() {
        let id = StationId::parse("CP1").unwrap();
        let now = Timestamp::from_unix_millis(1000);
        let mut pending = Station::awaiting_approval(id.clone(), None, now);
        let info = BootInfo { vendor: "V".into(), model: "M".into(), ..BootInfo::default() };
        assert_eq!(pending.record_boot(info.clone(), ProtocolVersion::Ocpp16, now), Registration::Pending);
        assert_eq!(pending.boot.as_ref(), Some(&info));
        let mut accepted = Station::registered(id, None, now);
        assert_eq!(accepted.record_boot(info, ProtocolVersion::Ocpp201, now), Registration::Accepted);
        assert_eq!(accepted.protocol, Some(ProtocolVersion::Ocpp201));
    }
}
