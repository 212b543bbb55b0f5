//! The REST API end to end, against a real server with simulated stations
//! of both versions: every route's keys and scopes (table-driven over the
//! OpenAPI document), the document itself, every command, the resources,
//! the event stream and uptime, the CLI through the API, and plugins and
//! tariffs on a real `gridlet serve`.

mod auth;
mod cli;
mod commands;
mod events;
mod fuzz;
mod openapi;
mod plugins;
mod resources;

use std::time::Duration;

/// Polls `check` every 10 ms until it holds, for at most `timeout`.
pub async fn eventually(timeout: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} did not happen within {timeout:?}");
}
