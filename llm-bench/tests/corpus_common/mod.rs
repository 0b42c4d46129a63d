//! Where the recorded stream corpus (`shared/fixtures/sse`, see its `INDEX.md`) is, for the
//! test crates that read it.

use std::path::PathBuf;

/// The corpus directory: `$LLM_BENCH_FIXTURES`, else `../../shared/fixtures/sse` from this
/// crate. `None` (after printing why) when it is absent, except when `CI=true`, where a
/// missing corpus fails the test instead of skipping it.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LLM_BENCH_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/fixtures/sse"
            ))
        });
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!(
        "SKIPPED: recorded stream corpus not found at {} (set LLM_BENCH_FIXTURES)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; CI=true, so this is an error");
    }
    eprintln!("{message}");
    None
}
