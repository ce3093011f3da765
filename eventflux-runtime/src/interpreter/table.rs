//! The app's tables, and table conditions compiled with their lookup plan: equalities on the
//! primary key or an indexed attribute become key lookups, anything else scans.

use super::expr::{CompileError, Ctx, Eval, Pred, Row, compile, compile_predicate};
use crate::store::{StoreConfig, StoreError, StoreLink, StoreRegistry};
use crate::table::{KeyFn, Lookup, ScanKey, Table};
use crate::value::Value;
use eventflux_codegen::plan::{TableInfo, TypedExpr};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One table of the interpreter.
pub struct InterpTable {
    /// Its definition.
    pub info: TableInfo,
    /// Its rows and indexes.
    pub table: Table<Row, Vec<Value>>,
    /// Its external store (`@store`), which gets every change.
    store: Option<StoreLink>,
}

impl InterpTable {
    /// An empty table for `info`.
    pub fn new(info: &TableInfo) -> Self {
        let key = |positions: Vec<usize>| -> KeyFn<Row, Vec<Value>> {
            Arc::new(move |row: &Row| {
                positions
                    .iter()
                    .map(|p| row.get(*p).cloned().unwrap_or(Value::Null))
                    .collect()
            })
        };
        let primary = (!info.primary_key.is_empty()).then(|| key(info.primary_key.clone()));
        let indexes = info.indexes.iter().map(|p| key(vec![*p])).collect();
        let mut table = Table::new(primary, indexes);
        if let [p] = info.primary_key[..]
            && info
                .schema
                .attributes
                .get(p)
                .is_some_and(|a| a.ty.is_numeric())
        {
            table = table.with_scan_order(Arc::new(move |row: &Row| {
                row.get(p).map_or(ScanKey::Null, ScanKey::of_value)
            }));
        }
        InterpTable {
            info: info.clone(),
            table,
            store: None,
        }
    }

    /// Writes the table's changes (and any that failed before) to its store, if it has one.
    pub fn write_store(&mut self) -> Result<(), StoreError> {
        match &mut self.store {
            Some(store) => crate::store::write_table(&mut self.table, store, |row| row.to_vec()),
            None => Ok(()),
        }
    }

    /// Every row.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.table.rows()
    }

    fn key_value(&self, position: usize, v: Value) -> Value {
        match self.info.schema.attributes.get(position) {
            Some(a) if a.ty.is_numeric() => v.to_numeric(a.ty),
            _ => v,
        }
    }

    /// The cheapest lookup for a condition with these equalities, evaluated in `c`.
    pub fn lookup(&self, equalities: &[(usize, Eval)], c: &Ctx) -> Lookup<Vec<Value>> {
        let find = |position: usize| equalities.iter().find(|(p, _)| *p == position);
        if !self.info.primary_key.is_empty()
            && self.info.primary_key.iter().all(|p| find(*p).is_some())
        {
            let key = self
                .info
                .primary_key
                .iter()
                .filter_map(|p| find(*p).map(|(_, e)| self.key_value(*p, e(c))))
                .collect();
            return Lookup::Primary(key);
        }
        for (i, position) in self.info.indexes.iter().enumerate() {
            if let Some((_, e)) = find(*position) {
                return Lookup::Index(i, vec![self.key_value(*position, e(c))]);
            }
        }
        Lookup::Scan
    }
}

/// The stored state queries read besides their inputs: the app's tables and incremental
/// aggregations, by name.
#[derive(Default)]
pub struct TableSet {
    tables: BTreeMap<String, InterpTable>,
    aggregations: BTreeMap<String, super::aggregation::AggregationRt>,
}

impl TableSet {
    /// Adds a table; a table with `@store` is opened in `stores` and loaded from it.
    pub fn add(
        &mut self,
        app: &str,
        info: &TableInfo,
        stores: &StoreRegistry,
    ) -> Result<(), StoreError> {
        let table = match &info.store {
            None => InterpTable::new(info),
            Some(annotation) => {
                let schema = info
                    .schema
                    .attributes
                    .iter()
                    .map(|a| (a.name.clone(), a.ty))
                    .collect();
                let options = annotation
                    .options
                    .iter()
                    .map(|(k, v)| (k.as_deref(), v.as_str()));
                let config = StoreConfig::new(app, &info.name, schema, options);
                let mut t = InterpTable::new(info);
                t.store = Some(crate::store::open_table(
                    stores,
                    &config,
                    &mut t.table,
                    |values| Ok(Row::from(values)),
                )?);
                t
            }
        };
        self.tables.insert(info.name.clone(), table);
        Ok(())
    }

