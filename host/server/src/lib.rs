//! Gridlet's network front.
//!
//! [`run`] serves, on one listener: the OCPP-J WebSocket endpoint
//! `/ocpp/{stationId}` and `GET /health`. Each station connection is a tokio
//! task that feeds text frames to its [`session::StationSession`] and sends
//! back the answers; the [`registry::Registry`] keeps one connection per
//! station.
//!
//! - [`handshake`]: subprotocol negotiation and HTTP Basic admission.
//! - [`connection`]: the per-station WebSocket loop.
//! - [`registry`]: connected stations.
//!
//! Shutdown follows mini-redis: a `watch` channel tells every task to stop,
//! and the server waits until every connection task has dropped its handle
//! on a shared `mpsc` sender before it returns.

pub mod connection;
pub mod handshake;
pub mod registry;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use domain::{Storage, Timestamp};
use ocpp::OcppVersion;
use session::admission::AdmissionPolicy;
use session::auth::PasswordChecker;
use session::{Csms, Settings};

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
    /// Initial read buffer per connection, in bytes (it grows for larger messages).
    pub read_buffer_bytes: usize,
    /// Interval of WebSocket pings to each station; a station silent for two
    /// intervals is disconnected. `None` disables pings.
    pub ping_interval: Option<Duration>,
    /// Who may connect.
    pub admission: AdmissionPolicy,
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
            read_buffer_bytes: 4096,
            ping_interval: Some(Duration::from_secs(60)),
            admission,
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
    /// Verifies station passwords.
    pub passwords: PasswordChecker,
    /// Flips to `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Held by every connection task; the server waits for all to be dropped.
    pub connections_done: mpsc::Sender<()>,
    /// When the server started.
    pub started: Instant,
}

/// The current time, read at the edge of the system.
pub fn now() -> Timestamp {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    Timestamp::from_unix_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}

/// The HTTP routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ocpp/{station_id}", get(handshake::ocpp_upgrade))
        .route("/health", get(health))
        .with_state(state)
}

/// Serves Gridlet on `listener` until `shutdown` completes, then closes every
/// station connection and returns.
pub async fn run(
    listener: TcpListener,
    storage: Arc<dyn Storage>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let state = Arc::new(AppState {
        csms: Arc::new(Csms { storage, settings: config.settings }),
        passwords: PasswordChecker::new(config.password_check_parallelism),
        config,
        registry: Registry::default(),
        shutdown: stop_rx,
        connections_done: done_tx,
        started: Instant::now(),
    });
    let app = router(state.clone());
    let stop = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let served = axum::serve(listener, app).with_graceful_shutdown(stop).await;
    drop(state);
    // Every connection task holds a clone of the sender; recv() returns None once all are gone.
    let _ = done_rx.recv().await;
    served
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
