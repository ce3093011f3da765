//! Joins: an arrival on one side (after that side's filters and window) is matched against what
//! the other side holds. Written once, generic over the event data of each side (`L` on the
//! left, `R` on the right, the same type in the interpreter, two generated structs in compiled
//! code); what a side holds is behind [`Held`] (a window mirrored into a hash index, a table, a
//! named window).
//!
//! Semantics (SiddhiQL's):
//! - each event a side's window emits is joined as that side: current events give current
//!   pairs, expired events give expired pairs (so aggregates withdraw them), `Reset` passes on;
//! - a side triggers only if the other side is not `unidirectional`; a non-triggering side's
//!   arrivals only change what it holds;
//! - outer joins: an unmatched event of a preserved side pairs with nothing (`None`); an
//!   unmatched event of the other side gives nothing;
//! - when a side holds no window, every arrival's pairs are followed by a `Reset`, so that
//!   aggregates cover only that arrival's matches; when the query outputs expired events, the
//!   same pairs come out expired between the two;
//! - in a self-join the left side sees an arrival before the right side's window holds it.

use crate::event::{Chunk, Event, EventKind};
use crate::state::{self, StateError};
use crate::window::{Data, Window};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// The hasher of a side's key index: it is updated and probed on every arrival, where SipHash
/// costs more than the lookup.
type KeyHasher = foldhash::fast::RandomState;
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

/// A joined pair of a left event `L` and a right event `R`; a side is missing in an outer
/// join's unmatched rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair<L, R> {
    /// The left event.
    pub left: Option<L>,
    /// The right event.
    pub right: Option<R>,
}

/// What one side, holding events `E`, offers an arriving event `A` of the other side to match
/// against.
pub trait Held<A, E> {
    /// Calls `f` with each held event that may match `arriving` (a superset of the matches:
    /// the join condition is checked on each), in the order the side holds them.
    fn for_each_candidate(&self, arriving: &A, f: &mut dyn FnMut(&E));
}

/// Which unmatched events an outer join keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preserve {
    /// Keep unmatched left events (left and full outer joins).
    pub left: bool,
    /// Keep unmatched right events (right and full outer joins).
    pub right: bool,
}

/// The join condition over a left event `L` and a right event `R`.
pub type Condition<L, R> = Arc<dyn Fn(&L, &R) -> bool + Send + Sync>;

/// How a join of left events `L` with right events `R` matches and what it emits.
#[derive(Clone)]
pub struct JoinSpec<L, R> {
    /// Which unmatched events are kept.
    pub preserve: Preserve,
    /// Whether left arrivals trigger (the right side is not unidirectional).
    pub left_triggers: bool,
    /// Whether right arrivals trigger.
    pub right_triggers: bool,
    /// The `on` condition (`None`: every pair matches).
    pub on: Option<Condition<L, R>>,
    /// Whether left arrivals come from a stream without a window: as Siddhi's empty window
    /// does, each such arrival's pairs are followed by a `Reset`, so that aggregates cover only
    /// one arrival's matches (arrivals through a window accumulate, and withdraw on expiry).
    pub left_windowless: bool,
    /// Whether right arrivals come from a stream without a window (see `left_windowless`).
    pub right_windowless: bool,
    /// Whether the query outputs expired events: then, as Siddhi's empty window emits an
    /// expired copy of each arrival, a windowless side's arrival joins a second time as an
    /// expired event right after its current pairs (so aggregates withdraw it at once).
    pub windowless_expire: bool,
}

impl<L: Data, R: Data> JoinSpec<L, R> {
    /// Joins the events the left side emitted (`emitted`) with what the right side holds
    /// (`other`), appending the pairs to `out`.
    pub fn join_left(&self, emitted: &Chunk<L>, other: &dyn Held<L, R>, out: &mut Joined<L, R>) {
        self.join_from(
            Side::Left,
            emitted,
            other,
            out,
            |l, r| self.on.as_ref().is_none_or(|on| on(l, r)),
            |l, r| Pair { left: l, right: r },
        );
    }

