//! OCPP-J framing: the JSON arrays every message travels in.
//!
//! ```text
//! CALL        [2, "<MessageId>", "<Action>", {<payload>}]
//! CALLRESULT  [3, "<MessageId>", {<payload>}]
//! CALLERROR   [4, "<MessageId>", "<errorCode>", "<errorDescription>", {<errorDetails>}]
//! ```
//!
//! [`decode_frame`] reads one WebSocket text message into a [`Frame`] and
//! says, with the code the specification names, why it can't when it can't;
//! [`Frame::to_text`] writes one. Payloads stay `serde_json::Value` here:
//! checking them against the schemas is [`crate::validate`]'s job, and
//! typing them is [`crate::decode_station_request`]'s.

use serde_json::Value;

use crate::{ErrorCode, OcppVersion};

/// The longest message id OCPP-J allows, in characters (enough for a UUID).
pub const MAX_UNIQUE_ID_LEN: usize = 36;

/// How far into a frame [`peek_unique_id`] looks for the end of the id, in
/// bytes: well past the longest legal id even when every character is a
/// `\uXXXX` escape, and small enough to stay cheap on any frame.
const PEEK_LIMIT: usize = 512;

/// One OCPP-J message.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// A request (MessageTypeId 2).
    Call(Call),
    /// A successful answer to a request (MessageTypeId 3).
    CallResult(CallResult),
    /// A failed answer to a request (MessageTypeId 4).
    CallError(CallError),
}

/// A request: `[2, unique_id, action, payload]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The message id the answer must carry.
    pub unique_id: String,
    /// The action's name, e.g. `BootNotification`.
    pub action: String,
    /// The request payload; always a JSON object in a decoded frame.
    pub payload: Value,
}

/// A successful answer: `[3, unique_id, payload]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CallResult {
    /// The id of the CALL this answers.
    pub unique_id: String,
    /// The response payload; always a JSON object in a decoded frame.
    pub payload: Value,
}

/// A failed answer: `[4, unique_id, errorCode, errorDescription, errorDetails]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CallError {
    /// The id of the CALL this answers.
    pub unique_id: String,
    /// What went wrong. A code this crate does not know is read as
    /// [`ErrorCode::GenericError`].
    pub code: ErrorCode,
    /// Free text for people; may be empty.
    pub description: String,
    /// Structured details, "in an undefined way" (usually `{}`). Written as
    /// `{}` when `Null`; read as whatever the peer sent.
    pub details: Value,
}

impl CallError {
    /// A CALLERROR with empty details, which is what the specification
    /// recommends sending.
    pub fn new(
        unique_id: impl Into<String>,
        code: ErrorCode,
        description: impl Into<String>,
    ) -> Self {
        CallError {
            unique_id: unique_id.into(),
            code,
            description: description.into(),
            details: Value::Object(serde_json::Map::new()),
        }
    }
}

impl Frame {
    /// The frame's message id.
    pub fn unique_id(&self) -> &str {
        match self {
            Frame::Call(call) => &call.unique_id,
            Frame::CallResult(result) => &result.unique_id,
            Frame::CallError(error) => &error.unique_id,
        }
    }

    /// Writes the frame as a WebSocket text message, with error codes
    /// spelled for `version`.
    pub fn to_text(&self, version: OcppVersion) -> String {
        let written = match self {
            Frame::Call(call) => {
                serde_json::to_string(&(2u8, &call.unique_id, &call.action, &call.payload))
            }
            Frame::CallResult(result) => {
                serde_json::to_string(&(3u8, &result.unique_id, &result.payload))
            }
            Frame::CallError(error) => {
                let empty = Value::Object(serde_json::Map::new());
                let details = if error.details.is_null() {
                    &empty
                } else {
                    &error.details
                };
                serde_json::to_string(&(
                    4u8,
                    &error.unique_id,
                    error.code.as_str(version),
                    &error.description,
                    details,
                ))
            }
        };
        // Serializing numbers, strings and `Value`s cannot fail: every JSON
        // object key is a string and `Value` holds no non-finite numbers.
        written.unwrap_or_default()
    }
}

/// Why a WebSocket text message is not a usable OCPP-J frame.
///
/// The specification says to answer such a message with a CALLERROR carrying
/// [`code`](Self::code) and the frame's message id, or `"-1"` when the id
/// could not be read; but never to answer a CALLRESULT or CALLERROR with a
/// CALLERROR (see [`FrameError::expects_reply`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{description}")]
pub struct FrameError {
    /// The frame's message id, whenever it could be read (even an over-long
    /// one, so the answer can still be matched by the peer).
    pub unique_id: Option<String>,
    /// The frame's MessageTypeId, whenever it could be read.
    pub message_type_id: Option<u64>,
    /// The code to answer with.
    pub code: ErrorCode,
    /// What is wrong, for people.
    pub description: String,
}

