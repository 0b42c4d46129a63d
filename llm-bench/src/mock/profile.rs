//! The latency profile of the simulated endpoint, and its `LLM_BENCH_MOCK_PROFILE` grammar.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use super::capacity::{Capacity, Slots};
use super::drift::{DriftShape, Variation, MIN_DRIFT_PERIOD};
use super::fault::{assert_share, Fault, Faults};
use crate::rules::duration::{split_number_unit, unit_ns};

/// The environment variable [`LatencyProfile::from_env`] reads.
pub(crate) const PROFILE_ENV: &str = "LLM_BENCH_MOCK_PROFILE";

/// The longest delay the mock ever waits for one step (TTFT or one gap): one hour. Sampled or
/// scaled delays beyond it are clamped, so a wild `sigma` cannot overflow a deadline.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(3600);

/// The delay between two consecutive output tokens of a streamed answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InterToken {
    /// Every gap is exactly this long.
    Constant(Duration),
    /// Each gap is drawn uniformly from `[min, max]` (the bounds are swapped if reversed).
    Uniform {
        /// The shortest gap.
        min: Duration,
        /// The longest gap.
        max: Duration,
    },
    /// Each gap is `median · exp(sigma · z)` with `z` standard normal: a log-normal
    /// distribution with the given median, right-skewed like real token streams. A `sigma`
    /// that is negative or not finite is treated as 0 (constant gaps).
    LogNormal {
        /// The median gap.
        median: Duration,
        /// The standard deviation of the gap's logarithm (0.3 is a moderately jittery API).
        sigma: f64,
    },
}

impl InterToken {
    /// Draws one gap. Always consumes exactly one draw from `rng` (none for `Constant`), so
    /// a profile scaled by a factor draws the same sequence, scaled by that factor.
    fn sample(&self, rng: &mut StdRng) -> Duration {
        let gap = match *self {
            InterToken::Constant(d) => d,
            InterToken::Uniform { min, max } => {
                let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
                let u: f64 = rng.random();
                lo + mul_duration(hi - lo, u)
            }
            InterToken::LogNormal { median, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                let sigma = if sigma.is_finite() && sigma > 0.0 {
                    sigma
                } else {
                    0.0
                };
                mul_duration(median, (sigma * z).exp())
            }
        };
        gap.min(MAX_DELAY)
    }

    /// The gaps, every delay multiplied by `factor`.
    fn scaled(self, factor: f64) -> InterToken {
        match self {
            InterToken::Constant(d) => InterToken::Constant(mul_duration(d, factor)),
            InterToken::Uniform { min, max } => InterToken::Uniform {
                min: mul_duration(min, factor),
                max: mul_duration(max, factor),
            },
            InterToken::LogNormal { median, sigma } => InterToken::LogNormal {
                median: mul_duration(median, factor),
                sigma,
            },
        }
    }
}

/// `d · factor`, clamped to `[0, MAX_DELAY]`; a factor that is not finite gives `MAX_DELAY`
/// when positive infinity and zero otherwise.
fn mul_duration(d: Duration, factor: f64) -> Duration {
    let secs = d.as_secs_f64() * factor;
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs)
            .unwrap_or(MAX_DELAY)
            .min(MAX_DELAY)
    }
}

