//! A failing tariff never fails the station: the transaction completes and
//! is stored unpriced with the reason, and the operator prices it again
//! later. Without a tariff, a transaction has no pricing at all.

use std::sync::Arc;

use domain::{Change, Pricing, Storage, TariffAssignment, TariffScope, TransactionState};
use ocpp::OcppVersion;
use plugin_host::{Capabilities, PluginPackage};
use pricing::RepriceError;

use super::harness::{Gridlet, TakesCosts, VERSIONS};

/// Installs the misbehaving test tariff as `id`, behaving as `behaviour`.
fn install_misbehaving(gridlet: &Gridlet, id: &str, behaviour: &str) {
    let manifest = format!(
        "id = {id:?}\nversion = \"0.1.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n\
         [config.default]\nbehaviour = {behaviour:?}\n"
    );
    let component = plugin_artifacts::TEST_MISBEHAVING_TARIFF.component.to_vec();
    let package = PluginPackage::from_parts(&manifest, component).unwrap();
    gridlet.registry().install(package, &Capabilities::default()).unwrap();
}

#[tokio::test]
async fn a_failing_tariff_leaves_the_transaction_unpriced_until_repriced() {
    let gridlet = Gridlet::start().await;
    install_misbehaving(&gridlet, "flaky-tariff", "panic");
    gridlet.assign(TariffScope::Default, "flaky-tariff").await;
    for (id, version) in [("CP-16", VERSIONS[0]), ("CP-201", VERSIONS[1])] {
        gridlet.register(id, None).await;
        let mut sim = gridlet.station(id, version, Arc::new(TakesCosts)).await;
        // every message is acknowledged: `charge` fails on any refusal
        let handle = sim.charge(1).await;
        let tx = gridlet.transaction(&sim, handle);
        assert_eq!(tx.state, TransactionState::Ended);
        let Some(Pricing::Unpriced { reason, plugin_id, .. }) = &tx.pricing else {
            panic!("{version}: unpriced: {:?}", tx.pricing);
        };
        assert_eq!(plugin_id.as_deref(), Some("flaky-tariff"));
        assert!(reason.contains("panicked") && reason.contains("flaky-tariff"), "{reason}");
        assert_eq!(sim.answers_with("totalCost"), [serde_json::Value::Null; 0], "no total without a price");
    }

    // the operator fixes the assignment and prices the transactions again
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    for id in ["CP-16", "CP-201"] {
        let station = domain::StationId::parse(id).unwrap();
        let number = gridlet.store.transactions(None, 100).unwrap().into_iter().find(|tx| tx.station == station).unwrap().number;
        let repriced = pricing::reprice(gridlet.store.as_ref(), gridlet.pricer.clone(), number, None, server::now())
            .await
            .unwrap();
        let Pricing::Priced { by, price, .. } = &repriced else { panic!("repriced: {repriced:?}") };
        assert_eq!(by.plugin_id, "simple-tariff");
        assert!(price.total_minor > 0);
        assert_eq!(gridlet.store.transaction(number).unwrap().unwrap().pricing.as_ref(), Some(&repriced), "stored");
    }
    gridlet.shutdown().await;
}

#[tokio::test]
async fn every_kind_of_failure_is_an_unpriced_reason() {
    let gridlet = Gridlet::start().await;
    gridlet.register("CP-1", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", OcppVersion::V201, Arc::new(TakesCosts)).await;
    let handle = sim.charge(1).await;
    let number = gridlet.transaction(&sim, handle).number;
    install_misbehaving(&gridlet, "refusing-tariff", "refuse");
    install_misbehaving(&gridlet, "lying-tariff", "inconsistent");
    install_misbehaving(&gridlet, "slow-tariff", "loop");
    install_misbehaving(&gridlet, "off-tariff", "well-behaved");
    gridlet.registry().disable("off-tariff").unwrap();

    let reason = |plugin: &'static str, currency: &'static str| {
        let assignment = TariffAssignment::new(TariffScope::Default, plugin, currency).unwrap();
        let store = gridlet.store.clone();
        let pricer = gridlet.pricer.clone();
        async move {
            match pricing::price_stored(store.as_ref(), pricer, number, Some(assignment), server::now()).await.unwrap() {
                Pricing::Unpriced { reason, .. } => reason,
                priced => panic!("{plugin} in {currency} should fail: {priced:?}"),
            }
        }
    };
    assert!(reason("simple-tariff", "USD").await.contains("USD"), "a currency mismatch");
    assert!(reason("refusing-tariff", "EUR").await.contains("refuses every session"), "the plugin's own refusal");
    assert!(reason("lying-tariff", "EUR").await.contains("invalid result"), "invalid output");
    let limit = reason("slow-tariff", "EUR").await;
    assert!(limit.contains("deadline") || limit.contains("fuel"), "a limit: {limit}");
    assert!(reason("off-tariff", "EUR").await.contains("disabled"), "a disabled plugin");
    assert!(reason("no-such-tariff", "EUR").await.contains("no plugin"), "a missing plugin");
    // none of this touched the stored price
    assert!(matches!(gridlet.store.transaction(number).unwrap().unwrap().pricing, Some(Pricing::Priced { .. })));
    gridlet.shutdown().await;
}

#[tokio::test]
async fn without_a_tariff_there_is_no_pricing() {
    let gridlet = Gridlet::start().await;
    gridlet.register("CP-1", None).await;
    // a tariff for another station only
    let other = TariffScope::Station(domain::StationId::parse("CP-2").unwrap());
    gridlet.assign(other, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", OcppVersion::V16, Arc::new(TakesCosts)).await;
    let handle = sim.charge(2).await;
    let tx = gridlet.transaction(&sim, handle);
    assert_eq!((tx.state, tx.pricing, tx.running_cost), (TransactionState::Ended, None, None));
    assert_eq!(sim.settled_count("DataTransfer").await, 0, "no cost messages");
    let error = pricing::reprice(gridlet.store.as_ref(), gridlet.pricer.clone(), tx.number, None, server::now()).await;
    assert_eq!(error, Err(RepriceError::NoTariff(tx.number)));
    // a running transaction has no final price yet
    let handle = sim.start().await;
    let running = gridlet.transaction(&sim, handle).number;
    gridlet.apply(Change::PutTariffAssignment(TariffAssignment::new(TariffScope::Default, "simple-tariff", "EUR").unwrap())).await;
    let error = pricing::reprice(gridlet.store.as_ref(), gridlet.pricer.clone(), running, None, server::now()).await;
    assert_eq!(error, Err(RepriceError::NotEnded(running)));
    gridlet.shutdown().await;
}
