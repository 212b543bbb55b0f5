//! One OCPP-J connection from the station to a CSMS.
//!
//! [`Connection::connect`] opens the WebSocket (`{url}/{station id}`, the
//! version's subprotocol, HTTP Basic auth when a password is given) and hands
//! the socket to one background task. That task:
//!
//! - sends the station's CALLs one at a time ([`Connection::call`] queues
//!   behind the outstanding one), matches answers by message id with
//!   [`ocpp::OutboundCalls`], and fails a call that is not answered within
//!   the timeout;
//! - answers every CALL the CSMS sends, at any moment (also while the
//!   station's own CALL is outstanding), through a [`CallHandler`], then
//!   sends the follow-up CALLs the handler asked for;
//! - checks both directions against the official schemas: a request the
//!   station would send that breaks its schema is not sent, and an answer
//!   from the CSMS that breaks its schema is a [`CallFailure::InvalidResponse`];
//! - keeps what nothing else consumed (answers to frames written by hand
//!   with [`Connection::send_text`], unknown ids, frames it cannot read) for
//!   [`Connection::next_text`], so protocol tests can see what came back;
//! - records how the connection closed ([`CloseInfo`]).
//!
//! Dropping a [`Connection`] stops its task and drops the socket without a
//! closing handshake, as a station losing its network would.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use ocpp::{ErrorCode, Frame, OcppVersion, OutboundCalls, PayloadKind, Violation};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::error::{
    Error as WsError, ProtocolError, SubProtocolError, UrlError,
};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Characters kept as they are when the station id goes into the URL path:
/// RFC 3986's unreserved set. Everything else is percent-encoded.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How many unconsumed frames [`Connection::next_text`] keeps; later ones
/// are dropped (and reported to the tap) until it is read.
const UNMATCHED_CAPACITY: usize = 64;

