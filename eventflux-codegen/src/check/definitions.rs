//! `define ...` statements, their annotations, and app-level annotations.

use super::expr::{Aggregates, Scope};
use super::{Checker, IdKind, time_text_ms};
use crate::ast::{self, AggregationPeriods, DefinitionKind, Literal, TimeUnit};
use crate::catalog;
use crate::diagnostic::Diagnostic;
use crate::plan::*;
use crate::span::Span;

/// The text of an annotation value.
pub(crate) fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Int(v) => v.to_string(),
        Literal::Long(v) => v.to_string(),
        Literal::Float(v) => v.to_string(),
        Literal::Double(v) => v.to_string(),
        Literal::String(s) => s.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".to_string(),
    }
}

/// An annotation kept as configuration.
pub(crate) fn annotation_config(a: &ast::Annotation) -> AnnotationConfig {
    AnnotationConfig {
        name: a.full_name(),
        options: a
            .elements
            .iter()
            .map(|e| (e.key.clone(), literal_text(&e.value)))
            .collect(),
        nested: a.nested.iter().map(annotation_config).collect(),
    }
}

fn is_true(text: &str) -> bool {
    text.trim().eq_ignore_ascii_case("true")
}

impl Checker {
    /// App-level settings from the `@app:...` annotations.
    pub(crate) fn app_config(&mut self, annotations: &[ast::Annotation]) -> AppConfig {
        let mut config = AppConfig {
            name: "EventFluxApp".to_string(),
            ..AppConfig::default()
        };
        for a in annotations {
            match a.name.name.to_ascii_lowercase().as_str() {
                "name" => match a.elements.first().map(|e| &e.value) {
                    Some(Literal::String(name)) if !name.trim().is_empty() => {
                        config.name = name.clone()
                    }
                    _ => self.err(
                        a.span,
                        "@app:name needs the app's name as a string, such as @app:name('Trading')",
                    ),
                },
                "playback" => {
                    let mut playback = PlaybackConfig::default();
                    for (key, slot) in [
                        ("idle.time", &mut playback.idle_time_ms),
                        ("increment", &mut playback.increment_ms),
                    ] {
                        if let Some(e) = a.element(key) {
                            match time_text_ms(&literal_text(&e.value)) {
                                Some(ms) if ms > 0 => *slot = Some(ms),
                                _ => self.err(
                                    e.span,
                                    format!("@app:playback '{key}' must be a positive time, such as '100 millisec'"),
                                ),
                            }
                        }
                    }
                    config.playback = Some(playback);
                }
                "statistics" => config.statistics = Some(annotation_config(a)),
                "async" => {
                    config.async_default = a
                        .elements
                        .first()
                        .is_none_or(|e| is_true(&literal_text(&e.value)))
                }
                _ => config.other.push(annotation_config(a)),
            }
        }
        config
    }

    /// Registers a definition, reporting conflicts and invalid parts. When it fails, its id is
    /// poisoned so that its readers report nothing more.
    pub(crate) fn definition(&mut self, d: &ast::Definition) {
        let before = self.errors.len();
        self.define(d);
        let name = match &d.kind {
            DefinitionKind::Stream { name, .. }
            | DefinitionKind::Table { name, .. }
            | DefinitionKind::Window { name, .. }
            | DefinitionKind::Trigger { name, .. }
            | DefinitionKind::Aggregation { name, .. }
            | DefinitionKind::Function { name, .. } => name,
        };
        if self.errors.len() > before && self.id_kind(&name.name).is_none() {
            self.poisoned.push(name.name.clone());
        }
    }

