//! The plan printed for people (`eventflux explain`): definitions with their schemas, then each
//! query as its operator chain, with attributes resolved and types shown where a numeric
//! operation widens its operands.

use crate::plan::*;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::rc::Rc;

/// Table schemas by name, for naming the attributes of `in` conditions.
type Tables = Rc<BTreeMap<String, Schema>>;

/// The whole plan as text.
pub fn explain(plan: &Plan) -> String {
    let mut out = String::new();
    let tables: Tables = Rc::new(
        plan.tables
            .iter()
            .map(|t| (t.name.clone(), t.schema.clone()))
            .collect(),
    );
    let c = &plan.config;
    let _ = writeln!(out, "app {}", c.name);
    if let Some(p) = &c.playback {
        let _ = write!(out, "  playback (event time)");
        if let Some(ms) = p.idle_time_ms {
            let _ = write!(out, ", idle time {ms} ms");
        }
        if let Some(ms) = p.increment_ms {
            let _ = write!(out, ", increment {ms} ms");
        }
        out.push('\n');
    }
    if let Some(s) = &c.statistics {
        let _ = writeln!(out, "  statistics {}", options(s));
    }
    for s in &plan.streams {
        let kind = match &s.kind {
            StreamKind::Defined => "defined".to_string(),
            StreamKind::Inferred => "from query output".to_string(),
            StreamKind::Inner { partition } => format!("inner stream of partition {partition}"),
            StreamKind::Fault { of } => format!("fault stream of {of}"),
        };
        let _ = write!(out, "stream {} {} [{kind}", s.name, s.schema);
        if let Some(a) = &s.async_config {
            let _ = write!(out, "; async");
            for (name, v) in [
                ("buffer.size", a.buffer_size),
                ("workers", a.workers),
                ("batch.size.max", a.batch_size_max),
            ] {
                if let Some(v) = v {
                    let _ = write!(out, " {name}={v}");
                }
            }
        }
        if s.on_error == OnErrorAction::Stream {
            let _ = write!(out, "; errors to !{}", s.name);
        }
        for src in &s.sources {
            let _ = write!(out, "; source {}", options(src));
        }
        for sink in &s.sinks {
            let _ = write!(out, "; sink {}", options(sink));
        }
        out.push_str("]\n");
    }
    for t in &plan.tables {
        let _ = write!(out, "table {} {}", t.name, t.schema);
        let names = |ps: &[usize]| {
            ps.iter()
                .map(|p| t.schema.attributes[*p].name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !t.primary_key.is_empty() {
            let _ = write!(out, " primary key ({})", names(&t.primary_key));
        }
        if !t.indexes.is_empty() {
            let _ = write!(out, " index ({})", names(&t.indexes));
        }
        if let Some(s) = &t.store {
            let _ = write!(out, " store {}", options(s));
        }
        out.push('\n');
    }
    for w in &plan.windows {
        let _ = writeln!(
            out,
            "window {} {} {} output {} events",
            w.name,
            w.schema,
            window(&w.window, &w.schema),
            event_type(w.output)
        );
    }
    for t in &plan.triggers {
        let when = match &t.schedule {
            TriggerSchedule::Start => "at start".to_string(),
            TriggerSchedule::Every(ms) => format!("every {ms} ms"),
            TriggerSchedule::Cron(c) => format!("on cron '{c}'"),
        };
        let _ = writeln!(out, "trigger {} (triggered_time long) {when}", t.name);
    }
    for f in &plan.functions {
        let _ = writeln!(
            out,
            "function {}[{}] returns {}",
            f.name, f.language, f.return_type
        );
    }
    for a in &plan.aggregations {
        let names = Names::single(&a.input.name, &a.input.schema, &tables);
        let _ = writeln!(out, "aggregation {} {}", a.name, a.schema);
        let _ = writeln!(out, "  from {}", a.input.name);
        handlers(&mut out, &a.input, &names);
        select(&mut out, &a.select, &names, &a.schema);
        let durations: Vec<&str> = a.durations.iter().map(|u| u.word()).collect();
        let by = a.timestamp.map_or("event timestamp".to_string(), |p| {
            a.input.schema.attributes[p].name.clone()
        });
        let _ = writeln!(out, "  aggregate by {by} every {}", durations.join(", "));
    }
    for (i, p) in plan.partitions.iter().enumerate() {
        let _ = writeln!(out, "partition {i}");
        for k in &p.keys {
            let schema = plan
                .stream(&k.stream)
                .map(|s| s.schema.clone())
                .unwrap_or_default();
            let names = Names::single(&k.stream, &schema, &tables);
            match &k.kind {
                PartitionKeyKind::Value(e) => {
                    let _ = writeln!(out, "  by value {} of {}", expr(e, &names), k.stream);
                }
                PartitionKeyKind::Range(ranges) => {
                    for (cond, label) in ranges {
                        let _ = writeln!(
                            out,
                            "  range '{label}' when {} of {}",
                            expr(cond, &names),
                            k.stream
                        );
                    }
                }
            }
        }
        if let Some(purge) = &p.purge {
            let _ = writeln!(
                out,
                "  purge keys idle for {} ms, checked every {} ms",
                purge.idle_period_ms, purge.interval_ms
            );
        }
    }
    for q in &plan.queries {
        query(&mut out, q, plan, &tables);
    }
    out
}

fn options(a: &AnnotationConfig) -> String {
    let mut parts: Vec<String> = a
        .options
        .iter()
        .map(|(k, v)| match k {
            Some(k) => format!("{k}='{v}'"),
            None => format!("'{v}'"),
        })
        .collect();
    parts.extend(
        a.nested
            .iter()
            .map(|n| format!("@{}{}", n.name, options(n))),
    );
    format!("({})", parts.join(", "))
}

fn event_type(e: EventType) -> &'static str {
    match e {
        EventType::Current => "current",
        EventType::Expired => "expired",
        EventType::All => "all",
    }
}

/// How attributes are named in the text: one name per input, the output schema and the table.
struct Names {
    inputs: Vec<(String, Schema)>,
    output: Schema,
    table: Option<(String, Schema)>,
    tables: Tables,
}

impl Names {
    fn single(name: &str, schema: &Schema, tables: &Tables) -> Self {
        Names {
            inputs: vec![(name.to_string(), schema.clone())],
            output: Schema::default(),
            table: None,
            tables: tables.clone(),
        }
    }
}

fn query(out: &mut String, q: &QueryPlan, plan: &Plan, tables: &Tables) {
    let _ = write!(out, "query {}", q.name);
    if let Some(p) = q.partition {
        let _ = write!(out, " (partition {p})");
    }
    out.push('\n');
    let mut names = Names {
        inputs: Vec::new(),
        output: q.output_schema.clone(),
        table: None,
        tables: tables.clone(),
    };
    match &q.input {
        InputPlan::Single(s) => {
            names.inputs.push((s.name.clone(), s.schema.clone()));
            let _ = writeln!(out, "  from {} {}", source_kind(s.kind), s.name);
            handlers(out, s, &names);
        }
        InputPlan::Join(j) => {
            names
                .inputs
                .push((j.left.reference.clone(), j.left.source.schema.clone()));
            names
                .inputs
                .push((j.right.reference.clone(), j.right.source.schema.clone()));
            for (label, side) in [("left", &j.left), ("right", &j.right)] {
                let _ = writeln!(
                    out,
                    "  {label}: {} {} as {}{}",
                    source_kind(side.source.kind),
                    side.source.name,
                    side.reference,
                    if side.unidirectional {
                        " (unidirectional)"
                    } else {
                        ""
                    }
                );
                handlers(out, &side.source, &names);
            }
            let kind = match j.kind {
                JoinKind::Join | JoinKind::Inner => "inner join",
                JoinKind::LeftOuter => "left outer join",
                JoinKind::RightOuter => "right outer join",
                JoinKind::FullOuter => "full outer join",
            };
            let _ = write!(out, "  {kind}");
            if let Some(on) = &j.on {
                let _ = write!(out, " on {}", expr(on, &names));
            }
            out.push('\n');
            if let Some((start, end)) = &j.within {
                let _ = write!(out, "  within {}", expr(start, &names));
                if let Some(end) = end {
                    let _ = write!(out, ", {}", expr(end, &names));
                }
                out.push('\n');
            }
            if let Some(per) = &j.per {
                let _ = writeln!(out, "  per {}", expr(per, &names));
            }
        }
        InputPlan::State(s) => {
            for slot in &s.slots {
                let name = slot.alias.clone().unwrap_or_else(|| slot.stream.clone());
                names.inputs.push((name, slot.schema.clone()));
            }
            let kind = if s.kind == StateKind::Pattern {
                "pattern"
            } else {
                "sequence"
            };
            let _ = writeln!(out, "  {kind} {}", state(&s.root, s, &names));
            if let Some(ms) = s.within_ms {
                let _ = writeln!(out, "  within {ms} ms");
            }
        }
    }
    select(out, &q.select, &names, &q.output_schema);
    if let Some(rate) = &q.rate {
        let mode = |m: RateMode| match m {
            RateMode::All => "all",
            RateMode::First => "first",
            RateMode::Last => "last",
        };
        let _ = match rate {
            RatePlan::Events { mode: m, count } => {
                writeln!(out, "  output {} every {count} events", mode(*m))
            }
            RatePlan::Time { mode: m, period_ms } => {
                writeln!(out, "  output {} every {period_ms} ms", mode(*m))
            }
            RatePlan::Snapshot { period_ms } => {
                writeln!(out, "  output snapshot every {period_ms} ms")
            }
        };
    }
    let table_names = |table: &str| Names {
        inputs: Vec::new(),
        output: q.output_schema.clone(),
        table: Some((
            table.to_string(),
            plan.table(table)
                .map(|t| t.schema.clone())
                .unwrap_or_default(),
        )),
        tables: tables.clone(),
    };
    let _ = match &q.output {
        OutputPlan::Insert { target, events } => {
            let (kind, name) = match target {
                InsertTarget::Stream(n) => ("stream", n),
                InsertTarget::InnerStream(n) => ("inner stream", n),
                InsertTarget::Table(n) => ("table", n),
                InsertTarget::Window(n) => ("window", n),
            };
            writeln!(
                out,
                "  insert {} events into {kind} {name} {}",
                event_type(*events),
                q.output_schema
            )
        }
        OutputPlan::Delete { table, events, on } => writeln!(
            out,
            "  delete from table {table} for {} events on {}",
            event_type(*events),
            expr(on, &table_names(table))
        ),
        OutputPlan::Update {
            table,
            events,
            set,
            on,
        }
        | OutputPlan::UpdateOrInsert {
            table,
            events,
            set,
            on,
        } => {
            let verb = if matches!(q.output, OutputPlan::Update { .. }) {
                "update"
            } else {
                "update or insert into"
            };
            let names = table_names(table);
            let sets: Vec<String> = set
                .iter()
                .map(|(p, e)| {
                    let attr = plan
                        .table(table)
                        .and_then(|t| t.schema.attributes.get(*p))
                        .map_or(format!("#{p}"), |a| a.name.clone());
                    format!("{table}.{attr} = {}", expr(e, &names))
                })
                .collect();
            writeln!(
                out,
                "  {verb} table {table} for {} events set {} on {}",
                event_type(*events),
                sets.join(", "),
                expr(on, &names)
            )
        }
        OutputPlan::Return { events } => {
            writeln!(out, "  return {} events", event_type(*events))
        }
    };
}

fn source_kind(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Stream => "stream",
        SourceKind::InnerStream => "inner stream",
        SourceKind::FaultStream => "fault stream",
        SourceKind::Table => "table",
        SourceKind::Window => "named window",
        SourceKind::Trigger => "trigger",
        SourceKind::Aggregation => "aggregation",
    }
}

