//! One station's WebSocket connection: frames in, answers out, until the
//! station leaves, a newer connection replaces this one, the station stops
//! answering pings, or the server shuts down.
//!
//! OCPP-J is text only. A binary frame is answered with an `RpcFrameworkError`
//! CALLERROR (unique id `-1`) and the connection stays up; so is a text
//! message above the configured size, as long as it is within twice that size
//! (its unique id is read from the frame's prefix). Anything larger is
//! refused by the WebSocket layer and the connection is closed with 1009.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use ocpp::{CallError, ErrorCode, Frame, OcppVersion};

use domain::{Registration, StationId};
use session::StationSession;

use crate::{AppState, now};

/// Runs the connection until it ends.
pub async fn run(
    mut socket: WebSocket,
    state: Arc<AppState>,
    station: StationId,
    version: OcppVersion,
    registration: Registration,
) {
    let _done = state.connections_done.clone();
    let (mut registered, replaced) = state.registry.register(&station, state.config.replace_wait).await;
    tracing::info!(%station, %version, replaced, "station connected");
    let mut session = StationSession::new(state.csms.clone(), station.clone(), version, registration);
    if let Err(error) = session.connected(now()).await {
        tracing::error!(%station, %error, "could not record the connection");
    }
    let mut shutdown = state.shutdown.clone();
    let ping_interval = state.config.ping_interval;
    let mut ping = tokio::time::interval(ping_interval.unwrap_or(std::time::Duration::from_secs(3600)));
    ping.reset();
    let mut last_heard = Instant::now();
    let max = state.config.max_message_bytes;

    let reason: String = loop {
        tokio::select! {
            message = socket.recv() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        let reply = if text.len() > max {
                            Some(oversized(text.as_str(), max, version))
                        } else {
                            session.handle_text(text.as_str(), now()).await
                        };
                        if let Some(reply) = reply
                            && let Err(e) = socket.send(Message::Text(reply.into())).await
                        {
                            break format!("send failed: {e}");
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let error = CallError::new("-1", ErrorCode::RpcFrameworkError, "OCPP-J uses text frames; binary frame ignored");
                        if let Err(e) = socket.send(Message::Text(Frame::CallError(error).to_text(version).into())).await {
                            break format!("send failed: {e}");
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break "closed by station".to_owned(),
                    Some(Err(error)) => {
                        let text = error.to_string();
                        if text.contains("too long") || text.contains("too big") {
                            close(&mut socket, close_code::SIZE, "message too big").await;
                            break format!("message over {} bytes", max.saturating_mul(2));
                        }
                        break format!("websocket error: {text}");
                    }
                }
            }
            _ = &mut registered.replaced => {
                close(&mut socket, close_code::NORMAL, "replaced by a new connection").await;
                break "replaced by a new connection".to_owned();
            }
            _ = shutdown.changed() => {
                close(&mut socket, close_code::AWAY, "server shutting down").await;
                break "server shutting down".to_owned();
            }
            _ = ping.tick(), if ping_interval.is_some() => {
                let silent_for = last_heard.elapsed();
                if ping_interval.is_some_and(|interval| silent_for > interval * 2) {
                    close(&mut socket, close_code::AWAY, "no answer to pings").await;
                    break "no answer to pings".to_owned();
                }
                if let Err(e) = socket.send(Message::Ping(Vec::new().into())).await {
                    break format!("ping failed: {e}");
                }
            }
        }
    };

    tracing::info!(%station, %reason, "station disconnected");
    if let Err(error) = session.disconnected(&reason, now()).await {
        tracing::error!(%station, %error, "could not record the disconnection");
    }
    state.registry.unregister(&station, registered.connection);
}

/// The CALLERROR for a text message above the size limit.
fn oversized(text: &str, max: usize, version: OcppVersion) -> String {
    let unique_id = ocpp::peek_unique_id(text).unwrap_or_else(|| "-1".to_owned());
    let mut error = CallError::new(
        unique_id,
        ErrorCode::GenericError,
        format!("message of {} bytes exceeds the limit of {max} bytes", text.len()),
    );
    error.details = serde_json::json!({ "maxBytes": max });
    Frame::CallError(error).to_text(version)
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
