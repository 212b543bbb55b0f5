//! Tests of `plugin-host` through its public API, with real components
//! built by `plugin-artifacts` (no mocks of wasmtime). One binary, one
//! module per concern.

// Test and benchmark code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lifecycle;
mod loading;
mod misbehaving;
mod pricing;

use std::sync::Arc;
use std::time::Duration;

use plugin_artifacts::{PluginArtifact, SIMPLE_TARIFF, TEST_MISBEHAVING_TARIFF, TOU_TARIFF};
use plugin_host::{
    Capabilities, Currency, HostConfig, Measurand, MeterSample, PluginPackage, PluginRegistry,
    PluginRuntime, SessionFacts,
};

const HOUR: i64 = 3_600_000;

/// A runtime sized for tests: few slots, quick ticks, a low breaker, and
/// a compile cache shared by every test (each component compiles once).
fn runtime() -> PluginRuntime {
    PluginRuntime::new(HostConfig {
        cache_dir: Some(concat!(env!("CARGO_TARGET_TMPDIR"), "/plugin-host-cache").into()),
        max_instances: 16,
        epoch_tick: Duration::from_millis(2),
        breaker_threshold: 3,
        ..HostConfig::default()
    })
    .unwrap()
}

fn package(artifact: &PluginArtifact) -> PluginPackage {
    PluginPackage::from_parts(artifact.manifest, artifact.component.to_vec()).unwrap()
}

/// A package of `artifact` under another manifest.
fn package_with(artifact: &PluginArtifact, manifest: &str) -> PluginPackage {
    PluginPackage::from_parts(manifest, artifact.component.to_vec()).unwrap()
}

/// The misbehaving tariff installed as `id`, with the given limits section.
fn misbehaving_manifest(id: &str, behaviour: &str, limits: &str) -> String {
    format!(
        "id = {id:?}\nversion = \"0.1.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n\
         [limits]\n{limits}\n[config.default]\nbehaviour = {behaviour:?}\n"
    )
}

fn registry(dir: &tempfile::TempDir) -> PluginRegistry {
    PluginRegistry::open(runtime(), dir.path()).unwrap()
}

fn install_defaults(registry: &PluginRegistry) {
    for artifact in [&SIMPLE_TARIFF, &TOU_TARIFF] {
        registry
            .install(package(artifact), &Capabilities::default())
            .unwrap();
    }
}

fn install_misbehaving(registry: &PluginRegistry, id: &str, behaviour: &str, limits: &str) {
    let manifest = misbehaving_manifest(id, behaviour, limits);
    registry
        .install(
            package_with(&TEST_MISBEHAVING_TARIFF, &manifest),
            &Capabilities::default(),
        )
        .unwrap();
}

fn eur() -> Currency {
    Currency::new("EUR").unwrap()
}

/// A finished 90-minute session (16:00-17:30 UTC) delivering 20 kWh.
fn finished_session() -> SessionFacts {
    let start = 20_000 * 24 * HOUR + 16 * HOUR;
    SessionFacts {
        session_id: "tx-1".into(),
        station_id: "CP-001".into(),
        site_id: Some("depot".into()),
        connector_id: Some(1),
        id_token: Some("04A2B3C4".into()),
        token_group: Some("fleet".into()),
        started_at_ms: start,
        ended_at_ms: Some(start + 90 * 60_000),
        charging_ended_at_ms: Some(start + 80 * 60_000),
        meter_start_wh: 1_000,
        meter_stop_wh: Some(21_000),
        samples: (1..=8)
            .map(|i| MeterSample {
                timestamp_ms: start + i * 10 * 60_000,
                measurand: Measurand::EnergyImportRegister,
                phase: None,
                value: (1_000 + i * 2_500) as f64,
            })
            .collect(),
        currency: Some(eur()),
        ..Default::default()
    }
}

/// Shared across test modules: an Arc'd registry type check.
#[allow(dead_code)]
fn shareable(_: Arc<PluginRegistry>) {}
