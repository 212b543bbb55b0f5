//! Finding things: transactions by station, token, state and time through
//! their indexes, and histories since a time with the state at that time.
//! The checks that need no sled of their own run against both
//! implementations of `Storage` ([`each_store`]): `SledStore` and the
//! test-support `MemoryStorage`, which must behave the same.

use domain::connector::{ConnectorState, ConnectorStatus};
use domain::event::{StationEvent, StationEventKind};
use domain::station::ProtocolVersion;
use domain::token::IdToken;
use domain::transaction::{Transaction, TransactionState};
use domain::{Change, ChangeSet, Storage, StorageError, TransactionQuery};

use crate::support::*;

/// Transaction `n` of a varied set: at `CP{n % 3}`, with token
/// `tag{n % 4}` in alternating case (none for every eleventh), ended when
/// `n % 5 == 0`, started at `n` seconds (unknown for every seventh).
fn varied(n: u64) -> Transaction {
    let mut tx = transaction(n, &format!("CP{}", n % 3), &format!("tag{}", n % 4));
    if n.is_multiple_of(2) {
        tx.id_token = Some(IdToken::untyped(format!("TAG{}", n % 4)));
    }
    if n.is_multiple_of(11) {
        tx.id_token = None;
    }
    if n.is_multiple_of(5) {
        tx.state = TransactionState::Ended;
    }
    tx.started_at = (!n.is_multiple_of(7)).then(|| t(n as i64 * 1_000));
    tx
}

fn numbers(txs: &[Transaction]) -> Vec<u64> {
    txs.iter().map(|tx| tx.number).collect()
}

/// Every page of `query`, following the cursor until a page comes back empty.
fn all_pages(store: &dyn Storage, query: &TransactionQuery) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut query = query.clone();
    loop {
        let page = numbers(&store.transactions_matching(&query).unwrap());
        assert!(
            page.len() <= query.limit,
            "a page holds more than its limit"
        );
        let Some(&last) = page.last() else {
            return pages;
        };
        query.cursor = Some(last);
        pages.push(page);
        assert!(pages.len() < 1_000, "paging does not end");
    }
}

#[test]
fn transaction_queries_find_what_the_filters_say_and_page_through_it_exactly_once() {
    each_store(|store| {
        let all: Vec<Transaction> = (1..=80).map(varied).collect();
        let mut changes = ChangeSet::new();
        // written out of order: the order comes from the numbers
        for tx in all.iter().rev() {
            changes.push(Change::PutTransaction(tx.clone()));
        }
        write(store, changes);

        let stations = [None, Some("CP0"), Some("CP2"), Some("CP9")];
        let tokens = [
            None,
            Some("tag1"),
            Some("TAG2"),
            Some("Tag0"),
            Some("nobody"),
        ];
        let states = [
            None,
            Some(TransactionState::Active),
            Some(TransactionState::Ended),
        ];
        let times = [None, Some(t(20_000))];
        let mut checked = 0;
        for station in stations {
            for token in tokens {
                for state in states {
                    for started_from in times {
                        for started_before in [None, Some(t(61_000))] {
                            for newest_first in [false, true] {
                                let query = TransactionQuery {
                                    station: station.map(station_id),
                                    token: token.map(str::to_owned),
                                    started_from,
                                    started_before,
                                    state,
                                    newest_first,
                                    cursor: None,
                                    limit: 4,
                                };
                                let mut expected: Vec<u64> = all
                                    .iter()
                                    .filter(|tx| query.matches(tx))
                                    .map(|tx| tx.number)
                                    .collect();
                                if newest_first {
                                    expected.reverse();
                                }
                                let pages = all_pages(store, &query);
                                assert_eq!(pages.concat(), expected, "{query:?}");
                                let unlimited = TransactionQuery {
                                    limit: usize::MAX,
                                    ..query.clone()
                                };
                                assert_eq!(
                                    numbers(&store.transactions_matching(&unlimited).unwrap()),
                                    expected,
                                    "{query:?}"
                                );
                                checked += usize::from(!expected.is_empty());
                            }
                        }
                    }
                }
            }
        }
        // the fixture is varied enough that nearly every combination that can
        // find something (288 of 480: not CP9, not "nobody") does
        assert!(checked > 250, "only {checked} queries found anything");

        // a few by hand
        let query = TransactionQuery {
            station: Some(station_id("CP1")),
            token: Some("TAG1".into()),
            ..TransactionQuery::all(100)
        };
        assert_eq!(
            numbers(&store.transactions_matching(&query).unwrap()),
            [1, 13, 25, 37, 49, 61, 73]
        );
        let query = TransactionQuery {
            token: Some("tag3".into()),
            state: Some(TransactionState::Active),
            started_from: Some(t(30_000)),
            started_before: Some(t(60_000)),
            newest_first: true,
            ..TransactionQuery::all(100)
        };
        // tag3 started in [30 s, 60 s): 31 … 59 but 35 (ended) and 55 (no token, ended)
        assert_eq!(
            numbers(&store.transactions_matching(&query).unwrap()),
            [59, 51, 47, 43, 39, 31]
        );
    });
}

