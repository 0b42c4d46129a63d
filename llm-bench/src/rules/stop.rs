//! The grammar of the precision stopping rule and of sweeps and searches, as written in
//! the attribute and on the command line:
//!
//! ```text
//! until  := metric number "%"                 stop once the 95% interval of the metric's
//!                                             median is within ±number% of it ("ttft 5%")
//! sweep  := ("rate" | "concurrency") steps    "rate 10,20,40", "concurrency 1..64:7 log"
//! search := ("rate" | "concurrency") range    "rate 1..500"
//! ```
//!
//! `steps` and `range` are [`super::load`]'s. Keep this file free of anything but `std`: the
//! attribute crate compiles it too.

use super::load::{parse_search, parse_steps};
use super::names::GATE_METRICS;
use super::suggest::closest;

/// What a sweep or a search varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dimension {
    /// Requests per second (open loop).
    Rate,
    /// Requests in flight (closed loop).
    Concurrency,
}

impl Dimension {
    /// `rate` or `concurrency`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dimension::Rate => "rate",
            Dimension::Concurrency => "concurrency",
        }
    }
}

/// Parses `"ttft 5%"` into the metric's name and the half width (0.05).
pub(crate) fn parse_until(text: &str) -> Result<(&'static str, f64), String> {
    let example = "write the metric and the precision, e.g. \"ttft 5%\"";
    let words: Vec<&str> = text.split_whitespace().collect();
    let [metric, share] = words.as_slice() else {
        return Err(format!("`{text}`: {example}"));
    };
    let metric = metric.to_ascii_lowercase();
    let Some(&name) = GATE_METRICS.iter().find(|m| **m == metric) else {
        let hint = closest(&metric, GATE_METRICS)
            .map(|near| format!(": did you mean `{near}`?"))
            .unwrap_or_default();
        return Err(format!(
            "`{text}`: unknown metric `{metric}`{hint} (the metrics are {})",
            GATE_METRICS.join(", ")
        ));
    };
    let share = share.trim_start_matches('±').trim_start_matches("+-");
    let percent = share
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|p| p.is_finite() && *p > 0.0 && *p < 100.0)
        .ok_or_else(|| {
            format!("`{text}`: the precision is a percentage between 0 and 100, e.g. `5%`")
        })?;
    Ok((name, percent / 100.0))
}

fn dimension(text: &str, what: &str, example: &str) -> Result<(Dimension, String), String> {
    let text = text.trim();
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let dimension = match word {
        "rate" => Dimension::Rate,
        "concurrency" => Dimension::Concurrency,
        _ => {
            return Err(format!(
                "`{text}`: a {what} names what it varies first, `rate` or `concurrency`, e.g. \"{example}\""
            ))
        }
    };
    Ok((dimension, rest.trim().to_string()))
}

/// Parses a sweep: `"rate 10,20,40"`, `"concurrency 1..64:7 log"`. Concurrencies must be
/// whole numbers.
pub(crate) fn parse_sweep(text: &str) -> Result<(Dimension, Vec<f64>), String> {
    let (dimension, rest) = dimension(text, "sweep", "rate 10,20,40")?;
    let mut steps = parse_steps(&rest).map_err(|e| format!("sweep `{}`: {e}", text.trim()))?;
    if dimension == Dimension::Concurrency {
        for step in &mut steps {
            *step = step.round();
        }
        steps.dedup();
    }
    Ok((dimension, steps))
}

/// Parses a search range: `"rate 1..500"`, `"concurrency 1..64"`.
pub(crate) fn parse_search_range(text: &str) -> Result<(Dimension, f64, f64), String> {
    let (dimension, rest) = dimension(text, "search", "rate 1..500")?;
    let (low, high) = parse_search(&rest).map_err(|e| format!("search `{}`: {e}", text.trim()))?;
    Ok((dimension, low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_names_a_metric_and_a_percentage() {
        assert_eq!(parse_until("ttft 5%"), Ok(("ttft", 0.05)));
        assert_eq!(parse_until("E2E ±2.5%"), Ok(("e2e", 0.025)));
        let e = parse_until("tfft 5%").unwrap_err();
        assert!(e.contains("did you mean `ttft`"), "{e}");
        assert!(parse_until("ttft 5").unwrap_err().contains("percentage"));
        assert!(parse_until("ttft")
            .unwrap_err()
            .contains("e.g. \"ttft 5%\""));
    }

    #[test]
    fn sweeps_and_searches_name_what_they_vary() {
        assert_eq!(
            parse_sweep("rate 10,20,40"),
            Ok((Dimension::Rate, vec![10.0, 20.0, 40.0]))
        );
        let (d, steps) = parse_sweep("concurrency 1..64:7 log").unwrap();
        assert_eq!(d, Dimension::Concurrency);
        assert_eq!(steps, vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]);
        assert_eq!(
            parse_search_range("rate 1..500"),
            Ok((Dimension::Rate, 1.0, 500.0))
        );
        let e = parse_sweep("rps 1,2").unwrap_err();
        assert!(e.contains("`rate` or `concurrency`"), "{e}");
        let e = parse_search_range("rate 5..1").unwrap_err();
        assert!(e.starts_with("search `rate 5..1`"), "{e}");
    }
}
