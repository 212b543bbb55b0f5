//! Commands the CSMS sends to stations, in one vocabulary for both versions.
//!
//! A [`Command`] says what the operator wants (reset this station, start a
//! charge for this token, reserve that connector); [`Command::encode`] writes
//! it as the station's version spells it and checks the result against the
//! official schema, so a station never receives a malformed CALL. What only
//! one version can express (1.6 configuration keys, 2.0.1 variables and
//! reports) is refused for the other with [`CommandError::Unsupported`];
//! [`Command::Raw`] sends any CSMS-initiated action of the station's version
//! as given, schema-checked like the rest.
//!
//! Every command but `Raw` is built here as a typed message of
//! [`ocpp::csms`] (one module per functional block: core, reservations,
//! local lists, firmware and logs, 1.6 configuration, 2.0.1 provisioning),
//! which writes it and checks it against the schema; this module only maps
//! domain values to those messages. `Raw` is the one JSON payload, checked
//! by `raw`.
//!
//! A station's answer comes back as a [`CommandReply`]: the validated
//! payload and, where the payload has one, its `status`.

use serde_json::Value;

use domain::device_model::VariableAddress;
use domain::{EvseConnector, IdToken, Reservation, Timestamp};
use ocpp::csms::{self, CsmsRequest, OutboundError, firmware, local_list, reservation};
use ocpp::{ErrorCode, OcppVersion, PayloadKind, v16, v201};

/// An entry of a local authorization list.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalListEntry {
    /// The token.
    pub id_token: IdToken,
    /// Its authorization; `None` removes it (in a differential update).
    pub authorization: Option<domain::Authorization>,
}

/// One variable of a 2.0.1 GetVariables or SetVariables request: where it
/// lives (the address the device model stores it under) and which attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableRef {
    /// The component and variable.
    pub address: VariableAddress,
    /// Attribute: `Actual` (default), `Target`, `MinSet` or `MaxSet`.
    pub attribute: Option<String>,
}

/// What the CSMS asks a station to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Restart the station (1.6 `Hard`/`Soft`, 2.0.1 `Immediate`/`OnIdle`);
    /// 2.0.1 may restart a single EVSE.
    Reset {
        /// Restart at once rather than when idle.
        immediate: bool,
        /// 2.0.1 only: the EVSE to restart.
        evse: Option<u32>,
    },
    /// Make the station, an EVSE or a connector operative or inoperative.
    ChangeAvailability {
        /// What; `None` is the whole station.
        location: Option<EvseConnector>,
        /// Operative (true) or inoperative.
        operative: bool,
    },
    /// Unlock a connector's cable.
    UnlockConnector {
        /// The connector.
        location: EvseConnector,
    },
    /// Clear the station's authorization cache.
    ClearCache,
    /// Ask the station to send a message now (e.g. `StatusNotification`).
    TriggerMessage {
        /// The message, as the station's version names it.
        message: String,
        /// Where it concerns, if a place.
        location: Option<EvseConnector>,
    },
    /// A vendor-specific exchange.
    DataTransfer {
        /// `vendorId`.
        vendor_id: String,
        /// `messageId`.
        message_id: Option<String>,
        /// `data` (1.6 sends it as text; a JSON value is written as JSON text).
        data: Option<Value>,
    },
    /// Start a charge remotely (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction).
    RemoteStart {
        /// The connector (1.6) or EVSE (2.0.1), if the operator chooses one.
        location: Option<EvseConnector>,
        /// The token to charge for.
        id_token: IdToken,
        /// 2.0.1 `remoteStartId`, which the station repeats in its TransactionEvent.
        remote_start_id: i64,
    },
    /// Stop a charge remotely (1.6 RemoteStopTransaction, 2.0.1 RequestStopTransaction).
    RemoteStop {
        /// The station's id for the transaction.
        station_tx_id: String,
    },
    /// Reserve a connector (or any) for a token.
    ReserveNow {
        /// The reservation, as recorded before sending.
        reservation: Reservation,
    },
    /// Cancel a reservation.
    CancelReservation {
        /// Its id.
        reservation_id: i64,
    },
    /// Replace or update the station's local authorization list.
    SendLocalList {
        /// The list's new version.
        version: i64,
        /// A full replacement rather than a differential update.
        full: bool,
        /// The entries.
        entries: Vec<LocalListEntry>,
    },
    /// Ask for the local list's version.
    GetLocalListVersion,
    /// Install firmware from a URL.
    UpdateFirmware {
        /// Where to download it.
        location: String,
        /// When to download it.
        retrieve_at: Timestamp,
        /// 2.0.1: when to install it.
        install_at: Option<Timestamp>,
        /// Download attempts.
        retries: Option<u32>,
        /// Seconds between attempts.
        retry_interval_secs: Option<u32>,
        /// 2.0.1 `requestId` (repeated in status notifications).
        request_id: i64,
        /// 2.0.1: PEM signing certificate.
        signing_certificate: Option<String>,
        /// 2.0.1: base64 signature of the firmware.
        signature: Option<String>,
    },
    /// Upload diagnostics (1.6 GetDiagnostics) or a log (2.0.1 GetLog) to a URL.
    UploadLogs {
        /// Where to upload.
        location: String,
        /// Oldest entries to include.
        from: Option<Timestamp>,
        /// Newest entries to include.
        to: Option<Timestamp>,
        /// Upload attempts.
        retries: Option<u32>,
        /// Seconds between attempts.
        retry_interval_secs: Option<u32>,
        /// 2.0.1 `requestId`.
        request_id: i64,
        /// 2.0.1 `logType`: `DiagnosticsLog` (default) or `SecurityLog`.
        log_type: Option<String>,
    },
    /// 1.6: read configuration keys (all when empty).
    GetConfiguration {
        /// The keys.
        keys: Vec<String>,
    },
    /// 1.6: change a configuration key.
    ChangeConfiguration {
        /// The key.
        key: String,
        /// Its new value.
        value: String,
    },
    /// 2.0.1: read variables.
    GetVariables {
        /// The variables.
        variables: Vec<VariableRef>,
    },
    /// 2.0.1: set variables.
    SetVariables {
        /// The variables and their new values.
        variables: Vec<(VariableRef, String)>,
    },
    /// 2.0.1: ask for a report of the device model (sent as NotifyReport).
    GetBaseReport {
        /// `requestId`, repeated in the NotifyReport messages.
        request_id: i64,
        /// `ConfigurationInventory`, `FullInventory` or `SummaryInventory`.
        report_base: String,
    },
    /// 2.0.1: ask whether a transaction has queued messages.
    GetTransactionStatus {
        /// The station's id for the transaction, or none for any.
        station_tx_id: Option<String>,
    },
    /// Any CSMS-initiated action of the station's version, payload as given.
    Raw {
        /// The action.
        action: String,
        /// The payload.
        payload: Value,
    },
}

