//! The config file's rules, in both formats.

use std::path::Path;

use super::{parse, Config, ConfigError, QUICK_CHECK};

fn toml(text: &str) -> Result<Config, String> {
    parse(Path::new("bench.toml"), text).map_err(|e| e.to_string())
}

fn yaml(text: &str) -> Result<Config, String> {
    parse(Path::new("bench.yaml"), text).map_err(|e| e.to_string())
}

fn error(text: &str) -> String {
    toml(text).expect_err("the config should be refused")
}

const FULL_TOML: &str = r#"
[target]
provider = "Anthropic"
base_url = "http://127.0.0.1:9/v1"
model = "claude-x"

[defaults]
samples = 30
max_tokens = 64

[[scenario]]
group = "chat"
name = "short"
description = "A short turn."
prompt = "Say hi"
concurrency = 4
timeout = "30s"
threshold = "p95 ttft < 800ms"
gate = "ttft, e2e"

[[scenario]]
name = "load"
prompts = ["a", "b"]
samples = 5
rate = "20/s"
arrival = "poisson"
slo = "p99 ttft <= 500ms"
search = "rate 1..50"
"#;

const FULL_YAML: &str = r#"
target:
  provider: Anthropic
  base_url: http://127.0.0.1:9/v1
  model: claude-x
defaults:
  samples: 30
  max_tokens: 64
scenario:
  - group: chat
    name: short
    description: A short turn.
    prompt: Say hi
    concurrency: 4
    timeout: 30s
    threshold: p95 ttft < 800ms
    gate: ttft, e2e
  - name: load
    prompts: [a, b]
    samples: 5
    rate: 20/s
    arrival: poisson
    slo: p99 ttft <= 500ms
    search: rate 1..50
"#;

#[test]
fn a_full_config_becomes_the_harness_settings() {
    let config = toml(FULL_TOML).unwrap();
    assert_eq!(config.target.provider.as_deref(), Some("anthropic"));
    assert_eq!(
        config.target.base_url.as_deref(),
        Some("http://127.0.0.1:9/v1")
    );
    assert_eq!(config.target.model.as_deref(), Some("claude-x"));
    let [short, load] = config.scenarios.as_slice() else {
        panic!("two scenarios expected")
    };
    assert_eq!(short.id(), "chat/short");
    assert_eq!(short.description, "A short turn.");
    assert_eq!(short.line, 13);
    assert_eq!(short.request.prompts, ["Say hi"]);
    assert_eq!(short.request.max_tokens, Some(64), "from [defaults]");
    assert_eq!(short.settings.samples, Some(30), "from [defaults]");
    assert_eq!(short.settings.concurrency, Some(4));
    assert_eq!(short.settings.timeout_ms, Some(30_000));
    assert_eq!(short.settings.threshold, Some("p95 ttft < 800ms"));
    assert_eq!(short.settings.gate, Some("ttft, e2e"));
    assert_eq!(load.id(), "load");
    assert_eq!(
        load.settings.samples,
        Some(5),
        "the scenario's own value wins"
    );
    assert_eq!(load.settings.rate, Some("20/s"));
    assert_eq!(load.settings.search, Some("rate 1..50"));
    assert_eq!(load.request.prompts, ["a", "b"]);
}

#[test]
fn yaml_says_the_same_as_toml() {
    let from_toml = toml(FULL_TOML).unwrap();
    let mut from_yaml = yaml(FULL_YAML).unwrap();
    // Lines differ between the two files; everything else is the same.
    for (a, b) in from_yaml.scenarios.iter_mut().zip(&from_toml.scenarios) {
        a.line = b.line;
    }
    assert_eq!(from_yaml, from_toml);
}

#[test]
fn the_quick_check_is_a_valid_config() {
    let config = parse(Path::new("quick_check.toml"), QUICK_CHECK).unwrap();
    let ids: Vec<String> = config.scenarios.iter().map(|s| s.id()).collect();
    assert_eq!(
        ids,
        ["quick_check/one_at_a_time", "quick_check/four_at_once"]
    );
    assert_eq!(
        config.target,
        Default::default(),
        "no endpoint: the simulated one"
    );
}

#[test]
fn a_misspelt_key_is_named_with_its_place_and_the_right_one() {
    let text = "[[scenario]]\nname = \"a\"\nprompt = \"hi\"\nsampels = 40\n";
    assert_eq!(
        error(text),
        "error: bench.toml:4:1: unknown key `sampels` in `[[scenario]]`\n  |\n4 | sampels = 40\n  | ^^^^^^^\n  = help: did you mean `samples`?\nllm-bench: bench.toml has 1 problem; nothing was run"
    );
    let yaml_error = yaml("scenario:\n  - name: a\n    prompt: hi\n    sampels: 40\n").unwrap_err();
    assert!(
        yaml_error.starts_with("error: bench.yaml:4:5: unknown key `sampels` in `[[scenario]]`"),
        "{yaml_error}"
    );
    assert!(
        yaml_error.contains("help: did you mean `samples`?"),
        "{yaml_error}"
    );
}

