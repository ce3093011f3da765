//! The syntax tree of an EventFluxQL app, exactly as written. Every node carries its [`Span`].
//!
//! The parser produces it, the printer turns it back into text, and the checker turns it into the
//! typed [`crate::plan`]. Nothing here is resolved or typed yet.

// The AST is built once per compile and walked a few times: boxing large variants would only
// add noise to the grammar and the printer.
#![allow(clippy::large_enum_variant)]

use crate::span::Span;

/// A name as written (without backquotes), with its place in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A whole app: app-level annotations (`@app:...`) and its elements in order.
#[derive(Clone, Debug, PartialEq)]
pub struct App {
    /// Annotations whose name is in the `app` namespace (`@app:name`, `@app:playback`, ...).
    pub annotations: Vec<Annotation>,
    /// Definitions, queries and partitions in the order written.
    pub elements: Vec<Element>,
}

/// One top-level element of an app.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    /// A `define ...` statement.
    Definition(Definition),
    /// A `from ... insert into ...` query.
    Query(Query),
    /// A `partition with (...) begin ... end` block.
    Partition(Partition),
}

/// `@name(key = value, ..., @nested(...))`. The name may be namespaced: `@app:name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// The namespace before `:`, if any (`app` in `@app:name`).
    pub namespace: Option<Ident>,
    /// The annotation name.
    pub name: Ident,
    /// Its elements in order (keyed or positional).
    pub elements: Vec<AnnotationElement>,
    /// Annotations nested inside this one (`@map` inside `@source`).
    pub nested: Vec<Annotation>,
    /// The whole annotation.
    pub span: Span,
}

/// One `key = value` or positional `value` inside an annotation.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnotationElement {
    /// The dotted key (`buffer.size`), if the element has one.
    pub key: Option<String>,
    /// The value.
    pub value: Literal,
    /// The whole element.
    pub span: Span,
}

/// An attribute type as written in a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttrType {
    /// 32-bit signed integer.
    Int,
    /// 64-bit signed integer.
    Long,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// UTF-8 string.
    String,
    /// Boolean.
    Bool,
    /// Any value (sets, values of user functions, null).
    Object,
}

impl AttrType {
    /// The keyword that names this type in EventFluxQL.
    pub fn keyword(self) -> &'static str {
        match self {
            AttrType::Int => "int",
            AttrType::Long => "long",
            AttrType::Float => "float",
            AttrType::Double => "double",
            AttrType::String => "string",
            AttrType::Bool => "bool",
            AttrType::Object => "object",
        }
    }

    /// The type named by `word` (case-insensitive; `boolean` and `integer` are accepted too).
    pub fn from_keyword(word: &str) -> Option<AttrType> {
        Some(match word.to_ascii_lowercase().as_str() {
            "int" | "integer" => AttrType::Int,
            "long" => AttrType::Long,
            "float" => AttrType::Float,
            "double" => AttrType::Double,
            "string" => AttrType::String,
            "bool" | "boolean" => AttrType::Bool,
            "object" => AttrType::Object,
            _ => return None,
        })
    }

    /// Whether this is one of the four numeric types.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            AttrType::Int | AttrType::Long | AttrType::Float | AttrType::Double
        )
    }
}

impl std::fmt::Display for AttrType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.keyword())
    }
}

/// `name type` in an attribute list.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeDef {
    /// The attribute name.
    pub name: Ident,
    /// Its type.
    pub ty: AttrType,
    /// Where the type was written.
    pub ty_span: Span,
}

/// A `define ...` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// Annotations written before it.
    pub annotations: Vec<Annotation>,
    /// What is defined.
    pub kind: DefinitionKind,
    /// The whole definition.
    pub span: Span,
}

