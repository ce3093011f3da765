//! Output rate limiting: `output [all|first|last] every N events | T` and
//! `output snapshot every T`, over the rows a selector produces (expired rows included).
//!
//! Written once, generic over the row and group key:
//! - every N events: `all` emits the N rows held; `first` emits a row, then drops until N rows
//!   have been counted (per group with group by); `last` counts all rows and at the Nth emits the
//!   last row (of each group, in first-seen order, with group by);
//! - every T: periods end at T, 2T, ... from time 0. `all` emits the rows held; `last` the last
//!   row (of each group); `first` is not anchored: it emits a row, then drops rows until that
//!   row's time plus T (per group);
//! - snapshot every T (Siddhi's snapshot limiters, see [`SnapshotKind`]): at each period end,
//!   without a window the last row (of each group); with a window and no aggregate output the
//!   rows in the window (current rows added, expired rows taken out again); with only aggregate
//!   outputs the last row while events are in the window (of each group still holding events);
//!   with some aggregate outputs the rows in the window (the oldest of each group) carrying the
//!   latest aggregate values.

use crate::event::{Event, EventKind};
use crate::select::Selected;
use crate::state::{self, StateError};
use crate::window::Data;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

pub use eventflux_codegen::plan::SnapshotKind;

/// Which rows a limiter lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Every row held.
    All,
    /// The first row of each period.
    First,
    /// The last row of each period.
    Last,
}

/// How a limiter is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Every N rows.
    Events(Mode, u64),
    /// Every period (ms).
    Time(Mode, i64),
    /// A snapshot of the query's rows every period (ms).
    Snapshot {
        /// The period in ms.
        period: i64,
        /// Which rows make the snapshot.
        kind: SnapshotKind,
    },
}

/// What a snapshot of a query with some aggregate outputs needs from its rows.
pub trait AggregateOutputs<O>: Send + Sync {
    /// `row` with the aggregate outputs of `from`.
    fn with_aggregates_of(&self, row: &O, from: &O) -> O;
    /// Whether two rows agree on every output that is not an aggregate.
    fn same_plain_outputs(&self, a: &O, b: &O) -> bool;
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "K: Data + Eq + Hash, O: Data")]
struct LimiterState<K, O> {
    /// Rows held for the next emission.
    held: Vec<Selected<K, O>>,
    /// Rows counted in the current period.
    count: u64,
    /// Per group: rows counted (first every N) or the time until which rows are dropped.
    per_group: HashMap<Option<K>, i64>,
    /// End of the current period (time limiters).
    next: i64,
    /// Per group, the latest row carrying aggregate values (snapshots with some aggregates).
    latest: Vec<Selected<K, O>>,
}

/// A rate limiter.
pub struct RateLimiter<K: Data + Eq + Hash, O: Data> {
    limit: Limit,
    grouped: bool,
    state: LimiterState<K, O>,
    outputs: Option<Arc<dyn AggregateOutputs<O>>>,
}

impl<K: Data + Eq + Hash, O: Data + PartialEq> RateLimiter<K, O> {
    /// A limiter; `grouped` when the query has `group by`.
    pub fn new(limit: Limit, grouped: bool) -> Self {
        let next = match limit {
            Limit::Time(_, p) | Limit::Snapshot { period: p, .. } => p,
            Limit::Events(..) => 0,
        };
        RateLimiter {
            limit,
            grouped,
            state: LimiterState {
                held: Vec::new(),
                count: 0,
                per_group: HashMap::new(),
                next,
                latest: Vec::new(),
            },
            outputs: None,
        }
    }

    /// The limiter of a snapshot with some aggregate outputs ([`SnapshotKind::SomeAggregates`]):
    /// how its rows take the latest aggregate values.
    pub fn with_aggregate_outputs(mut self, outputs: Arc<dyn AggregateOutputs<O>>) -> Self {
        self.outputs = Some(outputs);
        self
    }

    /// Anchors the periods at `origin` (the app's start): they end at origin + T, + 2T, ...
    pub fn anchor(&mut self, origin: i64) {
        if let Limit::Time(_, p) | Limit::Snapshot { period: p, .. } = self.limit {
            self.state.next = crate::event::due_after(origin, p).unwrap_or(i64::MAX);
        }
    }

