//! Meter readings: one sampled value of one measurand at one instant.
//!
//! Values are kept in base units: kilo-prefixed units are scaled (`kWh` to
//! `Wh`, `kW` to `W`, …) and 2.0.1's power-of-ten `multiplier` is applied, so
//! readings from different stations compare directly.
//!
//! # What a reading must be
//!
//! A reading is stored, and priced, only if it makes sense
//! ([`normalize_reading`], [`check_register_wh`]); otherwise the whole
//! message is refused with [`ImplausibleReading`], which says which value
//! broke which rule. The bounds are far beyond any real station yet keep every
//! sum and price finite:
//!
//! - every value is a finite number, after unit normalisation at most
//!   [`MAX_READING`] (10^12) in magnitude;
//! - energy registers and interval energies (`Energy.*` except the signed
//!   `*.Net` measurands), and 1.6's integer `meterStart`/`meterStop`, lie in
//!   0 ..= [`MAX_ENERGY_WH`] (10^12 Wh, a terawatt-hour);
//! - state of charge (`SoC`) lies in 0 ..= 100 %;
//! - a power factor (`Power.Factor`) lies in -1 ..= 1.
//!
//! Power, current, voltage, frequency, temperature and net energy may be
//! negative (export, direction of flow, cold), within the magnitude bound.

use crate::time::Timestamp;

/// The measurand OCPP assumes when none is given, and the one energy is billed on.
pub const ENERGY_ACTIVE_IMPORT_REGISTER: &str = "Energy.Active.Import.Register";

/// The reading context that marks a transaction's opening register value.
pub const CONTEXT_TRANSACTION_BEGIN: &str = "Transaction.Begin";
/// The reading context that marks a transaction's closing register value.
pub const CONTEXT_TRANSACTION_END: &str = "Transaction.End";

/// One sampled value.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterSample {
    /// When the value was measured (station time).
    pub timestamp: Timestamp,
    /// What was measured, e.g. `Energy.Active.Import.Register` or `Power.Active.Import`.
    pub measurand: String,
    /// The phase, e.g. `L1` or `L1-N`; `None` for an overall value.
    pub phase: Option<String>,
    /// Where it was measured, e.g. `Outlet` or `EV`.
    pub location: Option<String>,
    /// Why it was measured, e.g. `Sample.Periodic` or `Transaction.Begin`.
    pub context: Option<String>,
    /// The value in `unit`; `None` when the station sent signed data that is not a number.
    pub value: Option<f64>,
    /// The base unit of `value`, e.g. `Wh`, `W`, `A`, `V`, `Percent`.
    pub unit: Option<String>,
    /// Signed meter data as the station sent it, for later verification.
    pub signed_data: Option<String>,
}

impl MeterSample {
    /// The value in Wh if this sample is an overall active-import energy register reading.
    pub fn energy_register_wh(&self) -> Option<f64> {
        let is_register = self.measurand == ENERGY_ACTIVE_IMPORT_REGISTER
            && self.phase.is_none()
            && self.unit.as_deref().is_none_or(|unit| unit == "Wh");
        if is_register { self.value } else { None }
    }

    /// Whether this sample has the reading context `context`.
    pub fn has_context(&self, context: &str) -> bool {
        self.context.as_deref() == Some(context)
    }
}

impl MeterSample {
    /// What makes two readings the same reading (a replay of it): the
    /// instant, measurand, phase, location and context. Also their order.
    pub fn identity(&self) -> (Timestamp, &str, Option<&str>, Option<&str>, Option<&str>) {
        (
            self.timestamp,
            &self.measurand,
            self.phase.as_deref(),
            self.location.as_deref(),
            self.context.as_deref(),
        )
    }
}

/// The largest magnitude of any reading, in its base unit.
pub const MAX_READING: f64 = 1e12;

/// The largest energy register reading, in Wh (one terawatt-hour): no
/// station's meter gets there, and priced at any tariff it stays far
/// within integer money.
pub const MAX_ENERGY_WH: f64 = 1e12;

