//! The built-in scalar functions, aggregators and windows, each declared once as data: its
//! name, arguments and a one-line description. The checker validates calls against these
//! tables, `eventflux explain` and the docs list them, and the back-ends dispatch on the enums.

use crate::ast::AttrType as Type;

/// A built-in scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarFunction {
    /// `cast(x, 'type')`.
    Cast,
    /// `convert(x, 'type')`.
    Convert,
    /// `coalesce(a, b, ...)`.
    Coalesce,
    /// `ifThenElse(cond, a, b)`.
    IfThenElse,
    /// `instanceOfBoolean(x)`.
    InstanceOfBoolean,
    /// `instanceOfDouble(x)`.
    InstanceOfDouble,
    /// `instanceOfFloat(x)`.
    InstanceOfFloat,
    /// `instanceOfInteger(x)`.
    InstanceOfInteger,
    /// `instanceOfLong(x)`.
    InstanceOfLong,
    /// `instanceOfString(x)`.
    InstanceOfString,
    /// `maximum(a, b, ...)`.
    Maximum,
    /// `minimum(a, b, ...)`.
    Minimum,
    /// `default(x, value)`.
    Default,
    /// `eventTimestamp()`.
    EventTimestamp,
    /// `currentTimeMillis()`.
    CurrentTimeMillis,
    /// `UUID()`.
    Uuid,
    /// `createSet(x)`.
    CreateSet,
    /// `sizeOfSet(set)`.
    SizeOfSet,
    /// `math:abs(x)`.
    Abs,
    /// `math:ceil(x)`.
    Ceil,
    /// `math:floor(x)`.
    Floor,
    /// `math:round(x)`.
    Round,
    /// `math:sqrt(x)`.
    Sqrt,
    /// `math:power(x, y)`.
    Power,
    /// `math:ln(x)`.
    Ln,
    /// `math:log10(x)`.
    Log10,
    /// `math:exp(x)`.
    Exp,
    /// `math:sin(x)`.
    Sin,
    /// `math:cos(x)`.
    Cos,
    /// `math:tan(x)`.
    Tan,
    /// `str:concat(a, b, ...)`.
    Concat,
    /// `str:length(s)`.
    Length,
    /// `str:upper(s)`.
    Upper,
    /// `str:lower(s)`.
    Lower,
    /// `str:trim(s)`.
    Trim,
    /// `str:substr(s, start[, length])`.
    Substr,
    /// `str:contains(s, part)`.
    Contains,
    /// `str:replaceAll(s, regex, replacement)`.
    ReplaceAll,
    /// `str:equalsIgnoreCase(a, b)`.
    EqualsIgnoreCase,
    /// `str:reverse(s)`.
    Reverse,
}

/// One catalog entry of a scalar function.
#[derive(Clone, Copy, Debug)]
pub struct FunctionInfo {
    /// Which function.
    pub function: ScalarFunction,
    /// Its namespace (`math`, `str`), if any.
    pub namespace: Option<&'static str>,
    /// Its name.
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`None` = any number).
    pub max_args: Option<usize>,
    /// The signature as shown in messages.
    pub signature: &'static str,
    /// What it does.
    pub doc: &'static str,
}

macro_rules! function {
    ($f:ident, $ns:expr, $name:literal, $min:literal, $max:expr, $sig:literal, $doc:literal) => {
        FunctionInfo {
            function: ScalarFunction::$f,
            namespace: $ns,
            name: $name,
            min_args: $min,
            max_args: $max,
            signature: $sig,
            doc: $doc,
        }
    };
}