fn handlers(out: &mut String, s: &SourcePlan, names: &Names) {
    let own = Names::single(
        &names
            .inputs
            .iter()
            .find(|(_, schema)| *schema == s.schema)
            .map_or(s.name.clone(), |(n, _)| n.clone()),
        &s.schema,
        &names.tables,
    );
    for h in &s.handlers {
        let _ = match h {
            HandlerPlan::Filter(e) => writeln!(out, "    filter {}", expr(e, &own)),
            HandlerPlan::Window(w) => writeln!(out, "    window {}", window(w, &s.schema)),
            HandlerPlan::Function(StreamFunctionPlan::Log { args }) => {
                let args: Vec<String> = args.iter().map(|a| expr(a, &own)).collect();
                writeln!(out, "    log({})", args.join(", "))
            }
            HandlerPlan::Function(StreamFunctionPlan::Pol2Cart { theta, rho, z }) => {
                let args: Vec<String> = [Some(theta), Some(rho), z.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|a| expr(a, &own))
                    .collect();
                writeln!(
                    out,
                    "    pol2Cart({}) adds x, y{}",
                    args.join(", "),
                    if z.is_some() { ", z" } else { "" }
                )
            }
        };
    }
}

fn window(w: &WindowPlan, schema: &Schema) -> String {
    let args: Vec<String> = w
        .args
        .iter()
        .map(|a| match a {
            WindowArg::Value(v) => v.to_string(),
            WindowArg::Duration(ms) => format!("{ms} ms"),
            WindowArg::Attribute { position, .. } => schema.attributes[*position].name.clone(),
            WindowArg::Condition { text, .. } => format!("'{text}'"),
        })
        .collect();
    format!("{}({})", w.kind.info().name, args.join(", "))
}

