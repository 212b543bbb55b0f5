//! API keys: how they look, how they are checked, and what each may do.
//!
//! A key is `gl_<id>_<secret>`: `id` is 16 hex digits, public, and names
//! the key in lists and logs; `secret` is 256 random bits in base64url.
//! Gridlet stores only the SHA-256 of the secret (hex). A fast hash is right
//! here: the secret is random and long, so there is nothing to brute-force,
//! while a slow hash would cost every request milliseconds. Digests are
//! compared in constant time.
//!
//! Every request to the API except `GET /api/v1/openapi.json` passes
//! [`authenticate`] first: no key, an unknown, malformed or revoked one is
//! `401 unauthorized`. Each handler then names the scope it needs with an
//! [`Authorized`] extractor (`Authorized<Operate>`); a weaker key is
//! `403 forbidden`, saying which scope is needed. The scopes nest: `read`
//! reads everything and follows the event stream; `operate` also sends
//! commands and manages ID tokens and reservations; `admin` also manages
//! stations and API keys.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

use domain::{ApiKeyRecord, Scope, Storage};

use crate::ApiState;
use crate::error::ApiError;

/// Every key starts with this.
pub const KEY_PREFIX: &str = "gl_";

/// A freshly generated key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The public id.
    pub id: String,
    /// SHA-256 of the secret, hex (what is stored).
    pub secret_sha256: String,
    /// The whole key, `gl_<id>_<secret>` (shown once, never stored).
    pub key: String,
}

/// Why randomness for a key could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomnessError(String);

/// A new key from the operating system's random number generator.
pub fn generate_key() -> Result<GeneratedKey, RandomnessError> {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    let mut rng = rand::rngs::OsRng;
    rng.try_fill_bytes(&mut id).map_err(|e| RandomnessError(e.to_string()))?;
    rng.try_fill_bytes(&mut secret).map_err(|e| RandomnessError(e.to_string()))?;
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let secret = URL_SAFE_NO_PAD.encode(secret);
    Ok(GeneratedKey { secret_sha256: hash_secret(&secret), key: format!("{KEY_PREFIX}{id}_{secret}"), id })
}

/// SHA-256 of `secret`, in lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits a key into its id and its secret.
pub fn parse_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
    (id_ok && !secret.is_empty() && secret.len() <= 128).then_some((id, secret))
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Why a request's key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No `Authorization: Bearer …` header.
    #[error("this request needs an API key: send `Authorization: Bearer gl_…` (create one with `gridlet api-key create`)")]
    Missing,
    /// Not of the form `gl_<id>_<secret>`.
    #[error("the API key is malformed; keys look like gl_<16 hex digits>_<secret>")]
    Malformed,
    /// No such key, or the secret does not match.
    #[error("the API key is not valid")]
    Invalid,
    /// The key was revoked.
    #[error("the API key {0} was revoked")]
    Revoked(String),
}

/// The key record `key` authenticates as.
pub fn check_key(storage: &dyn Storage, key: &str) -> Result<Result<ApiKeyRecord, KeyError>, domain::StorageError> {
    let Some((id, secret)) = parse_key(key.trim()) else { return Ok(Err(KeyError::Malformed)) };
    let Some(record) = storage.api_key(id)? else { return Ok(Err(KeyError::Invalid)) };
    if !constant_time_eq(hash_secret(secret).as_bytes(), record.secret_sha256.as_bytes()) {
        return Ok(Err(KeyError::Invalid));
    }
    if record.revoked_at.is_some() {
        return Ok(Err(KeyError::Revoked(record.id)));
    }
    Ok(Ok(record))
}

/// Who is calling: the key that authenticated the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's public id.
    pub key_id: String,
    /// The key's name.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
}

/// Middleware: refuses a request without a valid key (`401`), else
/// records the [`Caller`] for the handler.
pub async fn authenticate(State(state): State<ApiState>, mut request: Request, next: Next) -> Response {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let key = match header {
        None => Err(KeyError::Missing),
        Some(value) => match value.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => Ok(key.trim().to_owned()),
            _ => Err(KeyError::Missing),
        },
    };
    let checked = match key {
        Ok(key) => match check_key(state.storage().as_ref(), &key) {
            Ok(checked) => checked,
            Err(error) => return ApiError::from(error).into_response(),
        },
        Err(error) => Err(error),
    };
    match checked {
        Ok(record) => {
            request.extensions_mut().insert(Caller { key_id: record.id, name: record.name, scope: record.scope });
            next.run(request).await
        }
        Err(error) => ApiError::unauthorized(error.to_string()).into_response(),
    }
}

/// A scope a handler needs.
pub trait Requirement {
    /// The scope.
    const SCOPE: Scope;
}

/// Needs `read`.
#[derive(Debug)]
pub struct Read;
/// Needs `operate`.
#[derive(Debug)]
pub struct Operate;
/// Needs `admin`.
#[derive(Debug)]
pub struct Admin;

impl Requirement for Read {
    const SCOPE: Scope = Scope::Read;
}
impl Requirement for Operate {
    const SCOPE: Scope = Scope::Operate;
}
impl Requirement for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// A caller whose key allows `R`; extracting it refuses others with `403`.
#[derive(Debug)]
pub struct Authorized<R: Requirement>(pub Caller, PhantomData<R>);

impl<S: Send + Sync, R: Requirement> FromRequestParts<S> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
            // Only reachable if a route escaped the authentication layer.
            return Err(ApiError::unauthorized(KeyError::Missing.to_string()));
        };
        if !caller.scope.allows(R::SCOPE) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this operation needs an API key with scope {} (or higher); key {} has scope {}",
                    R::SCOPE.as_str(),
                    caller.key_id,
                    caller.scope.as_str()
                ),
            ));
        }
        Ok(Authorized(caller, PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_hash_to_what_is_stored() {
        let generated = generate_key().unwrap();
        let (id, secret) = parse_key(&generated.key).unwrap();
        assert_eq!(id, generated.id);
        assert_eq!(secret.len(), 43, "256 bits in base64url without padding");
        assert_eq!(hash_secret(secret), generated.secret_sha256);
        assert_eq!(generated.secret_sha256.len(), 64);
        assert_ne!(generate_key().unwrap().key, generated.key);
    }

    #[test]
    fn malformed_keys_are_recognised() {
        assert!(parse_key("gl_0123456789abcdef_secret-with_underscore").is_some());
        for bad in ["", "gl_", "gl_0123456789abcdef", "gl_0123456789abcdef_", "xx_0123456789abcdef_s", "gl_short_s", "gl_0123456789abcdeg_s"] {
            assert!(parse_key(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn digests_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
