//! `session(gap[, key[, allowed.latency]])`: sessions of events, per key when a key is given, as
//! Siddhi's `SessionWindowProcessor`. Time is the events' own timestamps.
//!
//! - Arrivals are emitted at once (current events) and join their key's session; an event within
//!   `gap` of the session's last event (`ts <= end`) extends it to `ts + gap`.
//! - A session closes when its end time comes (a timer; an event exactly at the end starts a new
//!   session): its events expire, in the order held, carrying the end time. Sessions due at the
//!   same time close in key order.
//! - With an allowed latency `L > 0`, a closed session is kept aside until `end + L` and its
//!   events expire then (carrying that time); until then a late event (older than the current
//!   session's start) may still join it, and it merges back into the current session when they
//!   come within `gap` of each other.
//! - Without latency a late event within `gap` before the current session's start joins that
//!   session (as its first event); other late events are dropped (not emitted).

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::marker::PhantomData;

/// The session window.
pub struct SessionWindow<E, K, A> {
    gap: i64,
    latency: i64,
    key: A,
    state: State<E, K>,
    _data: PhantomData<fn(&E)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "E: Serialize, K: Serialize",
    deserialize = "E: Deserialize<'de>, K: Deserialize<'de> + Ord"
))]
struct State<E, K> {
    keys: BTreeMap<K, Container<E>>,
    /// `(end, key)` of every open session.
    ends: BTreeSet<(i64, K)>,
    /// `(end + latency, key)` of every closed session kept for late events.
    alives: BTreeSet<(i64, K)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Container<E> {
    current: Session<E>,
    previous: Session<E>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Session<E> {
    events: VecDeque<Event<E>>,
    start: i64,
    end: i64,
    alive: i64,
}

impl<E> Session<E> {
    fn empty() -> Self {
        Session {
            events: VecDeque::new(),
            start: 0,
            end: 0,
            alive: 0,
        }
    }
}

impl<E> Container<E> {
    fn empty() -> Self {
        Container {
            current: Session::empty(),
            previous: Session::empty(),
        }
    }

    fn is_empty(&self) -> bool {
        self.current.events.is_empty() && self.previous.events.is_empty()
    }
}

/// Removes `(time, key)` from `set` and returns the key (the stored one when present).
fn unindex<K: Ord>(set: &mut BTreeSet<(i64, K)>, time: i64, key: K) -> K {
    let probe = (time, key);
    match set.take(&probe) {
        Some((_, stored)) => stored,
        None => probe.1,
    }
}

fn no_key<E>(_: &E) {}

impl<E, K, A> SessionWindow<E, K, A> {
    /// Sessions closed by a gap of `gap` ms, one per key `key` reads, closed sessions kept for
    /// late events for `allowed_latency` ms.
    pub fn new(gap: i64, key: A, allowed_latency: i64) -> Self {
        SessionWindow {
            gap,
            latency: allowed_latency.max(0),
            key,
            state: State {
                keys: BTreeMap::new(),
                ends: BTreeSet::new(),
                alives: BTreeSet::new(),
            },
            _data: PhantomData,
        }
    }
}

impl<E> SessionWindow<E, (), fn(&E)> {
    /// One session for all events, closed by a gap of `gap` ms.
    pub fn unkeyed(gap: i64) -> Self {
        SessionWindow::new(gap, no_key::<E> as fn(&E), 0)
    }
}

impl<E: Data, K: Data + Ord, A: Accessor<E, K>> SessionWindow<E, K, A> {
    /// Fires the timers due at or before `now`, one due time at a time.
    fn fire_until(&mut self, now: i64, out: &mut Chunk<E>) {
        while let Some(due) = self.next_due().filter(|due| *due <= now) {
            self.fire_at(due, out);
        }
    }

    /// Siddhi's timer at `due`: open sessions ending by then close, then kept sessions expire.
    fn fire_at(&mut self, due: i64, out: &mut Chunk<E>) {
        while self.state.ends.first().is_some_and(|(end, _)| *end <= due) {
            if let Some((end, key)) = self.state.ends.pop_first() {
                self.close_current(end, key, out);
            }
        }
        while self
            .state
            .alives
            .first()
            .is_some_and(|(alive, _)| *alive <= due)
        {
            if let Some((alive, key)) = self.state.alives.pop_first() {
                self.expire_previous(alive, key, out);
            }
        }
    }

    /// Closes `key`'s open session (already taken out of `ends`) at `end`.
    fn close_current(&mut self, end: i64, key: K, out: &mut Chunk<E>) {
        let Some(c) = self.state.keys.get_mut(&key) else {
            return;
        };
        let current = std::mem::replace(&mut c.current, Session::empty());
        if self.latency > 0 {
            let key = if c.previous.events.is_empty() {
                c.previous.events = current.events;
                key
            } else {
                c.previous.events.extend(current.events);
                unindex(&mut self.state.alives, c.previous.alive, key)
            };
            c.previous.start = current.start;
            c.previous.end = current.end;
            c.previous.alive = current.alive;
            self.state.alives.insert((current.alive, key));
        } else {
            for e in current.events {
                out.push(Event::expired(end, e.data));
            }
            if c.is_empty() {
                self.state.keys.remove(&key);
            }
        }
    }

    /// Expires `key`'s kept session (already taken out of `alives`) at `alive`.
    fn expire_previous(&mut self, alive: i64, key: K, out: &mut Chunk<E>) {
        let Some(c) = self.state.keys.get_mut(&key) else {
            return;
        };
        for e in std::mem::take(&mut c.previous.events) {
            out.push(Event::expired(alive, e.data));
        }
        if c.is_empty() {
            self.state.keys.remove(&key);
        }
    }

    fn take(&mut self, event: Event<E>, out: &mut Chunk<E>) {
        let ts = event.timestamp;
        let end = ts.saturating_add(self.gap);
        let alive = end.saturating_add(self.latency);
        let key = self.key.get(&event.data);
        let open = self
            .state
            .keys
            .get(&key)
            .filter(|c| !c.current.events.is_empty())
            .map(|c| (c.current.start, c.current.end));
        match open {
            None => {
                self.state.ends.insert((end, key.clone()));
                let c = self.state.keys.entry(key).or_insert_with(Container::empty);
                c.current.events.push_back(event.clone());
                c.current.start = ts;
                c.current.end = end;
                c.current.alive = alive;
                out.push(event);
            }
            Some((_, old_end)) if ts > old_end => {
                // Its timer would have closed the session first.
                let key = unindex(&mut self.state.ends, old_end, key);
                self.close_current(old_end, key, out);
                self.take(event, out);
            }
            Some((start, old_end)) if ts >= start => {
                let key = unindex(&mut self.state.ends, old_end, key);
                if let Some(c) = self.state.keys.get_mut(&key) {
                    c.current.events.push_back(event.clone());
                    c.current.end = end;
                    c.current.alive = alive;
                }
                self.state.ends.insert((end, key));
                out.push(event);
            }
            Some(_) => self.take_late(event, key, out),
        }
    }

    /// An event older than its key's open session.
    fn take_late(&mut self, event: Event<E>, key: K, out: &mut Chunk<E>) {
        let gap = self.gap;
        let latency = self.latency;
        let ts = event.timestamp;
        let state = &mut self.state;
        let Some(c) = state.keys.get_mut(&key) else {
            return;
        };
        if ts >= c.current.start.saturating_sub(gap) {
            c.current.events.push_front(event.clone());
            c.current.start = ts;
        } else if latency > 0
            && !c.previous.events.is_empty()
            && ts >= c.previous.start.saturating_sub(gap)
        {
            c.previous.events.push_back(event.clone());
            if ts <= c.previous.end.saturating_sub(gap) && ts < c.previous.start {
                c.previous.start = ts;
                out.push(event);
                return;
            }
            let key = unindex(&mut state.alives, c.previous.alive, key.clone());
            c.previous.end = ts.saturating_add(gap);
            c.previous.alive = c.previous.end.saturating_add(latency);
            state.alives.insert((c.previous.alive, key));
        } else {
            return;
        }
        if latency > 0
            && !c.previous.events.is_empty()
            && c.previous.end >= c.current.start.saturating_sub(gap)
        {
            let mut merged = std::mem::take(&mut c.previous.events);
            merged.append(&mut c.current.events);
            c.current.events = merged;
            c.current.start = c.previous.start;
            unindex(&mut state.alives, c.previous.alive, key);
        }
        out.push(event);
    }
}

impl<E: Data, K: Data + Ord, A: Accessor<E, K>> Window<E> for SessionWindow<E, K, A> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        self.fire_until(now, out);
        for event in input {
            self.take(event, out);
        }
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        self.fire_until(now, out);
    }

