//! The command line's arguments: what `gridlet` accepts (clap types only).
//! Nothing here runs anything: [`crate::cli`] parses these and hands each
//! subcommand to the module that carries it out ([`crate::commands`],
//! [`crate::plugins`], [`crate::serve`]), which read the argument types
//! from here, so the argument types and the code that runs them never
//! depend on each other in a circle (as ripgrep's `flags/` keeps them).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Gridlet: an OCPP 1.6J and 2.0.1 charging station management system.
#[derive(Debug, Parser)]
#[command(name = "gridlet", version, about)]
pub struct Cli {
    /// TOML configuration file (settings not in it keep their defaults).
    #[arg(long, global = true, env = "GRIDLET_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Send operator commands through a running server's REST API at this
    /// URL (e.g. http://127.0.0.1:9410) instead of opening the data
    /// directory; the API key is read from GRIDLET_API_KEY.
    #[arg(long, global = true, env = "GRIDLET_API_URL", value_name = "URL")]
    pub api: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:9410 (overrides the configuration).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Manage charging stations (data directory, or a running server with --api).
    #[command(subcommand)]
    Station(StationCommand),
    /// Manage ID tokens (data directory, or a running server with --api).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Inspect transactions (data directory, or a running server with --api).
    #[command(subcommand)]
    Transaction(TransactionCommand),
    /// Manage plugins: install, upgrade, configure, enable, disable, roll
    /// back, uninstall (data directory, or a running server with --api and an admin key).
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Assign tariffs to the network, groups of stations or stations (data
    /// directory, or a running server with --api and an admin key).
    #[command(subcommand)]
    Tariff(TariffCommand),
    /// Manage API keys (data directory, or a running server with --api and an admin key).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Send a command to a connected station through a running server's API
    /// (needs --api), e.g. `gridlet --api http://127.0.0.1:9410 command CP-1 reset --json '{"immediate":true}'`.
    #[command(name = "command")]
    Send(SendArgs),
    /// Run a simulated charging station against any OCPP server.
    Sim(sim::cli::SimArgs),
    /// Print the effective configuration.
    Config,
}

/// How a station's password is given.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// The password (visible to other users of this machine; prefer --password-stdin).
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,
    /// Generate a random password and print it.
    #[arg(long)]
    pub generate_password: bool,
}

/// `gridlet station …`
#[derive(Debug, Subcommand)]
pub enum StationCommand {
    /// Register a station, accepted, with its HTTP Basic password.
    Add {
        /// The station's identity (the last segment of its OCPP URL).
        id: String,
        /// How the password is given.
        #[command(flatten)]
        password: PasswordArgs,
        /// The group (site) it belongs to, for tariffs assigned to a group.
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
    },
    /// Approve a station that is pending (optionally setting its password).
    Approve {
        /// The station's identity.
        id: String,
        /// How the password is given.
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Put a station in a group (a site), for tariffs assigned to the group.
    SetGroup {
        /// The station's identity.
        id: String,
        /// The group; leave it out to take the station out of its group.
        group: Option<String>,
    },
    /// Reject a station: its boots are answered Rejected.
    Reject {
        /// The station's identity.
        id: String,
    },
    /// Set a station's password.
    SetPassword {
        /// The station's identity.
        id: String,
        /// How the password is given.
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Remove a station's record (its transactions, history and log stay).
    Delete {
        /// The station's identity.
        id: String,
    },
    /// List stations.
    List,
    /// Show a station: boot facts, connectors, recent status history and log.
    Show {
        /// The station's identity.
        id: String,
        /// How many history and log entries to show.
        #[arg(long, default_value_t = 20)]
        last: usize,
    },
}

/// `gridlet token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Add or replace an ID token.
    Add {
        /// The token (RFID UID, key code, account id, …).
        token: String,
        /// Its type (ISO14443, ISO15693, KeyCode, eMAID, MacAddress, Central, Local); any type when left out.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// Block it instead of accepting it.
        #[arg(long)]
        blocked: bool,
        /// When it expires (RFC 3339, e.g. 2027-01-01T00:00:00Z).
        #[arg(long, value_name = "TIME")]
        expires: Option<String>,
        /// Its group (1.6 parentIdTag, 2.0.1 groupIdToken).
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
        /// Allow it in several transactions at once.
        #[arg(long)]
        concurrent: bool,
    },
    /// Remove an ID token.
    Remove {
        /// The token.
        token: String,
    },
    /// List ID tokens.
    List,
    /// Import ID tokens from a CSV file (header row naming the columns
    /// value,type,status,expires_at,group_id,concurrent_transactions) or a
    /// JSON array; nothing is imported if any row is invalid.
    Import {
        /// The file (`-` for standard input); `.json` or starting with `[` is JSON, else CSV.
        file: PathBuf,
    },
}

/// `gridlet api-key …`
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print it (once: only its hash is kept).
    Create {
        /// What it is for, e.g. "billing export".
        #[arg(long)]
        name: String,
        /// read (look), operate (also commands, tokens, reservations) or admin (also stations, keys).
        #[arg(long)]
        scope: String,
    },
    /// List API keys (never their secrets).
    List,
    /// Revoke an API key: it authorizes nothing from then on.
    Revoke {
        /// The key's id (or the whole key).
        id: String,
    },
}

