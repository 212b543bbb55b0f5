//! [`SledStore`]: the domain's [`Storage`] on one sled tree.
//!
//! Writes: [`Storage::apply`] turns a [`ChangeSet`] into the writes of a
//! [`WriteSet`] (atomic across a crash, written in groups, see
//! [`crate::writes`]), reading the old transaction or reservation where an
//! index entry must move, the stored readings of an instant where new ones
//! join them, and a deleted station's connector statuses, and hands back a
//! ticket for [`Storage::durable`] (see [`crate::commit`]).
//! [`Storage::apply_durably`] does the same without waiting for the
//! writer's lock: the writer thread writes the change set with the next
//! group.
//!
//! Reads are point lookups and prefix scans over the keys of
//! [`crate::keys`]; no read walks a whole table unless it lists one (a
//! transaction query without a station or token walks transactions in
//! number order until it has its `limit`), and the histories since a time
//! read back only as far as that time (see the crate docs, "Queries").

use std::fs::{self, File, TryLockError};
use std::io;
use std::ops::Bound;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use domain::connector::ConnectorStatus;
use domain::device_model::ReportedVariable;
use domain::event::StationEvent;
use domain::meter::MeterSample;
use domain::operator::{ApiKeyRecord, ConfigurationKey};
use domain::pricing::{TariffAssignment, TariffScope};
use domain::reservation::Reservation;
use domain::station::{Station, StationId};
use domain::storage::{DurableFuture, TransactionQuery};
use domain::time::Timestamp;
use domain::token::{IdTokenRecord, token_key};
use domain::transaction::{StartKey, Transaction, TransactionEventRecord, TransactionState};
use domain::{Change, ChangeSet, Storage, StorageError, WriteTicket};

use crate::commit::{Flusher, GroupCommit};
use crate::counter::Counter;
use crate::error::StoreError;
use crate::writes::{Collected, WriteSet, Writer, WriterThread};
use crate::{backend, format, keys, records, writes};

/// The name of the lock file in the data directory.
const LOCK_FILE: &str = "gridlet.lock";

/// Transaction numbers reserved per flush. A crash skips at most this many;
/// a clean close skips none.
const TRANSACTION_NUMBER_BLOCK: u64 = 1_000;

/// How long `open` tries again to lock a locked directory (see `lock_dir`).
const LOCK_WAIT: Duration = Duration::from_millis(500);

/// How long `open` waits for sled's own lock on the directory (see `open_sled`).
const SLED_LOCK_WAIT: Duration = Duration::from_secs(2);

/// History sequence numbers reserved per flush.
const HISTORY_SEQUENCE_BLOCK: u64 = 1 << 20;

/// Reservation ids reserved per flush. A crash skips at most this many.
const RESERVATION_ID_BLOCK: u64 = 100;

/// The first reservation id that may not be issued: ids are OCPP integers,
/// which are 32 bits.
const RESERVATION_ID_END: u64 = i32::MAX as u64 + 1;

/// How a [`SledStore`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// The group-commit window. A flush waits to gather writers until writes
    /// pause for a moment (0.1 ms), but never longer than this after the
    /// previous flush began: under a steady stream of writes the store
    /// flushes once per interval, and a store idle for longer flushes a new
    /// write at once.
    pub flush_interval: Duration,
    /// How much memory sled may use to cache pages.
    pub cache_capacity_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            flush_interval: Duration::from_millis(2),
            cache_capacity_bytes: 128 * 1024 * 1024,
        }
    }
}

/// Counts for monitoring and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    /// Change sets applied since the store was opened.
    pub writes: u64,
    /// Group-commit flushes run since the store was opened.
    pub flushes: u64,
}

/// Gridlet's embedded store: everything the domain keeps, in one directory.
///
/// Open it with [`SledStore::open`], share it (it is `Send + Sync`), and
/// [`close`](SledStore::close) it on shutdown; dropping it closes it too, at
/// the cost of not seeing a failure. The directory stays locked against other
/// processes until the store is dropped.
pub struct SledStore {
    db: sled::Db,
    flusher: Arc<Flusher>,
    /// Issues transaction numbers.
    transaction_numbers: Counter,
    /// Orders the append-only histories (status reports, station logs).
    history_sequence: Arc<Counter>,
    /// Issues reservation ids.
    reservation_ids: Counter,
    /// Writes change sets one group at a time, which makes them atomic
    /// across a crash and keeps what `apply` reads (an old transaction, stored
    /// readings) true until it writes: each change set with the writes
    /// collected for it before it queued.
    writer: Arc<Writer<Queued>>,
    /// Writes the change sets queued by `apply_durably`.
    writer_thread: WriterThread,
    dir: PathBuf,
    /// Held for the store's life: an exclusive lock on [`LOCK_FILE`]. Declared
    /// last so that it is released after sled has closed.
    _lock: File,
}

