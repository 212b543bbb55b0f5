//! OCPP 2.0.1.
//!
//! Re-exports the typed messages of [`ocpp_types::v201`] and adds what Gridlet
//! needs on top: the action table (with each action's direction and vendored
//! schemas) and [`StationRequest`], every request a charging station may send
//! a CSMS, typed. `customData` extensions are accepted and discarded (the
//! types use [`ocpp_types::NoCustomData`]); `DataTransfer`'s free-form `data`
//! is kept as a [`serde_json::Value`].

pub use ocpp_types::v201::common::*;
pub use ocpp_types::v201::*;

crate::actions::action_table! {
    dir: "v201",
    request_suffix: "Request",
    response_suffix: "Response",
    actions: [
        "Authorize" => ToCsms,
        "BootNotification" => ToCsms,
        "CancelReservation" => ToStation,
        "CertificateSigned" => ToStation,
        "ChangeAvailability" => ToStation,
        "ClearCache" => ToStation,
        "ClearChargingProfile" => ToStation,
        "ClearDisplayMessage" => ToStation,
        "ClearVariableMonitoring" => ToStation,
        "ClearedChargingLimit" => ToCsms,
        "CostUpdated" => ToStation,
        "CustomerInformation" => ToStation,
        "DataTransfer" => Both,
        "DeleteCertificate" => ToStation,
        "FirmwareStatusNotification" => ToCsms,
        "Get15118EVCertificate" => ToCsms,
        "GetBaseReport" => ToStation,
        "GetCertificateStatus" => ToCsms,
        "GetChargingProfiles" => ToStation,
        "GetCompositeSchedule" => ToStation,
        "GetDisplayMessages" => ToStation,
        "GetInstalledCertificateIds" => ToStation,
        "GetLocalListVersion" => ToStation,
        "GetLog" => ToStation,
        "GetMonitoringReport" => ToStation,
        "GetReport" => ToStation,
        "GetTransactionStatus" => ToStation,
        "GetVariables" => ToStation,
        "Heartbeat" => ToCsms,
        "InstallCertificate" => ToStation,
        "LogStatusNotification" => ToCsms,
        "MeterValues" => ToCsms,
        "NotifyChargingLimit" => ToCsms,
        "NotifyCustomerInformation" => ToCsms,
        "NotifyDisplayMessages" => ToCsms,
        "NotifyEVChargingNeeds" => ToCsms,
        "NotifyEVChargingSchedule" => ToCsms,
        "NotifyEvent" => ToCsms,
        "NotifyMonitoringReport" => ToCsms,
        "NotifyReport" => ToCsms,
        "PublishFirmware" => ToStation,
        "PublishFirmwareStatusNotification" => ToCsms,
        "ReportChargingProfiles" => ToCsms,
        "RequestStartTransaction" => ToStation,
        "RequestStopTransaction" => ToStation,
        "ReservationStatusUpdate" => ToCsms,
        "ReserveNow" => ToStation,
        "Reset" => ToStation,
        "SecurityEventNotification" => ToCsms,
        "SendLocalList" => ToStation,
        "SetChargingProfile" => ToStation,
        "SetDisplayMessage" => ToStation,
        "SetMonitoringBase" => ToStation,
        "SetMonitoringLevel" => ToStation,
        "SetNetworkProfile" => ToStation,
        "SetVariableMonitoring" => ToStation,
        "SetVariables" => ToStation,
        "SignCertificate" => ToCsms,
        "StatusNotification" => ToCsms,
        "TransactionEvent" => ToCsms,
        "TriggerMessage" => ToStation,
        "UnlockConnector" => ToStation,
        "UnpublishFirmware" => ToStation,
        "UpdateFirmware" => ToStation,
    ]
}

crate::station::station_requests! {
    Authorize(AuthorizeRequest),
    BootNotification(BootNotificationRequest),
    ClearedChargingLimit(ClearedChargingLimitRequest),
    DataTransfer(DataTransferRequest<serde_json::Value>),
    FirmwareStatusNotification(FirmwareStatusNotificationRequest),
    Get15118EVCertificate(Get15118EVCertificateRequest),
    GetCertificateStatus(GetCertificateStatusRequest),
    Heartbeat(HeartbeatRequest),
    LogStatusNotification(LogStatusNotificationRequest),
    MeterValues(MeterValuesRequest),
    NotifyChargingLimit(NotifyChargingLimitRequest),
    NotifyCustomerInformation(NotifyCustomerInformationRequest),
    NotifyDisplayMessages(NotifyDisplayMessagesRequest),
    NotifyEVChargingNeeds(NotifyEVChargingNeedsRequest),
    NotifyEVChargingSchedule(NotifyEVChargingScheduleRequest),
    NotifyEvent(NotifyEventRequest),
    NotifyMonitoringReport(NotifyMonitoringReportRequest),
    NotifyReport(NotifyReportRequest),
    PublishFirmwareStatusNotification(PublishFirmwareStatusNotificationRequest),
    ReportChargingProfiles(ReportChargingProfilesRequest),
    ReservationStatusUpdate(ReservationStatusUpdateRequest),
    SecurityEventNotification(SecurityEventNotificationRequest),
    SignCertificate(SignCertificateRequest),
    StatusNotification(StatusNotificationRequest),
    TransactionEvent(TransactionEventRequest),
}

#[cfg(test)]
mod tests;
