//! Who may open an OCPP connection: the decision taken at the WebSocket
//! handshake, before any OCPP message.
//!
//! A known station with a password must present it (HTTP Basic, user name =
//! station id). A known station without one is let in only when the operator
//! allows password-less stations, or while it is still pending approval (it
//! can then do nothing but boot). An unknown station is refused, or — under
//! the `pending` policy — recorded as pending approval together with a cheap
//! verifier of the password it presented (see [`crate::auth`]), which becomes
//! its password once an operator approves it.
//!
//! The [`Gatekeeper`] bounds what a client without credentials can make the
//! server spend:
//! - **Failures are limited** per station id and per source address
//!   ([`AdmissionLimits`]): past the limit, attempts are refused at once,
//!   without verifying anything, until the window ends. Attempts on a
//!   station id count from the moment they start (a success gives its
//!   attempt back), so a burst of concurrent guesses for one station runs at
//!   most `max_failures_per_station` verifications. A station presenting the
//!   password this process last verified for it is let in before any
//!   counting (a SHA-256 compare), so others' guesses never lock it out.
//! - **Pending records are bounded**: at most `max_pending_stations`, at most
//!   `pending_per_minute` new ones a minute, a password that breaks OCPP's
//!   rules is refused, and the first record of an id is created by one
//!   connection only: a concurrent first connection for the same id is
//!   refused (it cannot replace the password the first one presented).
//!   The count is kept here and set afresh whenever the server's sweeper
//!   has counted the store (and expired the pending stations never
//!   approved): [`Gatekeeper::begin_pending_count`] and
//!   [`Gatekeeper::finish_pending_count`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use domain::{Change, Registration, Station, StationId, Storage, StorageError, Timestamp};

use crate::auth::{PasswordChecker, check_password_rules, is_pending_verifier, pending_verifier};

/// What to do with a station Gridlet does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownStationPolicy {
    /// Refuse the connection.
    Reject,
    /// Let it in as pending until an operator approves it.
    Pending,
}

impl UnknownStationPolicy {
    /// Parses `reject` or `pending`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reject" => Some(UnknownStationPolicy::Reject),
            "pending" => Some(UnknownStationPolicy::Pending),
            _ => None,
        }
    }

    /// The policy's name in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownStationPolicy::Reject => "reject",
            UnknownStationPolicy::Pending => "pending",
        }
    }
}

/// The operator's admission rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionPolicy {
    /// What to do with unknown stations.
    pub unknown_stations: UnknownStationPolicy,
    /// Whether known stations without a password may connect (security profile 0).
    pub allow_stations_without_password: bool,
}

/// How much a client that fails to authenticate, or a station nobody
/// approved yet, may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Failed (or still running) attempts allowed per station id in a window.
    pub max_failures_per_station: u32,
    /// Failed attempts allowed per source address in a window.
    pub max_failures_per_address: u32,
    /// The window, in seconds.
    pub failure_window_secs: u32,
    /// The most pending stations kept; further unknown stations are refused.
    pub max_pending_stations: usize,
    /// The most pending stations recorded per minute.
    pub pending_per_minute: u32,
    /// A pending station not heard from for this long is removed.
    pub pending_expiry_secs: u64,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            max_failures_per_station: 10,
            max_failures_per_address: 30,
            failure_window_secs: 60,
            max_pending_stations: 1000,
            pending_per_minute: 60,
            pending_expiry_secs: 24 * 3600,
        }
    }
}

