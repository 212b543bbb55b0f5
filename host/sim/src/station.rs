//! A simulated charging station: state, a connection, and the offline queue.
//!
//! [`Station`] is what tests, `gridlet sim` and the load generator drive.
//! Each method sends one OCPP message built from the station's state and
//! waits for the CSMS's answer; CSMS commands arriving meanwhile are
//! answered by its [`CommandHandler`].
//!
//! # Offline
//!
//! As real stations do, the station queues its transaction messages (1.6
//! StartTransaction, MeterValues of a transaction and StopTransaction;
//! 2.0.1 TransactionEvent, marked `offline: true` when made offline) while
//! it has no connection, and replays them in order when it reconnects.
//! Everything else needs a connection ([`SimError::Offline`]). A 1.6
//! StopTransaction or MeterValues of a transaction whose StartTransaction
//! was queued gets its `transactionId` when it is sent, from the CSMS's
//! answer to the replayed start. [`ReplayOptions`] make the replay harder
//! on the CSMS: re-send messages it already acknowledged (as if the station
//! lost the acks) and send each message twice.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ocpp::OcppVersion;
use serde_json::Value;

use crate::clock::{Clock, SystemClock};
use crate::commands::{CommandHandler, DefaultCommands, StationCalls};
use crate::connection::{
    CallFailure, CloseInfo, ConnectError, ConnectOptions, Connection, WireTap,
};
use crate::messages::{BootOutcome, Outgoing, text};
use crate::state::{
    ConnectorStatus, ReceivedCommand, StartOptions, StateError, StationIdentity, StationState,
    StopReason, Transaction, TransactionHandle,
};

/// Everything a [`Station`] is made from.
#[derive(Clone)]
pub struct StationConfig {
    /// Where and how to connect (URL, station id, password, version,
    /// timeout, wire tap).
    pub connect: ConnectOptions,
    /// How many connectors (2.0.1: EVSEs with one connector each).
    pub connectors: u32,
    /// The power a connector draws while charging, in W.
    pub charging_power_w: u32,
    /// Vendor, model, serial number and firmware version.
    pub identity: StationIdentity,
    /// 2.0.1: the `type` of the tokens the station reads.
    pub id_token_type: String,
    /// Where timestamps come from.
    pub clock: Arc<dyn Clock>,
    /// How many acknowledged transaction messages are kept for
    /// [`ReplayOptions::resend_acknowledged`].
    pub acknowledged_history: usize,
}

impl StationConfig {
    /// One connector drawing 11 kW, the system clock, a 30 s call timeout.
    pub fn new(
        url: impl Into<String>,
        station_id: impl Into<String>,
        version: OcppVersion,
    ) -> Self {
        StationConfig {
            connect: ConnectOptions::new(url, station_id, version),
            connectors: 1,
            charging_power_w: 11_000,
            identity: StationIdentity::default(),
            id_token_type: "ISO14443".to_owned(),
            clock: Arc::new(SystemClock),
            acknowledged_history: 16,
        }
    }

    /// Sets the Basic auth password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.connect.password = Some(password.into());
        self
    }

    /// Sets how long each answer may take.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.connect.call_timeout = timeout;
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Shows every frame to `tap`.
    pub fn tap(mut self, tap: WireTap) -> Self {
        self.connect.tap = Some(tap);
        self
    }
}

/// Why a station operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The station has no connection, and the message is not one it queues.
    #[error("the station is offline")]
    Offline,
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A CALL got no usable answer.
    #[error("{action}: {failure}")]
    Call {
        /// The action of the CALL.
        action: String,
        /// What went wrong.
        failure: CallFailure,
    },
    /// The station's state does not allow it.
    #[error(transparent)]
    State(#[from] StateError),
}

impl SimError {
    /// The CALL failure, if this is one.
    pub fn call_failure(&self) -> Option<&CallFailure> {
        match self {
            SimError::Call { failure, .. } => Some(failure),
            _ => None,
        }
    }
}

/// What happened to a transaction message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The CSMS acknowledged it (and everything queued before it).
    Acknowledged,
    /// It waits in the offline queue.
    Queued,
}

/// How [`Station::reconnect_with`] replays the offline queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Re-send this many of the most recently acknowledged transaction
    /// messages first, in their order, as a station that lost their acks
    /// would (up to [`StationConfig::acknowledged_history`]).
    pub resend_acknowledged: usize,
    /// Send every replayed message twice in a row.
    pub send_each_twice: bool,
}

/// One CALL of a replay and the CSMS's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// The action.
    pub action: String,
    /// The request as sent.
    pub request: Value,
    /// The CSMS's answer.
    pub response: Value,
}

/// A queued transaction message: built when it happened, completed when sent.
#[derive(Clone, Debug)]
struct TransactionMessage {
    action: &'static str,
    payload: Value,
    transaction: TransactionHandle,
}

