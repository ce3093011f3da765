//! Patterns (`->`) and sequences (`,`): one state machine, written once and generic over the
//! event data `E`.
//!
//! ```text
//!  steps:    [0] e1=A      [1] e2=B<2:3>        [2] not C for T     [3] e3=D or e4=E
//!              |              |  (count >= min:     |  (deadline passes)   |
//!   partial -> +--- A ------> +--- B ... B -------> +------------------> +--- D | E ---> match
//!                              next step tried first; C kills it
//! ```
//!
//! A *partial match* holds the events of each slot, the step it waits at, how many events the
//! current (counting) step has, when its first event came (for `within`) and an absent step's
//! deadline. Partials are kept in creation order; one event may complete several of them, and
//! their matches come out in that order.
//!
//! - A *ready* partial has made no progress yet (the initial one, or a restart copy). Without
//!   `every` the initial partial is consumed by its first progress, so a pattern fires at most
//!   once. An `every` range of steps gives each partial that starts the range a *respawn* copy
//!   of the ready state, spawned when the instance finishes the range's start: at once for a
//!   single step, when the minimum is reached for a counting step, when the partial leaves the
//!   range for a group (so `every (A -> B)` does not overlap), or when the instance dies.
//! - Counting steps: once the minimum is reached, an event is first tried on the next step
//!   (which freezes the collection); otherwise it joins the collection, up to the maximum. A
//!   counting step that is last fires as soon as the minimum is reached; a last step with
//!   minimum 0 completes at once.
//! - `and`: one event may fill both sides; each side keeps its first event. `or`: the first side
//!   that matches is filled. An absent side (`not X and B`) dies when X comes.
//! - `not X for T`: the partial dies when X comes before the deadline; when the deadline passes
//!   it moves on. A leading one starts at the app's start and restarts at every X.
//! - `within T`: a partial whose first event is more than T old is dropped (inclusive bound).
//! - Sequences: an event that does not extend a pending partial kills it, and a new start is
//!   dropped when a pending partial already waits at the step it would reach.
//!
//! Per-event cost does not grow with unrelated partials: a step whose condition compares the
//! candidate with an earlier event for equality (`sym == e1.sym`) has a [`StepKey`], partials
//! waiting there are indexed by it, and an event visits only the partials under its own key (plus
//! the unindexed ones), and none when it fails the step's conditions on itself alone
//! (`price < 10.0`). Absent deadlines are kept in time order.
//!
//! The number of live partials is bounded by [`StateMachine::MAX_PARTIALS`]: past it the oldest
//! pending partial is dropped, and [`StateMachine::dropped`] counts how many were.

mod arena;

use crate::state::{self, StateError};
use crate::window::Data;
use arena::Arena;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The events a slot of a partial match holds: usually one, held inline.
pub type Slot<E> = SmallVec<[E; 1]>;

/// A condition on a candidate event given the events matched so far (one list per slot).
pub type Predicate<E> = Arc<dyn Fn(&[Slot<E>], &E) -> bool + Send + Sync>;

/// One stream element: which input stream it reads, which slot it fills, and its condition.
#[derive(Clone)]
pub struct Unit<E> {
    /// The input stream (an index the caller assigns).
    pub stream: usize,
    /// The slot the event fills.
    pub slot: usize,
    /// The element's filters.
    pub predicate: Predicate<E>,
}

impl<E> Unit<E> {
    fn accepts(&self, stream: usize, slots: &[Slot<E>], e: &E) -> bool {
        self.stream == stream && (self.predicate)(slots, e)
    }
}

/// Computes a partial match's key from the events it holds (one list per slot).
pub type PartialKey<E> = Arc<dyn Fn(&[Slot<E>]) -> u64 + Send + Sync>;

/// A condition on a candidate event alone.
pub type Guard<E> = Arc<dyn Fn(&E) -> bool + Send + Sync>;

/// An equality between a step's candidate event and an event matched earlier, as hashes:
/// partials waiting at the step are indexed by `partial`, arriving events look up by `event`.
#[derive(Clone)]
pub struct StepKey<E> {
    /// The key of a candidate event.
    pub event: Arc<dyn Fn(&E) -> u64 + Send + Sync>,
    /// The key of a partial match (from its earlier events).
    pub partial: PartialKey<E>,
    /// The step's conditions on the candidate alone, when it has some: an event failing them
    /// extends no partial waiting at the step, so it does not look them up.
    pub guard: Option<Guard<E>>,
}

