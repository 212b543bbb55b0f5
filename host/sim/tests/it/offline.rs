//! Offline queueing and replay, including lost acks and duplicates.

use serde_json::{Value, json};
use sim::{Delivery, OcppVersion, ReplayOptions, SimError, StopReason, TransactionId};

use crate::booted;
use crate::csms::{Answer, Behaviour, Csms};

const MINUTE_MS: i64 = 60_000;

fn transaction_ids(csms: &Csms) -> Vec<(String, Value)> {
    csms.requests()
        .into_iter()
        .filter(|received| received.action != "BootNotification")
        .map(|received| (received.action, received.payload["transactionId"].clone()))
        .collect()
}

#[tokio::test]
async fn a_1_6_transaction_made_offline_replays_in_order_with_the_csms_id() {
    let csms = Csms::with_defaults().await;
    let (mut station, clock) = booted(&csms, "CP1", OcppVersion::V16).await;
    station.go_offline();
    assert!(!station.is_online());

    let transaction = station.start_transaction(1, "TAG").await.unwrap();
    assert_eq!(station.transaction(transaction).unwrap().id, None);
    clock.advance(MINUTE_MS);
    assert_eq!(
        station.meter_values(transaction).await.unwrap(),
        Delivery::Queued
    );
    clock.advance(MINUTE_MS);
    assert_eq!(
        station.meter_values(transaction).await.unwrap(),
        Delivery::Queued
    );
    assert_eq!(
        station
            .stop_transaction(transaction, StopReason::Local)
            .await
            .unwrap(),
        Delivery::Queued
    );
    assert!(matches!(station.heartbeat().await, Err(SimError::Offline)));
    assert!(matches!(
        station.authorize("TAG").await,
        Err(SimError::Offline)
    ));
    assert_eq!(
        station.queued_actions(),
        [
            "StartTransaction",
            "MeterValues",
            "MeterValues",
            "StopTransaction"
        ]
    );

    let replayed = station.reconnect().await.unwrap();
    assert_eq!(replayed.len(), 4);
    assert_eq!(replayed[0].response["transactionId"], json!(100));
    assert!(station.queued_actions().is_empty());
    assert_eq!(
        station.transaction(transaction).unwrap().id,
        Some(TransactionId::Csms(100))
    );
    assert_eq!(
        transaction_ids(&csms),
        [
            ("StartTransaction".to_owned(), json!(null)),
            ("MeterValues".to_owned(), json!(100)),
            ("MeterValues".to_owned(), json!(100)),
            ("StopTransaction".to_owned(), json!(100)),
        ]
    );
    let meter_times: Vec<_> = csms
        .requests_of("MeterValues")
        .iter()
        .map(|m| m["meterValue"][0]["timestamp"].clone())
        .collect();
    assert_eq!(
        meter_times,
        [
            json!("2025-11-21T10:01:00.000Z"),
            json!("2025-11-21T10:02:00.000Z")
        ]
    );
    assert_eq!(
        csms.requests_of("StopTransaction")[0]["timestamp"],
        json!("2025-11-21T10:02:00.000Z")
    );
    assert_eq!(csms.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn two_offline_1_6_transactions_each_get_their_own_id() {
    let csms = Csms::with_defaults().await;
    let (config, clock) = crate::config(&csms, "CP1", OcppVersion::V16);
    let mut station = sim::Station::new(sim::StationConfig {
        connectors: 2,
        ..config
    });
    station.connect().await.unwrap();
    station.go_offline();
    let first = station.start_transaction(1, "A").await.unwrap();
    clock.advance(1_000);
    let second = station.start_transaction(2, "B").await.unwrap();
    station
        .stop_transaction(second, StopReason::Local)
        .await
        .unwrap();
    station
        .stop_transaction(first, StopReason::Local)
        .await
        .unwrap();
    station.reconnect().await.unwrap();
    assert_eq!(
        transaction_ids(&csms),
        [
            ("StartTransaction".to_owned(), json!(null)),
            ("StartTransaction".to_owned(), json!(null)),
            ("StopTransaction".to_owned(), json!(101)),
            ("StopTransaction".to_owned(), json!(100)),
        ]
    );
}

#[tokio::test]
async fn a_transaction_started_online_keeps_its_id_through_an_outage() {
    let csms = Csms::with_defaults().await;
    let (mut station, clock) = booted(&csms, "CP1", OcppVersion::V16).await;
    let transaction = station.start_transaction(1, "TAG").await.unwrap();
    station.go_offline();
    clock.advance(MINUTE_MS);
    station.meter_values(transaction).await.unwrap();
    station
        .stop_transaction(transaction, StopReason::PowerLoss)
        .await
        .unwrap();
    let replayed = station.reconnect().await.unwrap();
    let actions: Vec<_> = replayed
        .iter()
        .map(|exchange| exchange.action.as_str())
        .collect();
    assert_eq!(actions, ["MeterValues", "StopTransaction"]);
    assert!(
        replayed
            .iter()
            .all(|exchange| exchange.request["transactionId"] == json!(100))
    );
    assert_eq!(replayed[1].request["reason"], json!("PowerLoss"));
}

#[tokio::test]
async fn lost_acks_and_duplicates_are_replayed_as_asked() {
    let csms = Csms::with_defaults().await;
    let (mut station, clock) = booted(&csms, "CP1", OcppVersion::V16).await;
    let transaction = station.start_transaction(1, "TAG").await.unwrap();
    clock.advance(MINUTE_MS);
    station.meter_values(transaction).await.unwrap();
    station.go_offline();
    station
        .stop_transaction(transaction, StopReason::Local)
        .await
        .unwrap();

    let options = ReplayOptions {
        resend_acknowledged: 2,
        send_each_twice: true,
    };
    let replayed = station.reconnect_with(options).await.unwrap();
    let actions: Vec<_> = replayed
        .iter()
        .map(|exchange| exchange.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "StartTransaction",
            "StartTransaction",
            "MeterValues",
            "MeterValues",
            "StopTransaction",
            "StopTransaction"
        ]
    );
    // The responder is idempotent: the replayed start gets the same id.
    assert!(
        replayed[..2]
            .iter()
            .all(|exchange| exchange.response["transactionId"] == json!(100))
    );
    let starts = csms.requests_of("StartTransaction");
    assert_eq!(starts.len(), 3);
    assert!(
        starts.iter().all(|start| *start == starts[0]),
        "a replay is the same message"
    );
    let meter_values = csms.requests_of("MeterValues");
    assert_eq!(meter_values.len(), 3);
    assert!(meter_values.iter().all(|values| *values == meter_values[0]));
    assert_eq!(csms.requests_of("StopTransaction").len(), 2);
}

#[tokio::test]
async fn offline_2_0_1_events_are_marked_and_keep_their_sequence() {
    let csms = Csms::with_defaults().await;
    let (mut station, clock) = booted(&csms, "CP1", OcppVersion::V201).await;
    let transaction = station.start_transaction(1, "TAG").await.unwrap();
    station.go_offline();
    clock.advance(MINUTE_MS);
    station.meter_values(transaction).await.unwrap();
    station
        .stop_transaction(transaction, StopReason::Local)
        .await
        .unwrap();
    let late = station.start_transaction(1, "TAG2").await.unwrap();
    assert_eq!(station.queued_actions(), ["TransactionEvent"; 3]);

    let replayed = station
        .reconnect_with(ReplayOptions {
            resend_acknowledged: 1,
            ..ReplayOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(replayed.len(), 4);
    let events = csms.requests_of("TransactionEvent");
    let summary: Vec<_> = events
        .iter()
        .map(|event| {
            (
                event["eventType"].clone(),
                event["seqNo"].clone(),
                event["offline"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!("Started"), json!(0), json!(null)),
            (json!("Started"), json!(0), json!(null)),
            (json!("Updated"), json!(1), json!(true)),
            (json!("Ended"), json!(2), json!(true)),
            (json!("Started"), json!(0), json!(true)),
        ]
    );
    assert_eq!(
        events[0], events[1],
        "the replay of an acknowledged event is the same event"
    );
    let late_id = station.transaction(late).unwrap().id.unwrap().to_string();
    assert_eq!(
        events[4]["transactionInfo"]["transactionId"],
        json!(late_id)
    );
    assert_ne!(
        events[0]["transactionInfo"]["transactionId"],
        json!(late_id)
    );
    assert_eq!(csms.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_message_the_csms_never_answered_stays_queued() {
    let behaviour = Behaviour {
        answers: [("MeterValues", Answer::Close(1011, "crashed"))].into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let (mut station, _) = booted(&csms, "CP1", OcppVersion::V16).await;
    let transaction = station.start_transaction(1, "TAG").await.unwrap();
    assert_eq!(
        station.meter_values(transaction).await.unwrap(),
        Delivery::Queued
    );
    assert!(!station.is_online());
    assert_eq!(
        station
            .stop_transaction(transaction, StopReason::Local)
            .await
            .unwrap(),
        Delivery::Queued
    );
    assert_eq!(station.queued_actions(), ["MeterValues", "StopTransaction"]);
}

#[tokio::test]
async fn a_refused_transaction_message_is_dropped_and_reported() {
    let behaviour = Behaviour {
        answers: [(
            "MeterValues",
            Answer::Error(sim::ErrorCode::InternalError, "db down"),
        )]
        .into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let (mut station, _) = booted(&csms, "CP1", OcppVersion::V16).await;
    let transaction = station.start_transaction(1, "TAG").await.unwrap();
    let error = station.meter_values(transaction).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "MeterValues: the csms answered with callerror InternalError: db down"
    );
    assert!(station.queued_actions().is_empty());
    assert_eq!(
        station
            .stop_transaction(transaction, StopReason::Local)
            .await
            .unwrap(),
        Delivery::Acknowledged
    );
}
