//! `gridlet-loadgen report`: every scenario, several times, against servers
//! it starts itself, then the tables of `BENCHMARKS.md` (medians over the
//! runs, with the range).
//!
//! One run is:
//!
//! 1. **idle** — a fresh Gridlet with stations registered *without* a
//!    password (and `auth.allow_stations_without_password`), so the memory
//!    measured is the connections' and not Argon2's (see below): as many
//!    stations as the descriptor limit allows connect, boot and heartbeat;
//!    RSS per connection = (RSS at the end − RSS before any station) / N.
//! 2. a fresh Gridlet with Gridlet's defaults and stations with passwords:
//!    **storm, cold** (every station's first connection since the start: one
//!    Argon2id verification each), **storm, warm** (the same again, as after
//!    a network blip), **sustained**, **saturate heartbeat**, **saturate
//!    meter-values**.
//! 3. the **Python baseline** under the same closed loops.
//!
//! Then `cargo bench -p plugin-host --bench tariff_calls` once, its output
//! included as it prints it.

mod servers;
mod tables;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use loadgen::client::{ClientConfig, Verify};
use loadgen::procstat::Process;
use loadgen::scenario::{self, Fleet, Outcome, Saturation, Timing, VersionMix};
use loadgen::target::Target;

use servers::ServerProcess;
pub use tables::Machine;

/// The password every benchmark station has (Argon2id-hashed in the store).
const PASSWORD: &str = "loadgen-benchmark-password";

/// The report's options.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// Runs of every scenario (figures are medians over them).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Stations in the storm and sustained scenarios.
    #[arg(long, default_value_t = 10_000)]
    stations: usize,
    /// Idle stations; 0 = as many as the descriptor limit allows (leaving 300 spare).
    #[arg(long, default_value_t = 0)]
    idle_stations: usize,
    /// Connections of the closed loops (more only add contention: one
    /// message in flight per connection already keeps both cores busy).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// The measured window of the sustained and closed-loop scenarios.
    #[arg(long, default_value = "20s", value_parser = sim::cli::parse_duration)]
    window: Duration,
    /// The idle window (every station heartbeats once in it).
    #[arg(long, default_value = "30s", value_parser = sim::cli::parse_duration)]
    idle_window: Duration,
    /// OCPP versions of the stations.
    #[arg(long, value_enum, default_value = "mix")]
    ocpp: crate::VersionArg,
    /// Skip the Python baseline.
    #[arg(long)]
    no_python: bool,
    /// Skip the plugin benchmark.
    #[arg(long)]
    no_plugins: bool,
    /// A small, quick report (500 stations, 3 s windows, one run) to try the tooling.
    #[arg(long)]
    quick: bool,
    /// Also write the Markdown to this file.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// One run's outcomes.
#[derive(Debug, Default, Clone)]
pub struct Run {
    /// Load average (1 min) when the run began: other work on the machine.
    pub loadavg_before: f64,
    /// Idle stations on a password-less fleet.
    pub idle: Option<Outcome>,
    /// Reconnect storm, first connections after a restart.
    pub storm_cold: Option<Outcome>,
    /// Reconnect storm, passwords remembered.
    pub storm_warm: Option<Outcome>,
    /// Sessions with meter values every second.
    pub sustained: Option<Outcome>,
    /// Closed loop of heartbeats.
    pub saturate_heartbeat: Option<Outcome>,
    /// Closed loop of meter values.
    pub saturate_meter: Option<Outcome>,
    /// The Python baseline's closed loop of heartbeats.
    pub python_heartbeat: Option<Outcome>,
    /// The Python baseline's closed loop of meter values.
    pub python_meter: Option<Outcome>,
    /// Gridlet's peak RSS over the run's storms, sustained and closed loops (KiB).
    pub gridlet_peak_rss_kib: u64,
}

