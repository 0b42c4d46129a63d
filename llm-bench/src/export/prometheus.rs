//! The Prometheus text exposition format (feature `prometheus`).

use super::series::{self, Figures, QUANTILES};
use super::Exporter;
use crate::report::{ReportError, ReportInput};

/// `prometheus`: every scenario's figures as gauges in the [Prometheus text exposition
/// format] 0.0.4, for a Pushgateway (`--push-gateway`) or a node exporter's textfile
/// collector.
///
/// Each series is labelled `scenario` (the scenario id), `endpoint` (host and port),
/// `model` and `commit` ([`StoredRun::commit`](crate::store::StoredRun::commit)); a label
/// whose value is unknown is left out. Times are in seconds. The families, each written
/// only when some run has a value for it:
///
/// | family | what |
/// |---|---|
/// | `llm_bench_<metric>_seconds{quantile="0.5"\|"0.9"\|"0.99"}` | p50, p90, p99 of each time metric the run summarised: `ttfb`, `ttft`, `ttfo`, `itl`, `itl_per_token`, `tpot`, `e2e` |
/// | `llm_bench_tokens_per_second{quantile=…}` | the same of each request's output tokens per second |
/// | `llm_bench_requests` | measured requests, failed ones included |
/// | `llm_bench_errors` | failed requests |
/// | `llm_bench_throughput_requests_per_second` | successful requests per second of wall time |
/// | `llm_bench_throughput_output_tokens_per_second` | output tokens per second of wall time |
/// | `llm_bench_goodput_requests_per_second` | requests meeting every objective per second (runs with objectives) |
/// | `llm_bench_good_ratio` | the share of requests meeting every objective, 0 to 1 (runs with objectives) |
/// | `llm_bench_wall_time_seconds` | the measured phase's wall time |
/// | `llm_bench_run_start_timestamp_seconds` | when the run started (Unix time) |
///
/// [Prometheus text exposition format]: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
#[derive(Debug, Clone, Copy, Default)]
pub struct Prometheus;

