//! `gridlet sim …`: the simulator on the command line, against any CSMS.
//!
//! [`SimArgs`] is a clap parser the `gridlet` binary embeds as its `sim`
//! subcommand; [`run`] carries it out. Every frame is printed as it goes
//! (`→` sent, `←` received) unless `--quiet`, and each step's outcome on
//! its own line. Every wait is bounded: each answer by `--timeout`, the
//! boot retries by `--boot-attempts`, `idle` by `--duration` or Ctrl-C.
//!
//! While idle, the station acts on the remote starts and stops it accepts,
//! as a real one does: it starts a transaction (2.0.1: with the request's
//! `remoteStartId`, trigger `RemoteStart`) and stops it with reason `Remote`.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, bail};
use ocpp::OcppVersion;

use crate::connection::{WireEvent, WireTap};
use crate::state::{ConnectorStatus, StartOptions, StopReason, TransactionId};
use crate::station::{Station, StationConfig};

/// Simulate an OCPP charging station against a CSMS.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "gridlet sim")]
pub struct SimArgs {
    /// The CSMS's OCPP endpoint without the station id, e.g. ws://127.0.0.1:9000/ocpp
    #[arg(long, env = "GRIDLET_SIM_URL")]
    pub url: String,

    /// The station's identity; appended to the URL (percent-encoded) and
    /// used as the Basic auth user name.
    #[arg(long)]
    pub station: String,

    /// The security profile 1 password (HTTP Basic auth); none by default.
    #[arg(long, env = "GRIDLET_SIM_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// The OCPP version to speak: 1.6 or 2.0.1.
    #[arg(long = "ocpp", value_name = "VERSION", default_value = "1.6", value_parser = parse_version)]
    pub version: OcppVersion,

    /// How long the handshake and each answer may take (e.g. 500ms, 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// How many connectors (2.0.1: EVSEs) the station has.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub connectors: u32,

    /// How many BootNotifications to send while the CSMS answers Pending or Rejected.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub boot_attempts: u32,

    /// Print only the outcome of each step, not the frames.
    #[arg(long, short)]
    pub quiet: bool,

    /// What the station does once connected.
    #[command(subcommand)]
    pub command: SimCommand,
}

/// What the simulated station does.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Boot, then one charging session: status, authorize, start, meter
    /// values, stop, status.
    Session(SessionArgs),
    /// Boot, report the connectors Available, then send heartbeats and
    /// answer the CSMS's commands until Ctrl-C or --duration.
    Idle(IdleArgs),
}

/// Options of `gridlet sim session`.
#[derive(Clone, Debug, clap::Args)]
pub struct SessionArgs {
    /// The connector (2.0.1: EVSE) to charge on.
    #[arg(long, default_value_t = 1)]
    pub connector: u32,

    /// The ID token to authorize and start with.
    #[arg(long, default_value = "SIM-TOKEN")]
    pub token: String,

    /// How many meter values to send during the transaction.
    #[arg(long, default_value_t = 3)]
    pub meter_values: u32,

    /// The time between meter values (e.g. 500ms, 10s).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub interval: Duration,

    /// The charging power, in W.
    #[arg(long, value_name = "WATTS", default_value_t = 11_000)]
    pub power: u32,

    /// Why the transaction stops (Local, Remote, EVDisconnected, …).
    #[arg(long, default_value = "Local")]
    pub stop_reason: StopReason,

    /// Go on charging even if the CSMS does not accept the token.
    #[arg(long)]
    pub ignore_authorization: bool,
}

/// Options of `gridlet sim idle`.
#[derive(Clone, Debug, clap::Args)]
pub struct IdleArgs {
    /// Stop after this long (e.g. 90s, 10m); until Ctrl-C if not given.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
}

/// Reads an OCPP version as `gridlet sim --ocpp` takes it.
fn parse_version(text: &str) -> Result<OcppVersion, String> {
    match text {
        "1.6" | "1.6J" | "ocpp1.6" => Ok(OcppVersion::V16),
        "2.0.1" | "ocpp2.0.1" => Ok(OcppVersion::V201),
        other => Err(format!(
            "{other:?} is not a supported OCPP version; use 1.6 or 2.0.1"
        )),
    }
}

