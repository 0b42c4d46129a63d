//! One engine for both faces: the same scenario written as a `#[llm_bench]` function and as
//! a `[[scenario]]` of a config file, each run against the simulated endpoint, stores the
//! same fields with the same settings and the same answers.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use llm_bench::prelude::*;

/// The attribute face of the scenario below's config face.
#[llm_bench(group = "engine", samples = 6, warmup = 1, concurrency = 2)]
async fn same(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("How do I reset my password?").max_tokens(16))
        .await?;
    Ok(())
}

const CONFIG: &str = r#"
[[scenario]]
group = "engine"
name = "same"
prompt = "How do I reset my password?"
max_tokens = 16
samples = 6
warmup = 1
concurrency = 2
"#;

/// Every path of keys in a JSON value (array items merged), e.g. `samples[].ttft_ns`.
fn key_paths(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let path = format!("{prefix}.{key}");
                out.insert(path.clone());
                key_paths(inner, &path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn stored(results: &Path) -> serde_json::Value {
    let path = results.join("engine/same/new/run.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_config_scenario_and_an_attribute_scenario_store_the_same_fields() {
    for variable in [
        "LLM_BENCH_PROVIDER",
        "LLM_BENCH_BASE_URL",
        "OPENAI_BASE_URL",
    ] {
        std::env::remove_var(variable);
    }
    let dir = tempfile::tempdir().unwrap();
    let by_attribute = dir.path().join("attribute");
    let by_config = dir.path().join("config");

    // The attribute face, run in this process as `cargo bench` runs a bench target.
    std::env::set_var("LLM_BENCH_HOME", &by_attribute);
    let code = llm_bench::run_with_args(["engine", "--bench", "--quiet", "--exact", "engine/same"]);
    std::env::remove_var("LLM_BENCH_HOME");
    assert_eq!(code, 0);

    // The config face, run by the command.
    let config = dir.path().join("bench.toml");
    std::fs::write(&config, CONFIG).unwrap();
    assert_cmd::Command::cargo_bin("llm-bench")
        .unwrap()
        .env_remove("LLM_BENCH_HOME")
        .args(["run", "--results"])
        .arg(&by_config)
        .arg(&config)
        .args(["--", "--quiet"])
        .timeout(Duration::from_secs(120))
        .assert()
        .success();

    let a = stored(&by_attribute);
    let c = stored(&by_config);
    let (mut fields_a, mut fields_c) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&a, "", &mut fields_a);
    key_paths(&c, "", &mut fields_c);
    // Present only when the client's self-check flagged the run (a debug build on a busy
    // machine may be): a measurement, not a difference of the two faces.
    let measured_only = |path: &String| !path.starts_with(".load.client_bound");
    fields_a.retain(measured_only);
    fields_c.retain(measured_only);
    assert_eq!(
        fields_a.symmetric_difference(&fields_c).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "the same fields are stored"
    );
    assert!(fields_a.contains(".samples[].ttft_ns"), "{fields_a:?}");

    for field in ["schema", "schema_version", "settings"] {
        assert_eq!(a[field], c[field], "`{field}` differs");
    }
    // Each run had a simulated endpoint of its own, on a port of its own.
    for field in ["kind", "model"] {
        assert_eq!(
            a["endpoint"][field], c["endpoint"][field],
            "endpoint `{field}` differs"
        );
    }
    assert_eq!(a["scenario"]["id"], c["scenario"]["id"]);
    let answers = |run: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value)> {
        run["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["output_tokens"].clone(), s["error"].clone()))
            .collect()
    };
    assert_eq!(answers(&a).len(), 6);
    assert_eq!(
        answers(&a),
        answers(&c),
        "the same answers (tokens, errors)"
    );
    // Both were measured and summarised by the same code: the same metrics.
    let metrics = |run: &serde_json::Value| -> Vec<String> {
        run["summary"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(metrics(&a), metrics(&c));
}
