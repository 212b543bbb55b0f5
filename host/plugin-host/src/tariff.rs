//! Tariff plugins on the host side: a loaded, pre-linked [`TariffPlugin`],
//! calls with a fresh instance each (the default) or on a kept
//! [`TariffInstance`], and the checks every result passes before the host
//! uses it.
//!
//! Conversions between the generated WIT types and `gridlet_sdk`'s plain
//! types happen here and nowhere else.

use std::sync::Arc;

use gridlet_sdk::{Currency, LineItem, LineKind, Measurand, Price, SessionFacts, TimestampMs};
use serde::{Deserialize, Serialize};
use wasmtime::component::InstancePre;
use wasmtime::{Store, Trap};

use crate::bindings::tariff_v0_1_0 as v0_1_0;
use crate::error::{CallError, LoadError, PluginError};
use crate::package::{ContentHash, PluginPackage};
use crate::runtime::{CallLimits, PluginRuntime};
use crate::sandbox::{CallState, MemoryLimitHit, PluginExited};

/// Which plugin, at which version and content, produced a result. Stored
/// with every price so it can be explained and recomputed later.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PricedBy {
    /// The plugin's id.
    pub plugin_id: String,
    /// The plugin's version.
    pub version: semver::Version,
    /// The SHA-256 of the component.
    pub hash: ContentHash,
}

impl std::fmt::Display for PricedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}#{}", self.plugin_id, self.version, self.hash)
    }
}

/// A checked price and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedSession {
    /// The price: lines that add up to the total.
    pub price: Price,
    /// The plugin that produced it.
    pub priced_by: PricedBy,
}

/// The generated bindings of every served tariff world version. A new WIT
/// version adds a variant; old ones stay.
enum Versioned {
    V0_1_0(v0_1_0::TariffPluginPre<CallState>),
}

enum VersionedInstance {
    V0_1_0(v0_1_0::TariffPlugin),
}

struct Inner {
    runtime: PluginRuntime,
    priced_by: PricedBy,
    label: Arc<str>,
    limits: CallLimits,
    epoch_ticks: u64,
    pre: Versioned,
}