impl FrameError {
    /// Whether the peer expects a CALLERROR for this frame: true unless the
    /// frame was recognisably an answer (a CALLRESULT or CALLERROR), which
    /// must never be answered.
    pub fn expects_reply(&self) -> bool {
        !matches!(self.message_type_id, Some(3 | 4))
    }
}

/// Reads one WebSocket text message as an OCPP-J frame.
///
/// | what is wrong | code |
/// |---|---|
/// | not JSON (including numbers too large for a double), not an array, no MessageTypeId number, no string message id | [`ErrorCode::RpcFrameworkError`] |
/// | MessageTypeId other than 2, 3 or 4 | [`ErrorCode::MessageTypeNotSupported`] |
/// | message id longer than 36 characters | [`ErrorCode::RpcFrameworkError`] |
/// | wrong number of elements for the type; action, errorCode or errorDescription not a string | [`ErrorCode::RpcFrameworkError`] |
/// | CALL or CALLRESULT payload not a JSON object | [`ErrorCode::FormatViolation`] |
///
/// A CALLERROR with an errorCode this crate does not know is kept, as
/// [`ErrorCode::GenericError`]; its errorDetails are kept whatever their type.
pub fn decode_frame(text: &str) -> Result<Frame, FrameError> {
    let elements = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(elements)) => elements,
        Ok(_) => {
            return Err(FrameError {
                unique_id: None,
                message_type_id: None,
                code: ErrorCode::RpcFrameworkError,
                description: "frame is not a JSON array".to_owned(),
            });
        }
        Err(error) => {
            let (message_type_id, unique_id) = peek_header(text);
            return Err(FrameError {
                unique_id,
                message_type_id,
                code: ErrorCode::RpcFrameworkError,
                description: format!("frame is not valid JSON: {error}"),
            });
        }
    };

    let message_type_id = elements.first().and_then(Value::as_u64);
    let unique_id = elements.get(1).and_then(Value::as_str);
    let fail = |unique_id: Option<&str>, code: ErrorCode, description: String| FrameError {
        unique_id: unique_id.map(str::to_owned),
        message_type_id,
        code,
        description,
    };

    let Some(type_id) = message_type_id else {
        return Err(fail(
            unique_id,
            ErrorCode::RpcFrameworkError,
            "frame does not start with a MessageTypeId number".to_owned(),
        ));
    };
    let expected_len = match type_id {
        2 => 4,
        3 => 3,
        4 => 5,
        other => {
            return Err(fail(
                unique_id,
                ErrorCode::MessageTypeNotSupported,
                format!("MessageTypeId {other} is not supported"),
            ));
        }
    };
    let Some(id) = unique_id else {
        return Err(fail(
            None,
            ErrorCode::RpcFrameworkError,
            "the message id is not a string".to_owned(),
        ));
    };
    let id_len = id.chars().count();
    if id_len > MAX_UNIQUE_ID_LEN {
        return Err(fail(
            unique_id,
            ErrorCode::RpcFrameworkError,
            format!(
                "the message id is {id_len} characters long; at most {MAX_UNIQUE_ID_LEN} are allowed"
            ),
        ));
    }
    if elements.len() != expected_len {
        return Err(fail(
            unique_id,
            ErrorCode::RpcFrameworkError,
            format!(
                "a frame of MessageTypeId {type_id} has {expected_len} elements, this one has {}",
                elements.len()
            ),
        ));
    }

    // The shape is right: move the elements out rather than copy them.
    let mut rest = elements.into_iter().skip(1);
    let mut next = || rest.next().unwrap_or(Value::Null);
    let unique_id = match next() {
        Value::String(id) => id,
        _ => String::new(),
    };
    let fail = |code: ErrorCode, description: String| fail(Some(&unique_id), code, description);
    match type_id {
        2 => {
            let Value::String(action) = next() else {
                return Err(fail(
                    ErrorCode::RpcFrameworkError,
                    "the action is not a string".to_owned(),
                ));
            };
            let payload = next();
            if !payload.is_object() {
                return Err(fail(
                    ErrorCode::FormatViolation,
                    format!("the {action} payload is not a JSON object"),
                ));
            }
            Ok(Frame::Call(Call {
                unique_id,
                action,
                payload,
            }))
        }
        3 => {
            let payload = next();
            if !payload.is_object() {
                return Err(fail(
                    ErrorCode::FormatViolation,
                    "the payload is not a JSON object".to_owned(),
                ));
            }
            Ok(Frame::CallResult(CallResult { unique_id, payload }))
        }
        _ => {
            let Value::String(code) = next() else {
                return Err(fail(
                    ErrorCode::RpcFrameworkError,
                    "the errorCode is not a string".to_owned(),
                ));
            };
            let Value::String(description) = next() else {
                return Err(fail(
                    ErrorCode::RpcFrameworkError,
                    "the errorDescription is not a string".to_owned(),
                ));
            };
            Ok(Frame::CallError(CallError {
                code: ErrorCode::parse(&code).unwrap_or(ErrorCode::GenericError),
                description,
                details: next(),
                unique_id,
            }))
        }
    }
}

