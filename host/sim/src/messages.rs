//! The messages the station sends, built from its state, per version; and
//! what the station learns from the CSMS's answers.
//!
//! Everything here is sans-IO: a builder reads the clock and the meters and
//! returns an [`Outgoing`] action and payload; [`crate::Station`] sends it
//! (or queues it while offline). Payloads are plain JSON in each version's
//! own shape, checked against the official schemas before they are sent.

use ocpp::OcppVersion;
use serde_json::{Map, Value, json};

use crate::state::{
    ConnectorStatus, StartOptions, StateError, StationState, StopReason, TransactionHandle,
    TransactionId,
};

/// A CALL the station is about to send.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outgoing {
    pub(crate) action: &'static str,
    pub(crate) payload: Value,
}

impl Outgoing {
    fn new(action: &'static str, payload: Value) -> Self {
        Outgoing { action, payload }
    }
}

/// The CSMS's answer to a BootNotification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootOutcome {
    /// `Accepted`, `Pending` or `Rejected`.
    pub status: String,
    /// The heartbeat interval (if accepted) or the retry interval, in seconds.
    pub interval_s: i64,
    /// The CSMS's time.
    pub current_time: String,
}

impl BootOutcome {
    /// Whether the CSMS accepted the station.
    pub fn accepted(&self) -> bool {
        self.status == "Accepted"
    }
}

/// Which measurands a meter value carries.
#[derive(Clone, Copy)]
enum Sample {
    /// The register only (transaction begin and end).
    Register,
    /// The register and the power drawn.
    RegisterAndPower,
}

impl StationState {
    fn timestamp(&self) -> String {
        ocpp::format_rfc3339_millis(self.now_ms())
    }

    /// A BootNotification; `reason` is 2.0.1's (`PowerUp`, `Triggered`, …).
    pub(crate) fn boot_notification(&self, reason: &str) -> Outgoing {
        let identity = &self.identity;
        let mut payload = match self.version {
            OcppVersion::V16 => json!({
                "chargePointVendor": identity.vendor,
                "chargePointModel": identity.model,
            }),
            OcppVersion::V201 => json!({
                "reason": reason,
                "chargingStation": {"model": identity.model, "vendorName": identity.vendor},
            }),
        };
        let target = match self.version {
            OcppVersion::V16 => Some(&mut payload),
            OcppVersion::V201 => payload.get_mut("chargingStation"),
        };
        if let Some(Value::Object(fields)) = target {
            let (serial, firmware) = match self.version {
                OcppVersion::V16 => ("chargePointSerialNumber", "firmwareVersion"),
                OcppVersion::V201 => ("serialNumber", "firmwareVersion"),
            };
            insert_some(fields, serial, identity.serial_number.as_deref());
            insert_some(fields, firmware, identity.firmware_version.as_deref());
        }
        Outgoing::new("BootNotification", payload)
    }

    /// Records the boot answer: its status and, if accepted, the heartbeat
    /// interval.
    pub(crate) fn on_boot_answer(&mut self, answer: &Value) -> BootOutcome {
        let outcome = BootOutcome {
            status: text(answer, "status"),
            interval_s: answer.get("interval").and_then(Value::as_i64).unwrap_or(0),
            current_time: text(answer, "currentTime"),
        };
        self.boot_status = Some(outcome.status.clone());
        if outcome.accepted() && outcome.interval_s > 0 {
            let component = crate::state::heartbeat_component(self.version);
            self.set_setting(
                component,
                "HeartbeatInterval",
                outcome.interval_s.to_string(),
            );
        }
        outcome
    }

    /// A Heartbeat.
    pub(crate) fn heartbeat(&self) -> Outgoing {
        Outgoing::new("Heartbeat", json!({}))
    }

