//! `/stations`: list, register, show, change, remove; status history, log,
//! faults and availability.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use domain::{StationId, Timestamp};

use crate::auth::{Admin, Authorized, Read};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, Conflict, NotFound};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::operations::{self, stations as ops};
use crate::pagination::{self, page, page_of_slice};
use crate::wire::{
    AvailabilityView, ConnectorView, HistoryQuery, LogEntryView, NewStation, Page, PageQuery, RangeQuery,
    StationChange, StationDetail, StationIdText, StationSaved, StationSummary,
};
use crate::ApiState;

/// The station id in a path, checked.
pub(crate) fn path_station(id: &str) -> Result<StationId, ApiError> {
    ops::station_id("id", id).map_err(ApiError::from)
}

/// The station `id`, which must be registered (or be connected).
pub(crate) fn known_station(state: &ApiState, id: &str) -> Result<StationId, ApiError> {
    let id = path_station(id)?;
    if state.storage().station(&id)?.is_none() && state.network().connection(&id).is_none() {
        return Err(ApiError::station_not_found(id.as_str()));
    }
    Ok(id)
}

/// A time range from a query: `to` defaults to now. A range where `from`
/// is not before `to` is empty.
fn range(
    from: Option<&str>,
    to: Option<&str>,
    default_from: impl FnOnce(Timestamp) -> Timestamp,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), ApiError> {
    let to = operations::parse_optional_time("to", to)?.unwrap_or(now);
    let from = operations::parse_optional_time("from", from)?.unwrap_or_else(|| default_from(to));
    Ok((from, to))
}

/// Lists stations by id, with live connection and connector statuses.
#[utoipa::path(
    get,
    path = "/stations", operation_id = "list_stations",
    tag = "stations",
    params(PageQuery),
    responses((status = 200, body = Page<StationSummary>, description = "A page of stations"), BadRequest, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<StationSummary>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode("stations", query.cursor.as_deref())?
        .map(|id| StationId::parse(&id).map_err(|_| ApiError::invalid_cursor()))
        .transpose()?;
    let storage = state.storage();
    let stations = storage.stations(after.as_ref(), limit + 1)?;
    let mut summaries = Vec::with_capacity(stations.len());
    for station in &stations {
        let connection = state.network().connection(&station.id);
        summaries.push(ops::summary(storage.as_ref(), station, connection.as_ref())?);
    }
    Ok(Json(page(summaries, limit, "stations", |s| s.id.clone())))
}