/// One side of a logical step.
#[derive(Clone)]
pub enum Part<E> {
    /// An event that must come.
    Present(Unit<E>),
    /// An event that must not come (for `T` ms from the step's start, when given: then the
    /// part holds once the period has passed quietly).
    Absent(Unit<E>, Option<i64>),
}

/// One step of the state machine.
#[derive(Clone)]
pub enum Step<E> {
    /// `min..=max` events (`max` `None`: unbounded) of a unit.
    Stream {
        /// The element.
        unit: Unit<E>,
        /// Fewest events.
        min: u32,
        /// Most events.
        max: Option<u32>,
    },
    /// No event of the unit (for `waiting` ms, when given).
    Absent {
        /// The element that must not come.
        unit: Unit<E>,
        /// `for T`.
        waiting: Option<i64>,
    },
    /// Both parts.
    And(Part<E>, Part<E>),
    /// Either part (the first one that matches).
    Or(Part<E>, Part<E>),
}

/// A range of steps under `every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EveryRange {
    /// First step.
    pub start: usize,
    /// One past the last step.
    pub end: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "E: Data")]
struct Partial<E> {
    slots: Vec<Slot<E>>,
    step: usize,
    count: u32,
    start: Option<i64>,
    deadline: Option<i64>,
    filled: [bool; 2],
    ready: bool,
    /// The event of an `every` step's untimed absent part came: the present part's next event
    /// is refused (and clears this), as Siddhi's `partnerCanProceed` does.
    refuse_next: bool,
    respawn: Option<Box<Partial<E>>>,
}

impl<E: Clone> Partial<E> {
    fn new(slots: usize) -> Self {
        Partial {
            slots: vec![Slot::new(); slots],
            step: 0,
            count: 0,
            start: None,
            deadline: None,
            filled: [false; 2],
            ready: true,
            refuse_next: false,
            respawn: None,
        }
    }

    fn add(&mut self, slot: usize, e: &E, t: i64) {
        if let Some(events) = self.slots.get_mut(slot) {
            events.push(e.clone());
        }
        self.start.get_or_insert(t);
    }
}

/// What happened to a partial on an event.
enum Outcome<E> {
    /// Untouched.
    Unchanged,
    /// It made progress (the new state).
    Progress(Partial<E>),
    /// It completed (the match's slots).
    Complete(Partial<E>),
    /// It died.
    Dead,
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "E: Data")]
struct MachineState<E> {
    partials: Vec<(u64, Partial<E>)>,
    /// Written for the format's sake: a restored machine numbers its partials afresh.
    next_id: u64,
    dropped: u64,
}

/// Where a partial is filed: under a step's key, or with those every event visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Filed {
    Keyed(usize, u64),
    Scanned,
}

/// A live partial and where it is filed (kept so that removing it need not compute its key).
struct Held<E> {
    partial: Partial<E>,
    filed: Filed,
}

/// A pattern or sequence over events of data `E`.
pub struct StateMachine<E: Data> {
    steps: Vec<Step<E>>,
    keys: Vec<Option<StepKey<E>>>,
    every: Vec<EveryRange>,
    sequence: bool,
    within: Option<i64>,
    slots: usize,
    /// Live partials by id, in creation order.
    partials: Arena<Held<E>>,
    /// The ids of the partials every event visits, ascending.
    scanned: Vec<u64>,
    /// The ids filed under each (step, key), ascending: usually one or two, held inline.
    keyed: HashMap<(usize, u64), SmallVec<[u64; 2]>, foldhash::fast::RandomState>,
    deadlines: BTreeSet<(i64, u64)>,
    dropped: u64,
    /// The candidate ids of the event being processed (kept to reuse its buffer).
    candidate_ids: Vec<u64>,
    /// The restart copies spawned by the event being processed (kept to reuse the buffer).
    spawned: Vec<Partial<E>>,
    /// `within`: no partial [`StateMachine::prune`] would reach expires at or before this time
    /// (at most the first partial with a first event, in creation order, plus `within`), so
    /// pruning until then has nothing to do.
    prune_idle_until: i64,
    /// The partial the last prune stopped at: taking it or one before it out may bring an
    /// older one first, so that the next prune looks again.
    prune_head: u64,
}

