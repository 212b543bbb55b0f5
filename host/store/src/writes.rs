//! Atomic change sets on plain sled writes, through a one-record redo log.
//!
//! sled's own atomic batches (`apply_batch`, transactions) take a
//! process-wide lock that `flush` holds for the length of its `fsync`, so
//! every group-commit flush would stall every writer; measured here, batches
//! ran at a tenth of the speed of plain writes. So a change set is written
//! like this instead, under one store-wide lock:
//!
//! 1. its writes (the keys and values it puts or removes) are collected in a
//!    [`WriteSet`], which reads its own writes first, so a change set sees
//!    what it changed so far;
//! 2. all of them are written, as one value, to the meta key `pending`;
//! 3. then each is applied with a plain sled insert or remove.
//!
//! sled recovers a prefix of its log after a crash. If any write of step 3
//! survives, so does the `pending` record before it; and because the lock
//! orders change sets one after another, nothing written after that record
//! belongs to a later change set. So on open, [`recover`] writes the
//! `pending` record's writes again (they are whole values, so writing them
//! twice is harmless), and a change set is on disk entirely or not at all. A
//! clean close removes the record.
//!
//! The lock orders writers, not readers: a read running while a change set
//! is applied may see part of it.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use domain::StorageError;

use crate::records::corrupt;
use crate::{backend, keys};

/// One write: a key and its new value, `None` to remove it.
type Write = (Vec<u8>, Option<Vec<u8>>);

/// The version byte of the `pending` record.
const PENDING_V1: u8 = 1;

/// Lets one change set at a time write (see the module docs).
pub(crate) struct WriteLock(Mutex<()>);

impl WriteLock {
    pub(crate) fn new() -> Self {
        WriteLock(Mutex::new(()))
    }

    /// Waits for the change set being written, if any. If its writer
    /// panicked halfway, finishes that change set from `pending` first.
    pub(crate) fn lock(&self, db: &sled::Db) -> Result<MutexGuard<'_, ()>, StorageError> {
        match self.0.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                let guard = poisoned.into_inner();
                recover(db)?;
                self.0.clear_poison();
                Ok(guard)
            }
        }
    }
}

/// The writes of one change set, applied by [`WriteSet::commit`].
pub(crate) struct WriteSet<'a> {
    db: &'a sled::Db,
    /// In order; a later write of a key wins.
    writes: Vec<Write>,
}

impl<'a> WriteSet<'a> {
    /// An empty set. Hold the [`WriteLock`] from here until `commit`, so that
    /// what `get` reads stays true.
    pub(crate) fn new(db: &'a sled::Db, _lock: &MutexGuard<'_, ()>) -> Self {
        WriteSet {
            db,
            writes: Vec::with_capacity(8),
        }
    }

    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.push((key, Some(value)));
    }

    pub(crate) fn remove(&mut self, key: Vec<u8>) {
        self.writes.push((key, None));
    }

    /// The value of `key` as this set leaves it so far.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some((_, value)) = self.writes.iter().rev().find(|(written, _)| written == key) {
            return Ok(value.clone());
        }
        Ok(self
            .db
            .get(key)
            .map_err(backend)?
            .map(|value| value.to_vec()))
    }

    /// The keys under `prefix` as this set leaves them so far, in key order.
    pub(crate) fn keys_with_prefix(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        let mut keys = BTreeSet::new();
        for entry in self.db.scan_prefix(prefix) {
            let (key, _) = entry.map_err(backend)?;
            keys.insert(key.to_vec());
        }
        for (key, value) in &self.writes {
            if key.starts_with(prefix) {
                if value.is_some() {
                    keys.insert(key.clone());
                } else {
                    keys.remove(key);
                }
            }
        }
        Ok(keys.into_iter().collect())
    }

    /// Writes the `pending` record, then every write.
    pub(crate) fn commit(self) -> Result<(), StorageError> {
        if self.writes.is_empty() {
            return Ok(());
        }
        self.db
            .insert(
                keys::meta(keys::meta::PENDING),
                encode_pending(&self.writes),
            )
            .map_err(backend)?;
        apply(self.db, self.writes)
    }
}

fn apply(db: &sled::Db, writes: Vec<Write>) -> Result<(), StorageError> {
    for (key, value) in writes {
        match value {
            Some(value) => db.insert(key, value).map_err(backend)?,
            None => db.remove(key).map_err(backend)?,
        };
    }
    Ok(())
}

