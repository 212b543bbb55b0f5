//! What an OCPP 1.6 station sends, handled.

use ocpp::ErrorCode;
use ocpp::v16::{self, StationRequest};

use domain::event::StationEventKind;
use domain::meter::check_register_wh;
use domain::transaction::{StopOutcome, V16Start, V16Stop};
use domain::{
    BootInfo, Change, ChangeSet, ConnectorState, ConnectorStatus, EvseConnector, IdToken, Notification, Timestamp,
    Transaction, TransactionState,
};

use crate::convert::{time, v16_id_tag_info, v16_samples, wire_name, wire_time};
use crate::{Failure, Handled, StationSession, payload};

fn opt_string<S: AsRef<str>>(value: &Option<S>) -> Option<String> {
    value.as_ref().map(|v| v.as_ref().to_owned())
}

impl StationSession {
    /// The address of 1.6 `connectorId`, within the configured limits.
    fn connector(&self, connector_id: i64) -> Result<EvseConnector, Failure> {
        Ok(self.csms.settings.connector_limits.v16_connector(connector_id)?)
    }

    pub(crate) fn handle_v16(&mut self, request: StationRequest, now: Timestamp) -> Result<Handled, Failure> {
        match request {
            StationRequest::BootNotification(boot) => {
                let info = BootInfo {
                    vendor: boot.charge_point_vendor.to_string(),
                    model: boot.charge_point_model.to_string(),
                    serial_number: opt_string(&boot.charge_point_serial_number),
                    charge_box_serial_number: opt_string(&boot.charge_box_serial_number),
                    firmware_version: opt_string(&boot.firmware_version),
                    iccid: opt_string(&boot.iccid),
                    imsi: opt_string(&boot.imsi),
                    meter_type: opt_string(&boot.meter_type),
                    meter_serial_number: opt_string(&boot.meter_serial_number),
                    reason: None,
                };
                let mut changes = ChangeSet::new();
                let (registration, interval) = self.boot(info, &mut changes, now)?;
                let status = match registration {
                    domain::Registration::Accepted => v16::BootNotificationResponseStatus::Accepted,
                    domain::Registration::Pending => v16::BootNotificationResponseStatus::Pending,
                    domain::Registration::Rejected => v16::BootNotificationResponseStatus::Rejected,
                };
                let response =
                    v16::BootNotificationResponse { current_time: wire_time(now), interval: i64::from(interval), status };
                let booted = Notification::StationBooted { station: self.station.clone(), registration, at: now };
                Ok(Handled::storing(payload(&response)?, changes).telling(booted))
            }
            StationRequest::Heartbeat(_) => {
                Ok(Handled::answer(payload(&v16::HeartbeatResponse { current_time: wire_time(now) })?))
            }
            StationRequest::StatusNotification(status) => {
                let error_code = wire_name(&status.error_code);
                let state = ConnectorState::parse(&wire_name(&status.status)).ok_or_else(|| {
                    Failure::Refuse(ErrorCode::PropertyConstraintViolation, "unknown connector status".to_owned())
                })?;
                let report = ConnectorStatus {
                    station: self.station.clone(),
                    location: self.connector(status.connector_id)?,
                    state,
                    error_code: (error_code != "NoError").then_some(error_code),
                    info: opt_string(&status.info),
                    vendor_id: opt_string(&status.vendor_id),
                    vendor_error_code: opt_string(&status.vendor_error_code),
                    reported_at: status.timestamp.as_ref().map(time),
                    received_at: now,
                };
                let told = Notification::StatusChanged(report.clone());
                Ok(Handled::storing(payload(&v16::StatusNotificationResponse {})?, Change::RecordStatus(report).into())
                    .telling(told))
            }
            StationRequest::Authorize(authorize) => {
                let token = IdToken::untyped(authorize.id_tag.as_str());
                let auth = self.authorize(&token, None, now)?;
                Ok(Handled::answer(payload(&v16::AuthorizeResponse { id_tag_info: v16_id_tag_info(&auth) })?))
            }
            StationRequest::StartTransaction(start) => self.start_transaction(start, now),
            StationRequest::MeterValues(values) => self.meter_values(values, now),
            StationRequest::StopTransaction(stop) => self.stop_transaction(stop, now),
            StationRequest::DataTransfer(transfer) => {
                // No vendor extension is installed, so every vendor id is unknown
                // to Gridlet; the message is kept in the station's log.
                let answered = v16::DataTransferResponseStatus::UnknownVendorId;
                let event = StationEventKind::DataTransfer {
                    vendor_id: transfer.vendor_id.to_string(),
                    message_id: opt_string(&transfer.message_id),
                    data: transfer.data.clone(),
                    answered: wire_name(&answered),
                };
                let response = v16::DataTransferResponse { data: None, status: answered };
                Ok(Handled::storing(payload(&response)?, self.event(event, now).into()))
            }
            StationRequest::DiagnosticsStatusNotification(notification) => {
                let status = wire_name(&notification.status);
                let event = StationEventKind::DiagnosticsStatus { status: status.clone() };
                let changes = self.operation_status(|s| &mut s.diagnostics_status, status, None, event, now)?;
                Ok(Handled::storing(payload(&v16::DiagnosticsStatusNotificationResponse {})?, changes))
            }
            StationRequest::FirmwareStatusNotification(notification) => {
                let status = wire_name(&notification.status);
                let event = StationEventKind::FirmwareStatus { status: status.clone(), request_id: None };
                let changes = self.operation_status(|s| &mut s.firmware_status, status, None, event, now)?;
                Ok(Handled::storing(payload(&v16::FirmwareStatusNotificationResponse {})?, changes))
            }
            StationRequest::SignedFirmwareStatusNotification(notification) => {
                let status = wire_name(&notification.status);
                let request_id = notification.request_id;
                let event = StationEventKind::FirmwareStatus { status: status.clone(), request_id };
                let changes = self.operation_status(|s| &mut s.firmware_status, status, request_id, event, now)?;
                Ok(Handled::storing(payload(&v16::SignedFirmwareStatusNotificationResponse {})?, changes))
            }
            StationRequest::LogStatusNotification(notification) => {
                let status = wire_name(&notification.status);
                let request_id = notification.request_id;
                let event = StationEventKind::LogStatus { status: status.clone(), request_id };
                let changes = self.operation_status(|s| &mut s.log_status, status, request_id, event, now)?;
                Ok(Handled::storing(payload(&v16::LogStatusNotificationResponse {})?, changes))
            }
            StationRequest::SecurityEventNotification(notification) => {
                let event = StationEventKind::SecurityEvent {
                    event_type: notification.r#type.to_string(),
                    timestamp: time(&notification.timestamp),
                    tech_info: opt_string(&notification.tech_info),
                };
                Ok(Handled::storing(payload(&v16::SecurityEventNotificationResponse {})?, self.event(event, now).into()))
            }
            StationRequest::SignCertificate(_) => {
                // Gridlet has no certificate authority yet: say so in the
                // protocol's terms, and keep a trace in the station's log.
                let event = StationEventKind::SecurityEvent {
                    event_type: "SignCertificateRejected".to_owned(),
                    timestamp: now,
                    tech_info: Some("no certificate authority is configured".to_owned()),
                };
                let response = v16::SignCertificateResponse { status: v16::SignCertificateResponseStatus::Rejected };
                Ok(Handled::storing(payload(&response)?, self.event(event, now).into()))
            }
        }
    }

