//! What pricing keeps: tariff assignments by scope, and transactions with
//! their station's group, pricing and running cost.

use domain::pricing::{
    Price, PriceLine, PricedBy, Pricing, RunningCost, TariffAssignment, TariffScope,
};
use domain::transaction::TransactionState;
use domain::{Change, ChangeSet, Storage};

use crate::support::*;

fn assignment(scope: TariffScope, plugin: &str) -> TariffAssignment {
    TariffAssignment::new(scope, plugin, "EUR").unwrap()
}

#[test]
fn assignments_are_kept_one_per_scope() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let station = TariffScope::Station(station_id("CP-1"));
    let group = TariffScope::Group("site north".into());
    let mut changes = ChangeSet::new();
    changes.push(Change::PutTariffAssignment(assignment(station.clone(), "a")));
    changes.push(Change::PutTariffAssignment(assignment(group.clone(), "b")));
    changes.push(Change::PutTariffAssignment(assignment(TariffScope::Default, "c")));
    changes.push(Change::PutTariffAssignment(assignment(
        TariffScope::Group("site".into()),
        "d",
    )));
    write(&store, changes);
    // a new assignment of a scope replaces the old one
    write(
        &store,
        Change::PutTariffAssignment(assignment(station.clone(), "e")),
    );
    let plugins: Vec<_> = store
        .tariff_assignments()
        .unwrap()
        .into_iter()
        .map(|a| a.plugin_id)
        .collect();
    // default, then groups by name, then stations by id
    assert_eq!(plugins, ["c", "d", "b", "e"]);
    assert_eq!(
        store.tariff_assignment(&station).unwrap(),
        Some(assignment(station.clone(), "e"))
    );
    write(&store, Change::DeleteTariffAssignment(group.clone()));
    write(&store, Change::DeleteTariffAssignment(group.clone()));
    assert_eq!(store.tariff_assignment(&group).unwrap(), None);
    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.tariff_assignments().unwrap().len(), 3);
}

fn priced() -> Pricing {
    let line = |kind: &str, amount, tax: Option<u32>| PriceLine {
        kind: kind.into(),
        description: format!("{kind} line"),
        quantity_milli: 12_345,
        unit: "kWh".into(),
        amount_minor: amount,
        tax_rate_bp: tax,
    };
    Pricing::Priced {
        price: Price {
            currency: "EUR".into(),
            minor_digits: 2,
            total_minor: 500,
            lines: vec![line("energy", 600, None), line("cap", -150, None), line("tax", 50, Some(1000))],
        },
        by: PricedBy {
            plugin_id: "simple-tariff".into(),
            version: "0.1.0".into(),
            hash: "ab".repeat(32),
        },
        at: t(30_000),
    }
}

#[test]
fn transactions_keep_their_pricing_and_running_cost() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut running = transaction(1, "CP-1", "TAG");
    running.running_cost = Some(RunningCost {
        currency: "JPY".into(),
        minor_digits: 0,
        total_minor: 1_234,
        at: t(15_000),
    });
    let mut ended = transaction(2, "CP-1", "TAG");
    ended.state = TransactionState::Ended;
    ended.station_group = Some("site-north".into());
    ended.pricing = Some(priced());
    let mut failed = transaction(3, "CP-2", "TAG");
    failed.state = TransactionState::Ended;
    failed.pricing = Some(Pricing::Unpriced {
        reason: "plugin panicked: boom".into(),
        plugin_id: Some("simple-tariff".into()),
        at: t(31_000),
    });
    let mut changes = ChangeSet::new();
    for tx in [&running, &ended, &failed] {
        changes.push(Change::PutTransaction(tx.clone()));
    }
    write(&store, changes);
    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.transaction(1).unwrap(), Some(running));
    assert_eq!(store.transaction(2).unwrap(), Some(ended));
    assert_eq!(store.transaction(3).unwrap(), Some(failed));
    assert_eq!(
        store.station(&station_id("CP-9")).unwrap(),
        None,
        "nothing else appeared"
    );
}
