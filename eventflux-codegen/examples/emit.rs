//! Prints the Rust code the compiler generates for an app, formatted (what `eventflux!` and
//! the build.rs `Builder` would include): `cargo run -p eventflux-codegen --features emit
//! --example emit -- app.eventflux`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: emit <app.eventflux>");
        return ExitCode::FAILURE;
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = match eventflux_codegen::check_app(&path, &source) {
        Ok(plan) => plan,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    match eventflux_codegen::emit::emit_source(&plan) {
        Ok(code) => {
            print!("{code}");
            ExitCode::SUCCESS
        }
        Err(unsupported) => {
            for u in unsupported {
                eprintln!(
                    "error: {path}: {} is not compiled yet (at byte {})",
                    u.feature, u.span.start
                );
            }
            ExitCode::FAILURE
        }
    }
}
