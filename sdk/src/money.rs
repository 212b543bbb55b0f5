//! Money without floats: integer minor units, an ISO 4217 currency, and
//! explicit rounding whenever an amount is computed from a rate.
//!
//! The one rule the WIT interfaces state: an amount computed from a rate is
//! rounded once, to the currency's minor unit, half away from zero
//! ([`Rounding::HalfAwayFromZero`]). Sums of already-rounded amounts are exact.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a money operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not three upper-case ASCII letters.
    #[error("invalid currency code {0:?}: expected three upper-case letters such as \"EUR\"")]
    InvalidCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64 bits of minor units.
    #[error("amount overflow")]
    Overflow,
    /// A decimal rate could not be parsed.
    #[error("invalid rate {0:?}: expected a decimal such as \"0.35\" with at most 6 decimals")]
    InvalidRate(String),
}

/// An ISO 4217 alphabetic currency code such as `EUR`.
///
/// Only the shape is checked (three upper-case ASCII letters); the number of
/// minor-unit digits comes from [`Currency::minor_unit_digits`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a currency code.
    pub fn new(code: &str) -> Result<Self, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(MoneyError::InvalidCurrency(code.to_owned())),
        }
    }

    /// The code, e.g. `"EUR"`.
    pub fn code(&self) -> &str {
        // The constructor admits only ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many decimal digits the minor unit has (EUR: 2, JPY: 0, KWD: 3),
    /// per ISO 4217. Codes not in the table use 2, the common case.
    pub fn minor_unit_digits(&self) -> u32 {
        match self.code() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            "CLF" | "UYW" => 4,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(code: String) -> Result<Self, MoneyError> {
        Self::new(&code)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

/// How to round a computed amount to a whole minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// 0.5 goes away from zero (1.5 → 2, -1.5 → -2). The rule the WIT states.
    #[default]
    HalfAwayFromZero,
    /// 0.5 goes to the even neighbour (1.5 → 2, 2.5 → 2), "banker's rounding".
    HalfEven,
    /// Drop the fraction (truncate toward zero).
    TowardZero,
    /// Any fraction goes away from zero.
    AwayFromZero,
}

impl Rounding {
    /// `numerator / denominator` rounded by this rule. `denominator` must be
    /// positive.
    pub fn divide(self, numerator: i128, denominator: i128) -> i128 {
        debug_assert!(denominator > 0);
        let quotient = numerator / denominator;
        let remainder = numerator % denominator;
        if remainder == 0 {
            return quotient;
        }
        let away = if numerator < 0 { -1 } else { 1 };
        let twice = remainder.abs() * 2;
        match self {
            Rounding::TowardZero => quotient,
            Rounding::AwayFromZero => quotient + away,
            Rounding::HalfAwayFromZero => {
                if twice >= denominator {
                    quotient + away
                } else {
                    quotient
                }
            }
            Rounding::HalfEven => {
                if twice > denominator || (twice == denominator && quotient % 2 != 0) {
                    quotient + away
                } else {
                    quotient
                }
            }
        }
    }
}

/// An amount of money: integer minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents for EUR); negative for credits.
    pub amount_minor: i64,
    /// The currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// An amount of minor units.
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// The sum; fails on a currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The difference; fails on a currency mismatch or overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_sub(other.amount_minor)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// This amount times `basis_points / 10000` (2100 bp = 21 %), rounded.
    pub fn percent_bp(self, basis_points: u32, rounding: Rounding) -> Result<Money, MoneyError> {
        let amount = rounding.divide(
            i128::from(self.amount_minor) * i128::from(basis_points),
            10_000,
        );
        i64::try_from(amount)
            .map(|a| Money::new(a, self.currency))
            .map_err(|_| MoneyError::Overflow)
    }

    /// The smaller of two amounts in the same currency.
    pub fn min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.amount_minor < self.amount_minor {
            other
        } else {
            self
        })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// Formats as `12.34 EUR` using the currency's minor-unit digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_unit_digits();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if digits == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let scale = 10u64.pow(digits);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = digits as usize
        )
    }
}

/// A price per unit (per kWh, per minute, per hour), in major units of a
/// currency with up to six decimals: `Rate::parse("0.3499")` is 34.99 cents
/// per unit in EUR. Kept exact as millionths of a major unit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(try_from = "RateRepr", into = "String")]
pub struct Rate {
    micros: i64,
}

/// Rates may be written as a decimal string (`"0.35"`, exact) or, for
/// convenience, as a JSON/TOML number (`0.35`, parsed from its shortest
/// decimal representation).
#[derive(Deserialize)]
#[serde(untagged)]
enum RateRepr {
    Text(String),
    Integer(i64),
    Number(f64),
}

impl TryFrom<RateRepr> for Rate {
    type Error = MoneyError;
    fn try_from(repr: RateRepr) -> Result<Self, MoneyError> {
        match repr {
            RateRepr::Text(text) => Rate::parse(&text),
            RateRepr::Integer(units) => units
                .checked_mul(1_000_000)
                .map(Rate::from_micros)
                .ok_or(MoneyError::Overflow),
            RateRepr::Number(n) => Rate::parse(&n.to_string()),
        }
    }
}

impl From<Rate> for String {
    fn from(rate: Rate) -> String {
        rate.to_string()
    }
}

impl Rate {
    /// A rate of `micros` millionths of a major unit per unit.
    pub const fn from_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// The rate in millionths of a major unit.
    pub const fn micros(&self) -> i64 {
        self.micros
    }

