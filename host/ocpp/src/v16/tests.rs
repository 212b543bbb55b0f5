//! Tests of the 1.6 typed messages: Gridlet's answers to every request a
//! station sends, and the places where `ocpp-types` cannot represent a
//! schema-valid 1.6 payload.

use serde_json::{Value, json};

use super::common::{
    BootNotificationResponseStatus, DataTransferResponseStatus, IdTagInfo, IdTagInfoStatus,
    SignCertificateResponseStatus,
};
use super::*;
use crate::station::tests::{
    assert_ocpp_types_gap, assert_valid_answers, boundary_failures, call,
    enum_values_that_do_not_decode,
};
use crate::{OcppVersion, decode_station_request, encode_payload};

fn time(text: &str) -> ocpp_types::OcppTimestamp {
    ocpp_types::OcppTimestamp::parse_rfc3339(text).unwrap()
}

fn accepted(expiry: Option<&str>) -> IdTagInfo {
    IdTagInfo {
        expiry_date: expiry.map(time),
        parent_id_tag: Some("FLEET-7".try_into().unwrap()),
        status: IdTagInfoStatus::Accepted,
    }
}

/// A realistic CSMS answer to every request a 1.6 station sends, built from
/// `ocpp-types` structs.
fn responses() -> Vec<(&'static str, Value)> {
    let encode = |value: Result<Value, crate::EncodeError>| value.unwrap();
    vec![
        (
            "Authorize",
            encode(encode_payload(&AuthorizeResponse {
                id_tag_info: accepted(Some("2026-12-31T23:59:59Z")),
            })),
        ),
        (
            "BootNotification",
            encode(encode_payload(&BootNotificationResponse {
                current_time: crate::unix_millis_to_timestamp(1_795_255_200_123),
                interval: 300,
                status: BootNotificationResponseStatus::Accepted,
            })),
        ),
        (
            "DataTransfer",
            encode(encode_payload(&DataTransferResponse {
                data: Some("{\"ok\":true}".into()),
                status: DataTransferResponseStatus::Accepted,
            })),
        ),
        (
            "DiagnosticsStatusNotification",
            encode(encode_payload(&DiagnosticsStatusNotificationResponse {})),
        ),
        (
            "FirmwareStatusNotification",
            encode(encode_payload(&FirmwareStatusNotificationResponse {})),
        ),
        (
            "Heartbeat",
            encode(encode_payload(&HeartbeatResponse {
                current_time: time("2026-11-21T10:00:00Z"),
            })),
        ),
        (
            "LogStatusNotification",
            encode(encode_payload(&LogStatusNotificationResponse {})),
        ),
        (
            "MeterValues",
            encode(encode_payload(&MeterValuesResponse {})),
        ),
        (
            "SecurityEventNotification",
            encode(encode_payload(&SecurityEventNotificationResponse {})),
        ),
        (
            "SignCertificate",
            encode(encode_payload(&SignCertificateResponse {
                status: SignCertificateResponseStatus::Accepted,
            })),
        ),
        (
            "SignedFirmwareStatusNotification",
            encode(encode_payload(&SignedFirmwareStatusNotificationResponse {})),
        ),
        (
            "StartTransaction",
            encode(encode_payload(&StartTransactionResponse {
                id_tag_info: accepted(None),
                transaction_id: 4711,
            })),
        ),
        (
            "StatusNotification",
            encode(encode_payload(&StatusNotificationResponse {})),
        ),
        (
            "StopTransaction",
            encode(encode_payload(&StopTransactionResponse {
                id_tag_info: Some(IdTagInfo {
                    expiry_date: None,
                    parent_id_tag: None,
                    status: IdTagInfoStatus::Blocked,
                }),
            })),
        ),
    ]
}

#[test]
fn responses_to_every_station_request_satisfy_the_schemas() {
    assert_valid_answers(OcppVersion::V16, &responses());
}

