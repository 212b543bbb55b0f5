//! `tou-tariff`: time-of-use energy prices, a session fee, an idle fee after
//! a grace period, a price cap and an optional tax.
//!
//! Energy is split between the day's windows by the meter samples: the
//! energy between two consecutive readings is shared among the windows
//! those readings span, in proportion to time. Windows are given in the
//! site's local time as a fixed offset from UTC (`utc_offset_minutes`);
//! daylight-saving changes need a new config (or a later version of this
//! tariff that takes a zone name).
//!
//! ```json
//! {
//!   "currency": "EUR", "utc_offset_minutes": 60,
//!   "default_energy_per_kwh": "0.30",
//!   "windows": [{ "name": "peak", "start": "17:00", "end": "21:00", "energy_per_kwh": "0.45" },
//!               { "name": "night", "start": "23:00", "end": "06:00", "energy_per_kwh": "0.20" }],
//!   "session_fee": "0.50",
//!   "idle_per_minute": "0.10", "idle_grace_minutes": 30, "idle_fee_max": "15.00",
//!   "price_cap": "40.00", "tax_rate_bp": 1900
//! }
//! ```

use gridlet_sdk::prelude::*;
use serde::Deserialize;

const MINUTE_MS: i64 = 60_000;
const DAY_MINUTES: i64 = 24 * 60;

/// A daily time window with its own energy price.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    /// Shown on the line item, e.g. "peak".
    pub name: String,
    /// Local start time, "HH:MM".
    pub start: String,
    /// Local end time, "HH:MM" (exclusive); before `start` to wrap midnight.
    pub end: String,
    /// Price per kWh inside the window.
    pub energy_per_kwh: Rate,
}

/// The operator's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The currency prices are in.
    pub currency: Currency,
    /// The site's offset from UTC in minutes (60 for CET).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Price per kWh outside every window.
    pub default_energy_per_kwh: Rate,
    /// Daily windows with their own price; they must not overlap.
    #[serde(default)]
    pub windows: Vec<WindowConfig>,
    /// A flat fee per session.
    #[serde(default)]
    pub session_fee: Rate,
    /// Price per minute the vehicle stays plugged in after charging ended
    /// and the grace period ran out.
    #[serde(default)]
    pub idle_per_minute: Rate,
    /// Minutes of free idling after charging ended.
    #[serde(default)]
    pub idle_grace_minutes: u32,
    /// The most the idle fee can reach, if set.
    #[serde(default)]
    pub idle_fee_max: Option<Rate>,
    /// The most a session can cost before tax, if set.
    #[serde(default)]
    pub price_cap: Option<Rate>,
    /// Tax on the capped price, in basis points.
    #[serde(default)]
    pub tax_rate_bp: Option<u32>,
}

/// A window in minutes of the local day.
#[derive(Debug, Clone)]
struct Window {
    name: String,
    start_minute: i64,
    end_minute: i64,
    rate: Rate,
}

impl Window {
    /// Whether a local minute of the day falls inside the window.
    fn contains(&self, minute: i64) -> bool {
        if self.start_minute < self.end_minute {
            (self.start_minute..self.end_minute).contains(&minute)
        } else {
            minute >= self.start_minute || minute < self.end_minute
        }
    }
}

/// The tariff, built from its config.
#[derive(Debug, Clone)]
pub struct TouTariff {
    config: Config,
    windows: Vec<Window>,
}

