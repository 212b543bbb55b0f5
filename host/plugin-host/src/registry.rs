//! The plugin registry: the installed plugins of one operator, their
//! lifecycle at run time, and the calls the server makes into them.
//!
//! Lifecycle operations (install, upgrade, roll back, configure, enable,
//! disable, uninstall) take `&self`: the registry uses interior mutability
//! and can be shared in an `Arc` by the whole server. A call clones the
//! `Arc` of the active version under a short read lock and runs on it, so a
//! call in flight during an upgrade finishes on the version it began with.
//! Compiling happens outside the lock, so installs never stall calls.
//!
//! State is persisted in the data directory (see `storage`) before the
//! in-memory switch, so a restart comes back with the same plugins,
//! versions, configurations and enabled flags. A refused call leaves no
//! file behind: the compile cache entry it wrote is removed again
//! (`NewCacheEntry`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::error::{CallError, LoadError, PluginError};
use crate::manifest::{Capabilities, Manifest, PluginKind};
use crate::package::{ContentHash, PackageError, PluginPackage};
use crate::runtime::{CallLimits, PluginRuntime};
use crate::storage::{PluginState, Storage};
use crate::tariff::{PricedBy, PricedSession, TariffPlugin};
use gridlet_sdk::{SessionFacts, TimestampMs};

/// Why a lifecycle operation failed. Nothing changed when it fails.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No plugin with that id is installed.
    #[error("no plugin {0:?} is installed")]
    NotFound(String),
    /// The package is invalid.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The component could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The manifest asks for capabilities the operator did not grant.
    #[error("plugin {id:?} asks for {missing:?}, which the operator did not grant")]
    NotGranted {
        /// The plugin.
        id: String,
        /// What is missing.
        missing: Vec<String>,
    },
    /// An upgrade changes the plugin's kind.
    #[error("plugin {id:?} is a {installed} plugin; the package is a {package} plugin")]
    KindMismatch {
        /// The plugin.
        id: String,
        /// The installed kind.
        installed: PluginKind,
        /// The package's kind.
        package: PluginKind,
    },
    /// The same version is already installed with different content.
    #[error(
        "plugin {id:?} version {version} is already installed with different content; bump the version"
    )]
    VersionConflict {
        /// The plugin.
        id: String,
        /// The version.
        version: semver::Version,
    },
    /// The configuration was rejected by the schema or the plugin.
    #[error("configuration rejected for plugin {id:?}: {reason}")]
    ConfigRejected {
        /// The plugin.
        id: String,
        /// Why.
        reason: String,
    },
    /// Rollback was asked for but there is no earlier version.
    #[error("plugin {0:?} has no earlier version to roll back to")]
    NothingToRollBack(String),
    /// The data directory could not be read or written.
    #[error("plugin storage failed at {path}: {source}")]
    Storage {
        /// Where.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Why a call through the registry failed on the host's side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginCallError {
    /// No plugin with that id is installed.
    #[error("no plugin {0:?} is installed")]
    NotFound(String),
    /// The plugin is not of the kind the call needs.
    #[error("plugin {id:?} is a {kind} plugin")]
    WrongKind {
        /// The plugin.
        id: String,
        /// Its kind.
        kind: PluginKind,
    },
    /// The operator disabled the plugin.
    #[error("plugin {0:?} is disabled")]
    Disabled(String),
    /// The plugin has no valid configuration yet.
    #[error("plugin {id:?} needs configuration: {reason}")]
    NeedsConfig {
        /// The plugin.
        id: String,
        /// Why its configuration is not usable.
        reason: String,
    },
    /// The circuit breaker stopped the plugin after repeated failures.
    #[error("plugin {id:?} was stopped: {reason}")]
    Stopped {
        /// The plugin.
        id: String,
        /// Why, including the last failure.
        reason: String,
    },
    /// The call itself failed.
    #[error("plugin {plugin} failed: {error}")]
    Call {
        /// The plugin version that failed (boxed: keeps the error small).
        plugin: Box<PricedBy>,
        /// What happened.
        error: CallError,
    },
}

