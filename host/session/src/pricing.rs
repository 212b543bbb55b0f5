//! Tariffs in the session: pricing a transaction when it ends, and telling
//! stations what charging costs while it runs.
//!
//! **Final price.** When a message ends a transaction (a 1.6
//! StopTransaction that stops it, a 2.0.1 TransactionEvent `Ended`), the
//! session looks up the tariff that applies to the station
//! ([`domain::tariff_for`]: station, then its group, then the default),
//! asks the [`Pricer`](domain::Pricer) on tokio's blocking pool (a tariff may
//! run up to its deadline) with the transaction as it will be stored and
//! its readings — the stored ones merged with this message's
//! ([`merge_samples`]), exactly what storage will hold — and stores the
//! [`Pricing`] in the same change set as the ended transaction, before
//! answering. A failing tariff never fails the station's message: the
//! transaction is stored `Unpriced` with the reason. No tariff: no pricing.
//! A 2.0.1 station gets the total in the Ended answer's `totalCost` (major
//! units, the currency's minor-unit digits).
//!
//! **Running cost** (switched by [`Settings::running_cost`]). After a
//! message with new energy register readings of a running transaction (1.6
//! MeterValues, 2.0.1 TransactionEvent `Updated`), at most once per
//! [`Settings::running_cost_interval_secs`] per transaction, the session
//! estimates the cost so far, stores it on the transaction
//! ([`RunningCost`]) and pushes it to the station: 2.0.1 `CostUpdated`;
//! 1.6 the Open Charge Alliance's "OCPP & California Pricing Requirements"
//! convention, a `DataTransfer` to vendor [`COST_VENDOR_ID`] with message
//! `RunningCost`, and `FinalCost` after the stop.
//!
//! Pushes wait in the session until the connection has no CALL outstanding
//! and no operator command queued (operators go first), and go one at a
//! time like any CALL. Their answers are only logged. A station that
//! refuses them — CALLERROR `NotSupported`/`NotImplemented`, or DataTransfer
//! `UnknownVendorId`/`UnknownMessageId` — is not sent another on this
//! connection; nor is one whose reported configuration switches cost
//! display off (1.6 `CustomDisplayCostAndPrice` = false, 2.0.1
//! `TariffCostCtrlr.Enabled[Cost]` = false). Estimates are still kept for
//! such stations.
//!
//! [`Settings::running_cost`]: crate::Settings::running_cost
//! [`Settings::running_cost_interval_secs`]: crate::Settings::running_cost_interval_secs

use std::collections::VecDeque;

use ocpp::{ErrorCode, OcppVersion};
use serde_json::{Map, Value, json};

use domain::meter::{MeterSample, merge_samples};
use domain::{
    Change, Notification, Price, Pricing, RunningCost, StorageError, TariffAssignment, Timestamp, Transaction,
    TransactionState, tariff_for,
};

use crate::commands::{Command, reply_status};
use crate::{Failure, Handled, StationSession};

/// The vendor id of the 1.6 cost messages ("OCPP & California Pricing
/// Requirements", Open Charge Alliance).
pub const COST_VENDOR_ID: &str = "org.openchargealliance.costmsg";

/// A cost message waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Push {
    /// Estimate and send the running cost of this transaction.
    RunningCost(u64),
    /// Send this message as it is (1.6 FinalCost).
    Ready(Command),
}

/// Whether the station takes cost messages on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CostDisplay {
    /// Not known yet: its reported configuration is read at the first push.
    Unknown,
    /// Send.
    Supported,
    /// It refused one, or its configuration says no: send no more.
    Refused,
}

/// The cost pushes of one connection.
#[derive(Debug)]
pub(crate) struct Pushes {
    queue: VecDeque<Push>,
    /// When each running transaction's cost was last estimated.
    estimated_at: Vec<(u64, Timestamp)>,
    display: CostDisplay,
}

impl Pushes {
    pub(crate) fn new() -> Self {
        Pushes { queue: VecDeque::new(), estimated_at: Vec::new(), display: CostDisplay::Unknown }
    }

