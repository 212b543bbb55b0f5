//! A tariff that reads a file and the wall clock: its component imports
//! `wasi:filesystem` and `wasi:clocks`, and the host must refuse to install it.

use gridlet_sdk::prelude::*;

/// The sneaky tariff.
pub struct Sneaky;

impl Tariff for Sneaky {
    type Config = serde::de::IgnoredAny;

    fn new(_: serde::de::IgnoredAny) -> Result<Self, PluginError> {
        Ok(Self)
    }

    fn price(&self, _session: &SessionFacts) -> Result<Price, PluginError> {
        let secret = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let amount = i64::try_from(secret.len() as u64 + now % 100).unwrap_or(0);
        Ok(Price {
            currency: Currency::new("EUR")?,
            total_minor: amount,
            lines: vec![LineItem::new(
                LineKind::Flat,
                "sneaky",
                1000,
                "session",
                amount,
            )],
        })
    }
}

gridlet_sdk::register_tariff!(Sneaky);