/// `gridlet command STATION COMMAND [--json BODY]`
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The station's identity.
    pub station: String,
    /// The command: reset, change-availability, unlock-connector,
    /// clear-cache, trigger-message, data-transfer, remote-start,
    /// remote-stop, send-local-list, get-local-list-version,
    /// update-firmware, upload-logs, get-configuration,
    /// change-configuration, get-variables, set-variables, get-base-report,
    /// get-transaction-status or raw.
    pub command: String,
    /// The command's arguments as JSON (see GET /api/v1/openapi.json), e.g. '{"immediate": true}'.
    #[arg(long, value_name = "BODY")]
    pub json: Option<String>,
}

/// `gridlet transaction …`
#[derive(Debug, Subcommand)]
pub enum TransactionCommand {
    /// List transactions.
    List {
        /// Show at most this many, the latest ones.
        #[arg(long, default_value_t = 50)]
        last: usize,
    },
    /// Show a transaction with its price, meter readings and events.
    Show {
        /// The transaction's number.
        number: u64,
    },
    /// Price an ended transaction again from its stored readings, with the
    /// tariff that applies to its station now or the one named.
    Reprice {
        /// The transaction's number.
        number: u64,
        /// A tariff plugin to price with instead (needs --currency).
        #[arg(long, value_name = "ID", requires = "currency")]
        plugin: Option<String>,
        /// The currency to bill in with --plugin, e.g. EUR.
        #[arg(long, value_name = "CODE", requires = "plugin")]
        currency: Option<String>,
    },
}

/// `gridlet plugin …`
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List installed plugins.
    List,
    /// Show a plugin: version, hash, history, status, configuration, limits.
    Show {
        /// The plugin's id.
        id: String,
    },
    /// Install a plugin package (a directory with gridlet-plugin.toml and
    /// the component it names), or upgrade the installed plugin to its newer version.
    Install {
        /// The package directory.
        dir: PathBuf,
        /// Capabilities to grant, as JSON, e.g. '{"http_hosts": ["pay.example.com"]}'.
        #[arg(long, value_name = "JSON")]
        grant: Option<String>,
    },
    /// Set a plugin's configuration (checked by its schema and the plugin).
    Configure {
        /// The plugin's id.
        id: String,
        /// The configuration as JSON.
        #[arg(long, value_name = "JSON", conflicts_with = "file", required_unless_present = "file")]
        json: Option<String>,
        /// A file holding the configuration as JSON (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Enable a plugin (also one the circuit breaker stopped).
    Enable {
        /// The plugin's id.
        id: String,
    },
    /// Disable a plugin: transactions it would price end unpriced.
    Disable {
        /// The plugin's id.
        id: String,
    },
    /// Go back to the version active before the last upgrade.
    Rollback {
        /// The plugin's id.
        id: String,
    },
    /// Remove a plugin and its stored versions.
    Uninstall {
        /// The plugin's id.
        id: String,
    },
}

/// Where a tariff applies.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TariffTarget {
    /// The network's default.
    #[arg(long)]
    pub default: bool,
    /// A group of stations (a site).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// One station.
    #[arg(long, value_name = "STATION")]
    pub station: Option<String>,
}

/// `gridlet tariff …`
#[derive(Debug, Subcommand)]
pub enum TariffCommand {
    /// List tariff assignments.
    List,
    /// Assign a tariff plugin, billing in a currency; station beats group beats default.
    Assign {
        /// Where it applies.
        #[command(flatten)]
        target: TariffTarget,
        /// The tariff plugin's id.
        #[arg(long, value_name = "ID")]
        plugin: String,
        /// The currency to bill in (ISO 4217), e.g. EUR.
        #[arg(long, value_name = "CODE")]
        currency: String,
    },
    /// Remove a tariff assignment.
    Unassign {
        /// Where it applies.
        #[command(flatten)]
        target: TariffTarget,
    },
}
