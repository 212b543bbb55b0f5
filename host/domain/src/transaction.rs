//! Charging transactions: one model for OCPP 1.6 and 2.0.1.
//!
//! A transaction is addressed two ways: by Gridlet's `number` (unique across
//! the network, and the `transactionId` a 1.6 station is given) and by the
//! station's own id for it, `station_tx_id` (2.0.1's `transactionId`; for 1.6
//! the decimal `number`). Messages from stations are matched by station id
//! and `station_tx_id`.
//!
//! Stations replay queued messages after an outage, so every rule here is
//! idempotent: energy is the difference of meter *register* readings (never a
//! sum of deltas), register readings are ordered by their timestamps (not by
//! arrival), and repeating a stop changes nothing. Detecting a replayed 2.0.1
//! event by its `seqNo`, or a replayed 1.6 StartTransaction by its
//! [`StartKey`], is the caller's job, with the help of storage.

use crate::connector::EvseConnector;
use crate::meter::{CONTEXT_TRANSACTION_BEGIN, CONTEXT_TRANSACTION_END, MeterSample};
use crate::pricing::{Pricing, RunningCost};
use crate::station::{ProtocolVersion, StationId};
use crate::time::Timestamp;
use crate::token::{AuthorizationStatus, IdToken, token_key};

/// The stop reason OCPP assumes when a station gives none.
pub const DEFAULT_STOP_REASON: &str = "Local";

/// Whether a transaction is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// Started and not yet ended.
    Active,
    /// Ended; only late meter readings may still arrive.
    Ended,
}

impl TransactionState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionState::Active => "Active",
            TransactionState::Ended => "Ended",
        }
    }
}

/// An energy register reading in Wh, at the instant it was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegisterReading {
    /// When it was measured (station time).
    pub at: Timestamp,
    /// The register's value in Wh.
    pub wh: f64,
}

/// A charging transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// Gridlet's id, unique across the network (a 1.6 station's `transactionId`).
    pub number: u64,
    /// The station it runs on.
    pub station: StationId,
    /// The station's id for it (2.0.1 `transactionId`; for 1.6 the decimal id).
    pub station_tx_id: String,
    /// The OCPP version it was reported in.
    pub protocol: ProtocolVersion,
    /// The connector; [`EvseConnector::STATION`] while unknown.
    pub location: EvseConnector,
    /// The token that started (or authorized) it.
    pub id_token: Option<IdToken>,
    /// The group of that token.
    pub group_id: Option<String>,
    /// What authorizing that token answered when it was first seen.
    pub authorization: Option<AuthorizationStatus>,
    /// When it started (station time); for 2.0.1 the earliest event's time.
    pub started_at: Option<Timestamp>,
    /// The register value the station declared at start (1.6 `meterStart`,
    /// 2.0.1 a `Transaction.Begin` reading).
    pub meter_start_wh: Option<f64>,
    /// When it ended (station time).
    pub ended_at: Option<Timestamp>,
    /// The register value the station declared at stop (1.6 `meterStop`,
    /// 2.0.1 a `Transaction.End` reading).
    pub meter_stop_wh: Option<f64>,
    /// The earliest register reading received.
    pub first_register: Option<RegisterReading>,
    /// The latest register reading received.
    pub last_register: Option<RegisterReading>,
    /// Why it stopped (1.6 `reason`, 2.0.1 `stoppedReason`).
    pub stop_reason: Option<String>,
    /// The token that stopped it, when another than the one that started it or
    /// when the station said so.
    pub stopped_by: Option<IdToken>,
    /// Whether it is still going.
    pub state: TransactionState,
    /// 2.0.1 `chargingState` last reported (`Charging`, `EVConnected`, …).
    pub charging_state: Option<String>,
    /// The reservation it used.
    pub reservation_id: Option<i64>,
    /// 2.0.1 `remoteStartId` when it was started remotely.
    pub remote_start_id: Option<i64>,
    /// 2.0.1: the highest `seqNo` received.
    pub last_seq_no: Option<u64>,
    /// Whether some of its messages were queued while the station was offline.
    pub offline: bool,
    /// When Gridlet created the record.
    pub created_at: Timestamp,
    /// When Gridlet last changed the record.
    pub updated_at: Timestamp,
    /// The station's group (site) when the transaction ended, which its
    /// tariff is told (`site_id`); recorded once, so pricing it again later
    /// sees the same facts.
    pub station_group: Option<String>,
    /// Its price, or why it has none although a tariff applied; `None` while
    /// it runs and when no tariff applied.
    pub pricing: Option<Pricing>,
    /// The latest estimate of its cost while it ran.
    pub running_cost: Option<RunningCost>,
}

