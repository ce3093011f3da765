//! The checker: resolves every name, types every expression and validates every call against
//! the [`crate::catalog`], turning an [`ast::App`] into a [`Plan`]. It collects every error
//! rather than stopping at the first; a part that fails is left out of the plan and checking
//! goes on with the rest, so one mistake does not cause a cascade of others.
//!
//! - `definitions`: `define ...` statements and their annotations, app-level annotations;
//! - `query`: queries (inputs, selectors, rate limits, outputs) and partitions;
//! - `state`: patterns and sequences;
//! - `window`: window arguments;
//! - `expr`: scopes, name resolution and expression typing.

mod definitions;
mod expr;
mod query;
mod state;
mod window;

use crate::ast::{self, Ident};
use crate::diagnostic::Diagnostic;
use crate::plan::*;
use crate::span::Span;

/// Checks `app`, returning its plan or every error found.
pub fn check(app: &ast::App) -> Result<Plan, Vec<Diagnostic>> {
    let mut checker = Checker::default();
    checker.plan.config = checker.app_config(&app.annotations);
    for element in &app.elements {
        match element {
            ast::Element::Definition(d) => checker.definition(d),
            ast::Element::Query(q) => checker.query(q, None),
            ast::Element::Partition(p) => checker.partition(p),
        }
    }
    if checker.errors.is_empty() {
        Ok(checker.plan)
    } else {
        checker.errors.sort_by_key(|d| d.span.start);
        Err(checker.errors)
    }
}

/// What an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    Stream,
    Table,
    Window,
    Trigger,
    Aggregation,
}

impl IdKind {
    fn describe(self) -> &'static str {
        match self {
            IdKind::Stream => "stream",
            IdKind::Table => "table",
            IdKind::Window => "window",
            IdKind::Trigger => "trigger",
            IdKind::Aggregation => "aggregation",
        }
    }
}

/// The checker's state: the plan built so far and the errors found.
#[derive(Default)]
pub(crate) struct Checker {
    plan: Plan,
    errors: Vec<Diagnostic>,
    query_count: usize,
    /// Query names seen so far (to report duplicates even when a query fails).
    query_names_seen: Vec<String>,
    /// Ids whose definition failed: reading them reports nothing more.
    poisoned: Vec<String>,
}

/// The schema every trigger's events have.
pub(crate) fn trigger_schema() -> Schema {
    Schema::new([("triggered_time".to_string(), Type::Long)])
}

impl Checker {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn err(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(span, message));
    }

    /// What the global id `name` names (inner and fault streams excluded).
    fn id_kind(&self, name: &str) -> Option<(IdKind, Span)> {
        if let Some(s) = self.plan.streams.iter().find(|s| {
            s.name == name && matches!(s.kind, StreamKind::Defined | StreamKind::Inferred)
        }) {
            return Some((IdKind::Stream, s.span));
        }
        if let Some(t) = self.plan.tables.iter().find(|t| t.name == name) {
            return Some((IdKind::Table, t.span));
        }
        if let Some(w) = self.plan.windows.iter().find(|w| w.name == name) {
            return Some((IdKind::Window, w.span));
        }
        if let Some(t) = self.plan.triggers.iter().find(|t| t.name == name) {
            return Some((IdKind::Trigger, t.span));
        }
        if let Some(a) = self.plan.aggregations.iter().find(|a| a.name == name) {
            return Some((IdKind::Aggregation, a.span));
        }
        None
    }

    /// Every global id, for suggestions.
    fn all_ids(&self) -> Vec<String> {
        self.plan
            .streams
            .iter()
            .filter(|s| matches!(s.kind, StreamKind::Defined | StreamKind::Inferred))
            .map(|s| s.name.clone())
            .chain(self.plan.tables.iter().map(|t| t.name.clone()))
            .chain(self.plan.windows.iter().map(|w| w.name.clone()))
            .chain(self.plan.triggers.iter().map(|t| t.name.clone()))
            .chain(self.plan.aggregations.iter().map(|a| a.name.clone()))
            .collect()
    }

    /// The error for an id that names nothing, with a suggestion.
    fn undefined(&mut self, what: &str, id: &Ident) {
        if self.poisoned.contains(&id.name) {
            return;
        }
        let ids = self.all_ids();
        let mut d = Diagnostic::new(id.span, format!("{what} '{}' is not defined", id.name));
        if let Some(s) = suggest(&id.name, ids.iter().map(String::as_str)) {
            d = d.with_hint(format!("did you mean '{s}'?"));
        }
        self.error(d);
    }

    fn stream_index(&self, name: &str, partition: Option<usize>, inner: bool) -> Option<usize> {
        self.plan.streams.iter().position(|s| {
            s.name == name
                && match (&s.kind, inner) {
                    (StreamKind::Inner { partition: p }, true) => Some(*p) == partition,
                    (StreamKind::Defined | StreamKind::Inferred, false) => true,
                    _ => false,
                }
        })
    }
}

/// The closest of `candidates` to `name`, when close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(name.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Milliseconds of a time text such as `'1 sec'` or `'500'` (annotation values).
pub(crate) fn time_text_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    crate::parser::parse_expression(text)
        .ok()
        .and_then(|e| e.time_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names_only() {
        assert_eq!(suggest("pricee", ["price", "volume"]), Some("price".into()));
        assert_eq!(suggest("x", ["price", "volume"]), None);
        assert_eq!(suggest("Symbl", ["symbol"]), Some("symbol".into()));
    }

    #[test]
    fn time_texts() {
        assert_eq!(time_text_ms("1 sec"), Some(1000));
        assert_eq!(time_text_ms("1 min 30 sec"), Some(90_000));
        assert_eq!(time_text_ms("250"), Some(250));
        assert_eq!(time_text_ms("soon"), None);
    }
}
