//! The grammar of open-loop load: the request rate, the arrival process, the steps of a rate
//! sweep, the range of a rate search and the ramp-up, as written in the attribute
//! (`#[llm_bench(rate = "200/s", arrival = "gamma:0.5")]`) and on the command line. Each is
//! parsed by one function here in both places (the attribute checks it at compile time).
//!
//! ```text
//! rate     := number [ "/" unit ]          requests per second when no unit is given
//! unit     := ns | us | µs | ms | s | m | min | h     (m and min are minutes)
//!             e.g. 200   200/s   0.5/s   12000/min   3/h
//!
//! arrival  := constant                     one request every 1/rate exactly
//!           | poisson                      exponential gaps (a Poisson process)
//!           | gamma:<shape>                gamma gaps with mean 1/rate; shape > 0:
//!                                          1 is poisson, < 1 burstier, > 1 more regular
//!                                          (vLLM's "burstiness")
//!             e.g. constant   poisson   gamma:0.5   gamma:4
//!
//! steps    := number ("," number)*         a list, e.g. 1,2,4,8
//!           | number ".." number ":" count [ " log" ]
//!                                          count values from the first to the second,
//!                                          both included: evenly spaced (linear), or with
//!                                          `log` a constant ratio between neighbours
//!             e.g. 10..100:10      = 10, 20, 30, …, 100
//!                  1..64:7 log     = 1, 2, 4, 8, 16, 32, 64
//!
//! search   := number ".." number           the rates an SLA search bisects, e.g. 1..500
//!
//! ramp-up  := number unit                  a duration (ns, us, µs, ms, s, m), e.g. 30s
//! ```
//!
//! Numbers are plain decimals (`12`, `0.5`, `.5`; no sign, no exponent). Steps and search
//! bounds are requests per second; every value must be finite and greater than zero, steps
//! strictly ascending, at most [`MAX_STEPS`] of them.
//!
//! Keep this file free of anything but `std`: the attribute crate compiles it too.

use std::fmt;
use std::time::Duration;

use super::duration::{split_number_unit, unit_ns};
use super::suggest::closest;

/// The most steps a sweep may have.
pub(crate) const MAX_STEPS: usize = 1000;

/// The names of the arrival processes, as written.
pub(crate) const ARRIVAL_NAMES: &[&str] = &["constant", "poisson", "gamma"];

/// The units a rate may be given per, beyond the duration units: minutes and hours.
const RATE_EXTRA_UNITS: &[(&str, u64)] = &[("min", 60_000_000_000), ("h", 3_600_000_000_000)];

/// How the gaps between request arrivals are drawn (their mean is always 1/rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Arrival {
    /// Every gap is exactly 1/rate.
    Constant,
    /// Exponential gaps: a Poisson process.
    Poisson,
    /// Gamma gaps of this shape (> 0, finite) and scale 1/(rate·shape): shape 1 has the
    /// distribution of [`Arrival::Poisson`], below 1 is burstier, above 1 more regular.
    Gamma {
        /// The shape parameter k: the squared coefficient of variation of the gaps is 1/k.
        shape: f64,
    },
}

impl fmt::Display for Arrival {
    /// Writes the arrival as [`parse_arrival`] reads it: `constant`, `poisson`, `gamma:0.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arrival::Constant => f.write_str("constant"),
            Arrival::Poisson => f.write_str("poisson"),
            Arrival::Gamma { shape } => write!(f, "gamma:{shape}"),
        }
    }
}

/// Parses a request rate (`"200"`, `"200/s"`, `"12000/min"`, `"0.5/s"`, `"3/h"`) into
/// requests per second. The error is a sentence for the user.
pub(crate) fn parse_rate(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the rate is empty: write requests per second, e.g. \"200/s\"".into());
    }
    let (count, per) = match text.split_once('/') {
        Some((count, per)) => (count.trim(), Some(per.trim())),
        None => (text, None),
    };
    let count = plain_number(count).ok_or_else(|| {
        format!("`{text}` does not start with a number of requests: write e.g. \"200/s\"")
    })?;
    let per_ns = match per {
        None => 1_000_000_000,
        Some(unit) => rate_unit_ns(unit).ok_or_else(|| unknown_rate_unit(text, unit))?,
    };
    let rate = count * 1e9 / per_ns as f64;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!(
            "the rate must be greater than zero and finite, not `{text}`: write e.g. \"200/s\""
        ));
    }
    Ok(rate)
}

