//! A pattern or sequence query's input in the interpreter: the plan's state tree linearized
//! into the steps of the generic [`crate::pattern::StateMachine`], with the element filters
//! compiled into predicates over the events matched so far and the candidate event.

use super::expr::{CompileError, Ctx, Pred, Row, compile_predicate};
use super::select::{Matched, Single};
use super::table::TableSet;
use crate::event::{Chunk, Event, EventKind};
use crate::pattern::{EveryRange, Guard, Part, Predicate, Slot, StateMachine, Step, StepKey, Unit};
use crate::state::StateError;
use crate::value::Value;
use eventflux_codegen::plan::{LogicalOp, StateKind, StateNode, StatePlan, TypedExpr};
use std::sync::Arc;

/// A pattern or sequence input.
pub struct StateRt {
    machine: StateMachine<Row>,
    /// The streams read, each with whether it is an inner stream.
    sources: Vec<(String, bool)>,
}

struct Builder<'a> {
    plan: &'a StatePlan,
    /// The streams read, each with whether it is an inner stream.
    sources: Vec<(String, bool)>,
    steps: Vec<Step<Row>>,
    keys: Vec<Option<StepKey<Row>>>,
    every: Vec<EveryRange>,
}

fn hash(v: &Value) -> u64 {
    crate::compiled::ops::hash_key(v)
}

/// The index key of a plain step with an equality on an earlier event.
fn step_key(slot: usize, filters: &[TypedExpr]) -> Option<StepKey<Row>> {
    let mut equalities = Vec::new();
    for f in filters {
        f.slot_equalities(slot, &mut equalities);
    }
    let (own, earlier, position) = equalities.first().copied()?;
    Some(StepKey {
        guard: guard(slot, filters),
        event: Arc::new(move |row: &Row| hash(row.get(own).unwrap_or(&Value::Null))),
        partial: Arc::new(move |slots: &[Slot<Row>]| {
            hash(
                slots
                    .get(earlier)
                    .and_then(|events| events.first())
                    .and_then(|row| row.get(position))
                    .unwrap_or(&Value::Null),
            )
        }),
    })
}

/// The conditions of the filters on slot `slot` that read the candidate alone, as one
/// predicate on it; `None` when there are none, or when one does not compile (the element's
/// predicate reports that).
fn guard(slot: usize, filters: &[TypedExpr]) -> Option<Guard<Row>> {
    let mut conjuncts = Vec::new();
    for f in filters {
        f.candidate_conjuncts(slot, &mut conjuncts);
    }
    if conjuncts.is_empty() {
        return None;
    }
    let conditions: Vec<Pred> = conjuncts
        .into_iter()
        .map(compile_predicate)
        .collect::<Result<_, _>>()
        .ok()?;
    Some(on_candidate(slot, conditions))
}

/// Conditions that read slot `slot`'s candidate alone, as one predicate on it (no view of the
/// earlier events is built).
fn on_candidate(slot: usize, conditions: Vec<Pred>) -> Guard<Row> {
    let tables = Arc::new(TableSet::default());
    Arc::new(move |candidate: &Row| {
        let c = Ctx {
            candidate: Some((slot, candidate)),
            ..Ctx::single(&[], 0, &tables)
        };
        conditions.iter().all(|f| f(&c))
    })
}

fn predicate(slot: usize, filters: &[TypedExpr]) -> Result<Predicate<Row>, CompileError> {
    let conditions: Vec<Pred> = filters
        .iter()
        .map(compile_predicate)
        .collect::<Result<_, _>>()?;
    if filters.iter().all(|f| f.reads_candidate_only(slot)) {
        let own = on_candidate(slot, conditions);
        return Ok(Arc::new(move |_: &[Slot<Row>], candidate: &Row| {
            own(candidate)
        }));
    }
    let tables = Arc::new(TableSet::default());
    Ok(Arc::new(move |slots: &[Slot<Row>], candidate: &Row| {
        super::select::with_views(slots, |views| {
            let c = Ctx {
                candidate: Some((slot, candidate)),
                input_timestamps: &[],
                ..Ctx::single(views, 0, &tables)
            };
            conditions.iter().all(|f| f(&c))
        })
    }))
}

