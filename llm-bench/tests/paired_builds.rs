//! `--compare-with` end to end, as a pull request runs it: two builds of the examples crate
//! (the "merge-base" and the "head", which asks for twice the output tokens in one
//! scenario) are built into one target directory, the head's bench binary starts the
//! base's as its worker, and both measure the head's simulated endpoint in pairs. Only the
//! changed scenario may regress.
//!
//! It builds two crates, so it is ignored by `cargo test --workspace`; `.ci/run` runs it
//! with `--ignored`. Its builds share `~/.cache/llm-bench/paired-target` (or
//! `LLM_BENCH_PAIRED_TARGET`), so a machine pays for the dependencies once.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// A copy of the examples crate at `dest`, depending on this checkout's llm-bench by
/// absolute path, with `edit` applied to its bench source.
///
/// Cargo names two copies of one package alike and takes one for the other in a shared
/// target directory, so each copy's package gets its own name (`llm-bench-examples-NAME`,
/// NAME the last part of `dest`).
fn copy_examples(dest: &Path, edit: impl Fn(String) -> String) {
    let src = workspace().join("examples");
    for dir in ["src", "benches"] {
        std::fs::create_dir_all(dest.join(dir)).expect("a directory");
        for entry in std::fs::read_dir(src.join(dir)).expect("the examples crate") {
            let entry = entry.expect("an entry");
            let mut text = std::fs::read_to_string(entry.path()).expect("a source file");
            if dir == "benches" {
                text = edit(text);
            }
            std::fs::write(dest.join(dir).join(entry.file_name()), text).expect("a copy");
        }
    }
    // Its own workspace (the copy lives under this one's target directory), with this
    // workspace's shared package fields and dependencies, llm-bench by absolute path.
    let suffix = dest.file_name().expect("a named copy").to_string_lossy();
    let manifest = std::fs::read_to_string(src.join("Cargo.toml"))
        .expect("its manifest")
        .replacen(
            "name = \"llm-bench-examples\"",
            &format!("name = \"llm-bench-examples-{suffix}\""),
            1,
        );
    let root = std::fs::read_to_string(workspace().join("Cargo.toml")).expect("the root manifest");
    let shared: String = root
        .split("\n[")
        .filter(|section| {
            section.starts_with("workspace.package]")
                || section.starts_with("workspace.dependencies]")
        })
        .map(|section| format!("\n[{section}"))
        .collect();
    let absolute = |crate_dir: &str| {
        format!(
            "path = {:?}",
            workspace().join(crate_dir).display().to_string()
        )
    };
    let shared = shared
        .replace("path = \"llm-bench\"", &absolute("llm-bench"))
        .replace("path = \"llm-bench-macros\"", &absolute("llm-bench-macros"));
    assert!(shared.contains("llm-bench = { path = \"/"), "{shared}");
    std::fs::write(
        dest.join("Cargo.toml"),
        format!("{manifest}\n[workspace]\n{shared}"),
    )
    .expect("the manifest");
    std::fs::copy(workspace().join("Cargo.lock"), dest.join("Cargo.lock")).expect("the lock");
}

/// Builds the `latency` bench of the crate at `dir` into `target`; its executable.
fn build_bench(dir: &Path, target: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "--bench",
            "latency",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "the build of {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "latency")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the bench executable")
}

fn shared_target() -> PathBuf {
    if let Some(dir) = std::env::var_os("LLM_BENCH_PAIRED_TARGET") {
        return dir.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    cache.join("llm-bench").join("paired-target")
}

#[test]
#[ignore = "builds two crates; .ci/run runs it with --ignored"]
fn a_paired_comparison_of_two_builds_flags_the_changed_scenario_only() {
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let (base_dir, head_dir) = (tmp.path().join("base"), tmp.path().join("head"));
    // The pull request lets the support answer be twice as long: the merge-base asked for
    // 24 tokens where the head (the examples as they are) asks for 48.
    copy_examples(&base_dir, |s| {
        let before = s.replacen(".max_tokens(48)", ".max_tokens(24)", 1);
        assert_ne!(before, s, "the examples' first scenario asks for 48 tokens");
        before
    });
    copy_examples(&head_dir, |s| s);
    let target = shared_target();
    // Both builds name their executable alike in a shared target directory: the base's
    // is copied out before the head's replaces it (as the pull-request workflow does).
    let built = build_bench(&base_dir, &target);
    let base = tmp.path().join("merge-base-latency");
    std::fs::copy(&built, &base).expect("a copy of the base's bench binary");
    let head = build_bench(&head_dir, &target);

    let home = tmp.path().join("results");
    let mut command = Command::new(&head);
    command
        .args(["--bench", "--compare-with"])
        .arg(&base)
        .args([
            "--gate",
            "ttft,e2e",
            "--samples",
            "20",
            "--fail-on-regression",
            "--noplot",
        ])
        .env("LLM_BENCH_HOME", &home);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.ends_with("_BASE_URL")
            || name.ends_with("_API_KEY")
            || name.starts_with("LLM_BENCH_")
        {
            command.env_remove(name.as_ref());
        }
    }
    command.env("LLM_BENCH_HOME", &home);
    let out = command.output().expect("the head's bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{stdout}\n--- stderr\n{stderr}");
    assert_eq!(
        out.status.code(),
        Some(3),
        "a gated regression exits 3:\n{all}"
    );
    assert!(all.contains("paired with"), "{all}");

    let comparison = |id: &str| -> serde_json::Value {
        let path = home.join(id).join("change").join("comparison.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{all}", path.display()));
        serde_json::from_str(&text).expect("a stored comparison")
    };
    let changed = comparison("support_answer");
    assert_eq!(changed["regressed"], true, "{changed:#}");
    assert_eq!(
        changed["metrics"]["e2e"]["verdict"], "regressed",
        "{changed:#}"
    );
    assert_eq!(
        changed["metrics"]["e2e"]["paired"]["pairs"], 20,
        "{changed:#}"
    );
    assert!(
        changed["metrics"]["e2e"]["p_adjusted"].is_number(),
        "{changed:#}"
    );
    let unchanged = comparison("support_answer_own_client");
    assert_eq!(unchanged["regressed"], false, "{unchanged:#}");
    assert_ne!(
        unchanged["metrics"]["e2e"]["verdict"], "regressed",
        "{unchanged:#}"
    );
    // The open-loop scenario has no pairs: measured alone, compared with nothing.
    assert!(
        !home
            .join("support_traffic")
            .join("change")
            .join("comparison.json")
            .exists(),
        "{all}"
    );
    assert!(all.contains("measured alone"), "{all}");
}
