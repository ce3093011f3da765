//! The typed logical plan: the one contract between the front-end and both back-ends.
//!
//! A [`Plan`] is what a checked app means, with every name resolved and every expression typed:
//!
//! - **Definitions**: [`StreamInfo`] (declared, inferred from a query's output, partition inner
//!   streams and fault streams), [`TableInfo`], [`NamedWindowInfo`], [`TriggerInfo`],
//!   [`AggregationInfo`], [`ScriptFunctionInfo`]. Each has a [`Schema`].
//! - **Queries** ([`QueryPlan`]), in the order written (queries inside a partition carry its
//!   index): an input ([`InputPlan`]: one source with handlers, a join, or a pattern/sequence
//!   state machine), a [`SelectPlan`] (projections, aggregate calls, group by, having, order by,
//!   limit, offset), an optional rate limiter ([`RatePlan`]) and an output ([`OutputPlan`]).
//! - **Expressions** ([`TypedExpr`]): every node carries its result [`Type`]; numeric operands
//!   carry the promoted type the operation runs in (SiddhiQL's Java rules); attributes are
//!   resolved to positions ([`AttrRef`]); functions to [`crate::catalog`] entries; aggregate calls
//!   are hoisted into [`SelectPlan::aggregates`] and referenced by index.
//! - **Windows, aggregators and functions** are named by the catalog enums with validated
//!   arguments: time arguments are milliseconds, counts are integers.
//!
//! Back-ends never look at the AST: what they need is here.

pub use crate::ast::{
    AttrType as Type, BinaryOp, EventIndex, EventType, JoinKind, LogicalOp, RateMode, SortOrder,
    StateKind, TimeUnit, UnaryOp,
};
use crate::catalog::{AggregatorKind, ScalarFunction, WindowKind};
use crate::span::Span;

/// A named, typed attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// Its type.
    pub ty: Type,
}

/// The attributes of a stream, table, window or query output, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// The attributes.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// A schema of `(name, type)` pairs.
    pub fn new(attributes: impl IntoIterator<Item = (String, Type)>) -> Self {
        Schema {
            attributes: attributes
                .into_iter()
                .map(|(name, ty)| Attribute { name, ty })
                .collect(),
        }
    }

    /// The position of attribute `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.attributes.iter().position(|a| a.name == name)
    }

    /// The attribute names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(|a| a.name.as_str())
    }
}

impl std::fmt::Display for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(")?;
        for (i, a) in self.attributes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", a.name, a.ty)?;
        }
        f.write_str(")")
    }
}

/// A constant value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// An int.
    Int(i32),
    /// A long.
    Long(i64),
    /// A float.
    Float(f32),
    /// A double.
    Double(f64),
    /// A string.
    String(String),
    /// A bool.
    Bool(bool),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}L"),
            Value::Float(v) => write!(f, "{v:?}f"),
            Value::Double(v) => write!(f, "{v:?}"),
            Value::String(s) => write!(f, "'{s}'"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The whole checked app.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// App-level settings from `@app:...` annotations.
    pub config: AppConfig,
    /// Every stream: declared, inferred from query outputs, inner and fault streams.
    pub streams: Vec<StreamInfo>,
    /// Tables.
    pub tables: Vec<TableInfo>,
    /// Named windows.
    pub windows: Vec<NamedWindowInfo>,
    /// Triggers.
    pub triggers: Vec<TriggerInfo>,
    /// Incremental aggregations.
    pub aggregations: Vec<AggregationInfo>,
    /// Script functions.
    pub functions: Vec<ScriptFunctionInfo>,
    /// Partitions (their queries are in `queries` with `partition` set).
    pub partitions: Vec<PartitionPlan>,
    /// Every query in the order written.
    pub queries: Vec<QueryPlan>,
    /// Whether some expression calls `currentTimeMillis()`: in playback the app then tells the
    /// function its clock while it processes events (the runtime's `clock::PlaybackTime`).
    pub reads_app_clock: bool,
}

impl Plan {
    /// A stable digest of the plan (FNV-1a over its debug form): snapshots carry it so that one
    /// is never restored into a different app, interpreted or compiled.
    pub fn fingerprint(&self) -> u64 {
        format!("{self:?}")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            })
    }

    /// The stream called `name` (inner streams are found by their name without `#`).
    pub fn stream(&self, name: &str) -> Option<&StreamInfo> {
        self.streams.iter().find(|s| s.name == name)
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// App-level settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppConfig {
    /// `@app:name('...')`, or `EventFluxApp`.
    pub name: String,
    /// `@app:playback`: the clock follows event timestamps.
    pub playback: Option<PlaybackConfig>,
    /// `@app:statistics(...)`.
    pub statistics: Option<AnnotationConfig>,
    /// `@app:async('true')` or `@app(async='true')`: every stream asynchronous by default.
    pub async_default: bool,
    /// Other `@app:...` annotations, kept for extensions.
    pub other: Vec<AnnotationConfig>,
}

/// `@app:playback(idle.time = '...', increment = '...')`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaybackConfig {
    /// After this long without events the clock advances by `increment` (ms).
    pub idle_time_ms: Option<i64>,
    /// How far the clock moves when idle (ms).
    pub increment_ms: Option<i64>,
}

