//! The scenarios: a fleet of stations driven through setup, a measured
//! window and teardown.
//!
//! | scenario | what each station does | what it tells |
//! |---|---|---|
//! | [`idle`] | boot, status, then a heartbeat every interval | server memory and CPU per idle connection |
//! | [`sustained`] | boot, start a session, MeterValues every interval, stop | latency under a steady open-loop rate |
//! | [`saturate`] | boot (and start a session), then Heartbeat or MeterValues back to back | round trips per second and per server CPU-second |
//! | [`storm`] | connect and boot, all at once | time until every BootNotification is answered |
//!
//! Setup (connecting, booting, starting sessions) is not measured: stations
//! report ready, and once all are (or the setup time is up) the run begins;
//! after a warm-up the window opens, the server is sampled, and only round
//! trips that end inside the window count. Open-loop latencies are measured
//! from the time a message was *due*, not sent, so a server that falls
//! behind is not flattered (no coordinated omission).
//!
//! Everything is bounded: at most [`MAX_STATIONS`] stations, each phase at
//! most [`MAX_DURATION`], and stations still busy when teardown's time is up
//! are aborted.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocpp::OcppVersion;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::client::{ClientConfig, ClientError, Connection};
use crate::procstat::{ProcError, ProcSample, Process};
use crate::script::StationScript;
use crate::stats::{Recorder, Summary};
use crate::target::Target;

/// The most stations one run may open.
pub const MAX_STATIONS: usize = 60_000;
/// The longest any phase (setup, warm-up, window, teardown) may last.
pub const MAX_DURATION: Duration = Duration::from_secs(600);

/// Why a scenario could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The run would exceed a bound.
    #[error("out of bounds: {0}")]
    Bounds(String),
    /// The server process could not be read.
    #[error("cannot read the server process: {0}")]
    Server(#[from] ProcError),
}

/// Which OCPP version each station speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionMix {
    /// All 1.6J.
    V16,
    /// All 2.0.1.
    V201,
    /// Even-numbered stations 1.6J, odd ones 2.0.1.
    Mix,
}

impl VersionMix {
    /// The version of station number `n`.
    pub fn version_of(self, n: usize) -> OcppVersion {
        match self {
            VersionMix::V16 => OcppVersion::V16,
            VersionMix::V201 => OcppVersion::V201,
            VersionMix::Mix if n.is_multiple_of(2) => OcppVersion::V16,
            VersionMix::Mix => OcppVersion::V201,
        }
    }

    /// `1.6`, `2.0.1` or `mix`.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionMix::V16 => "1.6",
            VersionMix::V201 => "2.0.1",
            VersionMix::Mix => "mix",
        }
    }
}

/// The stations of a run. Station `n` is `{prefix}{first + n:05}`, charges
/// with the token of the same name, and connects from loopback source
/// address `n % sources`.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Where they connect.
    pub target: Target,
    /// Station id prefix.
    pub prefix: String,
    /// Number of the first station.
    pub first: usize,
    /// How many stations.
    pub count: usize,
    /// Which versions they speak.
    pub versions: VersionMix,
    /// The HTTP Basic password of every station, if any.
    pub password: Option<String>,
    /// How many loopback source addresses to spread connections over.
    pub sources: u8,
    /// Connection settings.
    pub client: ClientConfig,
    /// How many stations may be connecting at once during setup (not in a
    /// storm, where all connect at once).
    pub connect_concurrency: usize,
}

impl Fleet {
    /// Station `n`'s id.
    pub fn station_id(&self, n: usize) -> String {
        station_id(&self.prefix, self.first + n)
    }

    /// Opens station `n`'s connection, which counts the server's CALLs it
    /// answers in `recorder`.
    async fn open(&self, n: usize, recorder: &Recorder) -> Result<(Connection, StationScript), ClientError> {
        let id = self.station_id(n);
        let version = self.versions.version_of(n);
        let source = self.target.source_for(n, self.sources);
        let mut connection =
            Connection::open(&self.target, &id, version, self.password.as_deref(), source, &self.client).await?;
        connection.count_server_calls_in(recorder.server_calls());
        let script = StationScript::new(version, id.clone(), id);
        Ok((connection, script))
    }
}

/// The id of station number `number`: `{prefix}{number:05}`.
pub fn station_id(prefix: &str, number: usize) -> String {
    format!("{prefix}{number:05}")
}

