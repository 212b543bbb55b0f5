//! Which stations are connected, one connection per station.
//!
//! A station that reconnects replaces its old connection: the new one asks
//! the old one to close and waits (boundedly) until it has finished handling
//! its current message, so two connections of one station never handle
//! messages at the same time. This registry is also the one place through
//! which a station's session is addressed by id.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use domain::StationId;

struct Entry {
    /// Identifies the connection, so a finished connection only removes itself.
    connection: u64,
    /// Asks the connection to close because a newer one replaces it.
    replace: Option<oneshot::Sender<()>>,
    /// Resolves (with an error) once the connection's task has ended.
    finished: oneshot::Receiver<()>,
}

/// The connected stations.
#[derive(Default)]
pub struct Registry {
    entries: Mutex<HashMap<StationId, Entry>>,
    next_connection: AtomicU64,
}

/// A registered connection. Dropping it tells a replacing connection that
/// this one has finished.
pub struct Registration {
    /// The connection's id.
    pub connection: u64,
    /// Resolves when a newer connection of the same station replaces this one.
    pub replaced: oneshot::Receiver<()>,
    /// Dropped when the connection's task ends.
    _finished: oneshot::Sender<()>,
}

impl Registry {
    /// Registers a new connection of `station`, replacing any older one; waits
    /// up to `wait` for the older one to finish. Returns the registration and
    /// whether an older connection was replaced.
    pub async fn register(&self, station: &StationId, wait: Duration) -> (Registration, bool) {
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (replace_tx, replace_rx) = oneshot::channel();
        let (finished_tx, finished_rx) = oneshot::channel();
        let previous = match self.entries.lock() {
            Ok(mut entries) => entries.insert(
                station.clone(),
                Entry { connection, replace: Some(replace_tx), finished: finished_rx },
            ),
            Err(_) => None,
        };
        let replaced = previous.is_some();
        if let Some(mut previous) = previous {
            if let Some(replace) = previous.replace.take() {
                let _ = replace.send(());
            }
            if tokio::time::timeout(wait, previous.finished).await.is_err() {
                tracing::warn!(%station, "the replaced connection did not finish in time");
            }
        }
        (Registration { connection, replaced: replace_rx, _finished: finished_tx }, replaced)
    }

    /// Removes `connection` of `station` if it is still the current one.
    pub fn unregister(&self, station: &StationId, connection: u64) {
        if let Ok(mut entries) = self.entries.lock()
            && entries.get(station).is_some_and(|entry| entry.connection == connection)
        {
            entries.remove(station);
        }
    }

    /// How many stations are connected.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|entries| entries.len()).unwrap_or(0)
    }

    /// Whether no station is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `station` is connected.
    pub fn is_connected(&self, station: &StationId) -> bool {
        self.entries.lock().map(|entries| entries.contains_key(station)).unwrap_or(false)
    }
}
