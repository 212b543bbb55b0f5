//! Tests of the 2.0.1 typed messages: Gridlet's answers to every request a
//! station sends, and the places where `ocpp-types` cannot represent a
//! schema-valid 2.0.1 payload.

use serde::Serialize;
use serde_json::{Value, json};

use super::common::{
    AuthorizationStatusEnum, AuthorizeCertificateStatusEnum, DataTransferStatusEnum,
    GenericStatusEnum, GetCertificateStatusEnum, IdToken, IdTokenEnum, IdTokenInfo,
    Iso15118EVCertificateStatusEnum, MessageContent, MessageFormatEnum,
    NotifyEVChargingNeedsStatusEnum, RegistrationStatusEnum, StatusInfo,
};
use super::*;
use crate::station::tests::{
    assert_ocpp_types_gap, assert_valid_answers, boundary_failures, call,
    enum_values_that_do_not_decode,
};
use crate::{OcppVersion, PayloadKind, decode_station_request, encode_payload, validate};

fn time(text: &str) -> ocpp_types::OcppTimestamp {
    ocpp_types::OcppTimestamp::parse_rfc3339(text).unwrap()
}

fn answer<T: Serialize>(action: &'static str, response: T) -> (&'static str, Value) {
    (action, encode_payload(&response).unwrap())
}

fn accepted_token() -> IdTokenInfo {
    IdTokenInfo {
        cache_expiry_date_time: Some(time("2026-12-31T23:59:59Z")),
        charging_priority: Some(0),
        custom_data: None,
        evse_id: Some(vec![1, 2]),
        group_id_token: Some(IdToken {
            additional_info: None,
            custom_data: None,
            id_token: "FLEET-7".try_into().unwrap(),
            r#type: IdTokenEnum::Central,
        }),
        language1: Some("de".try_into().unwrap()),
        language2: None,
        personal_message: Some(MessageContent {
            content: "Willkommen zurück!".try_into().unwrap(),
            custom_data: None,
            format: MessageFormatEnum::UTF8,
            language: Some("de".try_into().unwrap()),
        }),
        status: AuthorizationStatusEnum::Accepted,
    }
}

fn status_info(reason: &str) -> Option<StatusInfo> {
    Some(StatusInfo {
        additional_info: Some("see the operator's portal".try_into().unwrap()),
        custom_data: None,
        reason_code: reason.try_into().unwrap(),
    })
}

