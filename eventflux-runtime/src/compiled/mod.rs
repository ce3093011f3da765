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

/// The wall-clock time in ms since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The time an event sent to `stream` gets, as the interpreter stamps it: in playback its own
/// `timestamp` (or the clock), refused when older than the clock; otherwise the wall clock (or
/// `timestamp`), never before the clock.
pub fn stamp(
    stream: &str,
    playback: bool,
    clock: i64,
    timestamp: Option<i64>,
) -> Result<i64, SendError> {
    if playback {
        let ts = timestamp.unwrap_or(clock);
        if ts < clock {
            return Err(SendError::OutOfOrder {
                stream: stream.to_string(),
                timestamp: ts,
                clock,
            });
        }
        Ok(ts)
    } else {
        Ok(timestamp.unwrap_or_else(now_ms).max(clock))
    }
}

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

/// The earliest of the timers' due times (`None`: no timer), with its index and the due time
/// of the next timer after it.
pub fn earliest(dues: &[Option<i64>]) -> Option<(i64, usize, Option<i64>)> {
    let mut best: Option<(i64, usize)> = None;
    let mut second: Option<i64> = None;
    for (i, due) in dues.iter().enumerate() {
        let Some(due) = *due else {
            continue;
        };
        match best {
            Some((b, _)) if due >= b => second = Some(second.map_or(due, |s| s.min(due))),
            _ => {
                if let Some((b, _)) = best {
                    second = Some(second.map_or(b, |s| s.min(b)));
                }
                best = Some((due, i));
            }
        }
    }
    best.map(|(due, i)| (due, i, second))
}

/// Reports events dropped because queries feed each other in a cycle.
pub fn report_cycle(stream: &str) {
    eprintln!(
        "error: processing an event of stream '{stream}': events of stream '{stream}' were dropped: queries feed each other more than {} levels deep (a cycle of insert into)",
        crate::interpreter::MAX_DELIVERY_DEPTH
    );
}

/// Reports a clock jump that fired the most timers one move may fire.
pub fn report_timer_storm(time: i64) {
    eprintln!(
        "error: the clock moved to {time} at once: {} timers fired on the way; the rest fire as the clock moves on",
        crate::interpreter::MAX_TIMER_FIRINGS
    );
}