/// Registers a station with its password (or one Gridlet generates and
/// answers once). Needs `admin`.
#[utoipa::path(
    post,
    path = "/stations", operation_id = "create_station",
    tag = "stations",
    request_body = NewStation,
    responses((status = 201, body = StationSaved, description = "The station as saved"), BodyErrors, Conflict, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn create(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiJson(new): ApiJson<NewStation>,
) -> Result<(StatusCode, Json<StationSaved>), ApiError> {
    let storage = state.storage();
    let allow = state.options().allow_stations_without_password;
    let (station, generated_password) = ops::add_station(storage.as_ref(), &new, allow, state.now()).await?;
    let connection = state.network().connection(&station.id);
    let detail = ops::detail(storage.as_ref(), &station, connection.as_ref())?;
    Ok((StatusCode::CREATED, Json(StationSaved { station: detail, generated_password })))
}

/// Everything about a station: boot facts, firmware/diagnostics/log status,
/// connectors, live connection, last seen, active transactions, and its
/// 1.6 configuration keys or 2.0.1 device model.
#[utoipa::path(
    get,
    path = "/stations/{id}", operation_id = "get_station",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity")),
    responses((status = 200, body = StationDetail, description = "The station"), NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn show(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StationDetail>, ApiError> {
    let id = path_station(&id)?;
    let storage = state.storage();
    let station = ops::existing(storage.as_ref(), &id)?;
    let connection = state.network().connection(&id);
    Ok(Json(ops::detail(storage.as_ref(), &station, connection.as_ref())?))
}

/// Approves, rejects or re-keys a station (fields left out stay as they
/// are). A station learns a new registration at its next boot. Needs `admin`.
#[utoipa::path(
    patch,
    path = "/stations/{id}", operation_id = "update_station",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = StationChange,
    responses((status = 200, body = StationSaved, description = "The station as saved"), BodyErrors, NotFound, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn update(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<StationChange>,
) -> Result<Json<StationSaved>, ApiError> {
    let id = path_station(&id)?;
    let storage = state.storage();
    let allow = state.options().allow_stations_without_password;
    let (station, generated_password) = ops::change_station(storage.as_ref(), &id, &change, allow).await?;
    let connection = state.network().connection(&id);
    let detail = ops::detail(storage.as_ref(), &station, connection.as_ref())?;
    Ok(Json(StationSaved { station: detail, generated_password }))
}

/// Removes a station's record; its transactions, history and log stay. A
/// connection it has now goes on until it ends; when it connects again it
/// is an unknown station. Needs `admin`.
#[utoipa::path(
    delete,
    path = "/stations/{id}", operation_id = "delete_station",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity")),
    responses((status = 204, description = "Removed"), NotFound, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn delete(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_station(&id)?;
    ops::delete_station(state.storage().as_ref(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A station's connector status reports received in a time range, oldest first.
#[utoipa::path(
    get,
    path = "/stations/{id}/status-history", operation_id = "get_station_status_history",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity"), HistoryQuery),
    responses((status = 200, body = Page<ConnectorView>, description = "A page of status reports"), BadRequest, NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn status_history(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<ConnectorView>>, ApiError> {
    statuses(&state, &id, &query, "status-history", |_| true)
}

/// A station's faults in a time range, oldest first: status reports with
/// state `Faulted` or an error code, with the time and the code.
#[utoipa::path(
    get,
    path = "/stations/{id}/faults", operation_id = "get_station_faults",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity"), HistoryQuery),
    responses((status = 200, body = Page<ConnectorView>, description = "A page of status reports"), BadRequest, NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn faults(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<ConnectorView>>, ApiError> {
    statuses(&state, &id, &query, "faults", domain::ConnectorStatus::is_fault)
}

fn statuses(
    state: &ApiState,
    id: &str,
    query: &HistoryQuery,
    list: &str,
    keep: impl Fn(&domain::ConnectorStatus) -> bool,
) -> Result<Json<Page<ConnectorView>>, ApiError> {
    let id = known_station(state, id)?;
    let limit = pagination::limit(query.limit)?;
    let (from, to) = range(query.from.as_deref(), query.to.as_deref(), |_| Timestamp::from_unix_millis(0), state.now())?;
    let all: Vec<ConnectorView> = state
        .storage()
        .status_history_since(&id, from)?
        .iter()
        .filter(|s| s.received_at >= from && s.received_at < to && keep(s))
        .map(Into::into)
        .collect();
    Ok(Json(page_of_slice(&all, limit, list, query.cursor.as_deref())?))
}

/// A station's log in a time range, oldest first: connections, boots,
/// going silent, firmware/diagnostics/log progress, security and device
/// events, data transfers.
#[utoipa::path(
    get,
    path = "/stations/{id}/log", operation_id = "get_station_log",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity"), HistoryQuery),
    responses((status = 200, body = Page<LogEntryView>, description = "A page of log entries"), BadRequest, NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn log(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<LogEntryView>>, ApiError> {
    let id = known_station(&state, &id)?;
    let limit = pagination::limit(query.limit)?;
    let (from, to) = range(query.from.as_deref(), query.to.as_deref(), |_| Timestamp::from_unix_millis(0), state.now())?;
    let all: Vec<LogEntryView> = state
        .storage()
        .station_events_since(&id, from)?
        .iter()
        .filter(|e| e.received_at >= from && e.received_at < to)
        .map(Into::into)
        .collect();
    Ok(Json(page_of_slice(&all, limit, "log", query.cursor.as_deref())?))
}

/// A station's availability over a time range (default: the last 24 hours):
/// time connected and not, its connection periods, and per connector the
/// time in each status and the faults.
#[utoipa::path(
    get,
    path = "/stations/{id}/availability", operation_id = "get_station_availability",
    tag = "stations",
    params(("id" = StationIdText, Path, description = "The station's identity"), RangeQuery),
    responses((status = 200, body = AvailabilityView, description = "The availability"), NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn availability(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Json<AvailabilityView>, ApiError> {
    let id = known_station(&state, &id)?;
    let now = state.now();
    let (from, to) = range(query.from.as_deref(), query.to.as_deref(), |to| to.add_millis(-24 * 3_600_000), now)?;
    let connected = state.network().connection(&id).is_some();
    Ok(Json(ops::station_availability(state.storage().as_ref(), &id, from, to, now, connected)?))
}
