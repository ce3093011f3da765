//! The AST printed back to EventFluxQL text.
//!
//! [`print_app`] and [`print_expr`] write text that parses back to an equal AST (spans aside):
//! parentheses go exactly where precedence requires them, names that are not plain names (a
//! keyword, a name with a space, ...) are written in backquotes, and every literal is written so
//! that it lexes back to the same value.
//!
//! Some trees have no text at all, and the parser never produces them: a `NaN` or infinite float,
//! a name containing a backquote, a string containing both kinds of quote and `"""`, a negative
//! literal inside an expression (`-1` is `Unary(Neg, 1)`), an `every` directly around a `->`
//! chain, app-level annotations on an app with no elements, and the like. For those the printer
//! writes its closest approximation, which does not parse back to the same tree.

use crate::ast::*;
use crate::lexer::{Lexer, Token};
use std::borrow::Cow;

/// Precedence levels, loosest first, as in the grammar.
const OR: u8 = 1;
const AND: u8 = 2;
const IN: u8 = 3;
const EQUALITY: u8 = 4;
const RELATIONAL: u8 = 5;
const ADDITIVE: u8 = 6;
const MULTIPLICATIVE: u8 = 7;
const UNARY: u8 = 8;
const POSTFIX: u8 = 9;
const PRIMARY: u8 = 10;

/// The EventFluxQL text of a whole app: app-level annotations first, then every element, each
/// ending with `;` and a newline.
pub fn print_app(app: &App) -> String {
    let mut out = String::new();
    for a in &app.annotations {
        annotation(&mut out, a);
        out.push('\n');
    }
    for e in &app.elements {
        element(&mut out, e);
        out.push_str(";\n");
    }
    out
}

/// The EventFluxQL text of one expression, with only the parentheses precedence requires.
pub fn print_expr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e, OR);
    out
}

// ---------------------------------------------------------------- names

/// Whether `name` lexes, unquoted, to exactly one name token with that text.
fn is_plain_name(name: &str) -> bool {
    let mut tokens = Lexer::new(name);
    match (tokens.next(), tokens.next()) {
        (Some(Ok((0, Token::Ident(text), end))), None) => end == name.len() && text == name,
        (Some(Ok((0, Token::Unit(unit), end))), None) => end == name.len() && unit.text == name,
        _ => false,
    }
}

/// Whether `name` is a keyword written in lower case (annotation names and keys accept those,
/// and read them back in lower case).
fn is_lowercase_keyword(name: &str) -> bool {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    let mut tokens = Lexer::new(name);
    matches!(
        (tokens.next(), tokens.next()),
        (Some(Ok((0, _, end))), None) if end == name.len()
    )
}

/// A name where the grammar expects a name: as is when it is a plain name, else in backquotes.
fn ident(name: &str) -> Cow<'_, str> {
    if is_plain_name(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("`{name}`"))
    }
}

/// A name where the grammar accepts any word, keywords included (annotation names and keys).
fn word(name: &str) -> Cow<'_, str> {
    if is_lowercase_keyword(name) {
        Cow::Borrowed(name)
    } else {
        ident(name)
    }
}

// ---------------------------------------------------------------- annotations

fn annotation(out: &mut String, a: &Annotation) {
    out.push('@');
    if let Some(ns) = &a.namespace {
        out.push_str(&word(&ns.name));
        out.push(':');
    }
    out.push_str(&word(&a.name.name));
    if a.elements.is_empty() && a.nested.is_empty() {
        return;
    }
    out.push('(');
    let mut first = true;
    for e in &a.elements {
        if !std::mem::take(&mut first) {
            out.push_str(", ");
        }
        if let Some(key) = &e.key {
            let parts: Vec<Cow<'_, str>> = key.split('.').map(word).collect();
            out.push_str(&parts.join("."));
            out.push_str(" = ");
        }
        literal(out, &e.value);
    }
    for n in &a.nested {
        if !std::mem::take(&mut first) {
            out.push_str(", ");
        }
        annotation(out, n);
    }
    out.push(')');
}