/// A reading that makes no sense, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what} {value} {rule}")]
pub struct ImplausibleReading {
    /// What was read: a measurand (with its unit) or a field such as `meterStart`.
    pub what: String,
    /// The value as the station sent it, or as normalised.
    pub value: String,
    /// The rule it breaks, e.g. "is not a finite number".
    pub rule: String,
}

impl ImplausibleReading {
    fn new(what: &str, unit: Option<&str>, value: String, rule: impl Into<String>) -> Self {
        let what = match unit {
            Some(unit) => format!("{what} (in {unit})"),
            None => what.to_owned(),
        };
        ImplausibleReading { what, value, rule: rule.into() }
    }

    /// A number as the error shows it: `1e308`, `-5.0`, `NaN`, `inf`
    /// (`Debug` switches to exponents for very large and small values).
    fn number(value: f64) -> String {
        format!("{value:?}")
    }

    /// A value that is not a decimal number at all (OCPP 1.6 sends values as
    /// text): `raw` as the station wrote it.
    pub fn not_a_number(measurand: &str, raw: &str) -> Self {
        ImplausibleReading::new(measurand, None, format!("{raw:?}"), "is not a decimal number")
    }
}

/// Whether `measurand` is an energy amount that can only be zero or more
/// (a register or an interval energy; the `*.Net` ones are signed).
fn is_unsigned_energy(measurand: &str) -> bool {
    measurand.starts_with("Energy.") && !measurand.ends_with(".Net")
}

/// Brings a sampled value to its base unit ([`normalize_unit`]) and checks
/// it against the rules in [this module's doc](self).
pub fn normalize_reading(
    value: f64,
    unit: Option<&str>,
    multiplier: i32,
    measurand: &str,
) -> Result<(f64, Option<String>), ImplausibleReading> {
    if !value.is_finite() {
        return Err(ImplausibleReading::new(measurand, unit, ImplausibleReading::number(value), "is not a finite number"));
    }
    let (normalized, base_unit) = normalize_unit(value, unit, multiplier, measurand);
    check_reading(measurand, normalized, base_unit.as_deref())?;
    Ok((normalized, base_unit))
}

/// Checks a value already in its base unit.
fn check_reading(measurand: &str, value: f64, unit: Option<&str>) -> Result<(), ImplausibleReading> {
    let refuse = |rule: String| Err(ImplausibleReading::new(measurand, unit, ImplausibleReading::number(value), rule));
    if !value.is_finite() {
        return refuse("is not a finite number after unit conversion".to_owned());
    }
    if is_unsigned_energy(measurand) && !(0.0..=MAX_ENERGY_WH).contains(&value) {
        return refuse(format!("is out of range: an energy reading must be between 0 and {MAX_ENERGY_WH:e} Wh"));
    }
    if measurand == "SoC" && !(0.0..=100.0).contains(&value) {
        return refuse("is out of range: a state of charge must be between 0 and 100 %".to_owned());
    }
    if measurand == "Power.Factor" && !(-1.0..=1.0).contains(&value) {
        return refuse("is out of range: a power factor must be between -1 and 1".to_owned());
    }
    if value.abs() > MAX_READING {
        return refuse(format!("is out of range: a reading must be at most {MAX_READING:e} in magnitude"));
    }
    Ok(())
}

/// Checks an integer energy register reading in Wh (OCPP 1.6's `meterStart`
/// and `meterStop`), named `field` in the error.
pub fn check_register_wh(field: &str, wh: i64) -> Result<(), ImplausibleReading> {
    // Exact: 10^12 is well within f64's integer precision.
    if wh < 0 || wh as f64 > MAX_ENERGY_WH {
        return Err(ImplausibleReading::new(
            field,
            Some("Wh"),
            wh.to_string(),
            format!("is out of range: an energy register reading must be between 0 and {MAX_ENERGY_WH:e} Wh"),
        ));
    }
    Ok(())
}

