//! Number and date formatting shared by the HTML report, the Markdown summary and exports.

/// A duration in nanoseconds as milliseconds with three significant digits (`12.3 ms`,
/// `1 234 ms` is printed `1234 ms`); `–` for a non-finite value.
pub fn format_ms(ns: f64) -> String {
    if !ns.is_finite() {
        return "–".to_string();
    }
    let ms = ns / 1e6;
    let a = ms.abs();
    if a >= 100.0 {
        format!("{ms:.0} ms")
    } else if a >= 10.0 {
        format!("{ms:.1} ms")
    } else if a >= 1.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

/// A relative change as a signed percentage (`+3.1%`, `−0.4%`); `–` when not finite.
pub fn format_percent(rel: f64) -> String {
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

/// A plain number with at most three significant decimals (`12.3`, `0.0123`).
pub(crate) fn format_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(feature = "html-report")]
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
pub fn format_unix_ms(ms: u64) -> String {
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

    #[test]
    fn numbers() {
        assert_eq!(format_ms(123_456_789.0), "123 ms");
        assert_eq!(format_ms(12_345_678.0), "12.3 ms");
        assert_eq!(format_ms(1_234_567.0), "1.23 ms");
        assert_eq!(format_ms(123_456.0), "0.123 ms");
        assert_eq!(format_ms(f64::NAN), "–");
        assert_eq!(format_percent(0.031), "+3.1%");
        assert_eq!(format_percent(-0.004), "−0.4%");
        assert_eq!(format_percent(0.0001), "±0.0%");
        assert_eq!(format_num(12.345), "12.3");
    }
}