/// Every built-in scalar function.
pub const FUNCTIONS: &[FunctionInfo] = &[
    function!(
        Cast,
        None,
        "cast",
        2,
        Some(2),
        "cast(value, 'type')",
        "the value as the named type (no conversion)"
    ),
    function!(
        Convert,
        None,
        "convert",
        2,
        Some(2),
        "convert(value, 'type')",
        "the value converted to the named type; null when it does not convert"
    ),
    function!(
        Coalesce,
        None,
        "coalesce",
        1,
        None,
        "coalesce(a, b, ...)",
        "the first argument that is not null"
    ),
    function!(
        IfThenElse,
        None,
        "ifThenElse",
        3,
        Some(3),
        "ifThenElse(condition, then, else)",
        "then when the condition holds, else otherwise"
    ),
    function!(
        InstanceOfBoolean,
        None,
        "instanceOfBoolean",
        1,
        Some(1),
        "instanceOfBoolean(value)",
        "whether the value is a bool"
    ),
    function!(
        InstanceOfDouble,
        None,
        "instanceOfDouble",
        1,
        Some(1),
        "instanceOfDouble(value)",
        "whether the value is a double"
    ),
    function!(
        InstanceOfFloat,
        None,
        "instanceOfFloat",
        1,
        Some(1),
        "instanceOfFloat(value)",
        "whether the value is a float"
    ),
    function!(
        InstanceOfInteger,
        None,
        "instanceOfInteger",
        1,
        Some(1),
        "instanceOfInteger(value)",
        "whether the value is an int"
    ),
    function!(
        InstanceOfLong,
        None,
        "instanceOfLong",
        1,
        Some(1),
        "instanceOfLong(value)",
        "whether the value is a long"
    ),
    function!(
        InstanceOfString,
        None,
        "instanceOfString",
        1,
        Some(1),
        "instanceOfString(value)",
        "whether the value is a string"
    ),
    function!(
        Maximum,
        None,
        "maximum",
        1,
        None,
        "maximum(a, b, ...)",
        "the largest argument"
    ),
    function!(
        Minimum,
        None,
        "minimum",
        1,
        None,
        "minimum(a, b, ...)",
        "the smallest argument"
    ),
    function!(
        Default,
        None,
        "default",
        2,
        Some(2),
        "default(value, fallback)",
        "the value, or the fallback when it is null"
    ),
    function!(
        EventTimestamp,
        None,
        "eventTimestamp",
        0,
        Some(1),
        "eventTimestamp([event])",
        "the event's timestamp in ms"
    ),
    function!(
        CurrentTimeMillis,
        None,
        "currentTimeMillis",
        0,
        Some(0),
        "currentTimeMillis()",
        "the app's time in ms: in playback the time of the event being processed, else the wall clock"
    ),
    function!(
        Uuid,
        None,
        "UUID",
        0,
        Some(0),
        "UUID()",
        "a random UUID string"
    ),
    function!(
        CreateSet,
        None,
        "createSet",
        1,
        Some(1),
        "createSet(value)",
        "a set holding the value"
    ),
    function!(
        SizeOfSet,
        None,
        "sizeOfSet",
        1,
        Some(1),
        "sizeOfSet(set)",
        "the number of elements of a set"
    ),
    function!(
        Abs,
        Some("math"),
        "abs",
        1,
        Some(1),
        "math:abs(number)",
        "the absolute value"
    ),
    function!(
        Ceil,
        Some("math"),
        "ceil",
        1,
        Some(1),
        "math:ceil(number)",
        "the smallest whole number not below it, as a double"
    ),
    function!(
        Floor,
        Some("math"),
        "floor",
        1,
        Some(1),
        "math:floor(number)",
        "the largest whole number not above it, as a double"
    ),
    function!(
        Round,
        Some("math"),
        "round",
        1,
        Some(1),
        "math:round(number)",
        "the nearest whole number (int for float, long for double)"
    ),
    function!(
        Sqrt,
        Some("math"),
        "sqrt",
        1,
        Some(1),
        "math:sqrt(number)",
        "the square root"
    ),
    function!(
        Power,
        Some("math"),
        "power",
        2,
        Some(2),
        "math:power(base, exponent)",
        "base raised to the exponent"
    ),
    function!(
        Ln,
        Some("math"),
        "ln",
        1,
        Some(1),
        "math:ln(number)",
        "the natural logarithm"
    ),
    function!(
        Log10,
        Some("math"),
        "log10",
        1,
        Some(1),
        "math:log10(number)",
        "the base-10 logarithm"
    ),
    function!(
        Exp,
        Some("math"),
        "exp",
        1,
        Some(1),
        "math:exp(number)",
        "e raised to the number"
    ),
    function!(
        Sin,
        Some("math"),
        "sin",
        1,
        Some(1),
        "math:sin(radians)",
        "the sine"
    ),
    function!(
        Cos,
        Some("math"),
        "cos",
        1,
        Some(1),
        "math:cos(radians)",
        "the cosine"
    ),
    function!(
        Tan,
        Some("math"),
        "tan",
        1,
        Some(1),
        "math:tan(radians)",
        "the tangent"
    ),
    function!(
        Concat,
        Some("str"),
        "concat",
        2,
        None,
        "str:concat(a, b, ...)",
        "the strings joined"
    ),
    function!(
        Length,
        Some("str"),
        "length",
        1,
        Some(1),
        "str:length(string)",
        "the number of characters"
    ),
    function!(
        Upper,
        Some("str"),
        "upper",
        1,
        Some(1),
        "str:upper(string)",
        "the string in upper case"
    ),
    function!(
        Lower,
        Some("str"),
        "lower",
        1,
        Some(1),
        "str:lower(string)",
        "the string in lower case"
    ),
    function!(
        Trim,
        Some("str"),
        "trim",
        1,
        Some(1),
        "str:trim(string)",
        "the string without leading and trailing white space"
    ),
    function!(
        Substr,
        Some("str"),
        "substr",
        2,
        Some(3),
        "str:substr(string, start[, length])",
        "part of the string, from a 0-based character index"
    ),
    function!(
        Contains,
        Some("str"),
        "contains",
        2,
        Some(2),
        "str:contains(string, part)",
        "whether the string contains the part"
    ),
    function!(
        ReplaceAll,
        Some("str"),
        "replaceAll",
        3,
        Some(3),
        "str:replaceAll(string, regex, replacement)",
        "every match of the regex replaced"
    ),
    function!(
        EqualsIgnoreCase,
        Some("str"),
        "equalsIgnoreCase",
        2,
        Some(2),
        "str:equalsIgnoreCase(a, b)",
        "whether the strings are equal ignoring case"
    ),
    function!(
        Reverse,
        Some("str"),
        "reverse",
        1,
        Some(1),
        "str:reverse(string)",
        "the characters in reverse order"
    ),
];

