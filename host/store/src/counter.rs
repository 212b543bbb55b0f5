//! Crash-safe counters: transaction numbers, history sequence numbers and
//! reservation ids.
//!
//! A [`Counter`] hands out increasing numbers from memory and keeps on disk
//! the end of a reserved block: before it hands out the first number of a new
//! block it writes the block's end to its meta key and flushes. After a crash
//! the counter starts at the stored end, so a number is never issued twice;
//! at most one block's worth of numbers is skipped. A clean close writes the
//! next number instead of the block's end, so a restart skips nothing.
//!
//! We do not use sled's `generate_id`: it also never repeats, but it skips
//! twice its persist interval on *every* open, clean or not, and OCPP 1.6
//! stations keep transaction ids in 32 bits.

use std::sync::{Mutex, PoisonError};

use domain::StorageError;

use crate::keys;

/// Numbers from one meta key, reserved on disk a block at a time.
pub(crate) struct Counter {
    /// The meta key holding the first unreserved number.
    key: Vec<u8>,
    /// What runs out, for [`StorageError::Exhausted`].
    what: &'static str,
    /// How many numbers one flush reserves.
    block: u64,
    /// The first number that may not be handed out.
    end: u64,
    state: Mutex<CounterState>,
}

struct CounterState {
    /// The next number to hand out.
    next: u64,
    /// The first number not covered by the reservation on disk.
    reserved_end: u64,
    /// Set by [`Counter::release`]: nothing more is handed out.
    released: bool,
}

impl Counter {
    /// Loads the counter stored under meta key `name`; a new store starts at
    /// `first`. Numbers stay below `end`: asked for more, the counter fails
    /// with [`StorageError::Exhausted`].
    pub(crate) fn load(
        db: &sled::Db,
        name: &str,
        what: &'static str,
        first: u64,
        block: u64,
        end: u64,
    ) -> Result<Counter, StorageError> {
        let key = keys::meta(name);
        let next = match db.get(&key).map_err(crate::backend)? {
            None => first,
            Some(bytes) => {
                let bytes: [u8; 8] = bytes.as_ref().try_into().map_err(|_| {
                    crate::records::corrupt(
                        "counter",
                        format!("{what} counter holds {} bytes, not 8", bytes.len()),
                    )
                })?;
                u64::from_be_bytes(bytes).max(first)
            }
        };
        Ok(Counter {
            key,
            what,
            block,
            end,
            state: Mutex::new(CounterState {
                next,
                reserved_end: next,
                released: false,
            }),
        })
    }

    /// The next number. Flushes `db` once per block.
    pub(crate) fn next(&self, db: &sled::Db) -> Result<u64, StorageError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.released {
            return Err(StorageError::Unavailable("the store is closed".to_owned()));
        }
        if state.next >= self.end {
            return Err(StorageError::Exhausted(self.what));
        }
        if state.next >= state.reserved_end {
            let end = state.next.saturating_add(self.block).min(self.end);
            db.insert(&self.key, &end.to_be_bytes())
                .map_err(crate::backend)?;
            db.flush().map_err(crate::backend)?;
            state.reserved_end = end;
        }
        let number = state.next;
        state.next += 1;
        Ok(number)
    }

    /// Gives back the unused part of the reservation and stops handing out
    /// numbers. The caller flushes.
    pub(crate) fn release(&self, db: &sled::Db) -> Result<(), StorageError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.released {
            return Ok(());
        }
        state.released = true;
        db.insert(&self.key, &state.next.to_be_bytes())
            .map_err(crate::backend)?;
        Ok(())
    }
}
