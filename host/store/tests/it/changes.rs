//! What `apply` writes is what the reads return: every change, the indexes a
//! transaction keeps, replayed readings, and the order and paging of lists.

use domain::connector::ConnectorState;
use domain::event::{DeviceEvent, StationEventKind};
use domain::operator::Scope;
use domain::reservation::ReservationState;
use domain::station::{ProtocolVersion, StationId};
use domain::token::IdToken;
use domain::transaction::TransactionState;
use domain::{Change, ChangeSet, Storage, StorageError};

use crate::support::*;

fn every_kind_of_station_event() -> Vec<StationEventKind> {
    vec![
        StationEventKind::Connected {
            protocol: ProtocolVersion::Ocpp16,
        },
        StationEventKind::Disconnected {
            reason: "closed by station".into(),
        },
        StationEventKind::WentOffline { last_heard: t(-9) },
        StationEventKind::Booted {
            reason: Some("PowerUp".into()),
            answered: "Accepted".into(),
        },
        StationEventKind::DataTransfer {
            vendor_id: "acme".into(),
            message_id: Some("m".into()),
            data: Some("{\"a\":1}".into()),
            answered: "Accepted".into(),
        },
        StationEventKind::FirmwareStatus {
            status: "Downloading".into(),
            request_id: Some(3),
        },
        StationEventKind::DiagnosticsStatus {
            status: "Uploaded".into(),
        },
        StationEventKind::LogStatus {
            status: "Uploading".into(),
            request_id: None,
        },
        StationEventKind::SecurityEvent {
            event_type: "FirmwareUpdated".into(),
            timestamp: t(-5),
            tech_info: Some("tech".into()),
        },
        StationEventKind::DeviceEvent(DeviceEvent {
            event_id: 1,
            timestamp: t(7),
            trigger: "Alerting".into(),
            cause: Some(0),
            actual_value: "true".into(),
            tech_code: Some("c".into()),
            tech_info: Some("i".into()),
            cleared: Some(false),
            transaction_id: Some("tx\0with nul".into()),
            variable_monitoring_id: Some(2),
            notification_type: "HardWiredNotification".into(),
            component: "EVSE@1".into(),
            variable: "Problem".into(),
        }),
    ]
}

