//! Atomic change sets on plain sled writes, through a one-record redo log,
//! written in groups.
//!
//! sled's own atomic batches (`apply_batch`, transactions) take a
//! process-wide lock that `flush` holds for the length of its `fsync`, so
//! every group-commit flush would stall every writer; measured here, batches
//! ran at a tenth of the speed of plain writes. So change sets are written
//! like this instead:
//!
//! 1. a change set's writes (the keys and values it puts or removes) are
//!    collected in a [`WriteSet`] before anything is locked: records are
//!    encoded, and what the change set reads (an old transaction, stored
//!    readings) is read from sled and noted. A `WriteSet` reads its own
//!    writes first, so a change set sees what it changed so far;
//! 2. the change set joins the queue of the [`Writer`]. Whoever next takes
//!    the writer's lock takes every change set queued, in queue order, as
//!    one group: the store's writer thread ([`WriterThread`]), or a caller
//!    of `Storage::apply`, which waits for the lock (and finds its change
//!    set written if an earlier holder took it, so only collects its
//!    result). A caller of `Storage::apply_durably` does not wait for the
//!    lock: it wakes the writer thread, and its future resolves once a group
//!    has written its change set and a flush has covered it;
//! 3. under the lock, each change set of the group is checked: if every
//!    value it read is still the same (in sled, or as the change sets before
//!    it in the group leave it), its writes join the group's; if not, they
//!    are collected again, now under the lock. A change set that fails
//!    there (a stored record it reads cannot be decoded) is left out and
//!    its caller gets the error; the others go on;
//! 4. all of the group's writes are written, as one value, to the meta key
//!    `pending`;
//! 5. then each is applied with a plain sled insert or remove, and every
//!    change set of the group gets its own ticket (see [`crate::commit`]).
//!
//! sled recovers a prefix of its log after a crash. If any write of step 5
//! survives, so does the `pending` record before it; and because the lock
//! orders groups one after another, nothing written after that record
//! belongs to a later group. So on open, [`recover`] writes the `pending`
//! record's writes again (they are whole values, so writing them twice is
//! harmless), and a group, so each change set in it, is on disk entirely or
//! not at all. Change sets are applied in queue order, each after every one
//! queued before it. A clean close removes the record.
//!
//! The lock orders writers, not readers: a read running while a group is
//! applied may see part of it.
//!
//! A change set that takes history sequence numbers or scans keys is
//! collected only under the lock (in step 3), so that sequence numbers
//! follow the order in which change sets are written, and a scan needs no
//! checking again. On close the writer thread writes what is queued before
//! the last flush; after that the queue takes nothing more, and a change
//! set that came too late fails.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle, Thread};

use domain::{StorageError, WriteTicket};

use crate::records::corrupt;
use crate::{backend, keys};

/// One write: a key and its new value, `None` to remove it.
type Write = (Vec<u8>, Option<Vec<u8>>);

/// The version byte of the `pending` record.
const PENDING_V1: u8 = 1;

/// Writes change sets of type `C` one group at a time (see the module docs).
pub(crate) struct Writer<C> {
    /// Held while a group is written.
    lock: Mutex<()>,
    /// Change sets waiting for the next group, in arrival order.
    queue: Mutex<Queue<C>>,
}

struct Queue<C> {
    waiting: Vec<Arc<Queued<C>>>,
    /// Set when the store closes: nothing more is queued.
    closed: bool,
}

/// A change set in the queue, and its result once its group is written.
struct Queued<C> {
    /// Taken by the writer of its group.
    change_set: Mutex<Option<C>>,
    outcome: OnceLock<Result<WriteTicket, StorageError>>,
    /// Woken once `outcome` is set ([`Written`]).
    waker: Mutex<Option<Waker>>,
}

