//! `llm-bench merge` and `llm-bench report` as a user runs them: two "machines" (two runs
//! of one config, each into its own results directory) merged into one run that is stored,
//! reported, exported and compared like any other; inputs that cannot merge refused.

use std::path::Path;

use predicates::prelude::*;

#[path = "support/command.rs"]
mod command;
use command::llm_bench;

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Runs `config` into `results`, as one machine would.
fn run_machine(config: &Path, results: &Path) {
    llm_bench()
        .env("LLM_BENCH_MOCK_PROFILE", "ttft=15ms,itl=1ms,tokens=4")
        .args(["run", "--results"])
        .arg(results)
        .arg(config)
        .args(["--", "--quiet", "--noplot"])
        .assert()
        .success();
}

/// A config of one scenario `x` against the simulated endpoint as `model`, of `samples`
/// requests at `concurrency`.
fn config_of(dir: &Path, model: &str, samples: u32, concurrency: u32) -> std::path::PathBuf {
    let path = dir.join(format!("bench-{model}-{concurrency}.toml"));
    std::fs::write(
        &path,
        format!(
            "[target]\nmodel = \"{model}\"\n\n[defaults]\nsamples = {samples}\nwarmup = 0\n\
             max_tokens = 4\nconcurrency = {concurrency}\n\n[[scenario]]\nname = \"x\"\nprompt = \"hi\"\n"
        ),
    )
    .unwrap();
    path
}

fn config(dir: &Path, model: &str) -> std::path::PathBuf {
    config_of(dir, model, 10, 1)
}

fn total_itl_gaps(run: &serde_json::Value) -> u64 {
    run["itl_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| bucket[1].as_u64().unwrap())
        .sum()
}

#[test]
fn two_machines_merge_into_one_run_that_reports_and_compares() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), "m1");
    let (a, b) = (dir.path().join("results-a"), dir.path().join("results-b"));
    run_machine(&config, &a);
    run_machine(&config, &b);
    let merged = dir.path().join("merged");

    llm_bench()
        .arg("merge")
        .arg(format!("host-a={}", a.display()))
        .arg(format!("host-b={}", b.display()))
        .arg("--results")
        .arg(&merged)
        .args(["--as", "both", "--noplot"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "llm-bench merge: x: 20 requests from 2 machines (host-a 10, host-b 10)",
        ))
        .stdout(predicate::str::contains("stored as baseline `both`"))
        .stdout(predicate::str::contains("llm-bench: summary"));

    let run = json(&merged.join("x/new/run.json"));
    let (run_a, run_b) = (
        json(&a.join("x/new/run.json")),
        json(&b.join("x/new/run.json")),
    );
    let samples = run["samples"].as_array().unwrap();
    let machines: Vec<&str> = samples
        .iter()
        .map(|s| s["machine"].as_str().unwrap())
        .collect();
    assert_eq!(machines[..10], ["host-a"; 10]);
    assert_eq!(machines[10..], ["host-b"; 10]);
    let indices: Vec<u64> = samples
        .iter()
        .map(|s| s["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indices, (0..20).collect::<Vec<u64>>());
    assert_eq!(
        total_itl_gaps(&run),
        total_itl_gaps(&run_a) + total_itl_gaps(&run_b),
        "every gap of both machines is in the merged histogram"
    );
    assert_eq!(run["settings"]["samples"], 20);
    assert_eq!(run["origin"]["bench_target"], "merge");
    assert!(merged.join("x/both/run.json").is_file());
    let summary = std::fs::read_to_string(merged.join("report/summary.md")).unwrap();
    assert!(summary.contains("x"), "{summary}");

    // The report again, with an export; then the merge (two machines at concurrency 1)
    // judged against one machine at concurrency 2; against one machine at concurrency 1 it
    // is refused, as any two runs of different loads are.
    llm_bench()
        .args(["report", "--noplot", "--export", "json,csv", "--results"])
        .arg(&merged)
        .assert()
        .success()
        .stdout(predicate::str::contains("llm-bench: export"));
    let exported = json(&merged.join("report/llm-bench.json"));
    assert!(exported.to_string().contains("\"x\""), "{exported}");
    let csv = std::fs::read_to_string(merged.join("report/requests.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",machine"), "{}", lines[0]);
    assert!(
        lines[1].ends_with(",host-a") && lines[20].ends_with(",host-b"),
        "{csv}"
    );
    let c = dir.path().join("results-c");
    run_machine(&config_of(dir.path(), "m1", 20, 2), &c);
    let compare = |reference: &Path| {
        let mut cmd = llm_bench();
        cmd.arg("compare")
            .arg(reference.join("x/new/run.json"))
            .arg(merged.join("x/new/run.json"))
            .arg("--out")
            .arg(dir.path().join("compared"))
            .args(["--", "--noplot"]);
        cmd
    };
    // Judged (the verdict itself is the timing of this busy machine's two runs: 0 or 3).
    compare(&c)
        .assert()
        .code(predicate::in_iter([0, 3]))
        .stdout(predicate::str::contains("change vs baseline `A`"))
        .stdout(predicate::str::contains("verdict"));
    compare(&a)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "(model m1, concurrency 1), this run against",
        ))
        .stderr(predicate::str::contains("(model m1, concurrency 2)"));
}

#[test]
fn inputs_that_cannot_merge_are_refused_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("results-a"), dir.path().join("results-b"));
    run_machine(&config(dir.path(), "m1"), &a);
    run_machine(&config(dir.path(), "m2"), &b);
    let merged = dir.path().join("merged");
    let merge = |inputs: &[String]| {
        let mut cmd = llm_bench();
        cmd.arg("merge").args(inputs).arg("--results").arg(&merged);
        cmd
    };
    let named = |name: &str, path: &Path| format!("{name}={}", path.display());

    merge(&[named("a", &a), named("b", &b)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the runs of `x` from `a` and `b` measured different endpoints",
        ))
        .stderr(predicate::str::contains("model m1").and(predicate::str::contains("model m2")));
    merge(&[named("a", &a), named("a", &a)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("are named `a`"));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    merge(&[named("a", &a), named("e", &empty)])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("e: ").and(predicate::str::contains("holds no stored run")),
        );
    merge(&[named("a", &a), named("m", &dir.path().join("missing.json"))])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("m: could not read"));
    merge(&[named("a", &a)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2 values required"));
    assert!(
        !merged.exists(),
        "nothing is written when a merge is refused"
    );

    llm_bench()
        .args(["report", "--results"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no stored run to report"));
    llm_bench()
        .args(["report", "--export", "xml", "--results"])
        .arg(&a)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--export: unknown export format `xml`",
        ));
}
