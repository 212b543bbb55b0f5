//! Install, configure, enable, disable, upgrade, roll back and uninstall at
//! run time, and persistence across restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use plugin_host::{PluginCallError, PluginStatus, RegistryError};

use super::*;

/// The simple tariff's package relabelled as another version.
fn simple_as_version(version: &str) -> PluginPackage {
    let manifest = SIMPLE_TARIFF
        .manifest
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
    package_with(&SIMPLE_TARIFF, &manifest)
}

#[test]
fn install_list_configure_disable_enable_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    let ids: Vec<String> = registry.list().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, ["simple-tariff", "tou-tariff"]);
    let info = registry.info("simple-tariff").unwrap();
    assert_eq!(info.status, PluginStatus::Enabled);
    assert_eq!(info.memory_limit_bytes, 16 << 20);
    assert_eq!(info.timeout_ms, 100);

    // The schema rejects a malformed price; the plugin rejects what a
    // schema cannot see; nothing changes when either does.
    let err = registry
        .configure(
            "simple-tariff",
            serde_json::json!({"currency": "EUR", "energy_per_kwh": "cheap"}),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::ConfigRejected { .. }), "{err}");
    assert!(err.to_string().contains("/energy_per_kwh"), "{err}");
    let err = registry
        .configure(
            "tou-tariff",
            serde_json::json!({
            "currency": "EUR", "default_energy_per_kwh": "0.30",
            "windows": [{"name": "a", "start": "08:00", "end": "12:00", "energy_per_kwh": "0.4"},
                        {"name": "b", "start": "11:00", "end": "13:00", "energy_per_kwh": "0.4"}]}),
        )
        .unwrap_err();
    assert!(err.to_string().contains("overlap at 11:00"), "{err}");
    assert_eq!(
        registry.info("tou-tariff").unwrap().config["windows"][0]["name"],
        "peak"
    );

    registry
        .configure(
            "simple-tariff",
            serde_json::json!({"currency": "EUR", "energy_per_kwh": "0.50"}),
        )
        .unwrap();
    assert_eq!(
        registry
            .price("simple-tariff", &finished_session())
            .unwrap()
            .unwrap()
            .price
            .total_minor,
        1000
    );

    registry.disable("simple-tariff").unwrap();
    assert_eq!(
        registry
            .price("simple-tariff", &finished_session())
            .unwrap_err(),
        PluginCallError::Disabled("simple-tariff".into())
    );
    registry.enable("simple-tariff").unwrap();
    assert!(
        registry
            .price("simple-tariff", &finished_session())
            .unwrap()
            .is_ok()
    );

    registry.uninstall("simple-tariff").unwrap();
    assert!(registry.info("simple-tariff").is_none());
    assert!(!dir.path().join("simple-tariff").exists());
}

#[test]
fn a_plugin_without_a_valid_default_config_waits_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    let manifest = misbehaving_manifest("needs-config", "no-such-behaviour", "");
    let info = registry
        .install(
            package_with(&TEST_MISBEHAVING_TARIFF, &manifest),
            &Capabilities::default(),
        )
        .unwrap();
    let PluginStatus::NeedsConfig { reason } = info.status else {
        panic!("{:?}", info.status)
    };
    assert!(reason.contains("unknown behaviour"), "{reason}");
    assert!(matches!(
        registry.price("needs-config", &finished_session()),
        Err(PluginCallError::NeedsConfig { .. })
    ));
    registry
        .configure(
            "needs-config",
            serde_json::json!({"behaviour": "well-behaved"}),
        )
        .unwrap();
    assert_eq!(
        registry.info("needs-config").unwrap().status,
        PluginStatus::Enabled
    );
}

