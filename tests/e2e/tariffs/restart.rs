//! A restart on the same data directory: the installed plugins come back
//! installed, configured and enabled as the operator left them (the
//! defaults are not installed over them, nor again after an uninstall),
//! and pricing works as before.

use std::sync::Arc;

use domain::{Pricing, Storage, TariffScope};
use ocpp::OcppVersion;
use plugin_host::PluginStatus;
use serde_json::json;

use super::harness::{Gridlet, TakesCosts};

fn price_of(pricing: &Option<Pricing>) -> (i64, String) {
    match pricing {
        Some(Pricing::Priced { price, by, .. }) => (price.total_minor, by.plugin_id.clone()),
        other => panic!("priced: {other:?}"),
    }
}

#[tokio::test]
async fn installed_plugins_survive_a_restart() {
    let gridlet = Gridlet::start().await;
    let installed: Vec<_> = gridlet.plugins.defaults_installed.iter().map(|info| info.id.as_str()).collect();
    assert_eq!(installed, ["simple-tariff", "tou-tariff"], "the defaults, at the first start");
    // the operator's changes: a price, a removed default
    let config = json!({"currency": "EUR", "energy_per_kwh": "0.50", "time_per_hour": "0"});
    gridlet.registry().configure("simple-tariff", config.clone()).unwrap();
    gridlet.registry().uninstall("tou-tariff").unwrap();
    gridlet.register("CP-1", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", OcppVersion::V201, Arc::new(TakesCosts)).await;
    let first = sim.charge(1).await;
    let first_tx = gridlet.transaction(&sim, first);
    // 11 kW for 15 minutes is 2750 Wh, at 0.50 EUR
    assert_eq!(price_of(&first_tx.pricing), (138, "simple-tariff".to_owned()));
    drop(sim);

    let dir = gridlet.shutdown().await;
    let gridlet = Gridlet::start_in(dir, |_| {}).await;
    assert!(gridlet.plugins.defaults_installed.is_empty(), "nothing installed over the operator's choices");
    let simple = gridlet.registry().info("simple-tariff").expect("still installed");
    assert_eq!(simple.config, config);
    assert_eq!(simple.status, PluginStatus::Enabled);
    assert!(gridlet.registry().info("tou-tariff").is_none(), "an uninstalled default stays uninstalled");

    // what was priced is still there, and pricing works as before
    assert_eq!(gridlet.store.transaction(first_tx.number).unwrap(), Some(first_tx.clone()));
    let mut sim = gridlet.station("CP-1", OcppVersion::V201, Arc::new(TakesCosts)).await;
    let second = sim.charge(1).await;
    assert_eq!(price_of(&gridlet.transaction(&sim, second).pricing), (138, "simple-tariff".to_owned()));
    let again =
        pricing::price_stored(gridlet.store.as_ref(), gridlet.pricer.clone(), first_tx.number, None, server::now())
            .await
            .unwrap();
    assert_eq!(again.price(), first_tx.pricing.as_ref().and_then(Pricing::price), "reproduced after the restart");
    gridlet.shutdown().await;
}