/// How long [`Connection::close`] waits for the CSMS to answer the closing
/// handshake.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Socket buffers sized for many idle stations (tungstenite's defaults cost
/// about 130 KiB per connection); OCPP messages are small.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Sees every frame the connection sends and receives, and anything it had
/// to drop; `gridlet sim` prints these.
pub type WireTap = Arc<dyn Fn(WireEvent<'_>) + Send + Sync>;

/// One thing a [`WireTap`] is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireEvent<'a> {
    /// A text frame the station sent.
    Sent(&'a str),
    /// A text frame the station received.
    Received(&'a str),
    /// Something the connection noticed and could not report otherwise,
    /// e.g. a follow-up CALL the CSMS answered with a CALLERROR.
    Problem(&'a str),
}

/// Where and how to connect.
#[derive(Clone)]
pub struct ConnectOptions {
    /// The CSMS's OCPP endpoint without the station id, e.g.
    /// `ws://127.0.0.1:9000/ocpp`.
    pub url: String,
    /// The station's identity: the last URL path segment (percent-encoded)
    /// and the Basic auth user name.
    pub station_id: String,
    /// The security profile 1 password; no `Authorization` header without one.
    pub password: Option<String>,
    /// The OCPP version, offered as the only WebSocket subprotocol.
    pub version: OcppVersion,
    /// How long the handshake, and the answer to each CALL, may take.
    pub call_timeout: Duration,
    /// Shown every frame, if set.
    pub tap: Option<WireTap>,
}

impl ConnectOptions {
    /// Options with a 30 second timeout, no password and no tap.
    pub fn new(
        url: impl Into<String>,
        station_id: impl Into<String>,
        version: OcppVersion,
    ) -> Self {
        ConnectOptions {
            url: url.into(),
            station_id: station_id.into(),
            password: None,
            version,
            call_timeout: Duration::from_secs(30),
            tap: None,
        }
    }

    /// The URL the station connects to: `{url}/{percent-encoded station id}`.
    pub fn endpoint(&self) -> String {
        let id = utf8_percent_encode(&self.station_id, PATH_SEGMENT);
        format!("{}/{id}", self.url.trim_end_matches('/'))
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("url", &self.url)
            .field("station_id", &self.station_id)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("version", &self.version)
            .field("call_timeout", &self.call_timeout)
            .field("tap", &self.tap.is_some())
            .finish()
    }
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL cannot be used.
    #[error("invalid url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as built from the options.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The CSMS answered the WebSocket handshake with an HTTP error, e.g.
    /// 401 for a wrong password or 400 for an unsupported subprotocol.
    #[error("the csms refused the websocket handshake with http status {status}")]
    Refused {
        /// The HTTP status code.
        status: u16,
        /// The response body, if there was one and it was text.
        body: Option<String>,
    },
    /// The CSMS accepted the WebSocket without selecting a subprotocol.
    #[error("the csms selected no websocket subprotocol; {requested} was requested")]
    NoSubprotocol {
        /// The subprotocol the station offered.
        requested: &'static str,
    },
    /// The CSMS selected a subprotocol the station did not offer.
    #[error("the csms selected a websocket subprotocol other than the requested {requested}")]
    WrongSubprotocol {
        /// The subprotocol the station offered.
        requested: &'static str,
    },
    /// The handshake took longer than the call timeout.
    #[error("no websocket handshake with {url} within {timeout:?}")]
    Timeout {
        /// The URL connected to.
        url: String,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The connection failed for another reason (refused, reset, …).
    #[error("could not connect to {url}: {reason}")]
    Failed {
        /// The URL connected to.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// Why a CALL got no usable answer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CallFailure {
    /// The CSMS answered with a CALLERROR.
    #[error("the csms answered with callerror {code:?}: {description}")]
    CallError {
        /// The error code, read in either version's spelling.
        code: ErrorCode,
        /// The CSMS's description.
        description: String,
        /// The CSMS's error details.
        details: Value,
    },
    /// No answer within the call timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection closed before the answer arrived.
    #[error("the connection closed before the answer arrived")]
    Closed,
    /// The CSMS's answer breaks the action's response schema.
    #[error("the csms's answer breaks the schema: {0}")]
    InvalidResponse(Violation),
    /// The request breaks the action's request schema, so it was not sent.
    #[error("the request breaks the schema and was not sent: {0}")]
    InvalidRequest(Violation),
}

/// How the connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code the CSMS sent, if it sent a close frame.
    pub code: Option<u16>,
    /// The reason text of the close frame, or what ended the connection.
    pub reason: String,
    /// Whether the CSMS ended it (rather than [`Connection::close`]).
    pub by_csms: bool,
}

/// A CALL the station sends on its own after answering a CSMS CALL, e.g.
/// the message a `TriggerMessage` asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowUp {
    /// The action, e.g. `StatusNotification`.
    pub action: String,
    /// Its request payload.
    pub payload: Value,
}

/// A refusal of a CSMS CALL, sent as a CALLERROR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The error code.
    pub code: ErrorCode,
    /// Free text for people.
    pub description: String,
}

/// How the station answers one CSMS CALL.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The CALLRESULT payload, or the CALLERROR to send instead.
    pub outcome: Result<Value, Refusal>,
    /// CALLs to send after the answer, in order.
    pub follow_ups: Vec<FollowUp>,
}

impl Reply {
    /// A CALLRESULT with `payload` and no follow-ups.
    pub fn result(payload: Value) -> Self {
        Reply {
            outcome: Ok(payload),
            follow_ups: Vec::new(),
        }
    }

    /// A CALLERROR with `code` and `description`.
    pub fn error(code: ErrorCode, description: impl Into<String>) -> Self {
        Reply {
            outcome: Err(Refusal {
                code,
                description: description.into(),
            }),
            follow_ups: Vec::new(),
        }
    }

    /// Adds a follow-up CALL.
    pub fn then(mut self, action: impl Into<String>, payload: Value) -> Self {
        self.follow_ups.push(FollowUp {
            action: action.into(),
            payload,
        });
        self
    }
}

/// Answers the CALLs the CSMS sends. Called on the connection's task with a
/// request that already passed its schema; keep it quick and non-blocking.
pub trait CallHandler: Send + Sync {
    /// The answer to `action` with request `payload`.
    fn on_call(&self, action: &str, payload: &Value) -> Reply;
}

impl<F> CallHandler for F
where
    F: Fn(&str, &Value) -> Reply + Send + Sync,
{
    fn on_call(&self, action: &str, payload: &Value) -> Reply {
        self(action, payload)
    }
}

/// A handler that refuses every CSMS CALL with `NotSupported`.
pub fn refuse_all() -> Arc<dyn CallHandler> {
    Arc::new(|action: &str, _: &Value| {
        Reply::error(
            ErrorCode::NotSupported,
            format!("{action} is not supported by this station"),
        )
    })
}

/// What the connection's task is asked to do.
enum Command {
    Call {
        action: String,
        payload: Value,
        reply: oneshot::Sender<Result<Value, CallFailure>>,
    },
    SendText {
        text: String,
        reply: oneshot::Sender<Result<(), CallFailure>>,
    },
    Close {
        code: u16,
        reason: String,
    },
}

/// An open OCPP-J connection. See the module documentation.
pub struct Connection {
    version: OcppVersion,
    commands: mpsc::UnboundedSender<Command>,
    unmatched: mpsc::Receiver<String>,
    closed: watch::Receiver<Option<CloseInfo>>,
    task: JoinHandle<()>,
}

impl Connection {
    /// Opens the WebSocket and starts answering CSMS CALLs with `handler`.
    pub async fn connect(
        options: &ConnectOptions,
        handler: Arc<dyn CallHandler>,
    ) -> Result<Self, ConnectError> {
        let url = options.endpoint();
        let requested = options.version.subprotocol();
        let invalid = |reason: String| ConnectError::InvalidUrl {
            url: url.clone(),
            reason,
        };

        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|error| invalid(error.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(requested),
        );
        if let Some(password) = &options.password {
            let credentials = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{password}", options.station_id));
            let value =
                HeaderValue::from_str(&format!("Basic {credentials}")).map_err(|error| {
                    invalid(format!("the password cannot go into a header: {error}"))
                })?;
            headers.insert("Authorization", value);
        }

        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .write_buffer_size(0);
        let handshake = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        let (socket, _response) = match tokio::time::timeout(options.call_timeout, handshake).await
        {
            Err(_) => {
                return Err(ConnectError::Timeout {
                    url,
                    timeout: options.call_timeout,
                });
            }
            Ok(Err(error)) => return Err(handshake_error(error, url, requested)),
            Ok(Ok(connected)) => connected,
        };

        let (commands, command_rx) = mpsc::unbounded_channel();
        let (unmatched_tx, unmatched) = mpsc::channel(UNMATCHED_CAPACITY);
        let (closed_tx, closed) = watch::channel(None);
        let timeout_ms = i64::try_from(options.call_timeout.as_millis()).unwrap_or(i64::MAX);
        let driver = Driver {
            version: options.version,
            socket,
            calls: OutboundCalls::new(&message_id_prefix(), timeout_ms),
            call_timeout: options.call_timeout,
            epoch: Instant::now(),
            queued: VecDeque::new(),
            in_flight: None,
            handler,
            unmatched: unmatched_tx,
            closed: closed_tx,
            tap: options.tap.clone(),
            closing: false,
        };
        let task = tokio::spawn(driver.run(command_rx));
        Ok(Connection {
            version: options.version,
            commands,
            unmatched,
            closed,
            task,
        })
    }

    /// The connection's OCPP version.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// Sends a CALL and waits for its answer. Calls queue behind the one
    /// outstanding; the timeout counts from when the CALL is sent.
    pub async fn call(&self, action: &str, payload: Value) -> Result<Value, CallFailure> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Call {
            action: action.to_owned(),
            payload,
            reply,
        };
        self.commands
            .send(command)
            .map_err(|_| CallFailure::Closed)?;
        answer.await.unwrap_or(Err(CallFailure::Closed))
    }

    /// Sends `text` as a WebSocket text frame, unchecked: for protocol tests
    /// that write malformed frames. The CSMS's answer arrives through
    /// [`next_text`](Self::next_text).
    pub async fn send_text(&self, text: &str) -> Result<(), CallFailure> {
        let (reply, sent) = oneshot::channel();
        let command = Command::SendText {
            text: text.to_owned(),
            reply,
        };
        self.commands
            .send(command)
            .map_err(|_| CallFailure::Closed)?;
        sent.await.unwrap_or(Err(CallFailure::Closed))
    }

    /// The next received text frame that nothing else consumed: answers to
    /// frames sent with [`send_text`](Self::send_text), answers to ids the
    /// station never sent or already gave up on, and frames that are not
    /// OCPP-J. `None` once the connection is closed and all were read.
    pub async fn next_text(&mut self) -> Option<String> {
        self.unmatched.recv().await
    }

    /// How the connection closed, if it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.closed.borrow().clone()
    }

    /// Waits until the connection is closed, by either side.
    pub async fn closed(&self) -> CloseInfo {
        let mut closed = self.closed.clone();
        let info = match closed.wait_for(Option::is_some).await {
            Ok(info) => info.clone(),
            // The task is gone; it may have said why just before.
            Err(_) => self.closed.borrow().clone(),
        };
        info.unwrap_or_else(|| dropped("the connection task ended"))
    }

    /// Closes the connection with a closing handshake (code 1000) and waits,
    /// up to a few seconds, for the CSMS to complete it.
    pub async fn close(&self) -> CloseInfo {
        self.close_with(1000, "").await
    }

    /// Closes the connection with `code` and `reason`; see [`close`](Self::close).
    pub async fn close_with(&self, code: u16, reason: &str) -> CloseInfo {
        let _ = self.commands.send(Command::Close {
            code,
            reason: reason.to_owned(),
        });
        match tokio::time::timeout(CLOSE_WAIT, self.closed()).await {
            Ok(info) => info,
            Err(_) => {
                self.task.abort();
                dropped("the csms did not complete the closing handshake")
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("version", &self.version)
            .field("closed", &*self.closed.borrow())
            .finish_non_exhaustive()
    }
}

/// Starts the message ids of one connection. OCPP-J 2.0.1 (section 4.1.3)
/// wants a station's CALL ids unique across all its connections, so ids
/// start with the connection's opening time and a per-process number.
fn message_id_prefix() -> String {
    static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
    let number = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // 9 hex digits of milliseconds repeat every 795 days, and leave room in
    // ocpp's 16-character prefix for a million connections per process.
    format!("{:x}.{number:x}-", since_epoch.as_millis() & 0xf_ffff_ffff)
}

fn dropped(reason: &str) -> CloseInfo {
    CloseInfo {
        code: None,
        reason: reason.to_owned(),
        by_csms: false,
    }
}

/// Turns a failed handshake into a [`ConnectError`] that says why.
fn handshake_error(error: WsError, url: String, requested: &'static str) -> ConnectError {
    match error {
        WsError::Http(response) => ConnectError::Refused {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_ref()
                .and_then(|body| String::from_utf8(body.clone()).ok()),
        },
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol,
        )) => ConnectError::NoSubprotocol { requested },
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(_)) => {
            ConnectError::WrongSubprotocol { requested }
        }
        WsError::Url(UrlError::TlsFeatureNotEnabled) => ConnectError::InvalidUrl {
            url,
            reason: "wss:// (TLS, security profiles 2 and 3) is not supported yet".to_owned(),
        },
        WsError::Url(error) => ConnectError::InvalidUrl {
            url,
            reason: error.to_string(),
        },
        other => ConnectError::Failed {
            url,
            reason: other.to_string(),
        },
    }
}