/// HTTP Basic credentials from the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name; must equal the station id.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Why a connection was refused. The authentication refusals are answered
/// alike on the wire (401) so that callers learn nothing about which
/// stations exist; the reason is for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The station is unknown and the policy rejects unknown stations.
    #[error("unknown station")]
    UnknownStation,
    /// The station has a password and presented none.
    #[error("no credentials presented")]
    MissingCredentials,
    /// The Basic user name is not the station id.
    #[error("basic auth user name differs from the station id")]
    UsernameMismatch,
    /// The password is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// The station has no password and password-less stations are not allowed.
    #[error("station has no password and password-less stations are not allowed")]
    NoPasswordConfigured,
    /// An unknown station presented a password OCPP does not allow (16 to
    /// 40 printable ASCII characters); it would become its password.
    #[error("the presented password breaks OCPP's password rules")]
    PasswordBreaksRules,
    /// Too many failed attempts for this station id or from this address.
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyFailures {
        /// When the window ends.
        retry_after_secs: u32,
    },
    /// As many pending stations as allowed are waiting for approval.
    #[error("the pending-station limit is reached")]
    PendingLimitReached,
    /// As many pending stations as allowed a minute were recorded.
    #[error("too many new pending stations this minute; retry in {retry_after_secs} s")]
    PendingRateExceeded {
        /// When a new one may be recorded.
        retry_after_secs: u32,
    },
    /// Another first connection for this unknown station id is being admitted.
    #[error("another first connection for this station is being admitted")]
    ConcurrentFirstConnection,
}

/// The handshake's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Let in; its registration decides what it may do.
    Admitted(Registration),
    /// Refused.
    Refused(Refusal),
}

/// Decides handshakes: the policy, the limits, password verification, and
/// what is remembered between handshakes (failures, pending creations).
pub struct Gatekeeper {
    policy: AdmissionPolicy,
    limits: AdmissionLimits,
    passwords: PasswordChecker,
    failures: Mutex<Failures>,
    pending: Mutex<PendingGate>,
}

/// The most station ids and addresses whose failures are remembered; past
/// it, expired entries are dropped and, if none are, new ones not tracked
/// (per id; the address limit still applies), so memory stays bounded.
const MAX_TRACKED: usize = 100_000;

/// Failed attempts in the current window, per station id and per address.
#[derive(Default)]
struct Failures {
    by_station: HashMap<StationId, Window>,
    by_address: HashMap<IpAddr, Window>,
}

/// Attempts counted since `start` (unix milliseconds).
#[derive(Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

/// Pending records: the count, recent creations, first connections under way.
#[derive(Default)]
struct PendingGate {
    /// Pending stations in the store, as last counted plus those created since.
    count: usize,
    /// While the sweeper counts the store: the ids of pending stations
    /// created (or being created) meanwhile.
    noted: Option<HashSet<StationId>>,
    /// When the recent creations happened (unix milliseconds), oldest first.
    recent: VecDeque<i64>,
    /// Unknown ids whose first connection is being admitted.
    in_flight: HashSet<StationId>,
}

impl Gatekeeper {
    /// A gatekeeper with `policy` and `limits`, verifying through `passwords`.
    pub fn new(policy: AdmissionPolicy, limits: AdmissionLimits, passwords: PasswordChecker) -> Self {
        Gatekeeper {
            policy,
            limits,
            passwords,
            failures: Mutex::new(Failures::default()),
            pending: Mutex::new(PendingGate::default()),
        }
    }

    /// Starts a count of the pending stations: from now until
    /// [`Gatekeeper::finish_pending_count`], the ids of new pending stations
    /// (and of those being created now) are noted, since a scan of the store
    /// running meanwhile may or may not see them.
    pub fn begin_pending_count(&self) {
        if let Ok(mut gate) = self.pending.lock() {
            gate.noted = Some(gate.in_flight.clone());
        }
    }

    /// Ends the count: the pending stations are those a scan of the store
    /// found (`scanned`) and those noted since the count began.
    pub fn finish_pending_count(&self, scanned: HashSet<StationId>) {
        if let Ok(mut gate) = self.pending.lock() {
            let mut pending = scanned;
            pending.extend(gate.noted.take().unwrap_or_default());
            gate.count = pending.len();
        }
    }

    /// Ends a count that failed; the pending count stays as it was.
    pub fn abandon_pending_count(&self) {
        if let Ok(mut gate) = self.pending.lock() {
            gate.noted = None;
        }
    }

    /// The pending count as the gatekeeper knows it.
    pub fn pending_count(&self) -> usize {
        self.pending.lock().map_or(0, |gate| gate.count)
    }

