//! Every number, duration, percentage and date llm-bench prints, in one place: the console,
//! the Markdown summary, the HTML report, its charts and the error messages all format
//! through these functions, so that one value reads the same wherever it appears.
//!
//! Two duration styles, on purpose: the console picks a unit per value with four
//! significant digits (`51.23 ms`, `1.500 µs`, like criterion), and the reports print
//! milliseconds with three significant digits (`12.3 ms`) so that a table's column
//! compares at a glance. Both take their precision from [`significant`].

/// `v` with the decimals (at most three, at least `min_decimals`) that `digits`
/// significant digits need, decided on the value as it prints: `9.9996` with four digits
/// prints `10.00`, not `10.000`.
pub(crate) fn significant(v: f64, digits: u32, min_decimals: usize) -> String {
    let decimals = |a: f64| {
        let integer_digits = if a < 1.0 {
            0
        } else {
            a.log10().floor() as i64 + 1
        };
        (i64::from(digits) - integer_digits).clamp(min_decimals as i64, 3) as usize
    };
    let first = decimals(v.abs());
    let text = format!("{v:.first$}");
    // Rounding may carry into one more integer digit (99.96 → 100.0): decide again on it.
    let rounded: f64 = text.parse().unwrap_or(v);
    let second = decimals(rounded.abs());
    if second == first {
        text
    } else {
        format!("{v:.second$}")
    }
}