/// Whether a plugin takes calls, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum PluginStatus {
    /// Takes calls.
    Enabled,
    /// Turned off by the operator.
    Disabled,
    /// Installed, but its configuration is missing or invalid.
    NeedsConfig {
        /// Why.
        reason: String,
    },
    /// Stopped by the circuit breaker; `enable` starts it again.
    Stopped {
        /// The failures that stopped it.
        reason: String,
    },
}

/// What the registry reports about an installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// The plugin's id.
    pub id: String,
    /// Its human-readable name.
    pub name: String,
    /// Its kind.
    pub kind: PluginKind,
    /// The active version.
    pub version: semver::Version,
    /// The active version's content hash.
    pub hash: ContentHash,
    /// The WIT version the active version implements.
    pub wit: semver::Version,
    /// Earlier versions, oldest first (rollback goes to the last).
    pub history: Vec<semver::Version>,
    /// Whether it takes calls.
    pub status: PluginStatus,
    /// The current configuration.
    pub config: serde_json::Value,
    /// What the operator granted.
    pub granted: Capabilities,
    /// Per-call memory limit, in bytes.
    pub memory_limit_bytes: usize,
    /// Per-call deadline, in milliseconds.
    pub timeout_ms: u64,
    /// Per-call fuel.
    pub fuel: u64,
}

/// One loaded version of a plugin.
struct Loaded {
    manifest: Manifest,
    hash: ContentHash,
    tariff: TariffPlugin,
}

/// Counts consecutive failures of one plugin.
#[derive(Default)]
struct Breaker {
    consecutive: AtomicU32,
}

struct Slot {
    active: Arc<Loaded>,
    state: PluginState,
    /// The configuration as JSON text, shared with calls in flight.
    config_json: Arc<str>,
    /// Why the configuration is unusable, if it is.
    config_problem: Option<String>,
    breaker: Arc<Breaker>,
}

impl Slot {
    fn status(&self) -> PluginStatus {
        if let Some(reason) = &self.state.stopped {
            PluginStatus::Stopped {
                reason: reason.clone(),
            }
        } else if let Some(reason) = &self.config_problem {
            PluginStatus::NeedsConfig {
                reason: reason.clone(),
            }
        } else if self.state.enabled {
            PluginStatus::Enabled
        } else {
            PluginStatus::Disabled
        }
    }

    fn info(&self) -> PluginInfo {
        let m = &self.active.manifest;
        let limits: CallLimits = self.active.tariff.limits();
        PluginInfo {
            id: m.id.clone(),
            name: m.name.clone(),
            kind: m.kind,
            version: m.version.clone(),
            hash: self.active.hash,
            wit: m.wit.clone(),
            history: self.state.history.clone(),
            status: self.status(),
            config: self.state.config.clone(),
            granted: self.state.granted.clone(),
            memory_limit_bytes: limits.memory_bytes,
            timeout_ms: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            fuel: limits.fuel,
        }
    }
}

/// The installed plugins of one operator. See the module docs.
pub struct PluginRegistry {
    runtime: PluginRuntime,
    storage: Storage,
    slots: RwLock<BTreeMap<String, Slot>>,
    /// Serialises lifecycle operations (never held by calls).
    lifecycle: Mutex<()>,
    /// Plugins found on disk at start that could not be loaded.
    load_failures: Vec<(String, String)>,
}

impl std::fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("data_dir", &self.storage.root())
            .finish_non_exhaustive()
    }
}

fn storage_error(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError + '_ {
    move |source| RegistryError::Storage {
        path: path.display().to_string(),
        source,
    }
}

