//! The selector: turns a chunk of events (current, expired, reset) into output rows, with
//! aggregation, group by, having, order by, limit and offset. The chunk semantics are written
//! once here; what a query computes comes from its [`SelectLogic`] (generated code on the
//! compiled path, compiled closures in the interpreter).
//!
//! Per chunk (SiddhiQL's rules):
//! - without aggregates or group by, every current (and expired, when the output takes them)
//!   event gives a row;
//! - with aggregates and no group by, only the last qualifying row of the chunk is emitted;
//! - with group by, one row per key, in the order keys first qualified in the chunk, each with
//!   its latest values (a key whose events only expired still gets its row when the output takes
//!   expired events);
//! - a `Reset` event (batch boundary) resets every aggregate;
//! - rows are computed when their event is processed, then `having` filters them, then the
//!   chunk's rows are ordered, and `offset` and `limit` applied.

use crate::event::{Event, EventKind};
use crate::state::{self, StateError};
use crate::window::Data;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashMap;

/// The hasher of a selector's group table: the groups are looked up once or twice per event, and
/// SipHash (the std default) costs several times what the lookup itself does.
type GroupHasher = foldhash::fast::RandomState;
use std::hash::Hash;

/// What a query's select clause computes.
pub trait SelectLogic: Send + Sync + 'static {
    /// The input event data (a row, a join pair, a pattern match).
    type In: Data;
    /// The group-by key.
    type Key: Data + Eq + Hash;
    /// The aggregate state of one group.
    type State: Data;
    /// The output row.
    type Out: Data;
    /// What expressions may read besides the event (tables); passed to every call.
    type Env: ?Sized;

    /// Whether the select has aggregates (one row per chunk or per key).
    fn aggregating(&self) -> bool;
    /// Whether the select has `group by`.
    fn grouped(&self) -> bool;
    /// The group-by key of an event.
    fn key(&self, event: &Self::In, env: &Self::Env) -> Self::Key;
    /// A fresh aggregate state.
    fn new_state(&self) -> Self::State;
    /// Adds (current) or removes (expired) the event's contribution.
    fn update(&self, state: &mut Self::State, event: &Event<Self::In>, env: &Self::Env);
    /// Empties the aggregates (a batch boundary).
    fn reset(&self, state: &mut Self::State);
    /// The output row for an event, given its group's state.
    fn project(&self, event: &Event<Self::In>, state: &Self::State, env: &Self::Env) -> Self::Out;
    /// The `having` condition over the output row (and, for joins and patterns, the inputs
    /// of the event the row was computed for).
    fn having(&self, _event: &Event<Self::In>, _row: &Self::Out, _env: &Self::Env) -> bool {
        true
    }
    /// Whether there is an `order by`.
    fn ordered(&self) -> bool {
        false
    }
    /// The `order by` comparison.
    fn compare(&self, _a: &Self::Out, _b: &Self::Out) -> Ordering {
        Ordering::Equal
    }
    /// `offset`.
    fn offset(&self) -> Option<u64> {
        None
    }
    /// `limit`.
    fn limit(&self) -> Option<u64> {
        None
    }
}

/// How many rows of a chunk a grouped selector scans to find a key's row before it indexes
/// them by key.
const SCANNED_ROWS: usize = 8;

/// How `order by` compares two values of one attribute (Siddhi's rule): a null sorts after
/// every value in either direction; `ordered` is how the two values compare when neither is
/// null, reversed when `descending`.
pub fn order_by(a_null: bool, b_null: bool, ordered: Ordering, descending: bool) -> Ordering {
    match (a_null, b_null) {
        (false, false) if descending => ordered.reverse(),
        (false, false) => ordered,
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (true, true) => Ordering::Equal,
    }
}

/// One output row with its group key (rate limiters group by it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selected<K, O> {
    /// The group key (`None` without group by).
    pub key: Option<K>,
    /// The row, as a current or expired event.
    pub event: Event<O>,
}

