//! What a run measures: round trips, their latency in an HDR histogram,
//! errors by kind, the server's own CALLs the stations answered, and a
//! measurement window that excludes setup and warm-up.
//!
//! Thousands of station tasks record into a few histogram shards (chosen
//! by station number) behind mutexes, so recording is cheap and uncontended
//! on a small machine; [`Recorder::summary`] merges them.

use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::client::ErrorKind;

const SHARDS: usize = 16;
/// Latencies are recorded in microseconds, from 1 µs to 10 minutes, to
/// three significant digits.
const HIGHEST_US: u64 = 600_000_000;

/// Collects a run's figures; shared by every station task.
pub struct Recorder {
    shards: Vec<Mutex<Histogram<u64>>>,
    /// Only round trips that end while this is set are counted.
    measuring: AtomicBool,
    errors: [AtomicU64; ErrorKind::ALL.len()],
    /// Errors outside the window too: a run that hides a failed setup is no run.
    errors_total: [AtomicU64; ErrorKind::ALL.len()],
    /// CALLs from the server the stations answered, during the whole run
    /// (every connection counts into it, see [`Recorder::server_calls`]).
    server_calls: Arc<AtomicU64>,
}

/// A run's figures.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Round trips answered correctly inside the window.
    pub round_trips: u64,
    /// Latency percentiles and extremes (µs), of those round trips.
    pub p50_us: u64,
    /// 99th percentile (µs).
    pub p99_us: u64,
    /// 99.9th percentile (µs).
    pub p999_us: u64,
    /// Largest (µs).
    pub max_us: u64,
    /// Mean (µs).
    pub mean_us: f64,
    /// Errors inside the window, by kind (in [`ErrorKind::ALL`]'s order).
    pub errors: [u64; ErrorKind::ALL.len()],
    /// Errors during the whole run (setup, window, teardown), by kind.
    pub errors_total: [u64; ErrorKind::ALL.len()],
    /// CALLs from the server (CSMS-initiated) the stations answered during
    /// the whole run; not errors.
    pub server_calls_answered: u64,
}

impl Summary {
    /// All errors inside the window.
    pub fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// All errors of the whole run.
    pub fn error_count_total(&self) -> u64 {
        self.errors_total.iter().sum()
    }

    /// The whole run's errors as `kind: n` pairs, or `none`.
    pub fn errors_text(&self) -> String {
        let parts: Vec<String> = ErrorKind::ALL
            .iter()
            .zip(self.errors_total)
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{}: {n}", kind.as_str()))
            .collect();
        if parts.is_empty() { "none".to_owned() } else { parts.join(", ") }
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// An empty recorder, not yet measuring.
    pub fn new() -> Self {
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(histogram()))
            .collect();
        Recorder {
            shards,
            measuring: AtomicBool::new(false),
            errors: Default::default(),
            errors_total: Default::default(),
            server_calls: Arc::default(),
        }
    }

    /// The counter connections count the server's CALLs they answered in
    /// (`Connection::count_server_calls_in`).
    pub fn server_calls(&self) -> Arc<AtomicU64> {
        self.server_calls.clone()
    }

    /// Opens or closes the measurement window.
    pub fn set_measuring(&self, on: bool) {
        self.measuring.store(on, Ordering::SeqCst);
    }

    /// Whether the window is open.
    pub fn measuring(&self) -> bool {
        self.measuring.load(Ordering::Relaxed)
    }

    /// Records a round trip of station `station` that took `latency`, if
    /// the window is open.
    pub fn round_trip(&self, station: usize, latency: Duration) {
        if !self.measuring() {
            return;
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, HIGHEST_US);
        if let Ok(mut shard) = self.shards[station % SHARDS].lock() {
            let _ = shard.record(micros);
        }
    }

    /// Counts an error.
    pub fn error(&self, kind: ErrorKind) {
        self.errors_total[kind.index()].fetch_add(1, Ordering::Relaxed);
        if self.measuring() {
            self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The figures so far.
    pub fn summary(&self) -> Summary {
        let mut merged = histogram();
        for shard in &self.shards {
            if let Ok(shard) = shard.lock() {
                let _ = merged.add(&*shard);
            }
        }
        let count = merged.len();
        let at = |q: f64| if count == 0 { 0 } else { merged.value_at_quantile(q) };
        Summary {
            round_trips: count,
            p50_us: at(0.50),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: if count == 0 { 0 } else { merged.max() },
            mean_us: if count == 0 { 0.0 } else { merged.mean() },
            errors: std::array::from_fn(|i| self.errors[i].load(Ordering::Relaxed)),
            errors_total: std::array::from_fn(|i| self.errors_total[i].load(Ordering::Relaxed)),
            server_calls_answered: self.server_calls.load(Ordering::Relaxed),
        }
    }
}

/// An empty histogram of latencies in µs.
fn histogram() -> Histogram<u64> {
    match Histogram::new_with_bounds(1, HIGHEST_US, 3) {
        Ok(histogram) => histogram,
        Err(_) => unreachable!("constant histogram bounds are valid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_window_is_counted() {
        let recorder = Recorder::new();
        recorder.round_trip(0, Duration::from_millis(100));
        recorder.error(ErrorKind::Timeout);
        recorder.set_measuring(true);
        for i in 0..1000_u64 {
            recorder.round_trip(i as usize, Duration::from_micros(i + 1));
        }
        recorder.error(ErrorKind::CallError);
        recorder.set_measuring(false);
        recorder.round_trip(0, Duration::from_secs(1));
        let summary = recorder.summary();
        assert_eq!(summary.round_trips, 1000);
        assert!((495..=505).contains(&summary.p50_us), "{}", summary.p50_us);
        assert!((985..=995).contains(&summary.p99_us), "{}", summary.p99_us);
        assert!((998..=1001).contains(&summary.max_us), "{}", summary.max_us);
        assert_eq!(summary.error_count(), 1);
        assert_eq!(summary.error_count_total(), 2);
        assert_eq!(summary.errors_text(), "CALLERROR: 1, timeout: 1");
    }
}
