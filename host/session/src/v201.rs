//! What an OCPP 2.0.1 station sends, handled.

use ocpp::ErrorCode;
use ocpp::v201::{self, StationRequest};

use domain::device_model::{VariableAddress, VariableCharacteristics};
use domain::event::{DeviceEvent, StationEventKind};
use domain::transaction::{TransactionEvent, TransactionEventRecord, TransactionEventType};
use domain::{
    BootInfo, Change, ChangeSet, ConnectorState, ConnectorStatus, EvseConnector, Notification, ReportedVariable,
    ReservationState, Timestamp, Transaction, TransactionState, VariableAttribute,
};

use crate::convert::{time, v201_id_token_info, v201_samples, v201_token, wire_name, wire_time};
use crate::{Failure, Handled, StationSession, payload};

fn opt_string<S: AsRef<str>>(value: &Option<S>) -> Option<String> {
    value.as_ref().map(|v| v.as_ref().to_owned())
}


/// `name[instance]@evse/connector`, the way a component is shown in the station's log.
fn component_label(component: &v201::Component) -> String {
    let mut label = component.name.to_string();
    if let Some(instance) = &component.instance {
        label.push_str(&format!("[{instance}]"));
    }
    if let Some(evse) = &component.evse {
        label.push_str(&format!("@{}", evse.id));
        if let Some(connector) = evse.connector_id {
            label.push_str(&format!("/{connector}"));
        }
    }
    label
}

fn variable_label(variable: &v201::Variable) -> String {
    match &variable.instance {
        Some(instance) => format!("{}[{instance}]", variable.name),
        None => variable.name.to_string(),
    }
}

impl StationSession {
    /// The EVSE id named `field`, within the configured limits.
    fn evse_id(&self, field: &str, id: i64) -> Result<u32, Failure> {
        Ok(self.csms.settings.connector_limits.evse(field, id)?)
    }

    /// The connector id named `field`, within the configured limits.
    fn connector_id(&self, field: &str, id: i64) -> Result<u32, Failure> {
        Ok(self.csms.settings.connector_limits.connector(field, id)?)
    }