/// How long each phase may last.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Until every station is ready (connected, booted, in session).
    pub setup: Duration,
    /// Running before the window opens.
    pub warmup: Duration,
    /// The measured window.
    pub window: Duration,
    /// Until every station has stopped its session and closed.
    pub teardown: Duration,
}

impl Timing {
    fn check(&self) -> Result<(), ScenarioError> {
        for (name, d) in [("setup", self.setup), ("warm-up", self.warmup), ("window", self.window), ("teardown", self.teardown)] {
            if d > MAX_DURATION {
                return Err(ScenarioError::Bounds(format!("{name} of {d:?} exceeds {MAX_DURATION:?}")));
            }
        }
        if self.window.is_zero() {
            return Err(ScenarioError::Bounds("the window must be longer than zero".to_owned()));
        }
        Ok(())
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: String,
    /// Stations asked for.
    pub stations: usize,
    /// Stations that were ready when the run began.
    pub ready: usize,
    /// Ready stations that failed during the run (dropped, timed out, …).
    pub lost: usize,
    /// How long setup took.
    pub setup: Duration,
    /// The measured window, as it really lasted.
    pub window: Duration,
    /// Round trips, latency and errors.
    pub summary: Summary,
    /// The server before any station connected.
    pub server_at_start: Option<ProcSample>,
    /// The server when the window opened.
    pub server_before: Option<ProcSample>,
    /// The server when the window closed (all stations still connected).
    pub server_after: Option<ProcSample>,
    /// The generator's own CPU seconds inside the window.
    pub generator_cpu_secs: f64,
    /// Storm only: when the last BootNotification was answered, if every
    /// station's was.
    pub all_booted: Option<Duration>,
}

impl Outcome {
    /// Round trips per second inside the window.
    pub fn rate(&self) -> f64 {
        self.summary.round_trips as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// The server's CPU seconds inside the window.
    pub fn server_cpu_secs(&self) -> Option<f64> {
        Some(self.server_after?.cpu_secs - self.server_before?.cpu_secs)
    }

    /// The server's average cores busy inside the window.
    pub fn server_cores(&self) -> Option<f64> {
        Some(self.server_cpu_secs()? / self.window.as_secs_f64().max(1e-9))
    }

    /// Round trips per server CPU-second.
    pub fn per_server_cpu_second(&self) -> Option<f64> {
        let cpu = self.server_cpu_secs()?;
        (cpu > 0.0).then(|| self.summary.round_trips as f64 / cpu)
    }

    /// Server resident memory per ready connection: (RSS at the end of the
    /// window − RSS before any station connected) / ready stations, in KiB.
    pub fn rss_per_connection_kib(&self) -> Option<f64> {
        let (start, end) = (self.server_at_start?, self.server_after?);
        (self.ready > 0).then(|| (end.rss_kib as f64 - start.rss_kib as f64) / self.ready as f64)
    }

    /// A human-readable account of the run.
    pub fn describe(&self) -> String {
        let s = &self.summary;
        let mut out = format!(
            "{}: {} stations, {} ready (setup {:.1} s), {} lost\n  window {:.1} s: {} round trips, {:.0}/s; latency p50 {} p99 {} p99.9 {} max {}\n  errors: {}\n  server calls answered: {}\n",
            self.scenario,
            self.stations,
            self.ready,
            self.setup.as_secs_f64(),
            self.lost,
            self.window.as_secs_f64(),
            s.round_trips,
            self.rate(),
            ms(s.p50_us),
            ms(s.p99_us),
            ms(s.p999_us),
            ms(s.max_us),
            s.errors_text(),
            s.server_calls_answered,
        );
        if let Some(all) = self.all_booted {
            out.push_str(&format!("  every BootNotification answered after {:.2} s\n", all.as_secs_f64()));
        }
        if let (Some(cpu), Some(cores)) = (self.server_cpu_secs(), self.server_cores()) {
            out.push_str(&format!("  server: {cpu:.2} CPU s ({cores:.2} cores)"));
            if let Some(per) = self.per_server_cpu_second() {
                out.push_str(&format!(", {per:.0} round trips per CPU-second"));
            }
            out.push('\n');
        }
        if let (Some(start), Some(after)) = (self.server_at_start, self.server_after) {
            out.push_str(&format!(
                "  server memory: RSS {} MiB before stations, {} MiB when the window opened, {} MiB at its end, peak {} MiB",
                start.rss_kib / 1024,
                self.server_before.map_or(0, |s| s.rss_kib / 1024),
                after.rss_kib / 1024,
                after.hwm_kib / 1024
            ));
            if let Some(per) = self.rss_per_connection_kib() {
                out.push_str(&format!("; {per:.1} KiB per connection"));
            }
            out.push('\n');
        }
        out.push_str(&format!("  generator: {:.2} CPU s in the window\n", self.generator_cpu_secs));
        out
    }
}

/// Milliseconds with two decimals, from microseconds.
pub fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// The wall clock in unix milliseconds, for message timestamps.
fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Setup,
    Run,
    Stop,
}

/// What the controller and every station task share.
struct Shared {
    recorder: Recorder,
    ready: AtomicUsize,
    failed: AtomicUsize,
    lost: AtomicUsize,
    phase: watch::Receiver<Phase>,
    /// Set with [`Phase::Stop`]; closed loops poll it.
    stop: AtomicBool,
    /// When the run began (stations schedule from it).
    run_at: OnceLock<Instant>,
    /// Storm: microseconds from the start to the latest boot answered.
    last_boot_us: AtomicU64,
    /// Bounds how many stations connect at once during setup.
    connecting: Semaphore,
}

impl Shared {
    fn failed_setup(&self, error: &ClientError) {
        tracing_note(error);
        self.recorder.error(error.kind());
        self.failed.fetch_add(1, Ordering::SeqCst);
    }

