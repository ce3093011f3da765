//! Queries (inputs, joins, selectors, rate limits, outputs) and partitions.

use super::expr::{Aggregates, Scope, ScopeInput};
use super::{Checker, IdKind, time_text_ms, trigger_schema};
use crate::ast::{self, ExprKind, QueryInput, QueryOutput};
use crate::diagnostic::Diagnostic;
use crate::plan::*;
use crate::span::Span;

impl Checker {
    /// Checks one query (inside partition `partition`, if any) and adds it to the plan.
    pub(crate) fn query(&mut self, q: &ast::Query, partition: Option<usize>) {
        self.query_count += 1;
        let name = self.query_name(q);
        let (input, inputs) = match &q.input {
            QueryInput::Single(input) => match self.single_source(input, partition, false) {
                Some(source) => {
                    let scope_input = ScopeInput {
                        reference: input
                            .alias
                            .as_ref()
                            .map_or(source.name.clone(), |a| a.name.clone()),
                        hidden: input.alias.as_ref().map(|_| source.name.clone()),
                        inner: input.source.inner && input.alias.is_none(),
                        schema: source.schema.clone(),
                        slot: false,
                    };
                    (Some(InputPlan::Single(source)), vec![scope_input])
                }
                None => (None, Vec::new()),
            },
            QueryInput::Join(join) => match self.join(join, partition) {
                Some((plan, inputs)) => (Some(InputPlan::Join(Box::new(plan))), inputs),
                None => (None, Vec::new()),
            },
            QueryInput::State(state) => match self.state_input(state, partition) {
                Some((plan, inputs)) => (Some(InputPlan::State(plan)), inputs),
                None => (None, Vec::new()),
            },
        };
        let Some(input) = input else {
            self.poison_output(&q.output);
            return;
        };
        let Some((select, schema)) =
            self.selector(&q.selector, Scope::new(inputs, "select clause"))
        else {
            self.poison_output(&q.output);
            return;
        };
        let rate = q.output_rate.as_ref().and_then(|r| self.rate(r));
        let Some(output) =
            self.output(&q.output, &schema, partition, q.output_rate.as_ref(), &name)
        else {
            return;
        };
        self.plan.queries.push(QueryPlan {
            name,
            partition,
            input,
            select,
            rate,
            output,
            output_schema: schema,
            span: q.span,
        });
    }

    fn query_name(&mut self, q: &ast::Query) -> String {
        let info = q.annotations.iter().find(|a| a.is("info"));
        let Some(element) = info.and_then(|a| a.element("name")) else {
            return format!("query_{}", self.query_count);
        };
        let name = super::definitions::literal_text(&element.value);
        if self.plan.queries.iter().any(|p| p.name == name) || self.query_names_seen.contains(&name)
        {
            self.err(
                element.span,
                format!("query name '{name}' is already used by another query"),
            );
        }
        self.query_names_seen.push(name.clone());
        name
    }

    /// Marks the stream a failed query would have defined, so readers do not report it again.
    fn poison_output(&mut self, output: &QueryOutput) {
        if let QueryOutput::Insert { target, .. } = output {
            self.poisoned.push(target.name.name.clone());
        }
    }

