//! A tariff upgraded while sessions run: every transaction records the
//! version that actually priced it — the one active when it ended — and no
//! call fails, not even one in flight during the upgrade.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use domain::{Pricing, Storage, TariffScope};
use ocpp::OcppVersion;
use plugin_host::{Capabilities, PluginPackage};

use super::harness::{Gridlet, TakesCosts};

/// The default simple tariff under another version number.
fn simple_tariff(version: &str) -> PluginPackage {
    let artifact = plugin_artifacts::SIMPLE_TARIFF;
    let manifest = artifact.manifest.replace("version = \"0.1.0\"", &format!("version = {version:?}"));
    assert_ne!(manifest, artifact.manifest);
    PluginPackage::from_parts(&manifest, artifact.component.to_vec()).unwrap()
}

fn version_of(pricing: &Option<Pricing>) -> String {
    match pricing {
        Some(Pricing::Priced { by, .. }) => by.version.clone(),
        other => panic!("priced: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_record_the_version_that_priced_them() {
    let gridlet = Gridlet::start().await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut stations = Vec::new();
    for (id, version) in [("CP-A", OcppVersion::V16), ("CP-B", OcppVersion::V201), ("CP-C", OcppVersion::V201)] {
        gridlet.register(id, None).await;
        stations.push(gridlet.station(id, version, Arc::new(TakesCosts)).await);
    }
    let [a, b, c] = &mut stations[..] else { unreachable!() };

    // A charges and ends before the upgrade; B starts before and ends after
    let before = a.charge(1).await;
    let spanning = b.start().await;
    b.reading(spanning).await;

    // sessions keep ending on another station while the upgrade happens, and
    // direct calls keep running on other threads
    let upgrading = Arc::new(AtomicBool::new(true));
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let registry = gridlet.plugins.registry.clone();
            let upgrading = upgrading.clone();
            let store = gridlet.store.clone();
            let number = gridlet.transaction(a, before).number;
            std::thread::spawn(move || {
                let tx = store.transaction(number).unwrap().unwrap();
                let samples = store.meter_samples(number).unwrap();
                let facts = pricing::session_facts(&tx, &samples, "EUR").unwrap();
                let mut versions = Vec::new();
                while upgrading.load(Ordering::SeqCst) {
                    let priced = registry.price("simple-tariff", &facts).expect("no call fails").expect("priced");
                    versions.push(priced.priced_by.version.to_string());
                }
                versions
            })
        })
        .collect();
    let registry = gridlet.plugins.registry.clone();
    let upgrade = tokio::task::spawn_blocking(move || registry.install(simple_tariff("0.2.0"), &Capabilities::default()));
    let mut during = Vec::new();
    while !upgrade.is_finished() {
        during.push(c.charge(1).await);
    }
    let upgraded = upgrade.await.unwrap().unwrap();
    assert_eq!(upgraded.version.to_string(), "0.2.0");
    upgrading.store(false, Ordering::SeqCst);
    for caller in callers {
        let versions = caller.join().unwrap();
        assert!(!versions.is_empty());
        let first_new = versions.iter().position(|v| v == "0.2.0").unwrap_or(versions.len());
        assert!(versions[first_new..].iter().all(|v| v == "0.2.0"), "never back: {versions:?}");
    }

    // after the upgrade: B ends, C charges once more
    b.stop(spanning).await;
    let after = c.charge(1).await;
    assert_eq!(version_of(&gridlet.transaction(a, before).pricing), "0.1.0");
    assert_eq!(version_of(&gridlet.transaction(b, spanning).pricing), "0.2.0", "priced when it ended");
    assert_eq!(version_of(&gridlet.transaction(c, after).pricing), "0.2.0");
    let during: Vec<_> = during.iter().map(|handle| version_of(&gridlet.transaction(c, *handle).pricing)).collect();
    assert!(during.iter().all(|v| v == "0.1.0" || v == "0.2.0"), "{during:?}");

    // a rollback is the same: what ends next is priced by the version rolled back to
    gridlet.registry().rollback("simple-tariff").unwrap();
    let rolled_back = c.charge(1).await;
    assert_eq!(version_of(&gridlet.transaction(c, rolled_back).pricing), "0.1.0");
    // and what was priced keeps its provenance
    assert_eq!(version_of(&gridlet.transaction(b, spanning).pricing), "0.2.0");
    gridlet.shutdown().await;
}