/// The kinds of definition.
#[derive(Clone, Debug, PartialEq)]
pub enum DefinitionKind {
    /// `define stream S (a int, ...)`.
    Stream {
        /// Stream id.
        name: Ident,
        /// Attributes in order.
        attributes: Vec<AttributeDef>,
    },
    /// `define table T (a int, ...)`.
    Table {
        /// Table id.
        name: Ident,
        /// Attributes in order.
        attributes: Vec<AttributeDef>,
    },
    /// `define window W (a int, ...) length(10) [output current|expired|all events]`.
    Window {
        /// Window id.
        name: Ident,
        /// Attributes in order.
        attributes: Vec<AttributeDef>,
        /// The window function and its arguments.
        window: Call,
        /// Which events the window emits to its readers.
        output: Option<EventType>,
    },
    /// `define trigger T at 'start' | at every 5 sec | at 'cron expression'`.
    Trigger {
        /// Trigger id.
        name: Ident,
        /// When it fires.
        at: TriggerAt,
    },
    /// `define aggregation A from S select ... group by ... aggregate [by ts] every sec ... year`.
    Aggregation {
        /// Aggregation id.
        name: Ident,
        /// The input stream with its filters.
        input: SingleInput,
        /// The select and group by clauses.
        selector: Selector,
        /// The attribute holding event time, if not the event timestamp.
        aggregate_by: Option<Expr>,
        /// The granularities kept.
        every: AggregationPeriods,
    },
    /// `define function f[language] return type { body }`.
    Function {
        /// Function name.
        name: Ident,
        /// Script language.
        language: Ident,
        /// Return type.
        return_type: AttrType,
        /// The script body between the braces, as written.
        body: String,
    },
}

/// When a trigger fires.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerAt {
    /// `at 'start'`: once when the app starts.
    Start,
    /// `at every T`: periodically.
    Every(Expr),
    /// `at 'cron expression'`.
    Cron(String, Span),
}

/// The granularities of an incremental aggregation.
#[derive(Clone, Debug, PartialEq)]
pub enum AggregationPeriods {
    /// `sec ... year`: every unit from the first to the last.
    Range(TimeUnit, TimeUnit, Span),
    /// `sec, min, hour`: the listed units.
    List(Vec<(TimeUnit, Span)>),
}

/// Which events an output or a window emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// `current events`: events as they arrive.
    Current,
    /// `expired events`: events as they leave a window.
    Expired,
    /// `all events`: both.
    All,
}

/// A function, window or stream-function call: `[ns:]name(args)`, or `name(*)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The namespace before `:` (`math` in `math:abs(x)`).
    pub namespace: Option<Ident>,
    /// The function name.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Expr>,
    /// The whole call.
    pub span: Span,
}

/// A query: input, selector, optional rate limit, output.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Annotations written before it (`@info(name = 'q1')`).
    pub annotations: Vec<Annotation>,
    /// The `from` clause.
    pub input: QueryInput,
    /// The select, group by, having, order by, limit and offset clauses.
    pub selector: Selector,
    /// `output ... every ...`.
    pub output_rate: Option<OutputRate>,
    /// `insert into`, `delete`, `update`, `update or insert into` or `return`.
    pub output: QueryOutput,
    /// The whole query.
    pub span: Span,
}

/// The `from` clause of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryInput {
    /// One stream, table, window or trigger with its handlers.
    Single(SingleInput),
    /// Two sources joined.
    Join(Box<JoinInput>),
    /// A pattern (`->`) or sequence (`,`).
    State(StateInput),
}

/// How a source is named in a `from` clause: `S`, `#Inner` or `!S` (fault stream).
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRef {
    /// The id.
    pub name: Ident,
    /// Whether it is a partition inner stream (`#S`).
    pub inner: bool,
    /// Whether it is the fault stream of `S` (`!S`).
    pub fault: bool,
}

/// A source with its handlers: `S[cond]#window.length(5)#fn(...) as alias`.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleInput {
    /// The source.
    pub source: SourceRef,
    /// Filters, stream functions and windows in order.
    pub handlers: Vec<Handler>,
    /// `as alias`.
    pub alias: Option<Ident>,
    /// The whole input.
    pub span: Span,
}

/// One handler on an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Handler {
    /// `[condition]`.
    Filter(Expr),
    /// `#window.name(args)`.
    Window(Call),
    /// `#name(args)` or `#ns:name(args)`.
    Function(Call),
}

/// The kinds of join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// `join`.
    Join,
    /// `inner join`.
    Inner,
    /// `left outer join`.
    LeftOuter,
    /// `right outer join`.
    RightOuter,
    /// `full outer join`.
    FullOuter,
}