#[test]
fn every_change_round_trips_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let cp = station_id("CP-1");
    let events: Vec<_> = every_kind_of_station_event()
        .into_iter()
        .enumerate()
        .map(|(i, kind)| station_event("CP-1", 100 + i as i64, kind))
        .collect();
    let mut changes = ChangeSet::new();
    changes.push(Change::PutStation(station("CP-1")));
    changes.push(Change::StationSeen {
        station: cp.clone(),
        at: t(5_000),
    });
    changes.push(Change::RecordStatus(status(
        "CP-1",
        1,
        ConnectorState::Faulted,
        6_000,
    )));
    changes.push(Change::PutIdToken(token("tag-1")));
    changes.push(Change::PutIdToken(token("doomed")));
    changes.push(Change::DeleteIdToken("DOOMED".into()));
    changes.push(Change::PutTransaction(transaction(7, "CP-1", "tag-1")));
    changes.push(Change::AddMeterSamples {
        transaction: 7,
        samples: vec![sample(1, "Energy.Active.Import.Register", 1.5)],
    });
    changes.push(Change::AddEvseSamples {
        station: cp.clone(),
        evse: 2,
        samples: vec![sample(-2, "Voltage", 230.0)],
    });
    changes.push(Change::RecordTransactionEvent {
        transaction: 7,
        event: tx_event(3, 11),
    });
    for event in &events {
        changes.push(Change::AppendStationEvent(event.clone()));
    }
    changes.push(Change::PutReportedVariables {
        station: cp.clone(),
        variables: vec![variable("OCPPCommCtrlr", "HeartbeatInterval", "60")],
    });
    // a station that comes and goes within the change set
    let gone = station_id("CP-GONE");
    changes.push(Change::PutStation(station("CP-GONE")));
    changes.push(Change::StationSeen {
        station: gone.clone(),
        at: t(5_001),
    });
    changes.push(Change::RecordStatus(status(
        "CP-GONE",
        1,
        ConnectorState::Available,
        6_001,
    )));
    changes.push(Change::DeleteStation(gone.clone()));
    let configuration = vec![
        config_key("CP-1", "MeterValueSampleInterval", Some("60"), 7_000),
        config_key("CP-1", "AuthorizeRemoteTxRequests", None, 7_000),
    ];
    changes.push(Change::PutConfiguration {
        station: cp.clone(),
        keys: configuration.clone(),
    });
    let mut any_connector = reservation(-3, "CP-1");
    any_connector.location = None;
    any_connector.state = ReservationState::Active;
    any_connector.refusal = None;
    any_connector.transaction = None;
    any_connector.group_id = None;
    changes.push(Change::PutReservation(reservation(8, "CP-1")));
    changes.push(Change::PutReservation(any_connector.clone()));
    let mut live_key = api_key("k-live");
    live_key.scope = Scope::Admin;
    live_key.revoked_at = None;
    changes.push(Change::PutApiKey(api_key("k-old")));
    changes.push(Change::PutApiKey(live_key.clone()));

    let check = |store: &store::SledStore| {
        assert_eq!(store.station(&cp).unwrap(), Some(station("CP-1")));
        assert_eq!(store.last_seen(&cp).unwrap(), Some(t(5_000)));
        assert_eq!(
            store.connector_statuses(&cp).unwrap(),
            vec![status("CP-1", 1, ConnectorState::Faulted, 6_000)]
        );
        assert_eq!(
            store.status_history(&cp, 10).unwrap(),
            vec![status("CP-1", 1, ConnectorState::Faulted, 6_000)]
        );
        assert_eq!(store.id_token("TAG-1").unwrap(), Some(token("tag-1")));
        assert_eq!(store.id_token("doomed").unwrap(), None);
        assert_eq!(
            store.transaction(7).unwrap(),
            Some(transaction(7, "CP-1", "tag-1"))
        );
        assert_eq!(
            store.meter_samples(7).unwrap(),
            vec![sample(1, "Energy.Active.Import.Register", 1.5)]
        );
        assert_eq!(
            store.evse_samples(&cp, 2, 10).unwrap(),
            vec![sample(-2, "Voltage", 230.0)]
        );
        assert_eq!(store.transaction_events(7).unwrap(), vec![tx_event(3, 11)]);
        assert_eq!(
            store.transaction_event(7, 3).unwrap(),
            Some(tx_event(3, 11))
        );
        assert_eq!(store.station_events(&cp, 100).unwrap(), events);
        assert_eq!(
            store.reported_variables(&cp).unwrap(),
            vec![variable("OCPPCommCtrlr", "HeartbeatInterval", "60")]
        );
        assert_eq!(store.station(&gone).unwrap(), None);
        assert_eq!(store.last_seen(&gone).unwrap(), None);
        assert_eq!(store.connector_statuses(&gone).unwrap(), vec![]);
        assert_eq!(
            store.status_history(&gone, 10).unwrap(),
            vec![status("CP-GONE", 1, ConnectorState::Available, 6_001)]
        );
        // by key: "Authorize…" before "Meter…"
        assert_eq!(
            store.configuration(&cp).unwrap(),
            vec![configuration[1].clone(), configuration[0].clone()]
        );
        assert_eq!(store.reservation(8).unwrap(), Some(reservation(8, "CP-1")));
        assert_eq!(store.reservation(-3).unwrap(), Some(any_connector.clone()));
        assert_eq!(
            store.reservations(None, None, 10).unwrap(),
            vec![any_connector.clone(), reservation(8, "CP-1")]
        );
        assert_eq!(store.api_key("k-live").unwrap(), Some(live_key.clone()));
        assert_eq!(store.api_key("K-LIVE").unwrap(), None);
        assert_eq!(
            store.api_keys().unwrap(),
            vec![live_key.clone(), api_key("k-old")]
        );
    };

    let store = open(dir.path());
    write(&store, changes);
    check(&store);
    store.close().unwrap();
    drop(store);
    check(&open(dir.path()));
}

