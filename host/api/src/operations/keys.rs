//! API keys: create (the key is shown once), list, revoke.

use domain::{ApiKeyRecord, Change, Scope, Storage, Timestamp};

use crate::auth::generate_key;
use crate::operations::{OperationError, Resource, write};

/// The longest name a key may have.
pub const MAX_NAME_LEN: usize = 100;

/// A scope given in `field`.
pub fn scope(field: &str, text: &str) -> Result<Scope, OperationError> {
    Scope::parse(text.trim())
        .ok_or_else(|| OperationError::invalid(field, format!("{text:?} is not one of read, operate, admin")))
}

/// Creates a key named `name` with `scope`; returns its record and the key
/// itself, which is not stored anywhere and must be shown to the operator now.
pub async fn create(
    storage: &dyn Storage,
    name: &str,
    scope: Scope,
    now: Timestamp,
) -> Result<(ApiKeyRecord, String), OperationError> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_LEN {
        return Err(OperationError::invalid("name", format!("must be 1 to {MAX_NAME_LEN} characters, got {len}")));
    }
    if name.chars().any(char::is_control) {
        return Err(OperationError::invalid("name", "must not contain control characters"));
    }
    let generated = generate_key().map_err(|e| OperationError::Internal(e.to_string()))?;
    if storage.api_key(&generated.id)?.is_some() {
        // 64 random bits colliding: vanishingly rare, but never overwrite a key.
        return Err(OperationError::Internal("generated a key id that exists; try again".to_owned()));
    }
    let record = ApiKeyRecord {
        id: generated.id,
        name: name.to_owned(),
        scope,
        secret_sha256: generated.secret_sha256,
        created_at: now,
        revoked_at: None,
    };
    write(storage, Change::PutApiKey(record.clone()).into()).await?;
    Ok((record, generated.key))
}

/// Revokes key `id` (from then on it authorizes nothing); revoking a
/// revoked key changes nothing.
pub async fn revoke(storage: &dyn Storage, id: &str, now: Timestamp) -> Result<ApiKeyRecord, OperationError> {
    let id = id.strip_prefix(crate::auth::KEY_PREFIX).unwrap_or(id);
    let id = id.split('_').next().unwrap_or(id);
    let mut record = storage.api_key(id)?.ok_or_else(|| OperationError::not_found(Resource::ApiKey, id))?;
    if record.revoked_at.is_none() {
        record.revoked_at = Some(now);
        write(storage, Change::PutApiKey(record.clone()).into()).await?;
    }
    Ok(record)
}
