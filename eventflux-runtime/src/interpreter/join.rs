//! A join query's input in the interpreter: two sides (streams with optional windows, named
//! windows, tables), matched by the generic [`crate::join`] operator. Equalities of the `on`
//! condition between the two sides become hash lookups; equalities on a table's primary key or
//! index become key lookups.

use super::expr::{CompileError, Ctx, Eval, Pred, Row, compile, compile_predicate};
use super::select::{Matched, Single};
use super::table::{InterpTable, TableSet};
use super::window::build_window;
use crate::event::{Chunk, Event, EventKind};
use crate::incremental::{Bound, within_range};
use crate::join::{Held, JoinSpec, Joined, KeyOf, Preserve, Side, SideKeys, WindowSide};
use crate::state::{self, StateError};
use crate::value::Value;
use eventflux_codegen::plan::{
    HandlerPlan, JoinKind, JoinPlan, JoinSidePlan, SourceKind, TypedExpr,
};
use std::sync::Arc;

/// One side of a join.
struct SideRt {
    source: String,
    inner: bool,
    kind: SourceKind,
    filters: Vec<Pred>,
    side: WindowSide<Single, Vec<Value>, Single>,
    /// For a table side: the table and the `table attribute == expression` equalities, the
    /// expressions reading the other side's arriving event.
    table: Option<(String, Vec<(usize, Eval)>)>,
    /// For an aggregation side: its name.
    aggregation: Option<String>,
}

/// Aggregation retrieval: `within start[, end]` and `per granularity`, over the arriving event.
struct Retrieval {
    within: Option<(Eval, Option<Eval>)>,
    per: Option<Eval>,
}

/// A join query's input.
pub struct JoinRt {
    spec: JoinSpec<Single, Single>,
    sides: [SideRt; 2],
    retrieval: Retrieval,
    /// Both sides are one named window (a self-join): as in Siddhi, which keeps one window,
    /// only the left side triggers, and it finds matches in the window as already updated.
    shared_window: bool,
}

fn input_of(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}

/// The `left expr == right expr` conjuncts of a condition, as (left, right) pairs.
fn side_equalities<'a>(e: &'a TypedExpr, out: &mut Vec<(&'a TypedExpr, &'a TypedExpr)>) {
    let mut found = Vec::new();
    e.side_equalities(&mut found);
    out.extend(found.into_iter().map(|(l, r, _)| (l, r)));
}

/// The `input.attr == expression` conjuncts for a table on `input`: (position, expression over
/// the other side).
fn table_equalities(e: &TypedExpr, input: usize, out: &mut Vec<(usize, TypedExpr)>) {
    let mut found = Vec::new();
    e.side_attribute_equalities(input, &mut found);
    out.extend(found.into_iter().map(|(p, e)| (p, e.clone())));
}

/// Evaluates `exprs` with `row` as input `input`.
fn key_fn(exprs: Vec<Eval>, input: usize) -> KeyOf<Single, Vec<Value>> {
    let tables = Arc::new(TableSet::default());
    Arc::new(move |row: &Single| {
        let one = std::slice::from_ref(&row.0);
        let inputs: [&[Row]; 2] = if input == 0 { [one, &[]] } else { [&[], one] };
        let c = Ctx::single(&inputs, 0, &tables);
        exprs.iter().map(|e| e(&c)).collect()
    })
}

