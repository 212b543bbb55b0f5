//! `/id-tokens`: who may charge; one at a time or imported in bulk.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::ApiState;
use crate::auth::{Authorized, Operate, Read};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, Conflict, NotFound};
use crate::extract::{ApiBody, ApiJson, ApiPath, ApiQuery, parse_json};
use crate::operations::tokens as ops;
use crate::pagination::{self, page};
use crate::wire::{IdTokenFields, IdTokenInput, IdTokenRecordView, IdTokenText, ImportResult, Page, PageQuery};

/// Registered ID tokens, by value (ignoring case).
#[utoipa::path(
    get,
    path = "/id-tokens", operation_id = "list_id_tokens",
    tag = "id-tokens",
    params(PageQuery),
    responses((status = 200, body = Page<IdTokenRecordView>, description = "A page of ID tokens"), BadRequest, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<IdTokenRecordView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode("id-tokens", query.cursor.as_deref())?;
    let records = state.storage().id_tokens(after.as_deref(), limit + 1)?;
    let views: Vec<IdTokenRecordView> = records.iter().map(Into::into).collect();
    Ok(Json(page(views, limit, "id-tokens", |t| t.value.clone())))
}

/// Registers a new ID token; `409 id_token_exists` if it exists (in any case).
#[utoipa::path(
    post,
    path = "/id-tokens", operation_id = "create_id_token",
    tag = "id-tokens",
    request_body = IdTokenInput,
    responses((status = 201, body = IdTokenRecordView, description = "The ID token"), BodyErrors, Conflict, CommonErrors),
    security(("api_key" = ["operate"]))
)]
pub async fn create(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<IdTokenInput>,
) -> Result<(StatusCode, Json<IdTokenRecordView>), ApiError> {
    let record = ops::create(state.storage().as_ref(), &input).await?;
    Ok((StatusCode::CREATED, Json((&record).into())))
}

/// An ID token (any case).
#[utoipa::path(
    get,
    path = "/id-tokens/{token}", operation_id = "get_id_token",
    tag = "id-tokens",
    params(("token" = IdTokenText, Path, description = "The token's value (any case)")),
    responses((status = 200, body = IdTokenRecordView, description = "The ID token"), NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn show(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<IdTokenRecordView>, ApiError> {
    Ok(Json((&ops::existing(state.storage().as_ref(), &token)?).into()))
}

/// Registers or replaces an ID token (201 when new, 200 when replaced).
#[utoipa::path(
    put,
    path = "/id-tokens/{token}", operation_id = "put_id_token",
    tag = "id-tokens",
    params(("token" = IdTokenText, Path, description = "The token's value")),
    request_body = IdTokenFields,
    responses(
        (status = 200, body = IdTokenRecordView, description = "Replaced"),
        (status = 201, body = IdTokenRecordView, description = "Created"),
        BodyErrors,
        CommonErrors
    ),
    security(("api_key" = ["operate"]))
)]
pub async fn put(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(fields): ApiJson<IdTokenFields>,
) -> Result<(StatusCode, Json<IdTokenRecordView>), ApiError> {
    let (record, created) = ops::put(state.storage().as_ref(), &fields.with_value(&token)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&record).into())))
}

/// Removes an ID token.
#[utoipa::path(
    delete,
    path = "/id-tokens/{token}", operation_id = "delete_id_token",
    tag = "id-tokens",
    params(("token" = IdTokenText, Path, description = "The token's value (any case)")),
    responses((status = 204, description = "Removed"), NotFound, CommonErrors),
    security(("api_key" = ["operate"]))
)]
pub async fn delete(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(token): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::delete(state.storage().as_ref(), &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports ID tokens in bulk, replacing those that exist: a JSON array of
/// tokens, or CSV (`Content-Type: text/csv`) with a header row naming the
/// columns `value`, `type`, `status`, `expires_at`, `group_id`,
/// `concurrent_transactions`. Every row is checked first; if any is bad,
/// nothing is imported and `422 invalid_import` lists every bad row.
#[utoipa::path(
    post,
    path = "/id-tokens/import", operation_id = "import_id_tokens",
    tag = "id-tokens",
    request_body(content(
        (Vec<IdTokenInput> = "application/json"),
        (String = "text/csv")
    )),
    responses((status = 200, body = ImportResult, description = "What was imported"), BodyErrors, CommonErrors),
    security(("api_key" = ["operate"]))
)]
pub async fn import(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    body: ApiBody,
) -> Result<Json<ImportResult>, ApiError> {
    let rows: Vec<IdTokenInput> = if body.is_json() {
        parse_json(&body.bytes)?
    } else if body.essence().as_deref() == Some("text/csv") {
        let text = std::str::from_utf8(&body.bytes).map_err(|_| ApiError::invalid("csv", "the CSV is not UTF-8"))?;
        ops::parse_csv(text)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a JSON array (`Content-Type: application/json`) or CSV (`Content-Type: text/csv`)",
        ));
    };
    Ok(Json(ops::import(state.storage().as_ref(), &rows).await?))
}