/// Runs the report; `Ok(false)` if any run had errors.
pub async fn run(mut args: ReportArgs) -> anyhow::Result<bool> {
    if args.quick {
        args.runs = 1;
        args.stations = args.stations.min(500);
        args.idle_stations = if args.idle_stations == 0 { 1000 } else { args.idle_stations.min(1000) };
        args.connections = args.connections.min(50);
        args.window = Duration::from_secs(3);
        args.idle_window = Duration::from_secs(3);
    }
    let program = servers::gridlet_program()?;
    let fd_limit = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft).unwrap_or(1024);
    if args.idle_stations == 0 {
        args.idle_stations = usize::try_from(fd_limit.saturating_sub(300)).unwrap_or(10_000).min(scenario::MAX_STATIONS);
    }
    let python = if args.no_python { None } else { Some(servers::python_packages()?) };
    let machine = Machine::describe(fd_limit);
    eprintln!("report: {} runs on {}", args.runs, machine.one_line());

    let mut runs = Vec::new();
    let mut clean = true;
    for number in 1..=args.runs {
        eprintln!("report: run {number} of {}", args.runs);
        let run = one_run(&args, &program, python.as_deref()).await?;
        clean &= run_is_clean(&run);
        runs.push(run);
    }
    let plugins = if args.no_plugins {
        None
    } else {
        Some(plugin_bench().await.unwrap_or_else(|error| format!("the plugin benchmark failed: {error:#}")))
    };
    let markdown = tables::render(&args_summary(&args), &machine, &runs, plugins.as_deref());
    println!("{markdown}");
    if let Some(out) = &args.out {
        std::fs::write(out, &markdown).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(clean)
}

fn args_summary(args: &ReportArgs) -> tables::Parameters {
    tables::Parameters {
        runs: args.runs,
        stations: args.stations,
        idle_stations: args.idle_stations,
        connections: args.connections,
        window: args.window,
        idle_window: args.idle_window,
        versions: version_mix(args.ocpp).as_str(),
    }
}

fn version_mix(arg: crate::VersionArg) -> VersionMix {
    match arg {
        crate::VersionArg::V16 => VersionMix::V16,
        crate::VersionArg::V201 => VersionMix::V201,
        crate::VersionArg::Mix => VersionMix::Mix,
    }
}

fn run_is_clean(run: &Run) -> bool {
    [
        &run.idle,
        &run.storm_cold,
        &run.storm_warm,
        &run.sustained,
        &run.saturate_heartbeat,
        &run.saturate_meter,
        &run.python_heartbeat,
        &run.python_meter,
    ]
    .into_iter()
    .flatten()
    .all(|o| o.summary.error_count_total() == 0 && o.ready == o.stations && o.lost == 0)
}

fn fleet(url: &str, prefix: &str, count: usize, versions: VersionMix, password: Option<&str>) -> anyhow::Result<Fleet> {
    Ok(Fleet {
        target: Target::parse(url)?,
        prefix: prefix.to_owned(),
        first: 0,
        count,
        versions,
        password: password.map(str::to_owned),
        sources: 8,
        client: ClientConfig { verify: Verify::Sample(64), ..ClientConfig::default() },
        connect_concurrency: 256,
    })
}

