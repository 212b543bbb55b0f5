//! Starting Gridlet for a test: in-process on `127.0.0.1:0` with a sled
//! directory in a temp dir ([`TestServer`], OCPP and the REST API on one
//! port; with the plugin registry and tariffs priced when started with
//! [`TestServer::start_priced_in`]), or as a separate `gridlet` process ([`GridletProcess`]) for tests
//! that kill it or drive its CLI; and a client of the REST API
//! ([`ApiClient`]) with a reader of its event stream ([`EventStream`]).

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

use serde_json::Value;

use domain::{Change, ChangeSet, IdTokenRecord, Pricer, Scope, Station, StationId, Storage};
use plugin_host::HostConfig;
use pricing::{Plugins, RegistryPricer};
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

/// A plugin runtime sized for tests, with a compile cache shared by every
/// test (each component compiles once).
pub fn plugin_host_config() -> HostConfig {
    HostConfig {
        cache_dir: Some(concat!(env!("CARGO_TARGET_TMPDIR"), "/e2e-compile-cache").into()),
        max_instances: 16,
        epoch_tick: Duration::from_millis(2),
        ..HostConfig::default()
    }
}

/// A Gridlet server running in this process.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its store, shared with the server (the operator's view).
    pub store: Arc<SledStore>,
    /// The operator's handle on the network (commands, live events).
    pub network: Network,
    /// The plugin registry as opened, when started with plugins.
    pub plugins: Option<Plugins>,
    /// The pricer the server prices with, when started with plugins.
    pub pricer: Option<Arc<dyn Pricer>>,
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
        TestServer::start_serving(dir, adjust, None).await
    }

    /// Starts a server on an existing data directory with its plugin
    /// registry (`<dir>/plugins`, the default plugins installed), pricing
    /// transactions with it and managing it through the API, as `gridlet
    /// serve` does.
    pub async fn start_priced_in(dir: TempDir, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let plugins = pricing::open_plugins_with(dir.path(), plugin_host_config()).expect("open plugins");
        TestServer::start_serving(dir, adjust, Some(plugins)).await
    }

    async fn start_serving(dir: TempDir, adjust: impl FnOnce(&mut ServerConfig), plugins: Option<Plugins>) -> TestServer {
        let store = Arc::new(SledStore::open(dir.path(), StoreOptions::default()).expect("open store"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let mut config = test_config();
        adjust(&mut config);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let storage: Arc<dyn Storage> = store.clone();
        let api_options = api::ApiOptions {
            plugins: plugins.as_ref().map(|plugins| plugins.registry.clone()),
            remote_start_wait: Duration::from_secs(10),
            allow_stations_without_password: config.admission.allow_stations_without_password,
            ..api::ApiOptions::default()
        };
        let server = Server::new(storage, config);
        let pricer = plugins.as_ref().map(|plugins| {
            let pricer: Arc<dyn Pricer> = Arc::new(RegistryPricer::new(plugins.registry.clone()));
            server.set_pricer(pricer.clone());
            pricer
        });
        let network = server.network();
        let router = server.router().merge(api::router(network.clone(), api_options));
        let task = tokio::spawn(server.serve(listener, router, async move {
            let _ = stop_rx.await;
        }));
        TestServer { addr, store, network, plugins, pricer, dir, stop: Some(stop_tx), task: Some(task) }
    }

    /// The OCPP base URL (`ws://addr/ocpp`); stations append `/{id}`.
    pub fn url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// The REST API's base URL (`http://addr`).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates an API key with `scope` in the store, as `gridlet api-key
    /// create` does, and returns the key.
    pub async fn api_key(&self, scope: Scope) -> String {
        let (_, key) = api::operations::keys::create(self.store.as_ref(), &format!("test {}", scope.as_str()), scope, server::now())
            .await
            .expect("create api key");
        key
    }

    /// A client of the REST API with a new key of `scope`.
    pub async fn client(&self, scope: Scope) -> ApiClient {
        ApiClient::new(&self.http_url(), Some(self.api_key(scope).await))
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

static PIP_INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Installs the pinned Python packages of `requirements` (once per set of
/// pins) under the tests' target directory and returns their directory,
/// for `PYTHONPATH`. Needs `python3` with `pip`.
pub fn python_packages(requirements: &Path, name: &str) -> PathBuf {
    let _guard = PIP_INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let pins = std::fs::read_to_string(requirements).expect("read the requirements");
    let tag: String = pins.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-python-{tag}"));
    let marker = target.join(".installed");
    if marker.exists() {
        return target;
    }
    let status = std::process::Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--target"])
        .arg(&target)
        .arg("-r")
        .arg(requirements)
        .status()
        .expect("these tests need python3 (3.11 or later) with pip on PATH");
    assert!(status.success(), "pip could not install {}", requirements.display());
    std::fs::write(&marker, pins).expect("mark the packages installed");
    target
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
    gridlet_cli_env(data_dir, args, stdin, &[]).await
}

/// [`gridlet_cli`] with environment variables `env` added.
pub async fn gridlet_cli_env(
    data_dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> (bool, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut command = Command::new(gridlet_program());
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("GRIDLET_API_URL")
        .env_remove("GRIDLET_API_KEY")
        .envs(env.iter().copied())
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

/// An answer of the REST API.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body as JSON (`null` when empty, a string when not JSON).
    pub body: Value,
    /// The `Content-Type`.
    pub content_type: String,
}

impl Answer {
    /// The error code of an error answer (checking its shape).
    pub fn code(&self) -> &str {
        let error = &self.body["error"];
        assert!(error["message"].is_string(), "an error answer has a message: {self:?}");
        error["code"].as_str().unwrap_or_else(|| panic!("not an error answer: {self:?}"))
    }

    /// Asserts the status, returning the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        self.body
    }

    /// Asserts an error answer with `status` and `code`; returns its message.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> String {
        assert_eq!((self.status, self.code()), (status, code), "{self:?}");
        assert!(self.content_type.starts_with("application/json"), "{self:?}");
        self.body["error"]["message"].as_str().unwrap_or_default().to_owned()
    }
}

/// A client of the REST API (paths are relative to `/api/v1`).
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

impl ApiClient {
    /// A client of the server at `base` (`http://addr`) sending `key`.
    pub fn new(base: &str, key: Option<String>) -> ApiClient {
        ApiClient { http: reqwest::Client::new(), base: format!("{base}/api/v1"), key }
    }

    /// The same client with another key (or none).
    pub fn with_key(&self, key: Option<&str>) -> ApiClient {
        ApiClient { key: key.map(str::to_owned), ..self.clone() }
    }

    /// The key it sends.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    fn builder(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    async fn answer(request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the API answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if content_type.starts_with("text/event-stream") {
            // an endless stream: the status is the answer
            return Answer { status, body: Value::Null, content_type };
        }
        let bytes = response.bytes().await.expect("read the answer");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, body, content_type }
    }

    /// `method path` with an optional JSON body.
    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self.builder(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        ApiClient::answer(request).await
    }

    /// `method path` with a raw body of `content_type`.
    pub async fn raw(&self, method: &str, path: &str, content_type: &str, body: impl Into<String>) -> Answer {
        let request = self.builder(method, path).header(reqwest::header::CONTENT_TYPE, content_type).body(body.into());
        ApiClient::answer(request).await
    }

    /// `method path` with a raw binary body of `content_type`.
    pub async fn raw_bytes(&self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let request = self.builder(method, path).header(reqwest::header::CONTENT_TYPE, content_type).body(body);
        ApiClient::answer(request).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.request("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.request("POST", path, Some(&body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.request("PUT", path, Some(&body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.request("PATCH", path, Some(&body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Answer {
        self.request("DELETE", path, None).await
    }

    /// Every item of the list at `path`, following cursors with `limit` per page.
    pub async fn all(&self, path: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let joiner = if path.contains('?') { '&' } else { '?' };
        loop {
            let page_path = match &cursor {
                Some(cursor) => format!("{path}{joiner}limit={limit}&cursor={cursor}"),
                None => format!("{path}{joiner}limit={limit}"),
            };
            let page = self.get(&page_path).await.expect(200);
            let batch = page["items"].as_array().expect("items").clone();
            assert!(batch.len() <= limit, "a page holds at most `limit` items");
            items.extend(batch);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    /// Subscribes to `GET /events?query`; waits until the stream is open.
    pub async fn events(&self, query: &str) -> EventStream {
        let path = if query.is_empty() { "/events".to_owned() } else { format!("/events?{query}") };
        let response = self.builder("GET", &path).send().await.expect("the event stream opens");
        assert_eq!(response.status().as_u16(), 200, "the event stream opens");
        EventStream { response, buffer: String::new() }
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// `id:`.
    pub id: Option<u64>,
    /// `event:`.
    pub event: String,
    /// `data:`, as JSON.
    pub data: Value,
}

/// A reader of the API's event stream.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// The next event, or `None` if none comes within `timeout` or the stream ends.
    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut event = "message".to_owned();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = value.trim().parse().ok();
                    } else if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                let data = serde_json::from_str(&data).unwrap_or_else(|e| panic!("event data is JSON: {e}: {data}"));
                return Some(SseEvent { id, event, data });
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.expect("read the stream")?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events until one of `kind` arrives (within `timeout`), that one
    /// included; panics if it does not.
    pub async fn until(&mut self, kind: &str, timeout: Duration) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(event) = self.next(left).await else {
                panic!("no {kind} event within {timeout:?}; saw {:?}", seen.iter().map(|e: &SseEvent| e.event.clone()).collect::<Vec<_>>());
            };
            let done = event.event == kind;
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}
