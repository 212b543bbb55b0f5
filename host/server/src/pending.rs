//! The pending-station sweeper: counts the stations waiting for approval
//! (so the admission cap works on the store's real number) and removes
//! those not heard from within `pending_expiry_secs`.
//!
//! It runs when the server starts and then every `pending_sweep_interval`
//! (it reads the whole station table, a page at a time, yielding between
//! pages). A pending station that is connected, or was seen recently, stays;
//! one that was approved or rejected in the meantime is never touched (the
//! record is read again just before it is removed).

use std::collections::HashSet;
use std::sync::Arc;

use domain::{Change, Registration, Station, StationId, Storage, StorageError, Timestamp};

use crate::{AppState, now};

/// Sweeps at once, then every interval, until aborted.
pub(crate) async fn sweep_periodically(state: Arc<AppState>) {
    let mut interval = tokio::time::interval(state.config.pending_sweep_interval);
    loop {
        interval.tick().await;
        state.gatekeeper.begin_pending_count();
        let expiry_ms =
            i64::try_from(state.config.admission_limits.pending_expiry_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let connected = |station: &Station| state.registry.info(&station.id).is_some();
        match sweep(state.csms.storage.as_ref(), now(), expiry_ms, connected).await {
            Ok(outcome) => {
                let remaining = outcome.remaining.len();
                state.gatekeeper.finish_pending_count(outcome.remaining);
                if outcome.expired > 0 {
                    tracing::info!(
                        expired = outcome.expired,
                        remaining,
                        "removed pending stations never approved"
                    );
                }
            }
            Err(error) => {
                // keep the count as it is; the next sweep tries again
                state.gatekeeper.abandon_pending_count();
                tracing::warn!(%error, "pending-station sweep failed");
            }
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepOutcome {
    /// How many pending stations were removed.
    pub expired: usize,
    /// The pending stations left.
    pub remaining: HashSet<StationId>,
}

/// Removes the pending stations last heard from (or, never heard from,
/// created) more than `expiry_ms` before `now`, unless `connected`; counts
/// the others.
pub async fn sweep(
    storage: &dyn Storage,
    now: Timestamp,
    expiry_ms: i64,
    connected: impl Fn(&Station) -> bool,
) -> Result<SweepOutcome, StorageError> {
    let mut outcome = SweepOutcome { expired: 0, remaining: HashSet::new() };
    let mut after = None;
    loop {
        let page = storage.stations(after.as_ref(), 500)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        tokio::task::yield_now().await;
        for station in page.iter().filter(|station| station.registration == Registration::Pending) {
            let heard = storage.last_seen(&station.id)?.unwrap_or(station.created_at).max(station.created_at);
            if now.unix_millis().saturating_sub(heard.unix_millis()) <= expiry_ms || connected(station) {
                outcome.remaining.insert(station.id.clone());
                continue;
            }
            // read again: an operator may have approved it meanwhile
            match storage.station(&station.id)? {
                Some(current) if current.registration == Registration::Pending => {
                    storage.apply_durably(Change::DeleteStation(station.id.clone()).into()).await?;
                    tracing::info!(station = %station.id, "pending station expired: never approved");
                    outcome.expired += 1;
                }
                _ => {}
            }
        }
    }
    Ok(outcome)
}
