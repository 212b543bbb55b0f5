//! The load generator works: a second of closed-loop charging traffic from
//! both OCPP versions against a real server completes round trips with no
//! error and every answer schema-checked, a server that answers with the
//! wrong ids is caught, and CALLs a server sends on its own in the middle
//! of a round trip are answered and counted, not taken for errors. (A smoke
//! test: no figure is asserted.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::Storage;
use futures_util::{SinkExt, StreamExt};
use loadgen::client::{ClientConfig, ErrorKind, Verify};
use loadgen::scenario::{self, Fleet, Saturation, Timing, VersionMix};
use loadgen::target::Target;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::harness::{PASSWORD, TestServer};

fn fleet(url: &str, count: usize) -> Fleet {
    Fleet {
        target: Target::parse(url).unwrap(),
        prefix: "SMOKE-".to_owned(),
        first: 0,
        count,
        versions: VersionMix::Mix,
        password: Some(PASSWORD.to_owned()),
        sources: 2,
        client: ClientConfig { verify: Verify::All, timeout: Duration::from_secs(10), ..ClientConfig::default() },
        connect_concurrency: 8,
    }
}

fn one_second() -> Timing {
    Timing {
        setup: Duration::from_secs(30),
        warmup: Duration::from_millis(100),
        window: Duration::from_secs(1),
        teardown: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn a_second_of_charging_traffic_completes_without_errors() {
    let server = TestServer::start().await;
    let fleet = fleet(&server.url(), 4);
    for n in 0..fleet.count {
        let id = fleet.station_id(n);
        server.register_station(&id).await;
        server.add_token(&id).await;
    }
    let outcome = scenario::saturate(&fleet, Saturation::MeterValues, one_second(), None).await.unwrap();
    assert_eq!(outcome.ready, 4, "{}", outcome.describe());
    assert!(outcome.summary.round_trips > 10, "{}", outcome.describe());
    assert_eq!(outcome.summary.error_count_total(), 0, "{}", outcome.describe());
    assert_eq!(outcome.lost, 0, "{}", outcome.describe());

    // what it sent was handled for real: every transaction was stopped with its readings
    let transactions = server.store.transactions(None, 100).unwrap();
    assert_eq!(transactions.len(), 4, "one session per station");
    for tx in &transactions {
        assert_eq!(tx.state, domain::TransactionState::Ended, "{tx:?}");
        assert!(server.store.meter_samples(tx.number).unwrap().len() > 2, "{tx:?}");
    }
    server.shutdown().await;
}

/// A server that accepts any station and answers every CALL with a
/// CALLRESULT of another id.
async fn server_answering_with_wrong_ids() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, first_protocol).await else { return };
                while let Some(Ok(Message::Text(_))) = ws.next().await {
                    let reply = r#"[3,"not-your-id",{"status":"Accepted","interval":300,"currentTime":"2026-11-21T08:00:00.000Z"}]"#;
                    if ws.send(Message::Text(reply.into())).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("ws://{addr}/ocpp")
}

/// Selects the first subprotocol the client offers.
#[allow(clippy::result_large_err)] // the callback type tungstenite asks for
fn first_protocol(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    if let Some(protocol) = request.headers().get("Sec-WebSocket-Protocol") {
        let first = protocol.to_str().unwrap_or("").split(',').next().unwrap_or("").trim().to_owned();
        response.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&first).unwrap());
    }
    Ok(response)
}

#[tokio::test]
async fn wrong_answers_are_counted_as_errors() {
    let url = server_answering_with_wrong_ids().await;
    let outcome = scenario::saturate(&fleet(&url, 2), Saturation::Heartbeat, one_second(), None).await.unwrap();
    assert_eq!(outcome.ready, 0, "{}", outcome.describe());
    assert_eq!(outcome.summary.round_trips, 0);
    assert_eq!(outcome.summary.errors_total[ErrorKind::WrongAnswer.index()], 2, "{}", outcome.describe());
}