#[test]
fn every_problem_is_reported_in_the_order_of_the_file() {
    let text = r#"
[target]
provider = "gemeni"
api_key = "sk-123"

[[scenario]]
name = "a"
prompt = "hi"
samples = "40"
rate = "fast"
concurrency = 0
"#;
    let message = error(text);
    let lines: Vec<&str> = message
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(lines.len(), 5, "{message}");
    assert!(
        lines[0].starts_with("error: bench.toml:3:12: invalid `provider`: "),
        "{message}"
    );
    assert!(message.contains("did you mean `gemini`?"), "{message}");
    assert!(
        lines[1].starts_with("error: bench.toml:4:1: unknown key `api_key` in `[target]`"),
        "{message}"
    );
    assert!(
        message.contains("keys are never read from a config file"),
        "{message}"
    );
    assert!(
        !message.contains("sk-123"),
        "a key written in the file is never shown: {message}"
    );
    assert_eq!(
        lines[2],
        "error: bench.toml:9:11: `samples` is a whole number, found a string"
    );
    assert!(
        lines[3].starts_with("error: bench.toml:10:8: invalid `rate`: "),
        "{message}"
    );
    assert_eq!(
        lines[4],
        "error: bench.toml:11:15: `concurrency` must be at least 1, not 0"
    );
    assert!(
        message.ends_with("bench.toml has 5 problems; nothing was run"),
        "{message}"
    );
}

#[test]
fn settings_that_do_not_go_together_are_refused_as_the_attribute_refuses_them() {
    let message =
        error("[[scenario]]\nname = \"a\"\nprompt = \"hi\"\nrate = \"5/s\"\nconcurrency = 2\n");
    assert!(
        message.contains("bench.toml:4:1: give `rate` (open loop"),
        "{message}"
    );
    let message = error("[[scenario]]\nname = \"a\"\nprompt = \"hi\"\nsearch = \"rate 1..9\"\n");
    assert!(
        message.contains("a search looks for the highest load"),
        "{message}"
    );
    let message = error("[[scenario]]\nname = \"a\"\nprompt = \"hi\"\nprompts = [\"x\"]\n");
    assert!(
        message.contains("give `prompt` (one) or `prompts` (a list), not both"),
        "{message}"
    );
}

#[test]
fn a_scenario_needs_a_name_and_something_to_send() {
    let message = error("[[scenario]]\nprompt = \"hi\"\n");
    assert!(
        message.contains("a `[[scenario]]` needs a `name`"),
        "{message}"
    );
    let message = error("[[scenario]]\nname = \"a\"\n");
    assert!(
        message.contains("bench.toml:2:8: scenario `a` sends nothing: give it a `prompt`"),
        "{message}"
    );
    let message = error("[[scenario]]\nname = \"chat/a\"\nprompt = \"x\"\n");
    assert!(
        message.contains("bench.toml:2:8: `name` may contain only"),
        "{message}"
    );
    assert!(message.contains("use `group = \"...\"`"), "{message}");
    let message = error("");
    assert!(
        message.contains("the config file has no scenario"),
        "{message}"
    );
}

#[test]
fn two_scenarios_of_one_id_are_refused_with_both_places() {
    let text = "[[scenario]]\nname = \"a\"\nprompt = \"x\"\n\n[[scenario]]\nname = \"a\"\nprompt = \"y\"\n";
    let message = error(text);
    assert!(
        message.contains("bench.toml:6:8: two scenarios are named `a`"),
        "{message}"
    );
    assert!(message.contains("the first is on line 2"), "{message}");
}

#[test]
fn sections_and_defaults_are_checked_too() {
    let message = error("[scenarios]\nname = \"a\"\n");
    assert!(message.contains("unknown section `scenarios`"), "{message}");
    assert!(
        message.contains("write each scenario as a `[[scenario]]` table"),
        "{message}"
    );
    let message = error("samples = 3\n[[scenario]]\nname = \"a\"\nprompt = \"x\"\n");
    assert!(message.contains("put it under `[defaults]`"), "{message}");
    let message = error(
        "[defaults]\nname = \"x\"\nconcurency = 2\n[[scenario]]\nname = \"a\"\nprompt = \"x\"\n",
    );
    assert!(message.contains("`name` names one scenario"), "{message}");
    assert!(
        message.contains("unknown key `concurency` in `[defaults]`"),
        "{message}"
    );
    assert!(message.contains("did you mean `concurrency`?"), "{message}");
    let message = error("[[scenario]]\nname = \"a\"\nprompt = \"x\"\nbase_url = \"http://x\"\n");
    assert!(
        message.contains("`base_url` goes under `[target]`"),
        "{message}"
    );
    let message = error("[[scenario]]\nname = \"a\"\nprompt = \"x\"\ntimeout_ms = 30\n");
    assert!(
        message.contains("did you mean `timeout = \"30s\"`?"),
        "{message}"
    );
}

#[test]
fn a_trace_is_found_beside_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.jsonl"), "{\"prompt\": \"hi\"}\n").unwrap();
    let path = dir.path().join("bench.toml");
    let text = "[[scenario]]\nname = \"a\"\ntrace = \"t.jsonl\"\n";
    let config = parse(&path, text).unwrap();
    let trace = config.scenarios[0].settings.trace.unwrap();
    assert_eq!(Path::new(trace), dir.path().join("t.jsonl"));
    let missing = parse(
        &path,
        "[[scenario]]\nname = \"a\"\ntrace = \"gone.jsonl\"\n",
    )
    .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("trace file `gone.jsonl` not found"),
        "{missing}"
    );
}

#[test]
fn syntax_errors_and_unknown_formats_say_where() {
    let message = error("[[scenario]]\nname = \"a\nprompt = 1\n");
    assert!(message.starts_with("error: bench.toml:2:"), "{message}");
    let message = yaml("scenario:\n  - name: [a\n").unwrap_err();
    assert!(message.starts_with("error: bench.yaml:"), "{message}");
    let err = parse(Path::new("bench.json"), "{}").unwrap_err();
    assert!(matches!(err, ConfigError::Format { .. }));
    assert!(
        err.to_string()
            .contains("a config file is TOML (`.toml`) or YAML"),
        "{err}"
    );
}
