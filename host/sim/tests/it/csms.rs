//! A minimal OCPP responder on 127.0.0.1:0 for the simulator's tests.
//!
//! It accepts stations at `/ocpp/{id}` (checking the subprotocol and, if
//! configured, the Basic auth password), answers every station CALL with a
//! fixed schema-valid response, and records what it got: handshakes,
//! requests (each checked against its schema), and the stations' answers to
//! its own CALLs. [`Behaviour`] bends it for one test: no answer, a wrong
//! answer, a CALL of its own before answering, a close.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use ocpp::{ErrorCode, Frame, OcppVersion, PayloadKind};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

pub const CURRENT_TIME: &str = "2026-11-21T10:00:00.000Z";

/// How the responder answers one action.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This CALLRESULT payload.
    Result(Value),
    /// A CALLERROR.
    Error(ErrorCode, &'static str),
    /// No answer at all.
    Silence,
    /// A close frame with this code and reason.
    Close(u16, &'static str),
}

/// What a test changes about the responder.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// Subprotocols it accepts; both versions if empty.
    pub versions: Vec<OcppVersion>,
    /// The password every station must present, if any.
    pub password: Option<String>,
    /// Accept the WebSocket but select no subprotocol.
    pub select_no_subprotocol: bool,
    /// Select this subprotocol whatever was asked.
    pub force_subprotocol: Option<&'static str>,
    /// Answers replacing the fixed ones, by action.
    pub answers: HashMap<&'static str, Answer>,
    /// On this action, first send this CALL to the station and wait for its
    /// answer, then answer.
    pub call_before_answer: Option<(&'static str, &'static str, Value)>,
    /// Send a CALLRESULT for an id the station never used before each answer.
    pub stray_answers: bool,
}

/// Something a station sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub station: String,
    pub action: String,
    pub payload: Value,
}

/// One WebSocket handshake as the responder saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Handshake {
    pub path: String,
    pub station: String,
    pub authorization: Option<String>,
    pub protocols: Option<String>,
}

/// In the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A station's CALL.
    Request(Received),
    /// A station's answer (CALLRESULT or CALLERROR) to a responder CALL, as text.
    StationAnswer(String),
}

#[derive(Default)]
struct Log {
    handshakes: Vec<Handshake>,
    events: Vec<Event>,
    violations: Vec<String>,
    /// 1.6 transaction ids by (connectorId, idTag, timestamp): a replayed
    /// StartTransaction gets the id it got the first time.
    transaction_ids: HashMap<String, i64>,
}

type ToStation = (String, oneshot::Sender<String>);

/// The running responder. Dropping it stops accepting stations.
pub struct Csms {
    pub url: String,
    log: Arc<Mutex<Log>>,
    stations: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<ToStation>>>>,
    task: JoinHandle<()>,
}

impl Drop for Csms {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Csms {
    pub async fn start(behaviour: Behaviour) -> Csms {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ocpp", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Log::default()));
        let stations = Arc::new(Mutex::new(HashMap::new()));
        let behaviour = Arc::new(behaviour);
        let task = tokio::spawn({
            let (log, stations) = (log.clone(), stations.clone());
            async move {
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve(
                        socket,
                        behaviour.clone(),
                        log.clone(),
                        stations.clone(),
                    ));
                }
            }
        });
        Csms {
            url,
            log,
            stations,
            task,
        }
    }

    pub async fn with_defaults() -> Csms {
        Csms::start(Behaviour::default()).await
    }

    pub fn handshakes(&self) -> Vec<Handshake> {
        self.log.lock().unwrap().handshakes.clone()
    }

    pub fn events(&self) -> Vec<Event> {
        self.log.lock().unwrap().events.clone()
    }

    /// The station CALLs received, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.events()
            .into_iter()
            .filter_map(|event| match event {
                Event::Request(received) => Some(received),
                Event::StationAnswer(_) => None,
            })
            .collect()
    }

    pub fn actions(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .map(|received| received.action)
            .collect()
    }

    pub fn requests_of(&self, action: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|received| received.action == action)
            .map(|received| received.payload)
            .collect()
    }

    /// Schema violations in what stations sent; must stay empty.
    pub fn violations(&self) -> Vec<String> {
        self.log.lock().unwrap().violations.clone()
    }

    /// Sends `text` to `station` and returns the station's answer (the
    /// first frame back with the same message id, or `"-1"`).
    pub async fn send_to_station(&self, station: &str, text: &str) -> String {
        let sender = self
            .stations
            .lock()
            .unwrap()
            .get(station)
            .cloned()
            .expect("station connected");
        let (reply, answer) = oneshot::channel();
        sender.send((text.to_owned(), reply)).unwrap();
        tokio::time::timeout(Duration::from_secs(5), answer)
            .await
            .expect("station answered")
            .unwrap()
    }
}

