//! The `errorCode` of a CALLERROR, with each version's spelling.
//!
//! OCPP-J 1.6 and 2.0.1 name mostly the same codes, but 1.6 spells two of
//! them differently (`FormationViolation`, `OccurenceConstraintViolation`;
//! the 1.6 errata correct both) and has no `RpcFrameworkError` or
//! `MessageTypeNotSupported`. [`ErrorCode`] is the union; [`ErrorCode::as_str`]
//! writes the spelling the connection's version expects and
//! [`ErrorCode::parse`] reads any of them.

use crate::OcppVersion;

/// A CALLERROR `errorCode`. The definitions are the OCPP-J specifications'
/// (2.0.1 Part 4 table "Valid Error Codes"; 1.6 section 4.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Payload for Action is syntactically incorrect (1.6:
    /// `FormationViolation`, "…or not conform the PDU structure for Action").
    FormatViolation,
    /// Any other error not covered by the more specific error codes.
    GenericError,
    /// An internal error occurred and the receiver was not able to process
    /// the requested Action successfully.
    InternalError,
    /// A message with a Message Type Number was received that is not
    /// supported by this implementation (2.0.1 only).
    MessageTypeNotSupported,
    /// Requested Action is not known by receiver.
    NotImplemented,
    /// Requested Action is recognized but not supported by the receiver.
    NotSupported,
    /// Payload for Action is syntactically correct but at least one of the
    /// fields violates occurrence constraints (1.6:
    /// `OccurenceConstraintViolation`).
    OccurrenceConstraintViolation,
    /// Payload is syntactically correct but at least one field contains an
    /// invalid value.
    PropertyConstraintViolation,
    /// Payload for Action is not conform the PDU structure (1.6: "Payload
    /// for Action is incomplete").
    ProtocolError,
    /// Content of the call is not a valid RPC Request, for example: MessageId
    /// could not be read (2.0.1 only).
    RpcFrameworkError,
    /// During the processing of Action a security issue occurred preventing
    /// receiver from completing the Action successfully.
    SecurityError,
    /// Payload for Action is syntactically correct but at least one of the
    /// fields violates data type constraints (e.g. `"somestring": 12`).
    TypeConstraintViolation,
}