impl PluginRegistry {
    /// Opens the registry kept in `data_dir`, loading every installed
    /// plugin's active version. A plugin that cannot be loaded is left out
    /// and reported by [`PluginRegistry::load_failures`]; its files stay.
    pub fn open(runtime: PluginRuntime, data_dir: &Path) -> Result<Self, RegistryError> {
        let storage = Storage::open(data_dir).map_err(storage_error(data_dir))?;
        let mut slots = BTreeMap::new();
        let mut load_failures = Vec::new();
        for id in storage.plugin_ids().map_err(storage_error(data_dir))? {
            let loaded = storage
                .read_state(&id)
                .map_err(|e| e.to_string())
                .and_then(|state| {
                    let package = storage
                        .read_package(&id, &state.active)
                        .map_err(|e| e.to_string())?;
                    let loaded = load(&runtime, package).map_err(|e| e.to_string())?;
                    Ok((state, loaded))
                });
            match loaded {
                Ok((state, loaded)) => {
                    let slot = make_slot(loaded, state, None);
                    slots.insert(id, slot);
                }
                Err(reason) => {
                    tracing::error!(plugin = %id, "cannot load installed plugin: {reason}");
                    load_failures.push((id, reason));
                }
            }
        }
        // Configurations were validated when they were set; check them
        // again against the loaded code, which may have changed format.
        let registry = Self {
            runtime,
            storage,
            slots: RwLock::new(slots),
            lifecycle: Mutex::new(()),
            load_failures,
        };
        let ids: Vec<String> = registry.read_slots().keys().cloned().collect();
        for id in ids {
            let problem = {
                let slots = registry.read_slots();
                slots
                    .get(&id)
                    .and_then(|slot| validate_config(&slot.active, &slot.state.config).err())
            };
            if let Some(slot) = registry.write_slots().get_mut(&id) {
                slot.config_problem = problem;
            }
        }
        Ok(registry)
    }

    /// The runtime plugins run on.
    pub fn runtime(&self) -> &PluginRuntime {
        &self.runtime
    }

    /// Plugins found at start that could not be loaded: `(id, reason)`.
    pub fn load_failures(&self) -> &[(String, String)] {
        &self.load_failures
    }

    /// Every installed plugin, by id.
    pub fn list(&self) -> Vec<PluginInfo> {
        self.read_slots().values().map(Slot::info).collect()
    }

    /// One installed plugin.
    pub fn info(&self, id: &str) -> Option<PluginInfo> {
        self.read_slots().get(id).map(Slot::info)
    }

    /// Installs a package, or upgrades (or downgrades) an installed plugin
    /// to the package's version.
    ///
    /// `granted` is what the operator approves; it must cover the manifest's
    /// capabilities. A new plugin starts enabled if its default
    /// configuration is valid, else in [`PluginStatus::NeedsConfig`]. An
    /// upgrade keeps the current configuration and enabled flag, and is
    /// refused if the new version rejects that configuration. Installing the
    /// active version again with the same content changes nothing.
    pub fn install(
        &self,
        package: PluginPackage,
        granted: &Capabilities,
    ) -> Result<PluginInfo, RegistryError> {
        let _lifecycle = self.lock_lifecycle();
        let manifest = package.manifest().clone();
        let id = manifest.id.clone();
        let missing = manifest.capabilities.not_covered_by(granted);
        if !missing.is_empty() {
            return Err(RegistryError::NotGranted { id, missing });
        }
        let existing = self.read_slots().get(&id).map(|slot| {
            (
                slot.state.clone(),
                slot.active.manifest.kind,
                slot.active.hash,
            )
        });
        if let Some((state, kind, hash)) = &existing {
            if *kind != manifest.kind {
                return Err(RegistryError::KindMismatch {
                    id,
                    installed: *kind,
                    package: manifest.kind,
                });
            }
            if state.active == manifest.version {
                if *hash == package.hash() {
                    return self.info(&id).ok_or(RegistryError::NotFound(id));
                }
                return Err(RegistryError::VersionConflict {
                    id,
                    version: manifest.version,
                });
            }
            if self.storage.has_package(&id, &manifest.version) {
                let stored = self.storage.read_package(&id, &manifest.version)?;
                if stored.hash() != package.hash() {
                    return Err(RegistryError::VersionConflict {
                        id,
                        version: manifest.version,
                    });
                }
            }
        }

        let cache_entry = NewCacheEntry::before_loading(&self.runtime, &package);
        let loaded = load(&self.runtime, package.clone())?;
        let (state, problem) = match existing {
            Some((old, _, _)) => {
                if let Err(reason) = validate_config(&loaded, &old.config) {
                    return Err(RegistryError::ConfigRejected { id, reason });
                }
                let mut state = old.clone();
                state.history.retain(|v| *v != manifest.version);
                state.history.push(old.active.clone());
                state.active = manifest.version.clone();
                state.granted = granted.clone();
                state.stopped = None;
                (state, None)
            }
            None => {
                let config = manifest.default_config();
                let problem = validate_config(&loaded, &config).err();
                let mut state = PluginState::new(manifest.version.clone(), config, granted.clone());
                state.enabled = problem.is_none();
                (state, problem)
            }
        };
        self.storage
            .write_package(&package)
            .map_err(storage_error(self.storage.root()))?;
        self.storage
            .write_state(&id, &state)
            .map_err(storage_error(self.storage.root()))?;
        cache_entry.keep();
        let slot = make_slot(loaded, state, problem);
        let info = slot.info();
        self.write_slots().insert(id.clone(), slot);
        tracing::info!(plugin = %id, version = %info.version, hash = %info.hash, "plugin installed");
        Ok(info)
    }

