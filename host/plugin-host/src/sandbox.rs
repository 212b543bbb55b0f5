//! What a plugin sees of the world: the per-call store state, the memory
//! limiter, and a deny-by-default stand-in for the few WASI interfaces that
//! Rust's standard library imports on `wasm32-wasip2`.
//!
//! A component built by `cargo build --target wasm32-wasip2` imports
//! `wasi:cli/{environment,exit,stdin,stdout,stderr,terminal-*}` and
//! `wasi:io/{error,poll,streams}` even when it never touches them (the
//! standard library's start-up and panic paths do). This module satisfies
//! exactly those, granting nothing: the environment and arguments are
//! empty, stdin is closed, stdout and stderr go into a small capped buffer
//! (so a panic message can be shown in the error), there is no terminal, and
//! `exit` ends the call with an error. Filesystem, sockets, clocks and
//! randomness are not linked at all, so a component that imports them is
//! refused when it is installed.
//!
//! This is deliberately not `wasmtime-wasi`: that crate links every WASI
//! interface and, in its synchronous mode, enters a Tokio runtime for
//! stream operations, which panics when called from inside the server's
//! own runtime. A few dozen lines of stubs keep the sandbox small, exact
//! and callable from any thread.

use std::sync::Arc;

use wasmtime::component::{
    ComponentType, Lift, Linker, LinkerInstance, Lower, Resource, ResourceType,
};
use wasmtime::{ResourceLimiter, StoreContextMut};

/// How many bytes of stdout plus stderr a call may leave behind.
const MAX_CAPTURED_OUTPUT: usize = 8 * 1024;
/// How many bytes of log messages one call may write.
const MAX_LOG_BYTES: usize = 16 * 1024;

/// The data of one plugin store: one call with a fresh instance, or the
/// life of a kept instance.
pub(crate) struct CallState {
    /// `id@version`, for log lines.
    pub(crate) label: Arc<str>,
    /// The operator's configuration as JSON, served by `config.get`.
    pub(crate) config_json: Arc<str>,
    /// Enforces the memory limit and remembers hitting it.
    pub(crate) limiter: MemoryLimiter,
    /// Captured stdout and stderr (panic messages land here).
    pub(crate) output: Vec<u8>,
    /// Log bytes written so far.
    pub(crate) logged_bytes: usize,
    /// Whether the plugin called `wasi:cli/exit`.
    pub(crate) exited: bool,
}

impl CallState {
    pub(crate) fn new(label: Arc<str>, config_json: Arc<str>, memory_bytes: usize) -> Self {
        Self {
            label,
            config_json,
            limiter: MemoryLimiter {
                max_bytes: memory_bytes,
                hit: false,
            },
            output: Vec::new(),
            logged_bytes: 0,
            exited: false,
        }
    }

    /// Prepares for another call on a kept instance.
    pub(crate) fn reset_for_call(&mut self) {
        self.output.clear();
        self.logged_bytes = 0;
        self.limiter.hit = false;
    }

    /// The captured output as text, for error messages.
    pub(crate) fn captured_output(&self) -> String {
        String::from_utf8_lossy(&self.output).trim().to_owned()
    }

