//! Where on a station something happens, and what the station says about it.
//!
//! Both OCPP versions are mapped onto one address, [`EvseConnector`]: OCPP
//! 2.0.1's EVSE id and connector id as they are, and an OCPP 1.6 connector
//! `N` as EVSE `N` with a single connector `1`. Connector 0 of 1.6 (and EVSE
//! 0 of 2.0.1) is the station as a whole, [`EvseConnector::STATION`].
//!
//! A station may only name EVSEs and connectors up to the operator's
//! [`ConnectorLimits`]: every id in a message is checked before anything is
//! kept for it, so a station cannot make Gridlet keep state for connectors it
//! does not have.

use std::fmt;

use crate::station::StationId;
use crate::time::Timestamp;

/// An EVSE and one of its connectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EvseConnector {
    /// EVSE id; 0 is the station as a whole.
    pub evse: u32,
    /// Connector id on that EVSE, starting at 1; 0 when the EVSE as a whole is meant.
    pub connector: u32,
}

impl EvseConnector {
    /// The station as a whole.
    pub const STATION: EvseConnector = EvseConnector { evse: 0, connector: 0 };

    /// The address of OCPP 1.6 connector `connector_id`.
    pub fn from_v16(connector_id: u32) -> Self {
        EvseConnector { evse: connector_id, connector: u32::from(connector_id != 0) }
    }

    /// The OCPP 1.6 connector id of this address.
    pub fn v16_connector_id(self) -> u32 {
        self.evse
    }
}

/// The highest EVSE id and connector id (per EVSE) a station may name.
/// An OCPP 1.6 `connectorId` is an EVSE id here (connector `N` is EVSE `N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectorLimits {
    /// The highest EVSE id (2.0.1 `evseId`, 1.6 `connectorId`).
    pub max_evse_id: u32,
    /// The highest connector id on one EVSE (2.0.1 `connectorId`).
    pub max_connector_id: u32,
}

impl Default for ConnectorLimits {
    /// 32 EVSEs of up to 8 connectors each: more than any station has.
    fn default() -> Self {
        ConnectorLimits { max_evse_id: 32, max_connector_id: 8 }
    }
}

/// An EVSE or connector id outside 0 ..= the configured maximum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {id} is out of range: this server accepts {field} from 0 to {max}")]
pub struct IdOutOfRange {
    /// The id's name in the message, e.g. `connectorId` or `evse.id`.
    pub field: String,
    /// The id the station sent.
    pub id: i64,
    /// The highest id accepted.
    pub max: u32,
}

impl ConnectorLimits {
    /// `id`, the EVSE id named `field` in the message, if it is within the limit.
    pub fn evse(&self, field: &str, id: i64) -> Result<u32, IdOutOfRange> {
        within(field, id, self.max_evse_id)
    }

    /// `id`, the connector id named `field` in the message, if it is within the limit.
    pub fn connector(&self, field: &str, id: i64) -> Result<u32, IdOutOfRange> {
        within(field, id, self.max_connector_id)
    }

    /// The address of OCPP 1.6 `connectorId` `id`, if it is within the EVSE limit.
    pub fn v16_connector(&self, id: i64) -> Result<EvseConnector, IdOutOfRange> {
        self.evse("connectorId", id).map(EvseConnector::from_v16)
    }
}

fn within(field: &str, id: i64, max: u32) -> Result<u32, IdOutOfRange> {
    u32::try_from(id)
        .ok()
        .filter(|id| *id <= max)
        .ok_or_else(|| IdOutOfRange { field: field.to_owned(), id, max })
}

impl fmt::Display for EvseConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "evse {} connector {}", self.evse, self.connector)
    }
}

/// A connector's operational state, the union of both versions' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectorState {
    /// Free for a new user.
    Available,
    /// 1.6: a user is starting (plugged in or presented a token).
    Preparing,
    /// 1.6: energy flows.
    Charging,
    /// 1.6: the EV suspends charging.
    SuspendedEv,
    /// 1.6: the station suspends charging.
    SuspendedEvse,
    /// 1.6: the transaction has stopped, the connector is not free yet.
    Finishing,
    /// Reserved for a token.
    Reserved,
    /// Not available for charging.
    Unavailable,
    /// In fault.
    Faulted,
    /// 2.0.1: in use (plugged in, charging or not).
    Occupied,
}

