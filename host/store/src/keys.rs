//! Keys: one ordered binary encoding for every table, so that sled's byte
//! order is the order the [`Storage`](domain::Storage) trait promises.
//!
//! Every key starts with a table tag byte ([`table`]) followed by the key's
//! parts, each encoded so that comparing the bytes compares the parts in turn:
//!
//! - text: its bytes with `00` escaped as `00 FF`, then the terminator `00 01`.
//!   Station ids and token keys never hold `00`, but station-sent text (a
//!   measurand, a 2.0.1 transaction id) might, and the escape keeps every key
//!   unambiguous. The terminator makes a text's encoding prefix-free, so
//!   `"AB"` sorts before `"ABC"` and a prefix scan over one station never
//!   reaches another.
//! - optional text: `00` for none, `01` and the text for some (none first).
//! - `u32`, `u64`: big-endian. Optional `u32`: `00`, or `01` and the value.
//! - `i64` (times, register values, reservation ids): big-endian with the
//!   sign bit flipped, so negative values sort before positive ones.
//!
//! The crate docs list each table's key.

use domain::connector::EvseConnector;
use domain::device_model::VariableAddress;
use domain::pricing::TariffScope;
use domain::event::StationEventKind;
use domain::station::StationId;
use domain::time::Timestamp;
use domain::token::token_key;
use domain::transaction::{StartKey, Transaction};

/// The tag byte every key starts with. The numbers are part of the on-disk
/// format: never reuse or renumber one.
pub(crate) mod table {
    /// Store metadata: the format version and the counters' reservations.
    pub(crate) const META: u8 = 0x00;
    /// Stations by id.
    pub(crate) const STATION: u8 = 0x01;
    /// When each station was last heard from.
    pub(crate) const LAST_SEEN: u8 = 0x02;
    /// The current status of each connector.
    pub(crate) const CONNECTOR_STATUS: u8 = 0x03;
    /// Every status report, per station, in arrival order.
    pub(crate) const STATUS_HISTORY: u8 = 0x04;
    /// ID tokens by key.
    pub(crate) const ID_TOKEN: u8 = 0x05;
    /// Transactions by number.
    pub(crate) const TRANSACTION: u8 = 0x06;
    /// Index: (station, station's transaction id) → number.
    pub(crate) const TX_BY_STATION_TX_ID: u8 = 0x07;
    /// Index: 1.6 start key → number.
    pub(crate) const TX_BY_START: u8 = 0x08;
    /// Index: (token key, number) for each active transaction with a token.
    pub(crate) const ACTIVE_TX_BY_TOKEN: u8 = 0x09;
    /// Meter readings of transactions.
    pub(crate) const METER_SAMPLE: u8 = 0x0A;
    /// Meter readings of EVSEs outside transactions.
    pub(crate) const EVSE_SAMPLE: u8 = 0x0B;
    /// Received 2.0.1 TransactionEvents.
    pub(crate) const TX_EVENT: u8 = 0x0C;
    /// Each station's log, in arrival order.
    pub(crate) const STATION_EVENT: u8 = 0x0D;
    /// Reported device-model variables.
    pub(crate) const REPORTED_VARIABLE: u8 = 0x0E;
    /// Index: (station, number) for every transaction (format 2).
    pub(crate) const TX_BY_STATION: u8 = 0x0F;
    /// Index: (token key, number) for every transaction with a token (format 2).
    pub(crate) const TX_BY_TOKEN: u8 = 0x10;
    /// Index: (station, connector, sequence) for every status report (format 2).
    pub(crate) const STATUS_BY_CONNECTOR: u8 = 0x11;
    /// Index: (station, sequence) of the connection entries of each station's
    /// log: `Connected`, `Disconnected`, `WentOffline` (format 2).
    pub(crate) const CONNECTION_EVENT: u8 = 0x12;
    /// 1.6 configuration keys, per station (format 2).
    pub(crate) const CONFIGURATION: u8 = 0x13;
    /// Reservations by id (format 2).
    pub(crate) const RESERVATION: u8 = 0x14;
    /// Index: (station, reservation id) (format 2).
    pub(crate) const RESERVATION_BY_STATION: u8 = 0x15;
    /// API keys by id (format 2).
    pub(crate) const API_KEY: u8 = 0x16;
    /// Tariff assignments by scope (format 3).
    pub(crate) const TARIFF_ASSIGNMENT: u8 = 0x17;
}

