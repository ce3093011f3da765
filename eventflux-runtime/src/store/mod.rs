//! External stores for tables: `@store(type='redis', ...) define table ...`.
//!
//! A stored table is a write-through table: the app holds its rows in memory, with the same
//! indexes, conditions and semantics as any table, loads them from the store when it starts, and
//! writes every change to the store in order after the operation that made it. Reads never wait
//! for the store. A store that fails keeps its unwritten changes and gets them again, first, with
//! the next change (or [`crate::App::flush_stores`]), so nothing the app accepted is lost while it
//! runs. Changes made to the store by others while the app runs are not seen until it restarts.
//!
//! Store types come from a [`StoreRegistry`]: `redis` is built in (cargo feature `redis`, on by
//! default); [`StoreRegistry::register`] adds others, such as a [`MemoryStore`] shared by the
//! apps of one process.

pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;

pub use memory::MemoryStore;

use crate::table::{Change, Table};
use crate::value::{RowMisfit, Value, fit_row};
use crate::window::Data;
use eventflux_codegen::plan::Type;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::Arc;

/// One change to a stored table: a row (by id) put or removed, or every row removed.
pub type StoreChange = Change<Vec<Value>>;

/// What a store's own operations fail with (a connection error, a malformed stored row).
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// A place that keeps one table's rows, each under its row id.
pub trait TableStore: Send + Sync {
    /// Every stored row with its id, values in the table's attribute order.
    fn load(&mut self) -> Result<Vec<(u64, Vec<Value>)>, BackendError>;
    /// Writes `changes`, in order; either all of them or (on an error) none.
    fn apply(&mut self, changes: &[StoreChange]) -> Result<(), BackendError>;
}

/// What a store of one table is opened with.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreConfig {
    /// The app's name (`@app:name`).
    pub app: String,
    /// The table's name.
    pub table: String,
    /// The table's attributes and their types.
    pub schema: Vec<(String, Type)>,
    /// The `@store` options (`type` among them), keys in lower case.
    pub options: BTreeMap<String, String>,
}

impl StoreConfig {
    /// The config of table `table` of app `app` from its `@store` annotation's options (key and
    /// value; positional values, without a key, are left out).
    pub fn new<'a>(
        app: &str,
        table: &str,
        schema: Vec<(String, Type)>,
        options: impl IntoIterator<Item = (Option<&'a str>, &'a str)>,
    ) -> Self {
        let options = options
            .into_iter()
            .filter_map(|(k, v)| k.map(|k| (k.to_ascii_lowercase(), v.to_string())))
            .collect();
        StoreConfig {
            app: app.to_string(),
            table: table.to_string(),
            schema,
            options,
        }
    }

    /// The store type (`type='...'`).
    pub fn kind(&self) -> &str {
        self.option("type").unwrap_or("")
    }

    /// The option `key` (case-insensitive), if given.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Why a stored table could not be opened, loaded or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No store of the table's type is registered.
    #[error("table '{table}': no store type '{kind}' is known (known types: {known})")]
    UnknownType {
        /// The table.
        table: String,
        /// The type asked for.
        kind: String,
        /// The registered types.
        known: String,
    },
    /// The store failed.
    #[error("table '{table}' (store '{kind}'): {message}")]
    Backend {
        /// The table.
        table: String,
        /// The store type.
        kind: String,
        /// What went wrong.
        message: String,
    },
}

/// Opens the store of one table.
pub type StoreFactory =
    Arc<dyn Fn(&StoreConfig) -> Result<Box<dyn TableStore>, BackendError> + Send + Sync>;

/// The store types an app can use, by name.
#[derive(Clone)]
pub struct StoreRegistry {
    factories: BTreeMap<String, StoreFactory>,
}

impl Default for StoreRegistry {
    /// The built-in store types.
    fn default() -> Self {
        StoreRegistry::with_builtins()
    }
}

impl StoreRegistry {
    /// No store types at all.
    pub fn empty() -> Self {
        StoreRegistry {
            factories: BTreeMap::new(),
        }
    }

    /// The built-in store types: `redis` (with the `redis` feature).
    pub fn with_builtins() -> Self {
        #[allow(unused_mut)]
        let mut registry = StoreRegistry::empty();
        #[cfg(feature = "redis")]
        registry.register("redis", |config| {
            Ok(Box::new(redis::RedisStore::open(config)?) as Box<dyn TableStore>)
        });
        registry
    }

