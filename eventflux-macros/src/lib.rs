//! The `eventflux!` procedural macro. It stays thin: all compilation lives in
//! `eventflux-codegen`. The macro itself arrives with the compiled path.