    /// A StatusNotification for `connector` (1.6 also accepts 0, the whole
    /// station), recording the status.
    pub(crate) fn status_notification(
        &mut self,
        connector: u32,
        status: ConnectorStatus,
    ) -> Result<Outgoing, StateError> {
        let whole_station = connector == 0 && self.version == OcppVersion::V16;
        if !whole_station {
            self.connector_mut(connector)
                .ok_or(StateError::UnknownConnector(connector))?
                .status = status;
        }
        let timestamp = self.timestamp();
        let payload = match self.version {
            OcppVersion::V16 => json!({
                "connectorId": connector,
                "errorCode": if status == ConnectorStatus::Faulted { "OtherError" } else { "NoError" },
                "status": status.as_str(OcppVersion::V16),
                "timestamp": timestamp,
            }),
            OcppVersion::V201 => json!({
                "timestamp": timestamp,
                "connectorStatus": status.as_str(OcppVersion::V201),
                "evseId": connector,
                "connectorId": 1,
            }),
        };
        Ok(Outgoing::new("StatusNotification", payload))
    }

    /// 2.0.1's `IdTokenType` for `token`.
    fn id_token(&self, token: &str) -> Value {
        json!({"idToken": token, "type": self.id_token_type})
    }

    /// An Authorize for `token`.
    pub(crate) fn authorize(&self, token: &str) -> Outgoing {
        let payload = match self.version {
            OcppVersion::V16 => json!({"idTag": token}),
            OcppVersion::V201 => json!({"idToken": self.id_token(token)}),
        };
        Outgoing::new("Authorize", payload)
    }

    /// The authorization status in an Authorize answer.
    pub(crate) fn authorization_status(&self, answer: &Value) -> String {
        let info = match self.version {
            OcppVersion::V16 => "idTagInfo",
            OcppVersion::V201 => "idTokenInfo",
        };
        answer
            .get(info)
            .map(|info| text(info, "status"))
            .unwrap_or_default()
    }

    /// Starts a transaction on `connector` for `token` and builds its first
    /// message: 1.6 StartTransaction, 2.0.1 TransactionEvent `Started`
    /// (seqNo 0, with the token, the EVSE and the `Transaction.Begin`
    /// register reading).
    pub(crate) fn transaction_started(
        &mut self,
        connector: u32,
        token: &str,
        offline: bool,
        options: StartOptions,
    ) -> Result<(TransactionHandle, Outgoing), StateError> {
        let handle = self.open_transaction(connector, token)?;
        let transaction = self.running(handle)?.clone();
        let timestamp = ocpp::format_rfc3339_millis(transaction.started_at_ms);
        let outgoing = match self.version {
            OcppVersion::V16 => {
                let mut payload = json!({
                    "connectorId": connector,
                    "idTag": token,
                    "meterStart": transaction.meter_start_wh,
                    "timestamp": timestamp,
                });
                if let Some(reservation_id) = options.reservation_id {
                    payload["reservationId"] = json!(reservation_id);
                }
                Outgoing::new("StartTransaction", payload)
            }
            OcppVersion::V201 => {
                let seq_no = self.take_seq_no(handle);
                let meter_value =
                    self.meter_value(connector, "Transaction.Begin", Sample::Register)?;
                let trigger_reason = if options.remote_start_id.is_some() {
                    "RemoteStart"
                } else {
                    "Authorized"
                };
                let mut payload = json!({
                    "eventType": "Started",
                    "timestamp": timestamp,
                    "triggerReason": trigger_reason,
                    "seqNo": seq_no,
                    "transactionInfo": {
                        "transactionId": wire_id(&transaction.id),
                        "chargingState": "Charging",
                    },
                    "idToken": self.id_token(token),
                    "evse": {"id": connector, "connectorId": 1},
                    "meterValue": [meter_value],
                });
                if let Some(remote_start_id) = options.remote_start_id {
                    payload["transactionInfo"]["remoteStartId"] = json!(remote_start_id);
                }
                if let Some(reservation_id) = options.reservation_id {
                    payload["reservationId"] = json!(reservation_id);
                }
                mark_offline(&mut payload, offline);
                Outgoing::new("TransactionEvent", payload)
            }
        };
        Ok((handle, outgoing))
    }

