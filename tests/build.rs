//! Compiles every conformance case (the same folders as the harness) into a Rust module through
//! the compiled path, and writes the table the harness runs them from: each case's app, or the
//! errors that rejected it, or what the compiled path does not support yet.

#[path = "src/folders.rs"]
mod folders;

use eventflux_codegen::emit::{emit_app, unsupported_errors};
use eventflux_runtime::conformance::{case_files, load_case};
use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=EVENTFLUX_CONFORMANCE_EXTRA");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/folders.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf();
    let mut modules = String::new();
    let mut table = String::new();
    for folder in folders::case_folders_in(&root) {
        println!("cargo:rerun-if-changed={}", folder.display());
        for (n, path) in case_files(&folder).into_iter().enumerate() {
            println!("cargo:rerun-if-changed={}", path.display());
            let key = format!("{}", path.display());
            let entry = match load_case(&path) {
                Err(e) => format!(
                    "Compiled::Unsupported({:?})",
                    format!("the case does not load: {e}")
                ),
                Ok(loaded) => {
                    let app = &loaded.case.app;
                    match eventflux_codegen::check_app("app", app) {
                        Err(errors) => {
                            format!(
                                "Compiled::Rejected({:?})",
                                errors.one_line_each().join("\n")
                            )
                        }
                        Ok(plan) => match emit_app(&plan) {
                            Ok(items) => {
                                let module = format!("case_{}_{n}", table.lines().count());
                                let _ = writeln!(
                                    modules,
                                    "pub mod {module} {{ #![allow(clippy::all, unused)] {items} }}"
                                );
                                format!(
                                    "Compiled::App(|| {module}::App::open_with(&Default::default()).map(|a| Box::new(a) as Box<dyn Engine>).map_err(|e| format!(\"the app does not open: {{e}}\")))"
                                )
                            }
                            Err(missing) => {
                                let errors = unsupported_errors("app", app, missing);
                                format!(
                                    "Compiled::Unsupported({:?})",
                                    errors.one_line_each().join("; ")
                                )
                            }
                        },
                    }
                }
            };
            let _ = writeln!(table, "    ({key:?}, {entry}),");
        }
    }
    let out = format!(
        "{modules}\n/// Every case file with its compiled form.\npub static CASES: &[(&str, Compiled)] = &[\n{table}];\n"
    );
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set")).join("compiled_cases.rs");
    std::fs::write(&target, out).expect("OUT_DIR is writable");
}