/// A station's answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandReply {
    /// The action that was sent.
    pub action: String,
    /// The answer's `status`, when it has one (`Accepted`, `Rejected`, …).
    pub status: Option<String>,
    /// The answer, checked against the schema.
    pub payload: Value,
}

/// Why a command got no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// The station is not connected.
    #[error("station {0} is not connected")]
    Offline(String),
    /// The station's version cannot express this command.
    #[error("{command} is not available in OCPP {version}")]
    Unsupported {
        /// The command.
        command: &'static str,
        /// The station's version.
        version: OcppVersion,
    },
    /// The command's arguments are invalid (they would break the schema).
    #[error("invalid {action} request: {reason}")]
    Invalid {
        /// The action.
        action: String,
        /// What is wrong.
        reason: String,
    },
    /// Too many commands are waiting for this station.
    #[error("too many commands are queued for station {0}")]
    QueueFull(String),
    /// The station did not answer in time.
    #[error("station did not answer {action} within {seconds} s")]
    Timeout {
        /// The action.
        action: String,
        /// The timeout.
        seconds: u64,
    },
    /// The station answered with a CALLERROR.
    #[error("station answered {action} with {code:?}: {description}")]
    Refused {
        /// The action.
        action: String,
        /// The error code.
        code: ErrorCode,
        /// The station's description.
        description: String,
    },
    /// The station's answer breaks the schema.
    #[error("station's answer to {action} breaks the schema: {reason}")]
    InvalidReply {
        /// The action.
        action: String,
        /// What is wrong.
        reason: String,
    },
    /// The connection ended before the answer came.
    #[error("the connection to station {0} ended before it answered")]
    ConnectionLost(String),
}

/// A `Raw` command: any action the CSMS sends in `version`, its payload
/// checked against the schema as given.
fn raw(version: OcppVersion, action: &str, payload: &Value) -> Result<(String, Value), CommandError> {
    let known = ocpp::action(version, action).is_some_and(|info| info.direction.sent_by_csms());
    if !known {
        return Err(CommandError::Invalid {
            action: action.to_owned(),
            reason: format!("not an action the CSMS sends in OCPP {version}"),
        });
    }
    ocpp::validate(version, action, PayloadKind::Request, payload)
        .map_err(|violation| CommandError::Invalid { action: action.to_owned(), reason: violation.to_string() })?;
    Ok((action.to_owned(), payload.clone()))
}

/// A 1.6 local list entry's authorization (1.6 has no `Unknown`: `Invalid`).
fn v16_id_tag_info(auth: &domain::Authorization) -> Result<local_list::V16IdTagInfo, OutboundError> {
    let status = match auth.status {
        domain::AuthorizationStatus::Accepted => v16::IdTagInfoStatus::Accepted,
        domain::AuthorizationStatus::Blocked => v16::IdTagInfoStatus::Blocked,
        domain::AuthorizationStatus::Expired => v16::IdTagInfoStatus::Expired,
        domain::AuthorizationStatus::ConcurrentTx => v16::IdTagInfoStatus::ConcurrentTx,
        domain::AuthorizationStatus::Invalid | domain::AuthorizationStatus::Unknown => v16::IdTagInfoStatus::Invalid,
    };
    Ok(local_list::V16IdTagInfo {
        expiry_date: auth.expires_at.map(instant),
        parent_id_tag: auth.group_id.as_deref().map(|g| csms::text("parentIdTag", g)).transpose()?,
        status,
    })
}

/// A 2.0.1 local list entry's authorization; its group is a `Central` token.
fn v201_id_token_info(auth: &domain::Authorization) -> Result<local_list::V201IdTokenInfo, OutboundError> {
    let group = auth.group_id.as_deref().map(|g| IdToken { value: g.to_owned(), kind: None });
    Ok(local_list::V201IdTokenInfo {
        cache_expiry_date_time: auth.expires_at.map(instant),
        group_id_token: group.as_ref().map(typed_token).transpose()?,
        status: csms::named("status", auth.status.as_str())?,
    })
}