    fn queue(&mut self, push: Push) {
        if !self.queue.contains(&push) {
            self.queue.push_back(push);
        }
    }
}

impl StationSession {
    /// Prices the transaction `handled` ends, if it ends one and a tariff
    /// applies (see the module docs).
    pub(crate) async fn price_ended(&mut self, mut handled: Handled, now: Timestamp) -> Result<Handled, Failure> {
        let Some(number) = handled.ended else { return Ok(handled) };
        let Some(mut tx) = handled.changes.changes.iter().rev().find_map(|change| match change {
            Change::PutTransaction(tx) if tx.number == number => Some(tx.clone()),
            _ => None,
        }) else {
            return Ok(handled);
        };
        self.pushes.estimated_at.retain(|(n, _)| *n != number);
        let (group, assignment) = self.tariff()?;
        tx.station_group = group;
        if let Some(assignment) = assignment {
            let added: Vec<MeterSample> = handled
                .changes
                .changes
                .iter()
                .filter_map(|change| match change {
                    Change::AddMeterSamples { transaction, samples } if *transaction == number => Some(samples.as_slice()),
                    _ => None,
                })
                .flatten()
                .cloned()
                .collect();
            let samples = merge_samples(&self.storage().meter_samples(number)?, &added);
            let pricing = self.price(assignment, &tx, samples, now).await;
            if let Some(price) = pricing.price() {
                self.tell_station_final(&mut handled, &tx, price);
            }
            tx.pricing = Some(pricing);
        }
        for change in &mut handled.changes.changes {
            if let Change::PutTransaction(stored) = change
                && stored.number == number
            {
                *stored = tx.clone();
            }
        }
        for notification in &mut handled.notifications {
            if let Notification::TransactionEnded(told) = notification
                && told.number == number
            {
                *told = tx.clone();
            }
        }
        Ok(handled)
    }

    /// The station's group and the tariff that applies to it.
    fn tariff(&self) -> Result<(Option<String>, Option<TariffAssignment>), StorageError> {
        let group = self.storage().station(&self.station)?.and_then(|station| station.group);
        let assignments = self.storage().tariff_assignments()?;
        let assignment = tariff_for(&assignments, &self.station, group.as_deref()).cloned();
        Ok((group, assignment))
    }

    /// The final price, computed on the blocking pool.
    async fn price(&self, assignment: TariffAssignment, tx: &Transaction, samples: Vec<MeterSample>, now: Timestamp) -> Pricing {
        let plugin_id = Some(assignment.plugin_id.clone());
        let Some(pricer) = self.csms.pricer() else {
            return Pricing::Unpriced { reason: "no tariff engine is attached to the server".to_owned(), plugin_id, at: now };
        };
        let tx = tx.clone();
        match tokio::task::spawn_blocking(move || pricer.price(&assignment, &tx, &samples, now)).await {
            Ok(pricing) => pricing,
            Err(error) => Pricing::Unpriced { reason: format!("pricing failed: {error}"), plugin_id, at: now },
        }
    }

    /// 2.0.1: `totalCost` in the Ended answer; 1.6: a FinalCost message after it.
    fn tell_station_final(&self, handled: &mut Handled, tx: &Transaction, price: &Price) {
        match self.version {
            OcppVersion::V201 => {
                if let Some(response) = handled.response.as_object_mut() {
                    response.insert("totalCost".to_owned(), json_number(&price.total_decimal()));
                }
            }
            OcppVersion::V16 if self.csms.settings.running_cost => {
                handled.pushes.push(Push::Ready(final_cost(tx, price)));
            }
            OcppVersion::V16 => {}
        }
    }

