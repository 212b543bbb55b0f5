//! The 2.0.1 Provisioning block: what the CSMS asks of the device model.
//!
//! | action | what the answer means |
//! |---|---|
//! | GetBaseReport | `Accepted`: the report follows as NotifyReport messages carrying the same `requestId`; `Rejected`, `NotSupported`, `EmptyResultSet` |
//! | GetVariables | one result per variable asked: its `attributeStatus` (`Accepted` with the value, `Rejected`, `UnknownComponent`, `UnknownVariable`, `NotSupportedAttributeType`) |
//! | SetVariables | one result per variable set: `Accepted`, `Rejected`, `UnknownComponent`, `UnknownVariable`, `NotSupportedAttributeType`, `RebootRequired` |

use super::csms_requests;
use crate::v201;

csms_requests! {
    V201: v201::GetBaseReportRequest => v201::GetBaseReportResponse, "GetBaseReport";
    V201: v201::GetVariablesRequest => v201::GetVariablesResponse, "GetVariables";
    V201: v201::SetVariablesRequest => v201::SetVariablesResponse, "SetVariables";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::csms::{OutboundError, encode, named};

    #[test]
    fn a_report_is_asked_for_by_its_base() {
        let report = v201::GetBaseReportRequest {
            custom_data: None,
            report_base: named("reportBase", "FullInventory").unwrap(),
            request_id: 1,
        };
        assert_eq!(encode(&report).unwrap().payload, json!({"reportBase": "FullInventory", "requestId": 1}));
        assert!(matches!(
            named::<v201::ReportBaseEnum>("reportBase", "Everything"),
            Err(OutboundError::Field { field: "reportBase", .. })
        ));
    }
}
