//! What a tariff is told about a transaction: [`session_facts`] builds the
//! plugin ABI's [`SessionFacts`] from a stored [`Transaction`] and its
//! stored meter readings.
//!
//! The facts are a pure function of the transaction record, the readings
//! and the billing currency — no clock, no current configuration (the
//! station's group is the one recorded on the transaction when it ended) —
//! and the readings are put in one canonical order whatever order they come
//! in. So pricing the same stored transaction again gives the tariff the
//! same input, and a deterministic tariff the same price.
//!
//! Mapping:
//!
//! | fact | from |
//! |---|---|
//! | `session_id` | the transaction's number, in decimal |
//! | `station_id` | its station |
//! | `site_id` | the station's group recorded on it |
//! | `evse_id`, `connector_id` | 2.0.1: EVSE and connector; 1.6: the connector; none while unknown |
//! | `id_token`, `token_group` | the token that started it and its group |
//! | `started_at_ms` | its start, else its first register reading, else its end, else when Gridlet created it |
//! | `ended_at_ms` | its end, once ended |
//! | `meter_start_wh` | the declared start register, else the first reading, else the stop value (rounded to Wh) |
//! | `meter_stop_wh` | once ended: the declared stop register, else the latest reading, else the start |
//! | `samples` | every reading with a finite number, by (time, measurand, phase, location, context) |
//! | `currency` | the assignment's |
//!
//! Readings map to measurands as the domain reads them: only an overall
//! active-import register (no phase, Wh) is `energy-import-register`;
//! `Power.Active.Import` is `power-import`, `Current.Import`
//! `current-import`, `Voltage` `voltage`, `SoC` `state-of-charge`; anything
//! else (per-phase registers included) is `other` with its OCPP name.

use domain::meter::MeterSample;
use domain::{EvseConnector, ProtocolVersion, Transaction, TransactionState};
use plugin_host::{Currency, Measurand, SessionFacts};

/// The facts of `tx` with its `samples`, billed in `currency` (an ISO 4217
/// code; an invalid one is reported).
pub fn session_facts(tx: &Transaction, samples: &[MeterSample], currency: &str) -> Result<SessionFacts, String> {
    let currency = Currency::new(currency).map_err(|e| format!("the tariff assignment's {e}"))?;
    let start = tx.meter_start_wh.or(tx.first_register.map(|r| r.wh));
    let end = tx.meter_stop_wh.or(tx.last_register.map(|r| r.wh));
    let ended = tx.state == TransactionState::Ended;
    let (evse_id, connector_id) = location(tx.protocol, tx.location);
    let started_at = tx
        .started_at
        .or(tx.first_register.map(|r| r.at))
        .or(tx.ended_at)
        .unwrap_or(tx.created_at);
    let mut ordered: Vec<&MeterSample> = samples.iter().collect();
    ordered.sort_by(|a, b| a.identity().cmp(&b.identity()));
    Ok(SessionFacts {
        session_id: tx.number.to_string(),
        station_id: tx.station.to_string(),
        site_id: tx.station_group.clone(),
        evse_id,
        connector_id,
        id_token: tx.id_token.as_ref().map(|token| token.value.clone()),
        token_group: tx.group_id.clone(),
        started_at_ms: started_at.unix_millis(),
        ended_at_ms: if ended { tx.ended_at.map(|at| at.unix_millis()) } else { None },
        charging_ended_at_ms: None,
        meter_start_wh: wh(start.or(end)),
        meter_stop_wh: ended.then(|| wh(end.or(start))),
        samples: ordered.into_iter().filter_map(sample).collect(),
        currency: Some(currency),
    })
}

/// A register value in whole Wh (half away from zero; nothing is 0).
fn wh(value: Option<f64>) -> i64 {
    // `as` saturates, and a NaN becomes 0
    value.map_or(0, |wh| wh.round() as i64)
}

/// EVSE and connector as the facts name them.
fn location(protocol: ProtocolVersion, location: EvseConnector) -> (Option<u32>, Option<u32>) {
    if location == EvseConnector::STATION {
        return (None, None);
    }
    match protocol {
        // a 1.6 connector N is EVSE N, connector 1
        ProtocolVersion::Ocpp16 => (None, Some(location.evse)),
        ProtocolVersion::Ocpp201 => (Some(location.evse), (location.connector != 0).then_some(location.connector)),
    }
}