/// A device-model address as the 2.0.1 component and variable it names
/// (the EVSE's connector is written whenever the address has one).
fn typed_variable(address: &VariableAddress) -> Result<(v201::Component, v201::Variable), OutboundError> {
    let text = |field, value: &Option<String>| value.as_deref().map(|v| csms::text(field, v)).transpose();
    let component = v201::Component {
        custom_data: None,
        evse: address.evse.map(|evse| v201::EVSE {
            connector_id: address.connector.map(i64::from),
            custom_data: None,
            id: evse.into(),
        }),
        instance: text("instance", &address.component_instance)?,
        name: csms::text("name", &address.component)?,
    };
    let variable = v201::Variable {
        custom_data: None,
        instance: text("instance", &address.variable_instance)?,
        name: csms::text("name", &address.variable)?,
    };
    Ok((component, variable))
}

/// Encodes a typed request (`ocpp::csms` checks it against the schema).
fn typed<R: CsmsRequest>(request: &R) -> Result<(String, Value), CommandError> {
    let outgoing = csms::encode(request).map_err(|e| invalid::<R>(&e))?;
    Ok((outgoing.action.to_owned(), outgoing.payload))
}

/// A field of a `R` built from a domain value, or why it does not fit.
fn field<R: CsmsRequest, T>(value: Result<T, OutboundError>) -> Result<T, CommandError> {
    value.map_err(|e| invalid::<R>(&e))
}

fn invalid<R: CsmsRequest>(error: &OutboundError) -> CommandError {
    CommandError::Invalid { action: R::ACTION.to_owned(), reason: error.to_string() }
}

/// An instant as the typed messages write it.
fn instant(t: Timestamp) -> csms::Instant {
    csms::Instant { unix_millis: t.unix_millis() }
}

/// A 2.0.1 EVSE (connector 0 is the EVSE as a whole).
fn typed_evse(location: EvseConnector) -> v201::EVSE {
    let connector_id = (location.connector != 0).then_some(i64::from(location.connector));
    v201::EVSE { connector_id, custom_data: None, id: location.evse.into() }
}

/// A 2.0.1 IdToken; a token of no known type is `Central`.
fn typed_token(token: &IdToken) -> Result<v201::IdToken, OutboundError> {
    Ok(v201::IdToken {
        additional_info: None,
        custom_data: None,
        id_token: csms::text("idToken", &token.value)?,
        r#type: csms::named("type", token.kind.map_or("Central", |k| k.as_str()))?,
    })
}

