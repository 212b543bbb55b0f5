//! What the operator's side keeps: configuration keys, deleted stations,
//! reservations and their ids, API keys.

use domain::connector::ConnectorState;
use domain::event::StationEventKind;
use domain::station::ProtocolVersion;
use domain::{Change, ChangeSet, Storage, StorageError, TransactionQuery};

use crate::support::*;

#[test]
fn configuration_keys_merge_by_key_and_come_back_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let cp = station_id("CP1");
    write(
        &store,
        Change::PutConfiguration {
            station: cp.clone(),
            keys: vec![
                config_key("CP1", "NumberOfConnectors", None, 1),
                config_key("CP1", "HeartbeatInterval", Some("300"), 1),
            ],
        },
    );
    // a station whose id extends this one's keeps its own keys
    write(
        &store,
        Change::PutConfiguration {
            station: station_id("CP10"),
            keys: vec![config_key("CP10", "HeartbeatInterval", Some("5"), 1)],
        },
    );
    // a later report replaces what it names and leaves the rest
    write(
        &store,
        Change::PutConfiguration {
            station: cp.clone(),
            keys: vec![
                config_key("CP1", "HeartbeatInterval", Some("60"), 2),
                config_key("CP1", "ConnectionTimeOut", Some("30"), 2),
            ],
        },
    );
    let expected = vec![
        config_key("CP1", "ConnectionTimeOut", Some("30"), 2),
        config_key("CP1", "HeartbeatInterval", Some("60"), 2),
        config_key("CP1", "NumberOfConnectors", None, 1),
    ];
    assert_eq!(store.configuration(&cp).unwrap(), expected);
    assert_eq!(
        store.configuration(&station_id("CP10")).unwrap(),
        vec![config_key("CP10", "HeartbeatInterval", Some("5"), 1)]
    );
    assert_eq!(store.configuration(&station_id("CP2")).unwrap(), vec![]);
    store.close().unwrap();
    drop(store);
    assert_eq!(open(dir.path()).configuration(&cp).unwrap(), expected);
}

#[test]
fn deleting_a_station_keeps_its_history_log_and_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let cp = station_id("CP1");
    let neighbour = station_id("CP10");
    let mut changes = ChangeSet::new();
    for id in ["CP1", "CP10"] {
        changes.push(Change::PutStation(station(id)));
        changes.push(Change::StationSeen {
            station: station_id(id),
            at: t(5),
        });
        changes.push(Change::RecordStatus(status(
            id,
            1,
            ConnectorState::Charging,
            10,
        )));
        changes.push(Change::RecordStatus(status(
            id,
            2,
            ConnectorState::Available,
            11,
        )));
        changes.push(Change::AppendStationEvent(station_event(
            id,
            12,
            StationEventKind::Connected {
                protocol: ProtocolVersion::Ocpp16,
            },
        )));
    }
    changes.push(Change::PutTransaction(transaction(1, "CP1", "TAG")));
    write(&store, changes);

    write(&store, Change::DeleteStation(cp.clone()));
    let check = |store: &store::SledStore| {
        assert_eq!(store.station(&cp).unwrap(), None);
        assert_eq!(store.last_seen(&cp).unwrap(), None);
        assert_eq!(store.connector_statuses(&cp).unwrap(), vec![]);
        assert_eq!(
            store.status_history(&cp, 10).unwrap(),
            vec![
                status("CP1", 1, ConnectorState::Charging, 10),
                status("CP1", 2, ConnectorState::Available, 11)
            ]
        );
        // the state at any time is still known from the history
        assert_eq!(
            store.status_history_since(&cp, t(100)).unwrap(),
            vec![
                status("CP1", 1, ConnectorState::Charging, 10),
                status("CP1", 2, ConnectorState::Available, 11)
            ]
        );
        assert_eq!(store.station_events(&cp, 10).unwrap().len(), 1);
        assert_eq!(store.station_events_since(&cp, t(100)).unwrap().len(), 1);
        assert_eq!(
            store.transaction(1).unwrap(),
            Some(transaction(1, "CP1", "TAG"))
        );
        let by_station = TransactionQuery {
            station: Some(cp.clone()),
            ..TransactionQuery::all(10)
        };
        assert_eq!(store.transactions_matching(&by_station).unwrap().len(), 1);
        // the neighbour is untouched
        assert_eq!(store.station(&neighbour).unwrap(), Some(station("CP10")));
        assert_eq!(store.last_seen(&neighbour).unwrap(), Some(t(5)));
        assert_eq!(store.connector_statuses(&neighbour).unwrap().len(), 2);
    };
    check(&store);
    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    check(&store);

    // in one change set, order counts: what follows the deletion stays
    let mut changes = ChangeSet::new();
    changes.push(Change::DeleteStation(cp.clone()));
    changes.push(Change::RecordStatus(status(
        "CP1",
        3,
        ConnectorState::Faulted,
        20,
    )));
    changes.push(Change::PutStation(station("CP1")));
    write(&store, changes);
    assert_eq!(store.station(&cp).unwrap(), Some(station("CP1")));
    assert_eq!(
        store.connector_statuses(&cp).unwrap(),
        vec![status("CP1", 3, ConnectorState::Faulted, 20)]
    );
    let mut changes = ChangeSet::new();
    changes.push(Change::RecordStatus(status(
        "CP1",
        4,
        ConnectorState::Faulted,
        21,
    )));
    changes.push(Change::DeleteStation(cp.clone()));
    write(&store, changes);
    assert_eq!(store.connector_statuses(&cp).unwrap(), vec![]);
    assert_eq!(store.status_history(&cp, 10).unwrap().len(), 4);
    // deleting a station that does not exist is harmless
    write(&store, Change::DeleteStation(station_id("nobody")));
}

