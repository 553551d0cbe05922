//! The calendar of one daily phase: events due on whole days, in a timing wheel.
//!
//! A replicate's events that are not the fixed daily work (shipments landing, scenario
//! events starting and ending, periodic reviews) fall on whole days of one phase each. A
//! [`Calendar`] keeps them in a wheel of [`WHEEL_DAYS`] buckets, one per day of the window
//! that starts today, and the rare events further ahead in an overflow heap. Scheduling
//! and taking an event cost O(1) however many shipments are on their way (an event beyond
//! the window costs O(log n) twice, once in and once out of the overflow).
//!
//! Order is exactly that of a priority queue on (day, insertion sequence): a bucket holds
//! its day's events in insertion order; an event of the overflow moves into its bucket
//! when the window reaches its day, before any event can be scheduled into that bucket
//! directly, so it stays ahead of every event inserted after it. Events scheduled for
//! today while today's bucket is being read join its end and are read the same day.
//!
//! The calendar keeps its allocations when [`Calendar::reset`] empties it, so a workspace
//! reused across replicates schedules without allocating once its buckets have grown.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Days in the wheel: events due within this many days of today go straight into their
/// day's bucket. A power of two, larger than most transit times and review periods.
pub const WHEEL_DAYS: u32 = 128;
const MASK: u32 = WHEEL_DAYS - 1;

/// An event beyond the window, ordered by (day, insertion sequence), earliest first.
#[derive(Debug)]
struct Parked<E> {
    day: u32,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Parked<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.day, self.seq) == (other.day, other.seq)
    }
}
impl<E> Eq for Parked<E> {}
impl<E> PartialOrd for Parked<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Parked<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and the earliest must come out first.
        (other.day, other.seq).cmp(&(self.day, self.seq))
    }
}

/// Events due on whole days, taken day by day in (day, insertion) order.
#[derive(Debug)]
pub struct Calendar<E> {
    wheel: Vec<Vec<E>>,
    /// The first day of the window (the day being read).
    today: u32,
    /// Events due on or after `today + WHEEL_DAYS`.
    overflow: BinaryHeap<Parked<E>>,
    /// Insertions into the overflow so far.
    seq: u64,
}

/// An empty calendar that has not allocated its wheel yet ([`Calendar::reset`] does).
impl<E: Copy> Default for Calendar<E> {
    fn default() -> Self {
        Calendar { wheel: Vec::new(), today: 0, overflow: BinaryHeap::new(), seq: 0 }
    }
}

