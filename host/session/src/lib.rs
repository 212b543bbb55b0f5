//! One charging station's OCPP session with Gridlet.
//!
//! The transport hands every text frame of a station's WebSocket to its
//! [`StationSession`] and sends back what it returns. The session decodes and
//! validates the frame (through the `ocpp` crate), turns the message into
//! domain terms, applies the domain's rules to what storage holds, writes the
//! resulting [`domain::ChangeSet`] and — for a message that changes state —
//! waits until it is durable before answering. A station that is not
//! accepted may only boot.
//!
//! The session also owns the other direction: [`StationSession::start_command`]
//! writes a [`commands::Command`] as a CALL (one outstanding at a time), and the
//! station's CALLRESULT or CALLERROR completes it, after any effect of the
//! answer (a reservation accepted, configuration keys read) is durable.
//! Every change worth telling is published on the [`events::EventBus`] once
//! it is durable.
//!
//! - [`admission`]: who may connect, and what failing to costs ([`admission::Gatekeeper`]).
//! - [`auth`]: station passwords (Argon2id; cheap verifiers while pending) and their verification.
//! - [`commands`]: what the CSMS asks of stations, for both versions.
//! - [`events`]: the live event bus.
//! - [`convert`]: OCPP types to domain values and back.
//! - [`pricing`]: transactions priced when they end; running costs pushed to
//!   stations.
//! - `v16`, `v201`: the handlers of what stations send, per version.
//!
//! Everything a station can send is answered: a message that cannot be
//! decoded, breaks its schema or names an unknown action gets the CALLERROR
//! the specification names; a storage failure gets `InternalError` and
//! nothing is acknowledged that was not stored.

pub mod admission;
pub mod auth;
pub mod commands;
pub mod convert;
pub mod events;
pub mod pricing;
mod v16;
mod v201;

use std::sync::{Arc, PoisonError, RwLock};

use ocpp::{Call, CallError, CallResult, ErrorCode, Frame, Matched, OcppVersion, OutboundCalls, PayloadKind};
use serde_json::Value;

use domain::connector::IdOutOfRange;
use domain::event::StationEventKind;
use domain::meter::ImplausibleReading;
use domain::{
    Authorization, Change, ChangeSet, ConnectorLimits, IdToken, Notification, Pricer, ProtocolVersion, Registration,
    ReservationState, StationEvent, StationId, Storage, StorageError, Timestamp,
};

use crate::commands::{Command, CommandError, CommandReply, reply_status};
use crate::events::EventBus;
use crate::pricing::{Push, Pushes};

/// Protocol settings every session shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Heartbeat interval told to accepted stations, in seconds.
    pub heartbeat_interval_secs: u32,
    /// Retry interval told to pending or rejected stations, in seconds.
    pub pending_retry_secs: u32,
    /// How often "last seen" is written for a station that is not
    /// heartbeating, in milliseconds (a heartbeat always writes it).
    pub seen_write_interval_ms: i64,
    /// How long a station may stay silent beyond its heartbeat (or retry)
    /// interval before it is considered offline, in seconds.
    pub offline_grace_secs: u32,
    /// How long a station has to answer a command, in seconds.
    pub command_timeout_secs: u32,
    /// Whether running transactions' costs are estimated and pushed to
    /// stations that take them (2.0.1 CostUpdated, 1.6 the OCA cost
    /// DataTransfers, FinalCost included); see [`pricing`].
    pub running_cost: bool,
    /// A running transaction's cost is estimated (and pushed) at most once
    /// per this many seconds, at a message with new energy readings; 0: at
    /// every such message.
    pub running_cost_interval_secs: u32,
    /// The highest EVSE and connector ids a station may name; a message
    /// naming a higher one is refused (`PropertyConstraintViolation`) and
    /// nothing of it is kept.
    pub connector_limits: ConnectorLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            heartbeat_interval_secs: 300,
            pending_retry_secs: 60,
            seen_write_interval_ms: 30_000,
            offline_grace_secs: 60,
            command_timeout_secs: 30,
            running_cost: true,
            running_cost_interval_secs: 60,
            connector_limits: ConnectorLimits::default(),
        }
    }
}

