//! Opening a store an older Gridlet wrote: formats 1 and 2 are migrated to
//! the current format once, completely, and a migration that was
//! interrupted runs again from scratch.
//!
//! An older directory is made from one this build writes, the way the
//! formats differ. Format 2 has no table `17` and writes stations and
//! transactions as record version 1, which is version 2 without its last
//! fields: a version 2 record with none of them set is a version 1 record
//! with the version byte changed and one `00` per field (postcard's `None`)
//! appended. Format 1 also lacks the tables `0F`–`16` and the meta key
//! `reservation-ids`. Every other key and record is the same.

use std::path::Path;

use domain::connector::ConnectorState;
use domain::event::StationEventKind;
use domain::pricing::{TariffAssignment, TariffScope};
use domain::station::ProtocolVersion;
use domain::transaction::TransactionState;
use domain::{Change, ChangeSet, Storage, TransactionQuery};
use store::FORMAT_VERSION;

use crate::support::*;

const FORMAT_KEY: &[u8] = b"\x00format\x00\x01";
const PENDING_KEY: &[u8] = b"\x00pending\x00\x01";
/// The tables format 2 added.
const FORMAT_2_TABLES: std::ops::RangeInclusive<u8> = 0x0F..=0x16;
/// The table format 3 added.
const FORMAT_3_TABLE: u8 = 0x17;
/// Stations and transactions, and how many fields their version 2 adds.
const RECORDS_V2: [(u8, usize); 2] = [(0x01, 1), (0x06, 3)];

fn format_on_disk(dir: &Path) -> u32 {
    let db = raw_db(dir);
    let bytes = db.get(FORMAT_KEY).unwrap().unwrap();
    u32::from_be_bytes(bytes.as_ref().try_into().unwrap())
}

fn keys_of_table(db: &sled::Db, table: u8) -> Vec<Vec<u8>> {
    db.scan_prefix([table])
        .map(|entry| entry.unwrap().0.to_vec())
        .collect()
}

/// What format 2 wrote for a version 2 `value` that adds `fields` fields
/// and sets none of them.
fn to_record_v1(value: &[u8], fields: usize) -> Vec<u8> {
    assert_eq!(value[0], 2, "a version 2 record");
    let body_end = value.len() - fields;
    assert!(
        value[body_end..].iter().all(|&b| b == 0),
        "format 3's fields are unset"
    );
    let mut v1 = value[..body_end].to_vec();
    v1[0] = 1;
    v1
}

/// Rewrites `db` as format 2 would have left it.
fn downgrade_records_to_format_2(db: &sled::Db) {
    for key in keys_of_table(db, FORMAT_3_TABLE) {
        db.remove(key).unwrap();
    }
    for (table, fields) in RECORDS_V2 {
        for key in keys_of_table(db, table) {
            let value = db.get(&key).unwrap().unwrap();
            db.insert(key, to_record_v1(&value, fields)).unwrap();
        }
    }
}

