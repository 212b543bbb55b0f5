//! `gridlet-loadgen`: drives OCPP load at a loopback server, or runs the
//! whole benchmark report (`report`).
//!
//! The scenarios live in the library (`loadgen::scenario`); this binary is
//! the command line, the raising of the descriptor limit, and the report
//! ([`report`]), which starts the servers it measures itself.

mod report;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use loadgen::client::{ClientConfig, Verify};
use loadgen::procstat::Process;
use loadgen::scenario::{self, Fleet, Outcome, Saturation, Timing, VersionMix};
use loadgen::target::Target;

/// Drive OCPP-J load at a server on this machine (loopback addresses only).
#[derive(Parser, Debug)]
#[command(name = "gridlet-loadgen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Idle stations: boot, status, a heartbeat every interval; server memory per connection.
    Idle {
        #[command(flatten)]
        fleet: FleetArgs,
        /// Heartbeat interval of every station (spread evenly).
        #[arg(long, default_value = "30s", value_parser = sim::cli::parse_duration)]
        heartbeat: Duration,
        #[command(flatten)]
        timing: TimingArgs,
    },
    /// Stations in sessions sending MeterValues every interval (open loop).
    Sustained {
        #[command(flatten)]
        fleet: FleetArgs,
        /// MeterValues interval of every station (spread evenly).
        #[arg(long, default_value = "1s", value_parser = sim::cli::parse_duration)]
        interval: Duration,
        #[command(flatten)]
        timing: TimingArgs,
    },
    /// Closed loop: each connection sends its next message as soon as the last is answered.
    Saturate {
        /// What to send.
        #[arg(value_enum)]
        kind: SaturationArg,
        #[command(flatten)]
        fleet: FleetArgs,
        #[command(flatten)]
        timing: TimingArgs,
    },
    /// Every station connects and boots at once; time until every boot is answered.
    Storm {
        #[command(flatten)]
        fleet: FleetArgs,
        /// How long the storm may take.
        #[arg(long, default_value = "120s", value_parser = sim::cli::parse_duration)]
        storm_timeout: Duration,
    },
    /// Registers stations PREFIX00000… and their tokens in a new Gridlet data directory (server stopped).
    Prepare {
        /// The data directory.
        #[arg(long)]
        data_dir: std::path::PathBuf,
        /// How many stations.
        #[arg(long, default_value_t = 10_000)]
        stations: usize,
        /// Station id prefix.
        #[arg(long, default_value = "LG-")]
        prefix: String,
        /// The password of every station (16 to 40 printable ASCII characters); none if not given.
        #[arg(long, env = "GRIDLET_LOADGEN_PASSWORD")]
        password: Option<String>,
    },
    /// Runs every scenario against Gridlet and the Python baseline and prints BENCHMARKS.md's tables.
    Report(report::ReportArgs),
}

/// Which stations connect, and how.
#[derive(Args, Debug, Clone)]
struct FleetArgs {
    /// The OCPP endpoint, stations append `/{id}` (loopback only), e.g. ws://127.0.0.1:9410/ocpp.
    #[arg(long, env = "GRIDLET_LOADGEN_URL")]
    url: String,
    /// How many stations (connections).
    #[arg(long, alias = "connections", default_value_t = 100)]
    stations: usize,
    /// Station ids are PREFIX + a five-digit number; each charges with the token of the same name.
    #[arg(long, default_value = "LG-")]
    prefix: String,
    /// The number of the first station.
    #[arg(long, default_value_t = 0)]
    first: usize,
    /// OCPP version of the stations.
    #[arg(long, value_enum, default_value = "1.6")]
    ocpp: VersionArg,
    /// HTTP Basic password of every station.
    #[arg(long, env = "GRIDLET_LOADGEN_PASSWORD")]
    password: Option<String>,
    /// Spread connections over this many loopback source addresses (127.0.0.1, .2, …).
    #[arg(long, default_value_t = 8)]
    sources: u8,
    /// Stations connecting at once during setup.
    #[arg(long, default_value_t = 256)]
    connect_concurrency: usize,
    /// How long a connection or an answer may take.
    #[arg(long, default_value = "30s", value_parser = sim::cli::parse_duration)]
    timeout: Duration,
    /// How answers are checked: ids (type and id only), sample (also every 64th in full), all.
    #[arg(long, value_enum, default_value = "sample")]
    verify: VerifyArg,
    /// The server's pid, to report its CPU time and memory.
    #[arg(long)]
    server_pid: Option<u32>,
}

