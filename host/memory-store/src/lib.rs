//! Test support only: [`MemoryStorage`], an implementation of
//! [`domain::Storage`] in plain in-memory collections behind a mutex, so a
//! station session can be tested without sockets or sled. It is not a product
//! backend: nothing survives the process, and `durable` resolves at once.
//!
//! It keeps the observable semantics the trait documents and `store`'s
//! `SledStore` implements: lists in key order (stations by id, tokens by
//! their case-folded key, transactions by number, histories by arrival),
//! pagination after a key, the transaction lookups by the station's id, by
//! 1.6 `StartKey` and the active ones by token, readings merged with
//! [`domain::meter::merge_samples`], increasing numbers from 1, and a whole
//! change set applied at once. It also remembers every change set applied
//! ([`MemoryStorage::take_applied`]) so tests can show what a message
//! changed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use domain::device_model::{ReportedVariable, VariableAddress};
use domain::meter::merge_samples;
use domain::operator::{ApiKeyRecord, ConfigurationKey};
use domain::pricing::{TariffAssignment, TariffScope};
use domain::reservation::Reservation;
use domain::storage::DurableFuture;
use domain::token::token_key;
use domain::transaction::StartKey;
use domain::{
    Change, ChangeSet, ConnectorStatus, EvseConnector, IdTokenRecord, MeterSample, Station,
    StationEvent, StationEventKind, StationId, Storage, StorageError, Timestamp, Transaction,
    TransactionEventRecord, TransactionQuery, TransactionState, WriteTicket,
};

/// Everything kept, in the order the trait lists it.
#[derive(Debug, Default)]
struct State {
    stations: BTreeMap<StationId, Station>,
    last_seen: HashMap<StationId, Timestamp>,
    /// Each station's current status per connector.
    connector_statuses: BTreeMap<(StationId, EvseConnector), ConnectorStatus>,
    /// Status reports by (station, history sequence number).
    status_history: BTreeMap<(StationId, u64), ConnectorStatus>,
    /// Log entries by (station, history sequence number).
    station_events: BTreeMap<(StationId, u64), StationEvent>,
    /// The last history sequence number issued (shared by statuses and logs, as in `store`).
    history_sequence: u64,
    /// By [`IdTokenRecord::key`].
    id_tokens: BTreeMap<String, IdTokenRecord>,
    transactions: BTreeMap<u64, Transaction>,
    /// (station, station's id for it) → number.
    by_station_tx_id: HashMap<(StationId, String), u64>,
    /// 1.6 start key → number.
    by_start: HashMap<StartKey, u64>,
    /// Readings per transaction, merged.
    meter_samples: BTreeMap<u64, Vec<MeterSample>>,
    /// Readings outside transactions per (station, EVSE), merged.
    evse_samples: BTreeMap<(StationId, u32), Vec<MeterSample>>,
    /// 2.0.1 events by (transaction, seqNo).
    transaction_events: BTreeMap<(u64, u64), TransactionEventRecord>,
    reported_variables: BTreeMap<(StationId, VariableAddress), ReportedVariable>,
    configuration: BTreeMap<(StationId, String), ConfigurationKey>,
    reservations: BTreeMap<i64, Reservation>,
    api_keys: BTreeMap<String, ApiKeyRecord>,
    tariff_assignments: BTreeMap<(u8, String), TariffAssignment>,
    last_transaction_number: u64,
    last_reservation_id: i64,
    /// Tickets issued (one per applied change set).
    writes: u64,
    closed: bool,
    /// Every change set applied, oldest first, until taken.
    applied: Vec<ChangeSet>,
}

