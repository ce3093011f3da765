//! One query of the interpreter: its input stages (filters, window, stream functions), its
//! selector, its rate limiter and where its rows go.

use super::expr::{CompileError, Ctx, Eval, GroupKey, Pred, Row, compile, compile_predicate};
use super::join::JoinRt;
use super::pattern::StateRt;
use super::select::{Matched, RowLogic, Single};
use super::table::{TableCondition, TableSet};
use super::window::build_window;
use crate::event::{Chunk, Event, EventKind};
use crate::rate::{AggregateOutputs, Limit, Mode, RateLimiter, SnapshotKind};
use crate::select::{Selected, Selector};
use crate::state::{self, StateError};
use crate::value::Value;
use crate::window::Window;
use eventflux_codegen::plan::{
    EventType, HandlerPlan, InputPlan, OutputPlan, QueryPlan, RateMode, RatePlan, SourceKind,
    SourcePlan, StreamFunctionPlan,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One input stage.
pub enum Stage {
    /// Keep events for which the predicate holds.
    Filter(Pred),
    /// A window.
    Window(Box<dyn Window<Single>>),
    /// Add the cartesian `x`, `y` (and `z`) of each event's polar coordinates to it.
    Pol2Cart {
        /// The angle, in degrees.
        theta: Eval,
        /// The radius.
        rho: Eval,
        /// The height, copied to `z`.
        z: Option<Eval>,
    },
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

/// What a query reads, compiled.
enum InputRt {
    /// One source through its stages.
    Single(Vec<Stage>),
    /// Two sides joined.
    Join(Box<JoinRt>),
    /// A pattern or sequence.
    State(Box<StateRt>),
}

/// Where a query's rows go, as the app sends them on.
pub enum Route {
    /// The app's stream with this id.
    Stream(usize),
    /// Any other destination, with the query's name.
    Other(Arc<Destination>, Arc<str>),
}

/// A query ready to run.
pub struct QueryRt {
    /// The query's name.
    pub name: Arc<str>,
    /// The sources it reads (streams, inner streams, fault streams, named windows, triggers),
    /// each with whether it is a partition inner stream.
    pub sources: Vec<(String, bool)>,
    input: InputRt,
    selector: Selector<RowLogic<Matched>>,
    rate: Option<RateLimiter<GroupKey, Row>>,
    /// Where its rows go.
    pub destination: Arc<Destination>,
    /// The id of the app's stream its rows go to, once the app resolved
    /// [`Destination::Stream`] (the usual destination, then reached without a name lookup).
    pub target_stream: Option<usize>,
    /// The selector's output buffer, kept between chunks.
    selected: Vec<Selected<GroupKey, Row>>,
    /// The buffer of events a window's timer releases, kept between firings.
    timed: Chunk<Single>,
    /// The buffer a window stage emits into, kept between chunks.
    window_out: Chunk<Single>,
    /// The buffer of output rows, lent to the app for each chunk (see
    /// [`QueryRt::recycle_rows`]).
    rows: Vec<Event<Row>>,
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
                HandlerPlan::Function(StreamFunctionPlan::Pol2Cart { theta, rho, z }) => {
                    Stage::Pol2Cart {
                        theta: compile(theta)?,
                        rho: compile(rho)?,
                        z: z.as_ref().map(compile).transpose()?,
                    }
                }
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

/// How the interpreter's rows take the latest aggregate values in a snapshot: by position.
struct PositionOutputs {
    aggregate: Vec<bool>,
}

impl AggregateOutputs<Row> for PositionOutputs {
    fn with_aggregates_of(&self, row: &Row, from: &Row) -> Row {
        let values: Vec<Value> = row
            .iter()
            .zip(from.iter())
            .zip(&self.aggregate)
            .map(|((own, latest), aggregate)| if *aggregate { latest } else { own }.clone())
            .collect();
        Row::from(values)
    }

    fn same_plain_outputs(&self, a: &Row, b: &Row) -> bool {
        a.iter()
            .zip(b.iter())
            .zip(&self.aggregate)
            .all(|((x, y), aggregate)| *aggregate || x == y)
    }
}

fn rate_limiter(plan: &QueryPlan, windowed: bool) -> Option<RateLimiter<GroupKey, Row>> {
    let aggregate_outputs = plan.select.aggregate_outputs();
    plan.rate.as_ref().map(|r| {
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
                kind: SnapshotKind::of(windowed, &aggregate_outputs),
            },
        };
        RateLimiter::new(limit, !plan.select.group_by.is_empty()).with_aggregate_outputs(Arc::new(
            PositionOutputs {
                aggregate: aggregate_outputs.clone(),
            },
        ))
    })
}

impl QueryRt {
    /// Builds a query of the plan.
    pub fn new(plan: &QueryPlan) -> Result<Self, CompileError> {
        let (input, sources, windowed) = match &plan.input {
            InputPlan::Single(source) => {
                let name = match source.kind {
                    SourceKind::FaultStream => format!("!{}", source.name),
                    _ => source.name.clone(),
                };
                let inner = source.kind == SourceKind::InnerStream;
                (
                    InputRt::Single(stages(source, &plan.name)?),
                    vec![(name, inner)],
                    source.window().is_some(),
                )
            }
            InputPlan::Join(join) => {
                let rt = JoinRt::new(join, plan.output.events() != EventType::Current)?;
                let sources = rt.sources();
                (InputRt::Join(Box::new(rt)), sources, true)
            }
            InputPlan::State(state) => {
                let rt = StateRt::new(state)?;
                let sources = rt.sources();
                (InputRt::State(Box::new(rt)), sources, false)
            }
        };
        let events = plan.output.events();
        Ok(QueryRt {
            name: Arc::from(plan.name.as_str()),
            sources,
            input,
            selector: {
                let selector = Selector::new(
                    RowLogic::new(&plan.select)?,
                    events != EventType::Expired,
                    events != EventType::Current,
                );
                if matches!(plan.rate, Some(RatePlan::Snapshot { .. })) {
                    selector.unbatched()
                } else {
                    selector
                }
            },
            rate: rate_limiter(plan, windowed),
            selected: Vec::new(),
            timed: Vec::new(),
            window_out: Vec::new(),
            rows: Vec::new(),
            destination: Arc::new(destination(&plan.output)?),
            target_stream: None,
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
        if let InputRt::State(state) = &mut self.input {
            state.start(origin);
        }
    }

    /// Where its rows go: the resolved stream, or the destination to look up.
    pub fn route(&self) -> Route {
        match self.target_stream {
            Some(id) => Route::Stream(id),
            None => Route::Other(self.destination.clone(), self.name.clone()),
        }
    }

    /// A copy with empty state (a partition key's own instance).
    pub fn fresh(&self) -> Result<Self, CompileError> {
        let mut q = QueryRt::new(&self.plan)?;
        q.anchor(self.origin);
        q.target_stream = self.target_stream;
        Ok(q)
    }

    /// For a pattern or sequence: live partial matches and how many the bound dropped.
    pub fn pattern_metrics(&self) -> Option<(usize, u64)> {
        match &self.input {
            InputRt::State(state) => Some(state.metrics()),
            _ => None,
        }
    }

    /// Whether the query reads `source` (an inner stream when `inner`).
    pub fn reads(&self, source: &str, inner: bool) -> bool {
        self.sources.iter().any(|(s, i)| s == source && *i == inner)
    }

    /// Processes a chunk from `source` arriving at `now`; returns the rows to send on.
    pub fn process(
        &mut self,
        now: i64,
        source: &str,
        inner: bool,
        chunk: &mut Chunk<Single>,
        tables: &TableSet,
    ) -> Vec<Event<Row>> {
        match &mut self.input {
            InputRt::Single(_) => self.run_from(0, now, chunk, tables),
            InputRt::Join(join) => {
                let (matched, groups) = join.arrive(now, source, inner, chunk, tables);
                chunk.clear();
                self.select_groups(matched, &groups, now, tables)
            }
            InputRt::State(state) => {
                let matched = state.arrive(source, inner, chunk);
                chunk.clear();
                self.select(matched, now, tables)
            }
        }
    }

    /// Runs `chunk` through the stages from `start` on and the selector, leaving it empty
    /// (its allocation is the caller's to reuse).
    fn run_from(
        &mut self,
        start: usize,
        now: i64,
        chunk: &mut Chunk<Single>,
        tables: &TableSet,
    ) -> Vec<Event<Row>> {
        let InputRt::Single(stages) = &mut self.input else {
            chunk.clear();
            return Vec::new();
        };
        for stage in stages.iter_mut().skip(start) {
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
                    chunk.retain(|e| e.kind == EventKind::Current);
                    // The window empties `chunk` into its output buffer; the two swap, and the
                    // emptied one is the next output buffer (no allocation per event).
                    let mut out = std::mem::take(&mut self.window_out);
                    out.clear();
                    w.process_from(now, chunk, &mut out);
                    std::mem::swap(chunk, &mut out);
                    self.window_out = out;
                }
                Stage::Pol2Cart { theta, rho, z } => {
                    for e in chunk.iter_mut() {
                        if e.kind == EventKind::Reset {
                            continue;
                        }
                        let (xy, z) = {
                            let inputs = [std::slice::from_ref(&e.data.0)];
                            let c = Ctx::single(&inputs, e.timestamp, tables);
                            (pol2cart(&theta(&c), &rho(&c)), z.as_ref().map(|z| z(&c)))
                        };
                        e.data.0 = e.data.0.iter().cloned().chain(xy).chain(z).collect();
                    }
                }
                Stage::Log { args, query } => {
                    for e in chunk.iter() {
                        let inputs = [std::slice::from_ref(&e.data.0)];
                        let c = Ctx::single(&inputs, e.timestamp, tables);
                        let arguments: Vec<Value> = args.iter().map(|a| a(&c)).collect();
                        crate::compiled::log_event(
                            query,
                            &arguments,
                            e.kind,
                            e.timestamp,
                            &e.data.0,
                        );
                    }
                }
            }
        }
        if chunk.is_empty() {
            return Vec::new();
        }
        // Each event goes to the selector as it is, without a chunk of its own.
        let mut selected = std::mem::take(&mut self.selected);
        selected.clear();
        for e in chunk.drain(..) {
            let event = Event {
                timestamp: e.timestamp,
                kind: e.kind,
                data: Matched::One(e.data.0),
            };
            self.selector.step(&event, tables, &mut selected, 0);
        }
        self.selector.finish(&mut selected, 0);
        self.limit(selected, now)
    }

    fn select(&mut self, chunk: Chunk<Matched>, now: i64, tables: &TableSet) -> Vec<Event<Row>> {
        if chunk.is_empty() {
            return Vec::new();
        }
        let mut selected = std::mem::take(&mut self.selected);
        selected.clear();
        self.selector.process(&chunk, tables, &mut selected);
        self.limit(selected, now)
    }

    /// Selects a join's pairs group by group (see [`crate::join::Joined`]).
    fn select_groups(
        &mut self,
        chunk: Chunk<Matched>,
        ends: &[usize],
        now: i64,
        tables: &TableSet,
    ) -> Vec<Event<Row>> {
        if chunk.is_empty() {
            return Vec::new();
        }
        let mut selected = std::mem::take(&mut self.selected);
        selected.clear();
        self.selector
            .process_groups(&chunk, ends, tables, &mut selected);
        self.limit(selected, now)
    }

    /// The selected rows through the rate limiter, if any; the selection buffer is kept for
    /// the next chunk.
    fn limit(&mut self, mut selected: Vec<Selected<GroupKey, Row>>, now: i64) -> Vec<Event<Row>> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        match &mut self.rate {
            None => rows.extend(selected.drain(..).map(|s| s.event)),
            Some(rate) => {
                let mut out = Vec::new();
                rate.process(std::mem::take(&mut selected), now, &mut out);
                rows.extend(out.into_iter().map(|s| s.event));
            }
        }
        self.selected = selected;
        rows
    }

    /// Whether the query holds no buffer for its output rows (its last one was not given back).
    pub fn lacks_rows_buffer(&self) -> bool {
        self.rows.capacity() == 0
    }

    /// Takes back the buffer of rows [`QueryRt::process`] returned, once they were sent on, so
    /// that the next chunk's rows reuse its allocation.
    pub fn recycle_rows(&mut self, mut rows: Vec<Event<Row>>) {
        if self.rows.capacity() == 0 {
            rows.clear();
            self.rows = rows;
        }
    }

    /// When this query next needs [`QueryRt::on_time`].
    pub fn next_due(&self) -> Option<i64> {
        // Plain loops: this runs for every event sent.
        let mut earliest: Option<i64> = None;
        let mut offer = |due: Option<i64>| earliest = crate::clock::earlier(earliest, due);
        match &self.input {
            InputRt::Single(stages) => {
                for stage in stages {
                    if let Stage::Window(w) = stage {
                        offer(w.next_due());
                    }
                }
            }
            InputRt::Join(join) => offer(join.next_due()),
            InputRt::State(state) => offer(state.next_due()),
        }
        if let Some(rate) = &self.rate {
            offer(rate.next_due());
        }
        earliest
    }

    /// Whether the query can never have a timer: [`QueryRt::next_due`] is always `None` (no
    /// window, join, pattern or rate limit).
    pub fn untimed(&self) -> bool {
        let input = match &self.input {
            InputRt::Single(stages) => !stages.iter().any(|s| matches!(s, Stage::Window(_))),
            InputRt::Join(_) | InputRt::State(_) => false,
        };
        input && self.rate.is_none()
    }

    /// Fires the timers due at or before `now`; returns the rows to send on.
    pub fn on_time(&mut self, now: i64, tables: &TableSet) -> Vec<Event<Row>> {
        let mut rows = Vec::new();
        let window_stages = match &self.input {
            InputRt::Single(stages) => stages.len(),
            InputRt::Join(_) | InputRt::State(_) => 0,
        };
        for i in 0..window_stages {
            let InputRt::Single(stages) = &mut self.input else {
                break;
            };
            let Stage::Window(w) = &mut stages[i] else {
                continue;
            };
            if w.next_due().is_none_or(|due| due > now) {
                continue;
            }
            let mut out = std::mem::take(&mut self.timed);
            out.clear();
            w.on_time(now, &mut out);
            rows.extend(self.run_from(i + 1, now, &mut out, tables));
            self.timed = out;
        }
        if let InputRt::Join(join) = &mut self.input
            && join.next_due().is_some_and(|due| due <= now)
        {
            let (matched, groups) = join.on_time(now, tables);
            rows.extend(self.select_groups(matched, &groups, now, tables));
        }
        if let InputRt::State(state) = &mut self.input
            && state.next_due().is_some_and(|due| due <= now)
        {
            let matched = state.on_time(now);
            rows.extend(self.select(matched, now, tables));
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

    /// Moves idle periodic timers (an empty batch window, an empty rate limiter) past `horizon`.
    pub fn skip_idle(&mut self, horizon: i64) {
        match &mut self.input {
            InputRt::Single(stages) => {
                for stage in stages {
                    if let Stage::Window(w) = stage {
                        w.skip_idle(horizon);
                    }
                }
            }
            InputRt::Join(join) => join.skip_idle(horizon),
            InputRt::State(_) => {}
        }
        if let Some(rate) = &mut self.rate {
            rate.skip_idle(horizon);
        }
    }

    /// Whether the query holds nothing: no window contents, groups, aggregate values, rows in
    /// its rate limiter or pending timers. Such an instance can be dropped without loss.
    pub fn is_empty(&self) -> bool {
        let input_empty = match &self.input {
            InputRt::Single(stages) => stages.iter().all(|s| match s {
                Stage::Window(w) => w.holds_nothing() && w.next_due().is_none(),
                _ => true,
            }),
            InputRt::Join(join) => join.is_empty(),
            InputRt::State(state) => state.is_empty(),
        };
        input_empty
            && self.plan.select.aggregates.is_empty()
            && self.selector.group_count() == 0
            && self.rate.as_ref().is_none_or(|r| r.is_idle())
    }

    /// The query's state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        let windows = match &self.input {
            InputRt::Single(stages) => stages
                .iter()
                .filter_map(|s| match s {
                    Stage::Window(w) => Some(w.snapshot()),
                    _ => None,
                })
                .collect::<Result<_, _>>()?,
            InputRt::Join(join) => vec![join.snapshot()?],
            InputRt::State(state) => vec![state.snapshot()?],
        };
        state::encode(&QueryState {
            windows,
            selector: self.selector.snapshot()?,
            rate: self.rate.as_ref().map(|r| r.snapshot()).transpose()?,
        })
    }

    /// Replaces the query's state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: QueryState = state::decode(bytes)?;
        let mismatch =
            || StateError::Mismatch(format!("query '{}' does not match the snapshot", self.name));
        let mut windows = s.windows.into_iter();
        match &mut self.input {
            InputRt::Single(stages) => {
                for stage in stages {
                    if let Stage::Window(w) = stage {
                        let bytes = windows.next().ok_or_else(mismatch)?;
                        w.restore(&bytes)?;
                    }
                }
            }
            InputRt::Join(join) => join.restore(&windows.next().ok_or_else(mismatch)?)?,
            InputRt::State(state) => state.restore(&windows.next().ok_or_else(mismatch)?)?,
        }
        self.selector.restore(&s.selector)?;
        match (&mut self.rate, s.rate) {
            (Some(rate), Some(bytes)) => rate.restore(&bytes)?,
            (None, None) => {}
            _ => return Err(mismatch()),
        }
        Ok(())
    }
}

/// The `x` and `y` that `#pol2Cart` adds (see [`crate::stream_function::pol2cart`]).
fn pol2cart(theta: &Value, rho: &Value) -> [Value; 2] {
    let double = |v: &Value| match v {
        Value::Double(d) => Some(*d),
        _ => None,
    };
    let (x, y) = crate::stream_function::pol2cart(double(theta), double(rho));
    [
        x.map_or(Value::Null, Value::Double),
        y.map_or(Value::Null, Value::Double),
    ]
}
