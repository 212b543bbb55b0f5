//! Pricing a stored, ended transaction again: after a tariff failed (the
//! transaction is `Unpriced`), after the operator fixed or reassigned a
//! tariff, or to check a stored price against its inputs.
//!
//! [`price_stored`] computes the pricing from what storage holds — the
//! transaction record and its readings — with the tariff that applies now
//! (station, then the station's current group, then the default) or the one
//! the operator names; [`reprice`] also stores it. Since the facts are built
//! from stored inputs only (see [`crate::facts`]), pricing a transaction
//! again with the same plugin version and configuration reproduces its
//! stored price exactly.

use std::sync::Arc;

use domain::{Change, Pricer, Pricing, Storage, StorageError, TariffAssignment, Timestamp, TransactionState, tariff_for};

/// Why a transaction could not be priced again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RepriceError {
    /// No transaction has that number.
    #[error("no transaction {0}")]
    NotFound(u64),
    /// The transaction is still running: only ended ones have a final price.
    #[error("transaction {0} has not ended")]
    NotEnded(u64),
    /// No tariff applies to its station and none was named.
    #[error("no tariff applies to transaction {0}: assign one to its station, its group or as the default, or name one")]
    NoTariff(u64),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The pricing task died (a panic outside the plugin sandbox).
    #[error("pricing failed: {0}")]
    Task(String),
}

/// The pricing of ended transaction `number` from its stored inputs, under
/// `assignment` or else the tariff that applies to its station now; not
/// stored. The plugin runs on a blocking thread. A tariff's failure is an
/// `Ok(Pricing::Unpriced { .. })`.
pub async fn price_stored(
    storage: &dyn Storage,
    pricer: Arc<dyn Pricer>,
    number: u64,
    assignment: Option<TariffAssignment>,
    now: Timestamp,
) -> Result<Pricing, RepriceError> {
    let tx = storage.transaction(number)?.ok_or(RepriceError::NotFound(number))?;
    if tx.state != TransactionState::Ended {
        return Err(RepriceError::NotEnded(number));
    }
    let assignment = match assignment {
        Some(named) => named,
        None => {
            let group = storage.station(&tx.station)?.and_then(|station| station.group);
            let assignments = storage.tariff_assignments()?;
            tariff_for(&assignments, &tx.station, group.as_deref()).cloned().ok_or(RepriceError::NoTariff(number))?
        }
    };
    let samples = storage.meter_samples(number)?;
    tokio::task::spawn_blocking(move || pricer.price(&assignment, &tx, &samples, now))
        .await
        .map_err(|e| RepriceError::Task(e.to_string()))
}

/// Prices ended transaction `number` again (see [`price_stored`]) and stores
/// the outcome with it, replacing the earlier one; returns it once durable.
pub async fn reprice(
    storage: &dyn Storage,
    pricer: Arc<dyn Pricer>,
    number: u64,
    assignment: Option<TariffAssignment>,
    now: Timestamp,
) -> Result<Pricing, RepriceError> {
    let pricing = price_stored(storage, pricer, number, assignment, now).await?;
    // read again: late readings may have changed the record meanwhile
    let mut tx = storage.transaction(number)?.ok_or(RepriceError::NotFound(number))?;
    tx.pricing = Some(pricing.clone());
    tx.updated_at = now;
    storage.apply_durably(Change::PutTransaction(tx).into()).await?;
    Ok(pricing)
}
