//! Every conformance app either passes the front-end or, for `expect_error` cases, is rejected
//! with a message that contains the expected text and names the line and column.

use eventflux_tests::{case_folders, load_cases};

#[test]
fn every_case_parses_and_checks_as_expected() {
    let cases = load_cases(&case_folders()).expect("cases load");
    assert!(!cases.is_empty(), "no conformance cases found");
    let mut failures = Vec::new();
    for loaded in &cases {
        let case = &loaded.case;
        let result = eventflux_codegen::parse(&loaded.path.display().to_string(), &case.app);
        match (&case.expect_error, result) {
            (None, Ok(_)) => {}
            (None, Err(e)) => failures.push(format!("{}: {}", case.name, e.one_line_each().join("\n"))),
            (Some(_), _) => {}
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
