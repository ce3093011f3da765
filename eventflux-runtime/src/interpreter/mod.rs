//! The interpreter: runs a checked [`Plan`] loaded at run time.
//!
//! Events are delivered synchronously and depth first, as SiddhiQL's stream junctions do: when
//! a query inserts into a stream, that stream's readers process the rows before the next reader
//! of the original stream sees its event. Readers of one stream run in definition order.
//!
//! Partitions keep one instance of their queries per key. An instance that holds nothing after
//! an event (no window contents, groups, aggregate values or pending timers) is dropped at once,
//! losing nothing; `@purge(idle.period = ...)` drops instances idle for longer than that.
//!
//! Time: one clock. In playback (event time) it follows event timestamps and explicit
//! advances; otherwise the caller drives it from the wall clock ([`App::tick`]). Every timer
//! (window expiry, batch ends, rate limiter periods, triggers, partition purges) fires when the
//! clock reaches it, once per due time in order, before an event with a later timestamp.

mod aggregation;
pub mod expr;
mod functions;
mod join;
mod pattern;
mod query;
pub mod select;
pub mod table;
mod window;

use crate::event::{Chunk, Event, EventKind};
use crate::partition::{Partitioned, Place, Purge, Slot};
use crate::state::{self, StateError};
use crate::store::{StoreError, StoreRegistry};
use crate::value::{RowMisfit, Value};
use crate::window::Window;
use eventflux_codegen::plan::{
    EventType, NamedWindowInfo, PartitionKeyKind, Plan, StreamKind, TriggerSchedule, Type,
};
use expr::{CompileError, Ctx, Eval, Pred, Row, compile, compile_predicate};
use query::{Destination, QueryRt, Route};
use select::Single;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::Arc;
use table::TableSet;

/// The interpreter's value of a plan constant.
pub(crate) fn const_value(v: &eventflux_codegen::plan::Value) -> Value {
    use eventflux_codegen::plan::Value as P;
    match v {
        P::Null => Value::Null,
        P::Int(x) => Value::Int(*x),
        P::Long(x) => Value::Long(*x),
        P::Float(x) => Value::Float(*x),
        P::Double(x) => Value::Double(*x),
        P::String(s) => Value::String(Arc::from(s.as_str())),
        P::Bool(b) => Value::Bool(*b),
    }
}

/// Why an app could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The app text has errors (every one is listed).
    #[error("{0}")]
    Invalid(#[from] eventflux_codegen::CompileErrors),
    /// The app uses something this runtime cannot run.
    #[error("{0}")]
    Unsupported(#[from] CompileError),
    /// A table's store could not be opened or loaded.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The app file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Why an event was refused. The app keeps running.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SendError {
    /// No stream of that name.
    #[error("unknown stream '{0}'")]
    UnknownStream(String),
    /// Wrong number of values.
    #[error("stream '{stream}' takes {expected} value(s) per event, this event has {found}")]
    Arity {
        /// The stream.
        stream: String,
        /// Attributes in the stream.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A value of the wrong type.
    #[error("stream '{stream}', attribute '{attribute}' ({expected}): {problem}")]
    Type {
        /// The stream.
        stream: String,
        /// The attribute.
        attribute: String,
        /// Its type.
        expected: Type,
        /// What is wrong with the value.
        problem: String,
    },
    /// An event older than the clock in playback.
    #[error("stream '{stream}': event time {timestamp} is before the clock ({clock})")]
    OutOfOrder {
        /// The stream.
        stream: String,
        /// The event's time.
        timestamp: i64,
        /// The clock.
        clock: i64,
    },
}

/// An output event handed to a callback.
#[derive(Clone, Debug, PartialEq)]
pub struct Output<'a> {
    /// The stream (or, for `return`, the query) it comes from.
    pub stream: &'a str,
    /// Its time.
    pub timestamp: i64,
    /// Current or expired.
    pub kind: EventKind,
    /// Its values.
    pub values: &'a [Value],
}

type Callback = Box<dyn FnMut(&Output) + Send>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Consumer {
    Query(usize),
    Partition(usize),
    Aggregation(usize),
}

struct StreamRt {
    name: Arc<str>,
    /// The callbacks subscribed to its events.
    callbacks: Vec<Callback>,
    types: Vec<(String, Type)>,
    consumers: Vec<Consumer>,
    /// Where errors raised while processing its events go: its fault stream, or the log.
    fault_stream: Option<usize>,
}

/// A stream's input handle: sending through it skips the lookup by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputHandle {
    stream: usize,
    name: String,
}

impl InputHandle {
    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.name
    }
}

/// Where the events handed to a consumer come from: a stream or a named window, by index (so
/// that handing them on copies no name).
#[derive(Clone, Copy)]
enum Source {
    Stream(usize),
    Window(usize),
}

struct NamedWindowRt {
    name: String,
    window: Box<dyn Window<Single>>,
    output: EventType,
    consumers: Vec<Consumer>,
}

struct TriggerRt {
    stream: String,
    schedule: TriggerSchedule,
    cron: Option<crate::schedule::CronSchedule>,
    next: Option<i64>,
}

enum KeyRt {
    Value(Eval),
    Range(Vec<(Pred, String)>),
}

struct PartitionRt {
    keys: HashMap<String, KeyRt, foldhash::fast::RandomState>,
    templates: Vec<QueryRt>,
    /// Whether its queries read a stream it does not key: such events go to every instance
    /// that exists, so an instance is kept even while it holds nothing.
    reads_unkeyed: bool,
    /// Whether its keys are of several types: then, as in Siddhi, which keys instances by a
    /// key's text, a key is its text (an int 100 and a string "100" are one key).
    text_keys: bool,
    /// One instance of the partition's queries per key.
    instances: Partitioned<Value, Vec<QueryRt>>,
}

/// One of the app's timers; `K` holds a partition key (borrowed while timers are compared,
/// owned once one is chosen to fire).
#[derive(Clone, Debug)]
enum Timer<K = Value> {
    Query(usize),
    Window(usize),
    Trigger(usize),
    PartitionQuery(usize, K, usize),
    Purge(usize),
}

impl Timer<&Value> {
    /// The timer with its partition key copied.
    fn owned(self) -> Timer {
        match self {
            Timer::Query(i) => Timer::Query(i),
            Timer::Window(i) => Timer::Window(i),
            Timer::Trigger(i) => Timer::Trigger(i),
            Timer::PartitionQuery(p, key, i) => Timer::PartitionQuery(p, key.clone(), i),
            Timer::Purge(p) => Timer::Purge(p),
        }
    }

