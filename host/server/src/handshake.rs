//! The WebSocket handshake at `/ocpp/{stationId}`: checks the station id,
//! negotiates the OCPP subprotocol, admits the station (security profile 1),
//! then upgrades.
//!
//! Refusals are plain HTTP answers before any upgrade: `400` for a bad
//! station id, a missing or unsupported subprotocol or a malformed
//! `Authorization` header; `401` (with `WWW-Authenticate: Basic`) for every
//! authentication refusal alike, so the answer does not reveal which
//! stations exist; `429` with `Retry-After` after too many failed attempts
//! for the station id or from the address, or too many new pending
//! stations this minute; `409` while another first connection for the
//! same unknown id is being admitted; `503` when the pending-station limit
//! is reached (with `Retry-After`), while storage fails, or while the
//! server shuts down.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER, SEC_WEBSOCKET_PROTOCOL, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use domain::StationId;
use ocpp::OcppVersion;
use session::admission::{Admission, Credentials, Refusal};

use crate::{AppState, connection, now};

/// Handles `GET /ocpp/{station_id}` with a WebSocket upgrade.
pub async fn ocpp_upgrade(
    State(state): State<Arc<AppState>>,
    Path(raw_station_id): Path<String>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let station = match StationId::parse(&raw_station_id) {
        Ok(station) => station,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("invalid station id: {e}")).into_response(),
    };
    let Some(version) = negotiate(&headers, &state.config.versions) else {
        let offered: Vec<_> = state.config.versions.iter().map(|v| v.subprotocol()).collect();
        let message = format!(
            "missing or unsupported OCPP subprotocol in Sec-WebSocket-Protocol; this server speaks {}",
            offered.join(", ")
        );
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let credentials = match basic_credentials(&headers) {
        Ok(credentials) => credentials,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    if *state.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response();
    }
    // set by the server's accept loop (absent in tests that call the router directly)
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let admission =
        state.gatekeeper.admit(state.csms.storage.as_ref(), &station, credentials.as_ref(), peer, now()).await;
    let registration = match admission {
        Ok(Admission::Admitted(registration)) => registration,
        Ok(Admission::Refused(reason)) => {
            tracing::warn!(%station, ?peer, %reason, "station connection refused");
            return refusal(reason, state.config.settings.pending_retry_secs);
        }
        Err(error) => {
            tracing::error!(%station, %error, "admission failed on storage");
            return (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response();
        }
    };
    let config = &state.config;
    let mut upgrade = upgrade
        .read_buffer_size(config.read_buffer_bytes)
        .write_buffer_size(0)
        .max_message_size(config.max_message_bytes.saturating_mul(2))
        .max_frame_size(config.max_message_bytes.saturating_mul(2));
    upgrade.set_selected_protocol(HeaderValue::from_static(version.subprotocol()));
    upgrade.on_upgrade(move |socket| connection::run(socket, state, station, version, registration))
}

/// The HTTP answer to a refused handshake.
fn refusal(reason: Refusal, pending_retry_secs: u32) -> Response {
    let (status, message, retry_after) = match reason {
        Refusal::TooManyFailures { retry_after_secs } => {
            (StatusCode::TOO_MANY_REQUESTS, "too many failed attempts", Some(retry_after_secs))
        }
        Refusal::PendingRateExceeded { retry_after_secs } => {
            (StatusCode::TOO_MANY_REQUESTS, "too many new stations; retry later", Some(retry_after_secs))
        }
        Refusal::PendingLimitReached => {
            (StatusCode::SERVICE_UNAVAILABLE, "no room for new stations; retry later", Some(pending_retry_secs))
        }
        Refusal::ConcurrentFirstConnection => {
            (StatusCode::CONFLICT, "another connection for this station is being admitted", None)
        }
        Refusal::UnknownStation
        | Refusal::MissingCredentials
        | Refusal::UsernameMismatch
        | Refusal::WrongPassword
        | Refusal::NoPasswordConfigured
        | Refusal::PasswordBreaksRules => {
            let mut response = (StatusCode::UNAUTHORIZED, "unauthorized").into_response();
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"gridlet\""));
            return response;
        }
    };
    let mut response = (status, message).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Picks the first subprotocol the station lists (in its order of
/// preference) that the server offers.
pub fn negotiate(headers: &HeaderMap, offered: &[OcppVersion]) -> Option<OcppVersion> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|token| OcppVersion::from_subprotocol(token.trim()))
        .find(|version| offered.contains(version))
}

/// Reads HTTP Basic credentials, if any were sent.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<Credentials>, String> {
    let Some(value) = headers.get(AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| "Authorization header is not ASCII".to_owned())?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err("Authorization header must be `Basic <credentials>`".to_owned());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(format!("unsupported authorization scheme {scheme:?}; use Basic"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "Basic credentials are not valid base64".to_owned())?;
    let decoded = String::from_utf8(decoded).map_err(|_| "Basic credentials are not UTF-8".to_owned())?;
    let Some((username, password)) = decoded.split_once(':') else {
        return Err("Basic credentials must be `user:password`".to_owned());
    };
    Ok(Some(Credentials { username: username.to_owned(), password: password.to_owned() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn negotiation_follows_the_stations_preference() {
        let both = [OcppVersion::V201, OcppVersion::V16];
        let h = headers(&[("sec-websocket-protocol", "ocpp1.6, ocpp2.0.1")]);
        assert_eq!(negotiate(&h, &both), Some(OcppVersion::V16));
        let h = headers(&[("sec-websocket-protocol", "ocpp2.1"), ("sec-websocket-protocol", "ocpp2.0.1")]);
        assert_eq!(negotiate(&h, &both), Some(OcppVersion::V201));
        assert_eq!(negotiate(&h, &[OcppVersion::V16]), None);
        assert_eq!(negotiate(&headers(&[]), &both), None);
    }

    #[test]
    fn basic_credentials_are_parsed_strictly() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("CP1:secret:with:colons");
        let h = headers(&[("authorization", &format!("Basic {encoded}"))]);
        let credentials = basic_credentials(&h).unwrap().unwrap();
        assert_eq!(credentials.username, "CP1");
        assert_eq!(credentials.password, "secret:with:colons");
        assert_eq!(basic_credentials(&headers(&[])).unwrap(), None);
        assert!(basic_credentials(&headers(&[("authorization", "Bearer abc")])).is_err());
        assert!(basic_credentials(&headers(&[("authorization", "Basic !!!")])).is_err());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("CP1");
        assert!(basic_credentials(&headers(&[("authorization", &format!("Basic {no_colon}"))])).is_err());
    }
}