    /// Parses a decimal such as `"0.35"`, `"12"` or `"-0.05"` (at most six decimals).
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let invalid = || MoneyError::InvalidRate(text.to_owned());
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty()
            || fraction.len() > 6
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut fraction_micros: i64 = 0;
        for (i, b) in fraction.bytes().enumerate() {
            fraction_micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
        }
        let micros = whole
            .checked_mul(1_000_000)
            .and_then(|w| w.checked_add(fraction_micros))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self {
            micros: if negative { -micros } else { micros },
        })
    }

    /// The amount for `quantity_milli` thousandths of a unit (12.345 kWh is
    /// 12345), in `currency`, rounded once to the minor unit.
    pub fn amount(
        &self,
        quantity_milli: i64,
        currency: Currency,
        rounding: Rounding,
    ) -> Result<Money, MoneyError> {
        // micros-of-major per unit × milli-units = 1e-9 major; scale to minor.
        let scale = 10i128.pow(currency.minor_unit_digits());
        let numerator = i128::from(self.micros) * i128::from(quantity_milli) * scale;
        let amount = rounding.divide(numerator, 1_000_000_000);
        i64::try_from(amount)
            .map(|a| Money::new(a, currency))
            .map_err(|_| MoneyError::Overflow)
    }

    /// True when the rate is zero.
    pub fn is_zero(&self) -> bool {
        self.micros == 0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.micros < 0 { "-" } else { "" };
        let abs = self.micros.unsigned_abs();
        let fraction = format!("{:06}", abs % 1_000_000);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            write!(f, "{sign}{}", abs / 1_000_000)
        } else {
            write!(f, "{sign}{}.{fraction}", abs / 1_000_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::new("EUR").unwrap()
    }

    #[test]
    fn currency_codes_are_checked() {
        assert!(Currency::new("EUR").is_ok());
        assert!(Currency::new("eur").is_err());
        assert!(Currency::new("EURO").is_err());
        assert_eq!(Currency::new("JPY").unwrap().minor_unit_digits(), 0);
        assert_eq!(Currency::new("KWD").unwrap().minor_unit_digits(), 3);
    }

    #[test]
    fn rounding_rules() {
        assert_eq!(Rounding::HalfAwayFromZero.divide(15, 10), 2);
        assert_eq!(Rounding::HalfAwayFromZero.divide(-15, 10), -2);
        assert_eq!(Rounding::HalfAwayFromZero.divide(14, 10), 1);
        assert_eq!(Rounding::HalfEven.divide(25, 10), 2);
        assert_eq!(Rounding::HalfEven.divide(35, 10), 4);
        assert_eq!(Rounding::HalfEven.divide(-25, 10), -2);
        assert_eq!(Rounding::TowardZero.divide(19, 10), 1);
        assert_eq!(Rounding::AwayFromZero.divide(11, 10), 2);
        assert_eq!(Rounding::AwayFromZero.divide(-11, 10), -2);
    }

    #[test]
    fn rates_parse_exactly() {
        assert_eq!(Rate::parse("0.3499").unwrap().micros(), 349_900);
        assert_eq!(Rate::parse("12").unwrap().micros(), 12_000_000);
        assert_eq!(Rate::parse(".5").unwrap().micros(), 500_000);
        assert_eq!(Rate::parse("-0.05").unwrap().micros(), -50_000);
        assert!(Rate::parse("0.1234567").is_err());
        assert!(Rate::parse("1,5").is_err());
        assert!(Rate::parse("").is_err());
        assert_eq!(Rate::parse("0.3499").unwrap().to_string(), "0.3499");
        let from_number: Rate = serde_json::from_str("0.35").unwrap();
        assert_eq!(from_number.micros(), 350_000);
    }

    #[test]
    fn rate_amounts_round_once() {
        // 12.345 kWh at 0.35 EUR/kWh = 4.32075 EUR -> 432 cents.
        let rate = Rate::parse("0.35").unwrap();
        let m = rate
            .amount(12_345, eur(), Rounding::HalfAwayFromZero)
            .unwrap();
        assert_eq!(m.amount_minor, 432);
        // 1.5 cents exactly rounds up.
        let rate = Rate::parse("0.015").unwrap();
        assert_eq!(
            rate.amount(1000, eur(), Rounding::HalfAwayFromZero)
                .unwrap()
                .amount_minor,
            2
        );
        assert_eq!(
            rate.amount(1000, eur(), Rounding::HalfEven)
                .unwrap()
                .amount_minor,
            2
        );
        let jpy = Currency::new("JPY").unwrap();
        assert_eq!(
            Rate::parse("45.5")
                .unwrap()
                .amount(2000, jpy, Rounding::HalfAwayFromZero)
                .unwrap()
                .amount_minor,
            91
        );
    }

    #[test]
    fn money_arithmetic_checks_currency() {
        let usd = Currency::new("USD").unwrap();
        assert!(
            Money::new(1, eur())
                .checked_add(Money::new(1, usd))
                .is_err()
        );
        assert_eq!(
            Money::new(1000, eur())
                .percent_bp(2100, Rounding::HalfAwayFromZero)
                .unwrap()
                .amount_minor,
            210
        );
        assert_eq!(Money::new(1234, eur()).to_string(), "12.34 EUR");
        assert_eq!(Money::new(-5, eur()).to_string(), "-0.05 EUR");
    }
}