    fn define(&mut self, d: &ast::Definition) {
        match &d.kind {
            DefinitionKind::Stream { name, attributes } => {
                let Some(schema) = self.attributes(attributes) else {
                    return;
                };
                if let Some((kind, first)) = self.id_kind(&name.name) {
                    // An identical definition is allowed again, also of a trigger's stream.
                    let same = match kind {
                        IdKind::Stream => self
                            .plan
                            .stream(&name.name)
                            .is_some_and(|s| s.schema == schema),
                        IdKind::Trigger => schema == super::trigger_schema(),
                        _ => false,
                    };
                    if !same {
                        self.already_defined(name, kind, first);
                    }
                    return;
                }
                let info = self.stream_info(name, schema, &d.annotations, d.span);
                if info.on_error == OnErrorAction::Stream {
                    let mut fault = info.schema.clone();
                    fault.attributes.push(Attribute {
                        name: "_error".into(),
                        ty: Type::Object,
                    });
                    self.plan.streams.push(StreamInfo {
                        name: format!("!{}", name.name),
                        schema: fault,
                        kind: StreamKind::Fault {
                            of: name.name.clone(),
                        },
                        async_config: None,
                        on_error: OnErrorAction::Log,
                        sources: Vec::new(),
                        sinks: Vec::new(),
                        span: d.span,
                    });
                }
                self.plan.streams.push(info);
            }
            DefinitionKind::Table { name, attributes } => {
                let Some(schema) = self.attributes(attributes) else {
                    return;
                };
                if let Some((kind, first)) = self.id_kind(&name.name) {
                    // An identical redefinition is allowed (as in Siddhi).
                    let same = kind == IdKind::Table
                        && d.annotations.is_empty()
                        && self.plan.table(&name.name).is_some_and(|t| {
                            t.schema == schema
                                && t.primary_key.is_empty()
                                && t.indexes.is_empty()
                                && t.store.is_none()
                        });
                    if !same {
                        self.already_defined(name, kind, first);
                    }
                    return;
                }
                let mut table = TableInfo {
                    name: name.name.clone(),
                    schema,
                    primary_key: Vec::new(),
                    indexes: Vec::new(),
                    store: None,
                    span: d.span,
                };
                let mut seen: Vec<&str> = Vec::new();
                for a in &d.annotations {
                    for unique in ["PrimaryKey", "Index", "store"] {
                        if a.is(unique) {
                            if seen.contains(&unique) {
                                self.err(
                                    a.span,
                                    format!(
                                        "table '{}' has more than one @{unique} annotation",
                                        name.name
                                    ),
                                );
                            }
                            seen.push(unique);
                        }
                    }
                    if a.is("PrimaryKey") {
                        table.primary_key = self.key_attributes(a, &table);
                    } else if a.is("Index") {
                        table.indexes = self.key_attributes(a, &table);
                    } else if a.is("store") {
                        if a.element("type").is_none() {
                            self.err(a.span, "@store needs a type, such as @store(type='redis')");
                        }
                        table.store = Some(annotation_config(a));
                    }
                }
                self.plan.tables.push(table);
            }
            DefinitionKind::Window {
                name,
                attributes,
                window,
                output,
            } => {
                let Some(schema) = self.attributes(attributes) else {
                    return;
                };
                if let Some((kind, first)) = self.id_kind(&name.name) {
                    self.already_defined(name, kind, first);
                    return;
                }
                let Some(plan) = self.window(window, &name.name, &schema) else {
                    return;
                };
                self.plan.windows.push(NamedWindowInfo {
                    name: name.name.clone(),
                    schema,
                    window: plan,
                    output: output.unwrap_or(EventType::All),
                    span: d.span,
                });
            }
            DefinitionKind::Trigger { name, at } => {
                // Siddhi's grammar takes no annotations before `define trigger`.
                if let Some(a) = d.annotations.first() {
                    self.err(
                        a.span,
                        "syntax error: a trigger definition takes no annotations",
                    );
                    return;
                }
                if let Some((kind, first)) = self.id_kind(&name.name) {
                    // A plain stream defined as the trigger's stream `(triggered_time long)`
                    // becomes the trigger's: its events and the trigger's go to the same readers.
                    let plain = |s: &StreamInfo| {
                        s.name == name.name
                            && s.kind == StreamKind::Defined
                            && s.schema == super::trigger_schema()
                            && s.sources.is_empty()
                            && s.sinks.is_empty()
                            && s.async_config.is_none()
                            && s.on_error == OnErrorAction::Log
                    };
                    match self.plan.streams.iter().position(plain) {
                        Some(i) if kind == IdKind::Stream => {
                            self.plan.streams.remove(i);
                        }
                        _ => {
                            self.already_defined(name, kind, first);
                            return;
                        }
                    }
                }
                let schedule = match at {
                    ast::TriggerAt::Start => TriggerSchedule::Start,
                    ast::TriggerAt::Every(t) => match t.time_millis() {
                        Some(ms) if ms > 0 => TriggerSchedule::Every(ms),
                        _ => {
                            self.err(t.span, "a trigger period must be a positive time");
                            return;
                        }
                    },
                    ast::TriggerAt::Cron(expr, span) => {
                        if let Err(e) = validate_cron(expr) {
                            self.err(*span, format!("invalid cron expression '{expr}': {e}"));
                            return;
                        }
                        TriggerSchedule::Cron(expr.clone())
                    }
                };
                self.plan.triggers.push(TriggerInfo {
                    name: name.name.clone(),
                    schedule,
                    span: d.span,
                });
            }
            DefinitionKind::Aggregation {
                name,
                input,
                selector,
                aggregate_by,
                every,
            } => self.aggregation(d, name, input, selector, aggregate_by.as_ref(), every),
            DefinitionKind::Function {
                name,
                language,
                return_type,
                body,
            } => {
                // The script languages Siddhi has extensions for (`script:<language>`).
                const LANGUAGES: [&str; 4] = ["javascript", "js", "scala", "r"];
                if !LANGUAGES.contains(&language.name.to_ascii_lowercase().as_str()) {
                    self.err(
                        language.span,
                        format!(
                            "function '{}' is written in '{}', which is no known script language (javascript, scala, R)",
                            name.name, language.name
                        ),
                    );
                    return;
                }
                if self.plan.functions.iter().any(|f| f.name == name.name) {
                    self.err(
                        name.span,
                        format!("function '{}' is already defined", name.name),
                    );
                    return;
                }
                self.plan.functions.push(ScriptFunctionInfo {
                    name: name.name.clone(),
                    language: language.name.clone(),
                    return_type: *return_type,
                    body: body.clone(),
                });
            }
        }
    }

