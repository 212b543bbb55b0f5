//! `POST /stations/{id}/commands/<command>`: every command Gridlet sends,
//! in one vocabulary for both OCPP versions.
//!
//! Each waits for the station's answer and returns it as
//! `{"action", "status", "payload"}`; `remote-start` instead waits for the
//! transaction the station starts and returns it. Commands to one station
//! go one at a time, in order, each with the configured timeout; a station
//! that is not connected is `409 station_offline` at once. A command one
//! version cannot express is `400 unsupported_for_version`; arguments that
//! would break the OCPP schema are `422 invalid_command`, and never reach
//! the station.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use domain::token::validate_token;
use domain::{Authorization, AuthorizationStatus, EvseConnector, IdToken, IdTokenType};
use domain::device_model::VariableAddress;
use session::commands::{Command, LocalListEntry, VariableRef};

use crate::ApiState;
use crate::auth::{Authorized, Operate};
use crate::error::{ApiError, BodyErrors, CommonErrors, NotFound, StationErrors};
use crate::extract::{ApiJson, ApiPath};
use crate::operations::{OperationError, parse_optional_time};
use crate::routes::stations::known_station;
use crate::wire::{
    AuthorizationStatusName, CommandReplyView, IdTokenArg, IdTokenText, LogTypeName, ReportBaseName, StationIdText,
    TimeText, TransactionView, VariableAttributeName,
};

/// The commands, as their routes name them.
pub const NAMES: [&str; 19] = [
    "reset",
    "change-availability",
    "unlock-connector",
    "clear-cache",
    "trigger-message",
    "data-transfer",
    "remote-start",
    "remote-stop",
    "send-local-list",
    "get-local-list-version",
    "update-firmware",
    "upload-logs",
    "get-configuration",
    "change-configuration",
    "get-variables",
    "set-variables",
    "get-base-report",
    "get-transaction-status",
    "raw",
];

/// Sends `command` to station `id` and answers the station's reply.
async fn send(state: &ApiState, id: &str, command: Command) -> Result<Json<CommandReplyView>, ApiError> {
    let id = known_station(state, id)?;
    let reply = state.network().send(&id, command).await?;
    Ok(Json(reply.into()))
}

/// An EVSE and connector from a body; `connector` defaults to 1 (0 on EVSE 0).
pub(crate) fn location(evse: Option<u32>, connector: Option<u32>) -> Result<Option<EvseConnector>, ApiError> {
    match (evse, connector) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ApiError::invalid("evse", "give the EVSE the connector belongs to")),
        (Some(evse), connector) => {
            Ok(Some(EvseConnector { evse, connector: connector.unwrap_or(u32::from(evse != 0)) }))
        }
    }
}

/// An ID token from a body, checked.
pub(crate) fn id_token(field: &str, token: &IdTokenArg) -> Result<IdToken, ApiError> {
    validate_token(&token.value).map_err(|e| ApiError::invalid(&format!("{field}.value"), e.to_string()))?;
    match token.kind.as_deref() {
        None => Ok(IdToken::untyped(token.value.as_str())),
        Some(kind) => IdTokenType::parse(kind).map(|kind| IdToken::typed(token.value.as_str(), kind)).ok_or_else(|| {
            ApiError::invalid(
                &format!("{field}.type"),
                format!("{kind:?} is not one of ISO14443, ISO15693, KeyCode, eMAID, MacAddress, Central, Local, NoAuthorization"),
            )
        }),
    }
}

fn station_tx_id(
    state: &ApiState,
    station: &str,
    transaction: Option<u64>,
    station_tx_id: Option<String>,
) -> Result<Option<String>, ApiError> {
    match (transaction, station_tx_id) {
        (Some(_), Some(_)) => Err(ApiError::invalid("transaction", "give transaction or station_tx_id, not both")),
        (None, id) => Ok(id),
        (Some(number), None) => {
            let tx = state.storage().transaction(number)?;
            match tx {
                Some(tx) if tx.station.as_str() == station => Ok(Some(tx.station_tx_id)),
                _ => Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "transaction_not_found",
                    format!("station {station} has no transaction {number}"),
                )),
            }
        }
    }
}

