//! Records the timeline of one request as its bytes arrive.
//!
//! This is the per-token hot path: [`Recorder::output_event`] does a few comparisons and
//! pushes the gap and the event's token count (counted by the caller: [`Recorder::delta`]
//! with the tokenizer); everything else happens once per request in [`Recorder::finish`].

use quanta::Instant;

use crate::clock::Anchor;
use crate::delta::{Delta, Usage};
use crate::error::Error;
use crate::metrics::sample::{
    FailedPhase, HttpPhases, RequestError, RequestSample, SpanTiming, TokenSource,
};
use crate::tokens::Tokenizer;

/// The connection the counted attempt was carried on, as the built-in client saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection {
    /// The connection's number in this process.
    pub(crate) id: u64,
    /// Opened for this attempt (else reused from the pool).
    pub(crate) new: bool,
    /// TCP connect (name resolution included), for a new connection.
    pub(crate) connect_ns: Option<u64>,
    /// The TLS handshake, for a new `https` connection.
    pub(crate) tls_ns: Option<u64>,
    /// ALPN chose HTTP/2.
    pub(crate) http2: bool,
    /// When the request's last write completed.
    pub(crate) written: Option<Instant>,
}

/// The timeline of one request.
#[derive(Debug)]
pub struct Recorder {
    invoked_at: Instant,
    /// When an open-loop schedule meant the request to start; the latency clock starts
    /// there (so a late start counts, no coordinated omission).
    intended: Option<Instant>,
    /// The start of the first attempt (retries move `start`, not this).
    first_start: Option<Instant>,
    start: Option<Instant>,
    /// Attempts retried before the one that counts.
    retries: u32,
    headers: Option<Instant>,
    first_output: Option<Instant>,
    first_answer: Option<Instant>,
    last_output: Option<Instant>,
    end: Option<Instant>,
    /// Gaps between consecutive output events, in nanoseconds.
    gaps_ns: Vec<u64>,
    /// Tokens each output event carried, as the tokenizer counted them (at least 1): one
    /// entry per output event.
    event_tokens: Vec<u32>,
    /// Counts the tokens of each output event.
    tokenizer: Tokenizer,
    /// Arrival offsets of output events (ns since start), kept only when asked for.
    arrivals_ns: Option<Vec<u64>>,
    usage: Option<Usage>,
    error: Option<RequestError>,
    /// The error was noted by [`Recorder::fail_provisionally`].
    provisional_error: bool,
    /// Named parts of the invocation ([`crate::Ctx::span`]).
    spans: Vec<SpanTiming>,
    timed_streams: u32,
    /// The invocation's start on quanta's clock, the monotonic clock and UTC: places the
    /// request's start on the clocks other logs use.
    anchor: Anchor,
    /// The connection of the counted attempt (built-in client).
    connection: Option<Connection>,
    /// The server's id of the request (built-in client).
    request_id: Option<String>,
}

impl Recorder {
    /// A recorder for an invocation that began at `invoked_at`; the request clock starts
    /// there unless [`Recorder::start`] moves it. Output tokens are counted with the
    /// estimate until [`Recorder::set_tokenizer`] chooses another counter.
    pub fn new(invoked_at: Instant, keep_arrivals: bool) -> Self {
        Recorder {
            invoked_at,
            intended: None,
            first_start: None,
            start: None,
            retries: 0,
            headers: None,
            first_output: None,
            first_answer: None,
            last_output: None,
            end: None,
            gaps_ns: Vec::new(),
            event_tokens: Vec::new(),
            tokenizer: Tokenizer::estimate(),
            arrivals_ns: keep_arrivals.then(Vec::new),
            usage: None,
            error: None,
            provisional_error: false,
            spans: Vec::new(),
            timed_streams: 0,
            anchor: Anchor::now(),
            connection: None,
            request_id: None,
        }
    }

    /// Counts output tokens with `tokenizer` (the model's, when it has an exact one).
    pub fn set_tokenizer(&mut self, tokenizer: Tokenizer) {
        self.tokenizer = tokenizer;
    }