/// The facts that identify a 1.6 StartTransaction, so that a replay of it is
/// recognised and answered with the transaction it already created.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StartKey {
    /// The station.
    pub station: StationId,
    /// The 1.6 connector.
    pub location: EvseConnector,
    /// The token's key ([`token_key`]).
    pub token_key: String,
    /// The start time the station reported.
    pub started_at: Timestamp,
    /// The start register value the station reported, in Wh.
    pub meter_start_wh: i64,
}

/// A 1.6 StartTransaction in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub struct V16Start {
    /// The connector.
    pub location: EvseConnector,
    /// The `idTag`.
    pub id_token: IdToken,
    /// `meterStart`, in Wh.
    pub meter_start_wh: i64,
    /// `timestamp`.
    pub started_at: Timestamp,
    /// `reservationId`.
    pub reservation_id: Option<i64>,
}

impl V16Start {
    /// The key a replay of this start would have.
    pub fn key(&self, station: &StationId) -> StartKey {
        StartKey {
            station: station.clone(),
            location: self.location,
            token_key: token_key(&self.id_token.value),
            started_at: self.started_at,
            meter_start_wh: self.meter_start_wh,
        }
    }
}

/// A 1.6 StopTransaction in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub struct V16Stop {
    /// `timestamp`.
    pub ended_at: Timestamp,
    /// `meterStop`, in Wh.
    pub meter_stop_wh: i64,
    /// `reason`; absent means `Local`.
    pub reason: Option<String>,
    /// `idTag`, when the stop was authorized by a token.
    pub id_token: Option<IdToken>,
}

/// What applying a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// The transaction is now ended.
    Stopped,
    /// It had already ended exactly so (a replay): nothing changed.
    AlreadyStopped,
    /// It had already ended differently: the first stop is kept.
    ConflictsWithEarlierStop,
}

/// The kind of a 2.0.1 TransactionEvent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionEventType {
    /// The first event of a transaction.
    Started,
    /// An event in its course.
    Updated,
    /// The last event.
    Ended,
}

impl TransactionEventType {
    /// OCPP's name for the type.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionEventType::Started => "Started",
            TransactionEventType::Updated => "Updated",
            TransactionEventType::Ended => "Ended",
        }
    }

    /// Parses OCPP's name for the type.
    pub fn parse(s: &str) -> Option<Self> {
        [TransactionEventType::Started, TransactionEventType::Updated, TransactionEventType::Ended]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// A 2.0.1 TransactionEvent in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionEvent {
    /// `eventType`.
    pub event_type: TransactionEventType,
    /// `transactionInfo.transactionId`.
    pub station_tx_id: String,
    /// `seqNo`.
    pub seq_no: u64,
    /// `triggerReason` as OCPP names it.
    pub trigger_reason: String,
    /// `timestamp`.
    pub timestamp: Timestamp,
    /// `offline`.
    pub offline: bool,
    /// `evse`, when given.
    pub location: Option<EvseConnector>,
    /// `idToken`, when given.
    pub id_token: Option<IdToken>,
    /// `transactionInfo.chargingState`.
    pub charging_state: Option<String>,
    /// `transactionInfo.stoppedReason`.
    pub stopped_reason: Option<String>,
    /// `reservationId`.
    pub reservation_id: Option<i64>,
    /// `transactionInfo.remoteStartId`.
    pub remote_start_id: Option<i64>,
    /// `meterValue`, flattened and normalised.
    pub samples: Vec<MeterSample>,
}

/// The record of one received 2.0.1 TransactionEvent, kept to recognise
/// replays by `seqNo` and to show the transaction's history.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionEventRecord {
    /// `seqNo`.
    pub seq_no: u64,
    /// `eventType`.
    pub event_type: TransactionEventType,
    /// `triggerReason`.
    pub trigger_reason: String,
    /// `timestamp` (station time).
    pub timestamp: Timestamp,
    /// `offline`.
    pub offline: bool,
    /// When Gridlet received it.
    pub received_at: Timestamp,
}

impl TransactionEventRecord {
    /// The record of `event`, received at `now`.
    pub fn of(event: &TransactionEvent, now: Timestamp) -> Self {
        TransactionEventRecord {
            seq_no: event.seq_no,
            event_type: event.event_type,
            trigger_reason: event.trigger_reason.clone(),
            timestamp: event.timestamp,
            offline: event.offline,
            received_at: now,
        }
    }
}

