//! `gridlet-test-kit`: test a tariff plugin's `.wasm` without running
//! Gridlet. It installs the component in a throw-away registry (the same
//! `plugin-host` code the server runs, with the same sandbox, limits,
//! config-schema checks and output checks) and prices the sessions
//! described by fixture files, comparing with the expected price.
//!
//! A fixture is a TOML (or JSON) file:
//!
//! ```toml
//! name = "20 kWh in the evening peak"
//! # Optional: the plugin's configuration (else the manifest's default).
//! [config]
//! currency = "EUR"
//! energy_per_kwh = "0.35"
//!
//! # The session, as gridlet_sdk::SessionFacts (times in ms since the epoch).
//! [session]
//! started_at_ms = 1_700_000_000_000
//! ended_at_ms = 1_700_005_400_000
//! meter_start_wh = 0
//! meter_stop_wh = 20_000
//! currency = "EUR"
//!
//! # Optional: estimate a running session at this time instead of pricing.
//! # now_ms = 1_700_003_600_000
//!
//! [expect]
//! total_minor = 700            # or: error = "invalid-input"
//! currency = "EUR"
//! [[expect.lines]]             # optional; kind and amount, optionally quantity/description
//! kind = "energy"
//! amount_minor = 700
//! quantity_milli = 20_000
//! ```
//!
//! From Rust: [`TestKit::load`] then [`TestKit::run_dir`]; from a shell:
//! `gridlet-test-kit my_tariff.wasm --manifest gridlet-plugin.toml fixtures/`.

use std::path::{Path, PathBuf};

use gridlet_sdk::{Currency, ErrorCode, LineKind, SessionFacts, TimestampMs};
use plugin_host::{Capabilities, HostConfig, PluginPackage, PluginRegistry, PluginRuntime};
use serde::Deserialize;

/// Why the test kit could not run.
#[derive(Debug, thiserror::Error)]
pub enum TestKitError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A fixture is malformed.
    #[error("fixture {path} is malformed: {reason}")]
    Fixture {
        /// The fixture file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The plugin could not be installed (not a tariff, forbidden imports,
    /// invalid manifest or default configuration...).
    #[error("plugin cannot be installed: {0}")]
    Install(String),
}

/// One expected line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedLine {
    /// The line's kind.
    pub kind: LineKind,
    /// The line's amount in minor units.
    pub amount_minor: i64,
    /// The quantity in thousandths, if it should be checked.
    #[serde(default)]
    pub quantity_milli: Option<i64>,
    /// The description, if it should be checked.
    #[serde(default)]
    pub description: Option<String>,
}

/// What a fixture expects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The total in minor units.
    #[serde(default)]
    pub total_minor: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Every line, in order.
    #[serde(default)]
    pub lines: Option<Vec<ExpectedLine>>,
    /// The plugin's own error code instead of a price.
    #[serde(default)]
    pub error: Option<ErrorCode>,
    /// Text the plugin's error message must contain.
    #[serde(default)]
    pub message_contains: Option<String>,
}

/// A fixture: a session, optional config, and what to expect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// A name for reports (default: the file name).
    #[serde(default)]
    pub name: String,
    /// The plugin configuration for this fixture.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// The session to price.
    pub session: SessionFacts,
    /// If set, estimate the running session at this time instead.
    #[serde(default)]
    pub now_ms: Option<TimestampMs>,
    /// The expectation.
    pub expect: Expectation,
}

impl Fixture {
    /// Reads a `.toml` or `.json` fixture file.
    pub fn from_file(path: &Path) -> Result<Self, TestKitError> {
        let text = std::fs::read_to_string(path).map_err(|source| TestKitError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let malformed = |reason: String| TestKitError::Fixture {
            path: path.display().to_string(),
            reason,
        };
        let mut fixture: Fixture = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?
        } else {
            toml::from_str(&text).map_err(|e| malformed(e.to_string()))?
        };
        if fixture.name.is_empty() {
            fixture.name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        Ok(fixture)
    }
}

/// The result of one fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The fixture's name.
    pub name: String,
    /// `None` when it passed, else what differed.
    pub failure: Option<String>,
}

/// A tariff plugin loaded for testing.
pub struct TestKit {
    registry: PluginRegistry,
    id: String,
    default_config: serde_json::Value,
    _dir: tempfile::TempDir,
}