/// A compiled, checked and pre-linked tariff plugin: one id, version and
/// content hash. Cheap to clone; calls on it may run on many threads at once.
#[derive(Clone)]
pub struct TariffPlugin {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TariffPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TariffPlugin")
            .field("priced_by", &self.inner.priced_by)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl TariffPlugin {
    pub(crate) fn new(
        runtime: PluginRuntime,
        package: &PluginPackage,
        pre: InstancePre<CallState>,
    ) -> Result<Self, LoadError> {
        let manifest = package.manifest();
        let pre = v0_1_0::TariffPluginPre::new(pre).map_err(|e| LoadError::WrongWorld {
            expected: "gridlet:tariff/tariff-plugin@0.1.0".into(),
            reason: format!("{e:#}"),
        })?;
        let limits = runtime.config().limits_for(manifest);
        let tick = runtime.config().epoch_tick.as_nanos().max(1);
        // One extra tick: the first may come at once.
        let epoch_ticks = u64::try_from(limits.timeout.as_nanos().div_ceil(tick))
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        Ok(Self {
            inner: Arc::new(Inner {
                label: format!("{}@{}", manifest.id, manifest.version).into(),
                priced_by: PricedBy {
                    plugin_id: manifest.id.clone(),
                    version: manifest.version.clone(),
                    hash: package.hash(),
                },
                runtime,
                limits,
                epoch_ticks,
                pre: Versioned::V0_1_0(pre),
            }),
        })
    }

    /// Who this plugin is (id, version, content hash).
    pub fn priced_by(&self) -> &PricedBy {
        &self.inner.priced_by
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> CallLimits {
        self.inner.limits
    }

    /// Asks the plugin whether a configuration is acceptable (after the host
    /// has checked it against the manifest's schema).
    pub fn validate_config(&self, config_json: &str) -> Result<Result<(), PluginError>, CallError> {
        let mut instance = self.instantiate(Arc::from(config_json))?;
        let json = config_json.to_owned();
        instance.call(|store, bindings| match bindings {
            VersionedInstance::V0_1_0(b) => b
                .gridlet_tariff_tariff()
                .call_validate_config(store, &json)
                .map(|r| r.map_err(error_from_v0_1_0)),
        })
    }

    /// Prices a finished session with a fresh instance.
    pub fn price(
        &self,
        config_json: Arc<str>,
        facts: &SessionFacts,
    ) -> Result<Result<PricedSession, PluginError>, CallError> {
        self.instantiate(config_json)?.price(facts)
    }

    /// Estimates a running session's cost so far, with a fresh instance.
    pub fn estimate(
        &self,
        config_json: Arc<str>,
        facts: &SessionFacts,
        now_ms: TimestampMs,
    ) -> Result<Result<PricedSession, PluginError>, CallError> {
        self.instantiate(config_json)?.estimate(facts, now_ms)
    }

    /// Creates an instance that can serve many calls. Calls on it skip
    /// instantiation (the cheapest path) but share the instance's memory and
    /// any state the plugin keeps, so the registry does not use it: every
    /// registry call gets a fresh instance.
    pub fn instantiate(&self, config_json: Arc<str>) -> Result<TariffInstance, CallError> {
        let inner = &self.inner;
        let state = CallState::new(inner.label.clone(), config_json, inner.limits.memory_bytes);
        let mut store = Store::new(&inner.runtime.inner.engine, state);
        store.limiter(|state| &mut state.limiter);
        arm(&mut store, &inner.limits, inner.epoch_ticks);
        let bindings = match &inner.pre {
            Versioned::V0_1_0(pre) => pre.instantiate(&mut store).map(VersionedInstance::V0_1_0),
        };
        match bindings {
            Ok(bindings) => Ok(TariffInstance {
                plugin: self.clone(),
                store,
                bindings,
                poisoned: false,
            }),
            Err(e) => {
                if let Some(limit) = e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
                    return Err(CallError::Capacity(limit.to_string()));
                }
                Err(classify(e, store.data(), &inner.limits))
            }
        }
    }
}

/// Sets a store's fuel and deadline for the next call.
fn arm(store: &mut Store<CallState>, limits: &CallLimits, ticks: u64) {
    // Fuel is switched on for the engine, so this cannot fail.
    let _ = store.set_fuel(limits.fuel);
    store.set_epoch_deadline(ticks);
    store.epoch_deadline_trap();
}

/// A live instance of a tariff plugin, for many calls. Obtained from
/// [`TariffPlugin::instantiate`]. After a failed call it refuses further calls.
pub struct TariffInstance {
    plugin: TariffPlugin,
    store: Store<CallState>,
    bindings: VersionedInstance,
    poisoned: bool,
}

impl TariffInstance {
    /// Prices a finished session.
    pub fn price(
        &mut self,
        facts: &SessionFacts,
    ) -> Result<Result<PricedSession, PluginError>, CallError> {
        self.check_input(facts)?;
        let input = facts_to_v0_1_0(facts);
        let raw = self.call(|store, bindings| match bindings {
            VersionedInstance::V0_1_0(b) => b.gridlet_tariff_tariff().call_price(store, &input),
        })?;
        self.finish(raw, facts)
    }

    /// Estimates a running session's cost up to `now_ms`.
    pub fn estimate(
        &mut self,
        facts: &SessionFacts,
        now_ms: TimestampMs,
    ) -> Result<Result<PricedSession, PluginError>, CallError> {
        self.check_input(facts)?;
        let input = facts_to_v0_1_0(facts);
        let raw = self.call(|store, bindings| match bindings {
            VersionedInstance::V0_1_0(b) => b
                .gridlet_tariff_tariff()
                .call_estimate(store, &input, now_ms),
        })?;
        self.finish(raw, facts)
    }

    /// Who is answering.
    pub fn priced_by(&self) -> &PricedBy {
        self.plugin.priced_by()
    }

