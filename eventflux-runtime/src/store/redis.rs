//! The `redis` table store: `@store(type='redis', url='redis://127.0.0.1:6379/', key='...')`.
//!
//! A table is one Redis hash (`key`, by default `eventflux:<app>:<table>`): each field is a row
//! id and its value the row as a JSON array in attribute order. Changes are written in one
//! `MULTI`/`EXEC` transaction per operation. Options: `url` (default
//! `redis://127.0.0.1:6379/`), `key`, `timeout.ms` (connecting and each command, default 5000).

use super::{BackendError, StoreChange, StoreConfig, TableStore};
use crate::table::Change;
use crate::value::Value;
use eventflux_codegen::plan::Type;
use std::time::Duration;

/// A table kept in a Redis hash.
pub struct RedisStore {
    client: redis::Client,
    connection: Option<redis::Connection>,
    key: String,
    timeout: Duration,
    schema: Vec<(String, Type)>,
}

impl RedisStore {
    /// Connects to the server `config` names.
    pub fn open(config: &StoreConfig) -> Result<RedisStore, BackendError> {
        let url = config.option("url").unwrap_or("redis://127.0.0.1:6379/");
        let timeout =
            match config.option("timeout.ms") {
                None => Duration::from_millis(5000),
                Some(ms) => Duration::from_millis(ms.trim().parse().map_err(|_| {
                    format!("timeout.ms must be a number of milliseconds, not '{ms}'")
                })?),
            };
        let client = redis::Client::open(url).map_err(|e| format!("url '{url}': {e}"))?;
        let mut store = RedisStore {
            client,
            connection: None,
            key: config
                .option("key")
                .map(str::to_string)
                .unwrap_or_else(|| format!("eventflux:{}:{}", config.app, config.table)),
            timeout,
            schema: config.schema.clone(),
        };
        store
            .connection()
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        Ok(store)
    }

    /// The open connection, reconnecting after a failure.
    fn connection(&mut self) -> redis::RedisResult<&mut redis::Connection> {
        if self.connection.is_none() {
            let connection = self.client.get_connection_with_timeout(self.timeout)?;
            connection.set_read_timeout(Some(self.timeout))?;
            connection.set_write_timeout(Some(self.timeout))?;
            self.connection = Some(connection);
        }
        match self.connection.as_mut() {
            Some(connection) => Ok(connection),
            None => Err((redis::ErrorKind::Io, "no connection").into()),
        }
    }

    /// Runs `query` on the connection; a failed connection is dropped, to reconnect next time.
    fn run<T>(
        &mut self,
        query: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, BackendError> {
        let result = self.connection().and_then(query);
        if let Err(e) = &result
            && (e.is_io_error() || e.is_connection_dropped() || e.is_timeout())
        {
            self.connection = None;
        }
        result.map_err(|e| format!("redis key '{}': {e}", self.key).into())
    }

    fn decode(&self, id: &str, json: &str) -> Result<(u64, Vec<Value>), BackendError> {
        let bad = |problem: String| format!("redis key '{}', row {id}: {problem}", self.key);
        let id: u64 = id
            .parse()
            .map_err(|_| bad("the field is not a row id".into()))?;
        let values: Vec<serde_json::Value> =
            serde_json::from_str(json).map_err(|e| bad(format!("not a JSON array: {e}")))?;
        if values.len() != self.schema.len() {
            return Err(bad(format!(
                "{} values where the table has {} attributes",
                values.len(),
                self.schema.len()
            ))
            .into());
        }
        let values = values
            .iter()
            .zip(&self.schema)
            .map(|(v, (name, ty))| {
                Value::from_json(v, *ty).map_err(|problem| bad(format!("'{name}': {problem}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((id, values))
    }
}

fn encode(row: &[Value]) -> String {
    serde_json::Value::Array(row.iter().map(Value::to_json).collect()).to_string()
}

impl TableStore for RedisStore {
    fn load(&mut self) -> Result<Vec<(u64, Vec<Value>)>, BackendError> {
        let key = self.key.clone();
        let fields: Vec<(String, String)> =
            self.run(|c| redis::cmd("HGETALL").arg(&key).query(c))?;
        let mut rows = fields
            .iter()
            .map(|(id, json)| self.decode(id, json))
            .collect::<Result<Vec<_>, _>>()?;
        rows.sort_by_key(|(id, _)| *id);
        Ok(rows)
    }

    fn apply(&mut self, changes: &[StoreChange]) -> Result<(), BackendError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for change in changes {
            match change {
                Change::Put(id, row) => pipe.cmd("HSET").arg(&self.key).arg(*id).arg(encode(row)),
                Change::Remove(id) => pipe.cmd("HDEL").arg(&self.key).arg(*id),
                Change::Clear => pipe.cmd("DEL").arg(&self.key),
            };
            pipe.ignore();
        }
        self.run(|c| pipe.query::<()>(c))
    }
}