    /// Goes back to the version that was active before the last upgrade.
    pub fn rollback(&self, id: &str) -> Result<PluginInfo, RegistryError> {
        let _lifecycle = self.lock_lifecycle();
        let mut state = self.state_of(id)?;
        let Some(previous) = state.history.pop() else {
            return Err(RegistryError::NothingToRollBack(id.to_owned()));
        };
        let package = self.storage.read_package(id, &previous)?;
        let cache_entry = NewCacheEntry::before_loading(&self.runtime, &package);
        let loaded = load(&self.runtime, package)?;
        if let Err(reason) = validate_config(&loaded, &state.config) {
            return Err(RegistryError::ConfigRejected {
                id: id.to_owned(),
                reason,
            });
        }
        state.active = previous;
        state.stopped = None;
        let info = self.commit(id, loaded, state, None)?;
        cache_entry.keep();
        Ok(info)
    }

    /// Sets the configuration, after checking it against the manifest's
    /// schema and the plugin's own `validate-config`.
    pub fn configure(
        &self,
        id: &str,
        config: serde_json::Value,
    ) -> Result<PluginInfo, RegistryError> {
        let _lifecycle = self.lock_lifecycle();
        let active = self.active_of(id)?;
        if let Err(reason) = validate_config(&active, &config) {
            return Err(RegistryError::ConfigRejected {
                id: id.to_owned(),
                reason,
            });
        }
        let mut state = self.state_of(id)?;
        let was_unconfigured = self
            .read_slots()
            .get(id)
            .is_some_and(|s| s.config_problem.is_some());
        state.config = config;
        if was_unconfigured {
            state.enabled = true;
        }
        self.commit(id, active, state, None)
    }

    /// Enables a plugin; also restarts one the circuit breaker stopped.
    pub fn enable(&self, id: &str) -> Result<PluginInfo, RegistryError> {
        let _lifecycle = self.lock_lifecycle();
        let active = self.active_of(id)?;
        let mut state = self.state_of(id)?;
        state.enabled = true;
        state.stopped = None;
        let problem = self
            .read_slots()
            .get(id)
            .and_then(|s| s.config_problem.clone());
        self.commit(id, active, state, problem)
    }

    /// Disables a plugin: calls fail with [`PluginCallError::Disabled`].
    pub fn disable(&self, id: &str) -> Result<PluginInfo, RegistryError> {
        let _lifecycle = self.lock_lifecycle();
        let active = self.active_of(id)?;
        let mut state = self.state_of(id)?;
        state.enabled = false;
        let problem = self
            .read_slots()
            .get(id)
            .and_then(|s| s.config_problem.clone());
        self.commit(id, active, state, problem)
    }