/// An in-memory [`Storage`] for tests. See the crate documentation.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    state: Mutex<State>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStorage::default()
    }

    /// The change sets applied since the last call (or since the start), oldest first.
    pub fn take_applied(&self) -> Vec<ChangeSet> {
        std::mem::take(&mut self.lock().applied)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The order of tariff assignments: the default, then groups, then stations, each by name.
fn scope_key(scope: &TariffScope) -> (u8, String) {
    match scope {
        TariffScope::Default => (0, String::new()),
        TariffScope::Group(group) => (1, group.clone()),
        TariffScope::Station(station) => (2, station.as_str().to_owned()),
    }
}

/// The last `limit` items of `items`.
fn latest<T>(mut items: Vec<T>, limit: usize) -> Vec<T> {
    items.drain(..items.len().saturating_sub(limit));
    items
}

/// Whether a log entry is about the connection (the entry `station_events_since` starts with).
fn is_connection_entry(kind: &StationEventKind) -> bool {
    matches!(
        kind,
        StationEventKind::Connected { .. }
            | StationEventKind::Disconnected { .. }
            | StationEventKind::WentOffline { .. }
    )
}

impl State {
    fn next_history_sequence(&mut self) -> u64 {
        self.history_sequence += 1;
        self.history_sequence
    }

    /// Stores a transaction and moves its index entries as `store` does: a
    /// key the transaction keeps is left alone, a key it no longer has is
    /// removed (even if another transaction with that key wrote it since),
    /// and a new key points to it.
    fn put_transaction(&mut self, tx: &Transaction) {
        let old = self.transactions.get(&tx.number);
        let old_tx_id = old.map(|old| (old.station.clone(), old.station_tx_id.clone()));
        let new_tx_id = (tx.station.clone(), tx.station_tx_id.clone());
        if old_tx_id.as_ref() != Some(&new_tx_id) {
            if let Some(old_tx_id) = old_tx_id {
                self.by_station_tx_id.remove(&old_tx_id);
            }
            self.by_station_tx_id.insert(new_tx_id, tx.number);
        }
        let old_start = old.and_then(Transaction::start_key);
        let new_start = tx.start_key();
        if old_start != new_start {
            if let Some(old_start) = old_start {
                self.by_start.remove(&old_start);
            }
            if let Some(new_start) = new_start {
                self.by_start.insert(new_start, tx.number);
            }
        }
        self.transactions.insert(tx.number, tx.clone());
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::PutStation(station) => {
                self.stations.insert(station.id.clone(), station);
            }
            Change::DeleteStation(station) => {
                self.stations.remove(&station);
                self.last_seen.remove(&station);
                self.connector_statuses.retain(|(id, _), _| id != &station);
            }
            Change::StationSeen { station, at } => {
                self.last_seen.insert(station, at);
            }
            Change::RecordStatus(status) => {
                let seq = self.next_history_sequence();
                self.connector_statuses
                    .insert((status.station.clone(), status.location), status.clone());
                self.status_history
                    .insert((status.station.clone(), seq), status);
            }
            Change::PutIdToken(token) => {
                self.id_tokens.insert(token.key(), token);
            }
            Change::DeleteIdToken(key) => {
                self.id_tokens.remove(&token_key(&key));
            }
            Change::PutTransaction(tx) => self.put_transaction(&tx),
            Change::AddMeterSamples {
                transaction,
                samples,
            } => {
                let stored = self.meter_samples.entry(transaction).or_default();
                *stored = merge_samples(stored, &samples);
            }
            Change::AddEvseSamples {
                station,
                evse,
                samples,
            } => {
                let stored = self.evse_samples.entry((station, evse)).or_default();
                *stored = merge_samples(stored, &samples);
            }
            Change::RecordTransactionEvent { transaction, event } => {
                self.transaction_events
                    .insert((transaction, event.seq_no), event);
            }
            Change::AppendStationEvent(event) => {
                let seq = self.next_history_sequence();
                self.station_events
                    .insert((event.station.clone(), seq), event);
            }
            Change::PutReportedVariables { station, variables } => {
                for variable in variables {
                    self.reported_variables
                        .insert((station.clone(), variable.address.clone()), variable);
                }
            }
            Change::PutConfiguration { station, keys } => {
                for key in keys {
                    self.configuration
                        .insert((station.clone(), key.key.clone()), key);
                }
            }
            Change::PutReservation(reservation) => {
                self.reservations.insert(reservation.id, reservation);
            }
            Change::PutApiKey(key) => {
                self.api_keys.insert(key.id.clone(), key);
            }
            Change::PutTariffAssignment(assignment) => {
                self.tariff_assignments
                    .insert(scope_key(&assignment.scope), assignment);
            }
            Change::DeleteTariffAssignment(scope) => {
                self.tariff_assignments.remove(&scope_key(&scope));
            }
        }
    }

    /// A station's history entries (`(station, seq)` keys), oldest first.
    fn of_station<'a, T>(
        history: &'a BTreeMap<(StationId, u64), T>,
        id: &StationId,
    ) -> impl DoubleEndedIterator<Item = (u64, &'a T)> {
        history
            .range((id.clone(), 0)..=(id.clone(), u64::MAX))
            .map(|((_, seq), item)| (*seq, item))
    }
}

