//! Snapshot tests of the checked plan (as `eventflux explain` prints it) for representative
//! apps in `tests/apps/`. Review changes with `cargo insta review`.

use std::path::Path;

fn explain_app(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("app readable");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    match eventflux_codegen::check_app(&name, &text) {
        Ok(plan) => eventflux_codegen::explain::explain(&plan),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn plans_of_representative_apps() {
    insta::glob!("apps/*.eventflux", |path| {
        insta::assert_snapshot!(explain_app(path));
    });
}
