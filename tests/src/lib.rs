//! Shared helpers for the workspace tests: loading conformance cases (the format of
//! `shared/conformance/FORMAT.md`) from the project's own folder, the shared folder and the
//! folders named in `EVENTFLUX_CONFORMANCE_EXTRA`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One input line of a case: an event, or a clock advance.
#[derive(Clone, Debug, Deserialize)]
pub struct InputLine {
    /// Event time in milliseconds.
    pub t: Option<i64>,
    /// The stream the event goes to.
    pub stream: Option<String>,
    /// The event's attribute values.
    pub data: Option<Vec<serde_json::Value>>,
    /// Whether this line only moves the clock.
    #[serde(default)]
    pub advance: bool,
}

/// One conformance case.
#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// Free-form tags (any YAML scalar: `null` is a tag too).
    #[serde(default)]
    pub tags: Vec<serde_json::Value>,
    /// The whole app.
    pub app: String,
    /// The input, in order.
    #[serde(default)]
    pub input: Vec<InputLine>,
    /// Expected rows per output stream.
    #[serde(default)]
    pub expect: BTreeMap<String, Vec<Vec<serde_json::Value>>>,
    /// Expected row counts per output stream.
    #[serde(default)]
    pub expect_count: BTreeMap<String, usize>,
    /// Text the rejection message must contain, for cases whose app is invalid.
    pub expect_error: Option<String>,
    /// Whether rows must arrive in the listed order.
    #[serde(default = "default_true")]
    pub ordered: bool,
}

fn default_true() -> bool {
    true
}

/// A case with the file it came from.
#[derive(Clone, Debug)]
pub struct LoadedCase {
    /// The file.
    pub path: PathBuf,
    /// The case.
    pub case: Case,
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

/// The folders that hold conformance cases: the project's `tests/conformance`, the shared
/// `../shared/conformance/cases` when it exists, and each folder in
/// `EVENTFLUX_CONFORMANCE_EXTRA` (colon-separated).
pub fn case_folders() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut folders = vec![root.join("tests").join("conformance")];
    let shared = root
        .join("..")
        .join("shared")
        .join("conformance")
        .join("cases");
    if shared.is_dir() {
        folders.push(shared);
    }
    if let Ok(extra) = std::env::var("EVENTFLUX_CONFORMANCE_EXTRA") {
        folders.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    folders
}

/// Every `.yaml` file below `folder`, sorted.
pub fn yaml_files(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Loads every case in `folders`; a file that does not parse is an error naming it.
pub fn load_cases(folders: &[PathBuf]) -> Result<Vec<LoadedCase>, String> {
    let mut cases = Vec::new();
    for folder in folders {
        for path in yaml_files(folder) {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let case: Case =
                serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            cases.push(LoadedCase { path, case });
        }
    }
    Ok(cases)
}
