//! Group commit: acknowledged writes are on disk, many writers share a
//! flush, and a `kill -9` loses nothing that was acknowledged.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use domain::connector::ConnectorState;
use domain::event::StationEventKind;
use domain::station::ProtocolVersion;
use domain::{Change, ChangeSet, Storage, TransactionQuery};
use store::{SledStore, StoreOptions};

use crate::support::*;

/// Everything one acknowledged write of the kill test holds: one change of
/// every kind.
fn acked_changes(id: u64, number: u64, reservation_id: i64) -> ChangeSet {
    let name = format!("W{id}");
    let scratch = format!("X{id}");
    let mut changes = ChangeSet::new();
    // a station that reports and is deleted again
    changes.push(Change::PutStation(station(&scratch)));
    changes.push(Change::RecordStatus(status(
        &scratch,
        1,
        ConnectorState::Available,
        id as i64,
    )));
    changes.push(Change::DeleteStation(station_id(&scratch)));
    changes.push(Change::PutStation(station(&name)));
    changes.push(Change::PutTransaction(transaction(
        number,
        &name,
        &format!("tag{id}"),
    )));
    changes.push(Change::AddMeterSamples {
        transaction: number,
        samples: (0..3)
            .map(|i| sample(i, "Energy.Active.Import.Register", id as f64))
            .collect(),
    });
    changes.push(Change::RecordStatus(status(
        &name,
        1,
        ConnectorState::Charging,
        id as i64,
    )));
    changes.push(Change::AppendStationEvent(station_event(
        &name,
        id as i64,
        StationEventKind::Connected {
            protocol: ProtocolVersion::Ocpp16,
        },
    )));
    changes.push(Change::StationSeen {
        station: station_id(&name),
        at: t(id as i64),
    });
    changes.push(Change::PutConfiguration {
        station: station_id(&name),
        keys: vec![config_key(&name, "Id", Some(&id.to_string()), id as i64)],
    });
    changes.push(Change::PutReservation(reservation(reservation_id, &name)));
    changes.push(Change::PutApiKey(api_key(&format!("k{id}"))));
    changes
}

/// Checks the write of `id` with transaction `number`; returns its reservation id.
fn assert_acked_write_is_intact(store: &SledStore, id: u64, number: u64) -> i64 {
    let name = format!("W{id}");
    let cp = station_id(&name);
    let scratch = station_id(&format!("X{id}"));
    assert_eq!(
        store.station(&cp).unwrap(),
        Some(station(&name)),
        "station of write {id}"
    );
    let tx = transaction(number, &name, &format!("tag{id}"));
    assert_eq!(
        store.transaction(number).unwrap().as_ref(),
        Some(&tx),
        "transaction of write {id}"
    );
    assert_eq!(
        store
            .transaction_by_station_tx_id(&cp, &tx.station_tx_id)
            .unwrap()
            .as_ref(),
        Some(&tx)
    );
    assert_eq!(
        store
            .active_transactions_of_token(&format!("TAG{id}"))
            .unwrap(),
        vec![number]
    );
    let samples: Vec<_> = (0..3)
        .map(|i| sample(i, "Energy.Active.Import.Register", id as f64))
        .collect();
    assert_eq!(
        store.meter_samples(number).unwrap(),
        samples,
        "readings of write {id}"
    );
    assert_eq!(
        store.status_history(&cp, 5).unwrap(),
        vec![status(&name, 1, ConnectorState::Charging, id as i64)]
    );
    assert_eq!(store.station_events(&cp, 5).unwrap().len(), 1);
    assert_eq!(
        store.station_events_since(&cp, t(i64::MAX)).unwrap().len(),
        1
    );
    assert_eq!(store.last_seen(&cp).unwrap(), Some(t(id as i64)));
    let by_station_and_token = TransactionQuery {
        station: Some(cp.clone()),
        token: Some(format!("TAG{id}")),
        ..TransactionQuery::all(10)
    };
    assert_eq!(
        store.transactions_matching(&by_station_and_token).unwrap(),
        vec![tx.clone()]
    );
    assert_eq!(
        store.configuration(&cp).unwrap(),
        vec![config_key(&name, "Id", Some(&id.to_string()), id as i64)]
    );
    let reservations = store.reservations(Some(&cp), None, 10).unwrap();
    assert_eq!(reservations.len(), 1, "reservations of write {id}");
    let reservation_id = reservations[0].id;
    assert_eq!(reservations[0], reservation(reservation_id, &name));
    assert_eq!(
        store.reservation(reservation_id).unwrap().as_ref(),
        Some(&reservations[0])
    );
    assert_eq!(
        store.api_key(&format!("k{id}")).unwrap(),
        Some(api_key(&format!("k{id}")))
    );
    assert_eq!(store.station(&scratch).unwrap(), None);
    assert_eq!(store.connector_statuses(&scratch).unwrap(), vec![]);
    assert_eq!(store.status_history(&scratch, 5).unwrap().len(), 1);
    reservation_id
}

