//! Plan windows instantiated over the interpreter's rows: attribute accessors read positions,
//! expression-window conditions run their compiled aggregates.

use super::expr::{CompileError, Ctx, Row, compile_predicate};
use super::select::{Single, compile_aggregates};
use super::table::TableSet;
use crate::aggregate::{Aggregator, DynAggregator};
use crate::event::Event;
use crate::value::Value;
use crate::window::{
    BatchWindow, CronWindow, DelayWindow, ExpressionBatchWindow, ExpressionWindow,
    ExternalTimeBatchWindow, ExternalTimeWindow, FirstUniqueWindow, FrequentWindow,
    LengthBatchWindow, LengthWindow, LossyFrequentWindow, SessionWindow, SortWindow,
    TimeBatchWindow, TimeLengthWindow, TimeWindow, UniqueWindow, Window, WindowCondition,
};
use eventflux_codegen::catalog::WindowKind;
use eventflux_codegen::plan::{Value as PlanValue, WindowArg, WindowPlan};
use std::cmp::Ordering;
use std::sync::Arc;

fn value_at(row: &Row, position: usize) -> Value {
    row.get(position).cloned().unwrap_or(Value::Null)
}

/// A key accessor over the given positions (one value, or several).
fn key_of(positions: Vec<usize>) -> impl Fn(&Single) -> Vec<Value> + Clone + Send + Sync + 'static {
    move |e: &Single| positions.iter().map(|p| value_at(&e.0, *p)).collect()
}

fn time_of(position: usize) -> impl Fn(&Single) -> i64 + Clone + Send + Sync + 'static {
    move |e: &Single| value_at(&e.0, position).as_i64().unwrap_or(0)
}

/// An expression window's condition: its aggregates over the window's events, and the
/// condition over their values and the newest event.
#[derive(Clone)]
struct RowCondition {
    aggregates: Vec<super::select::CompiledAggregate>,
    condition: super::expr::Pred,
    tables: Arc<TableSet>,
}

impl RowCondition {
    fn ensure(&self, state: &mut Vec<DynAggregator>) {
        if state.len() != self.aggregates.len() {
            *state = self
                .aggregates
                .iter()
                .map(|(kind, ty, _)| DynAggregator::new(*kind, *ty))
                .collect();
        }
    }

    fn argument(&self, i: usize, event: &Event<Single>) -> Value {
        let inputs = [std::slice::from_ref(&event.data.0)];
        let c = Ctx::single(&inputs, event.timestamp, &self.tables);
        self.aggregates[i].2.first().map_or(Value::Null, |a| a(&c))
    }
}

impl WindowCondition<Single> for RowCondition {
    type State = Vec<DynAggregator>;

    fn add(&self, state: &mut Vec<DynAggregator>, event: &Event<Single>) {
        self.ensure(state);
        for (i, agg) in state.iter_mut().enumerate() {
            agg.add(self.argument(i, event));
        }
    }

    fn remove(&self, state: &mut Vec<DynAggregator>, event: &Event<Single>) {
        self.ensure(state);
        for (i, agg) in state.iter_mut().enumerate() {
            agg.remove(self.argument(i, event));
        }
    }

    fn holds(&self, state: &Vec<DynAggregator>, newest: &Event<Single>) -> bool {
        self.holds_between(state, newest, newest)
    }

    fn holds_between(
        &self,
        state: &Vec<DynAggregator>,
        first: &Event<Single>,
        newest: &Event<Single>,
    ) -> bool {
        let values: Vec<Value> = if state.len() == self.aggregates.len() {
            state.iter().map(|a| a.value()).collect()
        } else {
            self.aggregates
                .iter()
                .map(|(kind, ty, _)| DynAggregator::new(*kind, *ty).value())
                .collect()
        };
        let inputs = [
            std::slice::from_ref(&newest.data.0),
            std::slice::from_ref(&first.data.0),
        ];
        let timestamps = [newest.timestamp, first.timestamp];
        let c = Ctx {
            aggregates: &values,
            input_timestamps: &timestamps,
            ..Ctx::single(&inputs, newest.timestamp, &self.tables)
        };
        (self.condition)(&c)
    }
}

fn condition(args: &[WindowArg]) -> Result<RowCondition, CompileError> {
    match args.first() {
        Some(WindowArg::Condition {
            expr, aggregates, ..
        }) => Ok(RowCondition {
            aggregates: compile_aggregates(aggregates)?,
            condition: compile_predicate(expr)?,
            tables: Arc::new(TableSet::default()),
        }),
        _ => Err(CompileError::Unsupported(
            "an expression window needs its condition".into(),
        )),
    }
}