    /// After a message is stored: queues its cost messages, and the running
    /// cost of the transaction it brought readings for, if due.
    pub(crate) fn queue_pushes(&mut self, pushes: Vec<Push>, running: Option<u64>, now: Timestamp) {
        for push in pushes {
            self.pushes.queue(push);
        }
        let settings = &self.csms.settings;
        let Some(number) = running.filter(|_| settings.running_cost) else { return };
        let interval_ms = i64::from(settings.running_cost_interval_secs) * 1000;
        let estimated = &mut self.pushes.estimated_at;
        match estimated.iter_mut().find(|(n, _)| *n == number) {
            Some((_, at)) if now.millis_since(*at) < interval_ms => return,
            Some((_, at)) => *at = now,
            None => estimated.push((number, now)),
        }
        self.pushes.queue(Push::RunningCost(number));
    }

    /// Whether a cost message waits to be sent.
    pub fn push_pending(&self) -> bool {
        !self.pushes.queue.is_empty()
    }

    /// The next cost message as a CALL to send, if one is due and no CALL is
    /// outstanding. Estimates running costs (on the blocking pool) and
    /// stores them on their transactions. The station's answer is only
    /// logged (see the module docs).
    pub async fn next_push(&mut self, now: Timestamp) -> Option<String> {
        while self.pending.is_none() {
            let push = self.pushes.queue.pop_front()?;
            let command = match push {
                Push::RunningCost(number) => self.running_cost(number, now).await,
                Push::Ready(command) => Some(command),
            };
            let Some(command) = command else { continue };
            if !self.cost_display_supported() {
                continue;
            }
            match self.start_call(&command, true, now) {
                Ok(frame) => return Some(frame),
                Err(error) => tracing::warn!(station = %self.station, %error, "could not write a cost message"),
            }
        }
        None
    }

    /// Estimates transaction `number`'s cost so far, stores it and returns
    /// the message that tells the station, if it is running and a tariff applies.
    async fn running_cost(&mut self, number: u64, now: Timestamp) -> Option<Command> {
        let pricer = self.csms.pricer()?;
        let read = || -> Result<_, StorageError> {
            let Some(tx) = self.storage().transaction(number)?.filter(|tx| tx.state == TransactionState::Active) else {
                return Ok(None);
            };
            let Some(assignment) = self.tariff()?.1 else { return Ok(None) };
            Ok(Some((tx, assignment, self.storage().meter_samples(number)?)))
        };
        let (mut tx, assignment, samples) = match read() {
            Ok(Some(inputs)) => inputs,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(station = %self.station, transaction = number, %error, "could not read a running transaction");
                return None;
            }
        };
        let inputs = (tx.clone(), samples.clone());
        let estimate =
            tokio::task::spawn_blocking(move || pricer.estimate(&assignment, &inputs.0, &inputs.1, now)).await;
        let price = match estimate {
            Ok(Ok((price, _))) => price,
            Ok(Err(reason)) => {
                tracing::info!(station = %self.station, transaction = number, %reason, "no running cost estimate");
                return None;
            }
            Err(error) => {
                tracing::warn!(station = %self.station, transaction = number, %error, "the running cost estimate failed");
                return None;
            }
        };
        tx.running_cost = Some(RunningCost {
            currency: price.currency.clone(),
            minor_digits: price.minor_digits,
            total_minor: price.total_minor,
            at: now,
        });
        tx.updated_at = now;
        match self.write_durably(Change::PutTransaction(tx.clone()).into()).await {
            Ok(()) => self.tell(Notification::TransactionUpdated(tx.clone())),
            Err(error) => tracing::warn!(station = %self.station, transaction = number, %error, "could not store a running cost"),
        }
        Some(match self.version {
            OcppVersion::V201 => Command::Raw {
                action: "CostUpdated".to_owned(),
                payload: json!({ "totalCost": json_number(&price.total_decimal()), "transactionId": tx.station_tx_id }),
            },
            OcppVersion::V16 => running_cost(&tx, &price, &samples, now),
        })
    }

    /// Whether the station takes cost messages (see [`CostDisplay`]).
    fn cost_display_supported(&mut self) -> bool {
        if self.pushes.display == CostDisplay::Unknown {
            let off = |value: Option<&str>| value.is_some_and(|v| v.eq_ignore_ascii_case("false"));
            let switched_off = match self.version {
                OcppVersion::V16 => self.storage().configuration(&self.station).map(|keys| {
                    keys.iter().any(|key| key.key == "CustomDisplayCostAndPrice" && off(key.value.as_deref()))
                }),
                OcppVersion::V201 => self.storage().reported_variables(&self.station).map(|variables| {
                    variables.iter().any(|variable| {
                        let address = &variable.address;
                        address.component == "TariffCostCtrlr"
                            && address.variable == "Enabled"
                            && address.variable_instance.as_deref() == Some("Cost")
                            && variable.attributes.iter().any(|a| a.kind == "Actual" && off(a.value.as_deref()))
                    })
                }),
            };
            self.pushes.display = match switched_off {
                Ok(true) => {
                    tracing::info!(station = %self.station, "the station's configuration switches cost display off");
                    CostDisplay::Refused
                }
                // unknown or readable and not off: try, and learn from the answer
                Ok(false) | Err(_) => CostDisplay::Supported,
            };
        }
        self.pushes.display == CostDisplay::Supported
    }

    /// The station answered a cost message.
    pub(crate) fn push_answered(&mut self, action: &str, payload: &Value) {
        match reply_status(payload).as_deref() {
            Some(status @ ("UnknownVendorId" | "UnknownMessageId")) => {
                tracing::info!(station = %self.station, %action, %status, "the station does not take cost messages; no more on this connection");
                self.pushes.display = CostDisplay::Refused;
            }
            status => tracing::debug!(station = %self.station, %action, ?status, "cost message answered"),
        }
    }

    /// The station refused a cost message with a CALLERROR.
    pub(crate) fn push_refused(&mut self, action: &str, code: ErrorCode, description: &str) {
        if matches!(code, ErrorCode::NotSupported | ErrorCode::NotImplemented) {
            tracing::info!(station = %self.station, %action, ?code, "the station does not take cost messages; no more on this connection");
            self.pushes.display = CostDisplay::Refused;
        } else {
            tracing::info!(station = %self.station, %action, ?code, %description, "a cost message was refused");
        }
    }
}

