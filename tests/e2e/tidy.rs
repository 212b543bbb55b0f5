//! ARCHITECTURE.md's rules about what each crate may know, checked over the
//! source tree (in the spirit of rust-analyzer's `tidy`): a change that
//! breaks one changes the code, not this test.
//!
//! - sled is named only in `store`, wasmtime only in `plugin-host`;
//! - the domain has no serde;
//! - `memory-store` (an in-memory `Storage` for tests) is only ever a
//!   dev-dependency;
//! - no wall clock is read below `server`: the code of `ocpp`, `domain`,
//!   `session`, `store`, `memory-store`, `pricing`, `plugin-host`, the SDK and the plugins
//!   gets time as an argument (monotonic timers such as the store's flusher
//!   are fine; their tests may stand in for the server);
//! - released WIT directories are frozen: every file under
//!   `wit/<package>/<version>/` has its SHA-256 in `wit/released.sha256`,
//!   which a new version directory may extend and nothing may change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_owned()
}

/// Every workspace member's folder, relative to the root (`host/store`, `sdk/macros`, …).
fn members() -> Vec<String> {
    let root = root();
    let mut members = Vec::new();
    for parent in ["host", "plugins"] {
        for entry in std::fs::read_dir(root.join(parent)).unwrap() {
            let path = entry.unwrap().path();
            if path.join("Cargo.toml").is_file() {
                members.push(format!("{parent}/{}", path.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    members.extend(["sdk", "sdk/macros", "sdk/test-kit", "tests"].map(str::to_owned));
    members.sort();
    members
}

/// The names of a member's dependencies, of every kind and target.
fn dependencies(member: &str) -> Vec<String> {
    dependencies_of_kinds(member, &["dependencies", "dev-dependencies", "build-dependencies"])
}

/// The names of a member's dependencies of `kinds` (`dependencies`,
/// `dev-dependencies`, `build-dependencies`), for every target.
fn dependencies_of_kinds(member: &str, kinds: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(member).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let mut names = Vec::new();
    let mut tables: Vec<&toml::Table> = Vec::new();
    for &kind in kinds {
        if let Some(table) = manifest.get(kind).and_then(|t| t.as_table()) {
            tables.push(table);
        }
    }
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for target in targets.values().filter_map(|t| t.as_table()) {
            for &kind in kinds {
                if let Some(table) = target.get(kind).and_then(|t| t.as_table()) {
                    tables.push(table);
                }
            }
        }
    }
    for table in tables {
        for (name, spec) in table {
            // `foo = { package = "bar" }` depends on bar
            let package = spec.get("package").and_then(|p| p.as_str()).unwrap_or(name);
            names.push(package.to_owned());
        }
    }
    names
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") {
                found.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found
}

/// The places in `members` (other than `allowed`) whose sources name any of `words`.
fn mentions(members: &[String], allowed: &[&str], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for member in members.iter().filter(|m| !allowed.contains(&m.as_str())) {
        for (path, text) in sources(&root().join(member)) {
            if path.ends_with("e2e/tidy.rs") {
                continue; // names the words it looks for
            }
            for (number, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if words.iter().any(|word| code.contains(word)) {
                    let path = path.strip_prefix(root()).unwrap().display().to_string();
                    found.push(format!("{path}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn sled_is_named_only_in_store() {
    let members = members();
    let depending: Vec<_> = members.iter().filter(|m| *m != "host/store" && dependencies(m).contains(&"sled".to_owned())).collect();
    assert!(depending.is_empty(), "only store may depend on sled: {depending:?}");
    let named = mentions(&members, &["host/store"], &["sled::"]);
    assert!(named.is_empty(), "only store may name sled:\n{}", named.join("\n"));
}

#[test]
fn wasmtime_is_named_only_in_plugin_host() {
    let members = members();
    let depending: Vec<_> = members
        .iter()
        .filter(|m| *m != "host/plugin-host" && dependencies(m).iter().any(|d| d == "wasmtime" || d.starts_with("wasmtime-")))
        .collect();
    assert!(depending.is_empty(), "only plugin-host may depend on wasmtime: {depending:?}");
    let named = mentions(&members, &["host/plugin-host"], &["wasmtime::"]);
    assert!(named.is_empty(), "only plugin-host may name wasmtime:\n{}", named.join("\n"));
}

#[test]
fn the_domain_has_no_serde() {
    let serde: Vec<_> = dependencies("host/domain").into_iter().filter(|d| d.starts_with("serde")).collect();
    assert!(serde.is_empty(), "domain depends on {serde:?}");
    let named = mentions(&["host/domain".to_owned()], &[], &["serde", "Serialize", "Deserialize"]);
    assert!(named.is_empty(), "domain names serde:\n{}", named.join("\n"));
}

#[test]
fn the_memory_store_is_test_support_only() {
    let product: Vec<_> = members()
        .into_iter()
        .filter(|m| dependencies_of_kinds(m, &["dependencies", "build-dependencies"]).contains(&"memory-store".to_owned()))
        .collect();
    assert!(product.is_empty(), "memory-store is test support, a dev-dependency only: {product:?}");
}

#[test]
fn no_wall_clock_is_read_below_the_server() {
    let below: Vec<String> = members()
        .into_iter()
        .filter(|m| {
            ["host/ocpp", "host/domain", "host/session", "host/store", "host/memory-store", "host/pricing", "host/plugin-host"]
                .contains(&m.as_str())
                || m.starts_with("sdk")
                || m.starts_with("plugins/")
        })
        // reads the clock on purpose: the plugin host must refuse it
        .filter(|m| m != "plugins/test-sneaky-tariff")
        // the crates' own code; their tests stand in for the server and may
        .map(|m| format!("{m}/src"))
        .collect();
    assert!(below.len() >= 10, "the crates below the server: {below:?}");
    let reads = mentions(&below, &[], &["SystemTime", "Utc::now", "Local::now", "OffsetDateTime::now", "server::now"]);
    assert!(reads.is_empty(), "the wall clock is read below the server:\n{}", reads.join("\n"));
}

#[test]
fn released_wit_is_frozen() {
    let wit = root().join("wit");
    let listed: BTreeMap<String, String> = std::fs::read_to_string(wit.join("released.sha256"))
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (hash, path) = line.split_once("  ").expect("`<sha256>  <path>` per line");
            (path.to_owned(), hash.to_owned())
        })
        .collect();
    let mut present = BTreeMap::new();
    for package in std::fs::read_dir(&wit).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        for version in std::fs::read_dir(&package).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
            for file in std::fs::read_dir(&version).unwrap().map(|e| e.unwrap().path()) {
                let hash: String = Sha256::digest(std::fs::read(&file).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
                present.insert(file.strip_prefix(&wit).unwrap().display().to_string(), hash);
            }
        }
    }
    for (path, hash) in &listed {
        match present.get(path) {
            None => panic!("wit/{path} was released and must stay: it is gone"),
            Some(now) => assert_eq!(now, hash, "wit/{path} was released and is frozen: make a new version directory instead"),
        }
    }
    let unlisted: Vec<_> = present.keys().filter(|path| !listed.contains_key(*path)).collect();
    assert!(
        unlisted.is_empty(),
        "new WIT files {unlisted:?}: a new version directory is released by adding its files' hashes to wit/released.sha256"
    );
}