/// A completed match: the time it completed and the events of each slot.
pub type Match<E> = (i64, Vec<Slot<E>>);

impl<E: Data> StateMachine<E> {
    /// Live partial matches kept at most (an app without `within` is bounded by it).
    pub const MAX_PARTIALS: usize = 100_000;

    /// A state machine over `steps` (with an optional key per step) filling `slots` slots; call
    /// [`StateMachine::start`] before use.
    pub fn new(
        steps: Vec<Step<E>>,
        keys: Vec<Option<StepKey<E>>>,
        every: Vec<EveryRange>,
        sequence: bool,
        within: Option<i64>,
        slots: usize,
    ) -> Self {
        StateMachine {
            steps,
            keys,
            every,
            sequence,
            within,
            slots,
            partials: Arena::new(),
            scanned: Vec::new(),
            keyed: HashMap::default(),
            deadlines: BTreeSet::new(),
            dropped: 0,
            candidate_ids: Vec::new(),
            spawned: Vec::new(),
            prune_idle_until: i64::MIN,
            prune_head: 0,
        }
    }

    /// (Re)starts the machine at `origin` (the app's start): one ready partial, with a leading
    /// absent step's deadline counted from `origin`.
    pub fn start(&mut self, origin: i64) {
        self.clear();
        let mut initial = Partial::new(self.slots);
        self.arrive_at(&mut initial, 0, origin);
        self.insert(initial);
    }

    fn clear(&mut self) {
        self.partials.clear();
        self.scanned.clear();
        self.keyed.clear();
        self.deadlines.clear();
        self.prune_idle_until = i64::MIN;
    }

    /// Where partial `p` is filed.
    fn filed(&self, p: &Partial<E>) -> Filed {
        if self.sequence || p.ready {
            return Filed::Scanned;
        }
        match (self.steps.get(p.step), self.keys.get(p.step)) {
            (
                Some(Step::Stream {
                    min: 1,
                    max: Some(1),
                    ..
                }),
                Some(Some(key)),
            ) => Filed::Keyed(p.step, (key.partial)(&p.slots)),
            _ => Filed::Scanned,
        }
    }

    /// Files `p` under a new id, after every partial held.
    fn insert(&mut self, p: Partial<E>) {
        let id = self.partials.next_id();
        self.insert_as(id, p);
    }

    /// Drops the holes removed partials left at the front of the creation order, and renumbers
    /// the partials once holes elsewhere outnumber them (so the order stays proportional to the
    /// live partials).
    fn tidy(&mut self) {
        self.partials.trim();
        if self.partials.sparse() {
            let held = self.partials.drain();
            self.clear();
            for h in held {
                self.insert(h.partial);
            }
        }
    }

    /// The live partials in creation order.
    fn in_order(&self) -> impl Iterator<Item = (u64, &Partial<E>)> {
        self.partials.iter().map(|(id, h)| (id, &h.partial))
    }

    /// The live partial `id`.
    fn get(&self, id: u64) -> Option<&Partial<E>> {
        self.partials.get(id).map(|h| &h.partial)
    }

    /// Files `p` under `id`: an id it had before (its place in the creation order is kept), or
    /// the next one.
    fn insert_as(&mut self, id: u64, p: Partial<E>) {
        if let (Some(w), Some(start)) = (self.within, p.start) {
            self.prune_idle_until = self.prune_idle_until.min(start.saturating_add(w));
        }
        let filed = self.filed(&p);
        let deadline = p.deadline;
        self.partials.put(id, Held { partial: p, filed });
        self.index(id, filed, deadline);
    }

    /// Adds `id` to the index it is `filed` in, and to the deadlines.
    fn index(&mut self, id: u64, filed: Filed, deadline: Option<i64>) {
        match filed {
            Filed::Scanned => match self.scanned.last() {
                Some(last) if *last >= id => {
                    if let Err(at) = self.scanned.binary_search(&id) {
                        self.scanned.insert(at, id);
                    }
                }
                _ => self.scanned.push(id),
            },
            Filed::Keyed(step, key) => {
                let ids = self.keyed.entry((step, key)).or_default();
                if let Err(at) = ids.binary_search(&id) {
                    ids.insert(at, id);
                }
            }
        }
        if let Some(d) = deadline {
            self.deadlines.insert((d, id));
        }
    }