    /// Resolves a source and checks its handlers. Tables and aggregations are accepted only
    /// where `stored` (join sides).
    pub(crate) fn single_source(
        &mut self,
        input: &ast::SingleInput,
        partition: Option<usize>,
        stored: bool,
    ) -> Option<SourcePlan> {
        let id = &input.source.name;
        let (kind, mut schema) = if input.source.inner {
            if partition.is_none() {
                self.err(
                    id.span,
                    format!(
                        "inner stream '#{}' can be used only inside a partition",
                        id.name
                    ),
                );
                return None;
            }
            match self.stream_index(&id.name, partition, true) {
                Some(i) => (SourceKind::InnerStream, self.plan.streams[i].schema.clone()),
                None => {
                    if !self.poisoned.contains(&id.name) {
                        self.err(
                            id.span,
                            format!("inner stream '#{}' is not defined: insert into it from an earlier query of this partition", id.name),
                        );
                    }
                    return None;
                }
            }
        } else if input.source.fault {
            let fault_name = format!("!{}", id.name);
            match self.plan.stream(&fault_name) {
                Some(s) => (SourceKind::FaultStream, s.schema.clone()),
                None => {
                    if self.plan.stream(&id.name).is_some() {
                        self.error(
                            Diagnostic::new(
                                id.span,
                                format!("stream '{}' has no fault stream", id.name),
                            )
                            .with_hint("add @OnError(action='STREAM') to its definition"),
                        );
                    } else {
                        self.undefined("stream", id);
                    }
                    return None;
                }
            }
        } else {
            match self.id_kind(&id.name) {
                Some((IdKind::Stream, _)) => (
                    SourceKind::Stream,
                    self.plan.stream(&id.name)?.schema.clone(),
                ),
                Some((IdKind::Window, _)) => (
                    SourceKind::Window,
                    self.plan
                        .windows
                        .iter()
                        .find(|w| w.name == id.name)?
                        .schema
                        .clone(),
                ),
                Some((IdKind::Trigger, _)) => (SourceKind::Trigger, trigger_schema()),
                Some((IdKind::Table, _)) if stored => {
                    (SourceKind::Table, self.plan.table(&id.name)?.schema.clone())
                }
                Some((IdKind::Aggregation, _)) if stored => (
                    SourceKind::Aggregation,
                    self.plan
                        .aggregations
                        .iter()
                        .find(|a| a.name == id.name)?
                        .schema
                        .clone(),
                ),
                Some((kind @ (IdKind::Table | IdKind::Aggregation), _)) => {
                    self.error(
                        Diagnostic::new(
                            id.span,
                            format!(
                                "{} '{}' cannot be the input of a query on its own",
                                kind.describe(),
                                id.name
                            ),
                        )
                        .with_hint(format!(
                            "join it with a stream{}",
                            if kind == IdKind::Table {
                                ", or test rows with 'in'"
                            } else {
                                ""
                            }
                        )),
                    );
                    return None;
                }
                None => {
                    self.undefined("stream", id);
                    return None;
                }
            }
        };
        let mut handlers = Vec::new();
        let mut ok = true;
        let reference = input.alias.as_ref().map_or(id.name.as_str(), |a| &a.name);
        for handler in &input.handlers {
            match handler {
                ast::Handler::Filter(cond) => {
                    let mut scope = Scope::single(reference, schema.clone(), "filter");
                    match self.condition(cond, &mut scope, "a filter") {
                        Some(c) => handlers.push(HandlerPlan::Filter(c)),
                        None => ok = false,
                    }
                }
                ast::Handler::Window(call) => {
                    if handlers.iter().any(|h| matches!(h, HandlerPlan::Window(_))) {
                        self.err(call.span, "an input can have only one window");
                        ok = false;
                        continue;
                    }
                    if matches!(
                        kind,
                        SourceKind::Window | SourceKind::Table | SourceKind::Aggregation
                    ) {
                        self.err(
                            call.span,
                            format!(
                                "'{}' is a {} and cannot take a window",
                                id.name,
                                match kind {
                                    SourceKind::Window => "named window",
                                    SourceKind::Table => "table",
                                    _ => "aggregation",
                                }
                            ),
                        );
                        ok = false;
                        continue;
                    }
                    match self.window(call, reference, &schema) {
                        Some(w) => handlers.push(HandlerPlan::Window(w)),
                        None => ok = false,
                    }
                }
                ast::Handler::Function(call) => {
                    if call.namespace.is_none() && call.name.name == "log" {
                        let mut scope = Scope::single(reference, schema.clone(), "stream function");
                        let args: Option<Vec<TypedExpr>> =
                            call.args.iter().map(|a| self.expr(a, &mut scope)).collect();
                        // log([priority,] [message,] [is.event.logged]): strings, then
                        // optionally a bool last (as in Siddhi).
                        let misplaced = args.as_ref().and_then(|args| {
                            args.iter().enumerate().find(|(i, a)| {
                                let last = i + 1 == args.len();
                                !(a.ty == Type::String || (last && a.ty == Type::Bool))
                            })
                        });
                        if let Some((i, a)) = misplaced {
                            self.err(
                                call.args[i].span,
                                format!(
                                    "stream function 'log' takes string arguments (priority, message) and optionally a bool last (is.event.logged), found {} as argument {}",
                                    a.ty,
                                    i + 1
                                ),
                            );
                            ok = false;
                            continue;
                        }
                        if let Some(args) = &args
                            && let Some((span, message)) = log_arguments_problem(&call.args, args)
                        {
                            self.err(span, message);
                            ok = false;
                            continue;
                        }
                        match args {
                            Some(args) if args.len() <= 3 => handlers
                                .push(HandlerPlan::Function(StreamFunctionPlan::Log { args })),
                            Some(_) => {
                                self.err(call.span, "stream function 'log' takes at most 3 arguments: log([priority,] [message,] [is.event.logged])");
                                ok = false;
                            }
                            None => ok = false,
                        }
                    } else if call.namespace.is_none() && call.name.name == "pol2Cart" {
                        let mut scope = Scope::single(reference, schema.clone(), "stream function");
                        match self.pol2cart(call, &mut scope, &schema) {
                            Some((plan, added)) => {
                                handlers.push(HandlerPlan::Function(plan));
                                schema.attributes.extend(added);
                            }
                            None => ok = false,
                        }
                    } else {
                        let full = match &call.namespace {
                            Some(ns) => format!("{}:{}", ns.name, call.name.name),
                            None => call.name.name.clone(),
                        };
                        self.error(
                            Diagnostic::new(call.span, format!("unknown stream function '#{full}'"))
                                .with_hint("the built-in stream function is #log(...); windows are written #window.name(...)"),
                        );
                        ok = false;
                    }
                }
            }
        }
        ok.then_some(SourcePlan {
            kind,
            name: id.name.clone(),
            handlers,
            schema,
        })
    }

