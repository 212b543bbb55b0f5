//! The Core block: the everyday requests the CSMS sends, in both versions.
//!
//! | 1.6 | 2.0.1 | what the answer's status means |
//! |---|---|---|
//! | Reset | Reset | `Accepted`: the station will restart (2.0.1 `Scheduled`: once idle) |
//! | ChangeAvailability | ChangeAvailability | `Accepted`: done; `Scheduled`: after the running transaction |
//! | UnlockConnector | UnlockConnector | `Unlocked`; or why not (`UnlockFailed`, 2.0.1 `OngoingAuthorizedTransaction`, `UnknownConnector`; 1.6 `NotSupported`) |
//! | ClearCache | ClearCache | `Accepted` or `Rejected` |
//! | TriggerMessage | TriggerMessage | `Accepted`: the message follows; `Rejected`, `NotImplemented` |
//! | DataTransfer | DataTransfer | `Accepted` (with the vendor's `data`), `Rejected`, `UnknownVendorId`, `UnknownMessageId` |
//! | RemoteStartTransaction | RequestStartTransaction | `Accepted`: the station will try; the transaction itself arrives as StartTransaction / TransactionEvent |
//! | RemoteStopTransaction | RequestStopTransaction | `Accepted`: the station will stop it |
//! | — | GetTransactionStatus | whether messages of the transaction (or any) are still queued, and whether it is ongoing |
//!
//! The requests are the `ocpp-types` messages; a 2.0.1 DataTransfer carries
//! any JSON as `data` ([`V201DataTransferRequest`]). Build 2.0.1 messages
//! with `custom_data: None`.

use serde_json::Value;

use super::csms_requests;
use crate::{v16, v201};

/// A 2.0.1 DataTransfer request whose `data` is any JSON value.
pub type V201DataTransferRequest = v201::DataTransferRequest<Value>;
/// A 2.0.1 DataTransfer answer whose `data` is any JSON value.
pub type V201DataTransferResponse = v201::DataTransferResponse<Value>;

csms_requests! {
    V16: v16::ResetRequest => v16::ResetResponse, "Reset";
    V16: v16::ChangeAvailabilityRequest => v16::ChangeAvailabilityResponse, "ChangeAvailability";
    V16: v16::UnlockConnectorRequest => v16::UnlockConnectorResponse, "UnlockConnector";
    V16: v16::ClearCacheRequest => v16::ClearCacheResponse, "ClearCache";
    V16: v16::TriggerMessageRequest => v16::TriggerMessageResponse, "TriggerMessage";
    V16: v16::DataTransferRequest => v16::DataTransferResponse, "DataTransfer";
    V16: v16::RemoteStartTransactionRequest => v16::RemoteStartTransactionResponse, "RemoteStartTransaction";
    V16: v16::RemoteStopTransactionRequest => v16::RemoteStopTransactionResponse, "RemoteStopTransaction";
    V201: v201::ResetRequest => v201::ResetResponse, "Reset";
    V201: v201::ChangeAvailabilityRequest => v201::ChangeAvailabilityResponse, "ChangeAvailability";
    V201: v201::UnlockConnectorRequest => v201::UnlockConnectorResponse, "UnlockConnector";
    V201: v201::ClearCacheRequest => v201::ClearCacheResponse, "ClearCache";
    V201: v201::TriggerMessageRequest => v201::TriggerMessageResponse, "TriggerMessage";
    V201: V201DataTransferRequest => V201DataTransferResponse, "DataTransfer";
    V201: v201::RequestStartTransactionRequest => v201::RequestStartTransactionResponse, "RequestStartTransaction";
    V201: v201::RequestStopTransactionRequest => v201::RequestStopTransactionResponse, "RequestStopTransaction";
    V201: v201::GetTransactionStatusRequest => v201::GetTransactionStatusResponse, "GetTransactionStatus";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::csms::{OutboundError, decode_answer, encode, named, text};

    #[test]
    fn requests_are_written_as_the_schema_wants() {
        let reset = encode(&v16::ResetRequest { r#type: v16::ResetRequestType::Hard }).unwrap();
        assert_eq!((reset.action, reset.payload), ("Reset", json!({"type": "Hard"})));
        let start = v201::RequestStartTransactionRequest {
            charging_profile: None,
            custom_data: None,
            evse_id: Some(1),
            group_id_token: None,
            id_token: v201::IdToken {
                additional_info: None,
                custom_data: None,
                id_token: text("idToken", "TAG1").unwrap(),
                r#type: named("type", "ISO14443").unwrap(),
            },
            remote_start_id: 5,
        };
        let start = encode(&start).unwrap();
        assert_eq!(start.action, "RequestStartTransaction");
        assert_eq!(start.payload, json!({"evseId": 1, "idToken": {"idToken": "TAG1", "type": "ISO14443"}, "remoteStartId": 5}));
        let data = V201DataTransferRequest {
            custom_data: None,
            data: Some(json!({"a": [1, 2]})),
            message_id: None,
            vendor_id: text("vendorId", "com.example").unwrap(),
        };
        assert_eq!(encode(&data).unwrap().payload, json!({"vendorId": "com.example", "data": {"a": [1, 2]}}));
    }

    #[test]
    fn values_that_do_not_fit_their_field_are_refused() {
        assert!(matches!(text::<v16::IdTag>("idTag", &"x".repeat(21)), Err(OutboundError::Field { field: "idTag", .. })));
        assert!(matches!(
            named::<v16::TriggerMessageRequestRequestedMessage>("requestedMessage", "Everything"),
            Err(OutboundError::Field { .. })
        ));
    }

    #[test]
    fn gap_outbound_bounds_count_bytes() {
        // 12 characters fit the schema's 20, 24 bytes do not fit `IdTag`
        assert!(text::<v16::IdTag>("idTag", &"Ä".repeat(12)).is_err());
        assert!(text::<v16::IdTag>("idTag", &"Ä".repeat(10)).is_ok());
    }

    #[test]
    fn answers_are_checked_and_typed() {
        let answer = decode_answer::<v16::UnlockConnectorRequest>(&json!({"status": "Unlocked"})).unwrap();
        assert_eq!(answer.status, v16::UnlockConnectorResponseStatus::Unlocked);
        let answer = decode_answer::<v201::ResetRequest>(&json!({"status": "Scheduled"})).unwrap();
        assert_eq!(answer.status, v201::ResetStatusEnum::Scheduled);
        let answer =
            decode_answer::<V201DataTransferRequest>(&json!({"status": "Accepted", "data": [1, "two"]})).unwrap();
        assert_eq!(answer.data, Some(json!([1, "two"])));
        assert!(matches!(
            decode_answer::<v16::ResetRequest>(&json!({"status": "Maybe"})),
            Err(OutboundError::Schema(_))
        ));
    }
}
