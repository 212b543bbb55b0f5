//! The storage boundary: what Gridlet keeps, behind a trait so the embedded
//! store can later be swapped for a distributed database.
//!
//! Reads are plain methods. Writes go through [`Storage::apply`], which takes
//! a [`ChangeSet`] — every change one handled message makes — and applies it
//! atomically. `apply` makes the changes visible at once; [`Storage::durable`]
//! resolves when they are on disk. Callers acknowledge a station's
//! state-changing message only after `durable` resolves, which lets the store
//! group many writers into one flush (group commit).

use std::future::Future;
use std::pin::Pin;

use crate::connector::ConnectorStatus;
use crate::device_model::ReportedVariable;
use crate::event::StationEvent;
use crate::meter::MeterSample;
use crate::operator::{ApiKeyRecord, ConfigurationKey};
use crate::pricing::{TariffAssignment, TariffScope};
use crate::reservation::Reservation;
use crate::station::{Station, StationId};
use crate::time::Timestamp;
use crate::token::IdTokenRecord;
use crate::transaction::{StartKey, Transaction, TransactionEventRecord, TransactionState};

/// Why storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The backend reported an error (I/O, a full disk, …).
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// A stored record could not be decoded.
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt {
        /// What kind of record.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The store is shutting down or its flusher has stopped.
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    /// No more ids of the requested kind can be issued.
    #[error("ran out of {0}")]
    Exhausted(&'static str),
}

/// Proof that a change set was applied; pass it to [`Storage::durable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WriteTicket(pub u64);

/// A future that resolves once the writes of a ticket are durable.
pub type DurableFuture = Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send + 'static>>;

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Creates or replaces a station.
    PutStation(Station),
    /// Removes a station's record, last-seen time and current connector
    /// statuses. Its history, log, transactions, configuration, device model
    /// and reservations stay for audit; a station added again under the same
    /// id finds them.
    DeleteStation(StationId),
    /// Records when a station was last heard from.
    StationSeen {
        /// The station.
        station: StationId,
        /// When.
        at: Timestamp,
    },
    /// Records a connector status: it becomes the connector's current status
    /// and is appended to the station's status history.
    RecordStatus(ConnectorStatus),
    /// Creates or replaces an ID token (keyed by its [`IdTokenRecord::key`]).
    PutIdToken(IdTokenRecord),
    /// Removes an ID token, by its key.
    DeleteIdToken(String),
    /// Creates or replaces a transaction (and the indexes that find it).
    PutTransaction(Transaction),
    /// Adds meter readings to a transaction. A reading with the same
    /// timestamp, measurand, phase, location and context as a stored one
    /// replaces it, so replays add nothing.
    AddMeterSamples {
        /// The transaction's number.
        transaction: u64,
        /// The readings.
        samples: Vec<MeterSample>,
    },
    /// Adds meter readings that belong to no transaction (2.0.1 MeterValues,
    /// 1.6 MeterValues without a transaction id), with the same replacement rule.
    AddEvseSamples {
        /// The station.
        station: StationId,
        /// The EVSE (1.6: the connector).
        evse: u32,
        /// The readings.
        samples: Vec<MeterSample>,
    },
    /// Records a received 2.0.1 TransactionEvent.
    RecordTransactionEvent {
        /// The transaction's number.
        transaction: u64,
        /// The event.
        event: TransactionEventRecord,
    },
    /// Appends to a station's log.
    AppendStationEvent(StationEvent),
    /// Stores reported device-model variables, replacing earlier reports of the same addresses.
    PutReportedVariables {
        /// The station.
        station: StationId,
        /// The variables.
        variables: Vec<ReportedVariable>,
    },
    /// Stores 1.6 configuration keys a station reported, replacing earlier
    /// reports of the same keys (keys not reported stay as they were).
    PutConfiguration {
        /// The station.
        station: StationId,
        /// The keys.
        keys: Vec<ConfigurationKey>,
    },
    /// Creates or replaces a reservation.
    PutReservation(Reservation),
    /// Creates or replaces an API key (by its id).
    PutApiKey(ApiKeyRecord),
    /// Creates or replaces the tariff assignment of its scope.
    PutTariffAssignment(TariffAssignment),
    /// Removes the tariff assignment of a scope, if there is one.
    DeleteTariffAssignment(TariffScope),
}

