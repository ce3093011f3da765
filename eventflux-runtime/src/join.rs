//! Joins: an arrival on one side (after that side's filters and window) is matched against what
//! the other side holds. Written once, generic over the event data `E`; what a side holds is
//! behind [`Held`] (a window mirrored into a hash index, a table, a named window).
//!
//! Semantics (SiddhiQL's):
//! - each event a side's window emits is joined as that side: current events give current
//!   pairs, expired events give expired pairs (so aggregates withdraw them), `Reset` passes on;
//! - a side triggers only if the other side is not `unidirectional`; a non-triggering side's
//!   arrivals only change what it holds;
//! - outer joins: an unmatched event of a preserved side pairs with nothing (`None`); an
//!   unmatched event of the other side gives nothing;
//! - when a side holds no window, every arrival's pairs are preceded by a `Reset`, so that
//!   aggregates cover only that arrival's matches;
//! - in a self-join the left side sees an arrival before the right side's window holds it.

use crate::event::{Chunk, Event, EventKind};
use crate::state::{self, StateError};
use crate::window::{Data, Window};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// The two sides of a join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The left side (input 0).
    Left,
    /// The right side (input 1).
    Right,
}

/// A joined pair; a side is missing in an outer join's unmatched rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair<E> {
    /// The left event.
    pub left: Option<E>,
    /// The right event.
    pub right: Option<E>,
}

/// What one side holds, to match the other side's arrivals against.
pub trait Held<E> {
    /// The held events that may match `arriving` (a superset of the matches: the join
    /// condition is checked on each).
    fn candidates(&self, arriving: &E) -> Vec<E>;
}

/// Which unmatched events an outer join keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preserve {
    /// Keep unmatched left events (left and full outer joins).
    pub left: bool,
    /// Keep unmatched right events (right and full outer joins).
    pub right: bool,
}

/// The join condition over a left and a right event.
pub type Condition<E> = Arc<dyn Fn(&E, &E) -> bool + Send + Sync>;

/// How a join matches and what it emits.
#[derive(Clone)]
pub struct JoinSpec<E> {
    /// Which unmatched events are kept.
    pub preserve: Preserve,
    /// Whether left arrivals trigger (the right side is not unidirectional).
    pub left_triggers: bool,
    /// Whether right arrivals trigger.
    pub right_triggers: bool,
    /// The `on` condition (`None`: every pair matches).
    pub on: Option<Condition<E>>,
    /// Whether each arrival's pairs start with a `Reset` (a side has no window).
    pub reset_per_arrival: bool,
}

impl<E: Data> JoinSpec<E> {
    /// Joins the events a side emitted (`emitted`, from `side`) with what the other side holds,
    /// appending the pairs to `out`.
    pub fn join(
        &self,
        side: Side,
        emitted: &Chunk<E>,
        other: &dyn Held<E>,
        out: &mut Chunk<Pair<E>>,
    ) {
        let triggers = match side {
            Side::Left => self.left_triggers,
            Side::Right => self.right_triggers,
        };
        if !triggers {
            return;
        }
        let preserved = match side {
            Side::Left => self.preserve.left,
            Side::Right => self.preserve.right,
        };
        for event in emitted {
            if event.kind == EventKind::Reset {
                out.push(Event {
                    timestamp: event.timestamp,
                    kind: EventKind::Reset,
                    data: Pair {
                        left: None,
                        right: None,
                    },
                });
                continue;
            }
            if self.reset_per_arrival && event.kind == EventKind::Current {
                out.push(Event::reset(
                    event.timestamp,
                    Pair {
                        left: None,
                        right: None,
                    },
                ));
            }
            let mut matched = false;
            for candidate in other.candidates(&event.data) {
                let (left, right) = match side {
                    Side::Left => (&event.data, &candidate),
                    Side::Right => (&candidate, &event.data),
                };
                if self.on.as_ref().is_none_or(|on| on(left, right)) {
                    matched = true;
                    out.push(Event {
                        timestamp: event.timestamp,
                        kind: event.kind,
                        data: Pair {
                            left: Some(left.clone()),
                            right: Some(right.clone()),
                        },
                    });
                }
            }
            if !matched && preserved {
                let data = match side {
                    Side::Left => Pair {
                        left: Some(event.data.clone()),
                        right: None,
                    },
                    Side::Right => Pair {
                        left: None,
                        right: Some(event.data.clone()),
                    },
                };
                out.push(Event {
                    timestamp: event.timestamp,
                    kind: event.kind,
                    data,
                });
            }
        }
    }
}