impl TestKit {
    /// Loads a component, with its manifest if there is one (else a
    /// minimal tariff manifest with no config schema).
    pub fn load(component: &Path, manifest: Option<&Path>) -> Result<Self, TestKitError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TestKitError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let bytes = read(component)?;
        let manifest_text = match manifest {
            Some(path) => String::from_utf8_lossy(&read(path)?).into_owned(),
            None => "id = \"plugin-under-test\"\nversion = \"0.0.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n".to_owned(),
        };
        let package = PluginPackage::from_parts(&manifest_text, bytes)
            .map_err(|e| TestKitError::Install(e.to_string()))?;
        Self::from_package(package)
    }

    /// Loads a package already in memory.
    pub fn from_package(package: PluginPackage) -> Result<Self, TestKitError> {
        let dir = tempfile::tempdir().map_err(|source| TestKitError::Io {
            path: "temporary directory".into(),
            source,
        })?;
        let runtime = PluginRuntime::new(HostConfig {
            max_instances: 8,
            // A fixture run should report every failure, never stop the plugin.
            breaker_threshold: u32::MAX,
            ..HostConfig::default()
        })
        .map_err(|e| TestKitError::Install(e.to_string()))?;
        let registry = PluginRegistry::open(runtime, dir.path())
            .map_err(|e| TestKitError::Install(e.to_string()))?;
        let id = package.manifest().id.clone();
        let default_config = package.manifest().default_config();
        registry
            .install(package, &Capabilities::default())
            .map_err(|e| TestKitError::Install(e.to_string()))?;
        Ok(Self {
            registry,
            id,
            default_config,
            _dir: dir,
        })
    }

    /// Runs one fixture.
    pub fn run(&self, fixture: &Fixture) -> Outcome {
        let failure = self.check(fixture).err();
        Outcome {
            name: fixture.name.clone(),
            failure,
        }
    }

    /// Runs every `.toml` and `.json` file in `dir`, in name order.
    pub fn run_dir(&self, dir: &Path) -> Result<Vec<Outcome>, TestKitError> {
        let io = |source| TestKitError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| Fixture::from_file(p).map(|f| self.run(&f)))
            .collect()
    }

    fn check(&self, fixture: &Fixture) -> Result<(), String> {
        let config = fixture
            .config
            .clone()
            .unwrap_or_else(|| self.default_config.clone());
        self.registry
            .configure(&self.id, config)
            .map_err(|e| e.to_string())?;
        let answer = match fixture.now_ms {
            Some(now) => self.registry.estimate(&self.id, &fixture.session, now),
            None => self.registry.price(&self.id, &fixture.session),
        }
        .map_err(|e| e.to_string())?;
        let expect = &fixture.expect;
        let price = match (answer, expect.error) {
            (Ok(priced), None) => priced.price,
            (Ok(priced), Some(code)) => {
                return Err(format!(
                    "expected error {code}, got a price of {}",
                    priced.price.total()
                ));
            }
            (Err(e), None) => return Err(format!("expected a price, the plugin answered: {e}")),
            (Err(e), Some(code)) => {
                if e.code != code {
                    return Err(format!("expected error {code}, got {e}"));
                }
                if let Some(text) = &expect.message_contains
                    && !e.message.contains(text.as_str())
                {
                    return Err(format!("error message {:?} lacks {text:?}", e.message));
                }
                return Ok(());
            }
        };
        let mut problems = Vec::new();
        if let Some(total) = expect.total_minor
            && total != price.total_minor
        {
            problems.push(format!(
                "total: expected {total}, got {}",
                price.total_minor
            ));
        }
        if let Some(currency) = expect.currency
            && currency != price.currency
        {
            problems.push(format!(
                "currency: expected {currency}, got {}",
                price.currency
            ));
        }
        if let Some(lines) = &expect.lines {
            if lines.len() != price.lines.len() {
                problems.push(format!(
                    "expected {} lines, got {}: {:?}",
                    lines.len(),
                    price.lines.len(),
                    price.lines
                ));
            }
            for (i, (want, got)) in lines.iter().zip(&price.lines).enumerate() {
                let quantity_ok = want.quantity_milli.is_none_or(|q| q == got.quantity_milli);
                let description_ok = want
                    .description
                    .as_ref()
                    .is_none_or(|d| *d == got.description);
                if want.kind != got.kind
                    || want.amount_minor != got.amount_minor
                    || !quantity_ok
                    || !description_ok
                {
                    problems.push(format!("line {i}: expected {want:?}, got {got:?}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}
