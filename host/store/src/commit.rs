//! Group commit: one flusher thread makes many writers' changes durable with
//! one `fsync`.
//!
//! Every applied change set gets a [`WriteTicket`], the next number of a
//! counter that is bumped only *after* the change set is in sled. So when the
//! flusher reads the counter as `n` and then flushes, every write with a
//! ticket up to `n` is covered by that flush.
//!
//! The flusher sleeps (parked) while nothing is unflushed. Woken by a write,
//! it gathers more: it waits while writes keep arriving, until either none
//! came for [`QUIET_GAP`] (every writer that was going to write has, and now
//! waits for this flush) or `flush_interval` has passed since its previous
//! flush began. So a lone writer waits about the gap plus one `fsync`, a few
//! dozen writers share each flush, and under a steady stream the store
//! flushes once per `flush_interval`.
//!
//! After a flush the flusher records the highest ticket it covered and wakes
//! the [`Durable`] futures waiting for that ticket or an earlier one — only
//! those, so a thousand writers waiting on different flushes cost no
//! thousand wake-ups per flush. The futures use nothing but
//! [`std::task::Waker`], so they run under any executor.
//!
//! A failed flush wakes every waiter whose write it did not cover with the
//! error, and every later waiter gets it too until a flush succeeds. (sled
//! makes I/O errors sticky, so in practice that is until the store is
//! reopened.) A write is never reported durable unless a flush that began
//! after it succeeded.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use domain::storage::DurableFuture;
use domain::{StorageError, WriteTicket};

/// How long the flusher waits before it tries again after a failed flush.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(100);

/// A pause in writes this long ends the gathering for a flush early.
const QUIET_GAP: Duration = Duration::from_micros(100);

/// What the flusher has achieved so far, and who waits for more.
struct Progress {
    /// Every ticket up to this one is durable.
    flushed: u64,
    /// Set while the latest flush failed.
    error: Option<StorageError>,
    /// The flusher has stopped: nothing more becomes durable.
    stopped: bool,
    /// Pending [`Durable`] futures: the ticket each waits for and how to wake it.
    waiting: Vec<(u64, Waker)>,
}

impl Progress {
    /// What a future waiting for `ticket` resolves to now, if anything.
    fn outcome(&self, ticket: u64) -> Option<Result<(), StorageError>> {
        if self.flushed >= ticket {
            Some(Ok(()))
        } else if let Some(error) = &self.error {
            Some(Err(error.clone()))
        } else if self.stopped {
            Some(Err(StorageError::Unavailable(
                "the store closed before the write was flushed".to_owned(),
            )))
        } else {
            None
        }
    }
}

/// The state writers, the flusher and waiters share.
pub(crate) struct GroupCommit {
    /// The highest ticket issued; every write up to it is applied to sled.
    applied: AtomicU64,
    /// Set by [`Flusher::stop`]: the flusher flushes once more and exits.
    stopping: AtomicBool,
    /// How many flushes ran (for [`crate::StoreStats`]).
    flushes: AtomicU64,
    progress: Mutex<Progress>,
    /// The longest a flush gathers writers, counted from the start of the
    /// previous flush.
    flush_interval: Duration,
}