/// A simulated charging station. See the module documentation.
pub struct Station {
    connect: ConnectOptions,
    acknowledged_history: usize,
    state: Arc<Mutex<StationState>>,
    commands: Arc<dyn CommandHandler>,
    connection: Option<Connection>,
    /// Transaction messages not yet acknowledged, oldest first.
    queue: VecDeque<TransactionMessage>,
    /// The last acknowledged transaction messages, oldest first.
    acknowledged: VecDeque<TransactionMessage>,
    /// Numbers 2.0.1 NotifyEvent events.
    next_event_id: i64,
    /// How the last connection that closed under the station ended.
    last_close: Option<CloseInfo>,
}

impl Station {
    /// A station that is not connected yet, answering CSMS commands with
    /// [`DefaultCommands`].
    pub fn new(config: StationConfig) -> Self {
        let mut state = StationState::new(
            config.connect.version,
            config.connect.station_id.clone(),
            config.clock,
            config.connectors,
            config.charging_power_w,
        );
        state.identity = config.identity;
        state.id_token_type = config.id_token_type;
        Station {
            connect: config.connect,
            acknowledged_history: config.acknowledged_history,
            state: Arc::new(Mutex::new(state)),
            commands: Arc::new(DefaultCommands),
            connection: None,
            queue: VecDeque::new(),
            acknowledged: VecDeque::new(),
            next_event_id: 1,
            last_close: None,
        }
    }

    /// Answers CSMS commands with `commands` instead, from the next connection on.
    pub fn with_commands(mut self, commands: Arc<dyn CommandHandler>) -> Self {
        self.commands = commands;
        self
    }

    /// The OCPP version the station speaks.
    pub fn version(&self) -> OcppVersion {
        self.connect.version
    }

    /// The station's state. Don't hold the guard across an `.await`.
    pub fn state(&self) -> MutexGuard<'_, StationState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the transaction with `handle`, if the station still has it.
    pub fn transaction(&self, handle: TransactionHandle) -> Option<Transaction> {
        self.state().transaction(handle).cloned()
    }

    /// Whether the station has a connection that is not closed.
    pub fn is_online(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(|connection| connection.close_info().is_none())
    }

    /// The connection, for raw frames and close information.
    pub fn connection(&mut self) -> Option<&mut Connection> {
        self.connection.as_mut()
    }

    /// How the last connection ended that closed while the station used it
    /// (the CSMS's close code and reason, if it sent them). Not set by
    /// [`go_offline`](Self::go_offline).
    pub fn last_close(&self) -> Option<&CloseInfo> {
        self.last_close.as_ref()
    }