const WRITER_DIR: &str = "GRIDLET_STORE_TEST_WRITER_DIR";
const WRITER_FIRST_ID: &str = "GRIDLET_STORE_TEST_WRITER_FIRST_ID";

/// The child half: many concurrent writers, each printing `ack <id> <number>`
/// (and its reservation id)
/// once its write is durable, until the parent kills the process (or, should
/// the parent hang, for a minute).
fn run_writer(dir: &Path, first_id: u64) {
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("the writer was not killed in time");
        std::process::exit(2);
    });
    let store = Arc::new(SledStore::open(dir, options()).unwrap());
    let next_id = Arc::new(AtomicU64::new(first_id));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut writers = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let (store, next_id) = (store.clone(), next_id.clone());
            writers.spawn(async move {
                loop {
                    let id = next_id.fetch_add(1, Ordering::SeqCst);
                    let number = store.next_transaction_number().unwrap();
                    let reservation_id = store.next_reservation_id().unwrap();
                    let ticket = store
                        .apply(acked_changes(id, number, reservation_id))
                        .unwrap();
                    store.durable(ticket).await.unwrap();
                    println!("ack {id} {number} {reservation_id}");
                }
            });
        }
        // only a failing writer ends: fail the child with it
        if let Some(result) = writers.join_next().await {
            result.unwrap();
        }
    });
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    if let Ok(dir) = std::env::var(WRITER_DIR) {
        let first_id = std::env::var(WRITER_FIRST_ID).unwrap().parse().unwrap();
        return run_writer(Path::new(&dir), first_id);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acked: Vec<(u64, u64, i64)> = Vec::new();
    // twice: the second round writes on top of a directory recovered from a kill
    for round in 0..2u64 {
        let dir_name = dir.path().to_str().unwrap();
        let first_id = (round * 1_000_000).to_string();
        let (mut child, mut stdout) = spawn_child(
            "durability::acknowledged_writes_survive_kill_9",
            &[(WRITER_DIR, dir_name), (WRITER_FIRST_ID, &first_id)],
        );
        for _ in 0..400 {
            let ack = next_line_with(&mut stdout, "ack ")
                .expect("the writer stopped before it was killed");
            let ack: Vec<&str> = ack.split(' ').collect();
            acked.push((
                ack[0].parse().unwrap(),
                ack[1].parse().unwrap(),
                ack[2].parse().unwrap(),
            ));
        }
        // SIGKILL, mid-stream: the writers have more writes in flight
        child.kill().unwrap();
        child.wait().unwrap();

        let store = open(dir.path());
        for &(id, number, reservation_id) in &acked {
            assert_eq!(
                assert_acked_write_is_intact(&store, id, number),
                reservation_id
            );
        }
        // every change set on disk, acknowledged or not, is there whole
        let stations = store.stations(None, usize::MAX).unwrap();
        let numbers = store.transactions(None, usize::MAX).unwrap();
        assert_eq!(
            stations.len(),
            numbers.len(),
            "a change set is on disk in part"
        );
        for tx in numbers {
            let id = tx.station.as_str()[1..].parse().unwrap();
            assert_acked_write_is_intact(&store, id, tx.number);
        }
        assert_eq!(
            store.reservations(None, None, usize::MAX).unwrap().len(),
            stations.len()
        );
        assert_eq!(store.api_keys().unwrap().len(), stations.len());
        // ... and so are the index entries: every transaction is listed
        // once by its station
        let listed: usize = stations
            .iter()
            .map(|station| {
                let query = TransactionQuery {
                    station: Some(station.id.clone()),
                    ..TransactionQuery::all(usize::MAX)
                };
                store.transactions_matching(&query).unwrap().len()
            })
            .sum();
        assert_eq!(listed, stations.len());
        let highest = acked.iter().map(|&(_, number, _)| number).max().unwrap();
        assert!(
            store.next_transaction_number().unwrap() > highest,
            "a transaction number would be reused"
        );
        let highest = acked.iter().map(|&(_, _, id)| id).max().unwrap();
        assert!(
            store.next_reservation_id().unwrap() > highest,
            "a reservation id would be reused"
        );
    }
}