/// What all sessions share: storage, settings, the event bus and the
/// pricer.
pub struct Csms {
    /// Where everything is kept.
    pub storage: Arc<dyn Storage>,
    /// Protocol settings.
    pub settings: Settings,
    /// Where notifications are published.
    pub events: EventBus,
    /// Prices transactions with tariffs; `None` until one is attached (then a
    /// transaction a tariff applies to is stored unpriced).
    pricer: RwLock<Option<Arc<dyn Pricer>>>,
}

impl Csms {
    /// A context over `storage` with `settings` and an event bus keeping
    /// 4096 notifications for slow subscribers; no pricer yet.
    pub fn new(storage: Arc<dyn Storage>, settings: Settings) -> Self {
        Csms { storage, settings, events: EventBus::new(4096), pricer: RwLock::new(None) }
    }

    /// The same context, pricing with `pricer`.
    pub fn with_pricer(self, pricer: Arc<dyn Pricer>) -> Self {
        self.set_pricer(pricer);
        self
    }

    /// Prices transactions that end from now on with `pricer` (replacing
    /// any earlier one).
    pub fn set_pricer(&self, pricer: Arc<dyn Pricer>) {
        *self.pricer.write().unwrap_or_else(PoisonError::into_inner) = Some(pricer);
    }

    /// The pricer, if one is attached.
    pub fn pricer(&self) -> Option<Arc<dyn Pricer>> {
        self.pricer.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The command waiting for the station's answer.
struct PendingCommand {
    /// The CALL's unique id.
    unique_id: String,
    /// The OCPP action sent.
    action: String,
    /// What was asked, for the effects of the answer.
    command: Command,
    /// A cost message of the session's own ([`pricing`]), not an operator's
    /// command: its outcome is only logged.
    push: bool,
}

/// What handling one frame from the station produced.
#[derive(Debug, Default)]
pub struct Reaction {
    /// The frame to send back, if any.
    pub reply: Option<String>,
    /// The outcome of the outstanding command, if this frame answered it.
    pub completed: Option<Result<CommandReply, CommandError>>,
}

/// The state of one station's connection.
pub struct StationSession {
    csms: Arc<Csms>,
    station: StationId,
    version: OcppVersion,
    /// The operator's decision as of connecting or the latest boot; decides
    /// whether anything but BootNotification is allowed.
    registration: Registration,
    /// When "last seen" was last written, to write it at most every
    /// [`Settings::seen_write_interval_ms`].
    seen_written_at: Option<Timestamp>,
    /// Ids and timeouts of the CSMS's own CALLs (one outstanding at a time).
    outbound: OutboundCalls,
    /// The command the outstanding CALL carries.
    pending: Option<PendingCommand>,
    /// Cost messages waiting to be sent, and what the station takes.
    pushes: Pushes,
}

/// The result of a handler: the answer, what must be stored first, and
/// what to tell subscribers once it is.
pub(crate) struct Handled {
    response: Value,
    changes: ChangeSet,
    notifications: Vec<Notification>,
    /// The transaction this message ended, to price before answering.
    ended: Option<u64>,
    /// The running transaction this message brought energy readings for.
    running: Option<u64>,
    /// Cost messages to send once the message is stored.
    pushes: Vec<Push>,
}

impl Handled {
    fn answer(response: Value) -> Self {
        Handled::storing(response, ChangeSet::new())
    }

    fn storing(response: Value, changes: ChangeSet) -> Self {
        Handled { response, changes, notifications: Vec::new(), ended: None, running: None, pushes: Vec::new() }
    }

    fn telling(mut self, notification: Notification) -> Self {
        self.notifications.push(notification);
        self
    }
}

/// Why a handler did not answer with a CALLRESULT.
pub(crate) enum Failure {
    /// The message is refused with this CALLERROR.
    Refuse(ErrorCode, String),
    /// Storage failed; the message is answered with `InternalError`.
    Storage(StorageError),
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        Failure::Storage(e)
    }
}

/// A reading that makes no sense refuses the whole message.
impl From<ImplausibleReading> for Failure {
    fn from(e: ImplausibleReading) -> Self {
        Failure::Refuse(ErrorCode::PropertyConstraintViolation, e.to_string())
    }
}

/// An EVSE or connector id beyond the limits refuses the whole message.
impl From<IdOutOfRange> for Failure {
    fn from(e: IdOutOfRange) -> Self {
        Failure::Refuse(ErrorCode::PropertyConstraintViolation, e.to_string())
    }
}

/// The domain's name for a wire version.
pub fn protocol_version(version: OcppVersion) -> ProtocolVersion {
    match version {
        OcppVersion::V16 => ProtocolVersion::Ocpp16,
        OcppVersion::V201 => ProtocolVersion::Ocpp201,
    }
}

impl StationSession {
    /// A session for `station`, connected with `version` and admitted with `registration`.
    pub fn new(csms: Arc<Csms>, station: StationId, version: OcppVersion, registration: Registration) -> Self {
        let timeout_ms = i64::from(csms.settings.command_timeout_secs) * 1000;
        StationSession {
            csms,
            station,
            version,
            registration,
            seen_written_at: None,
            outbound: OutboundCalls::new("gl", timeout_ms),
            pending: None,
            pushes: Pushes::new(),
        }
    }

