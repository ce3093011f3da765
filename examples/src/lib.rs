//! Example EventFlux apps live in `apps/`.