#[test]
fn concurrent_writers_are_all_durable_and_share_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SledStore::open(
            dir.path(),
            StoreOptions {
                flush_interval: Duration::from_millis(5),
                ..options()
            },
        )
        .unwrap(),
    );
    // writers on plain threads...
    let threads: Vec<_> = (0..4u64)
        .map(|thread| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    write(
                        &*store,
                        Change::PutStation(station(&format!("T{thread}-{i}"))),
                    );
                }
            })
        })
        .collect();
    // ... and many tasks at once
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..1_000)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let ticket = store
                        .apply(Change::PutStation(station(&format!("A{i}"))).into())
                        .unwrap();
                    store.durable(ticket).await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    for thread in threads {
        thread.join().unwrap();
    }
    let stats = store.stats();
    assert_eq!(stats.writes, 1_200);
    assert!(
        stats.flushes * 4 < stats.writes,
        "writers did not share flushes: {stats:?}"
    );
    Arc::try_unwrap(store).ok().unwrap().close().unwrap();

    let store = open(dir.path());
    assert_eq!(store.stations(None, 10_000).unwrap().len(), 1_200);
}

#[test]
fn changes_applied_durably_are_all_written_in_order_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // many writers at once, some through `apply` meanwhile
        let tasks: Vec<_> = (0..1_000)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let change = Change::PutStation(station(&format!("D{i}")));
                    if i % 10 == 0 {
                        let ticket = store.apply(change.into()).unwrap();
                        store.durable(ticket).await.unwrap();
                    } else {
                        store.apply_durably(change.into()).await.unwrap();
                    }
                    // what was applied durably is visible once it resolves
                    assert!(
                        store
                            .station(&station(&format!("D{i}")).id)
                            .unwrap()
                            .is_some()
                    );
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        // one writer's change sets are written in the order it made them
        let id = station("ORDER").id;
        for n in 0..20 {
            let mut record = station("ORDER");
            record.group = Some(format!("g{n}"));
            let pending = store.apply_durably(Change::PutStation(record).into());
            if n % 5 == 4 {
                pending.await.unwrap();
                let stored = store.station(&id).unwrap().unwrap();
                assert_eq!(stored.group.as_deref(), Some(format!("g{n}").as_str()));
            } else {
                drop(pending);
            }
        }
    });
    assert_eq!(store.stats().writes, 1_020);
    Arc::try_unwrap(store).ok().unwrap().close().unwrap();

    let store = open(dir.path());
    assert_eq!(store.stations(None, 10_000).unwrap().len(), 1_001);
    let stored = store.station(&station("ORDER").id).unwrap().unwrap();
    assert_eq!(stored.group.as_deref(), Some("g19"));
    // and once closed, nothing more is taken
    store.close().unwrap();
    let late = runtime.block_on(store.apply_durably(Change::PutStation(station("LATE")).into()));
    assert!(late.is_err());
}

#[test]
fn a_durable_ticket_resolves_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let ticket = store
        .apply(Change::PutStation(station("CP1")).into())
        .unwrap();
    block_on(store.durable(ticket)).unwrap();
    let poll = store
        .durable(ticket)
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(matches!(poll, Poll::Ready(Ok(()))));
}

#[test]
fn writes_nobody_waits_for_are_flushed_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let flushes_before = store.stats().flushes;
    let ticket = store
        .apply(
            Change::StationSeen {
                station: station_id("CP1"),
                at: t(1),
            }
            .into(),
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.stats().flushes == flushes_before {
        assert!(Instant::now() < deadline, "the write was never flushed");
        std::thread::sleep(Duration::from_millis(1));
    }
    let poll = store
        .durable(ticket)
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(matches!(poll, Poll::Ready(Ok(()))));
}