/// One side of a join.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinSide {
    /// The input with its handlers and alias.
    pub input: SingleInput,
    /// Whether only this side's arrivals trigger the join.
    pub unidirectional: bool,
}

/// `from L join R [on cond] [within a[, b]] [per p]`.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinInput {
    /// The left side.
    pub left: JoinSide,
    /// The join kind.
    pub kind: JoinKind,
    /// The right side.
    pub right: JoinSide,
    /// `on condition`.
    pub on: Option<Expr>,
    /// `within start[, end]` for aggregation retrieval.
    pub within: Option<(Expr, Option<Expr>)>,
    /// `per 'granularity'` for aggregation retrieval.
    pub per: Option<Expr>,
    /// The whole join.
    pub span: Span,
}

/// Whether a state input is a pattern or a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    /// Elements joined by `->`: other events may come between.
    Pattern,
    /// Elements joined by `,`: strictly consecutive.
    Sequence,
}

/// A pattern or sequence with an optional `within`.
#[derive(Clone, Debug, PartialEq)]
pub struct StateInput {
    /// Pattern or sequence (decided by the first separator; mixing is a checker error).
    pub kind: StateKind,
    /// The element tree.
    pub element: StateElement,
    /// `within T`.
    pub within: Option<Expr>,
    /// The whole input.
    pub span: Span,
}

/// A counting or sequence quantifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// `<n>`, `<n:m>`, `<n:>` or `<:m>` (missing bounds are `None`).
    Count(Option<u32>, Option<u32>),
    /// `+`.
    OneOrMore,
    /// `*`.
    ZeroOrMore,
    /// `?`.
    ZeroOrOne,
}

/// The separators between state elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateSeparator {
    /// `->` (pattern).
    Arrow,
    /// `,` (sequence).
    Comma,
}

/// Logical operators between state elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    /// `and`.
    And,
    /// `or`.
    Or,
}

/// A node of a pattern or sequence.
#[derive(Clone, Debug, PartialEq)]
pub enum StateElement {
    /// `e1=S[cond]` with an optional quantifier.
    Stream {
        /// `e1=`.
        alias: Option<Ident>,
        /// The stream with its filters.
        input: SingleInput,
        /// `<n:m>`, `+`, `*` or `?`.
        quantifier: Option<Quantifier>,
        /// The whole element.
        span: Span,
    },
    /// `not S[cond] [for T]`.
    Absent {
        /// The stream with its filters.
        input: SingleInput,
        /// `for T`.
        waiting: Option<Expr>,
        /// The whole element.
        span: Span,
    },
    /// `every X`.
    Every(Box<StateElement>, Span),
    /// `X -> Y` or `X, Y`.
    Next(Box<StateElement>, StateSeparator, Box<StateElement>),
    /// `X and Y`, `X or Y`.
    Logical(Box<StateElement>, LogicalOp, Box<StateElement>),
    /// `(X)`.
    Group(Box<StateElement>, Span),
}

/// The select clause and what follows it up to the output.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    /// The select list (`None` when the query has no select clause: implicit `*`).
    pub select: Option<SelectList>,
    /// `group by a, b`.
    pub group_by: Vec<Expr>,
    /// `having cond`.
    pub having: Option<Expr>,
    /// `order by a [asc|desc], ...`.
    pub order_by: Vec<OrderItem>,
    /// `limit n`.
    pub limit: Option<Expr>,
    /// `offset n`.
    pub offset: Option<Expr>,
}

/// `select *` or `select a, b as c`.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectList {
    /// `select *`.
    Star(Span),
    /// The listed items.
    Items(Vec<SelectItem>),
}

/// `expr [as name]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectItem {
    /// The expression.
    pub expr: Expr,
    /// `as name`.
    pub alias: Option<Ident>,
}

/// `expr [asc|desc]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    /// The expression ordered by.
    pub expr: Expr,
    /// Explicit direction (`None` = ascending, as written without one).
    pub order: Option<SortOrder>,
}

/// A sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// `asc`.
    Asc,
    /// `desc`.
    Desc,
}

/// Which rows a rate limiter lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateMode {
    /// `all`.
    All,
    /// `first`.
    First,
    /// `last`.
    Last,
}