    fn already_defined(&mut self, name: &ast::Ident, kind: IdKind, first: Span) {
        self.error(
            Diagnostic::new(
                name.span,
                format!(
                    "'{}' is already defined as a {}",
                    name.name,
                    kind.describe()
                ),
            )
            .with_note(first, "first defined here"),
        );
    }

    /// The schema of an attribute list; duplicate names are errors.
    pub(crate) fn attributes(&mut self, attributes: &[ast::AttributeDef]) -> Option<Schema> {
        let mut schema = Schema::default();
        let mut ok = true;
        for a in attributes {
            if schema.position(&a.name.name).is_some() {
                self.err(
                    a.name.span,
                    format!("attribute '{}' is defined twice", a.name.name),
                );
                ok = false;
            }
            schema.attributes.push(Attribute {
                name: a.name.name.clone(),
                ty: a.ty,
            });
        }
        ok.then_some(schema)
    }

    fn stream_info(
        &mut self,
        name: &ast::Ident,
        schema: Schema,
        annotations: &[ast::Annotation],
        span: Span,
    ) -> StreamInfo {
        let mut info = StreamInfo {
            name: name.name.clone(),
            schema,
            kind: StreamKind::Defined,
            async_config: None,
            on_error: OnErrorAction::Log,
            sources: Vec::new(),
            sinks: Vec::new(),
            span,
        };
        for a in annotations {
            if a.is("Async") {
                let mut config = AsyncConfig::default();
                for (key, slot) in [
                    ("buffer.size", &mut config.buffer_size),
                    ("workers", &mut config.workers),
                    ("batch.size.max", &mut config.batch_size_max),
                ] {
                    if let Some(e) = a.element(key) {
                        match literal_text(&e.value).trim().parse::<usize>() {
                            Ok(n) if n > 0 => *slot = Some(n),
                            _ => self.err(
                                e.span,
                                format!("@Async '{key}' must be a positive whole number"),
                            ),
                        }
                    }
                }
                info.async_config = Some(config);
            } else if a.is("config") {
                if a.element("async")
                    .is_some_and(|e| is_true(&literal_text(&e.value)))
                {
                    info.async_config = Some(AsyncConfig::default());
                }
            } else if a.is("OnError") {
                match a.element("action").map(|e| literal_text(&e.value)) {
                    Some(action) if action.eq_ignore_ascii_case("stream") => {
                        info.on_error = OnErrorAction::Stream
                    }
                    Some(action) if action.eq_ignore_ascii_case("log") => {
                        info.on_error = OnErrorAction::Log
                    }
                    _ => self.err(a.span, "@OnError needs action='LOG' or action='STREAM'"),
                }
            } else if a.is("source") || a.is("sink") {
                if a.element("type").is_none() {
                    self.err(
                        a.span,
                        format!("@{} needs a type, such as type='log'", a.name.name),
                    );
                }
                if a.is("source") {
                    info.sources.push(annotation_config(a));
                } else {
                    info.sinks.push(annotation_config(a));
                }
            }
        }
        if info.async_config.is_none() && self.plan.config.async_default {
            info.async_config = Some(AsyncConfig::default());
        }
        info
    }