/// Names of the keys in the [`table::META`] table.
pub(crate) mod meta {
    /// The on-disk format version, a big-endian `u32`.
    pub(crate) const FORMAT: &str = "format";
    /// The first transaction number not yet reserved, a big-endian `u64`.
    pub(crate) const TRANSACTION_NUMBERS: &str = "transaction-numbers";
    /// The first history sequence number not yet reserved, a big-endian `u64`.
    pub(crate) const HISTORY_SEQUENCE: &str = "history-sequence";
    /// The first reservation id not yet reserved, a big-endian `u64` (format 2).
    pub(crate) const RESERVATION_IDS: &str = "reservation-ids";
    /// Every write of the change set applied last (see [`crate::writes`]).
    pub(crate) const PENDING: &str = "pending";
}

/// Builds one key, part by part.
struct Key(Vec<u8>);

impl Key {
    fn new(table: u8) -> Self {
        // Most keys are a station id, a few numbers and some short text.
        let mut bytes = Vec::with_capacity(64);
        bytes.push(table);
        Key(bytes)
    }

    fn text(mut self, text: &str) -> Self {
        for &byte in text.as_bytes() {
            self.0.push(byte);
            if byte == 0 {
                self.0.push(0xFF);
            }
        }
        self.0.extend_from_slice(&[0x00, 0x01]);
        self
    }

    fn opt_text(mut self, text: Option<&str>) -> Self {
        match text {
            None => {
                self.0.push(0);
                self
            }
            Some(text) => {
                self.0.push(1);
                self.text(text)
            }
        }
    }

    fn u8(mut self, value: u8) -> Self {
        self.0.push(value);
        self
    }

    fn u32(mut self, value: u32) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    fn opt_u32(mut self, value: Option<u32>) -> Self {
        match value {
            None => {
                self.0.push(0);
                self
            }
            Some(value) => {
                self.0.push(1);
                self.u32(value)
            }
        }
    }

    fn u64(mut self, value: u64) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    fn i64(mut self, value: i64) -> Self {
        self.0
            .extend_from_slice(&((value as u64) ^ (1 << 63)).to_be_bytes());
        self
    }

    fn done(self) -> Vec<u8> {
        self.0
    }
}

/// A key of the meta table.
pub(crate) fn meta(name: &str) -> Vec<u8> {
    Key::new(table::META).text(name).done()
}

/// The first byte of a table's keys: scanning it scans the table.
pub(crate) fn table_prefix(table: u8) -> Vec<u8> {
    vec![table]
}

/// A station.
pub(crate) fn station(id: &StationId) -> Vec<u8> {
    Key::new(table::STATION).text(id.as_str()).done()
}

/// When a station was last heard from.
pub(crate) fn last_seen(id: &StationId) -> Vec<u8> {
    Key::new(table::LAST_SEEN).text(id.as_str()).done()
}

/// The current status of one connector.
pub(crate) fn connector_status(station: &StationId, location: EvseConnector) -> Vec<u8> {
    Key::new(table::CONNECTOR_STATUS)
        .text(station.as_str())
        .u32(location.evse)
        .u32(location.connector)
        .done()
}

/// The current statuses of a station's connectors.
pub(crate) fn connector_status_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::CONNECTOR_STATUS)
        .text(station.as_str())
        .done()
}

/// One entry of a station's status history.
pub(crate) fn status_history(station: &StationId, seq: u64) -> Vec<u8> {
    Key::new(table::STATUS_HISTORY)
        .text(station.as_str())
        .u64(seq)
        .done()
}

/// A station's status history.
pub(crate) fn status_history_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::STATUS_HISTORY)
        .text(station.as_str())
        .done()
}

/// An ID token, by its key ([`domain::token::token_key`]).
pub(crate) fn id_token(token_key: &str) -> Vec<u8> {
    Key::new(table::ID_TOKEN).text(token_key).done()
}

/// A transaction.
pub(crate) fn transaction(number: u64) -> Vec<u8> {
    Key::new(table::TRANSACTION).u64(number).done()
}