/// An annotation kept as configuration: its keyed and positional values, nested annotations.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnotationConfig {
    /// `ns:name` or `name`.
    pub name: String,
    /// `(key, value)`; positional values have no key. Values are text as written.
    pub options: Vec<(Option<String>, String)>,
    /// Nested annotations (`@map` inside `@source`).
    pub nested: Vec<AnnotationConfig>,
}

impl AnnotationConfig {
    /// The value for `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v.as_str())
    }
}

/// What kind of stream a [`StreamInfo`] is.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamKind {
    /// `define stream`.
    Defined,
    /// Defined by the output of the first query that inserts into it.
    Inferred,
    /// A partition inner stream (`#Name`), local to partition `partition`.
    Inner {
        /// The partition index.
        partition: usize,
    },
    /// The fault stream `!of` of a stream with `@OnError(action='STREAM')`.
    Fault {
        /// The stream whose errors it carries.
        of: String,
    },
}

/// What happens to an event whose processing fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnErrorAction {
    /// Log and drop (the default).
    #[default]
    Log,
    /// Send it to the fault stream `!S` with an `_error` attribute.
    Stream,
}

/// `@Async(buffer.size = ..., workers = ..., batch.size.max = ...)` or `@config(async = 'true')`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AsyncConfig {
    /// Queue capacity in events.
    pub buffer_size: Option<usize>,
    /// Worker threads.
    pub workers: Option<usize>,
    /// Largest batch handed to the pipeline at once.
    pub batch_size_max: Option<usize>,
}

/// A stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamInfo {
    /// The stream id (inner streams without `#`, fault streams with `!`).
    pub name: String,
    /// Its attributes.
    pub schema: Schema,
    /// How it came to be.
    pub kind: StreamKind,
    /// Asynchronous delivery settings.
    pub async_config: Option<AsyncConfig>,
    /// Error handling.
    pub on_error: OnErrorAction,
    /// `@source(...)` annotations.
    pub sources: Vec<AnnotationConfig>,
    /// `@sink(...)` annotations.
    pub sinks: Vec<AnnotationConfig>,
    /// Where it was defined (or first inserted into).
    pub span: Span,
}

/// A table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableInfo {
    /// The table id.
    pub name: String,
    /// Its attributes.
    pub schema: Schema,
    /// `@PrimaryKey` attribute positions.
    pub primary_key: Vec<usize>,
    /// `@Index` attribute positions.
    pub indexes: Vec<usize>,
    /// `@store(...)`, for an external store.
    pub store: Option<AnnotationConfig>,
    /// Where it was defined.
    pub span: Span,
}

/// A named window (`define window`).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedWindowInfo {
    /// The window id.
    pub name: String,
    /// Its attributes.
    pub schema: Schema,
    /// The window kind with its arguments.
    pub window: WindowPlan,
    /// Which events its readers see (`output ... events`, default all).
    pub output: EventType,
    /// Where it was defined.
    pub span: Span,
}

/// When a trigger fires.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerSchedule {
    /// Once, at start.
    Start,
    /// Every period (ms).
    Every(i64),
    /// On a cron expression.
    Cron(String),
}

/// A trigger: a stream with one attribute `triggered_time long`.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerInfo {
    /// The trigger id.
    pub name: String,
    /// When it fires.
    pub schedule: TriggerSchedule,
    /// Where it was defined.
    pub span: Span,
}

/// An incremental aggregation.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregationInfo {
    /// The aggregation id.
    pub name: String,
    /// The input stream.
    pub input: SourcePlan,
    /// Group-by attribute positions in the input.
    pub group_by: Vec<usize>,
    /// The select clause (its aggregates are the ones kept per bucket).
    pub select: SelectPlan,
    /// The input attribute that holds event time, or `None` for the event timestamp.
    pub timestamp: Option<usize>,
    /// The granularities kept, smallest first.
    pub durations: Vec<TimeUnit>,
    /// What a join reads: `AGG_TIMESTAMP long` then the select outputs.
    pub schema: Schema,
    /// How old buckets are dropped (`None`: `@purge(enable='false')`).
    pub purge: Option<PurgePlan>,
    /// Where it was defined.
    pub span: Span,
}

/// How an aggregation drops old buckets, as Siddhi's `IncrementalDataPurger` (on unless
/// `@purge(enable='false')`): every `interval_ms` of wall-clock time, the buckets of each
/// granularity that start more than its retention before the wall clock.
#[derive(Clone, Debug, PartialEq)]
pub struct PurgePlan {
    /// How often a purge runs, in wall-clock ms (15 minutes unless `interval` says).
    pub interval_ms: i64,
    /// Each kept granularity's retention in ms (`None`: all kept).
    pub retention: Vec<(TimeUnit, Option<i64>)>,
}

/// A script function (`define function f[lang] return type { ... }`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptFunctionInfo {
    /// The function name.
    pub name: String,
    /// The script language.
    pub language: String,
    /// The return type.
    pub return_type: Type,
    /// The script text.
    pub body: String,
}

