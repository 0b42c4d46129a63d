//! Exports: a snapshot per format of a fixed synthetic run, and the shapes other tools expect.

use serde_json::Value;

use super::common::{regressed_comparison, run};
use crate::export::{exporter, parse_export_list, write_exports, EXPORT_NAMES};
use crate::report::ReportInput;

fn export(name: &str) -> String {
    let a = run("chat/short turn", 12, 100, &[5, 9]);
    let b = run("embeddings", 4, 20, &[]);
    let cmp = regressed_comparison("main");
    let inputs = [
        ReportInput {
            run: &a,
            baseline: None,
            comparison: Some(&cmp),
        },
        ReportInput::new(&b),
    ];
    exporter(name).unwrap().export(&inputs).unwrap()
}

#[test]
fn bmf_snapshot() {
    insta::assert_snapshot!(export("bmf"));
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!(export("csv"));
}

#[test]
fn github_smaller_is_better_snapshot() {
    insta::assert_snapshot!(export("github"));
}

#[test]
fn github_bigger_is_better_snapshot() {
    insta::assert_snapshot!(export("github-bigger"));
}

#[cfg(feature = "prometheus")]
#[test]
fn prometheus_snapshot() {
    insta::assert_snapshot!(export("prometheus"));
}

#[cfg(feature = "influxdb")]
#[test]
fn influx_snapshot() {
    insta::assert_snapshot!(export("influx"));
}

#[test]
fn json_snapshot() {
    // Small runs: the JSON export holds every request in full.
    let a = run("chat/short turn", 3, 100, &[1]);
    let cmp = regressed_comparison("main");
    let inputs = [ReportInput {
        run: &a,
        baseline: None,
        comparison: Some(&cmp),
    }];
    insta::assert_snapshot!(exporter("json").unwrap().export(&inputs).unwrap());
}

