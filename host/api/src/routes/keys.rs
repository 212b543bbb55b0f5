//! `/api-keys`: list, create (the key is answered once), revoke (never the
//! caller's own key, never the last admin key). Needs `admin`. The first
//! admin key is made with `gridlet api-key create` on the data directory.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::ApiState;
use crate::auth::{Admin, Authorized};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, Conflict, NotFound};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::operations::keys as ops;
use crate::pagination::{self, page_of_slice};
use crate::wire::{ApiKeyCreated, ApiKeyView, NewApiKey, Page, PageQuery};

/// API keys, by id (never their secrets).
#[utoipa::path(
    get,
    path = "/api-keys", operation_id = "list_api_keys",
    tag = "api-keys",
    params(PageQuery),
    responses((status = 200, body = Page<ApiKeyView>, description = "A page of API keys"), BadRequest, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn list(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<ApiKeyView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let all: Vec<ApiKeyView> = state.storage().api_keys()?.iter().map(Into::into).collect();
    Ok(Json(page_of_slice(&all, limit, "api-keys", query.cursor.as_deref())?))
}

/// Creates an API key; the answer holds the key itself, shown this once.
#[utoipa::path(
    post,
    path = "/api-keys", operation_id = "create_api_key",
    tag = "api-keys",
    request_body = NewApiKey,
    responses((status = 201, body = ApiKeyCreated, description = "The key, shown this once"), BodyErrors, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn create(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiJson(new): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let scope = ops::scope("scope", &new.scope)?;
    let (record, api_key) = ops::create(state.storage().as_ref(), &new.name, scope, state.now()).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyCreated { key: (&record).into(), api_key })))
}

/// Revokes an API key: from now on it authorizes nothing. The key making
/// the request cannot revoke itself (`409 api_key_in_use`), and the last
/// admin key cannot be revoked (`409 last_admin_key`), so the network
/// always stays administrable. Revoking a revoked key changes nothing.
#[utoipa::path(
    delete,
    path = "/api-keys/{id}", operation_id = "revoke_api_key",
    tag = "api-keys",
    params(("id" = String, Path, description = "The key's public id")),
    responses((status = 200, body = ApiKeyView, description = "The key"), NotFound, Conflict, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn revoke(
    admin: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApiKeyView>, ApiError> {
    let record = ops::revoke(state.storage().as_ref(), &id, ops::Revoker::Key(&admin.0.key_id), state.now()).await?;
    Ok(Json((&record).into()))
}