/// `stored` readings with `added` ones taken in, as storage keeps them: a
/// reading the same as a stored one ([`MeterSample::identity`]) replaces
/// it; the result is ordered by identity (so by measurement time first).
pub fn merge_samples(stored: &[MeterSample], added: &[MeterSample]) -> Vec<MeterSample> {
    let mut merged: Vec<MeterSample> = Vec::with_capacity(stored.len() + added.len());
    for sample in stored.iter().chain(added) {
        match merged.binary_search_by(|kept| kept.identity().cmp(&sample.identity())) {
            Ok(same) => merged[same] = sample.clone(),
            Err(place) => merged.insert(place, sample.clone()),
        }
    }
    merged
}

/// Brings a value to its base unit: scales kilo-prefixed units, applies a
/// power-of-ten `multiplier` (2.0.1), and fixes the 1.6 `Celcius` spelling.
/// A missing unit on an energy measurand is `Wh`, as both versions specify.
pub fn normalize_unit(value: f64, unit: Option<&str>, multiplier: i32, measurand: &str) -> (f64, Option<String>) {
    let scaled = value * 10f64.powi(multiplier);
    let unit = match unit {
        Some(unit) => unit,
        None if measurand.starts_with("Energy.") => "Wh",
        None => return (scaled, None),
    };
    let (factor, base) = match unit {
        "kWh" => (1000.0, "Wh"),
        "kvarh" => (1000.0, "varh"),
        "kW" => (1000.0, "W"),
        "kVA" => (1000.0, "VA"),
        "kvar" => (1000.0, "var"),
        "Celcius" => (1.0, "Celsius"),
        other => (1.0, other),
    };
    (scaled * factor, Some(base.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(measurand: &str, value: f64, unit: Option<&str>) -> MeterSample {
        MeterSample {
            timestamp: Timestamp::from_unix_millis(0),
            measurand: measurand.into(),
            phase: None,
            location: None,
            context: None,
            value: Some(value),
            unit: unit.map(str::to_owned),
            signed_data: None,
        }
    }

    #[test]
    fn units_are_normalised_to_base_units() {
        assert_eq!(normalize_unit(1.5, Some("kWh"), 0, ENERGY_ACTIVE_IMPORT_REGISTER), (1500.0, Some("Wh".into())));
        assert_eq!(normalize_unit(7.2, Some("kW"), 0, "Power.Active.Import"), (7200.0, Some("W".into())));
        assert_eq!(normalize_unit(12.0, Some("Wh"), 3, ENERGY_ACTIVE_IMPORT_REGISTER), (12000.0, Some("Wh".into())));
        assert_eq!(normalize_unit(40.0, None, 0, ENERGY_ACTIVE_IMPORT_REGISTER), (40.0, Some("Wh".into())));
        assert_eq!(normalize_unit(16.0, None, 0, "Current.Import"), (16.0, None));
        assert_eq!(normalize_unit(21.0, Some("Celcius"), 0, "Temperature"), (21.0, Some("Celsius".into())));
    }

    #[test]
    fn sensible_readings_pass_and_absurd_ones_say_which_rule_they_break() {
        let ok = |value: f64, unit: Option<&str>, multiplier: i32, measurand: &str| {
            normalize_reading(value, unit, multiplier, measurand).map(|(v, _)| v)
        };
        assert_eq!(ok(1.5, Some("kWh"), 0, ENERGY_ACTIVE_IMPORT_REGISTER), Ok(1500.0));
        assert_eq!(ok(-7.2, Some("kW"), 0, "Power.Active.Import"), Ok(-7200.0), "power may flow back");
        assert_eq!(ok(-3.0, Some("kWh"), 0, "Energy.Active.Net"), Ok(-3000.0), "net energy is signed");
        assert_eq!(ok(-20.0, Some("Celsius"), 0, "Temperature"), Ok(-20.0));
        assert_eq!(ok(100.0, Some("Percent"), 0, "SoC"), Ok(100.0));
        assert_eq!(ok(1e12, Some("Wh"), 0, ENERGY_ACTIVE_IMPORT_REGISTER), Ok(1e12));

        let rule = |value: f64, unit: Option<&str>, multiplier: i32, measurand: &str| {
            normalize_reading(value, unit, multiplier, measurand).unwrap_err().to_string()
        };
        assert_eq!(
            rule(1e308, Some("Wh"), 0, ENERGY_ACTIVE_IMPORT_REGISTER),
            "Energy.Active.Import.Register (in Wh) 1e308 is out of range: an energy reading must be between 0 and 1e12 Wh"
        );
        assert!(rule(-1.0, None, 0, ENERGY_ACTIVE_IMPORT_REGISTER).contains("between 0 and 1e12 Wh"));
        assert!(rule(-1.0, Some("Wh"), 0, "Energy.Active.Import.Interval").contains("between 0 and 1e12 Wh"));
        assert_eq!(rule(f64::NAN, None, 0, "Current.Import"), "Current.Import NaN is not a finite number");
        assert_eq!(rule(f64::INFINITY, Some("W"), 0, "Power.Active.Import"), "Power.Active.Import (in W) inf is not a finite number");
        assert!(rule(1e300, Some("kWh"), 300, ENERGY_ACTIVE_IMPORT_REGISTER).contains("after unit conversion"));
        assert!(rule(2e12, Some("kW"), 0, "Power.Active.Export").contains("at most 1e12 in magnitude"));
        assert!(rule(-2e12, Some("A"), 0, "Current.Export").contains("at most 1e12 in magnitude"));
        assert!(rule(101.0, Some("Percent"), 0, "SoC").contains("between 0 and 100 %"));
        assert!(rule(1.5, None, 0, "Power.Factor").contains("between -1 and 1"));
        assert_eq!(
            ImplausibleReading::not_a_number("Voltage", "abc").to_string(),
            "Voltage \"abc\" is not a decimal number"
        );
    }

    #[test]
    fn integer_registers_are_between_zero_and_a_terawatt_hour() {
        assert_eq!(check_register_wh("meterStart", 0), Ok(()));
        assert_eq!(check_register_wh("meterStart", 1_000_000_000_000), Ok(()));
        assert_eq!(
            check_register_wh("meterStop", -1).unwrap_err().to_string(),
            "meterStop (in Wh) -1 is out of range: an energy register reading must be between 0 and 1e12 Wh"
        );
        assert!(check_register_wh("meterStop", i64::MAX).is_err());
    }

    #[test]
    fn merged_readings_replace_the_same_reading_and_keep_time_order() {
        let at = |ms: i64, value: f64| MeterSample { timestamp: Timestamp::from_unix_millis(ms), ..sample(ENERGY_ACTIVE_IMPORT_REGISTER, value, Some("Wh")) };
        let stored = vec![at(10, 1.0), at(30, 3.0)];
        let merged = merge_samples(&stored, &[at(20, 2.0), at(30, 3.5), at(5, 0.5)]);
        let values: Vec<_> = merged.iter().map(|s| (s.timestamp.unix_millis(), s.value)).collect();
        assert_eq!(values, vec![(5, Some(0.5)), (10, Some(1.0)), (20, Some(2.0)), (30, Some(3.5))]);
        assert_eq!(merge_samples(&merged, &merged), merged);
    }

    #[test]
    fn only_overall_active_import_registers_count_as_energy() {
        assert_eq!(sample(ENERGY_ACTIVE_IMPORT_REGISTER, 10.0, Some("Wh")).energy_register_wh(), Some(10.0));
        assert_eq!(sample(ENERGY_ACTIVE_IMPORT_REGISTER, 10.0, None).energy_register_wh(), Some(10.0));
        assert_eq!(sample("Power.Active.Import", 10.0, Some("W")).energy_register_wh(), None);
        let mut per_phase = sample(ENERGY_ACTIVE_IMPORT_REGISTER, 10.0, Some("Wh"));
        per_phase.phase = Some("L1".into());
        assert_eq!(per_phase.energy_register_wh(), None);
    }
}