/// How the simulated endpoint paces its answers; see the [module docs](crate::mock) for the
/// environment grammar.
///
/// Every random choice (inter-token gaps, injected errors) comes from a [`StdRng`] seeded per
/// request with a sub-seed derived from [`seed`](Self::seed) and the request's index on the
/// server (0, 1, 2, ... in arrival order), so a run is reproducible. The
/// [`faults`](Self::faults) are drawn from a second generator of that sub-seed, so they leave
/// the gaps and `error_rate`'s picks as they are.
///
/// ```
/// use std::time::Duration;
/// use llm_bench::mock::{InterToken, LatencyProfile};
///
/// let profile = LatencyProfile::default()
///     .ttft(Duration::from_millis(20))
///     .inter_token(InterToken::LogNormal { median: Duration::from_millis(2), sigma: 0.3 })
///     .output_tokens(10)
///     .seed(7);
/// // The same seed and request index always give the same schedule.
/// assert_eq!(profile.token_offsets(0, 10), profile.token_offsets(0, 10));
/// // A 30% slower endpoint: every delay times 1.3.
/// let slower = profile.clone().scale(1.3);
/// assert_eq!(slower.ttft, Duration::from_millis(26));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LatencyProfile {
    /// Time from receiving the request to generating the first output token, reasoning or
    /// answer (the headers, and OpenAI's role-only chunk or Anthropic's `message_start`, go
    /// out at once).
    pub ttft: Duration,
    /// The gaps between output tokens.
    pub inter_token: InterToken,
    /// The natural length of every answer, in tokens (at least 1). A request's `max_tokens`
    /// can only shorten it: the answer has `min(max_tokens, output_tokens)` tokens.
    pub output_tokens: u32,
    /// The seed of every random choice.
    pub seed: u64,
    /// Fraction of requests (0 to 1) answered with HTTP 500 instead of an answer.
    pub error_rate: f64,
    /// Reasoning tokens generated before the answer (default 0: a plain model). They come
    /// first, one per event, paced like answer tokens (the first one at TTFT), and count
    /// against `max_tokens`. Each dialect shows them as its API does (see the
    /// [module docs](crate::mock)): OpenAI `delta.reasoning_content` (unless the request
    /// says `reasoning_effort: "none"`), Anthropic thinking (only when the request enables
    /// `thinking`), Gemini thought parts (with `includeThoughts`; otherwise the model still
    /// thinks, silently). A request that asks for reasoning when this is 0 gets 8.
    pub reasoning_tokens: u32,
    /// The capacity model: parallel slots, their queue, prefill and batched decoding's
    /// slowdown (default: unlimited capacity, latency independent of load).
    pub capacity: Capacity,
    /// Injected faults: rate limiting, overload errors, stalls and cut connections (default:
    /// none).
    pub faults: Faults,
    /// How latency varies over wall time and between requests: drift, bursts, shared and
    /// per-request noise, factors on each request's whole latency (default: none).
    pub variation: Variation,
}

impl Default for LatencyProfile {
    /// TTFT 50 ms, a constant 10 ms between tokens, 64 tokens, no reasoning, seed 0, no
    /// errors.
    fn default() -> Self {
        LatencyProfile {
            ttft: DEFAULT_TTFT,
            inter_token: InterToken::Constant(DEFAULT_ITL),
            output_tokens: 64,
            seed: 0,
            error_rate: 0.0,
            reasoning_tokens: 0,
            capacity: Capacity::default(),
            faults: Faults::default(),
            variation: Variation::default(),
        }
    }
}

/// What the server decided for one request, from its seeded generator.
pub(crate) struct RequestPlan {
    /// The request's generator, seeded with its sub-seed.
    rng: StdRng,
    /// The gaps' distribution.
    inter_token: InterToken,
    /// The delay before the first token.
    pub(crate) ttft: Duration,
    /// Answer this request with an injected HTTP 500.
    pub(crate) fail: bool,
    /// The slots whose load slows the gaps (`batch_slowdown`), if it does.
    load: Option<Arc<Slots>>,
    /// The factor of the profile's [`Variation`] on every delay of the request (1: none).
    factor: f64,
}

impl RequestPlan {
    /// The offset of the next token, given the offset of the previous one (saturating at
    /// [`MAX_OFFSET`], so no deadline can overflow whatever the profile's fields hold). The
    /// gap is the drawn one times the load's factor, read now, when the load slows decoding.
    pub(crate) fn next_offset(&mut self, previous: Duration) -> Duration {
        let gap = self.inter_token.sample(&mut self.rng);
        let gap = self.drifted(gap);
        let gap = match &self.load {
            Some(slots) => mul_duration(gap, slots.gap_factor()),
            None => gap,
        };
        (previous + gap).min(MAX_OFFSET)
    }

    /// Applies the factor of the profile's [`Variation`] for this request
    /// ([`Drift::factor`](super::drift::Drift::factor)) to its TTFT now and to every gap
    /// drawn from now on. A factor of exactly 1 changes nothing.
    pub(crate) fn drift(&mut self, factor: f64) {
        self.factor = factor;
        self.ttft = self.drifted(self.ttft);
    }

    /// `delay` times the request's drift factor (`delay` itself when the factor is 1).
    pub(crate) fn drifted(&self, delay: Duration) -> Duration {
        if self.factor == 1.0 {
            delay
        } else {
            mul_duration(delay, self.factor)
        }
    }

    /// Makes the gaps depend on the load of `slots` (when their `batch_slowdown` is not 0).
    pub(crate) fn slowed_by(&mut self, slots: &Arc<Slots>) {
        if slots.slows_decoding() {
            self.load = Some(Arc::clone(slots));
        }
    }
}

