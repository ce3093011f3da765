//! [`Engine`]: an app driven without knowing its types, whether interpreted or compiled. The
//! conformance harness, the workloads binary and tools use it to run both paths the same way.

use crate::interpreter::{App, Output, SendError};
use crate::state::StateError;
use crate::value::Value;
use eventflux_codegen::plan::Type;

/// A running app seen through values: what both the interpreter's [`App`] and every compiled
/// app offer.
pub trait Engine: Send {
    /// The attribute names and types of stream `name` (or of the rows of `return` query `name`).
    fn schema(&self, name: &str) -> Option<Vec<(String, Type)>>;
    /// Makes the clock follow event time from 0 (or the wall clock, when `false`).
    fn set_playback(&mut self, playback: bool);
    /// The clock, in ms.
    fn clock(&self) -> i64;
    /// Calls `callback` for every event of stream `stream`.
    fn subscribe_values(&mut self, stream: &str, callback: Box<dyn FnMut(&Output) + Send>);
    /// Sends one event given as values (see [`App::send`] for `timestamp`).
    fn send_values(
        &mut self,
        stream: &str,
        timestamp: Option<i64>,
        values: Vec<Value>,
    ) -> Result<(), SendError>;
    /// Moves the clock to `time`, firing every timer due on the way.
    fn advance(&mut self, time: i64);
    /// The app's state as bytes.
    fn snapshot_state(&self) -> Result<Vec<u8>, StateError>;
    /// Replaces the app's state with a snapshot's (taken by the same app).
    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), StateError>;

    /// Sends one event given as JSON values, converted by the stream's attribute types.
    fn send_json_values(
        &mut self,
        stream: &str,
        timestamp: Option<i64>,
        values: &[serde_json::Value],
    ) -> Result<(), SendError> {
        let types = self
            .schema(stream)
            .ok_or_else(|| SendError::UnknownStream(stream.to_string()))?;
        let converted = values_from_json(stream, &types, values)?;
        self.send_values(stream, timestamp, converted)
    }
}

/// An event of `stream` given as JSON values, converted by its attribute types; errors name the
/// stream, the attribute and the value.
pub fn values_from_json(
    stream: &str,
    types: &[(String, Type)],
    values: &[serde_json::Value],
) -> Result<Vec<Value>, SendError> {
    if values.len() != types.len() {
        return Err(SendError::Arity {
            stream: stream.to_string(),
            expected: types.len(),
            found: values.len(),
        });
    }
    values
        .iter()
        .zip(types)
        .map(|(v, (name, ty))| {
            Value::from_json(v, *ty).map_err(|problem| SendError::Type {
                stream: stream.to_string(),
                attribute: name.clone(),
                expected: *ty,
                problem,
            })
        })
        .collect()
}

impl Engine for App {
    fn schema(&self, name: &str) -> Option<Vec<(String, Type)>> {
        self.stream_schema(name).map(<[_]>::to_vec).or_else(|| {
            self.plan()
                .queries
                .iter()
                .find(|q| q.name == name)
                .map(|q| {
                    q.output_schema
                        .attributes
                        .iter()
                        .map(|a| (a.name.clone(), a.ty))
                        .collect()
                })
        })
    }
    fn set_playback(&mut self, playback: bool) {
        App::set_playback(self, playback)
    }
    fn clock(&self) -> i64 {
        App::clock(self)
    }
    fn subscribe_values(&mut self, stream: &str, callback: Box<dyn FnMut(&Output) + Send>) {
        self.subscribe(stream, callback)
    }
    fn send_values(
        &mut self,
        stream: &str,
        timestamp: Option<i64>,
        values: Vec<Value>,
    ) -> Result<(), SendError> {
        self.send(stream, timestamp, values)
    }
    fn advance(&mut self, time: i64) {
        self.advance_to(time)
    }
    fn snapshot_state(&self) -> Result<Vec<u8>, StateError> {
        self.snapshot()
    }
    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.restore(bytes)
    }
}