impl Storage for MemoryStorage {
    fn station(&self, id: &StationId) -> Result<Option<Station>, StorageError> {
        Ok(self.lock().stations.get(id).cloned())
    }

    fn stations(
        &self,
        after: Option<&StationId>,
        limit: usize,
    ) -> Result<Vec<Station>, StorageError> {
        let state = self.lock();
        Ok(state
            .stations
            .values()
            .filter(|s| after.is_none_or(|after| &s.id > after))
            .take(limit)
            .cloned()
            .collect())
    }

    fn last_seen(&self, id: &StationId) -> Result<Option<Timestamp>, StorageError> {
        Ok(self.lock().last_seen.get(id).copied())
    }

    fn connector_statuses(&self, id: &StationId) -> Result<Vec<ConnectorStatus>, StorageError> {
        let state = self.lock();
        Ok(state
            .connector_statuses
            .iter()
            .filter(|((station, _), _)| station == id)
            .map(|(_, s)| s.clone())
            .collect())
    }

    fn status_history(
        &self,
        id: &StationId,
        limit: usize,
    ) -> Result<Vec<ConnectorStatus>, StorageError> {
        let state = self.lock();
        Ok(latest(
            State::of_station(&state.status_history, id)
                .map(|(_, s)| s.clone())
                .collect(),
            limit,
        ))
    }

    fn id_token(&self, value: &str) -> Result<Option<IdTokenRecord>, StorageError> {
        Ok(self.lock().id_tokens.get(&token_key(value)).cloned())
    }