/// The index entry finding a transaction by the station's id for it.
pub(crate) fn tx_by_station_tx_id(station: &StationId, station_tx_id: &str) -> Vec<u8> {
    Key::new(table::TX_BY_STATION_TX_ID)
        .text(station.as_str())
        .text(station_tx_id)
        .done()
}

/// The index entry finding a 1.6 transaction by its StartTransaction.
pub(crate) fn tx_by_start(key: &StartKey) -> Vec<u8> {
    Key::new(table::TX_BY_START)
        .text(key.station.as_str())
        .u32(key.location.evse)
        .u32(key.location.connector)
        .text(&key.token_key)
        .i64(key.started_at.unix_millis())
        .i64(key.meter_start_wh)
        .done()
}

/// The index entry saying transaction `number` is active with this token.
pub(crate) fn active_tx_by_token(token_key: &str, number: u64) -> Vec<u8> {
    Key::new(table::ACTIVE_TX_BY_TOKEN)
        .text(token_key)
        .u64(number)
        .done()
}

/// The active transactions of a token.
pub(crate) fn active_tx_by_token_prefix(token_key: &str) -> Vec<u8> {
    Key::new(table::ACTIVE_TX_BY_TOKEN).text(token_key).done()
}

/// The index entry saying transaction `number` belongs to `station`.
pub(crate) fn tx_by_station(station: &StationId, number: u64) -> Vec<u8> {
    Key::new(table::TX_BY_STATION)
        .text(station.as_str())
        .u64(number)
        .done()
}

/// The transactions of a station.
pub(crate) fn tx_by_station_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::TX_BY_STATION).text(station.as_str()).done()
}

/// The index entry saying transaction `number` was started (or authorized)
/// with the token whose key is `token_key`.
pub(crate) fn tx_by_token(token_key: &str, number: u64) -> Vec<u8> {
    Key::new(table::TX_BY_TOKEN)
        .text(token_key)
        .u64(number)
        .done()
}

/// The transactions of a token.
pub(crate) fn tx_by_token_prefix(token_key: &str) -> Vec<u8> {
    Key::new(table::TX_BY_TOKEN).text(token_key).done()
}

/// A transaction's entry in [`table::TX_BY_STATION`].
pub(crate) fn tx_station_entry(tx: &Transaction) -> Vec<u8> {
    tx_by_station(&tx.station, tx.number)
}

/// A transaction's entry in [`table::TX_BY_TOKEN`], if it has a token.
pub(crate) fn tx_token_entry(tx: &Transaction) -> Option<Vec<u8>> {
    tx.id_token
        .as_ref()
        .map(|token| tx_by_token(&token_key(&token.value), tx.number))
}

/// The index entry of one status report under its connector.
pub(crate) fn status_by_connector(
    station: &StationId,
    location: EvseConnector,
    seq: u64,
) -> Vec<u8> {
    Key::new(table::STATUS_BY_CONNECTOR)
        .text(station.as_str())
        .u32(location.evse)
        .u32(location.connector)
        .u64(seq)
        .done()
}

/// The status reports of one connector.
pub(crate) fn status_by_connector_location_prefix(
    station: &StationId,
    location: EvseConnector,
) -> Vec<u8> {
    Key::new(table::STATUS_BY_CONNECTOR)
        .text(station.as_str())
        .u32(location.evse)
        .u32(location.connector)
        .done()
}

/// The status reports of a station's connectors.
pub(crate) fn status_by_connector_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::STATUS_BY_CONNECTOR)
        .text(station.as_str())
        .done()
}

/// The connector of a [`status_by_connector`] key whose station part is
/// `station_prefix` ([`status_by_connector_prefix`]).
pub(crate) fn status_by_connector_location(
    key: &[u8],
    station_prefix: &[u8],
) -> Option<EvseConnector> {
    let rest = key.strip_prefix(station_prefix)?;
    let evse = u32::from_be_bytes(rest.get(0..4)?.try_into().ok()?);
    let connector = u32::from_be_bytes(rest.get(4..8)?.try_into().ok()?);
    Some(EvseConnector { evse, connector })
}

/// Whether a log entry marks a connection coming or going, so that it is
/// indexed in [`table::CONNECTION_EVENT`].
pub(crate) fn is_connection_entry(kind: &StationEventKind) -> bool {
    matches!(
        kind,
        StationEventKind::Connected { .. }
            | StationEventKind::Disconnected { .. }
            | StationEventKind::WentOffline { .. }
    )
}

