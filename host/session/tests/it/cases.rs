//! Data-driven session tests: each file in `tests/cases/v16/` and
//! `tests/cases/v201/` is one station's session, run against a fresh
//! [`MemoryStorage`] with a fixed clock.
//!
//! A case file is lines:
//!
//! - `# …`: a comment; blank lines are kept as they are.
//! - `station <id> <Accepted|Pending|Rejected>`: the station the session is
//!   for, registered with that decision before the first frame (once, first).
//! - `token <value> <Accepted|Blocked>`: an ID token the operator registered.
//! - `connect`, `disconnect <reason>`: the connection opens or closes
//!   (what the transport reports; its changes follow as `+` lines).
//! - `at <RFC 3339 time>`: the clock for the next frame (it starts at
//!   2026-03-01T10:00:00.000Z and moves on one second after every frame).
//! - `> <frame>`: a frame the station sends.
//!
//! After each `>` line come what it produced, written by the test:
//!
//! - `< <frame>`: a frame Gridlet sends back (its answer, then any message
//!   it pushes), exact JSON;
//! - `+ <change>`: one `Debug` line per `domain::Change` of the change sets
//!   it stored, in order (times written in RFC 3339).
//!
//! Every action a station may send (`ocpp::actions`) must be sent by some
//! case of its version.
//!
//! When behaviour changes on purpose, run with `UPDATE_EXPECT=1` to rewrite
//! the `<` and `+` lines with what the session does now, and review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use domain::{Change, ChangeSet, IdTokenRecord, Registration, Station, StationId, Storage, Timestamp, TokenStatus};
use memory_store::MemoryStorage;
use ocpp::OcppVersion;
use session::{Csms, Settings, StationSession};

/// Where the clock starts: 2026-03-01T10:00:00.000Z.
const START: Timestamp = Timestamp::from_unix_millis(1_772_359_200_000);

/// How far the clock moves after each frame.
const STEP_MS: i64 = 1_000;

#[tokio::test]
async fn v16_cases() {
    run_dir("v16", OcppVersion::V16).await;
}

#[tokio::test]
async fn v201_cases() {
    run_dir("v201", OcppVersion::V201).await;
}

/// Runs every case of a version's directory; fails listing the cases whose
/// output differs (or rewrites them under `UPDATE_EXPECT=1`).
async fn run_dir(dir: &str, version: OcppVersion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no cases in {}", dir.display());
    let sent: Vec<String> = files.iter().flat_map(|file| actions_sent(&std::fs::read_to_string(file).unwrap())).collect();
    let uncovered: Vec<&str> = ocpp::actions(version)
        .iter()
        .filter(|action| action.direction.sent_by_station() && !sent.iter().any(|name| name == action.name))
        .map(|action| action.name)
        .collect();
    assert!(uncovered.is_empty(), "no case in {} sends {uncovered:?}", dir.display());
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut failed = Vec::new();
    for file in &files {
        let expected = std::fs::read_to_string(file).unwrap();
        let actual = run_case(&expected, version).await.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if actual == expected {
            continue;
        }
        if update {
            std::fs::write(file, &actual).unwrap();
        } else {
            failed.push(format!("{}:\n{}", file.display(), first_difference(&expected, &actual)));
        }
    }
    assert!(failed.is_empty(), "{} case(s) differ (UPDATE_EXPECT=1 rewrites them):\n\n{}", failed.len(), failed.join("\n\n"));
}