fn select(out: &mut String, s: &SelectPlan, names: &Names, schema: &Schema) {
    let with_output = Names {
        inputs: names.inputs.clone(),
        output: schema.clone(),
        table: None,
        tables: names.tables.clone(),
    };
    for (i, call) in s.aggregates.iter().enumerate() {
        let args: Vec<String> = call.args.iter().map(|a| expr(a, names)).collect();
        let _ = writeln!(
            out,
            "  aggregate #{i} = {}({}): {}",
            call.kind.name(),
            args.join(", "),
            call.ty
        );
    }
    if !s.group_by.is_empty() {
        let keys: Vec<String> = s.group_by.iter().map(|g| expr(g, names)).collect();
        let _ = writeln!(out, "  group by {}", keys.join(", "));
    }
    for (name, e) in &s.items {
        let _ = writeln!(out, "  select {name}: {} = {}", e.ty, expr(e, names));
    }
    if let Some(h) = &s.having {
        let _ = writeln!(out, "  having {}", expr(h, &with_output));
    }
    if !s.order_by.is_empty() {
        let keys: Vec<String> = s
            .order_by
            .iter()
            .map(|(p, o)| {
                format!(
                    "{} {}",
                    schema.attributes[*p].name,
                    if *o == SortOrder::Desc { "desc" } else { "asc" }
                )
            })
            .collect();
        let _ = writeln!(out, "  order by {}", keys.join(", "));
    }
    if let Some(l) = s.limit {
        let _ = writeln!(out, "  limit {l}");
    }
    if let Some(o) = s.offset {
        let _ = writeln!(out, "  offset {o}");
    }
}

