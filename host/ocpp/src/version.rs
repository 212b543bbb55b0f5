//! The OCPP-J protocol versions Gridlet speaks, named by their WebSocket
//! subprotocol.

use std::fmt;

/// An OCPP-J protocol version, as negotiated through the WebSocket
/// subprotocol (`Sec-WebSocket-Protocol`) when a station connects.
///
/// Adding OCPP 2.1 means adding a variant here; every `match` on it then
/// points at the tables, schemas and typed requests the new version needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OcppVersion {
    /// OCPP 1.6 edition 2 over JSON, with the Security Whitepaper edition 3
    /// actions.
    V16,
    /// OCPP 2.0.1 over JSON.
    V201,
}

impl OcppVersion {
    /// Every version Gridlet speaks, oldest first.
    pub const ALL: [OcppVersion; 2] = [OcppVersion::V16, OcppVersion::V201];

    /// The WebSocket subprotocol token that selects this version.
    pub fn subprotocol(self) -> &'static str {
        match self {
            OcppVersion::V16 => "ocpp1.6",
            OcppVersion::V201 => "ocpp2.0.1",
        }
    }

    /// The version a WebSocket subprotocol token selects, if Gridlet speaks
    /// it. Tokens are compared exactly, as RFC 6455 compares them.
    pub fn from_subprotocol(token: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|version| version.subprotocol() == token)
    }
}

/// Writes the version number as the specifications name it: `1.6`, `2.0.1`.
impl fmt::Display for OcppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OcppVersion::V16 => "1.6",
            OcppVersion::V201 => "2.0.1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subprotocols_round_trip() {
        for version in OcppVersion::ALL {
            assert_eq!(
                OcppVersion::from_subprotocol(version.subprotocol()),
                Some(version)
            );
        }
        assert_eq!(OcppVersion::V16.subprotocol(), "ocpp1.6");
        assert_eq!(OcppVersion::V201.subprotocol(), "ocpp2.0.1");
    }

    #[test]
    fn unknown_subprotocols_are_refused() {
        for token in [
            "", "ocpp1.5", "ocpp2.0", "ocpp2.1", "OCPP1.6", "ocpp1.6 ", "wamp",
        ] {
            assert_eq!(OcppVersion::from_subprotocol(token), None, "{token:?}");
        }
    }

    #[test]
    fn displays_the_version_number() {
        assert_eq!(OcppVersion::V16.to_string(), "1.6");
        assert_eq!(OcppVersion::V201.to_string(), "2.0.1");
    }
}
