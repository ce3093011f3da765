//! The EventFlux runtime: the operators every app is made of (windows, aggregators, selectors,
//! rate limiters, tables, partitions), written once and generic over the event type, and the
//! interpreter that runs a checked plan loaded at run time.

#![warn(missing_docs)]

pub mod aggregate;
pub mod conformance;
pub mod event;
pub mod interpreter;
pub mod join;
pub mod partition;
pub mod pattern;
pub mod rate;
pub mod runner;
pub mod schedule;
pub mod select;
pub mod state;
pub mod table;
pub mod value;
pub mod window;

pub use interpreter::{App, BuildError, InputHandle, Output, SendError};
pub use runner::{RunError, Runner};
pub use value::Value;
