//! The operator's side: API keys that let applications use Gridlet's API,
//! and a 1.6 station's configuration keys as last read.

use crate::station::StationId;
use crate::time::Timestamp;

/// What an API key may do. Each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read stations, transactions, tokens, events.
    Read,
    /// Also send commands to stations and manage tokens and reservations.
    Operate,
    /// Also manage stations, API keys and plugins.
    Admin,
}

impl Scope {
    /// Every scope, weakest first.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Operate, Scope::Admin];

    /// The scope's name: `read`, `operate` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Operate => "operate",
            Scope::Admin => "admin",
        }
    }

    /// Parses a scope's name.
    pub fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Whether this scope allows what `needed` allows.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

/// An API key as stored: never the secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The key's public id (the part of the key before its secret).
    pub id: String,
    /// What it is for, e.g. `billing export`.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// SHA-256 of the secret, hex. The secret is 256 random bits, so a
    /// fast hash suffices (a slow one would only slow every API request).
    pub secret_sha256: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authorizes nothing.
    pub revoked_at: Option<Timestamp>,
}

/// One OCPP 1.6 configuration key as the station reported it (GetConfiguration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationKey {
    /// The station.
    pub station: StationId,
    /// The key, e.g. `HeartbeatInterval`.
    pub key: String,
    /// Its value, if the station gave one.
    pub value: Option<String>,
    /// Whether the station says it cannot be changed.
    pub readonly: bool,
    /// When it was read.
    pub reported_at: Timestamp,
}
