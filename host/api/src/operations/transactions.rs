//! Transactions: the detail view with meter readings and events, and
//! pricing an ended transaction again.

use std::sync::Arc;

use domain::{Pricer, Storage, TariffScope, Timestamp};
use plugin_host::PluginRegistry;
use pricing::{RegistryPricer, RepriceError};

use crate::operations::{OperationError, Resource, tariffs};
use crate::wire::{RepriceRequest, TariffInput, TransactionDetail, TransactionView};

/// Transaction `number` with its meter readings and (2.0.1) events.
pub fn detail(storage: &dyn Storage, number: u64) -> Result<TransactionDetail, OperationError> {
    let tx = storage.transaction(number)?.ok_or_else(|| OperationError::not_found(Resource::Transaction, number))?;
    Ok(TransactionDetail {
        transaction: (&tx).into(),
        meter_samples: storage.meter_samples(number)?.iter().map(Into::into).collect(),
        events: storage.transaction_events(number)?.iter().map(Into::into).collect(),
    })
}

/// Prices ended transaction `number` again from its stored readings — with
/// the tariff `request` names, else the one that applies to its station now
/// — stores the outcome, and returns the transaction.
pub async fn reprice(
    storage: &dyn Storage,
    registry: Arc<PluginRegistry>,
    number: u64,
    request: &RepriceRequest,
    now: Timestamp,
) -> Result<TransactionView, OperationError> {
    let named = match (&request.plugin_id, &request.currency) {
        (None, None) => None,
        (Some(plugin_id), Some(currency)) => {
            let input = TariffInput { plugin_id: plugin_id.clone(), currency: currency.clone() };
            // the scope is not used: a named tariff applies to this transaction only
            Some(tariffs::assignment(&registry, TariffScope::Default, &input)?)
        }
        (Some(_), None) => return Err(OperationError::invalid("currency", "give the currency with plugin_id")),
        (None, Some(_)) => return Err(OperationError::invalid("plugin_id", "give plugin_id with the currency")),
    };
    let pricer: Arc<dyn Pricer> = Arc::new(RegistryPricer::new(registry));
    pricing::reprice(storage, pricer, number, named, now).await.map_err(|e| {
        let message = e.to_string();
        match e {
            RepriceError::NotFound(_) => OperationError::not_found(Resource::Transaction, number),
            RepriceError::NotEnded(_) => OperationError::Conflict { code: "transaction_not_ended", message },
            RepriceError::NoTariff(_) => OperationError::Conflict { code: "no_tariff", message },
            RepriceError::Storage(e) => OperationError::Storage(e),
            RepriceError::Task(_) => OperationError::Internal(message),
        }
    })?;
    let tx = storage.transaction(number)?.ok_or_else(|| OperationError::not_found(Resource::Transaction, number))?;
    Ok((&tx).into())
}
