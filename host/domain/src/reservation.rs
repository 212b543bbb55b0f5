//! Reservations: a connector (or any connector of a station) held for a
//! token until an expiry time.

use crate::connector::EvseConnector;
use crate::station::StationId;
use crate::time::Timestamp;
use crate::token::IdToken;

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationState {
    /// Sent to the station; no answer yet.
    Requested,
    /// The station accepted it; it holds until it is used, cancelled or expires.
    Active,
    /// The station refused it (`Faulted`, `Occupied`, `Rejected`, `Unavailable`).
    Refused,
    /// Cancelled by the operator.
    Cancelled,
    /// A transaction used it.
    Used,
    /// It expired unused (or the station said it was removed).
    Expired,
}

impl ReservationState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Requested => "Requested",
            ReservationState::Active => "Active",
            ReservationState::Refused => "Refused",
            ReservationState::Cancelled => "Cancelled",
            ReservationState::Used => "Used",
            ReservationState::Expired => "Expired",
        }
    }

    /// Whether the reservation can still hold a connector.
    pub fn is_open(self) -> bool {
        matches!(self, ReservationState::Requested | ReservationState::Active)
    }
}

/// A reservation.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// Its id, unique across the network (OCPP's `reservationId`).
    pub id: i64,
    /// The station.
    pub station: StationId,
    /// The connector (1.6) or EVSE (2.0.1); `None` for any.
    pub location: Option<EvseConnector>,
    /// The token it is held for.
    pub id_token: IdToken,
    /// The token's group (1.6 `parentIdTag`, 2.0.1 `groupIdToken`).
    pub group_id: Option<String>,
    /// When it expires.
    pub expires_at: Timestamp,
    /// Where it stands.
    pub state: ReservationState,
    /// The station's answer, when it refused (e.g. `Occupied`).
    pub refusal: Option<String>,
    /// The transaction that used it.
    pub transaction: Option<u64>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Reservation {
    /// Its state at `now`: an open reservation past its expiry has expired.
    pub fn state_at(&self, now: Timestamp) -> ReservationState {
        if self.state.is_open() && self.expires_at <= now { ReservationState::Expired } else { self.state }
    }
}
