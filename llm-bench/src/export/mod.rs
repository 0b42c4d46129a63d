//! Exports of stored runs for other tools, behind one [`Exporter`] trait.
//!
//! | name | file | what |
//! |---|---|---|
//! | `json` | `llm-bench.json` | every run in full, with its comparison when there is one |
//! | `csv` | `requests.csv` | one row per request |
//! | `bmf` | `bencher.json` | the [Bencher Metric Format]: medians with their bootstrap intervals |
//! | `github` | `github-action-benchmark.json` | github-action-benchmark's `customSmallerIsBetter`: latencies |
//! | `github-bigger` | `github-action-benchmark-bigger.json` | its `customBiggerIsBetter`: tokens per second |
//! | `prometheus` | `metrics.prom` | Prometheus text exposition format: gauges per scenario, in seconds (feature `prometheus`) |
//! | `influx` | `llm-bench.lp` | InfluxDB line protocol: a point per scenario, in nanoseconds (feature `influxdb`) |
//!
//! The two time-series formats label every series (tag every point) with the scenario, the
//! endpoint's host, the model and the git commit ([`StoredRun::commit`]), and the harness can
//! push them after a run: `--push-gateway URL` to a Prometheus Pushgateway, `--influx-url URL`
//! to InfluxDB (see the `push` module and `docs/report.md`).
//!
//! Runs that recorded their load or objectives add goodput, good fraction, achieved rate and
//! schedule lag p99 to the CSV, BMF and github-action-benchmark exports (see each exporter).
//!
//! Tokens per second is bigger-is-better, so it cannot share a `customSmallerIsBetter` file
//! with the latencies; it has its own exporter (`github-bigger`), fed to a second
//! github-action-benchmark step with `tool: customBiggerIsBetter`.
//!
//! [Bencher Metric Format]: https://bencher.dev/docs/reference/bencher-metric-format/

mod bmf;
mod csv;
mod github_action;
#[cfg(feature = "influxdb")]
mod influx;
mod json;
#[cfg(feature = "prometheus")]
mod prometheus;
#[cfg(any(feature = "prometheus", feature = "influxdb"))]
pub(crate) mod push;
#[cfg(any(feature = "prometheus", feature = "influxdb"))]
mod series;

use std::path::{Path, PathBuf};

pub use self::bmf::Bmf;
pub use self::csv::Csv;
pub use self::github_action::{GithubBiggerIsBetter, GithubSmallerIsBetter};
#[cfg(feature = "influxdb")]
pub use self::influx::Influx;
pub use self::json::Json;
#[cfg(feature = "prometheus")]
pub use self::prometheus::Prometheus;

use crate::metrics::Metric;
use crate::report::{ReportError, ReportInput};
use crate::stats::{estimate, Estimate, StatsConfig};
use crate::store::{write_atomic, StoredRun};

/// One export format.
pub trait Exporter {
    /// The name chosen with `--export` (`json`, `csv`, `bmf`, `github`, `github-bigger`,
    /// and with their features `prometheus` and `influx`).
    fn name(&self) -> &'static str;
    /// The file it is written to, inside the export directory.
    fn file_name(&self) -> &'static str;
    /// The file's content for these scenarios.
    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError>;
}

/// Every export format's name, in the order of the table above (`prometheus` and `influx`
/// only with their features).
pub const EXPORT_NAMES: &[&str] = &[
    "json",
    "csv",
    "bmf",
    "github",
    "github-bigger",
    #[cfg(feature = "prometheus")]
    "prometheus",
    #[cfg(feature = "influxdb")]
    "influx",
];

/// The export formats behind a cargo feature: format name and feature.
const FEATURE_EXPORTS: [(&str, &str); 2] = [("prometheus", "prometheus"), ("influx", "influxdb")];

/// The exporter called `name` (case-insensitive), if there is one.
pub fn exporter(name: &str) -> Option<Box<dyn Exporter>> {
    match name.trim().to_ascii_lowercase().as_str() {
        "json" => Some(Box::new(Json)),
        "csv" => Some(Box::new(Csv)),
        "bmf" => Some(Box::new(Bmf)),
        "github" => Some(Box::new(GithubSmallerIsBetter)),
        "github-bigger" => Some(Box::new(GithubBiggerIsBetter)),
        #[cfg(feature = "prometheus")]
        "prometheus" => Some(Box::new(Prometheus)),
        #[cfg(feature = "influxdb")]
        "influx" => Some(Box::new(Influx)),
        _ => None,
    }
}

/// A `--export` list that names an unknown format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format `{name}` (the formats are {}){}", EXPORT_NAMES.join(", "), feature_hint(.name))]
pub struct UnknownExport {
    /// The name given.
    pub name: String,
}

