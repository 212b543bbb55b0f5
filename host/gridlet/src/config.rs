//! Configuration: built-in defaults, overridden by a TOML file, overridden
//! by environment variables, overridden by command-line flags.
//!
//! Every setting, its TOML key and its environment variable:
//!
//! | TOML key | environment variable | default |
//! |---|---|---|
//! | `listen` | `GRIDLET_LISTEN` | `127.0.0.1:9410` |
//! | `data_dir` | `GRIDLET_DATA_DIR` | `gridlet-data` |
//! | `ocpp.versions` | `GRIDLET_OCPP_VERSIONS` (comma-separated) | `["ocpp2.0.1", "ocpp1.6"]` |
//! | `ocpp.heartbeat_interval_secs` | `GRIDLET_OCPP_HEARTBEAT_INTERVAL_SECS` | `300` |
//! | `ocpp.pending_retry_secs` | `GRIDLET_OCPP_PENDING_RETRY_SECS` | `60` |
//! | `ocpp.max_message_bytes` | `GRIDLET_OCPP_MAX_MESSAGE_BYTES` | `262144` |
//! | `ocpp.ping_interval_secs` (0 = off) | `GRIDLET_OCPP_PING_INTERVAL_SECS` | `60` |
//! | `ocpp.offline_grace_secs` | `GRIDLET_OCPP_OFFLINE_GRACE_SECS` | `60` |
//! | `ocpp.command_timeout_secs` | `GRIDLET_OCPP_COMMAND_TIMEOUT_SECS` | `30` |
//! | `ocpp.remote_start_wait_secs` | `GRIDLET_OCPP_REMOTE_START_WAIT_SECS` | `60` |
//! | `ocpp.max_evse_id` (also 1.6's highest `connectorId`) | `GRIDLET_OCPP_MAX_EVSE_ID` | `32` |
//! | `ocpp.max_connector_id` (per EVSE, 2.0.1) | `GRIDLET_OCPP_MAX_CONNECTOR_ID` | `8` |
//! | `auth.unknown_stations` (`pending`/`reject`) | `GRIDLET_AUTH_UNKNOWN_STATIONS` | `pending` |
//! | `auth.allow_stations_without_password` | `GRIDLET_AUTH_ALLOW_STATIONS_WITHOUT_PASSWORD` | `false` |
//! | `auth.max_failures_per_station` | `GRIDLET_AUTH_MAX_FAILURES_PER_STATION` | `10` |
//! | `auth.max_failures_per_address` | `GRIDLET_AUTH_MAX_FAILURES_PER_ADDRESS` | `30` |
//! | `auth.failure_window_secs` | `GRIDLET_AUTH_FAILURE_WINDOW_SECS` | `60` |
//! | `auth.max_pending_stations` | `GRIDLET_AUTH_MAX_PENDING_STATIONS` | `1000` |
//! | `auth.pending_per_minute` | `GRIDLET_AUTH_PENDING_PER_MINUTE` | `60` |
//! | `auth.pending_expiry_secs` | `GRIDLET_AUTH_PENDING_EXPIRY_SECS` | `86400` |
//! | `http.header_read_timeout_secs` | `GRIDLET_HTTP_HEADER_READ_TIMEOUT_SECS` | `10` |
//! | `http.max_handshaking_connections` | `GRIDLET_HTTP_MAX_HANDSHAKING_CONNECTIONS` | `1024` |
//! | `storage.flush_interval_ms` | `GRIDLET_STORAGE_FLUSH_INTERVAL_MS` | `2` |
//! | `pricing.running_cost` | `GRIDLET_PRICING_RUNNING_COST` | `true` |
//! | `pricing.running_cost_interval_secs` (0 = at every reading) | `GRIDLET_PRICING_RUNNING_COST_INTERVAL_SECS` | `60` |
//! | `log.filter` | `GRIDLET_LOG` | `info` |
//! | `log.format` (`text`/`json`) | `GRIDLET_LOG_FORMAT` | `text` |
//!
//! Unknown keys in the file are errors, so a typo is not silently ignored.
//!
//! The CLI's `--api` mode reads two more environment variables, which are
//! not settings of the server: `GRIDLET_API_URL` (the server's URL, like
//! `--api`) and `GRIDLET_API_KEY` (the API key to send).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use ocpp::OcppVersion;
use session::admission::{AdmissionLimits, AdmissionPolicy, UnknownStationPolicy};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Where data is kept.
    pub data_dir: PathBuf,
    /// OCPP settings.
    pub ocpp: OcppSection,
    /// Station admission.
    pub auth: AuthSection,
    /// Connections before they are admitted.
    pub http: HttpSection,
    /// Storage settings.
    pub storage: StorageSection,
    /// Tariffs on transactions.
    pub pricing: PricingSection,
    /// Logging.
    pub log: LogSection,
}

