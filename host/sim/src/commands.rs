//! How the simulated station answers the CSMS's commands.
//!
//! A [`CommandHandler`] gets each CSMS CALL (already checked against its
//! schema) together with the station's [`StationState`], which it may read
//! and change, and returns a [`Reply`]: the answer, plus any CALLs the
//! station sends after it (the message a `TriggerMessage` asked for, the
//! `StatusNotification` after a `ChangeAvailability`, the `NotifyReport`
//! after a `GetBaseReport`).
//!
//! [`DefaultCommands`] answers the common commands as a well-behaved station
//! does, in each version's own shapes, and refuses the rest: an action the
//! version does not define never reaches it (the connection answers
//! `NotImplemented`), a defined one it does not simulate gets `NotSupported`.
//! It takes running costs, as a station with a display does: 2.0.1
//! `CostUpdated` is answered `{}`, and 1.6 DataTransfers of the Open Charge
//! Alliance's cost messages (vendor [`COST_VENDOR_ID`], `RunningCost` and
//! `FinalCost`) `Accepted`; other vendors' DataTransfers get
//! `UnknownVendorId`. To change one answer, write a handler that handles
//! that action and delegates the others to [`DefaultCommands`].

use std::sync::{Arc, Mutex, PoisonError};

use ocpp::{ErrorCode, OcppVersion};
use serde_json::{Value, json};

use crate::connection::{CallHandler, Reply};
use crate::messages::{Outgoing, text};
use crate::state::{ConnectorStatus, StationState, TransactionId};

/// Answers the CSMS's CALLs on behalf of a simulated station.
pub trait CommandHandler: Send + Sync {
    /// The answer to `action` with request `payload`, given (and possibly
    /// changing) the station's state.
    fn on_command(&self, station: &mut StationState, action: &str, payload: &Value) -> Reply;
}

/// The answers of a well-behaved station; see the module documentation.
///
/// Commands that would make a real station act on its own (RemoteStart,
/// RemoteStop, Reset) are accepted or rejected as the state says, and
/// recorded (see [`StationState::received_commands`]); acting on them is up
/// to whoever drives the [`crate::Station`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultCommands;

impl CommandHandler for DefaultCommands {
    fn on_command(&self, station: &mut StationState, action: &str, payload: &Value) -> Reply {
        match station.version() {
            OcppVersion::V16 => v16(station, action, payload),
            OcppVersion::V201 => v201(station, action, payload),
        }
    }
}

/// Connects a [`CommandHandler`] to a connection: locks the state, records
/// the command, and asks the handler.
pub(crate) struct StationCalls {
    pub(crate) state: Arc<Mutex<StationState>>,
    pub(crate) commands: Arc<dyn CommandHandler>,
}

impl CallHandler for StationCalls {
    fn on_call(&self, action: &str, payload: &Value) -> Reply {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.record_command(action, payload);
        self.commands.on_command(&mut state, action, payload)
    }
}

/// The vendor id of the Open Charge Alliance's 1.6 cost messages
/// (DataTransfer `RunningCost` and `FinalCost`).
pub const COST_VENDOR_ID: &str = "org.openchargealliance.costmsg";

/// A 1.6 DataTransfer: the OCA cost messages are accepted, other vendors unknown.
fn data_transfer_16(payload: &Value) -> Reply {
    let cost_message = matches!(payload.get("messageId").and_then(Value::as_str), Some("RunningCost" | "FinalCost"));
    if payload.get("vendorId").and_then(Value::as_str) == Some(COST_VENDOR_ID) && cost_message {
        status("Accepted")
    } else {
        status("UnknownVendorId")
    }
}

fn status(status: &str) -> Reply {
    Reply::result(json!({"status": status}))
}

fn not_supported(action: &str) -> Reply {
    Reply::error(
        ErrorCode::NotSupported,
        format!("the simulated station does not support {action}"),
    )
}

fn follow(reply: Reply, outgoing: Outgoing) -> Reply {
    reply.then(outgoing.action, outgoing.payload)
}

fn int(payload: &Value, key: &str) -> Option<i64> {
    payload.get(key).and_then(Value::as_i64)
}

/// The connectors a command addresses: all for `None` or 0, else the one.
fn addressed(station: &StationState, connector: Option<i64>) -> Option<Vec<u32>> {
    match connector {
        None | Some(0) => Some(station.connectors().iter().map(|slot| slot.id).collect()),
        Some(id) => {
            let id = u32::try_from(id).ok()?;
            station.connector(id).map(|_| vec![id])
        }
    }
}