/// The flusher thread and the handle to wake it.
pub(crate) struct Flusher {
    commit: Arc<GroupCommit>,
    thread: Thread,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts the flusher; `flush` makes every applied write durable (sled's
    /// `Db::flush`, or a stand-in in tests).
    pub(crate) fn start(
        flush: impl FnMut() -> Result<(), String> + Send + 'static,
        flush_interval: Duration,
    ) -> std::io::Result<Flusher> {
        let commit = Arc::new(GroupCommit {
            applied: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            flushes: AtomicU64::new(0),
            progress: Mutex::new(Progress {
                flushed: 0,
                error: None,
                stopped: false,
                waiting: Vec::new(),
            }),
            flush_interval,
        });
        let handle = thread::Builder::new()
            .name("gridlet-store-flusher".to_owned())
            .spawn({
                let commit = commit.clone();
                move || commit.run_flusher(flush)
            })?;
        Ok(Flusher {
            commit,
            thread: handle.thread().clone(),
            handle: Mutex::new(Some(handle)),
        })
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        // Every update of `Progress` is a few plain assignments that cannot
        // panic halfway, so a poisoned lock still holds consistent values.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Updates the progress, then wakes the futures it resolves.
    fn publish(&self, update: impl FnOnce(&mut Progress)) {
        let resolved: Vec<Waker> = {
            let mut progress = self.progress();
            update(&mut progress);
            let (flushed, all) = (
                progress.flushed,
                progress.error.is_some() || progress.stopped,
            );
            progress
                .waiting
                .extract_if(.., |(ticket, _)| all || *ticket <= flushed)
                .map(|(_, waker)| waker)
                .collect()
        };
        for waker in resolved {
            waker.wake();
        }
    }

    fn run_flusher(&self, mut flush: impl FnMut() -> Result<(), String>) {
        let mut flushed = 0;
        let mut last_start: Option<Instant> = None;
        let mut failing = false;
        loop {
            // Sleep until a write is waiting, or we are told to stop. A write
            // bumps `applied` before it unparks us, and an unpark before the
            // park makes the park return at once, so no wake-up is lost.
            while self.applied.load(Ordering::SeqCst) <= flushed
                && !self.stopping.load(Ordering::SeqCst)
            {
                thread::park();
            }
            if !self.stopping.load(Ordering::SeqCst) {
                self.gather(last_start, failing);
            }
            let stopping = self.stopping.load(Ordering::SeqCst);
            let target = self.applied.load(Ordering::SeqCst);
            last_start = Some(Instant::now());
            match flush() {
                Ok(()) => {
                    if failing {
                        tracing::info!("store flushes succeed again");
                    }
                    failing = false;
                    flushed = target;
                    self.publish(|progress| {
                        progress.flushed = target;
                        progress.error = None;
                    });
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(error = %e, "store flush failed; writes are not acknowledged until a flush succeeds");
                    }
                    failing = true;
                    let error = StorageError::Backend(format!("flush failed: {e}"));
                    self.publish(|progress| progress.error = Some(error));
                }
            }
            self.flushes.fetch_add(1, Ordering::Relaxed);
            if stopping {
                self.publish(|progress| progress.stopped = true);
                return;
            }
        }
    }

    /// Waits for more writes to share the coming flush: until writes pause
    /// for [`QUIET_GAP`], or `flush_interval` has passed since the previous
    /// flush began (at once if it already has). After a failed flush, waits
    /// [`RETRY_AFTER_FAILURE`] instead.
    fn gather(&self, last_start: Option<Instant>, failing: bool) {
        let Some(last_start) = last_start else { return };
        if failing {
            let retry_at = last_start + RETRY_AFTER_FAILURE.max(self.flush_interval);
            thread::sleep(retry_at.saturating_duration_since(Instant::now()));
            return;
        }
        let deadline = last_start + self.flush_interval;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let seen = self.applied.load(Ordering::SeqCst);
            thread::sleep(left.min(QUIET_GAP));
            if self.applied.load(Ordering::SeqCst) == seen {
                return;
            }
        }
    }

    /// Whether the store is closing: no more writes are taken.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// How many flushes ran.
    pub(crate) fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// How many writes were applied.
    pub(crate) fn writes(&self) -> u64 {
        self.applied.load(Ordering::SeqCst)
    }
}

/// Resolves once the writes up to a ticket are durable (or can no longer become so).
pub(crate) struct Durable {
    commit: Arc<GroupCommit>,
    ticket: u64,
}