/// A realistic CSMS answer to every request a 2.0.1 station sends, built
/// from `ocpp-types` structs.
fn responses() -> Vec<(&'static str, Value)> {
    vec![
        answer::<AuthorizeResponse>(
            "Authorize",
            AuthorizeResponse {
                certificate_status: Some(AuthorizeCertificateStatusEnum::Accepted),
                custom_data: None,
                id_token_info: accepted_token(),
            },
        ),
        answer::<BootNotificationResponse>(
            "BootNotification",
            BootNotificationResponse {
                current_time: crate::unix_millis_to_timestamp(1_795_255_200_123),
                custom_data: None,
                interval: 300,
                status: RegistrationStatusEnum::Accepted,
                status_info: None,
            },
        ),
        answer::<ClearedChargingLimitResponse>(
            "ClearedChargingLimit",
            ClearedChargingLimitResponse { custom_data: None },
        ),
        answer::<DataTransferResponse<Value>>(
            "DataTransfer",
            DataTransferResponse {
                custom_data: None,
                data: Some(json!({"accepted": [1, 2, 3]})),
                status: DataTransferStatusEnum::Accepted,
                status_info: None,
            },
        ),
        answer::<FirmwareStatusNotificationResponse>(
            "FirmwareStatusNotification",
            FirmwareStatusNotificationResponse { custom_data: None },
        ),
        answer::<Get15118EVCertificateResponse>(
            "Get15118EVCertificate",
            Get15118EVCertificateResponse {
                custom_data: None,
                exi_response: "gAQ4AAAAAAAAAAAAAA==".into(),
                status: Iso15118EVCertificateStatusEnum::Accepted,
                status_info: None,
            },
        ),
        answer::<GetCertificateStatusResponse>(
            "GetCertificateStatus",
            GetCertificateStatusResponse {
                custom_data: None,
                ocsp_result: None,
                status: GetCertificateStatusEnum::Failed,
                status_info: status_info("OCSPUnreachable"),
            },
        ),
        answer::<HeartbeatResponse>(
            "Heartbeat",
            HeartbeatResponse {
                current_time: time("2026-11-21T10:00:00Z"),
                custom_data: None,
            },
        ),
        answer::<LogStatusNotificationResponse>(
            "LogStatusNotification",
            LogStatusNotificationResponse { custom_data: None },
        ),
        answer::<MeterValuesResponse>("MeterValues", MeterValuesResponse { custom_data: None }),
        answer::<NotifyChargingLimitResponse>(
            "NotifyChargingLimit",
            NotifyChargingLimitResponse { custom_data: None },
        ),
        answer::<NotifyCustomerInformationResponse>(
            "NotifyCustomerInformation",
            NotifyCustomerInformationResponse { custom_data: None },
        ),
        answer::<NotifyDisplayMessagesResponse>(
            "NotifyDisplayMessages",
            NotifyDisplayMessagesResponse { custom_data: None },
        ),
        answer::<NotifyEVChargingNeedsResponse>(
            "NotifyEVChargingNeeds",
            NotifyEVChargingNeedsResponse {
                custom_data: None,
                status: NotifyEVChargingNeedsStatusEnum::Processing,
                status_info: None,
            },
        ),
        answer::<NotifyEVChargingScheduleResponse>(
            "NotifyEVChargingSchedule",
            NotifyEVChargingScheduleResponse {
                custom_data: None,
                status: GenericStatusEnum::Accepted,
                status_info: None,
            },
        ),
        answer::<NotifyEventResponse>("NotifyEvent", NotifyEventResponse { custom_data: None }),
        answer::<NotifyMonitoringReportResponse>(
            "NotifyMonitoringReport",
            NotifyMonitoringReportResponse { custom_data: None },
        ),
        answer::<NotifyReportResponse>("NotifyReport", NotifyReportResponse { custom_data: None }),
        answer::<PublishFirmwareStatusNotificationResponse>(
            "PublishFirmwareStatusNotification",
            PublishFirmwareStatusNotificationResponse { custom_data: None },
        ),
        answer::<ReportChargingProfilesResponse>(
            "ReportChargingProfiles",
            ReportChargingProfilesResponse { custom_data: None },
        ),
        answer::<ReservationStatusUpdateResponse>(
            "ReservationStatusUpdate",
            ReservationStatusUpdateResponse { custom_data: None },
        ),
        answer::<SecurityEventNotificationResponse>(
            "SecurityEventNotification",
            SecurityEventNotificationResponse { custom_data: None },
        ),
        answer::<SignCertificateResponse>(
            "SignCertificate",
            SignCertificateResponse {
                custom_data: None,
                status: GenericStatusEnum::Rejected,
                status_info: status_info("InvalidCSR"),
            },
        ),
        answer::<StatusNotificationResponse>(
            "StatusNotification",
            StatusNotificationResponse { custom_data: None },
        ),
        answer::<TransactionEventResponse>(
            "TransactionEvent",
            TransactionEventResponse {
                charging_priority: Some(1),
                custom_data: None,
                id_token_info: Some(accepted_token()),
                total_cost: Some(5.87),
                updated_personal_message: Some(MessageContent {
                    content: "5,87 € so far".try_into().unwrap(),
                    custom_data: None,
                    format: MessageFormatEnum::UTF8,
                    language: None,
                }),
            },
        ),
    ]
}

#[test]
fn responses_to_every_station_request_satisfy_the_schemas() {
    assert_valid_answers(OcppVersion::V201, &responses());
}