impl ErrorCode {
    /// Every code, in the specification's (alphabetical) order.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::FormatViolation,
        ErrorCode::GenericError,
        ErrorCode::InternalError,
        ErrorCode::MessageTypeNotSupported,
        ErrorCode::NotImplemented,
        ErrorCode::NotSupported,
        ErrorCode::OccurrenceConstraintViolation,
        ErrorCode::PropertyConstraintViolation,
        ErrorCode::ProtocolError,
        ErrorCode::RpcFrameworkError,
        ErrorCode::SecurityError,
        ErrorCode::TypeConstraintViolation,
    ];

    /// The code as written on a connection of version `version`.
    ///
    /// OCPP 1.6 keeps its own spellings, `FormationViolation` and
    /// `OccurenceConstraintViolation`. It has no `RpcFrameworkError` (written
    /// `FormationViolation`, the 1.6 code for a frame that does not conform
    /// to the PDU structure) and no `MessageTypeNotSupported` (written
    /// `NotSupported`).
    pub fn as_str(self, version: OcppVersion) -> &'static str {
        match (self, version) {
            (ErrorCode::FormatViolation | ErrorCode::RpcFrameworkError, OcppVersion::V16) => {
                "FormationViolation"
            }
            (ErrorCode::OccurrenceConstraintViolation, OcppVersion::V16) => {
                "OccurenceConstraintViolation"
            }
            (ErrorCode::MessageTypeNotSupported, OcppVersion::V16) => "NotSupported",
            (ErrorCode::FormatViolation, _) => "FormatViolation",
            (ErrorCode::GenericError, _) => "GenericError",
            (ErrorCode::InternalError, _) => "InternalError",
            (ErrorCode::MessageTypeNotSupported, _) => "MessageTypeNotSupported",
            (ErrorCode::NotImplemented, _) => "NotImplemented",
            (ErrorCode::NotSupported, _) => "NotSupported",
            (ErrorCode::OccurrenceConstraintViolation, _) => "OccurrenceConstraintViolation",
            (ErrorCode::PropertyConstraintViolation, _) => "PropertyConstraintViolation",
            (ErrorCode::ProtocolError, _) => "ProtocolError",
            (ErrorCode::RpcFrameworkError, _) => "RpcFrameworkError",
            (ErrorCode::SecurityError, _) => "SecurityError",
            (ErrorCode::TypeConstraintViolation, _) => "TypeConstraintViolation",
        }
    }

    /// Reads a code in any version's spelling, including 1.6's
    /// `FormationViolation` and `OccurenceConstraintViolation` and their
    /// errata-corrected forms. Codes are case-sensitive, as on the wire.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "FormatViolation" | "FormationViolation" => ErrorCode::FormatViolation,
            "GenericError" => ErrorCode::GenericError,
            "InternalError" => ErrorCode::InternalError,
            "MessageTypeNotSupported" => ErrorCode::MessageTypeNotSupported,
            "NotImplemented" => ErrorCode::NotImplemented,
            "NotSupported" => ErrorCode::NotSupported,
            "OccurrenceConstraintViolation" | "OccurenceConstraintViolation" => {
                ErrorCode::OccurrenceConstraintViolation
            }
            "PropertyConstraintViolation" => ErrorCode::PropertyConstraintViolation,
            "ProtocolError" => ErrorCode::ProtocolError,
            "RpcFrameworkError" => ErrorCode::RpcFrameworkError,
            "SecurityError" => ErrorCode::SecurityError,
            "TypeConstraintViolation" => ErrorCode::TypeConstraintViolation,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code's spelling per version: (code, 1.6, 2.0.1).
    const SPELLINGS: [(ErrorCode, &str, &str); 12] = [
        (
            ErrorCode::FormatViolation,
            "FormationViolation",
            "FormatViolation",
        ),
        (ErrorCode::GenericError, "GenericError", "GenericError"),
        (ErrorCode::InternalError, "InternalError", "InternalError"),
        (
            ErrorCode::MessageTypeNotSupported,
            "NotSupported",
            "MessageTypeNotSupported",
        ),
        (
            ErrorCode::NotImplemented,
            "NotImplemented",
            "NotImplemented",
        ),
        (ErrorCode::NotSupported, "NotSupported", "NotSupported"),
        (
            ErrorCode::OccurrenceConstraintViolation,
            "OccurenceConstraintViolation",
            "OccurrenceConstraintViolation",
        ),
        (
            ErrorCode::PropertyConstraintViolation,
            "PropertyConstraintViolation",
            "PropertyConstraintViolation",
        ),
        (ErrorCode::ProtocolError, "ProtocolError", "ProtocolError"),
        (
            ErrorCode::RpcFrameworkError,
            "FormationViolation",
            "RpcFrameworkError",
        ),
        (ErrorCode::SecurityError, "SecurityError", "SecurityError"),
        (
            ErrorCode::TypeConstraintViolation,
            "TypeConstraintViolation",
            "TypeConstraintViolation",
        ),
    ];

    #[test]
    fn each_version_writes_its_own_spelling() {
        for (code, v16, v201) in SPELLINGS {
            assert_eq!(code.as_str(OcppVersion::V16), v16, "{code:?}");
            assert_eq!(code.as_str(OcppVersion::V201), v201, "{code:?}");
        }
        assert_eq!(SPELLINGS.map(|(code, ..)| code), ErrorCode::ALL);
    }

    #[test]
    fn every_code_written_in_2_0_1_reads_back_as_itself() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str(OcppVersion::V201)), Some(code));
        }
    }

    #[test]
    fn both_spellings_of_the_renamed_codes_are_read() {
        for (text, code) in [
            ("FormationViolation", ErrorCode::FormatViolation),
            ("FormatViolation", ErrorCode::FormatViolation),
            (
                "OccurenceConstraintViolation",
                ErrorCode::OccurrenceConstraintViolation,
            ),
            (
                "OccurrenceConstraintViolation",
                ErrorCode::OccurrenceConstraintViolation,
            ),
        ] {
            assert_eq!(ErrorCode::parse(text), Some(code), "{text}");
        }
    }

    #[test]
    fn unknown_codes_are_not_read() {
        for text in [
            "",
            "formatviolation",
            "Formation Violation",
            "SomethingElse",
        ] {
            assert_eq!(ErrorCode::parse(text), None, "{text:?}");
        }
    }
}
