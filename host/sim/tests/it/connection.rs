//! The OCPP-J connection: handshake, matching, timeouts, CSMS CALLs, raw frames.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sim::{
    CallFailure, ConnectError, ConnectOptions, Connection, ErrorCode, OcppVersion, Reply, SimError,
    Station,
};

use crate::csms::{Answer, Behaviour, CURRENT_TIME, Csms, Event};
use crate::{booted, config};

fn options(csms: &Csms, id: &str, version: OcppVersion) -> ConnectOptions {
    let mut options = ConnectOptions::new(&csms.url, id, version);
    options.call_timeout = Duration::from_secs(5);
    options
}

async fn connect_error(options: &ConnectOptions) -> ConnectError {
    match Connection::connect(options, sim::connection::refuse_all()).await {
        Ok(_) => panic!("connected"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn offers_exactly_the_versions_subprotocol() {
    let csms = Csms::with_defaults().await;
    for (version, token) in [
        (OcppVersion::V16, "ocpp1.6"),
        (OcppVersion::V201, "ocpp2.0.1"),
    ] {
        let connection = Connection::connect(
            &options(&csms, "CP1", version),
            sim::connection::refuse_all(),
        )
        .await
        .unwrap();
        let answer = connection.call("Heartbeat", json!({})).await.unwrap();
        assert_eq!(answer, json!({"currentTime": CURRENT_TIME}));
        assert_eq!(
            csms.handshakes().last().unwrap().protocols.as_deref(),
            Some(token)
        );
    }
}

#[tokio::test]
async fn a_csms_that_selects_no_or_another_subprotocol_is_refused() {
    let silent = Csms::start(Behaviour {
        select_no_subprotocol: true,
        ..Behaviour::default()
    })
    .await;
    let error = connect_error(&options(&silent, "CP1", OcppVersion::V16)).await;
    assert!(
        matches!(
            error,
            ConnectError::NoSubprotocol {
                requested: "ocpp1.6"
            }
        ),
        "{error}"
    );

    let other = Csms::start(Behaviour {
        force_subprotocol: Some("ocpp2.0.1"),
        ..Behaviour::default()
    })
    .await;
    let error = connect_error(&options(&other, "CP1", OcppVersion::V16)).await;
    assert!(
        matches!(
            error,
            ConnectError::WrongSubprotocol {
                requested: "ocpp1.6"
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the csms selected a websocket subprotocol other than the requested ocpp1.6"
    );
}

#[tokio::test]
async fn an_unsupported_subprotocol_is_refused_with_400() {
    let csms = Csms::start(Behaviour {
        versions: vec![OcppVersion::V201],
        ..Behaviour::default()
    })
    .await;
    let error = connect_error(&options(&csms, "CP1", OcppVersion::V16)).await;
    assert!(
        matches!(error, ConnectError::Refused { status: 400, .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the csms refused the websocket handshake with http status 400"
    );
}

#[tokio::test]
async fn basic_auth_carries_the_station_id_and_password() {
    let csms = Csms::start(Behaviour {
        password: Some("s3cret:pw".to_owned()),
        ..Behaviour::default()
    })
    .await;
    let mut options = options(&csms, "CP 1/ä", OcppVersion::V201);

    let error = connect_error(&options).await;
    assert!(
        matches!(error, ConnectError::Refused { status: 401, .. }),
        "no password: {error}"
    );
    options.password = Some("wrong".to_owned());
    let error = connect_error(&options).await;
    assert!(
        matches!(error, ConnectError::Refused { status: 401, .. }),
        "wrong password: {error}"
    );

    options.password = Some("s3cret:pw".to_owned());
    Connection::connect(&options, sim::connection::refuse_all())
        .await
        .unwrap();
    let handshake = csms.handshakes().pop().unwrap();
    assert_eq!(handshake.path, "/ocpp/CP%201%2F%C3%A4");
    assert_eq!(handshake.station, "CP 1/ä");
    // base64("CP 1/ä:s3cret:pw")
    assert_eq!(
        handshake.authorization.as_deref(),
        Some("Basic Q1AgMS/DpDpzM2NyZXQ6cHc=")
    );
}

#[tokio::test]
async fn answers_are_matched_by_message_id_and_strays_kept_for_inspection() {
    let csms = Csms::start(Behaviour {
        stray_answers: true,
        ..Behaviour::default()
    })
    .await;
    let mut connection = Connection::connect(
        &options(&csms, "CP1", OcppVersion::V16),
        sim::connection::refuse_all(),
    )
    .await
    .unwrap();
    let boot = json!({"chargePointVendor": "V", "chargePointModel": "M"});
    let answer = connection.call("BootNotification", boot).await.unwrap();
    assert_eq!(answer["status"], json!("Accepted"));
    let answer = connection.call("Heartbeat", json!({})).await.unwrap();
    assert_eq!(answer, json!({"currentTime": CURRENT_TIME}));
    for _ in 0..2 {
        assert_eq!(
            connection.next_text().await.as_deref(),
            Some(r#"[3,"not-yours",{}]"#)
        );
    }
}

#[tokio::test]
async fn an_unanswered_call_times_out_and_frees_the_slot() {
    let behaviour = Behaviour {
        answers: [("Heartbeat", Answer::Silence)].into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let mut options = options(&csms, "CP1", OcppVersion::V201);
    options.call_timeout = Duration::from_millis(200);
    let connection = Connection::connect(&options, sim::connection::refuse_all())
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(
        connection.call("Heartbeat", json!({})).await,
        Err(CallFailure::Timeout(Duration::from_millis(200)))
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    let status = json!({"timestamp": CURRENT_TIME, "connectorStatus": "Available", "evseId": 1, "connectorId": 1});
    assert_eq!(
        connection.call("StatusNotification", status).await,
        Ok(json!({}))
    );
}

#[tokio::test]
async fn calls_queue_behind_the_outstanding_one() {
    let csms = Csms::with_defaults().await;
    let connection = Connection::connect(
        &options(&csms, "CP1", OcppVersion::V16),
        sim::connection::refuse_all(),
    )
    .await
    .unwrap();
    let (a, b, c) = tokio::join!(
        connection.call("Heartbeat", json!({})),
        connection.call("Authorize", json!({"idTag": "A"})),
        connection.call("DataTransfer", json!({"vendorId": "acme"})),
    );
    assert_eq!(a.unwrap(), json!({"currentTime": CURRENT_TIME}));
    assert_eq!(b.unwrap(), json!({"idTagInfo": {"status": "Accepted"}}));
    assert_eq!(c.unwrap()["status"], json!("Accepted"));
    assert_eq!(csms.actions(), ["Heartbeat", "Authorize", "DataTransfer"]);
}

#[tokio::test]
async fn a_csms_call_is_answered_while_the_stations_call_is_outstanding() {
    for (version, csms_action, request) in [
        (
            OcppVersion::V16,
            "GetConfiguration",
            json!({"key": ["HeartbeatInterval"]}),
        ),
        (
            OcppVersion::V201,
            "GetVariables",
            json!({"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}),
        ),
    ] {
        let behaviour = Behaviour {
            call_before_answer: Some(("Authorize", csms_action, request)),
            ..Behaviour::default()
        };
        let csms = Csms::start(behaviour).await;
        let (mut station, _) = booted(&csms, "CP1", version).await;
        assert_eq!(station.authorize("TAG").await.unwrap(), "Accepted");

        let events = csms.events();
        let answer = events
            .iter()
            .find_map(|event| match event {
                Event::StationAnswer(text) => Some(text.clone()),
                Event::Request(_) => None,
            })
            .unwrap();
        let frame: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(frame[0], json!(3), "{answer}");
        assert_eq!(frame[1], json!("csms-hold-1"));
        let value = match version {
            OcppVersion::V16 => &frame[2]["configurationKey"][0]["value"],
            OcppVersion::V201 => &frame[2]["getVariableResult"][0]["attributeValue"],
        };
        assert_eq!(value, &json!("300"));
        assert!(csms.violations().is_empty(), "{:?}", csms.violations());
    }
}

#[tokio::test]
async fn csms_calls_are_checked_before_the_handler_sees_them() {
    let csms = Csms::with_defaults().await;
    let (_v16, _) = booted(&csms, "CP16", OcppVersion::V16).await;
    let (_v201, _) = booted(&csms, "CP201", OcppVersion::V201).await;
    for (station, frame, expected) in [
        (
            "CP16",
            r#"[2,"a","Reset",{"type":"Sideways"}]"#,
            r#"[4,"a","PropertyConstraintViolation","#,
        ),
        (
            "CP16",
            r#"[2,"b","Reset",{}]"#,
            r#"[4,"b","OccurenceConstraintViolation","#,
        ),
        (
            "CP16",
            r#"[2,"c","Frobnicate",{}]"#,
            r#"[4,"c","NotImplemented","#,
        ),
        (
            "CP16",
            r#"[2,"d","Heartbeat",{}]"#,
            r#"[4,"d","NotSupported","#,
        ),
        (
            "CP16",
            r#"[2,"e","GetCompositeSchedule",{"connectorId":1,"duration":60}]"#,
            r#"[4,"e","NotSupported","#,
        ),
        ("CP16", "not json", r#"[4,"-1","FormationViolation","#),
        ("CP201", "not json", r#"[4,"-1","RpcFrameworkError","#),
        (
            "CP201",
            r#"[2,"f","Reset",{"type":"Immediate","extra":1}]"#,
            r#"[4,"f","FormatViolation","#,
        ),
        (
            "CP201",
            r#"[2,"g","Reset",{"type":"Immediate"}]"#,
            r#"[3,"g",{"status":"Accepted"}]"#,
        ),
        (
            "CP201",
            r#"[9,"h"]"#,
            r#"[4,"h","MessageTypeNotSupported","#,
        ),
    ] {
        let answer = csms.send_to_station(station, frame).await;
        assert!(
            answer.starts_with(expected),
            "{station} {frame} -> {answer}"
        );
    }
}

#[tokio::test]
async fn a_trigger_message_is_answered_before_the_triggered_message_is_sent() {
    let csms = Csms::with_defaults().await;
    let (_station, _) = booted(&csms, "CP1", OcppVersion::V16).await;
    let answer = csms
        .send_to_station(
            "CP1",
            r#"[2,"t1","TriggerMessage",{"requestedMessage":"Heartbeat"}]"#,
        )
        .await;
    assert_eq!(answer, r#"[3,"t1",{"status":"Accepted"}]"#);
    for _ in 0..100 {
        if csms.actions().contains(&"Heartbeat".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let timeline = crate::csms::timeline(&csms.events());
    assert_eq!(
        timeline,
        [
            "BootNotification",
            r#"answer [3,"t1",{"status":"Accepted"}]"#,
            "Heartbeat"
        ]
    );
}

#[tokio::test]
async fn a_custom_handler_answers_and_sees_the_station_state() {
    struct RejectResets;
    impl sim::CommandHandler for RejectResets {
        fn on_command(
            &self,
            station: &mut sim::StationState,
            action: &str,
            payload: &Value,
        ) -> Reply {
            match action {
                "Reset" => Reply::result(json!({"status": "Rejected"})),
                _ => sim::DefaultCommands.on_command(station, action, payload),
            }
        }
    }
    let csms = Csms::with_defaults().await;
    let (config, _) = config(&csms, "CP1", OcppVersion::V16);
    let mut station = Station::new(config).with_commands(Arc::new(RejectResets));
    station.connect().await.unwrap();
    assert_eq!(
        csms.send_to_station("CP1", r#"[2,"r","Reset",{"type":"Hard"}]"#)
            .await,
        r#"[3,"r",{"status":"Rejected"}]"#
    );
    assert_eq!(station.state().reset_requested(), None);
    let answer = csms
        .send_to_station("CP1", r#"[2,"u","UnlockConnector",{"connectorId":1}]"#)
        .await;
    assert_eq!(answer, r#"[3,"u",{"status":"Unlocked"}]"#);
    let command = station
        .wait_for_command("UnlockConnector", Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(command.payload, json!({"connectorId": 1}));
    assert!(
        station
            .wait_for_command("UnlockConnector", Duration::from_millis(50))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn raw_frames_get_the_csms_answers_back() {
    let csms = Csms::with_defaults().await;
    let mut connection = Connection::connect(
        &options(&csms, "CP1", OcppVersion::V201),
        sim::connection::refuse_all(),
    )
    .await
    .unwrap();
    connection
        .send_text(r#"[2,"raw-1","Heartbeat",{}]"#)
        .await
        .unwrap();
    let answer = connection.next_text().await.unwrap();
    assert_eq!(
        answer,
        format!(r#"[3,"raw-1",{{"currentTime":"{CURRENT_TIME}"}}]"#)
    );
    connection
        .send_text(r#"[2,"raw-2","Heartbeat",[]]"#)
        .await
        .unwrap();
    let answer = connection.next_text().await.unwrap();
    assert!(
        answer.starts_with(r#"[4,"raw-2","FormatViolation","#),
        "{answer}"
    );
}

#[tokio::test]
async fn the_csms_answer_must_pass_the_schema() {
    let behaviour = Behaviour {
        answers: [
            (
                "Heartbeat",
                Answer::Result(json!({"currentTime": "yesterday"})),
            ),
            ("Authorize", Answer::Error(ErrorCode::SecurityError, "no")),
        ]
        .into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let (mut station, _) = booted(&csms, "CP1", OcppVersion::V16).await;
    let error = station.heartbeat().await.unwrap_err();
    let Some(CallFailure::InvalidResponse(violation)) = error.call_failure() else {
        panic!("{error}")
    };
    assert_eq!(violation.code, ErrorCode::TypeConstraintViolation);
    assert_eq!(
        error.to_string(),
        r#"Heartbeat: the csms's answer breaks the schema: currentTime: "yesterday" is not a valid date-time"#
    );
    let error = station.authorize("TAG").await.unwrap_err();
    assert_eq!(
        error.call_failure(),
        Some(&CallFailure::CallError {
            code: ErrorCode::SecurityError,
            description: "no".to_owned(),
            details: json!({})
        })
    );
}

#[tokio::test]
async fn a_request_that_breaks_its_schema_is_not_sent() {
    let csms = Csms::with_defaults().await;
    let (mut station, _) = booted(&csms, "CP1", OcppVersion::V16).await;
    let error = station
        .authorize("A-TOKEN-LONGER-THAN-20")
        .await
        .unwrap_err();
    assert!(
        matches!(error.call_failure(), Some(CallFailure::InvalidRequest(_))),
        "{error}"
    );
    let error = station
        .notify_event("Connector", "AvailabilityState", "Available")
        .await
        .unwrap_err();
    assert!(
        matches!(error.call_failure(), Some(CallFailure::InvalidRequest(v)) if v.code == ErrorCode::NotImplemented)
    );
    assert_eq!(csms.actions(), ["BootNotification"]);
}

#[tokio::test]
async fn the_csms_closing_the_connection_is_seen_with_its_code_and_reason() {
    let behaviour = Behaviour {
        answers: [("Heartbeat", Answer::Close(4000, "go away"))].into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let (mut station, _) = booted(&csms, "CP1", OcppVersion::V201).await;
    let error = station.heartbeat().await.unwrap_err();
    assert_eq!(error.call_failure(), Some(&CallFailure::Closed));
    assert!(!station.is_online());
    let info = station.last_close().unwrap();
    assert_eq!(
        (info.code, info.reason.as_str(), info.by_csms),
        (Some(4000), "go away", true)
    );
    assert!(matches!(station.heartbeat().await, Err(SimError::Offline)));

    let connection = Connection::connect(
        &options(&csms, "CP2", OcppVersion::V201),
        sim::connection::refuse_all(),
    )
    .await
    .unwrap();
    assert_eq!(
        connection.call("Heartbeat", json!({})).await,
        Err(CallFailure::Closed)
    );
    let info = connection.closed().await;
    assert_eq!(
        (info.code, info.reason.as_str(), info.by_csms),
        (Some(4000), "go away", true)
    );
}

#[tokio::test]
async fn the_station_closes_with_a_handshake() {
    let csms = Csms::with_defaults().await;
    let connection = Connection::connect(
        &options(&csms, "CP1", OcppVersion::V16),
        sim::connection::refuse_all(),
    )
    .await
    .unwrap();
    let info = connection.close().await;
    assert_eq!((info.code, info.by_csms), (Some(1000), false));
    assert_eq!(
        connection.call("Heartbeat", json!({})).await,
        Err(CallFailure::Closed)
    );
}

#[tokio::test]
#[allow(
    clippy::result_large_err,
    reason = "tungstenite's handshake callback returns an http::Response"
)]
async fn pings_from_the_csms_are_answered_while_the_station_is_idle() {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    use tokio_tungstenite::tungstenite::http::HeaderValue;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ocpp", listener.local_addr().unwrap());
    let csms = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let select_ocpp16 = |_: &Request, mut response: Response| {
            response.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static("ocpp1.6"),
            );
            Ok(response)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(socket, select_ocpp16)
            .await
            .unwrap();
        ws.send(Message::Ping(b"still there?".to_vec().into()))
            .await
            .unwrap();
        ws.next().await
    });
    let options = ConnectOptions::new(url, "CP1", OcppVersion::V16);
    let _connection = Connection::connect(&options, sim::connection::refuse_all())
        .await
        .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(2), csms)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&reply, Some(Ok(Message::Pong(payload))) if &payload[..] == b"still there?"),
        "{reply:?}"
    );
}