    /// Joins the events the right side emitted (`emitted`) with what the left side holds
    /// (`other`), appending the pairs to `out`.
    pub fn join_right(&self, emitted: &Chunk<R>, other: &dyn Held<R, L>, out: &mut Joined<L, R>) {
        self.join_from(
            Side::Right,
            emitted,
            other,
            out,
            |r, l| self.on.as_ref().is_none_or(|on| on(l, r)),
            |r, l| Pair { left: l, right: r },
        );
    }

    /// The join from `side`: `A` is its data, `B` the other side's; `matches` is the condition
    /// with the arriving event first, `pair` builds the pair from the arriving and the held
    /// event.
    fn join_from<A: Data, B: Data>(
        &self,
        side: Side,
        emitted: &Chunk<A>,
        other: &dyn Held<A, B>,
        joined: &mut Joined<L, R>,
        matches: impl Fn(&A, &B) -> bool,
        pair: impl Fn(Option<A>, Option<B>) -> Pair<L, R>,
    ) {
        let (triggers, preserved, windowless) = match side {
            Side::Left => (self.left_triggers, self.preserve.left, self.left_windowless),
            Side::Right => (
                self.right_triggers,
                self.preserve.right,
                self.right_windowless,
            ),
        };
        if !triggers {
            return;
        }
        let Joined { pairs: out, ends } = joined;
        for event in emitted {
            let first_pair = out.len();
            if event.kind == EventKind::Reset {
                out.push(Event {
                    timestamp: event.timestamp,
                    kind: EventKind::Reset,
                    data: Pair {
                        left: None,
                        right: None,
                    },
                });
                ends.push(out.len());
                continue;
            }
            let mut matched = false;
            other.for_each_candidate(&event.data, &mut |candidate| {
                if matches(&event.data, candidate) {
                    matched = true;
                    out.push(Event {
                        timestamp: event.timestamp,
                        kind: event.kind,
                        data: pair(Some(event.data.clone()), Some(candidate.clone())),
                    });
                }
            });
            if !matched && preserved {
                out.push(Event {
                    timestamp: event.timestamp,
                    kind: event.kind,
                    data: pair(Some(event.data.clone()), None),
                });
            }
            let last_pair = out.len();
            if last_pair > first_pair {
                ends.push(last_pair);
            }
            if windowless && event.kind == EventKind::Current {
                if self.windowless_expire && last_pair > first_pair {
                    for i in first_pair..last_pair {
                        let mut expired = out[i].clone();
                        expired.kind = EventKind::Expired;
                        out.push(expired);
                    }
                    ends.push(out.len());
                }
                out.push(Event::reset(
                    event.timestamp,
                    Pair {
                        left: None,
                        right: None,
                    },
                ));
                ends.push(out.len());
            }
        }
    }
}

/// What a join emits: its pairs in order, grouped as Siddhi's join hands them to the selector
/// (one group per emitted event's pairs, one per `Reset`), so that an aggregating selection
/// gives a row per group rather than per arrival.
#[derive(Debug)]
pub struct Joined<L, R> {
    /// Every pair, in order.
    pub pairs: Chunk<Pair<L, R>>,
    /// Where each group of `pairs` ends.
    pub ends: Vec<usize>,
}

impl<L, R> Default for Joined<L, R> {
    fn default() -> Self {
        Joined {
            pairs: Vec::new(),
            ends: Vec::new(),
        }
    }
}