/// The length in nanoseconds of a unit a rate is given per: a duration unit, `min` or `h`.
fn rate_unit_ns(unit: &str) -> Option<u64> {
    unit_ns(unit).or_else(|| {
        RATE_EXTRA_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|&(_, ns)| ns)
    })
}

/// The error for a rate with an unknown unit after the `/`.
fn unknown_rate_unit(text: &str, unit: &str) -> String {
    if unit.is_empty() {
        return format!("`{text}` has no unit after `/`: write e.g. \"200/s\" or \"12000/min\"");
    }
    format!("unknown unit `{unit}` in rate `{text}`: use `/s`, `/min` or `/h` (or `/ms`), e.g. \"200/s\"")
}

/// Parses an arrival process: `"constant"`, `"poisson"` or `"gamma:<shape>"`.
pub(crate) fn parse_arrival(text: &str) -> Result<Arrival, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the arrival is empty: write `constant`, `poisson` or `gamma:<shape>`, e.g. \"gamma:0.5\"".into());
    }
    let (name, shape) = match text.split_once(':') {
        Some((name, shape)) => (name.trim(), Some(shape.trim())),
        None => (text, None),
    };
    match (name, shape) {
        ("constant", None) => Ok(Arrival::Constant),
        ("poisson", None) => Ok(Arrival::Poisson),
        ("gamma", Some(shape)) => parse_shape(text, shape).map(|shape| Arrival::Gamma { shape }),
        ("gamma", None) => Err(
            "`gamma` needs a shape: write e.g. \"gamma:0.5\" (below 1 is burstier than poisson, above 1 more regular)"
                .into(),
        ),
        ("constant" | "poisson", Some(_)) => Err(format!(
            "`{name}` takes no parameter: write \"{name}\" (only gamma has one, e.g. \"gamma:0.5\")"
        )),
        _ => Err(unknown_arrival(name)),
    }
}

/// The shape of `gamma:<shape>`: a plain decimal, finite and greater than zero.
fn parse_shape(text: &str, shape: &str) -> Result<f64, String> {
    match plain_number(shape) {
        Some(k) if k > 0.0 && k.is_finite() => Ok(k),
        Some(_) => Err(format!(
            "the gamma shape must be greater than zero and finite, not `{text}`: write e.g. \"gamma:0.5\""
        )),
        None => Err(format!(
            "`{shape}` is not a number in `{text}`: write the shape as a decimal, e.g. \"gamma:0.5\""
        )),
    }
}

/// The error for an arrival name that is none of [`ARRIVAL_NAMES`], with a suggestion.
fn unknown_arrival(name: &str) -> String {
    let hint = match name.to_ascii_lowercase().as_str() {
        "exponential" | "exp" | "random" => "; did you mean `poisson`?".to_string(),
        "fixed" | "uniform" | "regular" | "steady" => "; did you mean `constant`?".into(),
        word => closest(word, ARRIVAL_NAMES)
            .map(|near| format!("; did you mean `{near}`?"))
            .unwrap_or_default(),
    };
    format!("unknown arrival `{name}`: use `constant`, `poisson` or `gamma:<shape>` (e.g. \"gamma:0.5\"){hint}")
}

/// Parses the steps of a sweep: a list (`"1,2,4,8"`), a linear range (`"10..100:10"`) or a
/// geometric range (`"1..64:7 log"`). The values are strictly ascending, finite and
/// positive, at most [`MAX_STEPS`] of them.
pub(crate) fn parse_steps(text: &str) -> Result<Vec<f64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "no steps given: write a list such as \"1,2,4,8\" or a range such as \"10..100:10\""
                .into(),
        );
    }
    let steps = if text.contains("..") {
        parse_range_steps(text)?
    } else {
        parse_list_steps(text)?
    };
    if steps.len() > MAX_STEPS {
        return Err(format!(
            "`{text}` has {} steps, more than the {MAX_STEPS} a sweep may have",
            steps.len()
        ));
    }
    Ok(steps)
}

/// A comma-separated list of positive, strictly ascending numbers.
fn parse_list_steps(text: &str) -> Result<Vec<f64>, String> {
    let mut steps: Vec<f64> = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!(
                "`{text}` has an empty step: write numbers between the commas, e.g. \"1,2,4,8\""
            ));
        }
        let value = positive_number(item, text)?;
        if let Some(&previous) = steps.last() {
            if value <= previous {
                return Err(format!(
                    "the steps in `{text}` must be strictly ascending, but `{item}` follows {previous}"
                ));
            }
        }
        steps.push(value);
    }
    Ok(steps)
}