/// For a format this build left out: which cargo feature of llm-bench has it.
fn feature_hint(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    FEATURE_EXPORTS
        .iter()
        .find(|(format, _)| *format == name && !EXPORT_NAMES.contains(format))
        .map(|(format, feature)| {
            format!(
                "; `{format}` needs llm-bench's `{feature}` cargo feature, which this build \
                 was compiled without"
            )
        })
        .unwrap_or_default()
}

/// Parses a comma-separated list such as `json,csv,bmf,github` (spaces and case ignored,
/// empty items skipped, duplicates dropped).
pub fn parse_export_list(list: &str) -> Result<Vec<Box<dyn Exporter>>, UnknownExport> {
    let mut out: Vec<Box<dyn Exporter>> = Vec::new();
    for part in list.split(',') {
        let name = part.trim();
        if name.is_empty() {
            continue;
        }
        let e = exporter(name).ok_or_else(|| UnknownExport { name: name.into() })?;
        if !out.iter().any(|x| x.name() == e.name()) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Runs each exporter and writes its file into `dir`; returns the paths written.
pub fn write_exports(
    dir: &Path,
    exporters: &[Box<dyn Exporter>],
    inputs: &[ReportInput<'_>],
) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::with_capacity(exporters.len());
    for e in exporters {
        let text = e.export(inputs)?;
        let path = dir.join(e.file_name());
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Removes from `dir` the files of the export formats not in `written` (the paths
/// [`write_exports`] just wrote there): left from an earlier run, they would describe other
/// scenarios than this run's. Returns the files removed.
pub(crate) fn remove_unwritten_exports(
    dir: &Path,
    written: &[PathBuf],
) -> Result<Vec<PathBuf>, ReportError> {
    let mut removed = Vec::new();
    for e in EXPORT_NAMES.iter().filter_map(|name| exporter(name)) {
        let path = dir.join(e.file_name());
        if written.contains(&path) {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(
                    crate::Error::io(format!("could not remove {}", path.display()), err).into(),
                )
            }
        }
    }
    Ok(removed)
}

/// A metric's median with its bootstrap interval, in report units (ms, or tokens/s): the
/// run's stored estimate when it has one, else computed from its samples with the default
/// [`StatsConfig`]. `None` when no request has a value.
pub(crate) fn median_of(run: &StoredRun, metric: Metric) -> Option<(usize, Estimate)> {
    let scale = if metric.is_duration() { 1e-6 } else { 1.0 };
    let (n, median) = match run.estimates.get(&metric) {
        Some(e) => (e.n, e.median),
        None => {
            let values: Vec<f64> = run.samples.iter().filter_map(|s| metric.of(s)).collect();
            let e = estimate(&values, &StatsConfig::default())?;
            (e.n, e.median)
        }
    };
    if n == 0 || !median.point.is_finite() {
        return None;
    }
    // Nanosecond resolution in milliseconds (and a millionth of a token per second): no
    // binary noise such as 316.72499999999997 in the files.
    let r = |v: f64| (v * scale * 1e6).round() / 1e6;
    Some((
        n,
        Estimate {
            point: r(median.point),
            interval: median.interval.map(|i| crate::stats::Interval {
                lower: r(i.lower),
                upper: r(i.upper),
            }),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example this item's documentation gave.
    #[test]
    fn export_lists_parse() {
        let list = parse_export_list("json, CSV,bmf").unwrap();
        assert_eq!(
            list.iter().map(|e| e.name()).collect::<Vec<_>>(),
            ["json", "csv", "bmf"]
        );
        let err = parse_export_list("xml").err().unwrap();
        assert!(err
            .to_string()
            .contains("json, csv, bmf, github, github-bigger"));
        assert!(!err.to_string().contains("feature"), "{err}");
    }

    /// A time-series format is there with its feature, and named with it when it is not.
    #[test]
    fn feature_formats_say_which_feature_has_them() {
        for (format, feature) in FEATURE_EXPORTS {
            let on = match feature {
                "prometheus" => cfg!(feature = "prometheus"),
                "influxdb" => cfg!(feature = "influxdb"),
                other => panic!("unknown feature {other}"),
            };
            match parse_export_list(format) {
                Ok(list) => {
                    assert!(on, "{format} without {feature}");
                    assert_eq!(list[0].name(), format);
                }
                Err(e) => {
                    assert!(!on, "{format} with {feature}: {e}");
                    assert!(
                        e.to_string().ends_with(&format!(
                            "; `{format}` needs llm-bench's `{feature}` cargo feature, which \
                             this build was compiled without"
                        )),
                        "{e}"
                    );
                }
            }
        }
    }
}