#[test]
fn newest_first_pages_with_a_cursor_cover_everything_once() {
    each_store(|store| {
        let mut changes = ChangeSet::new();
        for n in 1..=25 {
            changes.push(Change::PutTransaction(transaction(n, "CP1", "T")));
            changes.push(Change::PutTransaction(transaction(100 + n, "CP2", "T")));
        }
        write(store, changes);
        for station in [None, Some(station_id("CP1"))] {
            let query = TransactionQuery {
                station: station.clone(),
                newest_first: true,
                ..TransactionQuery::all(10)
            };
            let pages = all_pages(store, &query);
            let mut expected: Vec<u64> = (1..=25).rev().collect();
            if station.is_none() {
                expected = (101..=125).rev().chain(expected).collect();
            }
            assert_eq!(pages.concat(), expected);
            assert!(pages.iter().rev().skip(1).all(|page| page.len() == 10));
        }
        // a cursor need not be a number the query returns
        let query = TransactionQuery {
            station: Some(station_id("CP2")),
            cursor: Some(50),
            ..TransactionQuery::all(3)
        };
        assert_eq!(
            numbers(&store.transactions_matching(&query).unwrap()),
            [101, 102, 103]
        );
    });
}

#[test]
fn transaction_queries_at_the_ends_return_nothing() {
    each_store(|store| {
        write(store, Change::PutTransaction(transaction(1, "CP1", "T")));
        let cases = [
            (false, Some(u64::MAX), 10),
            (true, Some(0), 10),
            (true, Some(1), 10),
            (false, Some(1), 10),
            (false, None, 0),
        ];
        for (newest_first, cursor, limit) in cases {
            for station in [None, Some(station_id("CP1"))] {
                for token in [None, Some("t".to_owned())] {
                    let query = TransactionQuery {
                        station: station.clone(),
                        token,
                        newest_first,
                        cursor,
                        limit,
                        ..TransactionQuery::all(limit)
                    };
                    assert_eq!(store.transactions_matching(&query).unwrap(), vec![]);
                }
            }
        }
        let query = TransactionQuery {
            newest_first: true,
            cursor: Some(u64::MAX),
            ..TransactionQuery::all(10)
        };
        assert_eq!(numbers(&store.transactions_matching(&query).unwrap()), [1]);
    });
}

#[test]
fn the_token_and_station_indexes_follow_the_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let find = |station: Option<&str>, token: Option<&str>, state: Option<TransactionState>| {
        let query = TransactionQuery {
            station: station.map(station_id),
            token: token.map(str::to_owned),
            state,
            ..TransactionQuery::all(10)
        };
        numbers(&store.transactions_matching(&query).unwrap())
    };
    let mut tx = transaction(7, "CP1", "Tag-A");
    write(&store, Change::PutTransaction(tx.clone()));
    write(
        &store,
        Change::PutTransaction(transaction(8, "CP2", "TAG-A")),
    );
    assert_eq!(find(None, Some("tag-a"), None), [7, 8]);
    assert_eq!(find(Some("CP1"), Some("TAG-A"), None), [7]);
    assert_eq!(
        find(None, Some("tag-a"), Some(TransactionState::Active)),
        [7, 8]
    );

    // the token changes: the entry moves
    tx.id_token = Some(IdToken::untyped("tag-b"));
    write(&store, Change::PutTransaction(tx.clone()));
    assert_eq!(find(None, Some("TAG-A"), None), [8]);
    assert_eq!(find(None, Some("Tag-B"), None), [7]);
    assert_eq!(find(Some("CP1"), Some("tag-b"), None), [7]);
    assert_eq!(find(Some("CP1"), Some("tag-a"), None), [0; 0]);

    // it ends: still found by token, no longer among the active ones
    tx.state = TransactionState::Ended;
    write(&store, Change::PutTransaction(tx.clone()));
    assert_eq!(find(None, Some("tag-b"), None), [7]);
    assert_eq!(
        find(None, Some("tag-b"), Some(TransactionState::Active)),
        [0; 0]
    );
    assert_eq!(
        find(None, Some("tag-b"), Some(TransactionState::Ended)),
        [7]
    );
    assert_eq!(find(Some("CP1"), None, Some(TransactionState::Ended)), [7]);

    // the token goes: only the station finds it
    tx.id_token = None;
    write(&store, Change::PutTransaction(tx.clone()));
    assert_eq!(find(None, Some("tag-b"), None), [0; 0]);
    assert_eq!(find(Some("CP1"), None, None), [7]);

    // the station changes (an unmatched stop corrected): the entry moves too
    tx.station = station_id("CP2");
    write(&store, Change::PutTransaction(tx));
    assert_eq!(find(Some("CP1"), None, None), [0; 0]);
    assert_eq!(find(Some("CP2"), None, None), [7, 8]);

    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    let query = TransactionQuery {
        station: Some(station_id("CP2")),
        token: Some("tag-a".into()),
        ..TransactionQuery::all(10)
    };
    assert_eq!(numbers(&store.transactions_matching(&query).unwrap()), [8]);
}