    /// Removes a plugin and its stored versions.
    pub fn uninstall(&self, id: &str) -> Result<(), RegistryError> {
        let _lifecycle = self.lock_lifecycle();
        if self.write_slots().remove(id).is_none() {
            return Err(RegistryError::NotFound(id.to_owned()));
        }
        self.storage
            .remove_plugin(id)
            .map_err(storage_error(self.storage.root()))
    }

    /// Prices a finished session with tariff plugin `id`.
    ///
    /// `Ok(Ok(priced))`: a checked price tagged with the plugin id, version
    /// and content hash that produced it. `Ok(Err(e))`: the plugin declined
    /// (e.g. the session lacks a stop reading). `Err(e)`: the host could not
    /// get a usable answer; repeated failures stop the plugin.
    pub fn price(
        &self,
        id: &str,
        facts: &SessionFacts,
    ) -> Result<Result<PricedSession, PluginError>, PluginCallError> {
        self.call_tariff(id, |tariff, config| tariff.price(config, facts))
    }

    /// Estimates a running session's cost up to `now_ms`, like [`Self::price`].
    pub fn estimate(
        &self,
        id: &str,
        facts: &SessionFacts,
        now_ms: TimestampMs,
    ) -> Result<Result<PricedSession, PluginError>, PluginCallError> {
        self.call_tariff(id, |tariff, config| tariff.estimate(config, facts, now_ms))
    }

    fn call_tariff(
        &self,
        id: &str,
        call: impl FnOnce(
            &TariffPlugin,
            Arc<str>,
        ) -> Result<Result<PricedSession, PluginError>, CallError>,
    ) -> Result<Result<PricedSession, PluginError>, PluginCallError> {
        // Take what the call needs and let go of the lock at once: an
        // upgrade during the call swaps the slot, and this call finishes on
        // the version it holds.
        let (active, config, breaker) = {
            let slots = self.read_slots();
            let slot = slots
                .get(id)
                .ok_or_else(|| PluginCallError::NotFound(id.to_owned()))?;
            if slot.active.manifest.kind != PluginKind::Tariff {
                return Err(PluginCallError::WrongKind {
                    id: id.to_owned(),
                    kind: slot.active.manifest.kind,
                });
            }
            match slot.status() {
                PluginStatus::Enabled => {}
                PluginStatus::Disabled => return Err(PluginCallError::Disabled(id.to_owned())),
                PluginStatus::NeedsConfig { reason } => {
                    return Err(PluginCallError::NeedsConfig {
                        id: id.to_owned(),
                        reason,
                    });
                }
                PluginStatus::Stopped { reason } => {
                    return Err(PluginCallError::Stopped {
                        id: id.to_owned(),
                        reason,
                    });
                }
            }
            (
                slot.active.clone(),
                slot.config_json.clone(),
                slot.breaker.clone(),
            )
        };
        match call(&active.tariff, config) {
            Ok(answer) => {
                breaker.consecutive.store(0, Ordering::Relaxed);
                Ok(answer)
            }
            Err(error) => {
                if error.counts_against_plugin() {
                    let failures = breaker.consecutive.fetch_add(1, Ordering::Relaxed) + 1;
                    tracing::warn!(plugin = %active.tariff.priced_by(), failures, "plugin call failed: {error}");
                    if failures >= self.runtime.config().breaker_threshold {
                        self.trip(id, &active, failures, &error);
                    }
                }
                Err(PluginCallError::Call {
                    plugin: Box::new(active.tariff.priced_by().clone()),
                    error,
                })
            }
        }
    }

    /// Stops a plugin that keeps failing, persistently, with the reason.
    fn trip(&self, id: &str, failed: &Arc<Loaded>, failures: u32, last: &CallError) {
        let reason = format!("{failures} consecutive failed calls; last: {last}");
        let mut slots = self.write_slots();
        let Some(slot) = slots.get_mut(id) else {
            return;
        };
        // Only if the failing version is still the active one.
        if !Arc::ptr_eq(&slot.active, failed) || slot.state.stopped.is_some() {
            return;
        }
        tracing::error!(plugin = %failed.tariff.priced_by(), "plugin stopped: {reason}");
        slot.state.stopped = Some(reason);
        if let Err(e) = self.storage.write_state(id, &slot.state) {
            tracing::error!(plugin = %id, "cannot persist the plugin's stop: {e}");
        }
    }