    /// A periodic meter reading of a running transaction: 1.6 MeterValues
    /// (its `transactionId` is filled in when sent, see [`Self::resolve`]),
    /// 2.0.1 TransactionEvent `Updated` with `triggerReason`.
    pub(crate) fn transaction_updated(
        &mut self,
        handle: TransactionHandle,
        offline: bool,
        trigger_reason: &str,
    ) -> Result<Outgoing, StateError> {
        let transaction = self.running(handle)?.clone();
        let context = if trigger_reason == "Trigger" {
            "Trigger"
        } else {
            "Sample.Periodic"
        };
        let meter_value =
            self.meter_value(transaction.connector, context, Sample::RegisterAndPower)?;
        Ok(match self.version {
            OcppVersion::V16 => Outgoing::new(
                "MeterValues",
                json!({"connectorId": transaction.connector, "meterValue": [meter_value]}),
            ),
            OcppVersion::V201 => {
                let drawing = self
                    .connector(transaction.connector)
                    .is_some_and(|connector| connector.power_w > 0);
                let mut payload = json!({
                    "eventType": "Updated",
                    "timestamp": self.timestamp(),
                    "triggerReason": trigger_reason,
                    "seqNo": self.take_seq_no(handle),
                    "transactionInfo": {
                        "transactionId": wire_id(&transaction.id),
                        "chargingState": if drawing { "Charging" } else { "SuspendedEV" },
                    },
                    "meterValue": [meter_value],
                });
                mark_offline(&mut payload, offline);
                Outgoing::new("TransactionEvent", payload)
            }
        })
    }

    /// Stops a transaction and builds its last message: 1.6 StopTransaction
    /// with `transactionData` (begin and end readings; its `transactionId`
    /// is filled in when sent), 2.0.1 TransactionEvent `Ended` with the
    /// `stoppedReason` and the `Transaction.End` reading.
    pub(crate) fn transaction_ended(
        &mut self,
        handle: TransactionHandle,
        reason: StopReason,
        offline: bool,
    ) -> Result<Outgoing, StateError> {
        self.running(handle)?;
        let end_value = {
            let connector = self.running(handle)?.connector;
            self.meter_value(connector, "Transaction.End", Sample::Register)?
        };
        let transaction = self.close_transaction(handle)?;
        let timestamp = self.timestamp();
        let meter_stop = self
            .energy_wh(transaction.connector)
            .unwrap_or(transaction.meter_start_wh);
        Ok(match self.version {
            OcppVersion::V16 => {
                let begin_value = json!({
                    "timestamp": ocpp::format_rfc3339_millis(transaction.started_at_ms),
                    "sampledValue": [sampled_value(self.version, transaction.meter_start_wh, "Transaction.Begin", "Energy.Active.Import.Register", "Wh")],
                });
                Outgoing::new(
                    "StopTransaction",
                    json!({
                        "idTag": transaction.id_token,
                        "meterStop": meter_stop,
                        "timestamp": timestamp,
                        "reason": reason.as_str(self.version),
                        "transactionData": [begin_value, end_value],
                    }),
                )
            }
            OcppVersion::V201 => {
                let mut payload = json!({
                    "eventType": "Ended",
                    "timestamp": timestamp,
                    "triggerReason": reason.trigger_reason(),
                    "seqNo": self.take_seq_no(handle),
                    "transactionInfo": {
                        "transactionId": wire_id(&transaction.id),
                        "stoppedReason": reason.as_str(self.version),
                    },
                    "meterValue": [end_value],
                });
                mark_offline(&mut payload, offline);
                Outgoing::new("TransactionEvent", payload)
            }
        })
    }