/// `reset`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// Restart at once (1.6 `Hard`, 2.0.1 `Immediate`) rather than when idle
    /// (1.6 `Soft`, 2.0.1 `OnIdle`). Default false.
    #[serde(default)]
    pub immediate: bool,
    /// 2.0.1 only: restart this EVSE alone.
    #[serde(default)]
    pub evse: Option<u32>,
}

/// Restarts the station (1.6 Reset, 2.0.1 Reset).
#[utoipa::path(post, path = "/stations/{id}/commands/reset", operation_id = "command_reset", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = ResetBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn reset(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    send(&state, &id, Command::Reset { immediate: body.immediate, evse: body.evse }).await
}

/// `change-availability`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeAvailabilityBody {
    /// The EVSE (1.6: the connector id); left out, the whole station.
    #[serde(default)]
    pub evse: Option<u32>,
    /// The connector on the EVSE (2.0.1); needs `evse`.
    #[serde(default)]
    pub connector: Option<u32>,
    /// Operative (true) or inoperative (false).
    pub operative: bool,
}

/// Makes the station, an EVSE or a connector operative or inoperative (ChangeAvailability).
#[utoipa::path(post, path = "/stations/{id}/commands/change-availability", operation_id = "command_change_availability", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = ChangeAvailabilityBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn change_availability(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ChangeAvailabilityBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let location = location(body.evse, body.connector)?;
    send(&state, &id, Command::ChangeAvailability { location, operative: body.operative }).await
}

/// `unlock-connector`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockConnectorBody {
    /// The EVSE (1.6: the connector id).
    pub evse: u32,
    /// The connector on the EVSE (default 1).
    #[serde(default)]
    pub connector: Option<u32>,
}

/// Unlocks a connector's cable (UnlockConnector).
#[utoipa::path(post, path = "/stations/{id}/commands/unlock-connector", operation_id = "command_unlock_connector", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = UnlockConnectorBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn unlock_connector(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UnlockConnectorBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let location = EvseConnector { evse: body.evse, connector: body.connector.unwrap_or(1) };
    send(&state, &id, Command::UnlockConnector { location }).await
}

/// Clears the station's authorization cache (ClearCache). No body.
#[utoipa::path(post, path = "/stations/{id}/commands/clear-cache", operation_id = "command_clear_cache", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn clear_cache(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CommandReplyView>, ApiError> {
    send(&state, &id, Command::ClearCache).await
}

/// `trigger-message`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerMessageBody {
    /// The message, as the station's version names it, e.g.
    /// `StatusNotification`, `Heartbeat`, `BootNotification`, `MeterValues`.
    pub message: String,
    /// The EVSE it concerns (1.6: the connector id).
    #[serde(default)]
    pub evse: Option<u32>,
    /// The connector on the EVSE (2.0.1); needs `evse`.
    #[serde(default)]
    pub connector: Option<u32>,
}

/// Asks the station to send a message now (TriggerMessage).
#[utoipa::path(post, path = "/stations/{id}/commands/trigger-message", operation_id = "command_trigger_message", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = TriggerMessageBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn trigger_message(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TriggerMessageBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let location = location(body.evse, body.connector)?;
    send(&state, &id, Command::TriggerMessage { message: body.message, location }).await
}

/// `data-transfer`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataTransferBody {
    /// `vendorId`.
    pub vendor_id: String,
    /// `messageId`.
    #[serde(default)]
    pub message_id: Option<String>,
    /// `data` (1.6 carries text: other JSON is sent as its JSON text).
    #[serde(default)]
    pub data: Option<Value>,
}

/// A vendor-specific exchange (DataTransfer).
#[utoipa::path(post, path = "/stations/{id}/commands/data-transfer", operation_id = "command_data_transfer", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = DataTransferBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn data_transfer(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DataTransferBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let command = Command::DataTransfer { vendor_id: body.vendor_id, message_id: body.message_id, data: body.data };
    send(&state, &id, command).await
}

