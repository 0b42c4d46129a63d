//! The git commit a run measured, stored with it ([`StoredRun::commit`]) and written as a
//! label by the time-series exports.
//!
//! [`StoredRun::commit`]: crate::store::StoredRun::commit

use std::sync::OnceLock;

/// The environment variables that name the commit, in the order they are read: llm-bench's
/// own, then GitHub Actions', GitLab CI's and Buildkite's.
pub(crate) const COMMIT_VARS: [&str; 4] = [
    "LLM_BENCH_COMMIT",
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILDKITE_COMMIT",
];

/// The commit of this process's runs: the first of [`COMMIT_VARS`] set to something other
/// than blanks, else `git rev-parse HEAD` in the current directory (silently `None` when git
/// is missing or this is no repository). Computed once per process.
pub(crate) fn current_commit() -> Option<String> {
    static COMMIT: OnceLock<Option<String>> = OnceLock::new();
    COMMIT
        .get_or_init(|| {
            commit_from(|name| std::env::var(name).ok()).or_else(crate::report::git_head)
        })
        .clone()
}

/// The first of [`COMMIT_VARS`] that `var` gives a non-blank value for, trimmed.
fn commit_from(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    COMMIT_VARS.iter().find_map(|name| {
        var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_blank_variable_wins() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(commit_from(env(&[])), None);
        assert_eq!(
            commit_from(env(&[("GITHUB_SHA", "abc"), ("BUILDKITE_COMMIT", "def")])),
            Some("abc".into())
        );
        assert_eq!(
            commit_from(env(&[
                ("LLM_BENCH_COMMIT", "  "),
                ("CI_COMMIT_SHA", " 123\n")
            ])),
            Some("123".into())
        );
        assert_eq!(
            commit_from(env(&[("LLM_BENCH_COMMIT", "mine"), ("GITHUB_SHA", "abc")])),
            Some("mine".into())
        );
    }
}