/// `output [all|first|last] every N events | T`, or `output snapshot every T`.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputRate {
    /// Every N rows.
    Events {
        /// The mode, if written.
        mode: Option<RateMode>,
        /// N.
        count: Expr,
        /// The whole clause.
        span: Span,
    },
    /// Every period of time.
    Time {
        /// The mode, if written.
        mode: Option<RateMode>,
        /// The period.
        period: Expr,
        /// The whole clause.
        span: Span,
    },
    /// `output snapshot every T`.
    Snapshot {
        /// The period.
        period: Expr,
        /// The whole clause.
        span: Span,
    },
}

/// A `set T.a = expr` assignment.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAssignment {
    /// The table attribute assigned.
    pub target: Expr,
    /// The new value.
    pub value: Expr,
}

/// Where the query's rows go.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryOutput {
    /// `insert [events] into T`.
    Insert {
        /// Which events.
        events: Option<EventType>,
        /// The target (a stream, `#Inner`, a table or a window).
        target: SourceRef,
        /// The whole clause.
        span: Span,
    },
    /// `delete T [for events] on cond`.
    Delete {
        /// The table.
        target: Ident,
        /// Which events.
        events: Option<EventType>,
        /// Which rows to delete.
        on: Expr,
        /// The whole clause.
        span: Span,
    },
    /// `update T [for events] [set ...] on cond`.
    Update {
        /// The table.
        target: Ident,
        /// Which events.
        events: Option<EventType>,
        /// The assignments (empty: update the selected attributes).
        set: Vec<SetAssignment>,
        /// Which rows to update.
        on: Expr,
        /// The whole clause.
        span: Span,
    },
    /// `update or insert into T [for events] [set ...] on cond`.
    UpdateOrInsert {
        /// The table.
        target: Ident,
        /// Which events.
        events: Option<EventType>,
        /// The assignments (empty: update the selected attributes).
        set: Vec<SetAssignment>,
        /// Which rows to update.
        on: Expr,
        /// The whole clause.
        span: Span,
    },
    /// `return [events]`.
    Return {
        /// Which events.
        events: Option<EventType>,
        /// The whole clause.
        span: Span,
    },
}

/// `partition with (key of S, ...) begin query; ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// Annotations written before it (`@purge(...)`).
    pub annotations: Vec<Annotation>,
    /// One key per partitioned stream.
    pub keys: Vec<PartitionKey>,
    /// The queries inside, in order.
    pub queries: Vec<Query>,
    /// The whole partition.
    pub span: Span,
}

/// How one stream is partitioned.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionKey {
    /// `expr of S`: one partition per value.
    Value {
        /// The key expression.
        expr: Expr,
        /// The stream.
        stream: Ident,
    },
    /// `cond as 'label' or ... of S`: one partition per matching range.
    Range {
        /// The conditions with their labels, in order.
        ranges: Vec<(Expr, String, Span)>,
        /// The stream.
        stream: Ident,
    },
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `42`.
    Int(i32),
    /// `42L`.
    Long(i64),
    /// `1.5f`.
    Float(f32),
    /// `1.5` or `1.5d`.
    Double(f64),
    /// `'text'` or `"text"`.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A time unit word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeUnit {
    /// millisec, millisecond(s).
    Millisecond,
    /// sec, second(s).
    Second,
    /// min, minute(s).
    Minute,
    /// hour(s).
    Hour,
    /// day(s).
    Day,
    /// week(s).
    Week,
    /// month(s) (30 days in a time value).
    Month,
    /// year(s) (365 days in a time value).
    Year,
}

impl TimeUnit {
    /// Milliseconds in one unit.
    pub fn millis(self) -> i64 {
        match self {
            TimeUnit::Millisecond => 1,
            TimeUnit::Second => 1_000,
            TimeUnit::Minute => 60_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Day => 86_400_000,
            TimeUnit::Week => 7 * 86_400_000,
            TimeUnit::Month => 30 * 86_400_000,
            TimeUnit::Year => 365 * 86_400_000,
        }
    }

