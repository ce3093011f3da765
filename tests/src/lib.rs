//! Shared helpers for the workspace tests: where conformance cases live (the project's own
//! folder, the shared folder and the folders named in `EVENTFLUX_CONFORMANCE_EXTRA`) and which
//! of them are known not to pass yet; and the benchmark workloads. The compiled apps of the
//! conformance cases (the build script's output) are included by the conformance test only, so
//! that the workloads binary and benches do not compile them.

pub mod folders;
pub mod workloads;

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