fn parse_hhmm(text: &str) -> Result<i64, PluginError> {
    let bad = || PluginError::invalid_config(format!("time {text:?} is not HH:MM"));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl TouTariff {
    /// The window index (or `None` for the default price) at `at_ms`, and
    /// when that stops being true.
    fn segment_at(&self, at_ms: i64) -> (Option<usize>, i64) {
        let offset_ms = i64::from(self.config.utc_offset_minutes) * MINUTE_MS;
        let local_ms = at_ms + offset_ms;
        let minute_of_day = local_ms.div_euclid(MINUTE_MS).rem_euclid(DAY_MINUTES);
        let window = self.windows.iter().position(|w| w.contains(minute_of_day));
        // The next boundary is the nearest window start or end after now.
        let next_minute_start = (local_ms.div_euclid(MINUTE_MS) + 1) * MINUTE_MS - offset_ms;
        let mut next_boundary = i64::MAX;
        for w in &self.windows {
            for boundary in [w.start_minute, w.end_minute] {
                let ahead = (boundary - minute_of_day).rem_euclid(DAY_MINUTES);
                let ahead = if ahead == 0 { DAY_MINUTES } else { ahead };
                let at = next_minute_start + (ahead - 1) * MINUTE_MS;
                next_boundary = next_boundary.min(at);
            }
        }
        (window, next_boundary)
    }

    /// Shares `delta_wh` delivered between `from` and `to` among windows,
    /// adding thousandths of a Wh to `per_window` (index `windows.len()` is
    /// the default price).
    fn share_energy(&self, from: i64, to: i64, delta_wh: i64, per_window: &mut [i128]) {
        if to <= from {
            if let Some(slot) =
                per_window.get_mut(self.segment_at(from).0.unwrap_or(self.windows.len()))
            {
                *slot += i128::from(delta_wh) * 1000;
            }
            return;
        }
        let span = i128::from(to - from);
        let mut t = from;
        while t < to {
            let (window, boundary) = self.segment_at(t);
            let end = boundary.min(to);
            let share = i128::from(delta_wh) * 1000 * i128::from(end - t) / span;
            if let Some(slot) = per_window.get_mut(window.unwrap_or(self.windows.len())) {
                *slot += share;
            }
            t = end;
        }
    }
}

impl Tariff for TouTariff {
    type Config = Config;

    fn new(config: Config) -> Result<Self, PluginError> {
        let negative = |r: &Rate| r.micros() < 0;
        if negative(&config.default_energy_per_kwh)
            || negative(&config.session_fee)
            || negative(&config.idle_per_minute)
            || config.idle_fee_max.as_ref().is_some_and(negative)
            || config.price_cap.as_ref().is_some_and(negative)
            || config.windows.iter().any(|w| negative(&w.energy_per_kwh))
        {
            return Err(PluginError::invalid_config("prices must not be negative"));
        }
        if config.utc_offset_minutes.abs() > 14 * 60 {
            return Err(PluginError::invalid_config(
                "utc_offset_minutes beyond ±14 h",
            ));
        }
        if config.tax_rate_bp.is_some_and(|bp| bp > 10_000) {
            return Err(PluginError::invalid_config("tax rate above 100 %"));
        }
        if let Some(cap) = config.price_cap
            && cap < config.session_fee
        {
            return Err(PluginError::invalid_config(
                "price cap is below the session fee",
            ));
        }
        let mut windows = Vec::with_capacity(config.windows.len());
        for w in &config.windows {
            let start_minute = parse_hhmm(&w.start)?;
            let end_minute = parse_hhmm(&w.end)?;
            if start_minute == end_minute {
                return Err(PluginError::invalid_config(format!(
                    "window {:?} is empty (start == end)",
                    w.name
                )));
            }
            windows.push(Window {
                name: w.name.clone(),
                start_minute,
                end_minute,
                rate: w.energy_per_kwh,
            });
        }
        // Two circular half-open windows overlap exactly when one contains
        // the other's start.
        for (i, a) in windows.iter().enumerate() {
            for b in &windows[i + 1..] {
                let at = if a.contains(b.start_minute) {
                    Some(b.start_minute)
                } else if b.contains(a.start_minute) {
                    Some(a.start_minute)
                } else {
                    None
                };
                if let Some(minute) = at {
                    return Err(PluginError::invalid_config(format!(
                        "windows {:?} and {:?} overlap at {:02}:{:02}",
                        a.name,
                        b.name,
                        minute / 60,
                        minute % 60
                    )));
                }
            }
        }
        Ok(Self { config, windows })
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
        if ended < session.started_at_ms {
            return Err(PluginError::invalid_input("session ends before it starts"));
        }
        let rounding = Rounding::HalfAwayFromZero;
        let mut price = PriceBuilder::new(currency);

        // Energy readings over time: start, samples in the session, stop.
        let meter_stop = session.latest_meter_wh();
        let mut readings: Vec<(i64, i64)> = vec![(session.started_at_ms, session.meter_start_wh)];
        for s in &session.samples {
            if s.measurand == Measurand::EnergyImportRegister
                && s.value.is_finite()
                && s.timestamp_ms > session.started_at_ms
                && s.timestamp_ms < ended
            {
                readings.push((s.timestamp_ms, s.value.round() as i64));
            }
        }
        readings.push((ended, meter_stop));
        readings.sort_by_key(|r| r.0);

        let mut per_window_mwh = vec![0i128; self.windows.len() + 1];
        for pair in readings.windows(2) {
            let [(t0, e0), (t1, e1)] = [pair[0], pair[1]];
            let delta = (e1 - e0).max(0);
            if delta > 0 {
                self.share_energy(t0, t1, delta, &mut per_window_mwh);
            }
        }
        // Whole Wh per window; the rounding remainder goes to the last
        // window that got energy so the lines add up to what was delivered.
        let total_wh = (meter_stop - session.meter_start_wh).max(0);
        let mut per_window_wh: Vec<i64> = per_window_mwh
            .iter()
            .map(|mwh| i64::try_from(mwh / 1000).unwrap_or(0))
            .collect();
        let assigned: i64 = per_window_wh.iter().sum();
        if let Some(last) = per_window_mwh.iter().rposition(|m| *m > 0) {
            per_window_wh[last] += total_wh - assigned;
        }
        for (index, wh) in per_window_wh.iter().enumerate() {
            if *wh <= 0 {
                continue;
            }
            let (name, rate) = match self.windows.get(index) {
                Some(w) => (w.name.as_str(), w.rate),
                None => ("standard", self.config.default_energy_per_kwh),
            };
            let amount = rate.amount(*wh, currency, rounding)?;
            price.line(LineItem::new(
                LineKind::Energy,
                format!("Energy, {name}, at {rate} {currency}/kWh"),
                *wh,
                "kWh",
                amount.amount_minor,
            ));
        }

        if !self.config.session_fee.is_zero() {
            let fee = self.config.session_fee.amount(1000, currency, rounding)?;
            price.line(LineItem::new(
                LineKind::Flat,
                "Session fee",
                1000,
                "session",
                fee.amount_minor,
            ));
        }

        if !self.config.idle_per_minute.is_zero()
            && let Some(charging_ended) = session.charging_ended_or_inferred()
        {
            let idle_from = charging_ended + i64::from(self.config.idle_grace_minutes) * MINUTE_MS;
            let idle_ms = (ended - idle_from).max(0);
            if idle_ms > 0 {
                let minutes_milli = idle_ms / 60;
                let mut fee =
                    self.config
                        .idle_per_minute
                        .amount(minutes_milli, currency, rounding)?;
                if let Some(max) = self.config.idle_fee_max {
                    fee = fee.min(max.amount(1000, currency, rounding)?)?;
                }
                price.line(LineItem::new(
                    LineKind::Idle,
                    format!(
                        "Idle after {} free minutes, at {} {currency}/min",
                        self.config.idle_grace_minutes, self.config.idle_per_minute
                    ),
                    minutes_milli,
                    "min",
                    fee.amount_minor,
                ));
            }
        }

        if let Some(cap) = self.config.price_cap {
            let cap = cap.amount(1000, currency, rounding)?;
            price.cap(cap, format!("Price cap {cap}"))?;
        }
        if let Some(bp) = self.config.tax_rate_bp {
            price.tax_at(bp, rounding)?;
        }
        Ok(price.build()?)
    }
}

gridlet_sdk::register_tariff!(TouTariff);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        serde_json::from_str(
            r#"{
                "currency": "EUR", "utc_offset_minutes": 0,
                "default_energy_per_kwh": "0.30",
                "windows": [{ "name": "peak", "start": "17:00", "end": "21:00", "energy_per_kwh": "0.50" },
                            { "name": "night", "start": "23:00", "end": "06:00", "energy_per_kwh": "0.20" }],
                "session_fee": "0.50",
                "idle_per_minute": "0.10", "idle_grace_minutes": 30, "idle_fee_max": "5.00",
                "price_cap": "40.00"
            }"#,
        )
        .unwrap()
    }

    const H: i64 = 3_600_000;

    #[test]
    fn energy_is_split_across_windows_by_time() {
        let tariff = TouTariff::new(config()).unwrap();
        // 16:00 to 18:00 UTC, 10 kWh evenly: 5 kWh standard, 5 kWh peak.
        let facts = SessionFacts {
            started_at_ms: 16 * H,
            ended_at_ms: Some(18 * H),
            charging_ended_at_ms: Some(18 * H),
            meter_start_wh: 0,
            meter_stop_wh: Some(10_000),
            ..Default::default()
        };
        let price = tariff.price(&facts).unwrap();
        price.check().unwrap();
        let energy: Vec<(i64, i64)> = price
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Energy)
            .map(|l| (l.quantity_milli, l.amount_minor))
            .collect();
        assert_eq!(energy, vec![(5_000, 250), (5_000, 150)]);
        assert_eq!(price.total_minor, 250 + 150 + 50);
    }

    #[test]
    fn night_window_wraps_midnight_and_idle_fee_is_capped() {
        let tariff = TouTariff::new(config()).unwrap();
        // 22:00 to 02:00 next day; charging stops at 23:00; idle from 23:30.
        let facts = SessionFacts {
            started_at_ms: 22 * H,
            ended_at_ms: Some(26 * H),
            charging_ended_at_ms: Some(23 * H),
            meter_start_wh: 0,
            meter_stop_wh: Some(4_000),
            samples: vec![MeterSample {
                timestamp_ms: 23 * H,
                measurand: Measurand::EnergyImportRegister,
                phase: None,
                value: 4_000.0,
            }],
            ..Default::default()
        };
        let price = tariff.price(&facts).unwrap();
        price.check().unwrap();
        let idle = price
            .lines
            .iter()
            .find(|l| l.kind == LineKind::Idle)
            .unwrap();
        // 150 idle minutes at 0.10 = 15.00, capped at 5.00.
        assert_eq!(idle.amount_minor, 500);
        assert_eq!(idle.quantity_milli, 150_000);
        // All 4 kWh were delivered 22:00-23:00: standard price.
        let energy = price
            .lines
            .iter()
            .find(|l| l.kind == LineKind::Energy)
            .unwrap();
        assert_eq!((energy.quantity_milli, energy.amount_minor), (4_000, 120));
    }

    #[test]
    fn price_cap_applies() {
        let tariff = TouTariff::new(config()).unwrap();
        let facts = SessionFacts {
            started_at_ms: 17 * H,
            ended_at_ms: Some(20 * H),
            meter_start_wh: 0,
            meter_stop_wh: Some(100_000),
            ..Default::default()
        };
        let price = tariff.price(&facts).unwrap();
        price.check().unwrap();
        assert_eq!(price.total_minor, 4_000);
        assert!(
            price
                .lines
                .iter()
                .any(|l| l.kind == LineKind::Cap && l.amount_minor == -1_050)
        );
    }

    #[test]
    fn overlapping_windows_are_rejected() {
        let mut c = config();
        c.windows[1].start = "20:00".into();
        let err = TouTariff::new(c).unwrap_err();
        assert!(err.message.contains("overlap"), "{err}");
    }
}