    /// Takes partial `id` out.
    fn remove(&mut self, id: u64) -> Option<Partial<E>> {
        let Held { partial: p, filed } = self.partials.take(id)?;
        if id <= self.prune_head {
            self.prune_idle_until = i64::MIN;
        }
        match filed {
            Filed::Scanned => {
                if let Ok(at) = self.scanned.binary_search(&id) {
                    self.scanned.remove(at);
                }
            }
            Filed::Keyed(step, key) => {
                if let Some(ids) = self.keyed.get_mut(&(step, key)) {
                    if let Ok(at) = ids.binary_search(&id) {
                        ids.remove(at);
                    }
                    if ids.is_empty() {
                        self.keyed.remove(&(step, key));
                    }
                }
            }
        }
        if let Some(d) = p.deadline {
            self.deadlines.remove(&(d, id));
        }
        Some(p)
    }

    /// The partials an event of `stream` may affect, in creation order, into `ids`.
    fn candidates(&self, stream: usize, e: &E, ids: &mut Vec<u64>) {
        ids.clear();
        ids.extend(self.scanned.iter().copied());
        let mut merged = false;
        for (step, key) in self.keys.iter().enumerate() {
            let (Some(key), Some(Step::Stream { unit, .. })) = (key, self.steps.get(step)) else {
                continue;
            };
            if unit.stream != stream
                || self.keyed.is_empty()
                || key.guard.as_ref().is_some_and(|guard| !guard(e))
            {
                continue;
            }
            if let Some(found) = self.keyed.get(&(step, (key.event)(e))) {
                ids.extend(found);
                merged = true;
            }
        }
        if merged {
            ids.sort_unstable();
            ids.dedup();
        }
    }

    /// Whether a ready partial waits at `step` (ready partials are always scanned).
    fn ready_at(&self, step: usize) -> bool {
        self.scanned
            .iter()
            .any(|id| self.get(*id).is_some_and(|k| k.ready && k.step == step))
    }

    /// Whether a partial that has made progress waits at `step`.
    fn pending_at(&self, step: usize) -> bool {
        self.in_order().any(|(_, k)| !k.ready && k.step == step)
    }

    /// How many partial matches were dropped because of [`StateMachine::MAX_PARTIALS`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How many partial matches are live.
    pub fn live(&self) -> usize {
        self.partials.len()
    }

    fn range_starting(&self, step: usize) -> Option<EveryRange> {
        self.every.iter().copied().find(|r| r.start == step)
    }

    /// Sets up a partial that has just reached `step` at time `t`.
    fn arrive_at(&self, p: &mut Partial<E>, step: usize, t: i64) {
        p.step = step;
        p.count = 0;
        p.filled = [false; 2];
        p.deadline = self.waiting(step).map(|w| t.saturating_add(w));
    }

    /// How long step `step` waits for an absence (`not X for T`, alone or in `and`/`or`).
    fn waiting(&self, step: usize) -> Option<i64> {
        let period = |part: &Part<E>| match part {
            Part::Absent(_, waiting) => *waiting,
            Part::Present(_) => None,
        };
        match self.steps.get(step)? {
            Step::Absent { waiting, .. } => *waiting,
            Step::And(a, b) => period(a).or(period(b)),
            // Either quiet period passing completes an `or`: the shorter one counts.
            Step::Or(a, b) => match (period(a), period(b)) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            Step::Stream { .. } => None,
        }
    }

    /// Whether a partial at its current step is complete already (past the last step, or at a
    /// last step that needs no event).
    fn settled(&self, p: &Partial<E>) -> bool {
        match self.steps.get(p.step) {
            None => true,
            Some(Step::Stream { min, .. }) => p.step + 1 == self.steps.len() && p.count >= *min,
            _ => false,
        }
    }

    /// Moves `p` past its current step at `t`.
    fn complete_step(&self, mut p: Partial<E>, t: i64) -> Outcome<E> {
        let next = p.step + 1;
        self.arrive_at(&mut p, next, t);
        if self.settled(&p) {
            Outcome::Complete(p)
        } else {
            Outcome::Progress(p)
        }
    }

