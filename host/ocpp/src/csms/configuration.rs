//! The 1.6 Configuration block: GetConfiguration and ChangeConfiguration
//! (2.0.1 uses the device model's GetVariables and SetVariables instead).
//!
//! | action | what the answer means |
//! |---|---|
//! | GetConfiguration | the keys the station knows (`configurationKey`: key, value, read-only) and the ones it does not (`unknownKey`) |
//! | ChangeConfiguration | `Accepted`: in effect; `RebootRequired`: after a reboot; `Rejected`; `NotSupported`: no such key |
//!
//! The session still reads GetConfiguration's answer by field name; it
//! moves here with the answers' typed reading.

use super::csms_requests;
use crate::v16;

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
}
