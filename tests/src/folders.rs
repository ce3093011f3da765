//! Where conformance cases live: the project's `tests/conformance`, the shared
//! `../shared/conformance/cases` when it exists, and each folder in
//! `EVENTFLUX_CONFORMANCE_EXTRA` (colon-separated). Used by the harness and by the build script
//! that compiles every case, so both see the same cases.

use std::path::{Path, PathBuf};

/// The case folders, given the workspace root.
pub fn case_folders_in(root: &Path) -> Vec<PathBuf> {
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