impl<L, R> Joined<L, R> {
    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A key of events `T` for hash lookups.
pub type KeyOf<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// The keys of a hash-joined side holding events `E`: its own events' key, and the key of the
/// other side's arrivals `A` that looks them up.
pub type SideKeys<E, A, K> = (KeyOf<E, K>, KeyOf<A, K>);

/// A side's hash index: its keys and the held events under each key.
type SideIndex<E, A, K> = (KeyOf<E, K>, KeyOf<A, K>, HashMap<K, VecDeque<E>, KeyHasher>);

/// A stream side of a join, holding events `E` and matched against the other side's arrivals
/// `A`: its window `W` (if any) and, when the condition has equalities, a hash index (keys `K`)
/// over the events the window holds, kept in step with what it emits.
pub struct WindowSide<E: Data, K, A, W = Box<dyn Window<E>>> {
    window: Option<W>,
    /// Without a window: whether arrivals are held as they come and go (a named window's
    /// current and expired events).
    mirror: bool,
    /// The held events, oldest first (what expires is usually the oldest).
    held: VecDeque<E>,
    index: Option<SideIndex<E, A, K>>,
}

/// A side's snapshot: its window's own bytes and the held events (`H` is `&VecDeque<E>` when
/// encoding, so nothing is copied, and `VecDeque<E>` when decoding).
#[derive(Serialize, Deserialize)]
struct SideState<H> {
    window: Option<Vec<u8>>,
    held: H,
}

impl<E: Data + PartialEq, K: Clone + Eq + Hash, A, W: Window<E>> WindowSide<E, K, A, W> {
    /// A side with an optional window; `keys` (this side's key, the other side's key) enables
    /// hash lookups.
    pub fn new(window: Option<W>, keys: Option<SideKeys<E, A, K>>) -> Self {
        WindowSide {
            window,
            mirror: false,
            held: VecDeque::new(),
            index: keys.map(|(own, other)| (own, other, HashMap::default())),
        }
    }