    fn join(
        &mut self,
        j: &ast::JoinInput,
        partition: Option<usize>,
    ) -> Option<(JoinPlan, Vec<ScopeInput>)> {
        let left = self.single_source(&j.left.input, partition, true);
        let right = self.single_source(&j.right.input, partition, true);
        let (left, right) = (left?, right?);
        let left_ok = self.no_added_attributes(&left, j.left.input.span, "a join side");
        if !(self.no_added_attributes(&right, j.right.input.span, "a join side") && left_ok) {
            return None;
        }
        if j.left.unidirectional && j.right.unidirectional {
            self.err(
                j.right.input.span,
                "syntax error: 'unidirectional' may be given on one side of a join only",
            );
            return None;
        }
        let reference = |side: &ast::JoinSide, source: &SourcePlan| {
            side.input
                .alias
                .as_ref()
                .map_or(source.name.clone(), |a| a.name.clone())
        };
        let (lref, rref) = (reference(&j.left, &left), reference(&j.right, &right));
        if lref == rref {
            self.error(
                Diagnostic::new(
                    j.right.input.span,
                    format!("both sides of the join are called '{lref}'"),
                )
                .with_hint("give each side its own alias, such as 'as a' and 'as b'"),
            );
            return None;
        }
        for (side, source) in [(&j.left, &left), (&j.right, &right)] {
            if side.unidirectional
                && !matches!(
                    source.kind,
                    SourceKind::Stream
                        | SourceKind::InnerStream
                        | SourceKind::Window
                        | SourceKind::Trigger
                )
            {
                self.err(
                    side.input.span,
                    format!(
                        "'unidirectional' applies to a stream or a window; '{}' is neither",
                        source.name
                    ),
                );
                return None;
            }
        }
        let stored = |k: SourceKind| matches!(k, SourceKind::Table | SourceKind::Aggregation);
        if stored(left.kind) && stored(right.kind) {
            self.err(
                j.span,
                format!(
                    "both inputs of the join, '{}' and '{}', are tables or aggregations: a join needs at least one side that is a stream or a window",
                    left.name, right.name
                ),
            );
            return None;
        }
        let aggregation = [&left, &right]
            .into_iter()
            .any(|s| s.kind == SourceKind::Aggregation);
        if aggregation && j.per.is_none() {
            self.err(
                j.span,
                "a join with an aggregation needs 'per' with the granularity to read, such as per 'minutes'",
            );
            return None;
        }
        if !aggregation && (j.within.is_some() || j.per.is_some()) {
            self.err(
                j.span,
                "'within' and 'per' are for joins with an aggregation only",
            );
            return None;
        }
        let hidden = |side: &ast::JoinSide, source: &SourcePlan| {
            side.input.alias.as_ref().map(|_| source.name.clone())
        };
        let inputs = vec![
            ScopeInput {
                reference: lref.clone(),
                hidden: hidden(&j.left, &left),
                inner: j.left.input.source.inner && j.left.input.alias.is_none(),
                schema: left.schema.clone(),
                slot: false,
            },
            ScopeInput {
                reference: rref.clone(),
                hidden: hidden(&j.right, &right),
                inner: j.right.input.source.inner && j.right.input.alias.is_none(),
                schema: right.schema.clone(),
                slot: false,
            },
        ];
        let mut scope = Scope::new(inputs.clone(), "join condition");
        let on = match &j.on {
            Some(cond) => Some(self.condition(cond, &mut scope, "the join condition")?),
            None => None,
        };
        let within = match &j.within {
            Some((start, end)) => {
                let start = self.within_bound(start, end.is_none(), &mut scope)?;
                let end = match end {
                    Some(e) => Some(self.within_bound(e, false, &mut scope)?),
                    None => None,
                };
                Some((start, end))
            }
            None => None,
        };
        let per = match &j.per {
            Some(p) => {
                let typed = self.expr(p, &mut scope)?;
                if typed.ty != Type::String {
                    self.err(
                        p.span,
                        format!("'per' needs a string such as 'seconds', found {}", typed.ty),
                    );
                    return None;
                }
                if let Some(Value::String(text)) = typed.const_value()
                    && granularity(&text).is_none()
                {
                    self.err(
                        p.span,
                        format!("'per' granularity '{text}' is not one of seconds, minutes, hours, days, months, years"),
                    );
                    return None;
                }
                Some(typed)
            }
            None => None,
        };
        Some((
            JoinPlan {
                kind: j.kind,
                left: JoinSidePlan {
                    source: left,
                    reference: lref,
                    unidirectional: j.left.unidirectional,
                },
                right: JoinSidePlan {
                    source: right,
                    reference: rref,
                    unidirectional: j.right.unidirectional,
                },
                on,
                within,
                per,
            },
            inputs,
        ))
    }

    /// A bound of a join's `within` on an aggregation: a single `within` takes a date string
    /// (possibly with `**` fields), each of two bounds a long timestamp or a date string (as
    /// Siddhi's `IncrementalStartTimeEndTimeFunctionExecutor` requires; an int is refused).
    fn within_bound(
        &mut self,
        e: &ast::Expr,
        single: bool,
        scope: &mut Scope,
    ) -> Option<TypedExpr> {
        let typed = self.expr(e, scope)?;
        let fits = match single {
            true => typed.ty == Type::String,
            false => matches!(typed.ty, Type::Long | Type::String),
        };
        if !fits {
            let needs = match single {
                true => "a single 'within' needs a date string such as \"2017-06-** **:**:**\"",
                false => {
                    "each 'within' bound needs a long timestamp (such as 1496200000000L) or a date string"
                }
            };
            self.err(e.span, format!("{needs}, found {}", typed.ty));
            return None;
        }
        Some(typed)
    }

