//! The EventFlux runtime and interpreter.