/// The catalog entry of `ns:name` (names are case-sensitive, namespaces are not).
pub fn function(namespace: Option<&str>, name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| {
        f.name == name
            && match (f.namespace, namespace) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    })
}

/// A built-in aggregator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregatorKind {
    /// `sum(x)`.
    Sum,
    /// `count()` or `count(x)`.
    Count,
    /// `avg(x)`.
    Avg,
    /// `min(x)`.
    Min,
    /// `max(x)`.
    Max,
    /// `minForever(x)`.
    MinForever,
    /// `maxForever(x)`.
    MaxForever,
    /// `distinctCount(x)`.
    DistinctCount,
    /// `stdDev(x)`.
    StdDev,
    /// `and(x)`.
    And,
    /// `or(x)`.
    Or,
    /// `unionSet(set)`.
    UnionSet,
}

/// What an aggregator accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregatorInput {
    /// No argument or one of any type.
    OptionalAny,
    /// One numeric argument.
    Numeric,
    /// One argument of any type.
    Any,
    /// One bool argument.
    Bool,
    /// One object (set) argument.
    Set,
}

/// One catalog entry of an aggregator.
#[derive(Clone, Copy, Debug)]
pub struct AggregatorInfo {
    /// Which aggregator.
    pub kind: AggregatorKind,
    /// Its name.
    pub name: &'static str,
    /// What it accepts.
    pub input: AggregatorInput,
    /// Whether it can be kept incrementally by a `define aggregation`.
    pub incremental: bool,
    /// What it computes.
    pub doc: &'static str,
}

/// Every built-in aggregator.
pub const AGGREGATORS: &[AggregatorInfo] = &[
    AggregatorInfo {
        kind: AggregatorKind::Sum,
        name: "sum",
        input: AggregatorInput::Numeric,
        incremental: true,
        doc: "the sum (long for int/long, double for float/double); null when empty",
    },
    AggregatorInfo {
        kind: AggregatorKind::Count,
        name: "count",
        input: AggregatorInput::OptionalAny,
        incremental: true,
        doc: "the number of events (long)",
    },
    AggregatorInfo {
        kind: AggregatorKind::Avg,
        name: "avg",
        input: AggregatorInput::Numeric,
        incremental: true,
        doc: "the mean (double); null when empty",
    },
    AggregatorInfo {
        kind: AggregatorKind::Min,
        name: "min",
        input: AggregatorInput::Numeric,
        incremental: true,
        doc: "the smallest value in the window",
    },
    AggregatorInfo {
        kind: AggregatorKind::Max,
        name: "max",
        input: AggregatorInput::Numeric,
        incremental: true,
        doc: "the largest value in the window",
    },
    AggregatorInfo {
        kind: AggregatorKind::MinForever,
        name: "minForever",
        input: AggregatorInput::Numeric,
        incremental: false,
        doc: "the smallest value ever seen",
    },
    AggregatorInfo {
        kind: AggregatorKind::MaxForever,
        name: "maxForever",
        input: AggregatorInput::Numeric,
        incremental: false,
        doc: "the largest value ever seen",
    },
    AggregatorInfo {
        kind: AggregatorKind::DistinctCount,
        name: "distinctCount",
        input: AggregatorInput::Any,
        incremental: true,
        doc: "the number of distinct values (long)",
    },
    AggregatorInfo {
        kind: AggregatorKind::StdDev,
        name: "stdDev",
        input: AggregatorInput::Numeric,
        incremental: false,
        doc: "the population standard deviation (double)",
    },
    AggregatorInfo {
        kind: AggregatorKind::And,
        name: "and",
        input: AggregatorInput::Bool,
        incremental: false,
        doc: "whether every value is true",
    },
    AggregatorInfo {
        kind: AggregatorKind::Or,
        name: "or",
        input: AggregatorInput::Bool,
        incremental: false,
        doc: "whether some value is true",
    },
    AggregatorInfo {
        kind: AggregatorKind::UnionSet,
        name: "unionSet",
        input: AggregatorInput::Set,
        incremental: false,
        doc: "the union of the sets",
    },
];