/// ChangeAvailability for `connectors`: `Scheduled` if one of them runs a
/// transaction (nothing changes then), else `Accepted` with a
/// StatusNotification for each connector whose availability changed.
fn change_availability(station: &mut StationState, connectors: &[u32], operative: bool) -> Reply {
    let busy = connectors.iter().any(|id| {
        station
            .connector(*id)
            .is_some_and(|slot| slot.transaction.is_some())
    });
    if busy {
        return status("Scheduled");
    }
    let mut reply = status("Accepted");
    for id in connectors {
        let Some(slot) = station.connector_mut(*id) else {
            continue;
        };
        if slot.operative == operative {
            continue;
        }
        slot.operative = operative;
        let new_status = if operative {
            ConnectorStatus::Available
        } else {
            ConnectorStatus::Unavailable
        };
        if let Ok(outgoing) = station.status_notification(*id, new_status) {
            reply = follow(reply, outgoing);
        }
    }
    reply
}

/// TriggerMessage for the messages both versions trigger alike; `None` for
/// the others.
fn trigger_common(
    station: &mut StationState,
    requested: &str,
    connectors: &[u32],
) -> Option<Reply> {
    let reply = status("Accepted");
    Some(match requested {
        "Heartbeat" => follow(reply, station.heartbeat()),
        "StatusNotification" => connectors.iter().fold(reply, |reply, id| {
            let current = station.connector(*id).map(|slot| slot.status);
            match current.and_then(|current| station.status_notification(*id, current).ok()) {
                Some(outgoing) => follow(reply, outgoing),
                None => reply,
            }
        }),
        "MeterValues" => connectors.iter().fold(reply, |reply, id| {
            match station.connector_meter_values(*id, "Trigger") {
                Ok(outgoing) => follow(reply, outgoing),
                Err(_) => reply,
            }
        }),
        "FirmwareStatusNotification" => {
            reply.then("FirmwareStatusNotification", json!({"status": "Idle"}))
        }
        _ => return None,
    })
}

/// ReserveNow of reservation `id` for `connector` (`None`: any connector):
/// `Accepted` (and, for a specific connector, a StatusNotification
/// `Reserved`) when it can hold one, else `Occupied`, `Unavailable`,
/// `Faulted` or `Rejected`, as the version's ReserveNowStatus says. A
/// reservation with the id of one the station holds replaces it.
fn reserve_now(station: &mut StationState, id: i64, connector: Option<u32>) -> Reply {
    let replaced = station.reservations.remove(&id);
    let free = |station: &StationState, slot: &crate::state::Connector| {
        slot.operative
            && slot.transaction.is_none()
            && slot.status != ConnectorStatus::Faulted
            && !station
                .reservations
                .values()
                .any(|held| *held == Some(slot.id))
    };
    let outcome = match connector {
        None => {
            if station.connectors().iter().any(|slot| free(station, slot)) {
                "Accepted"
            } else {
                "Occupied"
            }
        }
        Some(id) => match station.connector(id) {
            None => "Rejected",
            Some(slot) if !slot.operative => "Unavailable",
            Some(slot) if slot.status == ConnectorStatus::Faulted => "Faulted",
            Some(slot) if !free(station, slot) => "Occupied",
            Some(_) => "Accepted",
        },
    };
    if outcome != "Accepted" {
        if let Some(held) = replaced {
            station.reservations.insert(id, held);
        }
        return status(outcome);
    }
    station.reservations.insert(id, connector);
    let mut reply = status("Accepted");
    if let Some(connector) = connector
        && let Ok(outgoing) = station.status_notification(connector, ConnectorStatus::Reserved)
    {
        reply = follow(reply, outgoing);
    }
    reply
}

/// CancelReservation `id`: `Accepted` (and the connector it held back to
/// `Available`) if the station holds it, else `Rejected`.
fn cancel_reservation(station: &mut StationState, id: Option<i64>) -> Reply {
    let Some(held) = id.and_then(|id| station.reservations.remove(&id)) else {
        return status("Rejected");
    };
    let mut reply = status("Accepted");
    if let Some(connector) = held
        && station.connector(connector).is_some_and(|slot| {
            slot.status == ConnectorStatus::Reserved && slot.transaction.is_none()
        })
        && let Ok(outgoing) = station.status_notification(connector, ConnectorStatus::Available)
    {
        reply = follow(reply, outgoing);
    }
    reply
}

