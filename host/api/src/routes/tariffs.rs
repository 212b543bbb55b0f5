//! `/tariff-assignments`: which tariff plugin prices which stations'
//! transactions, in which currency — the network's default, a group of
//! stations (a site), or one station; station beats group beats default.
//! Reading needs `read`; assigning and unassigning need `admin`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use domain::TariffScope;

use crate::ApiState;
use crate::auth::{Admin, Authorized, Read};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, NotFound, PluginsUnavailable};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::operations::tariffs as ops;
use crate::pagination::{self, page_of_slice};
use crate::wire::{NameText, Page, PageQuery, StationIdText, TariffAssignmentView, TariffInput};

/// Every tariff assignment: the default first, then groups, then stations.
#[utoipa::path(
    get,
    path = "/tariff-assignments", operation_id = "list_tariff_assignments",
    tag = "tariffs",
    params(PageQuery),
    responses((status = 200, body = Page<TariffAssignmentView>, description = "A page of assignments"), BadRequest, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<TariffAssignmentView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let all = ops::list(state.storage().as_ref())?;
    Ok(Json(page_of_slice(&all, limit, "tariff-assignments", query.cursor.as_deref())?))
}

/// Assigns `input` to `scope`.
async fn assign(state: &ApiState, scope: TariffScope, input: &TariffInput) -> Result<Json<TariffAssignmentView>, ApiError> {
    let registry = state.plugins()?;
    Ok(Json(ops::assign(state.storage().as_ref(), &registry, scope, input).await?))
}

/// Removes the assignment of `scope`.
async fn unassign(state: &ApiState, scope: TariffScope) -> Result<StatusCode, ApiError> {
    ops::unassign(state.storage().as_ref(), scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the network's default tariff: it prices the transactions of every
/// station without a station or group assignment. Needs `admin`.
#[utoipa::path(
    put,
    path = "/tariff-assignments/default", operation_id = "assign_default_tariff",
    tag = "tariffs",
    request_body = TariffInput,
    responses((status = 200, body = TariffAssignmentView, description = "The assignment"), BodyErrors, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn assign_default(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<TariffInput>,
) -> Result<Json<TariffAssignmentView>, ApiError> {
    assign(&state, TariffScope::Default, &input).await
}

/// Removes the default tariff. Needs `admin`.
#[utoipa::path(
    delete,
    path = "/tariff-assignments/default", operation_id = "unassign_default_tariff",
    tag = "tariffs",
    responses((status = 204, description = "Removed"), NotFound, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn unassign_default(_: Authorized<Admin>, State(state): State<ApiState>) -> Result<StatusCode, ApiError> {
    unassign(&state, TariffScope::Default).await
}

/// Sets the tariff of a group of stations (a site; see a station's
/// `group`). Needs `admin`.
#[utoipa::path(
    put,
    path = "/tariff-assignments/groups/{group}", operation_id = "assign_group_tariff",
    tag = "tariffs",
    params(("group" = NameText, Path, description = "The group's name")),
    request_body = TariffInput,
    responses((status = 200, body = TariffAssignmentView, description = "The assignment"), BodyErrors, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn assign_group(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(group): ApiPath<String>,
    ApiJson(input): ApiJson<TariffInput>,
) -> Result<Json<TariffAssignmentView>, ApiError> {
    assign(&state, ops::group_scope("group", &group)?, &input).await
}

/// Removes a group's tariff. Needs `admin`.
#[utoipa::path(
    delete,
    path = "/tariff-assignments/groups/{group}", operation_id = "unassign_group_tariff",
    tag = "tariffs",
    params(("group" = NameText, Path, description = "The group's name")),
    responses((status = 204, description = "Removed"), NotFound, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn unassign_group(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(group): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    unassign(&state, ops::group_scope("group", &group)?).await
}

/// Sets one station's tariff, which beats its group's and the default.
/// The station must be registered. Needs `admin`.
#[utoipa::path(
    put,
    path = "/tariff-assignments/stations/{station}", operation_id = "assign_station_tariff",
    tag = "tariffs",
    params(("station" = StationIdText, Path, description = "The station's identity")),
    request_body = TariffInput,
    responses((status = 200, body = TariffAssignmentView, description = "The assignment"), BodyErrors, NotFound, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn assign_station(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(station): ApiPath<String>,
    ApiJson(input): ApiJson<TariffInput>,
) -> Result<Json<TariffAssignmentView>, ApiError> {
    assign(&state, ops::station_scope("station", &station)?, &input).await
}

/// Removes one station's tariff. Needs `admin`.
#[utoipa::path(
    delete,
    path = "/tariff-assignments/stations/{station}", operation_id = "unassign_station_tariff",
    tag = "tariffs",
    params(("station" = StationIdText, Path, description = "The station's identity")),
    responses((status = 204, description = "Removed"), NotFound, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn unassign_station(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(station): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    unassign(&state, ops::station_scope("station", &station)?).await
}