/// The window `plan` over rows.
pub fn build_window(plan: &WindowPlan) -> Result<Box<dyn Window<Single>>, CompileError> {
    let a = &plan.args;
    let missing = |what: &str| {
        CompileError::Unsupported(format!(
            "window '{}' is missing its {what}",
            plan.kind.info().name
        ))
    };
    Ok(match plan.kind {
        WindowKind::Length => Box::new(LengthWindow::new(plan.count(0))),
        WindowKind::LengthBatch => Box::new(LengthBatchWindow::new(
            plan.count(0),
            plan.flag(1).unwrap_or(false),
        )),
        WindowKind::Time => Box::new(TimeWindow::new(plan.duration(0).unwrap_or(0))),
        WindowKind::TimeBatch => {
            let (start, current) = plan.time_batch_start();
            Box::new(TimeBatchWindow::new(
                plan.duration(0).unwrap_or(0),
                start,
                current,
            ))
        }
        WindowKind::TimeLength => Box::new(TimeLengthWindow::new(
            plan.duration(0).unwrap_or(0),
            plan.count(1),
        )),
        WindowKind::ExternalTime => {
            let ts = plan
                .attribute(0)
                .ok_or_else(|| missing("timestamp attribute"))?;
            Box::new(ExternalTimeWindow::new(
                time_of(ts),
                plan.duration(1).unwrap_or(0),
            ))
        }
        WindowKind::ExternalTimeBatch => {
            let ts = plan
                .attribute(0)
                .ok_or_else(|| missing("timestamp attribute"))?;
            let replace: Option<crate::window::BatchTimeSetter<Single>> =
                plan.flag(4).filter(|b| *b).map(|_| {
                    Arc::new(move |e: &mut Single, t: i64| {
                        let mut values = e.0.to_vec();
                        if let Some(v) = values.get_mut(ts) {
                            *v = Value::Long(t);
                        }
                        e.0 = Arc::from(values);
                    }) as crate::window::BatchTimeSetter<Single>
                });
            let window = ExternalTimeBatchWindow::new(
                time_of(ts),
                plan.duration(1).unwrap_or(0),
                plan.timestamp(2),
                plan.duration(3),
                replace,
            );
            Box::new(match plan.attribute(2) {
                Some(start) => window.with_start_attribute(time_of(start)),
                None => window,
            })
        }
        WindowKind::Session => {
            let gap = plan.duration(0).unwrap_or(0);
            match plan.attribute(1) {
                Some(key) => Box::new(SessionWindow::new(
                    gap,
                    move |e: &Single| value_at(&e.0, key),
                    plan.duration(2).unwrap_or(0),
                )),
                None => Box::new(SessionWindow::<Single, (), fn(&Single)>::unkeyed(gap)),
            }
        }
        WindowKind::Sort => {
            let (length, keys) = plan.sort_keys();
            let compare = move |x: &Single, y: &Single| {
                for (position, desc) in &keys {
                    let ord = value_at(&x.0, *position).cmp(&value_at(&y.0, *position));
                    let ord = if *desc { ord.reverse() } else { ord };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            };
            Box::new(SortWindow::new(length, compare))
        }
        WindowKind::Frequent => Box::new(FrequentWindow::new(
            plan.count(0),
            key_of(plan.attributes(1)),
        )),
        WindowKind::LossyFrequent => {
            let support = plan.number(0).unwrap_or(0.0);
            let error = plan.number(1);
            let from = if error.is_some() { 2 } else { 1 };
            Box::new(LossyFrequentWindow::new(
                support,
                error,
                key_of(plan.attributes(from)),
            ))
        }
        WindowKind::Delay => Box::new(DelayWindow::new(plan.duration(0).unwrap_or(0))),
        WindowKind::Batch => Box::new(BatchWindow::new((plan.count(0) > 0).then(|| plan.count(0)))),
        WindowKind::Expression => Box::new(ExpressionWindow::new(condition(a)?)),
        WindowKind::ExpressionBatch => Box::new(ExpressionBatchWindow::new(
            condition(a)?,
            plan.flag(1).unwrap_or(false),
            plan.flag(2).unwrap_or(false),
        )),
        WindowKind::Cron => {
            let expression = match a.first() {
                Some(WindowArg::Value(PlanValue::String(s))) => s.clone(),
                _ => return Err(missing("cron expression")),
            };
            Box::new(CronWindow::new(&expression).map_err(|e| {
                CompileError::Unsupported(format!("cron window '{expression}': {e}"))
            })?)
        }
        WindowKind::Unique => Box::new(UniqueWindow::new(key_of(plan.attributes(0)))),
        WindowKind::FirstUnique => Box::new(FirstUniqueWindow::new(key_of(plan.attributes(0)))),
    })
}
