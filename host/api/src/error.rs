//! The one error type every handler returns, [`ApiError`], and its JSON
//! form: `{"error": {"code": "station_not_found", "message": "…"}}`.
//!
//! Codes are stable snake_case strings clients may match on; messages are
//! for people and may change. An internal failure (storage, a bug) is
//! logged with its details and answered `internal_error` with none of them.
//! axum's own rejections (a body that is not JSON, a field of the wrong
//! type, an unknown query parameter) come out in the same shape through the
//! extractors in [`crate::extract`].

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};

use domain::StorageError;
use server::RemoteStartError;
use session::commands::CommandError;

use crate::operations::OperationError;

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorView,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorView {
    /// A stable snake_case code, e.g. `station_not_found`.
    pub code: String,
    /// A message for people.
    pub message: String,
    /// Per-field or per-row problems, when there are several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

/// One problem with a field or an imported row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// The row of an import (1 is the first data row), when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The field, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// An error answer: a status, a stable code and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// Per-field or per-row problems.
    pub details: Vec<ErrorDetail>,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: Vec::new() }
    }

    /// `422 invalid_request` about `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let detail = ErrorDetail { row: None, field: Some(field.to_owned()), message: message.clone() };
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_request",
            message: format!("{field}: {message}"),
            details: vec![detail],
        }
    }

    /// `500 internal_error`; `error` is logged, never answered.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error answering an API request");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error; the server log has the details")
    }

    /// `401 unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// `404 station_not_found`.
    pub fn station_not_found(id: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "station_not_found", format!("station {id} does not exist"))
    }

    /// `400 invalid_cursor`.
    pub fn invalid_cursor() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
            "cursor is not one this list handed out; start again without a cursor",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let body = ErrorBody { error: ErrorView { code: self.code.to_owned(), message: self.message, details: self.details } };
        let mut response = (self.status, axum::Json(body)).into_response();
        if unauthorized {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        ApiError::internal(error)
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        let message = error.to_string();
        let (status, code) = match &error {
            CommandError::Offline(_) => (StatusCode::CONFLICT, "station_offline"),
            CommandError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "station_timeout"),
            CommandError::Refused { .. } => (StatusCode::BAD_GATEWAY, "station_refused"),
            CommandError::InvalidReply { .. } => (StatusCode::BAD_GATEWAY, "station_invalid_reply"),
            CommandError::Unsupported { .. } => (StatusCode::BAD_REQUEST, "unsupported_for_version"),
            CommandError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_command"),
            CommandError::QueueFull(_) => (StatusCode::TOO_MANY_REQUESTS, "station_busy"),
            CommandError::ConnectionLost(_) => (StatusCode::SERVICE_UNAVAILABLE, "connection_lost"),
        };
        ApiError::new(status, code, message)
    }
}

impl From<RemoteStartError> for ApiError {
    fn from(error: RemoteStartError) -> Self {
        match error {
            RemoteStartError::Command(error) => error.into(),
            RemoteStartError::NotAccepted { status } => ApiError::new(
                StatusCode::CONFLICT,
                "remote_start_rejected",
                format!("the station answered the remote start with {status}"),
            ),
            RemoteStartError::NotStarted { seconds } => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "remote_start_timeout",
                format!("the station accepted the remote start but started no transaction within {seconds} s"),
            ),
            RemoteStartError::Storage(error) => ApiError::internal(error),
        }
    }
}

impl From<OperationError> for ApiError {
    fn from(error: OperationError) -> Self {
        match error {
            OperationError::NotFound { resource, id } => ApiError::new(
                StatusCode::NOT_FOUND,
                resource.not_found_code(),
                format!("{} {id} does not exist", resource.name()),
            ),
            OperationError::Exists { resource, id } => ApiError::new(
                StatusCode::CONFLICT,
                resource.exists_code(),
                format!("{} {id} exists already", resource.name()),
            ),
            OperationError::Invalid { field, message } => ApiError::invalid(&field, message),
            OperationError::InvalidRows(rows) => {
                let count = rows.len();
                let details = rows
                    .into_iter()
                    .map(|row| ErrorDetail { row: Some(row.row), field: row.field, message: row.message })
                    .collect();
                ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid_import",
                    message: format!("{count} row(s) are invalid; nothing was imported"),
                    details,
                }
            }
            OperationError::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            OperationError::Rejected { code, message } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message),
            OperationError::Storage(error) => ApiError::internal(error),
            OperationError::Internal(error) => ApiError::internal(error),
        }
    }
}

/// The error answers every authenticated operation may give.
#[derive(IntoResponses)]
pub enum CommonErrors {
    /// `unauthorized`: no API key, or one that is unknown, malformed or revoked.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `forbidden`: the key's scope does not allow this operation.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// `invalid_request` (a field or parameter is invalid; the message names
    /// it), `invalid_import`, `invalid_command`, `invalid_plugin_package`,
    /// `plugin_config_rejected`, `capabilities_not_granted`.
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// `internal_error`: the server log has the details.
    #[response(status = 500)]
    Internal(ErrorBody),
}

/// `404`: the resource named in the path does not exist
/// (`station_not_found`, `transaction_not_found`, …).
#[derive(IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorBody);

/// `400 invalid_cursor`: a cursor this list did not hand out.
#[derive(IntoResponses)]
#[response(status = 400)]
pub struct BadRequest(pub ErrorBody);

/// What can be wrong with a request's body.
#[derive(IntoResponses)]
pub enum BodyErrors {
    /// `invalid_json` (the body is missing or not JSON), `invalid_body`
    /// (it cannot be read), and for commands `unsupported_for_version`
    /// (the station's OCPP version cannot express the command).
    #[response(status = 400)]
    BadBody(ErrorBody),
    /// `payload_too_large`: the body is above the limit (2 MiB; plugin packages 32 MiB).
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// `unsupported_media_type`: the body is not of a content type the operation takes.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
}

/// `409`: the request conflicts with the current state (`station_exists`,
/// `id_token_exists`, `api_key_in_use` (a key cannot revoke itself),
/// `last_admin_key` (the last admin key cannot be revoked),
/// `plugin_version_conflict`, `plugin_kind_mismatch`, `nothing_to_roll_back`,
/// `transaction_not_ended`, `no_tariff`).
#[derive(IntoResponses)]
#[response(status = 409)]
pub struct Conflict(pub ErrorBody);

/// `503 plugins_unavailable`: the server runs without a plugin registry.
#[derive(IntoResponses)]
#[response(status = 503)]
pub struct PluginsUnavailable(pub ErrorBody);

/// What can go wrong between Gridlet and the station.
#[derive(IntoResponses)]
pub enum StationErrors {
    /// `station_offline`: the station is not connected (answered at once);
    /// `remote_start_rejected`, `reservation_refused`, `reservation_not_open`,
    /// `cancellation_refused`: the station's answer or the state refuses it.
    #[response(status = 409)]
    Offline(ErrorBody),
    /// `station_busy`: too many commands wait for this station.
    #[response(status = 429)]
    Busy(ErrorBody),
    /// `station_refused` (a CALLERROR; the message has its code and
    /// description) or `station_invalid_reply` (the answer breaks the schema).
    #[response(status = 502)]
    Refused(ErrorBody),
    /// `connection_lost`: the connection ended before the station answered.
    #[response(status = 503)]
    ConnectionLost(ErrorBody),
    /// `station_timeout` or `remote_start_timeout`.
    #[response(status = 504)]
    Timeout(ErrorBody),
}