/// `remote-start`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteStartBody {
    /// The EVSE (1.6: the connector id); left out, the station chooses.
    #[serde(default)]
    pub evse: Option<u32>,
    /// The connector on the EVSE (default 1); needs `evse`.
    #[serde(default)]
    pub connector: Option<u32>,
    /// The token to charge for (2.0.1 without a type: `Central`).
    pub id_token: IdTokenArg,
    /// How long to wait for the transaction after the station accepted, in
    /// seconds (at most, and by default, the server's `remote_start_wait_secs`).
    #[serde(default)]
    pub wait_secs: Option<u64>,
}

/// Starts a charge (1.6 RemoteStartTransaction, 2.0.1
/// RequestStartTransaction with a `remoteStartId`) and answers the
/// transaction once the station has started it.
#[utoipa::path(post, path = "/stations/{id}/commands/remote-start", operation_id = "command_remote_start", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = RemoteStartBody,
    responses((status = 201, body = TransactionView, description = "The transaction the station started"),
        BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn remote_start(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RemoteStartBody>,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    let id = known_station(&state, &id)?;
    let location = location(body.evse, body.connector)?;
    let token = id_token("id_token", &body.id_token)?;
    let most = state.options().remote_start_wait;
    let wait = body.wait_secs.map_or(most, |secs| Duration::from_secs(secs).min(most));
    let tx = state.network().remote_start(&id, location, token, wait).await?;
    Ok((StatusCode::CREATED, Json((&tx).into())))
}

/// `remote-stop`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteStopBody {
    /// Gridlet's number for the transaction.
    #[serde(default)]
    pub transaction: Option<u64>,
    /// Or the station's id for it.
    #[serde(default)]
    pub station_tx_id: Option<String>,
}

/// Stops a charge (1.6 RemoteStopTransaction, 2.0.1 RequestStopTransaction).
#[utoipa::path(post, path = "/stations/{id}/commands/remote-stop", operation_id = "command_remote_stop", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = RemoteStopBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn remote_stop(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RemoteStopBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let Some(station_tx_id) = station_tx_id(&state, &id, body.transaction, body.station_tx_id)? else {
        return Err(ApiError::invalid("transaction", "give the transaction's number or its station_tx_id"));
    };
    send(&state, &id, Command::RemoteStop { station_tx_id }).await
}

/// An entry of a local authorization list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalListEntryBody {
    /// The token.
    pub id_token: IdTokenArg,
    /// What the station is to answer for it; left out, a differential
    /// update removes the token.
    #[serde(default)]
    pub authorization: Option<LocalAuthorizationBody>,
}

/// A token's authorization in a local list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalAuthorizationBody {
    /// `Accepted`, `Blocked`, `Expired`, `Invalid`, `Unknown` or `ConcurrentTx` (matched ignoring case).
    #[schema(value_type = AuthorizationStatusName)]
    pub status: String,
    /// Until when.
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub expires_at: Option<String>,
    /// The token's group.
    #[serde(default)]
    #[schema(value_type = Option<IdTokenText>)]
    pub group_id: Option<String>,
}

fn default_true() -> bool {
    true
}

/// `send-local-list`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendLocalListBody {
    /// The list's new version number.
    pub version: i64,
    /// Replace the whole list (default) rather than update it.
    #[serde(default = "default_true")]
    pub full: bool,
    /// The entries.
    #[serde(default)]
    pub entries: Vec<LocalListEntryBody>,
}

fn authorization_status(field: &str, text: &str) -> Result<AuthorizationStatus, ApiError> {
    use AuthorizationStatus::*;
    [Accepted, Blocked, Expired, Invalid, Unknown, ConcurrentTx]
        .into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            ApiError::invalid(field, format!("{text:?} is not one of Accepted, Blocked, Expired, Invalid, Unknown, ConcurrentTx"))
        })
}