    fn call<R>(
        &mut self,
        f: impl FnOnce(&mut Store<CallState>, &VersionedInstance) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        if self.poisoned {
            return Err(CallError::Poisoned);
        }
        let inner = &self.plugin.inner;
        self.store.data_mut().reset_for_call();
        arm(&mut self.store, &inner.limits, inner.epoch_ticks);
        match f(&mut self.store, &self.bindings) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.poisoned = true;
                Err(classify(e, self.store.data(), &inner.limits))
            }
        }
    }

    fn check_input(&self, facts: &SessionFacts) -> Result<(), CallError> {
        let io = self.plugin.inner.runtime.config().io;
        if facts.samples.len() > io.max_samples {
            return Err(CallError::InputTooLarge(format!(
                "{} meter samples, at most {} are passed to a plugin",
                facts.samples.len(),
                io.max_samples
            )));
        }
        let texts = [
            Some(&facts.session_id),
            Some(&facts.station_id),
            facts.site_id.as_ref(),
            facts.id_token.as_ref(),
            facts.token_group.as_ref(),
        ];
        let phases = facts.samples.iter().filter_map(|s| s.phase.as_ref());
        let others = facts.samples.iter().filter_map(|s| match &s.measurand {
            Measurand::Other(name) => Some(name),
            _ => None,
        });
        if let Some(long) = texts
            .into_iter()
            .flatten()
            .chain(phases)
            .chain(others)
            .find(|t| t.len() > io.max_text_bytes)
        {
            return Err(CallError::InputTooLarge(format!(
                "a text field of {} bytes, at most {} are passed to a plugin",
                long.len(),
                io.max_text_bytes
            )));
        }
        Ok(())
    }

    /// Checks a plugin's answer and tags it with its provenance.
    fn finish(
        &mut self,
        raw: Result<v0_1_0::api::SessionPrice, v0_1_0::shared::PluginError>,
        facts: &SessionFacts,
    ) -> Result<Result<PricedSession, PluginError>, CallError> {
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => return Ok(Err(error_from_v0_1_0(e))),
        };
        let io = self.plugin.inner.runtime.config().io;
        let price = match price_from_v0_1_0(raw, io.max_line_items, io.max_text_bytes) {
            Ok(price) => price,
            Err(e) => {
                // Garbage out of a plugin means its state is suspect too.
                self.poisoned = true;
                return Err(e);
            }
        };
        if let Err(e) = price.check() {
            self.poisoned = true;
            return Err(CallError::InvalidOutput(e.to_string()));
        }
        if let Some(billed) = facts.currency
            && billed != price.currency
        {
            self.poisoned = true;
            return Err(CallError::InvalidOutput(format!(
                "price is in {}, but the session is billed in {billed}",
                price.currency
            )));
        }
        Ok(Ok(PricedSession {
            price,
            priced_by: self.plugin.inner.priced_by.clone(),
        }))
    }
}

/// Turns a failed call into the host's verdict.
fn classify(e: wasmtime::Error, state: &CallState, limits: &CallLimits) -> CallError {
    if state.limiter.hit || e.downcast_ref::<MemoryLimitHit>().is_some() {
        return CallError::MemoryLimit(limits.memory_bytes);
    }
    if state.exited || e.downcast_ref::<PluginExited>().is_some() {
        return CallError::Exited;
    }
    let output = state.captured_output();
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::DeadlineExceeded(limits.timeout),
        Some(Trap::OutOfFuel) => CallError::OutOfFuel(limits.fuel),
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(Trap::UnreachableCodeReached) if output.contains("panicked") => {
            CallError::Panicked(panic_message(&output))
        }
        Some(trap) if output.is_empty() => CallError::Trapped(trap.to_string()),
        Some(trap) => CallError::Trapped(format!("{trap} (plugin output: {output})")),
        None => CallError::Trapped(format!("{e:#}")),
    }
}

/// The interesting part of Rust's panic output: "panicked at file:line:col:\nmessage".
fn panic_message(output: &str) -> String {
    let from = output
        .find("panicked at ")
        .map(|i| i + "panicked at ".len())
        .unwrap_or(0);
    let text = &output[from..];
    let text = text.split("\nnote:").next().unwrap_or(text);
    text.replace('\n', " ").trim().to_owned()
}

