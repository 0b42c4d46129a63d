//! InfluxDB line protocol (feature `influxdb`).

use super::series::{self, Figures, QUANTILES};
use super::Exporter;
use crate::report::{ReportError, ReportInput};

/// The measurement every line of the `influx` export writes.
pub const INFLUX_MEASUREMENT: &str = "llm_bench";

/// `influx`: one point per scenario in [InfluxDB line protocol], measurement `llm_bench`,
/// timestamped with the run's start in nanoseconds (write with `precision=ns`).
///
/// Tags: `scenario`, `endpoint` (host and port), `model` and `commit`
/// ([`StoredRun::commit`](crate::store::StoredRun::commit)); a tag whose value is unknown is
/// left out (line protocol has no empty tag values). Commas, spaces and equals signs in tag
/// values are escaped; a line feed, which no tag value can hold, becomes a space, and a
/// backslash that would escape what follows it (at the end of a value, or before a comma,
/// space or equals sign) becomes `/`.
///
/// Fields (floats unless marked `i`, an integer):
///
/// | field | what |
/// |---|---|
/// | `<metric>_p50_ns`, `_p90_ns`, `_p99_ns` | the quantiles of each time metric the run summarised (`ttfb`, `ttft`, `ttfo`, `itl`, `itl_per_token`, `tpot`, `e2e`), in nanoseconds |
/// | `tokens_per_second_p50`, `_p90`, `_p99` | the same of each request's output tokens per second |
/// | `requests` (i) | measured requests, failed ones included |
/// | `errors` (i) | failed requests |
/// | `throughput_rps` | successful requests per second of wall time |
/// | `output_tokens_per_second` | output tokens per second of wall time |
/// | `goodput_rps`, `good_fraction` | requests meeting every objective per second, and their share (runs with objectives) |
/// | `wall_time_ns` (i) | the measured phase's wall time |
/// | `llm_bench_version` (string) | the version of llm-bench that measured |
///
/// [InfluxDB line protocol]: https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
#[derive(Debug, Clone, Copy, Default)]
pub struct Influx;

/// A tag value (or key) escaped for line protocol (see [`Influx`]).
pub(crate) fn escape_tag(value: &str) -> String {
    let chars: Vec<char> = value
        .chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .collect();
    let special = |c: Option<&char>| matches!(c, None | Some(',' | ' ' | '='));
    let mut out = String::with_capacity(value.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            ',' | ' ' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\\' if special(chars.get(i + 1)) => out.push('/'),
            c => out.push(c),
        }
    }
    out
}