/// A partition.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionPlan {
    /// One key per partitioned stream.
    pub keys: Vec<PartitionKeyPlan>,
    /// `@purge`: how idle partition keys are dropped.
    pub purge: Option<PurgeConfig>,
}

/// How one stream is partitioned.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionKeyPlan {
    /// The stream.
    pub stream: String,
    /// Value or ranges.
    pub kind: PartitionKeyKind,
}

/// A value key or a list of labelled ranges.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionKeyKind {
    /// One partition per value of the expression.
    Value(TypedExpr),
    /// One partition per label whose condition holds, in order.
    Range(Vec<(TypedExpr, String)>),
}

/// `@purge(enable = 'true', interval = '...', idle.period = '...')`.
#[derive(Clone, Debug, PartialEq)]
pub struct PurgeConfig {
    /// How often to look for idle keys (ms).
    pub interval_ms: i64,
    /// How long a key may stay idle before its state is dropped (ms).
    pub idle_period_ms: i64,
}

/// One query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPlan {
    /// `@info(name = ...)`, or `query_N` (N from 1, in order).
    pub name: String,
    /// The partition this query is in.
    pub partition: Option<usize>,
    /// What it reads.
    pub input: InputPlan,
    /// What it computes.
    pub select: SelectPlan,
    /// Its rate limiter.
    pub rate: Option<RatePlan>,
    /// Where its rows go.
    pub output: OutputPlan,
    /// The schema of its rows.
    pub output_schema: Schema,
    /// Where it was written.
    pub span: Span,
}

/// What kind of thing a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A stream.
    Stream,
    /// A partition inner stream.
    InnerStream,
    /// A fault stream.
    FaultStream,
    /// A table.
    Table,
    /// A named window.
    Window,
    /// A trigger.
    Trigger,
    /// An incremental aggregation.
    Aggregation,
}

/// One source with its handlers.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcePlan {
    /// What kind of thing it reads.
    pub kind: SourceKind,
    /// Its id.
    pub name: String,
    /// Filters, stream functions and the window, in order.
    pub handlers: Vec<HandlerPlan>,
    /// The schema of its events.
    pub schema: Schema,
}

impl SourcePlan {
    /// The window handler, if any.
    pub fn window(&self) -> Option<&WindowPlan> {
        self.handlers.iter().find_map(|h| match h {
            HandlerPlan::Window(w) => Some(w),
            _ => None,
        })
    }
}

/// A handler on a source.
#[derive(Clone, Debug, PartialEq)]
pub enum HandlerPlan {
    /// Keep events for which the condition is true.
    Filter(TypedExpr),
    /// A window.
    Window(WindowPlan),
    /// A stream function (`#log(...)`).
    Function(StreamFunctionPlan),
}

/// A window with validated arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowPlan {
    /// Which window.
    pub kind: WindowKind,
    /// The arguments, in the order of the matched signature.
    pub args: Vec<WindowArg>,
}

impl WindowPlan {
    /// Argument `i` as a count (0 when it is not one).
    pub fn count(&self, i: usize) -> usize {
        match self.args.get(i) {
            Some(WindowArg::Value(Value::Int(n))) => (*n).max(0) as usize,
            Some(WindowArg::Value(Value::Long(n))) => (*n).max(0) as usize,
            _ => 0,
        }
    }

    /// Argument `i` as a duration in ms.
    pub fn duration(&self, i: usize) -> Option<i64> {
        match self.args.get(i) {
            Some(WindowArg::Duration(ms)) => Some(*ms),
            _ => None,
        }
    }

    /// Argument `i` as a bool.
    pub fn flag(&self, i: usize) -> Option<bool> {
        match self.args.get(i) {
            Some(WindowArg::Value(Value::Bool(b))) => Some(*b),
            _ => None,
        }
    }

    /// Argument `i` as a double.
    pub fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i) {
            Some(WindowArg::Value(Value::Double(v))) => Some(*v),
            _ => None,
        }
    }

    /// Argument `i` as a point in time (ms).
    pub fn timestamp(&self, i: usize) -> Option<i64> {
        match self.args.get(i) {
            Some(WindowArg::Value(Value::Long(t))) => Some(*t),
            Some(WindowArg::Value(Value::Int(t))) => Some(*t as i64),
            _ => None,
        }
    }

    /// Argument `i` as an attribute position.
    pub fn attribute(&self, i: usize) -> Option<usize> {
        match self.args.get(i) {
            Some(WindowArg::Attribute { position, .. }) => Some(*position),
            _ => None,
        }
    }

    /// The attribute positions among the arguments from `from` on.
    pub fn attributes(&self, from: usize) -> Vec<usize> {
        self.args
            .iter()
            .skip(from)
            .filter_map(|a| match a {
                WindowArg::Attribute { position, .. } => Some(*position),
                _ => None,
            })
            .collect()
    }

    /// `timeBatch`: the start time and whether current events stream out as they arrive.
    pub fn time_batch_start(&self) -> (Option<i64>, bool) {
        match self.args.get(1) {
            Some(WindowArg::Value(Value::Bool(b))) => (None, *b),
            _ => (self.timestamp(1), self.flag(2).unwrap_or(false)),
        }
    }

    /// `sort`: the length, then the sort attributes with whether each is descending.
    pub fn sort_keys(&self) -> (usize, Vec<(usize, bool)>) {
        let mut keys: Vec<(usize, bool)> = Vec::new();
        for arg in self.args.iter().skip(1) {
            match arg {
                WindowArg::Attribute { position, .. } => keys.push((*position, false)),
                WindowArg::Value(Value::String(order)) => {
                    if let Some(last) = keys.last_mut() {
                        last.1 = order.eq_ignore_ascii_case("desc");
                    }
                }
                _ => {}
            }
        }
        (self.count(0), keys)
    }
}

