//! The CSMS side of the protocol: typing what charging stations send, and
//! turning Gridlet's answers back into payloads.
//!
//! [`decode_station_request`] takes a decoded [`Call`] through every check
//! the specification asks for, in order: is the action known, is it one a
//! station may send, does the payload satisfy the official schema, and then
//! types it with `ocpp-types`. Each refusal is a [`Rejection`] carrying the
//! CALLERROR code to answer with.

use serde::Serialize;
use serde_json::Value;

use crate::{Call, CallError, ErrorCode, OcppVersion, PayloadKind, Violation, v16, v201};

/// A request a charging station sent, typed, for either version.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "see `station_requests!`")]
pub enum StationRequest {
    /// An OCPP 1.6J request.
    V16(v16::StationRequest),
    /// An OCPP 2.0.1 request.
    V201(v201::StationRequest),
}

impl StationRequest {
    /// The protocol version the request was sent in.
    pub fn version(&self) -> OcppVersion {
        match self {
            StationRequest::V16(_) => OcppVersion::V16,
            StationRequest::V201(_) => OcppVersion::V201,
        }
    }

    /// The request's action name, e.g. `BootNotification`.
    pub fn action(&self) -> &'static str {
        match self {
            StationRequest::V16(request) => request.action(),
            StationRequest::V201(request) => request.action(),
        }
    }
}

/// Why a station's request is refused, and the CALLERROR code to refuse it
/// with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{description}")]
pub struct Rejection {
    /// The code to answer with.
    pub code: ErrorCode,
    /// What is wrong, for the station's operator; goes into the
    /// CALLERROR's errorDescription.
    pub description: String,
}

impl Rejection {
    /// The CALLERROR answering the CALL `unique_id` with this rejection.
    pub fn to_call_error(&self, unique_id: &str) -> CallError {
        CallError::new(unique_id, self.code, self.description.clone())
    }
}

impl From<Violation> for Rejection {
    fn from(violation: Violation) -> Self {
        Rejection {
            code: violation.code,
            description: violation.message,
        }
    }
}

/// Types a CALL a charging station sent on a connection of `version`.
///
/// | refusal | code |
/// |---|---|
/// | the version defines no such action | [`ErrorCode::NotImplemented`] |
/// | the action is one only the CSMS sends | [`ErrorCode::NotSupported`] |
/// | the payload breaks the official schema | the code of [`crate::validate`]'s mapping |
/// | the payload satisfies the schema but `ocpp-types` cannot represent it (see the crate documentation's "Known gaps") | [`ErrorCode::FormatViolation`] |
pub fn decode_station_request(
    version: OcppVersion,
    call: &Call,
) -> Result<StationRequest, Rejection> {
    let action = call.action.as_str();
    let Some(info) = crate::action(version, action) else {
        return Err(Rejection {
            code: ErrorCode::NotImplemented,
            description: format!("{action:?} is not an OCPP {version} action"),
        });
    };
    if !info.direction.sent_by_station() {
        return Err(Rejection {
            code: ErrorCode::NotSupported,
            description: format!("{action} is sent by the CSMS, not by a charging station"),
        });
    }
    crate::validate(version, action, PayloadKind::Request, &call.payload)?;

    let typed = match version {
        OcppVersion::V16 => v16::StationRequest::decode(action, &call.payload)
            .map(|typed| typed.map(StationRequest::V16)),
        OcppVersion::V201 => v201::StationRequest::decode(action, &call.payload)
            .map(|typed| typed.map(StationRequest::V201)),
    };
    match typed {
        Some(Ok(request)) => Ok(request),
        Some(Err(error)) => Err(Rejection {
            code: ErrorCode::FormatViolation,
            description: format!(
                "the {action} payload satisfies the OCPP {version} schema but Gridlet's message types \
                 (ocpp-types) cannot represent it: {error}"
            ),
        }),
        // Unreachable while every station-sent action has a variant, which
        // the tests check; refuse rather than panic all the same.
        None => Err(Rejection {
            code: ErrorCode::InternalError,
            description: format!("{action} has no typed form in OCPP {version}"),
        }),
    }
}

/// A payload that could not be turned into JSON.
#[derive(Debug, thiserror::Error)]
#[error("could not encode the payload: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

