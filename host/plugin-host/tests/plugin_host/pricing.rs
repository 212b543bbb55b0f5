//! Pricing sessions with the default tariffs through the registry.

use plugin_host::{LineKind, PluginCallError, SessionFacts};

use super::*;

#[test]
fn simple_tariff_prices_energy_and_time_and_tags_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    registry
        .configure(
            "simple-tariff",
            serde_json::json!({"currency": "EUR", "energy_per_kwh": "0.35", "time_per_hour": "1.20", "tax_rate_bp": 2000}),
        )
        .unwrap();
    let priced = registry
        .price("simple-tariff", &finished_session())
        .unwrap()
        .unwrap();
    let price = &priced.price;
    // 20 kWh * 0.35 = 7.00; 1.5 h * 1.20 = 1.80; 20 % tax on 8.80 = 1.76.
    let amounts: Vec<(LineKind, i64)> = price
        .lines
        .iter()
        .map(|l| (l.kind, l.amount_minor))
        .collect();
    assert_eq!(
        amounts,
        vec![
            (LineKind::Energy, 700),
            (LineKind::Time, 180),
            (LineKind::Tax, 176)
        ]
    );
    assert_eq!(price.total_minor, 1056);
    assert_eq!(price.currency, eur());
    assert_eq!(priced.priced_by.plugin_id, "simple-tariff");
    assert_eq!(priced.priced_by.version.to_string(), "0.1.0");
    assert_eq!(priced.priced_by.hash, package(&SIMPLE_TARIFF).hash());
}

#[test]
fn tou_tariff_splits_windows_and_adds_fees() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    // Default config: UTC+1, peak 17:00-21:00 local at 0.45, else 0.30,
    // 0.50 session fee, idle 0.10/min after 30 min. The session runs
    // 17:00-18:30 local; charging ends at 18:20; no idle fee yet.
    let priced = registry
        .price("tou-tariff", &finished_session())
        .unwrap()
        .unwrap();
    let price = &priced.price;
    price.check().unwrap();
    let energy: i64 = price
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Energy)
        .map(|l| l.quantity_milli)
        .sum();
    assert_eq!(
        energy, 20_000,
        "all energy is billed exactly once: {price:#?}"
    );
    assert!(
        price
            .lines
            .iter()
            .any(|l| l.kind == LineKind::Energy && l.description.contains("peak"))
    );
    assert!(
        price
            .lines
            .iter()
            .any(|l| l.kind == LineKind::Flat && l.amount_minor == 50)
    );
    assert!(!price.lines.iter().any(|l| l.kind == LineKind::Idle));
    // 20 kWh all at peak = 9.00, plus the fee.
    assert_eq!(price.total_minor, 900 + 50);

    // An hour more plugged in: 40 idle minutes after the 30 free ones.
    let mut idle = finished_session();
    idle.ended_at_ms = idle.ended_at_ms.map(|t| t + 60 * 60_000);
    let price = registry.price("tou-tariff", &idle).unwrap().unwrap().price;
    let fee = price
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Idle)
        .unwrap();
    assert_eq!((fee.quantity_milli, fee.amount_minor), (40_000, 400));
}

#[test]
fn same_facts_give_the_same_price_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    let facts = finished_session();
    let first = registry.price("tou-tariff", &facts).unwrap().unwrap();
    for _ in 0..20 {
        assert_eq!(
            registry.price("tou-tariff", &facts).unwrap().unwrap(),
            first
        );
    }
    // A kept instance answers the same as fresh ones.
    let plugin = registry
        .runtime()
        .load_tariff(&package(&TOU_TARIFF))
        .unwrap();
    let config: std::sync::Arc<str> = TOU_DEFAULT_CONFIG.with(|c| c.clone());
    let mut instance = plugin.instantiate(config).unwrap();
    for _ in 0..5 {
        assert_eq!(instance.price(&facts).unwrap().unwrap().price, first.price);
    }
}

thread_local! {
    static TOU_DEFAULT_CONFIG: std::sync::Arc<str> = {
        let manifest = plugin_host::Manifest::parse(TOU_TARIFF.manifest).unwrap();
        manifest.default_config().to_string().into()
    };
}

#[test]
fn estimate_prices_a_running_session_up_to_now() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    let mut running = finished_session();
    running.ended_at_ms = None;
    running.meter_stop_wh = None;
    running.charging_ended_at_ms = None;
    running.samples.truncate(4); // up to 16:40, register at 11 kWh
    let now = running.started_at_ms + 45 * 60_000;
    let estimate = registry
        .estimate("simple-tariff", &running, now)
        .unwrap()
        .unwrap();
    // Default config: 0.35/kWh, no time price: 10 kWh so far.
    assert_eq!(estimate.price.total_minor, 350);
    // Pricing it as final is refused by the tariff itself (inner error).
    let refused = registry
        .price("simple-tariff", &running)
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.code, plugin_host::ErrorCode::InvalidInput);
}

#[test]
fn a_tariff_refuses_a_session_billed_in_another_currency() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    let facts = SessionFacts {
        currency: Some(plugin_host::Currency::new("USD").unwrap()),
        ..finished_session()
    };
    let refused = registry
        .price("simple-tariff", &facts)
        .unwrap()
        .unwrap_err();
    assert!(refused.message.contains("USD"), "{refused}");
    // Refusals are answers, not failures: the plugin is not stopped.
    for _ in 0..5 {
        let _ = registry.price("simple-tariff", &facts);
    }
    assert!(
        registry
            .price("simple-tariff", &finished_session())
            .unwrap()
            .is_ok()
    );
}

#[test]
fn calls_to_unknown_or_wrong_plugins_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    let err = registry.price("nope", &finished_session()).unwrap_err();
    assert_eq!(err, PluginCallError::NotFound("nope".into()));
    assert_eq!(err.to_string(), "no plugin \"nope\" is installed");
}