/// Each annotation followed by a new line and `indent`.
fn annotations(out: &mut String, list: &[Annotation], indent: &str) {
    for a in list {
        annotation(out, a);
        out.push('\n');
        out.push_str(indent);
    }
}

// ---------------------------------------------------------------- elements

fn element(out: &mut String, e: &Element) {
    match e {
        Element::Definition(d) => {
            annotations(out, &d.annotations, "");
            definition(out, &d.kind);
        }
        Element::Query(q) => query(out, q, ""),
        Element::Partition(p) => partition(out, p),
    }
}

fn attributes(out: &mut String, attrs: &[AttributeDef]) {
    out.push_str(" (");
    for (i, a) in attrs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&ident(&a.name.name));
        out.push(' ');
        out.push_str(a.ty.keyword());
    }
    out.push(')');
}

fn event_type(t: EventType) -> &'static str {
    match t {
        EventType::Current => "current events",
        EventType::Expired => "expired events",
        EventType::All => "all events",
    }
}

fn definition(out: &mut String, kind: &DefinitionKind) {
    match kind {
        DefinitionKind::Stream {
            name,
            attributes: a,
        } => {
            out.push_str("define stream ");
            out.push_str(&ident(&name.name));
            attributes(out, a);
        }
        DefinitionKind::Table {
            name,
            attributes: a,
        } => {
            out.push_str("define table ");
            out.push_str(&ident(&name.name));
            attributes(out, a);
        }
        DefinitionKind::Window {
            name,
            attributes: a,
            window,
            output,
        } => {
            out.push_str("define window ");
            out.push_str(&ident(&name.name));
            attributes(out, a);
            out.push(' ');
            call(out, window);
            if let Some(t) = output {
                out.push_str(" output ");
                out.push_str(event_type(*t));
            }
        }
        DefinitionKind::Trigger { name, at } => {
            out.push_str("define trigger ");
            out.push_str(&ident(&name.name));
            out.push_str(" at ");
            match at {
                TriggerAt::Start => out.push_str("'start'"),
                TriggerAt::Every(period) => {
                    out.push_str("every ");
                    expr(out, period, PRIMARY);
                }
                TriggerAt::Cron(cron, _) => string(out, cron),
            }
        }
        DefinitionKind::Aggregation {
            name,
            input,
            selector: s,
            aggregate_by,
            every,
        } => {
            out.push_str("define aggregation ");
            out.push_str(&ident(&name.name));
            out.push_str("\nfrom ");
            basic_input(out, input);
            selector(out, s, "\n");
            out.push_str("\naggregate");
            if let Some(by) = aggregate_by {
                out.push_str(" by ");
                expr(out, by, OR);
            }
            out.push_str(" every ");
            match every {
                AggregationPeriods::Range(from, to, _) => {
                    out.push_str(from.word());
                    out.push_str(" ... ");
                    out.push_str(to.word());
                }
                AggregationPeriods::List(units) => {
                    let words: Vec<&str> = units.iter().map(|(u, _)| u.word()).collect();
                    out.push_str(&words.join(", "));
                }
            }
        }
        DefinitionKind::Function {
            name,
            language,
            return_type,
            body,
        } => {
            out.push_str("define function ");
            out.push_str(&ident(&name.name));
            out.push('[');
            out.push_str(&ident(&language.name));
            out.push_str("] return ");
            out.push_str(return_type.keyword());
            out.push_str(" {");
            out.push_str(body);
            out.push('}');
        }
    }
}