    /// A MeterValues outside any transaction (1.6 also inside one, with its
    /// id when known) for `connector`, with `context` (e.g. `Sample.Clock`,
    /// `Trigger`).
    pub(crate) fn connector_meter_values(
        &mut self,
        connector: u32,
        context: &str,
    ) -> Result<Outgoing, StateError> {
        let meter_value = self.meter_value(connector, context, Sample::RegisterAndPower)?;
        let payload = match self.version {
            OcppVersion::V16 => {
                let mut payload = json!({"connectorId": connector, "meterValue": [meter_value]});
                let running = self.connector(connector).and_then(|slot| slot.transaction);
                if let Some(TransactionId::Csms(id)) =
                    running.and_then(|handle| self.transaction(handle)?.id.clone())
                {
                    payload["transactionId"] = json!(id);
                }
                payload
            }
            OcppVersion::V201 => json!({"evseId": connector, "meterValue": [meter_value]}),
        };
        Ok(Outgoing::new("MeterValues", payload))
    }

    /// Fills in what a queued message could not know when it was built: the
    /// 1.6 `transactionId` the CSMS assigned to `handle`'s transaction.
    pub(crate) fn resolve(
        &self,
        action: &str,
        payload: &Value,
        handle: Option<TransactionHandle>,
    ) -> Result<Value, StateError> {
        let mut payload = payload.clone();
        let (OcppVersion::V16, Some(handle), "MeterValues" | "StopTransaction") =
            (self.version, handle, action)
        else {
            return Ok(payload);
        };
        match self
            .transaction(handle)
            .and_then(|transaction| transaction.id.clone())
        {
            Some(TransactionId::Csms(id)) => payload["transactionId"] = json!(id),
            // MeterValues may go without; a stop cannot.
            _ if action == "MeterValues" => {}
            _ => return Err(StateError::NoTransactionId(handle)),
        }
        Ok(payload)
    }

    /// Records what the CSMS answered to a transaction message of `handle`:
    /// the 1.6 transaction id and the authorization status.
    pub(crate) fn on_transaction_answer(
        &mut self,
        handle: TransactionHandle,
        action: &str,
        answer: &Value,
    ) {
        let version = self.version;
        let Some(transaction) = self.transaction_mut(handle) else {
            return;
        };
        let info = match version {
            OcppVersion::V16 => answer.get("idTagInfo"),
            OcppVersion::V201 => answer.get("idTokenInfo"),
        };
        if let Some(status) = info
            .and_then(|info| info.get("status"))
            .and_then(Value::as_str)
        {
            transaction.authorization = Some(status.to_owned());
        }
        if action == "StartTransaction"
            && let Some(id) = answer.get("transactionId").and_then(Value::as_i64)
        {
            transaction.id = Some(TransactionId::Csms(id));
        }
    }

    /// 2.0.1 NotifyReport with every setting, for GetBaseReport `request_id`.
    pub(crate) fn notify_report(&self, request_id: i64) -> Outgoing {
        let report: Vec<Value> = self
            .settings
            .iter()
            .filter_map(|setting| {
                let component = setting.component.as_deref()?;
                Some(json!({
                    "component": {"name": component},
                    "variable": {"name": setting.name},
                    "variableAttribute": [{
                        "type": "Actual",
                        "value": setting.value,
                        "mutability": if setting.readonly { "ReadOnly" } else { "ReadWrite" },
                    }],
                    "variableCharacteristics": {
                        "dataType": if setting.integer { "integer" } else { "string" },
                        "supportsMonitoring": false,
                    },
                }))
            })
            .collect();
        let mut payload = json!({
            "requestId": request_id,
            "generatedAt": self.timestamp(),
            "tbc": false,
            "seqNo": 0,
        });
        if !report.is_empty() {
            payload["reportData"] = Value::Array(report);
        }
        Outgoing::new("NotifyReport", payload)
    }

