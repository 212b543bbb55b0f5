//! Meter readings: one sampled value of one measurand at one instant.
//!
//! Values are kept in base units: kilo-prefixed units are scaled (`kWh` to
//! `Wh`, `kW` to `W`, …) and 2.0.1's power-of-ten `multiplier` is applied, so
//! readings from different stations compare directly.

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