impl<K, O> Selected<K, O> {
    /// The row `row` computed for `event` (its time and kind), in group `key`.
    fn of<E>(key: Option<K>, event: &Event<E>, row: O) -> Self {
        Selected {
            key,
            event: Event {
                timestamp: event.timestamp,
                kind: event.kind,
                data: row,
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "K: Data + Eq + Hash, S: Data")]
struct SelectorState<K, S> {
    single: Option<S>,
    groups: HashMap<K, S>,
}

/// A selector running a [`SelectLogic`].
pub struct Selector<L: SelectLogic> {
    logic: L,
    current_on: bool,
    expired_on: bool,
    single: L::State,
    groups: HashMap<L::Key, L::State, GroupHasher>,
    /// Where each key's row is in the chunk being processed (kept to reuse its table).
    position: HashMap<L::Key, usize, GroupHasher>,
    /// Whether an aggregating chunk gives one row (per key) rather than a row per event.
    batching: bool,
}

impl<L: SelectLogic> Selector<L> {
    /// A selector emitting current and/or expired rows.
    pub fn new(logic: L, current_on: bool, expired_on: bool) -> Self {
        let single = logic.new_state();
        Selector {
            logic,
            current_on,
            expired_on,
            single,
            groups: HashMap::default(),
            position: HashMap::default(),
            batching: true,
        }
    }

    /// A selector giving a row for every event of a chunk, aggregating or not (what `output
    /// snapshot` reads, as Siddhi disables batching for it).
    pub fn unbatched(mut self) -> Self {
        self.batching = false;
        self
    }

    fn enabled(&self, kind: EventKind) -> bool {
        match kind {
            EventKind::Current => self.current_on,
            EventKind::Expired => self.expired_on,
            EventKind::Reset => false,
        }
    }

    /// Processes the groups of a chunk one by one, as if each were a chunk of its own: `ends`
    /// are where each group ends (a join's pairs come grouped by the event that made them, and
    /// Siddhi selects each group apart).
    pub fn process_groups(
        &mut self,
        chunk: &[Event<L::In>],
        ends: &[usize],
        env: &L::Env,
        out: &mut Vec<Selected<L::Key, L::Out>>,
    ) {
        let mut start = 0;
        for &end in ends {
            self.process(&chunk[start..end], env, out);
            start = end;
        }
    }

    /// Processes one chunk, appending its output rows to `out`.
    pub fn process(
        &mut self,
        chunk: &[Event<L::In>],
        env: &L::Env,
        out: &mut Vec<Selected<L::Key, L::Out>>,
    ) {
        let start = out.len();
        if !self.position.is_empty() {
            self.position.clear();
        }
        for event in chunk {
            self.step(event, env, out, start);
        }
        self.finish(out, start);
    }

    /// Processes the next event of a chunk whose rows start at `start` in `out` (what
    /// [`Selector::process`] does for each event of the chunk, for callers that have the
    /// chunk's events one by one); [`Selector::finish`] ends the chunk.
    #[inline]
    pub fn step(
        &mut self,
        event: &Event<L::In>,
        env: &L::Env,
        out: &mut Vec<Selected<L::Key, L::Out>>,
        start: usize,
    ) {
        if self.logic.grouped() {
            self.step_grouped(event, env, out, start);
        } else if self.logic.aggregating() {
            // Only the chunk's last qualifying row is emitted: it replaces the one before.
            if event.kind == EventKind::Reset {
                self.logic.reset(&mut self.single);
                return;
            }
            self.logic.update(&mut self.single, event, env);
            if self.enabled(event.kind) {
                let row = self.logic.project(event, &self.single, env);
                if self.logic.having(event, &row, env) {
                    if self.batching {
                        out.truncate(start);
                    }
                    out.push(Selected::of(None, event, row));
                }
            }
        } else {
            if !self.enabled(event.kind) {
                return;
            }
            let row = self.logic.project(event, &self.single, env);
            if self.logic.having(event, &row, env) {
                out.push(Selected::of(None, event, row));
            }
        }
    }

    /// Ends a chunk whose rows start at `start` in `out`: orders them and applies `offset` and
    /// `limit`.
    pub fn finish(&mut self, out: &mut Vec<Selected<L::Key, L::Out>>, start: usize) {
        if !self.position.is_empty() {
            self.position.clear();
        }
        self.order_and_limit(out, start);
    }

    /// One event of a grouped chunk: its key's row is the chunk's row for that key (one per
    /// key, in the order keys first qualified, with the latest values).
    fn step_grouped(
        &mut self,
        event: &Event<L::In>,
        env: &L::Env,
        out: &mut Vec<Selected<L::Key, L::Out>>,
        start: usize,
    ) {
        let Selector {
            logic,
            current_on,
            expired_on,
            groups,
            position,
            batching,
            ..
        } = self;
        if event.kind == EventKind::Reset {
            for state in groups.values_mut() {
                logic.reset(state);
            }
            return;
        }
        let key = logic.key(&event.data, env);
        let enabled = match event.kind {
            EventKind::Current => *current_on,
            EventKind::Expired => *expired_on,
            EventKind::Reset => false,
        };
        let state = match groups.get_mut(&key) {
            Some(s) => s,
            None => groups
                .entry(key.clone())
                .or_insert_with(|| logic.new_state()),
        };
        logic.update(state, event, env);
        if !enabled {
            return;
        }
        let row = logic.project(event, state, env);
        if !logic.having(event, &row, env) {
            return;
        }
        if !*batching {
            out.push(Selected::of(Some(key), event, row));
            return;
        }
        // Where the key's row is: found by scanning while the chunk has few rows, through the
        // index (emptied by `finish`) once it has more.
        let rows = out.len() - start;
        if rows > SCANNED_ROWS && position.is_empty() {
            for (i, s) in out[start..].iter().enumerate() {
                if let Some(k) = &s.key {
                    position.insert(k.clone(), i);
                }
            }
        }
        let at = if position.is_empty() {
            out[start..]
                .iter()
                .position(|s| s.key.as_ref() == Some(&key))
        } else {
            position.get(&key).copied()
        };
        match at {
            Some(i) => out[start + i] = Selected::of(Some(key), event, row),
            None => {
                if !position.is_empty() {
                    position.insert(key.clone(), rows);
                }
                out.push(Selected::of(Some(key), event, row));
            }
        }
    }

    /// Siddhi's `order by`, `offset` and `limit` of a chunk's rows: each run of rows of one
    /// kind (current or expired) is sorted on its own, so expired rows stay where they came;
    /// `offset` drops the first rows; `limit` keeps current rows while fewer rows than the limit
    /// were kept, and every expired row (which counts towards the limit).
    fn order_and_limit(&self, out: &mut Vec<Selected<L::Key, L::Out>>, start: usize) {
        if self.logic.ordered() {
            let mut run = start;
            while run < out.len() {
                let kind = out[run].event.kind;
                let end = out[run..]
                    .iter()
                    .position(|s| s.event.kind != kind)
                    .map_or(out.len(), |n| run + n);
                out[run..end].sort_by(|a, b| self.logic.compare(&a.event.data, &b.event.data));
                run = end;
            }
        }
        let offset = self.logic.offset().unwrap_or(0) as usize;
        if offset > 0 {
            let end = (start + offset).min(out.len());
            out.drain(start..end);
        }
        if let Some(limit) = self.logic.limit() {
            let (mut row, mut kept) = (0usize, 0u64);
            out.retain(|s| {
                row += 1;
                if row <= start {
                    return true;
                }
                let keep = s.event.kind == EventKind::Expired || kept < limit;
                kept += u64::from(keep);
                keep
            });
        }
    }

    /// The selector's aggregate state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&SelectorState {
            single: Some(self.single.clone()),
            groups: self
                .groups
                .iter()
                .map(|(k, s)| (k.clone(), s.clone()))
                .collect(),
        })
    }

    /// Replaces the aggregate state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: SelectorState<L::Key, L::State> = state::decode(bytes)?;
        self.single = s.single.unwrap_or_else(|| self.logic.new_state());
        self.groups = s.groups.into_iter().collect();
        Ok(())
    }

    /// The number of groups held.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `select k, sum(v) as s [group by k]` over `(k, v)` pairs.
    struct SumLogic {
        grouped: bool,
    }

    impl SelectLogic for SumLogic {
        type In = (char, i64);
        type Key = char;
        type State = (i64, i64);
        type Out = (char, Option<i64>);
        type Env = ();

        fn aggregating(&self) -> bool {
            true
        }
        fn grouped(&self) -> bool {
            self.grouped
        }
        fn key(&self, e: &(char, i64), _: &()) -> char {
            e.0
        }
        fn new_state(&self) -> (i64, i64) {
            (0, 0)
        }
        fn update(&self, s: &mut (i64, i64), e: &Event<(char, i64)>, _: &()) {
            match e.kind {
                EventKind::Current => *s = (s.0 + e.data.1, s.1 + 1),
                EventKind::Expired => *s = (s.0 - e.data.1, s.1 - 1),
                EventKind::Reset => {}
            }
        }
        fn reset(&self, s: &mut (i64, i64)) {
            *s = (0, 0);
        }
        fn project(&self, e: &Event<(char, i64)>, s: &(i64, i64), _: &()) -> (char, Option<i64>) {
            (e.data.0, (s.1 > 0).then_some(s.0))
        }
    }

    fn rows(out: &[Selected<char, (char, Option<i64>)>]) -> Vec<(EventKind, char, Option<i64>)> {
        out.iter()
            .map(|s| (s.event.kind, s.event.data.0, s.event.data.1))
            .collect()
    }

    #[test]
    fn aggregating_without_group_by_emits_the_last_row_per_chunk() {
        let mut sel = Selector::new(SumLogic { grouped: false }, true, false);
        let mut out = Vec::new();
        sel.process(
            &[Event::current(1, ('a', 1)), Event::current(1, ('b', 2))],
            &(),
            &mut out,
        );
        assert_eq!(rows(&out), vec![(EventKind::Current, 'b', Some(3))]);
    }

    #[test]
    fn grouped_rows_of_many_keys_keep_first_seen_order_and_latest_values() {
        // More keys in one chunk than the selector scans for before it indexes them.
        let keys: Vec<char> = ('a'..='l').collect();
        let chunk: Vec<Event<(char, i64)>> = (0..40)
            .map(|i| Event::current(5, (keys[(i * 7) % keys.len()], i as i64)))
            .collect();
        let mut sel = Selector::new(SumLogic { grouped: true }, true, true);
        let mut out = Vec::new();
        sel.process(&chunk, &(), &mut out);
        let mut expected: Vec<(EventKind, char, Option<i64>)> = Vec::new();
        let mut sums = HashMap::new();
        for e in &chunk {
            let s = sums.entry(e.data.0).or_insert(0);
            *s += e.data.1;
            let row = (EventKind::Current, e.data.0, Some(*s));
            match expected.iter().position(|r| r.1 == e.data.0) {
                Some(i) => expected[i] = row,
                None => expected.push(row),
            }
        }
        assert_eq!(rows(&out), expected);
        // The selector's index starts empty for the next chunk.
        out.clear();
        sel.process(&[Event::current(6, ('b', 1))], &(), &mut out);
        assert_eq!(
            rows(&out),
            vec![(EventKind::Current, 'b', Some(sums[&'b'] + 1))]
        );
    }

    #[test]
    fn grouped_rows_keep_first_seen_order_and_latest_values() {
        let mut sel = Selector::new(SumLogic { grouped: true }, true, true);
        let mut out = Vec::new();
        sel.process(
            &[
                Event::current(5, ('a', 1)),
                Event::current(5, ('b', 2)),
                Event::current(5, ('a', 3)),
            ],
            &(),
            &mut out,
        );
        assert_eq!(
            rows(&out),
            vec![
                (EventKind::Current, 'a', Some(4)),
                (EventKind::Current, 'b', Some(2))
            ]
        );
        let bytes = sel.snapshot().unwrap();
        let mut restored = Selector::new(SumLogic { grouped: true }, true, true);
        restored.restore(&bytes).unwrap();
        assert_eq!(restored.group_count(), 2);
    }
}
