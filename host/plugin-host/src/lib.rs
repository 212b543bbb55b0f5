//! `plugin-host`: runs Gridlet's WebAssembly plugins. The only crate that
//! knows wasmtime; no generated binding type leaves it.
//!
//! # The pieces
//!
//! | type | what it is |
//! |---|---|
//! | [`PluginPackage`] | a manifest (`gridlet-plugin.toml`, see [`manifest`]) plus component bytes and their [`ContentHash`] |
//! | [`PluginRuntime`] | the engine (pooling allocator, fuel, epoch deadlines), pre-built linkers per served world, the on-disk compile cache; built from a [`HostConfig`] |
//! | [`TariffPlugin`] | one compiled, checked, pre-linked tariff version; calls with a fresh instance each, or [`TariffPlugin::instantiate`] for a kept [`TariffInstance`] |
//! | [`PluginRegistry`] | an operator's installed plugins: install, upgrade, roll back, configure, enable, disable, uninstall at run time; persisted in a directory; `price` / `estimate` calls with a circuit breaker |
//!
//! # Calling a tariff
//!
//! ```no_run
//! use plugin_host::{Capabilities, HostConfig, PluginPackage, PluginRegistry, PluginRuntime, SessionFacts};
//! # fn demo(facts: SessionFacts) -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = PluginRuntime::new(HostConfig {
//!     cache_dir: Some("data/plugin-cache".into()),
//!     ..HostConfig::default()
//! })?;
//! let registry = PluginRegistry::open(runtime, "data/plugins".as_ref())?;
//! let package = PluginPackage::from_dir("my-tariff/".as_ref())?;
//! registry.install(package, &Capabilities::default())?;
//! match registry.price("my-tariff", &facts) {
//!     Ok(Ok(priced)) => println!("{} by {}", priced.price.total(), priced.priced_by),
//!     Ok(Err(refusal)) => println!("the tariff declined: {refusal}"),
//!     Err(failure) => println!("no usable answer: {failure}"),
//! }
//! # Ok(()) }
//! ```
//!
//! Every call returns `Result<Result<T, PluginError>, _>` (the Zed
//! pattern): the outer error is the host's verdict — a trap, a limit, an
//! output that failed the checks, a disabled or stopped plugin — and the
//! inner one is the plugin's own answer ([`PluginError`]). Only outer
//! errors the plugin caused count towards its circuit breaker.
//!
//! The input and output types ([`SessionFacts`], [`Price`], [`LineItem`],
//! [`Money`]...) are `gridlet_sdk`'s plain serde types, re-exported here: the
//! same types a plugin author and the test kit's fixtures use. A price comes
//! back as a [`PricedSession`], tagged with the plugin id, version and
//! content hash that produced it ([`PricedBy`]).
//!
//! # Guarantees
//!
//! - A component is accepted only if it implements the world and WIT version
//!   its manifest names, and imports nothing but that world's imports and a
//!   granted-nothing stand-in for the WASI interfaces Rust's standard library
//!   needs (see `sandbox`): no filesystem, network, environment, clock or
//!   randomness.
//! - Every call runs under a memory ceiling, a native stack limit, a
//!   wall-clock deadline (epoch interruption) and fuel, and its input and
//!   output are size-capped. Every price is checked before it is returned:
//!   lines add up to the total, signs per line kind, currency as billed.
//! - Calls are synchronous and take microseconds; they may run on any thread
//!   (including inside a Tokio runtime) and in parallel.
//!
//! Served worlds: [`runtime::SERVED_WORLDS`] (today `tariff@0.1.0`). The WIT
//! for payment, load-management and report plugins is frozen in `wit/`;
//! their host side comes next, as new modules beside `tariff`.

pub mod error;
pub mod manifest;
pub mod package;
pub mod registry;
pub mod runtime;
pub mod tariff;

mod bindings;
mod sandbox;
mod storage;

pub use error::{CallError, ErrorCode, LoadError, PluginError, RuntimeError};
pub use gridlet_sdk::{
    Currency, LineItem, LineKind, Measurand, MeterSample, Money, Price, PriceError, SessionFacts,
    TimestampMs,
};
pub use manifest::{Capabilities, Manifest, PluginKind};
pub use package::{ContentHash, PackageError, PluginPackage};
pub use registry::{PluginCallError, PluginInfo, PluginRegistry, PluginStatus, RegistryError};
pub use runtime::{CallLimits, HostConfig, IoLimits, PluginRuntime};
pub use tariff::{PricedBy, PricedSession, TariffInstance, TariffPlugin};