fn side_rt(
    plan: &JoinSidePlan,
    input: usize,
    keys: Option<SideKeys<Single, Single, Vec<Value>>>,
    on: Option<&TypedExpr>,
) -> Result<SideRt, CompileError> {
    let source = &plan.source;
    let mut filters = Vec::new();
    let mut window = None;
    for h in &source.handlers {
        match h {
            HandlerPlan::Filter(e) => filters.push(compile_predicate(e)?),
            HandlerPlan::Window(w) => window = Some(build_window(w)?),
            HandlerPlan::Function(_) => {}
        }
    }
    let table = if source.kind == SourceKind::Table {
        let mut eqs = Vec::new();
        if let Some(on) = on {
            table_equalities(on, input, &mut eqs);
        }
        let eqs = eqs
            .into_iter()
            .map(|(p, e)| compile(&e).map(|eval| (p, eval)))
            .collect::<Result<_, _>>()?;
        Some((source.name.clone(), eqs))
    } else {
        None
    };
    let side = match (source.kind, window) {
        (SourceKind::Window, _) => WindowSide::mirror(keys),
        (_, window) => WindowSide::new(window, keys),
    };
    Ok(SideRt {
        source: match source.kind {
            SourceKind::FaultStream => format!("!{}", source.name),
            _ => source.name.clone(),
        },
        inner: source.kind == SourceKind::InnerStream,
        kind: source.kind,
        filters,
        side,
        table,
        aggregation: (source.kind == SourceKind::Aggregation).then(|| source.name.clone()),
    })
}

/// Runs `f` in a context where the arriving event is the row of its own side and the stored
/// side is empty: what a lookup into a table or an aggregation evaluates its keys in.
fn with_arriving<R>(
    arriving: &Single,
    side: Side,
    tables: &TableSet,
    f: impl FnOnce(&Ctx) -> R,
) -> R {
    let one = std::slice::from_ref(&arriving.0);
    let inputs: [&[Row]; 2] = match side {
        Side::Left => [one, &[]],
        Side::Right => [&[], one],
    };
    f(&Ctx::single(&inputs, 0, tables))
}

/// What an aggregation side holds for an arriving event: the buckets its `within` and `per`
/// select.
struct AggregationHeld<'a> {
    aggregation: Option<&'a super::aggregation::AggregationRt>,
    retrieval: &'a Retrieval,
    arriving: Side,
    tables: &'a TableSet,
}

impl Held<Single, Single> for AggregationHeld<'_> {
    fn for_each_candidate(&self, arriving: &Single, f: &mut dyn FnMut(&Single)) {
        let Some(a) = self.aggregation else {
            return;
        };
        let rows = with_arriving(arriving, self.arriving, self.tables, |c| {
            let Some(per) = self
                .retrieval
                .per
                .as_ref()
                .and_then(|p| super::aggregation::granularity(&p(c)))
            else {
                return Vec::new();
            };
            let (from, to) = match &self.retrieval.within {
                Some((start, end)) => {
                    let (start, end) = (start(c), end.as_ref().map(|e| e(c)));
                    within_range(bound(&start), end.as_ref().and_then(bound))
                }
                None => (None, None),
            };
            a.rows(per, from, to)
        });
        for row in rows {
            f(&Single(row));
        }
    }
}

/// A `within` bound as written: a long, or a date as text.
fn bound(v: &Value) -> Option<Bound<'_>> {
    match v {
        Value::String(text) => Some(Bound::Text(text)),
        v => v.as_i64().map(Bound::Millis),
    }
}

/// What a table side holds, looked up by key when the condition allows it.
struct TableHeld<'a> {
    table: Option<&'a InterpTable>,
    equalities: &'a [(usize, Eval)],
    arriving: Side,
    tables: &'a TableSet,
}

impl Held<Single, Single> for TableHeld<'_> {
    fn for_each_candidate(&self, arriving: &Single, f: &mut dyn FnMut(&Single)) {
        let Some(t) = self.table else {
            return;
        };
        let lookup = with_arriving(arriving, self.arriving, self.tables, |c| {
            t.lookup(self.equalities, c)
        });
        for id in t.table.candidates(&lookup) {
            if let Some(row) = t.table.get(id) {
                // A row is shared (`Arc`): wrapping it copies a pointer, not the values.
                f(&Single(row.clone()));
            }
        }
    }
}

