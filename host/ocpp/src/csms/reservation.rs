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
//! Not yet typed on the way out: ReserveNow's request. `ocpp-types` writes
//! an `OcppTimestamp` without a fraction when it is zero, where Gridlet has
//! always written three digits (`…T10:00:00.000Z`); until a wrapper keeps
//! that, `session::commands` still writes ReserveNow as JSON.

use serde_json::Value;

use super::{OutboundError, csms_requests, decode_answer};
use crate::{OcppVersion, v16, v201};

csms_requests! {
    V16: v16::ReserveNowRequest => v16::ReserveNowResponse, "ReserveNow";
    V16: v16::CancelReservationRequest => v16::CancelReservationResponse, "CancelReservation";
    V201: v201::ReserveNowRequest => v201::ReserveNowResponse, "ReserveNow";
    V201: v201::CancelReservationRequest => v201::CancelReservationResponse, "CancelReservation";
}

/// What a station's answer to ReserveNow says: `Ok` when it holds the
/// reservation, otherwise the status it refused with, as OCPP names it.
pub fn reserve_now_answer(version: OcppVersion, payload: &Value) -> Result<Result<(), &'static str>, OutboundError> {
    Ok(match version {
        OcppVersion::V16 => match decode_answer::<v16::ReserveNowRequest>(payload)?.status {
            v16::ReserveNowResponseStatus::Accepted => Ok(()),
            v16::ReserveNowResponseStatus::Faulted => Err("Faulted"),
            v16::ReserveNowResponseStatus::Occupied => Err("Occupied"),
            v16::ReserveNowResponseStatus::Rejected => Err("Rejected"),
            v16::ReserveNowResponseStatus::Unavailable => Err("Unavailable"),
        },
        OcppVersion::V201 => match decode_answer::<v201::ReserveNowRequest>(payload)?.status {
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
    fn cancel_is_written_as_the_schema_wants() {
        let cancel = encode(&v201::CancelReservationRequest { custom_data: None, reservation_id: 7 }).unwrap();
        assert_eq!((cancel.action, cancel.payload), ("CancelReservation", json!({"reservationId": 7})));
    }
}
