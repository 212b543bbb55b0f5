//! OCPP 1.6J (edition 2) with the Security Whitepaper (edition 3) actions.
//!
//! Re-exports the typed messages of [`ocpp_types::v16`] and adds what Gridlet
//! needs on top: the action table (with each action's direction and vendored
//! schemas) and [`StationRequest`], every request a charging station may send
//! a CSMS, typed.

pub use ocpp_types::v16::common::*;
pub use ocpp_types::v16::*;

crate::actions::action_table! {
    dir: "v16",
    request_suffix: "",
    response_suffix: "Response",
    actions: [
        "Authorize" => ToCsms,
        "BootNotification" => ToCsms,
        "CancelReservation" => ToStation,
        "CertificateSigned" => ToStation,
        "ChangeAvailability" => ToStation,
        "ChangeConfiguration" => ToStation,
        "ClearCache" => ToStation,
        "ClearChargingProfile" => ToStation,
        "DataTransfer" => Both,
        "DeleteCertificate" => ToStation,
        "DiagnosticsStatusNotification" => ToCsms,
        "ExtendedTriggerMessage" => ToStation,
        "FirmwareStatusNotification" => ToCsms,
        "GetCompositeSchedule" => ToStation,
        "GetConfiguration" => ToStation,
        "GetDiagnostics" => ToStation,
        "GetInstalledCertificateIds" => ToStation,
        "GetLocalListVersion" => ToStation,
        "GetLog" => ToStation,
        "Heartbeat" => ToCsms,
        "InstallCertificate" => ToStation,
        "LogStatusNotification" => ToCsms,
        "MeterValues" => ToCsms,
        "RemoteStartTransaction" => ToStation,
        "RemoteStopTransaction" => ToStation,
        "ReserveNow" => ToStation,
        "Reset" => ToStation,
        "SecurityEventNotification" => ToCsms,
        "SendLocalList" => ToStation,
        "SetChargingProfile" => ToStation,
        "SignCertificate" => ToCsms,
        "SignedFirmwareStatusNotification" => ToCsms,
        "SignedUpdateFirmware" => ToStation,
        "StartTransaction" => ToCsms,
        "StatusNotification" => ToCsms,
        "StopTransaction" => ToCsms,
        "TriggerMessage" => ToStation,
        "UnlockConnector" => ToStation,
        "UpdateFirmware" => ToStation,
    ]
}

crate::station::station_requests! {
    Authorize(AuthorizeRequest),
    BootNotification(BootNotificationRequest),
    DataTransfer(DataTransferRequest),
    DiagnosticsStatusNotification(DiagnosticsStatusNotificationRequest),
    FirmwareStatusNotification(FirmwareStatusNotificationRequest),
    Heartbeat(HeartbeatRequest),
    MeterValues(MeterValuesRequest),
    StartTransaction(StartTransactionRequest),
    StatusNotification(StatusNotificationRequest),
    StopTransaction(StopTransactionRequest),
    SecurityEventNotification(SecurityEventNotificationRequest),
    SignCertificate(SignCertificateRequest),
    LogStatusNotification(LogStatusNotificationRequest),
    SignedFirmwareStatusNotification(SignedFirmwareStatusNotificationRequest),
}

#[cfg(test)]
mod tests;