    fn key_attributes(&mut self, a: &ast::Annotation, table: &TableInfo) -> Vec<usize> {
        let mut positions = Vec::new();
        if a.elements.is_empty() {
            self.err(
                a.span,
                format!("@{} needs at least one attribute name", a.name.name),
            );
        }
        for e in &a.elements {
            let name = literal_text(&e.value);
            match table.schema.position(&name) {
                Some(p) => positions.push(p),
                None => {
                    let ident = ast::Ident { name, span: e.span };
                    self.unknown_attribute_in(&ident, e.span, "table", &table.name, &table.schema);
                }
            }
        }
        positions
    }

    fn aggregation(
        &mut self,
        d: &ast::Definition,
        name: &ast::Ident,
        input: &ast::SingleInput,
        selector: &ast::Selector,
        aggregate_by: Option<&ast::Expr>,
        every: &AggregationPeriods,
    ) {
        if let Some((kind, first)) = self.id_kind(&name.name) {
            self.already_defined(name, kind, first);
            return;
        }
        let Some(source) = self.single_source(input, None, false) else {
            return;
        };
        if !self.no_added_attributes(&source, input.span, "an aggregation's input") {
            return;
        }
        if source.kind != SourceKind::Stream {
            self.err(
                input.source.name.span,
                format!(
                    "an aggregation reads a stream; '{}' is not a stream",
                    input.source.name.name
                ),
            );
            return;
        }
        if source.window().is_some() {
            self.err(
                input.span,
                "an aggregation cannot have a window on its input",
            );
            return;
        }
        for (clause, present, span) in [
            (
                "having",
                selector.having.is_some(),
                selector.having.as_ref().map(|h| h.span),
            ),
            (
                "order by",
                !selector.order_by.is_empty(),
                selector.order_by.first().map(|o| o.expr.span),
            ),
            (
                "limit",
                selector.limit.is_some(),
                selector.limit.as_ref().map(|l| l.span),
            ),
            (
                "offset",
                selector.offset.is_some(),
                selector.offset.as_ref().map(|o| o.span),
            ),
        ] {
            if present {
                self.err(
                    span.unwrap_or(d.span),
                    format!("'{clause}' is not allowed in an aggregation definition"),
                );
            }
        }
        let scope = Scope::single(&source.name, source.schema.clone(), "select clause");
        let Some((mut select, schema)) = self.selector(selector, scope) else {
            return;
        };
        incremental_averages(&mut select);
        for call in &select.aggregates {
            if !catalog::aggregator(call.kind.name()).is_some_and(|a| a.incremental) {
                self.err(
                    d.span,
                    format!(
                        "aggregate function '{}' cannot be kept incrementally; use sum, count, avg, min, max or distinctCount",
                        call.kind.name()
                    ),
                );
                return;
            }
            // Siddhi's incremental aggregators keep attributes: "Incremental aggregator
            // expected a variable".
            if call
                .args
                .iter()
                .any(|a| !matches!(a.kind, ExprNode::Attr(AttrRef::Input { .. })))
            {
                self.err(
                    d.span,
                    format!(
                        "aggregate function '{}' in an aggregation takes an attribute of '{}', not an expression; compute the value in a query that feeds the aggregation",
                        call.kind.name(),
                        source.name
                    ),
                );
                return;
            }
        }
        let group_by = select
            .group_by
            .iter()
            .filter_map(|g| match g.kind {
                ExprNode::Attr(AttrRef::Input { position, .. }) => Some(position),
                _ => None,
            })
            .collect();
        let timestamp = match aggregate_by {
            None => None,
            Some(e) => {
                let mut scope = Scope::single(&source.name, source.schema.clone(), "aggregate by");
                scope.aggregates = Aggregates::Forbidden("aggregate by");
                match self.expr(e, &mut scope) {
                    // A long holds milliseconds; a string a time as `yyyy-MM-dd HH:mm:ss`
                    // (with an optional UTC offset), as Siddhi's `timestampInMilliseconds`.
                    Some(TypedExpr {
                        kind: ExprNode::Attr(AttrRef::Input { position, .. }),
                        ty: Type::Long | Type::String,
                    }) => Some(position),
                    Some(t) => {
                        self.err(
                            e.span,
                            format!("'aggregate by' needs a long or string attribute holding the event time, found {}", t.ty),
                        );
                        return;
                    }
                    None => return,
                }
            }
        };
        let durations: Vec<TimeUnit> = match every {
            AggregationPeriods::Range(a, b, span) => {
                if a > b {
                    self.err(
                        *span,
                        format!(
                            "'{} ... {}' runs backwards; write the smaller unit first",
                            a.word(),
                            b.word()
                        ),
                    );
                    return;
                }
                TimeUnit::ALL
                    .iter()
                    .copied()
                    .filter(|u| u >= a && u <= b && *u != TimeUnit::Week)
                    .collect()
            }
            AggregationPeriods::List(units) => {
                let mut list: Vec<TimeUnit> = units.iter().map(|(u, _)| *u).collect();
                list.sort();
                list.dedup();
                list
            }
        };
        if let Some(bad) = durations
            .iter()
            .find(|u| matches!(u, TimeUnit::Millisecond | TimeUnit::Week))
        {
            self.err(
                every_span(every),
                format!(
                    "aggregation granularity '{}' is not supported; use sec, min, hour, day, month or year",
                    bad.word()
                ),
            );
            return;
        }
        let Some(purge) = self.purge_annotation(d, &durations) else {
            return;
        };
        let mut agg_schema = Schema::new([("AGG_TIMESTAMP".to_string(), Type::Long)]);
        agg_schema.attributes.extend(schema.attributes);
        self.plan.aggregations.push(AggregationInfo {
            name: name.name.clone(),
            input: source,
            group_by,
            select,
            timestamp,
            durations,
            schema: agg_schema,
            purge,
            span: d.span,
        });
    }
}

