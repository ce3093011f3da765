//! Example EventFlux apps: `apps/` for the interpreter (`eventflux run`), `compiled/` for
//! build.rs generation (`examples/build_rs.rs`), and the inline macro (`examples/inline.rs`).
