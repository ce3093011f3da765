//! Incremental aggregations (`define aggregation`): every event of the input stream updates one
//! bucket per granularity (second, minute, ... year, aligned to the calendar in UTC) and group;
//! a join with the aggregation reads the buckets of one granularity whose start is within
//! `[start, end)`.

use super::expr::{CompileError, Ctx, Eval, Pred, Row, compile, compile_predicate};
use super::select::{CompiledAggregate, Single, compile_aggregates};
use super::table::TableSet;
use crate::aggregate::{Aggregator, DynAggregator};
use crate::event::Chunk;
use crate::state::{self, StateError};
use crate::value::Value;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use eventflux_codegen::plan::{AggregationInfo, HandlerPlan, TimeUnit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The start (ms since the epoch, UTC) of the bucket of granularity `unit` holding `time`.
pub fn bucket_start(time: i64, unit: TimeUnit) -> i64 {
    let floor = |size: i64| time.div_euclid(size).saturating_mul(size);
    match unit {
        TimeUnit::Millisecond => time,
        TimeUnit::Second => floor(1_000),
        TimeUnit::Minute => floor(60_000),
        TimeUnit::Hour => floor(3_600_000),
        TimeUnit::Day => floor(86_400_000),
        TimeUnit::Week => floor(86_400_000),
        TimeUnit::Month | TimeUnit::Year => {
            let Some(t) = DateTime::<Utc>::from_timestamp_millis(time) else {
                return floor(86_400_000);
            };
            let month = if unit == TimeUnit::Month {
                t.month()
            } else {
                1
            };
            Utc.with_ymd_and_hms(t.year(), month, 1, 0, 0, 0)
                .single()
                .map_or(floor(86_400_000), |d| d.timestamp_millis())
        }
    }
}

fn unit_index(unit: TimeUnit) -> u8 {
    TimeUnit::ALL.iter().position(|u| *u == unit).unwrap_or(0) as u8
}

/// The granularity a `per` value names (`'seconds'`, `'minutes'`, ...).
pub fn granularity(v: &Value) -> Option<TimeUnit> {
    match v {
        Value::String(s) => TimeUnit::from_word(s.trim()),
        _ => None,
    }
}

/// One bucket: the group's aggregates and its latest event.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Bucket {
    aggregates: Vec<DynAggregator>,
    last: Row,
}

/// An incremental aggregation of the interpreter.
pub struct AggregationRt {
    /// The aggregation's name.
    pub name: String,
    /// The stream it reads.
    pub source: String,
    filters: Vec<Pred>,
    timestamp: Option<usize>,
    durations: Vec<TimeUnit>,
    aggregates: Vec<CompiledAggregate>,
    items: Vec<Eval>,
    group_by: Vec<Eval>,
    /// Buckets by (granularity, start, group key).
    buckets: BTreeMap<(TimeUnit, i64, Vec<Value>), Bucket>,
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
            durations: info.durations.clone(),
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
            buckets: BTreeMap::new(),
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
            let time = match self.timestamp {
                Some(p) => e
                    .data
                    .0
                    .get(p)
                    .and_then(Value::as_i64)
                    .unwrap_or(e.timestamp),
                None => e.timestamp,
            };
            let key: Vec<Value> = self.group_by.iter().map(|g| g(&c)).collect();
            let values: Vec<Value> = self
                .aggregates
                .iter()
                .map(|(_, _, args)| args.first().map_or(Value::Null, |a| a(&c)))
                .collect();
            for unit in &self.durations {
                let start = bucket_start(time, *unit);
                let aggregates = &self.aggregates;
                let bucket = self
                    .buckets
                    .entry((*unit, start, key.clone()))
                    .or_insert_with(|| Bucket {
                        aggregates: aggregates
                            .iter()
                            .map(|(kind, ty, _)| DynAggregator::new(*kind, *ty))
                            .collect(),
                        last: e.data.0.clone(),
                    });
                for (agg, v) in bucket.aggregates.iter_mut().zip(&values) {
                    agg.add(v.clone());
                }
                bucket.last = e.data.0.clone();
            }
        }
    }

    /// The rows (`AGG_TIMESTAMP` then the select outputs) of granularity `per` whose bucket
    /// starts within `[from, to)`.
    pub fn rows(&self, per: TimeUnit, from: Option<i64>, to: Option<i64>) -> Vec<Row> {
        let tables = TableSet::default();
        self.buckets
            .range((per, from.unwrap_or(i64::MIN), Vec::new())..)
            .take_while(|((unit, start, _), _)| *unit == per && to.is_none_or(|t| *start < t))
            .map(|((_, start, _), bucket)| {
                let values: Vec<Value> = bucket.aggregates.iter().map(|a| a.value()).collect();
                let inputs = [std::slice::from_ref(&bucket.last)];
                let c = Ctx {
                    aggregates: &values,
                    ..Ctx::single(&inputs, *start, &tables)
                };
                let mut row = Vec::with_capacity(self.items.len() + 1);
                row.push(Value::Long(*start));
                row.extend(self.items.iter().map(|item| item(&c)));
                Arc::from(row)
            })
            .collect()
    }

    /// The buckets as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        let buckets: Vec<(u8, i64, Vec<Value>, Bucket)> = self
            .buckets
            .iter()
            .map(|((u, s, k), b)| (unit_index(*u), *s, k.clone(), b.clone()))
            .collect();
        state::encode(&buckets)
    }

    /// Replaces the buckets with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let buckets: Vec<(u8, i64, Vec<Value>, Bucket)> = state::decode(bytes)?;
        self.buckets = buckets
            .into_iter()
            .map(|(u, s, k, b)| {
                let unit = TimeUnit::ALL
                    .get(u as usize)
                    .copied()
                    .ok_or_else(|| StateError::Decode(format!("no time unit {u}")))?;
                Ok(((unit, s, k), b))
            })
            .collect::<Result<_, StateError>>()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_to_the_calendar_in_utc() {
        let t = 1_496_289_950_123; // 2017-06-01T04:05:50.123Z
        assert_eq!(bucket_start(t, TimeUnit::Second), 1_496_289_950_000);
        assert_eq!(bucket_start(t, TimeUnit::Minute), 1_496_289_900_000);
        assert_eq!(bucket_start(t, TimeUnit::Hour), 1_496_289_600_000);
        assert_eq!(bucket_start(t, TimeUnit::Day), 1_496_275_200_000);
        assert_eq!(bucket_start(t, TimeUnit::Month), 1_496_275_200_000);
        assert_eq!(bucket_start(t, TimeUnit::Year), 1_483_228_800_000);
    }
}