#[allow(
    clippy::result_large_err,
    reason = "tungstenite's handshake callback returns an http::Response"
)]
async fn serve(
    socket: TcpStream,
    behaviour: Arc<Behaviour>,
    log: Arc<Mutex<Log>>,
    stations: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<ToStation>>>>,
) {
    let mut accepted = None;
    let handshake = {
        let (behaviour, log) = (behaviour.clone(), log.clone());
        let accepted = &mut accepted;
        move |request: &Request, response: Response| {
            handshake(request, response, &behaviour, &log, accepted)
        }
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(socket, handshake).await else {
        return;
    };
    let Some((station, version)) = accepted else {
        return;
    };
    let (to_station, commands) = mpsc::unbounded_channel();
    stations.lock().unwrap().insert(station.clone(), to_station);
    Session {
        ws,
        station,
        version,
        behaviour,
        log,
        pending: HashMap::new(),
        held: None,
    }
    .run(commands)
    .await;
}

#[allow(
    clippy::result_large_err,
    reason = "tungstenite's handshake callback returns an http::Response"
)]
fn handshake(
    request: &Request,
    mut response: Response,
    behaviour: &Behaviour,
    log: &Mutex<Log>,
    accepted: &mut Option<(String, OcppVersion)>,
) -> Result<Response, ErrorResponse> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let path = request.uri().path().to_owned();
    let encoded = path.strip_prefix("/ocpp/").unwrap_or_default();
    let station = percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned();
    let authorization = header("Authorization");
    let protocols = header("Sec-WebSocket-Protocol");
    log.lock().unwrap().handshakes.push(Handshake {
        path: path.clone(),
        station: station.clone(),
        authorization: authorization.clone(),
        protocols: protocols.clone(),
    });
    let refuse = |status: StatusCode| {
        let mut refusal = ErrorResponse::new(Some(status.to_string()));
        *refusal.status_mut() = status;
        Err(refusal)
    };

    if let Some(password) = &behaviour.password {
        let expected = format!("Basic {}", base64_encode(&format!("{station}:{password}")));
        if authorization.as_deref() != Some(expected.as_str()) {
            return refuse(StatusCode::UNAUTHORIZED);
        }
    }
    let supported = if behaviour.versions.is_empty() {
        OcppVersion::ALL.to_vec()
    } else {
        behaviour.versions.clone()
    };
    let chosen = protocols
        .unwrap_or_default()
        .split(',')
        .filter_map(|token| OcppVersion::from_subprotocol(token.trim()))
        .find(|version| supported.contains(version));
    let Some(version) = chosen else {
        return refuse(StatusCode::BAD_REQUEST);
    };
    let selected = behaviour.force_subprotocol.unwrap_or(version.subprotocol());
    if !behaviour.select_no_subprotocol {
        response
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(selected));
    }
    *accepted = Some((station, version));
    Ok(response)
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// One station's connection.
struct Session {
    ws: WebSocketStream<TcpStream>,
    station: String,
    version: OcppVersion,
    behaviour: Arc<Behaviour>,
    log: Arc<Mutex<Log>>,
    /// Where the station's answers to responder CALLs go, by message id.
    pending: HashMap<String, oneshot::Sender<String>>,
    /// A station CALL waiting for the station's answer to our CALL.
    held: Option<ocpp::Call>,
}

const HOLD_ID: &str = "csms-hold-1";