/// `[ocpp]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcppSection {
    /// Subprotocols offered (`ocpp2.0.1`, `ocpp1.6`).
    pub versions: Vec<String>,
    /// Heartbeat interval for accepted stations.
    pub heartbeat_interval_secs: u32,
    /// Boot retry interval for pending or rejected stations.
    pub pending_retry_secs: u32,
    /// Largest OCPP message handled.
    pub max_message_bytes: usize,
    /// WebSocket ping interval; 0 turns pings off.
    pub ping_interval_secs: u64,
    /// Silence allowed beyond the heartbeat interval before a station is offline.
    pub offline_grace_secs: u32,
    /// How long a station has to answer a command.
    pub command_timeout_secs: u32,
    /// How long a remote start through the API waits, after the station
    /// accepted, for the transaction to begin.
    pub remote_start_wait_secs: u32,
    /// The highest EVSE id a station may name (2.0.1 `evseId`; 1.6
    /// `connectorId`, since 1.6 connector N is EVSE N). Higher ones are
    /// refused, so a station cannot make Gridlet keep state for EVSEs it
    /// does not have.
    pub max_evse_id: u32,
    /// The highest connector id on one EVSE a 2.0.1 station may name.
    pub max_connector_id: u32,
}

/// `[auth]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    /// `pending` or `reject`.
    pub unknown_stations: String,
    /// Whether known stations without a password may connect.
    pub allow_stations_without_password: bool,
    /// Failed handshakes allowed per station id in a window.
    pub max_failures_per_station: u32,
    /// Failed handshakes allowed per source address in a window.
    pub max_failures_per_address: u32,
    /// The failure window.
    pub failure_window_secs: u32,
    /// The most stations waiting for approval.
    pub max_pending_stations: usize,
    /// The most new pending stations a minute.
    pub pending_per_minute: u32,
    /// A pending station not heard from for this long is removed.
    pub pending_expiry_secs: u64,
}

/// `[http]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    /// How long a client has to send a complete request head.
    pub header_read_timeout_secs: u64,
    /// How many connections may be in their handshake at once.
    pub max_handshaking_connections: usize,
}

/// `[storage]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// Group-commit window.
    pub flush_interval_ms: u64,
}

/// `[pricing]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PricingSection {
    /// Whether running transactions get a running cost (stored and pushed
    /// to the station).
    pub running_cost: bool,
    /// A running cost is estimated at most once per this many seconds per
    /// transaction; 0: at every message with new readings.
    pub running_cost_interval_secs: u32,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// A tracing filter, e.g. `info` or `info,session=debug`.
    pub filter: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 9410)),
            data_dir: PathBuf::from("gridlet-data"),
            ocpp: OcppSection::default(),
            auth: AuthSection::default(),
            http: HttpSection::default(),
            storage: StorageSection::default(),
            pricing: PricingSection::default(),
            log: LogSection::default(),
        }
    }
}

impl Default for OcppSection {
    fn default() -> Self {
        OcppSection {
            versions: vec!["ocpp2.0.1".into(), "ocpp1.6".into()],
            heartbeat_interval_secs: 300,
            pending_retry_secs: 60,
            max_message_bytes: 256 * 1024,
            ping_interval_secs: 60,
            offline_grace_secs: 60,
            command_timeout_secs: 30,
            remote_start_wait_secs: 60,
            max_evse_id: 32,
            max_connector_id: 8,
        }
    }
}

