//! The connection limit. Each connection served holds a [`Slot`]; at the limit, room is
//! made by closing the quiet connection that would have timed out soonest anyway, so that
//! idle or trickling clients cannot lock out the ones with requests to make. Only while
//! every connection has an answer under way does a new one wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::ConnectionLimits;
use super::activity::Activity;

/// The connections being served, up to the limit.
pub struct Slots {
    permits: Arc<Semaphore>,
    limits: ConnectionLimits,
    open: Mutex<Open>,
    /// Told whenever a connection goes quiet (its answer written).
    quiet: Arc<Notify>,
}

#[derive(Default)]
struct Open {
    next: u64,
    activities: HashMap<u64, Arc<Activity>>,
}

/// One connection's place among those served; the place is free again when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    activity: Arc<Activity>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// What the connection is doing.
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.open().activities.remove(&self.id);
    }
}

impl Slots {
    pub fn new(limits: ConnectionLimits) -> Arc<Slots> {
        Arc::new(Slots {
            permits: Arc::new(Semaphore::new(limits.max_connections as usize)),
            limits,
            open: Mutex::default(),
            quiet: Arc::default(),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a connection just accepted: a free one, or one made by closing the
    /// quiet connection nearest its timeout. While every connection has an answer under
    /// way, waits for one to finish or go quiet.
    pub async fn take(self: &Arc<Self>) -> Slot {
        let mut room_asked = false;
        loop {
            let went_quiet = self.quiet.notified();
            if let Ok(permit) = self.permits.clone().try_acquire_owned() {
                return self.register(permit);
            }
            if !room_asked {
                room_asked = self.make_room();
            }
            tokio::select! {
                permit = self.permits.clone().acquire_owned() => {
                    return self.register(permit.expect("the semaphore is never closed"));
                }
                () = went_quiet, if !room_asked => {}
            }
        }
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Slot {
        let activity = Arc::new(Activity::new(self.quiet.clone()));
        let mut open = self.open();
        let id = open.next;
        open.next += 1;
        open.activities.insert(id, activity.clone());
        Slot {
            slots: self.clone(),
            id,
            activity,
            _permit: permit,
        }
    }

    /// Asks the quiet connection that would time out soonest to close; false when every
    /// connection has an answer under way (or is closing already).
    fn make_room(&self) -> bool {
        let open = self.open();
        let victim = open
            .activities
            .values()
            .filter_map(|a| a.closable_at(&self.limits).map(|at| (at, a)))
            .min_by_key(|(at, _)| *at);
        match victim {
            Some((_, activity)) => {
                activity.close_when_done();
                true
            }
            None => false,
        }
    }

    /// Asks every connection to close once its answer under way is written (the server
    /// is stopping).
    pub fn close_all(&self) {
        for activity in self.open().activities.values() {
            activity.close_when_done();
        }
    }

    /// Waits until every connection has closed.
    pub async fn all_closed(&self) {
        let _all = self
            .permits
            .acquire_many(self.limits.max_connections)
            .await
            .expect("the semaphore is never closed");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::activity::Step;
    use super::*;

    fn limits(max_connections: u32) -> ConnectionLimits {
        ConnectionLimits {
            header: Duration::from_secs(10),
            idle: Duration::from_secs(30),
            request: Duration::from_secs(30),
            max_connections,
        }
    }

    #[tokio::test]
    async fn at_the_limit_the_quiet_connection_nearest_its_timeout_makes_room() {
        let slots = Slots::new(limits(2));
        let first = slots.take().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = slots.take().await;
        let taking = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take().await }
        });
        // The first has waited longest for its request: it would time out first.
        let step = tokio::time::timeout(
            Duration::from_secs(5),
            first.activity().next_step(&slots.limits),
        )
        .await;
        assert_eq!(step.ok(), Some(Step::Drop));
        assert!(second.activity().closable_at(&slots.limits).is_some());
        drop(first);
        let third = taking.await.unwrap();
        assert_eq!(slots.open().activities.len(), 2);
        drop((second, third));
    }

    #[tokio::test]
    async fn a_connection_with_an_answer_under_way_is_never_closed_to_make_room() {
        let slots = Slots::new(limits(1));
        let busy = slots.take().await;
        let in_flight = busy.activity().begin();
        assert!(!slots.make_room());
        let taking = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take().await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!taking.is_finished(), "waits while the answer is under way");
        drop(in_flight);
        drop(busy);
        tokio::time::timeout(Duration::from_secs(5), taking)
            .await
            .expect("the freed place is taken")
            .unwrap();
    }
}