impl Checker {
    /// Whether a `@purge` annotation (of an aggregation or a partition) enables purging:
    /// `enable` is `true` (the default) or `false`; anything else is an error (`None`).
    pub(crate) fn purge_enabled(&mut self, purge: &ast::Annotation) -> Option<bool> {
        let Some(e) = purge.element("enable") else {
            return Some(true);
        };
        let value = literal_text(&e.value);
        match value.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.err(
                    e.span,
                    format!("@purge: enable must be true or false, found '{value}'"),
                );
                None
            }
        }
    }

    /// Checks an aggregation's `@purge(enable=..., interval=..., @retentionPeriod(...))` as
    /// Siddhi's `IncrementalDataPurger#init` does (`enable` is true or false; a retention names
    /// a duration the aggregation keeps, and is `all` or at least that duration's minimum) and
    /// gives the purge plan: Siddhi's defaults where the annotation is silent, `Some(None)`
    /// when purging is off, `None` after an error.
    fn purge_annotation(
        &mut self,
        d: &ast::Definition,
        durations: &[TimeUnit],
    ) -> Option<Option<PurgePlan>> {
        let mut plan = PurgePlan {
            interval_ms: 15 * 60_000,
            retention: durations
                .iter()
                .map(|u| (*u, default_retention_ms(*u)))
                .collect(),
        };
        let Some(purge) = d.annotations.iter().find(|a| a.is("purge")) else {
            return Some(Some(plan));
        };
        if !self.purge_enabled(purge)? {
            return Some(None);
        }
        let mut ok = true;
        if let Some(e) = purge.element("interval") {
            let value = literal_text(&e.value);
            match purge_time_ms(&value) {
                Some(ms) if ms > 0 => plan.interval_ms = ms,
                _ => {
                    self.err(
                        e.span,
                        format!("@purge: interval '{value}' is not a time such as '15 min'"),
                    );
                    ok = false;
                }
            }
        }
        let retentions = purge.nested.iter().filter(|a| a.is("retentionPeriod"));
        for e in retentions.flat_map(|r| &r.elements) {
            let key = e.key.clone().unwrap_or_default();
            let value = literal_text(&e.value);
            let Some(unit) = super::query::granularity(&key) else {
                self.err(
                    e.span,
                    format!("@retentionPeriod: '{key}' is not a duration (sec, min, hours, days, months or years)"),
                );
                ok = false;
                continue;
            };
            if !durations.contains(&unit) {
                self.err(
                    e.span,
                    format!(
                        "@retentionPeriod: the aggregation does not keep {} granularity, so it cannot purge it",
                        granularity_name(unit)
                    ),
                );
                ok = false;
                continue;
            }
            let kept = plan.retention.iter_mut().find(|(u, _)| *u == unit);
            if value.eq_ignore_ascii_case("all") {
                if let Some((_, retention)) = kept {
                    *retention = None;
                }
                continue;
            }
            let minimum = minimum_retention_ms(unit);
            match purge_time_ms(&value) {
                Some(ms) if ms >= minimum => {
                    if let Some((_, retention)) = kept {
                        *retention = Some(ms);
                    }
                }
                Some(_) => {
                    self.err(
                        e.span,
                        format!(
                            "@retentionPeriod: a retention of '{value}' for {} granularity is below its minimum of {} minutes",
                            granularity_name(unit),
                            minimum / 60_000
                        ),
                    );
                    ok = false;
                }
                None => {
                    self.err(
                        e.span,
                        format!(
                            "@retentionPeriod: '{value}' is not a time such as '120 sec' or 'all'"
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(Some(plan))
    }
}

/// How long Siddhi keeps a granularity's buckets unless `@retentionPeriod` says (`None`: all).
fn default_retention_ms(unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Second => Some(120_000),
        TimeUnit::Minute => Some(24 * 3_600_000),
        TimeUnit::Hour => Some(30 * 86_400_000),
        TimeUnit::Day => Some(365 * 86_400_000),
        _ => None,
    }
}

/// A `@purge` time such as `'120 sec'` or `'25 h'` in ms (Siddhi's `Expression.Time#timeToLong`:
/// the first number and the first word, a granularity; a month is 30 days, a year 365).
fn purge_time_ms(text: &str) -> Option<i64> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let word: String = text
        .chars()
        .skip_while(|c| c.is_ascii_digit())
        .take_while(|c| !c.is_ascii_digit())
        .collect();
    let n: i64 = digits.parse().ok()?;
    n.checked_mul(super::query::granularity(&word)?.millis())
}

/// A granularity as the `per` clause names it: `seconds` ... `years`.
fn granularity_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "seconds",
        TimeUnit::Minute => "minutes",
        TimeUnit::Hour => "hours",
        TimeUnit::Day => "days",
        TimeUnit::Month => "months",
        _ => "years",
    }
}