fn v16(station: &mut StationState, action: &str, payload: &Value) -> Reply {
    match action {
        "Reset" => {
            station.reset_requested = Some(text(payload, "type"));
            status("Accepted")
        }
        "ChangeAvailability" => match addressed(station, int(payload, "connectorId")) {
            Some(connectors) => {
                let operative = text(payload, "type") == "Operative";
                change_availability(station, &connectors, operative)
            }
            None => status("Rejected"),
        },
        "ChangeConfiguration" => {
            let key = text(payload, "key");
            let value = text(payload, "value");
            let outcome = match station.setting(None, &key) {
                None => "NotSupported",
                Some(setting) if setting.readonly => "Rejected",
                Some(setting) if setting.integer && value.parse::<i64>().is_err() => "Rejected",
                Some(_) => "Accepted",
            };
            if outcome == "Accepted" {
                station.set_setting(None, &key, value);
            }
            status(outcome)
        }
        "GetConfiguration" => {
            let asked: Vec<String> = payload
                .get("key")
                .and_then(Value::as_array)
                .map(|keys| {
                    keys.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let (known, unknown): (Vec<_>, Vec<_>) = if asked.is_empty() {
                (station.settings().iter().collect(), Vec::new())
            } else {
                let known = asked
                    .iter()
                    .filter_map(|key| station.setting(None, key))
                    .collect();
                let unknown = asked
                    .into_iter()
                    .filter(|key| station.setting(None, key).is_none())
                    .collect();
                (known, unknown)
            };
            let keys: Vec<Value> = known
                .into_iter()
                .map(|setting| json!({"key": setting.name, "readonly": setting.readonly, "value": setting.value}))
                .collect();
            let mut answer = json!({"configurationKey": keys});
            if !unknown.is_empty() {
                answer["unknownKey"] = json!(unknown);
            }
            Reply::result(answer)
        }
        "ClearCache" => status("Accepted"),
        "DataTransfer" => data_transfer_16(payload),
        "RemoteStartTransaction" => {
            let free = match int(payload, "connectorId") {
                Some(id) => u32::try_from(id)
                    .ok()
                    .and_then(|id| station.connector(id))
                    .is_some_and(|slot| slot.operative && slot.transaction.is_none()),
                None => station
                    .connectors()
                    .iter()
                    .any(|slot| slot.operative && slot.transaction.is_none()),
            };
            status(if free { "Accepted" } else { "Rejected" })
        }
        "RemoteStopTransaction" => {
            let running = int(payload, "transactionId").is_some_and(|id| {
                station
                    .transaction_by_id(&TransactionId::Csms(id))
                    .is_some()
            });
            status(if running { "Accepted" } else { "Rejected" })
        }
        "UnlockConnector" => {
            let known = int(payload, "connectorId")
                .and_then(|id| u32::try_from(id).ok())
                .is_some_and(|id| station.connector(id).is_some());
            status(if known { "Unlocked" } else { "UnlockFailed" })
        }
        "TriggerMessage" => {
            let Some(connectors) = addressed(station, int(payload, "connectorId")) else {
                return status("Rejected");
            };
            let requested = text(payload, "requestedMessage");
            match requested.as_str() {
                "BootNotification" => {
                    follow(status("Accepted"), station.boot_notification("Triggered"))
                }
                "DiagnosticsStatusNotification" => status("Accepted")
                    .then("DiagnosticsStatusNotification", json!({"status": "Idle"})),
                other => trigger_common(station, other, &connectors)
                    .unwrap_or_else(|| status("NotImplemented")),
            }
        }
        "ReserveNow" => {
            let id = int(payload, "reservationId").unwrap_or_default();
            match int(payload, "connectorId") {
                // ReserveConnectorZeroSupported is not offered.
                Some(0) | None => status("Rejected"),
                Some(connector) => match u32::try_from(connector) {
                    Ok(connector) => reserve_now(station, id, Some(connector)),
                    Err(_) => status("Rejected"),
                },
            }
        }
        "CancelReservation" => cancel_reservation(station, int(payload, "reservationId")),
        "GetLocalListVersion" => Reply::result(json!({"listVersion": station.local_list_version})),
        "SendLocalList" => {
            station.local_list_version =
                int(payload, "listVersion").unwrap_or(station.local_list_version);
            status("Accepted")
        }
        // No diagnostics file to upload; firmware updates are acknowledged.
        "GetDiagnostics" | "UpdateFirmware" => Reply::result(json!({})),
        other => not_supported(other),
    }
}

fn v201(station: &mut StationState, action: &str, payload: &Value) -> Reply {
    match action {
        "Reset" => {
            if payload.get("evseId").is_some() {
                return status("Rejected");
            }
            let kind = text(payload, "type");
            let busy = station.active_transactions().next().is_some();
            station.reset_requested = Some(kind.clone());
            status(if busy && kind == "OnIdle" {
                "Scheduled"
            } else {
                "Accepted"
            })
        }
        "ChangeAvailability" => {
            let evse = payload.get("evse").and_then(|evse| int(evse, "id"));
            match addressed(station, evse) {
                Some(connectors) => {
                    let operative = text(payload, "operationalStatus") == "Operative";
                    change_availability(station, &connectors, operative)
                }
                None => status("Rejected"),
            }
        }
        "GetVariables" => {
            let asked = payload
                .get("getVariableData")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let results: Vec<Value> = asked
                .iter()
                .map(|data| get_variable(station, data))
                .collect();
            Reply::result(json!({"getVariableResult": results}))
        }
        "SetVariables" => {
            let asked = payload
                .get("setVariableData")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let results: Vec<Value> = asked
                .iter()
                .map(|data| set_variable(station, data))
                .collect();
            Reply::result(json!({"setVariableResult": results}))
        }
        "GetBaseReport" => {
            let request_id = int(payload, "requestId").unwrap_or(0);
            follow(status("Accepted"), station.notify_report(request_id))
        }
        "ClearCache" => status("Accepted"),
        "DataTransfer" => status("UnknownVendorId"),
        "CostUpdated" => Reply::result(json!({})),
        "RequestStartTransaction" => {
            let free =
                |slot: &crate::state::Connector| slot.operative && slot.transaction.is_none();
            let accepted = match int(payload, "evseId") {
                Some(id) => u32::try_from(id)
                    .ok()
                    .and_then(|id| station.connector(id))
                    .is_some_and(free),
                None => station.connectors().iter().any(free),
            };
            status(if accepted { "Accepted" } else { "Rejected" })
        }
        "RequestStopTransaction" => {
            let id = TransactionId::Station(text(payload, "transactionId"));
            status(if station.transaction_by_id(&id).is_some() {
                "Accepted"
            } else {
                "Rejected"
            })
        }
        "GetTransactionStatus" => {
            let mut answer = json!({"messagesInQueue": false});
            if payload.get("transactionId").is_some() {
                let id = TransactionId::Station(text(payload, "transactionId"));
                answer["ongoingIndicator"] = json!(station.transaction_by_id(&id).is_some());
            }
            Reply::result(answer)
        }
        "UnlockConnector" => {
            let slot = int(payload, "evseId")
                .and_then(|id| u32::try_from(id).ok())
                .and_then(|id| station.connector(id));
            let outcome = match slot {
                None => "UnknownConnector",
                Some(_) if int(payload, "connectorId") != Some(1) => "UnknownConnector",
                Some(slot) if slot.transaction.is_some() => "OngoingAuthorizedTransaction",
                Some(_) => "Unlocked",
            };
            status(outcome)
        }
        "TriggerMessage" => {
            let evse = payload.get("evse").and_then(|evse| int(evse, "id"));
            let Some(connectors) = addressed(station, evse) else {
                return status("Rejected");
            };
            let requested = text(payload, "requestedMessage");
            match requested.as_str() {
                // F06.FR.17: no BootNotification on request once accepted.
                "BootNotification" if station.boot_status() == Some("Accepted") => {
                    status("Rejected")
                }
                "BootNotification" => {
                    follow(status("Accepted"), station.boot_notification("Triggered"))
                }
                "LogStatusNotification" => {
                    status("Accepted").then("LogStatusNotification", json!({"status": "Idle"}))
                }
                "TransactionEvent" => {
                    let running: Vec<_> = connectors
                        .iter()
                        .filter_map(|id| station.connector(*id).and_then(|slot| slot.transaction))
                        .collect();
                    if running.is_empty() {
                        return status("Rejected");
                    }
                    running
                        .into_iter()
                        .fold(status("Accepted"), |reply, handle| {
                            match station.transaction_updated(handle, false, "Trigger") {
                                Ok(outgoing) => follow(reply, outgoing),
                                Err(_) => reply,
                            }
                        })
                }
                other => trigger_common(station, other, &connectors)
                    .unwrap_or_else(|| status("NotImplemented")),
            }
        }
        "ReserveNow" => {
            let id = int(payload, "id").unwrap_or_default();
            match int(payload, "evseId").map(u32::try_from) {
                None => reserve_now(station, id, None),
                Some(Ok(evse)) => reserve_now(station, id, Some(evse)),
                Some(Err(_)) => status("Rejected"),
            }
        }
        "CancelReservation" => cancel_reservation(station, int(payload, "reservationId")),
        "GetLocalListVersion" => {
            Reply::result(json!({"versionNumber": station.local_list_version}))
        }
        "SendLocalList" => {
            station.local_list_version =
                int(payload, "versionNumber").unwrap_or(station.local_list_version);
            status("Accepted")
        }
        // Core commands the simulator has nothing behind: refused in the
        // answer's own terms rather than with a CALLERROR.
        "SetNetworkProfile"
        | "GetLog"
        | "UpdateFirmware"
        | "CustomerInformation"
        | "InstallCertificate" => status("Rejected"),
        "GetInstalledCertificateIds" | "DeleteCertificate" => status("NotFound"),
        other => not_supported(other),
    }
}

/// The setting a 2.0.1 `component`/`variable` pair names, or the status
/// saying which of the two is unknown.
fn find_variable<'a>(
    station: &'a StationState,
    data: &Value,
) -> Result<&'a crate::state::Setting, &'static str> {
    let component = data
        .get("component")
        .map(|component| text(component, "name"))
        .unwrap_or_default();
    let variable = data
        .get("variable")
        .map(|variable| text(variable, "name"))
        .unwrap_or_default();
    if !station
        .settings()
        .iter()
        .any(|setting| setting.component.as_deref() == Some(component.as_str()))
    {
        return Err("UnknownComponent");
    }
    station
        .setting(Some(&component), &variable)
        .ok_or("UnknownVariable")
}

fn actual_only(data: &Value) -> bool {
    data.get("attributeType")
        .and_then(Value::as_str)
        .is_none_or(|kind| kind == "Actual")
}

fn get_variable(station: &StationState, data: &Value) -> Value {
    let mut result = json!({
        "component": data.get("component").cloned().unwrap_or(Value::Null),
        "variable": data.get("variable").cloned().unwrap_or(Value::Null),
    });
    let status = match find_variable(station, data) {
        Err(status) => status,
        Ok(_) if !actual_only(data) => "NotSupportedAttributeType",
        Ok(setting) => {
            result["attributeValue"] = json!(setting.value);
            "Accepted"
        }
    };
    result["attributeStatus"] = json!(status);
    result
}

fn set_variable(station: &mut StationState, data: &Value) -> Value {
    let value = text(data, "attributeValue");
    let status = match find_variable(station, data) {
        Err(status) => status,
        Ok(_) if !actual_only(data) => "NotSupportedAttributeType",
        Ok(setting) if setting.readonly => "Rejected",
        Ok(setting) if setting.integer && value.parse::<i64>().is_err() => "Rejected",
        Ok(setting) => {
            let (component, name) = (setting.component.clone(), setting.name.clone());
            station.set_setting(component.as_deref(), &name, value);
            "Accepted"
        }
    };
    json!({
        "attributeStatus": status,
        "component": data.get("component").cloned().unwrap_or(Value::Null),
        "variable": data.get("variable").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use ocpp::PayloadKind;

    use super::*;
    use crate::clock::ManualClock;

    fn station(version: OcppVersion) -> StationState {
        StationState::new(
            version,
            "CP1".to_owned(),
            Arc::new(ManualClock::new(1_763_719_200_000)),
            2,
            11_000,
        )
    }

    /// Sends `request` to the default handler and checks the answer and
    /// every follow-up against their schemas.
    fn ask(state: &mut StationState, action: &str, request: Value) -> Reply {
        let version = state.version();
        ocpp::validate(version, action, PayloadKind::Request, &request).unwrap();
        let reply = DefaultCommands.on_command(state, action, &request);
        if let Ok(answer) = &reply.outcome
            && let Err(violation) = ocpp::validate(version, action, PayloadKind::Response, answer)
        {
            panic!("{version} {action} answer {answer}: {violation}");
        }
        for follow_up in &reply.follow_ups {
            if let Err(violation) = ocpp::validate(
                version,
                &follow_up.action,
                PayloadKind::Request,
                &follow_up.payload,
            ) {
                panic!("{version} {action} follow-up {follow_up:?}: {violation}");
            }
        }
        reply
    }

    #[test]
    fn running_costs_are_taken() {
        let mut state = station(OcppVersion::V201);
        let reply = ask(&mut state, "CostUpdated", json!({"totalCost": 1.25, "transactionId": "tx-1"}));
        assert_eq!(reply.outcome.as_ref().ok(), Some(&json!({})));
    }

    fn answer_status(reply: &Reply) -> String {
        reply
            .outcome
            .as_ref()
            .map(|answer| text(answer, "status"))
            .unwrap_or_default()
    }

    fn follow_up_actions(reply: &Reply) -> Vec<&str> {
        reply
            .follow_ups
            .iter()
            .map(|follow_up| follow_up.action.as_str())
            .collect()
    }

    #[test]
    fn common_1_6_commands_get_spec_shaped_answers() {
        let mut state = station(OcppVersion::V16);
        let cases: Vec<(&str, Value, &str, Vec<&str>)> = vec![
            ("Reset", json!({"type": "Soft"}), "Accepted", vec![]),
            (
                "ChangeAvailability",
                json!({"connectorId": 0, "type": "Inoperative"}),
                "Accepted",
                vec!["StatusNotification", "StatusNotification"],
            ),
            (
                "ChangeAvailability",
                json!({"connectorId": 9, "type": "Operative"}),
                "Rejected",
                vec![],
            ),
            (
                "ChangeConfiguration",
                json!({"key": "HeartbeatInterval", "value": "60"}),
                "Accepted",
                vec![],
            ),
            (
                "ChangeConfiguration",
                json!({"key": "HeartbeatInterval", "value": "soon"}),
                "Rejected",
                vec![],
            ),
            (
                "ChangeConfiguration",
                json!({"key": "NumberOfConnectors", "value": "5"}),
                "Rejected",
                vec![],
            ),
            (
                "ChangeConfiguration",
                json!({"key": "NoSuchKey", "value": "1"}),
                "NotSupported",
                vec![],
            ),
            ("ClearCache", json!({}), "Accepted", vec![]),
            (
                "DataTransfer",
                json!({"vendorId": "acme"}),
                "UnknownVendorId",
                vec![],
            ),
            (
                "DataTransfer",
                json!({"vendorId": COST_VENDOR_ID, "messageId": "RunningCost", "data": "{}"}),
                "Accepted",
                vec![],
            ),
            (
                "DataTransfer",
                json!({"vendorId": COST_VENDOR_ID, "messageId": "FinalCost", "data": "{}"}),
                "Accepted",
                vec![],
            ),
            (
                "RemoteStartTransaction",
                json!({"idTag": "T", "connectorId": 1}),
                "Rejected",
                vec![],
            ),
            (
                "RemoteStopTransaction",
                json!({"transactionId": 5}),
                "Rejected",
                vec![],
            ),
            (
                "UnlockConnector",
                json!({"connectorId": 2}),
                "Unlocked",
                vec![],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "StatusNotification"}),
                "Accepted",
                vec!["StatusNotification", "StatusNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "MeterValues", "connectorId": 1}),
                "Accepted",
                vec!["MeterValues"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "Heartbeat"}),
                "Accepted",
                vec!["Heartbeat"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "BootNotification"}),
                "Accepted",
                vec!["BootNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "DiagnosticsStatusNotification"}),
                "Accepted",
                vec!["DiagnosticsStatusNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "FirmwareStatusNotification"}),
                "Accepted",
                vec!["FirmwareStatusNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "Heartbeat", "connectorId": 7}),
                "Rejected",
                vec![],
            ),
            (
                "SendLocalList",
                json!({"listVersion": 4, "updateType": "Full"}),
                "Accepted",
                vec![],
            ),
        ];
        for (action, request, expected, follow_ups) in cases {
            let reply = ask(&mut state, action, request.clone());
            assert_eq!(answer_status(&reply), expected, "{action} {request}");
            assert_eq!(follow_up_actions(&reply), follow_ups, "{action} {request}");
        }
        assert_eq!(state.reset_requested(), Some("Soft"));
        assert_eq!(state.heartbeat_interval_s(), 60);
        assert!(
            state
                .connectors()
                .iter()
                .all(|slot| !slot.operative && slot.status == ConnectorStatus::Unavailable)
        );
        assert_eq!(
            ask(&mut state, "GetLocalListVersion", json!({})).outcome,
            Ok(json!({"listVersion": 4}))
        );
        let config = ask(
            &mut state,
            "GetConfiguration",
            json!({"key": ["HeartbeatInterval", "Nope"]}),
        );
        assert_eq!(
            config.outcome,
            Ok(
                json!({"configurationKey": [{"key": "HeartbeatInterval", "readonly": false, "value": "60"}], "unknownKey": ["Nope"]})
            )
        );
        let everything = ask(&mut state, "GetConfiguration", json!({}));
        let listed = everything.outcome.unwrap()["configurationKey"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(listed, state.settings().len());
        assert!(
            ask(
                &mut state,
                "GetCompositeSchedule",
                json!({"connectorId": 1, "duration": 60})
            )
            .outcome
            .is_err()
        );
    }

    #[test]
    fn remote_commands_follow_the_transactions() {
        let mut state = station(OcppVersion::V16);
        let handle = state.open_transaction(1, "T").unwrap();
        state.on_transaction_answer(
            handle,
            "StartTransaction",
            &json!({"transactionId": 5, "idTagInfo": {"status": "Accepted"}}),
        );
        assert_eq!(
            answer_status(&ask(
                &mut state,
                "RemoteStopTransaction",
                json!({"transactionId": 5})
            )),
            "Accepted"
        );
        assert_eq!(
            answer_status(&ask(
                &mut state,
                "RemoteStartTransaction",
                json!({"idTag": "T", "connectorId": 1})
            )),
            "Rejected"
        );
        assert_eq!(
            answer_status(&ask(
                &mut state,
                "RemoteStartTransaction",
                json!({"idTag": "T"})
            )),
            "Accepted"
        );
        assert_eq!(
            answer_status(&ask(
                &mut state,
                "ChangeAvailability",
                json!({"connectorId": 1, "type": "Inoperative"})
            )),
            "Scheduled"
        );

        let mut state = station(OcppVersion::V201);
        let handle = state.open_transaction(2, "T").unwrap();
        let id = state
            .transaction(handle)
            .unwrap()
            .id
            .clone()
            .unwrap()
            .to_string();
        assert_eq!(
            answer_status(&ask(
                &mut state,
                "RequestStopTransaction",
                json!({"transactionId": id})
            )),
            "Accepted"
        );
        assert_eq!(
            answer_status(&ask(
                &mut state,
                "RequestStopTransaction",
                json!({"transactionId": "other"})
            )),
            "Rejected"
        );
        let request = json!({"idToken": {"idToken": "T", "type": "ISO14443"}, "remoteStartId": 1, "evseId": 2});
        assert_eq!(
            answer_status(&ask(&mut state, "RequestStartTransaction", request)),
            "Rejected"
        );
        let triggered = ask(
            &mut state,
            "TriggerMessage",
            json!({"requestedMessage": "TransactionEvent", "evse": {"id": 2}}),
        );
        assert_eq!(follow_up_actions(&triggered), ["TransactionEvent"]);
        assert_eq!(
            triggered.follow_ups[0].payload["triggerReason"],
            json!("Trigger")
        );
        let status = ask(
            &mut state,
            "GetTransactionStatus",
            json!({"transactionId": id}),
        );
        assert_eq!(
            status.outcome,
            Ok(json!({"messagesInQueue": false, "ongoingIndicator": true}))
        );
        assert_eq!(
            answer_status(&ask(&mut state, "Reset", json!({"type": "OnIdle"}))),
            "Scheduled"
        );
    }

    #[test]
    fn common_2_0_1_commands_get_spec_shaped_answers() {
        let mut state = station(OcppVersion::V201);
        let cases: Vec<(&str, Value, &str, Vec<&str>)> = vec![
            ("Reset", json!({"type": "Immediate"}), "Accepted", vec![]),
            (
                "ChangeAvailability",
                json!({"operationalStatus": "Inoperative", "evse": {"id": 1}}),
                "Accepted",
                vec!["StatusNotification"],
            ),
            (
                "ChangeAvailability",
                json!({"operationalStatus": "Inoperative", "evse": {"id": 1}}),
                "Accepted",
                vec![],
            ),
            (
                "GetBaseReport",
                json!({"requestId": 7, "reportBase": "FullInventory"}),
                "Accepted",
                vec!["NotifyReport"],
            ),
            ("ClearCache", json!({}), "Accepted", vec![]),
            (
                "DataTransfer",
                json!({"vendorId": "acme"}),
                "UnknownVendorId",
                vec![],
            ),
            (
                "UnlockConnector",
                json!({"evseId": 1, "connectorId": 1}),
                "Unlocked",
                vec![],
            ),
            (
                "UnlockConnector",
                json!({"evseId": 4, "connectorId": 1}),
                "UnknownConnector",
                vec![],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "BootNotification"}),
                "Accepted",
                vec!["BootNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}}),
                "Accepted",
                vec!["StatusNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "MeterValues"}),
                "Accepted",
                vec!["MeterValues", "MeterValues"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "LogStatusNotification"}),
                "Accepted",
                vec!["LogStatusNotification"],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "TransactionEvent"}),
                "Rejected",
                vec![],
            ),
            (
                "TriggerMessage",
                json!({"requestedMessage": "SignV2GCertificate"}),
                "NotImplemented",
                vec![],
            ),
            (
                "SendLocalList",
                json!({"versionNumber": 3, "updateType": "Full"}),
                "Accepted",
                vec![],
            ),
            (
                "GetLog",
                json!({"log": {"remoteLocation": "ftp://x/y"}, "logType": "DiagnosticsLog", "requestId": 1}),
                "Rejected",
                vec![],
            ),
        ];
        for (action, request, expected, follow_ups) in cases {
            let reply = ask(&mut state, action, request.clone());
            assert_eq!(answer_status(&reply), expected, "{action} {request}");
            assert_eq!(follow_up_actions(&reply), follow_ups, "{action} {request}");
        }
        state.boot_status = Some("Accepted".to_owned());
        let again = ask(
            &mut state,
            "TriggerMessage",
            json!({"requestedMessage": "BootNotification"}),
        );
        assert_eq!(answer_status(&again), "Rejected");
        assert_eq!(
            ask(&mut state, "GetLocalListVersion", json!({})).outcome,
            Ok(json!({"versionNumber": 3}))
        );
    }

    #[test]
    fn variables_are_read_and_written_by_component() {
        let mut state = station(OcppVersion::V201);
        let set = ask(
            &mut state,
            "SetVariables",
            json!({"setVariableData": [
                {"attributeValue": "30", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"attributeValue": "x", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"attributeValue": "2", "component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}},
                {"attributeValue": "1", "component": {"name": "Nope"}, "variable": {"name": "HeartbeatInterval"}},
                {"attributeValue": "1", "component": {"name": "TxCtrlr"}, "variable": {"name": "Nope"}},
            ]}),
        );
        let statuses: Vec<String> = set.outcome.unwrap()["setVariableResult"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| text(result, "attributeStatus"))
            .collect();
        assert_eq!(
            statuses,
            [
                "Accepted",
                "Rejected",
                "Rejected",
                "UnknownComponent",
                "UnknownVariable"
            ]
        );
        assert_eq!(state.heartbeat_interval_s(), 30);
        let got = ask(
            &mut state,
            "GetVariables",
            json!({"getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeType": "MaxSet"},
            ]}),
        );
        assert_eq!(
            got.outcome,
            Ok(json!({"getVariableResult": [
                {"attributeStatus": "Accepted", "attributeValue": "30", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"attributeStatus": "NotSupportedAttributeType", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            ]}))
        );
    }

    #[test]
    fn reservations_hold_a_connector_until_used_or_cancelled() {
        for version in [OcppVersion::V16, OcppVersion::V201] {
            let mut state = station(version);
            let at = "2027-01-01T00:00:00.000Z";
            let reserve = |id: i64, connector: Option<u32>| match version {
                OcppVersion::V16 => {
                    json!({"connectorId": connector.unwrap_or(0), "expiryDate": at, "idTag": "T", "reservationId": id})
                }
                OcppVersion::V201 => {
                    let mut request = json!({"id": id, "expiryDateTime": at, "idToken": {"idToken": "T", "type": "ISO14443"}});
                    if let Some(evse) = connector {
                        request["evseId"] = json!(evse);
                    }
                    request
                }
            };
            let accepted = ask(&mut state, "ReserveNow", reserve(1, Some(1)));
            assert_eq!(answer_status(&accepted), "Accepted", "{version}");
            assert_eq!(follow_up_actions(&accepted), ["StatusNotification"]);
            assert_eq!(
                state.connector(1).unwrap().status,
                ConnectorStatus::Reserved
            );
            assert_eq!(
                answer_status(&ask(&mut state, "ReserveNow", reserve(2, Some(1)))),
                "Occupied"
            );
            assert_eq!(
                answer_status(&ask(&mut state, "ReserveNow", reserve(3, Some(9)))),
                "Rejected"
            );
            let any = if version == OcppVersion::V16 {
                "Rejected"
            } else {
                "Accepted"
            };
            assert_eq!(
                answer_status(&ask(&mut state, "ReserveNow", reserve(4, None))),
                any,
                "{version}"
            );
            let cancelled = ask(&mut state, "CancelReservation", json!({"reservationId": 1}));
            assert_eq!(answer_status(&cancelled), "Accepted");
            assert_eq!(follow_up_actions(&cancelled), ["StatusNotification"]);
            assert_eq!(
                state.connector(1).unwrap().status,
                ConnectorStatus::Available
            );
            assert_eq!(
                answer_status(&ask(
                    &mut state,
                    "CancelReservation",
                    json!({"reservationId": 1})
                )),
                "Rejected"
            );
            assert_eq!(
                answer_status(&ask(&mut state, "ReserveNow", reserve(5, Some(2)))),
                "Accepted"
            );
            state.open_transaction(2, "T").unwrap();
            assert!(
                !state.reservations().contains_key(&5),
                "the transaction used the reservation"
            );
        }
    }
}
