//! Gridlet's OCPP-J protocol layer: the only crate that knows the wire
//! format.
//!
//! It is sans-IO: no sockets, no async runtime, no clock. A session hands it
//! WebSocket text messages and the current time, and gets back frames, typed
//! requests, CALLERROR codes and message ids. It speaks OCPP 1.6J (with the
//! Security Whitepaper edition 3 actions) and OCPP 2.0.1, selected per
//! connection by [`OcppVersion`]; a later version is one more variant, one
//! more folder of schemas and one more module.
//!
//! # Layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`OcppVersion`] | the versions and their WebSocket subprotocols |
//! | [`decode_frame`], [`Frame`] | OCPP-J framing: `[2, id, action, payload]`, `[3, id, payload]`, `[4, id, code, description, details]` |
//! | [`ErrorCode`] | CALLERROR codes, spelled per version |
//! | [`actions`], [`action`] | every action of each version and who sends it |
//! | [`validate`] | payloads against the official OCPP JSON schemas |
//! | [`decode_station_request`], [`v16`], [`v201`] | what stations send, typed with [`ocpp_types`] |
//! | [`csms`] | what the CSMS sends stations, typed: one module per functional block, encode, decode and the answers' meaning |
//! | [`OutboundCalls`] | the one outstanding CALL per direction |
//! | [`timestamp_to_unix_millis`] and friends | OCPP `dateTime` ⇄ unix milliseconds |
//!
//! # Handling an inbound message
//!
//! ```
//! use ocpp::{Frame, OcppVersion, StationRequest, decode_frame, decode_station_request, v16};
//!
//! let version = OcppVersion::V16;
//! let text = r#"[2,"42","Heartbeat",{}]"#;
//! let Ok(Frame::Call(call)) = decode_frame(text) else { unreachable!() };
//! match decode_station_request(version, &call) {
//!     Ok(StationRequest::V16(v16::StationRequest::Heartbeat(_))) => { /* answer with a CALLRESULT */ }
//!     Ok(_) => {}
//!     Err(rejection) => {
//!         let reply = Frame::CallError(rejection.to_call_error(&call.unique_id));
//!         let _text = reply.to_text(version);
//!     }
//! }
//! ```
//!
//! # Schemas
//!
//! Payloads are checked against the OCA's official JSON schemas, vendored
//! verbatim in `schemas/` (see its README) and embedded in the binary. Each
//! is compiled on first use, once per process, and shared by all
//! connections; [`compile_schemas`] compiles a version's up front. The 1.6
//! core schemas are draft-04, the 1.6 security extension's and 2.0.1's
//! draft-06; `date-time` and `uri` formats are checked.
//!
//! # Which CALLERROR code a schema violation gets
//!
//! [`validate`] reports the first violation, in the schema's own order, with
//! the code whose definition (OCPP-J 2.0.1 Part 4, "Valid Error Codes"; 1.6
//! section 4.2.3) fits the schema keyword that failed:
//!
//! | keyword | code | the specification's definition |
//! |---|---|---|
//! | `type`, `format` | [`ErrorCode::TypeConstraintViolation`] | payload for Action is syntactically correct but at least one of the fields violates data type constraints (e.g. "somestring": 12) |
//! | `required`, `minItems`, `maxItems` | [`ErrorCode::OccurrenceConstraintViolation`] | payload for Action is syntactically correct but at least one of the fields violates occurrence constraints |
//! | `enum`, `maxLength`, `minLength`, `minimum`, `maximum`, `multipleOf`, `pattern` | [`ErrorCode::PropertyConstraintViolation`] | payload is syntactically correct but at least one field contains an invalid value |
//! | `additionalProperties`; a payload that is not an object; any other keyword | [`ErrorCode::FormatViolation`] | payload for Action is syntactically incorrect (1.6 `FormationViolation`: … or not conform the PDU structure for Action) |
//!
//! # Known gaps in the typed messages
//!
//! [`decode_station_request`] types payloads with the `ocpp-types` crate
//! after they pass the schema. A few schema-valid payloads do not fit its
//! types; they are refused with [`ErrorCode::FormatViolation`] and a
//! description that says so. Tests named `gap_*` in `v16` and `v201` pin each
//! one, so an `ocpp-types` upgrade that closes a gap shows up as a failing
//! test:
//!
//! - string bounds are bytes in `ocpp-types` (`heapless::String<N>`) but
//!   characters in the schemas, so a bounded string with non-ASCII
//!   characters may fit the schema and not the type (a 20-character 1.6
//!   `idTag` of `Ä`s is 40 bytes; a 2.0.1 display message of 300 CJK
//!   characters);
//! - integers are `i64`: a schema "integer" written as `1.0` (an integer to
//!   2.0.1's draft-06) or beyond the `i64` range does not decode;
//! - 1.6 `MeterValues` allows the unit `Hertz`, which `ocpp-types` (sharing
//!   one unit enum with `StopTransaction`) cannot represent.
//!
//! The first gap holds on the way out too: [`csms::text`] refuses a
//! bounded string whose bytes exceed the bound although its characters fit
//! (pinned by `gap_outbound_bounds_count_bytes` in `csms::core`); the
//! command is refused as invalid rather than sent.
//!
//! And one on the way out: a 2.0.1 `customData` object is accepted and
//! dropped ([`ocpp_types::NoCustomData`]), but a decoded `Some(NoCustomData)`
//! is written back as `{}`, which the schema refuses (`vendorId` is
//! required). Build answers with `custom_data: None`; never echo a decoded
//! request.

mod actions;
mod error_code;
mod frame;
mod outbound;
mod schema;
mod station;
mod time;
mod version;

pub mod csms;
pub mod v16;
pub mod v201;

pub use actions::{ActionInfo, Direction, action, actions};
pub use error_code::ErrorCode;
pub use frame::{
    Call, CallError, CallResult, Frame, FrameError, MAX_UNIQUE_ID_LEN, decode_frame, peek_unique_id,
};
pub use outbound::{Busy, MAX_PREFIX_LEN, Matched, OutboundCalls};
pub use schema::{PayloadKind, SchemaError, Violation, compile_schemas, validate};
pub use station::{EncodeError, Rejection, StationRequest, decode_station_request, encode_payload};
pub use time::{
    format_rfc3339_millis, parse_rfc3339_millis, timestamp_to_unix_millis, unix_millis_to_timestamp,
};
pub use version::OcppVersion;

/// The `ocpp-types` crate the typed messages come from.
pub use ocpp_types;
/// An OCPP `dateTime`, as the typed messages carry it.
pub use ocpp_types::OcppTimestamp;