impl Default for AuthSection {
    fn default() -> Self {
        let limits = AdmissionLimits::default();
        AuthSection {
            unknown_stations: "pending".into(),
            allow_stations_without_password: false,
            max_failures_per_station: limits.max_failures_per_station,
            max_failures_per_address: limits.max_failures_per_address,
            failure_window_secs: limits.failure_window_secs,
            max_pending_stations: limits.max_pending_stations,
            pending_per_minute: limits.pending_per_minute,
            pending_expiry_secs: limits.pending_expiry_secs,
        }
    }
}

impl Default for HttpSection {
    fn default() -> Self {
        let limits = server::ListenLimits::default();
        HttpSection {
            header_read_timeout_secs: limits.header_read_timeout.as_secs(),
            max_handshaking_connections: limits.max_handshaking_connections,
        }
    }
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection { flush_interval_ms: 2 }
    }
}

impl Default for PricingSection {
    fn default() -> Self {
        PricingSection { running_cost: true, running_cost_interval_secs: 60 }
    }
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection { filter: "info".into(), format: "text".into() }
    }
}

impl Config {
    /// Loads defaults, then `file` (if given), then the environment `env`.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.check()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            value.trim().parse().map_err(|e| anyhow::anyhow!("invalid {name}={value:?}: {e}"))
        }
        if let Some(v) = env("GRIDLET_LISTEN") {
            self.listen = parse("GRIDLET_LISTEN", &v)?;
        }
        if let Some(v) = env("GRIDLET_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("GRIDLET_OCPP_VERSIONS") {
            self.ocpp.versions = v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = env("GRIDLET_OCPP_HEARTBEAT_INTERVAL_SECS") {
            self.ocpp.heartbeat_interval_secs = parse("GRIDLET_OCPP_HEARTBEAT_INTERVAL_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_PENDING_RETRY_SECS") {
            self.ocpp.pending_retry_secs = parse("GRIDLET_OCPP_PENDING_RETRY_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_MAX_MESSAGE_BYTES") {
            self.ocpp.max_message_bytes = parse("GRIDLET_OCPP_MAX_MESSAGE_BYTES", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_PING_INTERVAL_SECS") {
            self.ocpp.ping_interval_secs = parse("GRIDLET_OCPP_PING_INTERVAL_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_OFFLINE_GRACE_SECS") {
            self.ocpp.offline_grace_secs = parse("GRIDLET_OCPP_OFFLINE_GRACE_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_COMMAND_TIMEOUT_SECS") {
            self.ocpp.command_timeout_secs = parse("GRIDLET_OCPP_COMMAND_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_REMOTE_START_WAIT_SECS") {
            self.ocpp.remote_start_wait_secs = parse("GRIDLET_OCPP_REMOTE_START_WAIT_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_MAX_EVSE_ID") {
            self.ocpp.max_evse_id = parse("GRIDLET_OCPP_MAX_EVSE_ID", &v)?;
        }
        if let Some(v) = env("GRIDLET_OCPP_MAX_CONNECTOR_ID") {
            self.ocpp.max_connector_id = parse("GRIDLET_OCPP_MAX_CONNECTOR_ID", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_UNKNOWN_STATIONS") {
            self.auth.unknown_stations = v.trim().to_owned();
        }
        if let Some(v) = env("GRIDLET_AUTH_ALLOW_STATIONS_WITHOUT_PASSWORD") {
            self.auth.allow_stations_without_password = parse("GRIDLET_AUTH_ALLOW_STATIONS_WITHOUT_PASSWORD", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_MAX_FAILURES_PER_STATION") {
            self.auth.max_failures_per_station = parse("GRIDLET_AUTH_MAX_FAILURES_PER_STATION", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_MAX_FAILURES_PER_ADDRESS") {
            self.auth.max_failures_per_address = parse("GRIDLET_AUTH_MAX_FAILURES_PER_ADDRESS", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_FAILURE_WINDOW_SECS") {
            self.auth.failure_window_secs = parse("GRIDLET_AUTH_FAILURE_WINDOW_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_MAX_PENDING_STATIONS") {
            self.auth.max_pending_stations = parse("GRIDLET_AUTH_MAX_PENDING_STATIONS", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_PENDING_PER_MINUTE") {
            self.auth.pending_per_minute = parse("GRIDLET_AUTH_PENDING_PER_MINUTE", &v)?;
        }
        if let Some(v) = env("GRIDLET_AUTH_PENDING_EXPIRY_SECS") {
            self.auth.pending_expiry_secs = parse("GRIDLET_AUTH_PENDING_EXPIRY_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_HTTP_HEADER_READ_TIMEOUT_SECS") {
            self.http.header_read_timeout_secs = parse("GRIDLET_HTTP_HEADER_READ_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_HTTP_MAX_HANDSHAKING_CONNECTIONS") {
            self.http.max_handshaking_connections = parse("GRIDLET_HTTP_MAX_HANDSHAKING_CONNECTIONS", &v)?;
        }
        if let Some(v) = env("GRIDLET_STORAGE_FLUSH_INTERVAL_MS") {
            self.storage.flush_interval_ms = parse("GRIDLET_STORAGE_FLUSH_INTERVAL_MS", &v)?;
        }
        if let Some(v) = env("GRIDLET_PRICING_RUNNING_COST") {
            self.pricing.running_cost = parse("GRIDLET_PRICING_RUNNING_COST", &v)?;
        }
        if let Some(v) = env("GRIDLET_PRICING_RUNNING_COST_INTERVAL_SECS") {
            self.pricing.running_cost_interval_secs = parse("GRIDLET_PRICING_RUNNING_COST_INTERVAL_SECS", &v)?;
        }
        if let Some(v) = env("GRIDLET_LOG") {
            self.log.filter = v;
        }
        if let Some(v) = env("GRIDLET_LOG_FORMAT") {
            self.log.format = v.trim().to_owned();
        }
        Ok(())
    }

    /// Checks values the types alone do not.
    pub fn check(&self) -> anyhow::Result<()> {
        self.ocpp_versions()?;
        self.unknown_station_policy()?;
        if self.ocpp.max_message_bytes < 1024 {
            bail!("ocpp.max_message_bytes must be at least 1024, got {}", self.ocpp.max_message_bytes);
        }
        if self.ocpp.heartbeat_interval_secs == 0 || self.ocpp.pending_retry_secs == 0 {
            bail!("ocpp.heartbeat_interval_secs and ocpp.pending_retry_secs must be at least 1");
        }
        if self.ocpp.command_timeout_secs == 0 {
            bail!("ocpp.command_timeout_secs must be at least 1");
        }
        if self.ocpp.remote_start_wait_secs == 0 {
            bail!("ocpp.remote_start_wait_secs must be at least 1");
        }
        if self.ocpp.max_evse_id == 0 || self.ocpp.max_connector_id == 0 {
            bail!("ocpp.max_evse_id and ocpp.max_connector_id must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bail!("log.format must be \"text\" or \"json\", got {:?}", self.log.format);
        }
        if self.auth.failure_window_secs == 0 {
            bail!("auth.failure_window_secs must be at least 1");
        }
        if self.http.header_read_timeout_secs == 0 || self.http.max_handshaking_connections == 0 {
            bail!("http.header_read_timeout_secs and http.max_handshaking_connections must be at least 1");
        }
        if self.storage.flush_interval_ms > 1000 {
            bail!("storage.flush_interval_ms must be at most 1000, got {}", self.storage.flush_interval_ms);
        }
        Ok(())
    }

    /// The configured OCPP versions.
    pub fn ocpp_versions(&self) -> anyhow::Result<Vec<OcppVersion>> {
        if self.ocpp.versions.is_empty() {
            bail!("ocpp.versions must name at least one of ocpp2.0.1, ocpp1.6");
        }
        self.ocpp
            .versions
            .iter()
            .map(|name| {
                OcppVersion::from_subprotocol(name)
                    .with_context(|| format!("unknown OCPP version {name:?} in ocpp.versions; use ocpp2.0.1 or ocpp1.6"))
            })
            .collect()
    }

    /// The configured policy for unknown stations.
    pub fn unknown_station_policy(&self) -> anyhow::Result<UnknownStationPolicy> {
        UnknownStationPolicy::parse(&self.auth.unknown_stations).with_context(|| {
            format!("auth.unknown_stations must be \"pending\" or \"reject\", got {:?}", self.auth.unknown_stations)
        })
    }

    /// The server's configuration.
    pub fn server_config(&self) -> anyhow::Result<server::ServerConfig> {
        let admission = AdmissionPolicy {
            unknown_stations: self.unknown_station_policy()?,
            allow_stations_without_password: self.auth.allow_stations_without_password,
        };
        let mut config = server::ServerConfig::new(admission);
        config.admission_limits = AdmissionLimits {
            max_failures_per_station: self.auth.max_failures_per_station,
            max_failures_per_address: self.auth.max_failures_per_address,
            failure_window_secs: self.auth.failure_window_secs,
            max_pending_stations: self.auth.max_pending_stations,
            pending_per_minute: self.auth.pending_per_minute,
            pending_expiry_secs: self.auth.pending_expiry_secs,
        };
        config.listen = server::ListenLimits {
            header_read_timeout: Duration::from_secs(self.http.header_read_timeout_secs),
            max_handshaking_connections: self.http.max_handshaking_connections,
        };
        config.versions = self.ocpp_versions()?;
        config.max_message_bytes = self.ocpp.max_message_bytes;
        config.ping_interval =
            (self.ocpp.ping_interval_secs > 0).then(|| Duration::from_secs(self.ocpp.ping_interval_secs));
        config.settings.heartbeat_interval_secs = self.ocpp.heartbeat_interval_secs;
        config.settings.pending_retry_secs = self.ocpp.pending_retry_secs;
        config.settings.offline_grace_secs = self.ocpp.offline_grace_secs;
        config.settings.command_timeout_secs = self.ocpp.command_timeout_secs;
        config.settings.running_cost = self.pricing.running_cost;
        config.settings.running_cost_interval_secs = self.pricing.running_cost_interval_secs;
        config.settings.connector_limits = domain::ConnectorLimits {
            max_evse_id: self.ocpp.max_evse_id,
            max_connector_id: self.ocpp.max_connector_id,
        };
        Ok(config)
    }

    /// The REST API's options.
    pub fn api_options(&self) -> api::ApiOptions {
        api::ApiOptions {
            remote_start_wait: Duration::from_secs(u64::from(self.ocpp.remote_start_wait_secs)),
            allow_stations_without_password: self.auth.allow_stations_without_password,
            ..api::ApiOptions::default()
        }
    }

    /// The store's options.
    pub fn store_options(&self) -> store::StoreOptions {
        store::StoreOptions {
            flush_interval: Duration::from_millis(self.storage.flush_interval_ms),
            ..store::StoreOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_are_valid() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.ocpp_versions().unwrap(), vec![OcppVersion::V201, OcppVersion::V16]);
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gridlet.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\n[ocpp]\nheartbeat_interval_secs = 60\n[auth]\nunknown_stations = \"reject\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), env(&[("GRIDLET_OCPP_HEARTBEAT_INTERVAL_SECS", "30")])).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.ocpp.heartbeat_interval_secs, 30);
        assert_eq!(config.unknown_station_policy().unwrap(), UnknownStationPolicy::Reject);
        assert_eq!(config.ocpp.pending_retry_secs, 60);
    }

    #[test]
    fn pricing_settings_reach_the_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gridlet.toml");
        std::fs::write(&file, "[pricing]\nrunning_cost = false\nrunning_cost_interval_secs = 5\n").unwrap();
        let config = Config::load(Some(&file), env(&[("GRIDLET_PRICING_RUNNING_COST_INTERVAL_SECS", "7")])).unwrap();
        let settings = config.server_config().unwrap().settings;
        assert!(!settings.running_cost);
        assert_eq!(settings.running_cost_interval_secs, 7);
        let defaults = Config::default().server_config().unwrap().settings;
        assert!(defaults.running_cost);
        assert_eq!(defaults.running_cost_interval_secs, 60);
        let error = format!("{:#}", Config::load(None, env(&[("GRIDLET_PRICING_RUNNING_COST", "maybe")])).unwrap_err());
        assert!(error.contains("GRIDLET_PRICING_RUNNING_COST"), "{error}");
    }

    #[test]
    fn admission_limits_reach_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gridlet.toml");
        std::fs::write(
            &file,
            "[auth]\nmax_pending_stations = 5\npending_per_minute = 2\n[http]\nheader_read_timeout_secs = 3\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), env(&[("GRIDLET_AUTH_MAX_FAILURES_PER_ADDRESS", "4")])).unwrap();
        let server = config.server_config().unwrap();
        assert_eq!(server.admission_limits.max_pending_stations, 5);
        assert_eq!(server.admission_limits.pending_per_minute, 2);
        assert_eq!(server.admission_limits.max_failures_per_address, 4);
        assert_eq!(server.admission_limits.max_failures_per_station, 10);
        assert_eq!(server.listen.header_read_timeout, Duration::from_secs(3));
        assert_eq!(server.listen.max_handshaking_connections, 1024);
        let error = format!("{:#}", Config::load(None, env(&[("GRIDLET_HTTP_HEADER_READ_TIMEOUT_SECS", "0")])).unwrap_err());
        assert!(error.contains("header_read_timeout_secs"), "{error}");
    }

    #[test]
    fn connector_limits_reach_the_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gridlet.toml");
        std::fs::write(&file, "[ocpp]\nmax_evse_id = 4\nmax_connector_id = 3\n").unwrap();
        let config = Config::load(Some(&file), env(&[("GRIDLET_OCPP_MAX_CONNECTOR_ID", "2")])).unwrap();
        let limits = config.server_config().unwrap().settings.connector_limits;
        assert_eq!(limits, domain::ConnectorLimits { max_evse_id: 4, max_connector_id: 2 });
        assert_eq!(Config::default().server_config().unwrap().settings.connector_limits, domain::ConnectorLimits::default());
        let error = format!("{:#}", Config::load(None, env(&[("GRIDLET_OCPP_MAX_EVSE_ID", "0")])).unwrap_err());
        assert!(error.contains("ocpp.max_evse_id"), "{error}");
    }

    #[test]
    fn mistakes_are_reported_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gridlet.toml");
        std::fs::write(&file, "[ocpp]\nheartbeat_intervall_secs = 60\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(error.contains("heartbeat_intervall_secs"), "{error}");

        let error = format!("{:#}", Config::load(None, env(&[("GRIDLET_LISTEN", "nowhere")])).unwrap_err());
        assert!(error.contains("GRIDLET_LISTEN"), "{error}");
        let error = format!("{:#}", Config::load(None, env(&[("GRIDLET_AUTH_UNKNOWN_STATIONS", "maybe")])).unwrap_err());
        assert!(error.contains("auth.unknown_stations"), "{error}");
        let error = format!("{:#}", Config::load(None, env(&[("GRIDLET_OCPP_VERSIONS", "ocpp2.1")])).unwrap_err());
        assert!(error.contains("ocpp2.1"), "{error}");
        let error =
            format!("{:#}", Config::load(None, env(&[("GRIDLET_OCPP_REMOTE_START_WAIT_SECS", "0")])).unwrap_err());
        assert!(error.contains("remote_start_wait_secs"), "{error}");
        let missing = dir.path().join("missing.toml");
        let error = format!("{:#}", Config::load(Some(&missing), env(&[])).unwrap_err());
        assert!(error.contains("cannot read config file"), "{error}");
    }
}
