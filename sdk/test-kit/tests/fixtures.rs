//! The test kit against the default tariffs' own fixtures, as a plugin
//! author would run it, and against a fixture that must fail.

// Test and benchmark code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use gridlet_test_kit::{Fixture, TestKit};
use plugin_artifacts::{PluginArtifact, SIMPLE_TARIFF, TOU_TARIFF};

fn kit(artifact: &PluginArtifact) -> TestKit {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins")
        .join(artifact.name)
        .join("gridlet-plugin.toml");
    TestKit::load(Path::new(artifact.component_path), Some(&manifest)).unwrap()
}

fn fixtures(artifact: &PluginArtifact) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins")
        .join(artifact.name)
        .join("fixtures")
}

#[test]
fn default_tariffs_pass_their_fixtures() {
    for artifact in [&SIMPLE_TARIFF, &TOU_TARIFF] {
        let outcomes = kit(artifact).run_dir(&fixtures(artifact)).unwrap();
        assert!(outcomes.len() >= 3, "{outcomes:?}");
        for outcome in outcomes {
            assert_eq!(outcome.failure, None, "{}: {}", artifact.name, outcome.name);
        }
    }
}

#[test]
fn a_wrong_expectation_is_reported_with_the_difference() {
    let kit = kit(&SIMPLE_TARIFF);
    let mut fixture =
        Fixture::from_file(&fixtures(&SIMPLE_TARIFF).join("energy-time-tax.toml")).unwrap();
    fixture.expect.total_minor = Some(1057);
    let outcome = kit.run(&fixture);
    assert_eq!(
        outcome.failure.as_deref(),
        Some("total: expected 1057, got 1056")
    );
}

#[test]
fn an_invalid_config_in_a_fixture_is_reported() {
    let kit = kit(&SIMPLE_TARIFF);
    let mut fixture =
        Fixture::from_file(&fixtures(&SIMPLE_TARIFF).join("energy-time-tax.toml")).unwrap();
    fixture.config = Some(serde_json::json!({"currency": "EUR"}));
    let failure = kit.run(&fixture).failure.unwrap();
    assert!(failure.contains("energy_per_kwh"), "{failure}");
}