    pub(crate) fn handle_v201(&mut self, request: StationRequest, now: Timestamp) -> Result<Handled, Failure> {
        match request {
            StationRequest::BootNotification(boot) => {
                let station = &boot.charging_station;
                let modem = station.modem.as_ref();
                let info = BootInfo {
                    vendor: station.vendor_name.to_string(),
                    model: station.model.to_string(),
                    serial_number: opt_string(&station.serial_number),
                    charge_box_serial_number: None,
                    firmware_version: opt_string(&station.firmware_version),
                    iccid: modem.and_then(|m| opt_string(&m.iccid)),
                    imsi: modem.and_then(|m| opt_string(&m.imsi)),
                    meter_type: None,
                    meter_serial_number: None,
                    reason: Some(wire_name(&boot.reason)),
                };
                let mut changes = ChangeSet::new();
                let (registration, interval) = self.boot(info, &mut changes, now)?;
                let status = match registration {
                    domain::Registration::Accepted => v201::RegistrationStatusEnum::Accepted,
                    domain::Registration::Pending => v201::RegistrationStatusEnum::Pending,
                    domain::Registration::Rejected => v201::RegistrationStatusEnum::Rejected,
                };
                let response: v201::BootNotificationResponse = v201::BootNotificationResponse {
                    current_time: wire_time(now),
                    custom_data: None,
                    interval: i64::from(interval),
                    status,
                    status_info: None,
                };
                let booted = Notification::StationBooted { station: self.station.clone(), registration, at: now };
                Ok(Handled::storing(payload(&response)?, changes).telling(booted))
            }
            StationRequest::Heartbeat(_) => {
                let response: v201::HeartbeatResponse = v201::HeartbeatResponse { current_time: wire_time(now), custom_data: None };
                Ok(Handled::answer(payload(&response)?))
            }
            StationRequest::StatusNotification(status) => {
                let state = ConnectorState::parse(&wire_name(&status.connector_status)).ok_or_else(|| {
                    Failure::Refuse(ErrorCode::PropertyConstraintViolation, "unknown connector status".to_owned())
                })?;
                let report = ConnectorStatus {
                    station: self.station.clone(),
                    location: EvseConnector {
                        evse: self.evse_id("evseId", status.evse_id)?,
                        connector: self.connector_id("connectorId", status.connector_id)?,
                    },
                    state,
                    error_code: None,
                    info: None,
                    vendor_id: None,
                    vendor_error_code: None,
                    reported_at: Some(time(&status.timestamp)),
                    received_at: now,
                };
                let response: v201::StatusNotificationResponse = v201::StatusNotificationResponse { custom_data: None };
                let told = Notification::StatusChanged(report.clone());
                Ok(Handled::storing(payload(&response)?, Change::RecordStatus(report).into()).telling(told))
            }
            StationRequest::Authorize(authorize) => {
                let auth = self.authorize(&v201_token(&authorize.id_token), None, now)?;
                let response: v201::AuthorizeResponse = v201::AuthorizeResponse {
                    certificate_status: None,
                    custom_data: None,
                    id_token_info: v201_id_token_info(&auth),
                };
                Ok(Handled::answer(payload(&response)?))
            }
            StationRequest::TransactionEvent(event) => self.transaction_event(event, now),
            StationRequest::MeterValues(values) => {
                let change = Change::AddEvseSamples {
                    station: self.station.clone(),
                    evse: self.evse_id("evseId", values.evse_id)?,
                    samples: v201_samples(&values.meter_value)?,
                };
                Ok(Handled::storing(payload(&v201::MeterValuesResponse::<ocpp::ocpp_types::NoCustomData> { custom_data: None })?, change.into()))
            }
            StationRequest::NotifyReport(report) => {
                let reported_at = time(&report.generated_at);
                let variables = report
                    .report_data
                    .iter()
                    .flatten()
                    .map(|data| self.reported_variable(data, reported_at))
                    .collect::<Result<Vec<_>, _>>()?;
                let changes = if variables.is_empty() {
                    ChangeSet::new()
                } else {
                    Change::PutReportedVariables { station: self.station.clone(), variables }.into()
                };
                Ok(Handled::storing(payload(&v201::NotifyReportResponse::<ocpp::ocpp_types::NoCustomData> { custom_data: None })?, changes))
            }
            StationRequest::NotifyEvent(notify) => {
                let changes = ChangeSet {
                    changes: notify
                        .event_data
                        .iter()
                        .map(|data| self.event(StationEventKind::DeviceEvent(device_event(data)), now))
                        .collect(),
                };
                Ok(Handled::storing(payload(&v201::NotifyEventResponse::<ocpp::ocpp_types::NoCustomData> { custom_data: None })?, changes))
            }
            StationRequest::SecurityEventNotification(notification) => {
                let event = StationEventKind::SecurityEvent {
                    event_type: notification.r#type.to_string(),
                    timestamp: time(&notification.timestamp),
                    tech_info: opt_string(&notification.tech_info),
                };
                let response: v201::SecurityEventNotificationResponse = v201::SecurityEventNotificationResponse { custom_data: None };
                Ok(Handled::storing(payload(&response)?, self.event(event, now).into()))
            }
            StationRequest::FirmwareStatusNotification(notification) => {
                let status = wire_name(&notification.status);
                let request_id = notification.request_id;
                let event = StationEventKind::FirmwareStatus { status: status.clone(), request_id };
                let changes = self.operation_status(|s| &mut s.firmware_status, status, request_id, event, now)?;
                let response: v201::FirmwareStatusNotificationResponse = v201::FirmwareStatusNotificationResponse { custom_data: None };
                Ok(Handled::storing(payload(&response)?, changes))
            }
            StationRequest::LogStatusNotification(notification) => {
                let status = wire_name(&notification.status);
                let request_id = notification.request_id;
                let event = StationEventKind::LogStatus { status: status.clone(), request_id };
                let changes = self.operation_status(|s| &mut s.log_status, status, request_id, event, now)?;
                let response: v201::LogStatusNotificationResponse = v201::LogStatusNotificationResponse { custom_data: None };
                Ok(Handled::storing(payload(&response)?, changes))
            }
            StationRequest::DataTransfer(transfer) => {
                // No vendor extension is installed: every vendor id is unknown to Gridlet.
                let answered = v201::DataTransferStatusEnum::UnknownVendorId;
                let event = StationEventKind::DataTransfer {
                    vendor_id: transfer.vendor_id.to_string(),
                    message_id: opt_string(&transfer.message_id),
                    data: transfer.data.as_ref().map(|data| data.to_string()),
                    answered: wire_name(&answered),
                };
                let response: v201::DataTransferResponse<serde_json::Value> = v201::DataTransferResponse {
                    custom_data: None,
                    data: None,
                    status: answered,
                    status_info: None,
                };
                Ok(Handled::storing(payload(&response)?, self.event(event, now).into()))
            }
            StationRequest::ReservationStatusUpdate(update) => {
                // Expired or Removed: either way the reservation no longer holds.
                let mut changes = ChangeSet::new();
                if let Some(mut reservation) = self.storage().reservation(update.reservation_id)?
                    && reservation.station == self.station
                    && reservation.state.is_open()
                {
                    reservation.state = ReservationState::Expired;
                    reservation.refusal = Some(wire_name(&update.reservation_update_status));
                    reservation.updated_at = now;
                    changes.push(Change::PutReservation(reservation));
                }
                let response: v201::ReservationStatusUpdateResponse =
                    v201::ReservationStatusUpdateResponse { custom_data: None };
                Ok(Handled::storing(payload(&response)?, changes))
            }
            other => Err(Failure::Refuse(
                ErrorCode::NotSupported,
                format!("{} is not supported by Gridlet yet", other.action()),
            )),
        }
    }