    /// The actions waiting in the offline queue, oldest first.
    pub fn queued_actions(&self) -> Vec<&'static str> {
        self.queue.iter().map(|message| message.action).collect()
    }

    /// Connects, without replaying the offline queue.
    pub async fn connect(&mut self) -> Result<(), ConnectError> {
        let handler = Arc::new(StationCalls {
            state: self.state.clone(),
            commands: self.commands.clone(),
        });
        self.connection = Some(Connection::connect(&self.connect, handler).await?);
        Ok(())
    }

    /// Drops the connection without a closing handshake, as a station that
    /// loses its network does.
    pub fn go_offline(&mut self) {
        self.connection = None;
    }

    /// Connects and replays the offline queue in order; returns what was
    /// replayed and how the CSMS answered.
    pub async fn reconnect(&mut self) -> Result<Vec<Exchange>, SimError> {
        self.reconnect_with(ReplayOptions::default()).await
    }

    /// [`reconnect`](Self::reconnect), replaying as `options` say.
    pub async fn reconnect_with(
        &mut self,
        options: ReplayOptions,
    ) -> Result<Vec<Exchange>, SimError> {
        self.connect().await?;
        let resend = options.resend_acknowledged.min(self.acknowledged.len());
        let lost_acks = self
            .acknowledged
            .split_off(self.acknowledged.len() - resend);
        for message in lost_acks.into_iter().rev() {
            self.queue.push_front(message);
        }
        self.flush(options.send_each_twice).await
    }

    /// Waits up to `timeout` for a command `action` from the CSMS, and takes
    /// it out of [`StationState::received_commands`].
    pub async fn wait_for_command(
        &self,
        action: &str,
        timeout: Duration,
    ) -> Option<ReceivedCommand> {
        let notify = self.state().received_notify.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(command) = self.state().take_command(action) {
                return Some(command);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Sends any station-to-CSMS CALL and returns the answer. The payload
    /// must pass the action's schema.
    pub async fn send(&mut self, action: &str, payload: Value) -> Result<Value, SimError> {
        let Some(connection) = self.connection.as_ref() else {
            return Err(SimError::Offline);
        };
        match connection.call(action, payload).await {
            Ok(answer) => Ok(answer),
            Err(failure) => {
                if failure == CallFailure::Closed
                    && let Some(closed) = self.connection.take()
                {
                    self.last_close = Some(closed.closed().await);
                }
                Err(SimError::Call {
                    action: action.to_owned(),
                    failure,
                })
            }
        }
    }

    async fn send_outgoing(&mut self, outgoing: Outgoing) -> Result<Value, SimError> {
        self.send(outgoing.action, outgoing.payload).await
    }

    /// BootNotification; records the status and the heartbeat interval.
    pub async fn boot(&mut self) -> Result<BootOutcome, SimError> {
        let outgoing = self.state().boot_notification("PowerUp");
        let answer = self.send_outgoing(outgoing).await?;
        Ok(self.state().on_boot_answer(&answer))
    }

    /// Heartbeat; returns the CSMS's `currentTime`.
    pub async fn heartbeat(&mut self) -> Result<String, SimError> {
        let outgoing = self.state().heartbeat();
        let answer = self.send_outgoing(outgoing).await?;
        Ok(text(&answer, "currentTime"))
    }

    /// StatusNotification for `connector` (1.6: 0 is the whole station).
    /// The status is recorded even when the station is offline.
    pub async fn status(
        &mut self,
        connector: u32,
        status: ConnectorStatus,
    ) -> Result<(), SimError> {
        let outgoing = self.state().status_notification(connector, status)?;
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// Authorize; returns the authorization status, e.g. `Accepted`.
    pub async fn authorize(&mut self, token: &str) -> Result<String, SimError> {
        let outgoing = self.state().authorize(token);
        let answer = self.send_outgoing(outgoing).await?;
        Ok(self.state().authorization_status(&answer))
    }

    /// Starts a transaction on `connector` for `token` (1.6
    /// StartTransaction; 2.0.1 TransactionEvent `Started`); queued while
    /// offline. In 1.6 the transaction's id is the CSMS's: see
    /// [`transaction`](Self::transaction) once the start is acknowledged.
    ///
    /// If the CSMS refuses the message, the transaction still runs on the
    /// station (as it would on a real one) and the error is returned.
    pub async fn start_transaction(
        &mut self,
        connector: u32,
        token: &str,
    ) -> Result<TransactionHandle, SimError> {
        self.start_transaction_with(connector, token, StartOptions::default())
            .await
    }

    /// [`start_transaction`](Self::start_transaction) with what else the
    /// start carries: as a station does after accepting a 2.0.1
    /// RequestStartTransaction (its `remoteStartId`, trigger `RemoteStart`)
    /// or when it uses a reservation (`reservationId`). A 1.6 station
    /// answers a RemoteStartTransaction with a plain StartTransaction.
    pub async fn start_transaction_with(
        &mut self,
        connector: u32,
        token: &str,
        options: StartOptions,
    ) -> Result<TransactionHandle, SimError> {
        let offline = !self.is_online();
        let (transaction, outgoing) = self
            .state()
            .transaction_started(connector, token, offline, options)?;
        self.submit(transaction, outgoing).await?;
        Ok(transaction)
    }

    /// A periodic meter reading of a running transaction, with the energy
    /// register and the power (1.6 MeterValues with its `transactionId`;
    /// 2.0.1 TransactionEvent `Updated`, `MeterValuePeriodic`); queued
    /// while offline.
    pub async fn meter_values(
        &mut self,
        transaction: TransactionHandle,
    ) -> Result<Delivery, SimError> {
        let offline = !self.is_online();
        let outgoing =
            self.state()
                .transaction_updated(transaction, offline, "MeterValuePeriodic")?;
        self.submit(transaction, outgoing).await
    }

    /// Stops a transaction (1.6 StopTransaction with `transactionData`;
    /// 2.0.1 TransactionEvent `Ended`); queued while offline.
    pub async fn stop_transaction(
        &mut self,
        transaction: TransactionHandle,
        reason: StopReason,
    ) -> Result<Delivery, SimError> {
        let offline = !self.is_online();
        let outgoing = self
            .state()
            .transaction_ended(transaction, reason, offline)?;
        self.submit(transaction, outgoing).await
    }

    /// MeterValues for `connector` outside the transaction messages
    /// (context `Sample.Clock`; 1.6 adds the running transaction's id).
    pub async fn connector_meter_values(&mut self, connector: u32) -> Result<(), SimError> {
        let outgoing = self
            .state()
            .connector_meter_values(connector, "Sample.Clock")?;
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// DataTransfer; returns the CSMS's answer.
    pub async fn data_transfer(
        &mut self,
        vendor_id: &str,
        message_id: Option<&str>,
        data: Option<&str>,
    ) -> Result<Value, SimError> {
        let outgoing = self.state().data_transfer(vendor_id, message_id, data);
        self.send_outgoing(outgoing).await
    }

    /// SecurityEventNotification of `kind`, e.g. `StartupOfTheDevice`.
    pub async fn security_event(
        &mut self,
        kind: &str,
        tech_info: Option<&str>,
    ) -> Result<(), SimError> {
        let outgoing = self.state().security_event(kind, tech_info);
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// FirmwareStatusNotification (`request_id` is sent in 2.0.1 only).
    pub async fn firmware_status(
        &mut self,
        status: &str,
        request_id: Option<i64>,
    ) -> Result<(), SimError> {
        let outgoing = self
            .state()
            .status_report("FirmwareStatusNotification", status, request_id);
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// LogStatusNotification.
    pub async fn log_status(
        &mut self,
        status: &str,
        request_id: Option<i64>,
    ) -> Result<(), SimError> {
        let outgoing = self
            .state()
            .status_report("LogStatusNotification", status, request_id);
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// 1.6 DiagnosticsStatusNotification.
    pub async fn diagnostics_status(&mut self, status: &str) -> Result<(), SimError> {
        let outgoing = self
            .state()
            .status_report("DiagnosticsStatusNotification", status, None);
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// 2.0.1 NotifyReport with every setting, as the answer to GetBaseReport
    /// `request_id`.
    pub async fn notify_report(&mut self, request_id: i64) -> Result<(), SimError> {
        let outgoing = self.state().notify_report(request_id);
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// 2.0.1 NotifyEvent: `variable` of `component` is now `actual_value`.
    pub async fn notify_event(
        &mut self,
        component: &str,
        variable: &str,
        actual_value: &str,
    ) -> Result<(), SimError> {
        let event_id = self.next_event_id;
        self.next_event_id += 1;
        let outgoing = self
            .state()
            .notify_event(event_id, component, variable, actual_value);
        self.send_outgoing(outgoing).await.map(|_| ())
    }

    /// Queues a transaction message and, when online, sends the queue.
    async fn submit(
        &mut self,
        transaction: TransactionHandle,
        outgoing: Outgoing,
    ) -> Result<Delivery, SimError> {
        self.queue.push_back(TransactionMessage {
            action: outgoing.action,
            payload: outgoing.payload,
            transaction,
        });
        if !self.is_online() {
            return Ok(Delivery::Queued);
        }
        match self.flush(false).await {
            Ok(_) => Ok(Delivery::Acknowledged),
            // Lost the connection: the message waits for the next one.
            Err(SimError::Call {
                failure: CallFailure::Closed,
                ..
            }) => Ok(Delivery::Queued),
            Err(error) => Err(error),
        }
    }

    /// Sends the queue in order (each message twice if `twice`), applying
    /// each answer. A message the CSMS does not answer (timeout, closed
    /// connection) stays at the front; one it refuses (CALLERROR, an answer
    /// that breaks the schema) is dropped, as stations drop a message the
    /// CSMS rejects, and the error returned.
    async fn flush(&mut self, twice: bool) -> Result<Vec<Exchange>, SimError> {
        let mut exchanges = Vec::new();
        while let Some(message) = self.queue.front().cloned() {
            for _ in 0..if twice { 2 } else { 1 } {
                let resolved = self.state().resolve(
                    message.action,
                    &message.payload,
                    Some(message.transaction),
                );
                let request = match resolved {
                    Ok(request) => request,
                    Err(error) => {
                        self.queue.pop_front();
                        return Err(error.into());
                    }
                };
                match self.send(message.action, request.clone()).await {
                    Ok(response) => {
                        self.state().on_transaction_answer(
                            message.transaction,
                            message.action,
                            &response,
                        );
                        exchanges.push(Exchange {
                            action: message.action.to_owned(),
                            request,
                            response,
                        });
                    }
                    Err(error) => {
                        let unanswered = matches!(
                            error.call_failure(),
                            Some(CallFailure::Closed | CallFailure::Timeout(_)) | None
                        );
                        if !unanswered {
                            self.queue.pop_front();
                        }
                        return Err(error);
                    }
                }
            }
            if let Some(sent) = self.queue.pop_front() {
                self.remember_acknowledged(sent);
            }
        }
        Ok(exchanges)
    }

    fn remember_acknowledged(&mut self, message: TransactionMessage) {
        if self.acknowledged_history > 0 {
            if self.acknowledged.len() == self.acknowledged_history {
                self.acknowledged.pop_front();
            }
            self.acknowledged.push_back(message);
        }
        let (queue, acknowledged) = (&self.queue, &self.acknowledged);
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget_ended_transactions(|handle| {
                queue
                    .iter()
                    .chain(acknowledged)
                    .any(|message| message.transaction == handle)
            });
    }
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("station_id", &self.connect.station_id)
            .field("version", &self.connect.version)
            .field("online", &self.is_online())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}