#[test]
fn a_missing_record_reads_as_none_or_empty() {
    each_store(|store| {
        let cp = station_id("nobody");
        assert_eq!(store.station(&cp).unwrap(), None);
        assert_eq!(store.last_seen(&cp).unwrap(), None);
        assert_eq!(store.transaction(1).unwrap(), None);
        assert_eq!(store.transaction_by_station_tx_id(&cp, "1").unwrap(), None);
        assert_eq!(store.transaction_event(1, 0).unwrap(), None);
        assert!(store.connector_statuses(&cp).unwrap().is_empty());
        assert!(store.active_transactions_of_token("x").unwrap().is_empty());
        assert!(store.stations(None, 10).unwrap().is_empty());
    });
}

#[test]
fn transaction_indexes_follow_the_transaction() {
    each_store(|store| {
        let cp = station_id("CP1");
        let mut tx = transaction(42, "CP1", "Tag-A");
        let start_key = tx.start_key().unwrap();
        write(store, Change::PutTransaction(tx.clone()));
        assert_eq!(
            store.transaction_by_station_tx_id(&cp, "42").unwrap(),
            Some(tx.clone())
        );
        assert_eq!(
            store.transaction_by_start(&start_key).unwrap(),
            Some(tx.clone())
        );
        assert_eq!(
            store.active_transactions_of_token("tag-a").unwrap(),
            vec![42]
        );

        // a second active transaction of the same token
        write(
            store,
            Change::PutTransaction(transaction(43, "CP1", "TAG-A")),
        );
        assert_eq!(
            store.active_transactions_of_token("TAG-A").unwrap(),
            vec![42, 43]
        );

        // the token changes: the old token's entry goes
        tx.id_token = Some(IdToken::untyped("tag-b"));
        write(store, Change::PutTransaction(tx.clone()));
        assert_eq!(
            store.active_transactions_of_token("tag-a").unwrap(),
            vec![43]
        );
        assert_eq!(
            store.active_transactions_of_token("TAG-B").unwrap(),
            vec![42]
        );
        // ... and so does the 1.6 start key, which names the token
        assert_eq!(store.transaction_by_start(&start_key).unwrap(), None);
        assert_eq!(
            store
                .transaction_by_start(&tx.start_key().unwrap())
                .unwrap(),
            Some(tx.clone())
        );

        // it ends: no longer active, still found by the station's id
        tx.state = TransactionState::Ended;
        tx.ended_at = Some(t(30_000));
        write(store, Change::PutTransaction(tx.clone()));
        assert!(
            store
                .active_transactions_of_token("tag-b")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.transaction_by_station_tx_id(&cp, "42").unwrap(),
            Some(tx.clone())
        );
        assert_eq!(
            store
                .transaction_by_start(&tx.start_key().unwrap())
                .unwrap(),
            Some(tx)
        );
    });
}

#[test]
fn a_transaction_put_twice_in_one_change_set_keeps_consistent_indexes() {
    each_store(|store| {
        let first = transaction(5, "CP1", "A");
        let mut second = first.clone();
        second.id_token = Some(IdToken::untyped("B"));
        let mut changes = ChangeSet::new();
        changes.push(Change::PutTransaction(first));
        changes.push(Change::PutTransaction(second.clone()));
        write(store, changes);
        assert!(store.active_transactions_of_token("A").unwrap().is_empty());
        assert_eq!(store.active_transactions_of_token("B").unwrap(), vec![5]);
        assert_eq!(store.transaction(5).unwrap(), Some(second));
    });
}

