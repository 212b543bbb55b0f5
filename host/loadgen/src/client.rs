//! One simulated station's OCPP-J connection, kept lean: a WebSocket with
//! small buffers, one CALL outstanding at a time, and a check of every
//! answer.
//!
//! The generator shares the machine with the server it measures, so a
//! connection costs little: a 1 KiB read buffer, no write buffering, and
//! answers classified from their prefix (`[3,"<id>",…`) without building a
//! JSON tree. Correctness is not traded for that: every answer must be a
//! CALLRESULT carrying the id of the CALL it answers (a CALLERROR, another
//! id, a malformed frame or a closed connection is an error of its own
//! kind), and [`Verify`] decides how many answers are also fully decoded
//! with `ocpp::decode_frame` and checked against the official response
//! schema with `ocpp::validate`.
//!
//! A CALL the server sends on its own (CSMS-initiated) is answered, whatever
//! the station is waiting for, and is neither an error nor taken for the
//! answer awaited: 2.0.1 `CostUpdated` with `{}`, `DataTransfer` with
//! `{"status":"Accepted"}` (the running and final costs of 1.6's
//! `org.openchargealliance.costmsg`), anything else with a CALLERROR
//! `NotImplemented`. Each one answered is counted (see
//! [`Connection::count_server_calls_in`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use ocpp::{Frame, OcppVersion, PayloadKind};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::script::{Request, ScriptError};
use crate::target::Target;

/// How many answers are fully decoded and schema-checked (all are checked
/// for type and id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Only the frame type and id of each answer.
    Ids,
    /// Also every `n`-th answer of each connection in full (the first one
    /// included), and every answer whose content the script reads.
    Sample(u32),
    /// Every request before it is sent and every answer, in full.
    All,
}

/// How connections are set up.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Initial WebSocket read buffer per connection (grows for a larger message).
    pub read_buffer_bytes: usize,
    /// The largest message accepted from the server.
    pub max_message_bytes: usize,
    /// How long the TCP connect plus handshake, and each answer, may take.
    pub timeout: Duration,
    /// How answers are checked.
    pub verify: Verify,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            read_buffer_bytes: 1024,
            max_message_bytes: 64 * 1024,
            timeout: Duration::from_secs(30),
            verify: Verify::Sample(64),
        }
    }
}

/// What went wrong with a connection or a call, by kind (see [`ErrorKind`]).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection could not be opened.
    #[error("connect failed: {0}")]
    Connect(std::io::Error),
    /// The server answered the WebSocket handshake with an HTTP error.
    #[error("handshake refused with HTTP {0}")]
    Refused(u16),
    /// The handshake failed otherwise (protocol, subprotocol).
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// No answer (or no connection) in time.
    #[error("no answer to {0} in time")]
    Timeout(&'static str),
    /// The server answered with a CALLERROR.
    #[error("{action} answered with CALLERROR {code}: {description}")]
    CallError {
        /// The request's action.
        action: &'static str,
        /// The error code, as sent.
        code: String,
        /// The description, as sent.
        description: String,
    },
    /// The answer was not a CALLRESULT for this CALL, or broke its schema.
    #[error("wrong answer to {action}: {reason}")]
    WrongAnswer {
        /// The request's action.
        action: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A request the generator wrote breaks its schema (a generator bug).
    #[error("request {action} breaks its schema: {reason}")]
    InvalidRequest {
        /// The request's action.
        action: &'static str,
        /// The violation.
        reason: String,
    },
    /// The server closed the connection or the connection failed.
    #[error("connection dropped: {0}")]
    Dropped(String),
    /// The answer's content does not let the station go on.
    #[error(transparent)]
    Script(#[from] ScriptError),
}

/// The kinds errors are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// TCP connect failed (refused, reset, out of ports or descriptors).
    ConnectFailed,
    /// Handshake refused or failed.
    HandshakeRefused,
    /// A CALLERROR answer.
    CallError,
    /// A wrong answer (type, id, schema, content) or an invalid request.
    WrongAnswer,
    /// No answer in time.
    Timeout,
    /// The connection was closed or failed while in use.
    Dropped,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::ConnectFailed,
        ErrorKind::HandshakeRefused,
        ErrorKind::CallError,
        ErrorKind::WrongAnswer,
        ErrorKind::Timeout,
        ErrorKind::Dropped,
    ];

    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectFailed => "connect failed",
            ErrorKind::HandshakeRefused => "handshake refused",
            ErrorKind::CallError => "CALLERROR",
            ErrorKind::WrongAnswer => "wrong answer",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Dropped => "dropped",
        }
    }

    /// The index of this kind in [`ErrorKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl ClientError {
    /// The kind this error is counted as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::Connect(_) => ErrorKind::ConnectFailed,
            ClientError::Refused(_) | ClientError::Handshake(_) => ErrorKind::HandshakeRefused,
            ClientError::Timeout(_) => ErrorKind::Timeout,
            ClientError::CallError { .. } => ErrorKind::CallError,
            ClientError::WrongAnswer { .. } | ClientError::InvalidRequest { .. } | ClientError::Script(_) => {
                ErrorKind::WrongAnswer
            }
            ClientError::Dropped(_) => ErrorKind::Dropped,
        }
    }
}

