//! Where the simulated station's timestamps come from.
//!
//! Every `timestamp` the station writes, and every energy reading it takes,
//! asks a [`Clock`]: the [`SystemClock`] by default, a [`ManualClock`] in
//! tests that need exact, repeatable times and energy figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time, in unix milliseconds (UTC).
pub trait Clock: Send + Sync {
    /// The current time in unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told to. Clones share one time, so a test
/// keeps a clone and advances the station's clock from outside.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    /// The current time; shared by every clone.
    now_ms: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `unix_ms`.
    pub fn new(unix_ms: i64) -> Self {
        ManualClock {
            now_ms: Arc::new(AtomicI64::new(unix_ms)),
        }
    }

    /// Sets the time to `unix_ms`.
    pub fn set(&self, unix_ms: i64) {
        self.now_ms.store(unix_ms, Ordering::SeqCst);
    }

    /// Moves the time on by `ms` milliseconds.
    pub fn advance(&self, ms: i64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_of_a_manual_clock_share_its_time() {
        let clock = ManualClock::new(1_000);
        let shared = clock.clone();
        clock.advance(500);
        assert_eq!(shared.now_ms(), 1_500);
        shared.set(42);
        assert_eq!(clock.now_ms(), 42);
    }

    #[test]
    fn the_system_clock_is_past_2020() {
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }
}
