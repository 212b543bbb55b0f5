//! The plugin runtime: one wasmtime engine with the pooling allocator, fuel
//! and epoch interruption switched on, a thread that ticks the epoch, the
//! pre-built linkers (one per served world and version), and the on-disk
//! cache of compiled code.
//!
//! Compiling a component takes hundreds of milliseconds; loading its native
//! code from the cache takes about a millisecond; instantiating it from the
//! pre-linked [`InstancePre`](wasmtime::component::InstancePre) in a pooled
//! slot takes microseconds. So a package is compiled once per content hash
//! and engine configuration, ever, and every call gets a fresh instance.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::{LoadError, RuntimeError};
use crate::manifest::{Manifest, PluginKind};
use crate::package::{ContentHash, PluginPackage};
use crate::sandbox::{self, CallState};
use crate::tariff::TariffPlugin;

/// Limits applied to every call of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Linear memory ceiling, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline of one call.
    pub timeout: Duration,
    /// Fuel for one call. Deterministic: the same input burns the same fuel,
    /// so running out is reproducible, unlike a deadline.
    pub fuel: u64,
}

/// Caps on what goes into and comes out of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoLimits {
    /// Most meter samples passed in one session.
    pub max_samples: usize,
    /// Longest text field passed in or accepted back, in bytes.
    pub max_text_bytes: usize,
    /// Most line items accepted in a price.
    pub max_line_items: usize,
}

/// How the runtime is set up. [`HostConfig::default`] suits a server.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where compiled native code is cached, keyed by content hash. `None`
    /// compiles every load. The directory must be writable only by the
    /// operator: its files are loaded as native code.
    pub cache_dir: Option<PathBuf>,
    /// How many plugin instances may exist at once (pooling slots).
    pub max_instances: u32,
    /// Limits for plugins that ask for none.
    pub default_limits: CallLimits,
    /// The most any plugin may ask for.
    pub max_limits: CallLimits,
    /// Caps on call input and output.
    pub io: IoLimits,
    /// Native stack a call may use.
    pub max_wasm_stack: usize,
    /// How often the epoch advances; deadlines are this precise.
    pub epoch_tick: Duration,
    /// Consecutive failed calls after which a plugin is stopped.
    pub breaker_threshold: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_instances: 128,
            default_limits: CallLimits {
                memory_bytes: 32 << 20,
                timeout: Duration::from_millis(200),
                fuel: 200_000_000,
            },
            max_limits: CallLimits {
                memory_bytes: 128 << 20,
                timeout: Duration::from_secs(5),
                fuel: 5_000_000_000,
            },
            io: IoLimits {
                max_samples: 100_000,
                max_text_bytes: 512,
                max_line_items: 100,
            },
            max_wasm_stack: 512 << 10,
            epoch_tick: Duration::from_millis(5),
            breaker_threshold: 5,
        }
    }
}

impl HostConfig {
    /// The limits for a plugin: what its manifest asks for, else the
    /// defaults, never above the maxima.
    pub fn limits_for(&self, manifest: &Manifest) -> CallLimits {
        let d = self.default_limits;
        let m = self.max_limits;
        let asked = &manifest.limits;
        CallLimits {
            memory_bytes: asked
                .memory_mib
                .and_then(|mib| usize::try_from(mib.saturating_mul(1 << 20)).ok())
                .unwrap_or(d.memory_bytes)
                .min(m.memory_bytes),
            timeout: asked
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(d.timeout)
                .min(m.timeout),
            fuel: asked.fuel.unwrap_or(d.fuel).min(m.fuel),
        }
    }
}

pub(crate) struct RuntimeInner {
    pub(crate) engine: Engine,
    pub(crate) config: HostConfig,
    tariff_v0_1_0: Linker<CallState>,
    engine_fingerprint: String,
}

/// The engine and everything needed to load plugins. Cheap to clone.
#[derive(Clone)]
pub struct PluginRuntime {
    pub(crate) inner: Arc<RuntimeInner>,
}

impl std::fmt::Debug for PluginRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRuntime")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The (kind, WIT version) pairs this host serves.
pub const SERVED_WORLDS: &[(PluginKind, &str)] = &[(PluginKind::Tariff, "0.1.0")];