    /// The table called `name`.
    pub fn get(&self, name: &str) -> Option<&InterpTable> {
        self.tables.get(name)
    }

    /// The table called `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut InterpTable> {
        self.tables.get_mut(name)
    }

    /// Adds an incremental aggregation.
    pub fn add_aggregation(&mut self, aggregation: super::aggregation::AggregationRt) {
        self.aggregations
            .insert(aggregation.name.clone(), aggregation);
    }

    /// The aggregation called `name`.
    pub fn aggregation(&self, name: &str) -> Option<&super::aggregation::AggregationRt> {
        self.aggregations.get(name)
    }

    /// The aggregation called `name`, to change it.
    pub fn aggregation_mut(
        &mut self,
        name: &str,
    ) -> Option<&mut super::aggregation::AggregationRt> {
        self.aggregations.get_mut(name)
    }

    /// Every aggregation, by name.
    pub fn aggregations(
        &self,
    ) -> impl Iterator<Item = (&String, &super::aggregation::AggregationRt)> {
        self.aggregations.iter()
    }

    /// Every table, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &InterpTable)> {
        self.tables.iter()
    }

    /// Every table, by name, to change them.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut InterpTable)> {
        self.tables.iter_mut()
    }
}

/// A compiled condition over a table row: the predicate and the equalities a lookup can use.
#[derive(Clone)]
pub struct TableCondition {
    /// The whole condition (the table row is `Ctx::table_row`).
    pub predicate: Pred,
    /// `table attribute position == expression` conjuncts.
    pub equalities: Vec<(usize, Eval)>,
}

impl TableCondition {
    /// Compiles `condition`.
    pub fn new(condition: &TypedExpr) -> Result<Self, CompileError> {
        let mut pairs = Vec::new();
        condition.table_row_equalities(&mut pairs);
        Ok(TableCondition {
            predicate: compile_predicate(condition)?,
            equalities: pairs
                .into_iter()
                .map(|(p, e)| compile(e).map(|eval| (p, eval)))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether some row of `table` satisfies the condition in context `c`.
    pub fn any(&self, table: &InterpTable, c: &Ctx) -> bool {
        let lookup = table.lookup(&self.equalities, c);
        table.table.candidates(&lookup).into_iter().any(|id| {
            table.table.get(id).is_some_and(|row| {
                let inner = Ctx {
                    table_row: Some(row),
                    ..*c
                };
                (self.predicate)(&inner)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventflux_codegen::plan::OutputPlan;

    /// The lookup a `delete ... on` condition gets on a table with a primary key and an index.
    fn lookup_for(on: &str) -> Lookup<Vec<Value>> {
        let app = format!(
            "define stream D (sym string, price double);
             @PrimaryKey('sym') @Index('price')
             define table T (sym string, price double, vol long);
             from D delete T on {on};"
        );
        let plan = eventflux_codegen::check_app("t", &app).expect("valid app");
        let OutputPlan::Delete { on, .. } = &plan.queries[0].output else {
            panic!("a delete query");
        };
        let condition = TableCondition::new(on).expect("compiles");
        let table = InterpTable::new(&plan.tables[0]);
        let row: Row = Arc::from(vec![Value::from("IBM"), Value::Double(1.5)]);
        let tables = TableSet::default();
        let c = Ctx {
            output: Some(&row),
            ..Ctx::single(&[], 0, &tables)
        };
        table.lookup(&condition.equalities, &c)
    }

    #[test]
    fn equalities_on_the_primary_key_or_an_index_do_not_scan() {
        assert_eq!(
            lookup_for("T.sym == sym"),
            Lookup::Primary(vec![Value::from("IBM")])
        );
        assert_eq!(
            lookup_for("sym == T.sym and T.vol > 3L"),
            Lookup::Primary(vec![Value::from("IBM")])
        );
        assert_eq!(
            lookup_for("T.price == price"),
            Lookup::Index(0, vec![Value::Double(1.5)])
        );
        assert_eq!(lookup_for("T.vol > 3L"), Lookup::Scan);
        assert_eq!(lookup_for("T.sym == sym or T.vol > 3L"), Lookup::Scan);
    }
}
