//! `gridlet serve`: opens the store, listens, serves until Ctrl-C or
//! SIGTERM, then closes every connection and flushes the store.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use domain::Storage;
use store::SledStore;

use crate::config::Config;

/// Runs the server until a shutdown signal.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let server_config = config.server_config()?;
    let store = SledStore::open(&config.data_dir, config.store_options())
        .with_context(|| format!("cannot open the data directory {}", config.data_dir.display()))?;
    let store = Arc::new(store);
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("cannot read the listening address")?;
    tracing::info!(%address, data_dir = %config.data_dir.display(), "gridlet started");
    // A stable line on stdout for people and scripts (tests read the port from it).
    println!("gridlet listening on {address}; stations connect to ws://{address}/ocpp/<stationId>");
    let storage: Arc<dyn Storage> = store.clone();
    let server = server::Server::new(storage, server_config);
    let router = server.router();
    server.serve(listener, router, shutdown_signal()).await.context("server failed")?;
    store.close().context("could not flush the store on shutdown")?;
    tracing::info!("gridlet stopped");
    Ok(())
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
