//! The on-disk format version: written when a store is created, checked on
//! every open, and the one place where migrations from older formats run.
//!
//! The version covers the key layout (see the crate docs) and which record
//! versions may be found. Each value also starts with its own record version
//! byte (see [`crate::records`]), so a migration may rewrite records lazily.
//!
//! # History
//!
//! - **1**: the first format (tables `00`–`0E`).
//! - **2**: adds the indexes `0F` (transactions by station), `10`
//!   (transactions by token), `11` (status reports by connector) and `12`
//!   (connection entries of station logs), the tables `13` (configuration
//!   keys), `14` (reservations), `15` (reservations by station) and `16` (API
//!   keys), the meta key `reservation-ids`, and the log entry kind
//!   `WentOffline` (appended to the log entry record, which stays version 1).
//!   Migrating from 1 builds the four indexes from the stored transactions,
//!   status history and logs; the new tables start empty.
//! - **3**: adds the table `17` (tariff assignments) and the second release
//!   (record version 2) of two records: a station with its group, and a
//!   transaction with its station's group, its pricing and its running
//!   cost. Version-1 stations and transactions stay readable (they read as
//!   having none of these) and are rewritten as version 2 when next
//!   changed; a format-2 build cannot read version 2, which is why the
//!   format changes. Migrating from 2 only makes sure the new table is
//!   empty.
//!
//! # How a migration stays atomic
//!
//! A step from N to N+1 must leave the store either at N (and readable by a
//! build that knows only N) or entirely at N+1: the format key is rewritten
//! only after everything the step wrote is flushed, and sled recovers a
//! prefix of its log, so a crash before that leaves the old version on disk
//! and the step runs again on the next open. So every step is idempotent: it
//! derives what it writes from the data of format N only, and first removes
//! whatever an interrupted earlier run of itself may have left behind (which
//! a build of format N, which ignores those keys, may since have made stale).
//!
//! Before a step runs, the change set a crash interrupted (the `pending`
//! record, see [`crate::writes`]) is finished, so the step sees every
//! acknowledged change and no write in the old format follows it.

use std::path::Path;

use domain::StorageError;

use crate::error::StoreError;
use crate::{backend, keys, records, writes};

/// The format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 3;