    /// Decides whether `station`, connecting from `peer`, may connect with
    /// `credentials`.
    pub async fn admit(
        &self,
        storage: &dyn Storage,
        station: &StationId,
        credentials: Option<&Credentials>,
        peer: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<Admission, StorageError> {
        let known = storage.station(station)?;
        // A password this process verified before is let in without
        // counting, so guesses by others never lock a station out.
        if let (Some(credentials), Some(known)) = (credentials, &known)
            && credentials.username == station.as_str()
            && let Some(phc) = &known.password_hash
            && self.passwords.remembers(station, phc, &credentials.password)
        {
            return Ok(Admission::Admitted(known.registration));
        }
        if let Some(refusal) = self.begin_attempt(station, peer, now) {
            return Ok(Admission::Refused(refusal));
        }
        let admission = self.decide(storage, station, known, credentials, now).await;
        match &admission {
            Ok(Admission::Admitted(_)) => self.forgive(station),
            Ok(Admission::Refused(refusal)) if counts_as_failure(refusal) => self.fail(peer, now),
            // not the client's fault: give the attempt back
            Ok(Admission::Refused(_)) | Err(_) => self.forgive(station),
        }
        admission
    }

    /// Decides a counted attempt; `known` is `station`'s record as read
    /// when the attempt began.
    async fn decide(
        &self,
        storage: &dyn Storage,
        station: &StationId,
        known: Option<Station>,
        credentials: Option<&Credentials>,
        now: Timestamp,
    ) -> Result<Admission, StorageError> {
        if let Some(credentials) = credentials
            && credentials.username != station.as_str()
        {
            return Ok(Admission::Refused(Refusal::UsernameMismatch));
        }
        match known {
            Some(known) => self.admit_known(storage, known, credentials).await,
            None => self.admit_unknown(storage, station, credentials, now).await,
        }
    }

    async fn admit_known(
        &self,
        storage: &dyn Storage,
        known: Station,
        credentials: Option<&Credentials>,
    ) -> Result<Admission, StorageError> {
        let admitted = Admission::Admitted(known.registration);
        match (&known.password_hash, credentials) {
            (Some(phc), Some(credentials)) => {
                if !self.passwords.check(&known.id, phc, &credentials.password).await {
                    return Ok(Admission::Refused(Refusal::WrongPassword));
                }
                if is_pending_verifier(phc) && known.registration == Registration::Accepted {
                    self.strengthen(storage, &known.id, phc, &credentials.password).await;
                }
                Ok(admitted)
            }
            (Some(_), None) => Ok(Admission::Refused(Refusal::MissingCredentials)),
            (None, _)
                if self.policy.allow_stations_without_password || known.registration == Registration::Pending =>
            {
                Ok(admitted)
            }
            (None, _) => Ok(Admission::Refused(Refusal::NoPasswordConfigured)),
        }
    }

    /// Replaces an approved station's pending verifier with an Argon2id hash
    /// of the password it just proved, unless its password changed meanwhile.
    /// A failure is logged; the station is admitted all the same and the
    /// next connection tries again.
    async fn strengthen(&self, storage: &dyn Storage, station: &StationId, verifier: &str, password: &str) {
        let hashed = match self.passwords.hash(password).await {
            Ok(hashed) => hashed,
            Err(error) => {
                tracing::warn!(%station, %error, "could not hash an approved station's password");
                return;
            }
        };
        let result = match storage.station(station) {
            Ok(Some(mut current)) if current.password_hash.as_deref() == Some(verifier) => {
                current.password_hash = Some(hashed);
                storage.apply_durably(Change::PutStation(current).into()).await
            }
            Ok(_) => Ok(()),
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => tracing::info!(%station, "approved station's password now stored as an Argon2id hash"),
            Err(error) => tracing::warn!(%station, %error, "could not store an approved station's password hash"),
        }
    }

    async fn admit_unknown(
        &self,
        storage: &dyn Storage,
        station: &StationId,
        credentials: Option<&Credentials>,
        now: Timestamp,
    ) -> Result<Admission, StorageError> {
        if self.policy.unknown_stations == UnknownStationPolicy::Reject {
            return Ok(Admission::Refused(Refusal::UnknownStation));
        }
        if let Some(credentials) = credentials
            && check_password_rules(&credentials.password).is_err()
        {
            return Ok(Admission::Refused(Refusal::PasswordBreaksRules));
        }
        let _first = match self.reserve_pending(station, now) {
            Ok(reservation) => reservation,
            Err(refusal) => return Ok(Admission::Refused(refusal)),
        };
        // Another connection may have created the record between our first
        // read and the reservation: then this one is not the first.
        if let Some(known) = storage.station(station)? {
            self.release_pending_creation(station);
            return self.admit_known(storage, known, credentials).await;
        }
        let verifier = credentials.map(|credentials| pending_verifier(&credentials.password));
        let pending = Station::awaiting_approval(station.clone(), verifier, now);
        if let Err(error) = storage.apply_durably(Change::PutStation(pending).into()).await {
            self.release_pending_creation(station);
            return Err(error);
        }
        tracing::info!(%station, "unknown station recorded as pending approval");
        Ok(Admission::Admitted(Registration::Pending))
    }

    /// Checks the pending limits and marks `station`'s first connection as
    /// under way; the returned guard ends that mark.
    fn reserve_pending(&self, station: &StationId, now: Timestamp) -> Result<FirstConnection<'_>, Refusal> {
        let Ok(mut gate) = self.pending.lock() else { return Err(Refusal::PendingLimitReached) };
        if gate.in_flight.contains(station) {
            return Err(Refusal::ConcurrentFirstConnection);
        }
        if gate.count >= self.limits.max_pending_stations {
            return Err(Refusal::PendingLimitReached);
        }
        let now = now.unix_millis();
        while gate.recent.front().is_some_and(|&at| now - at >= 60_000) {
            gate.recent.pop_front();
        }
        if gate.recent.len() >= usize::try_from(self.limits.pending_per_minute).unwrap_or(usize::MAX) {
            let oldest = gate.recent.front().copied().unwrap_or(now);
            return Err(Refusal::PendingRateExceeded { retry_after_secs: seconds_until(oldest + 60_000, now) });
        }
        gate.recent.push_back(now);
        gate.count += 1;
        if let Some(noted) = &mut gate.noted {
            noted.insert(station.clone());
        }
        gate.in_flight.insert(station.clone());
        Ok(FirstConnection { gate: &self.pending, station: station.clone() })
    }