    /// The canonical word for this unit.
    pub fn word(self) -> &'static str {
        match self {
            TimeUnit::Millisecond => "millisec",
            TimeUnit::Second => "sec",
            TimeUnit::Minute => "min",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        }
    }

    /// The unit a duration word names where Siddhi reads it as text (`per` values, `@purge`
    /// times): any word [`TimeUnit::from_word`] takes, and `h` for hours
    /// (`Expression.Time#normalizeDuration`); surrounding spaces ignored.
    pub fn from_duration_word(word: &str) -> Option<TimeUnit> {
        let word = word.trim();
        if word.eq_ignore_ascii_case("h") {
            return Some(TimeUnit::Hour);
        }
        TimeUnit::from_word(word)
    }

    /// The unit named by `word` (any spelling EventFluxQL accepts, case-insensitive).
    pub fn from_word(word: &str) -> Option<TimeUnit> {
        Some(match word.to_ascii_lowercase().as_str() {
            "millisec" | "millisecond" | "milliseconds" | "millis" | "ms" => TimeUnit::Millisecond,
            "sec" | "second" | "seconds" => TimeUnit::Second,
            "min" | "minute" | "minutes" => TimeUnit::Minute,
            "hour" | "hours" => TimeUnit::Hour,
            "day" | "days" => TimeUnit::Day,
            "week" | "weeks" => TimeUnit::Week,
            "month" | "months" => TimeUnit::Month,
            "year" | "years" => TimeUnit::Year,
            _ => return None,
        })
    }

    /// Every unit from smallest to largest.
    pub const ALL: [TimeUnit; 8] = [
        TimeUnit::Millisecond,
        TimeUnit::Second,
        TimeUnit::Minute,
        TimeUnit::Hour,
        TimeUnit::Day,
        TimeUnit::Week,
        TimeUnit::Month,
        TimeUnit::Year,
    ];
}

/// Which event of a collection an indexed reference means: `e1[0]`, `e1[last]`, `e1[last-2]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventIndex {
    /// `e1[n]`: the n-th (from 0).
    At(u32),
    /// `e1[last]` (0) or `e1[last-n]` (n).
    FromLast(u32),
}

/// The qualifier of an attribute: `S.`, `e1.`, `e1[0].`, `#Inner.`.
#[derive(Clone, Debug, PartialEq)]
pub struct Qualifier {
    /// The stream id, alias or event reference.
    pub name: Ident,
    /// `[index]`.
    pub index: Option<EventIndex>,
    /// Whether the qualifier was written `#Name` (an inner stream).
    pub inner: bool,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`.
    Not,
    /// `-`.
    Neg,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `and`.
    And,
    /// `or`.
    Or,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Literal(Literal),
    /// A time value such as `1 min 30 sec`: parts in the order written.
    Time(Vec<(i64, TimeUnit)>),
    /// An attribute, optionally qualified: `price`, `S.price`, `e1[last].price`.
    Attribute {
        /// The qualifier.
        qualifier: Option<Qualifier>,
        /// The attribute name.
        name: Ident,
    },
    /// A function call (scalar or aggregate).
    Call(Call),
    /// A unary operation.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operation.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `expr is null`.
    IsNull(Box<Expr>),
    /// `e1[n]`: one event of a pattern's collection, as the operand of `is null`.
    EventRef {
        /// The event reference.
        name: Ident,
        /// Which of its events.
        index: EventIndex,
    },
    /// `cond in Table`.
    In(Box<Expr>, Ident),
}

impl Expr {
    /// The total of a time value in milliseconds, if this expression is one.
    pub fn time_millis(&self) -> Option<i64> {
        match &self.kind {
            ExprKind::Time(parts) => parts.iter().try_fold(0i64, |acc, (n, unit)| {
                n.checked_mul(unit.millis())
                    .and_then(|ms| acc.checked_add(ms))
            }),
            _ => None,
        }
    }
}

impl Annotation {
    /// The annotation's full name, `ns:name` or `name`.
    pub fn full_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}:{}", ns.name, self.name.name),
            None => self.name.name.clone(),
        }
    }

    /// Whether this annotation is called `name` (case-insensitive, namespace included).
    pub fn is(&self, name: &str) -> bool {
        self.full_name().eq_ignore_ascii_case(name)
    }

    /// The element with key `key` (case-insensitive).
    pub fn element(&self, key: &str) -> Option<&AnnotationElement> {
        self.elements.iter().find(|e| {
            e.key
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(key))
        })
    }
}
