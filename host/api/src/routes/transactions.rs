//! `/transactions`: filtered lists, the detail with meter readings, and
//! pricing an ended transaction again.

use axum::Json;
use axum::extract::State;

use domain::{TransactionQuery, TransactionState};

use crate::ApiState;
use crate::auth::{Authorized, Operate, Read};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, Conflict, NotFound, PluginsUnavailable};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::operations::{parse_optional_time, stations::station_id, transactions as ops};
use crate::pagination::{self, page};
use crate::wire::{Page, RepriceRequest, TransactionDetail, TransactionView, TransactionsQuery};

/// Transactions, filtered by station, token, start time and state, oldest
/// (or with `order=desc` newest) first.
#[utoipa::path(
    get,
    path = "/transactions", operation_id = "list_transactions",
    tag = "transactions",
    params(TransactionsQuery),
    responses((status = 200, body = Page<TransactionView>, description = "A page of transactions"), BadRequest, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(q): ApiQuery<TransactionsQuery>,
) -> Result<Json<Page<TransactionView>>, ApiError> {
    let limit = pagination::limit(q.limit)?;
    let newest_first = match q.order.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(ApiError::invalid("order", format!("{other:?} is not asc or desc"))),
    };
    let state_filter = match q.state.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("active") => Some(TransactionState::Active),
        Some("ended") => Some(TransactionState::Ended),
        Some(other) => return Err(ApiError::invalid("state", format!("{other:?} is not active or ended"))),
    };
    // The list's name includes the order, so a cursor of one order is refused by the other.
    let list = if newest_first { "transactions-desc" } else { "transactions" };
    let query = TransactionQuery {
        station: q.station.as_deref().map(|s| station_id("station", s)).transpose()?,
        token: q.token.clone(),
        started_from: parse_optional_time("from", q.from.as_deref())?,
        started_before: parse_optional_time("to", q.to.as_deref())?,
        state: state_filter,
        newest_first,
        cursor: pagination::decode_number(list, q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let found = state.storage().transactions_matching(&query)?;
    let views: Vec<TransactionView> = found.iter().map(Into::into).collect();
    Ok(Json(page(views, limit, list, |tx| tx.number.to_string())))
}

/// A transaction with its meter readings and 2.0.1 events.
#[utoipa::path(
    get,
    path = "/transactions/{number}", operation_id = "get_transaction",
    tag = "transactions",
    params(("number" = u64, Path, description = "Gridlet's number for the transaction")),
    responses((status = 200, body = TransactionDetail, description = "The transaction"), NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn show(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(number): ApiPath<u64>,
) -> Result<Json<TransactionDetail>, ApiError> {
    Ok(Json(ops::detail(state.storage().as_ref(), number)?))
}

/// Prices an ended transaction again from its stored meter readings — with
/// the tariff the body names, else the one that applies to its station now
/// — and stores the outcome (a price, or why it is unpriced), replacing
/// the earlier one. With the same plugin version and configuration the
/// price is the same. Needs `operate`.
#[utoipa::path(
    post,
    path = "/transactions/{number}/reprice", operation_id = "reprice_transaction",
    tag = "transactions",
    params(("number" = u64, Path, description = "Gridlet's number for the transaction")),
    request_body(content = RepriceRequest, description = "The tariff to price with; `{}` for the one that applies now"),
    responses(
        (status = 200, body = TransactionView, description = "The transaction with its new pricing"),
        BodyErrors, NotFound, Conflict, PluginsUnavailable, CommonErrors
    ),
    security(("api_key" = ["operate"]))
)]
pub async fn reprice(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(number): ApiPath<u64>,
    ApiJson(request): ApiJson<RepriceRequest>,
) -> Result<Json<TransactionView>, ApiError> {
    let registry = state.plugins()?;
    Ok(Json(ops::reprice(state.storage().as_ref(), registry, number, &request, state.now()).await?))
}
