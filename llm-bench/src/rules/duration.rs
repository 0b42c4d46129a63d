//! Durations as users write them: a decimal number, then a unit. One grammar and one unit
//! table for every place that reads one: timeouts (`timeout = "30s"` in the attribute,
//! `--timeout 30s` on the command line), thresholds (`p95 ttft < 800ms`) and the simulated
//! endpoint's profile (`ttft=50ms`).

/// Every unit a duration may be written in, with its length in nanoseconds.
pub(crate) const TIME_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
];

/// The length of `unit` in nanoseconds, if it is one of [`TIME_UNITS`].
pub(crate) fn unit_ns(unit: &str) -> Option<u64> {
    TIME_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|&(_, ns)| ns)
}

/// Splits `12.5ms` into its number (`12.5`) and its unit (`ms`, spaces trimmed).
pub(crate) fn split_number_unit(text: &str) -> (&str, &str) {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    (&text[..split], text[split..].trim())
}

/// The units a timeout may be written in (whole milliseconds: no `us`, no `ns`).
const TIMEOUT_UNITS: &[&str] = &["ms", "s", "m"];

/// Parses a timeout such as `"500ms"`, `"2.5s"` or `"1m"` into whole milliseconds.
///
/// Spaces around the number and between the number and the unit are allowed. The result
/// must be a whole, positive number of milliseconds. The error is a complete sentence for
/// the user, without the option's name.
pub(crate) fn parse_timeout_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the timeout is empty: write a number and a unit, e.g. \"30s\"".into());
    }
    let (number, unit) = split_number_unit(text);
    if number.is_empty() {
        return Err(format!(
            "`{text}` does not start with a number: write e.g. \"30s\", \"500ms\" or \"1m\""
        ));
    }
    if unit.is_empty() {
        return Err(format!(
            "`{text}` has no unit: write `{number}ms`, `{number}s` or `{number}m`"
        ));
    }
    let unit_ms = unit_ns(unit).map(|ns| ns / 1_000_000);
    let Some(unit_ms) = unit_ms.filter(|_| TIMEOUT_UNITS.contains(&unit)) else {
        return Err(format!(
            "unknown unit `{unit}` in timeout `{text}`: use `ms`, `s` or `m`, e.g. \"30s\""
        ));
    };
    let ms = scale(number, unit_ms)
        .ok_or_else(|| format!("`{number}` is not a valid number in timeout `{text}`"))?;
    match ms {
        Scaled::Exact(0) => Err(format!(
            "the timeout must be greater than zero, not `{text}`"
        )),
        Scaled::Exact(ms) => Ok(ms),
        Scaled::SubMillisecond => Err(format!(
            "timeout `{text}` is not a whole number of milliseconds (the resolution is 1ms)"
        )),
        Scaled::Overflow => Err(format!("timeout `{text}` is too large")),
    }
}

/// The outcome of multiplying a decimal number by a unit.
#[derive(Debug, PartialEq, Eq)]
enum Scaled {
    Exact(u64),
    SubMillisecond,
    Overflow,
}