/// One validated window argument.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowArg {
    /// A constant (counts, flags, strings, start times).
    Value(Value),
    /// A duration in milliseconds.
    Duration(i64),
    /// An attribute of the window's input.
    Attribute {
        /// Its position.
        position: usize,
        /// Its type.
        ty: Type,
    },
    /// The condition of an `expression` or `expressionBatch` window.
    Condition {
        /// The text as written.
        text: String,
        /// The typed condition; its aggregates run over the window's contents.
        expr: TypedExpr,
        /// The aggregate calls the condition uses.
        aggregates: Vec<AggregateCall>,
    },
}

/// A built-in stream function.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamFunctionPlan {
    /// `#log([priority,] [message,] [is.event.logged])`: logs each event and passes it on.
    Log {
        /// The arguments.
        args: Vec<TypedExpr>,
    },
    /// `#pol2Cart(theta, rho [, z])`: adds the cartesian `x` and `y` of polar coordinates (theta
    /// in degrees), and `z` passed through when given, as new attributes of each event.
    Pol2Cart {
        /// The angle, in degrees.
        theta: TypedExpr,
        /// The radius.
        rho: TypedExpr,
        /// The height, copied to `z`.
        z: Option<TypedExpr>,
    },
}

/// One side of a join.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinSidePlan {
    /// The source.
    pub source: SourcePlan,
    /// The name its attributes are qualified with (the alias, or the source id).
    pub reference: String,
    /// Whether only this side's arrivals trigger the join.
    pub unidirectional: bool,
}

/// A join of two sources. Attributes refer to input 0 (left) and 1 (right).
#[derive(Clone, Debug, PartialEq)]
pub struct JoinPlan {
    /// The join kind.
    pub kind: JoinKind,
    /// The left side (input 0).
    pub left: JoinSidePlan,
    /// The right side (input 1).
    pub right: JoinSidePlan,
    /// The join condition.
    pub on: Option<TypedExpr>,
    /// Aggregation retrieval: `within start[, end]`.
    pub within: Option<(TypedExpr, Option<TypedExpr>)>,
    /// Aggregation retrieval: `per granularity`.
    pub per: Option<TypedExpr>,
}

/// One event slot of a pattern or sequence: an element's alias and stream.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSlot {
    /// `e1` in `e1=S`, if written.
    pub alias: Option<String>,
    /// The stream.
    pub stream: String,
    /// Whether it is an inner stream of the query's partition (`#stream`).
    pub inner: bool,
    /// Its schema.
    pub schema: Schema,
    /// Whether the slot holds several events (counting, `+`, `*`).
    pub collection: bool,
}

/// A pattern or sequence. Attributes refer to event slots by index.
#[derive(Clone, Debug, PartialEq)]
pub struct StatePlan {
    /// Pattern (`->`) or sequence (`,`).
    pub kind: StateKind,
    /// The state machine tree.
    pub root: StateNode,
    /// `within`, in milliseconds.
    pub within_ms: Option<i64>,
    /// The event slots, in the order their elements are written.
    pub slots: Vec<EventSlot>,
}

/// A node of a pattern or sequence.
#[derive(Clone, Debug, PartialEq)]
pub enum StateNode {
    /// An event (or `min..=max` events) of the slot's stream passing the filters.
    Stream {
        /// The event slot.
        slot: usize,
        /// The filters, all of which must hold.
        filters: Vec<TypedExpr>,
        /// Fewest events (1 for a plain element).
        min: u32,
        /// Most events (`None` = unbounded).
        max: Option<u32>,
    },
    /// No matching event of the slot's stream (for `waiting` ms, when given).
    Absent {
        /// The event slot.
        slot: usize,
        /// The filters of the event that must not come.
        filters: Vec<TypedExpr>,
        /// `for T`, in ms.
        waiting_ms: Option<i64>,
    },
    /// `every`: restart the inner node whenever it starts matching.
    Every(Box<StateNode>),
    /// The left node, then the right one.
    Next(Box<StateNode>, Box<StateNode>),
    /// Both (`and`) or either (`or`).
    Logical(LogicalOp, Box<StateNode>, Box<StateNode>),
}

/// What a query reads.
#[derive(Clone, Debug, PartialEq)]
pub enum InputPlan {
    /// One source (input 0).
    Single(SourcePlan),
    /// A join.
    Join(Box<JoinPlan>),
    /// A pattern or sequence.
    State(StatePlan),
}

/// An aggregate call hoisted out of the select, having or a window condition.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    /// Which aggregator.
    pub kind: AggregatorKind,
    /// Its arguments (evaluated per input event).
    pub args: Vec<TypedExpr>,
    /// Its result type.
    pub ty: Type,
}

