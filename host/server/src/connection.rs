//! One station's WebSocket connection: frames in, answers out, operator
//! commands out one at a time, until the station leaves, a newer connection
//! replaces this one, the station stays silent too long, or the server
//! shuts down.
//!
//! OCPP-J is text only. A binary frame is answered with an `RpcFrameworkError`
//! CALLERROR (unique id `-1`) and the connection stays up; so is a text
//! message above the configured size, as long as it is within twice that size
//! (its unique id is read from the frame's prefix). Anything larger is
//! refused by the WebSocket layer and the connection is closed with 1009.
//! A text message that is not valid UTF-8 closes the connection with 1007
//! (RFC 6455, "inconsistent data"), as the WebSocket layer cannot hand it on.
//!
//! The session's own cost messages (running cost, 1.6 FinalCost; see
//! `session::pricing`) go out when no CALL is outstanding and no operator
//! command is queued, one at a time like commands.
//!
//! Silence: a station that sends nothing for longer than its heartbeat
//! interval (its boot retry interval while not accepted) plus the grace is
//! recorded as offline and its connection closed (1001); WebSocket pongs do
//! not count, only OCPP messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::CapacityError;

use domain::{Registration as StationRegistration, StationId};
use ocpp::{CallError, ErrorCode, Frame, OcppVersion};
use session::StationSession;
use session::commands::{CommandError, CommandReply};

use crate::registry::{ConnectionInfo, Outbound};
use crate::{AppState, now};

type ReplyTo = oneshot::Sender<Result<CommandReply, CommandError>>;

/// Runs the connection until it ends.
pub async fn run(
    mut socket: WebSocket,
    state: Arc<AppState>,
    station: StationId,
    version: OcppVersion,
    registration: StationRegistration,
) {
    let _live = state.connections.enter();
    let info = ConnectionInfo::new(version, now());
    let (mut registered, replaced) = state.registry.register(&station, info, state.config.replace_wait).await;
    tracing::info!(%station, %version, replaced, "station connected");
    let mut session = StationSession::new(state.csms.clone(), station.clone(), version, registration);
    if let Err(error) = session.connected(now()).await {
        tracing::error!(%station, %error, "could not record the connection");
    }
    let mut shutdown = state.shutdown.clone();
    let ping_interval = state.config.ping_interval;
    let mut ping = tokio::time::interval(ping_interval.unwrap_or(Duration::from_secs(3600)));
    ping.reset();
    let mut last_frame = Instant::now();
    let mut last_message = (Instant::now(), now());
    let mut reply_to: Option<ReplyTo> = None;
    let max = state.config.max_message_bytes;

    let reason: String = loop {
        let silence_allowed = Duration::from_millis(u64::try_from(session.silence_allowed_ms()).unwrap_or(u64::MAX));
        let command_due = session.command_deadline().map(|deadline| {
            Duration::from_millis(u64::try_from(deadline - now().unix_millis()).unwrap_or(0))
        });
        tokio::select! {
            message = socket.recv() => {
                last_frame = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        last_message = (Instant::now(), now());
                        registered.info.heard(last_message.1);
                        let reaction = if text.len() > max {
                            session::Reaction { reply: Some(oversized(text.as_str(), max, version)), completed: None }
                        } else {
                            Box::pin(session.handle_text(text.as_str(), last_message.1)).await
                        };
                        if let Some(outcome) = reaction.completed
                            && let Some(reply_to) = reply_to.take()
                        {
                            let _ = reply_to.send(outcome);
                        }
                        if let Some(reply) = reaction.reply
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
                        // axum's error wraps tungstenite's, which says what went wrong
                        let error = error.into_inner();
                        match error.downcast_ref::<WsError>() {
                            Some(WsError::Capacity(CapacityError::MessageTooLong { .. })) => {
                                close(&mut socket, close_code::SIZE, "message too big").await;
                                break format!("message over {} bytes", max.saturating_mul(2));
                            }
                            Some(WsError::Utf8(_)) => {
                                close(&mut socket, close_code::INVALID, "text message is not valid UTF-8").await;
                                break "text message not valid UTF-8".to_owned();
                            }
                            _ => break format!("websocket error: {error}"),
                        }
                    }
                }
            }
            outbound = registered.commands.recv(), if !session.command_outstanding() => {
                let Some(Outbound { command, reply }) = outbound else { continue };
                match session.start_command(&command, now()) {
                    Ok(frame) => {
                        if let Err(e) = socket.send(Message::Text(frame.into())).await {
                            let _ = reply.send(Err(CommandError::ConnectionLost(station.to_string())));
                            session.abandon_command(now());
                            break format!("send failed: {e}");
                        }
                        reply_to = Some(reply);
                    }
                    Err(error) => {
                        let _ = reply.send(Err(error));
                    }
                }
            }
            // the session's cost messages, when no command is outstanding or queued (operators go first)
            _ = std::future::ready(()), if !session.command_outstanding() && session.push_pending() && registered.commands.is_empty() => {
                if let Some(frame) = Box::pin(session.next_push(now())).await
                    && let Err(e) = socket.send(Message::Text(frame.into())).await
                {
                    session.abandon_command(now());
                    break format!("send failed: {e}");
                }
            }
            _ = tokio::time::sleep(command_due.unwrap_or(Duration::ZERO)), if command_due.is_some() => {
                if let Some(error) = session.poll_command_timeout(now())
                    && let Some(reply_to) = reply_to.take()
                {
                    let _ = reply_to.send(Err(error));
                }
            }
            _ = tokio::time::sleep_until((last_message.0 + silence_allowed).into()) => {
                if let Err(error) = session.went_offline(last_message.1, now()).await {
                    tracing::error!(%station, %error, "could not record that the station went silent");
                }
                close(&mut socket, close_code::AWAY, "no message within the heartbeat interval").await;
                break "went silent".to_owned();
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
                if ping_interval.is_some_and(|interval| last_frame.elapsed() > interval * 2) {
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
    state.registry.unregister(&station, registered.connection);
    // Whatever was asked of this connection and not answered is lost with it.
    if let Some(error) = session.abandon_command(now())
        && let Some(reply_to) = reply_to.take()
    {
        let _ = reply_to.send(Err(error));
    }
    registered.commands.close();
    while let Ok(Outbound { reply, .. }) = registered.commands.try_recv() {
        let _ = reply.send(Err(CommandError::ConnectionLost(station.to_string())));
    }
    if let Err(error) = session.disconnected(&reason, now()).await {
        tracing::error!(%station, %error, "could not record the disconnection");
    }
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