fn partition(out: &mut String, p: &Partition) {
    annotations(out, &p.annotations, "");
    out.push_str("partition with (");
    for (i, key) in p.keys.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let stream = match key {
            PartitionKey::Value { expr: e, stream } => {
                expr(out, e, OR);
                stream
            }
            PartitionKey::Range { ranges, stream } => {
                for (j, (e, label, _)) in ranges.iter().enumerate() {
                    if j > 0 {
                        out.push_str(" or ");
                    }
                    expr(out, e, OR);
                    out.push_str(" as ");
                    string(out, label);
                }
                stream
            }
        };
        out.push_str(" of ");
        out.push_str(&ident(&stream.name));
    }
    out.push_str(")\nbegin\n");
    for q in &p.queries {
        out.push_str("    ");
        query(out, q, "    ");
        out.push_str(";\n");
    }
    out.push_str("end");
}

// ---------------------------------------------------------------- queries

/// A query; every line after the first starts with `indent`.
fn query(out: &mut String, q: &Query, indent: &str) {
    let sep = format!("\n{indent}");
    annotations(out, &q.annotations, indent);
    out.push_str("from ");
    query_input(out, &q.input);
    selector(out, &q.selector, &sep);
    if let Some(rate) = &q.output_rate {
        out.push_str(&sep);
        output_rate(out, rate);
    }
    out.push_str(&sep);
    query_output(out, &q.output);
}

fn source(out: &mut String, s: &SourceRef) {
    if s.inner {
        out.push('#');
    } else if s.fault {
        out.push('!');
    }
    out.push_str(&ident(&s.name.name));
}

/// A source with its handlers, without the alias.
fn basic_input(out: &mut String, input: &SingleInput) {
    source(out, &input.source);
    for h in &input.handlers {
        match h {
            Handler::Filter(e) => {
                out.push('[');
                expr(out, e, OR);
                out.push(']');
            }
            Handler::Window(c) => {
                out.push_str("#window.");
                call(out, c);
            }
            Handler::Function(c) => {
                out.push('#');
                call(out, c);
            }
        }
    }
}

fn alias(out: &mut String, alias: &Option<Ident>) {
    if let Some(a) = alias {
        out.push_str(" as ");
        out.push_str(&ident(&a.name));
    }
}

fn query_input(out: &mut String, input: &QueryInput) {
    match input {
        QueryInput::Single(s) => {
            basic_input(out, s);
            alias(out, &s.alias);
        }
        QueryInput::Join(j) => {
            join_side(out, &j.left);
            out.push_str(match j.kind {
                JoinKind::Join => " join ",
                JoinKind::Inner => " inner join ",
                JoinKind::LeftOuter => " left outer join ",
                JoinKind::RightOuter => " right outer join ",
                JoinKind::FullOuter => " full outer join ",
            });
            join_side(out, &j.right);
            if let Some(on) = &j.on {
                out.push_str(" on ");
                expr(out, on, OR);
            }
            if let Some((start, end)) = &j.within {
                out.push_str(" within ");
                expr(out, start, OR);
                if let Some(end) = end {
                    out.push_str(", ");
                    expr(out, end, OR);
                }
            }
            if let Some(per) = &j.per {
                out.push_str(" per ");
                expr(out, per, OR);
            }
        }
        QueryInput::State(s) => {
            state_element(out, &s.element);
            if let Some(within) = &s.within {
                out.push_str(" within ");
                expr(out, within, PRIMARY);
            }
        }
    }
}

fn join_side(out: &mut String, side: &JoinSide) {
    basic_input(out, &side.input);
    alias(out, &side.input.alias);
    if side.unidirectional {
        out.push_str(" unidirectional");
    }
}