/// The shortest retention Siddhi allows for a granularity.
fn minimum_retention_ms(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 120_000,
        TimeUnit::Minute => 120 * 60_000,
        TimeUnit::Hour => 25 * 3_600_000,
        TimeUnit::Day => 32 * 86_400_000,
        TimeUnit::Month => 13 * 30 * 86_400_000,
        _ => 0,
    }
}

fn every_span(every: &AggregationPeriods) -> Span {
    match every {
        AggregationPeriods::Range(_, _, span) => *span,
        AggregationPeriods::List(units) => units
            .first()
            .map(|(_, s)| *s)
            .unwrap_or_default()
            .to(units.last().map(|(_, s)| *s).unwrap_or_default()),
    }
}

/// Checks a cron expression: 5 to 7 fields of cron characters that the `cron` crate (which the
/// runtime schedules with) parses.
pub(crate) fn validate_cron(expr: &str) -> Result<(), String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if !(5..=7).contains(&fields.len()) {
        return Err(format!(
            "expected 5 to 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found {}",
            fields.len()
        ));
    }
    for f in &fields {
        if !f
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "*?/,-#LW".contains(c))
        {
            return Err(format!("field '{f}' has characters cron does not use"));
        }
    }
    <cron::Schedule as std::str::FromStr>::from_str(expr.trim())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Turns each `avg(x)` of an aggregation definition into `sum(x) / count()` (in double):