/// The select clause and its companions.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectPlan {
    /// Output attributes: name and expression (over the input; aggregates by index).
    pub items: Vec<(String, TypedExpr)>,
    /// The aggregate calls the items and `having` use.
    pub aggregates: Vec<AggregateCall>,
    /// Group-by keys (expressions over the input).
    pub group_by: Vec<TypedExpr>,
    /// `having` (over the output row).
    pub having: Option<TypedExpr>,
    /// `order by`: output positions and directions.
    pub order_by: Vec<(usize, SortOrder)>,
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
}

/// A rate limiter.
#[derive(Clone, Debug, PartialEq)]
pub enum RatePlan {
    /// Every N rows.
    Events {
        /// Which rows pass.
        mode: RateMode,
        /// N.
        count: u64,
    },
    /// Every period.
    Time {
        /// Which rows pass.
        mode: RateMode,
        /// The period in ms.
        period_ms: i64,
    },
    /// Every period, the current state of the window (or last rows).
    Snapshot {
        /// The period in ms.
        period_ms: i64,
    },
}

/// Where `insert into` sends rows.
#[derive(Clone, Debug, PartialEq)]
pub enum InsertTarget {
    /// A stream.
    Stream(String),
    /// A partition inner stream.
    InnerStream(String),
    /// A table.
    Table(String),
    /// A named window.
    Window(String),
}

/// Where a query's rows go.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputPlan {
    /// `insert into`.
    Insert {
        /// The target.
        target: InsertTarget,
        /// Which events.
        events: EventType,
    },
    /// `delete T on cond`. In `on`, `AttrRef::Table` is the table row, `AttrRef::Output` the
    /// query's row.
    Delete {
        /// The table.
        table: String,
        /// Which events.
        events: EventType,
        /// Which rows.
        on: TypedExpr,
    },
    /// `update T set ... on cond`.
    Update {
        /// The table.
        table: String,
        /// Which events.
        events: EventType,
        /// Table attribute positions and their new values (over the output row and the table
        /// row), in attribute order: each is applied in place, so later values read the
        /// attributes earlier ones set.
        set: Vec<(usize, TypedExpr)>,
        /// Which rows.
        on: TypedExpr,
    },
    /// `update or insert into T set ... on cond`.
    UpdateOrInsert {
        /// The table.
        table: String,
        /// Which events.
        events: EventType,
        /// Table attribute positions and their new values (over the output row and the table
        /// row), in attribute order: each is applied in place, so later values read the
        /// attributes earlier ones set.
        set: Vec<(usize, TypedExpr)>,
        /// Which rows.
        on: TypedExpr,
    },
    /// `return` (rows go to the caller of a query callback).
    Return {
        /// Which events.
        events: EventType,
    },
}

impl OutputPlan {
    /// Which events the query outputs (current, expired or all).
    pub fn events(&self) -> EventType {
        match self {
            OutputPlan::Insert { events, .. }
            | OutputPlan::Delete { events, .. }
            | OutputPlan::Update { events, .. }
            | OutputPlan::UpdateOrInsert { events, .. }
            | OutputPlan::Return { events } => *events,
        }
    }
}

/// What an attribute reference points at.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrRef {
    /// An attribute of an input event: input 0 for a single source, 0/1 for a join's sides,
    /// the slot for a pattern.
    Input {
        /// The input or slot.
        input: usize,
        /// For pattern collections: which event.
        index: Option<EventIndex>,
        /// The attribute position.
        position: usize,
    },
    /// An attribute of the query's output row (having, order by, update and delete).
    Output {
        /// The attribute position.
        position: usize,
    },
    /// An attribute of the table row being matched (`in`, `delete`, `update`).
    Table {
        /// The attribute position.
        position: usize,
    },
}

/// A function an [`ExprNode::Call`] invokes.
#[derive(Clone, Debug, PartialEq)]
pub enum Function {
    /// A built-in of the catalog.
    Builtin(ScalarFunction),
    /// A script function defined in the app.
    Script(String),
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedExpr {
    /// What it computes.
    pub kind: ExprNode,
    /// Its result type (`object` for a bare `null`).
    pub ty: Type,
}

/// The kinds of typed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprNode {
    /// A constant (time values are long milliseconds).
    Const(Value),
    /// An attribute.
    Attr(AttrRef),
    /// `-x`, computed in `ty`.
    Neg(Box<TypedExpr>),
    /// `+ - * / %`, computed in `operand` (the promoted type).
    Arith {
        /// The operator.
        op: BinaryOp,
        /// The type both operands are widened to.
        operand: Type,
        /// Left operand.
        lhs: Box<TypedExpr>,
        /// Right operand.
        rhs: Box<TypedExpr>,
    },
    /// `< <= > >= == !=`, compared in `operand`.
    Compare {
        /// The operator.
        op: BinaryOp,
        /// The type both operands are widened to (`object` when one side is `null`).
        operand: Type,
        /// Left operand.
        lhs: Box<TypedExpr>,
        /// Right operand.
        rhs: Box<TypedExpr>,
    },
    /// `and`.
    And(Box<TypedExpr>, Box<TypedExpr>),
    /// `or`.
    Or(Box<TypedExpr>, Box<TypedExpr>),
    /// `not`.
    Not(Box<TypedExpr>),
    /// `x is null`.
    IsNull(Box<TypedExpr>),
    /// `e1 is null` / `e1[n] is null` in a pattern: whether slot `slot` (or that event of
    /// it) holds no event.
    EventIsNull {
        /// The slot.
        slot: usize,
        /// Which event of a collection (`e1[n] is null`); `None` for the slot as a whole.
        index: Option<EventIndex>,
    },
    /// `eventTimestamp(first)` in an expression window's condition: the timestamp of input
    /// `n`'s event.
    InputTimestamp(usize),
    /// `cond in T`: whether some row of table `table` satisfies the condition (in which
    /// `AttrRef::Table` is the row).
    InTable {
        /// The table.
        table: String,
        /// The condition.
        condition: Box<TypedExpr>,
    },
    /// A function call.
    Call {
        /// The function.
        function: Function,
        /// Its arguments.
        args: Vec<TypedExpr>,
    },
    /// The value of aggregate call `n` of the enclosing select (or window condition).
    Aggregate(usize),
}

