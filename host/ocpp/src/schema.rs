//! Checking payloads against the official OCPP JSON schemas.
//!
//! The schemas are the OCA's own, vendored unedited under `schemas/` and
//! embedded in the binary. Each is compiled the first time a payload of its
//! kind arrives, once per process, and shared by every connection; formats
//! (`date-time`, `uri`) are checked too. The first violation found is
//! reported as a [`Violation`] carrying the CALLERROR code the specification
//! names for it (see the crate documentation for the mapping).

use std::fmt::Write as _;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::{ErrorCode, OcppVersion};

/// How many characters of a string value a violation message quotes.
const PREVIEW_CHARS: usize = 16;

/// How many of an `enum`'s allowed values a violation message lists.
const ENUM_VALUES_LISTED: usize = 12;

/// Which half of an action a payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// The payload of a CALL.
    Request,
    /// The payload of a CALLRESULT.
    Response,
}

/// The first way a payload breaks its schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Violation {
    /// The CALLERROR code the specification names for this violation.
    pub code: ErrorCode,
    /// JSON pointer to the offending value (for a missing or unexpected
    /// field: to where that field is or would be); empty for the payload
    /// itself.
    pub path: String,
    /// What is wrong, naming the field, e.g.
    /// `idTag: "ABCDEFGHIJKLMNOP…" is longer than 20 characters`.
    pub message: String,
}

/// A vendored schema that does not compile (a bug in this crate, caught by
/// its tests).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("schema {file} does not compile: {reason}")]
pub struct SchemaError {
    /// The schema's path under `schemas/`, e.g. `v201/AuthorizeRequest.json`.
    pub file: &'static str,
    /// Why it does not compile.
    pub reason: String,
}

/// The request and response schemas of one action.
pub(crate) struct ActionSchemas {
    pub(crate) request: Schema,
    pub(crate) response: Schema,
}

/// One embedded schema, compiled on first use.
pub(crate) struct Schema {
    /// Its path under `schemas/`, for error messages.
    pub(crate) file: &'static str,
    /// The schema text, verbatim.
    pub(crate) source: &'static str,
    /// The compiled validator, or why compiling failed.
    compiled: OnceLock<Result<Validator, String>>,
}

