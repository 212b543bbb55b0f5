//! `simple-tariff`: a price per kWh delivered plus a price per hour the
//! vehicle was connected, in one currency, optionally with a tax line.
//!
//! Config (validated by the schema in `gridlet-plugin.toml`):
//!
//! ```json
//! { "currency": "EUR", "energy_per_kwh": "0.35", "time_per_hour": "1.20", "tax_rate_bp": 2100 }
//! ```

use gridlet_sdk::prelude::*;
use serde::Deserialize;

/// The operator's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The currency prices are in.
    pub currency: Currency,
    /// Price per kWh, in major units.
    pub energy_per_kwh: Rate,
    /// Price per hour connected, in major units.
    #[serde(default)]
    pub time_per_hour: Rate,
    /// Tax on the whole price, in basis points (2100 = 21 %); none if unset.
    #[serde(default)]
    pub tax_rate_bp: Option<u32>,
}

/// The tariff, built from its config.
#[derive(Debug, Clone)]
pub struct SimpleTariff {
    config: Config,
}

impl Tariff for SimpleTariff {
    type Config = Config;

    fn new(config: Config) -> Result<Self, PluginError> {
        if config.energy_per_kwh.micros() < 0 || config.time_per_hour.micros() < 0 {
            return Err(PluginError::invalid_config("prices must not be negative"));
        }
        if config.tax_rate_bp.is_some_and(|bp| bp > 10_000) {
            return Err(PluginError::invalid_config("tax rate above 100 %"));
        }
        Ok(Self { config })
    }

    fn price(&self, session: &SessionFacts) -> Result<Price, PluginError> {
        let currency = self.config.currency;
        if let Some(billed) = session.currency
            && billed != currency
        {
            return Err(PluginError::invalid_input(format!(
                "session is billed in {billed}, this tariff prices in {currency}"
            )));
        }
        let ended = session
            .ended_at_ms
            .ok_or_else(|| PluginError::invalid_input("session has not ended"))?;
        let rounding = Rounding::HalfAwayFromZero;
        let mut price = PriceBuilder::new(currency);

        let energy_wh = session.energy_wh();
        let energy = self
            .config
            .energy_per_kwh
            .amount(energy_wh, currency, rounding)?;
        price.line(LineItem::new(
            LineKind::Energy,
            format!("Energy at {} {currency}/kWh", self.config.energy_per_kwh),
            energy_wh,
            "kWh",
            energy.amount_minor,
        ));

        if !self.config.time_per_hour.is_zero() {
            // Thousandths of an hour, from milliseconds: ms / 3600.
            let connected_ms = (ended - session.started_at_ms).max(0);
            let hours_milli = connected_ms / 3_600;
            let time = self
                .config
                .time_per_hour
                .amount(hours_milli, currency, rounding)?;
            price.line(LineItem::new(
                LineKind::Time,
                format!(
                    "Time connected at {} {currency}/h",
                    self.config.time_per_hour
                ),
                connected_ms / 60,
                "min",
                time.amount_minor,
            ));
        }

        if let Some(bp) = self.config.tax_rate_bp {
            price.tax_at(bp, rounding)?;
        }
        Ok(price.build()?)
    }
}

gridlet_sdk::register_tariff!(SimpleTariff);

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff() -> SimpleTariff {
        SimpleTariff::new(Config {
            currency: Currency::new("EUR").unwrap(),
            energy_per_kwh: Rate::parse("0.35").unwrap(),
            time_per_hour: Rate::parse("1.20").unwrap(),
            tax_rate_bp: None,
        })
        .unwrap()
    }

    #[test]
    fn energy_and_time_add_up() {
        let facts = SessionFacts {
            started_at_ms: 0,
            ended_at_ms: Some(90 * 60_000),
            meter_start_wh: 1_000,
            meter_stop_wh: Some(21_000),
            ..Default::default()
        };
        let price = tariff().price(&facts).unwrap();
        // 20 kWh * 0.35 = 7.00; 1.5 h * 1.20 = 1.80.
        assert_eq!(price.lines[0].amount_minor, 700);
        assert_eq!(price.lines[1].amount_minor, 180);
        assert_eq!(price.total_minor, 880);
        price.check().unwrap();
    }
}