/// A CALL waiting to be sent.
struct QueuedCall {
    action: String,
    payload: Value,
    /// Where the answer goes; `None` for a follow-up, whose answer only
    /// matters to the tap.
    reply: Option<oneshot::Sender<Result<Value, CallFailure>>>,
}

/// The CALL waiting for its answer.
struct InFlight {
    action: String,
    reply: Option<oneshot::Sender<Result<Value, CallFailure>>>,
}

/// The connection's task: owns the socket and everything about it.
struct Driver {
    version: OcppVersion,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Message ids, matching and timeouts of the station's CALLs.
    calls: OutboundCalls,
    call_timeout: Duration,
    /// Time zero of the tracker's milliseconds.
    epoch: Instant,
    /// CALLs behind the outstanding one, oldest first.
    queued: VecDeque<QueuedCall>,
    in_flight: Option<InFlight>,
    handler: Arc<dyn CallHandler>,
    unmatched: mpsc::Sender<String>,
    closed: watch::Sender<Option<CloseInfo>>,
    tap: Option<WireTap>,
    /// Whether the station started the closing handshake.
    closing: bool,
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let close = loop {
            if let Err(close) = self.start_next_call().await {
                break close;
            }
            let deadline = self
                .calls
                .deadline()
                .map(|ms| self.epoch + Duration::from_millis(ms.max(0).unsigned_abs()));
            tokio::select! {
                message = self.socket.next() => {
                    if let Err(close) = self.on_message(message).await {
                        break close;
                    }
                }
                command = commands.recv(), if !self.closing => {
                    let result = match command {
                        Some(command) => self.on_command(command).await,
                        None => Err(dropped("the connection was dropped")),
                    };
                    if let Err(close) = result {
                        break close;
                    }
                }
                () = sleep_until(deadline), if deadline.is_some() => self.on_timeout(),
            }
        };
        if let Some(in_flight) = self.in_flight.take() {
            answer(in_flight.reply, Err(CallFailure::Closed));
        }
        for queued in self.queued.drain(..) {
            answer(queued.reply, Err(CallFailure::Closed));
        }
        self.closed.send_replace(Some(close));
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn tap(&self, event: WireEvent<'_>) {
        if let Some(tap) = &self.tap {
            tap(event);
        }
    }