#[test]
fn upgrade_and_roll_back_without_restart_and_persist_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_defaults(&registry);
    registry
        .configure(
            "simple-tariff",
            serde_json::json!({"currency": "EUR", "energy_per_kwh": "0.40"}),
        )
        .unwrap();

    let info = registry
        .install(simple_as_version("0.2.0"), &Capabilities::default())
        .unwrap();
    assert_eq!(info.version.to_string(), "0.2.0");
    assert_eq!(
        info.history
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>(),
        ["0.1.0"]
    );
    assert_eq!(
        info.config["energy_per_kwh"], "0.40",
        "an upgrade keeps the configuration"
    );
    let priced = registry
        .price("simple-tariff", &finished_session())
        .unwrap()
        .unwrap();
    assert_eq!(priced.priced_by.version.to_string(), "0.2.0");

    // Reinstalling the active version is a no-op; different bytes under a
    // version already installed are refused.
    registry
        .install(simple_as_version("0.2.0"), &Capabilities::default())
        .unwrap();
    let other_bytes = PluginPackage::from_parts(
        &SIMPLE_TARIFF
            .manifest
            .replace("version = \"0.1.0\"", "version = \"0.2.0\""),
        TOU_TARIFF.component.to_vec(),
    )
    .unwrap();
    assert!(matches!(
        registry.install(other_bytes, &Capabilities::default()),
        Err(RegistryError::VersionConflict { .. })
    ));

    // Restart: same version, config, history.
    drop(registry);
    let registry = super::registry(&dir);
    let info = registry.info("simple-tariff").unwrap();
    assert_eq!(info.version.to_string(), "0.2.0");
    assert_eq!(info.config["energy_per_kwh"], "0.40");
    assert_eq!(info.status, PluginStatus::Enabled);
    assert!(registry.info("tou-tariff").is_some());

    let info = registry.rollback("simple-tariff").unwrap();
    assert_eq!(info.version.to_string(), "0.1.0");
    assert!(info.history.is_empty());
    let priced = registry
        .price("simple-tariff", &finished_session())
        .unwrap()
        .unwrap();
    assert_eq!(priced.priced_by.version.to_string(), "0.1.0");
    assert!(matches!(
        registry.rollback("simple-tariff"),
        Err(RegistryError::NothingToRollBack(_))
    ));

    drop(registry);
    assert_eq!(
        super::registry(&dir)
            .info("simple-tariff")
            .unwrap()
            .version
            .to_string(),
        "0.1.0"
    );
}

#[test]
fn an_upgrade_that_rejects_the_current_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    install_misbehaving(&registry, "strict", "well-behaved", "");
    // The simple tariff's schema rejects the misbehaving plugin's config.
    let manifest = SIMPLE_TARIFF
        .manifest
        .replace("id = \"simple-tariff\"", "id = \"strict\"")
        .replace("version = \"0.1.0\"", "version = \"0.2.0\"");
    let err = registry
        .install(
            package_with(&SIMPLE_TARIFF, &manifest),
            &Capabilities::default(),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::ConfigRejected { .. }), "{err}");
    assert_eq!(
        registry.info("strict").unwrap().version.to_string(),
        "0.1.0"
    );
}

#[test]
fn capabilities_must_be_granted() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&dir);
    let manifest = "id = \"payer\"\nversion = \"1.0.0\"\nkind = \"payment\"\nwit = \"0.1.0\"\n\
                    [capabilities]\nhttp-hosts = [\"api.psp.example\"]\n";
    let err = registry
        .install(
            package_with(&SIMPLE_TARIFF, manifest),
            &Capabilities::default(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin \"payer\" asks for [\"http host api.psp.example\"], which the operator did not grant"
    );
}

#[test]
fn calls_in_flight_finish_on_the_version_they_started_with() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(registry(&dir));
    install_defaults(&registry);
    let stop = Arc::new(AtomicBool::new(false));
    let caller = {
        let (registry, stop) = (registry.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut versions = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                let priced = registry
                    .price("simple-tariff", &finished_session())
                    .unwrap()
                    .unwrap();
                priced.price.check().unwrap();
                versions.insert(priced.priced_by.version.to_string());
            }
            versions
        })
    };
    for version in ["0.2.0", "0.3.0"] {
        registry
            .install(simple_as_version(version), &Capabilities::default())
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    registry.rollback("simple-tariff").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    stop.store(true, Ordering::Relaxed);
    let versions = caller.join().unwrap();
    assert!(versions.contains("0.3.0"), "{versions:?}");
    assert!(
        versions
            .iter()
            .all(|v| ["0.1.0", "0.2.0", "0.3.0"].contains(&v.as_str()))
    );
}