#[test]
fn reservations_list_by_id_overall_and_per_station() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (cp1, cp2) = (station_id("CP1"), station_id("CP2"));
    let mut changes = ChangeSet::new();
    for (id, at) in [(5, "CP1"), (2, "CP2"), (1, "CP1"), (4, "CP2"), (3, "CP1")] {
        changes.push(Change::PutReservation(reservation(id, at)));
    }
    changes.push(Change::PutReservation(reservation(6, "CP10")));
    write(&store, changes);
    let ids = |list: Vec<domain::Reservation>| list.iter().map(|r| r.id).collect::<Vec<_>>();

    assert_eq!(
        ids(store.reservations(None, None, 100).unwrap()),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(ids(store.reservations(None, Some(2), 2).unwrap()), [3, 4]);
    assert_eq!(ids(store.reservations(None, Some(6), 2).unwrap()), [0; 0]);
    assert_eq!(
        ids(store.reservations(Some(&cp1), None, 100).unwrap()),
        [1, 3, 5]
    );
    assert_eq!(
        ids(store.reservations(Some(&cp1), Some(1), 1).unwrap()),
        [3]
    );
    assert_eq!(
        ids(store.reservations(Some(&cp1), Some(3), 10).unwrap()),
        [5]
    );
    assert_eq!(
        ids(store.reservations(Some(&cp2), None, 100).unwrap()),
        [2, 4]
    );
    assert_eq!(
        ids(store.reservations(Some(&cp1), None, 0).unwrap()),
        [0; 0]
    );
    assert_eq!(
        ids(store
            .reservations(Some(&station_id("CP3")), None, 10)
            .unwrap()),
        [0; 0]
    );

    // a reservation that changes is replaced; one that moves leaves the old station's list
    let mut moved = reservation(3, "CP2");
    moved.state = domain::ReservationState::Cancelled;
    write(&store, Change::PutReservation(moved.clone()));
    assert_eq!(store.reservation(3).unwrap(), Some(moved));
    assert_eq!(
        ids(store.reservations(Some(&cp1), None, 100).unwrap()),
        [1, 5]
    );
    assert_eq!(
        ids(store.reservations(Some(&cp2), None, 100).unwrap()),
        [2, 3, 4]
    );
    assert_eq!(store.reservation(7).unwrap(), None);

    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    assert_eq!(
        ids(store.reservations(Some(&cp2), None, 100).unwrap()),
        [2, 3, 4]
    );
    assert_eq!(
        ids(store.reservations(None, None, 100).unwrap()),
        [1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn reservation_ids_start_at_1_increase_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open(dir.path()));
    assert_eq!(store.next_reservation_id().unwrap(), 1);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..300)
                    .map(|_| store.next_reservation_id().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<i64> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all, (2..=1_201).collect::<Vec<_>>());
    // independent of transaction numbers
    assert_eq!(store.next_transaction_number().unwrap(), 1);
    store.close().unwrap();
    assert!(matches!(
        store.next_reservation_id(),
        Err(StorageError::Unavailable(_))
    ));
    drop(store);
    // a clean close skips none
    assert_eq!(open(dir.path()).next_reservation_id().unwrap(), 1_202);
}

#[test]
fn reservation_ids_stay_within_32_bits() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    // table 00 (meta), "reservation-ids": as if all but two were issued
    let key = b"\x00reservation-ids\x00\x01";
    poke(dir.path(), key, &(i32::MAX as u64 - 1).to_be_bytes());
    let store = open(dir.path());
    assert_eq!(
        store.next_reservation_id().unwrap(),
        i64::from(i32::MAX) - 1
    );
    assert_eq!(store.next_reservation_id().unwrap(), i64::from(i32::MAX));
    for _ in 0..2 {
        let error = store.next_reservation_id().unwrap_err();
        assert_eq!(error, StorageError::Exhausted("reservation ids"));
    }
    assert_eq!(
        error_after_reopen(&dir, store),
        StorageError::Exhausted("reservation ids")
    );

    // a damaged counter below 1 still starts at 1
    poke(dir.path(), key, &0_u64.to_be_bytes());
    assert_eq!(open(dir.path()).next_reservation_id().unwrap(), 1);
}

fn error_after_reopen(dir: &tempfile::TempDir, store: store::SledStore) -> StorageError {
    store.close().unwrap();
    drop(store);
    open(dir.path()).next_reservation_id().unwrap_err()
}

#[test]
fn an_api_key_is_replaced_by_its_id() {
    each_store(|store| {
        let mut key = api_key("gk_1");
        key.revoked_at = None;
        write(store, Change::PutApiKey(key.clone()));
        write(store, Change::PutApiKey(api_key("gk_0")));
        assert_eq!(store.api_key("gk_1").unwrap(), Some(key.clone()));
        key.revoked_at = Some(t(9));
        write(store, Change::PutApiKey(key.clone()));
        assert_eq!(store.api_key("gk_1").unwrap(), Some(key.clone()));
        assert_eq!(store.api_keys().unwrap(), vec![api_key("gk_0"), key]);
        assert_eq!(store.api_key("gk_2").unwrap(), None);
    });
}