    /// Gives back a creation [`Gatekeeper::reserve_pending`] counted but
    /// that did not happen.
    fn release_pending_creation(&self, station: &StationId) {
        if let Ok(mut gate) = self.pending.lock() {
            gate.count = gate.count.saturating_sub(1);
            gate.recent.pop_back();
            if let Some(noted) = &mut gate.noted {
                noted.remove(station);
            }
        }
    }

    /// Refuses an attempt over a limit, or counts it against its station.
    fn begin_attempt(&self, station: &StationId, peer: Option<IpAddr>, now: Timestamp) -> Option<Refusal> {
        let Ok(mut failures) = self.failures.lock() else { return None };
        let now = now.unix_millis();
        let window = i64::from(self.limits.failure_window_secs) * 1000;
        if let Some(peer) = peer
            && let Some(seen) = failures.by_address.get(&peer)
            && now - seen.start < window
            && seen.count >= self.limits.max_failures_per_address
        {
            let retry_after_secs = seconds_until(seen.start + window, now);
            tracing::warn!(%station, %peer, "handshake refused: too many failed attempts from this address");
            return Some(Refusal::TooManyFailures { retry_after_secs });
        }
        if !failures.by_station.contains_key(station) {
            if failures.by_station.len() >= MAX_TRACKED && !prune(&mut failures.by_station, now, window) {
                return None;
            }
            failures.by_station.insert(station.clone(), Window { start: now, count: 0 });
        }
        let entry = failures.by_station.get_mut(station)?;
        if now - entry.start >= window {
            *entry = Window { start: now, count: 0 };
        }
        if entry.count >= self.limits.max_failures_per_station {
            let retry_after_secs = seconds_until(entry.start + window, now);
            tracing::warn!(%station, ?peer, "handshake refused: too many failed attempts for this station");
            return Some(Refusal::TooManyFailures { retry_after_secs });
        }
        entry.count += 1;
        None
    }

