//! Availability: when a station was connected, and what its connectors
//! were doing meanwhile, over a time range.
//!
//! A station is online from a `Connected` entry of its log until the next
//! `Disconnected`, or until the `last_heard` of a `WentOffline` entry (it was
//! silent from then on). Connector time is counted only while the station is
//! online: what a connector does while its station cannot say is unknown.

use std::collections::BTreeMap;

use crate::connector::{ConnectorState, ConnectorStatus, EvseConnector};
use crate::event::{StationEvent, StationEventKind};
use crate::time::Timestamp;

/// One stretch of time a station was connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPeriod {
    /// When it connected.
    pub start: Timestamp,
    /// When it disconnected or fell silent; `None` while it lasts.
    pub end: Option<Timestamp>,
    /// Why it ended.
    pub end_reason: Option<String>,
}

/// The connection periods in a station's log (oldest first).
pub fn connection_periods(log: &[StationEvent]) -> Vec<ConnectionPeriod> {
    let mut periods: Vec<ConnectionPeriod> = Vec::new();
    for event in log {
        let open = periods.last_mut().filter(|p| p.end.is_none());
        match &event.kind {
            StationEventKind::Connected { .. } => {
                if let Some(open) = open {
                    open.end = Some(event.received_at);
                    open.end_reason = Some("replaced by a new connection".to_owned());
                }
                periods.push(ConnectionPeriod { start: event.received_at, end: None, end_reason: None });
            }
            StationEventKind::Disconnected { reason } => {
                if let Some(open) = open {
                    open.end = Some(event.received_at);
                    open.end_reason = Some(reason.clone());
                }
            }
            StationEventKind::WentOffline { last_heard } => {
                if let Some(open) = open {
                    open.end = Some((*last_heard).max(open.start));
                    open.end_reason = Some("went silent".to_owned());
                }
            }
            _ => {}
        }
    }
    periods
}

/// Time a connector spent in each state while its station was online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorAvailability {
    /// The connector.
    pub location: EvseConnector,
    /// Milliseconds per state, for states it was in.
    pub time_in_state: Vec<(ConnectorState, i64)>,
    /// How many times it went into a fault (state `Faulted` or an error code).
    pub faults: u32,
}

/// A station's availability over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// Start of the range.
    pub from: Timestamp,
    /// End of the range (capped at the time of asking).
    pub to: Timestamp,
    /// Milliseconds connected within the range.
    pub online_ms: i64,
    /// Milliseconds not connected within the range.
    pub offline_ms: i64,
    /// The connection periods overlapping the range, clipped to it.
    pub periods: Vec<ConnectionPeriod>,
    /// Per connector, time in each state while online.
    pub connectors: Vec<ConnectorAvailability>,
}

impl Availability {
    /// The share of the range the station was connected, 0 to 1.
    pub fn online_ratio(&self) -> f64 {
        let span = self.to.millis_since(self.from);
        if span <= 0 { 0.0 } else { self.online_ms as f64 / span as f64 }
    }
}

fn overlap(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp)) -> i64 {
    let start = a.0.max(b.0);
    let end = a.1.min(b.1);
    end.millis_since(start).max(0)
}

