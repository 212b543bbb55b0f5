//! `GET /events`: the live event stream as server-sent events.
//!
//! Each event has `id:` = its sequence number (increasing within a server's
//! run), `event:` = its kind (`transaction.started`, …) and `data:` = its
//! JSON ([`EventView`]). Events are not stored: a subscriber sees what
//! happens from the moment it connects. One that falls more than 4096
//! events behind gets an `events_lost` event with the count and continues
//! with the next. The stream ends when the server shuts down; a keep-alive
//! comment every 15 s keeps proxies from closing an idle stream.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::{broadcast, watch};

use domain::StationId;
use session::events::Published;

use crate::ApiState;
use crate::auth::{Authorized, Read};
use crate::error::{ApiError, CommonErrors};
use crate::extract::ApiQuery;
use crate::wire::{EventView, EventsLost, EventsQuery};

/// Every kind of event, as `event:` names it.
pub const KINDS: [&str; 9] = [
    "station.connected",
    "station.disconnected",
    "station.offline",
    "station.booted",
    "connector.status",
    "transaction.started",
    "transaction.updated",
    "transaction.ended",
    "command.completed",
];

/// Which events a subscriber wants.
#[derive(Debug, Default)]
struct Filter {
    stations: Option<HashSet<StationId>>,
    /// Full kinds or categories (`transaction` for `transaction.*`).
    kinds: Option<Vec<String>>,
}

impl Filter {
    fn parse(query: &EventsQuery) -> Result<Filter, ApiError> {
        let items = |text: &str| text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let stations = match query.station.as_deref() {
            None => None,
            Some(text) => Some(
                items(text)
                    .iter()
                    .map(|id| StationId::parse(id).map_err(|e| ApiError::invalid("station", e.to_string())))
                    .collect::<Result<HashSet<_>, _>>()?,
            ),
        };
        let kinds = match query.kind.as_deref() {
            None => None,
            Some(text) => {
                let kinds = items(text);
                if let Some(unknown) = kinds.iter().find(|k| !KINDS.iter().any(|known| Filter::kind_matches(k, known))) {
                    return Err(ApiError::invalid(
                        "kind",
                        format!("{unknown:?} is not a kind of event; the kinds are {}", KINDS.join(", ")),
                    ));
                }
                Some(kinds)
            }
        };
        Ok(Filter { stations, kinds })
    }

    fn kind_matches(wanted: &str, kind: &str) -> bool {
        wanted == kind || kind.strip_prefix(wanted).is_some_and(|rest| rest.starts_with('.'))
    }

    fn wants(&self, published: &Published) -> bool {
        let n = &published.notification;
        self.stations.as_ref().is_none_or(|stations| stations.contains(n.station()))
            && self.kinds.as_ref().is_none_or(|kinds| kinds.iter().any(|k| Filter::kind_matches(k, n.kind())))
    }
}

fn event_of(published: &Published) -> Option<Event> {
    let view = EventView::of(published);
    match serde_json::to_string(&view) {
        Ok(json) => Some(Event::default().id(published.seq.to_string()).event(view.kind).data(json)),
        Err(error) => {
            tracing::error!(%error, "cannot write an event as JSON");
            None
        }
    }
}

struct Subscription {
    events: broadcast::Receiver<Arc<Published>>,
    shutdown: watch::Receiver<bool>,
    filter: Arc<Filter>,
}

async fn next(mut sub: Subscription) -> Option<(Result<Event, Infallible>, Subscription)> {
    loop {
        if *sub.shutdown.borrow() {
            return None;
        }
        let received = tokio::select! {
            received = sub.events.recv() => received,
            _ = sub.shutdown.changed() => return None,
        };
        match received {
            Ok(published) => {
                if sub.filter.wants(&published)
                    && let Some(event) = event_of(&published)
                {
                    return Some((Ok(event), sub));
                }
            }
            Err(broadcast::error::RecvError::Lagged(count)) => {
                let data = serde_json::to_string(&EventsLost { count }).unwrap_or_else(|_| format!("{{\"count\":{count}}}"));
                return Some((Ok(Event::default().event("events_lost").data(data)), sub));
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// Follows what happens on the network as server-sent events: stations
/// connecting, disconnecting, going offline and booting, connector status
/// changes, transactions starting, updating and ending, and the outcome of
/// commands. Filter with `station` and `kind`.
#[utoipa::path(
    get,
    path = "/events", operation_id = "stream_events",
    tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A stream of server-sent events: `id:` the sequence number, \
`event:` the kind, `data:` the event as JSON; `events_lost` (data: `{\"count\": n}`) when the \
subscriber fell behind.", content_type = "text/event-stream", body = EventView),
        CommonErrors
    ),
    security(("api_key" = ["read"]))
)]
pub async fn stream(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let filter = Arc::new(Filter::parse(&query)?);
    let subscription =
        Subscription { events: state.network().subscribe(), shutdown: state.network().shutdown(), filter };
    let stream = futures_util::stream::unfold(subscription, next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.options().events_keep_alive)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_exactly_or_by_category() {
        assert!(Filter::kind_matches("transaction", "transaction.started"));
        assert!(Filter::kind_matches("transaction.started", "transaction.started"));
        assert!(!Filter::kind_matches("transaction.started", "transaction.ended"));
        assert!(!Filter::kind_matches("trans", "transaction.started"));
        let bad = EventsQuery { station: None, kind: Some("transaction,fun".into()) };
        assert_eq!(Filter::parse(&bad).unwrap_err().code, "invalid_request");
        let bad = EventsQuery { station: Some("CP:1".into()), kind: None };
        assert_eq!(Filter::parse(&bad).unwrap_err().code, "invalid_request");
    }
}