/// A side's key for hash lookups, and the key the other side's arrivals look up with.
pub type KeyOf<E, K> = Arc<dyn Fn(&E) -> K + Send + Sync>;

/// The keys of a hash-joined side: its own events' key, and the key of the other side's
/// arrivals that looks them up.
pub type SideKeys<E, K> = (KeyOf<E, K>, KeyOf<E, K>);

/// A side's hash index: its keys and the held events under each key.
type SideIndex<E, K> = (KeyOf<E, K>, KeyOf<E, K>, HashMap<K, Vec<E>>);

/// A stream side of a join: its window (if any) and, when the condition has equalities, a hash
/// index over the events the window holds, kept in step with what it emits.
pub struct WindowSide<E: Data, K> {
    window: Option<Box<dyn Window<E>>>,
    /// Without a window: whether arrivals are held as they come and go (a named window's
    /// current and expired events).
    mirror: bool,
    held: Vec<E>,
    index: Option<SideIndex<E, K>>,
}

/// A side's snapshot: its window's own bytes and the held events (`H` is `&Vec<E>` when
/// encoding, so nothing is copied, and `Vec<E>` when decoding).
#[derive(Serialize, Deserialize)]
struct SideState<H> {
    window: Option<Vec<u8>>,
    held: H,
}

impl<E: Data + PartialEq, K: Clone + Eq + Hash> WindowSide<E, K> {
    /// A side with an optional window; `keys` (this side's key, the other side's key) enables
    /// hash lookups.
    pub fn new(window: Option<Box<dyn Window<E>>>, keys: Option<SideKeys<E, K>>) -> Self {
        WindowSide {
            window,
            mirror: false,
            held: Vec::new(),
            index: keys.map(|(own, other)| (own, other, HashMap::new())),
        }
    }

    /// A side that holds what another window emits: current events in, expired events out.
    pub fn mirror(keys: Option<SideKeys<E, K>>) -> Self {
        let mut side = WindowSide::new(None, keys);
        side.mirror = true;
        side
    }

    /// Whether the side holds events (a window, or a mirror of one).
    pub fn has_window(&self) -> bool {
        self.window.is_some() || self.mirror
    }

    /// Takes arrivals at `now`; returns what the window emits (the arrivals themselves when
    /// there is no window).
    pub fn arrive(&mut self, now: i64, input: Chunk<E>) -> Chunk<E> {
        match &mut self.window {
            None => {
                if self.mirror {
                    self.track(&input);
                }
                input
            }
            Some(w) => {
                let mut out = Vec::with_capacity(input.len() * 2);
                w.process(now, input, &mut out);
                self.track(&out);
                out
            }
        }
    }

    /// Fires the window's timers due at or before `now`; returns what it emits.
    pub fn on_time(&mut self, now: i64) -> Chunk<E> {
        let mut out = Vec::new();
        if let Some(w) = &mut self.window {
            w.on_time(now, &mut out);
        }
        self.track(&out);
        out
    }

    /// When the window next needs [`WindowSide::on_time`].
    pub fn next_due(&self) -> Option<i64> {
        self.window.as_ref().and_then(|w| w.next_due())
    }

    /// Applies what the window emitted to the held events and the index.
    fn track(&mut self, emitted: &Chunk<E>) {
        for e in emitted {
            match e.kind {
                EventKind::Current => {
                    self.held.push(e.data.clone());
                    if let Some((own, _, map)) = &mut self.index {
                        map.entry(own(&e.data)).or_default().push(e.data.clone());
                    }
                }
                EventKind::Expired => {
                    if let Some(i) = self.held.iter().position(|h| *h == e.data) {
                        self.held.remove(i);
                    }
                    if let Some((own, _, map)) = &mut self.index {
                        let key = own(&e.data);
                        if let Some(list) = map.get_mut(&key) {
                            if let Some(i) = list.iter().position(|h| *h == e.data) {
                                list.remove(i);
                            }
                            if list.is_empty() {
                                map.remove(&key);
                            }
                        }
                    }
                }
                EventKind::Reset => {}
            }
        }
    }

