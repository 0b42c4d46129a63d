//! TTFT on new and on reused connections, apart: a request that opens its connection pays
//! for name resolution, TCP connect and the TLS handshake inside its TTFT, so a run whose
//! requests mix both shows two populations. Shown (console, HTML run page) only when a run
//! has both; from the HTTP phases the built-in client records.

use crate::format::format_ms;
use crate::store::StoredRun;

/// The TTFTs of one kind of connection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConnectionGroup {
    /// `new` or `reused`.
    pub(crate) kind: &'static str,
    /// Successful requests of this kind with a TTFT.
    pub(crate) requests: usize,
    /// Their TTFT's median and 90th percentile, nanoseconds.
    pub(crate) ttft_p50: f64,
    pub(crate) ttft_p90: f64,
    /// For new connections: the median connect and TLS times, nanoseconds.
    pub(crate) connect_p50: Option<f64>,
    pub(crate) tls_p50: Option<f64>,
}

/// The percentile `p` of `values` (sorted here), by the one definition of the crate.
fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(crate::stats::quantile_sorted(values, p))
}

/// The new and the reused group of `run`, when it has successful requests of both kinds;
/// `None` otherwise (every request reused a warm connection, or the client was the user's).
pub(crate) fn connection_groups(run: &StoredRun) -> Option<[ConnectionGroup; 2]> {
    let group = |new: bool| {
        let of_kind = || {
            run.samples
                .iter()
                .filter(|s| s.is_ok())
                .filter_map(|s| Some((s.ttft_ns?, s.http?)))
                .filter(move |(_, h)| h.new_connection == new)
        };
        let mut ttft: Vec<f64> = of_kind().map(|(t, _)| t as f64).collect();
        let mut connect: Vec<f64> = of_kind()
            .filter_map(|(_, h)| h.connect_ns)
            .map(|c| c as f64)
            .collect();
        let mut tls: Vec<f64> = of_kind()
            .filter_map(|(_, h)| h.tls_ns)
            .map(|c| c as f64)
            .collect();
        Some(ConnectionGroup {
            kind: if new { "new" } else { "reused" },
            requests: ttft.len(),
            ttft_p50: percentile(&mut ttft, 0.5)?,
            ttft_p90: percentile(&mut ttft, 0.9)?,
            connect_p50: percentile(&mut connect, 0.5),
            tls_p50: percentile(&mut tls, 0.5),
        })
    };
    Some([group(true)?, group(false)?])
}

/// One group in words: `3 on new connections: TTFT p50 182 ms, p90 190 ms (connect 0.4 ms,
/// TLS 2.1 ms)`.
pub(crate) fn group_text(g: &ConnectionGroup) -> String {
    let mut text = format!(
        "{} on {} connections: TTFT p50 {}, p90 {}",
        g.requests,
        g.kind,
        format_ms(g.ttft_p50),
        format_ms(g.ttft_p90)
    );
    let opening: Vec<String> = [("connect", g.connect_p50), ("TLS", g.tls_p50)]
        .into_iter()
        .filter_map(|(name, v)| Some(format!("{name} {}", format_ms(v?))))
        .collect();
    if !opening.is_empty() {
        text.push_str(&format!(" ({} median)", opening.join(", ")));
    }
    text
}
