//! `gridlet serve`: opens the store and the plugins (installing the
//! default ones on first start), listens (OCPP, health and the REST API on
//! one port), serves until Ctrl-C or SIGTERM, then closes every connection
//! and flushes the store.
//!
//! Transactions are priced with the tariff plugins of `<data-dir>/plugins`.
//! A plugin registry that cannot be opened does not stop the server: it
//! runs without plugins (transactions a tariff applies to end unpriced, and
//! the plugin routes answer `503 plugins_unavailable`), and says so in the
//! log.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::{TcpListener, TcpSocket};

use domain::Storage;
use plugin_host::PluginRegistry;
use store::SledStore;

use crate::config::Config;

/// Runs the server until a shutdown signal.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    // One descriptor per connected station: use all the system allows.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let server_config = config.server_config()?;
    let store = SledStore::open(&config.data_dir, config.store_options())
        .with_context(|| format!("cannot open the data directory {}", config.data_dir.display()))?;
    let store = Arc::new(store);
    let listener = listen(config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("cannot read the listening address")?;
    let storage: Arc<dyn Storage> = store.clone();
    let server = server::Server::new(storage, server_config);
    let mut api_options = config.api_options();
    // loading may compile components (hundreds of milliseconds each): off the async workers
    let data_dir = config.data_dir.clone();
    let registry = tokio::task::spawn_blocking(move || open_plugins(&data_dir)).await.unwrap_or_else(|error| {
        tracing::error!(%error, "opening the plugins did not finish; serving without them");
        None
    });
    if let Some(registry) = registry {
        server.set_pricer(Arc::new(pricing::RegistryPricer::new(registry.clone())));
        api_options.plugins = Some(registry);
    }
    let router = server.router().merge(api::router(server.network(), api_options));
    tracing::info!(%address, data_dir = %config.data_dir.display(), "gridlet started");
    // A stable line on stdout for people and scripts (tests read the port
    // from it), printed once everything is ready: stations that connect
    // from now on are served at once, with their tariffs.
    println!(
        "gridlet listening on {address}; stations connect to ws://{address}/ocpp/<stationId>; the API is at http://{address}{}",
        api::PREFIX
    );
    server.serve(listener, router, shutdown_signal()).await.context("server failed")?;
    store.close().context("could not flush the store on shutdown")?;
    tracing::info!("gridlet stopped");
    Ok(())
}

/// The plugin registry of the data directory, with the default plugins
/// installed once; `None` (logged) if it cannot be opened.
fn open_plugins(data_dir: &Path) -> Option<Arc<PluginRegistry>> {
    match pricing::open_plugins(data_dir) {
        Ok(plugins) => {
            for (id, reason) in &plugins.default_failures {
                tracing::error!(plugin = %id, %reason, "a default plugin could not be installed; it is tried again at the next start");
            }
            let installed = plugins.registry.list();
            tracing::info!(plugins = installed.len(), "plugins loaded");
            Some(plugins.registry)
        }
        Err(error) => {
            tracing::error!(%error, "cannot open the plugins; serving without them (transactions end unpriced)");
            None
        }
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("ctrl-c received, shutting down"),
        _ = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Listens on `address` with room for a reconnect storm. tokio's
/// `TcpListener::bind` asks for a backlog of 1,024; when 10,000 stations
/// reconnect at once the kernel drops what does not fit, and the stations
/// see one-second SYN retransmission delays. The kernel caps the backlog at
/// `net.core.somaxconn` (4,096 by default).
fn listen(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(65_535)
}