/// `from..to:count` (linear) or `from..to:count log` (geometric), both ends included.
fn parse_range_steps(text: &str) -> Result<Vec<f64>, String> {
    let (range, count) = text.split_once(':').ok_or_else(|| {
        format!("the range `{text}` needs a number of steps: write e.g. \"10..100:10\" or \"1..64:7 log\"")
    })?;
    let (count, geometric) = match count.trim().strip_suffix("log") {
        Some(count) => (count.trim(), true),
        None => (count.trim(), false),
    };
    let (from, to) = parse_bounds(range, text)?;
    let count = parse_count(count, text)?;
    let steps = if geometric {
        geometric_steps(from, to, count)
    } else {
        linear_steps(from, to, count)
    };
    if steps.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!(
            "the {count} steps of `{text}` are too close together to tell apart: use fewer steps or a wider range"
        ));
    }
    Ok(steps)
}

/// The number of steps of a range: a whole number from 2 to [`MAX_STEPS`].
fn parse_count(count: &str, text: &str) -> Result<usize, String> {
    let digits = !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit());
    let Some(n) = digits.then(|| count.parse::<usize>().ok()).flatten() else {
        return Err(format!(
            "`{count}` is not a whole number of steps in `{text}`: write e.g. \"10..100:10\" (10 steps) or \"1..64:7 log\""
        ));
    };
    if n < 2 {
        return Err(format!(
            "a range has at least 2 steps (its two ends), not {n}, in `{text}`: write e.g. \"10..100:10\""
        ));
    }
    if n > MAX_STEPS {
        return Err(format!(
            "`{text}` has {n} steps, more than the {MAX_STEPS} a sweep may have"
        ));
    }
    Ok(n)
}

/// `count` evenly spaced values from `from` to `to` (both exact).
fn linear_steps(from: f64, to: f64, count: usize) -> Vec<f64> {
    let last = (count - 1) as f64;
    (0..count)
        .map(|i| match i {
            0 => from,
            i if i == count - 1 => to,
            i => from + (to - from) * i as f64 / last,
        })
        .collect()
}

/// `count` values from `from` to `to` (both exact) with a constant ratio between neighbours.
fn geometric_steps(from: f64, to: f64, count: usize) -> Vec<f64> {
    let last = (count - 1) as f64;
    let log_ratio = (to / from).ln();
    (0..count)
        .map(|i| match i {
            0 => from,
            i if i == count - 1 => to,
            i => from * (log_ratio * i as f64 / last).exp(),
        })
        .collect()
}

/// Parses the range of rates an SLA search bisects: `"1..500"` (requests per second,
/// lower bound first).
pub(crate) fn parse_search(text: &str) -> Result<(f64, f64), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "the search range is empty: write the lowest and highest rate, e.g. \"1..500\"".into(),
        );
    }
    if !text.contains("..") {
        return Err(format!(
            "`{text}` is not a range: write the lowest and highest rate as \"low..high\", e.g. \"1..500\""
        ));
    }
    parse_bounds(text, text)
}

/// `from..to` with both finite, positive and `from < to`; `text` is the whole input, for
/// the errors.
fn parse_bounds(range: &str, text: &str) -> Result<(f64, f64), String> {
    let (from, to) = range
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a range: write \"from..to\", e.g. \"1..500\""))?;
    let from = positive_number(from.trim(), text)?;
    let to = positive_number(to.trim(), text)?;
    if from >= to {
        return Err(format!(
            "the range `{text}` must go up: its first value must be below its second, e.g. \"1..500\""
        ));
    }
    Ok((from, to))
}

/// A plain decimal that is finite and greater than zero; `text` is the whole input.
fn positive_number(item: &str, text: &str) -> Result<f64, String> {
    match plain_number(item) {
        Some(v) if v > 0.0 && v.is_finite() => Ok(v),
        Some(_) => Err(format!(
            "`{item}` in `{text}` must be greater than zero and finite"
        )),
        None => Err(format!(
            "`{item}` in `{text}` is not a number: write plain decimals such as `4` or `0.5`"
        )),
    }
}