impl JoinRt {
    /// Builds a join input.
    pub fn new(plan: &JoinPlan, windowless_expire: bool) -> Result<Self, CompileError> {
        let mut pairs = Vec::new();
        if let Some(on) = &plan.on {
            side_equalities(on, &mut pairs);
        }
        let stored =
            |s: &JoinSidePlan| matches!(s.source.kind, SourceKind::Table | SourceKind::Aggregation);
        let keyed = !pairs.is_empty() && !stored(&plan.left) && !stored(&plan.right);
        let (left_keys, right_keys) = if keyed {
            let lefts = pairs
                .iter()
                .map(|(l, _)| compile(l))
                .collect::<Result<Vec<_>, _>>()?;
            let rights = pairs
                .iter()
                .map(|(_, r)| compile(r))
                .collect::<Result<Vec<_>, _>>()?;
            let l_own = key_fn(lefts.clone(), 0);
            let r_own = key_fn(rights.clone(), 1);
            (Some((l_own.clone(), r_own.clone())), Some((r_own, l_own)))
        } else {
            (None, None)
        };
        let on = plan.on.as_ref().map(compile_predicate).transpose()?;
        let tables = Arc::new(TableSet::default());
        let condition = on.map(|pred| {
            Arc::new(move |l: &Single, r: &Single| {
                let inputs: [&[Row]; 2] = [std::slice::from_ref(&l.0), std::slice::from_ref(&r.0)];
                pred(&Ctx::single(&inputs, 0, &tables))
            }) as crate::join::Condition<Single, Single>
        });
        let left = side_rt(&plan.left, 0, left_keys, plan.on.as_ref())?;
        let right = side_rt(&plan.right, 1, right_keys, plan.on.as_ref())?;
        let windowless = |s: &SideRt| !s.side.has_window();
        let shared_window = plan.left.source.kind == SourceKind::Window
            && plan.right.source.kind == SourceKind::Window
            && plan.left.source.name == plan.right.source.name;
        Ok(JoinRt {
            shared_window,
            spec: JoinSpec {
                preserve: Preserve {
                    left: matches!(plan.kind, JoinKind::LeftOuter | JoinKind::FullOuter),
                    right: matches!(plan.kind, JoinKind::RightOuter | JoinKind::FullOuter),
                },
                left_triggers: !plan.right.unidirectional
                    && left.table.is_none()
                    && left.aggregation.is_none(),
                right_triggers: !plan.left.unidirectional
                    && right.table.is_none()
                    && right.aggregation.is_none()
                    && !shared_window,
                on: condition,
                left_windowless: windowless(&left),
                right_windowless: windowless(&right),
                windowless_expire,
            },
            sides: [left, right],
            retrieval: Retrieval {
                within: plan
                    .within
                    .as_ref()
                    .map(|(start, end)| {
                        Ok::<_, CompileError>((
                            compile(start)?,
                            end.as_ref().map(compile).transpose()?,
                        ))
                    })
                    .transpose()?,
                per: plan.per.as_ref().map(compile).transpose()?,
            },
        })
    }

    /// The sources the join reads, with whether each is an inner stream.
    pub fn sources(&self) -> Vec<(String, bool)> {
        self.sides
            .iter()
            .filter(|s| !matches!(s.kind, SourceKind::Table | SourceKind::Aggregation))
            .map(|s| (s.source.clone(), s.inner))
            .collect()
    }

    fn join(
        &self,
        side: Side,
        emitted: &Chunk<Single>,
        tables: &TableSet,
        out: &mut Joined<Single, Single>,
    ) {
        let other = &self.sides[1 - input_of(side)];
        let aggregation;
        let table;
        let held: &dyn Held<Single, Single> = if let Some(name) = &other.aggregation {
            aggregation = AggregationHeld {
                aggregation: tables.aggregation(name),
                retrieval: &self.retrieval,
                arriving: side,
                tables,
            };
            &aggregation
        } else if let Some((name, equalities)) = &other.table {
            table = TableHeld {
                table: tables.get(name),
                equalities,
                arriving: side,
                tables,
            };
            &table
        } else {
            &other.side
        };
        // Both sides hold `Single`s, so what one side holds serves either direction.
        match side {
            Side::Left => self.spec.join_left(emitted, held, out),
            Side::Right => self.spec.join_right(emitted, held, out),
        }
    }