/// The catalog entry of aggregator `name`.
pub fn aggregator(name: &str) -> Option<&'static AggregatorInfo> {
    AGGREGATORS.iter().find(|a| a.name == name)
}

impl AggregatorKind {
    /// The aggregator's name.
    pub fn name(self) -> &'static str {
        AGGREGATORS
            .iter()
            .find(|a| a.kind == self)
            .map_or("?", |a| a.name)
    }

    /// The result type for an argument of type `arg` (`None` for `count()`).
    pub fn result_type(self, arg: Option<Type>) -> Type {
        match self {
            AggregatorKind::Sum => match arg {
                Some(Type::Float | Type::Double) => Type::Double,
                _ => Type::Long,
            },
            AggregatorKind::Count | AggregatorKind::DistinctCount => Type::Long,
            AggregatorKind::Avg | AggregatorKind::StdDev => Type::Double,
            AggregatorKind::Min
            | AggregatorKind::Max
            | AggregatorKind::MinForever
            | AggregatorKind::MaxForever => arg.unwrap_or(Type::Double),
            AggregatorKind::And | AggregatorKind::Or => Type::Bool,
            AggregatorKind::UnionSet => Type::Object,
        }
    }
}

/// A built-in window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowKind {
    /// The last N events.
    Length,
    /// Batches of N events.
    LengthBatch,
    /// Events of the last T.
    Time,
    /// Batches of T.
    TimeBatch,
    /// Events of the last T, at most N.
    TimeLength,
    /// Events of the last T by a timestamp attribute.
    ExternalTime,
    /// Batches of T by a timestamp attribute.
    ExternalTimeBatch,
    /// Sessions closed by a gap of T, optionally per key.
    Session,
    /// The N events that sort first.
    Sort,
    /// The events of the N most frequent keys.
    Frequent,
    /// Events of keys above a support threshold.
    LossyFrequent,
    /// Events delayed by T.
    Delay,
    /// Each input chunk (or N events) as a batch.
    Batch,
    /// Events while a condition over the window holds.
    Expression,
    /// Batches closed when a condition over the window stops holding.
    ExpressionBatch,
    /// Batches emitted on a cron schedule.
    Cron,
    /// The latest event per key.
    Unique,
    /// The first event per key.
    FirstUnique,
}

/// The kind of value a window parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A constant int (a count).
    Count,
    /// A non-negative int constant (a length window's size; 0 holds nothing).
    Length,
    /// A duration: a time value or an int/long constant of milliseconds.
    Duration,
    /// A constant int or long (a timestamp).
    Timestamp,
    /// A constant int or long, or a long attribute read from the first event (a start time).
    TimestampOrLongAttribute,
    /// A constant bool.
    Flag,
    /// A constant number (a rate).
    Number,
    /// A constant string.
    Text,
    /// A string holding an EventFluxQL condition over the window.
    Condition,
    /// An attribute of the input.
    Attribute,
    /// A long attribute of the input (a timestamp).
    LongAttribute,
    /// A string attribute of the input (a session key).
    StringAttribute,
}

impl ParamKind {
    /// How the kind is named in messages.
    pub fn describe(self) -> &'static str {
        match self {
            ParamKind::Count => "an int constant",
            ParamKind::Length => "an int constant, 0 or more",
            ParamKind::Duration => "a time value",
            ParamKind::Timestamp => "a long constant",
            ParamKind::TimestampOrLongAttribute => "a long constant or a long attribute",
            ParamKind::Flag => "a bool constant",
            ParamKind::Number => "a numeric constant",
            ParamKind::Text => "a string constant",
            ParamKind::Condition => "a string holding a condition",
            ParamKind::Attribute => "an attribute",
            ParamKind::LongAttribute => "a long attribute",
            ParamKind::StringAttribute => "a string attribute",
        }
    }
}

