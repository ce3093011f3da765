//! Incremental aggregations (`define aggregation`): every event of the input stream updates one
//! bucket per granularity (second, minute, ... year, aligned to the calendar in UTC) and group;
//! a join with the aggregation reads the buckets of one granularity whose start is within
//! `[start, end)`.

use super::expr::{CompileError, Ctx, Eval, Pred, Row, compile, compile_predicate};
use super::select::{CompiledAggregate, Single, compile_aggregates};
use super::table::TableSet;
use crate::aggregate::{Aggregator, DynAggregator};
use crate::event::Chunk;
use crate::incremental::{self, Buckets};
use crate::state::StateError;
use crate::value::Value;
use eventflux_codegen::plan::{AggregationInfo, HandlerPlan, TimeUnit};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The granularity a `per` value names (`'seconds'`, `'minutes'`, ...).
pub fn granularity(v: &Value) -> Option<TimeUnit> {
    match v {
        Value::String(s) => incremental::granularity(s),
        _ => None,
    }
}

/// One bucket: the group's aggregates and its latest event.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Bucket {
    aggregates: Vec<DynAggregator>,
    last: incremental::Latest<Row>,
}

/// An incremental aggregation of the interpreter.
pub struct AggregationRt {
    /// The aggregation's name.
    pub name: String,
    /// The stream it reads.
    pub source: String,
    filters: Vec<Pred>,
    timestamp: Option<usize>,
    aggregates: Vec<CompiledAggregate>,
    items: Vec<Eval>,
    group_by: Vec<Eval>,
    /// Buckets by granularity, start and group key.
    buckets: Buckets<Vec<Value>, Bucket>,
}

impl AggregationRt {
    /// Builds an aggregation.
    pub fn new(info: &AggregationInfo) -> Result<Self, CompileError> {
        let filters = info
            .input
            .handlers
            .iter()
            .filter_map(|h| match h {
                HandlerPlan::Filter(e) => Some(compile_predicate(e)),
                _ => None,
            })
            .collect::<Result<_, _>>()?;
        Ok(AggregationRt {
            name: info.name.clone(),
            source: info.input.name.clone(),
            filters,
            timestamp: info.timestamp,
            aggregates: compile_aggregates(&info.select.aggregates)?,
            items: info
                .select
                .items
                .iter()
                .map(|(_, e)| compile(e))
                .collect::<Result<_, _>>()?,
            group_by: info
                .select
                .group_by
                .iter()
                .map(compile)
                .collect::<Result<_, _>>()?,
            buckets: match &info.purge {
                Some(p) => Buckets::new(info.durations.clone())
                    .with_purge(p.interval_ms, p.retention.clone()),
                None => Buckets::new(info.durations.clone()),
            },
        })
    }

    /// Takes the input stream's events into their buckets.
    pub fn add(&mut self, chunk: &Chunk<Single>) {
        let tables = TableSet::default();
        for e in chunk {
            let inputs = [std::slice::from_ref(&e.data.0)];
            let c = Ctx::single(&inputs, e.timestamp, &tables);
            if !self.filters.iter().all(|f| f(&c)) {
                continue;
            }
            let time = match self.timestamp.and_then(|p| e.data.0.get(p)) {
                Some(Value::String(text)) => crate::incremental::timestamp_text(text),
                Some(v) => v.as_i64(),
                None => None,
            }
            .unwrap_or(e.timestamp);
            let key: Vec<Value> = self.group_by.iter().map(|g| g(&c)).collect();
            let values: Vec<Value> = self
                .aggregates
                .iter()
                .map(|(_, _, args)| args.first().map_or(Value::Null, |a| a(&c)))
                .collect();
            let aggregates = &self.aggregates;
            self.buckets.add(
                time,
                &key,
                || Bucket {
                    aggregates: aggregates
                        .iter()
                        .map(|(kind, ty, _)| DynAggregator::new(*kind, *ty))
                        .collect(),
                    last: incremental::Latest::new(time, e.data.0.clone()),
                },
                |bucket| {
                    for (agg, v) in bucket.aggregates.iter_mut().zip(&values) {
                        agg.add(v.clone());
                    }
                    bucket.last.offer(time, || e.data.0.clone());
                },
            );
        }
    }

    /// The rows (`AGG_TIMESTAMP` then the select outputs) of granularity `per` whose bucket
    /// starts within `[from, to)`.
    pub fn rows(&self, per: TimeUnit, from: Option<i64>, to: Option<i64>) -> Vec<Row> {
        let tables = TableSet::default();
        self.buckets
            .range(per, from, to)
            .map(|(start, bucket)| {
                let values: Vec<Value> = bucket.aggregates.iter().map(|a| a.value()).collect();
                let inputs = [std::slice::from_ref(&bucket.last.event)];
                let c = Ctx {
                    aggregates: &values,
                    ..Ctx::single(&inputs, start, &tables)
                };
                let mut row = Vec::with_capacity(self.items.len() + 1);
                row.push(Value::Long(start));
                row.extend(self.items.iter().map(|item| item(&c)));
                Arc::from(row)
            })
            .collect()
    }

    /// The buckets as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        self.buckets.snapshot()
    }

    /// Replaces the buckets with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.buckets.restore(bytes)
    }
}