fn state_element(out: &mut String, element: &StateElement) {
    match element {
        StateElement::Stream {
            alias,
            input,
            quantifier,
            ..
        } => {
            if let Some(a) = alias {
                out.push_str(&ident(&a.name));
                out.push('=');
            }
            basic_input(out, input);
            match quantifier {
                None => {}
                Some(Quantifier::Count(Some(n), Some(m))) if n == m => {
                    out.push_str(&format!("<{n}>"));
                }
                Some(Quantifier::Count(n, m)) => {
                    out.push('<');
                    if let Some(n) = n {
                        out.push_str(&n.to_string());
                    }
                    out.push(':');
                    if let Some(m) = m {
                        out.push_str(&m.to_string());
                    }
                    out.push('>');
                }
                Some(Quantifier::OneOrMore) => out.push('+'),
                Some(Quantifier::ZeroOrMore) => out.push('*'),
                Some(Quantifier::ZeroOrOne) => out.push('?'),
            }
        }
        StateElement::Absent { input, waiting, .. } => {
            out.push_str("not ");
            basic_input(out, input);
            if let Some(w) = waiting {
                out.push_str(" for ");
                expr(out, w, PRIMARY);
            }
        }
        StateElement::Every(inner, _) => {
            out.push_str("every ");
            state_element(out, inner);
        }
        StateElement::Next(a, sep, b) => {
            state_element(out, a);
            out.push_str(match sep {
                StateSeparator::Arrow => " -> ",
                StateSeparator::Comma => ", ",
            });
            state_element(out, b);
        }
        StateElement::Logical(a, op, b) => {
            state_element(out, a);
            out.push_str(match op {
                LogicalOp::And => " and ",
                LogicalOp::Or => " or ",
            });
            state_element(out, b);
        }
        StateElement::Group(inner, _) => {
            out.push('(');
            state_element(out, inner);
            out.push(')');
        }
    }
}

/// The selector clauses, each starting with `sep`.
fn selector(out: &mut String, s: &Selector, sep: &str) {
    if let Some(list) = &s.select {
        out.push_str(sep);
        out.push_str("select ");
        match list {
            SelectList::Star(_) => out.push('*'),
            SelectList::Items(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    expr(out, &item.expr, OR);
                    alias(out, &item.alias);
                }
            }
        }
    }
    if !s.group_by.is_empty() {
        out.push_str(sep);
        out.push_str("group by ");
        expr_list(out, &s.group_by);
    }
    if let Some(having) = &s.having {
        out.push_str(sep);
        out.push_str("having ");
        expr(out, having, OR);
    }
    if !s.order_by.is_empty() {
        out.push_str(sep);
        out.push_str("order by ");
        for (i, item) in s.order_by.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            expr(out, &item.expr, OR);
            match item.order {
                None => {}
                Some(SortOrder::Asc) => out.push_str(" asc"),
                Some(SortOrder::Desc) => out.push_str(" desc"),
            }
        }
    }
    if let Some(limit) = &s.limit {
        out.push_str(sep);
        out.push_str("limit ");
        expr(out, limit, OR);
    }
    if let Some(offset) = &s.offset {
        out.push_str(sep);
        out.push_str("offset ");
        expr(out, offset, OR);
    }
}

fn rate_mode(out: &mut String, mode: Option<RateMode>) {
    out.push_str(match mode {
        None => "",
        Some(RateMode::All) => "all ",
        Some(RateMode::First) => "first ",
        Some(RateMode::Last) => "last ",
    });
}

fn output_rate(out: &mut String, rate: &OutputRate) {
    out.push_str("output ");
    match rate {
        OutputRate::Events { mode, count, .. } => {
            rate_mode(out, *mode);
            out.push_str("every ");
            expr(out, count, PRIMARY);
            out.push_str(" events");
        }
        OutputRate::Time { mode, period, .. } => {
            rate_mode(out, *mode);
            out.push_str("every ");
            expr(out, period, PRIMARY);
        }
        OutputRate::Snapshot { period, .. } => {
            out.push_str("snapshot every ");
            expr(out, period, PRIMARY);
        }
    }
}

fn for_events(out: &mut String, events: Option<EventType>) {
    if let Some(t) = events {
        out.push_str(" for ");
        out.push_str(event_type(t));
    }
}

fn set_clause(out: &mut String, set: &[SetAssignment]) {
    if set.is_empty() {
        return;
    }
    out.push_str(" set ");
    for (i, a) in set.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, &a.target, PRIMARY);
        out.push_str(" = ");
        expr(out, &a.value, OR);
    }
}