/// Turns a message built from `ocpp-types` structs (or anything
/// serializable) into a payload for [`crate::CallResult`] or [`Call`].
///
/// Fails only for types whose serialization can fail, which no `ocpp-types`
/// message does.
pub fn encode_payload<T: Serialize>(value: &T) -> Result<Value, EncodeError> {
    Ok(serde_json::to_value(value)?)
}

/// Declares a version's `StationRequest`: one variant per action a station
/// may send, named after the action and holding its `ocpp-types` request.
///
/// Requests are held by value, as the rest of Gridlet matches on them. A few
/// `ocpp-types` requests are large (a 2.0.1 `AuthorizeRequest` holds up to
/// four OCSP hashes inline: 3.5 KB), so the enum is too; it is a short-lived
/// value, moved from the decoder to a handler, and should not be held across
/// an `.await`.
macro_rules! station_requests {
    ($($action:ident($request:ty),)*) => {
        /// A request a charging station sent, typed: one variant per action
        /// a station may send.
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant, reason = "see `station_requests!`")]
        pub enum StationRequest {
            $(
                #[doc = concat!("A `", stringify!($action), "` request.")]
                $action($request),
            )*
        }

        impl StationRequest {
            /// The request's action name.
            pub fn action(&self) -> &'static str {
                match self {
                    $(StationRequest::$action(_) => stringify!($action),)*
                }
            }

            /// Types `payload` as the request of `action`; `None` if a
            /// station does not send `action`.
            pub(crate) fn decode(
                action: &str,
                payload: &serde_json::Value,
            ) -> Option<Result<Self, serde_json::Error>> {
                Some(match action {
                    $(stringify!($action) => {
                        <$request as serde::Deserialize>::deserialize(payload).map(StationRequest::$action)
                    })*
                    _ => return None,
                })
            }
        }
    };
}
pub(crate) use station_requests;

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::{Frame, validate};

    /// The folder of example payloads for `version` under `tests/data`.
    pub(crate) fn data_dir(version: OcppVersion) -> PathBuf {
        let dir = match version {
            OcppVersion::V16 => "v16",
            OcppVersion::V201 => "v201",
        };
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(dir)
    }

    /// The example request of every action a station sends in `version`,
    /// as (action, payload).
    pub(crate) fn example_requests(version: OcppVersion) -> Vec<(&'static str, Value)> {
        station_actions(version)
            .into_iter()
            .map(|action| {
                let path = data_dir(version)
                    .join("requests")
                    .join(format!("{action}.json"));
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                (action, serde_json::from_str(&text).unwrap())
            })
            .collect()
    }

    /// The actions a station sends in `version`, sorted by name.
    pub(crate) fn station_actions(version: OcppVersion) -> Vec<&'static str> {
        crate::actions(version)
            .iter()
            .filter(|action| action.direction.sent_by_station())
            .map(|action| action.name)
            .collect()
    }

    /// `responses` answer every request a station sends in `version`, and
    /// each satisfies its schema.
    pub(crate) fn assert_valid_answers(version: OcppVersion, responses: &[(&str, Value)]) {
        let mut answered: Vec<&str> = responses.iter().map(|(action, _)| *action).collect();
        answered.sort_unstable();
        assert_eq!(answered, station_actions(version));
        for (action, payload) in responses {
            assert_eq!(
                validate(version, action, PayloadKind::Response, payload),
                Ok(()),
                "{version} {action}: {payload}"
            );
        }
    }

    /// Pins an ocpp-types gap: `payload` satisfies the schema of `action`,
    /// yet is refused as a FormatViolation that blames ocpp-types. Returns
    /// the refusal's description.
    pub(crate) fn assert_ocpp_types_gap(
        version: OcppVersion,
        action: &str,
        payload: Value,
    ) -> String {
        assert_eq!(
            validate(version, action, PayloadKind::Request, &payload),
            Ok(())
        );
        let rejection = decode_station_request(version, &call(action, payload)).unwrap_err();
        assert_eq!(rejection.code, ErrorCode::FormatViolation);
        assert!(
            rejection
                .description
                .contains("(ocpp-types) cannot represent it"),
            "{rejection}"
        );
        rejection.description
    }

    pub(crate) fn call(action: &str, payload: Value) -> Call {
        Call {
            unique_id: "1".into(),
            action: action.into(),
            payload,
        }
    }

    #[test]
    fn there_is_an_example_for_exactly_every_station_request() {
        for version in OcppVersion::ALL {
            let files: BTreeSet<String> = std::fs::read_dir(data_dir(version).join("requests"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
            let expected: BTreeSet<String> = station_actions(version)
                .into_iter()
                .map(|action| format!("{action}.json"))
                .collect();
            assert_eq!(files, expected, "{version}");
        }
    }

    #[test]
    fn every_example_request_validates_and_decodes() {
        for version in OcppVersion::ALL {
            for (action, payload) in example_requests(version) {
                assert_eq!(
                    validate(version, action, PayloadKind::Request, &payload),
                    Ok(()),
                    "{version} {action}"
                );
                let request = decode_station_request(version, &call(action, payload))
                    .unwrap_or_else(|rejection| panic!("{version} {action}: {rejection}"));
                assert_eq!((request.version(), request.action()), (version, action));
            }
        }
    }

    /// Decoding keeps what the station sent: the typed request encodes back
    /// to a payload that is still valid and decodes to the same request.
    #[test]
    fn decoded_requests_encode_back_to_valid_payloads() {
        for version in OcppVersion::ALL {
            for (action, payload) in example_requests(version) {
                let request = decode_station_request(version, &call(action, payload)).unwrap();
                let encoded = match &request {
                    StationRequest::V16(typed) => encode_v16(typed),
                    StationRequest::V201(typed) => encode_v201(typed),
                };
                assert_eq!(
                    validate(version, action, PayloadKind::Request, &encoded),
                    Ok(()),
                    "{version} {action}"
                );
                assert_eq!(
                    decode_station_request(version, &call(action, encoded)),
                    Ok(request)
                );
            }
        }
    }

    fn encode_v16(request: &v16::StationRequest) -> Value {
        use v16::StationRequest as R;
        match request {
            R::Authorize(r) => encode_payload(r),
            R::BootNotification(r) => encode_payload(r),
            R::DataTransfer(r) => encode_payload(r),
            R::DiagnosticsStatusNotification(r) => encode_payload(r),
            R::FirmwareStatusNotification(r) => encode_payload(r),
            R::Heartbeat(r) => encode_payload(r),
            R::MeterValues(r) => encode_payload(r),
            R::StartTransaction(r) => encode_payload(r),
            R::StatusNotification(r) => encode_payload(r),
            R::StopTransaction(r) => encode_payload(r),
            R::SecurityEventNotification(r) => encode_payload(r),
            R::SignCertificate(r) => encode_payload(r),
            R::LogStatusNotification(r) => encode_payload(r),
            R::SignedFirmwareStatusNotification(r) => encode_payload(r),
        }
        .unwrap()
    }

    fn encode_v201(request: &v201::StationRequest) -> Value {
        use v201::StationRequest as R;
        match request {
            R::Authorize(r) => encode_payload(r),
            R::BootNotification(r) => encode_payload(r),
            R::ClearedChargingLimit(r) => encode_payload(r),
            R::DataTransfer(r) => encode_payload(r),
            R::FirmwareStatusNotification(r) => encode_payload(r),
            R::Get15118EVCertificate(r) => encode_payload(r),
            R::GetCertificateStatus(r) => encode_payload(r),
            R::Heartbeat(r) => encode_payload(r),
            R::LogStatusNotification(r) => encode_payload(r),
            R::MeterValues(r) => encode_payload(r),
            R::NotifyChargingLimit(r) => encode_payload(r),
            R::NotifyCustomerInformation(r) => encode_payload(r),
            R::NotifyDisplayMessages(r) => encode_payload(r),
            R::NotifyEVChargingNeeds(r) => encode_payload(r),
            R::NotifyEVChargingSchedule(r) => encode_payload(r),
            R::NotifyEvent(r) => encode_payload(r),
            R::NotifyMonitoringReport(r) => encode_payload(r),
            R::NotifyReport(r) => encode_payload(r),
            R::PublishFirmwareStatusNotification(r) => encode_payload(r),
            R::ReportChargingProfiles(r) => encode_payload(r),
            R::ReservationStatusUpdate(r) => encode_payload(r),
            R::SecurityEventNotification(r) => encode_payload(r),
            R::SignCertificate(r) => encode_payload(r),
            R::StatusNotification(r) => encode_payload(r),
            R::TransactionEvent(r) => encode_payload(r),
        }
        .unwrap()
    }

    /// One value inside an example payload, with the schema that governs it.
    struct Field<'a> {
        /// JSON pointer to the value.
        pointer: String,
        /// The pointer with array indices written `*`, to report each
        /// schema location once.
        pattern: String,
        schema: &'a Value,
        /// The example's value there.
        value: Value,
    }

    /// `schema`, or the definition its `$ref` points to.
    fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => root.pointer(reference.trim_start_matches('#')).unwrap(),
            None => schema,
        }
    }

    /// Every value inside `value`, paired with its schema, following
    /// `$ref`s into the root schema's `definitions`.
    fn fields<'a>(
        root: &'a Value,
        schema: &'a Value,
        value: &Value,
        pointer: String,
        pattern: String,
        found: &mut Vec<Field<'a>>,
    ) {
        let schema = resolve(root, schema);
        match value {
            Value::Object(members) => {
                let properties = schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten();
                for (name, member_schema) in properties {
                    let (pointer, pattern) =
                        (format!("{pointer}/{name}"), format!("{pattern}/{name}"));
                    match members.get(name) {
                        Some(member) => {
                            fields(root, member_schema, member, pointer, pattern, found)
                        }
                        // An optional enum the example leaves out is tried too.
                        None if resolve(root, member_schema).get("enum").is_some() => {
                            found.push(Field {
                                pointer,
                                pattern,
                                schema: resolve(root, member_schema),
                                value: Value::Null,
                            })
                        }
                        None => {}
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    fields(
                        root,
                        &schema["items"],
                        item,
                        format!("{pointer}/{index}"),
                        format!("{pattern}/*"),
                        found,
                    );
                }
            }
            _ => {}
        }
        found.push(Field {
            pointer,
            pattern,
            schema,
            value: value.clone(),
        });
    }

    /// Runs `check` on every value of every example request of `version`,
    /// with a function that returns the example with that value replaced.
    fn for_each_field(
        version: OcppVersion,
        mut check: impl FnMut(&str, &Field<'_>, &dyn Fn(Value) -> Value),
    ) {
        for (action, payload) in example_requests(version) {
            let schemas = crate::actions::schemas(version, action).unwrap();
            let schema: Value = serde_json::from_str(schemas.request.source).unwrap();
            let mut found = Vec::new();
            fields(
                &schema,
                &schema,
                &payload,
                String::new(),
                String::new(),
                &mut found,
            );
            for field in &found {
                let replace = |replacement: Value| {
                    let Some((parent, key)) = field.pointer.rsplit_once('/') else {
                        return replacement;
                    };
                    let mut changed = payload.clone();
                    match changed.pointer_mut(parent).unwrap() {
                        Value::Object(members) => {
                            members.insert(key.to_owned(), replacement);
                        }
                        Value::Array(items) => items[key.parse::<usize>().unwrap()] = replacement,
                        other => panic!("{parent} is {other}, not a container"),
                    }
                    changed
                };
                check(action, field, &replace);
            }
        }
    }

    fn decodes(version: OcppVersion, action: &str, payload: Value) -> bool {
        decode_station_request(version, &call(action, payload)).is_ok()
    }

    /// Every value an `enum` allows, in every enum field the examples use,
    /// is valid; returns those that do not decode (ocpp-types gaps), as
    /// `Action/pattern="value"`.
    pub(crate) fn enum_values_that_do_not_decode(version: OcppVersion) -> Vec<String> {
        let mut failures = BTreeSet::new();
        for_each_field(version, |action, field, replace| {
            for option in field
                .schema
                .get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let changed = replace(option.clone());
                assert_eq!(
                    validate(version, action, PayloadKind::Request, &changed),
                    Ok(())
                );
                if !decodes(version, action, changed) {
                    failures.insert(format!("{action}{}={option}", field.pattern));
                }
            }
        });
        failures.into_iter().collect()
    }

    /// What happens at the bounds of every bounded field the examples use.
    #[derive(Debug, Default)]
    pub(crate) struct BoundaryFailures {
        /// Strings of exactly `maxLength` ASCII characters, or arrays of
        /// exactly `maxItems` items, that do not decode.
        pub(crate) ascii_at_limit: Vec<String>,
        /// Strings or arrays one over their limit that the schema accepted.
        pub(crate) over_limit_accepted: Vec<String>,
        /// Strings of exactly `maxLength` two-byte characters that do not
        /// decode (ocpp-types bounds bytes, the schemas characters).
        pub(crate) non_ascii_at_limit: Vec<String>,
    }

    pub(crate) fn boundary_failures(version: OcppVersion) -> BoundaryFailures {
        let mut failures = BoundaryFailures::default();
        let mut seen = BTreeSet::new();
        for_each_field(version, |action, field, replace| {
            if !seen.insert(format!("{action}{}", field.pattern)) {
                return;
            }
            let name = format!("{action}{}", field.pattern);
            let limit = |keyword: &str| {
                field
                    .schema
                    .get(keyword)
                    .and_then(Value::as_u64)
                    .map(|limit| usize::try_from(limit).unwrap())
            };
            let (at_limit, over_limit, non_ascii) = if let Some(max) = limit("maxLength") {
                (
                    json!("x".repeat(max)),
                    json!("x".repeat(max + 1)),
                    Some(json!("é".repeat(max))),
                )
            } else if let Some(max) = limit("maxItems") {
                let first = field.value[0].clone();
                (
                    Value::Array(vec![first.clone(); max]),
                    Value::Array(vec![first; max + 1]),
                    None,
                )
            } else {
                return;
            };
            if !decodes(version, action, replace(at_limit)) {
                failures.ascii_at_limit.push(name.clone());
            }
            if validate(version, action, PayloadKind::Request, &replace(over_limit)).is_ok() {
                failures.over_limit_accepted.push(name.clone());
            }
            if let Some(non_ascii) = non_ascii
                && !decodes(version, action, replace(non_ascii))
            {
                failures.non_ascii_at_limit.push(name);
            }
        });
        failures
    }

    #[test]
    fn unknown_actions_are_not_implemented() {
        for (version, action) in [
            (OcppVersion::V16, "TransactionEvent"),
            (OcppVersion::V201, "StartTransaction"),
            (OcppVersion::V16, "heartbeat"),
        ] {
            let rejection = decode_station_request(version, &call(action, json!({}))).unwrap_err();
            assert_eq!(
                rejection.code,
                ErrorCode::NotImplemented,
                "{version} {action}"
            );
        }
    }

    #[test]
    fn actions_only_the_csms_sends_are_not_supported() {
        for version in OcppVersion::ALL {
            for action in crate::actions(version)
                .iter()
                .filter(|action| !action.direction.sent_by_station())
            {
                let rejection =
                    decode_station_request(version, &call(action.name, json!({}))).unwrap_err();
                assert_eq!(
                    rejection.code,
                    ErrorCode::NotSupported,
                    "{version} {}",
                    action.name
                );
                assert_eq!(
                    rejection.description,
                    format!(
                        "{} is sent by the CSMS, not by a charging station",
                        action.name
                    )
                );
            }
        }
    }

    #[test]
    fn schema_violations_are_rejected_with_their_code() {
        let rejection = decode_station_request(
            OcppVersion::V16,
            &call("StartTransaction", json!({"connectorId": 1, "idTag": "X", "meterStart": "0", "timestamp": "2026-11-21T10:00:00Z"})),
        )
        .unwrap_err();
        assert_eq!(rejection.code, ErrorCode::TypeConstraintViolation);
        assert_eq!(
            rejection.description,
            r#"meterStart: expected integer, got "0""#
        );
        let error = rejection.to_call_error("abc");
        assert_eq!(
            Frame::CallError(error).to_text(OcppVersion::V16),
            r#"[4,"abc","TypeConstraintViolation","meterStart: expected integer, got \"0\"",{}]"#
        );
    }

    #[test]
    fn data_transfer_data_is_kept_as_json() {
        let payload = json!({"vendorId": "com.gridlet", "data": {"nested": [1, "two", null]}});
        let Ok(StationRequest::V201(v201::StationRequest::DataTransfer(request))) =
            decode_station_request(OcppVersion::V201, &call("DataTransfer", payload))
        else {
            panic!("not a DataTransfer");
        };
        assert_eq!(request.data, Some(json!({"nested": [1, "two", null]})));
        for data in [json!("text"), json!(42), json!([1, 2])] {
            let payload = json!({"vendorId": "com.gridlet", "data": data});
            assert!(
                decode_station_request(OcppVersion::V201, &call("DataTransfer", payload)).is_ok()
            );
        }
    }

    #[test]
    fn custom_data_is_accepted() {
        let payload = json!({"customData": {"vendorId": "com.gridlet", "anything": [1]}, "evseId": 1,
            "connectorId": 1, "connectorStatus": "Available", "timestamp": "2026-11-21T10:00:00Z"});
        assert!(
            decode_station_request(OcppVersion::V201, &call("StatusNotification", payload)).is_ok()
        );
    }
}