    /// The operator's decision as of connecting or the latest boot.
    pub fn registration(&self) -> Registration {
        self.registration
    }

    /// How long the station may stay silent before it is considered
    /// offline, in milliseconds: its interval plus the grace.
    pub fn silence_allowed_ms(&self) -> i64 {
        let settings = &self.csms.settings;
        let interval = match self.registration {
            Registration::Accepted => settings.heartbeat_interval_secs,
            Registration::Pending | Registration::Rejected => settings.pending_retry_secs,
        };
        (i64::from(interval) + i64::from(settings.offline_grace_secs)) * 1000
    }

    /// The station.
    pub fn station(&self) -> &StationId {
        &self.station
    }

    /// The negotiated OCPP version.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// Records that the station connected.
    pub async fn connected(&mut self, now: Timestamp) -> Result<(), StorageError> {
        let protocol = protocol_version(self.version);
        let mut changes = ChangeSet::from(self.event(StationEventKind::Connected { protocol }, now));
        changes.push(Change::StationSeen { station: self.station.clone(), at: now });
        self.seen_written_at = Some(now);
        self.write_durably(changes).await?;
        self.tell(Notification::StationConnected { station: self.station.clone(), protocol, at: now });
        Ok(())
    }

    /// Records that the station's connection ended, and why.
    pub async fn disconnected(&mut self, reason: &str, now: Timestamp) -> Result<(), StorageError> {
        let change = self.event(StationEventKind::Disconnected { reason: reason.to_owned() }, now);
        self.write_durably(change.into()).await?;
        self.tell(Notification::StationDisconnected { station: self.station.clone(), reason: reason.to_owned(), at: now });
        Ok(())
    }

    /// Records that the station stayed silent since `last_heard` beyond what
    /// its interval and the grace allow.
    pub async fn went_offline(&mut self, last_heard: Timestamp, now: Timestamp) -> Result<(), StorageError> {
        let change = self.event(StationEventKind::WentOffline { last_heard }, now);
        self.write_durably(change.into()).await?;
        self.tell(Notification::StationOffline { station: self.station.clone(), last_heard, at: now });
        Ok(())
    }