/// The latest a token is ever planned, counted from the request's arrival: 30 days.
pub(crate) const MAX_OFFSET: Duration = Duration::from_secs(30 * 24 * 3600);

/// The default time to first token.
const DEFAULT_TTFT: Duration = Duration::from_millis(50);

/// The default (constant) gap between tokens.
const DEFAULT_ITL: Duration = Duration::from_millis(10);

pub(crate) use crate::rng::splitmix64;

impl LatencyProfile {
    /// Sets the time to first token.
    pub fn ttft(mut self, ttft: Duration) -> Self {
        self.ttft = ttft;
        self
    }

    /// Sets the distribution of the gaps between tokens.
    pub fn inter_token(mut self, inter_token: InterToken) -> Self {
        self.inter_token = inter_token;
        self
    }

    /// Sets a constant gap between tokens (shorthand for [`InterToken::Constant`]).
    pub fn itl(self, gap: Duration) -> Self {
        self.inter_token(InterToken::Constant(gap))
    }

    /// Sets the natural answer length in tokens (0 is raised to 1).
    pub fn output_tokens(mut self, tokens: u32) -> Self {
        self.output_tokens = tokens.max(1);
        self
    }

    /// Sets the number of reasoning tokens generated before the answer (0: none); see
    /// [`reasoning_tokens`](Self::reasoning_tokens).
    pub fn reasoning_tokens(mut self, tokens: u32) -> Self {
        self.reasoning_tokens = tokens;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the fraction of requests answered with HTTP 500.
    ///
    /// # Panics
    ///
    /// If `rate` is not within `[0, 1]`.
    pub fn error_rate(mut self, rate: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&rate),
            "error_rate must be within [0, 1], got {rate}"
        );
        self.error_rate = rate;
        self
    }

    /// Sets the number of parallel generation slots (see [`Capacity`]): requests beyond
    /// them wait, first come first served.
    ///
    /// # Panics
    ///
    /// If `slots` is 0.
    pub fn slots(mut self, slots: u32) -> Self {
        assert!(slots >= 1, "slots must be at least 1");
        self.capacity.slots = Some(slots);
        self
    }

    /// Sets the prefill time per prompt token ([`Capacity::prefill`]).
    pub fn prefill(mut self, per_token: Duration) -> Self {
        self.capacity.prefill = per_token;
        self
    }

    /// Sets how much batched decoding slows as the slots fill
    /// ([`Capacity::batch_slowdown`]; no effect without [`slots`](Self::slots)).
    ///
    /// # Panics
    ///
    /// If `slowdown` is negative or not finite.
    pub fn batch_slowdown(mut self, slowdown: f64) -> Self {
        assert!(
            slowdown.is_finite() && slowdown >= 0.0,
            "batch_slowdown must be finite and >= 0, got {slowdown}"
        );
        self.capacity.batch_slowdown = slowdown;
        self
    }

    /// Sets the most requests that may wait for a slot ([`Capacity::max_queue`]; no effect
    /// without [`slots`](Self::slots)).
    pub fn max_queue(mut self, max_queue: u32) -> Self {
        self.capacity.max_queue = Some(max_queue);
        self
    }

    /// Sets the share of requests answered HTTP 429 ([`Faults::rate_limited`]).
    ///
    /// # Panics
    ///
    /// If `share` is not within `[0, 1]`.
    pub fn rate_limited(mut self, share: f64) -> Self {
        assert_share("rate_limited", share);
        self.faults.rate_limited = share;
        self
    }

    /// Sets the `Retry-After` of rate-limited answers ([`Faults::retry_after`]).
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.faults.retry_after = after;
        self
    }

    /// Sets the share of requests answered as overloaded ([`Faults::server_errors`]).
    ///
    /// # Panics
    ///
    /// If `share` is not within `[0, 1]`.
    pub fn server_errors(mut self, share: f64) -> Self {
        assert_share("server_errors", share);
        self.faults.server_errors = share;
        self
    }

    /// Sets the share of requests whose first token stalls ([`Faults::stall`]).
    ///
    /// # Panics
    ///
    /// If `share` is not within `[0, 1]`.
    pub fn stall(mut self, share: f64) -> Self {
        assert_share("stall", share);
        self.faults.stall = share;
        self
    }

    /// Sets the share of requests that stall halfway ([`Faults::stall_mid`]).
    ///
    /// # Panics
    ///
    /// If `share` is not within `[0, 1]`.
    pub fn stall_mid(mut self, share: f64) -> Self {
        assert_share("stall_mid", share);
        self.faults.stall_mid = share;
        self
    }

    /// Sets how long a stall lasts ([`Faults::stall_for`]).
    pub fn stall_for(mut self, stall: Duration) -> Self {
        self.faults.stall_for = stall;
        self
    }

    /// Sets the share of requests whose connection is cut halfway ([`Faults::disconnect`]).
    ///
    /// # Panics
    ///
    /// If `share` is not within `[0, 1]`.
    pub fn disconnect(mut self, share: f64) -> Self {
        assert_share("disconnect", share);
        self.faults.disconnect = share;
        self
    }

    /// Makes the endpoint's latency drift slowly over wall time ([`Variation::drift`]):
    /// every request arriving `t` after the server started has its whole latency (TTFT,
    /// prefill, every gap) multiplied by a factor within `[1 − amplitude, 1 + amplitude]`
    /// that follows `shape` over `period`: `1 + amplitude · sin(2π t / period)` for
    /// [`DriftShape::Sine`], a seeded random walk for [`DriftShape::Walk`]. `amplitude` 0
    /// turns it off. `drift=20%,drift_period=60s,drift_shape=walk` in the environment
    /// grammar.
    ///
    /// ```
    /// use std::time::Duration;
    /// use llm_bench::mock::{DriftShape, LatencyProfile};
    ///
    /// let p = LatencyProfile::default().drift(0.2, Duration::from_secs(60), DriftShape::Walk);
    /// assert_eq!(p, LatencyProfile::parse("drift=20%,drift_period=60s,drift_shape=walk")?);
    /// # Ok::<(), llm_bench::mock::ProfileError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If `amplitude` is not within `[0, 1)` or `period` is shorter than 1 ms.
    pub fn drift(mut self, amplitude: f64, period: Duration, shape: DriftShape) -> Self {
        assert!(
            (0.0..1.0).contains(&amplitude),
            "drift amplitude must be within [0, 1), got {amplitude}"
        );
        assert!(
            period >= MIN_DRIFT_PERIOD,
            "drift period must be at least 1ms, got {period:?}"
        );
        self.variation.drift = amplitude;
        self.variation.drift_period = period;
        self.variation.drift_shape = shape;
        self
    }

    /// Adds bursts of slowness ([`Variation::burst_every`]): time since the server started
    /// is cut into windows of `every`, each with one burst of `length` at a seeded random
    /// moment within it, during which requests arriving get their whole latency times
    /// `scale`. `burst_every=30s,burst_for=2s,burst_scale=3` in the environment grammar.
    ///
    /// # Panics
    ///
    /// If `every` is zero, `length` exceeds `every`, or `scale` is not finite and > 0.
    pub fn bursts(mut self, every: Duration, length: Duration, scale: f64) -> Self {
        assert!(!every.is_zero(), "burst spacing must be longer than 0");
        assert!(
            length <= every,
            "a burst ({length:?}) must not last longer than their spacing ({every:?})"
        );
        assert!(
            scale.is_finite() && scale > 0.0,
            "burst scale must be finite and > 0, got {scale}"
        );
        self.variation.burst_every = Some(every);
        self.variation.burst_for = length;
        self.variation.burst_scale = scale;
        self
    }

    /// Adds noise shared by the requests that arrive together
    /// ([`Variation::shared_noise`]): a log-normal factor `exp(sigma · z)` (median 1) on the
    /// whole latency, drawn anew for every `window` of time since the server started; the
    /// requests arriving in one window share it. `sigma` 0 turns it off.
    /// `shared_noise=0.1,shared_noise_window=200ms` in the environment grammar.
    ///
    /// # Panics
    ///
    /// If `sigma` is negative or not finite, or `window` is zero.
    pub fn shared_noise(mut self, sigma: f64, window: Duration) -> Self {
        assert!(
            sigma.is_finite() && sigma >= 0.0,
            "shared noise sigma must be finite and >= 0, got {sigma}"
        );
        assert!(
            !window.is_zero(),
            "shared noise window must be longer than 0"
        );
        self.variation.shared_noise = sigma;
        self.variation.shared_noise_window = window;
        self
    }

    /// Adds each request's own noise ([`Variation::noise`]): a log-normal factor
    /// `exp(sigma · z)` (median 1) drawn once per request from its
    /// [`request_seed`](Self::request_seed), on its TTFT and all its gaps alike (the gaps'
    /// own spread, drawn per gap, is the [`inter_token`](Self::inter_token) distribution).
    /// `sigma` 0 turns it off. `noise=0.1` in the environment grammar.
    ///
    /// # Panics
    ///
    /// If `sigma` is negative or not finite.
    pub fn noise(mut self, sigma: f64) -> Self {
        assert!(
            sigma.is_finite() && sigma >= 0.0,
            "noise sigma must be finite and >= 0, got {sigma}"
        );
        self.variation.noise = sigma;
        self
    }

    /// Multiplies every delay (TTFT, the inter-token distribution and prefill) by `factor`: `1.3`
    /// makes the endpoint 30% slower. With the same seed, the scaled profile draws the same
    /// random numbers, so its gaps are the original gaps times `factor`. Delays are clamped
    /// to an hour.
    ///
    /// # Panics
    ///
    /// If `factor` is negative or not finite.
    pub fn scale(mut self, factor: f64) -> Self {
        assert!(
            factor.is_finite() && factor >= 0.0,
            "scale factor must be finite and >= 0, got {factor}"
        );
        self.ttft = mul_duration(self.ttft, factor);
        self.inter_token = self.inter_token.scaled(factor);
        self.capacity.prefill = mul_duration(self.capacity.prefill, factor);
        self
    }

    /// How many tokens an answer has, and its finish reason, for a request's `max_tokens`:
    /// `min(max_tokens, output_tokens)`; the reason is `"length"` when `max_tokens` stopped
    /// the answer (`max_tokens <= output_tokens`) and `"stop"` otherwise.
    pub fn answer_length(&self, max_tokens: Option<u32>) -> (u32, &'static str) {
        let natural = self.output_tokens.max(1);
        match max_tokens {
            Some(m) if m <= natural => (m, "length"),
            _ => (natural, "stop"),
        }
    }

    /// The seed of the request with this index: `splitmix64(seed ^ splitmix64(index))`.
    pub fn request_seed(&self, request_index: u64) -> u64 {
        splitmix64(self.seed ^ splitmix64(request_index))
    }

    /// The plan of the request with this index. The first draw decides an injected error
    /// (always made, so the gaps do not depend on `error_rate`), the following draws are the
    /// gaps, one per token after the first.
    pub(crate) fn plan(&self, request_index: u64) -> RequestPlan {
        let mut rng = StdRng::seed_from_u64(self.request_seed(request_index));
        let draw: f64 = rng.random();
        RequestPlan {
            rng,
            inter_token: self.inter_token,
            ttft: self.ttft.min(MAX_DELAY),
            fail: draw < self.error_rate,
            load: None,
            factor: 1.0,
        }
    }

    /// The fault injected into the request with this index, if any: [`Fault::InjectedError`]
    /// when `error_rate` picked it, else the fault drawn from the [`faults`](Self::faults)'
    /// shares with a generator of its own (see [`Faults`]). Load-dependent outcomes
    /// ([`Fault::QueueFull`]) are not planned: the truth records them.
    pub fn planned_fault(&self, request_index: u64) -> Option<Fault> {
        if self.injects_error(request_index) {
            return Some(Fault::InjectedError);
        }
        self.faults.draw(self.request_seed(request_index))
    }

    /// The sustainable request rate, in requests per second, of an endpoint whose every
    /// slot is busy with requests of `prompt_tokens` prompt tokens and `output_tokens`
    /// output tokens: `slots / service_time`, with
    /// `service_time = ttft + prefill × prompt_tokens + (output_tokens − 1) × mean gap × (1 + batch_slowdown)`
    /// (the factor is 1 with a single slot: see [`Capacity::batch_slowdown`]). `None`
    /// without [`slots`](Capacity::slots), or when the service time is 0.
    ///
    /// It is the knee of the latency–throughput curve: offered a lower rate, requests
    /// rarely wait and latency stays near the profile's; offered more, the queue grows
    /// without bound (or, with `max_queue`, the excess is refused) and latency is mostly
    /// queue wait. Faults are not counted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use llm_bench::mock::LatencyProfile;
    ///
    /// let p = LatencyProfile::default()
    ///     .ttft(Duration::from_millis(20))
    ///     .itl(Duration::from_millis(2))
    ///     .slots(4);
    /// // 20 ms + 9 × 2 ms = 38 ms per request, 4 at a time.
    /// let rps = p.capacity_rps(1, 10).expect("slots are set");
    /// assert!((rps - 4.0 / 0.038).abs() < 1e-9);
    /// assert_eq!(LatencyProfile::default().capacity_rps(1, 10), None);
    /// ```
    pub fn capacity_rps(&self, prompt_tokens: u32, output_tokens: u32) -> Option<f64> {
        let slots = self.capacity.slots?.max(1);
        let mean_gap = match self.inter_token {
            InterToken::Constant(d) => d.as_secs_f64(),
            InterToken::Uniform { min, max } => (min.as_secs_f64() + max.as_secs_f64()) / 2.0,
            InterToken::LogNormal { median, sigma } => {
                let sigma = if sigma.is_finite() && sigma > 0.0 {
                    sigma
                } else {
                    0.0
                };
                median.as_secs_f64() * (sigma * sigma / 2.0).exp()
            }
        };
        let service = self.ttft.min(MAX_DELAY).as_secs_f64()
            + self.capacity.prefill.as_secs_f64() * f64::from(prompt_tokens)
            + f64::from(output_tokens.saturating_sub(1))
                * mean_gap
                * self.capacity.full_load_factor(slots);
        (service > 0.0).then(|| f64::from(slots) / service)
    }

    /// Whether the request with this index is answered with an injected HTTP 500.
    pub fn injects_error(&self, request_index: u64) -> bool {
        self.plan(request_index).fail
    }

    /// The planned send time of each of `tokens` tokens of the request with this index, as
    /// offsets from the moment the request was received: TTFT, then TTFT plus each gap.
    /// Reasoning tokens are tokens like the others: with `r` of them, tokens `0..r` are the
    /// reasoning and token `r` is the first answer token.
    /// The server never sends a token earlier than this (timers round up, so it is usually
    /// up to a millisecond later); [`RequestTruth`](crate::mock::RequestTruth) has the actual
    /// times.
    ///
    /// The [`variation`](Self::variation) (drift, bursts, noise) is not included: it depends
    /// on when the request arrives.
    pub fn token_offsets(&self, request_index: u64, tokens: u32) -> Vec<Duration> {
        self.token_offsets_drifted(request_index, tokens, 1.0)
    }

    /// [`token_offsets`](Self::token_offsets) with every delay times `factor`, the
    /// [`Drift::factor`](super::drift::Drift::factor) of a request: what the server plans for
    /// the request with this index when it arrives at the time that factor is for (without
    /// capacity, prefill or faults).
    pub(crate) fn token_offsets_drifted(
        &self,
        request_index: u64,
        tokens: u32,
        factor: f64,
    ) -> Vec<Duration> {
        let mut plan = self.plan(request_index);
        plan.drift(factor);
        let mut offset = plan.ttft;
        let mut out = Vec::with_capacity(tokens as usize);
        for i in 0..tokens {
            if i > 0 {
                offset = plan.next_offset(offset);
            }
            out.push(offset);
        }
        out
    }

    /// Parses a profile from the `LLM_BENCH_MOCK_PROFILE` grammar (see the
    /// [module docs](crate::mock)). Keys not given keep their [`Default`] values; an empty
    /// string is the default profile.
    ///
    /// ```
    /// use std::time::Duration;
    /// use llm_bench::mock::{InterToken, LatencyProfile};
    ///
    /// let p = LatencyProfile::parse("ttft=20ms, itl=2ms, jitter=lognormal:0.3, tokens=10, seed=7")?;
    /// assert_eq!(p.ttft, Duration::from_millis(20));
    /// assert_eq!(p.inter_token, InterToken::LogNormal { median: Duration::from_millis(2), sigma: 0.3 });
    /// assert!(LatencyProfile::parse("ttft=20").is_err()); // a duration needs a unit
    /// # Ok::<(), llm_bench::mock::ProfileError>(())
    /// ```
    pub fn parse(spec: &str) -> Result<LatencyProfile, ProfileError> {
        let mut profile = LatencyProfile::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut itl: Option<ItlSpec> = None;
        let mut jitter: Option<Jitter> = None;
        let mut scale: Option<f64> = None;

        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((key, value)) = item.split_once('=') else {
                return Err(ProfileError::Syntax { item: item.into() });
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(ProfileError::DuplicateKey { key: key.into() });
            }
            seen.push(key);
            let bad = |reason: &str| ProfileError::InvalidValue {
                key: key.into(),
                value: value.into(),
                reason: reason.into(),
            };
            match key {
                "ttft" => profile.ttft = parse_duration(value).map_err(|r| bad(&r))?,
                "itl" => itl = Some(parse_itl(value).map_err(|r| bad(&r))?),
                "jitter" => jitter = Some(parse_jitter(value).map_err(|r| bad(&r))?),
                "tokens" => {
                    let n: u32 = value
                        .parse()
                        .map_err(|_| bad("expected a whole number from 1 to 4294967295"))?;
                    if n == 0 {
                        return Err(bad("must be at least 1"));
                    }
                    profile.output_tokens = n;
                }
                "reasoning" => {
                    profile.reasoning_tokens = value
                        .parse()
                        .map_err(|_| bad("expected a whole number from 0 to 4294967295"))?;
                }
                "seed" => {
                    profile.seed = value
                        .parse()
                        .map_err(|_| bad("expected a whole number from 0 to 2^64-1"))?
                }
                "scale" => {
                    let f: f64 = value.parse().map_err(|_| bad("expected a number"))?;
                    if !(f.is_finite() && f >= 0.0) {
                        return Err(bad("must be a finite number >= 0"));
                    }
                    scale = Some(f);
                }
                "error_rate" => {
                    let r: f64 = value.parse().map_err(|_| bad("expected a number"))?;
                    if !(0.0..=1.0).contains(&r) {
                        return Err(bad("must be within [0, 1]"));
                    }
                    profile.error_rate = r;
                }
                _ => {
                    let set = match profile.capacity.set(key, value) {
                        None => match profile.faults.set(key, value) {
                            None => profile.variation.set(key, value),
                            set => set,
                        },
                        set => set,
                    };
                    match set {
                        Some(result) => result.map_err(|r| bad(&r))?,
                        None => return Err(ProfileError::UnknownKey { key: key.into() }),
                    }
                }
            }
        }
        if let Some(key) = profile.capacity.needs_slots() {
            return Err(ProfileError::Conflict {
                message: format!("`{key}` needs `slots` (it has no effect without them)"),
            });
        }
        if let Some(message) = profile.variation.conflict(&seen) {
            return Err(ProfileError::Conflict { message });
        }

        let base = itl.unwrap_or(ItlSpec::Constant(DEFAULT_ITL));
        profile.inter_token = match (base, jitter) {
            (ItlSpec::Constant(d), None | Some(Jitter::None)) => InterToken::Constant(d),
            (ItlSpec::Constant(d), Some(Jitter::LogNormal(sigma))) => {
                InterToken::LogNormal { median: d, sigma }
            }
            (ItlSpec::Constant(d), Some(Jitter::Uniform(spread))) => InterToken::Uniform {
                min: d.saturating_sub(spread),
                max: d + spread,
            },
            (ItlSpec::Range(min, max), None | Some(Jitter::None)) => {
                InterToken::Uniform { min, max }
            }
            (ItlSpec::Range(..), Some(_)) => {
                return Err(ProfileError::Conflict {
                    message: "`jitter` cannot be combined with an `itl` range (a range is already uniform jitter)".into(),
                })
            }
        };
        if let Some(f) = scale {
            profile = profile.scale(f);
        }
        Ok(profile)
    }

    /// Reads `LLM_BENCH_MOCK_PROFILE`: `Ok(None)` when it is unset or
    /// blank, the parsed profile when it is valid, and an error naming the bad key or value
    /// otherwise.
    pub fn from_env() -> Result<Option<LatencyProfile>, ProfileError> {
        LatencyProfile::from_var(std::env::var(PROFILE_ENV))
    }

    /// [`from_env`](Self::from_env) given the variable's value (testable without touching
    /// the process environment).
    pub(crate) fn from_var(
        var: Result<String, std::env::VarError>,
    ) -> Result<Option<LatencyProfile>, ProfileError> {
        match var {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(ProfileError::NotUnicode),
            Ok(s) if s.trim().is_empty() => Ok(None),
            Ok(s) => LatencyProfile::parse(&s).map(Some),
        }
    }
}