/// A decimal as a JSON number (OCPP's `decimal`): `"12.34"` → `12.34`.
fn json_number(decimal: &str) -> Value {
    serde_json::from_str::<serde_json::Number>(decimal).map_or(Value::Null, Value::Number)
}

/// The transaction id a 1.6 station knows.
fn v16_transaction_id(tx: &Transaction) -> i64 {
    tx.station_tx_id.parse().unwrap_or_else(|_| i64::try_from(tx.number).unwrap_or(i64::MAX))
}

/// 1.6 `RunningCost`: the cost so far, the meter, whether energy flows, and
/// the unit prices the estimate's lines imply.
fn running_cost(tx: &Transaction, price: &Price, samples: &[MeterSample], now: Timestamp) -> Command {
    let meter = tx.last_register.map(|r| r.wh).or(tx.meter_start_wh).unwrap_or(0.0);
    let data = json!({
        "transactionId": v16_transaction_id(tx),
        "timestamp": ocpp::format_rfc3339_millis(now.unix_millis()),
        "meterValue": meter.round() as i64,
        "cost": json_number(&price.total_decimal()),
        "state": if charging(samples) { "Charging" } else { "Idle" },
        "chargingPrice": unit_prices(price),
    });
    Command::DataTransfer {
        vendor_id: COST_VENDOR_ID.to_owned(),
        message_id: Some("RunningCost".to_owned()),
        data: Some(data),
    }
}

/// 1.6 `FinalCost`: the total and a one-line summary.
fn final_cost(tx: &Transaction, price: &Price) -> Command {
    let data = json!({
        "transactionId": v16_transaction_id(tx),
        "cost": json_number(&price.total_decimal()),
        "priceText": price_text(tx, price),
    });
    Command::DataTransfer {
        vendor_id: COST_VENDOR_ID.to_owned(),
        message_id: Some("FinalCost".to_owned()),
        data: Some(data),
    }
}