    /// The side's state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&SideState {
            window: self.window.as_ref().map(|w| w.snapshot()).transpose()?,
            held: &self.held,
        })
    }

    /// Replaces the side's state with a snapshot's (the index is rebuilt).
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: SideState<Vec<E>> = state::decode(bytes)?;
        match (&mut self.window, s.window) {
            (Some(w), Some(bytes)) => w.restore(&bytes)?,
            (None, None) => {}
            _ => return Err(StateError::Mismatch("join side window".into())),
        }
        self.held = s.held;
        if let Some((own, _, map)) = &mut self.index {
            map.clear();
            for e in &self.held {
                map.entry(own(e)).or_default().push(e.clone());
            }
        }
        Ok(())
    }

    /// Whether the side holds nothing.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty() && self.next_due().is_none()
    }
}

impl<E: Data + PartialEq, K: Clone + Eq + Hash> Held<E> for WindowSide<E, K> {
    fn candidates(&self, arriving: &E) -> Vec<E> {
        match &self.index {
            Some((_, other, map)) => map.get(&other(arriving)).cloned().unwrap_or_default(),
            None => self.held.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::LengthWindow;

    type Side2 = WindowSide<(char, i32), char>;
    type Seen = (EventKind, Option<(char, i32)>, Option<(char, i32)>);

    fn side(keyed: bool) -> Side2 {
        let keys: Option<SideKeys<(char, i32), char>> = keyed.then(|| {
            (
                Arc::new(|e: &(char, i32)| e.0) as _,
                Arc::new(|e: &(char, i32)| e.0) as _,
            )
        });
        WindowSide::new(Some(Box::new(LengthWindow::new(2))), keys)
    }

    fn spec(preserve_left: bool) -> JoinSpec<(char, i32)> {
        JoinSpec {
            preserve: Preserve {
                left: preserve_left,
                right: false,
            },
            left_triggers: true,
            right_triggers: true,
            on: Some(Arc::new(|l: &(char, i32), r: &(char, i32)| l.0 == r.0)),
            reset_per_arrival: false,
        }
    }

    #[test]
    fn hash_and_scan_lookups_agree_and_expiries_withdraw_pairs() {
        for keyed in [false, true] {
            let (mut left, mut right) = (side(keyed), side(keyed));
            let s = spec(true);
            let mut out = Vec::new();
            let emitted = right.arrive(1, vec![Event::current(1, ('a', 1))]);
            s.join(Side::Right, &emitted, &left, &mut out);
            assert!(
                out.is_empty(),
                "unmatched right events of a left outer join give nothing"
            );
            let emitted = left.arrive(2, vec![Event::current(2, ('a', 2))]);
            s.join(Side::Left, &emitted, &right, &mut out);
            let emitted = left.arrive(3, vec![Event::current(3, ('b', 3))]);
            s.join(Side::Left, &emitted, &right, &mut out);
            let emitted = left.arrive(4, vec![Event::current(4, ('c', 4))]);
            s.join(Side::Left, &emitted, &right, &mut out);
            let seen: Vec<Seen> = out
                .iter()
                .map(|e| (e.kind, e.data.left, e.data.right))
                .collect();
            assert_eq!(
                seen,
                vec![
                    (EventKind::Current, Some(('a', 2)), Some(('a', 1))),
                    (EventKind::Current, Some(('b', 3)), None),
                    (EventKind::Expired, Some(('a', 2)), Some(('a', 1))),
                    (EventKind::Current, Some(('c', 4)), None),
                ],
                "keyed: {keyed}"
            );
        }
    }

    #[test]
    fn sides_round_trip_through_snapshots() {
        let mut s = side(true);
        s.arrive(1, vec![Event::current(1, ('a', 1))]);
        let bytes = s.snapshot().unwrap();
        let mut restored = side(true);
        restored.restore(&bytes).unwrap();
        assert_eq!(restored.candidates(&('a', 9)), vec![('a', 1)]);
    }
}
