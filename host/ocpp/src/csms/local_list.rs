//! The Local authorization list block: SendLocalList and
//! GetLocalListVersion, in both versions.
//!
//! | action | what the answer means |
//! |---|---|
//! | SendLocalList | `Accepted`: the list is installed; `Failed`; `VersionMismatch` (a differential update on the wrong version: send the full list); 1.6 `NotSupported` |
//! | GetLocalListVersion | the installed list's version; 0 is no list, 1.6 -1 is not supported |
//!
//! SendLocalList's requests are Gridlet's own ([`V16SendLocalListRequest`],
//! [`V201SendLocalListRequest`]): their entries carry expiry instants, which
//! Gridlet writes with milliseconds ([`super::Instant`]). Their answers are
//! `ocpp-types`'.

use serde::Serialize;

use super::{Instant, csms_requests};
use crate::{v16, v201};

/// A 1.6 SendLocalList request (the fields of `ocpp_types::v16::SendLocalListRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V16SendLocalListRequest {
    /// The list's new version.
    #[serde(rename = "listVersion")]
    pub list_version: i64,
    /// The entries (Gridlet always writes the list, empty or not).
    #[serde(rename = "localAuthorizationList")]
    pub local_authorization_list: Vec<V16LocalListEntry>,
    /// A full replacement or a differential update.
    #[serde(rename = "updateType")]
    pub update_type: v16::UpdateType,
}

/// An entry of a 1.6 local list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V16LocalListEntry {
    /// The token.
    #[serde(rename = "idTag")]
    pub id_tag: v16::IdTag,
    /// Its authorization; none removes it (in a differential update).
    #[serde(rename = "idTagInfo", skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<V16IdTagInfo>,
}

/// A 1.6 `IdTagInfo` in a local list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V16IdTagInfo {
    /// Until when the authorization holds.
    #[serde(rename = "expiryDate", skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<Instant>,
    /// The token's group.
    #[serde(rename = "parentIdTag", skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<v16::IdTag>,
    /// Whether the token may charge.
    pub status: v16::IdTagInfoStatus,
}

/// A 2.0.1 SendLocalList request (the fields of `ocpp_types::v201::SendLocalListRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201SendLocalListRequest {
    /// The entries; none for an empty list.
    #[serde(rename = "localAuthorizationList", skip_serializing_if = "Option::is_none")]
    pub local_authorization_list: Option<Vec<V201LocalListEntry>>,
    /// A full replacement or a differential update.
    #[serde(rename = "updateType")]
    pub update_type: v201::UpdateEnum,
    /// The list's new version.
    #[serde(rename = "versionNumber")]
    pub version_number: i64,
}

/// An entry of a 2.0.1 local list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201LocalListEntry {
    /// The token.
    #[serde(rename = "idToken")]
    pub id_token: v201::IdToken,
    /// Its authorization; none removes it (in a differential update).
    #[serde(rename = "idTokenInfo", skip_serializing_if = "Option::is_none")]
    pub id_token_info: Option<V201IdTokenInfo>,
}

/// A 2.0.1 `IdTokenInfo` in a local list (the fields Gridlet sends).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V201IdTokenInfo {
    /// Until when the station may keep the authorization.
    #[serde(rename = "cacheExpiryDateTime", skip_serializing_if = "Option::is_none")]
    pub cache_expiry_date_time: Option<Instant>,
    /// The token's group.
    #[serde(rename = "groupIdToken", skip_serializing_if = "Option::is_none")]
    pub group_id_token: Option<v201::IdToken>,
    /// Whether the token may charge.
    pub status: v201::AuthorizationStatusEnum,
}

csms_requests! {
    V16: V16SendLocalListRequest => v16::SendLocalListResponse, "SendLocalList";
    V16: v16::GetLocalListVersionRequest => v16::GetLocalListVersionResponse, "GetLocalListVersion";
    V201: V201SendLocalListRequest => v201::SendLocalListResponse, "SendLocalList";
    V201: v201::GetLocalListVersionRequest => v201::GetLocalListVersionResponse, "GetLocalListVersion";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::csms::{decode_answer, encode};

    #[test]
    fn the_version_is_asked_and_read() {
        let ask = encode(&v16::GetLocalListVersionRequest {}).unwrap();
        assert_eq!((ask.action, ask.payload), ("GetLocalListVersion", json!({})));
        let answer = decode_answer::<v201::GetLocalListVersionRequest>(&json!({"versionNumber": 3})).unwrap();
        assert_eq!(answer.version_number, 3);
    }

    #[test]
    fn a_1_6_list_is_written_even_when_empty() {
        let send = V16SendLocalListRequest {
            list_version: 2,
            local_authorization_list: Vec::new(),
            update_type: v16::UpdateType::Full,
        };
        let send = encode(&send).unwrap();
        assert_eq!(send.payload, json!({"listVersion": 2, "localAuthorizationList": [], "updateType": "Full"}));
    }
}