/// Which transactions to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionQuery {
    /// Only this station's.
    pub station: Option<StationId>,
    /// Only those started (or authorized) by this token (any case).
    pub token: Option<String>,
    /// Only those started at or after this time.
    pub started_from: Option<Timestamp>,
    /// Only those started before this time.
    pub started_before: Option<Timestamp>,
    /// Only those in this state.
    pub state: Option<TransactionState>,
    /// Newest (highest number) first instead of oldest first.
    pub newest_first: bool,
    /// Continue after this number (in the chosen order).
    pub cursor: Option<u64>,
    /// At most this many.
    pub limit: usize,
}

impl TransactionQuery {
    /// All transactions, oldest first, at most `limit`.
    pub fn all(limit: usize) -> Self {
        TransactionQuery {
            station: None,
            token: None,
            started_from: None,
            started_before: None,
            state: None,
            newest_first: false,
            cursor: None,
            limit,
        }
    }

    /// Whether `tx` passes the filters (not the cursor or the limit).
    pub fn matches(&self, tx: &Transaction) -> bool {
        self.station.as_ref().is_none_or(|station| &tx.station == station)
            && self.token.as_ref().is_none_or(|token| {
                tx.id_token.as_ref().is_some_and(|t| t.value.eq_ignore_ascii_case(token))
            })
            && self.state.is_none_or(|state| tx.state == state)
            && self.started_from.is_none_or(|from| tx.started_at.is_some_and(|at| at >= from))
            && self.started_before.is_none_or(|before| tx.started_at.is_some_and(|at| at < before))
    }
}

/// The changes one handled message makes, applied atomically.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        ChangeSet::default()
    }

    /// Adds a change.
    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl From<Change> for ChangeSet {
    fn from(change: Change) -> Self {
        ChangeSet { changes: vec![change] }
    }
}