/// Replaces or updates the station's local authorization list (SendLocalList).
#[utoipa::path(post, path = "/stations/{id}/commands/send-local-list", operation_id = "command_send_local_list", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = SendLocalListBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn send_local_list(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SendLocalListBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let mut entries = Vec::with_capacity(body.entries.len());
    for (i, entry) in body.entries.iter().enumerate() {
        let id_token = id_token(&format!("entries[{i}].id_token"), &entry.id_token)?;
        let authorization = match &entry.authorization {
            None => None,
            Some(auth) => Some(Authorization {
                status: authorization_status(&format!("entries[{i}].authorization.status"), &auth.status)?,
                expires_at: parse_optional_time(&format!("entries[{i}].authorization.expires_at"), auth.expires_at.as_deref())?,
                group_id: auth.group_id.clone(),
            }),
        };
        entries.push(LocalListEntry { id_token, authorization });
    }
    send(&state, &id, Command::SendLocalList { version: body.version, full: body.full, entries }).await
}

/// Asks for the local list's version (GetLocalListVersion). No body.
#[utoipa::path(post, path = "/stations/{id}/commands/get-local-list-version", operation_id = "command_get_local_list_version", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn get_local_list_version(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CommandReplyView>, ApiError> {
    send(&state, &id, Command::GetLocalListVersion).await
}

/// `update-firmware`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFirmwareBody {
    /// Where the station downloads the firmware (URL).
    pub location: String,
    /// When to download it (RFC 3339; default now).
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub retrieve_at: Option<String>,
    /// 2.0.1: when to install it.
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub install_at: Option<String>,
    /// Download attempts.
    #[serde(default)]
    pub retries: Option<u32>,
    /// Seconds between attempts.
    #[serde(default)]
    pub retry_interval_secs: Option<u32>,
    /// 2.0.1 `requestId` (default: one Gridlet chooses).
    #[serde(default)]
    pub request_id: Option<i64>,
    /// 2.0.1: PEM signing certificate.
    #[serde(default)]
    pub signing_certificate: Option<String>,
    /// 2.0.1: base64 signature of the firmware.
    #[serde(default)]
    pub signature: Option<String>,
}

/// Installs firmware from a URL (UpdateFirmware); progress arrives as
/// firmware status in the station's log and detail.
#[utoipa::path(post, path = "/stations/{id}/commands/update-firmware", operation_id = "command_update_firmware", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = UpdateFirmwareBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn update_firmware(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateFirmwareBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let command = Command::UpdateFirmware {
        location: body.location,
        retrieve_at: parse_optional_time("retrieve_at", body.retrieve_at.as_deref())?.unwrap_or_else(|| state.now()),
        install_at: parse_optional_time("install_at", body.install_at.as_deref())?,
        retries: body.retries,
        retry_interval_secs: body.retry_interval_secs,
        request_id: body.request_id.unwrap_or_else(|| state.request_id()),
        signing_certificate: body.signing_certificate,
        signature: body.signature,
    };
    send(&state, &id, command).await
}

/// `upload-logs`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadLogsBody {
    /// Where the station uploads (URL).
    pub location: String,
    /// Oldest entries to include (RFC 3339).
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub from: Option<String>,
    /// Newest entries to include (RFC 3339).
    #[serde(default)]
    #[schema(value_type = Option<TimeText>)]
    pub to: Option<String>,
    /// Upload attempts.
    #[serde(default)]
    pub retries: Option<u32>,
    /// Seconds between attempts.
    #[serde(default)]
    pub retry_interval_secs: Option<u32>,
    /// 2.0.1 `requestId` (default: one Gridlet chooses).
    #[serde(default)]
    pub request_id: Option<i64>,
    /// 2.0.1 `logType`: `DiagnosticsLog` (default) or `SecurityLog`.
    #[serde(default)]
    #[schema(value_type = Option<LogTypeName>)]
    pub log_type: Option<String>,
}

