//! Tariffs on transactions: which tariff applies to a station, what a
//! transaction's price is and who computed it, and the [`Pricer`] boundary
//! behind which tariff plugins run.
//!
//! An operator assigns a tariff (a tariff plugin and the currency it bills
//! in) to a station, to a group of stations (a site), or as the network's
//! default; [`tariff_for`] picks the one that applies: station beats group
//! beats default. When a transaction ends, the session asks a [`Pricer`]
//! for its price and stores the outcome, [`Pricing`], with the transaction:
//! a [`Price`] and the plugin id, version and content hash that computed it
//! ([`PricedBy`]), or — when the tariff failed — the reason it is unpriced,
//! so an operator can price it again later.
//!
//! Money is integer minor units of an ISO 4217 currency; a price also
//! carries how many decimal digits its currency's minor unit has, so a stored
//! price reads the same whatever a later table says. Nothing here knows
//! plugins, serde or wire formats: the `pricing` crate implements
//! [`Pricer`] on the plugin registry.

use crate::meter::MeterSample;
use crate::station::StationId;
use crate::time::Timestamp;
use crate::transaction::Transaction;

/// One line of a price, as the tariff wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceLine {
    /// What it charges for: `energy`, `time`, `idle`, `flat`, `cap`,
    /// `discount` or `tax`.
    pub kind: String,
    /// Shown to the driver, e.g. "Energy at 0.35 EUR/kWh".
    pub description: String,
    /// Quantity in thousandths of `unit` (12.345 kWh = 12345).
    pub quantity_milli: i64,
    /// `kWh`, `min`, `session`, or a currency code for tax lines.
    pub unit: String,
    /// Amount in minor units of the price's currency (negative only for
    /// caps and discounts).
    pub amount_minor: i64,
    /// For tax lines: the rate in basis points (2100 = 21 %).
    pub tax_rate_bp: Option<u32>,
}

/// A price: lines that add up to the total, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// ISO 4217 alphabetic code, e.g. `EUR`.
    pub currency: String,
    /// How many decimal digits the currency's minor unit has (EUR 2, JPY 0,
    /// KWD 3), as the pricer knew it: the scale of every amount.
    pub minor_digits: u32,
    /// The total in minor units: exactly the sum of the lines' amounts.
    pub total_minor: i64,
    /// The lines, in the order they are shown.
    pub lines: Vec<PriceLine>,
}

impl Price {
    /// The total in major units as a decimal, e.g. `12.34`.
    pub fn total_decimal(&self) -> String {
        decimal(self.total_minor, self.minor_digits)
    }

    /// Whether the lines add up to the total.
    pub fn adds_up(&self) -> bool {
        self.lines
            .iter()
            .try_fold(0_i64, |sum, line| sum.checked_add(line.amount_minor))
            .is_some_and(|sum| sum == self.total_minor)
    }
}

/// `amount_minor` in major units as a decimal with `minor_digits`
/// fraction digits: `decimal(1234, 2)` is `12.34`, `decimal(-5, 2)` is
/// `-0.05`, `decimal(100, 0)` is `100`.
pub fn decimal(amount_minor: i64, minor_digits: u32) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let magnitude = amount_minor.unsigned_abs();
    let Some(scale) = 10_u64.checked_pow(minor_digits) else {
        return format!("{sign}{magnitude}e-{minor_digits}");
    };
    if minor_digits == 0 {
        return format!("{sign}{magnitude}");
    }
    let width = minor_digits as usize;
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
}

/// Which tariff plugin, at which version and content, computed a price.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PricedBy {
    /// The plugin's id, e.g. `simple-tariff`.
    pub plugin_id: String,
    /// Its version (semver), e.g. `0.1.0`.
    pub version: String,
    /// The SHA-256 of its component as the plugin host writes it,
    /// `sha256:` and lower-case hex.
    pub hash: String,
}