/// Checks the format of the store in `db`; marks a new, empty store as
/// [`FORMAT_VERSION`]; migrates an older one.
pub(crate) fn check(db: &sled::Db, dir: &Path) -> Result<(), StoreError> {
    let storage = |e: sled::Error| StoreError::Storage {
        dir: dir.to_owned(),
        source: crate::backend(e),
    };
    let key = keys::meta(keys::meta::FORMAT);
    let Some(stored) = db.get(&key).map_err(storage)? else {
        if db.first().map_err(storage)?.is_some() {
            return Err(StoreError::NotAStore {
                dir: dir.to_owned(),
                detail: "it holds data but no format version".to_owned(),
            });
        }
        db.insert(&key, &FORMAT_VERSION.to_be_bytes())
            .map_err(storage)?;
        db.flush().map_err(storage)?;
        return Ok(());
    };
    let found = match <[u8; 4]>::try_from(stored.as_ref()) {
        Ok(bytes) => u32::from_be_bytes(bytes),
        Err(_) => {
            return Err(StoreError::NotAStore {
                dir: dir.to_owned(),
                detail: format!("its format version is {} bytes long, not 4", stored.len()),
            });
        }
    };
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            dir: dir.to_owned(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    if found < FORMAT_VERSION {
        migrate(db, dir, found)?;
    }
    Ok(())
}

/// Brings a store of format `from` up to [`FORMAT_VERSION`], one version at a
/// time, rewriting the format key after each step (see the module docs).
fn migrate(db: &sled::Db, dir: &Path, from: u32) -> Result<(), StoreError> {
    let storage = |source: StorageError| StoreError::Storage {
        dir: dir.to_owned(),
        source,
    };
    if from == 0 {
        return Err(StoreError::NotAStore {
            dir: dir.to_owned(),
            detail: "format version 0 is unknown".to_owned(),
        });
    }
    writes::recover(db).map_err(storage)?;
    let mut version = from;
    while version < FORMAT_VERSION {
        tracing::info!(dir = %dir.display(), from = version, to = version + 1, "migrating the store");
        match version {
            1 => migrate_1_to_2(db).map_err(storage)?,
            2 => migrate_2_to_3(db).map_err(storage)?,
            _ => {
                return Err(StoreError::NotAStore {
                    dir: dir.to_owned(),
                    detail: format!("format version {version} is unknown"),
                });
            }
        }
        // everything the step wrote is on disk before the version says so
        db.flush().map_err(backend).map_err(storage)?;
        version += 1;
        db.insert(keys::meta(keys::meta::FORMAT), &version.to_be_bytes())
            .map_err(backend)
            .map_err(storage)?;
        db.flush().map_err(backend).map_err(storage)?;
    }
    Ok(())
}

/// Format 2's new indexes, built from format 1's transactions, status
/// history and station logs. The caller flushes.
fn migrate_1_to_2(db: &sled::Db) -> Result<(), StorageError> {
    // what an interrupted run of this step left (see the module docs)
    for table in [
        keys::table::TX_BY_STATION,
        keys::table::TX_BY_TOKEN,
        keys::table::STATUS_BY_CONNECTOR,
        keys::table::CONNECTION_EVENT,
    ] {
        clear_table(db, table)?;
    }
    let marker = records::encode_marker();
    let mut skipped = 0_u64;

    let mut transactions = 0_u64;
    for entry in db.scan_prefix(keys::table_prefix(keys::table::TRANSACTION)) {
        let (key, value) = entry.map_err(backend)?;
        let tx = match records::decode_transaction(&value) {
            Ok(tx) => tx,
            Err(error) => {
                skip(&key, &error, &mut skipped);
                continue;
            }
        };
        db.insert(keys::tx_station_entry(&tx), marker.as_slice())
            .map_err(backend)?;
        if let Some(by_token) = keys::tx_token_entry(&tx) {
            db.insert(by_token, marker.as_slice()).map_err(backend)?;
        }
        transactions += 1;
    }

    let mut statuses = 0_u64;
    for entry in db.scan_prefix(keys::table_prefix(keys::table::STATUS_HISTORY)) {
        let (key, value) = entry.map_err(backend)?;
        let (status, seq) = match (records::decode_status(&value), keys::trailing_u64(&key)) {
            (Ok(status), Some(seq)) => (status, seq),
            (Err(error), _) => {
                skip(&key, &error, &mut skipped);
                continue;
            }
            (_, None) => {
                let error = records::corrupt("status history", "a key is too short".to_owned());
                skip(&key, &error, &mut skipped);
                continue;
            }
        };
        db.insert(
            keys::status_by_connector(&status.station, status.location, seq),
            marker.as_slice(),
        )
        .map_err(backend)?;
        statuses += 1;
    }

    let mut connections = 0_u64;
    for entry in db.scan_prefix(keys::table_prefix(keys::table::STATION_EVENT)) {
        let (key, value) = entry.map_err(backend)?;
        let (event, seq) = match (
            records::decode_station_event(&value),
            keys::trailing_u64(&key),
        ) {
            (Ok(event), Some(seq)) => (event, seq),
            (Err(error), _) => {
                skip(&key, &error, &mut skipped);
                continue;
            }
            (_, None) => {
                let error = records::corrupt("station event", "a key is too short".to_owned());
                skip(&key, &error, &mut skipped);
                continue;
            }
        };
        if keys::is_connection_entry(&event.kind) {
            db.insert(
                keys::connection_event(&event.station, seq),
                marker.as_slice(),
            )
            .map_err(backend)?;
            connections += 1;
        }
    }
    tracing::info!(
        transactions,
        statuses,
        connections,
        skipped,
        "indexed transactions, status reports and connection entries"
    );
    Ok(())
}

/// Format 3 adds a table that starts empty and record versions that are
/// written from now on; old records stay as they are. The caller flushes.
fn migrate_2_to_3(db: &sled::Db) -> Result<(), StorageError> {
    // what a format-3 build may have left before a crash undid the version
    // (a format-2 build never writes this table)
    clear_table(db, keys::table::TARIFF_ASSIGNMENT)
}

/// Removes every key of `table`.
fn clear_table(db: &sled::Db, table: u8) -> Result<(), StorageError> {
    for entry in db.scan_prefix(keys::table_prefix(table)) {
        let (key, _) = entry.map_err(backend)?;
        db.remove(key).map_err(backend)?;
    }
    Ok(())
}

/// A record a migration cannot read stays as it is (reading it reports the
/// damage) and goes unindexed.
fn skip(key: &[u8], error: &StorageError, skipped: &mut u64) {
    *skipped += 1;
    tracing::warn!(key = ?key, %error, "migration: an unreadable record is left unindexed");
}