#[derive(Args, Debug, Clone)]
struct TimingArgs {
    /// The measured window.
    #[arg(long, default_value = "10s", value_parser = sim::cli::parse_duration)]
    window: Duration,
    /// Running before the window opens.
    #[arg(long, default_value = "2s", value_parser = sim::cli::parse_duration)]
    warmup: Duration,
    /// How long setup (connect, boot, start sessions) may take.
    #[arg(long, default_value = "300s", value_parser = sim::cli::parse_duration)]
    setup_timeout: Duration,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum VersionArg {
    #[value(name = "1.6")]
    V16,
    #[value(name = "2.0.1")]
    V201,
    #[value(name = "mix")]
    Mix,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum VerifyArg {
    Ids,
    Sample,
    All,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum SaturationArg {
    Heartbeat,
    MeterValues,
}

impl FleetArgs {
    fn fleet(&self) -> anyhow::Result<Fleet> {
        let target = Target::parse(&self.url)?;
        Ok(Fleet {
            target,
            prefix: self.prefix.clone(),
            first: self.first,
            count: self.stations,
            versions: match self.ocpp {
                VersionArg::V16 => VersionMix::V16,
                VersionArg::V201 => VersionMix::V201,
                VersionArg::Mix => VersionMix::Mix,
            },
            password: self.password.clone(),
            sources: self.sources,
            client: ClientConfig {
                timeout: self.timeout,
                verify: match self.verify {
                    VerifyArg::Ids => Verify::Ids,
                    VerifyArg::Sample => Verify::Sample(64),
                    VerifyArg::All => Verify::All,
                },
                ..ClientConfig::default()
            },
            connect_concurrency: self.connect_concurrency,
        })
    }

    fn server(&self) -> Option<Process> {
        self.server_pid.map(Process::Pid)
    }
}

impl TimingArgs {
    fn timing(&self) -> Timing {
        Timing { setup: self.setup_timeout, warmup: self.warmup, window: self.window, teardown: Duration::from_secs(60) }
    }
}

/// Raises the soft limit on open files to the hard limit: each station is
/// a socket, and the default soft limit is often 1024.
pub fn raise_fd_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gridlet-loadgen: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            eprintln!("gridlet-loadgen: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; `Ok(false)` when the run had errors.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    let limit = raise_fd_limit();
    let outcome: Outcome = match cli.command {
        Command::Report(args) => return report::run(args).await,
        Command::Prepare { data_dir, stations, prefix, password } => {
            report::prepare(&data_dir, &prefix, stations, password.as_deref()).await?;
            println!("registered {stations} stations {prefix}00000… and their tokens in {}", data_dir.display());
            return Ok(true);
        }
        Command::Idle { fleet, heartbeat, timing } => {
            check_fds(fleet.stations, limit);
            scenario::idle(&fleet.fleet()?, heartbeat, timing.timing(), fleet.server()).await?
        }
        Command::Sustained { fleet, interval, timing } => {
            check_fds(fleet.stations, limit);
            scenario::sustained(&fleet.fleet()?, interval, timing.timing(), fleet.server()).await?
        }
        Command::Saturate { kind, fleet, timing } => {
            check_fds(fleet.stations, limit);
            let kind = match kind {
                SaturationArg::Heartbeat => Saturation::Heartbeat,
                SaturationArg::MeterValues => Saturation::MeterValues,
            };
            scenario::saturate(&fleet.fleet()?, kind, timing.timing(), fleet.server()).await?
        }
        Command::Storm { fleet, storm_timeout } => {
            check_fds(fleet.stations, limit);
            scenario::storm(&fleet.fleet()?, storm_timeout, fleet.server()).await.context("storm")?
        }
    };
    print!("{}", outcome.describe());
    Ok(outcome.summary.error_count_total() == 0 && outcome.ready == outcome.stations && outcome.lost == 0)
}

fn check_fds(stations: usize, limit: u64) {
    if limit > 0 && stations as u64 + 64 > limit {
        eprintln!("gridlet-loadgen: warning: {stations} stations need more descriptors than the limit of {limit}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