impl SledStore {
    /// Opens (or creates) the store in `dir`.
    ///
    /// Fails with [`StoreError::InUse`] while another process has it open,
    /// and with [`StoreError::NewerFormat`] if a newer Gridlet wrote it.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<SledStore, StoreError> {
        let directory_error = |source| StoreError::Directory {
            dir: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(directory_error)?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(directory_error)?;
        lock_dir(&lock, dir)?;
        let db = open_sled(dir, &options)?;
        format::check(&db, dir)?;
        let storage = |source| StoreError::Storage {
            dir: dir.to_owned(),
            source,
        };
        writes::recover(&db).map_err(storage)?;
        let transaction_numbers = Counter::load(
            &db,
            keys::meta::TRANSACTION_NUMBERS,
            "transaction numbers",
            1,
            TRANSACTION_NUMBER_BLOCK,
            u64::MAX,
        )
        .map_err(storage)?;
        let history_sequence = Counter::load(
            &db,
            keys::meta::HISTORY_SEQUENCE,
            "history sequence numbers",
            0,
            HISTORY_SEQUENCE_BLOCK,
            u64::MAX,
        )
        .map_err(storage)?;
        let reservation_ids = Counter::load(
            &db,
            keys::meta::RESERVATION_IDS,
            "reservation ids",
            1,
            RESERVATION_ID_BLOCK,
            RESERVATION_ID_END,
        )
        .map_err(storage)?;
        let history_sequence = Arc::new(history_sequence);
        let flusher = Arc::new(
            GroupCommit::start(
                {
                    let db = db.clone();
                    move || db.flush().map(drop).map_err(|e| e.to_string())
                },
                options.flush_interval,
            )
            .map_err(StoreError::Flusher)?,
        );
        let writer = Arc::new(Writer::new());
        let writer_thread = WriterThread::start(writer.clone(), {
            let (db, history, flusher) = (db.clone(), history_sequence.clone(), flusher.clone());
            move |writer: &Writer<Queued>| {
                // A panic while writing must not take the thread with it: the
                // group's callers are told it failed, and the next writer
                // finishes the group from `pending` (see `writes`).
                let written = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    writer.write_queued(
                        &db,
                        |group, queued| add_to_group(group, queued, &history, &db),
                        || flusher.record_write(),
                    )
                }));
                match written {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::error!(%error, "the store could not write the queued changes");
                    }
                    Err(_) => tracing::error!("writing the queued changes panicked"),
                }
            }
        });
        let writer_thread = match writer_thread {
            Ok(thread) => thread,
            Err(error) => {
                let _ = flusher.stop();
                return Err(StoreError::Writer(error));
            }
        };
        Ok(SledStore {
            db,
            flusher,
            transaction_numbers,
            history_sequence,
            reservation_ids,
            writer,
            writer_thread,
            dir: dir.to_owned(),
            _lock: lock,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes and flushes everything, and stops the flusher. Later writes
    /// fail with [`StorageError::Unavailable`]; reads keep working. Calling
    /// it again does nothing. [`Storage::close`] does the same.
    pub fn close(&self) -> Result<(), StorageError> {
        // what is queued is written, then flushed once more
        let written = self.writer_thread.stop();
        let stopped = self.flusher.stop();
        let released = self.release();
        let flushed = self.db.flush().map(drop).map_err(backend);
        written.and(stopped).and(released).and(flushed)
    }

    /// Clears `pending` and gives back the counters' unused reservations.
    fn release(&self) -> Result<(), StorageError> {
        // fail what is still queued, and wait for a group still being written
        self.writer.close();
        let _writing = self.writer.lock(&self.db)?;
        writes::clear(&self.db)?;
        self.transaction_numbers.release(&self.db)?;
        self.history_sequence.release(&self.db)?;
        self.reservation_ids.release(&self.db)
    }

    /// Counts of writes and flushes since the store was opened.
    pub fn stats(&self) -> StoreStats {
        let commit = self.flusher.commit();
        StoreStats {
            writes: commit.writes(),
            flushes: commit.flushes(),
        }
    }

    fn get<T>(
        &self,
        key: &[u8],
        decode: fn(&[u8]) -> Result<T, StorageError>,
    ) -> Result<Option<T>, StorageError> {
        match self.db.get(key).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Every value under `prefix`, in key order.
    fn scan<T>(
        &self,
        prefix: &[u8],
        decode: fn(&[u8]) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let mut found = Vec::new();
        for entry in self.db.scan_prefix(prefix) {
            let (_, value) = entry.map_err(backend)?;
            found.push(decode(&value)?);
        }
        Ok(found)
    }

    /// The last `limit` values under `prefix`, in key order.
    fn latest<T>(
        &self,
        prefix: &[u8],
        limit: usize,
        decode: fn(&[u8]) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let mut found = Vec::with_capacity(limit.min(1024));
        for entry in self.db.scan_prefix(prefix).rev().take(limit) {
            let (_, value) = entry.map_err(backend)?;
            found.push(decode(&value)?);
        }
        found.reverse();
        Ok(found)
    }

    /// Up to `limit` values of `table`, in key order, after the key `after`.
    fn page<T>(
        &self,
        table: u8,
        after: Option<Vec<u8>>,
        limit: usize,
        decode: fn(&[u8]) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let prefix = keys::table_prefix(table);
        let start = match after {
            Some(key) => Bound::Excluded(key),
            None => Bound::Included(prefix.clone()),
        };
        let end = match keys::prefix_end(&prefix) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        let mut found = Vec::with_capacity(limit.min(1024));
        for entry in self.db.range((start, end)).take(limit) {
            let (_, value) = entry.map_err(backend)?;
            found.push(decode(&value)?);
        }
        Ok(found)
    }

    /// The entries of a history (`prefix`: one station's status reports or
    /// log) received at or after `since`, oldest first, and the sequence
    /// number of the first of them. Walks back from the newest entry and
    /// stops at the first one received before `since`: the sequence and the
    /// receiving time grow together.
    fn history_since<T>(
        &self,
        prefix: &[u8],
        since: Timestamp,
        decode: fn(&[u8]) -> Result<T, StorageError>,
        received_at: fn(&T) -> Timestamp,
    ) -> Result<(Vec<T>, Option<u64>), StorageError> {
        let mut recent = Vec::new();
        let mut first = None;
        for entry in self.db.scan_prefix(prefix).rev() {
            let (key, value) = entry.map_err(backend)?;
            let item = decode(&value)?;
            if received_at(&item) < since {
                break;
            }
            first = Some(
                keys::trailing_u64(&key)
                    .ok_or_else(|| corrupt_index("history", "a key is too short"))?,
            );
            recent.push(item);
        }
        recent.reverse();
        Ok((recent, first))
    }

    /// The numbers in a transaction index (keys: `prefix`, then the number)
    /// within `window`, in its order.
    fn index_numbers(
        &self,
        prefix: &[u8],
        window: Window,
    ) -> impl Iterator<Item = Result<u64, StorageError>> + use<> {
        let key = |number: u64| [prefix, &number.to_be_bytes()].concat();
        let range = self.db.range(key(window.lo)..=key(window.hi));
        ordered(range, window.newest_first).map(|entry| {
            let (key, _) = entry.map_err(backend)?;
            keys::trailing_u64(&key)
                .ok_or_else(|| corrupt_index("transaction index", "a key is too short"))
        })
    }

    /// A transaction an index lists.
    fn listed_transaction(&self, number: u64) -> Result<Transaction, StorageError> {
        self.transaction(number)?.ok_or_else(|| {
            records::corrupt(
                "transaction index",
                format!("an index entry points to transaction {number}, which does not exist"),
            )
        })
    }

    /// The transaction an index entry points to.
    fn indexed_transaction(&self, index_key: &[u8]) -> Result<Option<Transaction>, StorageError> {
        let Some(number) = self.get(index_key, records::decode_number)? else {
            return Ok(None);
        };
        match self.transaction(number)? {
            Some(tx) => Ok(Some(tx)),
            None => Err(records::corrupt(
                "transaction index",
                format!("an index entry points to transaction {number}, which does not exist"),
            )),
        }
    }

    /// Adds a transaction's record and its index changes to `writes`. The
    /// record goes first, so that a concurrent reader that finds a new index
    /// entry also finds the record it points to.
    fn put_transaction(writes: &mut WriteSet<'_>, tx: &Transaction) -> Result<(), StorageError> {
        let key = keys::transaction(tx.number);
        let old = match writes.get(&key)? {
            Some(bytes) => Some(records::decode_transaction(&bytes)?),
            None => None,
        };
        let old = old.as_ref();
        writes.put(key, records::encode_transaction(tx)?);
        let by_station_tx_id =
            |t: &Transaction| Some(keys::tx_by_station_tx_id(&t.station, &t.station_tx_id));
        let by_start = |t: &Transaction| t.start_key().map(|key| keys::tx_by_start(&key));
        let active_by_token = |t: &Transaction| match (&t.id_token, t.state) {
            (Some(token), TransactionState::Active) => {
                Some(keys::active_tx_by_token(&token_key(&token.value), t.number))
            }
            _ => None,
        };
        let number = records::encode_number(tx.number)?;
        for index in [by_station_tx_id, by_start] {
            update_index(writes, old.and_then(index), index(tx), &number);
        }
        let marker = records::encode_marker();
        let by_station = |t: &Transaction| Some(keys::tx_station_entry(t));
        for index in [active_by_token, by_station, keys::tx_token_entry] {
            update_index(writes, old.and_then(index), index(tx), &marker);
        }
        Ok(())
    }

    /// Adds a reservation's record and its station index entry to `writes`.
    fn put_reservation(
        writes: &mut WriteSet<'_>,
        reservation: &Reservation,
    ) -> Result<(), StorageError> {
        let key = keys::reservation(reservation.id);
        let old_station = match writes.get(&key)? {
            Some(bytes) => Some(records::decode_reservation(&bytes)?.station),
            None => None,
        };
        writes.put(key, records::encode_reservation(reservation)?);
        update_index(
            writes,
            old_station.map(|station| keys::reservation_by_station(&station, reservation.id)),
            Some(keys::reservation_by_station(
                &reservation.station,
                reservation.id,
            )),
            &records::encode_marker(),
        );
        Ok(())
    }

    /// Adds readings to `writes`, one value per instant: a reading the same
    /// as a stored one (same instant, measurand, phase, location and context)
    /// replaces it (`MeterSample::identity`, the rule of
    /// `domain::meter::merge_samples`). `key_at` gives the key of an
    /// instant's readings.
    fn add_samples(
        writes: &mut WriteSet<'_>,
        samples: &[MeterSample],
        key_at: impl Fn(Timestamp) -> Vec<u8>,
    ) -> Result<(), StorageError> {
        let mut by_time: Vec<&MeterSample> = samples.iter().collect();
        by_time.sort_by_key(|sample| sample.timestamp);
        for instant in by_time.chunk_by(|a, b| a.timestamp == b.timestamp) {
            let at = instant[0].timestamp;
            let key = key_at(at);
            let mut stored = match writes.get(&key)? {
                Some(bytes) => records::decode_samples(&bytes)?,
                None => Vec::with_capacity(instant.len()),
            };
            for &sample in instant {
                match stored.binary_search_by(|s| s.identity().cmp(&sample.identity())) {
                    Ok(same) => stored[same] = sample.clone(),
                    Err(place) => stored.insert(place, sample.clone()),
                }
            }
            writes.put(key, records::encode_samples(at, &stored)?);
        }
        Ok(())
    }
}

/// The transaction numbers a [`TransactionQuery`] may still return: `lo` to
/// `hi` (both included), walked from `hi` down when `newest_first`.
#[derive(Debug, Clone, Copy)]
struct Window {
    lo: u64,
    hi: u64,
    newest_first: bool,
}

impl Window {
    /// The numbers after the query's cursor; `None` when there are none.
    fn of(query: &TransactionQuery) -> Option<Window> {
        let all = Window {
            lo: 0,
            hi: u64::MAX,
            newest_first: query.newest_first,
        };
        match query.cursor {
            None => Some(all),
            Some(cursor) => all.after(cursor),
        }
    }

    /// The part of the window after `number`, in its order.
    fn after(self, number: u64) -> Option<Window> {
        if self.newest_first {
            self.from(number.checked_sub(1)?)
        } else {
            self.from(number.checked_add(1)?)
        }
    }

    /// The part of the window from `number` on (included), in its order.
    fn from(self, number: u64) -> Option<Window> {
        let window = if self.newest_first {
            Window {
                hi: self.hi.min(number),
                ..self
            }
        } else {
            Window {
                lo: self.lo.max(number),
                ..self
            }
        };
        (window.lo <= window.hi).then_some(window)
    }
}

/// A range's entries forwards, or backwards when `backwards`.
fn ordered(
    range: sled::Iter,
    backwards: bool,
) -> Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> {
    if backwards {
        Box::new(range.rev())
    } else {
        Box::new(range)
    }
}

/// The bound after every key that starts with `prefix`.
fn end_bound(prefix: &[u8]) -> Bound<Vec<u8>> {
    keys::prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded)
}

fn corrupt_index(what: &'static str, detail: &str) -> StorageError {
    records::corrupt(what, detail.to_owned())
}

/// Takes the exclusive lock on the open `gridlet.lock` of `dir`.
///
/// A lock can be held for a moment by a process that is not using the
/// store: a child this process forks keeps our open files (and so their
/// locks) until it `exec`s. So a held lock is tried again for [`LOCK_WAIT`]
/// before the directory is reported in use.
fn lock_dir(lock: &File, dir: &Path) -> Result<(), StoreError> {
    let started = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::InUse {
                    dir: dir.to_owned(),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(StoreError::Directory {
                    dir: dir.to_owned(),
                    source,
                });
            }
        }
    }
}