/// "12.34 EUR for 23.40 kWh".
fn price_text(tx: &Transaction, price: &Price) -> String {
    let total = format!("{} {}", price.total_decimal(), price.currency);
    match tx.energy_wh() {
        Some(wh) => format!("{total} for {:.2} kWh", wh / 1000.0),
        None => total,
    }
}

/// Whether energy flows: the latest overall power reading is above zero,
/// or, without one, the last two register readings differ.
fn charging(samples: &[MeterSample]) -> bool {
    let latest_power = samples
        .iter()
        .filter(|s| s.measurand == "Power.Active.Import" && s.phase.is_none())
        .max_by_key(|s| s.timestamp)
        .and_then(|s| s.value);
    if let Some(power) = latest_power {
        return power > 0.0;
    }
    let mut registers: Vec<(Timestamp, f64)> =
        samples.iter().filter_map(|s| Some((s.timestamp, s.energy_register_wh()?))).collect();
    registers.sort_by_key(|(at, _)| *at);
    matches!(registers.as_slice(), [.., (_, before), (_, last)] if last > before)
}

/// `chargingPrice`: per kind, the amount over the quantity, in major units
/// — `kWhPrice` (energy lines, per kWh), `hourPrice` (time lines, per hour)
/// and `flatFee` (flat lines) — for the kinds the price has.
fn unit_prices(price: &Price) -> Value {
    let sum = |kind: &str| {
        price.lines.iter().filter(|line| line.kind == kind).fold((0_i128, 0_i128, 0_i128), |(amount, quantity, lines), line| {
            (amount + i128::from(line.amount_minor), quantity + i128::from(line.quantity_milli), lines + 1)
        })
    };
    let mut prices = Map::new();
    // quantities are thousandths of kWh and of minutes
    for (kind, key, milli_per_unit) in [("energy", "kWhPrice", 1_000_i128), ("time", "hourPrice", 60_000)] {
        let (amount, quantity, lines) = sum(kind);
        if lines > 0 && quantity > 0 {
            prices.insert(key.to_owned(), json_number(&unit_rate(amount, quantity, milli_per_unit, lines, price.minor_digits)));
        }
    }
    let (flat, _, lines) = sum("flat");
    if lines > 0 {
        let flat = i64::try_from(flat).unwrap_or(i64::MAX);
        prices.insert("flatFee".to_owned(), json_number(&domain::pricing::decimal(flat, price.minor_digits)));
    }
    Value::Object(prices)
}

