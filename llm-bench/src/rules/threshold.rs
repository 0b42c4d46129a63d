//! The grammar of absolute thresholds: `threshold = "p95 ttft < 800ms, errors < 1%"` in the
//! attribute and `--threshold` on the command line, parsed by this one function in both
//! places (the attribute checks it at compile time).
//!
//! ```text
//! thresholds := threshold ("," threshold)*
//! threshold  := [statistic] metric operator value
//! statistic  := p<N> (p50, p95, p99, p99.9; 0 < N <= 100) | median | mean | min | max
//!               (default: median)
//! metric     := ttfb | ttft | ttfo | itl | itl_per_token | tpot | e2e | tokens_per_second
//!             | errors            (the share of failed requests; no statistic)
//! operator   := < | <= | > | >=
//! value      := a number and a unit: ns, us (or µs), ms, s, m for times;
//!               none for tokens_per_second; % (or a fraction from 0 to 1) for errors
//! ```
//!
//! Keep this file free of anything but `std`: the attribute crate compiles it too.

use super::duration::{split_number_unit, unit_ns};
use super::names::GATE_METRICS;
use super::suggest::closest;

/// The pseudo-metric of thresholds on the share of failed requests.
pub(crate) const ERRORS: &str = "errors";

/// The metric names a threshold accepts: every gate metric, and `errors`.
fn threshold_metrics() -> impl Iterator<Item = &'static str> {
    GATE_METRICS.iter().copied().chain([ERRORS])
}

/// The statistic a threshold bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stat {
    /// A percentile, `0 < p <= 100` (`p50` is the median).
    Percentile(f64),
    /// The arithmetic mean.
    Mean,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
}

/// How the observed figure must compare with the limit to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Op {
    /// The operator as written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Less => "<",
            Op::LessOrEqual => "<=",
            Op::Greater => ">",
            Op::GreaterOrEqual => ">=",
        }
    }

    /// True when `observed` satisfies `observed <op> limit`.
    pub(crate) fn holds(self, observed: f64, limit: f64) -> bool {
        match self {
            Op::Less => observed < limit,
            Op::LessOrEqual => observed <= limit,
            Op::Greater => observed > limit,
            Op::GreaterOrEqual => observed >= limit,
        }
    }
}

/// One parsed threshold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Threshold {
    /// The statistic; `None` for `errors`.
    pub(crate) stat: Option<Stat>,
    /// A gate metric name (`ttft`, ...) or [`ERRORS`].
    pub(crate) metric: &'static str,
    pub(crate) op: Op,
    /// Nanoseconds for times, tokens per second, or a fraction (0 to 1) for `errors`.
    pub(crate) limit: f64,
    /// The threshold in its normal written form (`p95 ttft < 800ms`).
    pub(crate) text: String,
}

/// Parses a comma-separated list of thresholds. The error is a sentence for the user that
/// names the threshold at fault.
pub(crate) fn parse_thresholds(text: &str) -> Result<Vec<Threshold>, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.push(parse_one(part).map_err(|e| format!("threshold `{part}`: {e}"))?);
    }
    if out.is_empty() {
        return Err("no threshold given: write e.g. \"p95 ttft < 800ms, errors < 1%\"".into());
    }
    Ok(out)
}