/// A string field's value, quoted: double quotes and backslashes escaped.
fn string_field(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A float field: Rust's shortest round-trip form (never an exponent, so never mistaken
/// for anything else).
fn float(v: f64) -> String {
    format!("{v}")
}

impl Exporter for Influx {
    fn name(&self) -> &'static str {
        "influx"
    }

    fn file_name(&self) -> &'static str {
        "llm-bench.lp"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        let mut text = String::new();
        for input in inputs {
            let f = Figures::of(input.run);
            let run = f.run;
            let mut line = INFLUX_MEASUREMENT.to_string();
            // Tags sorted by key, as InfluxDB stores them.
            let mut tags = f.identity();
            tags.sort_by_key(|(name, _)| *name);
            for (name, value) in tags {
                line.push_str(&format!(",{name}={}", escape_tag(value)));
            }
            let mut fields: Vec<(String, String)> = Vec::new();
            let mut push_float = |name: String, v: f64| {
                if v.is_finite() {
                    fields.push((name, float(v)));
                }
            };
            for metric in series::metrics_present(std::slice::from_ref(&f)) {
                let summary = &run.summary[&metric];
                for (_, suffix, of) in QUANTILES {
                    let name = if metric.is_duration() {
                        format!("{}_{suffix}_ns", metric.name())
                    } else {
                        format!("{}_{suffix}", metric.name())
                    };
                    push_float(name, of(summary));
                }
            }
            push_float("throughput_rps".into(), run.throughput.requests_per_second);
            push_float(
                "output_tokens_per_second".into(),
                run.throughput.output_tokens_per_second,
            );
            if let Some(slo) = &run.slo {
                push_float("goodput_rps".into(), slo.goodput_rps);
                push_float("good_fraction".into(), slo.good_fraction);
            }
            fields.push(("requests".into(), format!("{}i", f.requests)));
            fields.push(("errors".into(), format!("{}i", f.errors)));
            fields.push(("wall_time_ns".into(), format!("{}i", run.wall_time_ns)));
            fields.push((
                "llm_bench_version".into(),
                string_field(&run.llm_bench_version),
            ));
            let fields: Vec<String> = fields
                .into_iter()
                .map(|(name, value)| format!("{}={value}", escape_tag(&name)))
                .collect();
            let timestamp_ns = u128::from(run.started_at_unix_ms) * 1_000_000;
            text.push_str(&format!("{line} {} {timestamp_ns}\n", fields.join(",")));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::metrics::Metric;
    use crate::report::tests::common::{open_loop_run, run};
    use crate::store::StoredRun;

    /// A field's value as written.
    #[derive(Debug, Clone, PartialEq)]
    enum Field {
        Float(f64),
        Int(i64),
        Str(String),
    }

    /// One parsed line: measurement, tags, fields, timestamp.
    #[derive(Debug)]
    struct Point {
        measurement: String,
        tags: BTreeMap<String, String>,
        fields: BTreeMap<String, Field>,
        timestamp: i64,
    }

    /// Splits `text` at the first unescaped (and, with `quotes`, unquoted) `sep`.
    fn split_unescaped(text: &str, sep: char, quotes: bool) -> (&str, Option<&str>) {
        let mut escaped = false;
        let mut quoted = false;
        for (i, c) in text.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if quotes && c == '"' {
                quoted = !quoted;
            } else if c == sep && !quoted {
                return (&text[..i], Some(&text[i + 1..]));
            }
        }
        (text, None)
    }

    /// Every part of `text` split at unescaped `sep`.
    fn split_all(mut text: &str, sep: char, quotes: bool) -> Vec<&str> {
        let mut parts = Vec::new();
        loop {
            match split_unescaped(text, sep, quotes) {
                (part, Some(rest)) => {
                    parts.push(part);
                    text = rest;
                }
                (part, None) => {
                    parts.push(part);
                    return parts;
                }
            }
        }
    }

    /// A tag key or value as InfluxDB 1.x reads it: `\,`, `\ ` and `\=` unescaped.
    fn unescape_tag(text: &str) -> String {
        text.replace("\\,", ",")
            .replace("\\ ", " ")
            .replace("\\=", "=")
    }

    /// Parses a line as InfluxDB 1.x does: measurement and tags, a space, fields, a
    /// space, the timestamp.
    fn parse_line(line: &str) -> Point {
        assert!(!line.contains('\n'), "{line:?}");
        let (series, rest) = split_unescaped(line, ' ', false);
        let rest = rest.unwrap_or_else(|| panic!("no fields: {line}"));
        let (fields, timestamp) = split_unescaped(rest, ' ', true);
        let timestamp: i64 = timestamp
            .unwrap_or_else(|| panic!("no timestamp: {line}"))
            .parse()
            .unwrap_or_else(|e| panic!("timestamp: {e}: {line}"));
        let mut parts = split_all(series, ',', false).into_iter();
        let measurement = parts.next().expect("a measurement").to_string();
        let mut tags = BTreeMap::new();
        for tag in parts {
            let (key, value) = split_unescaped(tag, '=', false);
            let value = value.unwrap_or_else(|| panic!("tag {tag:?} without ="));
            assert!(!key.is_empty() && !value.is_empty(), "empty tag {tag:?}");
            assert!(
                !value.ends_with('\\'),
                "tag value escaping its end: {tag:?}"
            );
            tags.insert(unescape_tag(key), unescape_tag(value));
        }
        let mut out = BTreeMap::new();
        for field in split_all(fields, ',', true) {
            let (key, value) = split_unescaped(field, '=', true);
            let value = value.unwrap_or_else(|| panic!("field {field:?} without ="));
            let parsed = if let Some(s) = value.strip_prefix('"') {
                let s = s.strip_suffix('"').expect("a closed string");
                Field::Str(s.replace("\\\"", "\"").replace("\\\\", "\\"))
            } else if let Some(i) = value.strip_suffix('i') {
                Field::Int(i.parse().unwrap_or_else(|e| panic!("{field}: {e}")))
            } else {
                Field::Float(value.parse().unwrap_or_else(|e| panic!("{field}: {e}")))
            };
            out.insert(unescape_tag(key), parsed);
        }
        assert!(!out.is_empty(), "a point needs a field: {line}");
        Point {
            measurement,
            tags,
            fields: out,
            timestamp,
        }
    }

    fn export(runs: &[&StoredRun]) -> Vec<Point> {
        let inputs: Vec<ReportInput<'_>> = runs.iter().map(|r| ReportInput::new(r)).collect();
        let text = Influx.export(&inputs).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'), "{text}");
        let points: Vec<Point> = text.lines().map(parse_line).collect();
        assert_eq!(points.len(), runs.len(), "{text}");
        points
    }

    #[test]
    fn one_point_per_run_with_its_tags_fields_and_start() {
        let mut a = run("chat/short turn", 12, 100, &[5, 9]);
        a.commit = Some("0123abc".into());
        let b = run("embeddings", 4, 20, &[]);
        let points = export(&[&a, &b]);
        let p = &points[0];
        assert_eq!(p.measurement, "llm_bench");
        assert_eq!(p.timestamp, 1_709_210_096_000 * 1_000_000);
        assert_eq!(p.tags["scenario"], "chat/short turn");
        assert_eq!(p.tags["endpoint"], "127.0.0.1:40123");
        assert_eq!(p.tags["model"], "sim-model");
        assert_eq!(p.tags["commit"], "0123abc");
        let ttft = &a.summary[&Metric::Ttft];
        assert_eq!(p.fields["ttft_p50_ns"], Field::Float(ttft.p50));
        assert_eq!(p.fields["ttft_p90_ns"], Field::Float(ttft.p90));
        assert_eq!(p.fields["ttft_p99_ns"], Field::Float(ttft.p99));
        assert_eq!(p.fields["requests"], Field::Int(12));
        assert_eq!(p.fields["errors"], Field::Int(2));
        assert_eq!(
            p.fields["output_tokens_per_second"],
            Field::Float(a.throughput.output_tokens_per_second)
        );
        assert_eq!(
            p.fields["llm_bench_version"],
            Field::Str(a.llm_bench_version.clone())
        );
        for metric in a.summary.keys() {
            let unit = if metric.is_duration() { "_ns" } else { "" };
            for q in ["p50", "p90", "p99"] {
                let name = format!("{}_{q}{unit}", metric.name());
                assert!(p.fields.contains_key(&name), "{name}: {:?}", p.fields);
            }
        }
        assert!(!p.fields.contains_key("goodput_rps"));
        assert!(!points[1].tags.contains_key("commit"));
        assert_eq!(points[1].fields["errors"], Field::Int(0));
    }

    #[test]
    fn hostile_tag_values_are_escaped_and_read_back() {
        let mut r = run("chat/x", 3, 10, &[]);
        r.endpoint.host = "a b,c=d\"e\\f".into();
        r.endpoint.model = Some("line\nfeed, and \\= trailing\\".into());
        r.commit = Some("\\ \\,\\=".into());
        r.llm_bench_version = "quote\" and \\ back".into();
        let p = &export(&[&r])[0];
        assert_eq!(p.tags["endpoint"], "a b,c=d\"e\\f");
        assert_eq!(p.tags["model"], "line feed, and /= trailing/");
        assert_eq!(p.tags["commit"], "/ /,/=");
        assert_eq!(
            p.fields["llm_bench_version"],
            Field::Str("quote\" and \\ back".into())
        );
        assert_eq!(escape_tag("a b,c=d"), "a\\ b\\,c\\=d");
    }

    /// The whole line of a small run, byte for byte: one summarised metric (TTFT of 4
    /// requests, one failed), the tags sorted by key, a space escaped in two of them.
    #[test]
    fn golden_example() {
        let mut r = run("chat/short turn", 4, 100, &[2]);
        r.summary.retain(|m, _| *m == Metric::Ttft);
        r.commit = Some("v1 \"rc\"\\2".into());
        let ttft = r.summary.get_mut(&Metric::Ttft).expect("TTFT");
        (ttft.p50, ttft.p90, ttft.p99) = (100_250_000.0, 101_000_000.0, 1_500_000_000.5);
        r.throughput.requests_per_second = 2.5;
        r.throughput.output_tokens_per_second = 40.0;
        let inputs = [ReportInput::new(&r)];
        assert_eq!(
            Influx.export(&inputs).unwrap(),
            "llm_bench,commit=v1\\ \"rc\"\\2,endpoint=127.0.0.1:40123,model=sim-model,\
             scenario=chat/short\\ turn ttft_p50_ns=100250000,ttft_p90_ns=101000000,\
             ttft_p99_ns=1500000000.5,throughput_rps=2.5,output_tokens_per_second=40,\
             requests=4i,errors=1i,wall_time_ns=1400000000i,llm_bench_version=\"0.1.0\" \
             1709210096000000000\n"
        );
    }

    /// Each special character of a tag value, alone and in company.
    #[test]
    fn tag_escaping_by_character() {
        for (value, escaped) in [
            ("plain", "plain"),
            ("a b", "a\\ b"),
            ("a,b", "a\\,b"),
            ("a=b", "a\\=b"),
            ("a\"b", "a\"b"),
            ("a\\b", "a\\b"),
            ("a\\", "a/"),
            ("a\\,b", "a/\\,b"),
            ("a\nb\rc", "a\\ b\\ c"),
            ("é ü", "é\\ ü"),
        ] {
            assert_eq!(escape_tag(value), escaped, "{value:?}");
        }
    }

    #[test]
    fn a_run_without_a_model_or_commit_has_no_such_tags() {
        let mut r = run("chat/x", 3, 10, &[]);
        r.endpoint.model = None;
        r.endpoint.host = String::new();
        let p = &export(&[&r])[0];
        assert_eq!(p.tags.keys().collect::<Vec<_>>(), ["scenario"]);
    }

    #[test]
    fn an_all_failed_run_has_its_counts_only() {
        let r = run("dead", 4, 10, &[0, 1, 2, 3]);
        let p = &export(&[&r])[0];
        assert_eq!(p.fields["requests"], Field::Int(4));
        assert_eq!(p.fields["errors"], Field::Int(4));
        assert!(
            p.fields.keys().all(|k| !k.contains("_p50")),
            "{:?}",
            p.fields
        );
    }

    #[test]
    fn goodput_fields_with_objectives() {
        let r = open_loop_run("load/x");
        let p = &export(&[&r])[0];
        let slo = r.slo.as_ref().unwrap();
        assert_eq!(p.fields["goodput_rps"], Field::Float(slo.goodput_rps));
        assert_eq!(p.fields["good_fraction"], Field::Float(slo.good_fraction));
    }
}