/// Parses a ramp-up duration (`"30s"`, `"1.5m"`, `"500ms"`): the duration grammar of
/// [`super::duration`], greater than zero.
pub(crate) fn parse_ramp_up(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = split_number_unit(text);
    let Some(value) = plain_number(number) else {
        return Err(format!(
            "`{text}` does not start with a number: write the ramp-up as a duration, e.g. \"30s\""
        ));
    };
    if unit.is_empty() {
        return Err(format!(
            "`{text}` has no unit: write `{number}s`, `{number}ms` or `{number}m`"
        ));
    }
    let scale = unit_ns(unit).ok_or_else(|| {
        format!("unknown unit `{unit}` in ramp-up `{text}`: use ns, us, ms, s or m, e.g. \"30s\"")
    })?;
    let ns = value * scale as f64;
    if !(ns >= 1.0 && ns < u64::MAX as f64) {
        return Err(format!(
            "the ramp-up must be at least 1ns and finite, not `{text}`: write e.g. \"30s\""
        ));
    }
    Ok(Duration::from_nanos(ns.round() as u64))
}

/// A non-negative plain decimal (digits with at most one `.`, no sign, no exponent), or
/// `None`.
fn plain_number(text: &str) -> Option<f64> {
    let ok = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && text != ".";
    ok.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of a parse that must fail, checked to contain every `part`.
    fn err_contains<T: fmt::Debug>(result: Result<T, String>, parts: &[&str]) {
        let err = result.expect_err("must be refused");
        for part in parts {
            assert!(err.contains(part), "`{err}` lacks `{part}`");
        }
    }

    #[test]
    fn rates_in_every_unit() {
        assert_eq!(parse_rate("200"), Ok(200.0));
        assert_eq!(parse_rate("200/s"), Ok(200.0));
        assert_eq!(parse_rate(" 200 / s "), Ok(200.0));
        assert_eq!(parse_rate("12000/min"), Ok(200.0));
        assert_eq!(parse_rate("12000/m"), Ok(200.0));
        assert_eq!(parse_rate("0.5/s"), Ok(0.5));
        assert_eq!(parse_rate(".5"), Ok(0.5));
        assert_eq!(parse_rate("2/ms"), Ok(2000.0));
        let per_hour = parse_rate("3/h").unwrap();
        assert!((per_hour - 3.0 / 3600.0).abs() < 1e-15, "{per_hour}");
    }

    #[test]
    fn bad_rates_are_explained() {
        err_contains(parse_rate(""), &["empty", "\"200/s\""]);
        err_contains(parse_rate("0"), &["greater than zero", "`0`", "\"200/s\""]);
        err_contains(parse_rate("0/min"), &["greater than zero"]);
        err_contains(
            parse_rate("-5/s"),
            &["does not start with a number", "\"200/s\""],
        );
        err_contains(parse_rate("1e3/s"), &["does not start with a number"]);
        err_contains(parse_rate("inf"), &["does not start with a number"]);
        err_contains(parse_rate("fast"), &["does not start with a number"]);
        err_contains(parse_rate("200/"), &["no unit after `/`", "\"12000/min\""]);
        err_contains(
            parse_rate("200/sec"),
            &["unknown unit `sec`", "`/min`", "\"200/s\""],
        );
        err_contains(parse_rate("200/day"), &["unknown unit `day`"]);
        err_contains(parse_rate("1/2/s"), &["unknown unit `2/s`"]);
        let huge = format!("1{}", "0".repeat(400));
        err_contains(parse_rate(&huge), &["finite"]);
    }

    #[test]
    fn arrivals_parse_and_round_trip() {
        assert_eq!(parse_arrival("constant"), Ok(Arrival::Constant));
        assert_eq!(parse_arrival(" poisson "), Ok(Arrival::Poisson));
        assert_eq!(
            parse_arrival("gamma:0.5"),
            Ok(Arrival::Gamma { shape: 0.5 })
        );
        assert_eq!(parse_arrival("gamma: 4"), Ok(Arrival::Gamma { shape: 4.0 }));
        for shape in [0.5, 1.0, 4.0, 0.1 + 0.2, 1e-7, 1e20, 123.456] {
            let arrival = Arrival::Gamma { shape };
            assert_eq!(
                parse_arrival(&arrival.to_string()),
                Ok(arrival),
                "{arrival}"
            );
        }
        for arrival in [Arrival::Constant, Arrival::Poisson] {
            assert_eq!(parse_arrival(&arrival.to_string()), Ok(arrival));
        }
        assert_eq!(Arrival::Gamma { shape: 0.5 }.to_string(), "gamma:0.5");
    }

    #[test]
    fn bad_arrivals_are_explained() {
        err_contains(parse_arrival("gamma"), &["needs a shape", "\"gamma:0.5\""]);
        err_contains(
            parse_arrival("gamma:0"),
            &["greater than zero", "\"gamma:0.5\""],
        );
        err_contains(
            parse_arrival("gamma:-1"),
            &["not a number", "\"gamma:0.5\""],
        );
        err_contains(parse_arrival("gamma:"), &["not a number"]);
        err_contains(
            parse_arrival("poisson:2"),
            &["takes no parameter", "\"poisson\""],
        );
        err_contains(
            parse_arrival("poison"),
            &["unknown arrival `poison`", "did you mean `poisson`?"],
        );
        err_contains(parse_arrival("exponential"), &["did you mean `poisson`?"]);
        err_contains(parse_arrival("fixed"), &["did you mean `constant`?"]);
        err_contains(parse_arrival("gama:0.5"), &["did you mean `gamma`?"]);
        err_contains(
            parse_arrival(""),
            &["empty", "`constant`, `poisson` or `gamma:<shape>`"],
        );
        let err = parse_arrival("zipf").unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn step_lists_and_ranges() {
        assert_eq!(parse_steps("1,2,4,8"), Ok(vec![1.0, 2.0, 4.0, 8.0]));
        assert_eq!(parse_steps(" 0.5 , 1.5 "), Ok(vec![0.5, 1.5]));
        assert_eq!(parse_steps("7"), Ok(vec![7.0]));
        assert_eq!(
            parse_steps("10..100:10"),
            Ok((1..=10).map(|i| f64::from(i) * 10.0).collect::<Vec<_>>())
        );
        assert_eq!(parse_steps("1..2:2"), Ok(vec![1.0, 2.0]));
        let geometric = parse_steps("1..64:7 log").unwrap();
        let want = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
        assert_eq!(geometric.len(), want.len());
        for (got, want) in geometric.iter().zip(want) {
            assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
        }
        assert_eq!(parse_steps("1..64:7log"), parse_steps("1..64:7 log"));
        let many = parse_steps("1..1000:1000").unwrap();
        assert_eq!((many.len(), many[0], many[999]), (1000, 1.0, 1000.0));
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bad_steps_are_explained() {
        err_contains(
            parse_steps(""),
            &["no steps", "\"1,2,4,8\"", "\"10..100:10\""],
        );
        err_contains(parse_steps("1,,2"), &["empty step"]);
        err_contains(parse_steps("1,2,"), &["empty step"]);
        err_contains(parse_steps("4,2"), &["strictly ascending", "`2` follows 4"]);
        err_contains(parse_steps("1,1"), &["strictly ascending"]);
        err_contains(parse_steps("0,1"), &["`0`", "greater than zero"]);
        err_contains(parse_steps("1,x"), &["`x`", "not a number"]);
        err_contains(
            parse_steps("10..100"),
            &["needs a number of steps", "\"10..100:10\""],
        );
        err_contains(parse_steps("100..10:5"), &["must go up"]);
        err_contains(parse_steps("0..10:5"), &["greater than zero"]);
        err_contains(parse_steps("1..10:1"), &["at least 2 steps"]);
        err_contains(parse_steps("1..10:2.5"), &["not a whole number of steps"]);
        err_contains(parse_steps("1..10:5 lin"), &["not a whole number of steps"]);
        err_contains(parse_steps("1..10000:1001"), &["1001 steps", "1000"]);
        err_contains(
            parse_steps("1..1.0000000000000002:3"),
            &["too close together"],
        );
        let long = (1..=1001)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        err_contains(parse_steps(&long), &["1001 steps"]);
    }

    #[test]
    fn search_ranges() {
        assert_eq!(parse_search("1..500"), Ok((1.0, 500.0)));
        assert_eq!(parse_search(" 0.5 .. 20 "), Ok((0.5, 20.0)));
        err_contains(parse_search(""), &["empty", "\"1..500\""]);
        err_contains(parse_search("500"), &["not a range", "\"1..500\""]);
        err_contains(parse_search("500..1"), &["must go up", "\"1..500\""]);
        err_contains(parse_search("5..5"), &["must go up"]);
        err_contains(parse_search("0..5"), &["greater than zero"]);
        err_contains(parse_search("1..x"), &["`x`", "not a number"]);
    }

    #[test]
    fn ramp_ups_use_the_duration_grammar() {
        assert_eq!(parse_ramp_up("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_ramp_up("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ramp_up("500 ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_ramp_up("250us"), Ok(Duration::from_micros(250)));
        err_contains(parse_ramp_up("30"), &["has no unit", "`30s`"]);
        err_contains(parse_ramp_up("2h"), &["unknown unit `h`", "\"30s\""]);
        err_contains(parse_ramp_up("0s"), &["at least 1ns"]);
        err_contains(parse_ramp_up("s"), &["does not start with a number"]);
    }
}