    fn failed_run(&self, error: &ClientError) {
        tracing_note(error);
        self.recorder.error(error.kind());
        self.lost.fetch_add(1, Ordering::SeqCst);
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Resolves when the run begins (or stops before it began).
    async fn run_begins(&self) -> Phase {
        let mut phase = self.phase.clone();
        match phase.wait_for(|p| *p != Phase::Setup).await {
            Ok(p) => *p,
            Err(_) => Phase::Stop,
        }
    }

    async fn stop_requested(&self) {
        let mut phase = self.phase.clone();
        let _ = phase.wait_for(|p| *p == Phase::Stop).await;
    }
}

/// The first few errors are printed to stderr, so a failing run says why.
fn tracing_note(error: &ClientError) {
    static PRINTED: AtomicUsize = AtomicUsize::new(0);
    if PRINTED.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!("loadgen: {error}");
    }
}

/// Connects station `n`, boots it, reports its status and, with
/// `session`, starts a transaction.
async fn set_up(fleet: &Fleet, n: usize, session: bool, recorder: &Recorder) -> Result<(Connection, StationScript), ClientError> {
    let (mut connection, mut script) = fleet.open(n, recorder).await?;
    let answer = connection.call(&script.boot(), true).await?;
    script.booted(&answer)?;
    connection.call(&script.status(false, wall_ms()), false).await?;
    if session {
        let answer = connection.call(&script.start(wall_ms()), true).await?;
        script.started(&answer)?;
        connection.call(&script.status(true, wall_ms()), false).await?;
    }
    Ok((connection, script))
}

/// Stops the station's transaction, if any, and closes.
async fn tear_down(mut connection: Connection, mut script: StationScript, shared: &Shared) {
    if script.in_transaction() {
        let result = async {
            let stop = script.stop(wall_ms())?;
            connection.call(&stop, false).await?;
            connection.call(&script.status(false, wall_ms()), false).await
        }
        .await;
        if let Err(error) = result {
            shared.recorder.error(error.kind());
            return;
        }
    }
    connection.close(Duration::from_secs(5)).await;
}

/// Runs `station` for every station of `fleet` through setup, warm-up,
/// window and teardown.
async fn run_fleet<F, Fut>(
    name: String,
    fleet: &Fleet,
    timing: Timing,
    server: Option<Process>,
    station: F,
) -> Result<Outcome, ScenarioError>
where
    F: Fn(usize, Arc<Shared>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    check_fleet(fleet)?;
    timing.check()?;
    let server_at_start = server.map(Process::sample).transpose()?;
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let shared = Arc::new(new_shared(phase_rx, fleet.connect_concurrency));
    let mut tasks = JoinSet::new();
    let setup_started = Instant::now();
    for n in 0..fleet.count {
        tasks.spawn(station(n, shared.clone()));
    }
    let setup_deadline = setup_started + timing.setup;
    while shared.ready.load(Ordering::SeqCst) + shared.failed.load(Ordering::SeqCst) < fleet.count
        && Instant::now() < setup_deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let setup = setup_started.elapsed();
    let ready = shared.ready.load(Ordering::SeqCst);
    let _ = shared.run_at.set(Instant::now());
    let _ = phase_tx.send(Phase::Run);
    tokio::time::sleep(timing.warmup).await;

    let generator_before = Process::Me.sample().ok();
    let server_before = server.map(Process::sample).transpose()?;
    shared.recorder.set_measuring(true);
    let window_started = Instant::now();
    tokio::time::sleep(timing.window).await;
    shared.recorder.set_measuring(false);
    let window = window_started.elapsed();
    let server_after = server.map(Process::sample).transpose()?;
    let generator_after = Process::Me.sample().ok();

    shared.stop.store(true, Ordering::SeqCst);
    let _ = phase_tx.send(Phase::Stop);
    finish(&mut tasks, timing.teardown).await;
    Ok(Outcome {
        scenario: name,
        stations: fleet.count,
        ready,
        lost: shared.lost.load(Ordering::SeqCst),
        setup,
        window,
        summary: shared.recorder.summary(),
        server_at_start,
        server_before,
        server_after,
        generator_cpu_secs: cpu_between(generator_before, generator_after),
        all_booted: None,
    })
}

/// CPU seconds between two readings of a process (0 if either is missing).
fn cpu_between(before: Option<ProcSample>, after: Option<ProcSample>) -> f64 {
    match (before, after) {
        (Some(before), Some(after)) => after.cpu_secs - before.cpu_secs,
        _ => 0.0,
    }
}

fn new_shared(phase: watch::Receiver<Phase>, connect_concurrency: usize) -> Shared {
    Shared {
        recorder: Recorder::new(),
        ready: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        lost: AtomicUsize::new(0),
        phase,
        stop: AtomicBool::new(false),
        run_at: OnceLock::new(),
        last_boot_us: AtomicU64::new(0),
        connecting: Semaphore::new(if connect_concurrency == 0 { Semaphore::MAX_PERMITS } else { connect_concurrency }),
    }
}

fn check_fleet(fleet: &Fleet) -> Result<(), ScenarioError> {
    if fleet.count == 0 || fleet.count > MAX_STATIONS {
        return Err(ScenarioError::Bounds(format!("{} stations (1 to {MAX_STATIONS} allowed)", fleet.count)));
    }
    if fleet.client.timeout > MAX_DURATION {
        return Err(ScenarioError::Bounds(format!("a timeout of {:?} exceeds {MAX_DURATION:?}", fleet.client.timeout)));
    }
    Ok(())
}

/// Waits up to `teardown` for every task, then aborts the rest.
async fn finish(tasks: &mut JoinSet<()>, teardown: Duration) {
    let drained = tokio::time::timeout(teardown, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        eprintln!("loadgen: {} stations did not finish within {teardown:?}; aborted", tasks.len());
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}

/// Sets station `n` up (bounded by the connect semaphore), reports ready,
/// and waits, connected, until the run begins.
async fn ready_station(
    fleet: &Fleet,
    n: usize,
    session: bool,
    shared: &Shared,
) -> Option<(Connection, StationScript)> {
    let permit = shared.connecting.acquire().await.ok()?;
    let set = set_up(fleet, n, session, &shared.recorder).await;
    drop(permit);
    let (mut connection, script) = match set {
        Ok(pair) => pair,
        Err(error) => {
            shared.failed_setup(&error);
            return None;
        }
    };
    shared.ready.fetch_add(1, Ordering::SeqCst);
    match connection.wait_for(shared.run_begins()).await {
        Ok(Phase::Run) => Some((connection, script)),
        Ok(_) => {
            tear_down(connection, script, shared).await;
            None
        }
        Err(error) => {
            shared.failed_run(&error);
            None
        }
    }
}

/// Idle stations: boot, status, then a Heartbeat every `heartbeat`
/// (spread evenly over the interval) until the run stops. The window is
/// `timing.window`; the server's memory is read at its end.
pub async fn idle(fleet: &Fleet, heartbeat: Duration, timing: Timing, server: Option<Process>) -> Result<Outcome, ScenarioError> {
    let name = format!("idle ({} stations, {}, heartbeat every {:?})", fleet.count, fleet.versions.as_str(), heartbeat);
    periodic(name, fleet, heartbeat, false, timing, server).await
}

/// Stations in sessions: boot, start a transaction, then MeterValues
/// (2.0.1: TransactionEvent Updated) every `interval`, spread evenly over
/// the interval, until the run stops; then stop the transaction.
pub async fn sustained(fleet: &Fleet, interval: Duration, timing: Timing, server: Option<Process>) -> Result<Outcome, ScenarioError> {
    let name = format!("sustained ({} stations, {}, meter values every {:?})", fleet.count, fleet.versions.as_str(), interval);
    periodic(name, fleet, interval, true, timing, server).await
}

async fn periodic(
    name: String,
    fleet: &Fleet,
    interval: Duration,
    session: bool,
    timing: Timing,
    server: Option<Process>,
) -> Result<Outcome, ScenarioError> {
    if interval.is_zero() || interval > MAX_DURATION {
        return Err(ScenarioError::Bounds(format!("an interval of {interval:?}")));
    }
    let count = fleet.count;
    run_fleet(name, fleet, timing, server, |n, shared| {
        let fleet = fleet.clone();
        async move {
            let Some((mut connection, mut script)) = ready_station(&fleet, n, session, &shared).await else { return };
            let run_at = shared.run_at.get().copied().unwrap_or_else(Instant::now);
            let offset = interval.mul_f64(n as f64 / count as f64);
            let mut due = run_at + offset;
            loop {
                let wake = async {
                    tokio::select! {
                        _ = tokio::time::sleep_until(due) => true,
                        _ = shared.stop_requested() => false,
                    }
                };
                match connection.wait_for(wake).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(error) => {
                        shared.failed_run(&error);
                        return;
                    }
                }
                let request = if session { script.meter_values(wall_ms()) } else { Ok(script.heartbeat()) };
                let result = match request {
                    Ok(request) => connection.call(&request, false).await,
                    Err(error) => Err(error.into()),
                };
                match result {
                    Ok(_) => shared.recorder.round_trip(n, due.elapsed()),
                    Err(error @ ClientError::CallError { .. }) => shared.recorder.error(error.kind()),
                    Err(error) => {
                        shared.failed_run(&error);
                        return;
                    }
                }
                due += interval;
            }
            tear_down(connection, script, &shared).await;
        }
    })
    .await
}

/// What a closed loop sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saturation {
    /// Heartbeat (no durable write awaited).
    Heartbeat,
    /// MeterValues in a session (2.0.1: TransactionEvent Updated), each
    /// durable before it is answered.
    MeterValues,
}