/// The file names in `dir`, sorted.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_refused_install_leaves_no_compiled_code_behind() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(".compiled");
    let registry = PluginRegistry::open(
        PluginRuntime::new(HostConfig {
            cache_dir: Some(cache.clone()),
            max_instances: 4,
            ..HostConfig::default()
        })
        .unwrap(),
        dir.path(),
    )
    .unwrap();
    install_misbehaving(&registry, "strict", "well-behaved", "");
    let before = files_in(&cache);
    assert_eq!(before.len(), 1, "the installed plugin's code: {before:?}");

    // Refused after compiling: the component imports what tariffs may not have.
    let sneaky = "id = \"sneaky\"\nversion = \"1.0.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n";
    let err = registry
        .install(
            package_with(&plugin_artifacts::TEST_SNEAKY_TARIFF, sneaky),
            &Capabilities::default(),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::Load(_)), "{err}");
    assert_eq!(files_in(&cache), before, "after {err}");

    // Refused after compiling: the upgrade rejects the current configuration.
    let upgrade = SIMPLE_TARIFF
        .manifest
        .replace("id = \"simple-tariff\"", "id = \"strict\"")
        .replace("version = \"0.1.0\"", "version = \"0.2.0\"");
    let err = registry
        .install(package_with(&SIMPLE_TARIFF, &upgrade), &Capabilities::default())
        .unwrap_err();
    assert!(matches!(err, RegistryError::ConfigRejected { .. }), "{err}");
    assert_eq!(files_in(&cache), before, "after {err}");

    // Refused before compiling: capabilities, kind, version conflict.
    let payer = "id = \"payer\"\nversion = \"1.0.0\"\nkind = \"payment\"\nwit = \"0.1.0\"\n\
                 [capabilities]\nhttp-hosts = [\"api.psp.example\"]\n";
    let err = registry
        .install(package_with(&SIMPLE_TARIFF, payer), &Capabilities::default())
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotGranted { .. }), "{err}");
    let payment_kind = misbehaving_manifest("strict", "well-behaved", "")
        .replace("version = \"0.1.0\"", "version = \"0.4.0\"")
        .replace("kind = \"tariff\"", "kind = \"payment\"");
    let err = registry
        .install(package_with(&SIMPLE_TARIFF, &payment_kind), &Capabilities::default())
        .unwrap_err();
    assert!(matches!(err, RegistryError::KindMismatch { .. }), "{err}");
    let same_version_other_code = misbehaving_manifest("strict", "well-behaved", "");
    let err = registry
        .install(package_with(&SIMPLE_TARIFF, &same_version_other_code), &Capabilities::default())
        .unwrap_err();
    assert!(matches!(err, RegistryError::VersionConflict { .. }), "{err}");
    assert_eq!(files_in(&cache), before, "after refusals before compiling");

    // An accepted install keeps its code; a refused upgrade to code an
    // installed plugin already uses leaves that plugin's entry in place.
    registry.install(package(&SIMPLE_TARIFF), &Capabilities::default()).unwrap();
    let with_simple = files_in(&cache);
    assert_eq!(with_simple.len(), 2, "{with_simple:?}");
    let err = registry
        .install(package_with(&SIMPLE_TARIFF, &upgrade), &Capabilities::default())
        .unwrap_err();
    assert!(matches!(err, RegistryError::ConfigRejected { .. }), "{err}");
    assert_eq!(files_in(&cache), with_simple, "after {err}");
    let priced = registry.price("simple-tariff", &finished_session());
    assert!(matches!(priced, Ok(Ok(_))), "the simple tariff still prices from its code: {priced:?}");
}
