//! The operator's handle on the network: who is connected, commands to
//! stations, and the live event stream. The REST API and the CLI go
//! through it; nothing else reaches a station's connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use domain::{EvseConnector, IdToken, Notification, StationId, Storage, Timestamp, Transaction, TransactionQuery};
use ocpp::OcppVersion;
use session::Settings;
use session::commands::{Command, CommandError, CommandReply};
use session::events::Published;

use crate::{AppState, now};

/// A live connection, as seen from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The negotiated version.
    pub protocol: OcppVersion,
    /// When it was established.
    pub connected_at: Timestamp,
    /// When the station last sent a message.
    pub last_heard: Timestamp,
}

/// Why a remote start produced no transaction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteStartError {
    /// The command itself failed (offline, timeout, CALLERROR, …).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The station answered, but not `Accepted`.
    #[error("station answered the remote start with {status}")]
    NotAccepted {
        /// Its answer's status.
        status: String,
    },
    /// The station accepted but started no transaction in time.
    #[error("station accepted the remote start but started no transaction within {seconds} s")]
    NotStarted {
        /// How long Gridlet waited.
        seconds: u64,
    },
    /// Storage failed while looking the transaction up.
    #[error("storage failed: {0}")]
    Storage(String),
}

/// The handle. Cheap to clone.
#[derive(Clone)]
pub struct Network {
    state: Arc<AppState>,
    /// Source of 2.0.1 `remoteStartId`s (seeded from the clock so ids stay
    /// distinct across restarts).
    remote_start_ids: Arc<AtomicI64>,
}

impl Network {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        let seed = (now().unix_millis() / 1000) % 1_000_000_000;
        Network { state, remote_start_ids: Arc::new(AtomicI64::new(seed)) }
    }

    /// Where everything is kept.
    pub fn storage(&self) -> Arc<dyn Storage> {
        self.state.csms.storage.clone()
    }

    /// The protocol settings (intervals, timeouts).
    pub fn settings(&self) -> Settings {
        self.state.csms.settings
    }

    /// `station`'s connection, if it is connected.
    pub fn connection(&self, station: &StationId) -> Option<Connection> {
        self.state.registry.info(station).map(|info| Connection {
            protocol: info.protocol,
            connected_at: info.connected_at,
            last_heard: info.last_heard(),
        })
    }

    /// Every connected station.
    pub fn connections(&self) -> Vec<(StationId, Connection)> {
        self.state
            .registry
            .all()
            .into_iter()
            .map(|(id, info)| {
                let connection =
                    Connection { protocol: info.protocol, connected_at: info.connected_at, last_heard: info.last_heard() };
                (id, connection)
            })
            .collect()
    }

    /// A subscription to the live event stream, from the next notification on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.state.csms.events.subscribe()
    }

    /// Flips to `true` when the server begins to shut down: long-lived
    /// answers (the API's event stream) end on it, so shutdown need not
    /// wait for them.
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.state.shutdown.clone()
    }

    /// Sends `command` to `station` and waits for its answer. Commands to
    /// one station go one at a time, in the order they were sent; an
    /// offline station fails at once.
    pub async fn send(&self, station: &StationId, command: Command) -> Result<CommandReply, CommandError> {
        let action = command.name().to_owned();
        let outcome = self.state.registry.send(station, command)?;
        // The station has `command_timeout` to answer once the command is
        // sent; allow for commands queued ahead of it too.
        let timeout = u64::from(self.settings().command_timeout_secs);
        let limit = Duration::from_secs(timeout * (crate::registry::COMMAND_QUEUE as u64 + 1));
        match tokio::time::timeout(limit, outcome).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CommandError::ConnectionLost(station.to_string())),
            Err(_) => Err(CommandError::Timeout { action, seconds: limit.as_secs() }),
        }
    }

    /// Starts a charge remotely and waits until the station reports the
    /// transaction, up to `wait` after it accepted.
    pub async fn remote_start(
        &self,
        station: &StationId,
        location: Option<EvseConnector>,
        id_token: IdToken,
        wait: Duration,
    ) -> Result<Transaction, RemoteStartError> {
        let remote_start_id = self.remote_start_ids.fetch_add(1, Ordering::Relaxed);
        let mut events = self.subscribe();
        let sent_at = now();
        let command = Command::RemoteStart { location, id_token: id_token.clone(), remote_start_id };
        let reply = self.send(station, command).await?;
        let status = reply.status.clone().unwrap_or_default();
        if status != "Accepted" {
            return Err(RemoteStartError::NotAccepted { status });
        }
        // 2.0.1: a transaction already running (cable plugged in first) is named in the answer.
        if let Some(tx_id) = reply.payload.get("transactionId").and_then(|v| v.as_str()) {
            let storage = self.storage();
            if let Some(tx) = storage
                .transaction_by_station_tx_id(station, tx_id)
                .map_err(|e| RemoteStartError::Storage(e.to_string()))?
            {
                return Ok(tx);
            }
        }
        let matches = |tx: &Transaction| {
            &tx.station == station
                && match tx.protocol {
                    domain::ProtocolVersion::Ocpp201 => tx.remote_start_id == Some(remote_start_id),
                    domain::ProtocolVersion::Ocpp16 => {
                        tx.created_at >= sent_at
                            && tx.id_token.as_ref().is_some_and(|t| t.value.eq_ignore_ascii_case(&id_token.value))
                            && location.is_none_or(|l| l.evse == tx.location.evse)
                    }
                }
        };
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(published)) => match &published.notification {
                    Notification::TransactionStarted(tx) | Notification::TransactionUpdated(tx) if matches(tx) => {
                        return Ok(tx.clone());
                    }
                    _ => {}
                },
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    // Missed notifications: look in storage instead.
                    if let Some(tx) = self.find_started(station, sent_at, &matches)? {
                        return Ok(tx);
                    }
                }
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => {
                    return match self.find_started(station, sent_at, &matches)? {
                        Some(tx) => Ok(tx),
                        None => Err(RemoteStartError::NotStarted { seconds: wait.as_secs() }),
                    };
                }
            }
        }
    }

    fn find_started(
        &self,
        station: &StationId,
        since: Timestamp,
        matches: &dyn Fn(&Transaction) -> bool,
    ) -> Result<Option<Transaction>, RemoteStartError> {
        let mut query = TransactionQuery::all(20);
        query.station = Some(station.clone());
        query.newest_first = true;
        let recent = self.storage().transactions_matching(&query).map_err(|e| RemoteStartError::Storage(e.to_string()))?;
        Ok(recent.into_iter().find(|tx| tx.created_at >= since && matches(tx)))
    }
}