impl Saturation {
    /// `heartbeat` or `meter-values`.
    pub fn as_str(self) -> &'static str {
        match self {
            Saturation::Heartbeat => "heartbeat",
            Saturation::MeterValues => "meter-values",
        }
    }
}

/// A closed loop: every station sends its next message as soon as the
/// previous one is answered.
pub async fn saturate(fleet: &Fleet, kind: Saturation, timing: Timing, server: Option<Process>) -> Result<Outcome, ScenarioError> {
    let name = format!("saturate {} ({} connections, {})", kind.as_str(), fleet.count, fleet.versions.as_str());
    let session = kind == Saturation::MeterValues;
    run_fleet(name, fleet, timing, server, |n, shared| {
        let fleet = fleet.clone();
        async move {
            let Some((mut connection, mut script)) = ready_station(&fleet, n, session, &shared).await else { return };
            while !shared.stopping() {
                let request = if session { script.meter_values(wall_ms()) } else { Ok(script.heartbeat()) };
                let sent = Instant::now();
                let result = match request {
                    Ok(request) => connection.call(&request, false).await,
                    Err(error) => Err(error.into()),
                };
                match result {
                    Ok(_) => shared.recorder.round_trip(n, sent.elapsed()),
                    Err(error @ ClientError::CallError { .. }) => shared.recorder.error(error.kind()),
                    Err(error) => {
                        shared.failed_run(&error);
                        return;
                    }
                }
            }
            tear_down(connection, script, &shared).await;
        }
    })
    .await
}

