//! Transactions: the detail view with meter readings and events.

use domain::Storage;

use crate::operations::{OperationError, Resource};
use crate::wire::TransactionDetail;

/// Transaction `number` with its meter readings and (2.0.1) events.
pub fn detail(storage: &dyn Storage, number: u64) -> Result<TransactionDetail, OperationError> {
    let tx = storage.transaction(number)?.ok_or_else(|| OperationError::not_found(Resource::Transaction, number))?;
    Ok(TransactionDetail {
        transaction: (&tx).into(),
        meter_samples: storage.meter_samples(number)?.iter().map(Into::into).collect(),
        events: storage.transaction_events(number)?.iter().map(Into::into).collect(),
    })
}