/// The index entry of a connection entry of a station's log.
pub(crate) fn connection_event(station: &StationId, seq: u64) -> Vec<u8> {
    Key::new(table::CONNECTION_EVENT)
        .text(station.as_str())
        .u64(seq)
        .done()
}

/// The connection entries of a station's log.
pub(crate) fn connection_event_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::CONNECTION_EVENT)
        .text(station.as_str())
        .done()
}

/// One configuration key of a station.
pub(crate) fn configuration_key(station: &StationId, key: &str) -> Vec<u8> {
    Key::new(table::CONFIGURATION)
        .text(station.as_str())
        .text(key)
        .done()
}

/// A station's configuration keys.
pub(crate) fn configuration_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::CONFIGURATION).text(station.as_str()).done()
}

/// A reservation.
pub(crate) fn reservation(id: i64) -> Vec<u8> {
    Key::new(table::RESERVATION).i64(id).done()
}

/// The index entry saying reservation `id` is at `station`.
pub(crate) fn reservation_by_station(station: &StationId, id: i64) -> Vec<u8> {
    Key::new(table::RESERVATION_BY_STATION)
        .text(station.as_str())
        .i64(id)
        .done()
}

/// A station's reservations.
pub(crate) fn reservation_by_station_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::RESERVATION_BY_STATION)
        .text(station.as_str())
        .done()
}

/// The `i64` at the end of a key, as [`Key::i64`] wrote it.
pub(crate) fn trailing_i64(key: &[u8]) -> Option<i64> {
    trailing_u64(key).map(|flipped| (flipped ^ (1 << 63)) as i64)
}

/// An API key, by its id.
pub(crate) fn api_key(id: &str) -> Vec<u8> {
    Key::new(table::API_KEY).text(id).done()
}

/// A tariff assignment's key: `00` for the default, `01` and the name for a
/// group, `02` and the id for a station.
pub(crate) fn tariff_assignment(scope: &TariffScope) -> Vec<u8> {
    let key = Key::new(table::TARIFF_ASSIGNMENT);
    match scope {
        TariffScope::Default => key.u8(0).done(),
        TariffScope::Group(group) => key.u8(1).text(group).done(),
        TariffScope::Station(station) => key.u8(2).text(station.as_str()).done(),
    }
}

/// The number at the end of an [`active_tx_by_token`] key (or of any key
/// that ends with a `u64`).
pub(crate) fn trailing_u64(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    let bytes: [u8; 8] = key.get(start..)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The readings of a transaction measured at one instant.
pub(crate) fn meter_samples_at(transaction: u64, at: Timestamp) -> Vec<u8> {
    Key::new(table::METER_SAMPLE)
        .u64(transaction)
        .i64(at.unix_millis())
        .done()
}

/// A transaction's readings.
pub(crate) fn meter_sample_prefix(transaction: u64) -> Vec<u8> {
    Key::new(table::METER_SAMPLE).u64(transaction).done()
}

/// The readings of an EVSE outside transactions measured at one instant.
pub(crate) fn evse_samples_at(station: &StationId, evse: u32, at: Timestamp) -> Vec<u8> {
    Key::new(table::EVSE_SAMPLE)
        .text(station.as_str())
        .u32(evse)
        .i64(at.unix_millis())
        .done()
}

/// An EVSE's readings outside transactions.
pub(crate) fn evse_sample_prefix(station: &StationId, evse: u32) -> Vec<u8> {
    Key::new(table::EVSE_SAMPLE)
        .text(station.as_str())
        .u32(evse)
        .done()
}

/// One received 2.0.1 TransactionEvent.
pub(crate) fn tx_event(transaction: u64, seq_no: u64) -> Vec<u8> {
    Key::new(table::TX_EVENT)
        .u64(transaction)
        .u64(seq_no)
        .done()
}

/// A transaction's received events.
pub(crate) fn tx_event_prefix(transaction: u64) -> Vec<u8> {
    Key::new(table::TX_EVENT).u64(transaction).done()
}

/// One entry of a station's log.
pub(crate) fn station_event(station: &StationId, seq: u64) -> Vec<u8> {
    Key::new(table::STATION_EVENT)
        .text(station.as_str())
        .u64(seq)
        .done()
}

/// A station's log.
pub(crate) fn station_event_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::STATION_EVENT).text(station.as_str()).done()
}

