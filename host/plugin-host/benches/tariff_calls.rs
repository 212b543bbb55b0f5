//! Benchmark (not a test): what a tariff call costs.
//!
//! `cargo bench -p plugin-host --bench tariff_calls` prints, for each
//! default tariff: cold compile time, cached load time, instantiation, a
//! call on a fresh pooled instance (what the registry does), a call on a
//! kept instance, and the same tariff logic compiled natively.

// Benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridlet_sdk::{Currency, Measurand, MeterSample, SessionFacts, Tariff};
use plugin_artifacts::{PluginArtifact, SIMPLE_TARIFF, TOU_TARIFF};
use plugin_host::{HostConfig, Manifest, PluginPackage, PluginRuntime};

const HOUR: i64 = 3_600_000;

fn session() -> SessionFacts {
    let start = 1_700_060_400_000;
    SessionFacts {
        session_id: "bench".into(),
        station_id: "CP-1".into(),
        connector_id: Some(1),
        id_token: Some("04A2B3C4".into()),
        started_at_ms: start,
        ended_at_ms: Some(start + 3 * HOUR),
        charging_ended_at_ms: Some(start + 2 * HOUR),
        meter_start_wh: 0,
        meter_stop_wh: Some(30_000),
        samples: (1..=12)
            .map(|i| MeterSample {
                timestamp_ms: start + i * 10 * 60_000,
                measurand: Measurand::EnergyImportRegister,
                phase: None,
                value: (i * 2_500) as f64,
            })
            .collect(),
        currency: Some(Currency::new("EUR").unwrap()),
        ..Default::default()
    }
}

/// Median and mean per iteration over `rounds` rounds of `iters` iterations.
fn measure(rounds: usize, iters: u32, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut per_iter: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed() / iters
        })
        .collect();
    per_iter.sort();
    let mean = per_iter.iter().sum::<Duration>() / rounds as u32;
    (per_iter[rounds / 2], mean)
}

fn row(what: &str, (median, mean): (Duration, Duration)) {
    println!(
        "  {what:<38} median {:>12.3?}   mean {:>12.3?}",
        median, mean
    );
}

fn bench_plugin(artifact: &PluginArtifact, native: &mut dyn FnMut(&SessionFacts) -> i64) {
    println!(
        "{} ({} KiB component)",
        artifact.name,
        artifact.component.len() / 1024
    );
    let package =
        PluginPackage::from_parts(artifact.manifest, artifact.component.to_vec()).unwrap();
    let config: Arc<str> = Manifest::parse(artifact.manifest)
        .unwrap()
        .default_config()
        .to_string()
        .into();
    let facts = session();

    let uncached = PluginRuntime::new(HostConfig::default()).unwrap();
    row(
        "cold compile (cranelift)",
        measure(3, 1, || {
            black_box(uncached.load_tariff(&package).unwrap());
        }),
    );

    let cache = tempfile::tempdir().unwrap();
    let cached = PluginRuntime::new(HostConfig {
        cache_dir: Some(cache.path().into()),
        ..HostConfig::default()
    })
    .unwrap();
    cached.load_tariff(&package).unwrap();
    row(
        "cached load (from disk)",
        measure(11, 1, || {
            black_box(cached.load_tariff(&package).unwrap());
        }),
    );

    let plugin = cached.load_tariff(&package).unwrap();
    let expected = plugin
        .price(config.clone(), &facts)
        .unwrap()
        .unwrap()
        .price
        .total_minor;
    row(
        "instantiate only (pooled)",
        measure(11, 500, || {
            black_box(plugin.instantiate(config.clone()).unwrap());
        }),
    );
    row(
        "price, fresh instance per call",
        measure(11, 500, || {
            let priced = plugin.price(config.clone(), &facts).unwrap().unwrap();
            assert_eq!(priced.price.total_minor, expected);
        }),
    );
    let mut kept = plugin.instantiate(config.clone()).unwrap();
    row(
        "price, kept instance",
        measure(11, 5_000, || {
            black_box(kept.price(&facts).unwrap().unwrap());
        }),
    );
    row(
        "price, native Rust (same logic)",
        measure(11, 50_000, || {
            assert_eq!(native(black_box(&facts)), expected);
        }),
    );
    println!();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks benches to list their tests.
    }
    println!(
        "tariff plugin call costs ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let simple_config: simple_tariff::Config = serde_json::from_value(
        Manifest::parse(SIMPLE_TARIFF.manifest)
            .unwrap()
            .default_config(),
    )
    .unwrap();
    let simple = simple_tariff::SimpleTariff::new(simple_config).unwrap();
    bench_plugin(&SIMPLE_TARIFF, &mut |facts| {
        simple.price(facts).unwrap().total_minor
    });

    let tou_config: tou_tariff::Config = serde_json::from_value(
        Manifest::parse(TOU_TARIFF.manifest)
            .unwrap()
            .default_config(),
    )
    .unwrap();
    let tou = tou_tariff::TouTariff::new(tou_config).unwrap();
    bench_plugin(&TOU_TARIFF, &mut |facts| {
        tou.price(facts).unwrap().total_minor
    });
}