    fn commit(
        &self,
        id: &str,
        active: Arc<Loaded>,
        state: PluginState,
        problem: Option<String>,
    ) -> Result<PluginInfo, RegistryError> {
        self.storage
            .write_state(id, &state)
            .map_err(storage_error(self.storage.root()))?;
        let mut slots = self.write_slots();
        let slot = make_slot(active, state, problem);
        let info = slot.info();
        slots.insert(id.to_owned(), slot);
        Ok(info)
    }

    fn state_of(&self, id: &str) -> Result<PluginState, RegistryError> {
        self.read_slots()
            .get(id)
            .map(|s| s.state.clone())
            .ok_or_else(|| RegistryError::NotFound(id.to_owned()))
    }

    fn active_of(&self, id: &str) -> Result<Arc<Loaded>, RegistryError> {
        self.read_slots()
            .get(id)
            .map(|s| s.active.clone())
            .ok_or_else(|| RegistryError::NotFound(id.to_owned()))
    }

    fn read_slots(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Slot>> {
        // A panic while holding the lock cannot leave a slot half-written
        // (slots are replaced whole), so a poisoned lock is still usable.
        self.slots.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_slots(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Slot>> {
        self.slots.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_lifecycle(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lifecycle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The compile cache entry a lifecycle call is about to create by loading
/// a package. Unless the call succeeds and [`NewCacheEntry::keep`]s it, it is
/// removed when this is dropped, so a refused install, upgrade or rollback
/// leaves no compiled code behind. An entry that existed before the call
/// (used by an installed plugin with the same component) is never touched.
struct NewCacheEntry {
    /// The entry to remove; `None` when there is no cache, the entry
    /// existed already, or the call succeeded.
    path: Option<PathBuf>,
}

impl NewCacheEntry {
    fn before_loading(runtime: &PluginRuntime, package: &PluginPackage) -> Self {
        NewCacheEntry {
            path: runtime.cache_entry(package).filter(|path| !path.exists()),
        }
    }

    /// The call succeeded: the entry serves the plugin it loaded.
    fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for NewCacheEntry {
    fn drop(&mut self) {
        let Some(path) = self.path.take() else { return };
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::debug!(path = %path.display(), "removed the compiled code of a refused plugin"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), "cannot remove the compiled code of a refused plugin: {e}"),
        }
    }
}

fn make_slot(
    active: impl Into<Arc<Loaded>>,
    state: PluginState,
    config_problem: Option<String>,
) -> Slot {
    let config_json: Arc<str> = state.config.to_string().into();
    Slot {
        active: active.into(),
        state,
        config_json,
        config_problem,
        breaker: Arc::new(Breaker::default()),
    }
}

fn load(runtime: &PluginRuntime, package: PluginPackage) -> Result<Arc<Loaded>, LoadError> {
    let tariff = runtime.load_tariff(&package)?;
    Ok(Arc::new(Loaded {
        manifest: package.manifest().clone(),
        hash: package.hash(),
        tariff,
    }))
}

/// Checks a configuration against the manifest's schema, then asks the
/// plugin. The error is a sentence for the operator.
fn validate_config(loaded: &Loaded, config: &serde_json::Value) -> Result<(), String> {
    if !config.is_object() {
        return Err("the configuration must be an object".into());
    }
    if let Some(schema) = loaded.manifest.config_schema() {
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("invalid config schema: {e}"))?;
        let problems: Vec<String> = validator
            .iter_errors(config)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("{at}: {e}")
                }
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
    }
    match loaded.tariff.validate_config(&config.to_string()) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.message),
        Err(e) => Err(format!("the plugin failed while checking it: {e}")),
    }
}
