//! The machinery behind the registration macros. Not a public API: the
//! macros expand to code that names these items, and nothing else should.
//!
//! Why a macro at all: `wit_bindgen::generate!` must run in the plugin's own
//! crate. Its output embeds a description of the world in a custom section,
//! and the component linker merges every such section it finds; generating
//! all four kinds' worlds inside this library would make every plugin claim
//! to export every kind. So `register_tariff!` expands the bindings for the
//! tariff world only (through `gridlet-sdk-macros`, which knows where the
//! frozen WIT lives) plus the glue between them and this crate's types.

pub use gridlet_sdk_macros::generate_bindings;
pub use serde_json;
pub use wit_bindgen;

use crate::error::PluginError;
use crate::tariff::Tariff;

/// Builds a tariff from the host's JSON configuration.
pub fn tariff_from_config<T: Tariff>(config_json: &str) -> Result<T, PluginError> {
    let config: T::Config = serde_json::from_str(config_json).map_err(|e| {
        PluginError::invalid_config(format!("config does not match the tariff: {e}"))
    })?;
    T::new(config)
}

/// Registers a type implementing [`Tariff`](crate::Tariff) as this
/// component's tariff (world `gridlet:tariff/tariff-plugin@0.1.0`).
///
/// Call it once, at the root of a `cdylib` crate built for `wasm32-wasip2`.
/// The tariff is built from the operator's configuration at the first call
/// in an instance and kept for that instance's life.
#[macro_export]
macro_rules! register_tariff {
    ($tariff:ty) => {
        #[doc(hidden)]
        #[cfg(target_arch = "wasm32")]
        type __GridletRegisteredTariff = $tariff;

        // Only the component gets the bindings: compiled natively (unit
        // tests, benchmarks) the crate is just its Rust logic, and the
        // component-model export names would not link into a native library.
        #[doc(hidden)]
        #[cfg(target_arch = "wasm32")]
        #[allow(missing_docs, unused, unsafe_code, clippy::all)]
        mod __gridlet_tariff_v0_1_0 {
            $crate::__private::generate_bindings!(tariff_v0_1_0);

            use self::exports::gridlet::tariff::tariff as wit_tariff;
            use self::gridlet::types::types as wit;
            use $crate::__private::serde_json;

            type Plugin = super::__GridletRegisteredTariff;

            thread_local! {
                static TARIFF: ::std::cell::OnceCell<Plugin> = const { ::std::cell::OnceCell::new() };
            }

            fn host_log(level: $crate::log::Level, message: &str) {
                use self::gridlet::types::log::{log, Level};
                let level = match level {
                    $crate::log::Level::Trace => Level::Trace,
                    $crate::log::Level::Debug => Level::Debug,
                    $crate::log::Level::Info => Level::Info,
                    $crate::log::Level::Warn => Level::Warn,
                    $crate::log::Level::Error => Level::Error,
                };
                log(level, message);
            }

            fn with_tariff<R>(
                f: impl FnOnce(&Plugin) -> Result<R, $crate::PluginError>,
            ) -> Result<R, $crate::PluginError> {
                $crate::log::set_host_log(host_log);
                TARIFF.with(|cell| {
                    if cell.get().is_none() {
                        let config = self::gridlet::types::config::get();
                        let tariff = $crate::__private::tariff_from_config::<Plugin>(&config)?;
                        let _ = cell.set(tariff);
                    }
                    match cell.get() {
                        Some(tariff) => f(tariff),
                        None => Err($crate::PluginError::internal("tariff not initialised")),
                    }
                })
            }

            fn error_to_wit(e: $crate::PluginError) -> wit::PluginError {
                wit::PluginError {
                    code: match e.code {
                        $crate::ErrorCode::InvalidInput => wit::ErrorCode::InvalidInput,
                        $crate::ErrorCode::InvalidConfig => wit::ErrorCode::InvalidConfig,
                        $crate::ErrorCode::Unsupported => wit::ErrorCode::Unsupported,
                        $crate::ErrorCode::Upstream => wit::ErrorCode::Upstream,
                        $crate::ErrorCode::Internal => wit::ErrorCode::Internal,
                    },
                    message: e.message,
                }
            }

            fn facts_from_wit(s: wit::SessionFacts) -> Result<$crate::SessionFacts, $crate::PluginError> {
                let currency = match s.currency {
                    Some(code) => Some(
                        $crate::Currency::new(&code)
                            .map_err(|e| $crate::PluginError::invalid_input(e.to_string()))?,
                    ),
                    None => None,
                };
                Ok($crate::SessionFacts {
                    session_id: s.session_id,
                    station_id: s.station_id,
                    site_id: s.site_id,
                    evse_id: s.evse_id,
                    connector_id: s.connector_id,
                    id_token: s.id_token,
                    token_group: s.token_group,
                    started_at_ms: s.started_at,
                    ended_at_ms: s.ended_at,
                    charging_ended_at_ms: s.charging_ended_at,
                    meter_start_wh: s.meter_start_wh,
                    meter_stop_wh: s.meter_stop_wh,
                    samples: s
                        .samples
                        .into_iter()
                        .map(|m| $crate::MeterSample {
                            timestamp_ms: m.timestamp,
                            measurand: match m.measurand {
                                wit::Measurand::EnergyImportRegister => $crate::Measurand::EnergyImportRegister,
                                wit::Measurand::PowerImport => $crate::Measurand::PowerImport,
                                wit::Measurand::CurrentImport => $crate::Measurand::CurrentImport,
                                wit::Measurand::Voltage => $crate::Measurand::Voltage,
                                wit::Measurand::StateOfCharge => $crate::Measurand::StateOfCharge,
                                wit::Measurand::Other(name) => $crate::Measurand::Other(name),
                            },
                            phase: m.phase,
                            value: m.value,
                        })
                        .collect(),
                    currency,
                })
            }

            fn price_to_wit(p: $crate::Price) -> wit_tariff::SessionPrice {
                wit_tariff::SessionPrice {
                    currency: p.currency.code().to_owned(),
                    total_minor: p.total_minor,
                    lines: p
                        .lines
                        .into_iter()
                        .map(|l| wit_tariff::LineItem {
                            kind: match l.kind {
                                $crate::LineKind::Energy => wit_tariff::LineKind::Energy,
                                $crate::LineKind::Time => wit_tariff::LineKind::Time,
                                $crate::LineKind::Idle => wit_tariff::LineKind::Idle,
                                $crate::LineKind::Flat => wit_tariff::LineKind::Flat,
                                $crate::LineKind::Cap => wit_tariff::LineKind::Cap,
                                $crate::LineKind::Discount => wit_tariff::LineKind::Discount,
                                $crate::LineKind::Tax => wit_tariff::LineKind::Tax,
                            },
                            description: l.description,
                            quantity_milli: l.quantity_milli,
                            unit: l.unit,
                            amount_minor: l.amount_minor,
                            tax_rate_bp: l.tax_rate_bp,
                        })
                        .collect(),
                }
            }

            struct Component;

            impl wit_tariff::Guest for Component {
                fn validate_config(config: String) -> Result<(), wit::PluginError> {
                    $crate::log::set_host_log(host_log);
                    $crate::__private::tariff_from_config::<Plugin>(&config)
                        .map(|_| ())
                        .map_err(error_to_wit)
                }

                fn price(session: wit::SessionFacts) -> Result<wit_tariff::SessionPrice, wit::PluginError> {
                    let facts = facts_from_wit(session).map_err(error_to_wit)?;
                    with_tariff(|t| <Plugin as $crate::Tariff>::price(t, &facts))
                        .map(price_to_wit)
                        .map_err(error_to_wit)
                }

                fn estimate(
                    session: wit::SessionFacts,
                    now: wit::TimestampMs,
                ) -> Result<wit_tariff::SessionPrice, wit::PluginError> {
                    let facts = facts_from_wit(session).map_err(error_to_wit)?;
                    with_tariff(|t| <Plugin as $crate::Tariff>::estimate(t, &facts, now))
                        .map(price_to_wit)
                        .map_err(error_to_wit)
                }
            }

            export!(Component);
        }
    };
}
