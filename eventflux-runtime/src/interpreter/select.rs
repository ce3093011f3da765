//! The interpreter's [`SelectLogic`]: a plan's select clause as compiled closures over rows.

use super::expr::{CompileError, Ctx, Eval, GroupKey, Pred, Row, compile, compile_predicate};
use super::table::TableSet;
use crate::aggregate::{Aggregator, DynAggregator};
use crate::event::{Event, EventKind};
use crate::pattern::Slot;
use crate::select::SelectLogic;
use crate::value::Value;
use eventflux_codegen::catalog::AggregatorKind;
use eventflux_codegen::plan::{AggregateCall, SelectPlan, SortOrder, Type};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Input data that exposes its rows to expressions: one row for a single source, the sides of
/// a join, the slots of a pattern.
pub trait Inputs: crate::window::Data {
    /// Calls `f` with the rows of each input.
    fn with_inputs<T>(&self, f: impl FnOnce(&[&[Row]]) -> T) -> T;
}

/// The input of a single-source query: one row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Single(pub Row);

impl Inputs for Single {
    fn with_inputs<T>(&self, f: impl FnOnce(&[&[Row]]) -> T) -> T {
        f(&[std::slice::from_ref(&self.0)])
    }
}

/// What a query's select clause reads: one row (a single source), a join pair (a side may be
/// missing), or the events of each slot of a pattern match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Matched {
    /// One row.
    One(Row),
    /// A join pair.
    Pair(Option<Row>, Option<Row>),
    /// The events of each pattern slot.
    Slots(Vec<Slot<Row>>),
}

impl Inputs for Matched {
    fn with_inputs<T>(&self, f: impl FnOnce(&[&[Row]]) -> T) -> T {
        match self {
            Matched::One(row) => f(&[std::slice::from_ref(row)]),
            Matched::Pair(l, r) => f(&[
                l.as_ref().map_or(&[][..], std::slice::from_ref),
                r.as_ref().map_or(&[][..], std::slice::from_ref),
            ]),
            Matched::Slots(slots) => with_views(slots, f),
        }
    }
}

/// Calls `f` with each slot's events as a slice, without allocating for up to 8 slots.
pub fn with_views<T>(slots: &[Slot<Row>], f: impl FnOnce(&[&[Row]]) -> T) -> T {
    const INLINE: usize = 8;
    if slots.len() <= INLINE {
        let mut views: [&[Row]; INLINE] = [&[]; INLINE];
        for (view, events) in views.iter_mut().zip(slots) {
            *view = events.as_slice();
        }
        f(&views[..slots.len()])
    } else {
        let views: Vec<&[Row]> = slots.iter().map(|s| s.as_slice()).collect();
        f(&views)
    }
}

/// One aggregate call: its kind, argument type and compiled arguments.
#[derive(Clone)]
struct AggregateSpec {
    kind: AggregatorKind,
    arg_type: Option<Type>,
    args: Vec<Eval>,
}

/// A select clause compiled for the interpreter, over input data `I`.
#[derive(Clone)]
pub struct RowLogic<I> {
    grouped: bool,
    aggregating: bool,
    group_by: Vec<Eval>,
    aggregates: Vec<AggregateSpec>,
    items: Vec<Eval>,
    having: Option<Pred>,
    order_by: Vec<(usize, SortOrder)>,
    offset: Option<u64>,
    limit: Option<u64>,
    _input: std::marker::PhantomData<fn() -> I>,
}

/// An aggregate call compiled: its kind, its argument's type and its compiled arguments.
pub type CompiledAggregate = (AggregatorKind, Option<Type>, Vec<Eval>);

/// Compiles the aggregate calls of a select (or a window condition).
pub fn compile_aggregates(calls: &[AggregateCall]) -> Result<Vec<CompiledAggregate>, CompileError> {
    calls
        .iter()
        .map(|call| {
            let args = call
                .args
                .iter()
                .map(compile)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((call.kind, call.args.first().map(|a| a.ty), args))
        })
        .collect()
}