    /// Tries partial `p`'s current step on an event. A counting step whose minimum is reached
    /// first tries the next step (which freezes the collection), then its own.
    fn try_step(&self, p: &Partial<E>, stream: usize, e: &E, t: i64) -> Outcome<E> {
        let Some(step) = self.steps.get(p.step) else {
            return Outcome::Unchanged;
        };
        match step {
            Step::Stream { unit, min, max } => {
                if p.count >= *min && p.step + 1 < self.steps.len() {
                    let mut moved = p.clone();
                    self.arrive_at(&mut moved, p.step + 1, t);
                    match self.try_step(&moved, stream, e, t) {
                        Outcome::Unchanged => {}
                        Outcome::Dead => return Outcome::Dead,
                        done => return self.restart_from(&moved, done),
                    }
                }
                if max.is_some_and(|m| p.count >= m) || !unit.accepts(stream, &p.slots, e) {
                    return Outcome::Unchanged;
                }
                let mut q = p.clone();
                q.add(unit.slot, e, t);
                q.count += 1;
                q.ready = false;
                if self.settled(&q) {
                    return self.complete_step(q, t);
                }
                if max.is_some_and(|m| q.count >= m) && p.step + 1 == self.steps.len() {
                    return self.complete_step(q, t);
                }
                if *max == Some(1) && q.count >= *min {
                    return self.complete_step(q, t);
                }
                Outcome::Progress(q)
            }
            Step::Absent { unit, waiting } => {
                if unit.accepts(stream, &p.slots, e) {
                    // A leading absence restarts its period (a sequence's breaks, below).
                    if p.step == 0 && p.ready && !self.sequence {
                        let mut q = p.clone();
                        q.deadline = waiting.map(|w| t.saturating_add(w));
                        return Outcome::Progress(q);
                    }
                    return Outcome::Dead;
                }
                Outcome::Unchanged
            }
            Step::And(a, b) => {
                // An absent part (a timed one: within its period, marked filled once the period
                // passed) is violated by its event; a leading one restarts its period instead.
                for (i, part) in [a, b].into_iter().enumerate() {
                    if let Part::Absent(unit, waiting) = part
                        && !p.filled[i]
                        && unit.accepts(stream, &p.slots, e)
                    {
                        return match waiting {
                            Some(w) if p.step == 0 && p.ready => {
                                let mut q = p.clone();
                                q.deadline = Some(t.saturating_add(*w));
                                Outcome::Progress(q)
                            }
                            // Under `every`, the step stays armed but refuses the present
                            // part's next event.
                            None if p.ready && self.range_starting(p.step).is_some() => {
                                let mut q = p.clone();
                                q.refuse_next = true;
                                Outcome::Progress(q)
                            }
                            _ => Outcome::Dead,
                        };
                    }
                }
                let mut q = p.clone();
                let mut changed = false;
                for (i, part) in [a, b].into_iter().enumerate() {
                    if let Part::Present(unit) = part
                        && !q.filled[i]
                        && unit.accepts(stream, &p.slots, e)
                    {
                        if q.refuse_next {
                            q.refuse_next = false;
                            return Outcome::Progress(q);
                        }
                        q.add(unit.slot, e, t);
                        q.filled[i] = true;
                        changed = true;
                    }
                }
                if !changed {
                    return Outcome::Unchanged;
                }
                q.ready = false;
                if self.and_done(&q) {
                    self.complete_step(q, t)
                } else {
                    Outcome::Progress(q)
                }
            }
            Step::Or(a, b) => {
                for part in [a, b] {
                    if let Part::Present(unit) = part
                        && unit.accepts(stream, &p.slots, e)
                    {
                        let mut q = p.clone();
                        q.add(unit.slot, e, t);
                        q.ready = false;
                        q.deadline = None;
                        return self.complete_step(q, t);
                    }
                }
                // A timed absent part violated within its period can no longer complete the
                // step (a leading one restarts its period).
                let parts = [a, b];
                for (i, part) in parts.into_iter().enumerate() {
                    if let Part::Absent(unit, Some(w)) = part
                        && !p.filled[i]
                        && p.deadline.is_some()
                        && unit.accepts(stream, &p.slots, e)
                    {
                        let mut q = p.clone();
                        // With an `or` of two absent parts, the other one may still hold.
                        if let Part::Absent(..) = parts[1 - i] {
                            q.filled[i] = true;
                            return if p.filled[1 - i] {
                                Outcome::Dead
                            } else {
                                Outcome::Progress(q)
                            };
                        }
                        if p.step == 0 && p.ready {
                            q.deadline = Some(t.saturating_add(*w));
                        } else {
                            q.filled[i] = true;
                            q.deadline = None;
                        }
                        return Outcome::Progress(q);
                    }
                }
                Outcome::Unchanged
            }
        }
    }