fn query_output(out: &mut String, output: &QueryOutput) {
    match output {
        QueryOutput::Insert { events, target, .. } => {
            out.push_str("insert ");
            if let Some(t) = events {
                out.push_str(event_type(*t));
                out.push(' ');
            }
            out.push_str("into ");
            source(out, target);
        }
        QueryOutput::Delete {
            target, events, on, ..
        } => {
            out.push_str("delete ");
            out.push_str(&ident(&target.name));
            for_events(out, *events);
            out.push_str(" on ");
            expr(out, on, OR);
        }
        QueryOutput::Update {
            target,
            events,
            set,
            on,
            ..
        } => {
            out.push_str("update ");
            out.push_str(&ident(&target.name));
            for_events(out, *events);
            set_clause(out, set);
            out.push_str(" on ");
            expr(out, on, OR);
        }
        QueryOutput::UpdateOrInsert {
            target,
            events,
            set,
            on,
            ..
        } => {
            out.push_str("update or insert into ");
            out.push_str(&ident(&target.name));
            for_events(out, *events);
            set_clause(out, set);
            out.push_str(" on ");
            expr(out, on, OR);
        }
        QueryOutput::Return { events, .. } => {
            out.push_str("return");
            if let Some(t) = events {
                out.push(' ');
                out.push_str(event_type(*t));
            }
        }
    }
}

// ---------------------------------------------------------------- expressions

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Eq | BinaryOp::Ne => EQUALITY,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => RELATIONAL,
        BinaryOp::Add | BinaryOp::Sub => ADDITIVE,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => MULTIPLICATIVE,
    }
}

fn precedence(kind: &ExprKind) -> u8 {
    match kind {
        ExprKind::Binary(op, _, _) => binary_precedence(*op),
        ExprKind::In(_, _) => IN,
        ExprKind::Unary(_, _) => UNARY,
        ExprKind::IsNull(_) => POSTFIX,
        ExprKind::Literal(_)
        | ExprKind::Time(_)
        | ExprKind::Attribute { .. }
        | ExprKind::EventRef { .. }
        | ExprKind::Call(_) => PRIMARY,
    }
}

/// `e`, in parentheses when it binds looser than `min`.
fn expr(out: &mut String, e: &Expr, min: u8) {
    let parens = precedence(&e.kind) < min;
    if parens {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Literal(l) => literal(out, l),
        ExprKind::Time(parts) => {
            for (i, (n, unit)) in parts.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if i32::try_from(*n).is_ok() {
                    out.push_str(&n.to_string());
                } else {
                    out.push_str(&format!("{n}L"));
                }
                out.push(' ');
                out.push_str(unit.word());
            }
        }
        ExprKind::Attribute { qualifier, name } => {
            if let Some(q) = qualifier {
                if q.inner {
                    out.push('#');
                }
                out.push_str(&ident(&q.name.name));
                match q.index {
                    None => {}
                    Some(EventIndex::At(n)) => out.push_str(&format!("[{n}]")),
                    Some(EventIndex::FromLast(0)) => out.push_str("[last]"),
                    Some(EventIndex::FromLast(n)) => out.push_str(&format!("[last-{n}]")),
                }
                out.push('.');
            }
            out.push_str(&ident(&name.name));
        }
        ExprKind::Call(c) => call(out, c),
        ExprKind::Unary(UnaryOp::Not, operand) => {
            out.push_str("not ");
            expr(out, operand, UNARY);
        }
        ExprKind::Unary(UnaryOp::Neg, operand) => {
            let mut text = String::new();
            expr(&mut text, operand, UNARY);
            out.push('-');
            // `--` would start a comment.
            if text.starts_with('-') {
                out.push(' ');
            }
            out.push_str(&text);
        }
        ExprKind::Binary(op, a, b) => {
            let p = binary_precedence(*op);
            expr(out, a, p);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            expr(out, b, p + 1);
        }
        ExprKind::IsNull(operand) => {
            expr(out, operand, PRIMARY);
            out.push_str(" is null");
        }
        ExprKind::EventRef { name, index } => {
            out.push_str(&ident(&name.name));
            match index {
                EventIndex::At(n) => out.push_str(&format!("[{n}]")),
                EventIndex::FromLast(0) => out.push_str("[last]"),
                EventIndex::FromLast(n) => out.push_str(&format!("[last-{n}]")),
            }
        }
        ExprKind::In(operand, table) => {
            expr(out, operand, IN);
            out.push_str(" in ");
            out.push_str(&ident(&table.name));
        }
    }
    if parens {
        out.push(')');
    }
}