/// Uploads diagnostics (1.6 GetDiagnostics) or a log (2.0.1 GetLog) to a URL.
#[utoipa::path(post, path = "/stations/{id}/commands/upload-logs", operation_id = "command_upload_logs", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = UploadLogsBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn upload_logs(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UploadLogsBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let command = Command::UploadLogs {
        location: body.location,
        from: parse_optional_time("from", body.from.as_deref())?,
        to: parse_optional_time("to", body.to.as_deref())?,
        retries: body.retries,
        retry_interval_secs: body.retry_interval_secs,
        request_id: body.request_id.unwrap_or_else(|| state.request_id()),
        log_type: body.log_type,
    };
    send(&state, &id, command).await
}

/// `get-configuration`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetConfigurationBody {
    /// The keys to read; empty or left out, all.
    #[serde(default)]
    pub keys: Vec<String>,
}

/// 1.6: reads configuration keys (GetConfiguration); what the station
/// reports is kept and shown in the station's detail.
#[utoipa::path(post, path = "/stations/{id}/commands/get-configuration", operation_id = "command_get_configuration", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = GetConfigurationBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn get_configuration(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<GetConfigurationBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    send(&state, &id, Command::GetConfiguration { keys: body.keys }).await
}

/// `change-configuration`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeConfigurationBody {
    /// The key, e.g. `HeartbeatInterval`.
    pub key: String,
    /// Its new value.
    pub value: String,
}

/// 1.6: changes a configuration key (ChangeConfiguration).
#[utoipa::path(post, path = "/stations/{id}/commands/change-configuration", operation_id = "command_change_configuration", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = ChangeConfigurationBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn change_configuration(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ChangeConfigurationBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    send(&state, &id, Command::ChangeConfiguration { key: body.key, value: body.value }).await
}

/// A 2.0.1 variable.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableBody {
    /// Component, e.g. `OCPPCommCtrlr`.
    pub component: String,
    /// Component instance.
    #[serde(default)]
    pub component_instance: Option<String>,
    /// EVSE of the component.
    #[serde(default)]
    pub evse: Option<u32>,
    /// Connector of the component.
    #[serde(default)]
    pub connector: Option<u32>,
    /// Variable, e.g. `HeartbeatInterval`.
    pub variable: String,
    /// Variable instance.
    #[serde(default)]
    pub variable_instance: Option<String>,
    /// `Actual` (default), `Target`, `MinSet` or `MaxSet`.
    #[serde(default)]
    #[schema(value_type = Option<VariableAttributeName>)]
    pub attribute: Option<String>,
}

impl VariableBody {
    fn reference(&self) -> VariableRef {
        VariableRef {
            address: VariableAddress {
                component: self.component.clone(),
                component_instance: self.component_instance.clone(),
                evse: self.evse,
                connector: self.connector,
                variable: self.variable.clone(),
                variable_instance: self.variable_instance.clone(),
            },
            attribute: self.attribute.clone(),
        }
    }
}

/// A 2.0.1 variable and the value to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableValueBody {
    /// Component, e.g. `OCPPCommCtrlr`.
    pub component: String,
    /// Component instance.
    #[serde(default)]
    pub component_instance: Option<String>,
    /// EVSE of the component.
    #[serde(default)]
    pub evse: Option<u32>,
    /// Connector of the component.
    #[serde(default)]
    pub connector: Option<u32>,
    /// Variable, e.g. `HeartbeatInterval`.
    pub variable: String,
    /// Variable instance.
    #[serde(default)]
    pub variable_instance: Option<String>,
    /// `Actual` (default), `Target`, `MinSet` or `MaxSet`.
    #[serde(default)]
    #[schema(value_type = Option<VariableAttributeName>)]
    pub attribute: Option<String>,
    /// The value to set.
    pub value: String,
}

impl VariableValueBody {
    fn reference(&self) -> VariableRef {
        VariableRef {
            address: VariableAddress {
                component: self.component.clone(),
                component_instance: self.component_instance.clone(),
                evse: self.evse,
                connector: self.connector,
                variable: self.variable.clone(),
                variable_instance: self.variable_instance.clone(),
            },
            attribute: self.attribute.clone(),
        }
    }
}

