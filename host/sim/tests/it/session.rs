//! Full charging sessions in each version: the right messages, in order,
//! schema-valid, with exact timestamps and energy.

use serde_json::json;
use sim::{ConnectorStatus, Delivery, OcppVersion, StopReason, TransactionId};

use crate::booted;
use crate::csms::Csms;

const HALF_HOUR_MS: i64 = 30 * 60 * 1000;

#[tokio::test]
async fn a_1_6_session() {
    let csms = Csms::with_defaults().await;
    let (mut station, clock) = booted(&csms, "CP1", OcppVersion::V16).await;
    assert_eq!(station.state().heartbeat_interval_s(), 300);
    assert!(!station.heartbeat().await.unwrap().is_empty());
    station.status(0, ConnectorStatus::Available).await.unwrap();
    station.status(1, ConnectorStatus::Preparing).await.unwrap();
    assert_eq!(station.authorize("TAG-1").await.unwrap(), "Accepted");
    let transaction = station.start_transaction(1, "TAG-1").await.unwrap();
    assert_eq!(
        station.transaction(transaction).unwrap().id,
        Some(TransactionId::Csms(100))
    );
    assert_eq!(
        station
            .transaction(transaction)
            .unwrap()
            .authorization
            .as_deref(),
        Some("Accepted")
    );
    station.status(1, ConnectorStatus::Charging).await.unwrap();
    for _ in 0..2 {
        clock.advance(HALF_HOUR_MS);
        assert_eq!(
            station.meter_values(transaction).await.unwrap(),
            Delivery::Acknowledged
        );
    }
    clock.advance(HALF_HOUR_MS);
    assert_eq!(
        station
            .stop_transaction(transaction, StopReason::Local)
            .await
            .unwrap(),
        Delivery::Acknowledged
    );
    station.status(1, ConnectorStatus::Finishing).await.unwrap();

    assert_eq!(csms.violations(), Vec::<String>::new());
    assert_eq!(
        csms.actions(),
        [
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "StatusNotification",
            "MeterValues",
            "MeterValues",
            "StopTransaction",
            "StatusNotification",
        ]
    );
    assert_eq!(
        csms.requests_of("StartTransaction"),
        [
            json!({"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2025-11-21T10:00:00.000Z"})
        ]
    );
    let meter_values = csms.requests_of("MeterValues");
    assert_eq!(meter_values[1]["transactionId"], json!(100));
    assert_eq!(
        meter_values[1]["meterValue"],
        json!([{"timestamp": "2025-11-21T11:00:00.000Z", "sampledValue": [
            {"value": "11000", "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register", "location": "Outlet", "unit": "Wh"},
            {"value": "11000", "context": "Sample.Periodic", "measurand": "Power.Active.Import", "location": "Outlet", "unit": "W"},
        ]}])
    );
    let stop = &csms.requests_of("StopTransaction")[0];
    assert_eq!(stop["transactionId"], json!(100));
    assert_eq!(stop["meterStop"], json!(16_500));
    assert_eq!(stop["reason"], json!("Local"));
    assert_eq!(stop["timestamp"], json!("2025-11-21T11:30:00.000Z"));
    assert_eq!(
        stop["transactionData"][1]["sampledValue"][0]["value"],
        json!("16500")
    );
    let statuses: Vec<_> = csms
        .requests_of("StatusNotification")
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("Available"),
            json!("Preparing"),
            json!("Charging"),
            json!("Finishing")
        ]
    );
}