impl Builder<'_> {
    fn unit(&mut self, slot: usize, filters: &[TypedExpr]) -> Result<Unit<Row>, CompileError> {
        let stream_name = self
            .plan
            .slots
            .get(slot)
            .map(|s| (s.stream.clone(), s.inner))
            .unwrap_or_default();
        let stream = match self.sources.iter().position(|s| *s == stream_name) {
            Some(i) => i,
            None => {
                self.sources.push(stream_name);
                self.sources.len() - 1
            }
        };
        Ok(Unit {
            stream,
            slot,
            predicate: predicate(slot, filters)?,
        })
    }

    fn part(&mut self, node: &StateNode) -> Result<Part<Row>, CompileError> {
        match node {
            StateNode::Stream { slot, filters, .. } => {
                Ok(Part::Present(self.unit(*slot, filters)?))
            }
            StateNode::Absent {
                slot,
                filters,
                waiting_ms,
            } => Ok(Part::Absent(self.unit(*slot, filters)?, *waiting_ms)),
            _ => Err(CompileError::Unsupported(
                "'and'/'or' combine two stream elements".into(),
            )),
        }
    }

    fn linearize(&mut self, node: &StateNode) -> Result<(), CompileError> {
        match node {
            StateNode::Next(a, b) => {
                self.linearize(a)?;
                self.linearize(b)
            }
            StateNode::Every(inner) => {
                let start = self.steps.len();
                self.linearize(inner)?;
                self.every.push(EveryRange {
                    start,
                    end: self.steps.len(),
                });
                Ok(())
            }
            StateNode::Stream {
                slot,
                filters,
                min,
                max,
            } => {
                let unit = self.unit(*slot, filters)?;
                self.steps.push(Step::Stream {
                    unit,
                    min: *min,
                    max: *max,
                });
                self.keys.push(step_key(*slot, filters));
                Ok(())
            }
            StateNode::Absent {
                slot,
                filters,
                waiting_ms,
            } => {
                let unit = self.unit(*slot, filters)?;
                self.steps.push(Step::Absent {
                    unit,
                    waiting: *waiting_ms,
                });
                self.keys.push(None);
                Ok(())
            }
            StateNode::Logical(op, a, b) => {
                let (a, b) = (self.part(a)?, self.part(b)?);
                self.steps.push(match op {
                    LogicalOp::And => Step::And(a, b),
                    LogicalOp::Or => Step::Or(a, b),
                });
                self.keys.push(None);
                Ok(())
            }
        }
    }
}

impl StateRt {
    /// Builds a pattern or sequence input.
    pub fn new(plan: &StatePlan) -> Result<Self, CompileError> {
        let mut b = Builder {
            plan,
            sources: Vec::new(),
            steps: Vec::new(),
            keys: Vec::new(),
            every: Vec::new(),
        };
        b.linearize(&plan.root)?;
        let mut machine = StateMachine::new(
            b.steps,
            b.keys,
            b.every,
            plan.kind == StateKind::Sequence,
            plan.within_ms,
            plan.slots.len(),
        );
        machine.start(0);
        Ok(StateRt {
            machine,
            sources: b.sources,
        })
    }

    /// The streams the pattern reads.
    pub fn sources(&self) -> Vec<(String, bool)> {
        self.sources.clone()
    }

    /// Restarts the machine at the app's start (a leading absent step counts from there).
    pub fn start(&mut self, origin: i64) {
        self.machine.start(origin);
    }

    /// Takes a chunk from `source`; returns the completed matches.
    pub fn arrive(&mut self, source: &str, inner: bool, chunk: &Chunk<Single>) -> Chunk<Matched> {
        let Some(stream) = self
            .sources
            .iter()
            .position(|(name, i)| name == source && *i == inner)
        else {
            return Vec::new();
        };
        let mut matches = Vec::new();
        for e in chunk.iter().filter(|e| e.kind == EventKind::Current) {
            self.machine
                .process(stream, e.timestamp, &e.data.0, &mut matches);
        }
        matched(matches)
    }

    /// When an absent deadline is next due.
    pub fn next_due(&self) -> Option<i64> {
        self.machine.next_due()
    }

    /// Passes the deadlines due at or before `now`; returns the completed matches.
    pub fn on_time(&mut self, now: i64) -> Chunk<Matched> {
        let mut matches = Vec::new();
        self.machine.on_time(now, &mut matches);
        matched(matches)
    }

    /// Live partial matches, and how many the bound dropped.
    pub fn metrics(&self) -> (usize, u64) {
        (self.machine.live(), self.machine.dropped())
    }

    /// Whether the machine is in its initial state (see [`crate::pattern::StateMachine::is_initial`]).
    pub fn is_empty(&self) -> bool {
        self.machine.is_initial()
    }

    /// The machine's state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        self.machine.snapshot()
    }

    /// Replaces the machine's state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.machine.restore(bytes)
    }
}

fn matched(matches: Vec<crate::pattern::Match<Row>>) -> Chunk<Matched> {
    matches
        .into_iter()
        .map(|(t, slots)| Event::current(t, Matched::Slots(slots)))
        .collect()
}