/// `get-variables`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetVariablesBody {
    /// The variables to read.
    pub variables: Vec<VariableBody>,
}

/// `set-variables`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVariablesBody {
    /// The variables with the values to set.
    pub variables: Vec<VariableValueBody>,
}

/// 2.0.1: reads variables (GetVariables).
#[utoipa::path(post, path = "/stations/{id}/commands/get-variables", operation_id = "command_get_variables", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = GetVariablesBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn get_variables(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<GetVariablesBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let variables = body.variables.iter().map(VariableBody::reference).collect();
    send(&state, &id, Command::GetVariables { variables }).await
}

/// 2.0.1: sets variables (SetVariables).
#[utoipa::path(post, path = "/stations/{id}/commands/set-variables", operation_id = "command_set_variables", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = SetVariablesBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn set_variables(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SetVariablesBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let variables = body.variables.iter().map(|v| (v.reference(), v.value.clone())).collect();
    send(&state, &id, Command::SetVariables { variables }).await
}

/// `get-base-report`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetBaseReportBody {
    /// `FullInventory` (default), `ConfigurationInventory` or `SummaryInventory`.
    #[serde(default)]
    #[schema(value_type = Option<ReportBaseName>)]
    pub report_base: Option<String>,
    /// `requestId` (default: one Gridlet chooses).
    #[serde(default)]
    pub request_id: Option<i64>,
}

/// 2.0.1: asks for a device-model report (GetBaseReport); the NotifyReport
/// parts that follow are kept as the station's device model.
#[utoipa::path(post, path = "/stations/{id}/commands/get-base-report", operation_id = "command_get_base_report", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = GetBaseReportBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn get_base_report(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<GetBaseReportBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let command = Command::GetBaseReport {
        request_id: body.request_id.unwrap_or_else(|| state.request_id()),
        report_base: body.report_base.unwrap_or_else(|| "FullInventory".to_owned()),
    };
    send(&state, &id, command).await
}

/// `get-transaction-status`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTransactionStatusBody {
    /// Gridlet's number for the transaction.
    #[serde(default)]
    pub transaction: Option<u64>,
    /// Or the station's id for it; neither asks about any queued messages.
    #[serde(default)]
    pub station_tx_id: Option<String>,
}

/// 2.0.1: asks whether a transaction is ongoing and has queued messages (GetTransactionStatus).
#[utoipa::path(post, path = "/stations/{id}/commands/get-transaction-status", operation_id = "command_get_transaction_status", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = GetTransactionStatusBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn get_transaction_status(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<GetTransactionStatusBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    let station_tx_id = station_tx_id(&state, &id, body.transaction, body.station_tx_id)?;
    send(&state, &id, Command::GetTransactionStatus { station_tx_id }).await
}

/// `raw`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBody {
    /// Any action the CSMS sends in the station's OCPP version, e.g. `GetCompositeSchedule`.
    #[schema(min_length = 1, pattern = r"^[A-Za-z]+$")]
    pub action: String,
    /// Its payload, checked against the OCPP schema before it is sent.
    #[serde(default = "empty_object")]
    pub payload: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Sends any CSMS-initiated action of the station's version with the
/// payload as given (schema-checked).
#[utoipa::path(post, path = "/stations/{id}/commands/raw", operation_id = "command_raw", tag = "commands", params(("id" = StationIdText, Path, description = "The station's identity")),
    request_body = RawBody,
    responses((status = 200, body = CommandReplyView, description = "The station's answer"), BodyErrors, NotFound, StationErrors, CommonErrors),
    security(("api_key" = ["operate"])))]
pub async fn raw(
    _: Authorized<Operate>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RawBody>,
) -> Result<Json<CommandReplyView>, ApiError> {
    if body.action.is_empty() || !body.action.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(OperationError::invalid("action", "give the OCPP action's name, e.g. GetCompositeSchedule").into());
    }
    send(&state, &id, Command::Raw { action: body.action, payload: body.payload }).await
}