#[test]
fn a_boot_notification_response_is_written_as_the_specification_shows() {
    let payload = encode_payload(&BootNotificationResponse {
        current_time: crate::unix_millis_to_timestamp(1_795_255_200_123),
        interval: 300,
        status: BootNotificationResponseStatus::Pending,
    })
    .unwrap();
    assert_eq!(
        payload,
        json!({"currentTime": "2026-11-21T10:00:00.123Z", "interval": 300, "status": "Pending"})
    );
}

#[test]
fn station_requests_carry_the_payload_typed() {
    let payload = json!({"connectorId": 2, "idTag": "04A2B3C4D5E6F7", "meterStart": 15000,
        "timestamp": "2026-11-21T12:00:00.123+02:00"});
    let Ok(crate::StationRequest::V16(StationRequest::StartTransaction(start))) =
        decode_station_request(OcppVersion::V16, &call("StartTransaction", payload))
    else {
        panic!("not a StartTransaction");
    };
    assert_eq!(start.connector_id, 2);
    assert_eq!(start.id_tag.as_str(), "04A2B3C4D5E6F7");
    assert_eq!(start.meter_start, 15000);
    assert_eq!(
        crate::timestamp_to_unix_millis(&start.timestamp),
        1_795_255_200_123
    );
}

/// Every string at its `maxLength` in ASCII, and every array at its
/// `maxItems`, decodes; one character more is refused by the schema.
#[test]
fn bounded_fields_decode_up_to_their_limit() {
    let failures = boundary_failures(OcppVersion::V16);
    assert_eq!(failures.ascii_at_limit, Vec::<String>::new());
    assert_eq!(failures.over_limit_accepted, Vec::<String>::new());
}

// ---- ocpp-types gaps: schema-valid 1.6 payloads that do not decode ----

/// The vendored 1.6 MeterValues schema allows the unit `Hertz`; ocpp-types
/// shares one unit enum between MeterValues and StopTransaction (whose
/// schema has no `Hertz`) and cannot represent it.
#[test]
fn gap_meter_values_unit_hertz() {
    assert_eq!(
        enum_values_that_do_not_decode(OcppVersion::V16),
        ["MeterValues/meterValue/*/sampledValue/*/unit=\"Hertz\""]
    );
    let payload = json!({"connectorId": 1, "meterValue": [{"timestamp": "2026-11-21T10:00:00Z",
        "sampledValue": [{"value": "50.0", "measurand": "Frequency", "unit": "Hertz"}]}]});
    let description = assert_ocpp_types_gap(OcppVersion::V16, "MeterValues", payload);
    assert!(description.contains("Hertz"), "{description}");
}

/// Schema string bounds count characters; ocpp-types' `heapless::String<N>`
/// counts bytes. A 20-character `idTag` of non-ASCII characters is valid and
/// does not fit.
#[test]
fn gap_non_ascii_strings_near_their_limit() {
    let id_tag = "Ä".repeat(20);
    let payload = json!({"idTag": id_tag});
    assert_ocpp_types_gap(OcppVersion::V16, "Authorize", payload);
    // Up to half the limit, any character fits.
    let payload = json!({"idTag": "Ä".repeat(10)});
    assert!(decode_station_request(OcppVersion::V16, &call("Authorize", payload)).is_ok());
    assert!(
        !boundary_failures(OcppVersion::V16)
            .non_ascii_at_limit
            .is_empty()
    );
}

/// Integers are `i64` in ocpp-types; the schemas set no range, so a larger
/// integer is valid and does not decode.
#[test]
fn gap_integers_beyond_i64() {
    let payload = json!({"connectorId": 1, "idTag": "A", "meterStart": 10_000_000_000_000_000_000u64,
        "timestamp": "2026-11-21T10:00:00Z"});
    assert_ocpp_types_gap(OcppVersion::V16, "StartTransaction", payload);
}
