//! The Local authorization list block: SendLocalList and
//! GetLocalListVersion, in both versions.
//!
//! | action | what the answer means |
//! |---|---|
//! | SendLocalList | `Accepted`: the list is installed; `Failed`; `VersionMismatch` (a differential update on the wrong version: send the full list); 1.6 `NotSupported` |
//! | GetLocalListVersion | the installed list's version; 0 is no list, 1.6 -1 is not supported |
//!
//! Not yet typed on the way out: SendLocalList's request, whose entries
//! carry expiry timestamps (see the note in [`super::reservation`]);
//! `session::commands` still writes it as JSON.

use super::csms_requests;
use crate::{v16, v201};

csms_requests! {
    V16: v16::SendLocalListRequest => v16::SendLocalListResponse, "SendLocalList";
    V16: v16::GetLocalListVersionRequest => v16::GetLocalListVersionResponse, "GetLocalListVersion";
    V201: v201::SendLocalListRequest => v201::SendLocalListResponse, "SendLocalList";
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
}