fn parse_one(text: &str) -> Result<Threshold, String> {
    let op_at = text
        .find(['<', '>', '='])
        .ok_or("needs an operator (`<`, `<=`, `>` or `>=`), e.g. `p95 ttft < 800ms`")?;
    let (left, rest) = text.split_at(op_at);
    let (op, right) = if let Some(r) = rest.strip_prefix("<=") {
        (Op::LessOrEqual, r)
    } else if let Some(r) = rest.strip_prefix(">=") {
        (Op::GreaterOrEqual, r)
    } else if let Some(r) = rest.strip_prefix('<') {
        (Op::Less, r)
    } else if let Some(r) = rest.strip_prefix('>') {
        (Op::Greater, r)
    } else {
        return Err("`=` is not an operator here: use `<`, `<=`, `>` or `>=`".into());
    };
    if right.contains(['<', '>', '=']) {
        return Err("has more than one operator".into());
    }
    let words: Vec<String> = left
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let (stat, metric_word) = match words.as_slice() {
        [metric] => (None, metric.as_str()),
        [stat, metric] => (Some(parse_stat(stat)?), metric.as_str()),
        [] => return Err("names no metric before the operator".into()),
        _ => return Err(
            "has too many words before the operator: write `[statistic] metric`, e.g. `p95 ttft`"
                .into(),
        ),
    };
    let metric = threshold_metrics()
        .find(|m| *m == metric_word)
        .ok_or_else(|| {
            let hint = match metric_word {
                "error" | "error_rate" | "failures" | "failed" => {
                    ": did you mean `errors`?".to_string()
                }
                "tps" | "throughput" | "tokens/s" => ": did you mean `tokens_per_second`?".into(),
                "latency" => ": name the latency metric: `e2e`, `ttft`, `tpot`, ...".into(),
                word => closest(word, &threshold_metrics().collect::<Vec<_>>())
                    .map(|near| format!(": did you mean `{near}`?"))
                    .unwrap_or_default(),
            };
            format!(
                "unknown metric `{metric_word}`{hint} (the metrics are {})",
                threshold_metrics().collect::<Vec<_>>().join(", ")
            )
        })?;
    let value = right.trim();
    if value.is_empty() {
        return Err("has no value after the operator".into());
    }
    let (stat, limit, shown) = match metric {
        ERRORS => {
            if stat.is_some() {
                return Err(
                    "`errors` is a share of requests: write `errors < 1%`, with no statistic"
                        .into(),
                );
            }
            let limit = error_share(value)?;
            (None, limit, format!("{}%", trim_number(limit * 100.0)))
        }
        "tokens_per_second" => {
            let limit = plain_number(value).ok_or_else(|| {
                format!("`{value}` is not a number of tokens per second (write it without a unit, e.g. `> 50`)")
            })?;
            (
                Some(stat.unwrap_or(Stat::Percentile(50.0))),
                limit,
                trim_number(limit),
            )
        }
        _ => {
            let limit = time_ns(value)?;
            (
                Some(stat.unwrap_or(Stat::Percentile(50.0))),
                limit,
                value.replace(' ', ""),
            )
        }
    };
    let text = match stat {
        Some(s) => format!("{} {metric} {} {shown}", stat_name(s), op.symbol()),
        None => format!("{metric} {} {shown}", op.symbol()),
    };
    Ok(Threshold {
        stat,
        metric,
        op,
        limit,
        text,
    })
}

/// The statistic's written name: `p95`, `p99.9`, `mean`, `min`, `max`.
pub(crate) fn stat_name(stat: Stat) -> String {
    match stat {
        Stat::Percentile(p) => format!("p{}", trim_number(p)),
        Stat::Mean => "mean".into(),
        Stat::Min => "min".into(),
        Stat::Max => "max".into(),
    }
}

fn parse_stat(word: &str) -> Result<Stat, String> {
    match word {
        "median" => return Ok(Stat::Percentile(50.0)),
        "mean" | "avg" | "average" => return Ok(Stat::Mean),
        "min" => return Ok(Stat::Min),
        "max" => return Ok(Stat::Max),
        _ => {}
    }
    let bad = || {
        format!(
            "unknown statistic `{word}`: use a percentile such as p50, p95, p99 or p99.9, or median, mean, min, max"
        )
    };
    let digits = word.strip_prefix('p').ok_or_else(bad)?;
    let p = plain_number(digits).ok_or_else(bad)?;
    if !(p > 0.0 && p <= 100.0) {
        return Err(format!(
            "percentile `{word}` must be above p0 and at most p100"
        ));
    }
    Ok(Stat::Percentile(p))
}

/// A non-negative decimal number (digits with at most one `.`), or `None`.
fn plain_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && text != ".";
    ok.then(|| text.parse().ok()).flatten()
}

fn time_ns(value: &str) -> Result<f64, String> {
    let (number, unit) = split_number_unit(value);
    let n = plain_number(number)
        .ok_or_else(|| format!("`{value}` does not start with a number: write e.g. `800ms`"))?;
    if unit.is_empty() {
        return Err(format!(
            "`{value}` has no unit: write `{number}ms`, `{number}s`, `{number}us` or `{number}ns`"
        ));
    }
    let scale = unit_ns(unit)
        .ok_or_else(|| format!("unknown unit `{unit}` in `{value}`: use ns, us, ms, s or m"))?;
    Ok(n * scale as f64)
}