#[test]
fn a_transaction_query_stops_at_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut changes = ChangeSet::new();
    for n in 1..=5 {
        changes.push(Change::PutTransaction(transaction(n, "CP1", "T")));
    }
    write(&store, changes);
    store.close().unwrap();
    drop(store);
    // table 06 (transactions), number 5: damaged
    poke(dir.path(), &[6, 0, 0, 0, 0, 0, 0, 0, 5], &[1, 0xFF]);
    let store = open(dir.path());
    for station in [None, Some(station_id("CP1"))] {
        for token in [None, Some("t".to_owned())] {
            let query = TransactionQuery {
                station: station.clone(),
                token: token.clone(),
                ..TransactionQuery::all(2)
            };
            // the damaged one is never read...
            assert_eq!(
                numbers(&store.transactions_matching(&query).unwrap()),
                [1, 2]
            );
            // ... unless the walk gets there
            let newest = TransactionQuery {
                newest_first: true,
                ..query
            };
            assert!(matches!(
                store.transactions_matching(&newest),
                Err(StorageError::Corrupt { .. })
            ));
        }
    }
}

// ---------------------------------------------------------------- histories since

fn states(statuses: &[ConnectorStatus]) -> Vec<(u32, i64)> {
    statuses
        .iter()
        .map(|s| (s.location.evse, s.received_at.unix_millis()))
        .collect()
}

/// CP1's reports: (evse, received at), interleaved with CP10's.
const CP1_REPORTS: [(u32, i64); 7] = [
    (0, 100),
    (1, 200),
    (2, 300),
    (1, 400),
    (1, 500),
    (2, 600),
    (1, 700),
];

fn record_reports(store: &dyn Storage) {
    for (evse, at) in CP1_REPORTS {
        write(
            store,
            Change::RecordStatus(status("CP1", evse, ConnectorState::Available, at)),
        );
        write(
            store,
            Change::RecordStatus(status("CP10", evse + 1, ConnectorState::Faulted, at)),
        );
    }
    // a connector first heard of late
    write(
        store,
        Change::RecordStatus(status("CP1", 3, ConnectorState::Unavailable, 750)),
    );
}

#[test]
fn status_history_since_starts_with_every_connectors_state_at_that_time() {
    each_store(|store| {
        record_reports(store);
        let cp = station_id("CP1");
        let since = |at: i64| states(&store.status_history_since(&cp, t(at)).unwrap());

        // the last report of connectors 0, 2 and 1 before 550 (in the order
        // they came), then everything from 550 on
        assert_eq!(
            since(550),
            [(0, 100), (2, 300), (1, 500), (2, 600), (1, 700), (3, 750)]
        );
        // "at or after": a report at `since` is not a preceding one
        assert_eq!(
            since(500),
            [
                (0, 100),
                (2, 300),
                (1, 400),
                (1, 500),
                (2, 600),
                (1, 700),
                (3, 750)
            ]
        );
        // before everything: everything, nothing precedes
        let everything = [
            (0, 100),
            (1, 200),
            (2, 300),
            (1, 400),
            (1, 500),
            (2, 600),
            (1, 700),
            (3, 750),
        ];
        assert_eq!(since(0), everything);
        assert_eq!(since(100), everything);
        // after everything: each connector's latest
        assert_eq!(since(10_000), [(0, 100), (2, 600), (1, 700), (3, 750)]);
        assert_eq!(
            store
                .status_history_since(&station_id("CP2"), t(0))
                .unwrap(),
            vec![]
        );
        // whole reports come back
        assert_eq!(
            store.status_history_since(&cp, t(740)).unwrap()[0],
            status("CP1", 0, ConnectorState::Available, 100)
        );
    });
    // the same after a reopen
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    record_reports(&store);
    let cp = station_id("CP1");
    store.close().unwrap();
    drop(store);
    assert_eq!(
        states(&open(dir.path()).status_history_since(&cp, t(550)).unwrap()),
        [(0, 100), (2, 300), (1, 500), (2, 600), (1, 700), (3, 750)]
    );
}