    /// Takes a chunk's rows, selected when the app's clock was at `now`; appends the rows to
    /// emit now to `out`.
    pub fn process(&mut self, rows: Vec<Selected<K, O>>, now: i64, out: &mut Vec<Selected<K, O>>) {
        let st = &mut self.state;
        match self.limit {
            Limit::Events(Mode::All, n) => {
                for row in rows {
                    st.held.push(row);
                    if st.held.len() as u64 >= n {
                        out.append(&mut st.held);
                    }
                }
            }
            Limit::Events(Mode::First, n) => {
                for row in rows {
                    let group = if self.grouped { row.key.clone() } else { None };
                    let counted = st.per_group.entry(group).or_insert(0);
                    if *counted == 0 {
                        out.push(row);
                    }
                    *counted += 1;
                    if *counted as u64 >= n {
                        *counted = 0;
                    }
                }
            }
            Limit::Events(Mode::Last, n) => {
                for row in rows {
                    keep_last(&mut st.held, row, self.grouped);
                    st.count += 1;
                    if st.count >= n {
                        st.count = 0;
                        out.append(&mut st.held);
                    }
                }
            }
            Limit::Time(Mode::All, _) => st.held.extend(rows),
            Limit::Time(Mode::Last, _) => {
                for row in rows {
                    keep_last(&mut st.held, row, self.grouped);
                }
            }
            // The period runs from the clock when a row was let through, not from the row's
            // own time (Siddhi's `FirstPerTimeOutputRateLimiter` reads the app's current time;
            // a batch window's rows keep their arrival times).
            Limit::Time(Mode::First, period) => {
                for row in rows {
                    let group = if self.grouped { row.key.clone() } else { None };
                    let until = st.per_group.entry(group).or_insert(i64::MIN);
                    if now >= *until {
                        *until = now.saturating_add(period);
                        out.push(row);
                    }
                }
            }
            Limit::Snapshot { kind, .. } => {
                for row in rows {
                    self.snapshot_row(kind, row);
                }
            }
        }
    }

    /// When the limiter next needs [`RateLimiter::on_time`].
    pub fn next_due(&self) -> Option<i64> {
        match self.limit {
            Limit::Time(Mode::All | Mode::Last, _) | Limit::Snapshot { .. } => {
                (self.state.next < i64::MAX).then_some(self.state.next)
            }
            _ => None,
        }
    }

    /// Ends the periods due at or before `now`, appending the rows to emit to `out`.
    pub fn on_time(&mut self, now: i64, out: &mut Vec<Selected<K, O>>) {
        let (period, snapshot) = match self.limit {
            Limit::Time(Mode::All | Mode::Last, p) => (p, false),
            Limit::Snapshot { period, .. } => (period, true),
            _ => return,
        };
        let st = &mut self.state;
        if st.next > now || st.next == i64::MAX {
            return;
        }
        let end = st.next;
        while st.next <= now {
            st.next = crate::event::due_after(st.next, period.max(1)).unwrap_or(i64::MAX);
        }
        if snapshot {
            self.snapshot_rows(end, out);
        } else {
            out.append(&mut self.state.held);
        }
    }

    /// Takes one row into a snapshot's state.
    fn snapshot_row(&mut self, kind: SnapshotKind, row: Selected<K, O>) {
        let st = &mut self.state;
        let current = row.event.kind == EventKind::Current;
        match kind {
            // Only current rows are kept (Siddhi's `PerSnapshotOutputRateLimiter` and its group
            // by twin): the expired rows a named window sends to its readers are not.
            SnapshotKind::Last => {
                if current {
                    keep_last(&mut st.held, row, self.grouped)
                }
            }
            SnapshotKind::Window => {
                if current {
                    st.held.push(row);
                } else if let Some(i) = st.held.iter().position(|h| h.event.data == row.event.data)
                {
                    st.held.remove(i);
                }
            }
            SnapshotKind::AllAggregates if !self.grouped => {
                st.held.clear();
                if current {
                    st.held.push(row);
                }
            }
            SnapshotKind::AllAggregates => {
                let count = st.per_group.entry(row.key.clone()).or_insert(0);
                *count += if current { 1 } else { -1 };
                keep_last(&mut st.held, row, true);
            }
            SnapshotKind::SomeAggregates => {
                let Some(outputs) = &self.outputs else {
                    return;
                };
                if current {
                    st.held.push(row.clone());
                } else if let Some(i) = st
                    .held
                    .iter()
                    .position(|h| outputs.same_plain_outputs(&h.event.data, &row.event.data))
                {
                    st.held.remove(i);
                } else {
                    return;
                }
                let key = if self.grouped { row.key.clone() } else { None };
                match st.latest.iter_mut().find(|l| l.key == key) {
                    Some(l) => l.event = row.event,
                    None => st.latest.push(Selected {
                        key,
                        event: row.event,
                    }),
                }
            }
        }
    }

