//! In-memory tables: rows in insertion order, a primary-key index and secondary indexes, so that
//! a lookup on `@PrimaryKey` or `@Index` attributes does not scan. Generic over the row type and
//! the key type; keys are computed by the accessors given at construction. A table whose
//! primary key is one numeric attribute is scanned in ascending key order, as Siddhi keeps such
//! rows in a sorted map (see [`Table::with_scan_order`]).

use crate::state::{self, StateError};
use crate::window::Data;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::Arc;

/// Computes a key (primary or index) of a row.
pub type KeyFn<R, K> = Arc<dyn Fn(&R) -> K + Send + Sync>;

/// A secondary index: its key function and the ids of the rows under each key.
type Index<R, K> = (KeyFn<R, K>, HashMap<K, BTreeSet<u64>>);

/// A numeric primary key as the scan order compares it: null first, then by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScanKey {
    /// A null key.
    Null,
    /// An int or long key.
    Long(i64),
    /// A float or double key (in Java's `Double.compareTo` order).
    Double(crate::aggregate::TotalF64),
}

impl ScanKey {
    /// The key of an int or long value (`None`: null).
    pub fn long(v: Option<i64>) -> Self {
        v.map_or(ScanKey::Null, ScanKey::Long)
    }

    /// The key of a float or double value (`None`: null).
    pub fn double(v: Option<f64>) -> Self {
        v.map_or(ScanKey::Null, |v| {
            ScanKey::Double(crate::aggregate::TotalF64(v))
        })
    }

    /// The key of a dynamically typed value (anything but a number is null).
    pub fn of_value(v: &crate::value::Value) -> Self {
        use crate::value::Value;
        match v {
            Value::Int(v) => ScanKey::long(Some(i64::from(*v))),
            Value::Long(v) => ScanKey::long(Some(*v)),
            Value::Float(v) => ScanKey::double(Some(f64::from(*v))),
            Value::Double(v) => ScanKey::double(Some(*v)),
            _ => ScanKey::Null,
        }
    }
}

/// Computes a row's place in the scan order.
pub type ScanKeyFn<R> = Arc<dyn Fn(&R) -> ScanKey + Send + Sync>;

/// A scan order: the key function and the row ids by key.
type ScanOrder<R> = (ScanKeyFn<R>, BTreeSet<(ScanKey, u64)>);

/// A table of rows `R` with keys `K`.
pub struct Table<R, K> {
    rows: BTreeMap<u64, R>,
    next_id: u64,
    primary: Option<(KeyFn<R, K>, HashMap<K, u64>)>,
    indexes: Vec<Index<R, K>>,
    /// The scan order by numeric primary key, when the table has one (row ids by key).
    scan_order: Option<ScanOrder<R>>,
    /// The changes not yet taken by [`Table::take_changes`], when the table records them.
    journal: Option<Vec<Change<R>>>,
}

/// One change to a table's rows, for an external store to mirror (see [`Table::record_changes`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Change<R> {
    /// The row with this id was added or replaced.
    Put(u64, R),
    /// The row with this id was removed.
    Remove(u64),
    /// Every row was removed (a snapshot's rows follow as puts).
    Clear,
}

#[derive(Serialize, Deserialize)]
struct TableState<R> {
    rows: Vec<(u64, R)>,
    next_id: u64,
}

/// What happened to an insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The row was added.
    Added,
    /// A row with the same primary key exists; nothing changed.
    DuplicateKey,
}

impl<R: Data, K: Clone + Eq + Hash> Table<R, K> {
    /// An empty table with an optional primary key and any number of indexes.
    pub fn new(primary: Option<KeyFn<R, K>>, indexes: Vec<KeyFn<R, K>>) -> Self {
        Table {
            rows: BTreeMap::new(),
            next_id: 0,
            primary: primary.map(|f| (f, HashMap::new())),
            scan_order: None,
            indexes: indexes.into_iter().map(|f| (f, HashMap::new())).collect(),
            journal: None,
        }
    }

    /// Makes the table record every change to its rows from now on, for
    /// [`Table::take_changes`].
    pub fn record_changes(&mut self) {
        self.journal.get_or_insert_with(Vec::new);
    }