/// Computes a station's availability over `[from, to)` from its log and its
/// status history (both oldest first; each should reach back before `from`
/// far enough to know the state at `from`). `now` caps the range and closes
/// a period still open.
pub fn availability(
    log: &[StationEvent],
    statuses: &[ConnectorStatus],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Availability {
    let to = to.min(now).max(from);
    let periods: Vec<ConnectionPeriod> = connection_periods(log)
        .into_iter()
        .filter(|p| p.end.unwrap_or(now) > from && p.start < to)
        .map(|p| ConnectionPeriod {
            start: p.start.max(from),
            end: p.end.map(|end| end.min(to)),
            end_reason: p.end_reason,
        })
        .collect();
    let spans: Vec<(Timestamp, Timestamp)> = periods.iter().map(|p| (p.start, p.end.unwrap_or(to))).collect();
    let online_ms: i64 = spans.iter().map(|(start, end)| end.millis_since(*start).max(0)).sum();
    let offline_ms = to.millis_since(from) - online_ms;

    let mut by_connector: BTreeMap<EvseConnector, Vec<&ConnectorStatus>> = BTreeMap::new();
    for status in statuses {
        by_connector.entry(status.location).or_default().push(status);
    }
    let connectors = by_connector
        .into_iter()
        .map(|(location, history)| {
            let mut time_in_state: Vec<(ConnectorState, i64)> = Vec::new();
            let mut faults = 0;
            let mut in_fault = false;
            for (i, status) in history.iter().enumerate() {
                let until = history.get(i + 1).map_or(to, |next| next.received_at);
                let window = (status.received_at.max(from), until.min(to));
                let ms: i64 = spans.iter().map(|span| overlap(*span, window)).sum();
                if ms > 0 {
                    match time_in_state.iter_mut().find(|(state, _)| *state == status.state) {
                        Some((_, total)) => *total += ms,
                        None => time_in_state.push((status.state, ms)),
                    }
                }
                if status.is_fault() && !in_fault && status.received_at >= from && status.received_at < to {
                    faults += 1;
                }
                in_fault = status.is_fault();
            }
            ConnectorAvailability { location, time_in_state, faults }
        })
        .collect();
    Availability { from, to, online_ms, offline_ms, periods, connectors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::{ProtocolVersion, StationId};

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn log_entry(at: i64, kind: StationEventKind) -> StationEvent {
        StationEvent { station: StationId::parse("CP").unwrap(), received_at: t(at), kind }
    }

    fn connected(at: i64) -> StationEvent {
        log_entry(at, StationEventKind::Connected { protocol: ProtocolVersion::Ocpp16 })
    }

    fn status(at: i64, state: ConnectorState, error: Option<&str>) -> ConnectorStatus {
        ConnectorStatus {
            station: StationId::parse("CP").unwrap(),
            location: EvseConnector::from_v16(1),
            state,
            error_code: error.map(str::to_owned),
            info: None,
            vendor_id: None,
            vendor_error_code: None,
            reported_at: None,
            received_at: t(at),
        }
    }

    #[test]
    fn periods_end_at_disconnects_silence_and_replacements() {
        let log = vec![
            connected(0),
            log_entry(100, StationEventKind::Disconnected { reason: "closed by station".into() }),
            connected(200),
            log_entry(450, StationEventKind::WentOffline { last_heard: t(300) }),
            connected(500),
            connected(600),
        ];
        let periods = connection_periods(&log);
        let spans: Vec<_> = periods.iter().map(|p| (p.start.unix_millis(), p.end.map(|e| e.unix_millis()))).collect();
        assert_eq!(spans, vec![(0, Some(100)), (200, Some(300)), (500, Some(600)), (600, None)]);
        assert_eq!(periods[1].end_reason.as_deref(), Some("went silent"));
    }

    #[test]
    fn availability_counts_connected_time_and_connector_states_within_the_range() {
        let log = vec![
            connected(0),
            log_entry(1000, StationEventKind::Disconnected { reason: "closed by station".into() }),
            connected(1500),
        ];
        let statuses = vec![
            status(0, ConnectorState::Available, None),
            status(400, ConnectorState::Faulted, Some("GroundFailure")),
            status(600, ConnectorState::Available, None),
            status(1600, ConnectorState::Charging, None),
        ];
        // range 200..1800, asked at 1700: capped at 1700
        let a = availability(&log, &statuses, t(200), t(1800), t(1700));
        assert_eq!(a.to, t(1700));
        assert_eq!(a.online_ms, 800 + 200);
        assert_eq!(a.offline_ms, 500);
        assert!((a.online_ratio() - 1000.0 / 1500.0).abs() < 1e-9);
        let connector = &a.connectors[0];
        assert_eq!(connector.faults, 1);
        assert_eq!(
            connector.time_in_state,
            vec![(ConnectorState::Available, 200 + 400 + 100), (ConnectorState::Faulted, 200), (ConnectorState::Charging, 100)]
        );
        // the open period is clipped to the range
        assert_eq!(a.periods.last().unwrap().end, None);
        assert_eq!(a.periods.first().unwrap().start, t(200));
    }

    #[test]
    fn a_station_never_connected_is_offline_throughout() {
        let a = availability(&[], &[], t(0), t(1000), t(5000));
        assert_eq!((a.online_ms, a.offline_ms), (0, 1000));
        assert!(a.connectors.is_empty());
    }
}