impl ConnectorState {
    /// Every state, in OCPP's order.
    pub const ALL: [ConnectorState; 10] = [
        ConnectorState::Available,
        ConnectorState::Preparing,
        ConnectorState::Charging,
        ConnectorState::SuspendedEv,
        ConnectorState::SuspendedEvse,
        ConnectorState::Finishing,
        ConnectorState::Reserved,
        ConnectorState::Unavailable,
        ConnectorState::Faulted,
        ConnectorState::Occupied,
    ];

    /// OCPP's name for the state, e.g. `SuspendedEV`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorState::Available => "Available",
            ConnectorState::Preparing => "Preparing",
            ConnectorState::Charging => "Charging",
            ConnectorState::SuspendedEv => "SuspendedEV",
            ConnectorState::SuspendedEvse => "SuspendedEVSE",
            ConnectorState::Finishing => "Finishing",
            ConnectorState::Reserved => "Reserved",
            ConnectorState::Unavailable => "Unavailable",
            ConnectorState::Faulted => "Faulted",
            ConnectorState::Occupied => "Occupied",
        }
    }

    /// Parses OCPP's name for the state.
    pub fn parse(s: &str) -> Option<Self> {
        ConnectorState::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

/// One status report for a connector (1.6 or 2.0.1 StatusNotification).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorStatus {
    /// The reporting station.
    pub station: StationId,
    /// The connector reported on.
    pub location: EvseConnector,
    /// Its state.
    pub state: ConnectorState,
    /// 1.6 `errorCode` when it is not `NoError` (e.g. `GroundFailure`).
    pub error_code: Option<String>,
    /// 1.6 free-text `info`.
    pub info: Option<String>,
    /// 1.6 `vendorId` of a vendor-specific error code.
    pub vendor_id: Option<String>,
    /// 1.6 `vendorErrorCode`.
    pub vendor_error_code: Option<String>,
    /// When the station says the state began, if it said.
    pub reported_at: Option<Timestamp>,
    /// When Gridlet received the report.
    pub received_at: Timestamp,
}

impl ConnectorStatus {
    /// Whether this report is a fault: state `Faulted`, or an error code.
    pub fn is_fault(&self) -> bool {
        self.state == ConnectorState::Faulted || self.error_code.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v16_connectors_map_to_single_connector_evses() {
        assert_eq!(EvseConnector::from_v16(0), EvseConnector::STATION);
        assert_eq!(EvseConnector::from_v16(2), EvseConnector { evse: 2, connector: 1 });
        assert_eq!(EvseConnector::from_v16(2).v16_connector_id(), 2);
    }

    #[test]
    fn ids_beyond_the_limits_are_refused_with_the_field_named() {
        let limits = ConnectorLimits { max_evse_id: 4, max_connector_id: 2 };
        assert_eq!(limits.v16_connector(4), Ok(EvseConnector { evse: 4, connector: 1 }));
        assert_eq!(limits.v16_connector(0), Ok(EvseConnector::STATION));
        assert_eq!(limits.connector("connectorId", 2), Ok(2));
        assert_eq!(
            limits.v16_connector(2_000_000_000).unwrap_err().to_string(),
            "connectorId 2000000000 is out of range: this server accepts connectorId from 0 to 4"
        );
        assert!(limits.evse("evseId", 5).is_err());
        assert!(limits.evse("evseId", -1).is_err());
        assert!(limits.connector("evse.connectorId", 3).is_err());
        assert!(limits.connector("connectorId", i64::MAX).is_err());
    }

    #[test]
    fn states_round_trip_through_their_ocpp_names() {
        for state in ConnectorState::ALL {
            assert_eq!(ConnectorState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ConnectorState::parse("Broken"), None);
    }
}