    /// The changes since the last call, in order (none unless the table records them).
    pub fn take_changes(&mut self) -> Vec<Change<R>> {
        self.journal
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Whether changes wait in the journal.
    pub fn has_changes(&self) -> bool {
        self.journal.as_ref().is_some_and(|j| !j.is_empty())
    }

    fn record(&mut self, change: impl FnOnce() -> Change<R>) {
        if let Some(journal) = &mut self.journal {
            journal.push(change());
        }
    }

    /// Replaces the rows with `rows` (ids and rows, as a store holds them), without recording
    /// them: the store already has them. New rows get ids after the largest.
    pub fn load(&mut self, rows: Vec<(u64, R)>) {
        self.clear_rows();
        for (id, row) in rows {
            self.index(id, &row);
            self.rows.insert(id, row);
        }
        self.next_id = self.rows.keys().next_back().map_or(0, |id| id + 1);
    }

    fn clear_rows(&mut self) {
        self.rows.clear();
        if let Some((_, map)) = &mut self.primary {
            map.clear();
        }
        if let Some((_, sorted)) = &mut self.scan_order {
            sorted.clear();
        }
        for (_, map) in &mut self.indexes {
            map.clear();
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Scans the table in the order of `key` (a numeric primary key) instead of insertion
    /// order.
    pub fn with_scan_order(mut self, key: ScanKeyFn<R>) -> Self {
        let sorted = self.rows.iter().map(|(id, r)| (key(r), *id)).collect();
        self.scan_order = Some((key, sorted));
        self
    }

    /// The row ids in scan order: by numeric primary key where the table has one, else in
    /// insertion order.
    fn scan_ids(&self) -> impl Iterator<Item = u64> + '_ {
        let sorted = self.scan_order.as_ref().map(|(_, sorted)| sorted);
        let inserted = sorted.is_none().then(|| self.rows.keys());
        sorted
            .into_iter()
            .flatten()
            .map(|(_, id)| *id)
            .chain(inserted.into_iter().flatten().copied())
    }

    /// Every row, in scan order (insertion order, or by numeric primary key).
    pub fn rows(&self) -> impl Iterator<Item = &R> {
        self.scan_ids().filter_map(|id| self.rows.get(&id))
    }

    /// Whether the table has a primary key.
    pub fn has_primary_key(&self) -> bool {
        self.primary.is_some()
    }

    /// Adds a row unless its primary key is taken.
    pub fn insert(&mut self, row: R) -> Inserted {
        match self.try_insert(row) {
            Ok(()) => Inserted::Added,
            Err(_) => Inserted::DuplicateKey,
        }
    }

    /// Adds a row unless its primary key is taken, in which case the row comes back.
    pub fn try_insert(&mut self, row: R) -> Result<(), R> {
        if let Some((key_of, map)) = &self.primary
            && map.contains_key(&key_of(&row))
        {
            return Err(row);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.index(id, &row);
        self.record(|| Change::Put(id, row.clone()));
        self.rows.insert(id, row);
        Ok(())
    }

    /// Whether a candidate row of `lookup` satisfies `matches`.
    pub fn any(&self, lookup: &Lookup<K>, mut matches: impl FnMut(&R) -> bool) -> bool {
        self.for_each_candidate(lookup, |row| matches(row))
    }

    /// Visits the candidate rows of `lookup` until `visit` returns true; returns whether it did.
    pub fn for_each_candidate(&self, lookup: &Lookup<K>, visit: impl FnMut(&R) -> bool) -> bool {
        match lookup {
            Lookup::Primary(key) => self
                .primary
                .as_ref()
                .and_then(|(_, map)| map.get(key))
                .and_then(|id| self.rows.get(id))
                .is_some_and(visit),
            Lookup::Index(i, key) => self
                .indexes
                .get(*i)
                .and_then(|(_, map)| map.get(key))
                .is_some_and(|ids| ids.iter().filter_map(|id| self.rows.get(id)).any(visit)),
            Lookup::Scan => self.rows().any(visit),
        }
    }

    fn index(&mut self, id: u64, row: &R) {
        if let Some((key_of, map)) = &mut self.primary {
            map.insert(key_of(row), id);
        }
        if let Some((key_of, sorted)) = &mut self.scan_order {
            sorted.insert((key_of(row), id));
        }
        for (key_of, map) in &mut self.indexes {
            map.entry(key_of(row)).or_default().insert(id);
        }
    }

    fn unindex(&mut self, id: u64, row: &R) {
        if let Some((key_of, map)) = &mut self.primary {
            map.remove(&key_of(row));
        }
        if let Some((key_of, sorted)) = &mut self.scan_order {
            sorted.remove(&(key_of(row), id));
        }
        for (key_of, map) in &mut self.indexes {
            let key = key_of(row);
            if let Some(ids) = map.get_mut(&key) {
                ids.remove(&id);
                if ids.is_empty() {
                    map.remove(&key);
                }
            }
        }
    }

    /// The ids of the rows a lookup may match: by primary key, by index `i`, or all rows.
    pub fn candidates(&self, lookup: &Lookup<K>) -> Vec<u64> {
        match lookup {
            Lookup::Primary(key) => self
                .primary
                .as_ref()
                .and_then(|(_, map)| map.get(key))
                .map(|id| vec![*id])
                .unwrap_or_default(),
            Lookup::Index(i, key) => self
                .indexes
                .get(*i)
                .and_then(|(_, map)| map.get(key))
                .map(|ids| ids.iter().copied().collect())
                .unwrap_or_default(),
            Lookup::Scan => self.scan_ids().collect(),
        }
    }

    /// The row with id `id`.
    pub fn get(&self, id: u64) -> Option<&R> {
        self.rows.get(&id)
    }

    /// Removes the candidate rows for which `matches` holds; returns how many.
    pub fn delete(&mut self, lookup: &Lookup<K>, mut matches: impl FnMut(&R) -> bool) -> usize {
        let ids: Vec<u64> = self
            .candidates(lookup)
            .into_iter()
            .filter(|id| self.rows.get(id).is_some_and(&mut matches))
            .collect();
        for id in &ids {
            if let Some(row) = self.rows.remove(id) {
                self.unindex(*id, &row);
                self.record(|| Change::Remove(*id));
            }
        }
        ids.len()
    }

    /// Replaces each candidate row for which `matches` holds with `change(row)`; returns how
    /// many. A change that would duplicate another row's primary key is skipped.
    pub fn update(
        &mut self,
        lookup: &Lookup<K>,
        mut matches: impl FnMut(&R) -> bool,
        mut change: impl FnMut(&R) -> R,
    ) -> usize {
        let ids: Vec<u64> = self
            .candidates(lookup)
            .into_iter()
            .filter(|id| self.rows.get(id).is_some_and(&mut matches))
            .collect();
        let mut updated = 0;
        for id in ids {
            let Some(old) = self.rows.get(&id).cloned() else {
                continue;
            };
            let new = change(&old);
            if let Some((key_of, map)) = &self.primary
                && map.get(&key_of(&new)).is_some_and(|other| *other != id)
            {
                continue;
            }
            self.unindex(id, &old);
            self.index(id, &new);
            self.record(|| Change::Put(id, new.clone()));
            self.rows.insert(id, new);
            updated += 1;
        }
        updated
    }

    /// The table's rows as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&TableState {
            rows: self.rows.iter().map(|(id, r)| (*id, r.clone())).collect(),
            next_id: self.next_id,
        })
    }