    fn transaction_event(&mut self, request: v201::TransactionEventRequest, now: Timestamp) -> Result<Handled, Failure> {
        let event_type = TransactionEventType::parse(&wire_name(&request.event_type)).ok_or_else(|| {
            Failure::Refuse(ErrorCode::PropertyConstraintViolation, "unknown eventType".to_owned())
        })?;
        let seq_no = u64::try_from(request.seq_no).map_err(|_| {
            Failure::Refuse(ErrorCode::PropertyConstraintViolation, format!("seqNo {} is negative", request.seq_no))
        })?;
        let location = match &request.evse {
            Some(evse) => Some(EvseConnector {
                evse: self.evse_id("evse.id", evse.id)?,
                connector: self.connector_id("evse.connectorId", evse.connector_id.unwrap_or(0))?,
            }),
            None => None,
        };
        let info = &request.transaction_info;
        let event = TransactionEvent {
            event_type,
            station_tx_id: info.transaction_id.to_string(),
            seq_no,
            trigger_reason: wire_name(&request.trigger_reason),
            timestamp: time(&request.timestamp),
            offline: request.offline.unwrap_or(false),
            location,
            id_token: request.id_token.as_ref().map(v201_token),
            charging_state: info.charging_state.as_ref().map(wire_name),
            stopped_reason: info.stopped_reason.as_ref().map(wire_name),
            reservation_id: request.reservation_id,
            remote_start_id: info.remote_start_id,
            samples: v201_samples(request.meter_value.as_deref().unwrap_or_default())?,
        };

        let existing = self.storage().transaction_by_station_tx_id(&self.station, &event.station_tx_id)?;
        if let Some(known) = &existing
            && self.storage().transaction_event(known.number, seq_no)?.is_some()
        {
            // A replay of an event already applied: answer, change nothing.
            let id_token_info = match &event.id_token {
                Some(token) => Some(v201_id_token_info(&self.authorize(token, Some(known.number), now)?)),
                None => None,
            };
            return Ok(Handled::answer(payload(&transaction_event_response(id_token_info))?));
        }
        let was = existing.as_ref().map(|tx| tx.state);
        let mut tx = match existing {
            Some(tx) => tx,
            None => {
                let number = self.storage().next_transaction_number()?;
                Transaction::from_v201_event(number, self.station.clone(), &event, now)
            }
        };
        let id_token_info = match &event.id_token {
            Some(token) => {
                let auth = self.authorize(token, Some(tx.number), now)?;
                if tx.authorization.is_none() {
                    tx.authorization = Some(auth.status);
                    tx.group_id = auth.group_id.clone();
                }
                Some(v201_id_token_info(&auth))
            }
            None => None,
        };
        tx.apply_event(&event, now);
        let mut changes = ChangeSet::from(Change::RecordTransactionEvent {
            transaction: tx.number,
            event: TransactionEventRecord::of(&event, now),
        });
        if let Some(reservation) = self.reservation_used(event.reservation_id, tx.number, now)? {
            changes.push(reservation);
        }
        let mut told = Vec::new();
        if was.is_none() {
            told.push(Notification::TransactionStarted(tx.clone()));
        }
        let ended = was != Some(TransactionState::Ended) && tx.state == TransactionState::Ended;
        if ended {
            told.push(Notification::TransactionEnded(tx.clone()));
        } else if was.is_some() {
            told.push(Notification::TransactionUpdated(tx.clone()));
        }
        let energy = event_type == TransactionEventType::Updated
            && tx.state == TransactionState::Active
            && event.samples.iter().any(|s| s.energy_register_wh().is_some());
        let number = tx.number;
        if !event.samples.is_empty() {
            changes.push(Change::AddMeterSamples { transaction: tx.number, samples: event.samples });
        }
        changes.push(Change::PutTransaction(tx));
        let mut handled = Handled::storing(payload(&transaction_event_response(id_token_info))?, changes);
        for notification in told {
            handled = handled.telling(notification);
        }
        handled.ended = ended.then_some(number);
        handled.running = energy.then_some(number);
        Ok(handled)
    }
}