/// A family of one value per run: its name, its help text, and the run's value (`None`:
/// no sample for that run).
type Scalar = (&'static str, &'static str, fn(&Figures<'_>) -> Option<f64>);

/// One metric family: its name, help text and samples (label set, value).
struct Family {
    name: String,
    help: String,
    samples: Vec<(String, f64)>,
}

impl Family {
    fn new(name: impl Into<String>, help: impl Into<String>) -> Family {
        Family {
            name: name.into(),
            help: help.into(),
            samples: Vec::new(),
        }
    }
}

/// A label value escaped as the exposition format requires: backslash, double quote and
/// line feed.
pub(crate) fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A `# HELP` text escaped: backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The labels of one run's series, `scenario="…",endpoint="…",…` (no braces).
fn run_labels(f: &Figures<'_>) -> String {
    f.identity()
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escape_label_value(value)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A sample value: Rust's shortest round-trip form, which Go's `ParseFloat` reads back
/// exactly.
fn number(v: f64) -> String {
    format!("{v}")
}

impl Exporter for Prometheus {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn file_name(&self) -> &'static str {
        "metrics.prom"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        let runs: Vec<Figures<'_>> = inputs.iter().map(|i| Figures::of(i.run)).collect();
        let mut families: Vec<Family> = Vec::new();

        // The quantiles of each summarised metric, one family per metric.
        for metric in series::metrics_present(&runs) {
            let (name, help) = if metric.is_duration() {
                (
                    format!("llm_bench_{}_seconds", metric.name()),
                    format!(
                        "{} of the run's requests in seconds, by quantile (llm-bench).",
                        metric.label()
                    ),
                )
            } else {
                (
                    "llm_bench_tokens_per_second".to_string(),
                    "Output tokens per second of each request (output tokens over E2E), by \
                     quantile (llm-bench)."
                        .to_string(),
                )
            };
            let mut family = Family::new(name, help);
            for f in &runs {
                let Some(summary) = f.run.summary.get(&metric) else {
                    continue;
                };
                let labels = run_labels(f);
                for (q, _, of) in QUANTILES {
                    let v = of(summary);
                    let v = if metric.is_duration() { v / 1e9 } else { v };
                    family
                        .samples
                        .push((format!("{labels},quantile=\"{q}\""), v));
                }
            }
            families.push(family);
        }

        // One value per run.
        let scalars: [Scalar; 8] = [
            (
                "llm_bench_requests",
                "Measured requests of the run, failed ones included (llm-bench).",
                |f| Some(f.requests as f64),
            ),
            (
                "llm_bench_errors",
                "Failed requests of the run (llm-bench).",
                |f| Some(f.errors as f64),
            ),
            (
                "llm_bench_throughput_requests_per_second",
                "Successful requests per second of wall time (llm-bench).",
                |f| Some(f.run.throughput.requests_per_second),
            ),
            (
                "llm_bench_throughput_output_tokens_per_second",
                "Output tokens of successful requests per second of wall time (llm-bench).",
                |f| Some(f.run.throughput.output_tokens_per_second),
            ),
            (
                "llm_bench_goodput_requests_per_second",
                "Requests meeting every service-level objective per second of wall time \
                 (llm-bench).",
                |f| f.run.slo.as_ref().map(|s| s.goodput_rps),
            ),
            (
                "llm_bench_good_ratio",
                "Share of the requests meeting every service-level objective, 0 to 1 \
                 (llm-bench).",
                |f| f.run.slo.as_ref().map(|s| s.good_fraction),
            ),
            (
                "llm_bench_wall_time_seconds",
                "Wall time of the run's measured phase in seconds (llm-bench).",
                |f| Some(f.run.wall_time_ns as f64 / 1e9),
            ),
            (
                "llm_bench_run_start_timestamp_seconds",
                "When the run started, in seconds since the Unix epoch (llm-bench).",
                |f| Some(f.run.started_at_unix_ms as f64 / 1e3),
            ),
        ];
        for (name, help, of) in scalars {
            let mut family = Family::new(name, help);
            for f in &runs {
                if let Some(v) = of(f) {
                    family.samples.push((run_labels(f), v));
                }
            }
            families.push(family);
        }

        let mut text = String::new();
        for family in families {
            let samples: Vec<&(String, f64)> = family
                .samples
                .iter()
                .filter(|(_, v)| v.is_finite())
                .collect();
            if samples.is_empty() {
                continue;
            }
            text.push_str(&format!(
                "# HELP {} {}\n# TYPE {} gauge\n",
                family.name,
                escape_help(&family.help),
                family.name
            ));
            for (labels, v) in samples {
                text.push_str(&format!("{}{{{labels}}} {}\n", family.name, number(*v)));
            }
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::metrics::Metric;
    use crate::report::tests::common::run;
    use crate::store::StoredRun;

    /// A value with every character the format escapes, and others that are harmless.
    pub(crate) const HOSTILE: &str = "a b,c=d\"e\\f\ng}h{";

    /// One parsed sample line: name, labels (unescaped), value.
    type Sample = (String, BTreeMap<String, String>, f64);

    fn is_name(name: &str, colon: bool) -> bool {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'));
        first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    }

    /// Parses a sample line by the exposition grammar, or says what is wrong.
    fn parse_sample(line: &str) -> Result<Sample, String> {
        let open = line.find('{').ok_or("no label set")?;
        let name = &line[..open];
        if !is_name(name, true) {
            return Err(format!("bad metric name {name:?}"));
        }
        let mut labels = BTreeMap::new();
        let mut rest = &line[open + 1..];
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = rest.find('=').ok_or("no = in a label")?;
            let label = &rest[..eq];
            if !is_name(label, false) {
                return Err(format!("bad label name {label:?}"));
            }
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value not quoted")?;
            let mut value = String::new();
            let mut chars = rest.char_indices();
            let end = loop {
                match chars.next().ok_or("unterminated label value")? {
                    (_, '\\') => match chars.next().ok_or("dangling backslash")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    (i, '"') => break i,
                    (_, '\n') => return Err("raw line feed in a label value".into()),
                    (_, c) => value.push(c),
                }
            };
            labels.insert(label.to_string(), value);
            rest = &rest[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
        let value: f64 = value.parse().map_err(|e| format!("value {value:?}: {e}"))?;
        Ok((name.to_string(), labels, value))
    }

    /// Checks every line of `text` against the grammar (HELP and TYPE before each family's
    /// samples, every family once); returns the samples.
    fn parse(text: &str) -> Vec<Sample> {
        assert!(text.ends_with('\n'), "{text}");
        let mut samples = Vec::new();
        let mut typed: Vec<String> = Vec::new();
        let mut helped: Option<String> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').expect("HELP name text");
                assert!(is_name(name, true), "{line}");
                assert!(!help.is_empty(), "{line}");
                helped = Some(name.to_string());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
                assert_eq!(kind, "gauge", "{line}");
                assert_eq!(helped.as_deref(), Some(name), "HELP before TYPE: {line}");
                assert!(!typed.iter().any(|t| t == name), "{name} typed twice");
                typed.push(name.to_string());
            } else {
                let sample = parse_sample(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
                assert_eq!(
                    typed.last(),
                    Some(&sample.0),
                    "sample of its family: {line}"
                );
                samples.push(sample);
            }
        }
        samples
    }

    fn export(runs: &[&StoredRun]) -> String {
        let inputs: Vec<ReportInput<'_>> = runs.iter().map(|r| ReportInput::new(r)).collect();
        Prometheus.export(&inputs).unwrap()
    }

    fn value(samples: &[Sample], name: &str, scenario: &str, quantile: Option<&str>) -> f64 {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && l.get("scenario").map(String::as_str) == Some(scenario)
                    && l.get("quantile").map(String::as_str) == quantile
            })
            .unwrap_or_else(|| panic!("{name} of {scenario} ({quantile:?})"))
            .2
    }

    #[test]
    fn every_line_follows_the_grammar_and_values_are_in_base_units() {
        let mut a = run("chat/short turn", 12, 100, &[5, 9]);
        a.commit = Some("0123abc".into());
        let b = run("embeddings", 4, 20, &[]);
        let text = export(&[&a, &b]);
        let samples = parse(&text);
        let ttft = &a.summary[&Metric::Ttft];
        assert_eq!(
            value(
                &samples,
                "llm_bench_ttft_seconds",
                "chat/short turn",
                Some("0.5")
            ),
            ttft.p50 / 1e9
        );
        assert_eq!(
            value(
                &samples,
                "llm_bench_ttft_seconds",
                "chat/short turn",
                Some("0.99")
            ),
            ttft.p99 / 1e9
        );
        assert_eq!(
            value(&samples, "llm_bench_requests", "chat/short turn", None),
            12.0
        );
        assert_eq!(
            value(&samples, "llm_bench_errors", "chat/short turn", None),
            2.0
        );
        assert_eq!(value(&samples, "llm_bench_errors", "embeddings", None), 0.0);
        assert_eq!(
            value(
                &samples,
                "llm_bench_throughput_output_tokens_per_second",
                "embeddings",
                None
            ),
            b.throughput.output_tokens_per_second
        );
        // Every summarised metric has its three quantiles.
        for metric in a.summary.keys() {
            let name = if metric.is_duration() {
                format!("llm_bench_{}_seconds", metric.name())
            } else {
                "llm_bench_tokens_per_second".into()
            };
            for q in ["0.5", "0.9", "0.99"] {
                value(&samples, &name, "embeddings", Some(q));
            }
        }
        let (_, labels, _) = &samples[0];
        assert_eq!(labels["endpoint"], "127.0.0.1:40123");
        assert_eq!(labels["model"], "sim-model");
        assert_eq!(labels["commit"], "0123abc");
        // No objectives: no goodput.
        assert!(!text.contains("goodput"), "{text}");
    }

    #[test]
    fn hostile_label_values_are_escaped_and_read_back() {
        let mut r = run("chat/x", 3, 10, &[]);
        r.endpoint.host = HOSTILE.into();
        r.endpoint.model = Some(HOSTILE.into());
        r.commit = Some(format!("{HOSTILE}\\"));
        let text = export(&[&r]);
        let samples = parse(&text);
        assert!(!samples.is_empty());
        for (_, labels, _) in &samples {
            assert_eq!(labels["endpoint"], HOSTILE, "{text}");
            assert_eq!(labels["model"], HOSTILE);
            assert_eq!(labels["commit"], format!("{HOSTILE}\\"));
        }
        assert!(text.contains(r#"endpoint="a b,c=d\"e\\f\ng}h{""#), "{text}");
    }

    #[test]
    fn a_run_without_a_model_or_commit_leaves_those_labels_out() {
        let mut r = run("chat/x", 3, 10, &[]);
        r.endpoint.model = None;
        let samples = parse(&export(&[&r]));
        for (_, labels, _) in &samples {
            assert!(!labels.contains_key("model") && !labels.contains_key("commit"));
            assert_eq!(labels["scenario"], "chat/x");
        }
    }

    #[test]
    fn an_all_failed_run_has_counts_but_no_quantiles() {
        let r = run("dead", 4, 10, &[0, 1, 2, 3]);
        assert!(r.summary.is_empty());
        let text = export(&[&r]);
        let samples = parse(&text);
        assert_eq!(value(&samples, "llm_bench_requests", "dead", None), 4.0);
        assert_eq!(value(&samples, "llm_bench_errors", "dead", None), 4.0);
        assert!(!text.contains("quantile"), "{text}");
        let names: Vec<&str> = samples.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "llm_bench_requests",
                "llm_bench_errors",
                "llm_bench_throughput_requests_per_second",
                "llm_bench_throughput_output_tokens_per_second",
                "llm_bench_wall_time_seconds",
                "llm_bench_run_start_timestamp_seconds",
            ]
        );
    }

    #[test]
    fn goodput_is_written_with_objectives() {
        let r = crate::report::tests::common::open_loop_run("load/x");
        let samples = parse(&export(&[&r]));
        let slo = r.slo.as_ref().expect("the open-loop run has objectives");
        assert_eq!(
            value(
                &samples,
                "llm_bench_goodput_requests_per_second",
                "load/x",
                None
            ),
            slo.goodput_rps
        );
        assert_eq!(
            value(&samples, "llm_bench_good_ratio", "load/x", None),
            slo.good_fraction
        );
    }

    /// The whole text of a small run, byte for byte: one summarised metric (TTFT of 4
    /// requests, one failed), every label, and a commit the format must escape.
    #[test]
    fn golden_example() {
        let mut r = run("chat/short turn", 4, 100, &[2]);
        r.summary.retain(|m, _| *m == Metric::Ttft);
        r.commit = Some("v1 \"rc\"\\2".into());
        let ttft = r.summary.get_mut(&Metric::Ttft).expect("TTFT");
        (ttft.p50, ttft.p90, ttft.p99) = (100_250_000.0, 101_000_000.0, 1_500_000_000.0);
        r.throughput.requests_per_second = 2.5;
        r.throughput.output_tokens_per_second = 40.0;
        let labels = r#"scenario="chat/short turn",endpoint="127.0.0.1:40123",model="sim-model",commit="v1 \"rc\"\\2""#;
        assert_eq!(
            export(&[&r]),
            format!(
                "\
# HELP llm_bench_ttft_seconds TTFT of the run's requests in seconds, by quantile (llm-bench).
# TYPE llm_bench_ttft_seconds gauge
llm_bench_ttft_seconds{{{labels},quantile=\"0.5\"}} 0.10025
llm_bench_ttft_seconds{{{labels},quantile=\"0.9\"}} 0.101
llm_bench_ttft_seconds{{{labels},quantile=\"0.99\"}} 1.5
# HELP llm_bench_requests Measured requests of the run, failed ones included (llm-bench).
# TYPE llm_bench_requests gauge
llm_bench_requests{{{labels}}} 4
# HELP llm_bench_errors Failed requests of the run (llm-bench).
# TYPE llm_bench_errors gauge
llm_bench_errors{{{labels}}} 1
# HELP llm_bench_throughput_requests_per_second Successful requests per second of wall time (llm-bench).
# TYPE llm_bench_throughput_requests_per_second gauge
llm_bench_throughput_requests_per_second{{{labels}}} 2.5
# HELP llm_bench_throughput_output_tokens_per_second Output tokens of successful requests per second of wall time (llm-bench).
# TYPE llm_bench_throughput_output_tokens_per_second gauge
llm_bench_throughput_output_tokens_per_second{{{labels}}} 40
# HELP llm_bench_wall_time_seconds Wall time of the run's measured phase in seconds (llm-bench).
# TYPE llm_bench_wall_time_seconds gauge
llm_bench_wall_time_seconds{{{labels}}} 1.4
# HELP llm_bench_run_start_timestamp_seconds When the run started, in seconds since the Unix epoch (llm-bench).
# TYPE llm_bench_run_start_timestamp_seconds gauge
llm_bench_run_start_timestamp_seconds{{{labels}}} 1709210096
"
            )
        );
    }

    /// HELP text escapes backslashes and line feeds only.
    #[test]
    fn help_text_is_escaped() {
        assert_eq!(escape_help("a\\b\nc \"d\""), "a\\\\b\\nc \"d\"");
        assert_eq!(escape_label_value("a\\b\nc \"d\""), "a\\\\b\\nc \\\"d\\\"");
    }

    #[test]
    fn no_runs_no_text() {
        assert_eq!(export(&[]), "");
    }
}