/// Siddhi's incremental average divides the sum of the values by the count of every event,
/// null values included (`AvgIncrementalAttributeAggregator`: `AGG_SUM / AGG_COUNT`, where
/// `AGG_COUNT` starts at 1 for each event).
fn incremental_averages(select: &mut SelectPlan) {
    for index in 0..select.aggregates.len() {
        let call = &select.aggregates[index];
        if call.kind != catalog::AggregatorKind::Avg {
            continue;
        }
        let sum_ty = catalog::AggregatorKind::Sum.result_type(call.args.first().map(|a| a.ty));
        let count = select.aggregates.len();
        select.aggregates[index] = AggregateCall {
            kind: catalog::AggregatorKind::Sum,
            args: select.aggregates[index].args.clone(),
            ty: sum_ty,
        };
        select.aggregates.push(AggregateCall {
            kind: catalog::AggregatorKind::Count,
            args: Vec::new(),
            ty: Type::Long,
        });
        let average = TypedExpr {
            kind: ExprNode::Arith {
                op: ast::BinaryOp::Div,
                operand: Type::Double,
                lhs: Box::new(TypedExpr {
                    kind: ExprNode::Aggregate(index),
                    ty: sum_ty,
                }),
                rhs: Box::new(TypedExpr {
                    kind: ExprNode::Aggregate(count),
                    ty: Type::Long,
                }),
            },
            ty: Type::Double,
        };
        for (_, item) in &mut select.items {
            item.replace_aggregate(index, &average);
        }
    }
}
