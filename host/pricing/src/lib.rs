//! `pricing`: tariffs on transactions. The one place where Gridlet's domain
//! meets the plugin host: it turns a stored transaction and its meter
//! readings into the [`SessionFacts`](plugin_host::SessionFacts) a tariff
//! plugin sees, runs the plugin through the
//! [`PluginRegistry`](plugin_host::PluginRegistry), and turns the answer —
//! or any failure — back into the domain's
//! [`Pricing`](domain::Pricing).
//!
//! - [`facts`]: [`session_facts`], deterministic: the same stored
//!   transaction and readings always give the same facts, which is what
//!   lets a price be reproduced exactly later.
//! - [`pricer`]: [`RegistryPricer`], the domain's [`Pricer`](domain::Pricer)
//!   on the registry; every failure (trap, limit, invalid output, the
//!   plugin's own refusal, a disabled, stopped or missing plugin, a currency
//!   mismatch) becomes `Pricing::Unpriced` with the reason.
//! - [`setup`]: [`open_plugins`], the registry in `<data-dir>/plugins` with
//!   its compile cache, and the default plugins installed once.
//! - [`reprice`](mod@reprice): [`reprice()`] and [`price_stored`], for operators.
//!
//! Nothing else in Gridlet names `gridlet_sdk`'s or `plugin_host`'s types
//! together with the domain's: the session only knows the `Pricer` trait.

pub mod facts;
pub mod pricer;
pub mod reprice;
pub mod setup;

pub use facts::session_facts;
pub use pricer::RegistryPricer;
pub use reprice::{RepriceError, price_stored, reprice};
pub use setup::{
    COMPILE_CACHE_DIR, DEFAULTS_MARKER, PLUGINS_DIR, Plugins, SetupError, install_default_plugins,
    open_plugins, open_plugins_with,
};