    async fn write(&mut self, text: String) -> Result<(), CloseInfo> {
        self.tap(WireEvent::Sent(&text));
        self.socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|error| dropped(&format!("sending failed: {error}")))
    }

    /// Sends the next queued CALL if none is outstanding.
    async fn start_next_call(&mut self) -> Result<(), CloseInfo> {
        while self.in_flight.is_none() {
            let Some(call) = self.queued.pop_front() else {
                return Ok(());
            };
            if let Err(violation) = ocpp::validate(
                self.version,
                &call.action,
                PayloadKind::Request,
                &call.payload,
            ) {
                if call.reply.is_none() {
                    self.tap(WireEvent::Problem(&format!(
                        "follow-up {} not sent: {violation}",
                        call.action
                    )));
                }
                answer(call.reply, Err(CallFailure::InvalidRequest(violation)));
                continue;
            }
            let Ok(unique_id) = self.calls.start(&call.action, self.now_ms()) else {
                // Unreachable: `in_flight` mirrors the tracker. Keep the call.
                self.queued.push_front(call);
                return Ok(());
            };
            let frame = Frame::Call(ocpp::Call {
                unique_id,
                action: call.action.clone(),
                payload: call.payload,
            });
            self.in_flight = Some(InFlight {
                action: call.action,
                reply: call.reply,
            });
            self.write(frame.to_text(self.version)).await?;
        }
        Ok(())
    }

    async fn on_command(&mut self, command: Command) -> Result<(), CloseInfo> {
        match command {
            Command::Call {
                action,
                payload,
                reply,
            } => {
                self.queued.push_back(QueuedCall {
                    action,
                    payload,
                    reply: Some(reply),
                });
                Ok(())
            }
            Command::SendText { text, reply } => {
                let result = self.write(text).await;
                let _ = reply.send(result.as_ref().map(|_| ()).map_err(|_| CallFailure::Closed));
                result
            }
            Command::Close { code, reason } => {
                self.closing = true;
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                self.socket
                    .close(Some(frame))
                    .await
                    .map_err(|error| dropped(&format!("closing failed: {error}")))
            }
        }
    }

    fn on_timeout(&mut self) {
        if self.calls.poll_timeout(self.now_ms()).is_some()
            && let Some(in_flight) = self.in_flight.take()
        {
            if in_flight.reply.is_none() {
                self.tap(WireEvent::Problem(&format!(
                    "follow-up {} got no answer",
                    in_flight.action
                )));
            }
            answer(
                in_flight.reply,
                Err(CallFailure::Timeout(self.call_timeout)),
            );
        }
    }

    async fn on_message(
        &mut self,
        message: Option<Result<Message, WsError>>,
    ) -> Result<(), CloseInfo> {
        match message {
            Some(Ok(Message::Text(text))) => self.on_text(text.as_str()).await,
            Some(Ok(Message::Binary(_))) => {
                self.tap(WireEvent::Problem(
                    "received a binary frame; OCPP-J uses text frames only",
                ));
                Ok(())
            }
            Some(Ok(Message::Close(frame))) => {
                // tungstenite answers the close frame itself; the stream ends next.
                let info = match frame {
                    Some(frame) => CloseInfo {
                        code: Some(u16::from(frame.code)),
                        reason: frame.reason.to_string(),
                        by_csms: !self.closing,
                    },
                    None => CloseInfo {
                        code: None,
                        reason: String::new(),
                        by_csms: !self.closing,
                    },
                };
                // Sends the queued answer to the close frame before the socket goes.
                let _ = tokio::time::timeout(CLOSE_WAIT, self.socket.flush()).await;
                Err(info)
            }
            Some(Ok(_)) => Ok(()),
            Some(Err(error)) => Err(CloseInfo {
                code: None,
                reason: error.to_string(),
                by_csms: !self.closing,
            }),
            None => Err(CloseInfo {
                code: None,
                reason: "the connection ended without a close frame".to_owned(),
                by_csms: !self.closing,
            }),
        }
    }

    async fn on_text(&mut self, text: &str) -> Result<(), CloseInfo> {
        self.tap(WireEvent::Received(text));
        match ocpp::decode_frame(text) {
            Ok(Frame::Call(call)) => self.on_csms_call(call).await,
            Ok(Frame::CallResult(result)) => {
                let outcome = match self.answered_action(&result.unique_id) {
                    Some(action) => ocpp::validate(
                        self.version,
                        &action,
                        PayloadKind::Response,
                        &result.payload,
                    )
                    .map(|()| result.payload)
                    .map_err(CallFailure::InvalidResponse),
                    None => {
                        self.keep_unmatched(text);
                        return Ok(());
                    }
                };
                self.finish_in_flight(outcome);
                Ok(())
            }
            Ok(Frame::CallError(error)) => {
                if self.answered_action(&error.unique_id).is_none() {
                    self.keep_unmatched(text);
                    return Ok(());
                }
                self.finish_in_flight(Err(CallFailure::CallError {
                    code: error.code,
                    description: error.description,
                    details: error.details,
                }));
                Ok(())
            }
            Err(error) => {
                self.keep_unmatched(text);
                if !error.expects_reply() {
                    return Ok(());
                }
                let unique_id = error.unique_id.unwrap_or_else(|| "-1".to_owned());
                let reply = Frame::CallError(ocpp::CallError::new(
                    unique_id,
                    error.code,
                    error.description,
                ));
                self.write(reply.to_text(self.version)).await
            }
        }
    }

    /// The action of the outstanding CALL if `unique_id` answers it.
    fn answered_action(&mut self, unique_id: &str) -> Option<String> {
        match self.calls.on_result(unique_id) {
            ocpp::Matched::Answer { action } => Some(action),
            ocpp::Matched::Unexpected => None,
        }
    }

    fn finish_in_flight(&mut self, outcome: Result<Value, CallFailure>) {
        let Some(in_flight) = self.in_flight.take() else {
            return;
        };
        if in_flight.reply.is_none()
            && let Err(failure) = &outcome
        {
            self.tap(WireEvent::Problem(&format!(
                "follow-up {}: {failure}",
                in_flight.action
            )));
        }
        answer(in_flight.reply, outcome);
    }

    fn keep_unmatched(&self, text: &str) {
        if self.unmatched.try_send(text.to_owned()).is_err() {
            self.tap(WireEvent::Problem(
                "unread frames are piling up; dropped one",
            ));
        }
    }

    /// Answers a CALL from the CSMS: the version must define it as one the
    /// CSMS sends, its payload must pass the schema, and the handler's answer
    /// must pass the response schema.
    async fn on_csms_call(&mut self, call: ocpp::Call) -> Result<(), CloseInfo> {
        let version = self.version;
        let refusal = match ocpp::action(version, &call.action) {
            None => Some(Refusal {
                code: ErrorCode::NotImplemented,
                description: format!("{} is not an OCPP {version} action", call.action),
            }),
            Some(info) if !info.direction.sent_by_csms() => Some(Refusal {
                code: ErrorCode::NotSupported,
                description: format!("{} is sent by a charging station, not to one", call.action),
            }),
            Some(_) => ocpp::validate(version, &call.action, PayloadKind::Request, &call.payload)
                .err()
                .map(|violation| Refusal {
                    code: violation.code,
                    description: violation.message,
                }),
        };
        let (outcome, follow_ups) = match refusal {
            Some(refusal) => (Err(refusal), Vec::new()),
            None => {
                let reply = self.handler.on_call(&call.action, &call.payload);
                let outcome = match reply.outcome {
                    Ok(payload) => {
                        match ocpp::validate(version, &call.action, PayloadKind::Response, &payload)
                        {
                            Ok(()) => Ok(payload),
                            Err(violation) => Err(Refusal {
                                code: ErrorCode::InternalError,
                                description: format!(
                                    "the simulated station built an invalid answer: {violation}"
                                ),
                            }),
                        }
                    }
                    Err(refusal) => Err(refusal),
                };
                (outcome, reply.follow_ups)
            }
        };
        let frame = match outcome {
            Ok(payload) => Frame::CallResult(ocpp::CallResult {
                unique_id: call.unique_id,
                payload,
            }),
            Err(refusal) => Frame::CallError(ocpp::CallError::new(
                call.unique_id,
                refusal.code,
                refusal.description,
            )),
        };
        self.write(frame.to_text(version)).await?;
        self.queued
            .extend(follow_ups.into_iter().map(|follow_up| QueuedCall {
                action: follow_up.action,
                payload: follow_up.payload,
                reply: None,
            }));
        Ok(())
    }
}