    /// Gives a successful (or not the client's fault) attempt back.
    fn forgive(&self, station: &StationId) {
        if let Ok(mut failures) = self.failures.lock()
            && let Some(entry) = failures.by_station.get_mut(station)
        {
            entry.count = entry.count.saturating_sub(1);
        }
    }

    /// Counts a failed attempt against its address (its station's was
    /// counted when it began).
    fn fail(&self, peer: Option<IpAddr>, now: Timestamp) {
        let Some(peer) = peer else { return };
        let Ok(mut failures) = self.failures.lock() else { return };
        let now = now.unix_millis();
        let window = i64::from(self.limits.failure_window_secs) * 1000;
        if !failures.by_address.contains_key(&peer)
            && failures.by_address.len() >= MAX_TRACKED
            && !prune(&mut failures.by_address, now, window)
        {
            return;
        }
        let entry = failures.by_address.entry(peer).or_insert(Window { start: now, count: 0 });
        if now - entry.start >= window {
            *entry = Window { start: now, count: 0 };
        }
        entry.count += 1;
    }
}

/// Whether a refusal counts against the limits: wrong or missing
/// credentials count, the server's own limits do not.
fn counts_as_failure(refusal: &Refusal) -> bool {
    match refusal {
        Refusal::UnknownStation
        | Refusal::MissingCredentials
        | Refusal::UsernameMismatch
        | Refusal::WrongPassword
        | Refusal::NoPasswordConfigured
        | Refusal::PasswordBreaksRules => true,
        Refusal::TooManyFailures { .. }
        | Refusal::PendingLimitReached
        | Refusal::PendingRateExceeded { .. }
        | Refusal::ConcurrentFirstConnection => false,
    }
}

/// Drops windows that ended; whether that made room.
fn prune<K: std::hash::Hash + Eq>(windows: &mut HashMap<K, Window>, now: i64, window: i64) -> bool {
    windows.retain(|_, seen| now - seen.start < window);
    windows.len() < MAX_TRACKED
}

/// Whole seconds from `now` to `until` (unix milliseconds), at least 1.
fn seconds_until(until: i64, now: i64) -> u32 {
    u32::try_from((until - now + 999) / 1000).unwrap_or(u32::MAX).max(1)
}

/// Marks an unknown station's first connection as under way until dropped.
struct FirstConnection<'a> {
    gate: &'a Mutex<PendingGate>,
    station: StationId,
}