/// A named window parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// The parameter's name (as in SiddhiQL's docs).
    pub name: &'static str,
    /// What it takes.
    pub kind: ParamKind,
}

const fn p(name: &'static str, kind: ParamKind) -> Param {
    Param { name, kind }
}

/// One catalog entry of a window.
#[derive(Clone, Copy, Debug)]
pub struct WindowInfo {
    /// Which window.
    pub kind: WindowKind,
    /// Its name.
    pub name: &'static str,
    /// The accepted argument lists (the first that matches wins).
    pub signatures: &'static [&'static [Param]],
    /// A parameter that may repeat after the signature (key attributes).
    pub repeated: Option<Param>,
    /// Whether it emits batches (rather than sliding).
    pub batch: bool,
    /// What it keeps.
    pub doc: &'static str,
}

use ParamKind as K;

/// Every built-in window.
pub const WINDOWS: &[WindowInfo] = &[
    WindowInfo {
        kind: WindowKind::Length,
        name: "length",
        signatures: &[&[p("window.length", K::Length)]],
        repeated: None,
        batch: false,
        doc: "the last N events",
    },
    WindowInfo {
        kind: WindowKind::LengthBatch,
        name: "lengthBatch",
        signatures: &[
            &[p("window.length", K::Length)],
            &[
                p("window.length", K::Length),
                p("stream.current.event", K::Flag),
            ],
        ],
        repeated: None,
        batch: true,
        doc: "batches of N events",
    },
    WindowInfo {
        kind: WindowKind::Time,
        name: "time",
        signatures: &[&[p("window.time", K::Duration)]],
        repeated: None,
        batch: false,
        doc: "events of the last T",
    },
    WindowInfo {
        kind: WindowKind::TimeBatch,
        name: "timeBatch",
        signatures: &[
            &[p("window.time", K::Duration)],
            &[
                p("window.time", K::Duration),
                p("stream.current.event", K::Flag),
            ],
            &[p("window.time", K::Duration), p("start.time", K::Timestamp)],
            &[
                p("window.time", K::Duration),
                p("start.time", K::Timestamp),
                p("stream.current.event", K::Flag),
            ],
        ],
        repeated: None,
        batch: true,
        doc: "batches of T, from the first event or a start time",
    },
    WindowInfo {
        kind: WindowKind::TimeLength,
        name: "timeLength",
        signatures: &[&[p("window.time", K::Duration), p("window.length", K::Count)]],
        repeated: None,
        batch: false,
        doc: "events of the last T, at most N",
    },
    WindowInfo {
        kind: WindowKind::ExternalTime,
        name: "externalTime",
        signatures: &[&[
            p("timestamp", K::LongAttribute),
            p("window.time", K::Duration),
        ]],
        repeated: None,
        batch: false,
        doc: "events of the last T by a timestamp attribute",
    },
    WindowInfo {
        kind: WindowKind::ExternalTimeBatch,
        name: "externalTimeBatch",
        signatures: &[
            &[
                p("timestamp", K::LongAttribute),
                p("window.time", K::Duration),
            ],
            &[
                p("timestamp", K::LongAttribute),
                p("window.time", K::Duration),
                p("start.time", K::TimestampOrLongAttribute),
            ],
            &[
                p("timestamp", K::LongAttribute),
                p("window.time", K::Duration),
                p("start.time", K::TimestampOrLongAttribute),
                p("timeout", K::Duration),
            ],
            &[
                p("timestamp", K::LongAttribute),
                p("window.time", K::Duration),
                p("start.time", K::TimestampOrLongAttribute),
                p("timeout", K::Duration),
                p("replace.with.batchtime", K::Flag),
            ],
        ],
        repeated: None,
        batch: true,
        doc: "batches of T by a timestamp attribute",
    },
    WindowInfo {
        kind: WindowKind::Session,
        name: "session",
        signatures: &[
            &[p("window.session", K::Duration)],
            &[
                p("window.session", K::Duration),
                p("window.key", K::StringAttribute),
            ],
            &[
                p("window.session", K::Duration),
                p("window.key", K::StringAttribute),
                p("window.allowed.latency", K::Duration),
            ],
        ],
        repeated: None,
        batch: true,
        doc: "sessions closed by a gap of T, optionally per key",
    },
    WindowInfo {
        kind: WindowKind::Sort,
        name: "sort",
        signatures: &[&[p("window.length", K::Count)]],
        repeated: Some(p("attribute [, 'asc'|'desc']", K::Attribute)),
        batch: false,
        doc: "the N events that sort first by the given attributes",
    },
    WindowInfo {
        kind: WindowKind::Frequent,
        name: "frequent",
        signatures: &[&[p("event.count", K::Count)]],
        repeated: Some(p("attribute", K::Attribute)),
        batch: false,
        doc: "events of the N most frequent keys",
    },
    WindowInfo {
        kind: WindowKind::LossyFrequent,
        name: "lossyFrequent",
        signatures: &[
            &[p("support.threshold", K::Number)],
            &[
                p("support.threshold", K::Number),
                p("error.bound", K::Number),
            ],
        ],
        repeated: Some(p("attribute", K::Attribute)),
        batch: false,
        doc: "events of keys whose frequency passes the support threshold",
    },
    WindowInfo {
        kind: WindowKind::Delay,
        name: "delay",
        signatures: &[&[p("window.delay", K::Duration)]],
        repeated: None,
        batch: false,
        doc: "events released after a delay",
    },
    WindowInfo {
        kind: WindowKind::Batch,
        name: "batch",
        signatures: &[&[], &[p("window.length", K::Count)]],
        repeated: None,
        batch: true,
        doc: "each input chunk (at most N events) as a batch",
    },
    WindowInfo {
        kind: WindowKind::Expression,
        name: "expression",
        signatures: &[&[p("expression", K::Condition)]],
        repeated: None,
        batch: false,
        doc: "events while the condition over the window holds",
    },
    WindowInfo {
        kind: WindowKind::ExpressionBatch,
        name: "expressionBatch",
        signatures: &[
            &[p("expression", K::Condition)],
            &[
                p("expression", K::Condition),
                p("include.triggering.event", K::Flag),
            ],
            &[
                p("expression", K::Condition),
                p("include.triggering.event", K::Flag),
                p("stream.current.event", K::Flag),
            ],
        ],
        repeated: None,
        batch: true,
        doc: "batches closed when the condition over the window stops holding",
    },
    WindowInfo {
        kind: WindowKind::Cron,
        name: "cron",
        signatures: &[&[p("cron.expression", K::Text)]],
        repeated: None,
        batch: true,
        doc: "batches emitted on a cron schedule",
    },
    WindowInfo {
        kind: WindowKind::Unique,
        name: "unique",
        signatures: &[&[p("attribute", K::Attribute)]],
        repeated: Some(p("attribute", K::Attribute)),
        batch: false,
        doc: "the latest event per key",
    },
    WindowInfo {
        kind: WindowKind::FirstUnique,
        name: "firstUnique",
        signatures: &[&[p("attribute", K::Attribute)]],
        repeated: Some(p("attribute", K::Attribute)),
        batch: false,
        doc: "the first event per key",
    },
];