fn call(out: &mut String, c: &Call) {
    if let Some(ns) = &c.namespace {
        out.push_str(&ident(&ns.name));
        out.push(':');
    }
    out.push_str(&ident(&c.name.name));
    out.push('(');
    expr_list(out, &c.args);
    out.push(')');
}

fn expr_list(out: &mut String, list: &[Expr]) {
    for (i, e) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, e, OR);
    }
}

/// A literal. Numbers keep their type through their suffix; floats use the shortest text that
/// reads back to the same value. Infinity, which the lexer makes of a float literal too large for
/// its type, is written as such a literal. Negative numbers (only in annotation values) start
/// with `-`.
fn literal(out: &mut String, l: &Literal) {
    match l {
        Literal::Int(n) => out.push_str(&n.to_string()),
        Literal::Long(n) => out.push_str(&format!("{n}L")),
        Literal::Float(f) => out.push_str(&format!("{f:?}f")),
        Literal::Double(d) => out.push_str(&format!("{d:?}")),
        Literal::String(s) => string(out, s),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Null => out.push_str("null"),
    }
}

/// A string in single quotes, or double quotes if it contains `'`, or triple double quotes if it
/// contains both.
fn string(out: &mut String, s: &str) {
    let quote = if !s.contains('\'') {
        "'"
    } else if !s.contains('"') {
        "\""
    } else {
        "\"\"\""
    };
    out.push_str(quote);
    out.push_str(s);
    out.push_str(quote);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_expression;

    fn roundtrip(src: &str) -> String {
        let e = parse_expression(src).expect("parses");
        let printed = print_expr(&e);
        let again = parse_expression(&printed).expect("printed text parses");
        assert_eq!(e, again, "{printed}");
        printed
    }

    #[test]
    fn parentheses_only_where_needed() {
        assert_eq!(roundtrip("(a + b) * c"), "(a + b) * c");
        assert_eq!(roundtrip("a + (b * c)"), "a + b * c");
        assert_eq!(roundtrip("a - (b - c)"), "a - (b - c)");
        assert_eq!(roundtrip("(a - b) - c"), "a - b - c");
        assert_eq!(roundtrip("not (a == b)"), "not (a == b)");
        assert_eq!(roundtrip("(a and b) in T"), "(a and b) in T");
        assert_eq!(roundtrip("f(-x) is null"), "f(-x) is null");
    }

    #[test]
    fn negation_and_names() {
        assert_eq!(roundtrip("-(-x)"), "- -x");
        assert_eq!(roundtrip("a - -1"), "a - -1");
        assert_eq!(
            roundtrip("`from` + `my name` + sec"),
            "`from` + `my name` + sec"
        );
        assert_eq!(
            roundtrip("e1[last-2].p + e1[last].p + #I.p"),
            "e1[last-2].p + e1[last].p + #I.p"
        );
        assert_eq!(roundtrip("1 min 30 sec"), "1 min 30 sec");
        assert_eq!(
            roundtrip("1.5f + 2.5 + 1e-9 + 3L"),
            "1.5f + 2.5 + 1e-9 + 3L"
        );
        assert_eq!(
            roundtrip("'a\"' + \"b'\" + \"\"\"c'\"d\"\"\""),
            "'a\"' + \"b'\" + \"\"\"c'\"d\"\"\""
        );
    }
}