#[test]
fn a_2_0_1_transaction_is_found_by_its_station_transaction_id() {
    each_store(|store| {
        let mut tx = transaction(9, "CP2", "TAG");
        tx.protocol = ProtocolVersion::Ocpp201;
        tx.station_tx_id = "b7d1-\u{0}-x".into();
        write(store, Change::PutTransaction(tx.clone()));
        assert_eq!(
            store
                .transaction_by_station_tx_id(&station_id("CP2"), "b7d1-\u{0}-x")
                .unwrap(),
            Some(tx)
        );
        assert_eq!(
            store
                .transaction_by_station_tx_id(&station_id("CP2"), "b7d1-")
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .transaction_by_station_tx_id(&station_id("CP1"), "b7d1-\u{0}-x")
                .unwrap(),
            None
        );
    });
}

#[test]
fn replayed_readings_replace_instead_of_adding() {
    each_store(|store| {
        let cp = station_id("CP1");
        let readings = vec![
            sample(20, "Energy.Active.Import.Register", 2.0),
            sample(10, "Power.Active.Import", 7.0),
        ];
        for _ in 0..2 {
            write(
                store,
                Change::AddMeterSamples {
                    transaction: 1,
                    samples: readings.clone(),
                },
            );
            write(
                store,
                Change::AddEvseSamples {
                    station: cp.clone(),
                    evse: 1,
                    samples: readings.clone(),
                },
            );
        }
        let by_time = vec![readings[1].clone(), readings[0].clone()];
        assert_eq!(store.meter_samples(1).unwrap(), by_time);
        assert_eq!(store.evse_samples(&cp, 1, 10).unwrap(), by_time);

        // the same reading with a new value replaces it; another phase is another reading
        let mut corrected = readings[0].clone();
        corrected.value = Some(2.5);
        let mut other_phase = readings[0].clone();
        other_phase.phase = Some("L2-N".into());
        write(
            store,
            Change::AddMeterSamples {
                transaction: 1,
                samples: vec![corrected.clone(), other_phase.clone()],
            },
        );
        assert_eq!(
            store.meter_samples(1).unwrap(),
            vec![readings[1].clone(), corrected, other_phase]
        );
        assert!(store.meter_samples(2).unwrap().is_empty());
    });
}

#[test]
fn evse_readings_return_the_latest_by_measurement_time() {
    each_store(|store| {
        let cp = station_id("CP1");
        // written out of order, as a station replaying its queue might
        for at in [50, 10, 40, 20, 30] {
            write(
                store,
                Change::AddEvseSamples {
                    station: cp.clone(),
                    evse: 3,
                    samples: vec![sample(at, "Voltage", 1.0)],
                },
            );
        }
        write(
            store,
            Change::AddEvseSamples {
                station: cp.clone(),
                evse: 4,
                samples: vec![sample(99, "Voltage", 1.0)],
            },
        );
        let times: Vec<_> = store
            .evse_samples(&cp, 3, 3)
            .unwrap()
            .iter()
            .map(|s| s.timestamp)
            .collect();
        assert_eq!(times, vec![t(30), t(40), t(50)]);
        // several readings of one instant: the limit counts readings, not instants
        write(
            store,
            Change::AddEvseSamples {
                station: cp.clone(),
                evse: 3,
                samples: vec![
                    sample(60, "Voltage", 1.0),
                    sample(60, "Current.Import", 2.0),
                ],
            },
        );
        let latest: Vec<_> = store
            .evse_samples(&cp, 3, 2)
            .unwrap()
            .iter()
            .map(|s| (s.timestamp, s.measurand.clone()))
            .collect();
        assert_eq!(
            latest,
            vec![
                (t(60), "Current.Import".to_owned()),
                (t(60), "Voltage".to_owned())
            ]
        );
        let latest: Vec<_> = store
            .evse_samples(&cp, 3, 3)
            .unwrap()
            .iter()
            .map(|s| (s.timestamp, s.measurand.clone()))
            .collect();
        assert_eq!(latest[0], (t(50), "Voltage".to_owned()));
        assert_eq!(store.evse_samples(&cp, 3, 100).unwrap().len(), 7);
    });
}

