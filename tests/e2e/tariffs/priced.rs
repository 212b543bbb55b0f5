//! Sessions priced when they end: the price, its lines and provenance are
//! stored with the transaction, are what the registry gives for the same
//! facts, reach a 2.0.1 station as `totalCost`, and are reproduced exactly
//! from the stored inputs.

use std::sync::Arc;

use domain::{Pricing, Storage, TariffScope, TransactionState};
use ocpp::OcppVersion;

use super::harness::{Gridlet, TakesCosts, VERSIONS, major};

/// 11 kW for 35 minutes, in whole Wh.
const ENERGY_WH: i64 = 6_416;

async fn priced_when_it_ends(version: OcppVersion) {
    let gridlet = Gridlet::start().await;
    gridlet.register("CP-1", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", version, Arc::new(TakesCosts)).await;
    let handle = sim.charge(3).await;

    let tx = gridlet.transaction(&sim, handle);
    assert_eq!(tx.state, TransactionState::Ended);
    assert_eq!(tx.energy_wh(), Some(ENERGY_WH as f64));
    let Some(Pricing::Priced { price, by, .. }) = tx.pricing.clone() else {
        panic!("priced: {:?}", tx.pricing);
    };
    // provenance: the installed default plugin, by id, version and content
    let installed = gridlet.registry().info("simple-tariff").unwrap();
    assert_eq!(by.plugin_id, "simple-tariff");
    assert_eq!(by.version, installed.version.to_string());
    assert_eq!(by.hash, installed.hash.to_string());
    assert!(by.hash.starts_with("sha256:"), "{}", by.hash);
    // 0.35 EUR per kWh (the default configuration), rounded half away from zero
    assert_eq!((price.currency.as_str(), price.minor_digits), ("EUR", 2));
    let energy = &price.lines[0];
    assert_eq!((energy.kind.as_str(), energy.unit.as_str(), energy.quantity_milli), ("energy", "kWh", ENERGY_WH));
    assert_eq!(energy.amount_minor, (ENERGY_WH * 35 * 2 + 1_000) / 2_000);
    assert!(price.adds_up(), "{price:?}");
    assert_eq!(price.total_minor, price.lines.iter().map(|l| l.amount_minor).sum::<i64>());

    // the same price as the registry gives for the same facts
    let samples = gridlet.store.meter_samples(tx.number).unwrap();
    let facts = pricing::session_facts(&tx, &samples, "EUR").unwrap();
    let direct = gridlet.registry().price("simple-tariff", &facts).unwrap().unwrap();
    assert_eq!(pricing::pricer::domain_price(&direct.price), price);
    assert_eq!(pricing::pricer::priced_by(&direct.priced_by), by);

    // and reproduced exactly from what is stored, any number of times
    for _ in 0..2 {
        let again = pricing::price_stored(gridlet.store.as_ref(), gridlet.pricer.clone(), tx.number, None, server::now())
            .await
            .unwrap();
        let Pricing::Priced { price: again_price, by: again_by, .. } = again else { panic!("priced again: {again:?}") };
        assert_eq!((&again_price, &again_by), (&price, &by));
    }

    // a 2.0.1 station is told the total in the Ended answer
    let total_costs: Vec<_> = sim.answers_with("totalCost").into_iter().map(|answer| answer["totalCost"].clone()).collect();
    match version {
        OcppVersion::V201 => assert_eq!(total_costs, [major(price.total_minor)]),
        OcppVersion::V16 => assert_eq!(total_costs, [0_u8; 0]),
    }
    gridlet.shutdown().await;
}

#[tokio::test]
async fn a_v16_session_is_priced_when_it_stops() {
    priced_when_it_ends(VERSIONS[0]).await;
}

#[tokio::test]
async fn a_v201_session_is_priced_when_it_ends() {
    priced_when_it_ends(VERSIONS[1]).await;
}

#[tokio::test]
async fn a_replayed_stop_keeps_the_first_pricing() {
    let gridlet = Gridlet::start().await;
    gridlet.register("CP-1", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", OcppVersion::V16, Arc::new(TakesCosts)).await;
    let handle = sim.charge(1).await;
    let first = gridlet.transaction(&sim, handle);
    assert!(matches!(first.pricing, Some(Pricing::Priced { .. })), "{:?}", first.pricing);

    // the station lost the answer and sends the stop again
    let answer = sim
        .cp
        .send(
            "StopTransaction",
            serde_json::json!({
                "transactionId": first.number,
                "meterStop": first.meter_stop_wh.unwrap() as i64,
                "timestamp": ocpp::format_rfc3339_millis(first.ended_at.unwrap().unix_millis()),
                "reason": "EVDisconnected",
            }),
        )
        .await
        .unwrap();
    assert!(answer.is_object());
    assert_eq!(gridlet.transaction(&sim, handle).pricing, first.pricing, "not priced twice");
    gridlet.shutdown().await;
}