/// The rate per unit that `amount` minor units for `quantity_milli`
/// thousandths of a unit imply, in major units: the shortest decimal within
/// the rounding of the `lines` amounts summed (each off by at most half a
/// minor unit), so that 0.64 EUR for 1.833 kWh reads 0.35 per kWh, not
/// 0.3492.
fn unit_rate(amount: i128, quantity_milli: i128, milli_per_unit: i128, lines: i128, minor_digits: u32) -> String {
    // the rate lies in [lo, hi] minor units per unit: (2 amount ∓ lines) · milli_per_unit / (2 quantity)
    let (lo, hi, den) = ((2 * amount - lines) * milli_per_unit, (2 * amount + lines) * milli_per_unit, 2 * quantity_milli);
    let exact = amount * milli_per_unit;
    let digits = i32::try_from(minor_digits).unwrap_or(0);
    // from whole major units to ten-thousandths of a minor unit
    for scale in -digits..=4 {
        // candidates are multiples of 10^-scale minor units: m / s with s = 10^scale
        let (mul, div) = if scale >= 0 { (10_i128.pow(scale.unsigned_abs()), 1) } else { (1, 10_i128.pow(scale.unsigned_abs())) };
        let first = (lo * mul).div_euclid(den * div) + i128::from((lo * mul).rem_euclid(den * div) != 0);
        let last = (hi * mul).div_euclid(den * div);
        if first <= last {
            // the candidate nearest the unrounded quotient
            let nearest = (2 * exact * mul + quantity_milli * div).div_euclid(2 * quantity_milli * div);
            let m = nearest.clamp(first, last);
            let m = i64::try_from(m).unwrap_or(i64::MAX);
            // m is in 10^-scale minor units: (scale + digits) >= 0 fraction digits of a major unit
            return domain::pricing::decimal(m, (scale + digits).unsigned_abs());
        }
    }
    // no decimal that short fits: the quotient itself, in ten-thousandths of a minor unit
    let m = (exact * 10_000).div_euclid(quantity_milli);
    domain::pricing::decimal(i64::try_from(m).unwrap_or(i64::MAX), minor_digits + 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::PriceLine;

    fn line(kind: &str, quantity_milli: i64, amount_minor: i64) -> PriceLine {
        PriceLine {
            kind: kind.into(),
            description: String::new(),
            quantity_milli,
            unit: String::new(),
            amount_minor,
            tax_rate_bp: None,
        }
    }

    fn price(lines: Vec<PriceLine>) -> Price {
        let total_minor = lines.iter().map(|l| l.amount_minor).sum();
        Price { currency: "EUR".into(), minor_digits: 2, total_minor, lines }
    }

    #[test]
    fn unit_prices_come_from_the_lines() {
        // 12.345 kWh for 4.32 EUR; 90 minutes for 1.80 EUR; a 0.50 EUR fee
        let p = price(vec![line("energy", 12_345, 432), line("time", 90_000, 180), line("flat", 1000, 50), line("tax", 0, 10)]);
        assert_eq!(unit_prices(&p), json!({"kWhPrice": 0.35, "hourPrice": 1.2, "flatFee": 0.5}));
        assert_eq!(unit_prices(&price(vec![])), json!({}));
        assert_eq!(unit_prices(&price(vec![line("energy", 0, 0)])), json!({}));
    }

    #[test]
    fn unit_rates_are_the_shortest_decimal_the_rounding_allows() {
        // 0.64 EUR for 1.833 kWh: 0.3492 unrounded, 0.35 within the rounding
        assert_eq!(unit_rate(64, 1_833, 1_000, 1, 2), "0.35");
        // 2 EUR for 1 kWh exactly; 1.2345 EUR/kWh over 100 kWh keeps its digits
        assert_eq!(unit_rate(200, 1_000, 1_000, 1, 2), "2");
        assert_eq!(unit_rate(12_345, 100_000, 1_000, 1, 2), "1.2345");
        // JPY has no minor digits; 30 yen per 1.5 hours
        assert_eq!(unit_rate(30, 90_000, 60_000, 1, 0), "20");
        assert_eq!(unit_rate(0, 5_000, 1_000, 1, 2), "0");
        // a tiny quantity: the rate is barely known, the shortest fitting decimal wins
        assert_eq!(unit_rate(1, 10, 1_000, 1, 2), "1");
    }

    #[test]
    fn decimals_are_json_numbers() {
        assert_eq!(json_number("12.34").to_string(), "12.34");
        assert_eq!(json_number("0.05").to_string(), "0.05");
        assert_eq!(json_number("100").to_string(), "100");
    }

    fn register(at: i64, wh: f64) -> MeterSample {
        MeterSample {
            timestamp: Timestamp::from_unix_millis(at),
            measurand: domain::meter::ENERGY_ACTIVE_IMPORT_REGISTER.into(),
            phase: None,
            location: None,
            context: None,
            value: Some(wh),
            unit: Some("Wh".into()),
            signed_data: None,
        }
    }

    #[test]
    fn energy_flowing_is_charging() {
        assert!(charging(&[register(1, 10.0), register(2, 20.0)]));
        assert!(!charging(&[register(1, 10.0), register(2, 10.0)]));
        assert!(!charging(&[register(1, 10.0)]));
        let power = MeterSample { measurand: "Power.Active.Import".into(), value: Some(0.0), ..register(3, 0.0) };
        assert!(!charging(&[register(1, 10.0), register(2, 20.0), power]));
    }
}