impl Schema {
    pub(crate) const fn new(file: &'static str, source: &'static str) -> Self {
        Schema {
            file,
            source,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled schema, compiling it on first use.
    fn validator(&self) -> Result<&Validator, SchemaError> {
        self.compiled
            .get_or_init(|| compile(self.source))
            .as_ref()
            .map_err(|reason| SchemaError {
                file: self.file,
                reason: reason.clone(),
            })
    }
}

fn compile(source: &str) -> Result<Validator, String> {
    let schema: Value = serde_json::from_str(source).map_err(|error| error.to_string())?;
    // The draft comes from each schema's `$schema`: draft-04 for 1.6's core
    // actions, draft-06 for its security extension and for 2.0.1.
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|error| error.to_string())
}

/// Compiles every schema of `version` now rather than on first use, so a
/// server can pay the cost at start-up instead of on its first messages.
pub fn compile_schemas(version: OcppVersion) -> Result<(), SchemaError> {
    for schemas in crate::actions::all_schemas(version) {
        schemas.request.validator()?;
        schemas.response.validator()?;
    }
    Ok(())
}

/// Checks `payload` against the official schema of `action`'s request or
/// response in `version`.
///
/// An action the version does not define is a [`ErrorCode::NotImplemented`]
/// violation. Otherwise the first violation, in the schema's own order, is
/// returned with the code the crate documentation's table gives its keyword.
pub fn validate(
    version: OcppVersion,
    action: &str,
    kind: PayloadKind,
    payload: &Value,
) -> Result<(), Violation> {
    let Some(schemas) = crate::actions::schemas(version, action) else {
        return Err(Violation {
            code: ErrorCode::NotImplemented,
            path: String::new(),
            message: format!("{action:?} is not an OCPP {version} action"),
        });
    };
    let schema = match kind {
        PayloadKind::Request => &schemas.request,
        PayloadKind::Response => &schemas.response,
    };
    let validator = schema.validator().map_err(|error| Violation {
        code: ErrorCode::InternalError,
        path: String::new(),
        message: error.to_string(),
    })?;
    // `is_valid` stops at the first failure without building an error, so
    // the common case (a valid payload) costs the least.
    if validator.is_valid(payload) {
        return Ok(());
    }
    match validator.validate(payload) {
        Ok(()) => Ok(()),
        Err(error) => Err(violation(&error)),
    }
}

/// Maps a validation error to the CALLERROR code the specification names
/// for its keyword, with a message that names the field.
fn violation(error: &ValidationError<'_>) -> Violation {
    let path = error.instance_path().as_str().to_owned();
    let field = field_name(error);
    let value = error.instance();
    let shown = preview(value);
    let (code, path, message) = match error.kind() {
        ValidationErrorKind::Type { .. } if path.is_empty() => (
            ErrorCode::FormatViolation,
            path,
            format!("payload: expected a JSON object, got {shown}"),
        ),
        ValidationErrorKind::Type { kind } => (
            ErrorCode::TypeConstraintViolation,
            path,
            format!("{field}: expected {}, got {shown}", type_names(kind)),
        ),
        ValidationErrorKind::Format { format } => (
            ErrorCode::TypeConstraintViolation,
            path,
            format!("{field}: {shown} is not a valid {format}"),
        ),
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            (
                ErrorCode::OccurrenceConstraintViolation,
                child_pointer(path, property),
                format!(
                    "{}: required field is missing",
                    child_field(&field, property)
                ),
            )
        }
        ValidationErrorKind::MinItems { limit } => (
            ErrorCode::OccurrenceConstraintViolation,
            path,
            format!(
                "{field}: expected at least {limit} item(s), got {}",
                array_len(value)
            ),
        ),
        ValidationErrorKind::MaxItems { limit } => (
            ErrorCode::OccurrenceConstraintViolation,
            path,
            format!(
                "{field}: expected at most {limit} item(s), got {}",
                array_len(value)
            ),
        ),
        ValidationErrorKind::Enum { options } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} is not one of {}", list_values(options)),
        ),
        ValidationErrorKind::MaxLength { limit } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} is longer than {limit} characters"),
        ),
        ValidationErrorKind::MinLength { limit } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} is shorter than {limit} characters"),
        ),
        ValidationErrorKind::Minimum { limit } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} is less than the minimum of {limit}"),
        ),
        ValidationErrorKind::Maximum { limit } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} is greater than the maximum of {limit}"),
        ),
        ValidationErrorKind::MultipleOf { multiple_of } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} is not a multiple of {multiple_of}"),
        ),
        ValidationErrorKind::Pattern { pattern } => (
            ErrorCode::PropertyConstraintViolation,
            path,
            format!("{field}: {shown} does not match the pattern {pattern}"),
        ),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let property = unexpected.first().map(String::as_str).unwrap_or_default();
            (
                ErrorCode::FormatViolation,
                child_pointer(path, property),
                format!(
                    "{}: field is not defined by the schema",
                    child_field(&field, property)
                ),
            )
        }
        other => (
            ErrorCode::FormatViolation,
            path,
            format!("{field}: breaks the schema's `{}` rule", other.keyword()),
        ),
    };
    Violation {
        code,
        path,
        message,
    }
}

/// The offending value's place in the payload, written as a reader would:
/// `meterValue[0].sampledValue[2].measurand`, or `payload` for the root.
fn field_name(error: &ValidationError<'_>) -> String {
    let mut field = String::new();
    for segment in error.instance_path().segments() {
        match segment {
            LocationSegment::Index(index) => {
                let _ = write!(field, "[{index}]");
            }
            LocationSegment::Property(name) => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(&name);
            }
        }
    }
    if field.is_empty() {
        field.push_str("payload");
    }
    field
}

/// The reader's name of `property` inside `field`.
fn child_field(field: &str, property: &str) -> String {
    if field == "payload" {
        property.to_owned()
    } else {
        format!("{field}.{property}")
    }
}

