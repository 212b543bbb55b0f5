//! `gridlet sim …` end to end against the responder.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser as _;
use serde_json::json;
use sim::cli::{SimArgs, run_with_output};

use crate::csms::{Answer, Behaviour, CURRENT_TIME, Csms};

fn args(csms: &Csms, extra: &[&str]) -> SimArgs {
    let mut line = vec![
        "gridlet sim",
        "--url",
        csms.url.as_str(),
        "--station",
        "CP1",
        "--timeout",
        "5s",
    ];
    line.extend_from_slice(extra);
    SimArgs::try_parse_from(line).unwrap()
}

/// Runs `gridlet sim` and returns its outcome and what it printed.
async fn run(args: SimArgs) -> (anyhow::Result<()>, String) {
    let printed = Arc::new(Mutex::new(Vec::new()));
    // Spawned: the whole run must be Send, as the load generator needs.
    let outcome = tokio::spawn(run_with_output(args, printed.clone()))
        .await
        .unwrap();
    let printed = String::from_utf8(printed.lock().unwrap().clone()).unwrap();
    (outcome, printed)
}

#[tokio::test]
async fn a_session_runs_against_a_csms() {
    for (version, expected) in [
        (
            "1.6",
            vec![
                "BootNotification",
                "StatusNotification",
                "StatusNotification",
                "Authorize",
                "StartTransaction",
                "StatusNotification",
                "MeterValues",
                "MeterValues",
                "StopTransaction",
                "StatusNotification",
                "StatusNotification",
            ],
        ),
        (
            "2.0.1",
            vec![
                "BootNotification",
                "StatusNotification",
                "StatusNotification",
                "Authorize",
                "TransactionEvent",
                "TransactionEvent",
                "TransactionEvent",
                "TransactionEvent",
                "StatusNotification",
            ],
        ),
    ] {
        let csms = Csms::with_defaults().await;
        let args = args(
            &csms,
            &[
                "--ocpp",
                version,
                "session",
                "--meter-values",
                "2",
                "--interval",
                "10ms",
            ],
        );
        let (outcome, printed) = run(args).await;
        outcome.unwrap();
        assert_eq!(csms.actions(), expected, "{version}");
        assert_eq!(csms.violations(), Vec::<String>::new());
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(
            lines
                .iter()
                .filter(|line| line.starts_with("→ [2,"))
                .count(),
            expected.len(),
            "{printed}"
        );
        assert_eq!(
            lines
                .iter()
                .filter(|line| line.starts_with("← [3,"))
                .count(),
            expected.len(),
            "{printed}"
        );
        assert!(
            lines.contains(&"boot: Accepted (interval 300 s)"),
            "{printed}"
        );
        assert_eq!(lines.last(), Some(&"session complete"), "{printed}");
    }
}

#[tokio::test]
async fn a_wrong_password_fails_with_the_http_status() {
    let csms = Csms::start(Behaviour {
        password: Some("right".to_owned()),
        ..Behaviour::default()
    })
    .await;
    let (outcome, printed) = run(args(&csms, &["--password", "wrong", "idle"])).await;
    let error = outcome.unwrap_err();
    assert_eq!(printed, "");
    let message = format!("{error:#}");
    assert!(
        message.starts_with(&format!("connecting to {}/CP1: ", csms.url)),
        "{message}"
    );
    assert!(message.ends_with("http status 401"), "{message}");
}

#[tokio::test]
async fn a_rejected_token_ends_the_session_clearly() {
    let behaviour = Behaviour {
        answers: [(
            "Authorize",
            Answer::Result(json!({"idTagInfo": {"status": "Blocked"}})),
        )]
        .into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let (outcome, printed) = run(args(&csms, &["--quiet", "session", "--token", "BAD"])).await;
    let error = outcome.unwrap_err();
    assert!(printed.ends_with("authorize BAD: Blocked\n"), "{printed}");
    assert!(
        !printed.contains('→'),
        "--quiet prints no frames: {printed}"
    );
    assert_eq!(
        error.to_string(),
        r#"the csms did not accept token "BAD": Blocked"#
    );
    assert!(!csms.actions().contains(&"StartTransaction".to_owned()));
}

#[tokio::test]
async fn boot_is_retried_then_given_up() {
    let pending = json!({"status": "Pending", "currentTime": CURRENT_TIME, "interval": 1});
    let behaviour = Behaviour {
        answers: [("BootNotification", Answer::Result(pending))].into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let error = run(args(&csms, &["--quiet", "--boot-attempts", "2", "idle"]))
        .await
        .0
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the csms did not accept the station after 2 boot notification(s)"
    );
    assert_eq!(csms.actions(), ["BootNotification", "BootNotification"]);
}

#[tokio::test]
async fn idle_heartbeats_at_the_interval_the_csms_gives_until_the_duration_ends() {
    let boot = json!({"status": "Accepted", "currentTime": CURRENT_TIME, "interval": 1});
    let behaviour = Behaviour {
        answers: [("BootNotification", Answer::Result(boot))].into(),
        ..Behaviour::default()
    };
    let csms = Csms::start(behaviour).await;
    let started = tokio::time::Instant::now();
    let (outcome, printed) = run(args(
        &csms,
        &[
            "--quiet",
            "--connectors",
            "2",
            "idle",
            "--duration",
            "2500ms",
        ],
    ))
    .await;
    outcome.unwrap();
    assert!(printed.ends_with("idle time is up\n"), "{printed}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(2500) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    assert_eq!(
        csms.actions(),
        [
            "BootNotification",
            "StatusNotification",
            "StatusNotification",
            "Heartbeat",
            "Heartbeat"
        ]
    );
}
