//! Shared helpers for the workspace tests: where conformance cases live (the project's own
//! folder, the shared folder and the folders named in `EVENTFLUX_CONFORMANCE_EXTRA`) and which
//! of them are known not to pass yet; and the benchmark workloads.

pub mod folders;
pub mod workloads;

/// Every conformance case compiled to Rust by the build script, with how to make its app.
pub mod compiled {
    use eventflux_runtime::Engine;

    /// A conformance case through the compiled path.
    pub enum Compiled {
        /// Its app compiled: this makes a fresh instance.
        App(fn() -> Box<dyn Engine>),
        /// The compiler rejected the app (each error on one line).
        Rejected(&'static str),
        /// The app uses what the compiled path cannot emit yet (each use, located).
        Unsupported(&'static str),
    }

    /// The compiled form of the case in file `path`.
    pub fn lookup(path: &std::path::Path) -> Option<&'static Compiled> {
        let key = path.display().to_string();
        CASES.iter().find(|(p, _)| *p == key).map(|(_, c)| c)
    }

    include!(concat!(env!("OUT_DIR"), "/compiled_cases.rs"));
}

use eventflux_runtime::conformance::{LoadedCase, case_files, load_case};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

/// The folders that hold conformance cases (see [`folders`]).
pub fn case_folders() -> Vec<PathBuf> {
    folders::case_folders_in(&workspace_root())
}

/// Loads every case in `folders`; a file that does not parse is an error naming it.
pub fn load_cases(folders: &[PathBuf]) -> Result<Vec<LoadedCase>, String> {
    let mut cases = Vec::new();
    for folder in folders {
        for path in case_files(folder) {
            cases.push(load_case(&path)?);
        }
    }
    Ok(cases)
}

/// The cases known not to pass yet through the interpreter, by name, with the reason
/// (`tests/conformance/known_failures.txt`).
pub fn known_failures() -> BTreeMap<String, String> {
    known_failures_in("known_failures.txt")
}

/// The cases listed in `tests/conformance/<list>` (`name # reason` per line; `//` comments).
pub fn known_failures_in(list: &str) -> BTreeMap<String, String> {
    let path = workspace_root()
        .join("tests")
        .join("conformance")
        .join(list);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| match l.split_once(" # ") {
            Some((name, reason)) => (name.trim().to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}