    /// The outcome of a partial that passed a count step's minimum into `moved` (at the next
    /// step) on the same event: when that step starts an `every` range, the outcome carries
    /// `moved` as its restart copy, as a partial that waited there would (so the range restarts
    /// with the same counted events).
    fn restart_from(&self, moved: &Partial<E>, outcome: Outcome<E>) -> Outcome<E> {
        let attach = |mut q: Partial<E>| {
            if q.respawn.is_none() && self.before_every(moved) {
                let mut copy = moved.clone();
                copy.respawn = None;
                q.respawn = Some(Box::new(copy));
            }
            q
        };
        match outcome {
            Outcome::Progress(q) => Outcome::Progress(attach(q)),
            Outcome::Complete(q) => Outcome::Complete(attach(q)),
            other => other,
        }
    }

    /// Whether `p` waits at a step with an absent element of input `stream`.
    fn awaits_absence_of(&self, p: &Partial<E>, stream: usize) -> bool {
        match self.steps.get(p.step) {
            Some(Step::Absent { unit, .. }) => unit.stream == stream,
            Some(Step::And(a, b) | Step::Or(a, b)) => [a, b]
                .into_iter()
                .any(|part| matches!(part, Part::Absent(unit, _) if unit.stream == stream)),
            _ => false,
        }
    }

    /// Whether an `and` step holds: every present part filled, every timed absent part's
    /// period passed (marked filled), untimed absent parts unviolated.
    fn and_done(&self, p: &Partial<E>) -> bool {
        let Some(Step::And(a, b)) = self.steps.get(p.step) else {
            return false;
        };
        [a, b].into_iter().enumerate().all(|(i, part)| match part {
            Part::Absent(_, None) => true,
            _ => p.filled[i],
        })
    }

    /// Whether the partial's `every` instance has finished its start, so its restart copy may
    /// be spawned.
    fn may_respawn(&self, p: &Partial<E>, range: EveryRange) -> bool {
        if p.step >= range.end {
            return true;
        }
        match self.steps.get(range.start) {
            Some(Step::Stream { min, max, .. }) if range.end == range.start + 1 => {
                *max != Some(1) && p.step == range.start && p.count >= *min
            }
            _ => false,
        }
    }

    /// Whether `p` waits at the first step of an `every` range it has not begun: its progress
    /// starts a new instance, and a copy of it is kept to start the next one.
    fn before_every(&self, p: &Partial<E>) -> bool {
        self.range_starting(p.step).is_some() && p.count == 0 && p.filled == [false; 2]
    }

    /// Takes progress `q` of `p`, handling `every` restarts: returns `q` to keep, and appends
    /// any restart copy that is due to `spawned`.
    fn keep(&self, p: Partial<E>, mut q: Partial<E>, spawned: &mut Vec<Partial<E>>) -> Partial<E> {
        // The restart copy: `p` itself when it starts an `every` range, else the one `q`
        // carries. It is spawned at once when due, and carried otherwise.
        let step = p.step;
        let copy = if self.before_every(&p) {
            q.respawn = None;
            let mut copy = p;
            copy.respawn = None;
            Some(copy)
        } else {
            q.respawn.take().map(|r| *r)
        };
        if let Some(copy) = copy {
            let due = self
                .every
                .iter()
                .copied()
                .find(|r| r.start <= step && step < r.end)
                .is_some_and(|range| self.may_respawn(&q, range));
            if due {
                spawned.push(copy);
            } else {
                q.respawn = Some(Box::new(copy));
            }
        }
        q
    }