impl Transaction {
    fn blank(number: u64, station: StationId, station_tx_id: String, protocol: ProtocolVersion, now: Timestamp) -> Self {
        Transaction {
            number,
            station,
            station_tx_id,
            protocol,
            location: EvseConnector::STATION,
            id_token: None,
            group_id: None,
            authorization: None,
            started_at: None,
            meter_start_wh: None,
            ended_at: None,
            meter_stop_wh: None,
            first_register: None,
            last_register: None,
            stop_reason: None,
            stopped_by: None,
            state: TransactionState::Active,
            charging_state: None,
            reservation_id: None,
            remote_start_id: None,
            last_seq_no: None,
            offline: false,
            created_at: now,
            updated_at: now,
            station_group: None,
            pricing: None,
            running_cost: None,
        }
    }

    /// A transaction begun by a 1.6 StartTransaction, numbered `number`.
    pub fn start_v16(
        number: u64,
        station: StationId,
        start: &V16Start,
        authorization: AuthorizationStatus,
        group_id: Option<String>,
        now: Timestamp,
    ) -> Self {
        let mut tx = Transaction::blank(number, station, number.to_string(), ProtocolVersion::Ocpp16, now);
        tx.location = start.location;
        tx.id_token = Some(start.id_token.clone());
        tx.group_id = group_id;
        tx.authorization = Some(authorization);
        tx.started_at = Some(start.started_at);
        tx.meter_start_wh = Some(start.meter_start_wh as f64);
        tx.reservation_id = start.reservation_id;
        tx
    }

    /// A record for a 1.6 transaction id Gridlet never issued (or has lost),
    /// created so that the station's stop and readings are kept. Its connector
    /// and start are unknown.
    pub fn unmatched_v16(number: u64, station: StationId, station_tx_id: String, now: Timestamp) -> Self {
        Transaction::blank(number, station, station_tx_id, ProtocolVersion::Ocpp16, now)
    }

    /// A transaction first heard of through the 2.0.1 event `event`, numbered
    /// `number`. The event itself is applied with [`Transaction::apply_event`].
    pub fn from_v201_event(number: u64, station: StationId, event: &TransactionEvent, now: Timestamp) -> Self {
        Transaction::blank(number, station, event.station_tx_id.clone(), ProtocolVersion::Ocpp201, now)
    }

    /// The replay key of a 1.6 transaction that began with a StartTransaction.
    pub fn start_key(&self) -> Option<StartKey> {
        let (ProtocolVersion::Ocpp16, Some(token), Some(started_at), Some(meter_start)) =
            (self.protocol, &self.id_token, self.started_at, self.meter_start_wh)
        else {
            return None;
        };
        Some(StartKey {
            station: self.station.clone(),
            location: self.location,
            token_key: token_key(&token.value),
            started_at,
            meter_start_wh: meter_start as i64,
        })
    }

    /// Energy delivered so far (or in all, once ended), in Wh: the stop (or
    /// latest) register reading minus the start (or earliest) one.
    pub fn energy_wh(&self) -> Option<f64> {
        let start = self.meter_start_wh.or(self.first_register.map(|r| r.wh))?;
        let end = self.meter_stop_wh.or(self.last_register.map(|r| r.wh))?;
        Some((end - start).max(0.0))
    }

    /// Takes in meter readings that belong to this transaction: register
    /// readings move the earliest/latest readings (by measurement time), and
    /// `Transaction.Begin`/`Transaction.End` readings set the declared start
    /// and stop values. Applying the same readings twice changes nothing.
    pub fn record_samples(&mut self, samples: &[MeterSample], now: Timestamp) {
        for sample in samples {
            let Some(wh) = sample.energy_register_wh() else { continue };
            let reading = RegisterReading { at: sample.timestamp, wh };
            if sample.has_context(CONTEXT_TRANSACTION_BEGIN) && self.meter_start_wh.is_none() {
                self.meter_start_wh = Some(wh);
            }
            if sample.has_context(CONTEXT_TRANSACTION_END) {
                self.meter_stop_wh = Some(wh);
            }
            if self.first_register.is_none_or(|first| reading.at < first.at) {
                self.first_register = Some(reading);
            }
            if self.last_register.is_none_or(|last| reading.at >= last.at) {
                self.last_register = Some(reading);
            }
        }
        if !samples.is_empty() {
            self.updated_at = now;
        }
    }