impl<C> Queued<C> {
    /// Sets the outcome (unless set already) and wakes a [`Written`] waiting for it.
    fn answer(&self, outcome: Result<WriteTicket, StorageError>) {
        let _ = self.outcome.set(outcome);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The lock of a [`Writer`], held until dropped.
pub(crate) struct WriteGuard<'a> {
    _held: MutexGuard<'a, ()>,
}

impl<C> Writer<C> {
    pub(crate) fn new() -> Self {
        Writer {
            lock: Mutex::new(()),
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                closed: false,
            }),
        }
    }

    /// Waits for the group being written, if any. If its writer panicked
    /// halfway, finishes that group from `pending` first.
    pub(crate) fn lock(&self, db: &sled::Db) -> Result<WriteGuard<'_>, StorageError> {
        match self.lock.lock() {
            Ok(guard) => Ok(WriteGuard { _held: guard }),
            Err(poisoned) => {
                let guard = poisoned.into_inner();
                recover(db)?;
                self.lock.clear_poison();
                Ok(WriteGuard { _held: guard })
            }
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue<C>> {
        // Pushing, taking the whole queue and closing it cannot panic halfway.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `change_set` for the next group; fails once the store closed.
    fn push(&self, change_set: C) -> Result<Arc<Queued<C>>, StorageError> {
        let queued = Arc::new(Queued {
            change_set: Mutex::new(Some(change_set)),
            outcome: OnceLock::new(),
            waker: Mutex::new(None),
        });
        let mut queue = self.queue();
        if queue.closed {
            return Err(StorageError::Unavailable("the store is closed".to_owned()));
        }
        queue.waiting.push(queued.clone());
        Ok(queued)
    }

    /// Queues `change_set` and returns at once; the future resolves with its
    /// ticket once a group has taken and written it (a [`WriterThread`]
    /// writes what is queued, see [`Writer::write_queued`]).
    pub(crate) fn submit(&self, change_set: C) -> Result<Written<C>, StorageError> {
        Ok(Written(self.push(change_set)?))
    }

    /// Whether change sets are waiting.
    fn has_queued(&self) -> bool {
        !self.queue().waiting.is_empty()
    }

    /// Queues `change_set` and returns once it is written, by this caller or
    /// by another that took it into its group, with its ticket or its error.
    ///
    /// `add` adds a queued change set's writes to the group's set: from what
    /// the change set collected before it queued if that still holds, else by
    /// collecting them again. `applied` records one applied change set and
    /// returns its ticket.
    pub(crate) fn write(
        &self,
        db: &sled::Db,
        change_set: C,
        add: impl Fn(&mut WriteSet<'_>, C) -> Result<(), StorageError>,
        applied: impl Fn() -> WriteTicket,
    ) -> Result<WriteTicket, StorageError> {
        let mine = self.push(change_set)?;
        let guard = match self.lock(db) {
            Ok(guard) => guard,
            Err(error) => {
                // (no one holds the lock: if ours is still queued, it stays unwritten)
                self.queue()
                    .waiting
                    .retain(|queued| !Arc::ptr_eq(queued, &mine));
                return mine.outcome.get().cloned().unwrap_or(Err(error));
            }
        };
        // Unless an earlier group took ours (whoever takes the queue answers
        // every change set in it before letting go of the lock), we write
        // the group.
        if mine.outcome.get().is_none() {
            self.write_group(db, &guard, add, applied);
        }
        drop(guard);
        mine.outcome.get().cloned().unwrap_or_else(|| {
            Err(StorageError::Backend(
                "a change set was left unwritten".to_owned(),
            ))
        })
    }

    /// Writes every change set queued, as one group (see [`Writer::write`]
    /// for `add` and `applied`).
    /// If the lock cannot be had (a panicked writer's group could not be
    /// finished), fails every change set queued with that error.
    pub(crate) fn write_queued(
        &self,
        db: &sled::Db,
        add: impl Fn(&mut WriteSet<'_>, C) -> Result<(), StorageError>,
        applied: impl Fn() -> WriteTicket,
    ) -> Result<(), StorageError> {
        let guard = match self.lock(db) {
            Ok(guard) => guard,
            Err(error) => {
                let left = std::mem::take(&mut self.queue().waiting);
                for queued in left {
                    queued.answer(Err(error.clone()));
                }
                return Err(error);
            }
        };
        self.write_group(db, &guard, add, applied);
        Ok(())
    }

    /// Takes the queue and writes it as one group; answers every change set
    /// in it.
    fn write_group(
        &self,
        db: &sled::Db,
        guard: &WriteGuard<'_>,
        add: impl Fn(&mut WriteSet<'_>, C) -> Result<(), StorageError>,
        applied: impl Fn() -> WriteTicket,
    ) {
        let group = std::mem::take(&mut self.queue().waiting);
        if group.is_empty() {
            return;
        }
        let unanswered = FailUnanswered(&group);
        let mut writes = WriteSet::locked(db, guard);
        let mut added = Vec::with_capacity(group.len());
        for queued in &group {
            let taken = queued
                .change_set
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let Some(change_set) = taken else { continue };
            let mark = writes.writes.len();
            match add(&mut writes, change_set) {
                Ok(()) => added.push(queued),
                Err(error) => {
                    writes.writes.truncate(mark);
                    queued.answer(Err(error));
                }
            }
        }
        match writes.commit() {
            Ok(()) => {
                for queued in added {
                    queued.answer(Ok(applied()));
                }
            }
            Err(error) => {
                for queued in added {
                    queued.answer(Err(error.clone()));
                }
            }
        }
        drop(unanswered);
    }

    /// Takes no more change sets, and fails those still queued (the store
    /// is closing: its flusher has stopped).
    pub(crate) fn close(&self) {
        let left = {
            let mut queue = self.queue();
            queue.closed = true;
            std::mem::take(&mut queue.waiting)
        };
        for queued in left {
            queued.answer(Err(StorageError::Unavailable(
                "the store closed before the write was applied".to_owned(),
            )));
        }
    }
}

/// The thread that writes what is queued with [`Writer::submit`], a group
/// at a time, so that its callers need not wait for the lock: while it
/// writes one group, the next gathers.
pub(crate) struct WriterThread {
    thread: Thread,
    stopping: Arc<AtomicBool>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl WriterThread {
    /// Starts the thread; `write_queued` writes what is queued (with
    /// [`Writer::write_queued`]).
    pub(crate) fn start<C: Send + 'static>(
        writer: Arc<Writer<C>>,
        mut write_queued: impl FnMut(&Writer<C>) + Send + 'static,
    ) -> std::io::Result<WriterThread> {
        let stopping = Arc::new(AtomicBool::new(false));
        let handle = thread::Builder::new()
            .name("gridlet-store-writer".to_owned())
            .spawn({
                let stopping = stopping.clone();
                move || {
                    loop {
                        // A submitter queues before it wakes us, and a wake
                        // before the park makes the park return at once, so
                        // no change set is left waiting.
                        while !writer.has_queued() && !stopping.load(Ordering::SeqCst) {
                            thread::park();
                        }
                        if stopping.load(Ordering::SeqCst) && !writer.has_queued() {
                            return;
                        }
                        write_queued(&writer);
                    }
                }
            })?;
        Ok(WriterThread {
            thread: handle.thread().clone(),
            stopping,
            handle: Mutex::new(Some(handle)),
        })
    }

    /// Tells the thread that a change set was queued.
    pub(crate) fn wake(&self) {
        // Cheap when the thread is not parked: an atomic swap, no syscall.
        self.thread.unpark();
    }

    /// Lets the thread write what is queued, and waits for it to stop. Later
    /// calls do nothing.
    pub(crate) fn stop(&self) -> Result<(), StorageError> {
        self.stopping.store(true, Ordering::SeqCst);
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(handle) = handle else { return Ok(()) };
        self.thread.unpark();
        handle
            .join()
            .map_err(|_| StorageError::Backend("the store's writer thread panicked".to_owned()))
    }
}

/// Resolves with a submitted change set's ticket once it is written, or
/// with its error.
pub(crate) struct Written<C>(Arc<Queued<C>>);

impl<C> Future for Written<C> {
    type Output = Result<WriteTicket, StorageError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let queued = &self.0;
        // The writer sets the outcome before it takes the waker, so one of
        // the two sees the other.
        let mut waker = queued.waker.lock().unwrap_or_else(PoisonError::into_inner);
        match queued.outcome.get() {
            Some(outcome) => Poll::Ready(outcome.clone()),
            None => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Answers, when dropped, every change set of a group that has no result
/// yet with an error: a group's writer that panics leaves no caller waiting
/// for a result that never comes. (Its group may still be finished from
/// `pending` by the next writer; the callers were told it failed.)
struct FailUnanswered<'a, C>(&'a [Arc<Queued<C>>]);

impl<C> Drop for FailUnanswered<'_, C> {
    fn drop(&mut self) {
        for queued in self.0 {
            if queued.outcome.get().is_none() {
                queued.answer(Err(StorageError::Backend(
                    "the store's writer failed while writing this change".to_owned(),
                )));
            }
        }
    }
}

/// The writes of one change set, or of a group of them.
pub(crate) struct WriteSet<'a> {
    db: &'a sled::Db,
    /// In order; a later write of a key wins.
    writes: Vec<Write>,
    /// What was read from sled (not from `writes`), in order, for
    /// [`WriteSet::add_if_unchanged`]; `None` once a read cannot be noted
    /// (a prefix scan), or in a set collected under the lock.
    reads: Option<Vec<(Vec<u8>, Option<sled::IVec>)>>,
}

impl<'a> WriteSet<'a> {
    /// An empty set collected without the writer's lock: what it reads is
    /// noted, to be checked again under the lock.
    pub(crate) fn unlocked(db: &'a sled::Db) -> Self {
        WriteSet {
            db,
            writes: Vec::with_capacity(8),
            reads: Some(Vec::with_capacity(4)),
        }
    }

    /// An empty set collected under the writer's lock; what `get` reads
    /// stays true until `commit`.
    fn locked(db: &'a sled::Db, _lock: &WriteGuard<'_>) -> Self {
        WriteSet {
            db,
            writes: Vec::with_capacity(64),
            reads: None,
        }
    }

    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.push((key, Some(value)));
    }

    pub(crate) fn remove(&mut self, key: Vec<u8>) {
        self.writes.push((key, None));
    }

    /// The value of `key` as this set leaves it so far, without noting a read.
    fn current(&self, key: &[u8]) -> Result<Option<CurrentValue<'_>>, StorageError> {
        if let Some((_, value)) = self.writes.iter().rev().find(|(written, _)| written == key) {
            return Ok(value.as_deref().map(CurrentValue::Written));
        }
        Ok(self.db.get(key).map_err(backend)?.map(CurrentValue::Stored))
    }

    /// The value of `key` as this set leaves it so far.
    pub(crate) fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some((_, value)) = self.writes.iter().rev().find(|(written, _)| written == key) {
            return Ok(value.clone());
        }
        let stored = self.db.get(key).map_err(backend)?;
        let value = stored.as_deref().map(<[u8]>::to_vec);
        if let Some(reads) = &mut self.reads {
            reads.push((key.to_vec(), stored));
        }
        Ok(value)
    }

    /// The keys under `prefix` as this set leaves them so far, in key order.
    pub(crate) fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        // A scan is not checked again: a set that scanned is collected anew
        // under the lock.
        self.reads = None;
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

    /// What this set, collected without the lock, holds: to be added to a
    /// group's set by [`WriteSet::add_if_unchanged`].
    pub(crate) fn finish(self) -> Collected {
        Collected {
            writes: self.writes,
            reads: self.reads,
        }
    }

    /// Adds the writes of `collected` (one whole change set's) if
    /// everything it read is still the same as this set leaves it; returns
    /// whether it did.
    pub(crate) fn add_if_unchanged(&mut self, collected: Collected) -> Result<bool, StorageError> {
        let Some(reads) = &collected.reads else {
            return Ok(false);
        };
        for (key, then) in reads {
            let now = self.current(key)?;
            let same = match (now, then) {
                (None, None) => true,
                (Some(now), Some(then)) => now.bytes() == &then[..],
                _ => false,
            };
            if !same {
                return Ok(false);
            }
        }
        self.writes.extend(collected.writes);
        Ok(true)
    }

    /// Writes the `pending` record, then every write.
    fn commit(self) -> Result<(), StorageError> {
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

/// The writes of one change set collected without the lock, and what it
/// read (see [`WriteSet::finish`]).
pub(crate) struct Collected {
    writes: Vec<Write>,
    reads: Option<Vec<(Vec<u8>, Option<sled::IVec>)>>,
}

impl Collected {
    /// Nothing collected: the change set is collected under the lock.
    pub(crate) fn nothing() -> Self {
        Collected {
            writes: Vec::new(),
            reads: None,
        }
    }
}

/// A value as a [`WriteSet`] sees it: written by the set, or stored in sled.
enum CurrentValue<'v> {
    Written(&'v [u8]),
    Stored(sled::IVec),
}

impl CurrentValue<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            CurrentValue::Written(bytes) => bytes,
            CurrentValue::Stored(bytes) => bytes,
        }
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

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_group_writes_its_change_sets_in_order_and_leaves_out_a_failing_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let writer: Writer<u8> = Writer::new();
        // each change set n puts key `n`, and appends n to key `log` (read back first)
        let add = |set: &mut WriteSet<'_>, n: u8| {
            set.put(vec![n], vec![n]);
            let mut log = set.get(b"log")?.unwrap_or_default();
            log.push(n);
            set.put(b"log".to_vec(), log);
            if n == 2 {
                return Err(StorageError::Backend("two fails".to_owned()));
            }
            Ok(())
        };
        let tickets = std::cell::Cell::new(0);
        let applied = || {
            tickets.set(tickets.get() + 1);
            WriteTicket(tickets.get())
        };
        let written: Vec<_> = (1..=3).map(|n| writer.submit(n).unwrap()).collect();
        writer.write_queued(&db, add, applied).unwrap();
        let outcomes: Vec<_> = written.into_iter().map(block_on).collect();
        assert_eq!(outcomes[0], Ok(WriteTicket(1)));
        assert_eq!(
            outcomes[1],
            Err(StorageError::Backend("two fails".to_owned()))
        );
        assert_eq!(outcomes[2], Ok(WriteTicket(2)));
        assert_eq!(db.get([1]).unwrap().as_deref(), Some(&[1][..]));
        assert_eq!(db.get([2]).unwrap(), None);
        assert_eq!(db.get(b"log").unwrap().as_deref(), Some(&[1, 3][..]));
        // the group was recorded whole, without the failed change set
        let pending = db.get(keys::meta(keys::meta::PENDING)).unwrap().unwrap();
        assert_eq!(decode_pending(&pending).unwrap().len(), 4);

        // a caller of `write` writes what is queued before its own, in order
        let earlier = writer.submit(4).unwrap();
        assert_eq!(writer.write(&db, 5, add, applied), Ok(WriteTicket(4)));
        assert_eq!(block_on(earlier), Ok(WriteTicket(3)));
        assert_eq!(db.get(b"log").unwrap().as_deref(), Some(&[1, 3, 4, 5][..]));

        // once closed, what is queued fails and nothing more is taken
        let left = writer.submit(6).unwrap();
        writer.close();
        assert!(matches!(block_on(left), Err(StorageError::Unavailable(_))));
        assert!(writer.submit(7).is_err());
        assert!(writer.write(&db, 8, add, applied).is_err());
        assert_eq!(db.get([6]).unwrap(), None);
    }

    #[test]
    fn writes_collected_without_the_lock_are_used_only_while_what_they_read_holds() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        db.insert(b"a", b"1").unwrap();
        let mut early = WriteSet::unlocked(&db);
        let read = early.get(b"a").unwrap();
        early.put(b"b".to_vec(), read.unwrap());
        let early = early.finish();
        let writer: Writer<()> = Writer::new();
        let guard = writer.lock(&db).unwrap();
        let mut group = WriteSet::locked(&db, &guard);
        group.put(b"a".to_vec(), b"2".to_vec());
        assert!(
            !group.add_if_unchanged(early).unwrap(),
            "`a` changed in the group"
        );

        let mut early = WriteSet::unlocked(&db);
        let _ = early.get(b"a").unwrap();
        assert!(
            WriteSet::locked(&db, &guard)
                .add_if_unchanged(early.finish())
                .unwrap()
        );

        let mut scanned = WriteSet::unlocked(&db);
        scanned.keys_with_prefix(b"a").unwrap();
        assert!(
            !WriteSet::locked(&db, &guard)
                .add_if_unchanged(scanned.finish())
                .unwrap()
        );
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
