//! `gridlet-sdk`: write Gridlet plugins in idiomatic Rust.
//!
//! A Gridlet plugin is a WebAssembly component built for `wasm32-wasip2`
//! that implements one of the WIT worlds in the repository's `wit/`
//! directory. This crate hides the WIT bindings: implement a trait, call one
//! registration macro, and you have a plugin.
//!
//! | module | what is in it |
//! |---|---|
//! | [`money`] | [`Money`], [`Currency`], [`Rate`], [`Rounding`]: integer minor units, explicit rounding |
//! | [`session`] | [`SessionFacts`] and [`MeterSample`]: what the host knows about a session |
//! | [`tariff`] | the [`Tariff`] trait, [`Price`], [`LineItem`], [`PriceBuilder`] |
//! | [`error`] | [`PluginError`], the error a plugin returns |
//! | [`log`] | logging into the host's log |
//!
//! ```text
//! use gridlet_sdk::prelude::*;
//!
//! struct MyTariff { /* built from the config */ }
//! impl Tariff for MyTariff { /* new, price */ }
//! gridlet_sdk::register_tariff!(MyTariff);
//! ```
//!
//! The crate also serves the host: with `default-features = false` it is
//! just the plain, serde-friendly types, which `plugin-host` uses in its API
//! so that a plugin author, the server and the test kit's fixtures all speak
//! about the same [`SessionFacts`] and [`Price`]. The `guest` feature (on by
//! default) adds the registration macros and their `wit-bindgen` glue.
//!
//! See `README.md` next to this crate for a walk from zero to an installed
//! tariff, and `gridlet-test-kit` for testing a built `.wasm` offline.

pub mod error;
pub mod log;
pub mod money;
pub mod session;
pub mod tariff;

#[cfg(feature = "guest")]
#[doc(hidden)]
pub mod __private;

pub use error::{ErrorCode, PluginError};
pub use money::{Currency, Money, MoneyError, Rate, Rounding};
pub use session::{Measurand, MeterSample, SessionFacts, TimestampMs};
pub use tariff::{LineItem, LineKind, Price, PriceBuilder, PriceError, Tariff};

/// Everything a tariff author usually needs, in one `use`.
pub mod prelude {
    pub use crate::error::{ErrorCode, PluginError};
    pub use crate::money::{Currency, Money, Rate, Rounding};
    pub use crate::session::{Measurand, MeterSample, SessionFacts, TimestampMs};
    pub use crate::tariff::{LineItem, LineKind, Price, PriceBuilder, Tariff};
}
