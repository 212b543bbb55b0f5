//! Errors, split the Zed way: a call returns
//! `Result<Result<T, PluginError>, CallError>` — the outer error is the
//! host's verdict (trap, limit, invalid output), the inner one is the
//! plugin's own answer. Loading and lifecycle have their own errors.

use std::time::Duration;

use crate::manifest::PluginKind;
use crate::package::PackageError;

pub use gridlet_sdk::{ErrorCode, PluginError};

/// Why a call into a plugin failed on the host's side. The plugin's own
/// refusals are [`PluginError`]s inside an `Ok`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call ran past its wall-clock deadline and was interrupted.
    #[error("plugin exceeded its deadline of {0:?}")]
    DeadlineExceeded(Duration),
    /// The call used up its fuel (its instruction budget).
    #[error("plugin ran out of fuel ({0} units)")]
    OutOfFuel(u64),
    /// The plugin tried to grow its memory past its limit.
    #[error("plugin exceeded its memory limit of {0} bytes")]
    MemoryLimit(usize),
    /// The plugin recursed past its stack limit.
    #[error("plugin overflowed its stack")]
    StackOverflow,
    /// The plugin panicked; the message is what it printed.
    #[error("plugin panicked: {0}")]
    Panicked(String),
    /// The plugin called `exit`.
    #[error("plugin called exit")]
    Exited,
    /// Any other trap.
    #[error("plugin trapped: {0}")]
    Trapped(String),
    /// The plugin returned something the host refuses to use.
    #[error("plugin returned an invalid result: {0}")]
    InvalidOutput(String),
    /// The plugin returned more than the host accepts.
    #[error("plugin output too large: {0}")]
    OutputTooLarge(String),
    /// The input is bigger than the host passes to a plugin (the caller's
    /// problem, not the plugin's: it does not count against the plugin).
    #[error("input too large for a plugin call: {0}")]
    InputTooLarge(String),
    /// Every instance slot is in use; try again (not the plugin's fault).
    #[error("no free plugin instance slot: {0}")]
    Capacity(String),
    /// A kept instance trapped earlier and can no longer be used.
    #[error("instance unusable after an earlier failure")]
    Poisoned,
}

impl CallError {
    /// Whether the failure is the plugin's fault and counts towards
    /// stopping it (the circuit breaker).
    pub fn counts_against_plugin(&self) -> bool {
        !matches!(
            self,
            CallError::InputTooLarge(_) | CallError::Capacity(_) | CallError::Poisoned
        )
    }
}

/// Why a package could not be loaded (compiled, checked, pre-linked).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The package itself is invalid.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The bytes are not a valid WebAssembly component.
    #[error("not a valid WebAssembly component: {0}")]
    Compile(String),
    /// This host does not serve that kind at that WIT version.
    #[error("{kind} plugins for WIT version {wit} are not served by this host (served: {served})")]
    UnsupportedWorld {
        /// The manifest's kind.
        kind: PluginKind,
        /// The manifest's WIT version.
        wit: String,
        /// What is served.
        served: String,
    },
    /// The component does not export what its manifest claims.
    #[error("component does not implement {expected}: {reason}")]
    WrongWorld {
        /// The world the manifest names.
        expected: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The component imports something it may not have.
    #[error("component imports `{import}`, which {kind} plugins are not granted")]
    ForbiddenImport {
        /// The import's name.
        import: String,
        /// The plugin's kind.
        kind: PluginKind,
    },
    /// Linking failed for another reason.
    #[error("component cannot be linked: {0}")]
    Link(String),
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine configuration was refused.
    #[error("cannot create the plugin engine: {0}")]
    Engine(String),
    /// The compile cache directory cannot be used.
    #[error("cannot use cache directory {path}: {source}")]
    CacheDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}
