//! What apps compiled to Rust (by `eventflux!` or build.rs generation) are made of besides the
//! generic operators: the Rust types of attributes ([`Field`]), the operators of typed
//! expressions ([`ops`]), built-in function calls ([`BuiltinCall`]) and the delivery guard they
//! share with the interpreter. Generated code reaches all of this through
//! `eventflux_runtime::__private` and nothing else.

mod call;
mod field;
pub mod ops;

pub use call::{BuiltinCall, CallArg};
pub use field::{Convert, Field, from_value, to_value};

/// The Rust type of a `string` attribute: shared text, so that copying an event never copies
/// its strings.
pub type Str = std::sync::Arc<str>;

/// A callback on the events of one stream of a compiled app.
pub type Callback<T> = Box<dyn FnMut(&crate::event::Event<T>) + Send>;

use crate::interpreter::SendError;

/// Attribute `attribute` of an event of `stream` from a value, or the error naming them.
pub fn field_from<T: Field>(
    stream: &str,
    attribute: &str,
    value: &crate::value::Value,
) -> Result<Option<T>, SendError> {
    T::from_value(value).map_err(|problem| SendError::Type {
        stream: stream.to_string(),
        attribute: attribute.to_string(),
        expected: T::TYPE,
        problem,
    })
}

/// The error raised when events of `stream` are dropped because queries feed each other in a
/// cycle.
pub fn cycle_message(stream: &str) -> String {
    crate::interpreter::dropped_in_cycle(&format!("stream '{stream}'"))
}

/// Reports events dropped because queries feed each other in a cycle.
pub fn report_cycle(stream: &str) {
    eprintln!(
        "error: processing an event of stream '{stream}': {}",
        crate::interpreter::dropped_in_cycle(&format!("stream '{stream}'"))
    );
}

/// Reports an error raised while processing an event of `stream` (as the interpreter logs it
/// when the stream has no fault stream).
pub fn report_error(stream: &str, message: &str) {
    eprintln!("error: processing an event of stream '{stream}': {message}");
}

/// Logs an event a table dropped because its primary key is taken: as in Siddhi, the insert
/// is logged and dropped, and is no processing error (it never reaches a fault stream).
pub fn report_duplicate_key(message: &str) {
    eprintln!("error: {message}; the event is dropped");
}

/// Logs one event passing a `#log(...)` stream function of query `query`: the function's
/// arguments, the event's kind and timestamp and its attribute values (both paths log alike).
pub fn log_event(
    query: &str,
    arguments: &[crate::value::Value],
    kind: crate::event::EventKind,
    timestamp: i64,
    values: &[crate::value::Value],
) {
    let parts: Vec<String> = arguments.iter().map(crate::value::Value::to_text).collect();
    let values: Vec<String> = values.iter().map(crate::value::Value::to_text).collect();
    eprintln!(
        "[{query}] {} {:?} t={} ({})",
        parts.join(" "),
        kind,
        timestamp,
        values.join(", ")
    );
}