impl Command {
    /// The command's name in Gridlet's vocabulary (for errors).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Reset { .. } => "Reset",
            Command::ChangeAvailability { .. } => "ChangeAvailability",
            Command::UnlockConnector { .. } => "UnlockConnector",
            Command::ClearCache => "ClearCache",
            Command::TriggerMessage { .. } => "TriggerMessage",
            Command::DataTransfer { .. } => "DataTransfer",
            Command::RemoteStart { .. } => "RemoteStart",
            Command::RemoteStop { .. } => "RemoteStop",
            Command::ReserveNow { .. } => "ReserveNow",
            Command::CancelReservation { .. } => "CancelReservation",
            Command::SendLocalList { .. } => "SendLocalList",
            Command::GetLocalListVersion => "GetLocalListVersion",
            Command::UpdateFirmware { .. } => "UpdateFirmware",
            Command::UploadLogs { .. } => "UploadLogs",
            Command::GetConfiguration { .. } => "GetConfiguration",
            Command::ChangeConfiguration { .. } => "ChangeConfiguration",
            Command::GetVariables { .. } => "GetVariables",
            Command::SetVariables { .. } => "SetVariables",
            Command::GetBaseReport { .. } => "GetBaseReport",
            Command::GetTransactionStatus { .. } => "GetTransactionStatus",
            Command::Raw { .. } => "Raw",
        }
    }

    /// The OCPP action and payload for a station speaking `version`,
    /// checked against the schema.
    pub fn encode(&self, version: OcppVersion) -> Result<(String, Value), CommandError> {
        match version {
            OcppVersion::V16 => self.encode_v16(),
            OcppVersion::V201 => self.encode_v201(),
        }
    }

    fn unsupported(&self, version: OcppVersion) -> CommandError {
        CommandError::Unsupported { command: self.name(), version }
    }

    fn encode_v16(&self) -> Result<(String, Value), CommandError> {
        let connector_id = |location: Option<EvseConnector>| location.map_or(0, |l| l.v16_connector_id());
        match self {
            Command::Reset { immediate, evse: None } => {
                let r#type = if *immediate { v16::ResetRequestType::Hard } else { v16::ResetRequestType::Soft };
                typed(&v16::ResetRequest { r#type })
            }
            Command::Reset { evse: Some(_), .. } => {
                Err(CommandError::Invalid {
                    action: "Reset".into(),
                    reason: "OCPP 1.6 resets the whole station; leave out the EVSE".into(),
                })
            }
            Command::ChangeAvailability { location, operative } => {
                let r#type = if *operative {
                    v16::ChangeAvailabilityRequestType::Operative
                } else {
                    v16::ChangeAvailabilityRequestType::Inoperative
                };
                typed(&v16::ChangeAvailabilityRequest { connector_id: connector_id(*location).into(), r#type })
            }
            Command::UnlockConnector { location } => {
                typed(&v16::UnlockConnectorRequest { connector_id: location.v16_connector_id().into() })
            }
            Command::ClearCache => typed(&v16::ClearCacheRequest {}),
            Command::TriggerMessage { message, location } => {
                let request = v16::TriggerMessageRequest {
                    connector_id: location.map(|l| l.v16_connector_id().into()),
                    requested_message: field::<v16::TriggerMessageRequest, _>(csms::named("requestedMessage", message))?,
                };
                typed(&request)
            }
            Command::DataTransfer { vendor_id, message_id, data } => {
                type Request = v16::DataTransferRequest;
                let request = Request {
                    // 1.6 carries `data` as text: a JSON value is written as JSON text
                    data: data.as_ref().map(|d| match d {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                    message_id: message_id.as_deref().map(|m| field::<Request, _>(csms::text("messageId", m))).transpose()?,
                    vendor_id: field::<Request, _>(csms::text("vendorId", vendor_id))?,
                };
                typed(&request)
            }
            Command::RemoteStart { location, id_token, .. } => {
                type Request = v16::RemoteStartTransactionRequest;
                let request = Request {
                    charging_profile: None,
                    connector_id: location.map(|l| l.v16_connector_id().into()),
                    id_tag: field::<Request, _>(csms::text("idTag", &id_token.value))?,
                };
                typed(&request)
            }
            Command::RemoteStop { station_tx_id } => {
                let transaction_id: i64 = station_tx_id.parse().map_err(|_| CommandError::Invalid {
                    action: "RemoteStopTransaction".into(),
                    reason: format!("1.6 transaction ids are integers, got {station_tx_id:?}"),
                })?;
                typed(&v16::RemoteStopTransactionRequest { transaction_id })
            }
            Command::ReserveNow { reservation } => {
                type Request = reservation::V16ReserveNowRequest;
                let request = Request {
                    connector_id: connector_id(reservation.location).into(),
                    expiry_date: instant(reservation.expires_at),
                    id_tag: field::<Request, _>(csms::text("idTag", &reservation.id_token.value))?,
                    parent_id_tag: reservation
                        .group_id
                        .as_deref()
                        .map(|g| field::<Request, _>(csms::text("parentIdTag", g)))
                        .transpose()?,
                    reservation_id: reservation.id,
                };
                typed(&request)
            }
            Command::CancelReservation { reservation_id } => {
                typed(&v16::CancelReservationRequest { reservation_id: *reservation_id })
            }
            Command::SendLocalList { version, full, entries } => {
                type Request = local_list::V16SendLocalListRequest;
                let entry = |entry: &LocalListEntry| -> Result<local_list::V16LocalListEntry, OutboundError> {
                    Ok(local_list::V16LocalListEntry {
                        id_tag: csms::text("idTag", &entry.id_token.value)?,
                        id_tag_info: entry.authorization.as_ref().map(v16_id_tag_info).transpose()?,
                    })
                };
                let request = Request {
                    list_version: *version,
                    local_authorization_list: field::<Request, _>(entries.iter().map(entry).collect())?,
                    update_type: if *full { v16::UpdateType::Full } else { v16::UpdateType::Differential },
                };
                typed(&request)
            }
            Command::GetLocalListVersion => typed(&v16::GetLocalListVersionRequest {}),
            Command::UpdateFirmware { location, retrieve_at, retries, retry_interval_secs, .. } => {
                typed(&firmware::V16UpdateFirmwareRequest {
                    location: location.clone(),
                    retries: retries.map(i64::from),
                    retrieve_date: instant(*retrieve_at),
                    retry_interval: retry_interval_secs.map(i64::from),
                })
            }
            Command::UploadLogs { location, from, to, retries, retry_interval_secs, .. } => {
                typed(&firmware::V16GetDiagnosticsRequest {
                    location: location.clone(),
                    retries: retries.map(i64::from),
                    retry_interval: retry_interval_secs.map(i64::from),
                    start_time: from.map(instant),
                    stop_time: to.map(instant),
                })
            }
            Command::GetConfiguration { keys } => {
                type Request = v16::GetConfigurationRequest;
                let key = |k: &String| field::<Request, _>(csms::text("key", k));
                let keys = keys.iter().map(key).collect::<Result<Vec<_>, _>>()?;
                // no key list asks for all keys
                typed(&Request { key: (!keys.is_empty()).then_some(keys) })
            }
            Command::ChangeConfiguration { key, value } => {
                type Request = v16::ChangeConfigurationRequest;
                let request = Request {
                    key: field::<Request, _>(csms::text("key", key))?,
                    value: field::<Request, _>(csms::text("value", value))?,
                };
                typed(&request)
            }
            Command::GetVariables { .. }
            | Command::SetVariables { .. }
            | Command::GetBaseReport { .. }
            | Command::GetTransactionStatus { .. } => Err(self.unsupported(OcppVersion::V16)),
            Command::Raw { action, payload } => raw(OcppVersion::V16, action, payload),
        }
    }

    fn encode_v201(&self) -> Result<(String, Value), CommandError> {
        match self {
            Command::Reset { immediate, evse } => {
                let r#type = if *immediate { v201::ResetEnum::Immediate } else { v201::ResetEnum::OnIdle };
                typed(&v201::ResetRequest { custom_data: None, evse_id: evse.map(i64::from), r#type })
            }
            Command::ChangeAvailability { location, operative } => {
                let operational_status = if *operative {
                    v201::OperationalStatusEnum::Operative
                } else {
                    v201::OperationalStatusEnum::Inoperative
                };
                let evse = location.filter(|l| *l != EvseConnector::STATION).map(typed_evse);
                typed(&v201::ChangeAvailabilityRequest { custom_data: None, evse, operational_status })
            }
            Command::UnlockConnector { location } => {
                typed(&v201::UnlockConnectorRequest {
                    connector_id: location.connector.into(),
                    custom_data: None,
                    evse_id: location.evse.into(),
                })
            }
            Command::ClearCache => typed(&v201::ClearCacheRequest { custom_data: None }),
            Command::TriggerMessage { message, location } => {
                let request = v201::TriggerMessageRequest {
                    custom_data: None,
                    evse: location.map(typed_evse),
                    requested_message: field::<v201::TriggerMessageRequest, _>(csms::named(
                        "requestedMessage",
                        message,
                    ))?,
                };
                typed(&request)
            }
            Command::DataTransfer { vendor_id, message_id, data } => {
                type Request = csms::core::V201DataTransferRequest;
                let request = Request {
                    custom_data: None,
                    data: data.clone(),
                    message_id: message_id.as_deref().map(|m| field::<Request, _>(csms::text("messageId", m))).transpose()?,
                    vendor_id: field::<Request, _>(csms::text("vendorId", vendor_id))?,
                };
                typed(&request)
            }
            Command::RemoteStart { location, id_token, remote_start_id } => {
                type Request = v201::RequestStartTransactionRequest;
                let request = Request {
                    charging_profile: None,
                    custom_data: None,
                    evse_id: location.map(|l| l.evse.into()),
                    group_id_token: None,
                    id_token: field::<Request, _>(typed_token(id_token))?,
                    remote_start_id: *remote_start_id,
                };
                typed(&request)
            }
            Command::RemoteStop { station_tx_id } => {
                type Request = v201::RequestStopTransactionRequest;
                let transaction_id = field::<Request, _>(csms::text("transactionId", station_tx_id))?;
                typed(&Request { custom_data: None, transaction_id })
            }
            Command::ReserveNow { reservation } => {
                type Request = reservation::V201ReserveNowRequest;
                let group = reservation.group_id.as_deref().map(|g| IdToken { value: g.to_owned(), kind: None });
                let request = Request {
                    evse_id: reservation.location.map(|l| l.evse.into()),
                    expiry_date_time: instant(reservation.expires_at),
                    group_id_token: group.as_ref().map(|g| field::<Request, _>(typed_token(g))).transpose()?,
                    id: reservation.id,
                    id_token: field::<Request, _>(typed_token(&reservation.id_token))?,
                };
                typed(&request)
            }
            Command::CancelReservation { reservation_id } => {
                typed(&v201::CancelReservationRequest { custom_data: None, reservation_id: *reservation_id })
            }
            Command::SendLocalList { version, full, entries } => {
                type Request = local_list::V201SendLocalListRequest;
                let entry = |entry: &LocalListEntry| -> Result<local_list::V201LocalListEntry, OutboundError> {
                    Ok(local_list::V201LocalListEntry {
                        id_token: typed_token(&entry.id_token)?,
                        id_token_info: entry.authorization.as_ref().map(v201_id_token_info).transpose()?,
                    })
                };
                let list: Vec<_> = field::<Request, _>(entries.iter().map(entry).collect())?;
                let request = Request {
                    local_authorization_list: (!list.is_empty()).then_some(list),
                    update_type: if *full { v201::UpdateEnum::Full } else { v201::UpdateEnum::Differential },
                    version_number: *version,
                };
                typed(&request)
            }
            Command::GetLocalListVersion => {
                typed(&v201::GetLocalListVersionRequest { custom_data: None })
            }
            Command::UpdateFirmware {
                location,
                retrieve_at,
                install_at,
                retries,
                retry_interval_secs,
                request_id,
                signing_certificate,
                signature,
            } => {
                typed(&firmware::V201UpdateFirmwareRequest {
                    firmware: firmware::V201Firmware {
                        install_date_time: install_at.map(instant),
                        location: location.clone(),
                        retrieve_date_time: instant(*retrieve_at),
                        signature: signature.clone(),
                        signing_certificate: signing_certificate.clone(),
                    },
                    request_id: *request_id,
                    retries: retries.map(i64::from),
                    retry_interval: retry_interval_secs.map(i64::from),
                })
            }
            Command::UploadLogs { location, from, to, retries, retry_interval_secs, request_id, log_type } => {
                type Request = firmware::V201GetLogRequest;
                let log_type = log_type.as_deref().unwrap_or("DiagnosticsLog");
                typed(&Request {
                    log: firmware::V201LogParameters {
                        latest_timestamp: to.map(instant),
                        oldest_timestamp: from.map(instant),
                        remote_location: location.clone(),
                    },
                    log_type: field::<Request, _>(csms::named("logType", log_type))?,
                    request_id: *request_id,
                    retries: retries.map(i64::from),
                    retry_interval: retry_interval_secs.map(i64::from),
                })
            }
            Command::GetVariables { variables } => {
                type Request = v201::GetVariablesRequest;
                let data = |var: &VariableRef| -> Result<v201::GetVariableData, OutboundError> {
                    let (component, variable) = typed_variable(&var.address)?;
                    Ok(v201::GetVariableData {
                        attribute_type: var.attribute.as_deref().map(|a| csms::named("attributeType", a)).transpose()?,
                        component,
                        custom_data: None,
                        variable,
                    })
                };
                let get_variable_data = field::<Request, _>(variables.iter().map(data).collect())?;
                typed(&Request { custom_data: None, get_variable_data })
            }
            Command::SetVariables { variables } => {
                type Request = v201::SetVariablesRequest;
                let data = |(var, value): &(VariableRef, String)| -> Result<v201::SetVariableData, OutboundError> {
                    let (component, variable) = typed_variable(&var.address)?;
                    Ok(v201::SetVariableData {
                        attribute_type: var.attribute.as_deref().map(|a| csms::named("attributeType", a)).transpose()?,
                        attribute_value: value.clone(),
                        component,
                        custom_data: None,
                        variable,
                    })
                };
                let set_variable_data = field::<Request, _>(variables.iter().map(data).collect())?;
                typed(&Request { custom_data: None, set_variable_data })
            }
            Command::GetBaseReport { request_id, report_base } => {
                type Request = v201::GetBaseReportRequest;
                let report_base = field::<Request, _>(csms::named("reportBase", report_base))?;
                typed(&Request { custom_data: None, report_base, request_id: *request_id })
            }
            Command::GetTransactionStatus { station_tx_id } => {
                type Request = v201::GetTransactionStatusRequest;
                let transaction_id =
                    station_tx_id.as_deref().map(|t| field::<Request, _>(csms::text("transactionId", t))).transpose()?;
                typed(&Request { custom_data: None, transaction_id })
            }
            Command::GetConfiguration { .. } | Command::ChangeConfiguration { .. } => {
                Err(self.unsupported(OcppVersion::V201))
            }
            Command::Raw { action, payload } => raw(OcppVersion::V201, action, payload),
        }
    }
}

/// The `status` of an answer, when it has one.
pub fn reply_status(payload: &Value) -> Option<String> {
    csms::answer_status(payload)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use domain::{IdTokenType, ReservationState, StationId};

    fn both(command: &Command) -> Vec<Result<(String, Value), CommandError>> {
        vec![command.encode(OcppVersion::V16), command.encode(OcppVersion::V201)]
    }

    #[test]
    fn common_commands_encode_valid_payloads_in_both_versions() {
        let at = Timestamp::from_unix_millis(1_795_248_000_000);
        let token = IdToken::typed("TAG1", IdTokenType::Iso14443);
        let reservation = Reservation {
            id: 7,
            station: StationId::parse("CP1").unwrap(),
            location: Some(EvseConnector::from_v16(1)),
            id_token: token.clone(),
            group_id: Some("FLEET".into()),
            expires_at: at,
            state: ReservationState::Requested,
            refusal: None,
            transaction: None,
            created_at: at,
            updated_at: at,
        };
        let commands = vec![
            Command::Reset { immediate: true, evse: None },
            Command::ChangeAvailability { location: None, operative: false },
            Command::ChangeAvailability { location: Some(EvseConnector::from_v16(2)), operative: true },
            Command::UnlockConnector { location: EvseConnector::from_v16(1) },
            Command::ClearCache,
            Command::TriggerMessage { message: "StatusNotification".into(), location: Some(EvseConnector::from_v16(1)) },
            Command::DataTransfer { vendor_id: "com.example".into(), message_id: Some("x".into()), data: Some(json!({"a": 1})) },
            Command::RemoteStart { location: Some(EvseConnector::from_v16(1)), id_token: token.clone(), remote_start_id: 5 },
            Command::RemoteStop { station_tx_id: "42".into() },
            Command::ReserveNow { reservation },
            Command::CancelReservation { reservation_id: 7 },
            Command::SendLocalList {
                version: 3,
                full: true,
                entries: vec![LocalListEntry {
                    id_token: token.clone(),
                    authorization: Some(domain::Authorization {
                        status: domain::AuthorizationStatus::Accepted,
                        expires_at: Some(at),
                        group_id: None,
                    }),
                }],
            },
            Command::GetLocalListVersion,
            Command::UpdateFirmware {
                location: "https://example.com/fw.bin".into(),
                retrieve_at: at,
                install_at: None,
                retries: Some(3),
                retry_interval_secs: Some(60),
                request_id: 9,
                signing_certificate: None,
                signature: None,
            },
            Command::UploadLogs {
                location: "https://example.com/upload".into(),
                from: Some(at),
                to: None,
                retries: None,
                retry_interval_secs: None,
                request_id: 10,
                log_type: None,
            },
        ];
        for command in &commands {
            for encoded in both(command) {
                let (action, payload) = encoded.unwrap_or_else(|e| panic!("{command:?}: {e}"));
                assert!(!action.is_empty(), "{payload}");
            }
        }
    }

    #[test]
    fn typed_commands_keep_their_wire_form() {
        let token = IdToken::typed("TAG1", IdTokenType::Iso14443);
        let one = Some(EvseConnector::from_v16(1));
        let cases = [
            (Command::Reset { immediate: true, evse: None }, json!({"type": "Hard"}), json!({"type": "Immediate"})),
            (
                Command::ChangeAvailability { location: None, operative: false },
                json!({"connectorId": 0, "type": "Inoperative"}),
                json!({"operationalStatus": "Inoperative"}),
            ),
            (
                Command::ChangeAvailability { location: Some(EvseConnector::from_v16(2)), operative: true },
                json!({"connectorId": 2, "type": "Operative"}),
                json!({"operationalStatus": "Operative", "evse": {"id": 2, "connectorId": 1}}),
            ),
            (
                Command::UnlockConnector { location: EvseConnector::from_v16(1) },
                json!({"connectorId": 1}),
                json!({"evseId": 1, "connectorId": 1}),
            ),
            (Command::ClearCache, json!({}), json!({})),
            (
                Command::TriggerMessage { message: "StatusNotification".into(), location: one },
                json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
                json!({"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}),
            ),
            (
                Command::DataTransfer { vendor_id: "v".into(), message_id: Some("m".into()), data: Some(json!({"a": 1})) },
                json!({"vendorId": "v", "messageId": "m", "data": "{\"a\":1}"}),
                json!({"vendorId": "v", "messageId": "m", "data": {"a": 1}}),
            ),
            (
                Command::RemoteStart { location: one, id_token: token.clone(), remote_start_id: 5 },
                json!({"idTag": "TAG1", "connectorId": 1}),
                json!({"idToken": {"idToken": "TAG1", "type": "ISO14443"}, "remoteStartId": 5, "evseId": 1}),
            ),
            (
                Command::RemoteStop { station_tx_id: "42".into() },
                json!({"transactionId": 42}),
                json!({"transactionId": "42"}),
            ),
            (
                Command::ReserveNow {
                    reservation: Reservation {
                        id: 7,
                        station: StationId::parse("CP1").unwrap(),
                        location: one,
                        id_token: token.clone(),
                        group_id: Some("FLEET".into()),
                        expires_at: Timestamp::from_unix_millis(1_795_248_000_000),
                        state: ReservationState::Requested,
                        refusal: None,
                        transaction: None,
                        created_at: Timestamp::from_unix_millis(0),
                        updated_at: Timestamp::from_unix_millis(0),
                    },
                },
                json!({"connectorId": 1, "expiryDate": "2026-11-21T08:00:00.000Z", "idTag": "TAG1", "parentIdTag": "FLEET", "reservationId": 7}),
                json!({
                    "evseId": 1,
                    "expiryDateTime": "2026-11-21T08:00:00.000Z",
                    "groupIdToken": {"idToken": "FLEET", "type": "Central"},
                    "id": 7,
                    "idToken": {"idToken": "TAG1", "type": "ISO14443"},
                }),
            ),
            (Command::CancelReservation { reservation_id: 7 }, json!({"reservationId": 7}), json!({"reservationId": 7})),
            (Command::GetLocalListVersion, json!({}), json!({})),
            (
                Command::SendLocalList { version: 2, full: false, entries: Vec::new() },
                json!({"listVersion": 2, "localAuthorizationList": [], "updateType": "Differential"}),
                json!({"updateType": "Differential", "versionNumber": 2}),
            ),
            (
                Command::SendLocalList {
                    version: 3,
                    full: true,
                    entries: vec![
                        LocalListEntry {
                            id_token: token.clone(),
                            authorization: Some(domain::Authorization {
                                status: domain::AuthorizationStatus::Unknown,
                                expires_at: Some(Timestamp::from_unix_millis(1_795_248_000_000)),
                                group_id: Some("FLEET".into()),
                            }),
                        },
                        LocalListEntry { id_token: IdToken::typed("TAG2", IdTokenType::Central), authorization: None },
                    ],
                },
                json!({"listVersion": 3, "updateType": "Full", "localAuthorizationList": [
                    {"idTag": "TAG1", "idTagInfo": {"status": "Invalid", "expiryDate": "2026-11-21T08:00:00.000Z", "parentIdTag": "FLEET"}},
                    {"idTag": "TAG2"},
                ]}),
                json!({"versionNumber": 3, "updateType": "Full", "localAuthorizationList": [
                    {"idToken": {"idToken": "TAG1", "type": "ISO14443"}, "idTokenInfo": {
                        "status": "Unknown",
                        "cacheExpiryDateTime": "2026-11-21T08:00:00.000Z",
                        "groupIdToken": {"idToken": "FLEET", "type": "Central"},
                    }},
                    {"idToken": {"idToken": "TAG2", "type": "Central"}},
                ]}),
            ),
        ];
        let at = Timestamp::from_unix_millis(1_795_248_000_000);
        let firmware = [
            (
                Command::UpdateFirmware {
                    location: "https://example.com/fw.bin".into(),
                    retrieve_at: at,
                    install_at: Some(at),
                    retries: Some(3),
                    retry_interval_secs: None,
                    request_id: 9,
                    signing_certificate: Some("CERT".into()),
                    signature: Some("SIG".into()),
                },
                json!({"location": "https://example.com/fw.bin", "retrieveDate": "2026-11-21T08:00:00.000Z", "retries": 3}),
                json!({"requestId": 9, "retries": 3, "firmware": {
                    "location": "https://example.com/fw.bin",
                    "retrieveDateTime": "2026-11-21T08:00:00.000Z",
                    "installDateTime": "2026-11-21T08:00:00.000Z",
                    "signingCertificate": "CERT",
                    "signature": "SIG",
                }}),
            ),
            (
                Command::UploadLogs {
                    location: "https://example.com/up".into(),
                    from: Some(at),
                    to: Some(at),
                    retries: None,
                    retry_interval_secs: Some(30),
                    request_id: 10,
                    log_type: Some("SecurityLog".into()),
                },
                json!({"location": "https://example.com/up", "startTime": "2026-11-21T08:00:00.000Z", "stopTime": "2026-11-21T08:00:00.000Z", "retryInterval": 30}),
                json!({"logType": "SecurityLog", "requestId": 10, "retryInterval": 30, "log": {
                    "remoteLocation": "https://example.com/up",
                    "oldestTimestamp": "2026-11-21T08:00:00.000Z",
                    "latestTimestamp": "2026-11-21T08:00:00.000Z",
                }}),
            ),
            (
                Command::UploadLogs {
                    location: "https://example.com/up".into(),
                    from: None,
                    to: None,
                    retries: None,
                    retry_interval_secs: None,
                    request_id: 11,
                    log_type: None,
                },
                json!({"location": "https://example.com/up"}),
                json!({"logType": "DiagnosticsLog", "requestId": 11, "log": {"remoteLocation": "https://example.com/up"}}),
            ),
        ];
        for (command, v16, v201) in cases.into_iter().chain(firmware) {
            assert_eq!(command.encode(OcppVersion::V16).unwrap().1.to_string(), v16.to_string(), "{command:?}");
            assert_eq!(command.encode(OcppVersion::V201).unwrap().1.to_string(), v201.to_string(), "{command:?}");
        }
    }

    #[test]
    fn version_specific_commands_keep_their_wire_form() {
        let cases = [
            (Command::GetConfiguration { keys: Vec::new() }, json!({})),
            (Command::GetConfiguration { keys: vec!["A".into(), "B".into()] }, json!({"key": ["A", "B"]})),
            (
                Command::ChangeConfiguration { key: "HeartbeatInterval".into(), value: "300".into() },
                json!({"key": "HeartbeatInterval", "value": "300"}),
            ),
        ];
        for (command, v16) in cases {
            assert_eq!(command.encode(OcppVersion::V16).unwrap().1.to_string(), v16.to_string(), "{command:?}");
        }
        let cases = [
            (
                Command::GetBaseReport { request_id: 4, report_base: "SummaryInventory".into() },
                json!({"requestId": 4, "reportBase": "SummaryInventory"}),
            ),
            (Command::GetTransactionStatus { station_tx_id: None }, json!({})),
            (
                Command::GetVariables {
                    variables: vec![
                        VariableRef {
                            address: VariableAddress {
                                component: "EVSE".into(),
                                component_instance: Some("main".into()),
                                evse: Some(1),
                                connector: Some(0),
                                variable: "Power".into(),
                                variable_instance: Some("max".into()),
                            },
                            attribute: Some("Target".into()),
                        },
                        VariableRef {
                            address: VariableAddress {
                                component: "OCPPCommCtrlr".into(),
                                component_instance: None,
                                evse: None,
                                connector: None,
                                variable: "HeartbeatInterval".into(),
                                variable_instance: None,
                            },
                            attribute: None,
                        },
                    ],
                },
                json!({"getVariableData": [
                    {
                        "component": {"name": "EVSE", "instance": "main", "evse": {"id": 1, "connectorId": 0}},
                        "variable": {"name": "Power", "instance": "max"},
                        "attributeType": "Target",
                    },
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                ]}),
            ),
            (
                Command::SetVariables {
                    variables: vec![(
                        VariableRef {
                            address: VariableAddress {
                                component: "OCPPCommCtrlr".into(),
                                component_instance: None,
                                evse: Some(2),
                                connector: None,
                                variable: "HeartbeatInterval".into(),
                                variable_instance: None,
                            },
                            attribute: None,
                        },
                        "300".into(),
                    )],
                },
                json!({"setVariableData": [{
                    "component": {"name": "OCPPCommCtrlr", "evse": {"id": 2}},
                    "variable": {"name": "HeartbeatInterval"},
                    "attributeValue": "300",
                }]}),
            ),
            (Command::GetTransactionStatus { station_tx_id: Some("tx-1".into()) }, json!({"transactionId": "tx-1"})),
        ];
        for (command, v201) in cases {
            assert_eq!(command.encode(OcppVersion::V201).unwrap().1.to_string(), v201.to_string(), "{command:?}");
        }
    }

    #[test]
    fn version_specific_commands_are_refused_for_the_other_version() {
        let get = Command::GetConfiguration { keys: vec!["HeartbeatInterval".into()] };
        assert_eq!(get.encode(OcppVersion::V16).unwrap().0, "GetConfiguration");
        assert!(matches!(get.encode(OcppVersion::V201), Err(CommandError::Unsupported { .. })));
        let report = Command::GetBaseReport { request_id: 1, report_base: "FullInventory".into() };
        assert!(matches!(report.encode(OcppVersion::V16), Err(CommandError::Unsupported { .. })));
        assert_eq!(report.encode(OcppVersion::V201).unwrap().0, "GetBaseReport");
        let reset_evse = Command::Reset { immediate: false, evse: Some(1) };
        assert!(matches!(reset_evse.encode(OcppVersion::V16), Err(CommandError::Invalid { .. })));
    }

    #[test]
    fn invalid_arguments_never_reach_the_wire() {
        let bad_report = Command::GetBaseReport { request_id: 1, report_base: "Everything".into() };
        match bad_report.encode(OcppVersion::V201) {
            Err(CommandError::Invalid { reason, .. }) => assert!(reason.contains("reportBase"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let raw = Command::Raw { action: "Heartbeat".into(), payload: json!({}) };
        assert!(matches!(raw.encode(OcppVersion::V16), Err(CommandError::Invalid { .. })), "stations send Heartbeat");
        let raw = Command::Raw { action: "ClearCache".into(), payload: json!({"surprise": true}) };
        assert!(matches!(raw.encode(OcppVersion::V201), Err(CommandError::Invalid { .. })));
        let stop = Command::RemoteStop { station_tx_id: "abc".into() };
        assert!(matches!(stop.encode(OcppVersion::V16), Err(CommandError::Invalid { .. })));
    }

    #[test]
    fn reply_status_is_read_when_present() {
        assert_eq!(reply_status(&json!({"status": "Accepted"})).as_deref(), Some("Accepted"));
        assert_eq!(reply_status(&json!({"configurationKey": []})), None);
    }
}
