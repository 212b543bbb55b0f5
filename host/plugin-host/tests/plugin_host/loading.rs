//! Loading components: world and version checks, forbidden imports, the
//! compile cache.

use plugin_artifacts::TEST_SNEAKY_TARIFF;
use plugin_host::{HostConfig, LoadError, PluginKind, PluginRuntime};

use super::*;

#[test]
fn default_plugins_load_and_report_their_identity() {
    let runtime = runtime();
    for artifact in plugin_artifacts::DEFAULT_PLUGINS {
        let package = package(artifact);
        let plugin = runtime.load_tariff(&package).unwrap();
        assert_eq!(plugin.priced_by().plugin_id, artifact.name);
        assert_eq!(plugin.priced_by().hash, package.hash());
        assert!(plugin.priced_by().hash.to_string().starts_with("sha256:"));
    }
}

#[test]
fn a_component_importing_filesystem_or_clock_is_refused() {
    let manifest = "id = \"sneaky\"\nversion = \"1.0.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n";
    let err = runtime()
        .load_tariff(&package_with(&TEST_SNEAKY_TARIFF, manifest))
        .unwrap_err();
    let LoadError::ForbiddenImport { import, kind } = &err else {
        panic!("expected a forbidden import, got {err}")
    };
    assert_eq!(*kind, PluginKind::Tariff);
    assert!(
        import.starts_with("wasi:filesystem/") || import.starts_with("wasi:clocks/"),
        "{import}"
    );
    assert!(
        err.to_string()
            .contains("which tariff plugins are not granted"),
        "{err}"
    );
}

#[test]
fn bytes_that_are_not_a_component_are_refused() {
    let manifest = "id = \"junk\"\nversion = \"1.0.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n";
    let junk = PluginPackage::from_parts(manifest, b"definitely not wasm".to_vec()).unwrap();
    assert!(matches!(
        runtime().load_tariff(&junk),
        Err(LoadError::Compile(_))
    ));
}

#[test]
fn worlds_and_versions_the_host_does_not_serve_are_refused() {
    let runtime = runtime();
    let newer = SIMPLE_TARIFF
        .manifest
        .replace("wit = \"0.1.0\"", "wit = \"0.2.0\"");
    let err = runtime
        .load_tariff(&package_with(&SIMPLE_TARIFF, &newer))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tariff plugins for WIT version 0.2.0 are not served by this host (served: tariff@0.1.0)"
    );
    let payment = SIMPLE_TARIFF
        .manifest
        .replace("kind = \"tariff\"", "kind = \"payment\"");
    assert!(matches!(
        runtime.load_tariff(&package_with(&SIMPLE_TARIFF, &payment)),
        Err(LoadError::UnsupportedWorld {
            kind: PluginKind::Payment,
            ..
        })
    ));
}

#[test]
fn compiled_code_is_cached_on_disk_by_content_hash() {
    let cache = tempfile::tempdir().unwrap();
    let config = || HostConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        max_instances: 4,
        ..HostConfig::default()
    };
    let package = package(&SIMPLE_TARIFF);
    let first = PluginRuntime::new(config())
        .unwrap()
        .load_tariff(&package)
        .unwrap();
    let entries: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].starts_with(&package.hash().hex()), "{entries:?}");

    // A new runtime (a restart) loads from the cache and prices the same.
    let second = PluginRuntime::new(config())
        .unwrap()
        .load_tariff(&package)
        .unwrap();
    let config_json: std::sync::Arc<str> = r#"{"currency":"EUR","energy_per_kwh":"0.35"}"#.into();
    let a = first
        .price(config_json.clone(), &finished_session())
        .unwrap()
        .unwrap();
    let b = second
        .price(config_json, &finished_session())
        .unwrap()
        .unwrap();
    assert_eq!(a, b);

    // A damaged entry is ignored and rewritten, not trusted. (Replaced,
    // not truncated in place: loaded code maps the file, as the runtime's
    // own writes, which always rename a new file into place, allow.)
    drop((first, second));
    let entry = cache.path().join(&entries[0]);
    std::fs::write(cache.path().join("damaged"), b"garbage").unwrap();
    std::fs::rename(cache.path().join("damaged"), &entry).unwrap();
    PluginRuntime::new(config())
        .unwrap()
        .load_tariff(&package)
        .unwrap();
    assert!(std::fs::metadata(&entry).unwrap().len() > 1000);
}