/// Reads a duration: a whole number with `ms`, `s`, `m` or `h`; a bare
/// number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; write e.g. 500ms, 30s, 2m or 1h"))?;
    let millis = match unit.trim() {
        "ms" => Some(amount),
        "" | "s" => amount.checked_mul(1_000),
        "m" => amount.checked_mul(60_000),
        "h" => amount.checked_mul(3_600_000),
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}; use ms, s, m or h"
            ));
        }
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Where `gridlet sim` writes what it does.
pub type Output = Arc<Mutex<dyn Write + Send>>;

/// Carries out `gridlet sim …`, writing to stdout: connects, boots, runs
/// the subcommand and closes the connection. Ctrl-C stops it at any point.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    run_with_output(args, Arc::new(Mutex::new(std::io::stdout()))).await
}

/// [`run`], writing to `out`.
pub async fn run_with_output(args: SimArgs, out: Output) -> anyhow::Result<()> {
    tokio::select! {
        outcome = simulate(args, &out) => outcome,
        interrupted = tokio::signal::ctrl_c() => {
            interrupted.context("listening for Ctrl-C")?;
            say(&out, "interrupted");
            Ok(())
        }
    }
}

async fn simulate(args: SimArgs, out: &Output) -> anyhow::Result<()> {
    let mut config =
        StationConfig::new(&args.url, &args.station, args.version).call_timeout(args.timeout);
    config.connect.password = args.password.clone();
    config.connectors = args.connectors;
    if let SimCommand::Session(session) = &args.command {
        config.charging_power_w = session.power;
    }
    if !args.quiet {
        config = config.tap(printing_tap(out.clone()));
    }
    let endpoint = config.connect.endpoint();
    let mut station = Station::new(config);

    station
        .connect()
        .await
        .with_context(|| format!("connecting to {endpoint}"))?;
    say(
        out,
        &format!(
            "connected to {endpoint} as {} (OCPP {})",
            args.station, args.version
        ),
    );
    boot(&mut station, args.boot_attempts, out).await?;

    let outcome = match &args.command {
        SimCommand::Session(session) => run_session(&mut station, session, out).await,
        SimCommand::Idle(idle) => run_idle(&mut station, idle, out).await,
    };
    if let Some(connection) = station.connection() {
        connection.close().await;
    }
    outcome
}

