//! Compile errors of `eventflux!`, as users see them: each `ui/*.rs` must fail to compile with
//! exactly the messages in its `.stderr` (regenerate with `TRYBUILD=overwrite` and review).

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