impl Future for Durable {
    type Output = Result<(), StorageError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut progress = self.commit.progress();
        match progress.outcome(self.ticket) {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                // Polled again before being woken (rare), a future is listed
                // twice and woken twice; both entries go when it resolves.
                progress.waiting.push((self.ticket, cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

impl Flusher {
    /// The shared state.
    pub(crate) fn commit(&self) -> &GroupCommit {
        &self.commit
    }

    /// A future that resolves once `ticket` is durable.
    pub(crate) fn durable(&self, ticket: WriteTicket) -> DurableFuture {
        Box::pin(Durable {
            commit: self.commit.clone(),
            ticket: ticket.0,
        })
    }

    /// Records that a change set was applied to sled, and returns its ticket.
    pub(crate) fn record_write(&self) -> WriteTicket {
        let ticket = self.commit.applied.fetch_add(1, Ordering::SeqCst) + 1;
        // Cheap when the flusher is not parked: an atomic swap, no syscall.
        self.thread.unpark();
        WriteTicket(ticket)
    }

    /// Stops taking writes, lets the flusher flush once more and exit, and
    /// waits for it. Returns the error of the last flush, if it failed. Later
    /// calls do nothing.
    pub(crate) fn stop(&self) -> Result<(), StorageError> {
        self.commit.stopping.store(true, Ordering::SeqCst);
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(handle) = handle else { return Ok(()) };
        self.thread.unpark();
        let joined = handle.join();
        // (the flusher did this itself, unless it panicked)
        self.commit.publish(|progress| progress.stopped = true);
        if joined.is_err() {
            return Err(StorageError::Backend(
                "the store's flusher thread panicked".to_owned(),
            ));
        }
        match &self.commit.progress().error {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// A flusher whose flushes fail while `failing` is set, and count in `flushes`.
    fn flusher(failing: Arc<AtomicBool>, flushes: Arc<Mutex<Vec<bool>>>) -> Flusher {
        GroupCommit::start(
            move || {
                let fail = failing.load(Ordering::SeqCst);
                flushes.lock().unwrap().push(!fail);
                if fail {
                    Err("disk on fire".to_owned())
                } else {
                    Ok(())
                }
            },
            Duration::from_millis(1),
        )
        .unwrap()
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_write_is_durable_after_a_flush_that_began_after_it() {
        let flushes = Arc::new(Mutex::new(Vec::new()));
        let flusher = flusher(Arc::new(AtomicBool::new(false)), flushes.clone());
        let first = flusher.record_write();
        let second = flusher.record_write();
        assert_eq!((first, second), (WriteTicket(1), WriteTicket(2)));
        block_on(flusher.durable(second)).unwrap();
        assert!(!flushes.lock().unwrap().is_empty());
        flusher.stop().unwrap();
    }

    #[test]
    fn a_flushed_ticket_resolves_on_the_first_poll() {
        let flusher = flusher(Arc::new(AtomicBool::new(false)), Arc::default());
        let ticket = flusher.record_write();
        block_on(flusher.durable(ticket)).unwrap();
        let mut again = flusher.durable(ticket);
        let poll = again.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(matches!(poll, Poll::Ready(Ok(()))));
        flusher.stop().unwrap();
    }

    /// A waker that counts how often it was woken.
    struct CountingWaker(AtomicU64);

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_flush_wakes_only_the_writers_it_covered() {
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let flusher = GroupCommit::start(
            move || {
                entered_tx.send(()).unwrap();
                go_rx.recv().map_err(|e| e.to_string())
            },
            Duration::from_millis(1),
        )
        .unwrap();
        let first = flusher.record_write();
        entered.recv().unwrap(); // the first flush is under way, covering `first` only
        let second = flusher.record_write();
        let wakers: Vec<_> = (0..2)
            .map(|_| Arc::new(CountingWaker(AtomicU64::new(0))))
            .collect();
        let mut futures = [flusher.durable(first), flusher.durable(second)];
        for (future, waker) in futures.iter_mut().zip(&wakers) {
            let waker = Waker::from(waker.clone());
            assert!(
                future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
        }

        go.send(()).unwrap();
        entered.recv().unwrap(); // the first flush is done; the second is under way
        assert_eq!(wakers[0].0.load(Ordering::SeqCst), 1);
        assert_eq!(
            wakers[1].0.load(Ordering::SeqCst),
            0,
            "woken by a flush that did not cover it"
        );
        let noop = &mut Context::from_waker(Waker::noop());
        assert!(matches!(
            futures[0].as_mut().poll(noop),
            Poll::Ready(Ok(()))
        ));
        assert!(futures[1].as_mut().poll(noop).is_pending());

        go.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while wakers[1].0.load(Ordering::SeqCst) == 0 {
            assert!(
                Instant::now() < deadline,
                "the second flush never woke its writer"
            );
            thread::sleep(Duration::from_millis(1));
        }
        assert!(matches!(
            futures[1].as_mut().poll(noop),
            Poll::Ready(Ok(()))
        ));
        // the final flush on stop gets no go-ahead and fails; stop says so
        drop(go);
        assert!(flusher.stop().is_err());
    }

    #[test]
    fn a_failed_flush_fails_its_waiters_and_later_ones_until_a_flush_succeeds() {
        let failing = Arc::new(AtomicBool::new(true));
        let flushes = Arc::new(Mutex::new(Vec::new()));
        let flusher = flusher(failing.clone(), flushes.clone());
        let lost = flusher.record_write();
        let error = block_on(flusher.durable(lost)).unwrap_err();
        assert_eq!(
            error,
            StorageError::Backend("flush failed: disk on fire".to_owned())
        );
        // while flushes fail, a later write is not reported durable either
        let later = flusher.record_write();
        assert!(block_on(flusher.durable(later)).is_err());

        failing.store(false, Ordering::SeqCst);
        let after = flusher.record_write();
        // the flusher retries; once a flush succeeds, new writes are durable
        let deadline = Instant::now() + Duration::from_secs(5);
        while block_on(flusher.durable(after)).is_err() {
            assert!(Instant::now() < deadline, "no flush succeeded");
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(flushes.lock().unwrap().first(), Some(&false));
        flusher.stop().unwrap();
    }

    #[test]
    fn stopping_flushes_once_more_and_fails_what_it_could_not_cover() {
        let flushes = Arc::new(Mutex::new(Vec::new()));
        let flusher = flusher(Arc::new(AtomicBool::new(false)), flushes.clone());
        let ticket = flusher.record_write();
        flusher.stop().unwrap();
        block_on(flusher.durable(ticket)).unwrap();
        // a ticket the flusher never saw (as from a write racing the close)
        let orphan = flusher.record_write();
        let error = block_on(flusher.durable(orphan)).unwrap_err();
        assert!(matches!(error, StorageError::Unavailable(_)), "{error:?}");
        assert!(flusher.commit().is_stopping());
    }
}
