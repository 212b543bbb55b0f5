//! The live event bus: every [`Notification`] is published here, numbered,
//! once what it reports is durable; API subscribers read it as a stream.
//!
//! Publishing takes a short lock so that sequence numbers and delivery order
//! agree. A subscriber that falls more than the bus's capacity behind loses
//! the oldest notifications and is told how many (tokio's broadcast `Lagged`).

use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use domain::Notification;

/// A notification with its place in the bus's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// 1, 2, 3, … in the order notifications were published.
    pub seq: u64,
    /// What happened.
    pub notification: Notification,
}

/// The bus.
pub struct EventBus {
    sender: broadcast::Sender<Arc<Published>>,
    /// The last sequence number issued; held while sending to keep order.
    last_seq: Mutex<u64>,
}

impl EventBus {
    /// A bus that keeps up to `capacity` notifications for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        EventBus { sender, last_seq: Mutex::new(0) }
    }

    /// Publishes `notification` to every current subscriber.
    pub fn publish(&self, notification: Notification) {
        let Ok(mut last_seq) = self.last_seq.lock() else { return };
        *last_seq += 1;
        // Nobody listening is fine: notifications are not stored here.
        let _ = self.sender.send(Arc::new(Published { seq: *last_seq, notification }));
    }

    /// A new subscription, starting with the next notification published.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{ProtocolVersion, StationId, Timestamp};

    fn connected(n: i64) -> Notification {
        Notification::StationConnected {
            station: StationId::parse("CP").unwrap(),
            protocol: ProtocolVersion::Ocpp16,
            at: Timestamp::from_unix_millis(n),
        }
    }

    #[tokio::test]
    async fn subscribers_get_numbered_notifications_in_order() {
        let bus = EventBus::new(16);
        bus.publish(connected(0)); // before anyone listens: dropped
        let mut a = bus.subscribe();
        bus.publish(connected(1));
        bus.publish(connected(2));
        let first = a.recv().await.unwrap();
        let second = a.recv().await.unwrap();
        assert_eq!((first.seq, second.seq), (2, 3));
        assert_eq!(second.notification, connected(2));
    }

    #[tokio::test]
    async fn slow_subscribers_learn_what_they_missed() {
        let bus = EventBus::new(2);
        let mut slow = bus.subscribe();
        for n in 0..5 {
            bus.publish(connected(n));
        }
        assert!(matches!(slow.recv().await, Err(broadcast::error::RecvError::Lagged(3))));
        assert_eq!(slow.recv().await.unwrap().seq, 4);
    }
}