impl Drop for FirstConnection<'_> {
    fn drop(&mut self) {
        if let Ok(mut gate) = self.gate.lock() {
            gate.in_flight.remove(&self.station);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gatekeeper(limits: AdmissionLimits) -> Gatekeeper {
        let policy = AdmissionPolicy { unknown_stations: UnknownStationPolicy::Pending, allow_stations_without_password: false };
        Gatekeeper::new(policy, limits, PasswordChecker::new(1))
    }

    fn id(s: &str) -> StationId {
        StationId::parse(s).unwrap()
    }

    #[test]
    fn failures_per_station_are_limited_within_the_window() {
        let keeper = gatekeeper(AdmissionLimits { max_failures_per_station: 2, ..AdmissionLimits::default() });
        let t = |ms| Timestamp::from_unix_millis(ms);
        assert_eq!(keeper.begin_attempt(&id("CP1"), None, t(0)), None);
        assert_eq!(keeper.begin_attempt(&id("CP1"), None, t(1)), None);
        assert_eq!(
            keeper.begin_attempt(&id("CP1"), None, t(2_000)),
            Some(Refusal::TooManyFailures { retry_after_secs: 58 })
        );
        // another station is not affected; a success gives its attempt back
        assert_eq!(keeper.begin_attempt(&id("CP2"), None, t(2)), None);
        keeper.forgive(&id("CP1"));
        assert_eq!(keeper.begin_attempt(&id("CP1"), None, t(3)), None);
        assert!(keeper.begin_attempt(&id("CP1"), None, t(4)).is_some());
        // a new window starts afresh
        assert_eq!(keeper.begin_attempt(&id("CP1"), None, t(60_000)), None);
    }

    #[test]
    fn failures_per_address_are_limited_across_stations() {
        let keeper = gatekeeper(AdmissionLimits { max_failures_per_address: 3, ..AdmissionLimits::default() });
        let attacker: IpAddr = "192.0.2.7".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.8".parse().unwrap();
        let t = Timestamp::from_unix_millis(5_000);
        for n in 0..3 {
            assert_eq!(keeper.begin_attempt(&id(&format!("CP{n}")), Some(attacker), t), None);
            keeper.fail(Some(attacker), t);
        }
        assert!(matches!(
            keeper.begin_attempt(&id("CP9"), Some(attacker), t),
            Some(Refusal::TooManyFailures { retry_after_secs: 60 })
        ));
        assert_eq!(keeper.begin_attempt(&id("CP9"), Some(neighbour), t), None);
    }

    #[test]
    fn pending_creations_are_capped_rated_and_exclusive() {
        let keeper = gatekeeper(AdmissionLimits { max_pending_stations: 3, pending_per_minute: 2, ..AdmissionLimits::default() });
        let t = |ms| Timestamp::from_unix_millis(ms);
        let first = keeper.reserve_pending(&id("NEW1"), t(0)).unwrap();
        assert_eq!(keeper.reserve_pending(&id("NEW1"), t(0)).err(), Some(Refusal::ConcurrentFirstConnection));
        drop(first);
        let second = keeper.reserve_pending(&id("NEW2"), t(10_000)).unwrap();
        assert_eq!(
            keeper.reserve_pending(&id("NEW3"), t(20_000)).err(),
            Some(Refusal::PendingRateExceeded { retry_after_secs: 40 })
        );
        let third = keeper.reserve_pending(&id("NEW3"), t(60_000)).unwrap();
        assert_eq!(keeper.pending_count(), 3);
        // their first connections end (the records stay)
        drop((second, third));
        assert_eq!(keeper.reserve_pending(&id("NEW4"), t(200_000)).err(), Some(Refusal::PendingLimitReached));
        // a count of the store: NEW1 was removed; NEW4 is created while the scan runs
        keeper.begin_pending_count();
        let fourth = keeper.reserve_pending(&id("NEW4"), t(200_000));
        assert_eq!(fourth.err(), Some(Refusal::PendingLimitReached), "the count is not lowered before the scan ends");
        keeper.finish_pending_count([id("NEW2"), id("NEW3")].into_iter().collect());
        assert_eq!(keeper.pending_count(), 2);
        keeper.begin_pending_count();
        let fourth = keeper.reserve_pending(&id("NEW4"), t(200_000)).unwrap();
        // whether the scan saw NEW4 or not, it is counted once
        keeper.finish_pending_count([id("NEW2"), id("NEW3"), id("NEW4")].into_iter().collect());
        assert_eq!(keeper.pending_count(), 3);
        drop(fourth);
        // NEW3 was approved meanwhile
        keeper.begin_pending_count();
        keeper.finish_pending_count([id("NEW2"), id("NEW4")].into_iter().collect());
        assert_eq!(keeper.pending_count(), 2);
        keeper.begin_pending_count();
        let _fifth = keeper.reserve_pending(&id("NEW5"), t(260_000)).unwrap();
        keeper.finish_pending_count([id("NEW2"), id("NEW4")].into_iter().collect());
        assert_eq!(keeper.pending_count(), 3, "NEW5 was under way: counted though the scan missed it");
        // a count that fails changes nothing
        keeper.begin_pending_count();
        keeper.abandon_pending_count();
        assert_eq!(keeper.pending_count(), 3);
    }
}