/// The CALLs [`server_sending_its_own_calls`] sends, in turn: the action,
/// its payload, and the answer a station must give.
const SERVER_CALLS: [(&str, &str, &str); 3] = [
    ("CostUpdated", r#"{"totalCost":1.25,"transactionId":"tx-1"}"#, r#"[3,"{id}",{}]"#),
    (
        "DataTransfer",
        r#"{"vendorId":"org.openchargealliance.costmsg","messageId":"RunningCost","data":"{}"}"#,
        r#"[3,"{id}",{"status":"Accepted"}]"#,
    ),
    ("Reset", r#"{"type":"Soft"}"#, r#"[4,"{id}","NotImplemented""#),
];

/// A 1.6 server that, before answering each of a station's CALLs, sends a
/// CALL of its own (see [`SERVER_CALLS`]); it keeps every frame the
/// stations send that is not a CALL (their answers to its CALLs) in `answers`.
async fn server_sending_its_own_calls(answers: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answers = answers.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, first_protocol).await else { return };
                let mut sent = 0_usize;
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    let frame: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    if frame[0] != 2 {
                        answers.lock().unwrap().push(text.as_str().to_owned());
                        continue;
                    }
                    let (action, payload, _) = SERVER_CALLS[sent % SERVER_CALLS.len()];
                    sent += 1;
                    let call = format!(r#"[2,"server-{sent}","{action}",{payload}]"#);
                    let id = frame[1].as_str().unwrap();
                    let result = match frame[2].as_str().unwrap() {
                        "BootNotification" => r#"{"status":"Accepted","interval":300,"currentTime":"2026-11-21T08:00:00.000Z"}"#,
                        "Heartbeat" => r#"{"currentTime":"2026-11-21T08:00:00.000Z"}"#,
                        _ => "{}",
                    };
                    let reply = format!(r#"[3,"{id}",{result}]"#);
                    for out in [call, reply] {
                        if ws.send(Message::Text(out.into())).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("ws://{addr}/ocpp")
}

#[tokio::test]
async fn calls_from_the_server_are_answered_and_counted() {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let url = server_sending_its_own_calls(answers.clone()).await;
    let mut fleet = fleet(&url, 2);
    fleet.versions = VersionMix::V16;
    fleet.client.verify = Verify::Ids;
    let outcome = scenario::saturate(&fleet, Saturation::Heartbeat, one_second(), None).await.unwrap();
    assert_eq!(outcome.ready, 2, "{}", outcome.describe());
    assert!(outcome.summary.round_trips > 10, "{}", outcome.describe());
    assert_eq!(outcome.summary.error_count_total(), 0, "{}", outcome.describe());
    assert_eq!(outcome.lost, 0, "{}", outcome.describe());
    let counted = outcome.summary.server_calls_answered;
    // (the stations answered the server's CALL before each of their round trips)
    assert!(counted > outcome.summary.round_trips, "{}", outcome.describe());
    assert!(outcome.describe().contains(&format!("server calls answered: {counted}")), "{}", outcome.describe());

    let answers = answers.lock().unwrap();
    assert!(answers.len() as u64 <= counted && answers.len() > 10, "{} answers, {counted} counted", answers.len());
    for answer in answers.iter() {
        let frame: serde_json::Value = serde_json::from_str(answer).unwrap();
        let id = frame[1].as_str().unwrap();
        let sent: usize = id.strip_prefix("server-").unwrap().parse().unwrap();
        let (action, _, expected) = SERVER_CALLS[(sent - 1) % SERVER_CALLS.len()];
        let expected = expected.replace("{id}", id);
        assert!(answer.starts_with(&expected), "{action} answered with {answer}, expected {expected}…");
    }
}

#[test]
fn only_loopback_targets_are_accepted() {
    assert!(Target::parse("ws://192.168.0.10:9410/ocpp").is_err());
    assert!(Target::parse("ws://127.0.0.1:9410/ocpp").is_ok());
}
