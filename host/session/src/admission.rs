//! Who may open an OCPP connection: the decision taken at the WebSocket
//! handshake, before any OCPP message.
//!
//! A known station with a password must present it (HTTP Basic, user name =
//! station id). A known station without one is let in only when the operator
//! allows password-less stations, or while it is still pending approval (it
//! can then do nothing but boot). An unknown station is refused, or — under
//! the `pending` policy — recorded as pending approval together with the
//! hash of the password it presented, which becomes its password once an
//! operator approves it.

use domain::{Change, Registration, Station, StationId, Storage, StorageError, Timestamp};

use crate::auth::{PasswordChecker, hash_password};

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

/// HTTP Basic credentials from the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name; must equal the station id.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Why a connection was refused. Every refusal is answered the same way on
/// the wire (401) so that callers learn nothing about which stations exist;
/// the reason is for the log.
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
}

/// The handshake's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Let in; its registration decides what it may do.
    Admitted(Registration),
    /// Refused.
    Refused(Refusal),
}

/// Decides whether `station` may connect with `credentials`.
pub async fn admit(
    storage: &dyn Storage,
    checker: &PasswordChecker,
    policy: &AdmissionPolicy,
    station: &StationId,
    credentials: Option<&Credentials>,
    now: Timestamp,
) -> Result<Admission, StorageError> {
    if let Some(credentials) = credentials
        && credentials.username != station.as_str()
    {
        return Ok(Admission::Refused(Refusal::UsernameMismatch));
    }
    let Some(known) = storage.station(station)? else {
        return admit_unknown(storage, policy, station, credentials, now).await;
    };
    let admitted = Admission::Admitted(known.registration);
    match (&known.password_hash, credentials) {
        (Some(phc), Some(credentials)) => {
            if checker.check(station, phc, &credentials.password).await {
                Ok(admitted)
            } else {
                Ok(Admission::Refused(Refusal::WrongPassword))
            }
        }
        (Some(_), None) => Ok(Admission::Refused(Refusal::MissingCredentials)),
        (None, _) if policy.allow_stations_without_password || known.registration == Registration::Pending => {
            Ok(admitted)
        }
        (None, _) => Ok(Admission::Refused(Refusal::NoPasswordConfigured)),
    }
}

async fn admit_unknown(
    storage: &dyn Storage,
    policy: &AdmissionPolicy,
    station: &StationId,
    credentials: Option<&Credentials>,
    now: Timestamp,
) -> Result<Admission, StorageError> {
    if policy.unknown_stations == UnknownStationPolicy::Reject {
        return Ok(Admission::Refused(Refusal::UnknownStation));
    }
    let password_hash = match credentials {
        Some(credentials) => {
            let password = credentials.password.clone();
            let hashed = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| StorageError::Backend(format!("password hashing task failed: {e}")))?;
            Some(hashed.map_err(|e| StorageError::Backend(e.to_string()))?)
        }
        None => None,
    };
    let pending = Station::awaiting_approval(station.clone(), password_hash, now);
    storage.apply_durably(Change::PutStation(pending).into()).await?;
    Ok(Admission::Admitted(Registration::Pending))
}