    /// A SecurityEventNotification of `kind` (e.g. `StartupOfTheDevice`).
    pub(crate) fn security_event(&self, kind: &str, tech_info: Option<&str>) -> Outgoing {
        let mut payload = json!({"type": kind, "timestamp": self.timestamp()});
        if let (Some(info), Value::Object(fields)) = (tech_info, &mut payload) {
            insert_some(fields, "techInfo", Some(info));
        }
        Outgoing::new("SecurityEventNotification", payload)
    }

    /// A status notification with a `status` and, when given, the
    /// `requestId` it reports on: FirmwareStatusNotification (2.0.1's takes
    /// a request id, 1.6's does not), LogStatusNotification,
    /// DiagnosticsStatusNotification (1.6, no request id).
    pub(crate) fn status_report(
        &self,
        action: &'static str,
        status: &str,
        request_id: Option<i64>,
    ) -> Outgoing {
        let mut payload = json!({"status": status});
        let takes_request_id = action == "LogStatusNotification"
            || (self.version == OcppVersion::V201 && action == "FirmwareStatusNotification");
        if let (Some(id), true) = (request_id, takes_request_id) {
            payload["requestId"] = json!(id);
        }
        Outgoing::new(action, payload)
    }

    /// A 2.0.1 NotifyEvent: `variable` of `component` changed to
    /// `actual_value` (a `Delta` event, numbered `event_id`).
    pub(crate) fn notify_event(
        &self,
        event_id: i64,
        component: &str,
        variable: &str,
        actual_value: &str,
    ) -> Outgoing {
        let timestamp = self.timestamp();
        Outgoing::new(
            "NotifyEvent",
            json!({
                "generatedAt": timestamp,
                "seqNo": 0,
                "tbc": false,
                "eventData": [{
                    "eventId": event_id,
                    "timestamp": timestamp,
                    "trigger": "Delta",
                    "actualValue": actual_value,
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": component},
                    "variable": {"name": variable},
                }],
            }),
        )
    }

    /// A DataTransfer to `vendor_id`.
    pub(crate) fn data_transfer(
        &self,
        vendor_id: &str,
        message_id: Option<&str>,
        data: Option<&str>,
    ) -> Outgoing {
        let mut payload = json!({"vendorId": vendor_id});
        if let Value::Object(fields) = &mut payload {
            insert_some(fields, "messageId", message_id);
            insert_some(fields, "data", data);
        }
        Outgoing::new("DataTransfer", payload)
    }

    /// A `MeterValueType` for `connector` now.
    fn meter_value(
        &mut self,
        connector: u32,
        context: &str,
        sample: Sample,
    ) -> Result<Value, StateError> {
        let (energy_wh, power_w) = self.read_meter(connector)?;
        let version = self.version;
        let mut sampled = vec![sampled_value(
            version,
            energy_wh,
            context,
            "Energy.Active.Import.Register",
            "Wh",
        )];
        if let Sample::RegisterAndPower = sample {
            sampled.push(sampled_value(
                version,
                u64::from(power_w),
                context,
                "Power.Active.Import",
                "W",
            ));
        }
        Ok(json!({"timestamp": self.timestamp(), "sampledValue": sampled}))
    }
}

/// A `SampledValueType`: 1.6 writes the value as text with `unit`, 2.0.1 as
/// a number with `unitOfMeasure`.
fn sampled_value(
    version: OcppVersion,
    value: u64,
    context: &str,
    measurand: &str,
    unit: &str,
) -> Value {
    match version {
        OcppVersion::V16 => json!({
            "value": value.to_string(),
            "context": context,
            "measurand": measurand,
            "location": "Outlet",
            "unit": unit,
        }),
        OcppVersion::V201 => json!({
            "value": value,
            "context": context,
            "measurand": measurand,
            "location": "Outlet",
            "unitOfMeasure": {"unit": unit},
        }),
    }
}

