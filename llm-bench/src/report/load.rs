//! How a run's load, its objectives and llm-bench's own delay read in the reports: the
//! sentences the Markdown summary and the HTML pages share (see docs/load.md for what the
//! figures mean). Each returns `None` where the run has nothing to say (a closed-loop run
//! stored before llm-bench recorded its load), so such runs report exactly as before.

use crate::format::{format_ms, format_num, format_share};
use crate::store::{ClientBound, LoadReport, SloReport, SloResult, StopReason, StoredRun};

/// Why a run stopped, in words, when it was not after its last sample (`None` then, and
/// for runs that did not record it).
pub(crate) fn stop_words(reason: Option<StopReason>) -> Option<&'static str> {
    Some(match reason? {
        StopReason::Samples => return None,
        StopReason::Duration => "its duration elapsed",
        StopReason::OutputTokens => "its output-token budget was spent",
        StopReason::Precision => "the median was known as precisely as asked (until)",
        StopReason::Cost => "the cost budget (--max-cost) was spent",
        StopReason::Failures => "too many failures",
        StopReason::Interrupted => "interrupted",
    })
}

/// True when a run has something for the load and objectives parts of a report.
pub(crate) fn has_load_facts(run: &StoredRun) -> bool {
    run.load.is_some()
        || run.slo.is_some()
        || run.settings.open_loop.is_some()
        || stop_words(run.stop_reason).is_some()
}

/// The offered and achieved rate of an open-loop run: `20/s offered, 19.8/s achieved
/// (99.0% of offered)`; `None` in closed loop.
pub(crate) fn rate_text(load: &LoadReport) -> Option<String> {
    let target = load.target_rate?;
    let mut text = format!(
        "{}/s offered, {}/s achieved",
        format_num(target),
        format_num(load.achieved_rate)
    );
    if target > 0.0 {
        text.push_str(&format!(
            " ({} of offered)",
            format_share(load.achieved_rate / target)
        ));
    }
    Some(text)
}

/// The load line of a run: `load poisson 20/s: 20/s offered, 19.8/s achieved (99.0% of
/// offered), 4 in flight at most, schedule lag p50 0.1 ms p99 0.4 ms`; in closed loop
/// `load concurrency 4: 3.9 requests/s started, 4 in flight at most`. `None` without a
/// load report.
pub(crate) fn load_line(run: &StoredRun) -> Option<String> {
    let load = run.load.as_ref()?;
    let rates = rate_text(load)
        .unwrap_or_else(|| format!("{} requests/s started", format_num(load.achieved_rate)));
    let mut line = format!(
        "load {}: {rates}, {} in flight at most",
        run.settings.load_label(),
        load.peak_in_flight
    );
    if let Some(lag) = &load.schedule_lag {
        line.push_str(&format!(
            ", schedule lag p50 {} p99 {}",
            format_ms(lag.p50),
            format_ms(lag.p99)
        ));
    }
    Some(line)
}

/// The retries of a run, when some attempt was retried.
pub(crate) fn retries_text(load: &LoadReport) -> Option<String> {
    (load.retries > 0).then(|| {
        format!(
            "{} attempts retried (429, 5xx, refused); their time is not in the latencies",
            load.retries
        )
    })
}

/// The client-bound warning: `schedule lag p99 12.5 ms is above 1.00 ms (the larger of 1 ms
/// and 1% of the median TTFT): these latencies include llm-bench's own delay, not only the
/// endpoint's`.
pub(crate) fn client_bound_text(bound: &ClientBound) -> String {
    format!(
        "{} p99 {} is above {} (the larger of 1 ms and 1% of the median TTFT): these \
         latencies include llm-bench's own delay, not only the endpoint's",
        bound.what,
        format_ms(bound.p99_ns),
        format_ms(bound.limit_ns)
    )
}

/// The client-bound record of a run, if it has one.
pub(crate) fn client_bound(run: &StoredRun) -> Option<&ClientBound> {
    run.load.as_ref()?.client_bound.as_ref()
}

/// The goodput line: `3.60 good requests/s; 23 of 24 requests good (95.8%)`.
pub(crate) fn goodput_text(slo: &SloReport) -> String {
    format!(
        "{} good requests/s; {} of {} requests good ({})",
        format_num(slo.goodput_rps),
        slo.good_requests,
        slo.requests,
        format_share(slo.good_fraction)
    )
}

/// An objective's observed percentile, or why there is none.
pub(crate) fn observed_text(o: &SloResult) -> String {
    o.observed_ns
        .map_or_else(|| "– (a failed request)".to_string(), format_ms)
}

/// `met` or `missed`.
pub(crate) fn met_word(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

/// One objective in a sentence: `p99 ttft <= 500ms: 95.8% of requests within (99.0%
/// asked), observed 412 ms, missed`.
pub(crate) fn objective_text(o: &SloResult) -> String {
    format!(
        "{}: {} of requests within ({} asked), observed {}, {}",
        o.objective,
        format_share(o.attained),
        format_share(o.required),
        observed_text(o),
        met_word(o.met)
    )
}
