//! A store held in memory: its clones share one set of rows, so a table outlives the apps that
//! open it within one process (restarting an app, tests), with no server.

use super::{BackendError, StoreChange, TableStore};
use crate::table::Change;
use crate::value::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Rows by id, shared by every clone.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    rows: Arc<Mutex<BTreeMap<u64, Vec<Value>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// The stored rows with their ids, in id order.
    pub fn rows(&self) -> Vec<(u64, Vec<Value>)> {
        let rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        rows.iter().map(|(id, row)| (*id, row.clone())).collect()
    }
}

impl TableStore for MemoryStore {
    fn load(&mut self) -> Result<Vec<(u64, Vec<Value>)>, BackendError> {
        Ok(self.rows())
    }

    fn apply(&mut self, changes: &[StoreChange]) -> Result<(), BackendError> {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        for change in changes {
            match change {
                Change::Put(id, row) => {
                    rows.insert(*id, row.clone());
                }
                Change::Remove(id) => {
                    rows.remove(id);
                }
                Change::Clear => rows.clear(),
            }
        }
        Ok(())
    }
}