/// The JSON pointer to `property` inside the object at `pointer`.
fn child_pointer(mut pointer: String, property: &str) -> String {
    pointer.push('/');
    pointer.push_str(&property.replace('~', "~0").replace('/', "~1"));
    pointer
}

/// A value as a violation message shows it: numbers, booleans and null as
/// written, strings quoted and cut after a few characters, containers by kind.
fn preview(value: &Value) -> String {
    match value {
        Value::String(text) if text.chars().count() > PREVIEW_CHARS => {
            let start: String = text.chars().take(PREVIEW_CHARS).collect();
            let quoted = Value::String(start).to_string();
            format!("{}…\"", quoted.trim_end_matches('"'))
        }
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        scalar => scalar.to_string(),
    }
}

fn type_names(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(single) => single.to_string(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|single| single.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn array_len(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

/// An `enum`'s allowed values, as a comma-separated list.
fn list_values(options: &Value) -> String {
    let Some(options) = options.as_array() else {
        return options.to_string();
    };
    let mut listed: Vec<String> = options
        .iter()
        .take(ENUM_VALUES_LISTED)
        .map(|option| {
            option
                .as_str()
                .map_or_else(|| option.to_string(), str::to_owned)
        })
        .collect();
    if options.len() > ENUM_VALUES_LISTED {
        listed.push("…".to_owned());
    }
    listed.join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_vendored_schema_compiles() {
        for version in OcppVersion::ALL {
            assert_eq!(compile_schemas(version), Ok(()));
        }
    }

    /// One payload per keyword of the mapping, checked against real schemas:
    /// (version, action, kind, payload, code, path, message).
    #[test]
    fn each_keyword_maps_to_the_specified_code() {
        use crate::OcppVersion::{V16, V201};
        use ErrorCode::*;
        use PayloadKind::{Request, Response};
        let cases = [
            // type, nested => TypeConstraintViolation
            (
                V16,
                "StatusNotification",
                Request,
                json!({"connectorId": "1", "errorCode": "NoError", "status": "Available"}),
                TypeConstraintViolation,
                "/connectorId",
                r#"connectorId: expected integer, got "1""#,
            ),
            (
                V201,
                "Heartbeat",
                Response,
                json!({"currentTime": 5}),
                TypeConstraintViolation,
                "/currentTime",
                "currentTime: expected string, got 5",
            ),
            (
                V16,
                "StartTransaction",
                Request,
                json!({"connectorId": 1.5, "idTag": "A", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}),
                TypeConstraintViolation,
                "/connectorId",
                "connectorId: expected integer, got 1.5",
            ),
            // format => TypeConstraintViolation
            (
                V16,
                "StartTransaction",
                Request,
                json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2026-01-01T10:00:00"}),
                TypeConstraintViolation,
                "/timestamp",
                r#"timestamp: "2026-01-01T10:00…" is not a valid date-time"#,
            ),
            (
                V201,
                "Heartbeat",
                Response,
                json!({"currentTime": "yesterday"}),
                TypeConstraintViolation,
                "/currentTime",
                r#"currentTime: "yesterday" is not a valid date-time"#,
            ),
            // required => OccurrenceConstraintViolation
            (
                V16,
                "Authorize",
                Request,
                json!({}),
                OccurrenceConstraintViolation,
                "/idTag",
                "idTag: required field is missing",
            ),
            (
                V201,
                "Authorize",
                Request,
                json!({"idToken": {"idToken": "A"}}),
                OccurrenceConstraintViolation,
                "/idToken/type",
                "idToken.type: required field is missing",
            ),
            // minItems / maxItems => OccurrenceConstraintViolation
            (
                V16,
                "MeterValues",
                Request,
                json!({"connectorId": 1, "meterValue": []}),
                OccurrenceConstraintViolation,
                "/meterValue",
                "meterValue: expected at least 1 item(s), got 0",
            ),
            (
                V201,
                "Authorize",
                Request,
                json!({"idToken": {"idToken": "A", "type": "ISO14443"}, "iso15118CertificateHashData": [
                    {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c", "responderURL": "http://ocsp"},
                    {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c", "responderURL": "http://ocsp"},
                    {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c", "responderURL": "http://ocsp"},
                    {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c", "responderURL": "http://ocsp"},
                    {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c", "responderURL": "http://ocsp"}]}),
                OccurrenceConstraintViolation,
                "/iso15118CertificateHashData",
                "iso15118CertificateHashData: expected at most 4 item(s), got 5",
            ),
            // enum => PropertyConstraintViolation
            (
                V16,
                "BootNotification",
                Response,
                json!({"status": "Maybe", "currentTime": "2026-01-01T00:00:00Z", "interval": 300}),
                PropertyConstraintViolation,
                "/status",
                r#"status: "Maybe" is not one of Accepted, Pending, Rejected"#,
            ),
            // maxLength => PropertyConstraintViolation
            (
                V16,
                "Authorize",
                Request,
                json!({"idTag": "ABCDEFGHIJKLMNOPQRSTU"}),
                PropertyConstraintViolation,
                "/idTag",
                r#"idTag: "ABCDEFGHIJKLMNOP…" is longer than 20 characters"#,
            ),
            // minimum / maximum => PropertyConstraintViolation
            (
                V201,
                "NotifyEVChargingNeeds",
                Request,
                json!({"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC",
                    "dcChargingParameters": {"evMaxCurrent": 100, "evMaxVoltage": 400, "stateOfCharge": -1}}}),
                PropertyConstraintViolation,
                "/chargingNeeds/dcChargingParameters/stateOfCharge",
                "chargingNeeds.dcChargingParameters.stateOfCharge: -1 is less than the minimum of 0.0",
            ),
            (
                V201,
                "NotifyEVChargingNeeds",
                Request,
                json!({"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC",
                    "dcChargingParameters": {"evMaxCurrent": 100, "evMaxVoltage": 400, "fullSoC": 101}}}),
                PropertyConstraintViolation,
                "/chargingNeeds/dcChargingParameters/fullSoC",
                "chargingNeeds.dcChargingParameters.fullSoC: 101 is greater than the maximum of 100.0",
            ),
            // multipleOf => PropertyConstraintViolation
            (
                V16,
                "SetChargingProfile",
                Request,
                json!({"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
                    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.05}]}}}),
                PropertyConstraintViolation,
                "/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit",
                "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: 16.05 is not a multiple of 0.1",
            ),
            // additionalProperties => FormatViolation
            (
                V16,
                "Heartbeat",
                Request,
                json!({"extra": true}),
                FormatViolation,
                "/extra",
                "extra: field is not defined by the schema",
            ),
            (
                V201,
                "StatusNotification",
                Request,
                json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1, "evse": 1}),
                FormatViolation,
                "/evse",
                "evse: field is not defined by the schema",
            ),
            // a payload that is not an object => FormatViolation
            (
                V16,
                "Heartbeat",
                Request,
                json!([]),
                FormatViolation,
                "",
                "payload: expected a JSON object, got an array",
            ),
            (
                V201,
                "Heartbeat",
                Response,
                json!("now"),
                FormatViolation,
                "",
                r#"payload: expected a JSON object, got "now""#,
            ),
        ];
        for (version, action, kind, payload, code, path, message) in cases {
            let violation = validate(version, action, kind, &payload).expect_err(action);
            assert_eq!(
                (
                    violation.code,
                    violation.path.as_str(),
                    violation.message.as_str()
                ),
                (code, path, message),
                "{version} {action} {payload}"
            );
        }
    }

    /// Schema keywords the mapping does not name fall back to
    /// FormatViolation; the OCPP schemas use none, so exercise the fallback
    /// directly.
    #[test]
    fn other_keywords_map_to_format_violation() {
        let validator =
            jsonschema::validator_for(&json!({"properties": {"a": {"const": 1}}})).unwrap();
        let instance = json!({"a": 2});
        let error = validator.validate(&instance).unwrap_err();
        let violation = violation(&error);
        assert_eq!(violation.code, ErrorCode::FormatViolation);
        assert_eq!(violation.message, "a: breaks the schema's `const` rule");
    }

    #[test]
    fn other_mapped_keywords_are_mapped_too() {
        for (schema, instance, code, message) in [
            (
                json!({"minLength": 3}),
                json!("ab"),
                ErrorCode::PropertyConstraintViolation,
                r#"payload: "ab" is shorter than 3 characters"#,
            ),
            (
                json!({"pattern": "^[0-9]+$"}),
                json!("ab"),
                ErrorCode::PropertyConstraintViolation,
                r#"payload: "ab" does not match the pattern ^[0-9]+$"#,
            ),
            (
                json!({"properties": {"a~/b": {"type": ["integer", "null"]}}}),
                json!({"a~/b": "x"}),
                ErrorCode::TypeConstraintViolation,
                r#"a~/b: expected null or integer, got "x""#,
            ),
        ] {
            let validator = jsonschema::validator_for(&schema).unwrap();
            let violation = violation(&validator.validate(&instance).unwrap_err());
            assert_eq!(
                (violation.code, violation.message.as_str()),
                (code, message)
            );
        }
    }

    #[test]
    fn the_first_violation_is_reported_deterministically() {
        let payload = json!({"connectorId": "x", "errorCode": "Broken", "status": 3, "extra": 1});
        let first = validate(
            OcppVersion::V16,
            "StatusNotification",
            PayloadKind::Request,
            &payload,
        )
        .unwrap_err();
        for _ in 0..10 {
            assert_eq!(
                validate(
                    OcppVersion::V16,
                    "StatusNotification",
                    PayloadKind::Request,
                    &payload
                )
                .unwrap_err(),
                first
            );
        }
    }

    #[test]
    fn unknown_actions_are_not_implemented() {
        let violation = validate(
            OcppVersion::V16,
            "TransactionEvent",
            PayloadKind::Request,
            &json!({}),
        )
        .unwrap_err();
        assert_eq!(violation.code, ErrorCode::NotImplemented);
        assert_eq!(
            violation.message,
            r#""TransactionEvent" is not an OCPP 1.6 action"#
        );
    }

    #[test]
    fn timestamps_with_offsets_and_fractions_are_valid_date_times() {
        for time in [
            "2026-11-21T10:00:00Z",
            "2026-11-21T10:00:00.123Z",
            "2026-11-21T12:00:00+02:00",
            "2026-11-21t10:00:00.123456z",
        ] {
            assert_eq!(
                validate(
                    OcppVersion::V201,
                    "Heartbeat",
                    PayloadKind::Response,
                    &json!({"currentTime": time})
                ),
                Ok(()),
                "{time}"
            );
        }
        for time in [
            "2026-11-21 10:00:00Z",
            "2026-11-21",
            "2026-13-21T10:00:00Z",
            "2026-11-21T10:00:00+0200",
        ] {
            assert!(
                validate(
                    OcppVersion::V201,
                    "Heartbeat",
                    PayloadKind::Response,
                    &json!({"currentTime": time})
                )
                .is_err(),
                "{time}"
            );
        }
    }

    /// Charging limits are `multipleOf: 0.1` in 1.6; binary floats must not
    /// make ordinary decimal limits fail.
    #[test]
    fn decimal_charging_limits_are_multiples_of_a_tenth() {
        for limit in [0.1, 0.3, 6.0, 16.1, 31.7, 1234.7, 22000.0] {
            let payload = json!({"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
                "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}});
            assert_eq!(
                validate(
                    OcppVersion::V16,
                    "SetChargingProfile",
                    PayloadKind::Request,
                    &payload
                ),
                Ok(()),
                "{limit}"
            );
        }
    }

    /// Every action that is only ever an empty object on one side accepts
    /// `{}` there, which also proves every schema is reachable by name.
    #[test]
    fn every_schema_is_reachable_by_action_name() {
        for version in OcppVersion::ALL {
            for action in crate::actions(version) {
                for kind in [PayloadKind::Request, PayloadKind::Response] {
                    match validate(version, action.name, kind, &json!(null)) {
                        Err(violation) => assert_eq!(
                            violation.code,
                            ErrorCode::FormatViolation,
                            "{version} {}",
                            action.name
                        ),
                        Ok(()) => panic!("{version} {} {kind:?} accepted null", action.name),
                    }
                }
            }
        }
    }
}