/// Makes the closed store in `dir` what format 2 would have left.
fn downgrade_to_format_2(dir: &Path) {
    let db = raw_db(dir);
    downgrade_records_to_format_2(&db);
    db.insert(FORMAT_KEY, &2_u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

/// Makes the closed store in `dir` what format 1 would have left.
fn downgrade_to_format_1(dir: &Path) {
    let db = raw_db(dir);
    downgrade_records_to_format_2(&db);
    for table in FORMAT_2_TABLES {
        for key in keys_of_table(&db, table) {
            db.remove(key).unwrap();
        }
    }
    db.remove(b"\x00reservation-ids\x00\x01").unwrap();
    db.insert(FORMAT_KEY, &1_u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

/// What the format 1 store holds: transactions at two stations with three
/// tokens, two connectors' status reports, and a log with connection entries.
fn write_format_1_data(dir: &Path) {
    write_old_data(dir);
    downgrade_to_format_1(dir);
}

/// The data of an old store, written by this build (see the module docs).
fn write_old_data(dir: &Path) {
    let store = open(dir);
    let mut changes = ChangeSet::new();
    let mut station = station("CP-A");
    station.group = None;
    changes.push(Change::PutStation(station));
    for n in 1..=12_u64 {
        let station = if n % 2 == 0 { "CP-A" } else { "CP-B" };
        let mut tx = transaction(n, station, &format!("tag{}", n % 3));
        if n > 6 {
            tx.state = TransactionState::Ended;
        }
        changes.push(Change::PutTransaction(tx));
    }
    write(&store, changes);
    for (evse, at) in [(1, 100), (2, 200), (1, 300), (1, 400)] {
        write(
            &store,
            Change::RecordStatus(status("CP-A", evse, ConnectorState::Charging, at)),
        );
    }
    for (at, kind) in [
        (
            100,
            StationEventKind::Connected {
                protocol: ProtocolVersion::Ocpp16,
            },
        ),
        (
            150,
            StationEventKind::DiagnosticsStatus {
                status: "Uploaded".into(),
            },
        ),
        (
            250,
            StationEventKind::DiagnosticsStatus {
                status: "Idle".into(),
            },
        ),
    ] {
        write(
            &store,
            Change::AppendStationEvent(station_event("CP-A", at, kind)),
        );
    }
    store.close().unwrap();
    drop(store);
}

fn numbers(store: &store::SledStore, station: Option<&str>, token: Option<&str>) -> Vec<u64> {
    let query = TransactionQuery {
        station: station.map(station_id),
        token: token.map(str::to_owned),
        ..TransactionQuery::all(100)
    };
    store
        .transactions_matching(&query)
        .unwrap()
        .iter()
        .map(|tx| tx.number)
        .collect()
}

/// What the migrated store must find.
fn assert_migrated(store: &store::SledStore) {
    assert_eq!(numbers(store, Some("CP-A"), None), [2, 4, 6, 8, 10, 12]);
    assert_eq!(numbers(store, Some("CP-B"), None), [1, 3, 5, 7, 9, 11]);
    assert_eq!(numbers(store, None, Some("TAG1")), [1, 4, 7, 10]);
    assert_eq!(numbers(store, Some("CP-A"), Some("tag1")), [4, 10]);
    assert_eq!(
        numbers(store, None, None)[..12],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    );
    let cp = station_id("CP-A");
    let statuses = store.status_history_since(&cp, t(350)).unwrap();
    let at: Vec<_> = statuses
        .iter()
        .map(|s| (s.location.evse, s.received_at.unix_millis()))
        .collect();
    assert_eq!(at, [(2, 200), (1, 300), (1, 400)]);
    let events = store.station_events_since(&cp, t(200)).unwrap();
    let at: Vec<_> = events.iter().map(|e| e.received_at.unix_millis()).collect();
    assert_eq!(at, [100, 250]);
}

#[test]
fn a_format_1_store_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    write_format_1_data(dir.path());
    assert_eq!(format_on_disk(dir.path()), 1);

    let store = open(dir.path());
    assert_migrated(&store);
    // the new tables work from here on
    assert_eq!(store.next_reservation_id().unwrap(), 1);
    let mut changes = ChangeSet::new();
    changes.push(Change::PutTransaction(transaction(13, "CP-A", "TAG1")));
    changes.push(Change::PutReservation(reservation(1, "CP-A")));
    write(&store, changes);
    assert_eq!(numbers(&store, Some("CP-A"), Some("tag1")), [4, 10, 13]);
    store.close().unwrap();
    drop(store);

    assert_eq!(format_on_disk(dir.path()), FORMAT_VERSION);
    let store = open(dir.path());
    assert_eq!(numbers(&store, Some("CP-A"), Some("tag1")), [4, 10, 13]);
    assert_eq!(store.reservation(1).unwrap(), Some(reservation(1, "CP-A")));
    assert_eq!(store.next_reservation_id().unwrap(), 2);
    // existing numbers carry on
    assert!(store.next_transaction_number().unwrap() >= 1);
}

#[test]
fn an_interrupted_migration_runs_again_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    write_format_1_data(dir.path());
    // as if a migration had been cut short, leaving some index entries,
    // and a format 1 Gridlet had then changed what they index
    let leftovers: [&[u8]; 4] = [
        // transactions by station: CP-A, 999 (no such transaction)
        b"\x0FCP-A\x00\x01\x00\x00\x00\x00\x00\x00\x03\xE7",
        // transactions by token: STALE, 1 (transaction 1's token is TAG1)
        b"\x10STALE\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01",
        // status reports by connector: CP-A, EVSE 9, connector 1, sequence 12345
        b"\x11CP-A\x00\x01\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x30\x39",
        // connection entries: CP-A, sequence 2^40 (no such entry)
        b"\x12CP-A\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00",
    ];
    for key in leftovers {
        poke(dir.path(), key, &[1]);
    }
    assert_eq!(format_on_disk(dir.path()), 1);

    let store = open(dir.path());
    assert_migrated(&store);
    assert_eq!(numbers(&store, None, Some("STALE")), [0; 0]);
    store.close().unwrap();
    drop(store);
    let db = raw_db(dir.path());
    for key in leftovers {
        assert_eq!(db.get(key).unwrap(), None, "{key:?} is left");
    }
}

#[test]
fn a_change_set_a_crash_interrupted_is_finished_before_the_migration() {
    // the writes of one change set, as a format 1 store records them
    let scratch = tempfile::tempdir().unwrap();
    let store = open(scratch.path());
    write(
        &store,
        Change::PutTransaction(transaction(99, "CP-P", "PEND")),
    );
    store.close().unwrap();
    drop(store);
    let db = raw_db(scratch.path());
    let mut writes = Vec::new();
    // transactions (as format 1 wrote them) and the indexes format 1 had
    for table in 0x06..=0x09 {
        for entry in db.scan_prefix([table]) {
            let (key, value) = entry.unwrap();
            let value = if table == 0x06 {
                to_record_v1(&value, 3)
            } else {
                value.to_vec()
            };
            writes.push((key.to_vec(), value));
        }
    }
    drop(db);
    assert!(writes.len() >= 3);
    // the `pending` record: version 1, then per write the key's length
    // (u32), the key, 01 (a put), the value's length and the value
    let mut pending = vec![1];
    for (key, value) in &writes {
        pending.extend_from_slice(&(key.len() as u32).to_be_bytes());
        pending.extend_from_slice(key);
        pending.push(1);
        pending.extend_from_slice(&(value.len() as u32).to_be_bytes());
        pending.extend_from_slice(value);
    }

    // a format 1 store that crashed after recording the change set and
    // before applying any of it
    let dir = tempfile::tempdir().unwrap();
    write_format_1_data(dir.path());
    poke(dir.path(), PENDING_KEY, &pending);

    let store = open(dir.path());
    assert_migrated(&store);
    assert_eq!(
        store.transaction(99).unwrap(),
        Some(transaction(99, "CP-P", "PEND"))
    );
    assert_eq!(numbers(&store, Some("CP-P"), None), [99]);
    assert_eq!(numbers(&store, None, Some("pend")), [99]);
    assert_eq!(store.active_transactions_of_token("PEND").unwrap(), [99]);
}

#[test]
fn a_format_2_store_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    write_old_data(dir.path());
    downgrade_to_format_2(dir.path());
    // as if a format 3 build had written an assignment before a crash
    // undid its migration
    let stale = b"\x17\x00";
    poke(dir.path(), stale, &[1, 0, 1, b'x', 3, b'E', b'U', b'R']);
    assert_eq!(format_on_disk(dir.path()), 2);

    let store = open(dir.path());
    assert_migrated(&store);
    assert_eq!(store.tariff_assignments().unwrap(), []);
    let station = store.station(&station_id("CP-A")).unwrap().unwrap();
    assert_eq!(station.group, None);
    let old = store.transaction(7).unwrap().unwrap();
    assert_eq!((old.state, old.pricing.clone()), (TransactionState::Ended, None));

    // what format 3 adds works from here on, beside the old records
    let mut grouped = station.clone();
    grouped.group = Some("north".into());
    let default = TariffAssignment::new(TariffScope::Default, "simple-tariff", "EUR").unwrap();
    let mut changes = ChangeSet::new();
    changes.push(Change::PutStation(grouped.clone()));
    changes.push(Change::PutTariffAssignment(default.clone()));
    write(&store, changes);
    store.close().unwrap();
    drop(store);

    assert_eq!(format_on_disk(dir.path()), FORMAT_VERSION);
    let store = open(dir.path());
    assert_eq!(store.station(&station_id("CP-A")).unwrap(), Some(grouped));
    assert_eq!(store.tariff_assignments().unwrap(), [default]);
    assert_eq!(store.transaction(7).unwrap(), Some(old));
}