fn state(node: &StateNode, plan: &StatePlan, names: &Names) -> String {
    let slot_name = |slot: usize| {
        let s = &plan.slots[slot];
        match &s.alias {
            Some(a) => format!("{a}={}", s.stream),
            None => s.stream.clone(),
        }
    };
    match node {
        StateNode::Stream {
            slot,
            filters,
            min,
            max,
        } => {
            let mut s = slot_name(*slot);
            for f in filters {
                let _ = write!(s, "[{}]", expr(f, names));
            }
            if (*min, *max) != (1, Some(1)) {
                let _ = write!(
                    s,
                    "<{}:{}>",
                    min,
                    max.map_or(String::new(), |m| m.to_string())
                );
            }
            s
        }
        StateNode::Absent {
            slot,
            filters,
            waiting_ms,
        } => {
            let mut s = format!("not {}", slot_name(*slot));
            for f in filters {
                let _ = write!(s, "[{}]", expr(f, names));
            }
            if let Some(ms) = waiting_ms {
                let _ = write!(s, " for {ms} ms");
            }
            s
        }
        StateNode::Every(inner) => format!("every ({})", state(inner, plan, names)),
        StateNode::Next(a, b) => {
            let sep = if plan.kind == StateKind::Pattern {
                " -> "
            } else {
                ", "
            };
            format!("{}{sep}{}", state(a, plan, names), state(b, plan, names))
        }
        StateNode::Logical(op, a, b) => format!(
            "({} {} {})",
            state(a, plan, names),
            if *op == LogicalOp::And { "and" } else { "or" },
            state(b, plan, names)
        ),
    }
}

