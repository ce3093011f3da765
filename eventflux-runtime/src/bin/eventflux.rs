//! The `eventflux` command-line tool: check, explain (and, as the runtime grows, run and test)
//! EventFlux apps.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// EventFlux: a complex event processing engine whose queries compile to Rust.
#[derive(Parser)]
#[command(name = "eventflux", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check apps: exit 0 when every app is valid, otherwise print every error and exit 1.
    Check {
        /// The `.eventflux` files to check.
        #[arg(required = true)]
        apps: Vec<PathBuf>,
    },
    /// Print the checked plan of an app: streams, tables, windows, queries with typed expressions.
    Explain {
        /// The `.eventflux` file to explain.
        app: PathBuf,
    },
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { apps } => {
            let mut failed = false;
            for path in &apps {
                let text = match read(path) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{e}");
                        failed = true;
                        continue;
                    }
                };
                match eventflux_codegen::check_app(&path.display().to_string(), &text) {
                    Ok(_) => println!("{}: ok", path.display()),
                    Err(errors) => {
                        eprint!("{errors}");
                        failed = true;
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Explain { app } => {
            let text = match read(&app) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            match eventflux_codegen::check_app(&app.display().to_string(), &text) {
                Ok(plan) => {
                    print!("{}", eventflux_codegen::explain::explain(&plan));
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    eprint!("{errors}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