impl PluginRuntime {
    /// Starts a runtime: creates the engine and the epoch ticker thread
    /// (which stops by itself once the runtime is dropped).
    pub fn new(config: HostConfig) -> Result<Self, RuntimeError> {
        if let Some(dir) = &config.cache_dir {
            std::fs::create_dir_all(dir).map_err(|source| RuntimeError::CacheDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut pooling = PoolingAllocationConfig::default();
        let slots = config.max_instances.max(1);
        pooling
            .total_component_instances(slots)
            // A Rust component holds a few core instances (the program and
            // the adapter shims) but one memory.
            .total_core_instances(slots.saturating_mul(8))
            .total_memories(slots.saturating_mul(2))
            .total_tables(slots.saturating_mul(4))
            .max_memory_size(config.max_limits.memory_bytes);
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            .parallel_compilation(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        let engine = Engine::new(&wasm).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;

        let mut tariff_v0_1_0 = Linker::new(&engine);
        sandbox::add_wasi_stubs(&mut tariff_v0_1_0)
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        crate::bindings::tariff_v0_1_0::TariffPlugin::add_to_linker::<
            CallState,
            wasmtime::component::HasSelf<CallState>,
        >(&mut tariff_v0_1_0, |state| state)
        .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;

        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_fingerprint = format!("{:016x}", hasher.finish());

        spawn_epoch_ticker(&engine, config.epoch_tick)
            .map_err(|e| RuntimeError::Engine(format!("cannot start the epoch thread: {e}")))?;
        Ok(Self {
            inner: Arc::new(RuntimeInner {
                engine,
                config,
                tariff_v0_1_0,
                engine_fingerprint,
            }),
        })
    }

    /// The configuration the runtime runs with.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// Compiles (or loads from the cache), checks and pre-links a tariff
    /// package. Fails unless the component implements exactly the world and
    /// version its manifest names and imports nothing tariffs may not have.
    pub fn load_tariff(&self, package: &PluginPackage) -> Result<TariffPlugin, LoadError> {
        let manifest = package.manifest();
        if manifest.kind != PluginKind::Tariff || !is_served(manifest.kind, &manifest.wit) {
            return Err(unsupported(manifest));
        }
        let component = self.compile(package)?;
        check_imports(&self.inner.engine, &component, manifest.kind)?;
        let pre = self
            .inner
            .tariff_v0_1_0
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        TariffPlugin::new(self.clone(), package, pre)
    }

    /// Compiles a package's component, going through the cache if one is
    /// configured.
    fn compile(&self, package: &PluginPackage) -> Result<Component, LoadError> {
        let engine = &self.inner.engine;
        let Some(dir) = &self.inner.config.cache_dir else {
            return Component::new(engine, package.component())
                .map_err(|e| LoadError::Compile(format!("{e:#}")));
        };
        let path = self.cache_path(dir, package.hash());
        if path.is_file() {
            match load_cached(engine, &path) {
                Ok(component) => return Ok(component),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable compile cache entry: {e:#}")
                }
            }
        }
        let component = Component::new(engine, package.component())
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        if let Err(e) = store_cached(&component, &path) {
            tracing::warn!(path = %path.display(), "cannot write compile cache entry: {e}");
        }
        Ok(component)
    }

    /// Where the compile cache keeps `package`'s native code; `None`
    /// without a cache.
    pub(crate) fn cache_entry(&self, package: &PluginPackage) -> Option<PathBuf> {
        let dir = self.inner.config.cache_dir.as_ref()?;
        Some(self.cache_path(dir, package.hash()))
    }

    fn cache_path(&self, dir: &Path, hash: ContentHash) -> PathBuf {
        dir.join(format!(
            "{}-{}.cwasm",
            hash.hex(),
            self.inner.engine_fingerprint
        ))
    }
}

fn is_served(kind: PluginKind, wit: &semver::Version) -> bool {
    SERVED_WORLDS
        .iter()
        .any(|(k, v)| *k == kind && semver::Version::parse(v).is_ok_and(|v| &v == wit))
}

fn unsupported(manifest: &Manifest) -> LoadError {
    LoadError::UnsupportedWorld {
        kind: manifest.kind,
        wit: manifest.wit.to_string(),
        served: SERVED_WORLDS
            .iter()
            .map(|(k, v)| format!("{k}@{v}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Refuses imports outside the stubbed WASI set and the kind's own world,
/// with a message that names the import (the linker's would be vaguer).
fn check_imports(
    engine: &wasmtime::Engine,
    component: &Component,
    kind: PluginKind,
) -> Result<(), LoadError> {
    let allowed_own: &[&str] = match kind {
        PluginKind::Tariff => &[
            "gridlet:types/types",
            "gridlet:types/log",
            "gridlet:types/config",
        ],
        _ => &[],
    };
    for (name, _) in component.component_type().imports(engine) {
        let unversioned = name.split('@').next().unwrap_or(name);
        if !sandbox::STUBBED_WASI.contains(&unversioned) && !allowed_own.contains(&unversioned) {
            return Err(LoadError::ForbiddenImport {
                import: name.to_owned(),
                kind,
            });
        }
    }
    Ok(())
}

/// Loads native code the runtime itself wrote into its cache directory.
#[allow(unsafe_code)]
fn load_cached(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` runs the file as native code. The file is
    // one this runtime wrote with `Component::serialize` into the cache
    // directory the operator gave it (documented as operator-writable only),
    // named by the component's SHA-256 and the engine's compatibility hash;
    // wasmtime also checks the header's version and configuration.
    unsafe { Component::deserialize_file(engine, path) }
}

fn store_cached(component: &Component, path: &Path) -> std::io::Result<()> {
    let bytes = component
        .serialize()
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    // Unique per process and write, so concurrent writers never share a file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Advances the engine's epoch every `tick` until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine, tick: Duration) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("gridlet-plugin-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .map(drop)
}