    fn start_transaction(&mut self, start: v16::StartTransactionRequest, now: Timestamp) -> Result<Handled, Failure> {
        check_register_wh("meterStart", start.meter_start)?;
        let start = V16Start {
            location: self.connector(start.connector_id)?,
            id_token: IdToken::untyped(start.id_tag.as_str()),
            meter_start_wh: start.meter_start,
            started_at: time(&start.timestamp),
            reservation_id: start.reservation_id,
        };
        let storage = self.storage();
        if let Some(known) = storage.transaction_by_start(&start.key(&self.station))? {
            // A replay: answer with the transaction it created, as it was answered then.
            let auth = domain::Authorization {
                status: known.authorization.unwrap_or(domain::AuthorizationStatus::Accepted),
                expires_at: None,
                group_id: known.group_id.clone(),
            };
            return Ok(Handled::answer(payload(&start_response(&known, &auth)?)?));
        }
        let auth = self.authorize(&start.id_token, None, now)?;
        let number = self.storage().next_transaction_number()?;
        let tx = Transaction::start_v16(number, self.station.clone(), &start, auth.status, auth.group_id.clone(), now);
        let response = start_response(&tx, &auth)?;
        let mut changes = ChangeSet::new();
        if let Some(reservation) = self.reservation_used(start.reservation_id, number, now)? {
            changes.push(reservation);
        }
        let told = Notification::TransactionStarted(tx.clone());
        changes.push(Change::PutTransaction(tx));
        Ok(Handled::storing(payload(&response)?, changes).telling(told))
    }