    /// The rows of a snapshot at `end`.
    fn snapshot_rows(&mut self, end: i64, out: &mut Vec<Selected<K, O>>) {
        let Limit::Snapshot { kind, .. } = self.limit else {
            return;
        };
        let st = &mut self.state;
        let emit = |row: &Selected<K, O>, data: O| Selected {
            key: row.key.clone(),
            event: Event::current(end, data),
        };
        match kind {
            SnapshotKind::AllAggregates if self.grouped => {
                let counts = &mut st.per_group;
                st.held
                    .retain(|h| counts.get(&h.key).is_some_and(|count| *count > 0));
                counts.retain(|_, count| *count > 0);
                out.extend(st.held.iter().map(|row| emit(row, row.event.data.clone())));
            }
            SnapshotKind::SomeAggregates => {
                let Some(outputs) = &self.outputs else {
                    return;
                };
                let mut seen: Vec<&Option<K>> = Vec::new();
                for row in &st.held {
                    if self.grouped {
                        if seen.contains(&&row.key) {
                            continue;
                        }
                        seen.push(&row.key);
                    }
                    let key = if self.grouped { row.key.clone() } else { None };
                    let data = match st.latest.iter().find(|l| l.key == key) {
                        Some(l) => outputs.with_aggregates_of(&row.event.data, &l.event.data),
                        None => row.event.data.clone(),
                    };
                    out.push(emit(row, data));
                }
            }
            _ => out.extend(st.held.iter().map(|row| emit(row, row.event.data.clone()))),
        }
    }

    /// Whether the limiter holds no rows and counts nothing (its state may be dropped).
    pub fn is_idle(&self) -> bool {
        self.state.held.is_empty() && self.state.count == 0 && self.state.per_group.is_empty()
    }

    /// Moves an idle limiter's next period end past `horizon` in one step (nothing can reach it
    /// before then, so the periods in between would emit nothing).
    pub fn skip_idle(&mut self, horizon: i64) {
        let period = match self.limit {
            Limit::Time(Mode::All | Mode::Last, p) | Limit::Snapshot { period: p, .. } => p,
            _ => return,
        };
        if self.state.held.is_empty() && self.state.next < i64::MAX {
            self.state.next =
                crate::event::first_due_after(self.state.next, period, horizon).unwrap_or(i64::MAX);
        }
    }

    /// The limiter's state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    /// Replaces the state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    /// An empty limiter with the same settings (a partition key's own).
    pub fn fresh(&self) -> Self {
        let mut fresh = RateLimiter::new(self.limit, self.grouped);
        fresh.outputs = self.outputs.clone();
        fresh
    }
}

/// Keeps `row` as the last one (of its group, keeping the group's first-seen position).
fn keep_last<K: PartialEq, O>(held: &mut Vec<Selected<K, O>>, row: Selected<K, O>, grouped: bool) {
    if !grouped {
        held.clear();
        held.push(row);
    } else if let Some(slot) = held.iter_mut().find(|h| h.key == row.key) {
        *slot = row;
    } else {
        held.push(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: i64, key: char, v: i32) -> Selected<char, i32> {
        Selected {
            key: Some(key),
            event: Event::current(t, v),
        }
    }

    fn values(out: &[Selected<char, i32>]) -> Vec<i32> {
        out.iter().map(|s| s.event.data).collect()
    }

    #[test]
    fn first_every_time_is_not_anchored() {
        let mut l = RateLimiter::new(Limit::Time(Mode::First, 1000), false);
        let mut out = Vec::new();
        for (t, v) in [(0, 1), (10, 2), (1100, 3), (1110, 4), (2200, 5)] {
            l.process(vec![row(t, 'k', v)], t, &mut out);
        }
        assert_eq!(values(&out), vec![1, 3, 5]);
    }

    #[test]
    fn last_every_n_events_emits_the_last_row_of_each_group() {
        let mut l = RateLimiter::new(Limit::Events(Mode::Last, 3), true);
        let mut out = Vec::new();
        l.process(
            vec![row(1, 'a', 1), row(1, 'b', 2), row(1, 'a', 3)],
            1,
            &mut out,
        );
        assert_eq!(values(&out), vec![3, 2]);
    }

    #[test]
    fn snapshot_re_emits_the_window_rows_each_period() {
        let mut l = RateLimiter::new(
            Limit::Snapshot {
                period: 1000,
                kind: SnapshotKind::Window,
            },
            false,
        );
        let mut out = Vec::new();
        l.process(vec![row(0, 'k', 1), row(100, 'k', 2)], 100, &mut out);
        let mut gone = row(200, 'k', 1);
        gone.event.kind = EventKind::Expired;
        l.process(vec![gone], 200, &mut out);
        assert!(out.is_empty());
        assert_eq!(l.next_due(), Some(1000));
        l.on_time(1000, &mut out);
        assert_eq!(values(&out), vec![2]);
        assert_eq!(l.next_due(), Some(2000));
    }
}