/// Completes the change set a crash (or a panicking writer) interrupted, if
/// any. Runs on open, before anything else writes, and under the [`WriteLock`].
pub(crate) fn recover(db: &sled::Db) -> Result<(), StorageError> {
    let key = keys::meta(keys::meta::PENDING);
    let Some(pending) = db.get(&key).map_err(backend)? else {
        return Ok(());
    };
    apply(db, decode_pending(&pending)?)?;
    db.remove(&key).map_err(backend)?;
    db.flush().map_err(backend)?;
    Ok(())
}

/// Removes the `pending` record once every write is known to be applied
/// (on a clean close). The caller flushes.
pub(crate) fn clear(db: &sled::Db) -> Result<(), StorageError> {
    db.remove(keys::meta(keys::meta::PENDING))
        .map_err(backend)?;
    Ok(())
}

/// The record: a version byte, then per write a `u32` big-endian key length,
/// the key, and either `00` (remove) or `01`, a `u32` value length and the value.
fn encode_pending(writes: &[Write]) -> Vec<u8> {
    let size: usize = writes
        .iter()
        .map(|(key, value)| 9 + key.len() + value.as_ref().map_or(0, Vec::len))
        .sum();
    let mut record = Vec::with_capacity(1 + size);
    record.push(PENDING_V1);
    for (key, value) in writes {
        push_bytes(&mut record, key);
        match value {
            None => record.push(0),
            Some(value) => {
                record.push(1);
                push_bytes(&mut record, value);
            }
        }
    }
    record
}

fn push_bytes(record: &mut Vec<u8>, bytes: &[u8]) {
    // sled keys and values are far below 4 GiB.
    record.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    record.extend_from_slice(bytes);
}

fn decode_pending(record: &[u8]) -> Result<Vec<Write>, StorageError> {
    let bad = |detail: &str| corrupt("pending change set", detail.to_owned());
    let Some((&PENDING_V1, mut rest)) = record.split_first() else {
        return Err(bad("unknown record version"));
    };
    let mut writes = Vec::new();
    while !rest.is_empty() {
        let key = take_bytes(&mut rest).ok_or_else(|| bad("a key is cut short"))?;
        let value = match take(&mut rest, 1).ok_or_else(|| bad("a write is cut short"))? {
            [0] => None,
            [1] => Some(take_bytes(&mut rest).ok_or_else(|| bad("a value is cut short"))?),
            _ => return Err(bad("a write is neither a put nor a remove")),
        };
        writes.push((key, value));
    }
    Ok(writes)
}

fn take<'r>(rest: &mut &'r [u8], len: usize) -> Option<&'r [u8]> {
    if rest.len() < len {
        return None;
    }
    let (taken, left) = rest.split_at(len);
    *rest = left;
    Some(taken)
}

fn take_bytes(rest: &mut &[u8]) -> Option<Vec<u8>> {
    let len = u32::from_be_bytes(take(rest, 4)?.try_into().ok()?);
    Some(take(rest, usize::try_from(len).ok()?)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pending_record_round_trips() {
        let writes = vec![
            (vec![1, 2], Some(vec![3; 300])),
            (vec![4], None),
            (vec![], Some(vec![])),
        ];
        assert_eq!(decode_pending(&encode_pending(&writes)).unwrap(), writes);
    }

    #[test]
    fn a_damaged_pending_record_is_corrupt() {
        let record = encode_pending(&[(vec![1, 2], Some(vec![3; 10]))]);
        // (the version byte alone is a record of no writes)
        for len in 2..record.len() {
            assert!(decode_pending(&record[..len]).is_err(), "cut at {len}");
        }
        assert!(decode_pending(&[9]).is_err());
        assert!(decode_pending(&[]).is_err());
    }

    #[test]
    fn recovery_finishes_an_interrupted_change_set() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        db.insert(b"a", b"old a").unwrap();
        db.insert(b"b", b"old b").unwrap();
        // as if a crash struck after the record and the first write
        let writes = vec![
            (b"a".to_vec(), Some(b"new a".to_vec())),
            (b"b".to_vec(), None),
            (b"c".to_vec(), Some(b"c".to_vec())),
        ];
        db.insert(keys::meta(keys::meta::PENDING), encode_pending(&writes))
            .unwrap();
        db.insert(b"a", b"new a").unwrap();
        recover(&db).unwrap();
        assert_eq!(db.get(b"a").unwrap().as_deref(), Some(&b"new a"[..]));
        assert_eq!(db.get(b"b").unwrap(), None);
        assert_eq!(db.get(b"c").unwrap().as_deref(), Some(&b"c"[..]));
        assert_eq!(db.get(keys::meta(keys::meta::PENDING)).unwrap(), None);
    }
}
