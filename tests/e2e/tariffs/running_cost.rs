//! The running cost pushed to stations: 2.0.1 `CostUpdated`; 1.6 the OCA
//! cost DataTransfers (`RunningCost` while charging, `FinalCost` after the
//! stop) — rate-limited, switchable, and not repeated on a connection whose
//! station refused one.

use std::sync::Arc;

use domain::{Pricing, TariffScope};
use ocpp::OcppVersion;

use super::harness::{Gridlet, TakesCosts, cost_data, major, refuses_costs};

/// The action a running cost arrives in.
fn action(version: OcppVersion) -> &'static str {
    match version {
        OcppVersion::V16 => "DataTransfer",
        OcppVersion::V201 => "CostUpdated",
    }
}

async fn pushed_once_per_interval(version: OcppVersion) {
    // the default interval (60 s) spans the whole test: one push per transaction
    let gridlet = Gridlet::start().await;
    gridlet.register("CP-1", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", version, Arc::new(TakesCosts)).await;
    let handle = sim.start().await;
    sim.reading(handle).await;

    let pushed = sim.next_command(action(version)).await.expect("a running cost arrives");
    let tx = gridlet.transaction(&sim, handle);
    let running = tx.running_cost.clone().expect("the estimate is stored");
    assert_eq!((running.currency.as_str(), running.minor_digits), ("EUR", 2));
    // 11 kW for 10 minutes: 1833 Wh at 0.35 EUR
    assert_eq!(running.total_minor, 64);
    match version {
        OcppVersion::V201 => {
            assert_eq!(pushed["totalCost"], major(running.total_minor));
            assert_eq!(pushed["transactionId"], tx.station_tx_id.as_str());
        }
        OcppVersion::V16 => {
            let data = cost_data(&pushed, "RunningCost");
            assert_eq!(data["transactionId"], tx.number);
            assert_eq!(data["cost"], major(running.total_minor));
            assert_eq!(data["meterValue"], tx.last_register.unwrap().wh as i64);
            assert_eq!(data["state"], "Charging");
            assert_eq!(data["chargingPrice"]["kWhPrice"], 0.35);
            assert!(data["timestamp"].as_str().unwrap().ends_with('Z'), "{data}");
        }
    }

    sim.reading(handle).await;
    sim.reading(handle).await;
    assert_eq!(sim.settled_count(action(version)).await, 0, "at most one per interval");

    sim.stop(handle).await;
    let Some(Pricing::Priced { price, .. }) = gridlet.transaction(&sim, handle).pricing else { panic!("priced") };
    if version == OcppVersion::V16 {
        let last = sim.next_command("DataTransfer").await.expect("the final cost arrives");
        let data = cost_data(&last, "FinalCost");
        assert_eq!(data["transactionId"], tx.number);
        assert_eq!(data["cost"], major(price.total_minor));
        assert_eq!(data["priceText"], format!("{} EUR for 6.42 kWh", price.total_decimal()));
    }
    assert_eq!(sim.settled_count(action(version)).await, 0, "nothing after the end");
    gridlet.shutdown().await;
}

#[tokio::test]
async fn a_v16_station_gets_the_running_and_final_cost() {
    pushed_once_per_interval(OcppVersion::V16).await;
}

#[tokio::test]
async fn a_v201_station_gets_cost_updated() {
    pushed_once_per_interval(OcppVersion::V201).await;
}

#[tokio::test]
async fn without_an_interval_every_reading_is_pushed() {
    let gridlet = Gridlet::start_with(|config| config.settings.running_cost_interval_secs = 0).await;
    gridlet.register("CP-1", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    let mut sim = gridlet.station("CP-1", OcppVersion::V201, Arc::new(TakesCosts)).await;
    let handle = sim.start().await;
    let mut totals = Vec::new();
    for _ in 0..3 {
        sim.reading(handle).await;
        let pushed = sim.next_command("CostUpdated").await.expect("a running cost per reading");
        totals.push(pushed["totalCost"].as_f64().unwrap());
    }
    assert!(totals.windows(2).all(|w| w[0] < w[1]), "the cost grows: {totals:?}");
    gridlet.shutdown().await;
}

#[tokio::test]
async fn running_costs_can_be_switched_off() {
    let gridlet = Gridlet::start_with(|config| config.settings.running_cost = false).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    for (id, version) in [("CP-16", OcppVersion::V16), ("CP-201", OcppVersion::V201)] {
        gridlet.register(id, None).await;
        let mut sim = gridlet.station(id, version, Arc::new(TakesCosts)).await;
        let handle = sim.charge(2).await;
        assert_eq!(sim.settled_count(action(version)).await, 0, "{version}: nothing pushed");
        let tx = gridlet.transaction(&sim, handle);
        assert_eq!(tx.running_cost, None);
        assert!(matches!(tx.pricing, Some(Pricing::Priced { .. })), "still priced at the end");
    }
    gridlet.shutdown().await;
}

#[tokio::test]
async fn a_station_that_refuses_is_not_asked_again() {
    let gridlet = Gridlet::start_with(|config| config.settings.running_cost_interval_secs = 0).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    for (id, version) in [("CP-16", OcppVersion::V16), ("CP-201", OcppVersion::V201)] {
        gridlet.register(id, None).await;
        // 1.6 answers UnknownVendorId, 2.0.1 NotSupported
        let mut sim = gridlet.station(id, version, refuses_costs()).await;
        let handle = sim.charge(3).await;
        assert_eq!(sim.settled_count(action(version)).await, 1, "{version}: one try per connection");
        // the estimates are kept all the same
        assert!(gridlet.transaction(&sim, handle).running_cost.is_some());
    }
    gridlet.shutdown().await;
}