/// One reported variable.
pub(crate) fn reported_variable(station: &StationId, address: &VariableAddress) -> Vec<u8> {
    Key::new(table::REPORTED_VARIABLE)
        .text(station.as_str())
        .text(&address.component)
        .opt_text(address.component_instance.as_deref())
        .opt_u32(address.evse)
        .opt_u32(address.connector)
        .text(&address.variable)
        .opt_text(address.variable_instance.as_deref())
        .done()
}

/// A station's reported variables.
pub(crate) fn reported_variable_prefix(station: &StationId) -> Vec<u8> {
    Key::new(table::REPORTED_VARIABLE)
        .text(station.as_str())
        .done()
}

/// The first key after every key that starts with `prefix`, or `None` when
/// no such key exists (the prefix is all `FF`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station_id(id: &str) -> StationId {
        StationId::parse(id).unwrap()
    }

    #[test]
    fn text_sorts_like_the_text_and_is_prefix_free() {
        let texts = ["", "A", "A\0", "A\0B", "AB", "ABC", "B"];
        let keys: Vec<_> = texts.iter().map(|t| Key::new(0).text(t).done()).collect();
        for pair in keys.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{:?} sorts before {:?}",
                pair[0],
                pair[1]
            );
        }
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert!(
                    i == j || !b.starts_with(a),
                    "{:?} is a prefix of {:?}",
                    texts[i],
                    texts[j]
                );
            }
        }
    }

    #[test]
    fn one_stations_prefix_does_not_reach_another() {
        let prefix = status_history_prefix(&station_id("CP1"));
        assert!(status_history(&station_id("CP1"), u64::MAX).starts_with(&prefix));
        assert!(!status_history(&station_id("CP10"), 0).starts_with(&prefix));
    }

    #[test]
    fn signed_integers_sort_numerically() {
        let values = [i64::MIN, -1_000, -1, 0, 1, 1_000, i64::MAX];
        let keys: Vec<_> = values.iter().map(|v| Key::new(0).i64(*v).done()).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn readings_sort_by_transaction_then_time() {
        assert!(
            meter_samples_at(1, Timestamp::from_unix_millis(-5))
                < meter_samples_at(1, Timestamp::from_unix_millis(3))
        );
        assert!(
            meter_samples_at(1, Timestamp::from_unix_millis(3))
                < meter_samples_at(2, Timestamp::from_unix_millis(-5))
        );
        assert!(
            meter_samples_at(1, Timestamp::from_unix_millis(3))
                .starts_with(&meter_sample_prefix(1))
        );
    }

    #[test]
    fn prefix_end_is_the_first_key_after_the_prefix() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    }

    #[test]
    fn the_trailing_number_is_read_back() {
        assert_eq!(trailing_u64(&active_tx_by_token("TAG", 42)), Some(42));
        assert_eq!(trailing_u64(&[1, 2]), None);
        for id in [i64::MIN, -1, 0, 1, i64::from(i32::MAX), i64::MAX] {
            assert_eq!(trailing_i64(&reservation(id)), Some(id));
        }
    }

    #[test]
    fn reservations_sort_by_id() {
        assert!(reservation(-1) < reservation(0));
        assert!(reservation(1) < reservation(2));
        assert!(
            reservation_by_station(&station_id("CP1"), 9)
                < reservation_by_station(&station_id("CP1"), 10)
        );
    }

    #[test]
    fn a_status_index_key_names_its_connector() {
        let cp = station_id("CP1");
        let location = EvseConnector {
            evse: 3,
            connector: 2,
        };
        let key = status_by_connector(&cp, location, 77);
        assert!(key.starts_with(&status_by_connector_location_prefix(&cp, location)));
        assert_eq!(
            status_by_connector_location(&key, &status_by_connector_prefix(&cp)),
            Some(location)
        );
        assert_eq!(trailing_u64(&key), Some(77));
        assert!(
            !status_by_connector(&station_id("CP10"), location, 0)
                .starts_with(&status_by_connector_prefix(&cp))
        );
    }
}
