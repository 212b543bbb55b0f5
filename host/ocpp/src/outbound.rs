//! Tracking the one CALL a side may have outstanding on a connection.
//!
//! OCPP-J allows at most one CALL per direction to be waiting for its answer.
//! [`OutboundCalls`] is the sending side's bookkeeping for that: it hands out
//! message ids, refuses a second call while one is open, matches answers by
//! id, and says when the open call has timed out. It is sans-IO: the caller
//! passes the current time in and arms its own timer from
//! [`OutboundCalls::deadline`].

/// The sending side's record of its outstanding CALL on one connection.
#[derive(Clone, Debug)]
pub struct OutboundCalls {
    /// Starts every message id, so ids from different trackers (say, two
    /// connections of one station) do not collide; at most
    /// [`MAX_PREFIX_LEN`] characters.
    id_prefix: String,
    /// How long an answer may take, in milliseconds.
    timeout_ms: i64,
    /// Numbers the next call; never reused, so no two calls share an id.
    next_sequence: u64,
    /// The call waiting for its answer, if any.
    pending: Option<PendingCall>,
}

/// The longest id prefix kept: with the longest `u64` sequence number (20
/// digits) an id stays within OCPP-J's 36 characters.
pub const MAX_PREFIX_LEN: usize = 16;

#[derive(Clone, Debug)]
struct PendingCall {
    unique_id: String,
    action: String,
    deadline_ms: i64,
}

/// A call could not start because another is still waiting for its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a call is already waiting for its answer")]
pub struct Busy;

/// What an answer (a CALLRESULT or CALLERROR) was an answer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matched {
    /// The answer to the outstanding call, which is now closed.
    Answer {
        /// The action of the call it answers.
        action: String,
    },
    /// Not the answer to the outstanding call: late (after its timeout), a
    /// duplicate, or an id never sent. The specification says to ignore it.
    Unexpected,
}

impl OutboundCalls {
    /// A tracker whose message ids start with `id_prefix` (cut to
    /// [`MAX_PREFIX_LEN`] characters) and whose calls time out after
    /// `timeout_ms` milliseconds.
    pub fn new(id_prefix: &str, timeout_ms: i64) -> Self {
        OutboundCalls {
            id_prefix: id_prefix.chars().take(MAX_PREFIX_LEN).collect(),
            timeout_ms,
            next_sequence: 0,
            pending: None,
        }
    }

    /// Whether a call is waiting for its answer.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// The action of the call waiting for its answer, if any.
    pub fn pending_action(&self) -> Option<&str> {
        self.pending.as_ref().map(|pending| pending.action.as_str())
    }

    /// Opens a call of `action` at `now_ms` and returns the message id to
    /// send it with, or [`Busy`] while another call is open. Call
    /// [`poll_timeout`](Self::poll_timeout) first so an expired call does not
    /// keep the tracker busy.
    pub fn start(&mut self, action: &str, now_ms: i64) -> Result<String, Busy> {
        if self.pending.is_some() {
            return Err(Busy);
        }
        let unique_id = format!("{}{}", self.id_prefix, self.next_sequence);
        self.next_sequence += 1;
        self.pending = Some(PendingCall {
            unique_id: unique_id.clone(),
            action: action.to_owned(),
            deadline_ms: now_ms.saturating_add(self.timeout_ms),
        });
        Ok(unique_id)
    }

    /// Matches an answer (CALLRESULT or CALLERROR) by its message id, closing
    /// the outstanding call if it is the answer to it.
    pub fn on_result(&mut self, unique_id: &str) -> Matched {
        match self
            .pending
            .take_if(|pending| pending.unique_id == unique_id)
        {
            Some(pending) => Matched::Answer {
                action: pending.action,
            },
            None => Matched::Unexpected,
        }
    }

    /// Closes the outstanding call if its deadline has passed by `now_ms`,
    /// returning its message id; an answer arriving for it later is
    /// [`Matched::Unexpected`].
    pub fn poll_timeout(&mut self, now_ms: i64) -> Option<String> {
        self.pending
            .take_if(|pending| now_ms >= pending.deadline_ms)
            .map(|pending| pending.unique_id)
    }

    /// When the outstanding call times out, in the caller's milliseconds.
    pub fn deadline(&self) -> Option<i64> {
        self.pending.as_ref().map(|pending| pending.deadline_ms)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::frame::MAX_UNIQUE_ID_LEN;

    #[test]
    fn one_call_at_a_time_answered_by_id() {
        let mut calls = OutboundCalls::new("c-", 30_000);
        assert!(!calls.is_busy());
        assert_eq!(calls.deadline(), None);

        let id = calls.start("Reset", 1_000).unwrap();
        assert!(calls.is_busy());
        assert_eq!(calls.pending_action(), Some("Reset"));
        assert_eq!(calls.deadline(), Some(31_000));
        assert_eq!(calls.start("GetVariables", 1_001), Err(Busy));

        assert_eq!(calls.on_result("someone-else"), Matched::Unexpected);
        assert!(calls.is_busy());
        assert_eq!(
            calls.on_result(&id),
            Matched::Answer {
                action: "Reset".into()
            }
        );
        assert!(!calls.is_busy());
        assert_eq!(
            calls.on_result(&id),
            Matched::Unexpected,
            "a duplicate answer"
        );

        let next = calls.start("GetVariables", 2_000).unwrap();
        assert_ne!(next, id);
    }

    #[test]
    fn a_call_times_out_at_its_deadline_and_late_answers_are_unexpected() {
        let mut calls = OutboundCalls::new("c-", 30_000);
        let id = calls.start("TriggerMessage", 0).unwrap();
        assert_eq!(calls.poll_timeout(29_999), None);
        assert!(calls.is_busy());
        assert_eq!(calls.poll_timeout(30_000), Some(id.clone()));
        assert!(!calls.is_busy());
        assert_eq!(calls.deadline(), None);
        assert_eq!(calls.poll_timeout(60_000), None);
        assert_eq!(calls.on_result(&id), Matched::Unexpected, "a late answer");

        let next = calls.start("TriggerMessage", 30_001).unwrap();
        assert_eq!(
            calls.on_result(&id),
            Matched::Unexpected,
            "the old call's answer"
        );
        assert_eq!(
            calls.on_result(&next),
            Matched::Answer {
                action: "TriggerMessage".into()
            }
        );
    }

    #[test]
    fn ids_are_unique_and_fit_ocpp_j() {
        let mut calls = OutboundCalls::new("a-very-long-prefix-that-goes-on-and-on-ünïcode", 1);
        calls.next_sequence = u64::MAX - 1_000;
        let mut seen = HashSet::new();
        for now in 0..1_000 {
            let id = calls.start("Heartbeat", now).unwrap();
            assert!(id.chars().count() <= MAX_UNIQUE_ID_LEN, "{id}");
            assert!(id.starts_with("a-very-long-pref"));
            assert!(seen.insert(id.clone()));
            assert_eq!(
                calls.on_result(&id),
                Matched::Answer {
                    action: "Heartbeat".into()
                }
            );
        }
    }

    #[test]
    fn deadlines_saturate() {
        let mut calls = OutboundCalls::new("", i64::MAX);
        calls.start("Reset", i64::MAX - 1).unwrap();
        assert_eq!(calls.deadline(), Some(i64::MAX));
        assert_eq!(calls.poll_timeout(i64::MAX - 1), None);
    }
}