    fn capture(&mut self, bytes: &[u8]) {
        let room = MAX_CAPTURED_OUTPUT.saturating_sub(self.output.len());
        self.output
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Writes a plugin log line into the host's log, within the call's budget.
    pub(crate) fn log(&mut self, level: tracing::Level, message: &str) {
        if self.logged_bytes >= MAX_LOG_BYTES {
            return;
        }
        self.logged_bytes += message.len();
        let message = if self.logged_bytes > MAX_LOG_BYTES {
            "(log budget for this call used up; further messages dropped)"
        } else {
            message
        };
        let plugin = &*self.label;
        match level {
            tracing::Level::ERROR => {
                tracing::error!(target: "gridlet::plugin", plugin, "{message}")
            }
            tracing::Level::WARN => tracing::warn!(target: "gridlet::plugin", plugin, "{message}"),
            tracing::Level::INFO => tracing::info!(target: "gridlet::plugin", plugin, "{message}"),
            tracing::Level::DEBUG => {
                tracing::debug!(target: "gridlet::plugin", plugin, "{message}")
            }
            tracing::Level::TRACE => {
                tracing::trace!(target: "gridlet::plugin", plugin, "{message}")
            }
        }
    }
}

/// Refuses memory growth beyond the plugin's limit, and remembers that it did
/// so the failure is reported as "memory limit" rather than a generic trap.
pub(crate) struct MemoryLimiter {
    pub(crate) max_bytes: usize,
    pub(crate) hit: bool,
}

/// The error a refused memory growth raises inside the call.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes reached (asked for {desired})")]
pub(crate) struct MemoryLimitHit {
    pub(crate) limit: usize,
    pub(crate) desired: usize,
}

/// The error `wasi:cli/exit` raises: the plugin asked to end its process.
#[derive(Debug, thiserror::Error)]
#[error("plugin called exit")]
pub(crate) struct PluginExited;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.hit = true;
            return Err(wasmtime::Error::new(MemoryLimitHit {
                limit: self.max_bytes,
                desired,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

struct InputStream;
struct OutputStream;
struct Pollable;
struct IoError;
struct TerminalInput;
struct TerminalOutput;

/// `wasi:io/streams.stream-error`.
#[derive(ComponentType, Lift, Lower)]
#[component(variant)]
enum StreamError {
    #[component(name = "last-operation-failed")]
    #[allow(dead_code)]
    LastOperationFailed(Resource<IoError>),
    #[component(name = "closed")]
    Closed,
}

const STDOUT: u32 = 1;
const STDERR: u32 = 2;

type Store<'a> = StoreContextMut<'a, CallState>;

fn define_resource<T: 'static>(
    instance: &mut LinkerInstance<'_, CallState>,
    name: &str,
) -> wasmtime::Result<()> {
    instance.resource(name, ResourceType::host::<T>(), |_, _| Ok(()))
}

/// Adds the stand-in WASI interfaces to a linker.
pub(crate) fn add_wasi_stubs(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    const V: &str = "0.2.6";

    let mut error = linker.instance(&format!("wasi:io/error@{V}"))?;
    define_resource::<IoError>(&mut error, "error")?;
    error.func_wrap(
        "[method]error.to-debug-string",
        |_: Store<'_>, (_e,): (Resource<IoError>,)| Ok(("stream closed".to_owned(),)),
    )?;

    let mut poll = linker.instance(&format!("wasi:io/poll@{V}"))?;
    define_resource::<Pollable>(&mut poll, "pollable")?;
    poll.func_wrap(
        "[method]pollable.ready",
        |_: Store<'_>, (_p,): (Resource<Pollable>,)| Ok((true,)),
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |_: Store<'_>, (_p,): (Resource<Pollable>,)| Ok(()),
    )?;
    poll.func_wrap(
        "poll",
        |_: Store<'_>, (list,): (Vec<Resource<Pollable>>,)| {
            let ready: Vec<u32> = (0..list.len())
                .filter_map(|i| u32::try_from(i).ok())
                .collect();
            Ok((ready,))
        },
    )?;

    let mut streams = linker.instance(&format!("wasi:io/streams@{V}"))?;
    define_resource::<InputStream>(&mut streams, "input-stream")?;
    define_resource::<OutputStream>(&mut streams, "output-stream")?;
    for name in [
        "[method]input-stream.read",
        "[method]input-stream.blocking-read",
    ] {
        streams.func_wrap(
            name,
            |_: Store<'_>, (_s, _len): (Resource<InputStream>, u64)| {
                Ok((Err::<Vec<u8>, _>(StreamError::Closed),))
            },
        )?;
    }
    for name in [
        "[method]input-stream.skip",
        "[method]input-stream.blocking-skip",
    ] {
        streams.func_wrap(
            name,
            |_: Store<'_>, (_s, _len): (Resource<InputStream>, u64)| {
                Ok((Err::<u64, _>(StreamError::Closed),))
            },
        )?;
    }
    streams.func_wrap(
        "[method]input-stream.subscribe",
        |_: Store<'_>, (_s,): (Resource<InputStream>,)| Ok((Resource::<Pollable>::new_own(0),)),
    )?;
    streams.func_wrap(
        "[method]output-stream.check-write",
        |_: Store<'_>, (_s,): (Resource<OutputStream>,)| Ok((Ok::<u64, StreamError>(4096),)),
    )?;
    for name in [
        "[method]output-stream.write",
        "[method]output-stream.blocking-write-and-flush",
    ] {
        streams.func_wrap(
            name,
            |mut store: Store<'_>, (s, bytes): (Resource<OutputStream>, Vec<u8>)| {
                if matches!(s.rep(), STDOUT | STDERR) {
                    store.data_mut().capture(&bytes);
                }
                Ok((Ok::<(), StreamError>(()),))
            },
        )?;
    }
    for name in [
        "[method]output-stream.flush",
        "[method]output-stream.blocking-flush",
    ] {
        streams.func_wrap(name, |_: Store<'_>, (_s,): (Resource<OutputStream>,)| {
            Ok((Ok::<(), StreamError>(()),))
        })?;
    }
    for name in [
        "[method]output-stream.write-zeroes",
        "[method]output-stream.blocking-write-zeroes-and-flush",
    ] {
        streams.func_wrap(
            name,
            |_: Store<'_>, (_s, _n): (Resource<OutputStream>, u64)| {
                Ok((Ok::<(), StreamError>(()),))
            },
        )?;
    }
    for name in [
        "[method]output-stream.splice",
        "[method]output-stream.blocking-splice",
    ] {
        streams.func_wrap(
            name,
            |_: Store<'_>,
             (_s, _from, _n): (Resource<OutputStream>, Resource<InputStream>, u64)| {
                Ok((Err::<u64, _>(StreamError::Closed),))
            },
        )?;
    }
    streams.func_wrap(
        "[method]output-stream.subscribe",
        |_: Store<'_>, (_s,): (Resource<OutputStream>,)| Ok((Resource::<Pollable>::new_own(0),)),
    )?;

    let mut environment = linker.instance(&format!("wasi:cli/environment@{V}"))?;
    environment.func_wrap("get-environment", |_: Store<'_>, (): ()| {
        Ok((Vec::<(String, String)>::new(),))
    })?;
    environment.func_wrap("get-arguments", |_: Store<'_>, (): ()| {
        Ok((Vec::<String>::new(),))
    })?;
    environment.func_wrap("initial-cwd", |_: Store<'_>, (): ()| Ok((None::<String>,)))?;

    let mut exit = linker.instance(&format!("wasi:cli/exit@{V}"))?;
    exit.func_wrap(
        "exit",
        |mut store: Store<'_>, (_status,): (Result<(), ()>,)| -> wasmtime::Result<()> {
            store.data_mut().exited = true;
            Err(wasmtime::Error::new(PluginExited))
        },
    )?;

    linker
        .instance(&format!("wasi:cli/stdin@{V}"))?
        .func_wrap("get-stdin", |_: Store<'_>, (): ()| {
            Ok((Resource::<InputStream>::new_own(0),))
        })?;
    linker
        .instance(&format!("wasi:cli/stdout@{V}"))?
        .func_wrap("get-stdout", |_: Store<'_>, (): ()| {
            Ok((Resource::<OutputStream>::new_own(STDOUT),))
        })?;
    linker
        .instance(&format!("wasi:cli/stderr@{V}"))?
        .func_wrap("get-stderr", |_: Store<'_>, (): ()| {
            Ok((Resource::<OutputStream>::new_own(STDERR),))
        })?;

    define_resource::<TerminalInput>(
        &mut linker.instance(&format!("wasi:cli/terminal-input@{V}"))?,
        "terminal-input",
    )?;
    define_resource::<TerminalOutput>(
        &mut linker.instance(&format!("wasi:cli/terminal-output@{V}"))?,
        "terminal-output",
    )?;
    linker
        .instance(&format!("wasi:cli/terminal-stdin@{V}"))?
        .func_wrap("get-terminal-stdin", |_: Store<'_>, (): ()| {
            Ok((None::<Resource<TerminalInput>>,))
        })?;
    for (interface, function) in [
        ("terminal-stdout", "get-terminal-stdout"),
        ("terminal-stderr", "get-terminal-stderr"),
    ] {
        linker
            .instance(&format!("wasi:cli/{interface}@{V}"))?
            .func_wrap(function, |_: Store<'_>, (): ()| {
                Ok((None::<Resource<TerminalOutput>>,))
            })?;
    }
    Ok(())
}

/// The interfaces `add_wasi_stubs` provides, by name without version: the
/// only WASI a plugin may import.
pub(crate) const STUBBED_WASI: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];