impl FromStr for LatencyProfile {
    type Err = ProfileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LatencyProfile::parse(s)
    }
}

impl fmt::Display for LatencyProfile {
    /// Writes the profile in the `LLM_BENCH_MOCK_PROFILE` grammar (it parses back to an
    /// equal profile, up to nanosecond rounding).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ttft={}ns,", self.ttft.as_nanos())?;
        match self.inter_token {
            InterToken::Constant(d) => write!(f, "itl={}ns", d.as_nanos())?,
            InterToken::Uniform { min, max } => {
                write!(f, "itl={}ns..{}ns", min.as_nanos(), max.as_nanos())?
            }
            InterToken::LogNormal { median, sigma } => {
                write!(f, "itl={}ns,jitter=lognormal:{sigma}", median.as_nanos())?
            }
        }
        write!(
            f,
            ",tokens={},seed={},error_rate={}",
            self.output_tokens, self.seed, self.error_rate
        )?;
        if self.reasoning_tokens > 0 {
            write!(f, ",reasoning={}", self.reasoning_tokens)?;
        }
        write!(f, "{}{}{}", self.capacity, self.faults, self.variation)
    }
}

/// An `LLM_BENCH_MOCK_PROFILE` value (or a [`LatencyProfile::parse`] input) that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// An item is not of the form `key=value`.
    #[error("invalid mock profile: `{item}` is not of the form key=value")]
    Syntax {
        /// The item as written.
        item: String,
    },
    /// A key the grammar does not know.
    #[error(
        "invalid mock profile: unknown key `{key}` (known keys: ttft, itl, jitter, tokens, reasoning, seed, scale, error_rate, slots, prefill, batch_slowdown, max_queue, rate_limited, retry_after, server_errors, stall, stall_mid, stall_for, disconnect, drift, drift_period, drift_shape, burst_every, burst_for, burst_scale, shared_noise, shared_noise_window, noise)"
    )]
    UnknownKey {
        /// The key as written.
        key: String,
    },
    /// A key given twice.
    #[error("invalid mock profile: key `{key}` is given more than once")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// A value that does not parse or is out of range.
    #[error("invalid mock profile: bad value `{value}` for `{key}`: {reason}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Keys that are valid alone but not together.
    #[error("invalid mock profile: {message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// The environment variable is not valid UTF-8.
    #[error("invalid mock profile: {PROFILE_ENV} is not valid UTF-8")]
    NotUnicode,
}