impl<I: Inputs> RowLogic<I> {
    /// Compiles a select plan.
    pub fn new(select: &SelectPlan) -> Result<Self, CompileError> {
        let aggregates = compile_aggregates(&select.aggregates)?
            .into_iter()
            .map(|(kind, arg_type, args)| AggregateSpec {
                kind,
                arg_type,
                args,
            })
            .collect::<Vec<_>>();
        Ok(RowLogic {
            grouped: !select.group_by.is_empty(),
            aggregating: !aggregates.is_empty(),
            group_by: select
                .group_by
                .iter()
                .map(compile)
                .collect::<Result<_, _>>()?,
            aggregates,
            items: select
                .items
                .iter()
                .map(|(_, e)| compile(e))
                .collect::<Result<_, _>>()?,
            having: select.having.as_ref().map(compile_predicate).transpose()?,
            order_by: select.order_by.clone(),
            offset: select.offset,
            limit: select.limit,
            _input: std::marker::PhantomData,
        })
    }
}

impl<I: Inputs> SelectLogic for RowLogic<I> {
    type In = I;
    type Key = GroupKey;
    type State = Vec<DynAggregator>;
    type Out = Row;
    type Env = TableSet;

    fn aggregating(&self) -> bool {
        self.aggregating
    }

    fn grouped(&self) -> bool {
        self.grouped
    }

    fn key(&self, event: &I, env: &TableSet) -> GroupKey {
        event.with_inputs(|inputs| {
            let c = Ctx::single(inputs, 0, env);
            self.group_by.iter().map(|k| k(&c)).collect()
        })
    }

    fn new_state(&self) -> Vec<DynAggregator> {
        self.aggregates
            .iter()
            .map(|a| DynAggregator::new(a.kind, a.arg_type))
            .collect()
    }

    fn update(&self, state: &mut Vec<DynAggregator>, event: &Event<I>, env: &TableSet) {
        event.data.with_inputs(|inputs| {
            let c = Ctx::single(inputs, event.timestamp, env);
            for (spec, agg) in self.aggregates.iter().zip(state.iter_mut()) {
                let value = spec.args.first().map_or(Value::Null, |a| a(&c));
                match event.kind {
                    EventKind::Current => agg.add(value),
                    EventKind::Expired => agg.remove(value),
                    EventKind::Reset => agg.reset(),
                }
            }
        });
    }

    fn reset(&self, state: &mut Vec<DynAggregator>) {
        for agg in state {
            agg.reset();
        }
    }

    fn project(&self, event: &Event<I>, state: &Vec<DynAggregator>, env: &TableSet) -> Row {
        // The aggregates' values, on the stack for the usual few.
        let values: smallvec::SmallVec<[Value; 4]> = state.iter().map(|a| a.value()).collect();
        event.data.with_inputs(|inputs| {
            let c = Ctx {
                inputs,
                output: None,
                table_row: None,
                aggregates: &values,
                timestamp: event.timestamp,
                tables: env,
                candidate: None,
                input_timestamps: &[],
            };
            self.items.iter().map(|item| item(&c)).collect()
        })
    }

    fn having(&self, event: &Event<I>, row: &Row, env: &TableSet) -> bool {
        match &self.having {
            None => true,
            Some(pred) => event.data.with_inputs(|inputs| {
                pred(&Ctx {
                    inputs,
                    output: Some(row),
                    table_row: None,
                    aggregates: &[],
                    timestamp: event.timestamp,
                    tables: env,
                    candidate: None,
                    input_timestamps: &[],
                })
            }),
        }
    }

    fn ordered(&self) -> bool {
        !self.order_by.is_empty()
    }

    fn compare(&self, a: &Row, b: &Row) -> Ordering {
        for (position, order) in &self.order_by {
            let (a, b) = (a.get(*position), b.get(*position));
            let null = |v: Option<&Value>| v.is_none_or(|v| matches!(v, Value::Null));
            let ord =
                crate::select::order_by(null(a), null(b), a.cmp(&b), *order == SortOrder::Desc);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }

    fn offset(&self) -> Option<u64> {
        self.offset
    }

    fn limit(&self) -> Option<u64> {
        self.limit
    }
}
