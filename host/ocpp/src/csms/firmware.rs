//! The Firmware and Diagnostics blocks: UpdateFirmware in both versions,
//! 1.6 GetDiagnostics and 2.0.1 GetLog.
//!
//! | 1.6 | 2.0.1 | what the answer means |
//! |---|---|---|
//! | UpdateFirmware | UpdateFirmware | 1.6: nothing (progress follows as FirmwareStatusNotification); 2.0.1 `Accepted`, `Rejected`, `AcceptedCanceled`, `InvalidCertificate`, `RevokedCertificate` |
//! | GetDiagnostics | GetLog | 1.6: the file name, if any; 2.0.1 `Accepted`, `Rejected`, `AcceptedCanceled` and the file name (progress follows as DiagnosticsStatusNotification / LogStatusNotification) |
//!
//! The requests are Gridlet's own, with the fields of the `ocpp-types`
//! ones: they carry instants, which Gridlet writes with milliseconds
//! ([`super::Instant`]). Text fields are plain strings; the schema check in
//! [`super::encode`] bounds them (in characters, as the schemas mean).

use serde::Serialize;

use super::{Instant, csms_requests};
use crate::{v16, v201};

/// A 1.6 UpdateFirmware request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V16UpdateFirmwareRequest {
    /// Where to download the firmware.
    pub location: String,
    /// Download attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// When to download it.
    #[serde(rename = "retrieveDate")]
    pub retrieve_date: Instant,
    /// Seconds between attempts.
    #[serde(rename = "retryInterval", skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i64>,
}

/// A 2.0.1 UpdateFirmware request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201UpdateFirmwareRequest {
    /// What to install and from where.
    pub firmware: V201Firmware,
    /// Repeated in the FirmwareStatusNotification messages.
    #[serde(rename = "requestId")]
    pub request_id: i64,
    /// Download attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// Seconds between attempts.
    #[serde(rename = "retryInterval", skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i64>,
}

/// A 2.0.1 `FirmwareType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201Firmware {
    /// When to install it.
    #[serde(rename = "installDateTime", skip_serializing_if = "Option::is_none")]
    pub install_date_time: Option<Instant>,
    /// Where to download it.
    pub location: String,
    /// When to download it.
    #[serde(rename = "retrieveDateTime")]
    pub retrieve_date_time: Instant,
    /// Base64 signature of the firmware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// PEM certificate the firmware is signed with.
    #[serde(rename = "signingCertificate", skip_serializing_if = "Option::is_none")]
    pub signing_certificate: Option<String>,
}

/// A 1.6 GetDiagnostics request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V16GetDiagnosticsRequest {
    /// Where to upload.
    pub location: String,
    /// Upload attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// Seconds between attempts.
    #[serde(rename = "retryInterval", skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i64>,
    /// Oldest entries to include.
    #[serde(rename = "startTime", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Instant>,
    /// Newest entries to include.
    #[serde(rename = "stopTime", skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<Instant>,
}

/// A 2.0.1 GetLog request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201GetLogRequest {
    /// Where to upload and which entries.
    pub log: V201LogParameters,
    /// Diagnostics or security log.
    #[serde(rename = "logType")]
    pub log_type: v201::LogEnum,
    /// Repeated in the LogStatusNotification messages.
    #[serde(rename = "requestId")]
    pub request_id: i64,
    /// Upload attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// Seconds between attempts.
    #[serde(rename = "retryInterval", skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i64>,
}

/// A 2.0.1 `LogParametersType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201LogParameters {
    /// Newest entries to include.
    #[serde(rename = "latestTimestamp", skip_serializing_if = "Option::is_none")]
    pub latest_timestamp: Option<Instant>,
    /// Oldest entries to include.
    #[serde(rename = "oldestTimestamp", skip_serializing_if = "Option::is_none")]
    pub oldest_timestamp: Option<Instant>,
    /// Where to upload.
    #[serde(rename = "remoteLocation")]
    pub remote_location: String,
}

csms_requests! {
    V16: V16UpdateFirmwareRequest => v16::UpdateFirmwareResponse, "UpdateFirmware";
    V16: V16GetDiagnosticsRequest => v16::GetDiagnosticsResponse, "GetDiagnostics";
    V201: V201UpdateFirmwareRequest => v201::UpdateFirmwareResponse, "UpdateFirmware";
    V201: V201GetLogRequest => v201::GetLogResponse, "GetLog";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::csms::{OutboundError, decode_answer, encode};

    #[test]
    fn firmware_is_asked_for_with_its_instants_in_milliseconds() {
        let update = V16UpdateFirmwareRequest {
            location: "https://example.com/fw.bin".into(),
            retries: None,
            retrieve_date: Instant { unix_millis: 1_795_248_000_000 },
            retry_interval: Some(60),
        };
        assert_eq!(
            encode(&update).unwrap().payload,
            json!({"location": "https://example.com/fw.bin", "retrieveDate": "2026-11-21T08:00:00.000Z", "retryInterval": 60})
        );
        let answer = decode_answer::<V201GetLogRequest>(&json!({"status": "Accepted", "filename": "log.txt"})).unwrap();
        assert_eq!(answer.status, v201::LogStatusEnum::Accepted);
    }

    #[test]
    fn text_bounds_are_the_schemas() {
        let log = V201GetLogRequest {
            log: V201LogParameters {
                latest_timestamp: None,
                oldest_timestamp: None,
                remote_location: "x".repeat(513),
            },
            log_type: v201::LogEnum::DiagnosticsLog,
            request_id: 1,
            retries: None,
            retry_interval: None,
        };
        assert!(matches!(encode(&log), Err(OutboundError::Schema(_))));
    }
}