    /// Drops the partials whose first event is more than `within` before `t`, spawning their
    /// restart copies. Partials come in creation order, so their first events' times rise:
    /// the scan stops at the first partial still within bounds (a restart copy created later
    /// with an older start is dropped when an event reaches it, see
    /// [`StateMachine::expired`]).
    fn prune(&mut self, t: i64) {
        let Some(within) = self.within else {
            return;
        };
        if t <= self.prune_idle_until {
            return;
        }
        let mut expired = Vec::new();
        let mut head = None;
        for (id, p) in self.in_order() {
            match p.start {
                None => continue,
                Some(_) if self.expired(p, t) => expired.push(id),
                Some(start) => {
                    head = Some((id, start));
                    break;
                }
            }
        }
        let mut respawned = Vec::new();
        for id in expired {
            if let Some(p) = self.remove(id)
                && let Some(r) = p.respawn
            {
                respawned.push(*r);
            }
        }
        (self.prune_head, self.prune_idle_until) = match head {
            Some((id, start)) => (id, start.saturating_add(within)),
            None => (u64::MAX, i64::MAX),
        };
        for r in respawned {
            self.insert(r);
        }
    }

    /// Whether `p`'s first event is more than `within` before `t`.
    fn expired(&self, p: &Partial<E>, t: i64) -> bool {
        self.within
            .is_some_and(|w| p.start.is_some_and(|s| t.saturating_sub(s) > w))
    }

    /// Processes one event of input `stream` at time `t`; appends completed matches to `out`.
    pub fn process(&mut self, stream: usize, t: i64, e: &E, out: &mut Vec<Match<E>>) {
        self.tidy();
        self.prune(t);
        let mut spawned = std::mem::take(&mut self.spawned);
        let mut starts: Vec<(u64, Partial<E>, Partial<E>)> = Vec::new();
        let mut candidates = std::mem::take(&mut self.candidate_ids);
        self.candidates(stream, e, &mut candidates);
        // Plain loops, and no draining of empty buffers: this runs for every event, and most
        // events start or spawn nothing.
        for &id in &candidates {
            let Some(current) = self.get(id) else {
                continue;
            };
            let expired = self.expired(current, t);
            let outcome = if expired {
                Outcome::Dead
            } else {
                self.try_step(current, stream, e, t)
            };
            // In a sequence, an event a partial does not take breaks it, but for an event of
            // the stream whose absence it awaits that fails the absent element's filter.
            let untouched = matches!(outcome, Outcome::Unchanged)
                && (!self.sequence || current.ready || self.awaits_absence_of(current, stream));
            if untouched {
                continue;
            }
            let Some(p) = self.remove(id) else {
                continue;
            };
            if expired {
                spawned.extend(p.respawn.map(|r| *r));
                continue;
            }
            match outcome {
                Outcome::Unchanged => {
                    spawned.extend(p.respawn.map(|r| *r));
                }
                Outcome::Progress(q) => {
                    if self.sequence && p.ready {
                        starts.push((id, p, q));
                    } else {
                        self.advance(id, p, q, &mut spawned);
                    }
                }
                Outcome::Complete(mut q) => {
                    if self.before_every(&p) {
                        let mut copy = p;
                        copy.respawn = None;
                        spawned.push(copy);
                    } else if let Some(r) = q.respawn.take() {
                        spawned.push(*r);
                    }
                    out.push((t, q.slots));
                }
                Outcome::Dead => {
                    // A leading absence violated outside `every` never matches again (Siddhi's
                    // absent processor keeps the violating event in the start state).
                    let broken = self.range_starting(p.step).is_none();
                    if p.ready && !broken {
                        self.insert_as(id, p);
                    } else {
                        spawned.extend(p.respawn.map(|r| *r));
                    }
                }
            }
        }
        if !starts.is_empty() {
            for (id, p, q) in starts {
                if self.pending_at(q.step) {
                    self.insert_as(id, p);
                } else {
                    self.advance(id, p, q, &mut spawned);
                }
            }
        }
        candidates.clear();
        self.candidate_ids = candidates;
        if !spawned.is_empty() {
            for s in spawned.drain(..) {
                let duplicate = s.ready && self.ready_at(s.step);
                if !duplicate {
                    let s = self.rearm(s, t);
                    self.insert(s);
                }
            }
        }
        self.spawned = spawned;
        if self.partials.len() > Self::MAX_PARTIALS {
            let oldest = self.in_order().find(|(_, p)| !p.ready).map(|(id, _)| id);
            if let Some(id) = oldest {
                self.remove(id);
                self.dropped += 1;
            }
        }
    }

    /// Files progress `q` of `p` under `p`'s id (keeping its place in creation order), with the
    /// `every` restart handling of [`StateMachine::keep`].
    fn advance(&mut self, id: u64, p: Partial<E>, q: Partial<E>, spawned: &mut Vec<Partial<E>>) {
        let q = self.keep(p, q, spawned);
        self.insert_as(id, q);
    }

