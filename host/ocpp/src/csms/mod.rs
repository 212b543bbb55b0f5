//! What the CSMS sends to stations, typed: one module per functional block.
//!
//! Each CSMS-initiated action has one home here. Its request and its answer
//! are the `ocpp-types` messages of the station's version; [`CsmsRequest`]
//! ties a request to its version, its action name and its answer, so
//! [`encode`] and [`decode_answer`] are the same two functions for every
//! action, and both check the payload against the official schema. A
//! block's module says which requests belong to it and what their answers
//! mean.
//!
//! | module | actions |
//! |---|---|
//! | [`core`] | Reset, ChangeAvailability, UnlockConnector, ClearCache, TriggerMessage, DataTransfer, RemoteStart/RequestStartTransaction, RemoteStop/RequestStopTransaction, 2.0.1 GetTransactionStatus |
//! | [`reservation`] | ReserveNow, CancelReservation |
//! | [`local_list`] | SendLocalList, GetLocalListVersion |
//! | [`configuration`] | 1.6 GetConfiguration, ChangeConfiguration |
//! | [`provisioning`] | 2.0.1 GetBaseReport, GetVariables, SetVariables |
//! | [`firmware`] | UpdateFirmware, 1.6 GetDiagnostics, 2.0.1 GetLog |
//!
//! Adding an action: implement [`CsmsRequest`] for its `ocpp-types` request
//! (one line in its block's `csms_requests!` list), build it where the
//! domain is known (`session::commands`) and send what [`encode`] returns.
//! The one-outstanding-CALL bookkeeping is [`crate::OutboundCalls`].

pub mod configuration;
pub mod core;
pub mod firmware;
pub mod local_list;
pub mod provisioning;
pub mod reservation;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{OcppVersion, PayloadKind, Violation};

/// A request the CSMS sends a station: an `ocpp-types` message of one
/// version, with the answer the station gives to it.
pub trait CsmsRequest: Serialize {
    /// The OCPP version this message belongs to.
    const VERSION: OcppVersion;
    /// The action, as the version names it.
    const ACTION: &'static str;
    /// The typed answer.
    type Answer: DeserializeOwned;
}

/// A request ready for the wire: its action and its schema-valid payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The action, as the station's version names it.
    pub action: &'static str,
    /// The payload, valid against the request schema.
    pub payload: Value,
}

/// Why a CSMS message could not be written or its answer not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutboundError {
    /// A value does not fit the field it is meant for.
    #[error("{field}: {reason}")]
    Field {
        /// The field, as OCPP names it.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The payload breaks the schema.
    #[error("{0}")]
    Schema(Violation),
    /// A schema-valid payload that does not fit the typed message (see the
    /// crate's "Known gaps").
    #[error("the payload does not fit the typed message: {0}")]
    Typed(String),
}

/// Writes `request` as a payload and checks it against its request schema.
pub fn encode<R: CsmsRequest>(request: &R) -> Result<Outgoing, OutboundError> {
    let payload = serde_json::to_value(request).map_err(|e| OutboundError::Typed(e.to_string()))?;
    crate::validate(R::VERSION, R::ACTION, PayloadKind::Request, &payload).map_err(OutboundError::Schema)?;
    Ok(Outgoing { action: R::ACTION, payload })
}

/// Checks a station's answer to a `R` against the response schema and
/// types it.
pub fn decode_answer<R: CsmsRequest>(payload: &Value) -> Result<R::Answer, OutboundError> {
    crate::validate(R::VERSION, R::ACTION, PayloadKind::Response, payload).map_err(OutboundError::Schema)?;
    serde_json::from_value(payload.clone()).map_err(|e| OutboundError::Typed(e.to_string()))
}

/// The `status` of a station's answer, as OCPP names the value, for an
/// answer that has one (every answer to a CSMS request but
/// GetConfiguration, GetLocalListVersion, GetVariables, SetVariables,
/// GetTransactionStatus and 1.6 UpdateFirmware and GetDiagnostics). For
/// `Raw` commands and reports; a typed reading is [`decode_answer`].
pub fn answer_status(payload: &Value) -> Option<String> {
    payload.get("status").and_then(Value::as_str).map(str::to_owned)
}

/// A bounded text field (`heapless::String<N>`, a 1.6 `IdTag`) from `value`;
/// fails when `value` is longer than the field allows.
pub fn text<T: for<'a> TryFrom<&'a str>>(field: &'static str, value: &str) -> Result<T, OutboundError> {
    T::try_from(value).map_err(|_| OutboundError::Field { field, reason: format!("{value:?} is too long") })
}

/// An enumerated field from the name OCPP gives the value (e.g.
/// `"StatusNotification"` for a 1.6 `requestedMessage`).
pub fn named<T: DeserializeOwned>(field: &'static str, value: &str) -> Result<T, OutboundError> {
    serde_json::from_value(Value::String(value.to_owned()))
        .map_err(|_| OutboundError::Field { field, reason: format!("{value:?} is not one of the values OCPP allows") })
}

/// An instant written as Gridlet writes every `dateTime` it sends: UTC with
/// exactly three fractional digits (`2026-11-21T10:00:00.000Z`). An
/// `ocpp-types` `OcppTimestamp` leaves a zero fraction out, so requests that
/// carry an instant are wrapped with this (see [`reservation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// Milliseconds since the unix epoch.
    pub unix_millis: i64,
}

impl Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::format_rfc3339_millis(self.unix_millis))
    }
}

/// Declares which `ocpp-types` requests of a block are sent by the CSMS:
/// `version: Request => Answer, "Action";`.
macro_rules! csms_requests {
    ($($version:ident: $request:ty => $answer:ty, $action:literal;)*) => {
        $(
            impl $crate::csms::CsmsRequest for $request {
                const VERSION: $crate::OcppVersion = $crate::OcppVersion::$version;
                const ACTION: &'static str = $action;
                type Answer = $answer;
            }
        )*
    };
}
pub(crate) use csms_requests;
