//! The Reservation block: ReserveNow and CancelReservation, in both versions.
//!
//! | action | what the answer's status means |
//! |---|---|
//! | ReserveNow | `Accepted`: the reservation holds until it expires or is used; otherwise why not (`Faulted`, `Occupied`, `Rejected`, `Unavailable`) |
//! | CancelReservation | `Accepted`: cancelled; `Rejected`: the station has no such reservation |
//!
//! [`reserve_now_answer`] and [`cancel_reservation_answer`] read an answer
//! of either version as that meaning.
//!
//! ReserveNow's requests are Gridlet's own ([`V16ReserveNowRequest`],
//! [`V201ReserveNowRequest`]): `ocpp-types` writes an `OcppTimestamp`
//! without a fraction when it is zero, where Gridlet has always written
//! three digits ([`super::Instant`]). Their answers are `ocpp-types`'.

use serde::Serialize;
use serde_json::Value;

use super::{Instant, OutboundError, csms_requests, decode_answer};
use crate::{OcppVersion, v16, v201};

/// A 1.6 ReserveNow request (the fields of `ocpp_types::v16::ReserveNowRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V16ReserveNowRequest {
    /// The connector; 0 is any.
    #[serde(rename = "connectorId")]
    pub connector_id: i64,
    /// When the reservation ends.
    #[serde(rename = "expiryDate")]
    pub expiry_date: Instant,
    /// The token it is for.
    #[serde(rename = "idTag")]
    pub id_tag: v16::IdTag,
    /// The token's group, so any token of the group may use it.
    #[serde(rename = "parentIdTag", skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<v16::IdTag>,
    /// The reservation's id.
    #[serde(rename = "reservationId")]
    pub reservation_id: i64,
}

/// A 2.0.1 ReserveNow request (the fields of
/// `ocpp_types::v201::ReserveNowRequest` Gridlet sends; no `connectorType`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201ReserveNowRequest {
    /// The EVSE; none is any.
    #[serde(rename = "evseId", skip_serializing_if = "Option::is_none")]
    pub evse_id: Option<i64>,
    /// When the reservation ends.
    #[serde(rename = "expiryDateTime")]
    pub expiry_date_time: Instant,
    /// The token's group, so any token of the group may use it.
    #[serde(rename = "groupIdToken", skip_serializing_if = "Option::is_none")]
    pub group_id_token: Option<v201::IdToken>,
    /// The reservation's id.
    pub id: i64,
    /// The token it is for.
    #[serde(rename = "idToken")]
    pub id_token: v201::IdToken,
}

csms_requests! {
    V16: V16ReserveNowRequest => v16::ReserveNowResponse, "ReserveNow";
    V16: v16::CancelReservationRequest => v16::CancelReservationResponse, "CancelReservation";
    V201: V201ReserveNowRequest => v201::ReserveNowResponse, "ReserveNow";
    V201: v201::CancelReservationRequest => v201::CancelReservationResponse, "CancelReservation";
}

/// What a station's answer to ReserveNow says: `Ok` when it holds the
/// reservation, otherwise the status it refused with, as OCPP names it.
pub fn reserve_now_answer(version: OcppVersion, payload: &Value) -> Result<Result<(), &'static str>, OutboundError> {
    Ok(match version {
        OcppVersion::V16 => match decode_answer::<V16ReserveNowRequest>(payload)?.status {
            v16::ReserveNowResponseStatus::Accepted => Ok(()),
            v16::ReserveNowResponseStatus::Faulted => Err("Faulted"),
            v16::ReserveNowResponseStatus::Occupied => Err("Occupied"),
            v16::ReserveNowResponseStatus::Rejected => Err("Rejected"),
            v16::ReserveNowResponseStatus::Unavailable => Err("Unavailable"),
        },
        OcppVersion::V201 => match decode_answer::<V201ReserveNowRequest>(payload)?.status {
            v201::ReserveNowStatusEnum::Accepted => Ok(()),
            v201::ReserveNowStatusEnum::Faulted => Err("Faulted"),
            v201::ReserveNowStatusEnum::Occupied => Err("Occupied"),
            v201::ReserveNowStatusEnum::Rejected => Err("Rejected"),
            v201::ReserveNowStatusEnum::Unavailable => Err("Unavailable"),
        },
    })
}

/// Whether a station's answer to CancelReservation says it cancelled it.
pub fn cancel_reservation_answer(version: OcppVersion, payload: &Value) -> Result<bool, OutboundError> {
    Ok(match version {
        OcppVersion::V16 => {
            decode_answer::<v16::CancelReservationRequest>(payload)?.status
                == v16::CancelReservationResponseStatus::Accepted
        }
        OcppVersion::V201 => {
            decode_answer::<v201::CancelReservationRequest>(payload)?.status
                == v201::CancelReservationStatusEnum::Accepted
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::csms::encode;

    #[test]
    fn answers_mean_held_or_why_not() {
        for version in [OcppVersion::V16, OcppVersion::V201] {
            assert_eq!(reserve_now_answer(version, &json!({"status": "Accepted"})), Ok(Ok(())));
            assert_eq!(reserve_now_answer(version, &json!({"status": "Occupied"})), Ok(Err("Occupied")));
            assert!(matches!(reserve_now_answer(version, &json!({"status": "Maybe"})), Err(OutboundError::Schema(_))));
            assert_eq!(cancel_reservation_answer(version, &json!({"status": "Accepted"})), Ok(true));
            assert_eq!(cancel_reservation_answer(version, &json!({"status": "Rejected"})), Ok(false));
        }
    }

    #[test]
    fn reserve_now_writes_its_expiry_with_milliseconds() {
        let reserve = V16ReserveNowRequest {
            connector_id: 1,
            expiry_date: Instant { unix_millis: 1_795_248_000_000 },
            id_tag: crate::csms::text("idTag", "TAG1").unwrap(),
            parent_id_tag: None,
            reservation_id: 7,
        };
        let reserve = encode(&reserve).unwrap();
        assert_eq!(
            reserve.payload,
            json!({"connectorId": 1, "expiryDate": "2026-11-21T08:00:00.000Z", "idTag": "TAG1", "reservationId": 7})
        );
    }

    #[test]
    fn cancel_is_written_as_the_schema_wants() {
        let cancel = encode(&v201::CancelReservationRequest { custom_data: None, reservation_id: 7 }).unwrap();
        assert_eq!((cancel.action, cancel.payload), ("CancelReservation", json!({"reservationId": 7})));
    }
}