    /// Adds (or replaces) store type `kind` (matched case-insensitively).
    pub fn register(
        &mut self,
        kind: &str,
        open: impl Fn(&StoreConfig) -> Result<Box<dyn TableStore>, BackendError> + Send + Sync + 'static,
    ) -> &mut Self {
        self.factories
            .insert(kind.to_ascii_lowercase(), Arc::new(open));
        self
    }

    /// Opens the store `config` asks for.
    pub fn open(&self, config: &StoreConfig) -> Result<StoreLink, StoreError> {
        let kind = config.kind().to_ascii_lowercase();
        let factory = self
            .factories
            .get(&kind)
            .ok_or_else(|| StoreError::UnknownType {
                table: config.table.clone(),
                kind: config.kind().to_string(),
                known: match self.factories.keys().cloned().collect::<Vec<_>>() {
                    known if known.is_empty() => "none".into(),
                    known => known.join(", "),
                },
            })?;
        let store = factory(config).map_err(|e| StoreError::Backend {
            table: config.table.clone(),
            kind: kind.clone(),
            message: e.to_string(),
        })?;
        Ok(StoreLink {
            table: config.table.clone(),
            kind,
            schema: config.schema.clone(),
            store,
            pending: Vec::new(),
        })
    }
}

/// A table's open store and the changes not yet written to it.
pub struct StoreLink {
    table: String,
    kind: String,
    schema: Vec<(String, Type)>,
    store: Box<dyn TableStore>,
    pending: Vec<StoreChange>,
}

impl StoreLink {
    fn error(&self, message: String) -> StoreError {
        StoreError::Backend {
            table: self.table.clone(),
            kind: self.kind.clone(),
            message,
        }
    }

    /// The stored rows, each checked against the table's attributes (converted where a value
    /// widens, as sent events are).
    pub fn load(&mut self) -> Result<Vec<(u64, Vec<Value>)>, StoreError> {
        let rows = self.store.load().map_err(|e| self.error(e.to_string()))?;
        rows.into_iter()
            .map(|(id, mut values)| {
                fit_row(&mut values, &self.schema).map_err(|misfit| {
                    self.error(match misfit {
                        RowMisfit::Arity { expected, found } => format!(
                            "stored row {id} has {found} values where the table has {expected} attributes"
                        ),
                        RowMisfit::Type { index, problem } => {
                            let (name, ty) = &self.schema[index];
                            format!("stored row {id}, attribute '{name}' ({ty}): {problem}")
                        }
                    })
                })?;
                Ok((id, values))
            })
            .collect()
    }

    /// Writes `changes` after any that failed before; on an error they all wait for the next
    /// call.
    pub fn write(&mut self, changes: Vec<StoreChange>) -> Result<(), StoreError> {
        self.pending.extend(changes);
        if self.pending.is_empty() {
            return Ok(());
        }
        match self.store.apply(&self.pending) {
            Ok(()) => {
                self.pending.clear();
                Ok(())
            }
            Err(e) => Err(self.error(format!(
                "{e} ({} changes wait to be written)",
                self.pending.len()
            ))),
        }
    }

    /// How many changes wait to be written.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Opens the store `config` asks for in `stores`, loads its rows into `table` (each made by
/// `row_of` from its values, already checked against the table's attributes) and makes the
/// table record its changes for [`write_table`].
pub fn open_table<R: Data, K: Clone + Eq + Hash>(
    stores: &StoreRegistry,
    config: &StoreConfig,
    table: &mut Table<R, K>,
    row_of: impl Fn(Vec<Value>) -> Result<R, String>,
) -> Result<StoreLink, StoreError> {
    let mut link = stores.open(config)?;
    let rows = link
        .load()?
        .into_iter()
        .map(|(id, values)| {
            row_of(values)
                .map(|row| (id, row))
                .map_err(|e| link.error(format!("stored row {id}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    table.load(rows);
    table.record_changes();
    Ok(link)
}

/// Writes `table`'s recorded changes, each row as `values_of` gives its values, to `store`
/// (after any that failed before).
pub fn write_table<R: Data, K: Clone + Eq + Hash>(
    table: &mut Table<R, K>,
    store: &mut StoreLink,
    values_of: impl Fn(&R) -> Vec<Value>,
) -> Result<(), StoreError> {
    if !table.has_changes() && store.pending() == 0 {
        return Ok(());
    }
    let changes = table
        .take_changes()
        .into_iter()
        .map(|change| match change {
            Change::Put(id, row) => Change::Put(id, values_of(&row)),
            Change::Remove(id) => Change::Remove(id),
            Change::Clear => Change::Clear,
        })
        .collect();
    store.write(changes)
}