    /// Takes a chunk from `source` (on the left side first, then the right, for a self-join).
    pub fn arrive(
        &mut self,
        now: i64,
        source: &str,
        inner: bool,
        chunk: &Chunk<Single>,
        tables: &TableSet,
    ) -> (Chunk<Matched>, Vec<usize>) {
        let mut pairs = Joined::default();
        // A shared window's right side takes the events first, so that the left side finds
        // matches in the window as updated.
        let order = if self.shared_window {
            [Side::Right, Side::Left]
        } else {
            [Side::Left, Side::Right]
        };
        for side in order {
            let i = input_of(side);
            let s = &mut self.sides[i];
            if s.source != source
                || s.inner != inner
                || matches!(s.kind, SourceKind::Table | SourceKind::Aggregation)
            {
                continue;
            }
            let input: Chunk<Single> = chunk
                .iter()
                .filter(|e| {
                    e.kind == EventKind::Reset
                        || s.filters.iter().all(|f| {
                            let inputs = [std::slice::from_ref(&e.data.0)];
                            f(&Ctx::single(&inputs, e.timestamp, tables))
                        })
                })
                .cloned()
                .collect();
            let input = if s.side.has_window() && s.kind != SourceKind::Window {
                input
                    .into_iter()
                    .filter(|e| e.kind == EventKind::Current)
                    .collect()
            } else {
                input
            };
            let emitted = s.side.arrive(now, input);
            self.join(side, &emitted, tables, &mut pairs);
        }
        matched(pairs)
    }

    /// Fires the side windows' timers due at or before `now`.
    pub fn on_time(&mut self, now: i64, tables: &TableSet) -> (Chunk<Matched>, Vec<usize>) {
        let mut pairs = Joined::default();
        for side in [Side::Left, Side::Right] {
            let i = input_of(side);
            if self.sides[i].side.next_due().is_some_and(|due| due <= now) {
                let emitted = self.sides[i].side.on_time(now);
                self.join(side, &emitted, tables, &mut pairs);
            }
        }
        matched(pairs)
    }

    /// Moves the side windows' idle periodic timers past `horizon`.
    pub fn skip_idle(&mut self, horizon: i64) {
        for side in &mut self.sides {
            side.side.skip_idle(horizon);
        }
    }

    /// When a side window next needs [`JoinRt::on_time`].
    pub fn next_due(&self) -> Option<i64> {
        self.sides.iter().filter_map(|s| s.side.next_due()).min()
    }

    /// Whether neither side holds anything.
    pub fn is_empty(&self) -> bool {
        self.sides.iter().all(|s| s.side.is_empty())
    }

    /// Both sides' state as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&(
            self.sides[0].side.snapshot()?,
            self.sides[1].side.snapshot()?,
        ))
    }

    /// Replaces both sides' state with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let (l, r): (Vec<u8>, Vec<u8>) = state::decode(bytes)?;
        self.sides[0].side.restore(&l)?;
        self.sides[1].side.restore(&r)
    }
}

/// The pairs as the selector reads them, with where each of their groups ends.
fn matched(joined: Joined<Single, Single>) -> (Chunk<Matched>, Vec<usize>) {
    let rows = joined
        .pairs
        .into_iter()
        .map(|e| Event {
            timestamp: e.timestamp,
            kind: e.kind,
            data: Matched::Pair(e.data.left.map(|s| s.0), e.data.right.map(|s| s.0)),
        })
        .collect();
    (rows, joined.ends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventflux_codegen::plan::InputPlan;

    fn join_of(app: &str) -> JoinRt {
        let plan = eventflux_codegen::check_app("j", app).expect("valid app");
        let InputPlan::Join(join) = &plan.queries[0].input else {
            panic!("a join query");
        };
        JoinRt::new(join, false).expect("compiles")
    }

    #[test]
    fn a_table_side_is_looked_up_by_its_primary_key() {
        let j = join_of(
            "define stream S (sym string, qty int);
             @PrimaryKey('sym') define table T (sym string, price double);
             from S join T on T.sym == S.sym and T.price > 1.0 select S.qty, T.price insert into O;",
        );
        let (_, equalities) = j.sides[1].table.as_ref().expect("a table side");
        assert_eq!(
            equalities.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            vec![0]
        );
        assert!(j.sides[0].table.is_none());
    }
}