/// Opens sled in `dir`, whose `gridlet.lock` the caller holds.
fn open_sled(dir: &Path, options: &StoreOptions) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(options.cache_capacity_bytes)
        .mode(sled::Mode::HighThroughput)
        // The flusher thread of `commit` does all flushing.
        .flush_every_ms(None);
    let started = Instant::now();
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            // sled reports its own directory lock being held as an `Other`
            // I/O error. As we hold `gridlet.lock`, the holder is a store this
            // process has just dropped, whose I/O threads let go in a moment,
            // or a child forked a moment ago (see `lock_dir`).
            Err(sled::Error::Io(e))
                if e.kind() == io::ErrorKind::Other && started.elapsed() < SLED_LOCK_WAIT =>
            {
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                return Err(StoreError::Open {
                    dir: dir.to_owned(),
                    source: e.into(),
                });
            }
        }
    }
}

/// Moves an index entry from `old` to `new`: removes the old key if it
/// differs, and writes the new one unless it was already there.
fn update_index(
    writes: &mut WriteSet<'_>,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
    value: &[u8],
) {
    if old == new {
        return;
    }
    if let Some(old) = old {
        writes.remove(old);
    }
    if let Some(new) = new {
        writes.put(new, value.to_vec());
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, dir = %self.dir.display(), "closing the store failed");
        }
    }
}

