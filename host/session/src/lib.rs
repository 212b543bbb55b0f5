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
//! - [`admission`]: who may connect ([`admission::admit`]).
//! - [`auth`]: station passwords (Argon2id) and their verification.
//! - [`convert`]: OCPP types to domain values and back.
//! - `v16`, `v201`: the handlers of what stations send, per version.
//!
//! Everything a station can send is answered: a message that cannot be
//! decoded, breaks its schema or names an unknown action gets the CALLERROR
//! the specification names; a storage failure gets `InternalError` and
//! nothing is acknowledged that was not stored.

pub mod admission;
pub mod auth;
pub mod convert;
mod v16;
mod v201;

use std::sync::Arc;

use ocpp::{Call, CallError, CallResult, ErrorCode, Frame, OcppVersion};
use serde_json::Value;

use domain::event::StationEventKind;
use domain::{
    Authorization, Change, ChangeSet, IdToken, ProtocolVersion, Registration, StationEvent, StationId, Storage,
    StorageError, Timestamp,
};

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
}

impl Default for Settings {
    fn default() -> Self {
        Settings { heartbeat_interval_secs: 300, pending_retry_secs: 60, seen_write_interval_ms: 30_000 }
    }
}

/// What all sessions share: storage and settings.
pub struct Csms {
    /// Where everything is kept.
    pub storage: Arc<dyn Storage>,
    /// Protocol settings.
    pub settings: Settings,
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
}

/// The result of a handler: the answer, and what must be stored first.
pub(crate) struct Handled {
    response: Value,
    changes: ChangeSet,
}

impl Handled {
    fn answer(response: Value) -> Self {
        Handled { response, changes: ChangeSet::new() }
    }

    fn storing(response: Value, changes: ChangeSet) -> Self {
        Handled { response, changes }
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
        StationSession { csms, station, version, registration, seen_written_at: None }
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
        let ticket = self.csms.storage.apply(changes)?;
        self.csms.storage.durable(ticket).await
    }

    /// Records that the station's connection ended, and why.
    pub async fn disconnected(&mut self, reason: &str, now: Timestamp) -> Result<(), StorageError> {
        let ticket = self.csms.storage.apply(self.event(StationEventKind::Disconnected { reason: reason.to_owned() }, now).into())?;
        self.csms.storage.durable(ticket).await
    }

    /// Handles one text frame from the station; returns the frame to send
    /// back, if any (results and errors from the station get none).
    pub async fn handle_text(&mut self, text: &str, now: Timestamp) -> Option<String> {
        match ocpp::decode_frame(text) {
            Ok(Frame::Call(call)) => Some(self.handle_call(&call, now).await.to_text(self.version)),
            Ok(Frame::CallResult(result)) => {
                tracing::debug!(station = %self.station, id = %result.unique_id, "unexpected CALLRESULT ignored");
                None
            }
            Ok(Frame::CallError(error)) => {
                tracing::debug!(station = %self.station, id = %error.unique_id, code = ?error.code, "unexpected CALLERROR ignored");
                None
            }
            Err(error) if error.expects_reply() => {
                tracing::debug!(station = %self.station, code = ?error.code, "malformed frame: {}", error.description);
                let unique_id = error.unique_id.unwrap_or_else(|| "-1".to_owned());
                Some(Frame::CallError(CallError::new(unique_id, error.code, error.description)).to_text(self.version))
            }
            Err(error) => {
                tracing::debug!(station = %self.station, "malformed reply frame ignored: {}", error.description);
                None
            }
        }
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
            Ok(handled) => self.store(handled, call.action == "Heartbeat", now).await,
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
    /// answer once the changes are durable. A heartbeat's "last seen" is not
    /// waited for: losing one in a crash loses nothing a station relies on.
    async fn store(&mut self, handled: Handled, heartbeat: bool, now: Timestamp) -> Result<Value, Failure> {
        let Handled { response, mut changes } = handled;
        let must_be_durable = !changes.is_empty();
        let seen_due = heartbeat
            || self.seen_written_at.is_none_or(|at| now.millis_since(at) >= self.csms.settings.seen_write_interval_ms);
        if seen_due {
            changes.push(Change::StationSeen { station: self.station.clone(), at: now });
            self.seen_written_at = Some(now);
        }
        if changes.is_empty() {
            return Ok(response);
        }
        let ticket = self.csms.storage.apply(changes)?;
        if must_be_durable {
            self.csms.storage.durable(ticket).await?;
        }
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
    fn boot(&mut self, info: domain::BootInfo, changes: &mut ChangeSet, now: Timestamp) -> Result<(Registration, u32), Failure> {
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
