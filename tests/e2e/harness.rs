//! Starting Gridlet for a test: in-process on `127.0.0.1:0` with a sled
//! directory in a temp dir ([`TestServer`]), or as a separate `gridlet`
//! process ([`GridletProcess`]) for tests that kill it or drive its CLI.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use domain::{Change, ChangeSet, IdTokenRecord, Station, StationId, Storage};
use server::{Network, Server, ServerConfig};
use session::admission::{AdmissionPolicy, UnknownStationPolicy};
use store::{SledStore, StoreOptions};

/// A station password that satisfies OCPP's rules.
pub const PASSWORD: &str = "correct-horse-battery";

/// The server configuration tests start from: unknown stations pending,
/// passwords required, pings off (tests control time), short intervals.
pub fn test_config() -> ServerConfig {
    let mut config = ServerConfig::new(AdmissionPolicy {
        unknown_stations: UnknownStationPolicy::Pending,
        allow_stations_without_password: false,
    });
    config.ping_interval = None;
    config.settings.heartbeat_interval_secs = 120;
    config.settings.pending_retry_secs = 7;
    config.max_message_bytes = 16 * 1024;
    config.replace_wait = Duration::from_secs(5);
    config
}

/// A Gridlet server running in this process.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its store, shared with the server (the operator's view).
    pub store: Arc<SledStore>,
    /// The operator's handle on the network (commands, live events).
    pub network: Network,
    dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server with [`test_config`].
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server with [`test_config`] changed by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        TestServer::start_in(dir, adjust).await
    }

    /// Starts a server on an existing data directory.
    pub async fn start_in(dir: TempDir, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let store = Arc::new(SledStore::open(dir.path(), StoreOptions::default()).expect("open store"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let mut config = test_config();
        adjust(&mut config);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let storage: Arc<dyn Storage> = store.clone();
        let server = Server::new(storage, config);
        let network = server.network();
        let router = server.router();
        let task = tokio::spawn(server.serve(listener, router, async move {
            let _ = stop_rx.await;
        }));
        TestServer { addr, store, network, dir, stop: Some(stop_tx), task: Some(task) }
    }

    /// The OCPP base URL (`ws://addr/ocpp`); stations append `/{id}`.
    pub fn url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// Applies changes as an operator would, and waits until they are durable.
    pub async fn apply(&self, changes: impl Into<ChangeSet>) {
        let ticket = self.store.apply(changes.into()).expect("apply");
        self.store.durable(ticket).await.expect("durable");
    }

    /// Registers an accepted station with [`PASSWORD`].
    pub async fn register_station(&self, id: &str) -> StationId {
        let id = StationId::parse(id).expect("station id");
        let hash = session::auth::hash_password(PASSWORD).expect("hash");
        self.apply(Change::PutStation(Station::registered(id.clone(), Some(hash), server::now()))).await;
        id
    }

    /// Registers an accepted token.
    pub async fn add_token(&self, value: &str) -> IdTokenRecord {
        let record = IdTokenRecord::accepted(value).expect("token");
        self.apply(Change::PutIdToken(record.clone())).await;
        record
    }

    /// Stops the server, waits for it to finish, closes the store and hands
    /// back the data directory (to restart on it).
    pub async fn shutdown(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("server task")
                .expect("server result");
        }
        self.store.close().expect("close store");
        let TestServer { dir, .. } = self;
        dir
    }
}

/// The `gridlet` program built for the tests.
pub fn gridlet_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gridlet-e2e"))
}

/// A `gridlet serve` process.
pub struct GridletProcess {
    /// The child process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl GridletProcess {
    /// Starts `gridlet serve` on `127.0.0.1:0` with `data_dir`, waits until it
    /// listens. `env` adds environment variables.
    pub async fn start(data_dir: &Path, env: &[(&str, &str)]) -> GridletProcess {
        let mut command = Command::new(gridlet_program());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("GRIDLET_LOG", "warn")
            .env("GRIDLET_OCPP_PING_INTERVAL_SECS", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start gridlet");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("gridlet starts listening within 60 s")
            .expect("read stdout")
            .expect("gridlet printed its address");
        let addr = line
            .strip_prefix("gridlet listening on ")
            .and_then(|rest| rest.split(';').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        GridletProcess { child, addr }
    }

    /// The OCPP base URL.
    pub fn url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// Sends SIGKILL and waits for the process to be gone.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill gridlet");
    }
}

/// Runs a `gridlet` CLI command on `data_dir`; returns (success, stdout, stderr).
pub async fn gridlet_cli(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut command = Command::new(gridlet_program());
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run gridlet");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
    }
    let output = child.wait_with_output().await.expect("gridlet output");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
