//! "One door to the database": the HTTP handlers (`src/routes/`, `src/web/`) and the `Actor`
//! extractor (`src/auth.rs`) reach the database only through the service layer, and take the
//! shared state from `state`, never from `startup` (which imports them).

use std::path::{Path, PathBuf};

/// Paths the handlers must not name, and why.
const FORBIDDEN: [(&str, &str); 3] = [
    ("crate::db", "go through crate::service"),
    ("db::", "go through crate::service"),
    ("crate::startup", "take AppState from crate::state"),
];

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The code of a line, without a trailing `//` comment (doc comments included).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// Where `needle` starts a path in `code`: not inside a longer name such as `sqldb::`.
fn names(code: &str, needle: &str) -> bool {
    code.match_indices(needle)
        .any(|(i, _)| !code[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'))
}

/// A grouped import such as `use crate::{db, error};` names `db` without `db::`.
fn imports_db_in_a_group(code: &str) -> bool {
    let Some(group) = code.trim_start().strip_prefix("use crate::{") else { return false };
    group.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|word| word == "db")
}

#[test]
fn handlers_and_the_extractor_reach_the_database_only_through_the_service_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("src/auth.rs")];
    rust_files(&root.join("src/routes"), &mut files);
    rust_files(&root.join("src/web"), &mut files);
    assert!(files.len() > 10, "expected the handler files, found {files:?}");
    let mut offending = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        for (n, line) in text.lines().enumerate() {
            let code = code(line);
            let rel = file.strip_prefix(root).unwrap_or(file).display();
            if let Some((needle, why)) = FORBIDDEN.iter().find(|(needle, _)| names(code, needle)) {
                offending.push(format!("{rel}:{}: names `{needle}` ({why}): {}", n + 1, line.trim()));
            }
            if imports_db_in_a_group(code) {
                offending.push(format!("{rel}:{}: imports `db` (go through crate::service): {}", n + 1, line.trim()));
            }
        }
    }
    assert!(offending.is_empty(), "handlers must call the service layer only:\n{}", offending.join("\n"));
}

#[test]
fn the_check_sees_through_comments_and_longer_names() {
    assert!(names(code("use crate::db::{self, TeamRow};"), "crate::db"));
    assert!(names(code("use crate::startup::AppState;"), "crate::startup"));
    assert!(names(code("    let rows = db::list_mail(c)?;"), "db::"));
    assert!(!names(code("    // db::list_mail was called here"), "db::"));
    assert!(!names(code("let x = 1; // see crate::db"), "crate::db"));
    assert!(!names(code("let pool = sqldb::connect();"), "db::"));
    assert!(imports_db_in_a_group("use crate::{db, error::ApiError};"));
    assert!(!imports_db_in_a_group("use crate::{dbx, error::ApiError};"));
}
