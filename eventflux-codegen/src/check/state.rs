//! Patterns (`->`) and sequences (`,`): event slots, quantifiers, filters over earlier events.

use super::Checker;
use super::expr::{Scope, ScopeInput};
use crate::ast::{self, Quantifier, StateElement, StateKind, StateSeparator};
use crate::diagnostic::Diagnostic;
use crate::plan::*;

/// A stream element met while walking the tree, with its slot.
struct Unit<'a> {
    input: &'a ast::SingleInput,
    slot: usize,
}

impl Checker {
    /// Checks a pattern or sequence; returns its plan and the event slots as scope inputs.
    pub(crate) fn state_input(
        &mut self,
        s: &ast::StateInput,
        partition: Option<usize>,
    ) -> Option<(StatePlan, Vec<ScopeInput>)> {
        let mut separators = Vec::new();
        collect_separators(&s.element, &mut separators);
        if separators.contains(&StateSeparator::Arrow)
            && separators.contains(&StateSeparator::Comma)
        {
            self.err(
                s.span,
                "a query cannot mix '->' (pattern) and ',' (sequence) between its elements",
            );
            return None;
        }
        if separators.contains(&StateSeparator::Comma)
            && let Some(span) = later_every(&s.element, true)
        {
            self.err(span, "syntax error: 'every' may only lead a sequence");
            return None;
        }
        if let Some(span) = absent_after_absent(&s.element) {
            self.err(
                span,
                "syntax error: an absent element ('not ... for') cannot follow another absent element",
            );
            return None;
        }
        let mut slots = Vec::new();
        let mut units = Vec::new();
        let mut ok = true;
        self.collect_slots(
            &s.element, s.kind, partition, &mut slots, &mut units, &mut ok,
        );
        if !ok {
            return None;
        }
        let inputs: Vec<ScopeInput> = slots
            .iter()
            .map(|slot: &EventSlot| ScopeInput {
                reference: slot.alias.clone().unwrap_or_else(|| slot.stream.clone()),
                hidden: None,
                inner: false,
                schema: slot.schema.clone(),
                slot: true,
            })
            .collect();
        let mut filters: Vec<Option<Vec<TypedExpr>>> = Vec::new();
        for unit in &units {
            let mut scope = Scope::new(inputs.clone(), "pattern condition");
            scope.element = Some(unit.slot);
            let mut typed = Vec::new();
            for h in &unit.input.handlers {
                if let ast::Handler::Filter(cond) = h {
                    match self.condition(cond, &mut scope, "a pattern condition") {
                        Some(c) => typed.push(c),
                        None => ok = false,
                    }
                }
            }
            filters.push(Some(typed));
        }
        let within_ms = match &s.within {
            Some(w) => match w.time_millis() {
                Some(ms) if ms > 0 => Some(ms),
                _ => {
                    self.err(w.span, "'within' needs a positive time");
                    return None;
                }
            },
            None => None,
        };
        let mut next = 0;
        let root = self.state_node(&s.element, &mut filters, &mut next, false);
        if !ok {
            return None;
        }
        Some((
            StatePlan {
                kind: s.kind,
                root: root?,
                within_ms,
                slots,
            },
            inputs,
        ))
    }

