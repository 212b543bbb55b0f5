//! What a simulated station says: the OCPP requests of boot, status,
//! heartbeat and a charging session (1.6 Start/MeterValues/Stop, 2.0.1
//! TransactionEvent Started/Updated/Ended), for either version, and the few
//! answers whose content matters (boot accepted, token accepted, the 1.6
//! transaction id).
//!
//! Requests are written from fixed templates with a handful of values filled
//! in (timestamps, register readings, ids), not built through a JSON tree:
//! the generator must stay much cheaper than the server it measures. The
//! templates are checked against the official schemas by this module's
//! tests for both versions, and at run time in `--verify all` mode.

use ocpp::OcppVersion;
use serde_json::Value;

/// One request to send: the action and its payload (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The OCPP action, e.g. `MeterValues` or `TransactionEvent`.
    pub action: &'static str,
    /// The payload, a JSON object.
    pub payload: String,
}

/// An answer that means the station cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The server did not accept the boot (unregistered or pending station).
    #[error("boot not accepted: {0}")]
    BootNotAccepted(String),
    /// The server refused the station's token.
    #[error("token not accepted: {0}")]
    TokenRefused(String),
    /// An answer lacks what the script needs (checked before use, never unwrapped).
    #[error("unexpected answer: {0}")]
    UnexpectedAnswer(String),
    /// A meter value or stop without a transaction.
    #[error("no transaction in progress")]
    NoTransaction,
}

/// The transaction a station is in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Transaction {
    /// 1.6: the id the CSMS gave in StartTransaction's answer.
    Csms(i64),
    /// 2.0.1: the id the station chose.
    Station(String),
}

/// One station's protocol state, enough to write its next request.
#[derive(Debug, Clone)]
pub struct StationScript {
    version: OcppVersion,
    station_id: String,
    token: String,
    transaction: Option<Transaction>,
    /// 2.0.1 `seqNo` of the next TransactionEvent.
    seq_no: u64,
    /// The energy register, in Wh; grows with every reading.
    register_wh: u64,
    /// The last timestamp written, so readings are strictly increasing even
    /// when a closed loop sends several in one millisecond.
    last_ms: i64,
    /// Transactions started, to give 2.0.1 transactions fresh ids.
    started: u64,
}

impl StationScript {
    /// A station `station_id` speaking `version`, charging with `token`.
    pub fn new(version: OcppVersion, station_id: impl Into<String>, token: impl Into<String>) -> Self {
        StationScript {
            version,
            station_id: station_id.into(),
            token: token.into(),
            transaction: None,
            seq_no: 0,
            register_wh: 1_000,
            last_ms: 0,
            started: 0,
        }
    }

    /// The version the station speaks.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// The station's id.
    pub fn station_id(&self) -> &str {
        &self.station_id
    }

