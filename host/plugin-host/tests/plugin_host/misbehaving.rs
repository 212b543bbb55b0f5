//! Plugins that loop, panic, hoard memory, overflow their stack, exit or
//! return garbage: each call fails with a clear error, other plugins carry
//! on, and a plugin that keeps failing is stopped with a visible reason.

use std::time::{Duration, Instant};

use plugin_host::{CallError, PluginCallError, PluginStatus, SessionFacts};

use super::*;

/// For the looper: a short deadline and fuel enough that the deadline fires.
const QUICK: &str = "timeout-ms = 50\nfuel = 5_000_000_000\nmemory-mib = 16";
/// For everything else: a deadline a loaded CI machine cannot hit by accident.
const SAFE: &str = "timeout-ms = 5000\nfuel = 5_000_000_000\nmemory-mib = 16";

/// Installs `behaviour` as plugin `id` and returns the host's error.
fn failure(registry: &PluginRegistry, id: &str, behaviour: &str, limits: &str) -> CallError {
    install_misbehaving(registry, id, behaviour, limits);
    match registry.price(id, &finished_session()) {
        Err(PluginCallError::Call { error, plugin }) => {
            assert_eq!(plugin.plugin_id, id);
            error
        }
        other => panic!("{behaviour}: expected a host-side failure, got {other:?}"),
    }
}

#[test]
fn each_misbehaviour_fails_its_own_call_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);

    let started = Instant::now();
    assert_eq!(
        failure(&registry, "looper", "loop", QUICK),
        CallError::DeadlineExceeded(Duration::from_millis(50))
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the deadline interrupts the loop"
    );

    assert_eq!(
        failure(&registry, "fuel-burner", "loop", "fuel = 1_000_000"),
        CallError::OutOfFuel(1_000_000)
    );
    match failure(&registry, "panicker", "panic", SAFE) {
        CallError::Panicked(message) => assert!(
            message.contains("deliberate panic in session tx-1"),
            "{message}"
        ),
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(
        failure(&registry, "hoarder", "allocate", SAFE),
        CallError::MemoryLimit(16 << 20)
    );
    assert_eq!(
        failure(&registry, "recurser", "stack", SAFE),
        CallError::StackOverflow
    );
    assert_eq!(
        failure(&registry, "quitter", "exit", SAFE),
        CallError::Exited
    );
    match failure(&registry, "liar", "inconsistent", SAFE) {
        CallError::InvalidOutput(message) => {
            assert_eq!(message, "line items add up to 150 but the total is 999")
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
    match failure(&registry, "negative", "negative", SAFE) {
        CallError::InvalidOutput(message) => assert!(
            message.contains("only cap and discount lines may be negative"),
            "{message}"
        ),
        other => panic!("expected invalid output, got {other:?}"),
    }
    match failure(&registry, "wrong-currency", "bad-currency", SAFE) {
        CallError::InvalidOutput(message) => {
            assert_eq!(message, "price is in XXX, but the session is billed in EUR")
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
    match failure(&registry, "flooder", "oversized", SAFE) {
        CallError::OutputTooLarge(message) => {
            assert_eq!(message, "10000 line items, at most 100 are accepted")
        }
        other => panic!("expected oversized output, got {other:?}"),
    }

    // The default tariffs, in the same registry and runtime, are unharmed.
    for id in ["simple-tariff", "tou-tariff"] {
        let priced = registry.price(id, &finished_session()).unwrap().unwrap();
        priced.price.check().unwrap();
    }
}

#[test]
fn plugin_errors_are_answers_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_misbehaving(&registry, "refuser", "refuse", SAFE);
    for _ in 0..10 {
        let refused = registry
            .price("refuser", &finished_session())
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.message, "this tariff refuses every session");
    }
    assert_eq!(
        registry.info("refuser").unwrap().status,
        PluginStatus::Enabled
    );
}

#[test]
fn a_plugin_that_keeps_failing_is_stopped_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    install_misbehaving(&registry, "panicker", "panic", SAFE);

    // Threshold 3 in tests: three failures, then the breaker is open.
    for _ in 0..3 {
        let err = registry.price("panicker", &finished_session()).unwrap_err();
        assert!(
            matches!(
                err,
                PluginCallError::Call {
                    error: CallError::Panicked(_),
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = registry.price("panicker", &finished_session()).unwrap_err();
    let PluginCallError::Stopped { reason, .. } = err else {
        panic!("expected stopped, got {err:?}")
    };
    assert!(
        reason.starts_with("3 consecutive failed calls; last: plugin panicked: "),
        "{reason}"
    );
    assert!(matches!(
        registry.info("panicker").unwrap().status,
        PluginStatus::Stopped { .. }
    ));

    // Others carry on.
    assert!(
        registry
            .price("simple-tariff", &finished_session())
            .unwrap()
            .is_ok()
    );

    // The stop survives a restart...
    drop(registry);
    let registry = super::registry(&dir);
    assert!(matches!(
        registry.info("panicker").unwrap().status,
        PluginStatus::Stopped { .. }
    ));
    // ...until the operator fixes the config and enables it again.
    registry
        .configure("panicker", serde_json::json!({"behaviour": "well-behaved"}))
        .unwrap();
    registry.enable("panicker").unwrap();
    assert_eq!(
        registry
            .price("panicker", &finished_session())
            .unwrap()
            .unwrap()
            .price
            .total_minor,
        100
    );
}

#[test]
fn a_success_resets_the_failure_count() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_misbehaving(&registry, "flaky", "panic", SAFE);
    let spared = SessionFacts {
        session_id: "spare-me".into(),
        ..finished_session()
    };
    for round in 0..4 {
        for _ in 0..2 {
            assert!(
                registry.price("flaky", &finished_session()).is_err(),
                "round {round}"
            );
        }
        assert!(
            registry.price("flaky", &spared).unwrap().is_ok(),
            "round {round}"
        );
    }
    assert_eq!(
        registry.info("flaky").unwrap().status,
        PluginStatus::Enabled
    );
}

#[test]
fn oversized_input_is_refused_before_the_call_and_not_held_against_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    let mut facts = finished_session();
    facts.station_id = "X".repeat(10_000);
    for _ in 0..5 {
        let err = registry.price("simple-tariff", &facts).unwrap_err();
        assert!(
            matches!(
                err,
                PluginCallError::Call {
                    error: CallError::InputTooLarge(_),
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(
        registry.info("simple-tariff").unwrap().status,
        PluginStatus::Enabled
    );
}

#[test]
fn a_kept_instance_is_unusable_after_a_trap() {
    let plugin = runtime()
        .load_tariff(&package_with(
            &TEST_MISBEHAVING_TARIFF,
            &misbehaving_manifest("p", "panic", SAFE),
        ))
        .unwrap();
    let mut instance = plugin
        .instantiate(r#"{"behaviour":"panic"}"#.into())
        .unwrap();
    assert!(matches!(
        instance.price(&finished_session()),
        Err(CallError::Panicked(_))
    ));
    assert_eq!(
        instance.price(&finished_session()).unwrap_err(),
        CallError::Poisoned
    );
}