    fn collect_slots<'a>(
        &mut self,
        element: &'a StateElement,
        kind: StateKind,
        partition: Option<usize>,
        slots: &mut Vec<EventSlot>,
        units: &mut Vec<Unit<'a>>,
        ok: &mut bool,
    ) {
        match element {
            StateElement::Stream {
                alias,
                input,
                quantifier,
                ..
            } => {
                let collection = match quantifier {
                    Some(Quantifier::Count(_, max)) => max.is_none_or(|m| m > 1),
                    Some(Quantifier::OneOrMore | Quantifier::ZeroOrMore) => true,
                    _ => false,
                };
                self.add_slot(
                    alias.as_ref(),
                    input,
                    collection,
                    partition,
                    slots,
                    units,
                    ok,
                );
                if let Some(q) = quantifier
                    && kind == StateKind::Pattern
                    && !matches!(q, Quantifier::Count(..))
                {
                    let symbol = match q {
                        Quantifier::OneOrMore => "+",
                        Quantifier::ZeroOrMore => "*",
                        _ => "?",
                    };
                    self.error(
                        Diagnostic::new(
                            input.span,
                            format!("'{symbol}' is for sequences (elements joined by ','); a pattern counts events with <min:max>"),
                        )
                        .with_hint(match q {
                            Quantifier::OneOrMore => "write <1:>",
                            Quantifier::ZeroOrMore => "write <0:>",
                            _ => "write <0:1>",
                        }),
                    );
                    *ok = false;
                }
            }
            StateElement::Absent { input, .. } => {
                self.add_slot(None, input, false, partition, slots, units, ok);
            }
            StateElement::Every(inner, _) | StateElement::Group(inner, _) => {
                self.collect_slots(inner, kind, partition, slots, units, ok)
            }
            StateElement::Next(a, _, b) | StateElement::Logical(a, _, b) => {
                self.collect_slots(a, kind, partition, slots, units, ok);
                self.collect_slots(b, kind, partition, slots, units, ok);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_slot<'a>(
        &mut self,
        alias: Option<&ast::Ident>,
        input: &'a ast::SingleInput,
        collection: bool,
        partition: Option<usize>,
        slots: &mut Vec<EventSlot>,
        units: &mut Vec<Unit<'a>>,
        ok: &mut bool,
    ) {
        if let Some(a) = alias
            && slots.iter().any(|s| s.alias.as_deref() == Some(&a.name))
        {
            self.err(a.span, format!("event alias '{}' is used twice", a.name));
            *ok = false;
        }
        for h in &input.handlers {
            if let ast::Handler::Window(call) | ast::Handler::Function(call) = h {
                self.err(
                    call.span,
                    "a pattern or sequence element takes filters only, not windows or stream functions",
                );
                *ok = false;
            }
        }
        let id = &input.source.name;
        let schema = if input.source.inner {
            match self.stream_index(&id.name, partition, true) {
                Some(i) => Some(self.plan.streams[i].schema.clone()),
                None => {
                    self.err(
                        id.span,
                        format!("inner stream '#{}' is not defined", id.name),
                    );
                    None
                }
            }
        } else {
            match self.id_kind(&id.name) {
                Some((super::IdKind::Stream, _)) => {
                    self.plan.stream(&id.name).map(|s| s.schema.clone())
                }
                Some((super::IdKind::Trigger, _)) => Some(super::trigger_schema()),
                Some((kind, _)) => {
                    self.err(
                        id.span,
                        format!(
                            "a pattern or sequence reads streams; '{}' is a {}",
                            id.name,
                            kind.describe()
                        ),
                    );
                    None
                }
                None => {
                    self.undefined("stream", id);
                    None
                }
            }
        };
        let Some(schema) = schema else {
            *ok = false;
            return;
        };
        units.push(Unit {
            input,
            slot: slots.len(),
        });
        slots.push(EventSlot {
            alias: alias.map(|a| a.name.clone()),
            stream: id.name.clone(),
            inner: input.source.inner,
            schema,
            collection,
        });
    }

    fn state_node(
        &mut self,
        element: &StateElement,
        filters: &mut Vec<Option<Vec<TypedExpr>>>,
        next: &mut usize,
        in_and: bool,
    ) -> Option<StateNode> {
        match element {
            StateElement::Stream {
                quantifier, input, ..
            } => {
                let slot = *next;
                *next += 1;
                let typed = filters.get_mut(slot)?.take()?;
                let (min, max) = match quantifier {
                    None => (1, Some(1)),
                    Some(Quantifier::OneOrMore) => (1, None),
                    Some(Quantifier::ZeroOrMore) => (0, None),
                    Some(Quantifier::ZeroOrOne) => (0, Some(1)),
                    Some(Quantifier::Count(min, max)) => {
                        let (min, max) = (min.unwrap_or(0), *max);
                        if max.is_some_and(|m| m < min || m == 0) {
                            self.err(
                                input.span,
                                format!(
                                    "the count <{min}:{}> matches nothing: the maximum must be at least 1 and not below the minimum",
                                    max.unwrap_or(0)
                                ),
                            );
                            return None;
                        }
                        (min, max)
                    }
                };
                Some(StateNode::Stream {
                    slot,
                    filters: typed,
                    min,
                    max,
                })
            }
            StateElement::Absent { waiting, span, .. } => {
                let slot = *next;
                *next += 1;
                let typed = filters.get_mut(slot)?.take()?;
                let waiting_ms = match waiting {
                    Some(w) => match w.time_millis() {
                        Some(ms) if ms > 0 => Some(ms),
                        _ => {
                            self.err(w.span, "'for' needs a positive time");
                            return None;
                        }
                    },
                    None if !in_and => {
                        self.error(
                            Diagnostic::new(
                                *span,
                                "'not' needs 'for <time>' unless it is combined with 'and'",
                            )
                            .with_hint("write 'not S[...] for 1 sec', or 'not S[...] and e2=T'"),
                        );
                        return None;
                    }
                    None => None,
                };
                Some(StateNode::Absent {
                    slot,
                    filters: typed,
                    waiting_ms,
                })
            }
            StateElement::Every(inner, _) => Some(StateNode::Every(Box::new(
                self.state_node(inner, filters, next, false)?,
            ))),
            StateElement::Group(inner, _) => self.state_node(inner, filters, next, in_and),
            StateElement::Next(a, _, b) => {
                let a = self.state_node(a, filters, next, false);
                let b = self.state_node(b, filters, next, false);
                Some(StateNode::Next(Box::new(a?), Box::new(b?)))
            }
            StateElement::Logical(a, op, b) => {
                let and = *op == LogicalOp::And;
                let a = self.state_node(a, filters, next, and);
                let b = self.state_node(b, filters, next, and);
                let (a, b) = (a?, b?);
                Some(StateNode::Logical(*op, Box::new(a), Box::new(b)))
            }
        }
    }
}

fn element_span(e: &StateElement) -> crate::span::Span {
    match e {
        StateElement::Stream { span, .. } | StateElement::Absent { span, .. } => *span,
        StateElement::Every(_, span) | StateElement::Group(_, span) => *span,
        StateElement::Next(a, _, b) | StateElement::Logical(a, _, b) => {
            element_span(a).to(element_span(b))
        }
    }
}

/// The place of an `every` that is not the leading element (`leading`: whether `e` leads).
fn later_every(e: &StateElement, leading: bool) -> Option<crate::span::Span> {
    match e {
        StateElement::Every(inner, span) => {
            if leading {
                later_every(inner, true)
            } else {
                Some(*span)
            }
        }
        StateElement::Next(a, _, b) => later_every(a, leading).or_else(|| later_every(b, false)),
        StateElement::Logical(a, _, b) => later_every(a, false).or_else(|| later_every(b, false)),
        StateElement::Group(inner, _) => later_every(inner, leading),
        StateElement::Stream { .. } | StateElement::Absent { .. } => None,
    }
}

/// The place of two absent elements following each other directly (`not A for 1 sec -> not B
/// for 1 sec`), which Siddhi's grammar does not accept.
fn absent_after_absent(e: &StateElement) -> Option<crate::span::Span> {
    fn first(e: &StateElement) -> &StateElement {
        match e {
            StateElement::Next(a, _, _) => first(a),
            other => other,
        }
    }
    fn last(e: &StateElement) -> &StateElement {
        match e {
            StateElement::Next(_, _, b) => last(b),
            other => other,
        }
    }
    match e {
        StateElement::Next(a, _, b) => {
            if matches!(last(a), StateElement::Absent { .. })
                && matches!(first(b), StateElement::Absent { .. })
            {
                return Some(element_span(e));
            }
            absent_after_absent(a).or_else(|| absent_after_absent(b))
        }
        StateElement::Every(inner, _) | StateElement::Group(inner, _) => absent_after_absent(inner),
        StateElement::Logical(..) | StateElement::Stream { .. } | StateElement::Absent { .. } => {
            None
        }
    }
}

fn collect_separators(e: &StateElement, out: &mut Vec<StateSeparator>) {
    match e {
        StateElement::Next(a, s, b) => {
            collect_separators(a, out);
            out.push(*s);
            collect_separators(b, out);
        }
        StateElement::Logical(a, _, b) => {
            collect_separators(a, out);
            collect_separators(b, out);
        }
        StateElement::Every(inner, _) | StateElement::Group(inner, _) => {
            collect_separators(inner, out)
        }
        StateElement::Stream { .. } | StateElement::Absent { .. } => {}
    }
}
