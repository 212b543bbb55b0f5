//! Tariffs: the [`Tariff`] trait a tariff plugin implements, and the
//! [`Price`] it returns.
//!
//! A price is a list of [`LineItem`]s whose amounts add up exactly to its
//! total. Build one with [`PriceBuilder`], which keeps that true for you;
//! the host checks it again ([`Price::check`]) before it uses a price.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::PluginError;
use crate::money::{Currency, Money, MoneyError, Rounding};
use crate::session::{SessionFacts, TimestampMs};

/// What a line of a price charges for (mirrors `line-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    /// Energy delivered (quantity in kWh).
    Energy,
    /// Time connected or charging (quantity in minutes).
    Time,
    /// Idle or parking time after charging ended (quantity in minutes).
    Idle,
    /// A flat fee per session.
    Flat,
    /// A reduction down to a price cap; amount <= 0.
    Cap,
    /// A discount; amount <= 0.
    Discount,
    /// A tax on the lines before it; quantity is the taxed amount in minor units.
    Tax,
}

impl LineKind {
    /// Whether lines of this kind may (only) carry negative amounts.
    pub fn is_reduction(self) -> bool {
        matches!(self, LineKind::Cap | LineKind::Discount)
    }
}

/// One line of a price (mirrors `line-item`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// What it charges for.
    pub kind: LineKind,
    /// Shown to the driver, e.g. "Energy, peak (17:00-21:00)".
    pub description: String,
    /// Quantity in thousandths of `unit` (12.345 kWh = 12345).
    pub quantity_milli: i64,
    /// "kWh", "min", "session", or a currency code for tax lines.
    pub unit: String,
    /// Amount in minor units of the price's currency.
    pub amount_minor: i64,
    /// For tax lines: the rate in basis points (2100 = 21 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate_bp: Option<u32>,
}

impl LineItem {
    /// A line without a tax rate.
    pub fn new(
        kind: LineKind,
        description: impl Into<String>,
        quantity_milli: i64,
        unit: impl Into<String>,
        amount_minor: i64,
    ) -> Self {
        Self {
            kind,
            description: description.into(),
            quantity_milli,
            unit: unit.into(),
            amount_minor,
            tax_rate_bp: None,
        }
    }
}

/// The price of a session (mirrors `price`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// The currency of every amount.
    pub currency: Currency,
    /// The total in minor units: exactly the sum of the lines.
    pub total_minor: i64,
    /// The lines, in the order they are shown.
    pub lines: Vec<LineItem>,
}

/// Why a price is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The lines do not add up to the total.
    #[error("line items add up to {lines} but the total is {total}")]
    TotalMismatch {
        /// Sum of the line amounts.
        lines: i64,
        /// The stated total.
        total: i64,
    },
    /// A line has a sign its kind does not allow.
    #[error(
        "line {index} ({kind:?}) has amount {amount}: only cap and discount lines may be negative, and they may not be positive"
    )]
    BadSign {
        /// Position of the line.
        index: usize,
        /// Its kind.
        kind: LineKind,
        /// Its amount.
        amount: i64,
    },
    /// The total is negative.
    #[error("total {0} is negative")]
    NegativeTotal(i64),
    /// Amounts overflow 64 bits.
    #[error("line amounts overflow")]
    Overflow,
}

impl Price {
    /// The total as [`Money`].
    pub fn total(&self) -> Money {
        Money::new(self.total_minor, self.currency)
    }

    /// Checks the rules every price must keep: the lines add up to the total,
    /// only cap and discount lines are negative (and never positive), and the
    /// total is not negative.
    pub fn check(&self) -> Result<(), PriceError> {
        let mut sum: i64 = 0;
        for (index, line) in self.lines.iter().enumerate() {
            let sign_ok = if line.kind.is_reduction() {
                line.amount_minor <= 0
            } else {
                line.amount_minor >= 0
            };
            if !sign_ok {
                return Err(PriceError::BadSign {
                    index,
                    kind: line.kind,
                    amount: line.amount_minor,
                });
            }
            sum = sum
                .checked_add(line.amount_minor)
                .ok_or(PriceError::Overflow)?;
        }
        if sum != self.total_minor {
            return Err(PriceError::TotalMismatch {
                lines: sum,
                total: self.total_minor,
            });
        }
        if self.total_minor < 0 {
            return Err(PriceError::NegativeTotal(self.total_minor));
        }
        Ok(())
    }
}

/// Builds a [`Price`] whose total is always the sum of its lines.
#[derive(Debug, Clone)]
pub struct PriceBuilder {
    currency: Currency,
    lines: Vec<LineItem>,
}

impl PriceBuilder {
    /// An empty price in `currency`.
    pub fn new(currency: Currency) -> Self {
        Self {
            currency,
            lines: Vec::new(),
        }
    }

    /// The running total of the lines so far.
    pub fn subtotal(&self) -> Result<Money, MoneyError> {
        self.lines
            .iter()
            .try_fold(Money::zero(self.currency), |acc, l| {
                acc.checked_add(Money::new(l.amount_minor, self.currency))
            })
    }

    /// Adds a line.
    pub fn line(&mut self, line: LineItem) -> &mut Self {
        self.lines.push(line);
        self
    }

    /// Adds a line unless its amount and quantity are both zero.
    pub fn line_if_nonzero(&mut self, line: LineItem) -> &mut Self {
        if line.amount_minor != 0 || line.quantity_milli != 0 {
            self.lines.push(line);
        }
        self
    }