/// The catalog entry of window `name`.
pub fn window(name: &str) -> Option<&'static WindowInfo> {
    WINDOWS.iter().find(|w| w.name == name)
}

impl WindowKind {
    /// The window's catalog entry.
    pub fn info(self) -> &'static WindowInfo {
        WINDOWS
            .iter()
            .find(|w| w.kind == self)
            .expect("every window kind has a catalog entry")
    }
}

impl ScalarFunction {
    /// The function's catalog entry.
    pub fn info(self) -> &'static FunctionInfo {
        FUNCTIONS
            .iter()
            .find(|f| f.function == self)
            .expect("every function has a catalog entry")
    }
}

/// Every name a call may use, for "did you mean" hints.
pub fn all_call_names() -> impl Iterator<Item = String> {
    FUNCTIONS
        .iter()
        .map(|f| match f.namespace {
            Some(ns) => format!("{ns}:{}", f.name),
            None => f.name.to_string(),
        })
        .chain(AGGREGATORS.iter().map(|a| a.name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_reachable_by_name() {
        for f in FUNCTIONS {
            assert_eq!(function(f.namespace, f.name).unwrap().function, f.function);
        }
        for a in AGGREGATORS {
            assert_eq!(aggregator(a.name).unwrap().kind, a.kind);
        }
        for w in WINDOWS {
            assert_eq!(window(w.name).unwrap().kind, w.kind);
            assert_eq!(w.kind.info().name, w.name);
        }
    }
}