    fn id_tokens(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<IdTokenRecord>, StorageError> {
        let state = self.lock();
        let after = after.map(token_key);
        Ok(state
            .id_tokens
            .iter()
            .filter(|(key, _)| after.as_ref().is_none_or(|after| *key > after))
            .take(limit)
            .map(|(_, token)| token.clone())
            .collect())
    }

    fn transaction(&self, number: u64) -> Result<Option<Transaction>, StorageError> {
        Ok(self.lock().transactions.get(&number).cloned())
    }

    fn transaction_by_station_tx_id(
        &self,
        station: &StationId,
        station_tx_id: &str,
    ) -> Result<Option<Transaction>, StorageError> {
        let state = self.lock();
        let number = state
            .by_station_tx_id
            .get(&(station.clone(), station_tx_id.to_owned()));
        Ok(number
            .and_then(|number| state.transactions.get(number))
            .cloned())
    }

    fn transaction_by_start(&self, key: &StartKey) -> Result<Option<Transaction>, StorageError> {
        let state = self.lock();
        Ok(state
            .by_start
            .get(key)
            .and_then(|number| state.transactions.get(number))
            .cloned())
    }

    fn active_transactions_of_token(&self, value: &str) -> Result<Vec<u64>, StorageError> {
        let state = self.lock();
        let key = token_key(value);
        Ok(state
            .transactions
            .values()
            .filter(|tx| tx.state == TransactionState::Active)
            .filter(|tx| {
                tx.id_token
                    .as_ref()
                    .is_some_and(|token| token_key(&token.value) == key)
            })
            .map(|tx| tx.number)
            .collect())
    }

    fn transactions(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Transaction>, StorageError> {
        let state = self.lock();
        Ok(state
            .transactions
            .values()
            .filter(|tx| after.is_none_or(|after| tx.number > after))
            .take(limit)
            .cloned()
            .collect())
    }

    fn meter_samples(&self, transaction: u64) -> Result<Vec<MeterSample>, StorageError> {
        Ok(self
            .lock()
            .meter_samples
            .get(&transaction)
            .cloned()
            .unwrap_or_default())
    }

    fn evse_samples(
        &self,
        station: &StationId,
        evse: u32,
        limit: usize,
    ) -> Result<Vec<MeterSample>, StorageError> {
        let state = self.lock();
        let samples = state
            .evse_samples
            .get(&(station.clone(), evse))
            .cloned()
            .unwrap_or_default();
        Ok(latest(samples, limit))
    }

    fn transaction_events(
        &self,
        transaction: u64,
    ) -> Result<Vec<TransactionEventRecord>, StorageError> {
        let state = self.lock();
        Ok(state
            .transaction_events
            .range((transaction, 0)..=(transaction, u64::MAX))
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn transaction_event(
        &self,
        transaction: u64,
        seq_no: u64,
    ) -> Result<Option<TransactionEventRecord>, StorageError> {
        Ok(self
            .lock()
            .transaction_events
            .get(&(transaction, seq_no))
            .cloned())
    }

    fn station_events(
        &self,
        id: &StationId,
        limit: usize,
    ) -> Result<Vec<StationEvent>, StorageError> {
        let state = self.lock();
        Ok(latest(
            State::of_station(&state.station_events, id)
                .map(|(_, e)| e.clone())
                .collect(),
            limit,
        ))
    }

    fn reported_variables(&self, id: &StationId) -> Result<Vec<ReportedVariable>, StorageError> {
        let state = self.lock();
        Ok(state
            .reported_variables
            .iter()
            .filter(|((station, _), _)| station == id)
            .map(|(_, v)| v.clone())
            .collect())
    }

    fn next_transaction_number(&self) -> Result<u64, StorageError> {
        let mut state = self.lock();
        state.last_transaction_number += 1;
        Ok(state.last_transaction_number)
    }

    fn transactions_matching(
        &self,
        query: &TransactionQuery,
    ) -> Result<Vec<Transaction>, StorageError> {
        let state = self.lock();
        let after_cursor = |tx: &&Transaction| match query.cursor {
            None => true,
            Some(cursor) if query.newest_first => tx.number < cursor,
            Some(cursor) => tx.number > cursor,
        };
        let matching = |tx: &&Transaction| query.matches(tx);
        let found: Vec<Transaction> = if query.newest_first {
            state
                .transactions
                .values()
                .rev()
                .filter(after_cursor)
                .filter(matching)
                .take(query.limit)
                .cloned()
                .collect()
        } else {
            state
                .transactions
                .values()
                .filter(after_cursor)
                .filter(matching)
                .take(query.limit)
                .cloned()
                .collect()
        };
        Ok(found)
    }

    fn status_history_since(
        &self,
        id: &StationId,
        since: Timestamp,
    ) -> Result<Vec<ConnectorStatus>, StorageError> {
        let state = self.lock();
        let history: Vec<(u64, &ConnectorStatus)> =
            State::of_station(&state.status_history, id).collect();
        // the reports since `since`: back from the newest (times grow with the sequence)
        let first_recent = history
            .iter()
            .rposition(|(_, s)| s.received_at < since)
            .map_or(0, |older| older + 1);
        // before them, each connector's last earlier report, in sequence order
        let mut earlier: BTreeMap<EvseConnector, (u64, &ConnectorStatus)> = BTreeMap::new();
        for &(seq, status) in &history[..first_recent] {
            earlier.insert(status.location, (seq, status));
        }
        let mut earlier: Vec<(u64, &ConnectorStatus)> = earlier.into_values().collect();
        earlier.sort_by_key(|(seq, _)| *seq);
        Ok(earlier
            .into_iter()
            .chain(history[first_recent..].iter().copied())
            .map(|(_, s)| s.clone())
            .collect())
    }

    fn station_events_since(
        &self,
        id: &StationId,
        since: Timestamp,
    ) -> Result<Vec<StationEvent>, StorageError> {
        let state = self.lock();
        let log: Vec<&StationEvent> = State::of_station(&state.station_events, id)
            .map(|(_, e)| e)
            .collect();
        let first_recent = log
            .iter()
            .rposition(|e| e.received_at < since)
            .map_or(0, |older| older + 1);
        let connection = log[..first_recent]
            .iter()
            .rev()
            .find(|e| is_connection_entry(&e.kind));
        Ok(connection
            .into_iter()
            .chain(&log[first_recent..])
            .map(|e| (*e).clone())
            .collect())
    }

    fn configuration(&self, id: &StationId) -> Result<Vec<ConfigurationKey>, StorageError> {
        let state = self.lock();
        Ok(state
            .configuration
            .iter()
            .filter(|((station, _), _)| station == id)
            .map(|(_, k)| k.clone())
            .collect())
    }

    fn reservation(&self, id: i64) -> Result<Option<Reservation>, StorageError> {
        Ok(self.lock().reservations.get(&id).cloned())
    }

    fn reservations(
        &self,
        station: Option<&StationId>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Reservation>, StorageError> {
        let state = self.lock();
        Ok(state
            .reservations
            .values()
            .filter(|r| station.is_none_or(|station| &r.station == station))
            .filter(|r| after.is_none_or(|after| r.id > after))
            .take(limit)
            .cloned()
            .collect())
    }

    fn next_reservation_id(&self) -> Result<i64, StorageError> {
        let mut state = self.lock();
        if state.last_reservation_id >= i64::from(i32::MAX) {
            return Err(StorageError::Exhausted("reservation ids"));
        }
        state.last_reservation_id += 1;
        Ok(state.last_reservation_id)
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StorageError> {
        Ok(self.lock().api_keys.get(id).cloned())
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StorageError> {
        Ok(self.lock().api_keys.values().cloned().collect())
    }

    fn tariff_assignment(
        &self,
        scope: &TariffScope,
    ) -> Result<Option<TariffAssignment>, StorageError> {
        Ok(self
            .lock()
            .tariff_assignments
            .get(&scope_key(scope))
            .cloned())
    }

    fn tariff_assignments(&self) -> Result<Vec<TariffAssignment>, StorageError> {
        Ok(self.lock().tariff_assignments.values().cloned().collect())
    }

    fn close(&self) -> Result<(), StorageError> {
        self.lock().closed = true;
        Ok(())
    }

    fn apply(&self, changes: ChangeSet) -> Result<WriteTicket, StorageError> {
        let mut state = self.lock();
        if state.closed {
            return Err(StorageError::Unavailable("the store is closed".to_owned()));
        }
        // one lock for the whole set: readers see all of it or none
        state.applied.push(changes.clone());
        for change in changes.changes {
            state.apply(change);
        }
        state.writes += 1;
        Ok(WriteTicket(state.writes))
    }

    fn durable(&self, _ticket: WriteTicket) -> DurableFuture {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    //! What only this store has: the record of applied change sets, and
    //! writes that are durable at once. The `Storage` contract itself is
    //! checked against both stores in `store`'s tests.

    use super::*;

    fn station(id: &str) -> Station {
        Station::registered(
            StationId::parse(id).unwrap(),
            None,
            Timestamp::from_unix_millis(0),
        )
    }

    #[test]
    fn applied_change_sets_are_remembered_until_taken() {
        let storage = MemoryStorage::new();
        let first = ChangeSet::from(Change::PutStation(station("CP1")));
        let second = ChangeSet::from(Change::PutStation(station("CP2")));
        storage.apply(first.clone()).unwrap();
        storage.apply(second.clone()).unwrap();
        assert_eq!(storage.take_applied(), vec![first, second]);
        assert_eq!(storage.take_applied(), vec![]);
        assert_eq!(storage.stations(None, 10).unwrap().len(), 2);
    }

    #[test]
    fn writes_are_durable_at_once_and_refused_once_closed() {
        let storage = MemoryStorage::new();
        let durable = storage.apply_durably(Change::PutStation(station("CP1")).into());
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        assert_eq!(
            std::pin::pin!(durable).poll(&mut context),
            std::task::Poll::Ready(Ok(()))
        );
        storage.close().unwrap();
        assert!(matches!(
            storage.apply(Change::PutStation(station("CP2")).into()),
            Err(StorageError::Unavailable(_))
        ));
        assert!(
            storage
                .station(&StationId::parse("CP1").unwrap())
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn numbers_start_at_1_and_reservation_ids_stop_at_i32_max() {
        let storage = MemoryStorage::new();
        assert_eq!(storage.next_transaction_number().unwrap(), 1);
        assert_eq!(storage.next_transaction_number().unwrap(), 2);
        assert_eq!(storage.next_reservation_id().unwrap(), 1);
        storage.lock().last_reservation_id = i64::from(i32::MAX) - 1;
        assert_eq!(storage.next_reservation_id().unwrap(), i64::from(i32::MAX));
        assert_eq!(
            storage.next_reservation_id(),
            Err(StorageError::Exhausted("reservation ids"))
        );
    }
}