#[test]
fn status_history_since_reads_back_only_as_far_as_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    record_reports(&store);
    store.close().unwrap();
    drop(store);
    // damage CP1's report (1, 200), which a query since 400 or later never
    // reads: its connector reported again at 400
    let db = raw_db(dir.path());
    let prefix = b"\x04CP1\x00\x01";
    let (key, _) = db.scan_prefix(prefix).nth(1).unwrap().unwrap();
    db.insert(key, &[1, 0xFF]).unwrap();
    db.flush().unwrap();
    drop(db);

    let store = open(dir.path());
    let cp = station_id("CP1");
    assert_eq!(
        states(&store.status_history_since(&cp, t(550)).unwrap()),
        [(0, 100), (2, 300), (1, 500), (2, 600), (1, 700), (3, 750)]
    );
    assert_eq!(
        states(&store.status_history_since(&cp, t(450)).unwrap()),
        [
            (0, 100),
            (2, 300),
            (1, 400),
            (1, 500),
            (2, 600),
            (1, 700),
            (3, 750)
        ]
    );
    assert!(matches!(
        store.status_history_since(&cp, t(0)),
        Err(StorageError::Corrupt { .. })
    ));
}

fn log(store: &dyn Storage, station: &str, at: i64, kind: StationEventKind) -> StationEvent {
    let event = station_event(station, at, kind);
    write(store, Change::AppendStationEvent(event.clone()));
    event
}

#[test]
fn station_events_since_start_with_the_last_connection_entry_before() {
    each_store(|store| {
        let connected = || StationEventKind::Connected {
            protocol: ProtocolVersion::Ocpp201,
        };
        let booted = || StationEventKind::Booted {
            reason: None,
            answered: "Accepted".into(),
        };
        let firmware = || StationEventKind::FirmwareStatus {
            status: "Installed".into(),
            request_id: None,
        };
        let entries = [
            log(store, "CP1", 100, connected()),
            log(store, "CP1", 110, booted()),
            log(store, "CP10", 150, connected()),
            log(
                store,
                "CP1",
                200,
                StationEventKind::Disconnected {
                    reason: "closed by station".into(),
                },
            ),
            log(store, "CP1", 300, connected()),
            log(store, "CP1", 310, booted()),
            log(store, "CP1", 400, firmware()),
            log(store, "CP10", 450, firmware()),
            log(
                store,
                "CP1",
                500,
                StationEventKind::WentOffline { last_heard: t(420) },
            ),
            log(store, "CP1", 600, firmware()),
        ];
        let cp1: Vec<&StationEvent> = entries
            .iter()
            .filter(|e| e.station.as_str() == "CP1")
            .collect();
        let cp = station_id("CP1");
        let since = |at: i64| {
            store
                .station_events_since(&cp, t(at))
                .unwrap()
                .iter()
                .map(|e| e.received_at.unix_millis())
                .collect::<Vec<_>>()
        };
        assert_eq!(since(350), [300, 400, 500, 600]);
        assert_eq!(since(305), [300, 310, 400, 500, 600]);
        assert_eq!(since(300), [200, 300, 310, 400, 500, 600]);
        assert_eq!(since(550), [500, 600]);
        assert_eq!(since(105), [100, 110, 200, 300, 310, 400, 500, 600]);
        assert_eq!(since(0), [100, 110, 200, 300, 310, 400, 500, 600]);
        assert_eq!(since(10_000), [500]);
        assert_eq!(
            store.station_events_since(&cp, t(0)).unwrap(),
            cp1.into_iter().cloned().collect::<Vec<_>>()
        );
        // another station's log stays apart
        let cp10 = station_id("CP10");
        let events = store.station_events_since(&cp10, t(300)).unwrap();
        assert_eq!(events, vec![entries[2].clone(), entries[7].clone()]);
        // a log without connection entries has nothing to precede it
        log(store, "CP2", 100, booted());
        log(store, "CP2", 200, firmware());
        let events = store
            .station_events_since(&station_id("CP2"), t(150))
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            store
                .station_events_since(&station_id("CP3"), t(0))
                .unwrap(),
            vec![]
        );
    });
}