/// The documented BMF shape (https://bencher.dev/bmf.json): an object of benchmarks, each an
/// object of measures, each an object with a required number `value` and optional numbers
/// `lower_value` and `upper_value`, and no other keys; names non-empty.
fn check_bmf(doc: &Value) -> Result<(), String> {
    let benchmarks = doc.as_object().ok_or("top level is not an object")?;
    for (bench, measures) in benchmarks {
        if bench.is_empty() {
            return Err("empty benchmark name".into());
        }
        let measures = measures
            .as_object()
            .ok_or(format!("{bench}: not an object"))?;
        for (slug, metric) in measures {
            if slug.is_empty() || slug.len() > 64 {
                return Err(format!("{bench}: bad measure slug {slug:?}"));
            }
            let metric = metric
                .as_object()
                .ok_or(format!("{bench}/{slug}: not an object"))?;
            if !metric.get("value").is_some_and(Value::is_number) {
                return Err(format!("{bench}/{slug}: no number `value`"));
            }
            for (k, v) in metric {
                if !matches!(k.as_str(), "value" | "lower_value" | "upper_value") {
                    return Err(format!("{bench}/{slug}: unexpected key {k}"));
                }
                if !v.is_number() {
                    return Err(format!("{bench}/{slug}/{k}: not a number"));
                }
            }
            if let (Some(lo), Some(v), Some(hi)) = (
                metric.get("lower_value").and_then(Value::as_f64),
                metric.get("value").and_then(Value::as_f64),
                metric.get("upper_value").and_then(Value::as_f64),
            ) {
                if !(lo <= v && v <= hi) {
                    return Err(format!("{bench}/{slug}: {lo} <= {v} <= {hi} fails"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn bmf_validates_against_its_documented_shape() {
    let doc: Value = serde_json::from_str(&export("bmf")).unwrap();
    check_bmf(&doc).unwrap();
    let short = &doc["chat/short turn"];
    for slug in ["ttft", "tpot", "e2e", "itl", "output-tokens-per-second"] {
        assert!(short[slug]["value"].is_number(), "{slug}");
        // 10 successful requests: enough for the median's interval.
        assert!(short[slug]["lower_value"].is_number(), "{slug}");
    }
    // 4 requests: medians without bounds.
    assert!(doc["embeddings"]["ttft"].get("lower_value").is_none());
    // The checker itself rejects what the format forbids.
    for bad in [
        r#"[]"#,
        r#"{"b": {"m": {"lower_value": 1}}}"#,
        r#"{"b": {"m": {"value": "1"}}}"#,
        r#"{"b": {"m": {"value": 1, "p50": 1}}}"#,
    ] {
        assert!(
            check_bmf(&serde_json::from_str(bad).unwrap()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn bmf_computes_intervals_when_the_run_has_no_stored_estimates() {
    let mut r = run("no estimates", 30, 100, &[]);
    r.estimates.clear();
    let text = exporter("bmf")
        .unwrap()
        .export(&[ReportInput::new(&r)])
        .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    check_bmf(&doc).unwrap();
    let ttft = &doc["no estimates"]["ttft"];
    let (lo, v, hi) = (
        ttft["lower_value"].as_f64().unwrap(),
        ttft["value"].as_f64().unwrap(),
        ttft["upper_value"].as_f64().unwrap(),
    );
    assert!(
        lo <= v && v <= hi && (100.0..=111.0).contains(&v),
        "{lo} {v} {hi}"
    );
}

#[test]
fn github_action_benchmark_entries_have_the_custom_shape() {
    for (name, unit) in [("github", "ms"), ("github-bigger", "tokens/s")] {
        let doc: Value = serde_json::from_str(&export(name)).unwrap();
        let entries = doc.as_array().expect("an array");
        assert!(!entries.is_empty());
        for e in entries {
            let o = e.as_object().unwrap();
            assert!(o["name"].is_string() && o["value"].is_number(), "{e}");
            assert_eq!(o["unit"], unit);
            for k in o.keys() {
                assert!(
                    ["name", "unit", "value", "range", "extra"].contains(&k.as_str()),
                    "{k}"
                );
            }
        }
    }
}

#[test]
fn csv_has_one_row_per_request() {
    let text = export("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "scenario");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12 + 4);
    let failed = &rows[5];
    assert_eq!(
        &failed[headers.iter().position(|h| h == "error_class").unwrap()],
        "timeout"
    );
    assert_eq!(
        &failed[headers.iter().position(|h| h == "ttft_ms").unwrap()],
        ""
    );
    // An error message with a comma, quotes and markup survives quoting.
    let msg = &rows[9][headers.iter().position(|h| h == "error_message").unwrap()];
    assert!(msg.contains("<script>alert('x')</script> & more"), "{msg}");
    // Each request's start on the machine's clocks, its id and its connection.
    let cell = |row: &csv::StringRecord, name: &str| {
        row[headers.iter().position(|h| h == name).unwrap()].to_string()
    };
    assert_eq!(cell(&rows[0], "start_monotonic_ns"), "5000000000000");
    assert_eq!(cell(&rows[0], "start_utc"), "2026-12-02T09:30:15.000000Z");
    assert_eq!(cell(&rows[1], "request_id"), "req-1");
    assert_eq!(cell(&rows[1], "new_connection"), "true");
    assert_eq!(cell(&rows[1], "tls_ms"), "2.100");
    assert_eq!(cell(&rows[3], "new_connection"), "false");
    assert_eq!(cell(&rows[3], "connect_ms"), "");
    assert_eq!(cell(&rows[3], "request_written_ms"), "0.040");
    assert_eq!(cell(failed, "request_id"), "");
}

#[test]
fn json_holds_every_run_in_full() {
    let doc: Value = serde_json::from_str(&export("json")).unwrap();
    assert_eq!(doc["schema"], "llm-bench/export");
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2);
    assert_eq!(scenarios[0]["run"]["samples"].as_array().unwrap().len(), 12);
    assert_eq!(scenarios[0]["comparison"]["baseline"], "main");
    assert!(scenarios[1]["comparison"].is_null());
    // Each run reads back as a stored run (floats may differ in the last bit).
    let text = serde_json::to_string(&scenarios[0]["run"]).unwrap();
    let back = crate::store::StoredRun::from_json(&text, std::path::Path::new("export")).unwrap();
    let original = run("chat/short turn", 12, 100, &[5, 9]);
    assert_eq!(back.samples, original.samples);
    assert_eq!(back.scenario, original.scenario);
    assert_eq!(back.itl_histogram, original.itl_histogram);
}

#[test]
fn export_lists_parse_and_unknown_names_list_the_choices() {
    let list = parse_export_list("json,csv,bmf,github").unwrap();
    let names: Vec<_> = list.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["json", "csv", "bmf", "github"]);
    let list = parse_export_list(" BMF , ,bmf,github-bigger").unwrap();
    let names: Vec<_> = list.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["bmf", "github-bigger"]);
    let err = parse_export_list("json,xml").err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "unknown export format `xml` (the formats are {})",
            EXPORT_NAMES.join(", ")
        )
    );
    #[cfg(not(any(feature = "prometheus", feature = "influxdb")))]
    assert_eq!(
        err.to_string(),
        "unknown export format `xml` (the formats are json, csv, bmf, github, github-bigger)"
    );
    for name in EXPORT_NAMES {
        let e = exporter(name).unwrap();
        assert_eq!(e.name(), *name);
    }
    let files: Vec<_> = EXPORT_NAMES
        .iter()
        .map(|n| exporter(n).unwrap().file_name())
        .collect();
    let mut unique = files.clone();
    unique.dedup();
    assert_eq!(unique.len(), files.len());
}

#[test]
fn exports_are_written_into_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let r = run("x", 3, 10, &[]);
    let list = parse_export_list("json,csv,bmf,github,github-bigger").unwrap();
    let paths = write_exports(dir.path(), &list, &[ReportInput::new(&r)]).unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "llm-bench.json",
            "requests.csv",
            "bencher.json",
            "github-action-benchmark.json",
            "github-action-benchmark-bigger.json"
        ]
    );
    assert!(paths.iter().all(|p| p.is_file()));
}
