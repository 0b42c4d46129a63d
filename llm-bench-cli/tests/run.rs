//! `llm-bench run` as a user runs it: the quick check, config files good and bad, a config
//! pointed at `llm-bench mock` running as a process of its own, and the harness's exit
//! statuses passed through.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

#[path = "support/command.rs"]
mod command;
use command::llm_bench;

fn stored_run(results: &Path, id: &str) -> serde_json::Value {
    let path = results.join(id).join("new").join("run.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn with_no_config_the_quick_check_runs_against_the_simulated_endpoint() {
    let results = tempfile::tempdir().unwrap();
    llm_bench()
        .args(["run", "--results"])
        .arg(results.path())
        .args(["--", "--samples", "3", "--warmup", "0"])
        // Even with an endpoint in the environment, the quick check measures the simulated one.
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .assert()
        .success()
        .stderr(predicate::str::contains("running the built-in quick check"))
        .stdout(predicate::str::contains("quick_check/one_at_a_time"))
        .stdout(predicate::str::contains("quick_check/four_at_once"));
    for id in ["quick_check/one_at_a_time", "quick_check/four_at_once"] {
        let run = stored_run(results.path(), id);
        let samples = run["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 3, "{id}");
        assert!(
            samples.iter().all(|s| s["error"].is_null()),
            "{id}: {samples:?}"
        );
        assert_eq!(
            run["endpoint"]["kind"], "simulated",
            "{id}: {}",
            run["endpoint"]
        );
    }
    assert!(results.path().join("report").join("index.html").is_file());
}

#[test]
fn the_quick_check_prints_as_a_config_to_start_from() {
    let out = llm_bench()
        .args(["run", "--print-quick-check"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, out).unwrap();
    llm_bench()
        .args(["run", "--check"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 scenarios, nothing wrong found"))
        .stdout(predicate::str::contains("quick_check/four_at_once (line "));
}

#[test]
fn a_bad_config_is_refused_with_its_places_and_nothing_is_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.toml");
    std::fs::write(
        &path,
        "[target]\nbase_url = \"127.0.0.1:8080\"\n\n[[scenario]]\nname = \"a\"\nprompt = \"hi\"\nconcurency = 4\nthreshold = \"p95 tft < 1s\"\n",
    )
    .unwrap();
    let results = dir.path().join("results");
    let shown = path.display().to_string();
    llm_bench()
        .args(["run", "--results"])
        .arg(&results)
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "error: {shown}:2:12: invalid `base_url`"
        )))
        .stderr(predicate::str::contains(format!(
            "error: {shown}:7:1: unknown key `concurency` in `[[scenario]]`"
        )))
        .stderr(predicate::str::contains(
            "help: did you mean `concurrency`?",
        ))
        .stderr(predicate::str::contains(format!(
            "error: {shown}:8:13: invalid `threshold`"
        )))
        .stderr(predicate::str::contains("did you mean `ttft`?"))
        .stderr(predicate::str::contains("has 3 problems; nothing was run"));
    assert!(!results.exists(), "nothing is stored");

    llm_bench()
        .args(["run"])
        .arg(dir.path().join("missing.yaml"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("could not read")
                .and(predicate::str::contains("missing.yaml")),
        );
}

#[test]
fn a_yaml_config_runs_like_a_toml_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.yml");
    std::fs::write(
        &path,
        "scenario:\n  - group: chat\n    name: short\n    prompt: Say hi\n    max_tokens: 8\n    samples: 4\n    warmup: 0\n",
    )
    .unwrap();
    llm_bench()
        .args(["run", "--results"])
        .arg(dir.path().join("results"))
        .arg(&path)
        .args(["--", "--quiet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("chat/short"));
    let run = stored_run(&dir.path().join("results"), "chat/short");
    assert_eq!(run["samples"].as_array().unwrap().len(), 4);
}

#[test]
fn the_harness_exit_statuses_come_through() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.toml");
    std::fs::write(
        &path,
        "[[scenario]]\nname = \"strict\"\nprompt = \"hi\"\nsamples = 3\nwarmup = 0\nthreshold = \"p50 ttft < 1us\"\n",
    )
    .unwrap();
    llm_bench()
        .args(["run", "--results"])
        .arg(dir.path().join("results"))
        .arg(&path)
        .args(["--", "--quiet"])
        .assert()
        .code(3);
    llm_bench()
        .args(["run"])
        .arg(&path)
        .args(["--", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        llm_bench()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("llm-bench"))
            .stdout(predicate::str::contains("mock"));
    }
    llm_bench()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'tcsh'"));
}

/// The config's target, a `llm-bench mock` server started as its own process: every
/// request goes over loopback to it, and the stored run names it as the endpoint.
#[test]
fn a_config_run_measures_a_mock_server_in_another_process() {
    let mut mock = StdCommand::new(env!("CARGO_BIN_EXE_llm-bench"))
        .args(["mock", "--profile", "ttft=20ms,itl=1ms,tokens=4,seed=3"])
        .env_remove("LLM_BENCH_MOCK_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(mock.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base_url = line.trim().to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.toml");
    std::fs::write(
        &path,
        format!(
            "[target]\nprovider = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"tiny\"\n\n[[scenario]]\nname = \"over_loopback\"\nprompt = \"hi\"\nsamples = 5\nwarmup = 1\n"
        ),
    )
    .unwrap();
    let results = dir.path().join("results");
    llm_bench()
        .args(["run", "--results"])
        .arg(&results)
        .arg(&path)
        .args(["--", "--quiet"])
        .assert()
        .success();
    let run = stored_run(&results, "over_loopback");
    let samples = run["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 5);
    for sample in samples {
        assert!(sample["error"].is_null(), "{sample}");
        let ttft_ms = sample["ttft_ns"].as_f64().unwrap() / 1e6;
        assert!(ttft_ms >= 20.0, "the mock's profile paces it: {ttft_ms} ms");
    }
    assert_eq!(
        run["endpoint"]["kind"], "openai_compatible",
        "{}",
        run["endpoint"]
    );
    let host = base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1");
    assert_eq!(run["endpoint"]["host"], host, "{}", run["endpoint"]);

    let pid = mock.id().to_string();
    assert!(StdCommand::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = mock.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the mock did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    let mut said = String::new();
    std::io::Read::read_to_string(&mut mock.stderr.take().unwrap(), &mut said).unwrap();
    // Five measured requests and one warm-up.
    assert!(said.contains("stopped after 6 requests"), "{said}");
}

/// Two baselines saved by `llm-bench run`, then carried, compared and deleted by the
/// `baseline` and `compare` subcommands.
#[test]
fn baselines_are_listed_exported_imported_compared_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        "[defaults]\nsamples = 10\nwarmup = 0\nmax_tokens = 4\n\n[[scenario]]\ngroup = \"chat\"\nname = \"a\"\nprompt = \"hi\"\n\n[[scenario]]\nname = \"b\"\nprompt = \"ho\"\n",
    )
    .unwrap();
    let results = dir.path().join("results");
    for name in ["main", "feature"] {
        llm_bench()
            .args(["run", "--results"])
            .arg(&results)
            .arg(&config)
            .args(["--", "--quiet", "--save-baseline", name])
            .assert()
            .success();
    }
    let baseline = |args: &[&str]| {
        let mut cmd = llm_bench();
        cmd.arg("baseline")
            .args(args)
            .arg("--results")
            .arg(&results);
        cmd
    };
    baseline(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "main: 2 scenarios\n  b\n  chat/a\n",
        ))
        .stdout(predicate::str::contains("feature: 2 scenarios"));

    let exported = dir.path().join("main.json");
    baseline(&["export", "main"])
        .arg(&exported)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "exported baseline `main` (2 scenarios)",
        ));
    baseline(&["import", "--as", "again"])
        .arg(&exported)
        .assert()
        .success();
    assert!(results.join("chat/a/again/run.json").is_file());
    baseline(&["delete", "again", "chat/"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "deleted baseline `again` of 1 scenario",
        ));
    assert!(!results.join("chat/a/again").exists());
    assert!(
        results.join("b/again/run.json").is_file(),
        "the filter kept `b`"
    );
    baseline(&["delete", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has a baseline `nope`"));

    // Two A/A runs of the simulated endpoint: judged "no change", exit 0.
    let out = dir.path().join("compared");
    llm_bench()
        .args(["compare", "main", "feature", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("change vs baseline `main`"))
        .stdout(predicate::str::contains("verdict: no change"));
    assert!(out.join("chat/a/new/run.json").is_file());
    // The exported file against a baseline; a file that is neither is refused.
    llm_bench()
        .arg("compare")
        .arg(&exported)
        .args(["feature", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .args(["--", "--quiet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("chat/a: "));
    llm_bench()
        .args(["compare", "main", "missing", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no baseline `missing`"));
    // An --out that compare did not make is never cleared.
    llm_bench()
        .args(["compare", "main", "feature", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&results)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did not write"));
    assert!(results.join("chat/a/main/run.json").is_file());
}

/// A regression between two stored runs exits 3, as the gate does.
#[test]
fn compare_exits_3_on_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    for (name, profile) in [
        ("fast", "ttft=20ms,itl=1ms,tokens=4"),
        ("slow", "ttft=60ms,itl=1ms,tokens=4"),
    ] {
        let config = dir.path().join("bench.toml");
        std::fs::write(
            &config,
            "[[scenario]]\nname = \"x\"\nprompt = \"hi\"\nsamples = 12\nwarmup = 0\n",
        )
        .unwrap();
        llm_bench()
            .env("LLM_BENCH_MOCK_PROFILE", profile)
            .args(["run", "--results"])
            .arg(&results)
            .arg(&config)
            .args(["--", "--quiet", "--save-baseline", name])
            .assert()
            .success();
    }
    llm_bench()
        .args(["compare", "fast", "slow", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(["--", "--quiet"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("REGRESSED"));
}
