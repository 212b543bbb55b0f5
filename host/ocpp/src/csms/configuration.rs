//! The 1.6 Configuration block: GetConfiguration and ChangeConfiguration
//! (2.0.1 uses the device model's GetVariables and SetVariables instead).
//!
//! | action | what the answer means |
//! |---|---|
//! | GetConfiguration | the keys the station knows (`configurationKey`: key, value, read-only) and the ones it does not (`unknownKey`) |
//! | ChangeConfiguration | `Accepted`: in effect; `RebootRequired`: after a reboot; `Rejected`; `NotSupported`: no such key |
//!
//! [`reported_keys`] reads GetConfiguration's answer.

use serde_json::Value;

use super::{OutboundError, csms_requests, decode_answer};
use crate::v16;

/// A configuration key as a station reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedKey {
    /// The key.
    pub key: String,
    /// Its value; none when the station does not say.
    pub value: Option<String>,
    /// Whether it can be changed with ChangeConfiguration.
    pub readonly: bool,
}

/// The keys a station's answer to GetConfiguration reports (checked against
/// the schema first).
pub fn reported_keys(payload: &Value) -> Result<Vec<ReportedKey>, OutboundError> {
    let answer = decode_answer::<v16::GetConfigurationRequest>(payload)?;
    Ok(answer
        .configuration_key
        .unwrap_or_default()
        .into_iter()
        .map(|item| ReportedKey {
            key: item.key.as_str().to_owned(),
            value: item.value.map(|v| v.as_str().to_owned()),
            readonly: item.readonly,
        })
        .collect())
}

csms_requests! {
    V16: v16::GetConfigurationRequest => v16::GetConfigurationResponse, "GetConfiguration";
    V16: v16::ChangeConfigurationRequest => v16::ChangeConfigurationResponse, "ChangeConfiguration";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::csms::{decode_answer, encode, text};

    #[test]
    fn all_keys_are_asked_for_without_a_key_list() {
        let all = encode(&v16::GetConfigurationRequest { key: None }).unwrap();
        assert_eq!((all.action, all.payload), ("GetConfiguration", json!({})));
        let change = v16::ChangeConfigurationRequest {
            key: text("key", "HeartbeatInterval").unwrap(),
            value: text("value", "300").unwrap(),
        };
        assert_eq!(encode(&change).unwrap().payload, json!({"key": "HeartbeatInterval", "value": "300"}));
        let answer = decode_answer::<v16::ChangeConfigurationRequest>(&json!({"status": "RebootRequired"})).unwrap();
        assert_eq!(answer.status, v16::ChangeConfigurationResponseStatus::RebootRequired);
    }

    #[test]
    fn reported_keys_are_read() {
        let answer = json!({
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": false, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": true},
            ],
            "unknownKey": ["Nope"],
        });
        let keys = reported_keys(&answer).unwrap();
        assert_eq!(
            keys,
            vec![
                ReportedKey { key: "HeartbeatInterval".into(), value: Some("300".into()), readonly: false },
                ReportedKey { key: "NumberOfConnectors".into(), value: None, readonly: true },
            ]
        );
        assert_eq!(reported_keys(&json!({})), Ok(Vec::new()));
    }
}