/// Sends BootNotifications until one is accepted, waiting the interval the
/// CSMS asks for between them.
async fn boot(station: &mut Station, attempts: u32, out: &Output) -> anyhow::Result<()> {
    for attempt in 1..=attempts {
        let outcome = station.boot().await.context("boot notification")?;
        say(
            out,
            &format!(
                "boot: {} (interval {} s)",
                outcome.status, outcome.interval_s
            ),
        );
        if outcome.accepted() {
            return Ok(());
        }
        if attempt < attempts {
            let wait = u64::try_from(outcome.interval_s)
                .ok()
                .filter(|s| *s > 0)
                .unwrap_or(10);
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
    }
    bail!("the csms did not accept the station after {attempts} boot notification(s)")
}

async fn run_session(
    station: &mut Station,
    args: &SessionArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let connector = args.connector;
    let version = station.version();
    report_status(station, connector, ConnectorStatus::Available).await?;
    report_status(station, connector, ConnectorStatus::Preparing).await?;

    let authorization = station.authorize(&args.token).await.context("authorize")?;
    say(out, &format!("authorize {}: {authorization}", args.token));
    if authorization != "Accepted" && !args.ignore_authorization {
        report_status(station, connector, ConnectorStatus::Available).await?;
        bail!(
            "the csms did not accept token {:?}: {authorization}",
            args.token
        );
    }

    let transaction = station
        .start_transaction(connector, &args.token)
        .await
        .context("start transaction")?;
    let started = station.transaction(transaction);
    let id = started
        .as_ref()
        .and_then(|t| t.id.as_ref())
        .map_or_else(|| "?".to_owned(), ToString::to_string);
    let status = started
        .and_then(|t| t.authorization)
        .unwrap_or_else(|| "-".to_owned());
    say(
        out,
        &format!("transaction {id} started on connector {connector} (authorization: {status})"),
    );
    if version == OcppVersion::V16 {
        report_status(station, connector, ConnectorStatus::Charging).await?;
    }

    for sample in 1..=args.meter_values {
        tokio::time::sleep(args.interval).await;
        station
            .meter_values(transaction)
            .await
            .context("meter values")?;
        let energy = station.state().energy_wh(connector).unwrap_or_default();
        say(
            out,
            &format!("meter values {sample}/{}: {energy} Wh", args.meter_values),
        );
    }

    let start_wh = station
        .transaction(transaction)
        .map(|t| t.meter_start_wh)
        .unwrap_or_default();
    station
        .stop_transaction(transaction, args.stop_reason)
        .await
        .context("stop transaction")?;
    let end_wh = station.state().energy_wh(connector).unwrap_or_default();
    say(
        out,
        &format!(
            "transaction {id} stopped ({}): {} Wh delivered",
            args.stop_reason.as_str(version),
            end_wh.saturating_sub(start_wh)
        ),
    );
    if version == OcppVersion::V16 {
        report_status(station, connector, ConnectorStatus::Finishing).await?;
    }
    report_status(station, connector, ConnectorStatus::Available).await?;
    say(out, "session complete");
    Ok(())
}

async fn run_idle(station: &mut Station, args: &IdleArgs, out: &Output) -> anyhow::Result<()> {
    let connectors: Vec<u32> = station
        .state()
        .connectors()
        .iter()
        .map(|slot| slot.id)
        .collect();
    for connector in connectors {
        report_status(station, connector, ConnectorStatus::Available).await?;
    }
    let until = args
        .duration
        .map(|duration| tokio::time::Instant::now() + duration);
    let commands = station.state().received_notify.clone();
    let mut next_heartbeat = tokio::time::Instant::now()
        + Duration::from_secs(station.state().heartbeat_interval_s().max(1));
    loop {
        let wake = until.map_or(next_heartbeat, |until| next_heartbeat.min(until));
        let command_arrived = commands.notified();
        tokio::pin!(command_arrived);
        command_arrived.as_mut().enable();
        act_on_remote_commands(station, out).await?;
        let closed = async {
            match station.connection() {
                Some(connection) => connection.closed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            info = closed => bail!(
                "the csms closed the connection (code {}, reason {:?})",
                info.code.map_or_else(|| "none".to_owned(), |code| code.to_string()),
                info.reason
            ),
            () = tokio::time::sleep_until(wake) => {}
            () = &mut command_arrived => continue,
        }
        if until.is_some_and(|until| tokio::time::Instant::now() >= until) {
            say(out, "idle time is up");
            return Ok(());
        }
        let time = station.heartbeat().await.context("heartbeat")?;
        say(out, &format!("heartbeat: csms time {time}"));
        next_heartbeat = tokio::time::Instant::now()
            + Duration::from_secs(station.state().heartbeat_interval_s().max(1));
    }
}

/// Starts the transactions remote starts asked for and stops those remote
/// stops named, as a station does after accepting them.
async fn act_on_remote_commands(station: &mut Station, out: &Output) -> anyhow::Result<()> {
    loop {
        let start = {
            let mut state = station.state();
            state
                .take_command("RemoteStartTransaction")
                .or_else(|| state.take_command("RequestStartTransaction"))
        };
        if let Some(start) = start {
            let payload = &start.payload;
            let token = payload
                .get("idTag")
                .or_else(|| payload.pointer("/idToken/idToken"))
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned();
            let asked = payload
                .get("connectorId")
                .or_else(|| payload.get("evseId"))
                .and_then(|c| c.as_u64())
                .and_then(|c| u32::try_from(c).ok());
            // The command handler accepted only if a connector was free.
            let free = station
                .state()
                .connectors()
                .iter()
                .find(|slot| {
                    slot.operative
                        && slot.transaction.is_none()
                        && asked.is_none_or(|id| id == slot.id)
                })
                .map(|slot| slot.id);
            let Some(connector) = free else { continue };
            let options = StartOptions {
                remote_start_id: payload.get("remoteStartId").and_then(|id| id.as_i64()),
                reservation_id: None,
            };
            let handle = station
                .start_transaction_with(connector, &token, options)
                .await
                .context("remote start")?;
            report_status(station, connector, ConnectorStatus::Charging).await?;
            let id = station.transaction(handle).and_then(|tx| tx.id);
            say(
                out,
                &format!(
                    "remote start: transaction {} on connector {connector} for {token}",
                    id.map_or_else(|| "?".to_owned(), |id| id.to_string())
                ),
            );
            continue;
        }
        let stop = {
            let mut state = station.state();
            state
                .take_command("RemoteStopTransaction")
                .or_else(|| state.take_command("RequestStopTransaction"))
        };
        let Some(stop) = stop else { return Ok(()) };
        let id = match stop.payload.get("transactionId") {
            Some(serde_json::Value::Number(n)) => n.as_i64().map(TransactionId::Csms),
            Some(serde_json::Value::String(s)) => Some(TransactionId::Station(s.clone())),
            _ => None,
        };
        let running = id.and_then(|id| {
            station
                .state()
                .transaction_by_id(&id)
                .map(|tx| (tx.handle, tx.connector))
        });
        let Some((handle, connector)) = running else {
            continue;
        };
        station
            .stop_transaction(handle, StopReason::Remote)
            .await
            .context("remote stop")?;
        report_status(station, connector, ConnectorStatus::Available).await?;
        say(
            out,
            &format!("remote stop: transaction on connector {connector} stopped"),
        );
    }
}

/// Sends a StatusNotification, saying which one failed if it does.
async fn report_status(
    station: &mut Station,
    connector: u32,
    status: ConnectorStatus,
) -> anyhow::Result<()> {
    let name = status.as_str(station.version());
    station
        .status(connector, status)
        .await
        .with_context(|| format!("status notification ({name}, connector {connector})"))
}

/// Prints each frame: `→` sent, `←` received, `!` a problem.
fn printing_tap(out: Output) -> WireTap {
    Arc::new(move |event: WireEvent<'_>| match event {
        WireEvent::Sent(text) => say(&out, &format!("→ {text}")),
        WireEvent::Received(text) => say(&out, &format!("← {text}")),
        WireEvent::Problem(text) => say(&out, &format!("! {text}")),
    })
}

/// Writes one line; a closed output (say, a pipe to `head`) is not an error.
fn say(out: &Output, line: &str) {
    let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in [
            "",
            "s",
            "1.5s",
            "10 parsecs",
            "-1s",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_session_command_line_parses() {
        let args = SimArgs::try_parse_from([
            "gridlet sim",
            "--url",
            "ws://127.0.0.1:9000/ocpp",
            "--station",
            "CP 1",
            "--password",
            "pw",
            "--ocpp",
            "2.0.1",
            "--timeout",
            "5s",
            "session",
            "--token",
            "ABC",
            "--meter-values",
            "2",
            "--interval",
            "250ms",
            "--stop-reason",
            "EVDisconnected",
        ])
        .unwrap();
        assert_eq!(args.url, "ws://127.0.0.1:9000/ocpp");
        assert_eq!(args.station, "CP 1");
        assert_eq!(args.password.as_deref(), Some("pw"));
        assert_eq!(args.version, OcppVersion::V201);
        assert_eq!(args.timeout, Duration::from_secs(5));
        let SimCommand::Session(session) = args.command else {
            panic!("not a session")
        };
        assert_eq!(session.token, "ABC");
        assert_eq!(session.meter_values, 2);
        assert_eq!(session.interval, Duration::from_millis(250));
        assert_eq!(session.stop_reason, StopReason::EvDisconnected);
        assert_eq!(session.connector, 1);
    }

    #[test]
    fn idle_defaults_to_1_6_and_no_end() {
        let args = SimArgs::try_parse_from([
            "gridlet sim",
            "--url",
            "ws://h/ocpp",
            "--station",
            "CP1",
            "idle",
        ])
        .unwrap();
        assert_eq!(args.version, OcppVersion::V16);
        assert!(args.password.is_none());
        let SimCommand::Idle(idle) = args.command else {
            panic!("not idle")
        };
        assert_eq!(idle.duration, None);
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for line in [
            vec![
                "gridlet sim",
                "--url",
                "ws://h",
                "--station",
                "CP1",
                "--ocpp",
                "2.1",
                "idle",
            ],
            vec!["gridlet sim", "--url", "ws://h", "--station", "CP1"],
            vec!["gridlet sim", "--station", "CP1", "idle"],
            vec![
                "gridlet sim",
                "--url",
                "ws://h",
                "--station",
                "CP1",
                "session",
                "--stop-reason",
                "Bored",
            ],
            vec![
                "gridlet sim",
                "--url",
                "ws://h",
                "--station",
                "CP1",
                "--connectors",
                "0",
                "idle",
            ],
            vec![
                "gridlet sim",
                "--url",
                "ws://h",
                "--station",
                "CP1",
                "idle",
                "--duration",
                "soon",
            ],
        ] {
            assert!(SimArgs::try_parse_from(&line).is_err(), "{line:?}");
        }
    }
}