fn timing(warmup: Duration, window: Duration) -> Timing {
    Timing { setup: Duration::from_secs(300), warmup, window, teardown: Duration::from_secs(120) }
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

async fn one_run(args: &ReportArgs, program: &Path, python: Option<&Path>) -> anyhow::Result<Run> {
    let versions = version_mix(args.ocpp);
    let mut run = Run { loadavg_before: loadavg(), ..Run::default() };

    // 1. idle, on a password-less fleet
    let dir = tempfile::tempdir().context("temp dir")?;
    servers::preload(dir.path(), "LI-", args.idle_stations, None).await?;
    let server = ServerProcess::gridlet(program, dir.path(), &[("GRIDLET_AUTH_ALLOW_STATIONS_WITHOUT_PASSWORD", "true")]).await?;
    let pid = Some(Process::Pid(server.pid));
    let idle_fleet = fleet(&server.url(), "LI-", args.idle_stations, versions, None)?;
    let outcome = scenario::idle(&idle_fleet, Duration::from_secs(30), timing(Duration::from_secs(2), args.idle_window), pid).await?;
    eprint!("{}", outcome.describe());
    run.idle = Some(outcome);
    server.stop().await?;
    drop(dir);

    // 2. Gridlet's defaults, stations with passwords
    let dir = tempfile::tempdir().context("temp dir")?;
    servers::preload(dir.path(), "LG-", args.stations.max(args.connections), Some(PASSWORD)).await?;
    let server = ServerProcess::gridlet(program, dir.path(), &[]).await?;
    let pid = Some(Process::Pid(server.pid));
    let url = server.url();
    let mut storm_fleet = fleet(&url, "LG-", args.stations, versions, Some(PASSWORD))?;
    storm_fleet.client.timeout = Duration::from_secs(590);
    for cold in [true, false] {
        let outcome = scenario::storm(&storm_fleet, Duration::from_secs(590), pid).await?;
        eprint!("{}", outcome.describe());
        if cold {
            run.storm_cold = Some(outcome);
        } else {
            run.storm_warm = Some(outcome);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let sustained_fleet = fleet(&url, "LG-", args.stations, versions, Some(PASSWORD))?;
    let outcome = scenario::sustained(&sustained_fleet, Duration::from_secs(1), timing(Duration::from_secs(5), args.window), pid).await?;
    eprint!("{}", outcome.describe());
    run.sustained = Some(outcome);
    let loop_fleet = fleet(&url, "LG-", args.connections, versions, Some(PASSWORD))?;
    for kind in [Saturation::Heartbeat, Saturation::MeterValues] {
        let outcome = scenario::saturate(&loop_fleet, kind, timing(Duration::from_secs(3), args.window), pid).await?;
        eprint!("{}", outcome.describe());
        match kind {
            Saturation::Heartbeat => run.saturate_heartbeat = Some(outcome),
            Saturation::MeterValues => run.saturate_meter = Some(outcome),
        }
    }
    run.gridlet_peak_rss_kib = Process::Pid(server.pid).sample().map(|s| s.hwm_kib).unwrap_or(0);
    server.stop().await?;
    drop(dir);

    // 3. the Python baseline under the same closed loops
    if let Some(packages) = python {
        let server = ServerProcess::python(packages).await?;
        let pid = Some(Process::Pid(server.pid));
        let loop_fleet = fleet(&server.url(), "LG-", args.connections, versions, Some(PASSWORD))?;
        for kind in [Saturation::Heartbeat, Saturation::MeterValues] {
            let outcome = scenario::saturate(&loop_fleet, kind, timing(Duration::from_secs(3), args.window), pid).await?;
            eprint!("python baseline: {}", outcome.describe());
            match kind {
                Saturation::Heartbeat => run.python_heartbeat = Some(outcome),
                Saturation::MeterValues => run.python_meter = Some(outcome),
            }
        }
        server.stop().await?;
    }
    Ok(run)
}

/// Runs the plugin benchmark and returns what it printed.
async fn plugin_bench() -> anyhow::Result<String> {
    // The workspace the report is run from (`cargo run` keeps the caller's
    // directory), else the one this program was built in.
    let here = std::env::current_dir().context("no current directory")?;
    let workspace =
        if here.join("host/plugin-host").is_dir() { here } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("../..") };
    eprintln!("report: cargo bench -p plugin-host --bench tariff_calls");
    let output = tokio::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["bench", "-p", "plugin-host", "--bench", "tariff_calls"])
        .current_dir(&workspace)
        .output()
        .await
        .context("running cargo bench")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::bail!("cargo bench -p plugin-host --bench tariff_calls failed:\n{}", tail.join("\n"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Registers the stations and tokens of a fleet in a new data directory.
pub async fn prepare(dir: &Path, prefix: &str, count: usize, password: Option<&str>) -> anyhow::Result<()> {
    servers::preload(dir, prefix, count, password).await
}
