//! Where on a station something happens, and what the station says about it.
//!
//! Both OCPP versions are mapped onto one address, [`EvseConnector`]: OCPP
//! 2.0.1's EVSE id and connector id as they are, and an OCPP 1.6 connector
//! `N` as EVSE `N` with a single connector `1`. Connector 0 of 1.6 (and EVSE
//! 0 of 2.0.1) is the station as a whole, [`EvseConnector::STATION`].

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
    fn states_round_trip_through_their_ocpp_names() {
        for state in ConnectorState::ALL {
            assert_eq!(ConnectorState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ConnectorState::parse("Broken"), None);
    }
}