    /// Handles one text frame from the station: a CALL is answered; a
    /// CALLRESULT or CALLERROR may complete the outstanding command.
    pub async fn handle_text(&mut self, text: &str, now: Timestamp) -> Reaction {
        match ocpp::decode_frame(text) {
            Ok(Frame::Call(call)) => {
                Reaction { reply: Some(self.handle_call(&call, now).await.to_text(self.version)), completed: None }
            }
            Ok(Frame::CallResult(result)) => {
                let completed = match self.take_pending(&result.unique_id) {
                    Some(pending) if pending.push => {
                        self.push_answered(&pending.action, &result.payload);
                        None
                    }
                    Some(pending) => Some(self.command_answered(pending, result.payload, now).await),
                    None => None,
                };
                Reaction { reply: None, completed }
            }
            Ok(Frame::CallError(error)) => {
                let completed = match self.take_pending(&error.unique_id) {
                    Some(pending) if pending.push => {
                        self.push_refused(&pending.action, error.code, &error.description);
                        None
                    }
                    Some(pending) => Some(Err(self.command_refused(pending, error.code, error.description, now).await)),
                    None => None,
                };
                Reaction { reply: None, completed }
            }
            Err(error) if error.expects_reply() => {
                tracing::debug!(station = %self.station, code = ?error.code, "malformed frame: {}", error.description);
                let unique_id = error.unique_id.unwrap_or_else(|| "-1".to_owned());
                let reply = Frame::CallError(CallError::new(unique_id, error.code, error.description)).to_text(self.version);
                Reaction { reply: Some(reply), completed: None }
            }
            Err(error) => {
                tracing::debug!(station = %self.station, "malformed reply frame ignored: {}", error.description);
                Reaction::default()
            }
        }
    }

    /// Whether a command is waiting for the station's answer.
    pub fn command_outstanding(&self) -> bool {
        self.pending.is_some()
    }

    /// When the outstanding command times out (unix milliseconds).
    pub fn command_deadline(&self) -> Option<i64> {
        self.outbound.deadline()
    }

    /// Writes `command` as a CALL to send; at most one may be outstanding.
    pub fn start_command(&mut self, command: &Command, now: Timestamp) -> Result<String, CommandError> {
        self.start_call(command, false, now)
    }

    /// Writes a CALL: an operator's command, or the session's own `push`.
    fn start_call(&mut self, command: &Command, push: bool, now: Timestamp) -> Result<String, CommandError> {
        let (action, payload) = command.encode(self.version)?;
        if self.pending.is_some() {
            return Err(CommandError::QueueFull(self.station.to_string()));
        }
        let unique_id = self
            .outbound
            .start(&action, now.unix_millis())
            .map_err(|_| CommandError::QueueFull(self.station.to_string()))?;
        self.pending =
            Some(PendingCommand { unique_id: unique_id.clone(), action: action.clone(), command: command.clone(), push });
        Ok(Frame::Call(Call { unique_id, action, payload }).to_text(self.version))
    }

    /// Times out the outstanding command if its deadline has passed.
    pub fn poll_command_timeout(&mut self, now: Timestamp) -> Option<CommandError> {
        let timed_out = self.outbound.poll_timeout(now.unix_millis())?;
        let pending = self.pending.take().filter(|p| p.unique_id == timed_out)?;
        if pending.push {
            tracing::info!(station = %self.station, action = %pending.action, "a cost message was not answered in time");
            return None;
        }
        let failure = CommandError::Timeout {
            action: pending.action.clone(),
            seconds: u64::from(self.csms.settings.command_timeout_secs),
        };
        self.command_failed(&pending.action, &failure, now);
        Some(failure)
    }

    /// Ends the outstanding command because the connection is gone.
    pub fn abandon_command(&mut self, now: Timestamp) -> Option<CommandError> {
        let pending = self.pending.take()?;
        let _ = self.outbound.on_result(&pending.unique_id);
        if pending.push {
            return None;
        }
        let failure = CommandError::ConnectionLost(self.station.to_string());
        self.command_failed(&pending.action, &failure, now);
        Some(failure)
    }