/// The case file as it should read: its own lines, with the output of each
/// frame after it.
async fn run_case(text: &str, version: OcppVersion) -> Result<String, String> {
    let storage = Arc::new(MemoryStorage::new());
    let csms = Arc::new(Csms::new(storage.clone(), Settings::default()));
    let mut session: Option<StationSession> = None;
    let mut now = START;
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        let at_line = |e: String| format!("line {}: {e}", n + 1);
        if line.starts_with("< ") || line.starts_with("+ ") {
            continue; // output, written again below
        }
        writeln!(out, "{line}").unwrap();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "" | "#" => {}
            "station" => {
                let (id, registration) = rest.split_once(' ').ok_or_else(|| at_line("station <id> <registration>".into()))?;
                let id = StationId::parse(id).map_err(|e| at_line(e.to_string()))?;
                let registration = Registration::parse(registration).ok_or_else(|| at_line("unknown registration".into()))?;
                let mut station = Station::registered(id.clone(), None, now);
                station.registration = registration;
                storage.apply(Change::PutStation(station).into()).map_err(|e| at_line(e.to_string()))?;
                session = Some(StationSession::new(csms.clone(), id, version, registration));
            }
            "token" => {
                let (value, status) = rest.split_once(' ').ok_or_else(|| at_line("token <value> <status>".into()))?;
                let mut token = IdTokenRecord::accepted(value).map_err(|e| at_line(e.to_string()))?;
                token.status = match status {
                    "Accepted" => TokenStatus::Accepted,
                    "Blocked" => TokenStatus::Blocked,
                    _ => return Err(at_line("unknown token status".into())),
                };
                storage.apply(Change::PutIdToken(token).into()).map_err(|e| at_line(e.to_string()))?;
            }
            "at" => {
                now = Timestamp::from_unix_millis(ocpp::parse_rfc3339_millis(rest).ok_or_else(|| at_line("bad time".into()))?);
            }
            "connect" | "disconnect" => {
                let session = session.as_mut().ok_or_else(|| at_line("`connect` before `station`".into()))?;
                storage.take_applied();
                let done = match word {
                    "connect" => session.connected(now).await,
                    _ => session.disconnected(rest, now).await,
                };
                done.map_err(|e| at_line(e.to_string()))?;
                write_changes(&mut out, &storage);
                now = now.add_millis(STEP_MS);
            }
            ">" => {
                let session = session.as_mut().ok_or_else(|| at_line("a frame before `station`".into()))?;
                storage.take_applied(); // the setup is not part of the output
                let reaction = session.handle_text(rest, now).await;
                let mut frames: Vec<String> = reaction.reply.into_iter().collect();
                while session.push_pending() {
                    match session.next_push(now).await {
                        Some(frame) => frames.push(frame),
                        None => break,
                    }
                }
                for frame in frames {
                    writeln!(out, "< {frame}").unwrap();
                }
                write_changes(&mut out, &storage);
                now = now.add_millis(STEP_MS);
            }
            _ => return Err(at_line(format!("unknown line {line:?}"))),
        }
    }
    Ok(out)
}

/// Writes a `+` line for every change stored since the last look.
fn write_changes(out: &mut String, storage: &MemoryStorage) {
    for change in storage.take_applied().into_iter().flat_map(|set: ChangeSet| set.changes) {
        writeln!(out, "+ {}", readable_times(&format!("{change:?}"))).unwrap();
    }
}

/// The actions of the CALLs a case's station sends.
fn actions_sent(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("> "))
        .filter_map(|frame| serde_json::from_str::<serde_json::Value>(frame).ok())
        .filter(|frame| frame[0] == 2)
        .filter_map(|frame| frame[2].as_str().map(str::to_owned))
        .collect()
}

/// `Debug` output with every `Timestamp(<unix ms>)` written as
/// `Timestamp(<RFC 3339>)`, so a case reads like the frames it holds.
fn readable_times(debug: &str) -> String {
    const OPEN: &str = "Timestamp(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(OPEN) {
        let (before, after) = rest.split_at(at + OPEN.len());
        out.push_str(before);
        let digits = after.find(|c: char| !c.is_ascii_digit() && c != '-').unwrap_or(after.len());
        match after[..digits].parse::<i64>() {
            Ok(millis) => out.push_str(&ocpp::format_rfc3339_millis(millis)),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The first line where `expected` and `actual` differ, both ways.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for n in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => continue,
            (e, a) => {
                return format!("  line {n}\n  expected: {}\n  actual:   {}", e.unwrap_or("(end)"), a.unwrap_or("(end)"));
            }
        }
    }
    String::new()
}
