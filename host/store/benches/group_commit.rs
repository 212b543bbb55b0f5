//! Group-commit throughput: N concurrent writers, each one station that
//! applies a small change set and waits until it is durable, over and over,
//! on a 2-worker tokio runtime: with `apply` then `durable`, and with
//! `apply_durably` (which does not hold the worker while the change set
//! waits to be written).
//!
//! Run with `cargo bench -p store`. `GRIDLET_BENCH_SECS` sets how long each
//! case runs (default 3), `GRIDLET_BENCH_WRITERS` the writer counts (default
//! `1,64,1024`), `GRIDLET_BENCH_FLUSH_MS` the flush interval (default 2).
//! Prints writes per second, flushes per second, writes per flush, the
//! latency from the write to its durability, and the process's CPU time
//! per write.

// A benchmark fails loudly on any error.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use domain::connector::EvseConnector;
use domain::meter::MeterSample;
use domain::station::StationId;
use domain::time::Timestamp;
use domain::token::IdToken;
use domain::transaction::{Transaction, V16Start};
use domain::{AuthorizationStatus, Change, ChangeSet, Storage};
use store::{SledStore, StoreOptions};

/// What one message writes.
#[derive(Clone, Copy)]
enum Workload {
    /// A meter reading outside a transaction and the station's last-seen time.
    Reading,
    /// A meter reading in a transaction: the reading and the updated
    /// transaction (whose old record `apply` reads to keep its indexes).
    TransactionReading,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Reading => "reading + last seen",
            Workload::TransactionReading => "transaction + reading",
        }
    }
}

fn reading(at: i64) -> MeterSample {
    MeterSample {
        timestamp: Timestamp::from_unix_millis(at),
        measurand: "Energy.Active.Import.Register".to_owned(),
        phase: None,
        location: Some("Outlet".to_owned()),
        context: Some("Sample.Periodic".to_owned()),
        value: Some(at as f64),
        unit: Some("Wh".to_owned()),
        signed_data: None,
    }
}

/// One writer: a station sending messages one after another; with
/// `durably`, through `apply_durably`.
async fn station(
    store: Arc<SledStore>,
    index: usize,
    workload: Workload,
    durably: bool,
    stop: Arc<AtomicBool>,
) -> Vec<u32> {
    let station = StationId::parse(&format!("BENCH-{index:05}")).unwrap();
    let now = Timestamp::from_unix_millis(1_700_000_000_000);
    let start = V16Start {
        location: EvseConnector::from_v16(1),
        id_token: IdToken::untyped(format!("TAG{index}")),
        meter_start_wh: 0,
        started_at: now,
        reservation_id: None,
    };
    let number = store.next_transaction_number().unwrap();
    let mut tx = Transaction::start_v16(
        number,
        station.clone(),
        &start,
        AuthorizationStatus::Accepted,
        None,
        now,
    );
    let mut latencies_us = Vec::with_capacity(100_000);
    let mut at = now.unix_millis();
    while !stop.load(Ordering::Relaxed) {
        at += 1_000;
        let sample = reading(at);
        let mut changes = ChangeSet::new();
        match workload {
            Workload::Reading => {
                changes.push(Change::StationSeen {
                    station: station.clone(),
                    at: Timestamp::from_unix_millis(at),
                });
                changes.push(Change::AddEvseSamples {
                    station: station.clone(),
                    evse: 1,
                    samples: vec![sample],
                });
            }
            Workload::TransactionReading => {
                tx.record_samples(
                    std::slice::from_ref(&sample),
                    Timestamp::from_unix_millis(at),
                );
                changes.push(Change::PutTransaction(tx.clone()));
                changes.push(Change::AddMeterSamples {
                    transaction: number,
                    samples: vec![sample],
                });
            }
        }
        let began = Instant::now();
        if durably {
            store.apply_durably(changes).await.unwrap();
        } else {
            let ticket = store.apply(changes).unwrap();
            store.durable(ticket).await.unwrap();
        }
        latencies_us.push(began.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
    }
    latencies_us
}

/// The process's CPU time so far (user + system), from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name, which is in parentheses
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15, counted from 1 with the pid
    (ticks(11) + ticks(12)) / 100.0
}

fn run(
    writers: usize,
    workload: Workload,
    durably: bool,
    duration: Duration,
    options: &StoreOptions,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path(), options.clone()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let before = store.stats();
    let cpu_before = cpu_seconds();
    let began = Instant::now();
    let mut latencies: Vec<u32> = runtime.block_on(async {
        let tasks: Vec<_> = (0..writers)
            .map(|index| {
                tokio::spawn(station(
                    store.clone(),
                    index,
                    workload,
                    durably,
                    stop.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(duration).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    let elapsed = began.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let after = store.stats();
    let writes = after.writes - before.writes;
    let flushes = after.flushes - before.flushes;
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
    };
    println!(
        "{:<22} {:<13} {writers:>5} writers: {:>8.0} writes/s, {:>6.0} flushes/s, {:>6.1} writes/flush, latency p50 {:>6} us, p99 {:>6} us, {:>5.1} us CPU/write",
        workload.name(),
        if durably {
            "apply_durably"
        } else {
            "apply+durable"
        },
        writes as f64 / elapsed,
        flushes as f64 / elapsed,
        writes as f64 / flushes.max(1) as f64,
        percentile(0.50).copied().unwrap_or(0),
        percentile(0.99).copied().unwrap_or(0),
        cpu * 1e6 / writes.max(1) as f64,
    );
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close().unwrap();
    }
}

fn main() {
    let secs = std::env::var("GRIDLET_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let duration = Duration::from_secs(secs);
    let mut options = StoreOptions::default();
    if let Some(millis) = std::env::var("GRIDLET_BENCH_FLUSH_MS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        options.flush_interval = Duration::from_millis(millis);
    }
    let writer_counts: Vec<usize> = match std::env::var("GRIDLET_BENCH_WRITERS") {
        Ok(list) => list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
        Err(_) => vec![1, 64, 1024],
    };
    println!(
        "group commit: apply + durable, 2 tokio workers, flush interval {:?}, {secs} s per case",
        options.flush_interval
    );
    for workload in [Workload::Reading, Workload::TransactionReading] {
        for &writers in &writer_counts {
            for durably in [false, true] {
                run(writers, workload, durably, duration, &options);
            }
        }
    }
}