/// What pricing a transaction came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pricing {
    /// Priced.
    Priced {
        /// The price.
        price: Price,
        /// Who computed it.
        by: PricedBy,
        /// When (server time).
        at: Timestamp,
    },
    /// A tariff applied but produced no usable price; the transaction can be
    /// priced again later.
    Unpriced {
        /// Why, for the operator.
        reason: String,
        /// The tariff plugin that was asked, if one was.
        plugin_id: Option<String>,
        /// When (server time).
        at: Timestamp,
    },
}

impl Pricing {
    /// The price, if priced.
    pub fn price(&self) -> Option<&Price> {
        match self {
            Pricing::Priced { price, .. } => Some(price),
            Pricing::Unpriced { .. } => None,
        }
    }

    /// When it was decided.
    pub fn at(&self) -> Timestamp {
        match self {
            Pricing::Priced { at, .. } | Pricing::Unpriced { at, .. } => *at,
        }
    }
}

/// The latest estimate of what a running transaction has cost so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningCost {
    /// ISO 4217 alphabetic code.
    pub currency: String,
    /// Digits of the currency's minor unit (see [`Price::minor_digits`]).
    pub minor_digits: u32,
    /// The cost so far, in minor units.
    pub total_minor: i64,
    /// When it was estimated (server time).
    pub at: Timestamp,
}

impl RunningCost {
    /// The cost in major units as a decimal.
    pub fn total_decimal(&self) -> String {
        decimal(self.total_minor, self.minor_digits)
    }
}

/// Where a tariff assignment applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TariffScope {
    /// One station.
    Station(StationId),
    /// Every station in a group (a site, see [`crate::Station::group`]).
    Group(String),
    /// Every station nothing more specific applies to.
    Default,
}

/// An operator's choice of tariff for a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffAssignment {
    /// Where it applies.
    pub scope: TariffScope,
    /// The tariff plugin's id.
    pub plugin_id: String,
    /// The currency transactions are billed in (ISO 4217 alphabetic code);
    /// the tariff must price in it.
    pub currency: String,
}

/// Why an assignment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAssignment {
    /// The currency is not an ISO 4217 alphabetic code's shape.
    #[error("currency {0:?} is not an ISO 4217 code such as \"EUR\"")]
    Currency(String),
    /// The plugin id is empty.
    #[error("the tariff plugin id is empty")]
    EmptyPluginId,
    /// The group name is empty.
    #[error("the group name is empty")]
    EmptyGroup,
}

impl TariffAssignment {
    /// An assignment, after checking the currency's shape (three upper-case
    /// letters), that the plugin id is given and a group is named.
    pub fn new(scope: TariffScope, plugin_id: &str, currency: &str) -> Result<Self, InvalidAssignment> {
        if !is_currency_code(currency) {
            return Err(InvalidAssignment::Currency(currency.to_owned()));
        }
        if plugin_id.is_empty() {
            return Err(InvalidAssignment::EmptyPluginId);
        }
        if matches!(&scope, TariffScope::Group(group) if group.is_empty()) {
            return Err(InvalidAssignment::EmptyGroup);
        }
        Ok(TariffAssignment { scope, plugin_id: plugin_id.to_owned(), currency: currency.to_owned() })
    }
}

/// Whether `code` has the shape of an ISO 4217 alphabetic code.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The tariff that applies to `station` (in `group`, if it is in one): its
/// own assignment, else its group's, else the default; `None` if none.
pub fn tariff_for<'a>(
    assignments: &'a [TariffAssignment],
    station: &StationId,
    group: Option<&str>,
) -> Option<&'a TariffAssignment> {
    let find = |wanted: &dyn Fn(&TariffScope) -> bool| assignments.iter().find(|a| wanted(&a.scope));
    find(&|scope| matches!(scope, TariffScope::Station(id) if id == station))
        .or_else(|| group.and_then(|group| find(&|scope| matches!(scope, TariffScope::Group(g) if g == group))))
        .or_else(|| find(&|scope| *scope == TariffScope::Default))
}