    /// If the subtotal is above `cap`, adds a `cap` line that brings it down
    /// to exactly `cap`.
    pub fn cap(
        &mut self,
        cap: Money,
        description: impl Into<String>,
    ) -> Result<&mut Self, MoneyError> {
        let subtotal = self.subtotal()?;
        let over = subtotal.checked_sub(cap)?;
        if over.amount_minor > 0 {
            self.lines.push(LineItem::new(
                LineKind::Cap,
                description,
                1000,
                "session",
                -over.amount_minor,
            ));
        }
        Ok(self)
    }

    /// Adds a tax line of `rate_bp` basis points on the subtotal so far.
    pub fn tax(
        &mut self,
        rate_bp: u32,
        description: impl Into<String>,
        rounding: Rounding,
    ) -> Result<&mut Self, MoneyError> {
        let base = self.subtotal()?;
        let tax = base.percent_bp(rate_bp, rounding)?;
        let mut line = LineItem::new(
            LineKind::Tax,
            description,
            base.amount_minor.saturating_mul(1000),
            self.currency.code(),
            tax.amount_minor,
        );
        line.tax_rate_bp = Some(rate_bp);
        self.lines.push(line);
        Ok(self)
    }

    /// Adds a tax line described as "Tax 21.00 %" for `rate_bp` = 2100.
    pub fn tax_at(&mut self, rate_bp: u32, rounding: Rounding) -> Result<&mut Self, MoneyError> {
        let description = format!("Tax {}.{:02} %", rate_bp / 100, rate_bp % 100);
        self.tax(rate_bp, description, rounding)
    }

    /// The finished price.
    pub fn build(self) -> Result<Price, MoneyError> {
        let total = self.subtotal()?;
        Ok(Price {
            currency: self.currency,
            total_minor: total.amount_minor,
            lines: self.lines,
        })
    }
}

/// A tariff: prices charging sessions.
///
/// Implement it, then register the type once with
/// [`register_tariff!`](crate::register_tariff). The host builds the tariff
/// from the operator's configuration for every call, so a tariff holds no
/// state between sessions, and must not read a clock or randomness: the same
/// facts must give the same price.
///
/// ```
/// use gridlet_sdk::prelude::*;
///
/// #[derive(serde::Deserialize)]
/// struct Config { currency: Currency, per_kwh: Rate }
///
/// struct PerKwh(Config);
///
/// impl Tariff for PerKwh {
///     type Config = Config;
///     fn new(config: Config) -> Result<Self, PluginError> { Ok(Self(config)) }
///     fn price(&self, session: &SessionFacts) -> Result<Price, PluginError> {
///         let mut price = PriceBuilder::new(self.0.currency);
///         let wh = session.energy_wh();
///         let amount = self.0.per_kwh.amount(wh, self.0.currency, Rounding::HalfAwayFromZero)?;
///         price.line(LineItem::new(LineKind::Energy, "Energy", wh, "kWh", amount.amount_minor));
///         Ok(price.build()?)
///     }
/// }
///
/// gridlet_sdk::register_tariff!(PerKwh);
/// ```
pub trait Tariff: Sized {
    /// The configuration, deserialised from the operator's JSON (already
    /// checked against the manifest's config schema by the host).
    type Config: DeserializeOwned;

    /// Builds the tariff from its configuration, rejecting what a schema
    /// cannot (overlapping windows, a cap below the session fee...). The
    /// host calls this when the operator configures the plugin, so mistakes
    /// surface then rather than at the end of a session.
    fn new(config: Self::Config) -> Result<Self, PluginError>;

    /// The final price of a finished session.
    fn price(&self, session: &SessionFacts) -> Result<Price, PluginError>;

    /// What a running session has cost so far. By default: the price of
    /// the session as if it ended at `now`, with the latest energy reading.
    fn estimate(&self, session: &SessionFacts, now_ms: TimestampMs) -> Result<Price, PluginError> {
        let mut so_far = session.clone();
        so_far.meter_stop_wh = Some(session.latest_meter_wh());
        so_far.ended_at_ms = Some(session.end_or(now_ms));
        self.price(&so_far)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::new("EUR").unwrap()
    }

    #[test]
    fn builder_keeps_total_equal_to_lines() {
        let mut b = PriceBuilder::new(eur());
        b.line(LineItem::new(
            LineKind::Energy,
            "energy",
            10_000,
            "kWh",
            350,
        ));
        b.line(LineItem::new(
            LineKind::Flat,
            "session fee",
            1000,
            "session",
            100,
        ));
        b.cap(Money::new(400, eur()), "cap").unwrap();
        b.tax(2000, "VAT 20%", Rounding::HalfAwayFromZero).unwrap();
        let price = b.build().unwrap();
        assert_eq!(price.total_minor, 480);
        assert_eq!(price.lines[2].amount_minor, -50);
        price.check().unwrap();
    }

    #[test]
    fn check_rejects_inconsistent_prices() {
        let mut price = Price {
            currency: eur(),
            total_minor: 10,
            lines: vec![LineItem::new(LineKind::Energy, "e", 1, "kWh", 9)],
        };
        assert!(matches!(
            price.check(),
            Err(PriceError::TotalMismatch { .. })
        ));
        price.lines[0].amount_minor = -10;
        price.total_minor = -10;
        assert!(matches!(price.check(), Err(PriceError::BadSign { .. })));
        price.lines[0].kind = LineKind::Discount;
        assert!(matches!(price.check(), Err(PriceError::NegativeTotal(-10))));
    }
}