    fn next_due(&self) -> Option<i64> {
        let end = self.state.ends.first().map(|(t, _)| *t);
        let alive = self.state.alives.first().map(|(t, _)| *t);
        match (end, alive) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        let mut held: Vec<&Event<E>> = self
            .state
            .keys
            .values()
            .flat_map(|c| c.previous.events.iter().chain(c.current.events.iter()))
            .collect();
        held.sort_by_key(|e| e.timestamp);
        held
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(SessionWindow::new(self.gap, self.key.clone(), self.latency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, advance, at, check_round_trip, cur, drive, exp};

    type Row = (char, i32);
    type Keyed = SessionWindow<Row, char, fn(&Row) -> char>;

    fn keyed(gap: i64, latency: i64) -> Keyed {
        SessionWindow::new(gap, |r: &Row| r.0, latency)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, ('1', 5)),
            at(1200, ('2', 1)),
            at(1800, ('1', 2)),
            advance(2300),
            at(2500, ('2', 4)),
            at(2700, ('1', 1)),
            advance(3900),
            at(4000, ('1', 3)),
        ]
    }

    #[test]
    fn per_key_sessions_close_after_the_gap() {
        let mut w = keyed(1000, 0);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('1', 5)),
                cur(1200, ('2', 1)),
                cur(1800, ('1', 2)),
                exp(2200, ('2', 1)),
                cur(2500, ('2', 4)),
                cur(2700, ('1', 1)),
                exp(3500, ('2', 4)),
                exp(3700, ('1', 5)),
                exp(3700, ('1', 2)),
                exp(3700, ('1', 1)),
                cur(4000, ('1', 3)),
            ]
        );
        assert_eq!(w.next_due(), Some(5000));
        assert_eq!(w.contents(), vec![&cur(4000, ('1', 3))]);
    }

    #[test]
    fn an_event_at_the_session_end_starts_a_new_session() {
        let mut w: SessionWindow<i32, (), fn(&i32)> = SessionWindow::unkeyed(1000);
        let out = drive(&mut w, &[at(1000, 1), at(2000, 2), advance(3000)]);
        assert_eq!(
            out,
            vec![cur(1000, 1), exp(2000, 1), cur(2000, 2), exp(3000, 2)]
        );
        assert_eq!(w.next_due(), None);
        assert!(w.state.keys.is_empty());
    }

    #[test]
    fn late_events_without_latency() {
        let mut w: SessionWindow<char, (), fn(&char)> = SessionWindow::unkeyed(1000);
        let mut out = Vec::new();
        w.process(5000, vec![cur(5000, 'a')], &mut out);
        w.process(5100, vec![cur(4500, 'b')], &mut out);
        w.process(5200, vec![cur(3000, 'c')], &mut out);
        w.on_time(6000, &mut out);
        assert_eq!(
            out,
            vec![
                cur(5000, 'a'),
                cur(4500, 'b'),
                exp(6000, 'b'),
                exp(6000, 'a'),
            ]
        );
    }

    #[test]
    fn latency_keeps_a_closed_session_for_late_events() {
        let mut w = keyed(1000, 500);
        let mut out = drive(
            &mut w,
            &[at(1000, ('k', 1)), advance(2000), at(2400, ('k', 2))],
        );
        w.process(2450, vec![cur(500, ('k', 3))], &mut out);
        out.extend(drive(&mut w, &[advance(4000)]));
        assert_eq!(
            out,
            vec![
                cur(1000, ('k', 1)),
                cur(2400, ('k', 2)),
                cur(500, ('k', 3)),
                exp(2500, ('k', 1)),
                exp(2500, ('k', 3)),
                exp(3900, ('k', 2)),
            ]
        );
    }

    #[test]
    fn a_late_event_merges_the_kept_session_back() {
        let mut w = keyed(1000, 500);
        let mut out = drive(
            &mut w,
            &[at(1000, ('k', 1)), advance(2000), at(2200, ('k', 2))],
        );
        w.process(2300, vec![cur(1500, ('k', 3))], &mut out);
        assert_eq!(w.next_due(), Some(3200));
        out.extend(drive(&mut w, &[advance(4000)]));
        assert_eq!(
            out,
            vec![
                cur(1000, ('k', 1)),
                cur(2200, ('k', 2)),
                cur(1500, ('k', 3)),
                exp(3700, ('k', 1)),
                exp(3700, ('k', 3)),
                exp(3700, ('k', 2)),
            ]
        );
    }

    #[test]
    fn snapshot_round_trip() {
        let w = keyed(1000, 0);
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
        let w = keyed(1000, 400);
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