impl Session {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<ToStation>) {
        loop {
            tokio::select! {
                message = self.ws.next() => {
                    let Some(Ok(message)) = message else { return };
                    if let Message::Text(text) = message
                        && !self.on_text(text.as_str()).await
                    {
                        return;
                    }
                }
                Some((text, reply)) = commands.recv() => {
                    let id = ocpp::peek_unique_id(&text).unwrap_or_else(|| "-1".to_owned());
                    self.pending.insert(id, reply);
                    if self.ws.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn send(&mut self, frame: Frame) -> bool {
        self.ws
            .send(Message::Text(frame.to_text(self.version).into()))
            .await
            .is_ok()
    }

    /// Handles one frame from the station; false ends the session.
    async fn on_text(&mut self, text: &str) -> bool {
        match ocpp::decode_frame(text) {
            Ok(Frame::Call(call)) => self.on_call(call).await,
            Ok(Frame::CallResult(ocpp::CallResult { unique_id, .. }))
            | Ok(Frame::CallError(ocpp::CallError { unique_id, .. })) => {
                self.log
                    .lock()
                    .unwrap()
                    .events
                    .push(Event::StationAnswer(text.to_owned()));
                if let Some(reply) = self.pending.remove(&unique_id) {
                    let _ = reply.send(text.to_owned());
                }
                if unique_id == HOLD_ID
                    && let Some(held) = self.held.take()
                {
                    return self.answer(held).await;
                }
                true
            }
            Err(error) => {
                if !error.expects_reply() {
                    return true;
                }
                let id = error.unique_id.unwrap_or_else(|| "-1".to_owned());
                self.send(Frame::CallError(ocpp::CallError::new(
                    id,
                    error.code,
                    error.description,
                )))
                .await
            }
        }
    }

    async fn on_call(&mut self, call: ocpp::Call) -> bool {
        {
            let mut log = self.log.lock().unwrap();
            if let Err(violation) = ocpp::validate(
                self.version,
                &call.action,
                PayloadKind::Request,
                &call.payload,
            ) {
                log.violations
                    .push(format!("{} {}: {violation}", call.action, call.payload));
            }
            log.events.push(Event::Request(Received {
                station: self.station.clone(),
                action: call.action.clone(),
                payload: call.payload.clone(),
            }));
        }
        if let Some((action, csms_action, payload)) = &self.behaviour.call_before_answer
            && *action == call.action
        {
            let ours = Frame::Call(ocpp::Call {
                unique_id: HOLD_ID.to_owned(),
                action: (*csms_action).to_owned(),
                payload: payload.clone(),
            });
            self.held = Some(call);
            return self.send(ours).await;
        }
        self.answer(call).await
    }

    async fn answer(&mut self, call: ocpp::Call) -> bool {
        if self.behaviour.stray_answers {
            let stray = Frame::CallResult(ocpp::CallResult {
                unique_id: "not-yours".to_owned(),
                payload: json!({}),
            });
            if !self.send(stray).await {
                return false;
            }
        }
        let answer = match self.behaviour.answers.get(call.action.as_str()) {
            Some(answer) => answer.clone(),
            None => Answer::Result(self.fixed_answer(&call.action, &call.payload)),
        };
        match answer {
            Answer::Result(payload) => {
                self.send(Frame::CallResult(ocpp::CallResult {
                    unique_id: call.unique_id,
                    payload,
                }))
                .await
            }
            Answer::Error(code, description) => {
                self.send(Frame::CallError(ocpp::CallError::new(
                    call.unique_id,
                    code,
                    description,
                )))
                .await
            }
            Answer::Silence => true,
            Answer::Close(code, reason) => {
                let frame = CloseFrame {
                    code: code.into(),
                    reason: reason.into(),
                };
                let _ = self.ws.close(Some(frame)).await;
                // Read on until the station answers the close.
                while let Some(Ok(_)) = self.ws.next().await {}
                false
            }
        }
    }

    fn fixed_answer(&mut self, action: &str, payload: &Value) -> Value {
        let accepted_v16 = json!({"idTagInfo": {"status": "Accepted"}});
        let accepted_v201 = json!({"idTokenInfo": {"status": "Accepted"}});
        match (self.version, action) {
            (_, "BootNotification") => {
                json!({"status": "Accepted", "currentTime": CURRENT_TIME, "interval": 300})
            }
            (_, "Heartbeat") => json!({"currentTime": CURRENT_TIME}),
            (_, "DataTransfer") => json!({"status": "Accepted", "data": "pong"}),
            (OcppVersion::V16, "Authorize") => accepted_v16,
            (OcppVersion::V201, "Authorize") => accepted_v201,
            (OcppVersion::V16, "StartTransaction") => {
                let key = format!(
                    "{}|{}|{}",
                    payload["connectorId"], payload["idTag"], payload["timestamp"]
                );
                let mut log = self.log.lock().unwrap();
                let next = 100 + i64::try_from(log.transaction_ids.len()).unwrap();
                let id = *log.transaction_ids.entry(key).or_insert(next);
                json!({"transactionId": id, "idTagInfo": {"status": "Accepted"}})
            }
            (OcppVersion::V16, "StopTransaction") => accepted_v16,
            (OcppVersion::V201, "TransactionEvent") if payload["eventType"] == "Started" => {
                accepted_v201
            }
            _ => json!({}),
        }
    }
}

/// The events as lines: a request's action, or `answer` and the station's
/// answer, for checking the order of requests and answers.
pub fn timeline(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            Event::Request(received) => received.action.clone(),
            Event::StationAnswer(text) => format!("answer {text}"),
        })
        .collect()
}