fn transaction_event_response(id_token_info: Option<v201::IdTokenInfo>) -> v201::TransactionEventResponse {
    v201::TransactionEventResponse::<ocpp::ocpp_types::NoCustomData> {
        charging_priority: None,
        custom_data: None,
        id_token_info,
        total_cost: None,
        updated_personal_message: None,
    }
}

impl StationSession {
    /// One reported variable, its component's EVSE and connector within the limits.
    fn reported_variable(&self, data: &v201::ReportData, reported_at: Timestamp) -> Result<ReportedVariable, Failure> {
        let component = &data.component;
        let address = VariableAddress {
            component: component.name.to_string(),
            component_instance: opt_string(&component.instance),
            evse: component.evse.as_ref().map(|evse| self.evse_id("evse.id", evse.id)).transpose()?,
            connector: component
                .evse
                .as_ref()
                .and_then(|evse| evse.connector_id)
                .map(|connector| self.connector_id("evse.connectorId", connector))
                .transpose()?,
            variable: data.variable.name.to_string(),
            variable_instance: opt_string(&data.variable.instance),
        };
        let attributes = data
            .variable_attribute
            .iter()
            .map(|attribute| VariableAttribute {
                kind: attribute.r#type.as_ref().map_or_else(|| "Actual".to_owned(), wire_name),
                value: attribute.value.as_ref().map(|v| v.to_string()),
                mutability: attribute.mutability.as_ref().map(wire_name),
                persistent: attribute.persistent,
                constant: attribute.constant,
            })
            .collect();
        let characteristics = data.variable_characteristics.as_ref().map(|c| VariableCharacteristics {
            unit: opt_string(&c.unit),
            data_type: wire_name(&c.data_type),
            min_limit: c.min_limit,
            max_limit: c.max_limit,
            values_list: c.values_list.as_ref().map(|v| v.to_string()),
            supports_monitoring: c.supports_monitoring,
        });
        Ok(ReportedVariable { address, attributes, characteristics, reported_at })
    }
}

fn device_event(data: &v201::EventData) -> DeviceEvent {
    DeviceEvent {
        event_id: data.event_id,
        timestamp: time(&data.timestamp),
        trigger: wire_name(&data.trigger),
        cause: data.cause,
        actual_value: data.actual_value.to_string(),
        tech_code: opt_string(&data.tech_code),
        tech_info: opt_string(&data.tech_info),
        cleared: data.cleared,
        transaction_id: opt_string(&data.transaction_id),
        variable_monitoring_id: data.variable_monitoring_id,
        notification_type: wire_name(&data.event_notification_type),
        component: component_label(&data.component),
        variable: variable_label(&data.variable),
    }
}