    /// A side that holds what another window emits: current events in, expired events out.
    pub fn mirror(keys: Option<SideKeys<E, A, K>>) -> Self {
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

    /// Moves the window's idle periodic timer past `horizon` (see [`Window::skip_idle`]).
    pub fn skip_idle(&mut self, horizon: i64) {
        if let Some(w) = &mut self.window {
            w.skip_idle(horizon);
        }
    }

    /// Applies what the window emitted to the held events and the index (unless matches are
    /// found in the window's contents).
    fn track(&mut self, emitted: &Chunk<E>) {
        if self.window.as_ref().is_some_and(|w| w.found_in_contents()) {
            return;
        }
        for e in emitted {
            match e.kind {
                EventKind::Current => {
                    self.held.push_back(e.data.clone());
                    if let Some((own, _, map)) = &mut self.index {
                        map.entry(own(&e.data))
                            .or_default()
                            .push_back(e.data.clone());
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
        let s: SideState<VecDeque<E>> = state::decode(bytes)?;
        match (&mut self.window, s.window) {
            (Some(w), Some(bytes)) => w.restore(&bytes)?,
            (None, None) => {}
            _ => return Err(StateError::Mismatch("join side window".into())),
        }
        self.held = s.held;
        if let Some((own, _, map)) = &mut self.index {
            map.clear();
            for e in &self.held {
                map.entry(own(e)).or_default().push_back(e.clone());
            }
        }
        Ok(())
    }

    /// Whether the side holds nothing.
    pub fn is_empty(&self) -> bool {
        let window_empty = self
            .window
            .as_ref()
            .is_none_or(|w| !w.found_in_contents() || w.holds_nothing());
        self.held.is_empty() && window_empty && self.next_due().is_none()
    }
}

impl<E: Data, K: Eq + Hash, A, W: Window<E>> Held<A, E> for WindowSide<E, K, A, W> {
    fn for_each_candidate(&self, arriving: &A, f: &mut dyn FnMut(&E)) {
        if let Some(w) = &self.window
            && w.found_in_contents()
        {
            w.contents().into_iter().for_each(|e| f(&e.data));
            return;
        }
        match &self.index {
            Some((_, other, map)) => {
                if let Some(list) = map.get(&other(arriving)) {
                    list.iter().for_each(f);
                }
            }
            None => self.held.iter().for_each(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::LengthWindow;

    type Row = (char, i32);
    type Side2 = WindowSide<Row, char, Row>;
    type Seen = (EventKind, Option<Row>, Option<Row>);

    fn side(keyed: bool) -> Side2 {
        let keys: Option<SideKeys<Row, Row, char>> =
            keyed.then(|| (Arc::new(|e: &Row| e.0) as _, Arc::new(|e: &Row| e.0) as _));
        WindowSide::new(Some(Box::new(LengthWindow::new(2))), keys)
    }

    fn spec(preserve_left: bool) -> JoinSpec<Row, Row> {
        JoinSpec {
            preserve: Preserve {
                left: preserve_left,
                right: false,
            },
            left_triggers: true,
            right_triggers: true,
            on: Some(Arc::new(|l: &Row, r: &Row| l.0 == r.0)),
            left_windowless: false,
            right_windowless: false,
            windowless_expire: false,
        }
    }

    #[test]
    fn hash_and_scan_lookups_agree_and_expiries_withdraw_pairs() {
        for keyed in [false, true] {
            let (mut left, mut right) = (side(keyed), side(keyed));
            let s = spec(true);
            let mut out = Joined::default();
            let emitted = right.arrive(1, vec![Event::current(1, ('a', 1))]);
            s.join_right(&emitted, &left, &mut out);
            assert!(
                out.is_empty(),
                "unmatched right events of a left outer join give nothing"
            );
            let emitted = left.arrive(2, vec![Event::current(2, ('a', 2))]);
            s.join_left(&emitted, &right, &mut out);
            let emitted = left.arrive(3, vec![Event::current(3, ('b', 3))]);
            s.join_left(&emitted, &right, &mut out);
            let emitted = left.arrive(4, vec![Event::current(4, ('c', 4))]);
            s.join_left(&emitted, &right, &mut out);
            let seen: Vec<Seen> = out
                .pairs
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
        let mut candidates = Vec::new();
        restored.for_each_candidate(&('a', 9), &mut |e| candidates.push(*e));
        assert_eq!(candidates, vec![('a', 1)]);
    }

    #[test]
    fn sides_of_different_types_pair_in_left_right_order() {
        type Trade = (char, i32);
        type Quote = (String, f64);
        for hashed in [false, true] {
            let trade_keys: Option<SideKeys<Trade, Quote, char>> = hashed.then(|| {
                (
                    Arc::new(|t: &Trade| t.0) as _,
                    Arc::new(|q: &Quote| q.0.chars().next().unwrap_or(' ')) as _,
                )
            });
            let quote_keys: Option<SideKeys<Quote, Trade, char>> = hashed.then(|| {
                (
                    Arc::new(|q: &Quote| q.0.chars().next().unwrap_or(' ')) as _,
                    Arc::new(|t: &Trade| t.0) as _,
                )
            });
            // A concrete window type on the left, a boxed one on the right.
            let mut trades: WindowSide<Trade, char, Quote, LengthWindow<Trade>> =
                WindowSide::new(Some(LengthWindow::new(1)), trade_keys);
            let mut quotes: WindowSide<Quote, char, Trade> =
                WindowSide::new(Some(Box::new(LengthWindow::new(2))), quote_keys);
            let s: JoinSpec<Trade, Quote> = JoinSpec {
                preserve: Preserve {
                    left: false,
                    right: true,
                },
                left_triggers: true,
                right_triggers: true,
                on: Some(Arc::new(|t: &Trade, q: &Quote| {
                    q.0.starts_with(t.0) && f64::from(t.1) < q.1
                })),
                left_windowless: false,
                right_windowless: false,
                windowless_expire: false,
            };
            let mut out = Joined::default();
            let emitted = trades.arrive(1, vec![Event::current(1, ('a', 1))]);
            s.join_left(&emitted, &quotes, &mut out);
            assert!(
                out.is_empty(),
                "unmatched left events of a right outer join"
            );
            let emitted = quotes.arrive(2, vec![Event::current(2, ("a".to_string(), 5.0))]);
            s.join_right(&emitted, &trades, &mut out);
            let emitted = quotes.arrive(3, vec![Event::current(3, ("b".to_string(), 5.0))]);
            s.join_right(&emitted, &trades, &mut out);
            let emitted = trades.arrive(4, vec![Event::current(4, ('a', 9))]);
            s.join_left(&emitted, &quotes, &mut out);
            let seen: Vec<_> = out
                .pairs
                .into_iter()
                .map(|e| (e.kind, e.data.left, e.data.right))
                .collect();
            assert_eq!(
                seen,
                vec![
                    (
                        EventKind::Current,
                        Some(('a', 1)),
                        Some(("a".to_string(), 5.0))
                    ),
                    (EventKind::Current, None, Some(("b".to_string(), 5.0))),
                    (
                        EventKind::Expired,
                        Some(('a', 1)),
                        Some(("a".to_string(), 5.0))
                    ),
                ],
                "hashed: {hashed}"
            );
        }
    }
}