#[tokio::test]
async fn a_2_0_1_session() {
    let csms = Csms::with_defaults().await;
    let (mut station, clock) = booted(&csms, "CP1", OcppVersion::V201).await;
    station.status(1, ConnectorStatus::Occupied).await.unwrap();
    assert_eq!(station.authorize("TAG-1").await.unwrap(), "Accepted");
    let transaction = station.start_transaction(1, "TAG-1").await.unwrap();
    let Some(TransactionId::Station(id)) = station.transaction(transaction).unwrap().id else {
        panic!("no id")
    };
    clock.advance(HALF_HOUR_MS);
    station.meter_values(transaction).await.unwrap();
    clock.advance(HALF_HOUR_MS);
    station
        .stop_transaction(transaction, StopReason::EvDisconnected)
        .await
        .unwrap();
    station.status(1, ConnectorStatus::Available).await.unwrap();

    assert_eq!(csms.violations(), Vec::<String>::new());
    assert_eq!(
        csms.actions(),
        [
            "BootNotification",
            "StatusNotification",
            "Authorize",
            "TransactionEvent",
            "TransactionEvent",
            "TransactionEvent",
            "StatusNotification",
        ]
    );
    let events = csms.requests_of("TransactionEvent");
    let field = |name: &str| {
        events
            .iter()
            .map(|event| event[name].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        field("eventType"),
        [json!("Started"), json!("Updated"), json!("Ended")]
    );
    assert_eq!(field("seqNo"), [json!(0), json!(1), json!(2)]);
    assert_eq!(
        field("triggerReason"),
        [
            json!("Authorized"),
            json!("MeterValuePeriodic"),
            json!("EVCommunicationLost")
        ]
    );
    assert_eq!(field("offline"), [json!(null), json!(null), json!(null)]);
    assert!(
        events
            .iter()
            .all(|event| event["transactionInfo"]["transactionId"] == json!(id))
    );
    assert_eq!(
        events[0]["idToken"],
        json!({"idToken": "TAG-1", "type": "ISO14443"})
    );
    assert_eq!(events[0]["evse"], json!({"id": 1, "connectorId": 1}));
    assert_eq!(
        events[0]["meterValue"][0]["sampledValue"][0]["context"],
        json!("Transaction.Begin")
    );
    assert_eq!(
        events[1]["meterValue"][0]["sampledValue"],
        json!([
            {"value": 5500, "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register", "location": "Outlet", "unitOfMeasure": {"unit": "Wh"}},
            {"value": 11000, "context": "Sample.Periodic", "measurand": "Power.Active.Import", "location": "Outlet", "unitOfMeasure": {"unit": "W"}},
        ])
    );
    assert_eq!(
        events[2]["transactionInfo"]["stoppedReason"],
        json!("EVDisconnected")
    );
    assert_eq!(
        events[2]["meterValue"][0]["sampledValue"][0]["value"],
        json!(11000)
    );
    assert_eq!(
        events[2]["meterValue"][0]["sampledValue"][0]["context"],
        json!("Transaction.End")
    );
    assert_eq!(events[2]["timestamp"], json!("2025-11-21T11:00:00.000Z"));
}

#[tokio::test]
async fn notifications_in_each_version_pass_the_schemas() {
    let csms = Csms::with_defaults().await;
    let (mut v16, _) = booted(&csms, "CP16", OcppVersion::V16).await;
    v16.diagnostics_status("Uploaded").await.unwrap();
    v16.firmware_status("Installed", None).await.unwrap();
    v16.security_event("StartupOfTheDevice", Some("power on"))
        .await
        .unwrap();
    v16.log_status("Uploading", Some(4)).await.unwrap();
    v16.connector_meter_values(1).await.unwrap();
    assert_eq!(
        v16.data_transfer("acme", Some("ping"), None).await.unwrap()["data"],
        json!("pong")
    );

    let (mut v201, _) = booted(&csms, "CP201", OcppVersion::V201).await;
    v201.notify_report(7).await.unwrap();
    v201.notify_event("Connector", "AvailabilityState", "Unavailable")
        .await
        .unwrap();
    v201.security_event("StartupOfTheDevice", None)
        .await
        .unwrap();
    v201.firmware_status("Installed", Some(3)).await.unwrap();
    v201.log_status("Uploaded", Some(4)).await.unwrap();
    v201.connector_meter_values(1).await.unwrap();
    v201.data_transfer("acme", None, Some("hello"))
        .await
        .unwrap();

    assert_eq!(csms.violations(), Vec::<String>::new());
    assert_eq!(csms.requests().len(), 15);
    let report = &csms.requests_of("NotifyReport")[0];
    assert_eq!(report["requestId"], json!(7));
    assert!(
        report["reportData"]
            .as_array()
            .unwrap()
            .iter()
            .any(|data| data["variable"]["name"] == "HeartbeatInterval")
    );
    assert_eq!(
        csms.requests_of("FirmwareStatusNotification"),
        [
            json!({"status": "Installed"}),
            json!({"status": "Installed", "requestId": 3})
        ]
    );
}