/// An expression as text, attributes qualified by the names of their inputs.
fn expr(e: &TypedExpr, names: &Names) -> String {
    match &e.kind {
        ExprNode::Const(v) => v.to_string(),
        ExprNode::Attr(r) => match r {
            AttrRef::Input {
                input,
                index,
                position,
            } => {
                let Some((name, schema)) = names.inputs.get(*input) else {
                    return format!("input{input}.#{position}");
                };
                let attr = schema
                    .attributes
                    .get(*position)
                    .map_or(format!("#{position}"), |a| a.name.clone());
                let index = match index {
                    None => String::new(),
                    Some(EventIndex::At(n)) => format!("[{n}]"),
                    Some(EventIndex::FromLast(0)) => "[last]".to_string(),
                    Some(EventIndex::FromLast(n)) => format!("[last-{n}]"),
                };
                format!("{name}{index}.{attr}")
            }
            AttrRef::Output { position } => names
                .output
                .attributes
                .get(*position)
                .map_or(format!("output.#{position}"), |a| a.name.clone()),
            AttrRef::Table { position } => match &names.table {
                Some((t, schema)) => format!(
                    "{t}.{}",
                    schema
                        .attributes
                        .get(*position)
                        .map_or(format!("#{position}"), |a| a.name.clone())
                ),
                None => format!("table.#{position}"),
            },
        },
        ExprNode::Neg(inner) => format!("-{}", expr(inner, names)),
        ExprNode::Arith {
            op,
            operand,
            lhs,
            rhs,
        } => {
            let widened = lhs.ty != *operand || rhs.ty != *operand;
            format!(
                "({} {} {}){}",
                expr(lhs, names),
                op.symbol(),
                expr(rhs, names),
                if widened {
                    format!(" as {operand}")
                } else {
                    String::new()
                }
            )
        }
        ExprNode::Compare {
            op,
            operand,
            lhs,
            rhs,
        } => {
            let widened = lhs.ty != *operand || rhs.ty != *operand;
            format!(
                "({} {} {}{})",
                expr(lhs, names),
                op.symbol(),
                expr(rhs, names),
                if widened && *operand != Type::Object {
                    format!(" compared as {operand}")
                } else {
                    String::new()
                }
            )
        }
        ExprNode::And(a, b) => format!("({} and {})", expr(a, names), expr(b, names)),
        ExprNode::Or(a, b) => format!("({} or {})", expr(a, names), expr(b, names)),
        ExprNode::Not(a) => format!("not {}", expr(a, names)),
        ExprNode::IsNull(a) => format!("{} is null", expr(a, names)),
        ExprNode::InputTimestamp(input) => format!(
            "eventTimestamp({})",
            names.inputs.get(*input).map_or("?", |(n, _)| n.as_str())
        ),
        ExprNode::EventIsNull { slot, index } => format!(
            "{}{} is null",
            names.inputs.get(*slot).map_or("?", |(n, _)| n.as_str()),
            match index {
                None => String::new(),
                Some(EventIndex::At(n)) => format!("[{n}]"),
                Some(EventIndex::FromLast(0)) => "[last]".to_string(),
                Some(EventIndex::FromLast(n)) => format!("[last-{n}]"),
            }
        ),
        ExprNode::InTable { table, condition } => {
            let inner = Names {
                inputs: names.inputs.clone(),
                output: names.output.clone(),
                table: Some((
                    table.clone(),
                    names.tables.get(table).cloned().unwrap_or_default(),
                )),
                tables: names.tables.clone(),
            };
            format!("({}) in {table}", expr(condition, &inner))
        }
        ExprNode::Call { function, args } => {
            let name = match function {
                Function::Builtin(f) => {
                    let info = f.info();
                    match info.namespace {
                        Some(ns) => format!("{ns}:{}", info.name),
                        None => info.name.to_string(),
                    }
                }
                Function::Script(n) => n.clone(),
            };
            let args: Vec<String> = args.iter().map(|a| expr(a, names)).collect();
            format!("{name}({})", args.join(", "))
        }
        ExprNode::Aggregate(i) => format!("#{i}"),
    }
}
