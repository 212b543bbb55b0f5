//! The operator's rules, as plain functions over [`Storage`]: what the HTTP
//! handlers do and what `gridlet` does on a data directory when the server
//! is stopped, so both validate alike, refuse alike and show the same views.
//!
//! - [`stations`]: register, change and remove stations; their views and availability.
//! - [`tokens`]: ID tokens, one at a time or imported in bulk (JSON or CSV).
//! - [`keys`]: API keys.
//! - [`transactions`]: transaction views and repricing.
//! - [`plugins`]: the plugin registry's lifecycle and views.
//! - [`tariffs`]: which tariff applies to which stations.
//!
//! Writes wait until they are durable. Errors are [`OperationError`]s,
//! which say which field or row is wrong; the API turns them into
//! [`crate::ApiError`]s and the CLI prints their message.

pub mod keys;
pub mod plugins;
pub mod stations;
pub mod tariffs;
pub mod tokens;
pub mod transactions;

use domain::{ChangeSet, Storage, StorageError, Timestamp};

/// What an operation is about, for its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A charging station.
    Station,
    /// An ID token.
    IdToken,
    /// A transaction.
    Transaction,
    /// A reservation.
    Reservation,
    /// An API key.
    ApiKey,
    /// An installed plugin.
    Plugin,
    /// A tariff assignment.
    TariffAssignment,
}

impl Resource {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Station => "station",
            Resource::IdToken => "id token",
            Resource::Transaction => "transaction",
            Resource::Reservation => "reservation",
            Resource::ApiKey => "api key",
            Resource::Plugin => "plugin",
            Resource::TariffAssignment => "tariff assignment",
        }
    }

    /// The error code when it does not exist.
    pub fn not_found_code(self) -> &'static str {
        match self {
            Resource::Station => "station_not_found",
            Resource::IdToken => "id_token_not_found",
            Resource::Transaction => "transaction_not_found",
            Resource::Reservation => "reservation_not_found",
            Resource::ApiKey => "api_key_not_found",
            Resource::Plugin => "plugin_not_found",
            Resource::TariffAssignment => "tariff_assignment_not_found",
        }
    }

    /// The error code when it exists already.
    pub fn exists_code(self) -> &'static str {
        match self {
            Resource::Station => "station_exists",
            Resource::IdToken => "id_token_exists",
            Resource::Transaction => "transaction_exists",
            Resource::Reservation => "reservation_exists",
            Resource::ApiKey => "api_key_exists",
            Resource::Plugin => "plugin_exists",
            Resource::TariffAssignment => "tariff_assignment_exists",
        }
    }
}

/// A bad row of a bulk import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row, from 1 (the first data row).
    pub row: usize,
    /// The field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Why an operation was refused or failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OperationError {
    /// The thing named does not exist.
    #[error("{} {id} does not exist", resource.name())]
    NotFound {
        /// What kind of thing.
        resource: Resource,
        /// Which.
        id: String,
    },
    /// The thing to create exists already.
    #[error("{} {id} exists already", resource.name())]
    Exists {
        /// What kind of thing.
        resource: Resource,
        /// Which.
        id: String,
    },
    /// A field is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, e.g. `password` or `expires_at`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Rows of a bulk import are invalid; nothing was imported.
    #[error("{} row(s) are invalid; nothing was imported{}", .0.len(), row_summary(.0))]
    InvalidRows(Vec<RowError>),
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// A stable code, e.g. `reservation_not_open`.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// The request is well-formed but refused as a whole (an invalid
    /// plugin package, a configuration the plugin rejects).
    #[error("{message}")]
    Rejected {
        /// A stable code, e.g. `plugin_config_rejected`.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Something else failed inside Gridlet (hashing, randomness).
    #[error("{0}")]
    Internal(String),
}

fn row_summary(rows: &[RowError]) -> String {
    rows.iter()
        .map(|r| match &r.field {
            Some(field) => format!("\n  row {}: {field}: {}", r.row, r.message),
            None => format!("\n  row {}: {}", r.row, r.message),
        })
        .collect()
}

impl OperationError {
    /// An invalid `field`.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        OperationError::Invalid { field: field.to_owned(), message: message.to_string() }
    }

    /// `resource` `id` does not exist.
    pub fn not_found(resource: Resource, id: impl std::fmt::Display) -> Self {
        OperationError::NotFound { resource, id: id.to_string() }
    }
}

/// Applies `changes` and waits until they are durable.
pub async fn write(storage: &dyn Storage, changes: ChangeSet) -> Result<(), StorageError> {
    if changes.is_empty() {
        return Ok(());
    }
    storage.apply_durably(changes).await
}

/// Checks a name given in `field` (an API key's, a group's): 1 to `max`
/// characters without control characters, neither beginning nor ending
/// with white space (the document's `NameText`).
pub fn check_name(field: &str, text: &str, max: usize) -> Result<(), OperationError> {
    let len = text.chars().count();
    if len == 0 || len > max {
        return Err(OperationError::invalid(field, format!("must be 1 to {max} characters, got {len}")));
    }
    if text.chars().any(char::is_control) {
        return Err(OperationError::invalid(field, "must not contain control characters"));
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err(OperationError::invalid(field, "must not begin or end with white space"));
    }
    Ok(())
}

/// Parses an RFC 3339 time given in `field`. An offset's `+` that a query
/// string turned into a space (`…T10:00:00 01:00`) is read as `+`.
pub fn parse_time(field: &str, text: &str) -> Result<Timestamp, OperationError> {
    let trimmed = text.trim();
    let mut fixed = trimmed.to_owned();
    if let Some(at) = trimmed.len().checked_sub(6)
        && trimmed.get(at..at + 1) == Some(" ")
    {
        fixed.replace_range(at..at + 1, "+");
    }
    ocpp::parse_rfc3339_millis(&fixed)
        .map(Timestamp::from_unix_millis)
        .ok_or_else(|| OperationError::invalid(field, format!("{text:?} is not an RFC 3339 time like 2027-01-01T00:00:00Z")))
}

/// Parses an optional RFC 3339 time given in `field`.
pub fn parse_optional_time(field: &str, text: Option<&str>) -> Result<Option<Timestamp>, OperationError> {
    text.map(|text| parse_time(field, text)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_rfc_3339() {
        let utc = parse_time("from", "2026-11-21T10:00:00Z").unwrap();
        assert_eq!(parse_time("from", "2026-11-21T11:00:00+01:00").unwrap(), utc);
        assert_eq!(parse_time("from", "2026-11-21T11:00:00 01:00").unwrap(), utc, "a + lost in a query string");
        match parse_time("from", "yesterday") {
            Err(OperationError::Invalid { field, message }) => assert!(field == "from" && message.contains("RFC 3339")),
            other => panic!("{other:?}"),
        }
    }
}