/// A reconnect storm: every station connects and boots at once (no
/// concurrency bound); the latency recorded per station is from the start
/// of the storm to its BootNotification's answer. Stations stay connected
/// until every one is booted or failed (or `timeout` passes), then close.
pub async fn storm(fleet: &Fleet, timeout: Duration, server: Option<Process>) -> Result<Outcome, ScenarioError> {
    check_fleet(fleet)?;
    if timeout > MAX_DURATION {
        return Err(ScenarioError::Bounds(format!("a storm timeout of {timeout:?} exceeds {MAX_DURATION:?}")));
    }
    let name = format!("storm ({} stations, {})", fleet.count, fleet.versions.as_str());
    let server_at_start = server.map(Process::sample).transpose()?;
    let generator_before = Process::Me.sample().ok();
    let (phase_tx, phase_rx) = watch::channel(Phase::Run);
    let shared = Arc::new(new_shared(phase_rx, 0));
    shared.recorder.set_measuring(true);
    let started = Instant::now();
    let _ = shared.run_at.set(started);
    let mut tasks = JoinSet::new();
    for n in 0..fleet.count {
        let (fleet, shared) = (fleet.clone(), shared.clone());
        tasks.spawn(async move {
            let booted = async {
                let (mut connection, script) = fleet.open(n, &shared.recorder).await?;
                let answer = connection.call(&script.boot(), true).await?;
                script.booted(&answer)?;
                Ok::<_, ClientError>(connection)
            }
            .await;
            let mut connection = match booted {
                Ok(connection) => connection,
                Err(error) => {
                    shared.failed_setup(&error);
                    return;
                }
            };
            let took = started.elapsed();
            shared.recorder.round_trip(n, took);
            shared.last_boot_us.fetch_max(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::SeqCst);
            shared.ready.fetch_add(1, Ordering::SeqCst);
            match connection.wait_for(shared.stop_requested()).await {
                Ok(()) => connection.close(Duration::from_secs(5)).await,
                Err(error) => shared.failed_run(&error),
            }
        });
    }
    let deadline = started + timeout;
    while shared.ready.load(Ordering::SeqCst) + shared.failed.load(Ordering::SeqCst) < fleet.count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let window = started.elapsed();
    shared.recorder.set_measuring(false);
    let server_after = server.map(Process::sample).transpose()?;
    let generator_after = Process::Me.sample().ok();
    let ready = shared.ready.load(Ordering::SeqCst);
    let all_booted = (ready == fleet.count).then(|| Duration::from_micros(shared.last_boot_us.load(Ordering::SeqCst)));
    let _ = phase_tx.send(Phase::Stop);
    finish(&mut tasks, Duration::from_secs(60)).await;
    Ok(Outcome {
        scenario: name,
        stations: fleet.count,
        ready,
        lost: shared.lost.load(Ordering::SeqCst),
        setup: Duration::ZERO,
        window,
        summary: shared.recorder.summary(),
        server_at_start,
        server_before: server_at_start,
        server_after,
        generator_cpu_secs: cpu_between(generator_before, generator_after),
        all_booted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_ids_and_versions_follow_the_fleet() {
        assert_eq!(station_id("LG-", 42), "LG-00042");
        assert_eq!(station_id("LG-", 123_456), "LG-123456");
        assert_eq!(VersionMix::Mix.version_of(0), OcppVersion::V16);
        assert_eq!(VersionMix::Mix.version_of(1), OcppVersion::V201);
        assert_eq!(VersionMix::V201.version_of(0), OcppVersion::V201);
    }

    #[test]
    fn runs_are_bounded() {
        let long = Timing { setup: Duration::from_secs(1), warmup: Duration::ZERO, window: MAX_DURATION * 2, teardown: Duration::ZERO };
        assert!(matches!(long.check(), Err(ScenarioError::Bounds(_))));
        let empty = Timing { window: Duration::ZERO, ..long };
        assert!(matches!(empty.check(), Err(ScenarioError::Bounds(_))));
        let fleet = Fleet {
            target: Target::parse("ws://127.0.0.1:1/ocpp").unwrap(),
            prefix: "LG-".into(),
            first: 0,
            count: MAX_STATIONS + 1,
            versions: VersionMix::V16,
            password: None,
            sources: 1,
            client: ClientConfig::default(),
            connect_concurrency: 1,
        };
        assert!(matches!(check_fleet(&fleet), Err(ScenarioError::Bounds(_))));
    }
}