    /// Whether the machine is as [`StateMachine::start`] left it: one ready partial at the first
    /// step holding nothing, and no deadline (a partition may then drop it and start afresh
    /// later, losing nothing). A machine whose pattern has fired and cannot fire again is not.
    pub fn is_initial(&self) -> bool {
        self.deadlines.is_empty()
            && self.partials.len() == 1
            && self.in_order().all(|(_, p)| {
                p.ready
                    && !p.refuse_next
                    && p.step == 0
                    && p.count == 0
                    && p.start.is_none()
                    && p.respawn.is_none()
                    && p.slots.iter().all(|s| s.is_empty())
            })
    }

    /// When the next absent deadline is due.
    pub fn next_due(&self) -> Option<i64> {
        self.deadlines.first().map(|(d, _)| *d)
    }

    /// Passes the absent deadlines due at or before `now`; appends completed matches.
    pub fn on_time(&mut self, now: i64, out: &mut Vec<Match<E>>) {
        let due_ids: Vec<(i64, u64)> = self
            .deadlines
            .iter()
            .take_while(|(d, _)| *d <= now)
            .copied()
            .collect();
        let mut spawned = Vec::new();
        for (due, id) in due_ids {
            let Some(p) = self.remove(id) else {
                continue;
            };
            if self
                .within
                .is_some_and(|w| p.start.is_some_and(|s| due - s > w))
            {
                spawned.extend(p.respawn.map(|r| *r));
                continue;
            }
            let every = self.range_starting(p.step);
            // A step under `every` that a quiet period moves on keeps a copy of the partial as
            // it waited there, to arm again once this instance completes the step.
            let copy = self.before_every(&p).then(|| {
                let mut copy = p.clone();
                copy.respawn = None;
                copy
            });
            let mut rearmed = false;
            if let (
                Some(_),
                Some(Step::Absent {
                    waiting: Some(w), ..
                }),
            ) = (every, self.steps.get(p.step))
                && let Some(next) = crate::event::due_after(due, *w)
            {
                let mut again = p.clone();
                again.deadline = Some(next);
                spawned.push(again);
                rearmed = true;
            }
            let mut q = p;
            q.ready = false;
            if !rearmed && q.respawn.is_none() {
                q.respawn = copy.map(Box::new);
            }
            // An `and` whose absent part's period has passed still waits for its present part.
            if let Some(Step::And(a, b)) = self.steps.get(q.step) {
                for (i, part) in [a, b].into_iter().enumerate() {
                    if matches!(part, Part::Absent(_, Some(_))) {
                        q.filled[i] = true;
                    }
                }
                q.deadline = None;
                if !self.and_done(&q) {
                    self.insert_as(id, q);
                    continue;
                }
            }
            match self.complete_step(q, due) {
                Outcome::Complete(mut c) => {
                    if !rearmed {
                        spawned.extend(c.respawn.take().map(|r| *r));
                    }
                    out.push((due, c.slots));
                }
                // A sequence's step holds one pending partial: a later one reaching it is
                // dropped (Siddhi's `addState` for sequences).
                Outcome::Progress(q) if self.sequence && self.pending_at(q.step) => {}
                Outcome::Progress(q) => self.insert_as(id, q),
                _ => {}
            }
        }
        for s in spawned {
            let s = self.rearm(s, now);
            self.insert(s);
        }
    }

    /// A restart copy spawned at `t`: one whose quiet period had already ended waits afresh
    /// from `t` (it starts a new instance of its `every` step).
    fn rearm(&self, mut s: Partial<E>, t: i64) -> Partial<E> {
        if s.deadline.is_some_and(|d| d <= t) {
            let step = s.step;
            self.arrive_at(&mut s, step, t);
        }
        s
    }

    /// The machine's state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&MachineState {
            partials: self.in_order().map(|(id, p)| (id, p.clone())).collect(),
            next_id: self.partials.next_id(),
            dropped: self.dropped,
        })
    }

    /// Replaces the machine's state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: MachineState<E> = state::decode(bytes)?;
        self.clear();
        // Ids only order the partials: they are numbered afresh, in the snapshot's order.
        for (_, p) in s.partials {
            self.insert(p);
        }
        self.dropped = s.dropped;
        Ok(())
    }
}