/// Which rows `output snapshot` emits, by the query's shape (as Siddhi picks its snapshot
/// limiter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotKind {
    /// No window: the last current row (of each group).
    Last,
    /// A window and no aggregate output: the rows in the window.
    Window,
    /// A window and only aggregate outputs: the last row, until an expiry takes it away; with
    /// group by, each group's last row (current or expired) while the group holds events.
    AllAggregates,
    /// A window and some aggregate outputs: each row in the window (with group by, the oldest
    /// of each group) with the latest aggregate values (of its group).
    SomeAggregates,
}

impl SnapshotKind {
    /// The kind for a query with (`windowed`) or without a window whose outputs are directly
    /// an aggregate where `aggregate_outputs` says so.
    pub fn of(windowed: bool, aggregate_outputs: &[bool]) -> Self {
        let aggregates = aggregate_outputs.iter().filter(|a| **a).count();
        if !windowed {
            SnapshotKind::Last
        } else if aggregates == 0 {
            SnapshotKind::Window
        } else if aggregates == aggregate_outputs.len() {
            SnapshotKind::AllAggregates
        } else {
            SnapshotKind::SomeAggregates
        }
    }
}

impl SelectPlan {
    /// For each output, whether it is an aggregate itself (`sum(x)`, not `sum(x) + 1`): what
    /// `output snapshot` treats as the aggregate outputs.
    pub fn aggregate_outputs(&self) -> Vec<bool> {
        self.items
            .iter()
            .map(|(_, e)| matches!(e.kind, ExprNode::Aggregate(_)))
            .collect()
    }

    /// The schema of the rows it selects: each item's name and type.
    pub fn output_schema(&self) -> Schema {
        Schema {
            attributes: self
                .items
                .iter()
                .map(|(name, e)| Attribute {
                    name: name.clone(),
                    ty: e.ty,
                })
                .collect(),
        }
    }
}

impl TypedExpr {
    /// Which inputs the expression reads, by index (a join's sides, a pattern's slots), up to
    /// `out.len()`.
    pub fn mark_inputs(&self, out: &mut [bool]) {
        match &self.kind {
            ExprNode::Attr(AttrRef::Input { input, .. }) => {
                if let Some(side) = out.get_mut(*input) {
                    *side = true;
                }
            }
            ExprNode::Const(_)
            | ExprNode::Attr(_)
            | ExprNode::Aggregate(_)
            | ExprNode::EventIsNull { .. }
            | ExprNode::InputTimestamp(_) => {}
            ExprNode::Neg(a) | ExprNode::Not(a) | ExprNode::IsNull(a) => a.mark_inputs(out),
            ExprNode::Arith { lhs, rhs, .. } | ExprNode::Compare { lhs, rhs, .. } => {
                lhs.mark_inputs(out);
                rhs.mark_inputs(out);
            }
            ExprNode::And(a, b) | ExprNode::Or(a, b) => {
                a.mark_inputs(out);
                b.mark_inputs(out);
            }
            ExprNode::InTable { condition, .. } => condition.mark_inputs(out),
            ExprNode::Call { args, .. } => args.iter().for_each(|a| a.mark_inputs(out)),
        }
    }