/// Everything Gridlet keeps.
///
/// Lists come back in key order, oldest first where keys are times or
/// sequence numbers; `limit` caps how many (the newest ones when a history is
/// asked for).
pub trait Storage: Send + Sync + 'static {
    /// A station by id.
    fn station(&self, id: &StationId) -> Result<Option<Station>, StorageError>;
    /// Stations in id order, starting after `after`.
    fn stations(&self, after: Option<&StationId>, limit: usize) -> Result<Vec<Station>, StorageError>;
    /// When a station was last heard from.
    fn last_seen(&self, id: &StationId) -> Result<Option<Timestamp>, StorageError>;
    /// The current status of each of a station's connectors.
    fn connector_statuses(&self, id: &StationId) -> Result<Vec<ConnectorStatus>, StorageError>;
    /// A station's latest `limit` status reports, oldest first.
    fn status_history(&self, id: &StationId, limit: usize) -> Result<Vec<ConnectorStatus>, StorageError>;
    /// An ID token by value (any case).
    fn id_token(&self, value: &str) -> Result<Option<IdTokenRecord>, StorageError>;
    /// ID tokens in key order, starting after `after` (a token; compared by its key).
    fn id_tokens(&self, after: Option<&str>, limit: usize) -> Result<Vec<IdTokenRecord>, StorageError>;
    /// A transaction by number.
    fn transaction(&self, number: u64) -> Result<Option<Transaction>, StorageError>;
    /// A transaction by the station's id for it.
    fn transaction_by_station_tx_id(
        &self,
        station: &StationId,
        station_tx_id: &str,
    ) -> Result<Option<Transaction>, StorageError>;
    /// The 1.6 transaction a StartTransaction with this key created.
    fn transaction_by_start(&self, key: &StartKey) -> Result<Option<Transaction>, StorageError>;
    /// Numbers of the active transactions a token (any case) is in.
    fn active_transactions_of_token(&self, value: &str) -> Result<Vec<u64>, StorageError>;
    /// Transactions by number, starting after `after`.
    fn transactions(&self, after: Option<u64>, limit: usize) -> Result<Vec<Transaction>, StorageError>;
    /// A transaction's meter readings, by measurement time.
    fn meter_samples(&self, transaction: u64) -> Result<Vec<MeterSample>, StorageError>;
    /// Readings of an EVSE outside transactions, latest `limit`, by measurement time.
    fn evse_samples(&self, station: &StationId, evse: u32, limit: usize) -> Result<Vec<MeterSample>, StorageError>;
    /// A transaction's received 2.0.1 events, by `seqNo`.
    fn transaction_events(&self, transaction: u64) -> Result<Vec<TransactionEventRecord>, StorageError>;
    /// One received 2.0.1 event of a transaction, by `seqNo`.
    fn transaction_event(&self, transaction: u64, seq_no: u64) -> Result<Option<TransactionEventRecord>, StorageError>;
    /// A station's latest `limit` log entries, oldest first.
    fn station_events(&self, id: &StationId, limit: usize) -> Result<Vec<StationEvent>, StorageError>;
    /// A station's reported device-model variables, by address.
    fn reported_variables(&self, id: &StationId) -> Result<Vec<ReportedVariable>, StorageError>;
    /// Issues a new transaction number: unique, increasing, at least 1, and
    /// never reused, even after a crash.
    fn next_transaction_number(&self) -> Result<u64, StorageError>;
    /// Transactions that match `query`, in its order, after its cursor.
    fn transactions_matching(&self, query: &TransactionQuery) -> Result<Vec<Transaction>, StorageError>;
    /// A station's status reports received at or after `since`, preceded by
    /// each connector's last report before `since` (so the state at `since`
    /// is known); oldest first. Assumes `received_at` grows in write order
    /// (the server's clock does not step back).
    fn status_history_since(&self, id: &StationId, since: Timestamp) -> Result<Vec<ConnectorStatus>, StorageError>;
    /// A station's log entries received at or after `since`, preceded by its
    /// last connection entry (`Connected`, `Disconnected`, `WentOffline`)
    /// before `since`; oldest first. Same clock assumption as
    /// [`Storage::status_history_since`].
    fn station_events_since(&self, id: &StationId, since: Timestamp) -> Result<Vec<StationEvent>, StorageError>;
    /// A station's 1.6 configuration keys as last reported, by key.
    fn configuration(&self, id: &StationId) -> Result<Vec<ConfigurationKey>, StorageError>;
    /// A reservation by id.
    fn reservation(&self, id: i64) -> Result<Option<Reservation>, StorageError>;
    /// Reservations by id, optionally only a station's, starting after `after`.
    fn reservations(
        &self,
        station: Option<&StationId>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Reservation>, StorageError>;
    /// Issues a new reservation id: unique, increasing, at least 1, within
    /// 32 bits (OCPP's `reservationId` is an integer), never reused.
    fn next_reservation_id(&self) -> Result<i64, StorageError>;
    /// An API key by its public id.
    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StorageError>;
    /// All API keys, by id.
    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StorageError>;
    /// The tariff assignment of a scope.
    fn tariff_assignment(&self, scope: &TariffScope) -> Result<Option<TariffAssignment>, StorageError>;
    /// Every tariff assignment: the default first, then groups, then
    /// stations, each by name.
    fn tariff_assignments(&self) -> Result<Vec<TariffAssignment>, StorageError>;
    /// Flushes everything and stops accepting writes (later writes fail;
    /// reads keep working; the directory lock goes with the last handle).
    fn close(&self) -> Result<(), StorageError>;
    /// Applies `changes` and makes them visible to reads at once. On disk a
    /// change set is all or nothing; a read running at the same moment may
    /// see part of it.
    fn apply(&self, changes: ChangeSet) -> Result<WriteTicket, StorageError>;
    /// Resolves once everything applied up to `ticket` is durable.
    fn durable(&self, ticket: WriteTicket) -> DurableFuture;
    /// Applies `changes` and resolves once they are durable: what
    /// [`Storage::apply`] then [`Storage::durable`] do, except that the
    /// changes need only be visible to reads once the future resolves, so a
    /// store may write them later, together with others, without holding up
    /// the caller's thread. On disk a change set is all or nothing.
    fn apply_durably(&self, changes: ChangeSet) -> DurableFuture {
        match self.apply(changes) {
            Ok(ticket) => self.durable(ticket),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}
