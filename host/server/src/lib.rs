//! Gridlet's network front.
//!
//! A [`Server`] serves, on one listener: the OCPP-J WebSocket endpoint
//! `/ocpp/{stationId}`, `GET /health`, and whatever routes the caller merges
//! into [`Server::router`] (the REST API). Each station connection is a tokio
//! task that feeds text frames to its [`session::StationSession`], sends back
//! the answers and the operator's commands; the [`registry::Registry`] keeps
//! one connection per station, and [`Network`] is the operator's handle on
//! them (commands, remote starts, live events).
//!
//! - [`listener`]: the accept loop, with the handshake's deadline and cap.
//! - [`handshake`]: subprotocol negotiation and HTTP Basic admission.
//! - [`pending`]: the sweeper that expires pending stations never approved.
//! - [`connection`]: the per-station WebSocket loop.
//! - [`registry`]: connected stations and their command queues.
//! - [`network`]: the operator's handle.
//!
//! Shutdown: a `watch` channel tells every connection task to close, and the
//! server waits until the count of live connection tasks
//! ([`ConnectionTracker`]) is back to zero before it returns.

pub mod connection;
pub mod handshake;
pub mod listener;
pub mod network;
pub mod pending;
pub mod registry;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use domain::{Storage, Timestamp};
use ocpp::OcppVersion;
use session::admission::{AdmissionLimits, AdmissionPolicy, Gatekeeper};
use session::auth::PasswordChecker;
use session::{Csms, Settings};

pub use crate::listener::ListenLimits;
pub use crate::network::{Connection, Network, RemoteStartError};
use crate::registry::Registry;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The OCPP versions offered, in the server's order of preference (used
    /// only to break ties; the station's order decides).
    pub versions: Vec<OcppVersion>,
    /// The largest OCPP message handled, in bytes. A larger one (up to twice
    /// this) is answered with a CALLERROR; a larger one still closes the
    /// connection with WebSocket code 1009.
    pub max_message_bytes: usize,
    /// Initial read buffer per connection, in bytes (it grows for larger
    /// messages). tungstenite fills the whole buffer before each read, so
    /// every byte of it is resident for every idle connection: it is sized
    /// for the common OCPP message (well under 1 KiB), not the largest.
    pub read_buffer_bytes: usize,
    /// Interval of WebSocket pings to each station; a station silent for two
    /// intervals is disconnected. `None` disables pings.
    pub ping_interval: Option<Duration>,
    /// Who may connect.
    pub admission: AdmissionPolicy,
    /// What failed handshakes and pending stations may cost.
    pub admission_limits: AdmissionLimits,
    /// Bounds on connections still in their handshake.
    pub listen: ListenLimits,
    /// How often pending stations are counted and the expired ones removed.
    pub pending_sweep_interval: Duration,
    /// Protocol settings (intervals).
    pub settings: Settings,
    /// How many password hashes may be verified at once.
    pub password_check_parallelism: usize,
    /// How long a new connection waits for the one it replaces to finish.
    pub replace_wait: Duration,
}

impl ServerConfig {
    /// Defaults suited to a production network; [`ServerConfig::admission`]
    /// must be chosen by the caller.
    pub fn new(admission: AdmissionPolicy) -> Self {
        ServerConfig {
            versions: vec![OcppVersion::V201, OcppVersion::V16],
            max_message_bytes: 256 * 1024,
            // 1 KiB instead of 4 KiB: 2.5 KiB less RSS per idle connection
            // (BENCHMARKS.md, "Idle"); a larger message grows the buffer.
            read_buffer_bytes: 1024,
            ping_interval: Some(Duration::from_secs(60)),
            admission,
            admission_limits: AdmissionLimits::default(),
            listen: ListenLimits::default(),
            pending_sweep_interval: Duration::from_secs(60),
            settings: Settings::default(),
            password_check_parallelism: std::thread::available_parallelism().map_or(2, |n| n.get()),
            replace_wait: Duration::from_secs(5),
        }
    }
}

