//! API keys: create (the key is shown once), list, revoke (never the
//! caller's own key, never the last admin key).

use domain::{ApiKeyRecord, Change, Scope, Storage, Timestamp};

use crate::auth::generate_key;
use crate::operations::{OperationError, Resource, check_name, write};

/// The longest name a key may have.
pub const MAX_NAME_LEN: usize = 100;

/// A scope given in `field`.
pub fn scope(field: &str, text: &str) -> Result<Scope, OperationError> {
    Scope::parse(text)
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
    check_name("name", name, MAX_NAME_LEN)?;
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

/// Who asks for a revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoker<'a> {
    /// An API request, authenticated by the key with this id.
    Key(&'a str),
    /// The operator on the data directory (the CLI while the server is stopped).
    Operator,
}

/// Revocations one at a time, so two admin keys revoking each other at
/// once cannot both pass the last-admin check (the server is the only
/// process that writes the data directory while it runs).
static REVOCATIONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Revokes key `id` (from then on it authorizes nothing); revoking a
/// revoked key changes nothing. Refused, so that the network always stays
/// administrable while it runs: the key making the request
/// (`409 api_key_in_use`), and the last admin key not revoked
/// (`409 last_admin_key`).
pub async fn revoke(
    storage: &dyn Storage,
    id: &str,
    by: Revoker<'_>,
    now: Timestamp,
) -> Result<ApiKeyRecord, OperationError> {
    let id = id.strip_prefix(crate::auth::KEY_PREFIX).unwrap_or(id);
    let id = id.split('_').next().unwrap_or(id);
    let _one_at_a_time = REVOCATIONS.lock().await;
    let mut record = storage.api_key(id)?.ok_or_else(|| OperationError::not_found(Resource::ApiKey, id))?;
    if record.revoked_at.is_some() {
        return Ok(record);
    }
    if by == Revoker::Key(record.id.as_str()) {
        return Err(OperationError::Conflict {
            code: "api_key_in_use",
            message: format!("api key {id} is the key making this request; revoke it with another admin key"),
        });
    }
    if record.scope == Scope::Admin {
        let other_admins = storage
            .api_keys()?
            .iter()
            .filter(|key| key.id != record.id && key.scope == Scope::Admin && key.revoked_at.is_none())
            .count();
        if other_admins == 0 {
            return Err(OperationError::Conflict {
                code: "last_admin_key",
                message: format!(
                    "api key {id} is the last admin key; create another admin key first, so the network stays administrable"
                ),
            });
        }
    }
    record.revoked_at = Some(now);
    write(storage, Change::PutApiKey(record.clone()).into()).await?;
    Ok(record)
}