    /// The timer's group for [`crate::clock::Earliest`]: the instances of one partitioned
    /// query share one.
    fn group(&self) -> Option<u64> {
        match self {
            Timer::PartitionQuery(p, _, i) => Some(crate::clock::partition_timer_group(*p, *i)),
            _ => None,
        }
    }
}

/// The interpreter's timers as [`crate::clock::advance_to`] drives them.
struct TimersOf<'a>(&'a mut App);

impl crate::clock::Timers for TimersOf<'_> {
    type Timer = Timer;
    fn next_timer(&self) -> Option<(i64, Timer, Option<i64>)> {
        self.0.next_timer()
    }
    fn fire(&mut self, timer: Timer, due: i64, horizon: i64) {
        self.0.fire(timer, due, horizon)
    }
    fn clock_mut(&mut self) -> &mut i64 {
        &mut self.0.clock
    }
}

/// A partition instance in a snapshot: its key, when it last saw an event, its queries' states.
type InstanceState = (Value, i64, Vec<Vec<u8>>);

#[derive(Serialize, Deserialize)]
struct AppState {
    /// [`fingerprint`] of the plan that took the snapshot.
    app: u64,
    clock: i64,
    queries: Vec<Vec<u8>>,
    windows: Vec<Vec<u8>>,
    triggers: Vec<Option<i64>>,
    tables: Vec<(String, Vec<u8>)>,
    aggregations: Vec<(String, Vec<u8>)>,
    partitions: Vec<Vec<InstanceState>>,
}

/// A running app.
pub struct App {
    plan: Arc<Plan>,
    streams: Vec<StreamRt>,
    /// Stream ids by name (looked up per delivered chunk, hence the fast hasher).
    stream_ids: HashMap<String, usize, foldhash::fast::RandomState>,
    queries: Vec<QueryRt>,
    windows: Vec<NamedWindowRt>,
    triggers: Vec<TriggerRt>,
    partitions: Vec<PartitionRt>,
    tables: TableSet,
    clock: i64,
    playback: bool,
    /// Callbacks of `return` queries, by query name.
    return_callbacks: HashMap<String, Vec<Callback>>,
    /// Errors raised while the current event is processed, not yet reported.
    errors: Vec<String>,
    /// The incremental aggregations (held in `tables`), by consumer index.
    aggregations: Vec<String>,
    /// How deep deliveries are nested now (queries feeding streams feeding queries).
    depth: usize,
    /// Events delivered since the current input event arrived (see [`MAX_CASCADE_EVENTS`]).
    cascade: usize,
    /// Empty chunks whose allocations later sends and deliveries reuse.
    spare_chunks: Vec<Chunk<Single>>,
    /// Empty output-row buffers lent to partition instances' queries (see
    /// [`QueryRt::recycle_rows`]).
    spare_rows: Vec<Vec<Event<Row>>>,
    /// Whether the app has no timer at all (no trigger, named window or partition, and no
    /// query with one): moving its clock then looks for none.
    untimed: bool,
}

/// How many emptied chunks, and how many emptied row buffers, an app keeps for reuse (a
/// delivery holds a few at once: the input's, a partition key's run, a query's output).
const SPARE_BUFFERS: usize = 8;

pub use crate::clock::MAX_TIMER_FIRINGS;

/// How deep deliveries may nest before the app reports a cycle of queries (a query whose
/// output, through other queries, reaches its own input) instead of overflowing the stack.
pub const MAX_DELIVERY_DEPTH: usize = 64;

/// The most events one input event may cause to be delivered (queries feeding each other in a
/// cycle through joins with tables can multiply events at every level).
pub const MAX_CASCADE_EVENTS: usize = 100_000;

/// What is reported when the events of `what` (a stream) are dropped because queries feed each
/// other more than [`MAX_DELIVERY_DEPTH`] levels deep.
pub fn dropped_in_cycle(what: &str) -> String {
    format!(
        "events of {what} were dropped: queries feed each other more than {MAX_DELIVERY_DEPTH} levels deep (a cycle of insert into)"
    )
}

impl App {
    /// Builds an app from EventFluxQL text (`name` is used in error messages).
    pub fn from_text(name: &str, text: &str) -> Result<App, BuildError> {
        let plan = eventflux_codegen::check_app(name, text)?;
        App::from_plan(plan)
    }

    /// Builds an app from a `.eventflux` file.
    pub fn from_file(path: &std::path::Path) -> Result<App, BuildError> {
        let text = std::fs::read_to_string(path).map_err(|source| BuildError::Read {
            path: path.display().to_string(),
            source,
        })?;
        App::from_text(&path.display().to_string(), &text)
    }

    /// Builds an app from EventFluxQL text, opening `@store` tables in `stores`.
    pub fn from_text_with_stores(
        name: &str,
        text: &str,
        stores: &StoreRegistry,
    ) -> Result<App, BuildError> {
        let plan = eventflux_codegen::check_app(name, text)?;
        App::from_plan_with_stores(plan, stores)
    }

    /// Builds an app from a checked plan (`@store` tables in the built-in stores).
    pub fn from_plan(plan: Plan) -> Result<App, BuildError> {
        App::from_plan_with_stores(plan, &StoreRegistry::default())
    }

