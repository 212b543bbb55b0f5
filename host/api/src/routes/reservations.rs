//! Reservations: `POST /stations/{id}/reservations` sends ReserveNow,
//! `DELETE /reservations/{id}` sends CancelReservation.
//!
//! A reservation is recorded as `Requested` before ReserveNow goes out, so
//! the station's answer (which the session records: `Active` or `Refused`)
//! always has a record to land on. If the command never reached the
//! station, the record is marked `Refused` with the reason.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use domain::{Change, Reservation, ReservationState};
use session::commands::{Command, CommandError};

use crate::ApiState;
use crate::auth::{Authorized, Operate, Read};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, NotFound, StationErrors};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::operations::{OperationError, Resource, parse_time, stations::station_id, write};
use crate::pagination::{self, page};
use crate::routes::commands::{id_token, location};
use crate::routes::stations::known_station;
use crate::wire::{NewReservation, Page, ReservationView, ReservationsQuery, StationIdText};

fn stored(state: &ApiState, id: i64) -> Result<Reservation, ApiError> {
    state.storage().reservation(id)?.ok_or_else(|| OperationError::not_found(Resource::Reservation, id).into())
}

/// Records that a command about `reservation` never reached the station.
async fn not_sent(state: &ApiState, mut reservation: Reservation, error: &CommandError) -> Result<(), ApiError> {
    let reached = matches!(error, CommandError::Timeout { .. } | CommandError::ConnectionLost(_));
    if !reached && reservation.state == ReservationState::Requested {
        reservation.state = ReservationState::Refused;
        reservation.refusal = Some(format!("not sent: {error}"));
        reservation.updated_at = state.now();
        write(state.storage().as_ref(), Change::PutReservation(reservation).into()).await?;
    }
    Ok(())
}

/// Reserves a connector (or any, leaving `evse` out) of a station for a
/// token until `expires_at` (ReserveNow); answers the reservation once the
/// station accepted it, or `409 reservation_refused` with its answer.
#[utoipa::path(
    post,
    path = "/stations/{id}/reservations", operation_id = "create_reservation",
    tag = "reservations",
    params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = NewReservation,
    responses((status = 201, body = ReservationView, description = "The reservation"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"]))
)]
pub async fn create(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(station): ApiPath<String>,
    ApiJson(new): ApiJson<NewReservation>,
) -> Result<(StatusCode, Json<ReservationView>), ApiError> {
    let station = known_station(&state, &station)?;
    let now = state.now();
    let location = location(new.evse, new.connector)?;
    let token = id_token("id_token", &new.id_token)?;
    let expires_at = parse_time("expires_at", &new.expires_at)?;
    if let Some(group) = &new.group_id {
        domain::token::validate_token(group).map_err(|e| ApiError::invalid("group_id", e.to_string()))?;
    }
    if state.network().connection(&station).is_none() {
        return Err(CommandError::Offline(station.to_string()).into());
    }
    // what the document cannot state (it depends on the clock) is checked
    // last, once the reservation could be made
    if expires_at <= now {
        return Err(ApiError::invalid("expires_at", "must be in the future"));
    }
    let storage = state.storage();
    let reservation = Reservation {
        id: storage.next_reservation_id()?,
        station: station.clone(),
        location,
        id_token: token,
        group_id: new.group_id.clone(),
        expires_at,
        state: ReservationState::Requested,
        refusal: None,
        transaction: None,
        created_at: now,
        updated_at: now,
    };
    write(storage.as_ref(), Change::PutReservation(reservation.clone()).into()).await?;
    let id = reservation.id;
    match state.network().send(&station, Command::ReserveNow { reservation: reservation.clone() }).await {
        Ok(reply) => {
            let saved = stored(&state, id)?;
            if reply.status.as_deref() == Some("Accepted") {
                Ok((StatusCode::CREATED, Json(ReservationView::of(&saved, state.now()))))
            } else {
                Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "reservation_refused",
                    format!(
                        "station {station} refused reservation {id}: {}",
                        reply.status.unwrap_or_else(|| "no status".to_owned())
                    ),
                ))
            }
        }
        Err(error) => {
            not_sent(&state, reservation, &error).await?;
            Err(error.into())
        }
    }
}

/// Reservations by id, optionally of one station.
#[utoipa::path(
    get,
    path = "/reservations", operation_id = "list_reservations",
    tag = "reservations",
    params(ReservationsQuery),
    responses((status = 200, body = Page<ReservationView>, description = "A page of reservations"), BadRequest, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ReservationsQuery>,
) -> Result<Json<Page<ReservationView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let station = query.station.as_deref().map(|s| station_id("station", s)).transpose()?;
    let after: Option<i64> = pagination::decode_number("reservations", query.cursor.as_deref())?;
    let now = state.now();
    let found = state.storage().reservations(station.as_ref(), after, limit + 1)?;
    let views: Vec<ReservationView> = found.iter().map(|r| ReservationView::of(r, now)).collect();
    Ok(Json(page(views, limit, "reservations", |r| r.id.to_string())))
}

/// A reservation.
#[utoipa::path(
    get,
    path = "/reservations/{id}", operation_id = "get_reservation",
    tag = "reservations",
    params(("id" = i64, Path, description = "The reservation's id")),
    responses((status = 200, body = ReservationView, description = "The reservation"), NotFound, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn show(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReservationView>, ApiError> {
    Ok(Json(ReservationView::of(&stored(&state, id)?, state.now())))
}

/// Cancels a reservation (CancelReservation); answers it as `Cancelled`
/// once the station accepted, `409 cancellation_refused` if it did not,
/// `409 reservation_not_open` if it no longer holds.
#[utoipa::path(
    delete,
    path = "/reservations/{id}", operation_id = "cancel_reservation",
    tag = "reservations",
    params(("id" = i64, Path, description = "The reservation's id")),
    responses((status = 200, body = ReservationView, description = "The reservation"), NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"]))
)]
pub async fn cancel(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReservationView>, ApiError> {
    let reservation = stored(&state, id)?;
    let now = state.now();
    let current = reservation.state_at(now);
    if !current.is_open() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "reservation_not_open",
            format!("reservation {id} is {} and holds nothing to cancel", current.as_str()),
        ));
    }
    let reply = state.network().send(&reservation.station, Command::CancelReservation { reservation_id: id }).await?;
    if reply.status.as_deref() != Some("Accepted") {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cancellation_refused",
            format!(
                "station {} refused to cancel reservation {id}: {}",
                reservation.station,
                reply.status.unwrap_or_else(|| "no status".to_owned())
            ),
        ));
    }
    Ok(Json(ReservationView::of(&stored(&state, id)?, state.now())))
}