    /// The counter of output tokens.
    pub fn tokenizer(&self) -> Tokenizer {
        self.tokenizer
    }

    /// Begins a timed stream. A sample times one stream: a second one is refused, so that
    /// figures never mix two requests.
    pub fn begin_stream(&mut self) -> Result<(), Error> {
        self.timed_streams += 1;
        if self.timed_streams > 1 {
            return Err(Error::Config(
                "a scenario invocation times one stream; it called ctx.stream/ctx.track twice \
                 (split it into two scenarios, or time only the call users wait for)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Starts the request clock (just before the request is written). Called again for a
    /// retried attempt (after [`Recorder::retry`]).
    pub fn start(&mut self, at: Instant) {
        if self.first_start.is_none() {
            self.first_start = Some(at);
        }
        self.start = Some(at);
    }

    /// The request was meant to start at `at` (an open-loop schedule): latency counts from
    /// there, and the lag to the actual start is recorded.
    pub fn set_intended(&mut self, at: Instant) {
        self.intended = Some(at);
    }

    /// The attempt under way failed in a way worth retrying, before any output: its
    /// response and timeline are forgotten, and the next [`Recorder::start`] begins the
    /// attempt that counts. Time spent on failed attempts and retry waits is kept out of
    /// latency.
    pub fn retry(&mut self) {
        self.retries += 1;
        self.headers = None;
        self.connection = None;
        self.request_id = None;
        self.error = None;
        self.provisional_error = false;
    }

    /// Response headers arrived (their first byte did, at `at`).
    pub fn headers(&mut self, at: Instant) {
        self.headers = Some(at);
    }

    /// The attempt was carried on `connection`.
    pub(crate) fn connection(&mut self, connection: Option<Connection>) {
        self.connection = connection;
    }

    /// The server gave the request this id (`x-request-id`, `request-id`, ...).
    pub(crate) fn set_request_id(&mut self, id: String) {
        self.request_id = Some(id);
    }

    /// Where latency counts from: the attempt that counts started (closed loop), or the
    /// intended start moved by the time retries took (open loop).
    fn origin(&self) -> Instant {
        let actual = self.start.unwrap_or(self.invoked_at);
        match self.intended {
            Some(intended) => intended + self.retry_time(),
            None => actual,
        }
    }

    /// From the first attempt's start to the start of the one that counts.
    fn retry_time(&self) -> std::time::Duration {
        match (self.first_start, self.start) {
            (Some(first), Some(last)) => last.saturating_duration_since(first),
            _ => std::time::Duration::ZERO,
        }
    }

    /// From the intended start to the actual one (the request written, or the invocation
    /// begun for a tracked stream), for an open-loop request.
    fn schedule_lag_ns(&self) -> Option<u64> {
        let actual = self.first_start.unwrap_or(self.invoked_at);
        self.intended
            .map(|intended| actual.saturating_duration_since(intended).as_nanos() as u64)
    }

    /// An event that carries output arrived at `at` (the arrival of the read completing it).
    /// `answer` marks answer text (as opposed to reasoning, refusal or tool arguments);
    /// `tokens` is how many tokens it carried (counted as 1 when 0).
    #[inline]
    pub fn output_event(&mut self, at: Instant, answer: bool, tokens: u32) {
        if self.first_output.is_none() {
            self.first_output = Some(at);
        }
        if answer && self.first_answer.is_none() {
            self.first_answer = Some(at);
        }
        if let Some(last) = self.last_output {
            self.gaps_ns
                .push(at.saturating_duration_since(last).as_nanos() as u64);
        }
        self.last_output = Some(at);
        self.event_tokens.push(tokens.max(1));
        if self.arrivals_ns.is_some() {
            let origin = self.origin();
            if let Some(arrivals) = self.arrivals_ns.as_mut() {
                arrivals.push(at.saturating_duration_since(origin).as_nanos() as u64);
            }
        }
    }

    /// Records what a parsed event carries: output timing and usage.
    #[inline]
    pub fn delta(&mut self, at: Instant, delta: &Delta) {
        if delta.is_output() {
            let tokens = self.tokenizer.count_delta(delta);
            self.output_event(at, delta.is_answer(), tokens);
        }
        if let Some(usage) = delta.usage {
            self.set_usage(usage);
        }
    }

    /// The API's usage report (the last report wins; fields it omits keep earlier values).
    pub fn set_usage(&mut self, usage: Usage) {
        let merged = match self.usage {
            Some(old) => Usage {
                prompt_tokens: usage.prompt_tokens.or(old.prompt_tokens),
                completion_tokens: usage.completion_tokens.or(old.completion_tokens),
                reasoning_tokens: usage.reasoning_tokens.or(old.reasoning_tokens),
            },
            None => usage,
        };
        self.usage = Some(merged);
    }

    /// The stream ended cleanly at `at`.
    pub fn end(&mut self, at: Instant) {
        if self.end.is_none() {
            self.end = Some(at);
        }
    }

    /// The request failed, now; the first error is kept (but one noted with
    /// [`Recorder::fail_provisionally`] gives way to it), with how long the request had
    /// run and the phase it failed in.
    pub fn fail(&mut self, error: &Error) {
        if self.error.is_none() || self.provisional_error {
            let now = Instant::now();
            self.error = Some(RequestError {
                class: error.class(),
                message: error.describe(),
                after_ns: Some(now.saturating_duration_since(self.origin()).as_nanos() as u64),
                phase: self.failed_phase(error),
            });
            self.provisional_error = false;
        }
    }

    /// The phase a request failing with `error` now is in: connecting for a connection
    /// that could not be made, else how far the timeline got; `None` for an error of the
    /// configuration, or of the scenario before it timed any stream.
    fn failed_phase(&self, error: &Error) -> Option<FailedPhase> {
        use crate::error::ErrorClass as C;
        match error.class() {
            C::Config => None,
            C::Connect | C::ConnectTimeout => Some(FailedPhase::Connect),
            C::Scenario | C::Io if !self.timed_anything() => None,
            _ if self.first_output.is_some() => Some(FailedPhase::Stream),
            _ if self.headers.is_some() => Some(FailedPhase::FirstToken),
            _ => Some(FailedPhase::Request),
        }
    }

    /// The request failed, as far as llm-bench can tell from `error` alone: an `Err` item
    /// of a tracked stream, which the scenario usually returns with more of its causes.
    /// A later [`Recorder::fail`] replaces it.
    pub fn fail_provisionally(&mut self, error: &Error) {
        if self.error.is_none() {
            self.fail(error);
            self.provisional_error = true;
        }
    }

    /// A named part of the invocation ran from `start` to `end`.
    pub fn span(&mut self, name: String, start: Instant, end: Instant) {
        let since_invocation =
            |t: Instant| t.saturating_duration_since(self.invoked_at).as_nanos() as u64;
        self.spans.push(SpanTiming {
            name,
            start_ns: since_invocation(start),
            duration_ns: end.saturating_duration_since(start).as_nanos() as u64,
        });
    }

    /// True once an output event was recorded.
    #[inline]
    pub fn has_output(&self) -> bool {
        self.first_output.is_some()
    }

    /// When the request clock started (the invocation's start unless moved).
    pub fn started_at(&self) -> Instant {
        self.origin()
    }

    /// True once a stream was timed in this invocation.
    pub fn timed_anything(&self) -> bool {
        self.timed_streams > 0
    }

    /// Turns the timeline into a sample. `run_start` anchors `started_at_ns`; the gaps are
    /// handed to `itl_sink` (the run's ITL histograms) rather than kept per request, each
    /// with the number of tokens of the event that ended it: 1 when the API's usage equals
    /// the number of events, else the tokenizer's count of the event's text.
    pub fn finish(
        mut self,
        index: u32,
        run_start: Instant,
        mut itl_sink: impl FnMut(u64, u32),
    ) -> RequestSample {
        let origin = self.origin();
        let schedule_lag_ns = self.schedule_lag_ns();
        let retry_ns = (self.retries > 0).then(|| self.retry_time().as_nanos() as u64);
        let since =
            |t: Option<Instant>| t.map(|t| t.saturating_duration_since(origin).as_nanos() as u64);
        let succeeded = self.error.is_none();
        let usage_tokens = self.usage.and_then(|u| u.completion_tokens);
        let output_events = u32::try_from(self.event_tokens.len()).unwrap_or(u32::MAX);
        let counted_tokens = (output_events > 0)
            .then(|| self.event_tokens.iter().map(|&k| u64::from(k)).sum::<u64>());
        let (output_tokens, token_source) = match (usage_tokens, counted_tokens) {
            (Some(n), _) => (Some(n), Some(TokenSource::Usage)),
            (None, Some(n)) => (Some(n), Some(TokenSource::Counted)),
            (None, None) => (None, None),
        };
        // An event's tokens: one each when the API's usage says the stream sent exactly one
        // token per event, else the tokenizer's counts. Gap i ends at output event i + 1.
        let one_per_event = usage_tokens == Some(u64::from(output_events));
        let gap_tokens: &[u32] = match self.event_tokens.get(1..) {
            Some(tokens) if !one_per_event => tokens,
            _ => &[],
        };
        let tokens_of_gap = |i: usize| gap_tokens.get(i).copied().unwrap_or(1);
        let itl_per_token_median_ns = if gap_tokens.iter().any(|&k| k > 1) {
            let mut weighted: Vec<(u64, u32)> = (self.gaps_ns.iter().enumerate())
                .map(|(i, &gap)| (gap / u64::from(tokens_of_gap(i)), tokens_of_gap(i)))
                .collect();
            weighted_median(&mut weighted)
        } else {
            None
        };
        if succeeded {
            for (i, &gap) in self.gaps_ns.iter().enumerate() {
                itl_sink(gap, tokens_of_gap(i));
            }
        }
        let itl_max_ns = self.gaps_ns.iter().copied().max();
        let attempt_start = self.start.unwrap_or(self.invoked_at);
        let http = self.connection.map(|c| HttpPhases {
            connection_id: c.id,
            new_connection: c.new,
            http2: c.http2,
            connect_ns: c.connect_ns,
            tls_ns: c.tls_ns,
            request_written_ns: c
                .written
                .map(|w| w.saturating_duration_since(attempt_start).as_nanos() as u64),
        });
        let start_monotonic_ns = Some(self.anchor.monotonic_ns_of(origin));
        let start_unix_ns =
            Some((self.anchor.utc_ns as i128 + signed_ns(origin, self.anchor.at)).max(0) as u64);
        let itl_median_ns = median(&mut self.gaps_ns);
        RequestSample {
            index,
            started_at_ns: origin.saturating_duration_since(run_start).as_nanos() as u64,
            ttfb_ns: since(self.headers),
            ttft_ns: since(self.first_output),
            ttfo_ns: since(self.first_answer),
            e2e_ns: if succeeded { since(self.end) } else { None },
            output_events,
            output_tokens,
            token_source,
            counted_tokens,
            usage: self.usage,
            itl_median_ns,
            itl_max_ns,
            itl_per_token_median_ns,
            arrivals_ns: self.arrivals_ns,
            schedule_lag_ns,
            retries: self.retries,
            retry_ns,
            error: self.error,
            cost_usd: None,
            spans: self.spans,
            start_monotonic_ns,
            start_unix_ns,
            request_id: self.request_id,
            http,
            machine: None,
        }
    }
}

/// `a - b` in nanoseconds, signed.
fn signed_ns(a: Instant, b: Instant) -> i128 {
    if a >= b {
        a.duration_since(b).as_nanos() as i128
    } else {
        -(b.duration_since(a).as_nanos() as i128)
    }
}

/// The median of values given with weights (`(value, weight)`), sorting them in place: the
/// median of the multiset where each value appears `weight` times, by the same definition
/// as [`median`]: with `total` weights, the value at 0-based rank `total/2` for an odd
/// total, else the mean of those at ranks `total/2 − 1` and `total/2`, rounded half up to
/// whole nanoseconds.
fn weighted_median(values: &mut [(u64, u32)]) -> Option<u64> {
    let total: u64 = values.iter().map(|&(_, w)| u64::from(w)).sum();
    if total == 0 {
        return None;
    }
    values.sort_unstable_by_key(|&(v, _)| v);
    let upper_rank = total / 2;
    let lower_rank = if total.is_multiple_of(2) {
        upper_rank - 1
    } else {
        upper_rank
    };
    let mut seen = 0u64;
    let mut lower = None;
    for &(value, weight) in values.iter() {
        seen += u64::from(weight);
        if lower.is_none() && seen > lower_rank {
            lower = Some(value);
        }
        if seen > upper_rank {
            return lower.map(|l| crate::stats::midpoint_half_up(l, value));
        }
    }
    // Not reached: the weights sum to `total`, beyond every rank below it.
    None
}

/// The median of a request's gaps, reordering them in place without allocating: the
/// middle gap of an odd count, else the mean of the two middle gaps rounded half up to
/// whole nanoseconds (numpy's and R's median, within half a nanosecond).
fn median(values: &mut [u64]) -> Option<u64> {
    crate::stats::median_u64(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn timeline_gives_ttft_ttfo_itl_e2e() {
        let base = Instant::now();
        let mut rec = Recorder::new(base, true);
        rec.begin_stream().unwrap();
        rec.start(at(base, 0));
        rec.headers(at(base, 5));
        rec.output_event(at(base, 40), false, 1); // reasoning
        rec.output_event(at(base, 50), true, 1);
        rec.output_event(at(base, 60), true, 1);
        rec.output_event(at(base, 80), true, 1);
        rec.end(at(base, 90));
        let mut gaps = Vec::new();
        let s = rec.finish(0, base, |g, _| gaps.push(g));
        assert_eq!(s.ttfb_ns, Some(5_000_000));
        assert_eq!(s.ttft_ns, Some(40_000_000));
        assert_eq!(s.ttfo_ns, Some(50_000_000));
        assert_eq!(s.e2e_ns, Some(90_000_000));
        assert_eq!(gaps, vec![10_000_000, 10_000_000, 20_000_000]);
        assert_eq!(s.itl_median_ns, Some(10_000_000));
        assert_eq!(s.output_tokens, Some(4));
        assert_eq!(s.token_source, Some(TokenSource::Counted));
        assert_eq!(
            s.arrivals_ns,
            Some(vec![40_000_000, 50_000_000, 60_000_000, 80_000_000])
        );
        // (90 - 40) / (4 - 1) ms
        assert_eq!(s.tpot_ns(), Some(50_000_000 / 3));
    }

    /// Open loop: a request meant for 0 ms that started at 3 ms counts from 0 ms and
    /// records the 3 ms lag.
    #[test]
    fn an_intended_start_is_where_latency_counts_from() {
        let base = Instant::now();
        let mut rec = Recorder::new(at(base, 2), false);
        rec.set_intended(at(base, 0));
        rec.begin_stream().unwrap();
        rec.start(at(base, 3));
        rec.output_event(at(base, 40), true, 1);
        rec.end(at(base, 50));
        let s = rec.finish(0, base, |_, _| {});
        assert_eq!(s.schedule_lag_ns, Some(3_000_000));
        assert_eq!(s.ttft_ns, Some(40_000_000));
        assert_eq!(s.e2e_ns, Some(50_000_000));
        assert_eq!(s.started_at_ns, 0, "the intended start");
        assert_eq!((s.retries, s.retry_ns), (0, None));
    }

    /// A 429 at 10 ms, a retry at 1010 ms: latency counts from the retried attempt, in
    /// closed and in open loop, and the second lost is recorded as retry time.
    #[test]
    fn retried_attempts_are_kept_out_of_latency() {
        for open_loop in [false, true] {
            let base = Instant::now();
            let mut rec = Recorder::new(base, false);
            if open_loop {
                rec.set_intended(base);
            }
            rec.begin_stream().unwrap();
            rec.start(at(base, 0));
            rec.headers(at(base, 10));
            rec.retry();
            rec.start(at(base, 1010));
            rec.headers(at(base, 1015));
            rec.output_event(at(base, 1030), true, 1);
            rec.end(at(base, 1040));
            let s = rec.finish(0, base, |_, _| {});
            assert_eq!(s.retries, 1);
            assert_eq!(s.retry_ns, Some(1_010_000_000));
            assert_eq!(s.ttfb_ns, Some(5_000_000), "open loop: {open_loop}");
            assert_eq!(s.ttft_ns, Some(20_000_000), "open loop: {open_loop}");
            assert_eq!(s.e2e_ns, Some(30_000_000), "open loop: {open_loop}");
            assert_eq!(s.schedule_lag_ns, open_loop.then_some(0));
        }
    }

    #[test]
    fn usage_overrides_the_count_and_is_marked() {
        let base = Instant::now();
        let mut rec = Recorder::new(base, false);
        rec.output_event(at(base, 1), true, 1);
        rec.set_usage(Usage {
            prompt_tokens: Some(7),
            completion_tokens: None,
            reasoning_tokens: None,
        });
        rec.set_usage(Usage {
            prompt_tokens: None,
            completion_tokens: Some(12),
            reasoning_tokens: None,
        });
        rec.end(at(base, 2));
        let s = rec.finish(0, base, |_, _| {});
        assert_eq!(s.output_tokens, Some(12));
        assert_eq!(s.token_source, Some(TokenSource::Usage));
        assert_eq!(s.usage.unwrap().prompt_tokens, Some(7));
    }

    #[test]
    fn non_output_deltas_do_not_move_ttft() {
        let base = Instant::now();
        let mut rec = Recorder::new(base, false);
        rec.delta(at(base, 3), &Delta::default()); // role-only chunk
        rec.delta(
            at(base, 4),
            &Delta {
                usage: Some(Usage::default()),
                ..Delta::default()
            },
        );
        rec.delta(
            at(base, 9),
            &Delta {
                text: "Hi".into(),
                ..Delta::default()
            },
        );
        let s = rec.finish(0, base, |_, _| {});
        assert_eq!(s.ttft_ns, Some(9_000_000));
    }

    #[test]
    fn failed_requests_keep_no_e2e_and_feed_no_itl() {
        let base = Instant::now();
        let mut rec = Recorder::new(base, false);
        rec.output_event(at(base, 1), true, 1);
        rec.output_event(at(base, 2), true, 1);
        rec.fail(&Error::MidStream("overloaded".into()));
        rec.end(at(base, 3));
        let mut fed = 0;
        let s = rec.finish(0, base, |_, _| fed += 1);
        assert_eq!(fed, 0);
        assert_eq!(s.e2e_ns, None);
        assert_eq!(s.error.unwrap().class, crate::ErrorClass::MidStream);
    }

    #[test]
    fn events_of_several_tokens_give_itl_per_token_and_a_count() {
        let base = Instant::now();
        let mut rec = Recorder::new(base, false);
        rec.output_event(at(base, 10), true, 1);
        rec.output_event(at(base, 30), true, 4); // 20 ms for 4 tokens: 5 ms each
        rec.output_event(at(base, 36), true, 1); // 6 ms
        rec.output_event(at(base, 42), true, 1); // 6 ms
        rec.end(at(base, 42));
        let mut fed = Vec::new();
        let s = rec.finish(0, base, |gap, tokens| fed.push((gap, tokens)));
        assert_eq!(fed, vec![(20_000_000, 4), (6_000_000, 1), (6_000_000, 1)]);
        // Per event: 20, 6, 6 -> 6 ms. Per token: 5, 5, 5, 5, 6, 6 -> 5 ms.
        assert_eq!(s.itl_median_ns, Some(6_000_000));
        assert_eq!(s.itl_per_token_median_ns, Some(5_000_000));
        assert_eq!(s.counted_tokens, Some(7));
        assert_eq!(s.output_tokens, Some(7));
        assert_eq!(s.token_source, Some(TokenSource::Counted));
    }

    #[test]
    fn usage_of_one_token_per_event_overrides_the_tokenizer() {
        let base = Instant::now();
        let mut rec = Recorder::new(base, false);
        for (ms, text) in [(10, "internationalization"), (20, "Hello"), (30, "world")] {
            let delta = Delta {
                text: text.into(),
                ..Delta::default()
            };
            rec.delta(at(base, ms), &delta);
        }
        rec.set_usage(Usage {
            completion_tokens: Some(3),
            ..Usage::default()
        });
        let mut fed = Vec::new();
        let s = rec.finish(0, base, |gap, tokens| fed.push((gap, tokens)));
        assert_eq!(fed, vec![(10_000_000, 1), (10_000_000, 1)]);
        assert_eq!(s.itl_per_token_median_ns, None);
        // The estimate counted "internationalization" as 2.
        assert_eq!(s.counted_tokens, Some(4));
        assert_eq!(s.output_tokens, Some(3));
        assert_eq!(s.token_source, Some(TokenSource::Usage));
    }

    #[test]
    fn weighted_median_is_the_median_of_the_expanded_values() {
        assert_eq!(weighted_median(&mut []), None);
        assert_eq!(weighted_median(&mut [(7, 0)]), None);
        assert_eq!(weighted_median(&mut [(7, 1)]), Some(7));
        // 1, 2, 2, 2, 9 -> 2
        assert_eq!(weighted_median(&mut [(9, 1), (2, 3), (1, 1)]), Some(2));
        // 10, 20 -> 15 (numpy.median)
        assert_eq!(weighted_median(&mut [(20, 1), (10, 1)]), Some(15));
        // 1, 1, 5, 5 -> (1 + 5) / 2 = 3, as `median`
        assert_eq!(weighted_median(&mut [(5, 2), (1, 2)]), Some(3));
        assert_eq!(median(&mut [1, 1, 5, 5]), Some(3));
        // 4, 4, 4, 7 -> ranks 1 and 2 are both 4; a zero weight counts for nothing
        assert_eq!(weighted_median(&mut [(7, 1), (4, 3), (1, 0)]), Some(4));
        // 1, 2 -> 1.5, rounded half up to 2
        assert_eq!(weighted_median(&mut [(2, 1), (1, 1)]), Some(2));
    }

    /// The per-request median of an even count of gaps is the mean of the two middle ones:
    /// [1, 2, 3, 4] -> 2.5, rounded half up to 3 (which the old upper middle gave too; the
    /// nanosecond cases below tell the two apart).
    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_values() {
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(3));
        assert_eq!(
            median(&mut [4_000_000, 1_000_000, 3_000_000, 2_000_000]),
            Some(2_500_000)
        );
        let base = Instant::now();
        let mut rec = Recorder::new(base, false);
        for ms in [10, 20, 40, 70] {
            rec.output_event(at(base, ms), true, 1);
        }
        rec.end(at(base, 70));
        let s = rec.finish(0, base, |_, _| {});
        // Gaps 10, 20, 30 ms: the middle one.
        assert_eq!(s.itl_median_ns, Some(20_000_000));
        let mut rec = Recorder::new(base, false);
        for ms in [10, 20, 40, 70, 110] {
            rec.output_event(at(base, ms), true, 1);
        }
        let s = rec.finish(0, base, |_, _| {});
        // Gaps 10, 20, 30, 40 ms: (20 + 30) / 2, not the upper middle 30.
        assert_eq!(s.itl_median_ns, Some(25_000_000));
    }

    #[test]
    fn a_second_timed_stream_is_refused() {
        let mut rec = Recorder::new(Instant::now(), false);
        assert!(rec.begin_stream().is_ok());
        let err = rec.begin_stream().unwrap_err();
        assert!(err.to_string().contains("times one stream"));
    }
}
