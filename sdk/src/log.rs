//! Logging into the host's log. Messages are tagged by the host with the
//! plugin's id and version; the host caps how much one call may log.
//!
//! Outside the host (native unit tests, benchmarks) messages are dropped.

use std::sync::OnceLock;

/// How important a message is (mirrors `gridlet:types/log.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something odd the operator may want to know.
    Warn,
    /// Something failed.
    Error,
}

static HOST_LOG: OnceLock<fn(Level, &str)> = OnceLock::new();

/// Connects logging to the host import; called by the registration macros.
#[doc(hidden)]
pub fn set_host_log(sink: fn(Level, &str)) {
    let _ = HOST_LOG.set(sink);
}

/// Writes one message to the host's log.
pub fn log(level: Level, message: &str) {
    if let Some(sink) = HOST_LOG.get() {
        sink(level, message);
    }
}

/// Writes a debug message.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Writes an informational message.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Writes a warning.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Writes an error message.
pub fn error(message: &str) {
    log(Level::Error, message);
}
