//! [`RegistryPricer`]: the domain's [`Pricer`] on the plugin registry, and
//! the conversions between `gridlet_sdk`'s prices and the domain's.
//!
//! Calls are synchronous and may take up to the plugin's deadline: callers
//! in async code run them on a blocking thread (the session and
//! [`crate::reprice()`] do).

use std::sync::Arc;

use domain::meter::MeterSample;
use domain::{Price, PriceLine, PricedBy, Pricer, Pricing, TariffAssignment, Timestamp, Transaction, TransactionState};
use plugin_host::{LineKind, PluginRegistry, PricedSession};

use crate::facts::session_facts;

/// Prices transactions with the tariff plugins installed in a registry.
#[derive(Debug, Clone)]
pub struct RegistryPricer {
    registry: Arc<PluginRegistry>,
}

impl RegistryPricer {
    /// A pricer over `registry`.
    pub fn new(registry: Arc<PluginRegistry>) -> Self {
        RegistryPricer { registry }
    }

    /// The registry it calls.
    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    fn call(
        &self,
        assignment: &TariffAssignment,
        tx: &Transaction,
        samples: &[MeterSample],
        estimate_at: Option<Timestamp>,
    ) -> Result<(Price, PricedBy), String> {
        let facts = session_facts(tx, samples, &assignment.currency)?;
        let id = &assignment.plugin_id;
        let answer = match estimate_at {
            None => self.registry.price(id, &facts),
            Some(now) => {
                // a station clock ahead of the server's: never before the latest reading
                let latest = samples.iter().map(|s| s.timestamp).max().unwrap_or(now);
                self.registry.estimate(id, &facts, now.max(latest).unix_millis())
            }
        };
        match answer {
            Ok(Ok(priced)) => checked(priced, assignment),
            Ok(Err(refusal)) => Err(format!("tariff {id} declined: {refusal}")),
            Err(failure) => Err(failure.to_string()),
        }
    }
}

impl Pricer for RegistryPricer {
    fn price(&self, assignment: &TariffAssignment, tx: &Transaction, samples: &[MeterSample], now: Timestamp) -> Pricing {
        let outcome = if tx.state == TransactionState::Ended {
            self.call(assignment, tx, samples, None)
        } else {
            Err(format!("transaction {} has not ended", tx.number))
        };
        match outcome {
            Ok((price, by)) => Pricing::Priced { price, by, at: now },
            Err(reason) => {
                tracing::warn!(transaction = tx.number, plugin = %assignment.plugin_id, %reason, "transaction left unpriced");
                Pricing::Unpriced { reason, plugin_id: Some(assignment.plugin_id.clone()), at: now }
            }
        }
    }

    fn estimate(
        &self,
        assignment: &TariffAssignment,
        tx: &Transaction,
        samples: &[MeterSample],
        now: Timestamp,
    ) -> Result<(Price, PricedBy), String> {
        self.call(assignment, tx, samples, Some(now))
    }
}

/// The domain's price and provenance of a checked plugin price, after making
/// sure it is in the assignment's currency (the host checks that too).
fn checked(priced: PricedSession, assignment: &TariffAssignment) -> Result<(Price, PricedBy), String> {
    let price = domain_price(&priced.price);
    if price.currency != assignment.currency {
        return Err(format!(
            "tariff {} priced in {}, but the station bills in {}",
            assignment.plugin_id, price.currency, assignment.currency
        ));
    }
    if !price.adds_up() {
        return Err(format!("tariff {}'s line items do not add up to its total", assignment.plugin_id));
    }
    Ok((price, priced_by(&priced.priced_by)))
}

/// A plugin's price in the domain's terms.
pub fn domain_price(price: &plugin_host::Price) -> Price {
    Price {
        currency: price.currency.code().to_owned(),
        minor_digits: price.currency.minor_unit_digits(),
        total_minor: price.total_minor,
        lines: price
            .lines
            .iter()
            .map(|line| PriceLine {
                kind: kind_name(line.kind).to_owned(),
                description: line.description.clone(),
                quantity_milli: line.quantity_milli,
                unit: line.unit.clone(),
                amount_minor: line.amount_minor,
                tax_rate_bp: line.tax_rate_bp,
            })
            .collect(),
    }
}

/// The plugin host's provenance in the domain's terms.
pub fn priced_by(by: &plugin_host::PricedBy) -> PricedBy {
    PricedBy { plugin_id: by.plugin_id.clone(), version: by.version.to_string(), hash: by.hash.to_string() }
}

/// The WIT name of a line kind (`line-kind` in `gridlet:types`).
fn kind_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Energy => "energy",
        LineKind::Time => "time",
        LineKind::Idle => "idle",
        LineKind::Flat => "flat",
        LineKind::Cap => "cap",
        LineKind::Discount => "discount",
        LineKind::Tax => "tax",
    }
}