    /// Ends a 1.6 transaction. A repeated identical stop changes nothing; a
    /// different second stop is refused and the first one kept.
    pub fn stop_v16(&mut self, stop: &V16Stop, now: Timestamp) -> StopOutcome {
        let reason = stop.reason.clone().unwrap_or_else(|| DEFAULT_STOP_REASON.to_owned());
        if self.state == TransactionState::Ended {
            let same = self.ended_at == Some(stop.ended_at)
                && self.meter_stop_wh == Some(stop.meter_stop_wh as f64)
                && self.stop_reason.as_deref() == Some(reason.as_str());
            return if same { StopOutcome::AlreadyStopped } else { StopOutcome::ConflictsWithEarlierStop };
        }
        self.state = TransactionState::Ended;
        self.ended_at = Some(stop.ended_at);
        self.meter_stop_wh = Some(stop.meter_stop_wh as f64);
        self.stop_reason = Some(reason);
        if let Some(token) = &stop.id_token {
            let same_as_start = self.id_token.as_ref().is_some_and(|t| token_key(&t.value) == token_key(&token.value));
            if !same_as_start {
                self.stopped_by = Some(token.clone());
            }
        }
        self.updated_at = now;
        StopOutcome::Stopped
    }

    /// Applies a 2.0.1 event that has not been applied before (the caller
    /// checks `seqNo`). Events may arrive out of order after an outage: the
    /// start time is the earliest event's, and an event after the end only
    /// adds readings.
    pub fn apply_event(&mut self, event: &TransactionEvent, now: Timestamp) {
        if let Some(location) = event.location
            && self.location == EvseConnector::STATION
        {
            self.location = location;
        }
        if let Some(token) = &event.id_token {
            let stops = event.event_type == TransactionEventType::Ended || event.trigger_reason == "StopAuthorized";
            match &self.id_token {
                None if !stops => self.id_token = Some(token.clone()),
                Some(started) if stops && token_key(&started.value) != token_key(&token.value) => {
                    self.stopped_by = Some(token.clone())
                }
                None => self.stopped_by = Some(token.clone()),
                Some(_) => {}
            }
        }
        if self.started_at.is_none_or(|started| event.timestamp < started) {
            self.started_at = Some(event.timestamp);
        }
        if let Some(state) = &event.charging_state {
            self.charging_state = Some(state.clone());
        }
        if event.reservation_id.is_some() {
            self.reservation_id = event.reservation_id;
        }
        if event.remote_start_id.is_some() {
            self.remote_start_id = event.remote_start_id;
        }
        self.offline |= event.offline;
        self.last_seq_no = Some(self.last_seq_no.map_or(event.seq_no, |last| last.max(event.seq_no)));
        self.record_samples(&event.samples, now);
        if event.event_type == TransactionEventType::Ended && self.state == TransactionState::Active {
            self.state = TransactionState::Ended;
            self.ended_at = Some(event.timestamp);
            self.stop_reason =
                Some(event.stopped_reason.clone().unwrap_or_else(|| DEFAULT_STOP_REASON.to_owned()));
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::ENERGY_ACTIVE_IMPORT_REGISTER;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn station() -> StationId {
        StationId::parse("CP1").unwrap()
    }

    fn register(at: i64, wh: f64, context: Option<&str>) -> MeterSample {
        MeterSample {
            timestamp: t(at),
            measurand: ENERGY_ACTIVE_IMPORT_REGISTER.into(),
            phase: None,
            location: None,
            context: context.map(str::to_owned),
            value: Some(wh),
            unit: Some("Wh".into()),
            signed_data: None,
        }
    }

    fn v16_start() -> V16Start {
        V16Start {
            location: EvseConnector::from_v16(1),
            id_token: IdToken::untyped("TAG1"),
            meter_start_wh: 1000,
            started_at: t(10),
            reservation_id: None,
        }
    }

    #[test]
    fn v16_session_energy_is_stop_minus_start() {
        let start = v16_start();
        let mut tx = Transaction::start_v16(7, station(), &start, AuthorizationStatus::Accepted, None, t(11));
        assert_eq!(tx.station_tx_id, "7");
        assert_eq!(tx.start_key(), Some(start.key(&station())));
        tx.record_samples(&[register(20, 1500.0, None)], t(21));
        assert_eq!(tx.energy_wh(), Some(500.0));
        let stop = V16Stop { ended_at: t(30), meter_stop_wh: 2500, reason: None, id_token: None };
        assert_eq!(tx.stop_v16(&stop, t(31)), StopOutcome::Stopped);
        assert_eq!(tx.energy_wh(), Some(1500.0));
        assert_eq!(tx.stop_reason.as_deref(), Some("Local"));
        // a replayed stop changes nothing, a different one is refused
        let before = tx.clone();
        assert_eq!(tx.stop_v16(&stop, t(40)), StopOutcome::AlreadyStopped);
        let other = V16Stop { meter_stop_wh: 9999, ..stop };
        assert_eq!(tx.stop_v16(&other, t(41)), StopOutcome::ConflictsWithEarlierStop);
        assert_eq!(tx, before);
    }

    #[test]
    fn replayed_readings_do_not_count_twice() {
        let mut tx = Transaction::start_v16(1, station(), &v16_start(), AuthorizationStatus::Accepted, None, t(0));
        let readings = [register(20, 1200.0, None), register(30, 1400.0, None)];
        tx.record_samples(&readings, t(31));
        tx.record_samples(&readings, t(32));
        // an older reading arriving late does not move the latest one back
        tx.record_samples(&[register(25, 1300.0, None)], t(33));
        assert_eq!(tx.energy_wh(), Some(400.0));
        assert_eq!(tx.last_register, Some(RegisterReading { at: t(30), wh: 1400.0 }));
    }

    #[test]
    fn stop_by_another_token_is_recorded() {
        let mut tx = Transaction::start_v16(1, station(), &v16_start(), AuthorizationStatus::Accepted, None, t(0));
        let stop = V16Stop { ended_at: t(5), meter_stop_wh: 1000, reason: None, id_token: Some(IdToken::untyped("tag1")) };
        let mut same = tx.clone();
        same.stop_v16(&stop, t(6));
        assert_eq!(same.stopped_by, None, "the starting token, in another case, is not another token");
        let other = V16Stop { id_token: Some(IdToken::untyped("BOSS")), ..stop };
        tx.stop_v16(&other, t(6));
        assert_eq!(tx.stopped_by, Some(IdToken::untyped("BOSS")));
    }

    fn event(seq_no: u64, event_type: TransactionEventType, at: i64, samples: Vec<MeterSample>) -> TransactionEvent {
        TransactionEvent {
            event_type,
            station_tx_id: "tx-1".into(),
            seq_no,
            trigger_reason: "MeterValuePeriodic".into(),
            timestamp: t(at),
            offline: false,
            location: Some(EvseConnector { evse: 1, connector: 1 }),
            id_token: None,
            charging_state: None,
            stopped_reason: None,
            reservation_id: None,
            remote_start_id: None,
            samples,
        }
    }

    #[test]
    fn v201_events_build_the_transaction_in_any_order() {
        let started = TransactionEvent {
            id_token: Some(IdToken::typed("TAG1", crate::token::IdTokenType::Iso14443)),
            trigger_reason: "Authorized".into(),
            ..event(0, TransactionEventType::Started, 100, vec![register(100, 5000.0, Some(CONTEXT_TRANSACTION_BEGIN))])
        };
        let updated = event(1, TransactionEventType::Updated, 200, vec![register(200, 5600.0, None)]);
        let ended = TransactionEvent {
            stopped_reason: Some("EVDisconnected".into()),
            ..event(2, TransactionEventType::Ended, 300, vec![register(300, 6000.0, Some(CONTEXT_TRANSACTION_END))])
        };
        // the Updated event arrives first (e.g. the Started one was lost and replayed later)
        let mut tx = Transaction::from_v201_event(9, station(), &updated, t(1000));
        for e in [&updated, &started, &ended] {
            tx.apply_event(e, t(1000));
        }
        assert_eq!(tx.started_at, Some(t(100)));
        assert_eq!(tx.location, EvseConnector { evse: 1, connector: 1 });
        assert_eq!(tx.id_token.as_ref().map(|t| t.value.as_str()), Some("TAG1"));
        assert_eq!(tx.state, TransactionState::Ended);
        assert_eq!(tx.ended_at, Some(t(300)));
        assert_eq!(tx.stop_reason.as_deref(), Some("EVDisconnected"));
        assert_eq!(tx.energy_wh(), Some(1000.0));
        assert_eq!(tx.last_seq_no, Some(2));
        // a late reading after the end keeps the transaction ended and its energy
        tx.apply_event(&event(3, TransactionEventType::Updated, 250, vec![register(250, 5800.0, None)]), t(1001));
        assert_eq!(tx.state, TransactionState::Ended);
        assert_eq!(tx.energy_wh(), Some(1000.0));
    }

    #[test]
    fn v201_energy_falls_back_to_register_readings() {
        let mut tx = Transaction::from_v201_event(1, station(), &event(0, TransactionEventType::Started, 0, vec![]), t(0));
        tx.apply_event(&event(0, TransactionEventType::Started, 0, vec![register(0, 100.0, None)]), t(0));
        tx.apply_event(&event(1, TransactionEventType::Updated, 10, vec![register(10, 350.0, None)]), t(0));
        assert_eq!(tx.energy_wh(), Some(250.0));
        assert_eq!(tx.stop_reason, None);
    }
}
