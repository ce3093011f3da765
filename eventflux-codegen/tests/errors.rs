//! The checker collects every error, each at its place, without follow-on errors.

fn errors(src: &str) -> Vec<String> {
    match eventflux_codegen::check_app("app.eventflux", src) {
        Ok(_) => Vec::new(),
        Err(e) => e.one_line_each(),
    }
}

#[test]
fn every_error_is_reported_once_in_text_order() {
    let src = "define stream S (sym string, price double);\n\
               from S[pricee > 1.0] select sym insert into A;\n\
               from S select sum(sym) as t insert into B;\n\
               from S#window.lenght(3) select sym insert into C;\n\
               from A select sym insert into D;\n";
    let errs = errors(src);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(
        errs[0].starts_with(
            "app.eventflux:2:8: unknown attribute 'pricee' in stream 'S'; did you mean 'price'?"
        ),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].starts_with(
            "app.eventflux:3:15: aggregate function 'sum' needs a numeric argument, found string"
        ),
        "{}",
        errs[1]
    );
    assert!(
        errs[2].starts_with("app.eventflux:4:15: unknown window 'lenght'; did you mean 'length'?"),
        "{}",
        errs[2]
    );
}

#[test]
fn environment_variables_are_substituted_and_errors_point_at_the_original_text() {
    // SAFETY: tests in this binary do not read this variable concurrently.
    unsafe { std::env::set_var("EVENTFLUX_TEST_LEN", "5") };
    let src = "define stream S (v int);\nfrom S#window.length(${EVENTFLUX_TEST_LEN}) select vv insert into O;";
    let errs = errors(src);
    assert_eq!(
        errs,
        vec![
            "app.eventflux:2:52: unknown attribute 'vv' in stream 'S'; did you mean 'v'?"
                .to_string()
        ]
    );
    let missing = errors(
        "define stream S (v int);\nfrom S#window.length(${EVENTFLUX_NOT_SET}) select v insert into O;",
    );
    assert!(
        missing[0]
            .starts_with("app.eventflux:2:22: environment variable 'EVENTFLUX_NOT_SET' is not set"),
        "{missing:?}"
    );
}

#[test]
fn type_errors_name_the_types() {
    let errs =
        errors("define stream S (sym string, n int);\nfrom S[sym > 5] select n insert into O;");
    assert_eq!(
        errs,
        vec!["app.eventflux:2:8: cannot compare string with int using '>'".to_string()]
    );
    let errs =
        errors("define stream S (sym string, n int);\nfrom S select n + sym as x insert into O;");
    assert_eq!(
        errs,
        vec!["app.eventflux:2:15: '+' cannot be applied to int and string".to_string()]
    );
}

#[test]
fn arity_and_output_schema_errors() {
    let errs = errors("define stream S (a int);\nfrom S select coalesce() as c insert into O;");
    assert!(
        errs[0].contains("function 'coalesce' takes at least 1 argument, found 0"),
        "{errs:?}"
    );
    let errs = errors(
        "define stream S (a int);\ndefine stream O (a long);\nfrom S select a insert into O;",
    );
    assert!(
        errs[0].contains("does not match stream 'O': attribute 'a' is int, stream 'O' has long"),
        "{errs:?}"
    );
}

#[test]
fn the_rendering_shows_file_line_column_source_and_caret() {
    let err = eventflux_codegen::check_app(
        "app.eventflux",
        "define stream S (price double);\nfrom S[pricee > 1.0] select price insert into O;",
    )
    .unwrap_err();
    let text = err.render();
    assert!(
        text.contains("error: unknown attribute 'pricee' in stream 'S'"),
        "{text}"
    );
    assert!(text.contains("app.eventflux:2:8"), "{text}");
    assert!(text.contains("from S[pricee > 1.0]"), "{text}");
    assert!(text.contains("^^^^^^"), "{text}");
    assert!(text.contains("help: did you mean 'price'?"), "{text}");
}