fn history_states(
    store: &store::SledStore,
    station: &StationId,
    limit: usize,
) -> Vec<ConnectorState> {
    let history = store.status_history(station, limit).unwrap();
    history.iter().map(|status| status.state).collect()
}

#[test]
fn histories_return_the_latest_entries_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let cp = station_id("CP1");
    let states = [
        ConnectorState::Available,
        ConnectorState::Preparing,
        ConnectorState::Charging,
        ConnectorState::Finishing,
    ];
    for (i, state) in states.into_iter().enumerate() {
        let evse = 1 + (i as u32 % 2);
        write(
            &store,
            Change::RecordStatus(status("CP1", evse, state, 100 - i as i64)),
        );
        write(
            &store,
            Change::AppendStationEvent(station_event(
                "CP1",
                i as i64,
                StationEventKind::DiagnosticsStatus {
                    status: i.to_string(),
                },
            )),
        );
    }
    // another station's entries stay out
    write(
        &store,
        Change::RecordStatus(status("CP10", 1, ConnectorState::Faulted, 1)),
    );
    write(
        &store,
        Change::AppendStationEvent(station_event(
            "CP10",
            0,
            StationEventKind::DiagnosticsStatus { status: "x".into() },
        )),
    );

    // in the order they were recorded, whatever their times say
    assert_eq!(
        history_states(&store, &cp, 3),
        vec![
            ConnectorState::Preparing,
            ConnectorState::Charging,
            ConnectorState::Finishing
        ]
    );
    assert_eq!(store.status_history(&cp, 0).unwrap(), vec![]);
    let current: Vec<_> = store
        .connector_statuses(&cp)
        .unwrap()
        .iter()
        .map(|s| (s.location.evse, s.state))
        .collect();
    assert_eq!(
        current,
        vec![
            (1, ConnectorState::Charging),
            (2, ConnectorState::Finishing)
        ]
    );
    let log: Vec<_> = store
        .station_events(&cp, 2)
        .unwrap()
        .iter()
        .map(|e| e.received_at)
        .collect();
    assert_eq!(log, vec![t(2), t(3)]);
    assert_eq!(store.station_events(&cp, 10).unwrap().len(), 4);

    // the order holds across a reopen
    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    write(
        &store,
        Change::RecordStatus(status("CP1", 1, ConnectorState::Available, 0)),
    );
    assert_eq!(
        history_states(&store, &cp, 2),
        vec![ConnectorState::Finishing, ConnectorState::Available]
    );
}

#[test]
fn transaction_events_come_back_by_seq_no() {
    each_store(|store| {
        for seq_no in [2, 0, 300, 1] {
            write(
                store,
                Change::RecordTransactionEvent {
                    transaction: 8,
                    event: tx_event(seq_no, 10),
                },
            );
        }
        // a replay replaces
        write(
            store,
            Change::RecordTransactionEvent {
                transaction: 8,
                event: tx_event(1, 10),
            },
        );
        let seq_nos: Vec<_> = store
            .transaction_events(8)
            .unwrap()
            .iter()
            .map(|e| e.seq_no)
            .collect();
        assert_eq!(seq_nos, vec![0, 1, 2, 300]);
        assert_eq!(
            store.transaction_event(8, 300).unwrap(),
            Some(tx_event(300, 10))
        );
        assert_eq!(store.transaction_event(8, 4).unwrap(), None);
        assert_eq!(store.transaction_event(9, 1).unwrap(), None);
    });
}

