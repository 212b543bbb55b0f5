//! The facts of a charging session, as the host hands them to a plugin.
//!
//! These mirror `gridlet:types/types@0.1.0` one to one (`session-facts`,
//! `meter-sample`, `measurand`) as plain serde-friendly Rust, so the same
//! values serve plugin authors, the host's API and the test kit's fixtures.

use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// Milliseconds since the Unix epoch, UTC. Always passed in by the host.
pub type TimestampMs = i64;

/// What a meter sample measured; values are normalised to the unit named on
/// each variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measurand {
    /// Cumulative imported active energy register, in Wh.
    EnergyImportRegister,
    /// Imported active power, in W.
    PowerImport,
    /// Imported current, in A.
    CurrentImport,
    /// Voltage, in V.
    Voltage,
    /// The vehicle's state of charge, in percent.
    StateOfCharge,
    /// Anything else, named as the station named it.
    Other(String),
}

/// One sampled value from a station's meter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterSample {
    /// When the station took the sample.
    pub timestamp_ms: TimestampMs,
    /// What was measured.
    pub measurand: Measurand,
    /// The phase, if the station named one ("L1", "L2-N", ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The value, in the measurand's unit.
    pub value: f64,
}

/// Everything known about one charging session. The whole input of a tariff:
/// the same facts give the same price.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionFacts {
    /// The host's identifier for the session (transaction).
    pub session_id: String,
    /// The charging station's identity.
    pub station_id: String,
    /// The site (location) of the station, if configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// The EVSE on the station (OCPP 2.0.1), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evse_id: Option<u32>,
    /// The connector (OCPP 1.6 connector, or the connector on the EVSE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<u32>,
    /// The ID token that authorised the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The group of that token (a fleet, a roaming partner), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_group: Option<String>,
    /// When the session started.
    pub started_at_ms: TimestampMs,
    /// When the session ended; `None` while it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at_ms: Option<TimestampMs>,
    /// When energy stopped flowing for good, if the station reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charging_ended_at_ms: Option<TimestampMs>,
    /// Energy register at the start, in Wh.
    pub meter_start_wh: i64,
    /// Energy register at the end, in Wh; `None` while the session runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_stop_wh: Option<i64>,
    /// Samples reported during the session, in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<MeterSample>,
    /// The currency the operator bills this session in, if known. A tariff
    /// prices in it or fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

impl SessionFacts {
    /// The latest energy register reading: the stop reading if the session
    /// ended, else the last energy sample, else the start reading.
    pub fn latest_meter_wh(&self) -> i64 {
        self.meter_stop_wh.unwrap_or_else(|| {
            self.samples
                .iter()
                .rev()
                .find(|s| s.measurand == Measurand::EnergyImportRegister && s.value.is_finite())
                .map(|s| s.value.round() as i64)
                .unwrap_or(self.meter_start_wh)
        })
    }

    /// Energy delivered so far in Wh (never negative).
    pub fn energy_wh(&self) -> i64 {
        (self.latest_meter_wh() - self.meter_start_wh).max(0)
    }

    /// When the session ended, or `now` if it still runs.
    pub fn end_or(&self, now_ms: TimestampMs) -> TimestampMs {
        self.ended_at_ms.unwrap_or(now_ms)
    }

    /// When energy stopped flowing: the reported time if there is one, else
    /// the first sample after which the energy register no longer rose,
    /// else the session's end. `None` while it runs and nothing says so.
    pub fn charging_ended_or_inferred(&self) -> Option<TimestampMs> {
        if let Some(at) = self.charging_ended_at_ms {
            return Some(at);
        }
        let end = self.ended_at_ms?;
        let energy: Vec<&MeterSample> = self
            .samples
            .iter()
            .filter(|s| s.measurand == Measurand::EnergyImportRegister && s.value.is_finite())
            .collect();
        let last_value = energy.last().map(|s| s.value)?;
        // The earliest sample already at the final reading.
        let first_at_final = energy
            .iter()
            .rev()
            .take_while(|s| s.value >= last_value)
            .last()
            .map(|s| s.timestamp_ms)?;
        Some(first_at_final.min(end))
    }
}
