//! The servers the report measures, each a separate process on a loopback
//! port: Gridlet (`gridlet-bench-server serve`, the real `gridlet` entry
//! point, on a temp data directory preloaded with stations and tokens) and
//! the Python baseline (`baseline/csms.py` on the PyPI `ocpp` package).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use domain::pricing::{TariffAssignment, TariffScope};
use domain::{Change, ChangeSet, IdTokenRecord, Station, StationId, Storage, Timestamp};
use loadgen::scenario::station_id;
use store::{SledStore, StoreOptions};

/// The tariff plugin every benchmark station is priced with (the default
/// assignment; the plugin ships with Gridlet).
pub const DEFAULT_TARIFF_PLUGIN: &str = "simple-tariff";

/// The currency of the default tariff assignment.
pub const DEFAULT_TARIFF_CURRENCY: &str = "EUR";

/// A server process under test.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its pid, for CPU and memory readings.
    pub pid: u32,
}

impl ServerProcess {
    /// Starts `gridlet serve` on `127.0.0.1:0` with `data_dir`; `env` adds
    /// `GRIDLET_*` settings. Everything else is Gridlet's defaults.
    pub async fn gridlet(program: &Path, data_dir: &Path, env: &[(&str, &str)]) -> anyhow::Result<ServerProcess> {
        let mut command = Command::new(program);
        command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir).env("GRIDLET_LOG", "warn");
        for (name, value) in env {
            command.env(name, value);
        }
        ServerProcess::start(command, "gridlet listening on ").await.context("starting gridlet")
    }

    /// Starts the Python baseline CSMS on `127.0.0.1:0`.
    pub async fn python(packages: &Path) -> anyhow::Result<ServerProcess> {
        let mut command = Command::new("python3");
        command.arg(baseline_dir().join("csms.py")).env("PYTHONPATH", packages);
        ServerProcess::start(command, "baseline listening on ").await.context("starting the Python baseline")
    }

    async fn start(mut command: Command, prefix: &str) -> anyhow::Result<ServerProcess> {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
        let mut child = command.spawn().context("cannot start the process")?;
        let pid = child.id().context("the process has no pid")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("the server did not start listening within 60 s")??
            .context("the server exited before listening")?;
        let addr: SocketAddr = line
            .strip_prefix(prefix)
            .and_then(|rest| rest.split(';').next())
            .and_then(|addr| addr.trim().parse().ok())
            .with_context(|| format!("unexpected first line: {line}"))?;
        if !addr.ip().is_loopback() {
            bail!("the server listens on {addr}, not on loopback");
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ServerProcess { child, addr, pid })
    }

    /// The OCPP base URL.
    pub fn url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// Stops the server with SIGTERM (a clean shutdown: Gridlet flushes its
    /// store), and SIGKILL after 30 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status().await;
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                status.context("waiting for the server")?;
            }
            Err(_) => {
                eprintln!("report: the server did not stop within 30 s of SIGTERM; killing it");
                self.child.kill().await.context("killing the server")?;
            }
        }
        Ok(())
    }
}

/// `host/loadgen/baseline`.
pub fn baseline_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline")
}

/// The server program built beside this one.
pub fn gridlet_program() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("cannot find this program")?;
    let program = me.with_file_name("gridlet-bench-server");
    if !program.exists() {
        bail!("{} is missing: run the report with `cargo run --release -p loadgen -- report`", program.display());
    }
    Ok(program)
}

/// Registers stations `{prefix}00000…` (accepted, all with the Argon2id
/// hash of `password`, or without a password), one accepted token per
/// station (its id) and the default tariff ([`DEFAULT_TARIFF_PLUGIN`] in
/// [`DEFAULT_TARIFF_CURRENCY`], so that a server that prices transactions
/// prices every benchmark transaction) in a data directory. The hash is
/// computed once and shared: each station's first connection still costs
/// the server a full Argon2id verification.
pub async fn preload(dir: &Path, prefix: &str, count: usize, password: Option<&str>) -> anyhow::Result<()> {
    let store = SledStore::open(dir, StoreOptions::default()).context("opening the data directory")?;
    let tariff = TariffAssignment::new(TariffScope::Default, DEFAULT_TARIFF_PLUGIN, DEFAULT_TARIFF_CURRENCY)
        .context("the default tariff assignment")?;
    let ticket = store.apply(Change::PutTariffAssignment(tariff).into()).context("assigning the default tariff")?;
    store.durable(ticket).await.context("assigning the default tariff")?;
    let hash = password.map(session::auth::hash_password).transpose().context("hashing the password")?;
    let now = Timestamp::from_unix_millis(0);
    let ids: Vec<usize> = (0..count).collect();
    for chunk in ids.chunks(1000) {
        let mut changes = ChangeSet::new();
        for &n in chunk {
            let id = station_id(prefix, n);
            let station = StationId::parse(&id).with_context(|| format!("station id {id}"))?;
            changes.push(Change::PutStation(Station::registered(station, hash.clone(), now)));
            changes.push(Change::PutIdToken(IdTokenRecord::accepted(&id).with_context(|| format!("token {id}"))?));
        }
        let ticket = store.apply(changes).context("preloading stations")?;
        store.durable(ticket).await.context("preloading stations")?;
    }
    store.close().context("closing the data directory")?;
    Ok(())
}

/// Installs the baseline's pinned Python packages (once) under the target
/// directory and returns where.
pub fn python_packages() -> anyhow::Result<PathBuf> {
    let requirements_file = baseline_dir().join("requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_file).context("reading baseline/requirements.txt")?;
    let tag: String = requirements.chars().filter(char::is_ascii_alphanumeric).collect();
    let me = std::env::current_exe().context("cannot find this program")?;
    // target/release/gridlet-loadgen → target/
    let target = me.parent().and_then(Path::parent).context("no target directory")?;
    let packages = target.join(format!("loadgen-python-{tag}"));
    let marker = packages.join(".installed");
    if marker.exists() {
        return Ok(packages);
    }
    let status = std::process::Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--target"])
        .arg(&packages)
        .arg("-r")
        .arg(&requirements_file)
        .status()
        .context("the Python baseline needs python3 (3.11 or later) with pip")?;
    if !status.success() {
        bail!("pip could not install {}", requirements_file.display());
    }
    std::fs::write(&marker, requirements).context("writing the install marker")?;
    Ok(packages)
}