#[test]
fn reported_variables_replace_by_address_and_sort_by_it() {
    each_store(|store| {
        let cp = station_id("CP1");
        let report = |value: &str| Change::PutReportedVariables {
            station: cp.clone(),
            variables: vec![
                variable("SecurityCtrlr", "Profile", value),
                variable("AlignedDataCtrlr", "Interval", value),
            ],
        };
        write(store, report("1"));
        write(store, report("2"));
        assert_eq!(
            store.reported_variables(&cp).unwrap(),
            vec![
                variable("AlignedDataCtrlr", "Interval", "2"),
                variable("SecurityCtrlr", "Profile", "2")
            ]
        );
    });
}

#[test]
fn lists_page_in_key_order() {
    each_store(|store| {
        let mut changes = ChangeSet::new();
        for i in 0..25 {
            changes.push(Change::PutStation(station(&format!("CP-{i:02}"))));
            changes.push(Change::PutIdToken(token(&format!("tag-{i:02}"))));
            changes.push(Change::PutTransaction(transaction(1_000 - i, "CP-00", "T")));
        }
        write(store, changes);

        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let page = store.stations(after.as_ref(), 10).unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 10);
            after = page.last().map(|s| s.id.clone());
            ids.extend(page.into_iter().map(|s| s.id.to_string()));
        }
        assert_eq!(
            ids,
            (0..25).map(|i| format!("CP-{i:02}")).collect::<Vec<_>>()
        );

        let first = store.id_tokens(None, 2).unwrap();
        assert_eq!(
            first.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(),
            ["tag-00", "tag-01"]
        );
        // `after` is a key; any case finds the same place
        let next = store.id_tokens(Some("tag-01"), 2).unwrap();
        assert_eq!(
            next.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(),
            ["tag-02", "tag-03"]
        );
        assert_eq!(store.id_tokens(Some("TAG-24"), 10).unwrap(), vec![]);

        let numbers: Vec<_> = store
            .transactions(None, 3)
            .unwrap()
            .iter()
            .map(|t| t.number)
            .collect();
        assert_eq!(numbers, vec![976, 977, 978]);
        let numbers: Vec<_> = store
            .transactions(Some(998), 10)
            .unwrap()
            .iter()
            .map(|t| t.number)
            .collect();
        assert_eq!(numbers, vec![999, 1_000]);
        assert_eq!(store.transactions(Some(u64::MAX), 10).unwrap(), vec![]);
        assert_eq!(store.stations(None, 0).unwrap(), vec![]);
    });
}

#[test]
fn transaction_numbers_are_unique_increasing_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open(dir.path()));
    let first = store.next_transaction_number().unwrap();
    assert_eq!(first, 1);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                let numbers: Vec<_> = (0..2_500)
                    .map(|_| store.next_transaction_number().unwrap())
                    .collect();
                assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]));
                numbers
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 10_000);
    let last = store.next_transaction_number().unwrap();
    assert_eq!(last, 10_002);
    store.close().unwrap();
    drop(store);
    // a clean close skips no numbers
    assert_eq!(
        open(dir.path()).next_transaction_number().unwrap(),
        last + 1
    );
}

#[test]
fn a_closed_store_takes_no_more_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    write(&store, Change::PutStation(station("CP1")));
    // through the trait, as the server does, and directly
    let storage: &dyn Storage = &store;
    storage.close().unwrap();
    store.close().unwrap();
    let refused = store
        .apply(Change::PutStation(station("CP2")).into())
        .unwrap_err();
    assert!(
        matches!(refused, StorageError::Unavailable(_)),
        "{refused:?}"
    );
    assert!(matches!(
        store.next_transaction_number(),
        Err(StorageError::Unavailable(_))
    ));
    assert!(matches!(
        store.next_reservation_id(),
        Err(StorageError::Unavailable(_))
    ));
    assert_eq!(
        store.station(&station_id("CP1")).unwrap(),
        Some(station("CP1"))
    );
}