/// Prices transactions with tariffs. Implemented by the `pricing` crate on
/// the plugin registry; the session calls it on a blocking thread, since a
/// tariff may run up to its deadline.
///
/// Both methods see a transaction and its stored meter readings (in
/// measurement order); the same transaction and readings must always give
/// the same price. `now` is only the time the answer is stamped with (and
/// the "so far" of an estimate), never an input of a final price.
pub trait Pricer: Send + Sync {
    /// The final price of an ended transaction under `assignment`. Every
    /// failure is an [`Pricing::Unpriced`] with the reason.
    fn price(
        &self,
        assignment: &TariffAssignment,
        tx: &Transaction,
        samples: &[MeterSample],
        now: Timestamp,
    ) -> Pricing;

    /// What a running transaction has cost up to `now`, or why that is not
    /// known.
    fn estimate(
        &self,
        assignment: &TariffAssignment,
        tx: &Transaction,
        samples: &[MeterSample],
        now: Timestamp,
    ) -> Result<(Price, PricedBy), String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(id: &str) -> StationId {
        StationId::parse(id).unwrap()
    }

    fn assign(scope: TariffScope, plugin: &str) -> TariffAssignment {
        TariffAssignment::new(scope, plugin, "EUR").unwrap()
    }

    #[test]
    fn station_beats_group_beats_default() {
        let all = vec![
            assign(TariffScope::Default, "default"),
            assign(TariffScope::Group("site-a".into()), "group"),
            assign(TariffScope::Station(station("CP1")), "station"),
        ];
        let plugin = |id: &str, group: Option<&str>| tariff_for(&all, &station(id), group).map(|a| a.plugin_id.as_str());
        assert_eq!(plugin("CP1", Some("site-a")), Some("station"));
        assert_eq!(plugin("CP2", Some("site-a")), Some("group"));
        assert_eq!(plugin("CP2", Some("site-b")), Some("default"));
        assert_eq!(plugin("CP2", None), Some("default"));
        let no_default: Vec<_> = all.iter().filter(|a| a.scope != TariffScope::Default).cloned().collect();
        assert_eq!(tariff_for(&no_default, &station("CP2"), Some("site-b")), None);
        assert_eq!(tariff_for(&[], &station("CP1"), None), None);
    }

    #[test]
    fn assignments_are_checked() {
        assert_eq!(
            TariffAssignment::new(TariffScope::Default, "t", "eur"),
            Err(InvalidAssignment::Currency("eur".into()))
        );
        assert_eq!(TariffAssignment::new(TariffScope::Default, "", "EUR"), Err(InvalidAssignment::EmptyPluginId));
        assert_eq!(TariffAssignment::new(TariffScope::Group(String::new()), "t", "EUR"), Err(InvalidAssignment::EmptyGroup));
    }

    #[test]
    fn decimals_use_the_currency_digits() {
        assert_eq!(decimal(1234, 2), "12.34");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(-5, 2), "-0.05");
        assert_eq!(decimal(100, 0), "100");
        assert_eq!(decimal(1, 3), "0.001");
        assert_eq!(decimal(i64::MIN, 2), "-92233720368547758.08");
    }

    #[test]
    fn a_price_knows_whether_it_adds_up() {
        let line = |amount| PriceLine {
            kind: "energy".into(),
            description: String::new(),
            quantity_milli: 1000,
            unit: "kWh".into(),
            amount_minor: amount,
            tax_rate_bp: None,
        };
        let mut price = Price { currency: "EUR".into(), minor_digits: 2, total_minor: 30, lines: vec![line(10), line(20)] };
        assert!(price.adds_up());
        assert_eq!(price.total_decimal(), "0.30");
        price.total_minor = 31;
        assert!(!price.adds_up());
    }
}