fn wire_id(id: &Option<TransactionId>) -> String {
    id.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn mark_offline(payload: &mut Value, offline: bool) {
    if offline {
        payload["offline"] = Value::Bool(true);
    }
}

fn insert_some(fields: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        fields.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// The string field `key` of `value`, or empty.
pub(crate) fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ocpp::PayloadKind;

    use super::*;
    use crate::clock::ManualClock;

    const T0: i64 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    fn station(version: OcppVersion) -> (StationState, ManualClock) {
        let clock = ManualClock::new(T0);
        (
            StationState::new(version, "CP1".to_owned(), Arc::new(clock.clone()), 2, 7_200),
            clock,
        )
    }

    fn assert_valid(version: OcppVersion, outgoing: &Outgoing) {
        if let Err(violation) = ocpp::validate(
            version,
            outgoing.action,
            PayloadKind::Request,
            &outgoing.payload,
        ) {
            panic!(
                "{version} {} {}: {violation}",
                outgoing.action, outgoing.payload
            );
        }
    }

    #[test]
    fn every_built_message_passes_its_schema() {
        for version in OcppVersion::ALL {
            let (mut state, clock) = station(version);
            let mut built = vec![
                state.boot_notification("PowerUp"),
                state.heartbeat(),
                state
                    .status_notification(1, ConnectorStatus::Preparing)
                    .unwrap(),
                state
                    .status_notification(2, ConnectorStatus::Faulted)
                    .unwrap(),
                state.authorize("TAG-1"),
            ];
            let (handle, started) = state
                .transaction_started(1, "TAG-1", false, StartOptions::default())
                .unwrap();
            state.on_transaction_answer(
                handle,
                started.action,
                &json!({"transactionId": 7, "idTagInfo": {"status": "Accepted"}}),
            );
            built.push(started);
            clock.advance(60_000);
            built.push(
                state
                    .transaction_updated(handle, true, "MeterValuePeriodic")
                    .unwrap(),
            );
            built.push(state.connector_meter_values(2, "Sample.Clock").unwrap());
            built.push(state.connector_meter_values(1, "Trigger").unwrap());
            let ended = state
                .transaction_ended(handle, StopReason::EvDisconnected, false)
                .unwrap();
            built.push(Outgoing {
                payload: state
                    .resolve(ended.action, &ended.payload, Some(handle))
                    .unwrap(),
                ..ended
            });
            built.push(state.security_event("StartupOfTheDevice", Some("booted")));
            built.push(state.status_report("FirmwareStatusNotification", "Idle", Some(1)));
            built.push(state.status_report("LogStatusNotification", "Uploading", Some(2)));
            built.push(state.data_transfer("acme", Some("ping"), Some("{}")));
            match version {
                OcppVersion::V16 => {
                    built.push(state.status_report("DiagnosticsStatusNotification", "Idle", None))
                }
                OcppVersion::V201 => {
                    built.push(state.notify_report(3));
                    built.push(state.notify_event(
                        1,
                        "Connector",
                        "AvailabilityState",
                        "Available",
                    ));
                }
            }
            for outgoing in &built {
                assert_valid(version, outgoing);
            }
        }
    }

    #[test]
    fn a_1_6_session_carries_the_register_and_the_csms_id() {
        let (mut state, clock) = station(OcppVersion::V16);
        let (handle, started) = state
            .transaction_started(1, "TAG", false, StartOptions::default())
            .unwrap();
        assert_eq!(
            started.payload,
            json!({"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "2025-11-21T10:00:00.000Z"})
        );
        clock.advance(30 * 60 * 1000);
        let update = state
            .transaction_updated(handle, false, "MeterValuePeriodic")
            .unwrap();
        assert_eq!(
            state
                .resolve(update.action, &update.payload, Some(handle))
                .unwrap()
                .get("transactionId"),
            None
        );
        state.on_transaction_answer(
            handle,
            "StartTransaction",
            &json!({"transactionId": 42, "idTagInfo": {"status": "Accepted"}}),
        );
        let update = state
            .resolve(update.action, &update.payload, Some(handle))
            .unwrap();
        assert_eq!(update["transactionId"], json!(42));
        assert_eq!(
            update["meterValue"][0]["sampledValue"][0]["value"],
            json!("3600")
        );
        assert_eq!(
            update["meterValue"][0]["sampledValue"][1]["value"],
            json!("7200")
        );
        clock.advance(30 * 60 * 1000);
        let stop = state
            .transaction_ended(handle, StopReason::Local, false)
            .unwrap();
        let stop = state
            .resolve(stop.action, &stop.payload, Some(handle))
            .unwrap();
        assert_eq!(stop["meterStop"], json!(7200));
        assert_eq!(stop["transactionId"], json!(42));
        assert_eq!(
            stop["transactionData"][1]["sampledValue"][0]["context"],
            json!("Transaction.End")
        );
    }

    #[test]
    fn a_1_6_stop_cannot_go_without_the_csms_id() {
        let (mut state, _) = station(OcppVersion::V16);
        let (handle, _) = state
            .transaction_started(1, "TAG", true, StartOptions::default())
            .unwrap();
        let stop = state
            .transaction_ended(handle, StopReason::Local, true)
            .unwrap();
        assert_eq!(
            state.resolve(stop.action, &stop.payload, Some(handle)),
            Err(StateError::NoTransactionId(handle))
        );
    }

    #[test]
    fn a_2_0_1_transaction_numbers_its_events_and_marks_offline_ones() {
        let (mut state, clock) = station(OcppVersion::V201);
        let (handle, started) = state
            .transaction_started(2, "TAG", false, StartOptions::default())
            .unwrap();
        clock.advance(1_000);
        let updated = state
            .transaction_updated(handle, true, "MeterValuePeriodic")
            .unwrap();
        let ended = state
            .transaction_ended(handle, StopReason::Remote, true)
            .unwrap();
        let events = [&started.payload, &updated.payload, &ended.payload];
        assert_eq!(
            events.map(|event| event["seqNo"].clone()),
            [json!(0), json!(1), json!(2)]
        );
        assert_eq!(
            events.map(|event| event["eventType"].clone()),
            [json!("Started"), json!("Updated"), json!("Ended")]
        );
        assert_eq!(
            events.map(|event| event.get("offline").cloned()),
            [None, Some(json!(true)), Some(json!(true))]
        );
        let id = started.payload["transactionInfo"]["transactionId"].clone();
        assert!(
            id.as_str()
                .is_some_and(|id| !id.is_empty() && id.len() <= 36)
        );
        assert!(
            events
                .iter()
                .all(|event| event["transactionInfo"]["transactionId"] == id)
        );
        assert_eq!(started.payload["evse"], json!({"id": 2, "connectorId": 1}));
        assert_eq!(
            started.payload["meterValue"][0]["sampledValue"][0]["context"],
            json!("Transaction.Begin")
        );
        assert_eq!(
            updated.payload["meterValue"][0]["sampledValue"][1]["measurand"],
            json!("Power.Active.Import")
        );
        assert_eq!(
            ended.payload["transactionInfo"]["stoppedReason"],
            json!("Remote")
        );
        assert_eq!(ended.payload["triggerReason"], json!("RemoteStop"));
        assert_eq!(
            ended.payload["meterValue"][0]["sampledValue"][0]["value"],
            json!(2)
        );
    }

    #[test]
    fn a_remote_start_carries_its_id_and_a_reservation() {
        let options = StartOptions {
            remote_start_id: Some(7),
            reservation_id: Some(3),
        };
        for version in [OcppVersion::V16, OcppVersion::V201] {
            let (mut state, _clock) = station(version);
            let (_, started) = state.transaction_started(1, "TAG", false, options).unwrap();
            assert_valid(version, &started);
            assert_eq!(started.payload["reservationId"], json!(3));
            if version == OcppVersion::V201 {
                assert_eq!(started.payload["triggerReason"], json!("RemoteStart"));
                assert_eq!(
                    started.payload["transactionInfo"]["remoteStartId"],
                    json!(7)
                );
            }
        }
    }
}