/// One station's open connection.
pub struct Connection {
    ws: WebSocketStream<TcpStream>,
    version: OcppVersion,
    config_timeout: Duration,
    verify: Verify,
    /// The id of the last CALL sent; ids are `1`, `2`, … per connection.
    last_id: u64,
    /// Answers received, for [`Verify::Sample`].
    answered: u64,
    /// Counts the server's CALLs this connection answered, if set.
    server_calls: Option<Arc<AtomicU64>>,
}

impl Connection {
    /// Opens station `station`'s connection to `target` with `version`'s
    /// subprotocol and, if given, HTTP Basic credentials; binds to `source`
    /// first if given.
    pub async fn open(
        target: &Target,
        station: &str,
        version: OcppVersion,
        password: Option<&str>,
        source: Option<SocketAddr>,
        config: &ClientConfig,
    ) -> Result<Connection, ClientError> {
        let deadline = Instant::now() + config.timeout;
        let socket = if target.addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }
            .map_err(ClientError::Connect)?;
        if let Some(source) = source {
            socket.bind(source).map_err(ClientError::Connect)?;
        }
        let stream = tokio::time::timeout_at(deadline, socket.connect(target.addr))
            .await
            .map_err(|_| ClientError::Timeout("TCP connect"))?
            .map_err(ClientError::Connect)?;
        stream.set_nodelay(true).map_err(ClientError::Connect)?;
        let mut request =
            target.station_url(station).into_client_request().map_err(|e| ClientError::Handshake(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static(version.subprotocol()));
        if let Some(password) = password {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{station}:{password}"));
            let value = HeaderValue::from_str(&format!("Basic {token}")).map_err(|e| ClientError::Handshake(e.to_string()))?;
            headers.insert("Authorization", value);
        }
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(config.read_buffer_bytes)
            .write_buffer_size(0)
            .max_message_size(Some(config.max_message_bytes))
            .max_frame_size(Some(config.max_message_bytes));
        let handshake = tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config));
        let (ws, _response) = match tokio::time::timeout_at(deadline, handshake).await {
            Err(_) => return Err(ClientError::Timeout("WebSocket handshake")),
            Ok(Err(WsError::Http(response))) => return Err(ClientError::Refused(response.status().as_u16())),
            Ok(Err(error)) => return Err(ClientError::Handshake(error.to_string())),
            Ok(Ok(pair)) => pair,
        };
        Ok(Connection {
            ws,
            version,
            config_timeout: config.timeout,
            verify: config.verify,
            last_id: 0,
            answered: 0,
            server_calls: None,
        })
    }

    /// Counts every CALL from the server this connection answers in `counter`.
    pub fn count_server_calls_in(&mut self, counter: Arc<AtomicU64>) {
        self.server_calls = Some(counter);
    }

    /// The negotiated version.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// Sends `request` as a CALL and waits for its CALLRESULT; returns the
    /// result's payload (JSON text). `read_content` says the caller will read
    /// the payload, which is then always fully checked.
    pub async fn call(&mut self, request: &Request, read_content: bool) -> Result<String, ClientError> {
        let action = request.action;
        if self.verify == Verify::All {
            check_request(self.version, request)?;
        }
        self.last_id += 1;
        let id = self.last_id;
        let text = format!("[2,\"{id}\",\"{action}\",{}]", request.payload);
        let timeout = self.config_timeout;
        match tokio::time::timeout(timeout, self.round_trip(text, id, action, read_content)).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout(action)),
        }
    }

    async fn round_trip(&mut self, text: String, id: u64, action: &'static str, read_content: bool) -> Result<String, ClientError> {
        self.ws.send(Message::Text(text.into())).await.map_err(|e| ClientError::Dropped(e.to_string()))?;
        let mut id_buffer = itoa_buffer();
        let id_text = format_id(&mut id_buffer, id);
        loop {
            let message = self.ws.next().await;
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Binary(_))) => {
                    return Err(ClientError::WrongAnswer { action, reason: "binary frame".to_owned() });
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(ClientError::Dropped(format!("closed by the server: {frame:?}")));
                }
                Some(Err(error)) => return Err(ClientError::Dropped(error.to_string())),
                None => return Err(ClientError::Dropped("connection closed".to_owned())),
            };
            match classify(text.as_str()) {
                Reply::Result { id: answered, payload } if answered == id_text => {
                    self.answered += 1;
                    let full = match self.verify {
                        Verify::Ids => read_content,
                        Verify::Sample(n) => read_content || (n > 0 && self.answered % u64::from(n) == 1),
                        Verify::All => true,
                    };
                    if full {
                        check_answer(self.version, action, id_text, text.as_str())?;
                    }
                    return Ok(payload.to_owned());
                }
                Reply::Error { id: answered } if answered == id_text => {
                    return Err(match ocpp::decode_frame(text.as_str()) {
                        Ok(Frame::CallError(error)) => ClientError::CallError {
                            action,
                            code: error.code.as_str(self.version).to_owned(),
                            description: error.description,
                        },
                        _ => ClientError::WrongAnswer { action, reason: format!("malformed CALLERROR: {}", text.as_str()) },
                    });
                }
                Reply::Call => self.answer_call(text.as_str()).await?,
                _ => {
                    return Err(ClientError::WrongAnswer {
                        action,
                        reason: format!("expected a CALLRESULT with id {id_text}, got {}", clip(text.as_str())),
                    });
                }
            }
        }
    }

    /// Stays connected until `until` resolves, answering pings (tungstenite
    /// does that while reading) and any CALL from the server.
    /// Anything else the server sends unasked is a wrong answer.
    pub async fn wait_for<F: std::future::Future>(&mut self, until: F) -> Result<F::Output, ClientError> {
        tokio::pin!(until);
        loop {
            tokio::select! {
                output = &mut until => return Ok(output),
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) => match classify(text.as_str()) {
                        Reply::Call => self.answer_call(text.as_str()).await?,
                        _ => return Err(ClientError::WrongAnswer { action: "(none)", reason: format!("unsolicited {}", clip(text.as_str())) }),
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Binary(_))) => {
                        return Err(ClientError::WrongAnswer { action: "(none)", reason: "binary frame".to_owned() });
                    }
                    Some(Ok(Message::Close(frame))) => return Err(ClientError::Dropped(format!("closed by the server: {frame:?}"))),
                    Some(Err(error)) => return Err(ClientError::Dropped(error.to_string())),
                    None => return Err(ClientError::Dropped("connection closed".to_owned())),
                }
            }
        }
    }

    /// Answers a CALL from the server (see the module docs) and counts it.
    /// A frame that only looks like a CALL is a wrong answer.
    async fn answer_call(&mut self, text: &str) -> Result<(), ClientError> {
        let call = match ocpp::decode_frame(text) {
            Ok(Frame::Call(call)) => call,
            _ => {
                return Err(ClientError::WrongAnswer {
                    action: "(server call)",
                    reason: format!("malformed CALL from the server: {}", clip(text)),
                });
            }
        };
        let reply = server_call_reply(call).to_text(self.version);
        self.ws.send(Message::Text(reply.into())).await.map_err(|e| ClientError::Dropped(e.to_string()))?;
        if let Some(counter) = &self.server_calls {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Closes the connection politely, waiting at most `wait` for the server.
    pub async fn close(mut self, wait: Duration) {
        let _ = tokio::time::timeout(wait, async {
            if self.ws.close(None).await.is_ok() {
                while let Some(Ok(_)) = self.ws.next().await {}
            }
        })
        .await;
    }
}

/// The answer to a CALL from the server: `CostUpdated` and `DataTransfer`
/// are accepted, anything else is not implemented.
fn server_call_reply(call: ocpp::Call) -> Frame {
    let accepted = |payload: serde_json::Value| Frame::CallResult(ocpp::CallResult { unique_id: call.unique_id.clone(), payload });
    match call.action.as_str() {
        "CostUpdated" => accepted(serde_json::json!({})),
        "DataTransfer" => accepted(serde_json::json!({ "status": "Accepted" })),
        _ => Frame::CallError(ocpp::CallError::new(
            call.unique_id,
            ocpp::ErrorCode::NotImplemented,
            format!("the load generator does not implement {}", call.action),
        )),
    }
}

/// Checks a request against its schema (`--verify all`).
fn check_request(version: OcppVersion, request: &Request) -> Result<(), ClientError> {
    let invalid = |reason: String| ClientError::InvalidRequest { action: request.action, reason };
    let payload: serde_json::Value = serde_json::from_str(&request.payload).map_err(|e| invalid(e.to_string()))?;
    ocpp::validate(version, request.action, PayloadKind::Request, &payload).map_err(|v| invalid(v.to_string()))
}

/// Decodes an answer in full and checks its payload against the schema.
fn check_answer(version: OcppVersion, action: &'static str, id: &str, text: &str) -> Result<(), ClientError> {
    let wrong = |reason: String| ClientError::WrongAnswer { action, reason };
    match ocpp::decode_frame(text) {
        Ok(Frame::CallResult(result)) if result.unique_id == id => {
            ocpp::validate(version, action, PayloadKind::Response, &result.payload)
                .map_err(|violation| wrong(format!("answer breaks its schema: {violation}")))
        }
        Ok(_) => Err(wrong(format!("not a CALLRESULT with id {id}: {}", clip(text)))),
        Err(error) => Err(wrong(format!("malformed answer ({}): {}", error.description, clip(text)))),
    }
}

/// What an incoming frame is, read from its prefix only.
#[derive(Debug, PartialEq, Eq)]
enum Reply<'a> {
    /// `[3,"id",payload]`.
    Result { id: &'a str, payload: &'a str },
    /// `[4,"id",…]`.
    Error { id: &'a str },
    /// `[2,…]`, a CALL from the server.
    Call,
    /// Anything else.
    Malformed,
}

fn classify(text: &str) -> Reply<'_> {
    classify_parts(text).unwrap_or(Reply::Malformed)
}