impl<E: Copy> Calendar<E> {
    /// An empty calendar whose window starts on day 0.
    pub fn new() -> Self {
        Calendar {
            wheel: (0..WHEEL_DAYS).map(|_| Vec::new()).collect(),
            today: 0,
            overflow: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Empties the calendar and moves its window back to day 0, keeping its allocations
    /// (and making its wheel if it has none: see `Default`).
    pub fn reset(&mut self) {
        if self.wheel.len() != WHEEL_DAYS as usize {
            self.wheel = (0..WHEEL_DAYS).map(|_| Vec::new()).collect();
        }
        self.wheel.iter_mut().for_each(Vec::clear);
        self.today = 0;
        self.overflow.clear();
        self.seq = 0;
    }

    /// The first day of the window: the day [`Calendar::get`] reads.
    pub fn today(&self) -> u32 {
        self.today
    }

    /// Schedules `event` on `day`, after every event already scheduled on that day.
    ///
    /// An event before today is a caller's bug (the engine never schedules into the past:
    /// every shipment takes at least a day, and same-day events are scheduled from the
    /// same phase); in debug builds it panics, in release builds it is read today.
    #[inline]
    pub fn schedule(&mut self, day: u32, event: E) {
        debug_assert!(day >= self.today, "event on day {day} scheduled on day {}", self.today);
        let day = day.max(self.today);
        if day - self.today < WHEEL_DAYS {
            self.wheel[(day & MASK) as usize].push(event);
        } else {
            self.overflow.push(Parked { day, seq: self.seq, event });
            self.seq += 1;
        }
    }

    /// The `index`-th event of today's bucket, if there is one: read today's events with
    /// an index that grows until this returns `None`, since handling one may schedule
    /// another for today.
    #[inline]
    pub fn get(&self, index: usize) -> Option<E> {
        self.wheel[(self.today & MASK) as usize].get(index).copied()
    }

    /// How many events are scheduled, today's included.
    pub fn len(&self) -> usize {
        self.wheel.iter().map(Vec::len).sum::<usize>() + self.overflow.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ends today: empties its bucket, moves the window one day on, and moves the overflow's
    /// events that now fall inside the window into their bucket, in insertion order.
    pub fn advance(&mut self) {
        self.wheel[(self.today & MASK) as usize].clear();
        self.today += 1;
        let last = self.today + (WHEEL_DAYS - 1);
        while self.overflow.peek().is_some_and(|parked| parked.day <= last) {
            if let Some(parked) = self.overflow.pop() {
                self.wheel[(parked.day & MASK) as usize].push(parked.event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads day `day` whole (advancing to it first), as the engine does.
    fn read_day(calendar: &mut Calendar<u32>, day: u32) -> Vec<u32> {
        while calendar.today() < day {
            calendar.advance();
        }
        let mut out = Vec::new();
        let mut index = 0;
        while let Some(event) = calendar.get(index) {
            out.push(event);
            index += 1;
        }
        out
    }

    #[test]
    fn a_day_reads_in_insertion_order_with_far_events_first() {
        let mut calendar = Calendar::new();
        // Day 300 is beyond the window: parked first, so read before later insertions.
        calendar.schedule(300, 1);
        calendar.schedule(5, 10);
        calendar.schedule(300, 2);
        calendar.schedule(5, 11);
        assert_eq!(read_day(&mut calendar, 5), [10, 11]);
        // Still beyond the window on day 5 (300 - 5 >= 128): parked after 1 and 2.
        calendar.schedule(300, 3);
        assert_eq!(read_day(&mut calendar, 200), Vec::<u32>::new());
        // Now inside the window: straight into the bucket, after the parked ones.
        calendar.schedule(300, 4);
        assert_eq!(read_day(&mut calendar, 300), [1, 2, 3, 4]);
    }

    #[test]
    fn events_scheduled_for_today_while_reading_are_read_today() {
        let mut calendar = Calendar::new();
        calendar.schedule(0, 1);
        let mut seen = Vec::new();
        let mut index = 0;
        while let Some(event) = calendar.get(index) {
            seen.push(event);
            if event < 3 {
                calendar.schedule(0, event + 1);
            }
            index += 1;
        }
        assert_eq!(seen, [1, 2, 3]);
    }

    #[test]
    fn matches_a_priority_queue_on_day_and_insertion() {
        // A fixed pseudo-random mix of near and far events, read against a sort by
        // (day, insertion order).
        let mut calendar = Calendar::new();
        let mut expected: Vec<(u32, u32)> = Vec::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut label = 0;
        for today in 0..1_000u32 {
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let ahead = if x.is_multiple_of(5) { (x >> 8) as u32 % 600 } else { (x >> 8) as u32 % 40 };
                calendar.schedule(today + ahead, label);
                expected.push((today + ahead, label));
                label += 1;
            }
            let got = read_day(&mut calendar, today);
            let mut want: Vec<_> =
                expected.iter().filter(|(day, _)| *day == today).map(|&(_, l)| l).collect();
            want.sort_unstable();
            assert_eq!(got, want, "day {today}");
        }
    }

    #[test]
    fn a_default_calendar_works_once_reset() {
        let mut calendar = Calendar::default();
        calendar.reset();
        calendar.schedule(2, 5);
        calendar.schedule(400, 6);
        assert_eq!(read_day(&mut calendar, 2), [5]);
        assert_eq!(read_day(&mut calendar, 400), [6]);
    }

    #[test]
    fn reset_empties_and_restarts_at_day_zero() {
        let mut calendar = Calendar::new();
        calendar.schedule(3, 1);
        calendar.schedule(500, 2);
        calendar.reset();
        assert!(calendar.is_empty());
        assert_eq!(calendar.today(), 0);
        calendar.schedule(0, 7);
        assert_eq!(read_day(&mut calendar, 0), [7]);
    }
}