/// Computes `number * unit_ms` exactly, in integers; `None` when `number` is not a decimal.
fn scale(number: &str, unit_ms: u64) -> Option<Scaled> {
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    // Leading zeros carry no value; trailing zeros of the fraction carry no precision.
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let Ok(whole) = (if whole.is_empty() {
        Ok(0)
    } else {
        whole.parse::<u64>()
    }) else {
        return Some(Scaled::Overflow);
    };
    let Some(whole_ms) = whole.checked_mul(unit_ms) else {
        return Some(Scaled::Overflow);
    };
    // The fraction times the unit must come out whole: at most 5 digits can (1m = 60000ms).
    if fraction.len() > 5 {
        return Some(Scaled::SubMillisecond);
    }
    let denominator = fraction.bytes().fold(1u64, |d, _| d * 10);
    let numerator = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u64>().ok()? * unit_ms
    };
    if numerator % denominator != 0 {
        return Some(Scaled::SubMillisecond);
    }
    match whole_ms.checked_add(numerator / denominator) {
        Some(ms) => Some(Scaled::Exact(ms)),
        None => Some(Scaled::Overflow),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_timeout_ms, split_number_unit, unit_ns};

    #[test]
    fn numbers_and_units_split_once_for_every_reader() {
        assert_eq!(split_number_unit("12.5ms"), ("12.5", "ms"));
        assert_eq!(split_number_unit("30 s "), ("30", "s"));
        assert_eq!(split_number_unit("ms"), ("", "ms"));
        assert_eq!(split_number_unit("42"), ("42", ""));
        assert_eq!(unit_ns("µs"), Some(1_000));
        assert_eq!(unit_ns("m"), Some(60_000_000_000));
        assert_eq!(unit_ns("h"), None);
    }

    #[test]
    fn accepts_every_unit() {
        assert_eq!(parse_timeout_ms("500ms"), Ok(500));
        assert_eq!(parse_timeout_ms("30s"), Ok(30_000));
        assert_eq!(parse_timeout_ms("1m"), Ok(60_000));
    }

    #[test]
    fn accepts_fractions_and_spaces() {
        assert_eq!(parse_timeout_ms("2.5s"), Ok(2_500));
        assert_eq!(parse_timeout_ms("0.25s"), Ok(250));
        assert_eq!(parse_timeout_ms(".5s"), Ok(500));
        assert_eq!(parse_timeout_ms("1.5m"), Ok(90_000));
        assert_eq!(parse_timeout_ms("0.00005m"), Ok(3));
        assert_eq!(parse_timeout_ms("0.001s"), Ok(1));
        assert_eq!(parse_timeout_ms("10.000s"), Ok(10_000));
        assert_eq!(parse_timeout_ms(" 30 s "), Ok(30_000));
        assert_eq!(parse_timeout_ms("007ms"), Ok(7));
    }

    #[test]
    fn rejects_zero() {
        for text in ["0s", "0ms", "0.0m", "000ms"] {
            let err = parse_timeout_ms(text).unwrap_err();
            assert!(err.contains("greater than zero"), "{text}: {err}");
        }
    }

    #[test]
    fn rejects_missing_or_unknown_units() {
        assert!(parse_timeout_ms("30").unwrap_err().contains("has no unit"));
        let err = parse_timeout_ms("30sec").unwrap_err();
        assert!(err.contains("unknown unit `sec`"), "{err}");
        assert!(parse_timeout_ms("2h")
            .unwrap_err()
            .contains("unknown unit `h`"));
        assert!(parse_timeout_ms("30S")
            .unwrap_err()
            .contains("unknown unit `S`"));
    }

    #[test]
    fn rejects_malformed_numbers() {
        assert!(parse_timeout_ms("").unwrap_err().contains("empty"));
        assert!(parse_timeout_ms("s")
            .unwrap_err()
            .contains("does not start with a number"));
        assert!(parse_timeout_ms("-1s")
            .unwrap_err()
            .contains("does not start with a number"));
        assert!(parse_timeout_ms("1.2.3s")
            .unwrap_err()
            .contains("not a valid number"));
        assert!(parse_timeout_ms(".s")
            .unwrap_err()
            .contains("not a valid number"));
    }

    #[test]
    fn rejects_sub_millisecond_precision() {
        assert!(parse_timeout_ms("0.5ms")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_timeout_ms("1.0001s")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_timeout_ms("0.000001m")
            .unwrap_err()
            .contains("whole number"));
    }

    #[test]
    fn rejects_overflow() {
        assert!(parse_timeout_ms("18446744073709551616ms")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_timeout_ms("18446744073709551615m")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(parse_timeout_ms("18446744073709551615ms"), Ok(u64::MAX));
    }
}