#[test]
fn a_transaction_event_carries_the_payload_typed() {
    let payload = json!({"eventType": "Started", "timestamp": "2026-11-21T12:00:00.123+02:00", "triggerReason": "Authorized",
        "seqNo": 0, "transactionInfo": {"transactionId": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"},
        "idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"}, "evse": {"id": 1, "connectorId": 1}});
    let Ok(crate::StationRequest::V201(StationRequest::TransactionEvent(event))) =
        decode_station_request(OcppVersion::V201, &call("TransactionEvent", payload))
    else {
        panic!("not a TransactionEvent");
    };
    assert_eq!(
        event.transaction_info.transaction_id.as_str(),
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    );
    assert_eq!(event.seq_no, 0);
    assert_eq!(
        event
            .id_token
            .map(|token| token.id_token.to_string())
            .as_deref(),
        Some("04A2B3C4D5E6F7")
    );
    assert_eq!(
        crate::timestamp_to_unix_millis(&event.timestamp),
        1_795_255_200_123
    );
}

/// Every string at its `maxLength` in ASCII, and every array at its
/// `maxItems`, decodes; one more is refused by the schema. Every `enum`
/// value the schemas allow in the examples' fields decodes.
#[test]
fn bounded_and_enumerated_fields_decode_up_to_their_limit() {
    let failures = boundary_failures(OcppVersion::V201);
    assert_eq!(failures.ascii_at_limit, Vec::<String>::new());
    assert_eq!(failures.over_limit_accepted, Vec::<String>::new());
    assert_eq!(
        enum_values_that_do_not_decode(OcppVersion::V201),
        Vec::<String>::new()
    );
}

// ---- ocpp-types gaps: schema-valid 2.0.1 payloads that do not decode ----

/// Schema string bounds count characters; ocpp-types' `heapless::String<N>`
/// counts bytes. A display message of 300 non-ASCII characters is valid
/// (`maxLength: 512`) and does not fit in 512 bytes.
#[test]
fn gap_non_ascii_strings_near_their_limit() {
    let payload = json!({"requestId": 1, "messageInfo": [{"id": 1, "priority": "NormalCycle",
        "message": {"format": "UTF8", "content": "充".repeat(300)}}]});
    assert_ocpp_types_gap(OcppVersion::V201, "NotifyDisplayMessages", payload);
    let failures = boundary_failures(OcppVersion::V201).non_ascii_at_limit;
    assert!(
        failures.contains(&"TransactionEvent/idToken/idToken".to_owned()),
        "{failures:?}"
    );
}

/// Draft-06 counts `1.0` as an integer; ocpp-types' `i64` fields do not
/// accept a JSON float.
#[test]
fn gap_integers_written_as_floats() {
    let payload = json!({"timestamp": "2026-11-21T10:00:00Z", "connectorStatus": "Available", "evseId": 1.0, "connectorId": 1});
    assert_ocpp_types_gap(OcppVersion::V201, "StatusNotification", payload);
}

/// `customData` is accepted and dropped (`NoCustomData`), but a dropped
/// object is written back as `{}`, which breaks the schema (`vendorId` is
/// required): never echo a decoded request's `customData`.
#[test]
fn gap_decoded_custom_data_is_written_back_empty() {
    let payload = json!({"customData": {"vendorId": "com.gridlet"}, "timestamp": "2026-11-21T10:00:00Z",
        "connectorStatus": "Available", "evseId": 1, "connectorId": 1});
    let Ok(crate::StationRequest::V201(StationRequest::StatusNotification(status))) =
        decode_station_request(OcppVersion::V201, &call("StatusNotification", payload))
    else {
        panic!("not a StatusNotification");
    };
    let written = encode_payload(&status).unwrap();
    assert_eq!(written["customData"], json!({}));
    let violation = validate(
        OcppVersion::V201,
        "StatusNotification",
        PayloadKind::Request,
        &written,
    )
    .unwrap_err();
    assert_eq!(
        violation.message,
        "customData.vendorId: required field is missing"
    );
}