fn classify_parts(text: &str) -> Option<Reply<'_>> {
    let rest = text.trim_start().strip_prefix('[')?.trim_start();
    let kind = rest.as_bytes().first().copied()?;
    let rest = &rest[1..];
    if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let rest = rest.trim_start().strip_prefix(',')?.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let id = &rest[..end];
    if id.contains('\\') {
        return None;
    }
    let rest = rest[end + 1..].trim_start().strip_prefix(',')?;
    match kind {
        b'2' => Some(Reply::Call),
        b'3' => {
            let payload = rest.trim_end().strip_suffix(']')?.trim();
            Some(Reply::Result { id, payload })
        }
        b'4' => Some(Reply::Error { id }),
        _ => None,
    }
}

/// Room for a `u64` in decimal.
fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// Writes `n` in decimal into `buffer` and returns it as text.
fn format_id(buffer: &mut [u8; 20], mut n: u64) -> &str {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[at..]).unwrap_or("")
}

/// At most 200 characters of a frame, for error messages.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_from_their_prefix() {
        assert_eq!(classify(r#"[3,"17",{}]"#), Reply::Result { id: "17", payload: "{}" });
        assert_eq!(
            classify(" [ 3 , \"9\" , {\"status\":\"Accepted\"} ] "),
            Reply::Result { id: "9", payload: "{\"status\":\"Accepted\"}" }
        );
        assert_eq!(classify(r#"[4,"17","InternalError","x",{}]"#), Reply::Error { id: "17" });
        assert_eq!(classify(r#"[2,"abc","Reset",{"type":"Soft"}]"#), Reply::Call);
        for bad in ["", "[", "[3]", "[3,17,{}]", r#"[33,"1",{}]"#, r#"[5,"1",{}]"#, r#"[3,"1"{}]"#, r#"[3,"1",{}"#, r#"[3,"a\"b",{}]"#, "{}"] {
            assert_eq!(classify(bad), Reply::Malformed, "{bad}");
        }
    }

    #[test]
    fn ids_are_written_in_decimal() {
        let mut buffer = itoa_buffer();
        assert_eq!(format_id(&mut buffer, 0), "0");
        assert_eq!(format_id(&mut buffer, 1234567), "1234567");
        assert_eq!(format_id(&mut buffer, u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn answers_are_checked_against_their_schema() {
        let v = OcppVersion::V16;
        assert!(check_answer(v, "Heartbeat", "5", r#"[3,"5",{"currentTime":"2026-11-21T08:00:00.000Z"}]"#).is_ok());
        assert!(check_answer(v, "Heartbeat", "5", r#"[3,"5",{}]"#).is_err(), "currentTime is required");
        assert!(check_answer(v, "Heartbeat", "5", r#"[3,"6",{"currentTime":"2026-11-21T08:00:00.000Z"}]"#).is_err());
        assert!(check_answer(v, "Heartbeat", "5", r#"[4,"5","InternalError","",{}]"#).is_err());
        let request = Request { action: "Heartbeat", payload: r#"{"x":1}"#.to_owned() };
        assert!(matches!(check_request(v, &request), Err(ClientError::InvalidRequest { .. })));
    }
}