impl From<ProfileError> for crate::Error {
    fn from(e: ProfileError) -> Self {
        crate::Error::Config(e.to_string())
    }
}

/// An `itl` value: one duration or a range.
enum ItlSpec {
    /// `itl=10ms`.
    Constant(Duration),
    /// `itl=5ms..15ms`: uniform in the range.
    Range(Duration, Duration),
}

/// A `jitter` value.
enum Jitter {
    /// `none`.
    None,
    /// `lognormal:<sigma>`.
    LogNormal(f64),
    /// `uniform:<duration>`: within `itl ± duration`.
    Uniform(Duration),
}

/// Parses `<number><unit>` with the units of every llm-bench duration (`ns`, `us`, `µs`,
/// `ms`, `s`, `m`: [`TIME_UNITS`](crate::rules::duration::TIME_UNITS)); the number may have a
/// fraction (`1.5ms`). At most [`MAX_DELAY`]. The error is the reason, for
/// [`ProfileError::InvalidValue`].
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = split_number_unit(s.trim());
    if unit.is_empty() {
        return Err("a duration needs a unit: ns, us, ms or s (e.g. 50ms)".to_string());
    }
    let unit_ns = unit_ns(unit)
        .ok_or_else(|| format!("unknown duration unit `{unit}` (use ns, us, ms or s)"))?;
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{num}` is not a number"))?;
    let secs = value * unit_ns as f64 / 1e9;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d <= MAX_DELAY => Ok(d),
        _ => Err(format!(
            "a duration must be within 0 and {}s",
            MAX_DELAY.as_secs()
        )),
    }
}

/// Parses an `itl` value.
fn parse_itl(s: &str) -> Result<ItlSpec, String> {
    match s.split_once("..") {
        None => parse_duration(s).map(ItlSpec::Constant),
        Some((a, b)) => {
            let (min, max) = (parse_duration(a)?, parse_duration(b)?);
            if min > max {
                return Err("the range's lower bound is above its upper bound".into());
            }
            Ok(ItlSpec::Range(min, max))
        }
    }
}

/// Parses a `jitter` value.
fn parse_jitter(s: &str) -> Result<Jitter, String> {
    const EXPECTED: &str = "expected none, lognormal:<sigma> or uniform:<duration>";
    if s == "none" {
        return Ok(Jitter::None);
    }
    let (kind, arg) = s.split_once(':').ok_or_else(|| EXPECTED.to_string())?;
    match kind.trim() {
        "lognormal" => {
            let sigma: f64 = arg
                .trim()
                .parse()
                .map_err(|_| format!("sigma `{}` is not a number", arg.trim()))?;
            if !(sigma.is_finite() && sigma >= 0.0) {
                return Err("sigma must be a finite number >= 0".into());
            }
            Ok(Jitter::LogNormal(sigma))
        }
        "uniform" => parse_duration(arg).map(Jitter::Uniform),
        _ => Err(EXPECTED.into()),
    }
}