    /// Calls `f` with each direct subexpression.
    fn for_each_child_mut(&mut self, mut f: impl FnMut(&mut TypedExpr)) {
        match &mut self.kind {
            ExprNode::Const(_)
            | ExprNode::Attr(_)
            | ExprNode::Aggregate(_)
            | ExprNode::EventIsNull { .. }
            | ExprNode::InputTimestamp(_) => {}
            ExprNode::Neg(a) | ExprNode::Not(a) | ExprNode::IsNull(a) => f(a),
            ExprNode::Arith { lhs, rhs, .. } | ExprNode::Compare { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprNode::And(a, b) | ExprNode::Or(a, b) => {
                f(a);
                f(b);
            }
            ExprNode::InTable { condition, .. } => f(condition),
            ExprNode::Call { args, .. } => args.iter_mut().for_each(f),
        }
    }

    /// Replaces every `ExprNode::Aggregate(index)` in the expression with `with`.
    pub fn replace_aggregate(&mut self, index: usize, with: &TypedExpr) {
        match self.kind {
            ExprNode::Aggregate(i) if i == index => *self = with.clone(),
            _ => self.for_each_child_mut(|c| c.replace_aggregate(index, with)),
        }
    }

    /// Makes the references to input `from` read input `to` (an alias of it).
    pub fn retarget_input(&mut self, from: usize, to: usize) {
        match &mut self.kind {
            ExprNode::Attr(AttrRef::Input { input, .. }) => {
                if *input == from {
                    *input = to;
                }
            }
            ExprNode::EventIsNull { slot, .. } | ExprNode::InputTimestamp(slot) => {
                if *slot == from {
                    *slot = to;
                }
            }
            _ => self.for_each_child_mut(|c| c.retarget_input(from, to)),
        }
    }

    /// Counts the reads of each attribute of input `input` (by position, up to `counts.len()`).
    pub fn count_attribute_reads(&self, input: usize, counts: &mut [usize]) {
        match &self.kind {
            ExprNode::Attr(AttrRef::Input {
                input: i, position, ..
            }) => {
                if *i == input
                    && let Some(n) = counts.get_mut(*position)
                {
                    *n += 1;
                }
            }
            ExprNode::Const(_)
            | ExprNode::Attr(_)
            | ExprNode::Aggregate(_)
            | ExprNode::EventIsNull { .. }
            | ExprNode::InputTimestamp(_) => {}
            ExprNode::Neg(a) | ExprNode::Not(a) | ExprNode::IsNull(a) => {
                a.count_attribute_reads(input, counts)
            }
            ExprNode::Arith { lhs, rhs, .. } | ExprNode::Compare { lhs, rhs, .. } => {
                lhs.count_attribute_reads(input, counts);
                rhs.count_attribute_reads(input, counts);
            }
            ExprNode::And(a, b) | ExprNode::Or(a, b) => {
                a.count_attribute_reads(input, counts);
                b.count_attribute_reads(input, counts);
            }
            ExprNode::InTable { condition, .. } => condition.count_attribute_reads(input, counts),
            ExprNode::Call { args, .. } => args
                .iter()
                .for_each(|a| a.count_attribute_reads(input, counts)),
        }
    }

    /// Whether the expression reads join side `side` (0 or 1) and not the other one.
    pub fn reads_only_side(&self, side: usize) -> bool {
        let mut r = [false; 2];
        self.mark_inputs(&mut r);
        side < 2 && r[side] && !r[1 - side]
    }

    /// Whether the expression reads the table row being matched (or another table, with `in`).
    pub fn reads_table_row(&self) -> bool {
        match &self.kind {
            ExprNode::Attr(AttrRef::Table { .. }) | ExprNode::InTable { .. } => true,
            ExprNode::Const(_)
            | ExprNode::Attr(_)
            | ExprNode::Aggregate(_)
            | ExprNode::EventIsNull { .. }
            | ExprNode::InputTimestamp(_) => false,
            ExprNode::Neg(a) | ExprNode::Not(a) | ExprNode::IsNull(a) => a.reads_table_row(),
            ExprNode::Arith { lhs, rhs, .. } | ExprNode::Compare { lhs, rhs, .. } => {
                lhs.reads_table_row() || rhs.reads_table_row()
            }
            ExprNode::And(a, b) | ExprNode::Or(a, b) => a.reads_table_row() || b.reads_table_row(),
            ExprNode::Call { args, .. } => args.iter().any(TypedExpr::reads_table_row),
        }
    }

    /// The `Table.attr == expression` conjuncts of a table condition (the expression not
    /// reading the table row): what a key lookup can use.
    pub fn table_row_equalities<'a>(&'a self, out: &mut Vec<(usize, &'a TypedExpr)>) {
        match &self.kind {
            ExprNode::And(a, b) => {
                a.table_row_equalities(out);
                b.table_row_equalities(out);
            }
            ExprNode::Compare {
                op: BinaryOp::Eq,
                lhs,
                rhs,
                ..
            } => match (&lhs.kind, &rhs.kind) {
                (ExprNode::Attr(AttrRef::Table { position }), _) if !rhs.reads_table_row() => {
                    out.push((*position, rhs))
                }
                (_, ExprNode::Attr(AttrRef::Table { position })) if !lhs.reads_table_row() => {
                    out.push((*position, lhs))
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// The conjuncts of a pattern element's filter on slot `slot` that read the candidate event
    /// alone, with operators only (no function call, table or other slot), in order: an event
    /// that fails one cannot fill the slot whatever the earlier events, so a step need not look
    /// up the partial matches it might extend.
    pub fn candidate_conjuncts<'a>(&'a self, slot: usize, out: &mut Vec<&'a TypedExpr>) {
        match &self.kind {
            ExprNode::And(a, b) => {
                a.candidate_conjuncts(slot, out);
                b.candidate_conjuncts(slot, out);
            }
            _ if self.reads_candidate_only(slot) => out.push(self),
            _ => {}
        }
    }

    /// Whether the expression, a condition of a pattern element on slot `slot`, is operators over
    /// constants and unindexed attributes of that slot (the candidate event), and reads some
    /// attribute: its value depends on the candidate alone.
    pub fn reads_candidate_only(&self, slot: usize) -> bool {
        fn pure(e: &TypedExpr, slot: usize, reads: &mut bool) -> bool {
            match &e.kind {
                ExprNode::Const(_) => true,
                ExprNode::Attr(AttrRef::Input {
                    input, index: None, ..
                }) if *input == slot => {
                    *reads = true;
                    true
                }
                ExprNode::Neg(a) | ExprNode::Not(a) | ExprNode::IsNull(a) => pure(a, slot, reads),
                ExprNode::Arith { lhs, rhs, .. } | ExprNode::Compare { lhs, rhs, .. } => {
                    pure(lhs, slot, reads) && pure(rhs, slot, reads)
                }
                ExprNode::And(a, b) | ExprNode::Or(a, b) => {
                    pure(a, slot, reads) && pure(b, slot, reads)
                }
                ExprNode::Attr(_)
                | ExprNode::Aggregate(_)
                | ExprNode::EventIsNull { .. }
                | ExprNode::InputTimestamp(_)
                | ExprNode::InTable { .. }
                | ExprNode::Call { .. } => false,
            }
        }
        let mut reads = false;
        pure(self, slot, &mut reads) && reads
    }

    /// The `candidate.attr == earlier.attr` conjuncts of a pattern element's filter on slot
    /// `slot`, in order: (candidate position, earlier slot, earlier position). A step indexes
    /// its waiting partial matches by such an equality.
    pub fn slot_equalities(&self, slot: usize, out: &mut Vec<(usize, usize, usize)>) {
        match &self.kind {
            ExprNode::And(a, b) => {
                a.slot_equalities(slot, out);
                b.slot_equalities(slot, out);
            }
            ExprNode::Compare {
                op: BinaryOp::Eq,
                lhs,
                rhs,
                ..
            } => {
                let attr = |x: &TypedExpr| match x.kind {
                    ExprNode::Attr(AttrRef::Input {
                        input,
                        index: None,
                        position,
                    }) => Some((input, position)),
                    _ => None,
                };
                match (attr(lhs), attr(rhs)) {
                    (Some((i, p)), Some((j, q))) if i == slot && j != slot => out.push((p, j, q)),
                    (Some((j, q)), Some((i, p))) if i == slot && j != slot => out.push((p, j, q)),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The `left expr == right expr` conjuncts of a join condition, each side reading only its
    /// own input: (left, right, the type they are compared in).
    pub fn side_equalities<'a>(&'a self, out: &mut Vec<(&'a TypedExpr, &'a TypedExpr, Type)>) {
        match &self.kind {
            ExprNode::And(a, b) => {
                a.side_equalities(out);
                b.side_equalities(out);
            }
            ExprNode::Compare {
                op: BinaryOp::Eq,
                operand,
                lhs,
                rhs,
            } => {
                if lhs.reads_only_side(0) && rhs.reads_only_side(1) {
                    out.push((lhs, rhs, *operand));
                } else if lhs.reads_only_side(1) && rhs.reads_only_side(0) {
                    out.push((rhs, lhs, *operand));
                }
            }
            _ => {}
        }
    }

    /// The `side.attr == expression` conjuncts of a join condition, the expression reading only
    /// the other side: (attribute position on `side`, expression). What a table side is looked
    /// up by.
    pub fn side_attribute_equalities<'a>(
        &'a self,
        side: usize,
        out: &mut Vec<(usize, &'a TypedExpr)>,
    ) {
        match &self.kind {
            ExprNode::And(a, b) => {
                a.side_attribute_equalities(side, out);
                b.side_attribute_equalities(side, out);
            }
            ExprNode::Compare {
                op: BinaryOp::Eq,
                lhs,
                rhs,
                ..
            } => {
                for (attr, other) in [(lhs, rhs), (rhs, lhs)] {
                    if let ExprNode::Attr(AttrRef::Input {
                        input,
                        index: None,
                        position,
                    }) = attr.kind
                        && input == side
                        && side < 2
                        && other.reads_only_side(1 - side)
                    {
                        out.push((position, other));
                        return;
                    }
                }
            }
            _ => {}
        }
    }

    /// A constant of type `ty`.
    pub fn constant(value: Value, ty: Type) -> Self {
        TypedExpr {
            kind: ExprNode::Const(value),
            ty,
        }
    }

    /// The constant value, if this expression is one (folding a negated number).
    pub fn const_value(&self) -> Option<Value> {
        match &self.kind {
            ExprNode::Const(v) => Some(v.clone()),
            ExprNode::Neg(inner) => match inner.const_value()? {
                Value::Int(v) => Some(Value::Int(v.wrapping_neg())),
                Value::Long(v) => Some(Value::Long(v.wrapping_neg())),
                Value::Float(v) => Some(Value::Float(-v)),
                Value::Double(v) => Some(Value::Double(-v)),
                _ => None,
            },
            _ => None,
        }
    }
}