fn error_share(value: &str) -> Result<f64, String> {
    let (number, unit) = split_number_unit(value);
    let n = plain_number(number)
        .ok_or_else(|| format!("`{value}` is not a share of requests: write e.g. `1%`"))?;
    let share = match unit {
        "%" => n / 100.0,
        "" => n,
        other => {
            return Err(format!(
                "unknown unit `{other}` for `errors`: write a percentage such as `1%`"
            ))
        }
    };
    if share > 1.0 {
        return Err(format!(
            "`{value}` is more than all requests: write a percentage such as `{number}%`"
        ));
    }
    Ok(share)
}

/// A number without a needless fraction: `95`, `99.9`, `0.5`.
fn trim_number(n: f64) -> String {
    let s = format!("{n:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Threshold {
        let mut all = parse_thresholds(text).unwrap();
        assert_eq!(all.len(), 1, "{text}");
        all.remove(0)
    }

    #[test]
    fn parses_the_documented_forms() {
        let all = parse_thresholds("p95 ttft < 800ms, errors < 1%").unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].stat, Some(Stat::Percentile(95.0)));
        assert_eq!(all[0].metric, "ttft");
        assert_eq!(all[0].op, Op::Less);
        assert_eq!(all[0].limit, 800e6);
        assert_eq!(all[0].text, "p95 ttft < 800ms");
        assert_eq!(all[1].stat, None);
        assert_eq!(all[1].metric, "errors");
        assert!((all[1].limit - 0.01).abs() < 1e-12);
        assert_eq!(all[1].text, "errors < 1%");

        let t = one("P99.9 ITL <= 250 us");
        assert_eq!(t.stat, Some(Stat::Percentile(99.9)));
        assert_eq!(t.op, Op::LessOrEqual);
        assert_eq!(t.limit, 250e3);
        assert_eq!(t.text, "p99.9 itl <= 250us");
        let t = one("tokens_per_second >= 40");
        assert_eq!(t.stat, Some(Stat::Percentile(50.0)), "median by default");
        assert_eq!(t.limit, 40.0);
        assert_eq!(t.text, "p50 tokens_per_second >= 40");
        assert_eq!(one("mean e2e < 2.5s").limit, 2.5e9);
        assert_eq!(one("max tpot < 50ms").stat, Some(Stat::Max));
        assert_eq!(one("median ttfb<1m").limit, 60e9);
        assert_eq!(one("errors <= 0.02").limit, 0.02);
        assert_eq!(one("p100 ttft < 1s").stat, Some(Stat::Percentile(100.0)));
    }

    #[test]
    fn operators_compare_as_written() {
        assert!(Op::Less.holds(1.0, 2.0) && !Op::Less.holds(2.0, 2.0));
        assert!(Op::LessOrEqual.holds(2.0, 2.0));
        assert!(Op::Greater.holds(3.0, 2.0) && !Op::Greater.holds(2.0, 2.0));
        assert!(Op::GreaterOrEqual.holds(2.0, 2.0));
    }

    #[test]
    fn mistakes_are_explained() {
        let err = |t: &str| parse_thresholds(t).unwrap_err();
        assert!(
            err("p95 tft < 800ms").contains("did you mean `ttft`?"),
            "{}",
            err("p95 tft < 800ms")
        );
        assert!(err("p95 ttft 800ms").contains("needs an operator"));
        assert!(err("p95 ttft = 800ms").contains("`=` is not an operator"));
        assert!(err("p95 ttft < 800").contains("has no unit"));
        assert!(err("p95 ttft < 800 sec").contains("unknown unit `sec`"));
        assert!(err("q95 ttft < 800ms").contains("unknown statistic `q95`"));
        assert!(err("p0 ttft < 800ms").contains("above p0"));
        assert!(err("p101 ttft < 800ms").contains("at most p100"));
        assert!(err("p95 errors < 1%").contains("no statistic"));
        assert!(err("errors < 3").contains("more than all requests"));
        assert!(err("error_rate < 1%").contains("did you mean `errors`?"));
        assert!(err("tokens_per_second > 40/s").contains("without a unit"));
        assert!(err("p95 ttft < -1ms").contains("does not start with a number"));
        assert!(err("").contains("no threshold given"));
        assert!(err("< 1ms").contains("names no metric"));
        assert!(err("slow p95 ttft < 1ms").contains("too many words"));
        // the threshold at fault is named
        let e = err("p95 ttft < 800ms, p99 e2e < 2");
        assert!(e.starts_with("threshold `p99 e2e < 2`"), "{e}");
    }
}