/// Reads the message id from the start of a frame without parsing the rest,
/// for frames too large or too broken to parse, so that the CALLERROR
/// refusing them still carries their id.
///
/// Looks only at the first few hundred bytes: `[`, a MessageTypeId number,
/// `,` and a JSON string, with JSON whitespace between them. Returns the
/// string (unescaped) even when it is longer than [`MAX_UNIQUE_ID_LEN`].
pub fn peek_unique_id(text: &str) -> Option<String> {
    peek_header(text).1
}

/// The MessageTypeId and message id at the start of a frame, each if it can
/// be read from the prefix alone.
fn peek_header(text: &str) -> (Option<u64>, Option<String>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    let skip_whitespace = |at: &mut usize| {
        while bytes
            .get(*at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            *at += 1;
        }
    };

    skip_whitespace(&mut at);
    if bytes.get(at) != Some(&b'[') {
        return (None, None);
    }
    at += 1;
    skip_whitespace(&mut at);
    let digits_start = at;
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    let Some(message_type_id) = text
        .get(digits_start..at)
        .and_then(|digits| digits.parse().ok())
    else {
        return (None, None);
    };
    skip_whitespace(&mut at);
    if bytes.get(at) != Some(&b',') {
        return (Some(message_type_id), None);
    }
    at += 1;
    skip_whitespace(&mut at);
    if bytes.get(at) != Some(&b'"') {
        return (Some(message_type_id), None);
    }

    let id_start = at;
    at += 1;
    let limit = bytes.len().min(id_start + PEEK_LIMIT);
    while at < limit {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => {
                let unique_id = text
                    .get(id_start..=at)
                    .and_then(|quoted| serde_json::from_str::<String>(quoted).ok());
                return (Some(message_type_id), unique_id);
            }
            _ => at += 1,
        }
    }
    (Some(message_type_id), None)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn call(id: &str, action: &str, payload: Value) -> Frame {
        Frame::Call(Call {
            unique_id: id.to_owned(),
            action: action.to_owned(),
            payload,
        })
    }

    #[test]
    fn decodes_each_message_type() {
        let cases = [
            (
                r#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"M1"}]"#,
                call(
                    "19223201",
                    "BootNotification",
                    json!({"chargePointVendor": "VendorX", "chargePointModel": "M1"}),
                ),
            ),
            (
                r#" [ 3 , "abc" , {"status":"Accepted"} ] "#,
                Frame::CallResult(CallResult {
                    unique_id: "abc".into(),
                    payload: json!({"status": "Accepted"}),
                }),
            ),
            (
                r#"[4,"abc","NotImplemented","no such action",{"x":1}]"#,
                Frame::CallError(CallError {
                    unique_id: "abc".into(),
                    code: ErrorCode::NotImplemented,
                    description: "no such action".into(),
                    details: json!({"x": 1}),
                }),
            ),
            (r#"[2,"","Heartbeat",{}]"#, call("", "Heartbeat", json!({}))),
        ];
        for (text, expected) in cases {
            assert_eq!(decode_frame(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn call_errors_keep_unknown_codes_as_generic_errors_and_any_details() {
        for (text, code, details) in [
            (
                r#"[4,"1","NoSuchCode","x",{}]"#,
                ErrorCode::GenericError,
                json!({}),
            ),
            (
                r#"[4,"1","FormationViolation","x",{}]"#,
                ErrorCode::FormatViolation,
                json!({}),
            ),
            (
                r#"[4,"1","OccurenceConstraintViolation","x",{}]"#,
                ErrorCode::OccurrenceConstraintViolation,
                json!({}),
            ),
            (
                r#"[4,"1","RpcFrameworkError","x",null]"#,
                ErrorCode::RpcFrameworkError,
                Value::Null,
            ),
            (
                r#"[4,"1","InternalError","x","text"]"#,
                ErrorCode::InternalError,
                json!("text"),
            ),
        ] {
            let Ok(Frame::CallError(error)) = decode_frame(text) else {
                panic!("{text} did not decode as a CALLERROR");
            };
            assert_eq!((error.code, error.details), (code, details), "{text}");
        }
    }

    /// (frame, unique_id, message_type_id, code) for every way a frame can
    /// be broken.
    #[test]
    fn broken_frames_are_refused_with_the_specified_code() {
        use ErrorCode::{FormatViolation, MessageTypeNotSupported, RpcFrameworkError};
        let id37 = "a".repeat(37);
        let long_id_frame = format!(r#"[2,"{id37}","Heartbeat",{{}}]"#);
        let cases: Vec<(&str, Option<&str>, Option<u64>, ErrorCode)> = vec![
            ("", None, None, RpcFrameworkError),
            ("not json", None, None, RpcFrameworkError),
            (
                r#"[2,"7","Heartbeat",{}"#,
                Some("7"),
                Some(2),
                RpcFrameworkError,
            ),
            ("{}", None, None, RpcFrameworkError),
            ("\"text\"", None, None, RpcFrameworkError),
            ("[]", None, None, RpcFrameworkError),
            ("[2]", None, Some(2), RpcFrameworkError),
            (r#"[2,1,"Heartbeat",{}]"#, None, Some(2), RpcFrameworkError),
            (
                r#"[2,null,"Heartbeat",{}]"#,
                None,
                Some(2),
                RpcFrameworkError,
            ),
            (
                r#"["2","1","Heartbeat",{}]"#,
                Some("1"),
                None,
                RpcFrameworkError,
            ),
            (
                r#"[2.5,"1","Heartbeat",{}]"#,
                Some("1"),
                None,
                RpcFrameworkError,
            ),
            (
                r#"[-2,"1","Heartbeat",{}]"#,
                Some("1"),
                None,
                RpcFrameworkError,
            ),
            (
                r#"[2,"1","Heartbeat"]"#,
                Some("1"),
                Some(2),
                RpcFrameworkError,
            ),
            (
                r#"[2,"1","Heartbeat",{},{}]"#,
                Some("1"),
                Some(2),
                RpcFrameworkError,
            ),
            (r#"[3,"1"]"#, Some("1"), Some(3), RpcFrameworkError),
            (r#"[3,"1",{},{}]"#, Some("1"), Some(3), RpcFrameworkError),
            (
                r#"[4,"1","GenericError","x"]"#,
                Some("1"),
                Some(4),
                RpcFrameworkError,
            ),
            (r#"[2,"1",7,{}]"#, Some("1"), Some(2), RpcFrameworkError),
            (r#"[4,"1",7,"x",{}]"#, Some("1"), Some(4), RpcFrameworkError),
            (
                r#"[4,"1","GenericError",7,{}]"#,
                Some("1"),
                Some(4),
                RpcFrameworkError,
            ),
            (r#"[5,"1",{}]"#, Some("1"), Some(5), MessageTypeNotSupported),
            (
                r#"[6,"1","NotifyPeriodicEventStream",{}]"#,
                Some("1"),
                Some(6),
                MessageTypeNotSupported,
            ),
            (r#"[7,"1"]"#, Some("1"), Some(7), MessageTypeNotSupported),
            (r#"[0,"1"]"#, Some("1"), Some(0), MessageTypeNotSupported),
            (&long_id_frame, Some(&id37), Some(2), RpcFrameworkError),
            (
                r#"[2,"1","Heartbeat",[]]"#,
                Some("1"),
                Some(2),
                FormatViolation,
            ),
            (
                r#"[2,"1","Heartbeat","{}"]"#,
                Some("1"),
                Some(2),
                FormatViolation,
            ),
            (
                r#"[2,"1","Heartbeat",null]"#,
                Some("1"),
                Some(2),
                FormatViolation,
            ),
            (r#"[3,"1",[]]"#, Some("1"), Some(3), FormatViolation),
            (
                r#"[2,"1","MeterValues",{"connectorId":1e400}]"#,
                Some("1"),
                Some(2),
                RpcFrameworkError,
            ),
        ];
        for (text, unique_id, message_type_id, code) in cases {
            let error = decode_frame(text).expect_err(text);
            assert_eq!(error.unique_id.as_deref(), unique_id, "{text}");
            assert_eq!(error.message_type_id, message_type_id, "{text}");
            assert_eq!(error.code, code, "{text}: {}", error.description);
            assert!(!error.description.is_empty());
        }
    }

    #[test]
    fn a_36_character_id_is_accepted_and_characters_are_counted_not_bytes() {
        for id in ["a".repeat(36), "é".repeat(36)] {
            let text = format!(r#"[2,"{id}","Heartbeat",{{}}]"#);
            assert_eq!(
                decode_frame(&text).map(|f| f.unique_id().to_owned()),
                Ok(id)
            );
        }
    }

    #[test]
    fn huge_but_finite_numbers_are_kept_as_floats() {
        let Ok(Frame::Call(call)) =
            decode_frame(r#"[2,"1","MeterValues",{"connectorId":123456789012345678901234567890}]"#)
        else {
            panic!("frame did not decode");
        };
        assert!(call.payload["connectorId"].is_f64());
    }

    #[test]
    fn deeply_nested_frames_are_refused_not_overflowed() {
        let text = format!(
            r#"[2,"1","DataTransfer",{}{}]"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let error = decode_frame(&text).expect_err("too deep");
        assert_eq!(error.code, ErrorCode::RpcFrameworkError);
        assert_eq!(error.unique_id.as_deref(), Some("1"));
    }

    #[test]
    fn answers_are_never_answered() {
        let expects_reply = |text: &str| decode_frame(text).expect_err(text).expects_reply();
        assert!(expects_reply("garbage"));
        assert!(expects_reply(r#"[2,"1","Heartbeat",[]]"#));
        assert!(expects_reply(r#"[9,"1"]"#));
        assert!(!expects_reply(r#"[3,"1",[]]"#));
        assert!(!expects_reply(r#"[4,"1",1,"x",{}]"#));
        assert!(!expects_reply(r#"[3,"1",{"n":1e999}]"#));
    }

    #[test]
    fn frames_are_written_per_version() {
        let error = Frame::CallError(CallError::new("9", ErrorCode::FormatViolation, "bad"));
        assert_eq!(
            error.to_text(OcppVersion::V16),
            r#"[4,"9","FormationViolation","bad",{}]"#
        );
        assert_eq!(
            error.to_text(OcppVersion::V201),
            r#"[4,"9","FormatViolation","bad",{}]"#
        );

        let null_details = Frame::CallError(CallError {
            details: Value::Null,
            ..CallError::new("9", ErrorCode::GenericError, "")
        });
        assert_eq!(
            null_details.to_text(OcppVersion::V201),
            r#"[4,"9","GenericError","",{}]"#
        );

        let call = call("1", "Heartbeat", json!({}));
        assert_eq!(call.to_text(OcppVersion::V16), r#"[2,"1","Heartbeat",{}]"#);

        let result = Frame::CallResult(CallResult {
            unique_id: "a\"b".into(),
            payload: json!({"currentTime": "2026-01-01T00:00:00Z"}),
        });
        assert_eq!(
            result.to_text(OcppVersion::V201),
            r#"[3,"a\"b",{"currentTime":"2026-01-01T00:00:00Z"}]"#
        );
    }

    #[test]
    fn written_frames_decode_to_themselves() {
        let frames = [
            call("x-1", "Authorize", json!({"idTag": "ABC"})),
            Frame::CallResult(CallResult {
                unique_id: "\u{1F50C}".into(),
                payload: json!({}),
            }),
            Frame::CallError(CallError::new(
                "x-2",
                ErrorCode::TypeConstraintViolation,
                "connectorId: expected integer",
            )),
        ];
        for frame in frames {
            for version in OcppVersion::ALL {
                assert_eq!(decode_frame(&frame.to_text(version)), Ok(frame.clone()));
            }
        }
    }

    #[test]
    fn peeks_the_id_from_the_prefix() {
        let huge = format!(
            r#"[2,"big-1","DataTransfer",{{"data":"{}"}}"#,
            "x".repeat(100_000)
        );
        let id37 = "b".repeat(37);
        let long = format!(r#"[2,"{id37}","#);
        for (text, expected) in [
            (huge.as_str(), Some("big-1")),
            (r#"[2,"abc""#, Some("abc")),
            ("\n[ 3 ,\t\"a b\" , {", Some("a b")),
            (r#"[2,"a\"b\\c\u0041","X",{}]"#, Some("a\"b\\cA")),
            (r#"[2,"é",{}]"#, Some("é")),
            (long.as_str(), Some(id37.as_str())),
            (r#"[2,"unterminated"#, None),
            (r#"[2,1,"X"]"#, None),
            (r#"["2","1"]"#, None),
            (r#"{"id":"1"}"#, None),
            ("[2", None),
            ("", None),
        ] {
            assert_eq!(peek_unique_id(text).as_deref(), expected, "{text}");
        }
        let far_end = format!(r#"[2,"{}"]"#, "c".repeat(PEEK_LIMIT));
        assert_eq!(peek_unique_id(&far_end), None);
    }
}
