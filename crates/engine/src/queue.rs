//! The event queue: a binary min-heap ordered by (time, insertion sequence).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// A pending event: its key packs (time, insertion sequence) so the heap compares one
/// integer, and events at one instant pop in the order they were scheduled.
#[derive(Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and we want the earliest key first.
        other.key.cmp(&self.key)
    }
}

/// A priority queue of typed events ordered by `(time, insertion seq)`.
///
/// Ties at one time are broken by insertion order, so a simulation that schedules in a
/// fixed order pops in a fixed order: a run is a pure function of its model and seed.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0 }
    }

    /// An empty queue with room for `n_events` pending events.
    pub fn with_capacity(n_events: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n_events), next_seq: 0 }
    }

    /// Schedules `event` at `time`, after every event already scheduled at that time.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let key = (u128::from(time.0) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event, or `None` when nothing is pending.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|entry| (SimTime((entry.key >> 64) as u64), entry.event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|entry| SimTime((entry.key >> 64) as u64))
    }

    /// How many events are pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(5), "b");
        queue.schedule(SimTime(3), "a");
        queue.schedule(SimTime(5), "c");
        queue.schedule(SimTime(u64::MAX), "last");
        queue.schedule(SimTime(0), "first");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["first", "a", "b", "c", "last"]);
    }

    #[test]
    fn pop_returns_the_scheduled_time() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(42), ());
        assert_eq!(queue.peek_time(), Some(SimTime(42)));
        assert_eq!(queue.pop(), Some((SimTime(42), ())));
        assert!(queue.is_empty());
    }
}