    /// Whether a transaction is in progress.
    pub fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }

    fn timestamp(&mut self, now_ms: i64) -> String {
        self.last_ms = now_ms.max(self.last_ms + 1);
        ocpp::format_rfc3339_millis(self.last_ms)
    }

    /// BootNotification (reason PowerUp for 2.0.1).
    pub fn boot(&self) -> Request {
        let payload = match self.version {
            OcppVersion::V16 => {
                r#"{"chargePointVendor":"Gridlet","chargePointModel":"LoadGen","firmwareVersion":"1.0"}"#.to_owned()
            }
            OcppVersion::V201 => {
                r#"{"reason":"PowerUp","chargingStation":{"model":"LoadGen","vendorName":"Gridlet","firmwareVersion":"1.0"}}"#
                    .to_owned()
            }
        };
        Request { action: "BootNotification", payload }
    }

    /// Checks a BootNotification answer says Accepted.
    pub fn booted(&self, answer: &str) -> Result<(), ScriptError> {
        let value = parse(answer)?;
        match value.get("status").and_then(Value::as_str) {
            Some("Accepted") => Ok(()),
            Some(other) => Err(ScriptError::BootNotAccepted(other.to_owned())),
            None => Err(ScriptError::UnexpectedAnswer(format!("boot answer without status: {answer}"))),
        }
    }

    /// StatusNotification of connector 1: available, or in use (1.6
    /// `Charging`, 2.0.1 `Occupied`).
    pub fn status(&mut self, in_use: bool, now_ms: i64) -> Request {
        let timestamp = self.timestamp(now_ms);
        let status = match (self.version, in_use) {
            (_, false) => "Available",
            (OcppVersion::V16, true) => "Charging",
            (OcppVersion::V201, true) => "Occupied",
        };
        let payload = match self.version {
            OcppVersion::V16 => format!(
                r#"{{"connectorId":1,"errorCode":"NoError","status":"{status}","timestamp":"{timestamp}"}}"#
            ),
            OcppVersion::V201 => format!(
                r#"{{"timestamp":"{timestamp}","connectorStatus":"{status}","evseId":1,"connectorId":1}}"#
            ),
        };
        Request { action: "StatusNotification", payload }
    }

    /// Heartbeat.
    pub fn heartbeat(&self) -> Request {
        Request { action: "Heartbeat", payload: "{}".to_owned() }
    }

    /// Authorize of the station's token.
    pub fn authorize(&self) -> Request {
        let token = &self.token;
        let payload = match self.version {
            OcppVersion::V16 => format!(r#"{{"idTag":"{token}"}}"#),
            OcppVersion::V201 => format!(r#"{{"idToken":{{"idToken":"{token}","type":"ISO14443"}}}}"#),
        };
        Request { action: "Authorize", payload }
    }

    /// Starts a transaction on connector 1 (1.6 StartTransaction, 2.0.1
    /// TransactionEvent Started with a fresh station-chosen id).
    pub fn start(&mut self, now_ms: i64) -> Request {
        let timestamp = self.timestamp(now_ms);
        let (token, register) = (&self.token, self.register_wh);
        self.started += 1;
        match self.version {
            OcppVersion::V16 => Request {
                action: "StartTransaction",
                payload: format!(
                    r#"{{"connectorId":1,"idTag":"{token}","meterStart":{register},"timestamp":"{timestamp}"}}"#
                ),
            },
            OcppVersion::V201 => {
                // Unique across runs on the same data directory: the
                // millisecond of the start and a per-station counter.
                let tx = format!("{}-{}-{}", self.station_id, self.last_ms, self.started);
                self.seq_no = 0;
                let info = format!(r#"{{"transactionId":"{tx}","chargingState":"Charging"}}"#);
                let payload = v201_edge_event(
                    "Started",
                    "Authorized",
                    &info,
                    r#""evse":{"id":1,"connectorId":1},"#,
                    &timestamp,
                    self.seq_no,
                    token,
                    register,
                );
                self.seq_no += 1;
                self.transaction = Some(Transaction::Station(tx));
                Request { action: "TransactionEvent", payload }
            }
        }
    }

    /// Takes in the answer to [`StationScript::start`]: the token must be
    /// accepted; a 1.6 answer gives the transaction id.
    pub fn started(&mut self, answer: &str) -> Result<(), ScriptError> {
        let value = parse(answer)?;
        let info = match self.version {
            OcppVersion::V16 => value.get("idTagInfo"),
            OcppVersion::V201 => value.get("idTokenInfo"),
        };
        match info.and_then(|i| i.get("status")).and_then(Value::as_str) {
            Some("Accepted") => {}
            Some(other) => return Err(ScriptError::TokenRefused(other.to_owned())),
            None => return Err(ScriptError::UnexpectedAnswer(format!("start answer without a token status: {answer}"))),
        }
        if self.version == OcppVersion::V16 {
            let id = value
                .get("transactionId")
                .and_then(Value::as_i64)
                .ok_or_else(|| ScriptError::UnexpectedAnswer(format!("no transactionId: {answer}")))?;
            self.transaction = Some(Transaction::Csms(id));
        }
        Ok(())
    }

    /// A periodic meter reading of the transaction: energy register and
    /// power (1.6 MeterValues, 2.0.1 TransactionEvent Updated).
    pub fn meter_values(&mut self, now_ms: i64) -> Result<Request, ScriptError> {
        let timestamp = self.timestamp(now_ms);
        self.register_wh += 3;
        let register = self.register_wh;
        match self.transaction.as_ref().ok_or(ScriptError::NoTransaction)? {
            Transaction::Csms(id) => Ok(Request {
                action: "MeterValues",
                payload: format!(
                    concat!(
                        r#"{{"connectorId":1,"transactionId":{id},"meterValue":[{{"timestamp":"{ts}","sampledValue":["#,
                        r#"{{"value":"{register}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unit":"Wh"}},"#,
                        r#"{{"value":"11000","context":"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"}}]}}]}}"#
                    ),
                    id = id,
                    ts = timestamp,
                    register = register,
                ),
            }),
            Transaction::Station(tx) => {
                let payload = format!(
                    concat!(
                        r#"{{"eventType":"Updated","timestamp":"{ts}","triggerReason":"MeterValuePeriodic","seqNo":{seq},"#,
                        r#""transactionInfo":{{"transactionId":"{tx}"}},"meterValue":[{{"timestamp":"{ts}","sampledValue":["#,
                        r#"{{"value":{register},"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unitOfMeasure":{{"unit":"Wh"}}}},"#,
                        r#"{{"value":11000,"context":"Sample.Periodic","measurand":"Power.Active.Import","unitOfMeasure":{{"unit":"W"}}}}]}}]}}"#
                    ),
                    ts = timestamp,
                    seq = self.seq_no,
                    tx = tx,
                    register = register,
                );
                self.seq_no += 1;
                Ok(Request { action: "TransactionEvent", payload })
            }
        }
    }

    /// Stops the transaction (reason Local) with its final register reading.
    pub fn stop(&mut self, now_ms: i64) -> Result<Request, ScriptError> {
        let timestamp = self.timestamp(now_ms);
        let register = self.register_wh;
        let token = self.token.clone();
        let request = match self.transaction.take().ok_or(ScriptError::NoTransaction)? {
            Transaction::Csms(id) => Request {
                action: "StopTransaction",
                payload: format!(
                    r#"{{"transactionId":{id},"idTag":"{token}","meterStop":{register},"timestamp":"{timestamp}","reason":"Local"}}"#
                ),
            },
            Transaction::Station(tx) => {
                let info = format!(r#"{{"transactionId":"{tx}","stoppedReason":"Local"}}"#);
                let payload =
                    v201_edge_event("Ended", "StopAuthorized", &info, "", &timestamp, self.seq_no, &token, register);
                self.seq_no += 1;
                Request { action: "TransactionEvent", payload }
            }
        };
        Ok(request)
    }
}

/// A 2.0.1 TransactionEvent that starts or ends a transaction: the token,
/// `extra` fields (ending in a comma), and the register reading in the
/// context of the transaction's beginning or end.
#[allow(clippy::too_many_arguments)]
fn v201_edge_event(
    event_type: &str,
    trigger: &str,
    transaction_info: &str,
    extra: &str,
    timestamp: &str,
    seq_no: u64,
    token: &str,
    register_wh: u64,
) -> String {
    let context = if event_type == "Started" { "Transaction.Begin" } else { "Transaction.End" };
    format!(
        concat!(
            r#"{{"eventType":"{event_type}","timestamp":"{ts}","triggerReason":"{trigger}","seqNo":{seq},"#,
            r#""transactionInfo":{info},"idToken":{{"idToken":"{token}","type":"ISO14443"}},{extra}"#,
            r#""meterValue":[{{"timestamp":"{ts}","sampledValue":[{{"value":{register},"context":"{context}","#,
            r#""measurand":"Energy.Active.Import.Register","unitOfMeasure":{{"unit":"Wh"}}}}]}}]}}"#
        ),
        event_type = event_type,
        ts = timestamp,
        trigger = trigger,
        seq = seq_no,
        info = transaction_info,
        token = token,
        extra = extra,
        register = register_wh,
        context = context,
    )
}

fn parse(answer: &str) -> Result<Value, ScriptError> {
    serde_json::from_str(answer).map_err(|e| ScriptError::UnexpectedAnswer(format!("{e}: {answer}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocpp::{PayloadKind, validate};

    const T: i64 = 1_795_248_000_000;

    fn valid(version: OcppVersion, request: &Request) {
        let payload: Value = serde_json::from_str(&request.payload).unwrap();
        if let Err(violation) = validate(version, request.action, PayloadKind::Request, &payload) {
            panic!("{version} {} breaks its schema: {violation}\n{}", request.action, request.payload);
        }
    }

    #[test]
    fn every_request_fits_its_schema_in_both_versions() {
        for version in [OcppVersion::V16, OcppVersion::V201] {
            let mut script = StationScript::new(version, "LG-00001", "LG-00001");
            valid(version, &script.boot());
            valid(version, &script.status(false, T));
            valid(version, &script.heartbeat());
            valid(version, &script.authorize());
            let start = script.start(T);
            valid(version, &start);
            let answer = match version {
                OcppVersion::V16 => r#"{"idTagInfo":{"status":"Accepted"},"transactionId":17}"#,
                OcppVersion::V201 => r#"{"idTokenInfo":{"status":"Accepted"}}"#,
            };
            script.started(answer).unwrap();
            assert!(script.in_transaction());
            valid(version, &script.status(true, T));
            for _ in 0..3 {
                valid(version, &script.meter_values(T).unwrap());
            }
            valid(version, &script.stop(T).unwrap());
            assert!(!script.in_transaction());
            assert_eq!(script.meter_values(T), Err(ScriptError::NoTransaction));
        }
    }

    #[test]
    fn readings_are_strictly_increasing_and_ids_follow() {
        let mut script = StationScript::new(OcppVersion::V16, "A", "A");
        script.start(T);
        script.started(r#"{"idTagInfo":{"status":"Accepted"},"transactionId":42}"#).unwrap();
        let first = script.meter_values(T).unwrap().payload;
        let second = script.meter_values(T).unwrap().payload;
        assert!(first.contains(r#""transactionId":42"#) && first.contains("2026-11-21T08:00:00.001Z"));
        assert!(second.contains("2026-11-21T08:00:00.002Z"));
        assert!(second.contains(r#""value":"1006""#));

        let mut script = StationScript::new(OcppVersion::V201, "B", "B");
        let start = script.start(T).payload;
        assert!(start.contains(r#""seqNo":0"#));
        assert!(script.meter_values(T).unwrap().payload.contains(r#""seqNo":1"#));
        let again = script.start(T + 10).payload;
        assert_ne!(start, again, "a second transaction gets a fresh id");
    }

    #[test]
    fn answers_that_stop_a_station_are_reported() {
        let mut script = StationScript::new(OcppVersion::V16, "A", "A");
        assert_eq!(script.booted(r#"{"status":"Pending","interval":7,"currentTime":"x"}"#), Err(ScriptError::BootNotAccepted("Pending".into())));
        assert!(script.booted(r#"{"status":"Accepted"}"#).is_ok());
        assert!(matches!(script.booted("not json"), Err(ScriptError::UnexpectedAnswer(_))));
        assert_eq!(script.started(r#"{"idTagInfo":{"status":"Invalid"}}"#), Err(ScriptError::TokenRefused("Invalid".into())));
        assert!(matches!(script.started(r#"{"idTagInfo":{"status":"Accepted"}}"#), Err(ScriptError::UnexpectedAnswer(_))));
    }
}