fn sample(sample: &MeterSample) -> Option<plugin_host::MeterSample> {
    let value = sample.value.filter(|v| v.is_finite())?;
    let measurand = if sample.energy_register_wh().is_some() {
        Measurand::EnergyImportRegister
    } else {
        match sample.measurand.as_str() {
            "Power.Active.Import" => Measurand::PowerImport,
            "Current.Import" => Measurand::CurrentImport,
            "Voltage" => Measurand::Voltage,
            "SoC" => Measurand::StateOfCharge,
            other => Measurand::Other(other.to_owned()),
        }
    };
    Some(plugin_host::MeterSample {
        timestamp_ms: sample.timestamp.unix_millis(),
        measurand,
        phase: sample.phase.clone(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::meter::{CONTEXT_TRANSACTION_BEGIN, ENERGY_ACTIVE_IMPORT_REGISTER};
    use domain::transaction::{TransactionEvent, TransactionEventType};
    use domain::{IdToken, IdTokenType, StationId, Timestamp};

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn reading(at: i64, measurand: &str, phase: Option<&str>, value: f64, context: Option<&str>) -> MeterSample {
        MeterSample {
            timestamp: t(at),
            measurand: measurand.into(),
            phase: phase.map(str::to_owned),
            location: None,
            context: context.map(str::to_owned),
            value: Some(value),
            unit: None,
            signed_data: None,
        }
    }

    fn ended_v201() -> (Transaction, Vec<MeterSample>) {
        let samples = vec![
            reading(1_000, ENERGY_ACTIVE_IMPORT_REGISTER, None, 5_000.0, Some(CONTEXT_TRANSACTION_BEGIN)),
            reading(61_000, "Power.Active.Import", None, 11_000.0, None),
            reading(61_000, ENERGY_ACTIVE_IMPORT_REGISTER, None, 5_183.4, None),
            reading(61_000, ENERGY_ACTIVE_IMPORT_REGISTER, Some("L1"), 1_700.0, None),
            reading(61_000, "Temperature", None, f64::NAN, None),
        ];
        let event = |seq_no, event_type, at, samples: Vec<MeterSample>| TransactionEvent {
            event_type,
            station_tx_id: "abc".into(),
            seq_no,
            trigger_reason: "Authorized".into(),
            timestamp: t(at),
            offline: false,
            location: Some(EvseConnector { evse: 2, connector: 1 }),
            id_token: Some(IdToken::typed("TAG", IdTokenType::Iso14443)),
            charging_state: None,
            stopped_reason: None,
            reservation_id: None,
            remote_start_id: None,
            samples,
        };
        let station = StationId::parse("CP1").unwrap();
        let started = event(0, TransactionEventType::Started, 1_000, samples[..1].to_vec());
        let mut tx = Transaction::from_v201_event(9, station, &started, t(1_001));
        tx.apply_event(&started, t(1_001));
        tx.apply_event(&event(1, TransactionEventType::Updated, 61_000, samples[1..].to_vec()), t(61_001));
        tx.apply_event(&event(2, TransactionEventType::Ended, 90_000, vec![]), t(90_001));
        tx.group_id = Some("fleet".into());
        tx.station_group = Some("north".into());
        (tx, samples)
    }

    #[test]
    fn facts_come_from_the_stored_transaction_and_readings() {
        let (tx, samples) = ended_v201();
        let facts = session_facts(&tx, &samples, "EUR").unwrap();
        assert_eq!(facts.session_id, "9");
        assert_eq!(facts.site_id.as_deref(), Some("north"));
        assert_eq!((facts.evse_id, facts.connector_id), (Some(2), Some(1)));
        assert_eq!(facts.id_token.as_deref(), Some("TAG"));
        assert_eq!(facts.token_group.as_deref(), Some("fleet"));
        assert_eq!((facts.started_at_ms, facts.ended_at_ms), (1_000, Some(90_000)));
        // no stop value declared: the latest overall register, rounded
        assert_eq!((facts.meter_start_wh, facts.meter_stop_wh), (5_000, Some(5_183)));
        let measurands: Vec<_> = facts.samples.iter().map(|s| s.measurand.clone()).collect();
        assert_eq!(
            measurands,
            [
                Measurand::EnergyImportRegister,
                Measurand::EnergyImportRegister,
                Measurand::Other(ENERGY_ACTIVE_IMPORT_REGISTER.into()),
                Measurand::PowerImport,
            ],
            "time order, then measurand and phase; the NaN is left out"
        );
        assert_eq!(facts.energy_wh(), 183);
        assert_eq!(facts.currency.map(|c| c.code().to_owned()).as_deref(), Some("EUR"));
    }

    #[test]
    fn the_same_inputs_in_any_order_give_the_same_facts() {
        let (tx, samples) = ended_v201();
        let reversed: Vec<_> = samples.iter().rev().cloned().collect();
        assert_eq!(session_facts(&tx, &samples, "EUR"), session_facts(&tx, &reversed, "EUR"));
    }

    #[test]
    fn a_running_transaction_has_no_end_and_a_bad_currency_is_reported() {
        let (mut tx, samples) = ended_v201();
        tx.state = TransactionState::Active;
        let facts = session_facts(&tx, &samples, "EUR").unwrap();
        assert_eq!((facts.ended_at_ms, facts.meter_stop_wh), (None, None));
        let error = session_facts(&tx, &samples, "euro").unwrap_err();
        assert!(error.contains("euro"), "{error}");
    }

    #[test]
    fn a_v16_connector_is_the_facts_connector() {
        assert_eq!(location(ProtocolVersion::Ocpp16, EvseConnector::from_v16(2)), (None, Some(2)));
        assert_eq!(location(ProtocolVersion::Ocpp201, EvseConnector::STATION), (None, None));
    }
}