fn answer(
    reply: Option<oneshot::Sender<Result<Value, CallFailure>>>,
    outcome: Result<Value, CallFailure>,
) {
    if let Some(reply) = reply {
        let _ = reply.send(outcome);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_station_id_is_percent_encoded_into_the_path() {
        let mut options =
            ConnectOptions::new("ws://127.0.0.1:9000/ocpp/", "CP 1/ä?#", OcppVersion::V16);
        assert_eq!(
            options.endpoint(),
            "ws://127.0.0.1:9000/ocpp/CP%201%2F%C3%A4%3F%23"
        );
        options.station_id = "CP-1_a.b~c".to_owned();
        options.url = "ws://h/ocpp".to_owned();
        assert_eq!(options.endpoint(), "ws://h/ocpp/CP-1_a.b~c");
    }

    #[test]
    fn each_connection_numbers_its_calls_afresh() {
        let (first, second) = (message_id_prefix(), message_id_prefix());
        assert_ne!(first, second);
        assert!(first.len() <= ocpp::MAX_PREFIX_LEN, "{first}");
    }

    #[test]
    fn the_password_is_not_shown_in_debug_output() {
        let mut options = ConnectOptions::new("ws://h", "CP1", OcppVersion::V201);
        options.password = Some("secret-password".to_owned());
        assert!(!format!("{options:?}").contains("secret-password"));
    }
}