impl Storage for SledStore {
    fn station(&self, id: &StationId) -> Result<Option<Station>, StorageError> {
        self.get(&keys::station(id), records::decode_station)
    }

    fn stations(
        &self,
        after: Option<&StationId>,
        limit: usize,
    ) -> Result<Vec<Station>, StorageError> {
        self.page(
            keys::table::STATION,
            after.map(keys::station),
            limit,
            records::decode_station,
        )
    }

    fn last_seen(&self, id: &StationId) -> Result<Option<Timestamp>, StorageError> {
        self.get(&keys::last_seen(id), records::decode_timestamp)
    }

    fn connector_statuses(&self, id: &StationId) -> Result<Vec<ConnectorStatus>, StorageError> {
        self.scan(&keys::connector_status_prefix(id), records::decode_status)
    }

    fn status_history(
        &self,
        id: &StationId,
        limit: usize,
    ) -> Result<Vec<ConnectorStatus>, StorageError> {
        self.latest(
            &keys::status_history_prefix(id),
            limit,
            records::decode_status,
        )
    }

    fn id_token(&self, value: &str) -> Result<Option<IdTokenRecord>, StorageError> {
        self.get(&keys::id_token(&token_key(value)), records::decode_id_token)
    }

    fn id_tokens(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<IdTokenRecord>, StorageError> {
        let after = after.map(|key| keys::id_token(&token_key(key)));
        self.page(
            keys::table::ID_TOKEN,
            after,
            limit,
            records::decode_id_token,
        )
    }

    fn transaction(&self, number: u64) -> Result<Option<Transaction>, StorageError> {
        self.get(&keys::transaction(number), records::decode_transaction)
    }

    fn transaction_by_station_tx_id(
        &self,
        station: &StationId,
        station_tx_id: &str,
    ) -> Result<Option<Transaction>, StorageError> {
        self.indexed_transaction(&keys::tx_by_station_tx_id(station, station_tx_id))
    }

    fn transaction_by_start(&self, key: &StartKey) -> Result<Option<Transaction>, StorageError> {
        self.indexed_transaction(&keys::tx_by_start(key))
    }

    fn active_transactions_of_token(&self, value: &str) -> Result<Vec<u64>, StorageError> {
        let mut numbers = Vec::new();
        for entry in self
            .db
            .scan_prefix(keys::active_tx_by_token_prefix(&token_key(value)))
        {
            let (key, _) = entry.map_err(backend)?;
            let number = keys::trailing_u64(&key).ok_or_else(|| {
                records::corrupt("active transaction index", "a key is too short".to_owned())
            })?;
            numbers.push(number);
        }
        Ok(numbers)
    }

    fn transactions(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Transaction>, StorageError> {
        self.page(
            keys::table::TRANSACTION,
            after.map(keys::transaction),
            limit,
            records::decode_transaction,
        )
    }

    fn meter_samples(&self, transaction: u64) -> Result<Vec<MeterSample>, StorageError> {
        let instants = self.scan(
            &keys::meter_sample_prefix(transaction),
            records::decode_samples,
        )?;
        Ok(instants.into_iter().flatten().collect())
    }

    fn evse_samples(
        &self,
        station: &StationId,
        evse: u32,
        limit: usize,
    ) -> Result<Vec<MeterSample>, StorageError> {
        // the latest instants until they hold `limit` readings, then the latest `limit` of those
        let mut instants = Vec::new();
        let mut count = 0;
        for entry in self
            .db
            .scan_prefix(keys::evse_sample_prefix(station, evse))
            .rev()
        {
            if count >= limit {
                break;
            }
            let (_, value) = entry.map_err(backend)?;
            let samples = records::decode_samples(&value)?;
            count += samples.len();
            instants.push(samples);
        }
        let mut samples: Vec<MeterSample> = instants.into_iter().rev().flatten().collect();
        samples.drain(..count.saturating_sub(limit));
        Ok(samples)
    }

    fn transaction_events(
        &self,
        transaction: u64,
    ) -> Result<Vec<TransactionEventRecord>, StorageError> {
        self.scan(
            &keys::tx_event_prefix(transaction),
            records::decode_tx_event,
        )
    }

    fn transaction_event(
        &self,
        transaction: u64,
        seq_no: u64,
    ) -> Result<Option<TransactionEventRecord>, StorageError> {
        self.get(
            &keys::tx_event(transaction, seq_no),
            records::decode_tx_event,
        )
    }

    fn station_events(
        &self,
        id: &StationId,
        limit: usize,
    ) -> Result<Vec<StationEvent>, StorageError> {
        self.latest(
            &keys::station_event_prefix(id),
            limit,
            records::decode_station_event,
        )
    }

    fn reported_variables(&self, id: &StationId) -> Result<Vec<ReportedVariable>, StorageError> {
        self.scan(
            &keys::reported_variable_prefix(id),
            records::decode_variable,
        )
    }

    fn next_transaction_number(&self) -> Result<u64, StorageError> {
        self.transaction_numbers.next(&self.db)
    }

    fn transactions_matching(
        &self,
        query: &TransactionQuery,
    ) -> Result<Vec<Transaction>, StorageError> {
        let mut found = Vec::new();
        let Some(window) = Window::of(query) else {
            return Ok(found);
        };
        if query.limit == 0 {
            return Ok(found);
        }
        // Walk the narrowest listing the query allows: a station's and a
        // token's index (both: their intersection), or the whole table;
        // `matches` applies every filter, so an index only has to be a
        // superset.
        let by_station = query.station.as_ref().map(keys::tx_by_station_prefix);
        let by_token = query.token.as_deref().map(|token| {
            let key = token_key(token);
            if query.state == Some(TransactionState::Active) {
                keys::active_tx_by_token_prefix(&key)
            } else {
                keys::tx_by_token_prefix(&key)
            }
        });
        // keeps `tx` if it matches; true once there are enough
        let mut keep = |tx: Transaction| {
            if query.matches(&tx) {
                found.push(tx);
            }
            found.len() >= query.limit
        };
        match (by_station, by_token) {
            (None, None) => {
                let range = self
                    .db
                    .range(keys::transaction(window.lo)..=keys::transaction(window.hi));
                for entry in ordered(range, window.newest_first) {
                    let (_, value) = entry.map_err(backend)?;
                    if keep(records::decode_transaction(&value)?) {
                        break;
                    }
                }
            }
            (Some(index), None) | (None, Some(index)) => {
                for number in self.index_numbers(&index, window) {
                    if keep(self.listed_transaction(number?)?) {
                        break;
                    }
                }
            }
            (Some(station), Some(token)) => {
                // leapfrog: each index skips ahead to the other's next entry
                let mut rest = Some(window);
                while let Some(window) = rest {
                    let Some(a) = self.index_numbers(&station, window).next().transpose()? else {
                        break;
                    };
                    let Some(from_a) = window.from(a) else {
                        break;
                    };
                    let Some(b) = self.index_numbers(&token, from_a).next().transpose()? else {
                        break;
                    };
                    if a == b {
                        if keep(self.listed_transaction(a)?) {
                            break;
                        }
                        rest = window.after(a);
                    } else {
                        rest = window.from(b);
                    }
                }
            }
        }
        Ok(found)
    }

    fn status_history_since(
        &self,
        id: &StationId,
        since: Timestamp,
    ) -> Result<Vec<ConnectorStatus>, StorageError> {
        // the reports since `since`: walk back from the newest (times grow
        // with the sequence)
        let (recent, first_recent) = self.history_since(
            &keys::status_history_prefix(id),
            since,
            records::decode_status,
            |status| status.received_at,
        )?;
        // before them, the last earlier report of every connector the
        // station ever reported: one seek per connector in the index by
        // connector, skipping from each connector to the next
        let station_prefix = keys::status_by_connector_prefix(id);
        let station_end = end_bound(&station_prefix);
        let mut earlier: Vec<(u64, ConnectorStatus)> = Vec::new();
        let mut next_connector = station_prefix.clone();
        loop {
            let next = self
                .db
                .range((Bound::Included(next_connector), station_end.clone()))
                .next();
            let Some(entry) = next else {
                break;
            };
            let (key, _) = entry.map_err(backend)?;
            let location = keys::status_by_connector_location(&key, &station_prefix)
                .ok_or_else(|| corrupt_index("status index", "a key is too short"))?;
            let connector_prefix = keys::status_by_connector_location_prefix(id, location);
            let below = match first_recent {
                Some(seq) => Bound::Excluded(keys::status_by_connector(id, location, seq)),
                None => end_bound(&connector_prefix),
            };
            let last_earlier = self
                .db
                .range((Bound::Included(connector_prefix.clone()), below))
                .next_back();
            if let Some(entry) = last_earlier {
                let (key, _) = entry.map_err(backend)?;
                let seq = keys::trailing_u64(&key)
                    .ok_or_else(|| corrupt_index("status index", "a key is too short"))?;
                let status = self
                    .get(&keys::status_history(id, seq), records::decode_status)?
                    .ok_or_else(|| {
                        corrupt_index("status index", "an entry points to no status report")
                    })?;
                earlier.push((seq, status));
            }
            match keys::prefix_end(&connector_prefix) {
                Some(next) => next_connector = next,
                None => break,
            }
        }
        earlier.sort_by_key(|(seq, _)| *seq);
        let mut statuses: Vec<ConnectorStatus> =
            earlier.into_iter().map(|(_, status)| status).collect();
        statuses.extend(recent);
        Ok(statuses)
    }

    fn station_events_since(
        &self,
        id: &StationId,
        since: Timestamp,
    ) -> Result<Vec<StationEvent>, StorageError> {
        let (recent, first_recent) = self.history_since(
            &keys::station_event_prefix(id),
            since,
            records::decode_station_event,
            |event| event.received_at,
        )?;
        // before them, the last connection entry
        let prefix = keys::connection_event_prefix(id);
        let below = match first_recent {
            Some(seq) => Bound::Excluded(keys::connection_event(id, seq)),
            None => end_bound(&prefix),
        };
        let mut events = Vec::with_capacity(recent.len() + 1);
        if let Some(entry) = self.db.range((Bound::Included(prefix), below)).next_back() {
            let (key, _) = entry.map_err(backend)?;
            let seq = keys::trailing_u64(&key)
                .ok_or_else(|| corrupt_index("connection index", "a key is too short"))?;
            let event = self
                .get(&keys::station_event(id, seq), records::decode_station_event)?
                .ok_or_else(|| {
                    corrupt_index("connection index", "an entry points to no log entry")
                })?;
            events.push(event);
        }
        events.extend(recent);
        Ok(events)
    }

    fn configuration(&self, id: &StationId) -> Result<Vec<ConfigurationKey>, StorageError> {
        let mut found = Vec::new();
        for entry in self.db.scan_prefix(keys::configuration_prefix(id)) {
            let (_, value) = entry.map_err(backend)?;
            found.push(records::decode_configuration_key(id, &value)?);
        }
        Ok(found)
    }

    fn reservation(&self, id: i64) -> Result<Option<Reservation>, StorageError> {
        self.get(&keys::reservation(id), records::decode_reservation)
    }

    fn reservations(
        &self,
        station: Option<&StationId>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Reservation>, StorageError> {
        let Some(station) = station else {
            return self.page(
                keys::table::RESERVATION,
                after.map(keys::reservation),
                limit,
                records::decode_reservation,
            );
        };
        let prefix = keys::reservation_by_station_prefix(station);
        let end = end_bound(&prefix);
        let start = match after {
            Some(id) => Bound::Excluded(keys::reservation_by_station(station, id)),
            None => Bound::Included(prefix),
        };
        let mut found = Vec::with_capacity(limit.min(1024));
        for entry in self.db.range((start, end)) {
            if found.len() >= limit {
                break;
            }
            let (key, _) = entry.map_err(backend)?;
            let id = keys::trailing_i64(&key)
                .ok_or_else(|| corrupt_index("reservation index", "a key is too short"))?;
            let reservation = self.reservation(id)?.ok_or_else(|| {
                corrupt_index("reservation index", "an entry points to no reservation")
            })?;
            // (a reader racing a move to another station may see both entries)
            if &reservation.station == station {
                found.push(reservation);
            }
        }
        Ok(found)
    }

    fn next_reservation_id(&self) -> Result<i64, StorageError> {
        let id = self.reservation_ids.next(&self.db)?;
        i64::try_from(id).map_err(|_| StorageError::Exhausted("reservation ids"))
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StorageError> {
        self.get(&keys::api_key(id), records::decode_api_key)
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StorageError> {
        self.scan(
            &keys::table_prefix(keys::table::API_KEY),
            records::decode_api_key,
        )
    }

    fn tariff_assignment(
        &self,
        scope: &TariffScope,
    ) -> Result<Option<TariffAssignment>, StorageError> {
        self.get(
            &keys::tariff_assignment(scope),
            records::decode_tariff_assignment,
        )
    }

    fn tariff_assignments(&self) -> Result<Vec<TariffAssignment>, StorageError> {
        self.scan(
            &keys::table_prefix(keys::table::TARIFF_ASSIGNMENT),
            records::decode_tariff_assignment,
        )
    }

    fn close(&self) -> Result<(), StorageError> {
        SledStore::close(self)
    }

    fn apply(&self, changes: ChangeSet) -> Result<WriteTicket, StorageError> {
        if self.flusher.commit().is_stopping() {
            return Err(StorageError::Unavailable("the store is closed".to_owned()));
        }
        let queued = self.collect_unlocked(changes)?;
        self.writer.write(
            &self.db,
            queued,
            |group, queued| add_to_group(group, queued, &self.history_sequence, &self.db),
            || self.flusher.record_write(),
        )
    }

    fn durable(&self, ticket: WriteTicket) -> DurableFuture {
        self.flusher.durable(ticket)
    }

    fn apply_durably(&self, changes: ChangeSet) -> DurableFuture {
        if self.flusher.commit().is_stopping() {
            return failed(StorageError::Unavailable("the store is closed".to_owned()));
        }
        let queued = match self.collect_unlocked(changes) {
            Ok(queued) => queued,
            Err(error) => return failed(error),
        };
        // The writer thread writes it, with everything else queued.
        let written = match self.writer.submit(queued) {
            Ok(written) => written,
            Err(error) => return failed(error),
        };
        self.writer_thread.wake();
        let flusher = self.flusher.clone();
        Box::pin(async move {
            let ticket = written.await?;
            flusher.durable(ticket).await
        })
    }
}

/// A future that fails at once with `error`.
fn failed(error: StorageError) -> DurableFuture {
    Box::pin(std::future::ready(Err(error)))
}

/// A change set on its way to the writer, with the writes collected for it
/// before it queued.
type Queued = (ChangeSet, Collected);

/// Whether a change set's writes are collected only under the writer's
/// lock: it takes history sequence numbers (they must follow the order in
/// which change sets are written), or scans (see `writes`).
fn collect_under_lock(changes: &ChangeSet) -> bool {
    changes.changes.iter().any(|change| {
        matches!(
            change,
            Change::RecordStatus(_) | Change::AppendStationEvent(_) | Change::DeleteStation(_)
        )
    })
}

/// Adds a queued change set's writes to its group's: those collected before
/// it queued if what they were based on still holds, else collected again.
fn add_to_group(
    group: &mut WriteSet<'_>,
    (changes, collected): Queued,
    history: &Counter,
    db: &sled::Db,
) -> Result<(), StorageError> {
    if group.add_if_unchanged(collected)? {
        return Ok(());
    }
    collect(group, &changes, history, db)
}

impl SledStore {
    /// Collects a change set's writes without the writer's lock, unless it
    /// must be collected under it ([`collect_under_lock`]).
    fn collect_unlocked(&self, changes: ChangeSet) -> Result<Queued, StorageError> {
        if collect_under_lock(&changes) {
            return Ok((changes, Collected::nothing()));
        }
        let mut writes = WriteSet::unlocked(&self.db);
        collect(&mut writes, &changes, &self.history_sequence, &self.db)?;
        Ok((changes, writes.finish()))
    }
}

/// Adds the writes of `changes` to `writes`; `history` issues history
/// sequence numbers.
fn collect(
    writes: &mut WriteSet<'_>,
    changes: &ChangeSet,
    history: &Counter,
    db: &sled::Db,
) -> Result<(), StorageError> {
    for change in &changes.changes {
        match change {
            Change::PutStation(station) => {
                writes.put(
                    keys::station(&station.id),
                    records::encode_station(station)?,
                );
            }
            Change::DeleteStation(station) => {
                writes.remove(keys::station(station));
                writes.remove(keys::last_seen(station));
                for key in writes.keys_with_prefix(&keys::connector_status_prefix(station))? {
                    writes.remove(key);
                }
            }
            Change::StationSeen { station, at } => {
                writes.put(keys::last_seen(station), records::encode_timestamp(*at)?);
            }
            Change::RecordStatus(status) => {
                let value = records::encode_status(status)?;
                let seq = history.next(db)?;
                writes.put(
                    keys::connector_status(&status.station, status.location),
                    value.clone(),
                );
                writes.put(keys::status_history(&status.station, seq), value);
                writes.put(
                    keys::status_by_connector(&status.station, status.location, seq),
                    records::encode_marker(),
                );
            }
            Change::PutIdToken(token) => {
                writes.put(
                    keys::id_token(&token.key()),
                    records::encode_id_token(token)?,
                );
            }
            Change::DeleteIdToken(key) => {
                writes.remove(keys::id_token(&token_key(key)));
            }
            Change::PutTransaction(tx) => SledStore::put_transaction(writes, tx)?,
            Change::AddMeterSamples {
                transaction,
                samples,
            } => {
                SledStore::add_samples(writes, samples, |at| {
                    keys::meter_samples_at(*transaction, at)
                })?;
            }
            Change::AddEvseSamples {
                station,
                evse,
                samples,
            } => {
                SledStore::add_samples(writes, samples, |at| {
                    keys::evse_samples_at(station, *evse, at)
                })?;
            }
            Change::RecordTransactionEvent { transaction, event } => {
                writes.put(
                    keys::tx_event(*transaction, event.seq_no),
                    records::encode_tx_event(event)?,
                );
            }
            Change::AppendStationEvent(event) => {
                let seq = history.next(db)?;
                writes.put(
                    keys::station_event(&event.station, seq),
                    records::encode_station_event(event)?,
                );
                if keys::is_connection_entry(&event.kind) {
                    writes.put(
                        keys::connection_event(&event.station, seq),
                        records::encode_marker(),
                    );
                }
            }
            Change::PutReportedVariables { station, variables } => {
                for variable in variables {
                    writes.put(
                        keys::reported_variable(station, &variable.address),
                        records::encode_variable(variable)?,
                    );
                }
            }
            Change::PutConfiguration {
                station,
                keys: reported,
            } => {
                for key in reported {
                    writes.put(
                        keys::configuration_key(station, &key.key),
                        records::encode_configuration_key(key)?,
                    );
                }
            }
            Change::PutReservation(reservation) => {
                SledStore::put_reservation(writes, reservation)?;
            }
            Change::PutApiKey(key) => {
                writes.put(keys::api_key(&key.id), records::encode_api_key(key)?);
            }
            Change::PutTariffAssignment(assignment) => {
                writes.put(
                    keys::tariff_assignment(&assignment.scope),
                    records::encode_tariff_assignment(assignment)?,
                );
            }
            Change::DeleteTariffAssignment(scope) => {
                writes.remove(keys::tariff_assignment(scope));
            }
        }
    }
    Ok(())
}