    /// Builds an app from a checked plan, opening `@store` tables in `stores` and loading their
    /// rows.
    pub fn from_plan_with_stores(plan: Plan, stores: &StoreRegistry) -> Result<App, BuildError> {
        let mut app = App {
            playback: plan.config.playback.is_some(),
            plan: Arc::new(plan.clone()),
            streams: Vec::new(),
            stream_ids: HashMap::default(),
            queries: Vec::new(),
            windows: Vec::new(),
            triggers: Vec::new(),
            partitions: Vec::new(),
            tables: TableSet::default(),
            clock: 0,
            return_callbacks: HashMap::new(),
            errors: Vec::new(),
            aggregations: Vec::new(),
            depth: 0,
            cascade: 0,
            spare_chunks: Vec::new(),
            spare_rows: Vec::new(),
            untimed: false,
        };
        for s in &plan.streams {
            if matches!(s.kind, StreamKind::Inner { .. }) {
                continue;
            }
            app.add_stream(
                &s.name,
                s.schema
                    .attributes
                    .iter()
                    .map(|a| (a.name.clone(), a.ty))
                    .collect(),
            );
        }
        for t in &plan.triggers {
            app.add_stream(&t.name, vec![("triggered_time".into(), Type::Long)]);
            let cron = match &t.schedule {
                TriggerSchedule::Cron(expr) => {
                    Some(crate::schedule::CronSchedule::parse(expr).map_err(|e| {
                        CompileError::Unsupported(format!("trigger '{}': {e}", t.name))
                    })?)
                }
                _ => None,
            };
            app.triggers.push(TriggerRt {
                stream: t.name.clone(),
                schedule: t.schedule.clone(),
                cron,
                next: None,
            });
        }
        for t in &plan.tables {
            app.tables.add(&plan.config.name, t, stores)?;
        }
        for w in &plan.windows {
            app.add_named_window(w)?;
        }
        for a in &plan.aggregations {
            let rt = aggregation::AggregationRt::new(a)?;
            let id = app.aggregations.len();
            app.aggregations.push(rt.name.clone());
            app.subscribe_consumer(&rt.source.clone(), Consumer::Aggregation(id));
            app.tables.add_aggregation(rt);
        }
        for (index, p) in plan.partitions.iter().enumerate() {
            let mut keys = HashMap::default();
            for k in &p.keys {
                let key = match &k.kind {
                    PartitionKeyKind::Value(e) => KeyRt::Value(compile(e)?),
                    PartitionKeyKind::Range(ranges) => KeyRt::Range(
                        ranges
                            .iter()
                            .map(|(c, label)| compile_predicate(c).map(|p| (p, label.clone())))
                            .collect::<Result<_, _>>()?,
                    ),
                };
                keys.insert(k.stream.clone(), key);
            }
            let templates = plan
                .queries
                .iter()
                .filter(|q| q.partition == Some(index))
                .map(|q| QueryRt::new(q).map(|rt| app.resolve_target(rt)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut sources: Vec<String> = templates
                .iter()
                .flat_map(|q| q.sources.iter())
                .filter(|(_, inner)| !inner)
                .map(|(s, _)| s.clone())
                .collect();
            sources.sort();
            sources.dedup();
            let reads_unkeyed = sources.iter().any(|s| !keys.contains_key(s));
            let mut key_types: Vec<Type> = p
                .keys
                .iter()
                .map(|k| match &k.kind {
                    PartitionKeyKind::Value(e) => e.ty,
                    PartitionKeyKind::Range(_) => Type::String,
                })
                .collect();
            key_types.dedup();
            let text_keys = key_types.len() > 1;
            app.partitions.push(PartitionRt {
                text_keys,
                keys,
                templates,
                reads_unkeyed,
                instances: Partitioned::new(p.purge.as_ref().map(|c| Purge {
                    interval: c.interval_ms,
                    idle: c.idle_period_ms,
                })),
            });
            for source in sources {
                app.subscribe_consumer(&source, Consumer::Partition(index));
            }
        }
        for q in plan.queries.iter().filter(|q| q.partition.is_none()) {
            let rt = app.resolve_target(QueryRt::new(q)?);
            let id = app.queries.len();
            for (source, _) in rt.sources.clone() {
                app.subscribe_consumer(&source, Consumer::Query(id));
            }
            app.queries.push(rt);
        }
        for s in &plan.streams {
            if let StreamKind::Fault { of } = &s.kind
                && let (Some(fault), Some(source)) = (
                    app.stream_ids.get(&s.name).copied(),
                    app.stream_ids.get(of).copied(),
                )
            {
                app.streams[source].fault_stream = Some(fault);
            }
        }
        app.order_consumers(&plan);
        app.untimed = app.triggers.is_empty()
            && app.windows.is_empty()
            && app.partitions.is_empty()
            && app.queries.iter().all(QueryRt::untimed);
        let origin = if app.playback {
            0
        } else {
            crate::clock::now_ms()
        };
        app.anchor(origin);
        Ok(app)
    }

    /// Starts the clock at `origin` and anchors every periodic timer there (triggers, rate
    /// limiter periods): 0 in playback, the wall-clock time otherwise.
    fn anchor(&mut self, origin: i64) {
        self.clock = origin;
        for t in &mut self.triggers {
            t.next = match &t.schedule {
                TriggerSchedule::Start => Some(origin),
                TriggerSchedule::Every(p) => crate::event::due_after(origin, *p),
                TriggerSchedule::Cron(_) => t.cron.as_ref().and_then(|c| c.next_after(origin)),
            };
        }
        for q in &mut self.queries {
            q.anchor(origin);
        }
        for p in &mut self.partitions {
            for q in &mut p.templates {
                q.anchor(origin);
            }
            p.instances.anchor(origin);
        }
    }

    fn add_stream(&mut self, name: &str, types: Vec<(String, Type)>) {
        self.stream_ids.insert(name.to_string(), self.streams.len());
        self.streams.push(StreamRt {
            name: Arc::from(name),
            callbacks: Vec::new(),
            types,
            consumers: Vec::new(),
            fault_stream: None,
        });
    }

    fn add_named_window(&mut self, w: &NamedWindowInfo) -> Result<(), CompileError> {
        self.windows.push(NamedWindowRt {
            name: w.name.clone(),
            window: window::build_window(&w.window)?,
            output: w.output,
            consumers: Vec::new(),
        });
        Ok(())
    }

    fn subscribe_consumer(&mut self, source: &str, consumer: Consumer) {
        if let Some(w) = self.windows.iter_mut().find(|w| w.name == source) {
            if !w.consumers.contains(&consumer) {
                w.consumers.push(consumer);
            }
            return;
        }
        if let Some(id) = self.stream_ids.get(source) {
            let consumers = &mut self.streams[*id].consumers;
            if !consumers.contains(&consumer) {
                consumers.push(consumer);
            }
        }
    }

    /// Puts each stream's readers in the order their queries are written.
    fn order_consumers(&mut self, plan: &Plan) {
        let position = |c: &Consumer, queries: &[QueryRt]| -> usize {
            match c {
                Consumer::Query(q) => plan
                    .queries
                    .iter()
                    .position(|p| p.partition.is_none() && *p.name == *queries[*q].name)
                    .unwrap_or(usize::MAX),
                Consumer::Partition(p) => plan
                    .queries
                    .iter()
                    .position(|q| q.partition == Some(*p))
                    .unwrap_or(usize::MAX),
                Consumer::Aggregation(_) => 0,
            }
        };
        for s in &mut self.streams {
            s.consumers.sort_by_key(|c| position(c, &self.queries));
        }
        for w in &mut self.windows {
            w.consumers.sort_by_key(|c| position(c, &self.queries));
        }
    }

    /// The checked plan this app runs.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The clock, in ms.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// Whether the clock follows event time.
    pub fn is_playback(&self) -> bool {
        self.playback
    }

    /// Makes the clock follow event time from 0 (or the wall clock from now, when `false`).
    /// Call it before sending events: it restarts the clock and the periodic timers.
    pub fn set_playback(&mut self, playback: bool) {
        if self.playback != playback {
            self.playback = playback;
            self.anchor(if playback { 0 } else { crate::clock::now_ms() });
        }
    }

    /// Pattern and sequence queries' partial matches: (query name, live partials, partials
    /// dropped because of the bound [`crate::pattern::StateMachine::MAX_PARTIALS`]).
    pub fn pattern_metrics(&self) -> Vec<(String, usize, u64)> {
        self.queries
            .iter()
            .filter_map(|q| {
                q.pattern_metrics()
                    .map(|(live, dropped)| (q.name.to_string(), live, dropped))
            })
            .collect()
    }

    /// How many keys each partition holds state for, in the order the partitions are written
    /// (a metric: it stays bounded when keys go quiet).
    pub fn partition_key_counts(&self) -> Vec<usize> {
        self.partitions.iter().map(|p| p.instances.len()).collect()
    }

    /// The attribute names and types of stream `name`.
    pub fn stream_schema(&self, name: &str) -> Option<&[(String, Type)]> {
        self.stream_ids
            .get(name)
            .map(|id| self.streams[*id].types.as_slice())
    }

    /// Calls `callback` for every event of stream `stream` (or every row a `return` query named
    /// `stream` returns).
    pub fn subscribe(&mut self, stream: &str, callback: impl FnMut(&Output) + Send + 'static) {
        match self.stream_ids.get(stream) {
            Some(id) => self.streams[*id].callbacks.push(Box::new(callback)),
            None => self
                .return_callbacks
                .entry(stream.to_string())
                .or_default()
                .push(Box::new(callback)),
        }
    }

    /// The input handle of stream `stream`.
    pub fn input(&self, stream: &str) -> Result<InputHandle, SendError> {
        self.stream_ids
            .get(stream)
            .map(|id| InputHandle {
                stream: *id,
                name: stream.to_string(),
            })
            .ok_or_else(|| SendError::UnknownStream(stream.to_string()))
    }

    /// Sends one event to `stream`. In playback `timestamp` moves the clock (missing: the
    /// clock's time); otherwise events are stamped with the wall clock.
    pub fn send(
        &mut self,
        stream: &str,
        timestamp: Option<i64>,
        values: Vec<Value>,
    ) -> Result<(), SendError> {
        let input = self.input(stream)?;
        self.send_to(&input, timestamp, values)
    }

    /// Sends one event through an input handle (see [`App::send`]).
    pub fn send_to(
        &mut self,
        input: &InputHandle,
        timestamp: Option<i64>,
        values: Vec<Value>,
    ) -> Result<(), SendError> {
        self.send_row(input, timestamp, Arc::from(values))
    }

    /// Sends one event whose values are already a shared row (see [`App::send`]): the row is
    /// checked and converted in place when it is not shared, so the values are not copied.
    pub fn send_row(
        &mut self,
        input: &InputHandle,
        timestamp: Option<i64>,
        row: Arc<[Value]>,
    ) -> Result<(), SendError> {
        let id = input.stream;
        let row = self.validate(id, row)?;
        let ts = crate::clock::stamp(&input.name, self.playback, self.clock, timestamp)?;
        let _time = self.playback_time(ts);
        self.advance_to(ts);
        let mut chunk = self.spare_chunk();
        chunk.push(Event::current(ts, Single(row)));
        self.deliver(id, chunk);
        Ok(())
    }

    /// Sends one event given as JSON values (`t` as in [`App::send`]).
    pub fn send_json(
        &mut self,
        stream: &str,
        timestamp: Option<i64>,
        values: &[serde_json::Value],
    ) -> Result<(), SendError> {
        let id = *self
            .stream_ids
            .get(stream)
            .ok_or_else(|| SendError::UnknownStream(stream.to_string()))?;
        let converted = crate::engine::values_from_json(stream, &self.streams[id].types, values)?;
        self.send(stream, timestamp, converted)
    }

    /// Checks `row` against the stream's attributes, converting values to their attribute's
    /// type (in place when the row is not shared).
    fn validate(&self, id: usize, mut row: Row) -> Result<Row, SendError> {
        let s = &self.streams[id];
        let misfit = |misfit| match misfit {
            RowMisfit::Arity { expected, found } => SendError::Arity {
                stream: s.name.to_string(),
                expected,
                found,
            },
            RowMisfit::Type { index, problem } => SendError::Type {
                stream: s.name.to_string(),
                attribute: s.types[index].0.clone(),
                expected: s.types[index].1,
                problem,
            },
        };
        match Arc::get_mut(&mut row) {
            Some(values) => crate::value::fit_row(values, &s.types).map_err(misfit)?,
            None => {
                let fits = row.len() == s.types.len()
                    && row
                        .iter()
                        .zip(&s.types)
                        .all(|(v, (_, ty))| v.ty() == Some(*ty));
                if !fits {
                    let mut values = row.to_vec();
                    crate::value::fit_row(&mut values, &s.types).map_err(misfit)?;
                    row = Arc::from(values);
                }
            }
        }
        Ok(row)
    }

    /// Moves the clock to `time`, firing every timer due on the way, in order.
    pub fn advance_to(&mut self, time: i64) {
        if !self.untimed && self.next_due().is_some_and(|due| due <= time) {
            let _time = self.playback_time(time.max(self.clock));
            crate::clock::advance_to(&mut TimersOf(self), time)
        } else {
            self.clock = self.clock.max(time);
        }
    }

    /// Makes `currentTimeMillis()` give `time` while the app processes events up to it, in
    /// playback when the app calls that function (see [`crate::clock::PlaybackTime`]).
    fn playback_time(&self, time: i64) -> Option<crate::clock::PlaybackTime> {
        (self.playback && self.plan.reads_app_clock)
            .then(|| crate::clock::PlaybackTime::enter(time))
    }

    /// Advances the clock to the wall-clock time (outside playback).
    pub fn tick(&mut self) {
        if !self.playback {
            self.advance_to(crate::clock::now_ms());
        }
    }

    /// When the next timer is due, if any.
    pub fn next_due(&self) -> Option<i64> {
        let mut earliest: Option<i64> = None;
        self.visit_timers(|due, _| earliest = crate::clock::earlier(earliest, due));
        earliest
    }

    /// The earliest timer, and the due time of the next one after it.
    fn next_timer(&self) -> Option<(i64, Timer, Option<i64>)> {
        let mut earliest = crate::clock::Earliest::default();
        self.visit_timers(|due, timer| {
            let group = timer.group();
            earliest.offer_grouped(due, timer, group)
        });
        earliest
            .finish()
            .map(|(due, timer, next)| (due, timer.owned(), next))
    }

    /// Visits every timer with its due time (`None`: nothing pending), partition keys borrowed:
    /// this runs on every send, so it is plain loops, and only the timer chosen to fire copies
    /// its key.
    fn visit_timers<'a>(&'a self, mut visit: impl FnMut(Option<i64>, Timer<&'a Value>)) {
        for (i, t) in self.triggers.iter().enumerate() {
            visit(t.next, Timer::Trigger(i));
        }
        for (i, w) in self.windows.iter().enumerate() {
            visit(w.window.next_due(), Timer::Window(i));
        }
        for (i, q) in self.queries.iter().enumerate() {
            visit(q.next_due(), Timer::Query(i));
        }
        for (p, part) in self.partitions.iter().enumerate() {
            visit(part.instances.next_due(), Timer::Purge(p));
            for (key, queries) in part.instances.timed() {
                for (i, q) in queries.iter().enumerate() {
                    visit(q.next_due(), Timer::PartitionQuery(p, key, i));
                }
            }
        }
    }

    fn fire(&mut self, timer: Timer, due: i64, horizon: i64) {
        match timer {
            Timer::Trigger(i) => {
                let t = &mut self.triggers[i];
                t.next = match t.schedule {
                    TriggerSchedule::Every(p) => crate::event::due_after(due, p.max(1)),
                    TriggerSchedule::Cron(_) => t.cron.as_ref().and_then(|c| c.next_after(due)),
                    TriggerSchedule::Start => None,
                };
                let stream = t.stream.clone();
                if let Some(id) = self.stream_ids.get(&stream).copied() {
                    let row: Row = Arc::from(vec![Value::Long(due)]);
                    self.deliver(id, vec![Event::current(due, Single(row))]);
                }
            }
            Timer::Window(i) => {
                let mut out = Vec::new();
                self.windows[i].window.on_time(due, &mut out);
                self.window_emit(i, out);
                self.windows[i].window.skip_idle(horizon);
            }
            Timer::Query(i) => {
                let rows = self.queries[i].on_time(due, &self.tables);
                let route = self.queries[i].route();
                let rows = self.emit_routed(route, rows, None);
                self.queries[i].recycle_rows(rows);
                self.queries[i].skip_idle(horizon);
            }
            Timer::PartitionQuery(p, key, i) => {
                let instances = &mut self.partitions[p].instances;
                let Some(place) = instances.place(&key) else {
                    return;
                };
                let Some(q) = instances.at_mut(place).and_then(|qs| qs.get_mut(i)) else {
                    return;
                };
                let rows = q.on_time(due, &self.tables);
                let route = q.route();
                self.emit_routed(route, rows, Some((p, &key, place)));
                let instances = &mut self.partitions[p].instances;
                if let Some(q) = instances.at_mut(place).and_then(|qs| qs.get_mut(i)) {
                    q.skip_idle(horizon);
                }
                self.note_timers(p, place);
            }
            Timer::Purge(p) => {
                let instances = &mut self.partitions[p].instances;
                instances.on_time(due);
                instances.skip_idle(horizon);
            }
        }
    }

    fn callbacks_for(&mut self, name: &str, events: &[Event<Row>]) {
        if let Some(callbacks) = self.return_callbacks.get_mut(name) {
            for e in events {
                let out = Output {
                    stream: name,
                    timestamp: e.timestamp,
                    kind: e.kind,
                    values: &e.data,
                };
                for cb in callbacks.iter_mut() {
                    cb(&out);
                }
            }
        }
    }

    fn deliver(&mut self, id: usize, chunk: Chunk<Single>) {
        if chunk.is_empty() {
            return;
        }
        if self.depth >= MAX_DELIVERY_DEPTH {
            let message = dropped_in_cycle(&format!("stream '{}'", self.streams[id].name));
            self.errors.push(message);
            return;
        }
        if self.depth == 0 {
            self.cascade = 0;
        }
        self.cascade += chunk.len();
        if self.cascade > MAX_CASCADE_EVENTS {
            if self.cascade - chunk.len() <= MAX_CASCADE_EVENTS {
                self.errors.push(format!(
                    "events of stream '{}' were dropped: one input event caused more than {MAX_CASCADE_EVENTS} events (queries feeding each other)",
                    self.streams[id].name
                ));
            }
            return;
        }
        self.depth += 1;
        self.deliver_at_depth(id, chunk);
        self.depth -= 1;
    }

    fn deliver_at_depth(&mut self, id: usize, chunk: Chunk<Single>) {
        let StreamRt {
            name, callbacks, ..
        } = &mut self.streams[id];
        for e in &chunk {
            let out = Output {
                stream: name,
                timestamp: e.timestamp,
                kind: e.kind,
                values: &e.data.0,
            };
            for cb in callbacks.iter_mut() {
                cb(&out);
            }
        }
        let raised = self.errors.len();
        // The last consumer takes the chunk itself unless a fault stream may need its events.
        let keep = self.streams[id].fault_stream.is_some();
        let count = self.streams[id].consumers.len();
        let mut chunk = Some(chunk);
        for i in 0..count {
            let c = self.streams[id].consumers[i];
            let events = match (&mut chunk, i + 1 == count && !keep) {
                (Some(_), true) => chunk.take().unwrap_or_default(),
                (Some(events), false) => events.clone(),
                (None, _) => Vec::new(),
            };
            let emptied = self.consume(c, Source::Stream(id), events);
            self.recycle(emptied);
        }
        if self.errors.len() > raised {
            let errors: Vec<String> = self.errors.drain(raised..).collect();
            self.report(id, chunk.unwrap_or_default(), errors);
        } else if let Some(unread) = chunk {
            self.recycle(unread);
        }
    }

    /// Sends the events whose processing raised `errors` to the stream's fault stream, or
    /// logs them.
    fn report(&mut self, id: usize, events: Chunk<Single>, errors: Vec<String>) {
        let message = errors.join("; ");
        match self.streams[id].fault_stream {
            Some(fault) => {
                let chunk = events
                    .into_iter()
                    .map(|e| {
                        let mut values = e.data.0.to_vec();
                        values.push(Value::String(Arc::from(message.as_str())));
                        Event::current(e.timestamp, Single(Arc::from(values)))
                    })
                    .collect();
                self.deliver(fault, chunk);
            }
            None => eprintln!(
                "error: processing an event of stream '{}': {message}",
                self.streams[id].name
            ),
        }
    }

    /// Hands `chunk` to `consumer`; returns what is left of it, emptied or not, for
    /// [`App::recycle`].
    fn consume(
        &mut self,
        consumer: Consumer,
        source: Source,
        mut chunk: Chunk<Single>,
    ) -> Chunk<Single> {
        match consumer {
            Consumer::Query(q) => {
                let now = self.clock;
                let source = match source {
                    Source::Stream(s) => &*self.streams[s].name,
                    Source::Window(w) => self.windows[w].name.as_str(),
                };
                let rows = self.queries[q].process(now, source, false, &mut chunk, &self.tables);
                let route = self.queries[q].route();
                let rows = self.emit_routed(route, rows, None);
                self.queries[q].recycle_rows(rows);
                chunk
            }
            Consumer::Partition(p) => {
                let source: Arc<str> = match source {
                    Source::Stream(s) => self.streams[s].name.clone(),
                    Source::Window(w) => Arc::from(self.windows[w].name.as_str()),
                };
                self.partition_deliver(p, &source, chunk);
                Vec::new()
            }
            Consumer::Aggregation(a) => {
                if let Some(agg) = self.tables.aggregation_mut(&self.aggregations[a]) {
                    agg.add(&chunk);
                }
                chunk
            }
        }
    }

    /// Keeps a chunk's allocation for a later send or delivery, so that these allocate no
    /// chunk.
    fn recycle(&mut self, mut chunk: Chunk<Single>) {
        if self.spare_chunks.len() < SPARE_BUFFERS && chunk.capacity() > 0 {
            chunk.clear();
            self.spare_chunks.push(chunk);
        }
    }

    /// An empty chunk, reusing a recycled allocation when there is one.
    fn spare_chunk(&mut self) -> Chunk<Single> {
        self.spare_chunks.pop().unwrap_or_default()
    }

    /// A query's output rows, taken out of `rows`, as a chunk of current events.
    fn chunk_of(&mut self, rows: &mut Vec<Event<Row>>) -> Chunk<Single> {
        let mut chunk = self.spare_chunk();
        chunk.extend(
            rows.drain(..)
                .map(|e| Event::current(e.timestamp, Single(e.data))),
        );
        chunk
    }

    fn window_emit(&mut self, w: usize, out: Chunk<Single>) {
        let output = self.windows[w].output;
        let chunk: Chunk<Single> = out
            .into_iter()
            // A window publishes only the kinds its output asks for, never its resets (as
            // Siddhi's window publisher): readers see expired events, not resets.
            .filter(|e| match e.kind {
                EventKind::Current => output != EventType::Expired,
                EventKind::Expired => output != EventType::Current,
                EventKind::Reset => false,
            })
            .collect();
        if chunk.is_empty() {
            return;
        }
        for c in self.windows[w].consumers.clone() {
            let emptied = self.consume(c, Source::Window(w), chunk.clone());
            self.recycle(emptied);
        }
    }

    /// Sends a query's output rows on to its destination; returns the emptied buffer for the
    /// query to reuse (see [`QueryRt::recycle_rows`]).
    fn emit(
        &mut self,
        dest: &Destination,
        query: &str,
        mut rows: Vec<Event<Row>>,
        partition: Option<(usize, &Value, Place)>,
    ) -> Vec<Event<Row>> {
        if rows.is_empty() {
            return rows;
        }
        match dest {
            Destination::Stream(name) => {
                if let Some(id) = self.stream_ids.get(name).copied() {
                    return self.emit_to_stream(id, rows);
                }
            }
            Destination::Inner(name) => {
                if let Some((p, key, place)) = partition {
                    let chunk = self.chunk_of(&mut rows);
                    self.instance_deliver(p, key, place, name, true, chunk);
                }
            }
            Destination::Window(name) => {
                if self.depth >= MAX_DELIVERY_DEPTH {
                    let message = dropped_in_cycle(&format!("window '{name}'"));
                    self.errors.push(message);
                    return rows;
                }
                if let Some(w) = self.windows.iter().position(|w| w.name == *name) {
                    self.depth += 1;
                    let mut out = Vec::new();
                    let now = self.clock;
                    let chunk = self.chunk_of(&mut rows);
                    self.windows[w].window.process(now, chunk, &mut out);
                    self.window_emit(w, out);
                    self.depth -= 1;
                }
            }
            _ => self.emit_to_table(dest, query, std::mem::take(&mut rows)),
        }
        rows
    }

    /// Sends a query's output rows on by its route; returns the emptied buffer (as
    /// [`App::emit`]).
    fn emit_routed(
        &mut self,
        route: Route,
        rows: Vec<Event<Row>>,
        partition: Option<(usize, &Value, Place)>,
    ) -> Vec<Event<Row>> {
        match route {
            Route::Stream(id) => self.emit_to_stream(id, rows),
            Route::Other(dest, name) => self.emit(&dest, &name, rows, partition),
        }
    }

    /// Sends a query's output rows on to stream `id`; returns the emptied buffer (as
    /// [`App::emit`]).
    fn emit_to_stream(&mut self, id: usize, mut rows: Vec<Event<Row>>) -> Vec<Event<Row>> {
        if !rows.is_empty() {
            let chunk = self.chunk_of(&mut rows);
            self.deliver(id, chunk);
        }
        rows
    }

    /// The query `rt` with the stream its rows go to resolved (see
    /// [`QueryRt::target_stream`]).
    fn resolve_target(&self, mut rt: QueryRt) -> QueryRt {
        if let Destination::Stream(name) = &*rt.destination {
            rt.target_stream = self.stream_ids.get(name).copied();
        }
        rt
    }

    /// Applies a query's output rows to a table (insert, delete, update) or hands them to the
    /// `return` callbacks.
    fn emit_to_table(&mut self, dest: &Destination, query: &str, rows: Vec<Event<Row>>) {
        match dest {
            Destination::Stream(_) | Destination::Inner(_) | Destination::Window(_) => {}
            Destination::TableInsert(table) => {
                if let Some(t) = self.tables.get_mut(table) {
                    for e in rows {
                        if t.table.insert(e.data.clone()) == crate::table::Inserted::DuplicateKey {
                            let key: Vec<String> = t
                                .info
                                .primary_key
                                .iter()
                                .filter_map(|p| e.data.get(*p).map(Value::to_text))
                                .collect();
                            crate::compiled::report_duplicate_key(&format!(
                                "table '{table}' already has a row with primary key ({})",
                                key.join(", ")
                            ));
                        }
                    }
                }
                self.write_store(table);
            }
            Destination::TableDelete { table, on } => {
                for e in rows {
                    let Some(t) = self.tables.get(table) else {
                        return;
                    };
                    let c = output_ctx(&e.data, &self.tables);
                    let lookup = t.lookup(&on.equalities, &c);
                    let doomed: Vec<Row> = t
                        .table
                        .candidates(&lookup)
                        .into_iter()
                        .filter_map(|id| t.table.get(id).cloned())
                        .filter(|row| {
                            (on.predicate)(&Ctx {
                                table_row: Some(row),
                                ..output_ctx(&e.data, &self.tables)
                            })
                        })
                        .collect();
                    if let Some(t) = self.tables.get_mut(table) {
                        t.table
                            .delete(&lookup, |row| doomed.iter().any(|d| Arc::ptr_eq(d, row)));
                    }
                }
                self.write_store(table);
            }
            Destination::TableUpdate {
                table,
                set,
                on,
                upsert,
            } => {
                for e in rows {
                    let Some(t) = self.tables.get(table) else {
                        return;
                    };
                    let c = output_ctx(&e.data, &self.tables);
                    let lookup = t.lookup(&on.equalities, &c);
                    let changes: Vec<(Row, Row)> = t
                        .table
                        .candidates(&lookup)
                        .into_iter()
                        .filter_map(|id| t.table.get(id).cloned())
                        .filter_map(|row| {
                            let c = Ctx {
                                table_row: Some(&row),
                                ..output_ctx(&e.data, &self.tables)
                            };
                            if !(on.predicate)(&c) {
                                return None;
                            }
                            // Each assignment reads the row as the ones before left it.
                            let mut new = row.clone();
                            for (position, value) in set {
                                let ty = t.info.schema.attributes[*position].ty;
                                let v = value(&Ctx {
                                    table_row: Some(&new),
                                    ..output_ctx(&e.data, &self.tables)
                                });
                                let mut values = new.to_vec();
                                values[*position] =
                                    if ty.is_numeric() { v.to_numeric(ty) } else { v };
                                new = Arc::from(values);
                            }
                            Some((row.clone(), new))
                        })
                        .collect();
                    let matched = !changes.is_empty();
                    if let Some(t) = self.tables.get_mut(table) {
                        for (old, new) in changes {
                            t.table
                                .update(&lookup, |row| Arc::ptr_eq(row, &old), |_| new.clone());
                        }
                        if *upsert && !matched {
                            t.table.insert(e.data.clone());
                        }
                    }
                }
                self.write_store(table);
            }
            Destination::Return => self.callbacks_for(query, &rows),
        }
    }

    fn partition_keys(
        &self,
        p: usize,
        source: &str,
        row: &Row,
        timestamp: i64,
    ) -> Option<SmallVec<[Value; 1]>> {
        let part = &self.partitions[p];
        let key = part.keys.get(source)?;
        let inputs = [std::slice::from_ref(row)];
        let c = Ctx::single(&inputs, timestamp, &self.tables);
        Some(match key {
            // An event whose key is null belongs to no instance (Siddhi drops it).
            KeyRt::Value(e) => Some(e(&c))
                .filter(|k| !k.is_null())
                .map(|k| match part.text_keys {
                    true => Value::String(Arc::from(k.to_text())),
                    false => k,
                })
                .into_iter()
                .collect(),
            KeyRt::Range(ranges) => ranges
                .iter()
                .filter(|(pred, _)| pred(&c))
                .map(|(_, label)| Value::String(Arc::from(label.as_str())))
                .collect(),
        })
    }

    /// Delivers a chunk of `source` to partition `p`, as Siddhi's partition receiver does: an
    /// unkeyed stream's chunk goes whole to every instance that exists; a keyed stream's events
    /// go in runs, each run of consecutive events of one key as one chunk to that key's
    /// instance (created on its first event; an event of no key is dropped).
    fn partition_deliver(&mut self, p: usize, source: &str, mut chunk: Chunk<Single>) {
        if !self.partitions[p].keys.contains_key(source) {
            for key in self.partitions[p].instances.keys() {
                self.partition_run(p, key, source, chunk.clone());
            }
            return;
        }
        let mut run: Option<(Value, Chunk<Single>)> = None;
        for event in chunk.drain(..) {
            let keys = self
                .partition_keys(p, source, &event.data.0, event.timestamp)
                .unwrap_or_default();
            // An event in two ranges of one label goes through that instance twice, apart.
            let last = keys.len().saturating_sub(1);
            let mut event = Some(event);
            for (j, key) in keys.into_iter().enumerate() {
                // The event itself goes to its last key; earlier ones get copies.
                let ev = if j == last {
                    event.take()
                } else {
                    event.clone()
                };
                let Some(ev) = ev else {
                    break;
                };
                match &mut run {
                    Some((k, events)) if *k == key && j == 0 => events.push(ev),
                    _ => {
                        if let Some((k, events)) = run.take() {
                            self.partition_run(p, k, source, events);
                        }
                        let mut events = self.spare_chunk();
                        events.push(ev);
                        run = Some((key, events));
                    }
                }
            }
        }
        self.recycle(chunk);
        if let Some((k, events)) = run {
            self.partition_run(p, k, source, events);
        }
    }

    /// Runs a chunk of `source` through the instance of partition `p` for `key` (created if
    /// missing), then drops the instance if it holds nothing and nothing needs it kept.
    fn partition_run(&mut self, p: usize, key: Value, source: &str, events: Chunk<Single>) {
        let now = events.first().map_or(self.clock, |e| e.timestamp);
        let part = &mut self.partitions[p];
        let templates = &part.templates;
        let created = part.instances.enter(&key, now, || {
            templates
                .iter()
                .map(QueryRt::fresh)
                .collect::<Result<Vec<_>, _>>()
        });
        let Ok((place, _)) = created else {
            return;
        };
        self.instance_deliver(p, &key, place, source, false, events);
        let part = &mut self.partitions[p];
        part.instances.settle(
            place,
            !part.reads_unkeyed,
            |queries| queries.iter().all(QueryRt::is_empty),
            |queries| queries.iter().any(|q| q.next_due().is_some()),
        );
    }

    /// Records whether partition `p`'s instance at `place` has pending timers.
    fn note_timers(&mut self, p: usize, place: Place) {
        let part = &mut self.partitions[p];
        let timed = part
            .instances
            .at_mut(place)
            .is_some_and(|queries| queries.iter().any(|q| q.next_due().is_some()));
        part.instances.set_timed_at(place, timed);
    }

    /// Delivers `chunk` of `source` to the queries of partition `p`'s instance for `key`, held
    /// at `place`.
    fn instance_deliver(
        &mut self,
        p: usize,
        key: &Value,
        place: Place,
        source: &str,
        inner: bool,
        chunk: Chunk<Single>,
    ) {
        if self.depth >= MAX_DELIVERY_DEPTH {
            self.errors
                .push(dropped_in_cycle(&format!("inner stream '#{source}'")));
            return;
        }
        self.depth += 1;
        self.instance_deliver_at_depth(p, key, place, source, inner, chunk);
        self.depth -= 1;
    }

    fn instance_deliver_at_depth(
        &mut self,
        p: usize,
        key: &Value,
        place: Place,
        source: &str,
        inner: bool,
        mut chunk: Chunk<Single>,
    ) {
        let now = self.clock;
        let instances = &mut self.partitions[p].instances;
        instances.touch_at(place, now);
        let count = instances.at_mut(place).map_or(0, |qs| qs.len());
        for i in 0..count {
            let Some(q) = self.partitions[p]
                .instances
                .at_mut(place)
                .and_then(|qs| qs.get_mut(i))
            else {
                return;
            };
            if !q.reads(source, inner) {
                continue;
            }
            // The last query takes the chunk itself.
            let mut events = if i + 1 == count {
                std::mem::take(&mut chunk)
            } else {
                chunk.clone()
            };
            // Instances share the app's row buffers: one is lent to the query for its output
            // and comes back once the rows are sent on.
            if q.lacks_rows_buffer()
                && let Some(buffer) = self.spare_rows.pop()
            {
                q.recycle_rows(buffer);
            }
            let rows = q.process(now, source, inner, &mut events, &self.tables);
            let route = q.route();
            self.recycle(events);
            let rows = self.emit_routed(route, rows, Some((p, key, place)));
            if self.spare_rows.len() < SPARE_BUFFERS && rows.capacity() > 0 {
                self.spare_rows.push(rows);
            }
        }
    }

    /// The whole app state as bytes: restore it into the same app (a fresh one, or this one
    /// later) to go on exactly where it was.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        let state = AppState {
            app: self.plan.fingerprint(),
            clock: self.clock,
            queries: self
                .queries
                .iter()
                .map(|q| q.snapshot())
                .collect::<Result<_, _>>()?,
            windows: self
                .windows
                .iter()
                .map(|w| w.window.snapshot())
                .collect::<Result<_, _>>()?,
            triggers: self.triggers.iter().map(|t| t.next).collect(),
            tables: self
                .tables
                .iter()
                .map(|(name, t)| t.table.snapshot().map(|b| (name.clone(), b)))
                .collect::<Result<_, _>>()?,
            aggregations: self
                .tables
                .aggregations()
                .map(|(name, a)| a.snapshot().map(|b| (name.clone(), b)))
                .collect::<Result<_, _>>()?,
            partitions: self
                .partitions
                .iter()
                .map(|p| {
                    p.instances
                        .iter()
                        .map(|(key, slot)| {
                            slot.instance
                                .iter()
                                .map(|q| q.snapshot())
                                .collect::<Result<Vec<_>, _>>()
                                .map(|qs| (key.clone(), slot.last_seen, qs))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<_, _>>()?,
        };
        state::encode(&state)
    }

    /// Restores a snapshot taken by this app (the same app text).
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: AppState = state::decode(bytes)?;
        if s.app != self.plan.fingerprint()
            || s.queries.len() != self.queries.len()
            || s.windows.len() != self.windows.len()
            || s.triggers.len() != self.triggers.len()
            || s.partitions.len() != self.partitions.len()
        {
            return Err(StateError::Mismatch(
                "the snapshot was taken by a different app".into(),
            ));
        }
        for (q, bytes) in self.queries.iter_mut().zip(&s.queries) {
            q.restore(bytes)?;
        }
        for (w, bytes) in self.windows.iter_mut().zip(&s.windows) {
            w.window.restore(bytes)?;
        }
        for (t, next) in self.triggers.iter_mut().zip(s.triggers) {
            t.next = next;
        }
        for (name, bytes) in &s.tables {
            let t = self
                .tables
                .get_mut(name)
                .ok_or_else(|| StateError::Mismatch(format!("no table '{name}'")))?;
            t.table.restore(bytes)?;
            // The store gets the snapshot's rows; if it fails they wait for the next write.
            if let Err(e) = t.write_store() {
                eprintln!("error: restoring a snapshot: {e}");
            }
        }
        for (name, bytes) in &s.aggregations {
            let a = self
                .tables
                .aggregation_mut(name)
                .ok_or_else(|| StateError::Mismatch(format!("no aggregation '{name}'")))?;
            a.restore(bytes)?;
        }
        for (part, instances) in self.partitions.iter_mut().zip(s.partitions) {
            let mut slots = Vec::new();
            for (key, last_seen, states) in instances {
                let mut queries = part
                    .templates
                    .iter()
                    .map(|q| q.fresh())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| StateError::Mismatch(e.to_string()))?;
                for (q, bytes) in queries.iter_mut().zip(&states) {
                    q.restore(bytes)?;
                }
                slots.push((
                    key,
                    Slot {
                        instance: queries,
                        last_seen,
                    },
                ));
            }
            part.instances.replace(slots);
        }
        self.clock = s.clock;
        Ok(())
    }

    /// Writes every stored table's changes that a failing store has not taken yet; returns
    /// the first error (the changes of a store that fails again keep waiting).
    pub fn flush_stores(&mut self) -> Result<(), StoreError> {
        let mut first = None;
        for (_, t) in self.tables.iter_mut() {
            if let Err(e) = t.write_store() {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Writes table `name`'s changes to its store, if it has one; a failure is reported with
    /// the event being processed, and the changes wait for the next write.
    fn write_store(&mut self, name: &str) {
        if let Some(t) = self.tables.get_mut(name)
            && let Err(e) = t.write_store()
        {
            self.errors.push(e.to_string());
        }
    }

    /// Stops the app: no more events are accepted after this; timers are dropped.
    pub fn shutdown(self) {}
}

fn output_ctx<'a>(row: &'a Row, tables: &'a TableSet) -> Ctx<'a> {
    Ctx {
        inputs: &[],
        output: Some(row),
        table_row: None,
        aggregates: &[],
        timestamp: 0,
        tables,
        candidate: None,
        input_timestamps: &[],
    }
}