/// Nanoseconds with a unit chosen for the value, four significant digits (the console's
/// style): `51.23 ms`, `1.500 µs`, `2.500 s`.
pub(crate) fn format_duration_ns(ns: f64) -> String {
    const UNITS: [(f64, &str); 4] = [(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")];
    let mut unit = UNITS
        .iter()
        .rposition(|&(scale, _)| ns.abs() >= scale)
        .unwrap_or(0);
    let mut text = significant(ns / UNITS[unit].0, 4, 1);
    // 999.96 µs prints as 1000.0 µs: say 1.000 ms instead.
    if unit + 1 < UNITS.len() && text.parse::<f64>().is_ok_and(|v| v.abs() >= 1000.0) {
        unit += 1;
        text = significant(ns / UNITS[unit].0, 4, 1);
    }
    format!("{text} {}", UNITS[unit].1)
}

/// A plain number with four significant digits, as the console prints it (`12.35`).
pub(crate) fn format_console_num(v: f64) -> String {
    significant(v, 4, 1)
}

/// A duration in nanoseconds as milliseconds with three significant digits (the reports'
/// style): `12.3 ms`, `1234 ms`; `–` for a non-finite value.
pub(crate) fn format_ms(ns: f64) -> String {
    if !ns.is_finite() {
        return "–".to_string();
    }
    format!("{} ms", significant(ns / 1e6, 3, 0))
}

/// A plain number with three significant digits, as the reports print it (`12.3`,
/// `0.012`); `–` when not finite.
pub(crate) fn format_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    significant(v, 3, 0)
}

/// A chart's axis label: three significant digits without trailing zeros (`0`, `2.5`,
/// `120`).
#[cfg(feature = "html-report")]
pub(crate) fn format_tick(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let text = significant(v, 3, 0);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A configured duration (a timeout) in the largest unit that keeps it whole, as a user
/// writes it: `30 s`, `1500 ms`, `2 min`.
#[cfg(feature = "html-report")]
pub(crate) fn format_setting_ms(ms: u64) -> String {
    if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else if ms >= 1_000 && ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        format!("{ms} ms")
    }
}

/// A share of a whole (0.994 → `99.4%`), unsigned, one decimal.
pub(crate) fn format_share(share: f64) -> String {
    if !share.is_finite() {
        return "–".to_string();
    }
    format!("{:.1}%", share * 100.0)
}

/// A relative change as a signed percentage (`+3.1%`, `−0.4%`); `–` when not finite.
pub(crate) fn format_percent(rel: f64) -> String {
    if !rel.is_finite() {
        return "–".to_string();
    }
    let pct = rel * 100.0;
    let text = format!("{:.1}%", pct.abs());
    if text == "0.0%" {
        "±0.0%".to_string()
    } else if pct > 0.0 {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

/// A p-value: `< 0.001` or three decimals.
pub(crate) fn format_p(p: f64) -> String {
    if !p.is_finite() {
        "–".to_string()
    } else if p < 0.001 {
        "< 0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn format_unix_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Nanoseconds since the Unix epoch as RFC 3339 UTC with microseconds:
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (what log search tools take).
pub(crate) fn format_rfc3339_ns(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_has_microseconds_and_a_z() {
        assert_eq!(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000Z");
        // 2026-12-02 09:30:15.123456789 UTC
        assert_eq!(
            format_rfc3339_ns(1_796_203_815_123_456_789),
            "2026-12-02T09:30:15.123456Z"
        );
    }

    #[test]
    fn significant_digits_are_decided_on_the_printed_value() {
        assert_eq!(significant(12.345, 3, 0), "12.3");
        assert_eq!(significant(0.01234, 3, 0), "0.012");
        assert_eq!(significant(1234.6, 3, 0), "1235");
        assert_eq!(significant(9.9996, 4, 1), "10.00");
        assert_eq!(significant(99.96, 3, 0), "100");
        assert_eq!(significant(-12.345, 3, 0), "-12.3");
        assert_eq!(significant(1234.56, 4, 1), "1234.6");
    }

    /// The examples of the console's documentation.
    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(format_duration_ns(51_234_000.0), "51.23 ms");
        assert_eq!(format_duration_ns(1_500.0), "1.500 µs");
        assert_eq!(format_duration_ns(2_500_000_000.0), "2.500 s");
        assert_eq!(format_duration_ns(0.0), "0.000 ns");
    }

    #[test]
    fn units_switch_at_thresholds() {
        assert_eq!(format_duration_ns(999.0), "999.0 ns");
        assert_eq!(format_duration_ns(1_000.0), "1.000 µs");
        assert_eq!(format_duration_ns(184_230_000.0), "184.2 ms");
        assert_eq!(format_duration_ns(9_999_600.0), "10.00 ms");
        assert_eq!(format_duration_ns(999_999.7), "1.000 ms");
        assert_eq!(format_duration_ns(4_000_000_000_000.0), "4000.0 s");
    }

    #[test]
    fn report_numbers() {
        assert_eq!(format_ms(123_456_789.0), "123 ms");
        assert_eq!(format_ms(12_345_678.0), "12.3 ms");
        assert_eq!(format_ms(1_234_567.0), "1.23 ms");
        assert_eq!(format_ms(123_456.0), "0.123 ms");
        assert_eq!(format_ms(99_960_000.0), "100 ms");
        assert_eq!(format_ms(f64::NAN), "–");
        assert_eq!(format_num(12.345), "12.3");
        assert_eq!(format_num(f64::INFINITY), "–");
        assert_eq!(format_console_num(12.345), "12.35");
        assert_eq!(format_percent(0.031), "+3.1%");
        assert_eq!(format_percent(-0.004), "−0.4%");
        assert_eq!(format_percent(0.0001), "±0.0%");
    }

    #[cfg(feature = "html-report")]
    #[test]
    fn ticks_drop_trailing_zeros() {
        assert_eq!(format_tick(0.0), "0");
        assert_eq!(format_tick(2.5), "2.5");
        assert_eq!(format_tick(120.0), "120");
        assert_eq!(format_tick(0.125), "0.125");
        assert_eq!(format_tick(10.0), "10");
    }

    #[cfg(feature = "html-report")]
    #[test]
    fn settings_keep_a_whole_unit() {
        assert_eq!(format_setting_ms(30_000), "30 s");
        assert_eq!(format_setting_ms(120_000), "2 min");
        assert_eq!(format_setting_ms(1_500), "1500 ms");
        assert_eq!(format_setting_ms(90_000), "90 s");
    }

    #[cfg(feature = "html-report")]
    #[test]
    fn p_values() {
        assert_eq!(format_p(0.0001), "< 0.001");
        assert_eq!(format_p(0.0123), "0.012");
        assert_eq!(format_p(f64::NAN), "–");
    }

    #[test]
    fn dates() {
        assert_eq!(format_unix_ms(0), "1970-01-01 00:00:00 UTC");
        // 2024-02-29T12:34:56Z
        assert_eq!(format_unix_ms(1_709_210_096_000), "2024-02-29 12:34:56 UTC");
        assert_eq!(format_unix_ms(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }
}
