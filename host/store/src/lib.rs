//! Gridlet's embedded store: the domain's [`Storage`](domain::Storage) trait
//! on [sled](https://docs.rs/sled/0.34), in one local directory, with group
//! commit. This is the only crate in Gridlet that names sled.
//!
//! - [`SledStore`]: open a directory with [`SledStore::open`] and
//!   [`StoreOptions`]; use it through the `Storage` trait; [`SledStore::close`]
//!   it on shutdown. [`SledStore::stats`] counts writes and flushes.
//! - [`StoreError`]: why opening failed (e.g. the directory is in use by
//!   another process, or a newer Gridlet wrote it). Once open, every method
//!   returns the domain's [`StorageError`](domain::StorageError).
//!
//! Modules: `sled_store` (the trait's methods), `writes` (atomic change sets),
//! `commit` (group commit), `keys` and `records` (the encoding of keys and
//! values), `format` (format version and migrations), `counter` (transaction
//! numbers, history sequence numbers, reservation ids).
//!
//! # Writes and durability
//!
//! [`Storage::apply`](domain::Storage::apply) writes a whole change set,
//! visible at once, and returns a write ticket. A change set is atomic across
//! a crash: change sets are written in groups, whose writes are first
//! recorded as one value, and a crash in the middle is finished on the next
//! open (`writes`; sled's own batches stall behind every flush, so they are
//! not used). [`Storage::apply_durably`](domain::Storage::apply_durably)
//! queues a change set for the store's writer thread to write with the next
//! group, and resolves once it is durable.
//! [`Storage::durable`](domain::Storage::durable) resolves once a flush that
//! began after the write has succeeded. One flusher thread does every flush,
//! gathering the writers that arrive meanwhile (until writes pause briefly,
//! or at most [`StoreOptions::flush_interval`] after the previous flush
//! began), so one `fsync` acknowledges many writers (`commit`). A failed
//! flush fails the waiting writers; nothing unflushed is ever reported
//! durable.
//!
//! # Layout on disk
//!
//! The directory holds sled's files and `gridlet.lock`, which the store keeps
//! locked while it is open. Everything lives in sled's default tree. Each key
//! starts with a table byte; its parts are encoded so that byte order is the
//! order the trait promises: text escaped (`00` → `00 FF`) and ended by
//! `00 01`, integers big-endian, signed ones with the sign bit flipped,
//! optional parts as `00` or `01` and the part. Each value is a
//! record-version byte and a postcard record (`records`).
//!
//! | table | key after the table byte | value |
//! |---|---|---|
//! | `00` meta | `format` | format version, `u32` big-endian |
//! | `00` meta | `transaction-numbers`, `history-sequence`, `reservation-ids` | first unreserved number, `u64` big-endian |
//! | `00` meta | `pending` | the writes of the group of change sets applied last (own format, see `writes`) |
//! | `01` station | station id | station |
//! | `02` last seen | station id | time |
//! | `03` connector status | station id, evse `u32`, connector `u32` | current status |
//! | `04` status history | station id, sequence `u64` | status report |
//! | `05` id token | token key (upper case) | token |
//! | `06` transaction | number `u64` | transaction |
//! | `07` index: station's transaction id | station id, station's transaction id | number |
//! | `08` index: 1.6 start | station id, evse, connector, token key, start time `i64`, meter start `i64` | number |
//! | `09` index: active by token | token key, number `u64` | (empty) |
//! | `0A` transaction readings | number `u64`, measurement time `i64` | the readings of that instant |
//! | `0B` EVSE readings | station id, evse `u32`, measurement time `i64` | the readings of that instant |
//! | `0C` 2.0.1 transaction events | number, seqNo `u64` | event |
//! | `0D` station log | station id, sequence `u64` | log entry |
//! | `0E` reported variables | station id, component, instance?, evse?, connector?, variable, instance? | variable |
//! | `0F` index: transactions by station | station id, number `u64` | (empty) |
//! | `10` index: transactions by token | token key, number `u64` | (empty) |
//! | `11` index: status reports by connector | station id, evse `u32`, connector `u32`, sequence `u64` | (empty) |
//! | `12` index: connection entries of the log | station id, sequence `u64` | (empty) |
//! | `13` configuration keys (1.6) | station id, key | key (without the station) |
//! | `14` reservation | id `i64` | reservation |
//! | `15` index: reservations by station | station id, id `i64` | (empty) |
//! | `16` API key | id | API key |
//! | `17` tariff assignment | `00` (default), `01` group name, or `02` station id | assignment |
//!
//! (`?`: optional part, absent sorts first.) The readings of one instant are
//! one value, sorted by measurand, phase, location and context; a reading
//! with the same instant and those four replaces the stored one, so a replay
//! adds nothing. The histories (`04`, `0D`) are keyed by a store-wide
//! sequence number, so they read back in the order they were written.
//!
//! Index entries are written in the change set that writes what they index,
//! after its record, so a reader that finds an entry finds the record; a
//! moved entry (a transaction's new token, a reservation's new station) is
//! removed in the same change set. `0F` and `10` list every transaction, `09`
//! only the active ones; `10` is keyed by `token_key(id_token)`.
//!
//! # Queries
//!
//! - Transactions by filter (`transactions_matching`) walk the narrowest
//!   listing: a station's `0F` range, a token's `10` range (`09` when only
//!   active ones are asked for), the intersection of both (each skipping
//!   ahead to the other's next number), or else the transaction table, in
//!   number order either way, from the cursor on; every candidate passes
//!   through `TransactionQuery::matches`, and the walk stops at `limit`
//!   matches. Time filters are not indexed: a query with only those walks
//!   transactions until it has `limit` of them.
//! - Histories since a time (`status_history_since`, `station_events_since`)
//!   walk back from a station's newest entry until one received before the
//!   time (receiving times grow with the sequence), then find what precedes
//!   with one seek: per connector the last `11` entry before the first recent
//!   sequence number, or the last `12` entry before it.
//!
//! # Versions
//!
//! The meta key `format` holds the on-disk format version ([`FORMAT_VERSION`]),
//! checked on every open: a newer one is refused, an older one is migrated
//! (`format`). Every value also carries its own record version, so records
//! can change one kind at a time.
//!
//! | format | what changed |
//! |---|---|
//! | 1 | the first: tables `00`–`0E` |
//! | 2 | tables `0F`–`16`, meta key `reservation-ids`, log entry kind `WentOffline`; migrating from 1 builds `0F`–`12` from the stored transactions, status reports and logs |
//! | 3 | table `17` (tariff assignments); record version 2 of stations (group) and transactions (station group, pricing, running cost), version 1 still read; migrating from 2 adds nothing |
//!
//! A migration finishes an interrupted change set first, clears and rebuilds
//! what it adds, and writes the new version only once that is flushed, so a
//! crash in the middle leaves the old version on disk and the migration runs
//! again on the next open.

mod commit;
mod counter;
mod error;
mod format;
mod keys;
mod records;
mod sled_store;
mod writes;

pub use error::StoreError;
pub use format::FORMAT_VERSION;
pub use sled_store::{SledStore, StoreOptions, StoreStats};

/// A sled failure, as the domain reports it.
fn backend(error: sled::Error) -> domain::StorageError {
    domain::StorageError::Backend(error.to_string())
}