    /// Checks a selector over `scope`; returns the select plan and the output schema.
    pub(crate) fn selector(
        &mut self,
        sel: &ast::Selector,
        mut scope: Scope,
    ) -> Option<(SelectPlan, Schema)> {
        scope.aggregates = Aggregates::Collected;
        let mut items: Vec<(String, TypedExpr)> = Vec::new();
        let mut ok = true;
        match &sel.select {
            None | Some(ast::SelectList::Star(_)) => {
                for (i, input) in scope.inputs.iter().enumerate() {
                    for (p, a) in input.schema.attributes.iter().enumerate() {
                        if items.iter().any(|(n, _)| *n == a.name) {
                            let span = match &sel.select {
                                Some(ast::SelectList::Star(s)) => *s,
                                _ => Span::default(),
                            };
                            self.error(
                                Diagnostic::new(
                                    span,
                                    format!("'select *' would output attribute '{}' twice", a.name),
                                )
                                .with_hint("list the attributes to select, renaming with 'as'"),
                            );
                            return None;
                        }
                        items.push((
                            a.name.clone(),
                            TypedExpr {
                                kind: ExprNode::Attr(AttrRef::Input {
                                    input: i,
                                    index: None,
                                    position: p,
                                }),
                                ty: a.ty,
                            },
                        ));
                    }
                }
            }
            Some(ast::SelectList::Items(list)) => {
                for item in list {
                    let typed = self.expr(&item.expr, &mut scope);
                    let name = match (&item.alias, &item.expr.kind) {
                        (Some(alias), _) => Some((alias.name.clone(), alias.span)),
                        (None, ExprKind::Attribute { name, .. }) => {
                            Some((name.name.clone(), name.span))
                        }
                        (None, _) => {
                            self.error(
                                Diagnostic::new(
                                    item.expr.span,
                                    "syntax error: a selected expression needs a name",
                                )
                                .with_hint("add 'as <name>'"),
                            );
                            ok = false;
                            None
                        }
                    };
                    if let Some((name, span)) = name {
                        if items.iter().any(|(n, _)| *n == name) {
                            self.err(span, format!("output attribute '{name}' is selected twice"));
                            ok = false;
                        }
                        match typed {
                            Some(t) => items.push((name, t)),
                            None => ok = false,
                        }
                    } else if typed.is_none() {
                        ok = false;
                    }
                }
            }
        }
        let schema = Schema::new(items.iter().map(|(n, t)| (n.clone(), t.ty)));
        scope.aggregates = Aggregates::Forbidden("group by");
        let mut group_by = Vec::new();
        for g in &sel.group_by {
            match self.expr(g, &mut scope) {
                Some(
                    t @ TypedExpr {
                        kind: ExprNode::Attr(_),
                        ..
                    },
                ) => group_by.push(t),
                Some(_) => {
                    self.err(g.span, "'group by' takes attributes of the input");
                    ok = false;
                }
                None => ok = false,
            }
        }
        let aggregates = std::mem::take(&mut scope.collected);
        // `having` reads the select clause's attributes; in a join or a pattern also the
        // inputs (qualified, or unqualified names the select does not output), as in Siddhi.
        let several = scope.inputs.len() > 1 || scope.inputs.iter().any(|i| i.slot);
        let inputs = if several {
            scope.inputs.clone()
        } else {
            Vec::new()
        };
        let mut out_scope = Scope::new(inputs, "having");
        out_scope.output = Some(schema.clone());
        let having = match &sel.having {
            Some(h) => match self.condition(h, &mut out_scope, "'having'") {
                Some(c) => Some(c),
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let mut order_by = Vec::new();
        for o in &sel.order_by {
            let position = match &o.expr.kind {
                ExprKind::Attribute { name, .. } => schema.position(&name.name),
                _ => None,
            };
            match position {
                Some(p) => order_by.push((p, o.order.unwrap_or(SortOrder::Asc))),
                None => {
                    let what = match &o.expr.kind {
                        ExprKind::Attribute { name, .. } => format!("'{}' is not one", name.name),
                        _ => "not an expression".to_string(),
                    };
                    let mut d = Diagnostic::new(
                        o.expr.span,
                        format!("'order by' takes attributes of the select clause: {what}"),
                    );
                    if let ExprKind::Attribute { name, .. } = &o.expr.kind
                        && let Some(s) = super::suggest(&name.name, schema.names())
                    {
                        d = d.with_hint(format!("did you mean '{s}'?"));
                    }
                    self.error(d);
                    ok = false;
                }
            }
        }
        let limit = sel.limit.as_ref().and_then(|l| {
            let v = self.count_constant(l, "limit");
            ok &= v.is_some();
            v
        });
        let offset = sel.offset.as_ref().and_then(|o| {
            let v = self.count_constant(o, "offset");
            ok &= v.is_some();
            v
        });
        ok.then_some((
            SelectPlan {
                items,
                aggregates,
                group_by,
                having,
                order_by,
                limit,
                offset,
            },
            schema,
        ))
    }

    fn count_constant(&mut self, e: &ast::Expr, clause: &str) -> Option<u64> {
        match self.constant(e).and_then(|c| c.const_value()) {
            Some(Value::Int(n)) if n >= 0 => Some(n as u64),
            Some(Value::Long(n)) if n >= 0 => Some(n as u64),
            Some(v) => {
                self.err(
                    e.span,
                    format!("'{clause}' needs a non-negative whole number, found {v}"),
                );
                None
            }
            None => {
                self.err(e.span, format!("'{clause}' needs a constant whole number"));
                None
            }
        }
    }

    fn rate(&mut self, r: &ast::OutputRate) -> Option<RatePlan> {
        match r {
            ast::OutputRate::Events { mode, count, .. } => {
                let n = self.count_constant(count, "output every")?;
                if n == 0 {
                    self.err(count.span, "'output every' needs at least 1 event");
                    return None;
                }
                Some(RatePlan::Events {
                    mode: mode.unwrap_or(RateMode::All),
                    count: n,
                })
            }
            ast::OutputRate::Time { mode, period, .. } => Some(RatePlan::Time {
                mode: mode.unwrap_or(RateMode::All),
                period_ms: self.period(period)?,
            }),
            ast::OutputRate::Snapshot { period, .. } => Some(RatePlan::Snapshot {
                period_ms: self.period(period)?,
            }),
        }
    }

    fn period(&mut self, e: &ast::Expr) -> Option<i64> {
        match e.time_millis() {
            Some(ms) if ms > 0 => Some(ms),
            _ => {
                self.err(e.span, "the period must be a positive time such as 1 sec");
                None
            }
        }
    }

    fn output(
        &mut self,
        output: &QueryOutput,
        schema: &Schema,
        partition: Option<usize>,
        rate: Option<&ast::OutputRate>,
        query: &str,
    ) -> Option<OutputPlan> {
        let snapshot = matches!(rate, Some(ast::OutputRate::Snapshot { .. }));
        let events =
            |this: &mut Checker, events: Option<EventType>, span: Span| -> Option<EventType> {
                match (snapshot, events) {
                    (true, None | Some(EventType::All)) => Some(EventType::All),
                    (true, Some(e)) => {
                        this.err(
                            span,
                            format!(
                                "'output snapshot' can only insert all events, not {} events",
                                if e == EventType::Current {
                                    "current"
                                } else {
                                    "expired"
                                }
                            ),
                        );
                        None
                    }
                    (false, e) => Some(e.unwrap_or(EventType::Current)),
                }
            };
        match output {
            QueryOutput::Insert {
                events: ev,
                target,
                span,
            } => {
                let events = events(self, *ev, *span)?;
                let id = &target.name;
                if target.fault {
                    self.err(
                        id.span,
                        format!("cannot insert into the fault stream '!{}'", id.name),
                    );
                    return None;
                }
                if target.inner {
                    let Some(p) = partition else {
                        self.err(
                            id.span,
                            format!(
                                "inner stream '#{}' can be used only inside a partition",
                                id.name
                            ),
                        );
                        return None;
                    };
                    match self.stream_index(&id.name, partition, true) {
                        Some(i) => {
                            let existing = self.plan.streams[i].schema.clone();
                            self.compatible(
                                schema,
                                &existing,
                                &format!("inner stream '#{}'", id.name),
                                true,
                                *span,
                                query,
                            )?;
                        }
                        None => self.plan.streams.push(StreamInfo {
                            name: id.name.clone(),
                            schema: schema.clone(),
                            kind: StreamKind::Inner { partition: p },
                            async_config: None,
                            on_error: OnErrorAction::Log,
                            sources: Vec::new(),
                            sinks: Vec::new(),
                            span: *span,
                        }),
                    }
                    return Some(OutputPlan::Insert {
                        target: InsertTarget::InnerStream(id.name.clone()),
                        events,
                    });
                }
                let target = match self.id_kind(&id.name) {
                    Some((IdKind::Stream, _)) => {
                        let existing = self.plan.stream(&id.name)?.schema.clone();
                        self.compatible(
                            schema,
                            &existing,
                            &format!("stream '{}'", id.name),
                            true,
                            *span,
                            query,
                        )?;
                        InsertTarget::Stream(id.name.clone())
                    }
                    Some((IdKind::Table, _)) => {
                        let existing = self.plan.table(&id.name)?.schema.clone();
                        self.compatible(
                            schema,
                            &existing,
                            &format!("table '{}'", id.name),
                            true,
                            *span,
                            query,
                        )?;
                        InsertTarget::Table(id.name.clone())
                    }
                    Some((IdKind::Window, _)) => {
                        let existing = self
                            .plan
                            .windows
                            .iter()
                            .find(|w| w.name == id.name)?
                            .schema
                            .clone();
                        self.compatible(
                            schema,
                            &existing,
                            &format!("window '{}'", id.name),
                            false,
                            *span,
                            query,
                        )?;
                        InsertTarget::Window(id.name.clone())
                    }
                    Some((kind, _)) => {
                        self.err(
                            id.span,
                            format!("cannot insert into {} '{}'", kind.describe(), id.name),
                        );
                        return None;
                    }
                    None => {
                        self.plan.streams.push(StreamInfo {
                            name: id.name.clone(),
                            schema: schema.clone(),
                            kind: StreamKind::Inferred,
                            async_config: self.plan.config.async_default.then(AsyncConfig::default),
                            on_error: OnErrorAction::Log,
                            sources: Vec::new(),
                            sinks: Vec::new(),
                            span: id.span,
                        });
                        InsertTarget::Stream(id.name.clone())
                    }
                };
                Some(OutputPlan::Insert { target, events })
            }
            QueryOutput::Delete {
                target,
                events: ev,
                on,
                span,
            } => {
                let events = events(self, *ev, *span)?;
                let table = self.output_table(target)?;
                let on = self.table_condition(on, schema, &table)?;
                Some(OutputPlan::Delete {
                    table: table.name,
                    events,
                    on,
                })
            }
            QueryOutput::Update {
                target,
                events: ev,
                set,
                on,
                span,
            }
            | QueryOutput::UpdateOrInsert {
                target,
                events: ev,
                set,
                on,
                span,
            } => {
                let events = events(self, *ev, *span)?;
                let table = self.output_table(target)?;
                let upsert = matches!(output, QueryOutput::UpdateOrInsert { .. });
                if upsert {
                    self.compatible(
                        schema,
                        &table.schema,
                        &format!("table '{}'", table.name),
                        true,
                        *span,
                        query,
                    )?;
                }
                let on_typed = self.table_condition(on, schema, &table);
                let set = self.assignments(set, schema, &table, *span);
                let (on, set) = (on_typed?, set?);
                let name = table.name;
                Some(if upsert {
                    OutputPlan::UpdateOrInsert {
                        table: name,
                        events,
                        set,
                        on,
                    }
                } else {
                    OutputPlan::Update {
                        table: name,
                        events,
                        set,
                        on,
                    }
                })
            }
            QueryOutput::Return { events: ev, span } => Some(OutputPlan::Return {
                events: events(self, *ev, *span)?,
            }),
        }
    }

    fn output_table(&mut self, target: &ast::Ident) -> Option<TableInfo> {
        match self.plan.table(&target.name) {
            Some(t) => Some(t.clone()),
            None => {
                self.undefined("table", target);
                None
            }
        }
    }

    fn table_scope(&self, schema: &Schema, table: &TableInfo, clause: &'static str) -> Scope {
        let mut scope = Scope::new(Vec::new(), clause);
        scope.output = Some(schema.clone());
        scope.table = Some((table.name.clone(), table.schema.clone()));
        scope
    }

    fn table_condition(
        &mut self,
        on: &ast::Expr,
        schema: &Schema,
        table: &TableInfo,
    ) -> Option<TypedExpr> {
        let mut scope = self.table_scope(schema, table, "table condition");
        self.condition(on, &mut scope, "the 'on' condition")
    }

    fn assignments(
        &mut self,
        set: &[ast::SetAssignment],
        schema: &Schema,
        table: &TableInfo,
        span: Span,
    ) -> Option<Vec<(usize, TypedExpr)>> {
        let mut out = Vec::new();
        if set.is_empty() {
            for (p, a) in schema.attributes.iter().enumerate() {
                match table.schema.position(&a.name) {
                    Some(tp) if table.schema.attributes[tp].ty != a.ty => {
                        self.err(
                            span,
                            format!(
                                "the query selects '{}' as {}, table '{}' has {} for it",
                                a.name, a.ty, table.name, table.schema.attributes[tp].ty
                            ),
                        );
                        return None;
                    }
                    Some(tp) => out.push((
                        tp,
                        TypedExpr {
                            kind: ExprNode::Attr(AttrRef::Output { position: p }),
                            ty: a.ty,
                        },
                    )),
                    None => {
                        self.err(
                            span,
                            format!(
                                "the query selects '{}', which is not an attribute of table '{}'",
                                a.name, table.name
                            ),
                        );
                        return None;
                    }
                }
            }
            return Some(out);
        }
        let mut ok = true;
        for assignment in set {
            let ExprKind::Attribute { qualifier, name } = &assignment.target.kind else {
                self.err(assignment.target.span, "'set' assigns to a table attribute");
                ok = false;
                continue;
            };
            if let Some(q) = qualifier
                && q.name.name != table.name
            {
                self.err(
                    q.name.span,
                    format!(
                        "'set' assigns to attributes of table '{}', not of '{}'",
                        table.name, q.name.name
                    ),
                );
                ok = false;
                continue;
            }
            let Some(tp) = table.schema.position(&name.name) else {
                self.unknown_attribute_in(
                    name,
                    assignment.target.span,
                    "table",
                    &table.name,
                    &table.schema,
                );
                ok = false;
                continue;
            };
            let mut scope = self.table_scope(schema, table, "'set' value");
            let Some(value) = self.expr(&assignment.value, &mut scope) else {
                ok = false;
                continue;
            };
            let target_ty = table.schema.attributes[tp].ty;
            if !assignable(value.ty, target_ty)
                && !matches!(value.kind, ExprNode::Const(Value::Null))
            {
                self.err(
                    assignment.value.span,
                    format!(
                        "cannot assign {} to '{}' ({target_ty}) of table '{}'",
                        value.ty, name.name, table.name
                    ),
                );
                ok = false;
                continue;
            }
            // Siddhi keeps one value per attribute (a map by position): the last one written.
            out.retain(|(position, _)| *position != tp);
            out.push((tp, value));
        }
        // As Siddhi applies them: in attribute order, each on the row the ones before changed.
        out.sort_by_key(|(position, _)| *position);
        ok.then_some(out)
    }

    /// Checks that a query's rows fit an existing target: by name and exact type (`by_name`:
    /// streams and tables, as Siddhi compares definitions), by position and assignable type
    /// otherwise.
    fn compatible(
        &mut self,
        out: &Schema,
        target: &Schema,
        what: &str,
        by_name: bool,
        span: Span,
        query: &str,
    ) -> Option<()> {
        let problem = if out.attributes.len() != target.attributes.len() {
            Some(format!(
                "it has {} attributes {out}, {what} has {} {target}",
                out.attributes.len(),
                target.attributes.len()
            ))
        } else {
            out.attributes
                .iter()
                .zip(&target.attributes)
                .enumerate()
                .find_map(|(i, (o, t))| {
                    if by_name && o.name != t.name {
                        Some(format!(
                            "attribute {} is '{}', {what} has '{}'",
                            i + 1,
                            o.name,
                            t.name
                        ))
                    } else if !assignable(o.ty, t.ty) || (by_name && o.ty != t.ty) {
                        Some(format!(
                            "attribute '{}' is {}, {what} has {} for '{}'",
                            o.name, o.ty, t.ty, t.name
                        ))
                    } else {
                        None
                    }
                })
        };
        match problem {
            Some(p) => {
                self.err(
                    span,
                    format!("the output of query '{query}' does not match {what}: {p}"),
                );
                None
            }
            None => Some(()),
        }
    }

    /// Checks a partition and its queries.
    pub(crate) fn partition(&mut self, p: &ast::Partition) {
        let index = self.plan.partitions.len();
        // Queries and partitions share one name space (Siddhi's `SiddhiApp#addPartition`).
        if let Some(element) = p
            .annotations
            .iter()
            .find(|a| a.is("info"))
            .and_then(|a| a.element("name"))
        {
            let name = super::definitions::literal_text(&element.value);
            if self.query_names_seen.contains(&name) {
                self.err(
                    element.span,
                    format!(
                        "partition name '{name}' is already used by another query or partition"
                    ),
                );
            }
            self.query_names_seen.push(name);
        }
        let mut keys = Vec::new();
        let mut ok = true;
        for key in &p.keys {
            let stream = match key {
                ast::PartitionKey::Value { stream, .. }
                | ast::PartitionKey::Range { stream, .. } => stream,
            };
            if keys
                .iter()
                .any(|k: &PartitionKeyPlan| k.stream == stream.name)
            {
                self.err(
                    stream.span,
                    format!("stream '{}' is partitioned twice", stream.name),
                );
                ok = false;
                continue;
            }
            let schema = match self.id_kind(&stream.name) {
                Some((IdKind::Stream, _)) => {
                    self.plan.stream(&stream.name).map(|s| s.schema.clone())
                }
                // A trigger's ticks are events of its stream (Siddhi partitions them too).
                Some((IdKind::Trigger, _)) => Some(super::trigger_schema()),
                Some((kind, _)) => {
                    self.err(
                        stream.span,
                        format!(
                            "only streams and triggers can be partitioned; '{}' is a {}",
                            stream.name,
                            kind.describe()
                        ),
                    );
                    None
                }
                None => {
                    self.undefined("stream", stream);
                    None
                }
            };
            let Some(schema) = schema else {
                ok = false;
                continue;
            };
            let kind = match key {
                ast::PartitionKey::Value { expr, .. } => {
                    let mut scope = Scope::single(&stream.name, schema, "partition key");
                    self.expr(expr, &mut scope).map(PartitionKeyKind::Value)
                }
                ast::PartitionKey::Range { ranges, .. } => {
                    let mut typed = Vec::new();
                    for (cond, label, _) in ranges {
                        let mut scope =
                            Scope::single(&stream.name, schema.clone(), "partition range");
                        if let Some(c) = self.condition(cond, &mut scope, "a partition range") {
                            typed.push((c, label.clone()));
                        }
                    }
                    (typed.len() == ranges.len()).then_some(PartitionKeyKind::Range(typed))
                }
            };
            match kind {
                Some(kind) => keys.push(PartitionKeyPlan {
                    stream: stream.name.clone(),
                    kind,
                }),
                None => ok = false,
            }
        }
        let purge = p
            .annotations
            .iter()
            .find(|a| a.is("purge"))
            .and_then(|a| self.purge(a));
        self.plan.partitions.push(PartitionPlan { keys, purge });
        for q in &p.queries {
            self.query(q, Some(index));
        }
        if !ok {
            self.plan.queries.retain(|q| q.partition != Some(index));
        }
    }

    fn purge(&mut self, a: &ast::Annotation) -> Option<PurgeConfig> {
        if !self.purge_enabled(a)? {
            return None;
        }
        let mut times = [0i64; 2];
        for (slot, key) in times.iter_mut().zip(["interval", "idle.period"]) {
            match a.element(key) {
                Some(e) => match time_text_ms(&super::definitions::literal_text(&e.value)) {
                    Some(ms) if ms > 0 => *slot = ms,
                    _ => {
                        self.err(
                            e.span,
                            format!("@purge '{key}' must be a positive time such as '10 sec'"),
                        );
                        return None;
                    }
                },
                None => {
                    self.err(
                        a.span,
                        format!("@purge needs '{key}', such as {key}='10 sec'"),
                    );
                    return None;
                }
            }
        }
        Some(PurgeConfig {
            interval_ms: times[0],
            idle_period_ms: times[1],
        })
    }
}

/// Whether a value of type `from` can be stored in an attribute of type `to`.
fn assignable(from: Type, to: Type) -> bool {
    from == to
        || to == Type::Object
        || (from.is_numeric() && to.is_numeric() && super::expr::promote(from, to) == to)
}

/// The aggregation granularity named by a `per` string.
pub(crate) fn granularity(text: &str) -> Option<TimeUnit> {
    let unit = TimeUnit::from_duration_word(text)?;
    (unit >= TimeUnit::Second && unit != TimeUnit::Week).then_some(unit)
}

impl Checker {
    /// Refuses `#pol2Cart` on `source` read as `what` (a join side, an aggregation's input):
    /// attributes added to the events of such inputs are not supported.
    pub(crate) fn no_added_attributes(
        &mut self,
        source: &SourcePlan,
        span: Span,
        what: &str,
    ) -> bool {
        let adds = source.handlers.iter().any(|h| {
            matches!(
                h,
                HandlerPlan::Function(StreamFunctionPlan::Pol2Cart { .. })
            )
        });
        if adds {
            self.err(
                span,
                format!("the stream function 'pol2Cart' is not supported on {what}; apply it in a query of its own that inserts into a stream"),
            );
        }
        !adds
    }

    /// `#pol2Cart(theta, rho [, z])` (as Siddhi checks it): two or three double arguments, on a
    /// stream without the attributes it adds; gives its plan and the attributes it adds.
    fn pol2cart(
        &mut self,
        call: &ast::Call,
        scope: &mut Scope,
        schema: &Schema,
    ) -> Option<(StreamFunctionPlan, Vec<Attribute>)> {
        if !(2..=3).contains(&call.args.len()) {
            self.err(
                call.span,
                format!(
                    "stream function 'pol2Cart' takes (theta, rho) or (theta, rho, z), found {} arguments",
                    call.args.len()
                ),
            );
            return None;
        }
        let args: Vec<TypedExpr> = call
            .args
            .iter()
            .map(|a| self.expr(a, scope))
            .collect::<Option<_>>()?;
        if let Some((i, a)) = args.iter().enumerate().find(|(_, a)| a.ty != Type::Double) {
            self.err(
                call.args[i].span,
                format!(
                    "stream function 'pol2Cart' takes double arguments, found {} as argument {}",
                    a.ty,
                    i + 1
                ),
            );
            return None;
        }
        let added: Vec<&str> = if args.len() == 3 {
            vec!["x", "y", "z"]
        } else {
            vec!["x", "y"]
        };
        if let Some(taken) = schema
            .attributes
            .iter()
            .find(|a| added.contains(&a.name.as_str()))
        {
            self.err(
                call.span,
                format!(
                    "stream function 'pol2Cart' adds the attributes {}, but the input already has '{}'",
                    added.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", "),
                    taken.name
                ),
            );
            return None;
        }
        let mut args = args.into_iter();
        let (theta, rho) = (args.next()?, args.next()?);
        let plan = StreamFunctionPlan::Pol2Cart {
            theta,
            rho,
            z: args.next(),
        };
        let added = added
            .into_iter()
            .map(|name| Attribute {
                name: name.to_string(),
                ty: Type::Double,
            })
            .collect();
        Some((plan, added))
    }
}

/// The log levels `#log` takes as its priority (in any case).
const LOG_PRIORITIES: [&str; 7] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"];

/// What Siddhi refuses in `#log`'s arguments, beyond their types: with three arguments the last
/// is a bool; with a priority (two strings, or three arguments) the priority is a constant log
/// level.
fn log_arguments_problem(written: &[ast::Expr], args: &[TypedExpr]) -> Option<(Span, String)> {
    if args.len() == 3 && args[2].ty != Type::Bool {
        return Some((
            written[2].span,
            format!(
                "stream function 'log' takes a bool as its third argument (is.event.logged), found {}",
                args[2].ty
            ),
        ));
    }
    // Only the message may vary per event (Siddhi's is.event.logged is static).
    if let Some(last) = args.last()
        && last.ty == Type::Bool
        && last.const_value().is_none()
    {
        return Some((
            written[args.len() - 1].span,
            "stream function 'log' takes is.event.logged as a constant (true or false)".to_string(),
        ));
    }
    let has_priority = args.len() == 3 || (args.len() == 2 && args[1].ty == Type::String);
    if !has_priority {
        return None;
    }
    match &args[0].kind {
        ExprNode::Const(Value::String(level))
            if LOG_PRIORITIES
                .iter()
                .any(|p| p.eq_ignore_ascii_case(level.trim())) =>
        {
            None
        }
        ExprNode::Const(Value::String(level)) => Some((
            written[0].span,
            format!(
                "stream function 'log': unknown priority '{level}' (one of {})",
                LOG_PRIORITIES.join(", ")
            ),
        )),
        _ => Some((
            written[0].span,
            "stream function 'log' takes its priority as a constant, such as 'INFO'".to_string(),
        )),
    }
}