    /// Replaces the rows with a snapshot's and rebuilds the indexes.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: TableState<R> = state::decode(bytes)?;
        if let Some(journal) = &mut self.journal {
            journal.push(Change::Clear);
            journal.extend(s.rows.iter().map(|(id, row)| Change::Put(*id, row.clone())));
        }
        self.load(s.rows);
        self.next_id = s.next_id;
        Ok(())
    }
}

/// How to find the rows a condition may match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<K> {
    /// The row with this primary key.
    Primary(K),
    /// The rows with this key in index `n`.
    Index(usize, K),
    /// Every row.
    Scan,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table<(String, i64), String> {
        Table::new(
            Some(Arc::new(|r: &(String, i64)| r.0.clone())),
            vec![Arc::new(|r: &(String, i64)| r.1.to_string())],
        )
    }

    #[test]
    fn primary_key_lookups_do_not_scan_and_duplicates_are_refused() {
        let mut t = table();
        assert_eq!(t.insert(("a".into(), 1)), Inserted::Added);
        assert_eq!(t.insert(("b".into(), 1)), Inserted::Added);
        assert_eq!(t.insert(("a".into(), 2)), Inserted::DuplicateKey);
        assert_eq!(t.candidates(&Lookup::Primary("b".into())).len(), 1);
        assert_eq!(t.candidates(&Lookup::Index(0, "1".into())).len(), 2);
        let n = t.update(&Lookup::Primary("a".into()), |_| true, |r| (r.0.clone(), 5));
        assert_eq!(n, 1);
        assert_eq!(t.candidates(&Lookup::Index(0, "5".into())).len(), 1);
        assert_eq!(t.delete(&Lookup::Index(0, "1".into()), |_| true), 1);
        let bytes = t.snapshot().unwrap();
        let mut restored = table();
        restored.restore(&bytes).unwrap();
        assert_eq!(
            restored.rows().cloned().collect::<Vec<_>>(),
            vec![("a".to_string(), 5)]
        );
        assert_eq!(restored.candidates(&Lookup::Primary("a".into())).len(), 1);
    }
}