fn error_from_v0_1_0(e: v0_1_0::shared::PluginError) -> PluginError {
    use gridlet_sdk::ErrorCode;
    use v0_1_0::shared::ErrorCode as W;
    let code = match e.code {
        W::InvalidInput => ErrorCode::InvalidInput,
        W::InvalidConfig => ErrorCode::InvalidConfig,
        W::Unsupported => ErrorCode::Unsupported,
        W::Upstream => ErrorCode::Upstream,
        W::Internal => ErrorCode::Internal,
    };
    // The message goes to operators; keep it bounded.
    let mut message = e.message;
    if message.len() > 1024 {
        let mut cut = 1024;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
    }
    PluginError { code, message }
}

fn facts_to_v0_1_0(f: &SessionFacts) -> v0_1_0::shared::SessionFacts {
    use v0_1_0::shared as w;
    w::SessionFacts {
        session_id: f.session_id.clone(),
        station_id: f.station_id.clone(),
        site_id: f.site_id.clone(),
        evse_id: f.evse_id,
        connector_id: f.connector_id,
        id_token: f.id_token.clone(),
        token_group: f.token_group.clone(),
        started_at: f.started_at_ms,
        ended_at: f.ended_at_ms,
        charging_ended_at: f.charging_ended_at_ms,
        meter_start_wh: f.meter_start_wh,
        meter_stop_wh: f.meter_stop_wh,
        samples: f
            .samples
            .iter()
            .map(|s| w::MeterSample {
                timestamp: s.timestamp_ms,
                measurand: match &s.measurand {
                    Measurand::EnergyImportRegister => w::Measurand::EnergyImportRegister,
                    Measurand::PowerImport => w::Measurand::PowerImport,
                    Measurand::CurrentImport => w::Measurand::CurrentImport,
                    Measurand::Voltage => w::Measurand::Voltage,
                    Measurand::StateOfCharge => w::Measurand::StateOfCharge,
                    Measurand::Other(name) => w::Measurand::Other(name.clone()),
                },
                phase: s.phase.clone(),
                value: s.value,
            })
            .collect(),
        currency: f.currency.map(|c| c.code().to_owned()),
    }
}

fn price_from_v0_1_0(
    p: v0_1_0::api::SessionPrice,
    max_lines: usize,
    max_text: usize,
) -> Result<Price, CallError> {
    use v0_1_0::api::LineKind as W;
    if p.lines.len() > max_lines {
        return Err(CallError::OutputTooLarge(format!(
            "{} line items, at most {max_lines} are accepted",
            p.lines.len()
        )));
    }
    let currency =
        Currency::new(&p.currency).map_err(|e| CallError::InvalidOutput(e.to_string()))?;
    let mut lines = Vec::with_capacity(p.lines.len());
    for (index, l) in p.lines.into_iter().enumerate() {
        if l.description.len() > max_text || l.unit.len() > 32 {
            return Err(CallError::OutputTooLarge(format!(
                "line {index} has a description of {} bytes or a unit of {} bytes (at most {max_text} and 32)",
                l.description.len(),
                l.unit.len()
            )));
        }
        let kind = match l.kind {
            W::Energy => LineKind::Energy,
            W::Time => LineKind::Time,
            W::Idle => LineKind::Idle,
            W::Flat => LineKind::Flat,
            W::Cap => LineKind::Cap,
            W::Discount => LineKind::Discount,
            W::Tax => LineKind::Tax,
        };
        if kind != LineKind::Tax && l.tax_rate_bp.is_some() {
            return Err(CallError::InvalidOutput(format!(
                "line {index} is not a tax line but has a tax rate"
            )));
        }
        lines.push(LineItem {
            kind,
            description: l.description,
            quantity_milli: l.quantity_milli,
            unit: l.unit,
            amount_minor: l.amount_minor,
            tax_rate_bp: l.tax_rate_bp,
        });
    }
    Ok(Price {
        currency,
        total_minor: p.total_minor,
        lines,
    })
}