    fn take_pending(&mut self, unique_id: &str) -> Option<PendingCommand> {
        match self.outbound.on_result(unique_id) {
            Matched::Answer { .. } => self.pending.take().filter(|p| p.unique_id == unique_id),
            Matched::Unexpected => {
                tracing::debug!(station = %self.station, id = %unique_id, "answer to no outstanding command ignored");
                None
            }
        }
    }

    fn command_failed(&self, action: &str, failure: &CommandError, now: Timestamp) {
        tracing::info!(station = %self.station, %action, %failure, "command failed");
        self.tell(Notification::CommandCompleted {
            station: self.station.clone(),
            action: action.to_owned(),
            outcome: "failed".to_owned(),
            error: Some(failure.to_string()),
            at: now,
        });
    }

    /// The station refused a command with a CALLERROR: a refused
    /// reservation is recorded as such.
    async fn command_refused(
        &mut self,
        pending: PendingCommand,
        code: ErrorCode,
        description: String,
        now: Timestamp,
    ) -> CommandError {
        let failure = CommandError::Refused { action: pending.action.clone(), code, description };
        if let Command::ReserveNow { reservation } = &pending.command {
            let refused = self.storage().reservation(reservation.id).map(|stored| {
                stored.filter(|r| r.state == ReservationState::Requested).map(|mut r| {
                    r.state = ReservationState::Refused;
                    r.refusal = Some(failure.to_string());
                    r.updated_at = now;
                    Change::PutReservation(r)
                })
            });
            match refused {
                Ok(Some(change)) => {
                    if let Err(error) = self.write_durably(change.into()).await {
                        tracing::error!(station = %self.station, %error, "could not record a refused reservation");
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::error!(station = %self.station, %error, "could not read a reservation"),
            }
        }
        self.command_failed(&pending.action, &failure, now);
        failure
    }

    /// Checks the station's answer, stores its effects, tells subscribers.
    async fn command_answered(
        &mut self,
        pending: PendingCommand,
        payload: Value,
        now: Timestamp,
    ) -> Result<CommandReply, CommandError> {
        let action = pending.action.clone();
        if let Err(violation) = ocpp::validate(self.version, &action, PayloadKind::Response, &payload) {
            let failure = CommandError::InvalidReply { action: action.clone(), reason: violation.to_string() };
            self.command_failed(&action, &failure, now);
            return Err(failure);
        }
        let status = reply_status(&payload);
        let changes = match self.effects_of_reply(&pending.command, &payload, now) {
            Ok(changes) => changes,
            Err(error) => {
                tracing::error!(station = %self.station, %action, %error, "could not read what the answer changes");
                ChangeSet::new()
            }
        };
        if let Err(error) = self.write_durably(changes).await {
            tracing::error!(station = %self.station, %action, %error, "could not store the effects of an answer");
        }
        self.tell(Notification::CommandCompleted {
            station: self.station.clone(),
            action: action.clone(),
            outcome: status.clone().unwrap_or_else(|| "answered".to_owned()),
            error: None,
            at: now,
        });
        Ok(CommandReply { action, status, payload })
    }

    /// What an answer changes in storage: a reservation's state, 1.6
    /// configuration keys read.
    fn effects_of_reply(
        &self,
        command: &Command,
        payload: &Value,
        now: Timestamp,
    ) -> Result<ChangeSet, StorageError> {
        let mut changes = ChangeSet::new();
        match command {
            Command::ReserveNow { reservation } => {
                if let Some(mut stored) = self.storage().reservation(reservation.id)? {
                    match ocpp::csms::reservation::reserve_now_answer(self.version, payload) {
                        Ok(Ok(())) => stored.state = ReservationState::Active,
                        Ok(Err(refused)) => {
                            stored.state = ReservationState::Refused;
                            stored.refusal = Some(refused.to_owned());
                        }
                        Err(error) => {
                            stored.state = ReservationState::Refused;
                            stored.refusal = Some(error.to_string());
                        }
                    }
                    stored.updated_at = now;
                    changes.push(Change::PutReservation(stored));
                }
            }
            Command::CancelReservation { reservation_id }
                if ocpp::csms::reservation::cancel_reservation_answer(self.version, payload) == Ok(true) =>
            {
                if let Some(mut stored) = self.storage().reservation(*reservation_id)? {
                    stored.state = ReservationState::Cancelled;
                    stored.updated_at = now;
                    changes.push(Change::PutReservation(stored));
                }
            }
            Command::GetConfiguration { .. } => {
                let reported = ocpp::csms::configuration::reported_keys(payload).unwrap_or_else(|error| {
                    tracing::warn!(station = %self.station, %error, "could not read the configuration keys reported");
                    Vec::new()
                });
                let keys: Vec<_> = reported
                    .into_iter()
                    .map(|reported| domain::ConfigurationKey {
                        station: self.station.clone(),
                        key: reported.key,
                        value: reported.value,
                        readonly: reported.readonly,
                        reported_at: now,
                    })
                    .collect();
                if !keys.is_empty() {
                    changes.push(Change::PutConfiguration { station: self.station.clone(), keys });
                }
            }
            _ => {}
        }
        Ok(changes)
    }

    /// Applies `changes` (if any) and waits until they are durable.
    async fn write_durably(&self, changes: ChangeSet) -> Result<(), StorageError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.csms.storage.apply_durably(changes).await
    }

    fn tell(&self, notification: Notification) {
        self.csms.events.publish(notification);
    }

    /// Handles one CALL from the station and returns the answer.
    pub async fn handle_call(&mut self, call: &Call, now: Timestamp) -> Frame {
        let refuse = |code: ErrorCode, description: String| {
            Frame::CallError(CallError::new(call.unique_id.clone(), code, description))
        };
        let request = match ocpp::decode_station_request(self.version, call) {
            Ok(request) => request,
            Err(rejection) => return refuse(rejection.code, rejection.description),
        };
        if self.registration != Registration::Accepted && call.action != "BootNotification" {
            return refuse(
                ErrorCode::SecurityError,
                format!(
                    "station {} is {} and may only send BootNotification",
                    self.station,
                    self.registration.as_str().to_lowercase()
                ),
            );
        }
        let handled = match request {
            ocpp::StationRequest::V16(request) => self.handle_v16(request, now),
            ocpp::StationRequest::V201(request) => self.handle_v201(request, now),
        };
        let outcome = match handled {
            Ok(handled) => match self.price_ended(handled, now).await {
                Ok(handled) => self.store(handled, call.action == "Heartbeat", now).await,
                Err(failure) => Err(failure),
            },
            Err(failure) => Err(failure),
        };
        match outcome {
            Ok(response) => Frame::CallResult(CallResult { unique_id: call.unique_id.clone(), payload: response }),
            Err(Failure::Refuse(code, description)) => refuse(code, description),
            Err(Failure::Storage(error)) => {
                tracing::error!(station = %self.station, action = %call.action, %error, "could not store a station's message");
                refuse(ErrorCode::InternalError, "the message could not be stored; send it again later".to_owned())
            }
        }
    }

    /// Stores a handler's changes (plus "last seen" when due) and returns its
    /// answer once the changes are durable, then tells subscribers. A
    /// heartbeat's "last seen" is not waited for: losing one in a crash loses
    /// nothing a station relies on.
    async fn store(&mut self, handled: Handled, heartbeat: bool, now: Timestamp) -> Result<Value, Failure> {
        let Handled { response, mut changes, notifications, running, pushes, .. } = handled;
        let must_be_durable = !changes.is_empty();
        let seen_due = heartbeat
            || self.seen_written_at.is_none_or(|at| now.millis_since(at) >= self.csms.settings.seen_write_interval_ms);
        if seen_due {
            changes.push(Change::StationSeen { station: self.station.clone(), at: now });
            self.seen_written_at = Some(now);
        }
        if must_be_durable {
            self.csms.storage.apply_durably(changes).await?;
        } else if !changes.is_empty() {
            self.csms.storage.apply(changes)?;
        }
        for notification in notifications {
            self.tell(notification);
        }
        self.queue_pushes(pushes, running, now);
        Ok(response)
    }

    fn storage(&self) -> &dyn Storage {
        self.csms.storage.as_ref()
    }

    fn event(&self, kind: StationEventKind, now: Timestamp) -> Change {
        Change::AppendStationEvent(StationEvent { station: self.station.clone(), received_at: now, kind })
    }

    /// Authorizes `token`; `transaction` is the transaction it is presented
    /// for, if that exists already (it does not count as "another" one).
    fn authorize(&self, token: &IdToken, transaction: Option<u64>, now: Timestamp) -> Result<Authorization, StorageError> {
        let record = self.storage().id_token(&token.value)?;
        let in_other = match &record {
            Some(_) => self.storage().active_transactions_of_token(&token.value)?.into_iter().any(|n| Some(n) != transaction),
            None => false,
        };
        Ok(domain::authorize(record.as_ref(), token, in_other, now))
    }

    /// The station's record, which admission guarantees exists.
    fn station_record(&self) -> Result<domain::Station, Failure> {
        self.storage().station(&self.station)?.ok_or_else(|| {
            Failure::Refuse(ErrorCode::SecurityError, format!("station {} is no longer registered", self.station))
        })
    }

    /// Records a BootNotification: returns the registration to answer and
    /// the interval to tell the station, and queues the changes.
    fn boot(
        &mut self,
        info: domain::BootInfo,
        changes: &mut ChangeSet,
        now: Timestamp,
    ) -> Result<(Registration, u32), Failure> {
        let mut station = self.station_record()?;
        let reason = info.reason.clone();
        let registration = station.record_boot(info, protocol_version(self.version), now);
        self.registration = registration;
        changes.push(Change::PutStation(station));
        changes.push(self.event(StationEventKind::Booted { reason, answered: registration.as_str().to_owned() }, now));
        let settings = &self.csms.settings;
        let interval = match registration {
            Registration::Accepted => settings.heartbeat_interval_secs,
            Registration::Pending | Registration::Rejected => settings.pending_retry_secs,
        };
        Ok((registration, interval))
    }

    /// The change marking reservation `id` of this station as used by
    /// `transaction`, if it exists and is still open.
    fn reservation_used(&self, id: Option<i64>, transaction: u64, now: Timestamp) -> Result<Option<Change>, StorageError> {
        let Some(id) = id else { return Ok(None) };
        let Some(mut reservation) = self.storage().reservation(id)? else { return Ok(None) };
        if reservation.station != self.station || !reservation.state.is_open() {
            return Ok(None);
        }
        reservation.state = ReservationState::Used;
        reservation.transaction = Some(transaction);
        reservation.updated_at = now;
        Ok(Some(Change::PutReservation(reservation)))
    }

    /// Records a firmware, diagnostics or log status in the station record and its log.
    fn operation_status(
        &self,
        field: fn(&mut domain::Station) -> &mut Option<domain::station::OperationStatus>,
        status: String,
        request_id: Option<i64>,
        event: StationEventKind,
        now: Timestamp,
    ) -> Result<ChangeSet, Failure> {
        let mut station = self.station_record()?;
        *field(&mut station) = Some(domain::station::OperationStatus { status, request_id, received_at: now });
        let mut changes = ChangeSet::from(Change::PutStation(station));
        changes.push(self.event(event, now));
        Ok(changes)
    }
}

/// Serializes a response payload built from OCPP's typed structs.
pub(crate) fn payload<T: serde::Serialize>(response: &T) -> Result<Value, Failure> {
    serde_json::to_value(response)
        .map_err(|e| Failure::Refuse(ErrorCode::InternalError, format!("could not encode the response: {e}")))
}