    fn meter_values(&mut self, values: v16::MeterValuesRequest, now: Timestamp) -> Result<Handled, Failure> {
        let location = self.connector(values.connector_id)?;
        let mut samples = Vec::new();
        for meter_value in &values.meter_value {
            samples.extend(v16_samples(&meter_value.timestamp, &meter_value.sampled_value)?);
        }
        let response = payload(&v16::MeterValuesResponse {})?;
        let transaction = match values.transaction_id {
            Some(id) => self.storage().transaction_by_station_tx_id(&self.station, &id.to_string())?,
            None => None,
        };
        match transaction {
            Some(mut tx) => {
                tx.record_samples(&samples, now);
                let energy = tx.state == TransactionState::Active && samples.iter().any(|s| s.energy_register_wh().is_some());
                let number = tx.number;
                let mut changes = ChangeSet::from(Change::AddMeterSamples { transaction: tx.number, samples });
                let told = Notification::TransactionUpdated(tx.clone());
                changes.push(Change::PutTransaction(tx));
                let mut handled = Handled::storing(response, changes).telling(told);
                handled.running = energy.then_some(number);
                Ok(handled)
            }
            None => {
                if let Some(id) = values.transaction_id {
                    tracing::warn!(station = %self.station, transaction = id, "meter values for an unknown transaction kept as connector readings");
                }
                let change = Change::AddEvseSamples { station: self.station.clone(), evse: location.evse, samples };
                Ok(Handled::storing(response, change.into()))
            }
        }
    }

    fn stop_transaction(&mut self, stop: v16::StopTransactionRequest, now: Timestamp) -> Result<Handled, Failure> {
        // Readings first: a stop with absurd ones is refused before anything is looked up.
        check_register_wh("meterStop", stop.meter_stop)?;
        let mut samples = Vec::new();
        for item in stop.transaction_data.iter().flatten() {
            samples.extend(v16_samples(&item.timestamp, &item.sampled_value)?);
        }
        let station_tx_id = stop.transaction_id.to_string();
        let mut tx = match self.storage().transaction_by_station_tx_id(&self.station, &station_tx_id)? {
            Some(tx) => tx,
            None => {
                tracing::warn!(station = %self.station, transaction = %station_tx_id, "stop for an unknown transaction recorded as an unmatched one");
                let number = self.storage().next_transaction_number()?;
                Transaction::unmatched_v16(number, self.station.clone(), station_tx_id, now)
            }
        };
        let id_token = stop.id_tag.as_ref().map(|tag| IdToken::untyped(tag.as_str()));
        let domain_stop = V16Stop {
            ended_at: time(&stop.timestamp),
            meter_stop_wh: stop.meter_stop,
            reason: stop.reason.as_ref().map(wire_name),
            id_token: id_token.clone(),
        };
        let outcome = tx.stop_v16(&domain_stop, now);
        if outcome == StopOutcome::ConflictsWithEarlierStop {
            tracing::warn!(station = %self.station, transaction = tx.number, "a second, different stop was ignored");
        }
        let id_tag_info = match &id_token {
            Some(token) => Some(v16_id_tag_info(&self.authorize(token, Some(tx.number), now)?)),
            None => None,
        };
        let response = payload(&v16::StopTransactionResponse { id_tag_info })?;
        let mut changes = ChangeSet::new();
        if !samples.is_empty() {
            tx.record_samples(&samples, now);
            changes.push(Change::AddMeterSamples { transaction: tx.number, samples });
        }
        let told = match outcome {
            StopOutcome::Stopped => Some(Notification::TransactionEnded(tx.clone())),
            _ if !changes.is_empty() => Some(Notification::TransactionUpdated(tx.clone())),
            _ => None,
        };
        let number = tx.number;
        if told.is_some() {
            changes.push(Change::PutTransaction(tx));
        }
        let mut handled = Handled::storing(response, changes);
        handled.ended = (outcome == StopOutcome::Stopped).then_some(number);
        Ok(match told {
            Some(told) => handled.telling(told),
            None => handled,
        })
    }
}

fn start_response(tx: &Transaction, auth: &domain::Authorization) -> Result<v16::StartTransactionResponse, Failure> {
    let transaction_id = i64::try_from(tx.number)
        .ok()
        .filter(|n| *n <= i64::from(i32::MAX))
        .ok_or(Failure::Storage(domain::StorageError::Exhausted("1.6 transaction ids (they are 32-bit)")))?;
    Ok(v16::StartTransactionResponse { id_tag_info: v16_id_tag_info(auth), transaction_id })
}