/// What every request and connection shares.
pub struct AppState {
    /// Sessions' shared context (storage, settings).
    pub csms: Arc<Csms>,
    /// The server's configuration.
    pub config: ServerConfig,
    /// Connected stations.
    pub registry: Registry,
    /// Decides handshakes (passwords, failure limits, pending stations).
    pub gatekeeper: Gatekeeper,
    /// Flips to `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Counts live connection tasks, so shutdown can wait for them.
    pub connections: ConnectionTracker,
    /// When the server started.
    pub started: Instant,
}

/// Counts live connection tasks.
#[derive(Default)]
pub struct ConnectionTracker {
    live: AtomicUsize,
    all_ended: Notify,
}

/// Held by a connection task; dropping it counts the task as ended.
pub struct ConnectionGuard<'a>(&'a ConnectionTracker);

impl ConnectionTracker {
    /// Counts a new connection task until the guard is dropped.
    pub fn enter(&self) -> ConnectionGuard<'_> {
        self.live.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self)
    }

    /// Resolves once no connection task is live.
    pub async fn all_ended(&self) {
        loop {
            let notified = self.all_ended.notified();
            if self.live.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.all_ended.notify_waiters();
        }
    }
}

/// The current time, read at the edge of the system.
pub fn now() -> Timestamp {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    Timestamp::from_unix_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}

/// A server, built but not yet serving: get its [`Network`] handle and its
/// [`router`](Server::router), merge other routes, then [`serve`](Server::serve).
pub struct Server {
    state: Arc<AppState>,
    stop: watch::Sender<bool>,
}

impl Server {
    /// A server over `storage` with `config`.
    pub fn new(storage: Arc<dyn Storage>, config: ServerConfig) -> Server {
        let (stop, stop_rx) = watch::channel(false);
        let state = Arc::new(AppState {
            csms: Arc::new(Csms::new(storage, config.settings)),
            gatekeeper: Gatekeeper::new(
                config.admission,
                config.admission_limits,
                PasswordChecker::new(config.password_check_parallelism),
            ),
            config,
            registry: Registry::default(),
            shutdown: stop_rx,
            connections: ConnectionTracker::default(),
            started: Instant::now(),
        });
        Server { state, stop }
    }

    /// The operator's handle on the network.
    pub fn network(&self) -> Network {
        Network::new(self.state.clone())
    }

    /// Prices transactions with `pricer` from now on: each transaction that
    /// ends is priced with the tariff assigned to its station (see
    /// `session::pricing`). Without one, a transaction a tariff applies to
    /// is stored unpriced.
    pub fn set_pricer(&self, pricer: Arc<dyn domain::Pricer>) {
        self.state.csms.set_pricer(pricer);
    }

    /// The OCPP and health routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/ocpp/{station_id}", get(handshake::ocpp_upgrade))
            .route("/health", get(health))
            .with_state(self.state.clone())
    }

    /// Serves `router` on `listener` until `shutdown` completes, then closes
    /// every station connection and returns once they have all ended. The
    /// pending-station sweeper runs meanwhile (see [`pending`]).
    pub async fn serve(
        self,
        listener: TcpListener,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server { state, stop } = self;
        let sweeper = tokio::spawn(pending::sweep_periodically(state.clone()));
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let served =
            listener::serve_connections(listener, router, state.config.listen, state.shutdown.clone()).await;
        sweeper.abort();
        state.connections.all_ended().await;
        served
    }
}

/// Serves the OCPP and health routes alone on `listener` until `shutdown`.
pub async fn run(
    listener: TcpListener,
    storage: Arc<dyn Storage>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let server = Server::new(storage, config);
    let router = server.router();
    server.serve(listener, router, shutdown).await
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    uptime_secs: u64,
    connected_stations: usize,
}

async fn health(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let storage_ok = state.csms.storage.stations(None, 1).is_ok();
    let health = Health {
        status: if storage_ok { "ok" } else { "storage unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        uptime_secs: state.started.elapsed().as_secs(),
        connected_stations: state.registry.len(),
    };
    let code = if storage_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(health))
}
