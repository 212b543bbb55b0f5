//! Which stations are connected, one connection per station, and the way
//! to reach each: its command queue.
//!
//! A station that reconnects replaces its old connection: the new one asks
//! the old one to close and waits (boundedly) until it has finished handling
//! its current message, so two connections of one station never handle
//! messages at the same time. Commands queued on the old connection fail
//! with "connection lost"; new ones go to the new connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use domain::{StationId, Timestamp};
use ocpp::OcppVersion;
use session::commands::{Command, CommandError, CommandReply};

/// How many commands may wait for one station.
pub const COMMAND_QUEUE: usize = 16;

/// A command on its way to a station, with where to send the outcome.
pub struct Outbound {
    /// What to ask. Boxed: the queue's first block (32 slots) is allocated
    /// for every connection, and a `Command` inline made it 5.5 KiB.
    pub command: Box<Command>,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<Result<CommandReply, CommandError>>,
}

/// What is known about a live connection.
#[derive(Debug)]
pub struct ConnectionInfo {
    /// The negotiated version.
    pub protocol: OcppVersion,
    /// When it was established.
    pub connected_at: Timestamp,
    /// When the station last sent a message (unix milliseconds).
    last_heard: AtomicI64,
}

impl ConnectionInfo {
    /// A connection established at `now`.
    pub fn new(protocol: OcppVersion, now: Timestamp) -> Self {
        ConnectionInfo { protocol, connected_at: now, last_heard: AtomicI64::new(now.unix_millis()) }
    }

    /// Notes that the station was heard from at `now`.
    pub fn heard(&self, now: Timestamp) {
        self.last_heard.store(now.unix_millis(), Ordering::Relaxed);
    }

    /// When the station last sent a message.
    pub fn last_heard(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.last_heard.load(Ordering::Relaxed))
    }
}

struct Entry {
    /// Identifies the connection, so a finished connection only removes itself.
    connection: u64,
    /// Asks the connection to close because a newer one replaces it.
    replace: Option<oneshot::Sender<()>>,
    /// Resolves (with an error) once the connection's task has ended.
    finished: oneshot::Receiver<()>,
    /// The connection's command queue.
    commands: mpsc::Sender<Outbound>,
    /// What is known about it.
    info: Arc<ConnectionInfo>,
}

/// The connected stations.
#[derive(Default)]
pub struct Registry {
    entries: Mutex<HashMap<StationId, Entry>>,
    next_connection: AtomicU64,
}

/// A registered connection, held by its task. Dropping it tells a
/// replacing connection that this one has finished.
pub struct Registration {
    /// The connection's id.
    pub connection: u64,
    /// Resolves when a newer connection of the same station replaces this one.
    pub replaced: oneshot::Receiver<()>,
    /// Commands for the station, in the order they were sent.
    pub commands: mpsc::Receiver<Outbound>,
    /// What is known about the connection (shared with the registry).
    pub info: Arc<ConnectionInfo>,
    /// Dropped when the connection's task ends.
    _finished: oneshot::Sender<()>,
}

impl Registry {
    /// Registers a new connection of `station`, replacing any older one; waits
    /// up to `wait` for the older one to finish. Returns the registration and
    /// whether an older connection was replaced.
    pub async fn register(&self, station: &StationId, info: ConnectionInfo, wait: Duration) -> (Registration, bool) {
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (replace_tx, replace_rx) = oneshot::channel();
        let (finished_tx, finished_rx) = oneshot::channel();
        let (commands_tx, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let info = Arc::new(info);
        let entry = Entry {
            connection,
            replace: Some(replace_tx),
            finished: finished_rx,
            commands: commands_tx,
            info: info.clone(),
        };
        let previous = match self.entries.lock() {
            Ok(mut entries) => entries.insert(station.clone(), entry),
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
        let registration =
            Registration { connection, replaced: replace_rx, commands: commands_rx, info, _finished: finished_tx };
        (registration, replaced)
    }

    /// Removes `connection` of `station` if it is still the current one.
    pub fn unregister(&self, station: &StationId, connection: u64) {
        if let Ok(mut entries) = self.entries.lock()
            && entries.get(station).is_some_and(|entry| entry.connection == connection)
        {
            entries.remove(station);
        }
    }

    /// Queues `command` for `station`; the outcome arrives on the returned receiver.
    pub fn send(
        &self,
        station: &StationId,
        command: Command,
    ) -> Result<oneshot::Receiver<Result<CommandReply, CommandError>>, CommandError> {
        let sender = match self.entries.lock() {
            Ok(entries) => entries.get(station).map(|entry| entry.commands.clone()),
            Err(_) => None,
        };
        let sender = sender.ok_or_else(|| CommandError::Offline(station.to_string()))?;
        let (reply, outcome) = oneshot::channel();
        sender.try_send(Outbound { command: Box::new(command), reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => CommandError::QueueFull(station.to_string()),
            mpsc::error::TrySendError::Closed(_) => CommandError::ConnectionLost(station.to_string()),
        })?;
        Ok(outcome)
    }

    /// What is known about `station`'s connection, if it is connected.
    pub fn info(&self, station: &StationId) -> Option<Arc<ConnectionInfo>> {
        self.entries.lock().ok()?.get(station).map(|entry| entry.info.clone())
    }

    /// Every connected station with what is known about its connection.
    pub fn all(&self) -> Vec<(StationId, Arc<ConnectionInfo>)> {
        match self.entries.lock() {
            Ok(entries) => entries.iter().map(|(id, entry)| (id.clone(), entry.info.clone())).collect(),
            Err(_) => Vec::new(),
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
