//! The accept loop: TCP connections in, HTTP/1.1 served by hyper, WebSocket
//! upgrades handed to the router.
//!
//! Written out here instead of `axum::serve` for two limits a client that
//! has not authenticated must not get around:
//! - **A header-read deadline** ([`ListenLimits::header_read_timeout`]): a
//!   connection that has not sent a complete request head within it is
//!   closed — a silent one, one that trickles headers (slowloris), and an
//!   idle keep-alive connection between requests alike (hyper's
//!   `header_read_timeout`, which restarts whenever it waits for a request).
//! - **A cap on connections still in the handshake**
//!   ([`ListenLimits::max_handshaking_connections`]): a connection holds one
//!   of these permits from its accept until its first response is ready (a
//!   WebSocket `101` once the station is admitted, or any other answer).
//!   While all are held, the loop stops accepting: new connections wait in
//!   the kernel's backlog instead of costing memory here, and the holders
//!   are closed by the deadline. Admitted stations, and REST clients after
//!   their first answer, no longer count.
//!
//! Each request carries the peer's address as `ConnectInfo<SocketAddr>`, so
//! admission can limit failures per address. On shutdown the loop stops
//! accepting, asks every connection still speaking HTTP to finish its
//! current request and close, and returns once they all have.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tower::ServiceExt;

/// The read buffer of a connection still speaking HTTP, so the most a
/// request head may take.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Bounds on connections that have not finished their handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenLimits {
    /// How long a client has to send a complete request head (on a new
    /// connection, and between requests on a kept-alive one).
    pub header_read_timeout: Duration,
    /// How many connections may be in their handshake (accepted, first
    /// response not yet ready) at once.
    pub max_handshaking_connections: usize,
}

impl Default for ListenLimits {
    fn default() -> Self {
        ListenLimits { header_read_timeout: Duration::from_secs(10), max_handshaking_connections: 1024 }
    }
}

/// Serves `router` on `listener` until `stop` turns `true`, then waits for
/// the connections still speaking HTTP to close.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ListenLimits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let handshakes = Arc::new(Semaphore::new(limits.max_handshaking_connections.max(1)));
    // Every connection task holds a sender; when all are dropped, they have ended.
    let (live, mut all_ended) = mpsc::channel::<Infallible>(1);
    loop {
        let permit = tokio::select! {
            permit = handshakes.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Per-connection errors (reset before accept) and running
                    // out of descriptors both pass; pause briefly on the latter.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let task = serve_one(stream, peer, router.clone(), limits, permit, stop.clone(), live.clone());
        tokio::spawn(task);
    }
    drop(listener);
    drop(live);
    let _ = all_ended.recv().await;
    Ok(())
}

/// Resolves once `stop` is `true` (or its sender is gone). The guard
/// `wait_for` returns is not `Send`, so it is dropped in here.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Serves one connection until it closes or is upgraded to a WebSocket.
async fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ListenLimits,
    permit: OwnedSemaphorePermit,
    mut stop: watch::Receiver<bool>,
    _live: mpsc::Sender<Infallible>,
) {
    // (TCP_NODELAY stays off, as with `axum::serve`: the wire's timing is
    // unchanged. Turning it on exposed a race in the simulator, which may
    // handle a CALL before the CALLRESULT that preceded it.)
    // Released as soon as the first response is ready (or the connection ends).
    // (The service owns it, so it also goes when the connection ends.)
    let handshake = Arc::new(Mutex::new(Some(permit)));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        let handshake = handshake.clone();
        async move {
            let response = router.oneshot(request).await;
            if let Ok(mut permit) = handshake.lock() {
                permit.take();
            }
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // a request head must fit in 64 KiB (hyper's default allows ~400 KiB
        // per connection); bodies stream through it in chunks whatever their size
        .max_buf_size(MAX_HEAD_BYTES);
    let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        if error.is_timeout() {
            tracing::debug!(%peer, "connection closed: no complete request head within the deadline");
        } else {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    }
}
