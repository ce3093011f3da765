//! One query of the interpreter: its input stages (filters, window, stream functions), its
//! selector, its rate limiter and where its rows go.

use super::expr::{CompileError, Ctx, Eval, Pred, Row, compile, compile_predicate};
use super::select::{RowLogic, Single};
use super::table::{TableCondition, TableSet};
use super::window::build_window;
use crate::event::{Chunk, Event, EventKind};
use crate::rate::{Limit, Mode, RateLimiter};
use crate::select::{Selected, Selector};
use crate::state::{self, StateError};
use crate::value::Value;
use crate::window::Window;
use eventflux_codegen::plan::{
    EventType, HandlerPlan, InputPlan, OutputPlan, QueryPlan, RateMode, RatePlan, SourcePlan,
    StreamFunctionPlan,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One input stage.
pub enum Stage {
    /// Keep events for which the predicate holds.
    Filter(Pred),
    /// A window.
    Window(Box<dyn Window<Single>>),
    /// Log each event and pass it on.
    Log {
        /// The log arguments.
        args: Vec<Eval>,
        /// The query's name (for the log line).
        query: String,
    },
}

/// Where a query's rows go.
pub enum Destination {
    /// A global stream (by name).
    Stream(String),
    /// A partition inner stream (by name).
    Inner(String),
    /// A named window (by name).
    Window(String),
    /// Insert into a table.
    TableInsert(String),
    /// Delete matching table rows.
    TableDelete {
        /// The table.
        table: String,
        /// Which rows.
        on: TableCondition,
    },
    /// Update matching table rows, inserting the row when none matches (`upsert`).
    TableUpdate {
        /// The table.
        table: String,
        /// Table positions and their new values.
        set: Vec<(usize, Eval)>,
        /// Which rows.
        on: TableCondition,
        /// Whether to insert when nothing matched.
        upsert: bool,
    },
    /// `return`: to the query's callback.
    Return,
}

/// A query ready to run.
pub struct QueryRt {
    /// The query's name.
    pub name: String,
    /// The source it reads (a stream, inner stream, fault stream, named window or trigger).
    pub source: String,
    /// Whether the source is a partition inner stream.
    pub source_inner: bool,
    stages: Vec<Stage>,
    selector: Selector<RowLogic<Single>>,
    rate: Option<RateLimiter<Vec<Value>, Row>>,
    /// Where its rows go.
    pub destination: Arc<Destination>,
    plan: Arc<QueryPlan>,
    /// The app's start time: rate limiter periods are anchored there.
    origin: i64,
}

#[derive(Serialize, Deserialize)]
struct QueryState {
    windows: Vec<Vec<u8>>,
    selector: Vec<u8>,
    rate: Option<Vec<u8>>,
}

fn stages(source: &SourcePlan, query: &str) -> Result<Vec<Stage>, CompileError> {
    source
        .handlers
        .iter()
        .map(|h| {
            Ok(match h {
                HandlerPlan::Filter(e) => Stage::Filter(compile_predicate(e)?),
                HandlerPlan::Window(w) => Stage::Window(build_window(w)?),
                HandlerPlan::Function(StreamFunctionPlan::Log { args }) => Stage::Log {
                    args: args.iter().map(compile).collect::<Result<_, _>>()?,
                    query: query.to_string(),
                },
            })
        })
        .collect()
}

fn destination(output: &OutputPlan) -> Result<Destination, CompileError> {
    use eventflux_codegen::plan::InsertTarget;
    Ok(match output {
        OutputPlan::Insert { target, .. } => match target {
            InsertTarget::Stream(s) => Destination::Stream(s.clone()),
            InsertTarget::InnerStream(s) => Destination::Inner(s.clone()),
            InsertTarget::Table(t) => Destination::TableInsert(t.clone()),
            InsertTarget::Window(w) => Destination::Window(w.clone()),
        },
        OutputPlan::Delete { table, on, .. } => Destination::TableDelete {
            table: table.clone(),
            on: TableCondition::new(on)?,
        },
        OutputPlan::Update { table, set, on, .. }
        | OutputPlan::UpdateOrInsert { table, set, on, .. } => Destination::TableUpdate {
            table: table.clone(),
            set: set
                .iter()
                .map(|(p, e)| compile(e).map(|eval| (*p, eval)))
                .collect::<Result<_, _>>()?,
            on: TableCondition::new(on)?,
            upsert: matches!(output, OutputPlan::UpdateOrInsert { .. }),
        },
        OutputPlan::Return { .. } => Destination::Return,
    })
}

fn output_events(output: &OutputPlan) -> EventType {
    match output {
        OutputPlan::Insert { events, .. }
        | OutputPlan::Delete { events, .. }
        | OutputPlan::Update { events, .. }
        | OutputPlan::UpdateOrInsert { events, .. }
        | OutputPlan::Return { events } => *events,
    }
}

impl QueryRt {
    /// Builds a query of the plan.
    pub fn new(plan: &QueryPlan) -> Result<Self, CompileError> {
        let InputPlan::Single(source) = &plan.input else {
            return Err(CompileError::Unsupported(format!(
                "query '{}': joins, patterns and sequences do not run in the interpreter yet",
                plan.name
            )));
        };
        let events = output_events(&plan.output);
        let logic = RowLogic::new(&plan.select)?;
        let aggregating = !plan.select.aggregates.is_empty() || !plan.select.group_by.is_empty();
        let rate = plan.rate.as_ref().map(|r| {
            let mode = |m: RateMode| match m {
                RateMode::All => Mode::All,
                RateMode::First => Mode::First,
                RateMode::Last => Mode::Last,
            };
            let limit = match r {
                RatePlan::Events { mode: m, count } => Limit::Events(mode(*m), *count),
                RatePlan::Time { mode: m, period_ms } => Limit::Time(mode(*m), *period_ms),
                RatePlan::Snapshot { period_ms } => Limit::Snapshot {
                    period: *period_ms,
                    last_only: aggregating || source.window().is_none(),
                },
            };
            RateLimiter::new(limit, !plan.select.group_by.is_empty())
        });
        Ok(QueryRt {
            name: plan.name.clone(),
            source: match source.kind {
                eventflux_codegen::plan::SourceKind::FaultStream => format!("!{}", source.name),
                _ => source.name.clone(),
            },
            source_inner: source.kind == eventflux_codegen::plan::SourceKind::InnerStream,
            stages: stages(source, &plan.name)?,
            selector: Selector::new(
                logic,
                events != EventType::Expired,
                events != EventType::Current,
            ),
            rate,
            destination: Arc::new(destination(&plan.output)?),
            plan: Arc::new(plan.clone()),
            origin: 0,
        })
    }

    /// Anchors the query's periodic timers at the app's start.
    pub fn anchor(&mut self, origin: i64) {
        self.origin = origin;
        if let Some(rate) = &mut self.rate {
            rate.anchor(origin);
        }
    }

    /// A copy with empty state (a partition key's own instance).
    pub fn fresh(&self) -> Result<Self, CompileError> {
        let mut q = QueryRt::new(&self.plan)?;
        q.anchor(self.origin);
        Ok(q)
    }

    /// Processes a chunk arriving at `now`; returns the rows to send on.
    pub fn process(
        &mut self,
        now: i64,
        chunk: Chunk<Single>,
        tables: &TableSet,
    ) -> Vec<Event<Row>> {
        self.run_from(0, now, chunk, tables)
    }

    fn run_from(
        &mut self,
        start: usize,
        now: i64,
        mut chunk: Chunk<Single>,
        tables: &TableSet,
    ) -> Vec<Event<Row>> {
        for stage in self.stages.iter_mut().skip(start) {
            if chunk.is_empty() {
                return Vec::new();
            }
            match stage {
                Stage::Filter(pred) => chunk.retain(|e| {
                    e.kind == EventKind::Reset || {
                        let inputs = [std::slice::from_ref(&e.data.0)];
                        pred(&Ctx::single(&inputs, e.timestamp, tables))
                    }
                }),
                Stage::Window(w) => {
                    let mut out = Vec::with_capacity(chunk.len() * 2);
                    chunk.retain(|e| e.kind == EventKind::Current);
                    w.process(now, chunk, &mut out);
                    chunk = out;
                }
                Stage::Log { args, query } => {
                    for e in &chunk {
                        let inputs = [std::slice::from_ref(&e.data.0)];
                        let c = Ctx::single(&inputs, e.timestamp, tables);
                        let parts: Vec<String> = args.iter().map(|a| a(&c).to_text()).collect();
                        let values: Vec<String> = e.data.0.iter().map(Value::to_text).collect();
                        eprintln!(
                            "[{query}] {} {:?} t={} ({})",
                            parts.join(" "),
                            e.kind,
                            e.timestamp,
                            values.join(", ")
                        );
                    }
                }
            }
        }
        self.select(chunk, tables)
    }

    fn select(&mut self, chunk: Chunk<Single>, tables: &TableSet) -> Vec<Event<Row>> {
        if chunk.is_empty() {
            return Vec::new();
        }
        let mut selected = Vec::new();
        self.selector.process(&chunk, tables, &mut selected);
        self.limit(selected)
    }

    fn limit(&mut self, selected: Vec<Selected<Vec<Value>, Row>>) -> Vec<Event<Row>> {
        let rows = match &mut self.rate {
            None => selected,
            Some(rate) => {
                let mut out = Vec::new();
                rate.process(selected, &mut out);
                out
            }
        };
        rows.into_iter().map(|s| s.event).collect()
    }

    /// When this query next needs [`QueryRt::on_time`].
    pub fn next_due(&self) -> Option<i64> {
        let windows = self.stages.iter().filter_map(|s| match s {
            Stage::Window(w) => w.next_due(),
            _ => None,
        });
        windows
            .chain(self.rate.as_ref().and_then(|r| r.next_due()))
            .min()
    }

    /// Fires the timers due at or before `now`; returns the rows to send on.
    pub fn on_time(&mut self, now: i64, tables: &TableSet) -> Vec<Event<Row>> {
        let mut rows = Vec::new();
        for i in 0..self.stages.len() {
            let Stage::Window(w) = &mut self.stages[i] else {
                continue;
            };
            if w.next_due().is_none_or(|due| due > now) {
                continue;
            }
            let mut out = Vec::new();
            w.on_time(now, &mut out);
            rows.extend(self.run_from(i + 1, now, out, tables));
        }
        if let Some(rate) = &mut self.rate
            && rate.next_due().is_some_and(|due| due <= now)
        {
            let mut out = Vec::new();
            rate.on_time(now, &mut out);
            rows.extend(out.into_iter().map(|s| s.event));
        }
        rows
    }

    /// Whether the query holds nothing: no window contents, groups, aggregate values, rows in
    /// its rate limiter or pending timers. Such an instance can be dropped without loss.
    pub fn is_empty(&self) -> bool {
        let windows_empty = self.stages.iter().all(|s| match s {
            Stage::Window(w) => w.contents().is_empty() && w.next_due().is_none(),
            _ => true,
        });
        windows_empty
            && self.plan.select.aggregates.is_empty()
            && self.selector.group_count() == 0
            && self.rate.as_ref().is_none_or(|r| r.is_idle())
    }

    /// The query's state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        let windows = self
            .stages
            .iter()
            .filter_map(|s| match s {
                Stage::Window(w) => Some(w.snapshot()),
                _ => None,
            })
            .collect::<Result<_, _>>()?;
        state::encode(&QueryState {
            windows,
            selector: self.selector.snapshot()?,
            rate: self.rate.as_ref().map(|r| r.snapshot()).transpose()?,
        })
    }

    /// Replaces the query's state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: QueryState = state::decode(bytes)?;
        let mut windows = s.windows.into_iter();
        for stage in &mut self.stages {
            if let Stage::Window(w) = stage {
                let bytes = windows.next().ok_or_else(|| {
                    StateError::Mismatch(format!(
                        "query '{}' has more windows than the snapshot",
                        self.name
                    ))
                })?;
                w.restore(&bytes)?;
            }
        }
        self.selector.restore(&s.selector)?;
        match (&mut self.rate, s.rate) {
            (Some(rate), Some(bytes)) => rate.restore(&bytes)?,
            (None, None) => {}
            _ => {
                return Err(StateError::Mismatch(format!(
                    "query '{}': rate limiter does not match the snapshot",
                    self.name
                )));
            }
        }
        Ok(())
    }
}
