//! How the simulated endpoint's latency varies over wall time and between requests: a slow
//! drift of its scale (a sine or a seeded random walk), bursts of slowness, noise shared by
//! the requests that start together, and noise of each request's own. Each is a factor on
//! the whole latency of a request (its TTFT, prefill and every gap), decided when the request
//! arrives from the time since the server started, so every client sending a request at the
//! same moment meets the same server. Off by default: with none of the keys set the factor
//! is exactly 1 and nothing is drawn.
//!
//! [`Variation`] holds the settings (a field of the
//! [`LatencyProfile`](crate::mock::LatencyProfile)); [`Drift`] is the pure, seeded model that
//! computes the factor, the one the server calls and tests or studies can call without HTTP.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::profile::{parse_duration, splitmix64, LatencyProfile};
use crate::rng::Rng;

/// Mixed into the profile's seed for the random walk's steps.
const WALK_STREAM: u64 = 0x6472_6966_745F_7631; // "drift_v1"
/// Mixed into the profile's seed for the bursts' positions.
const BURST_STREAM: u64 = 0x6275_7273_745F_7631; // "burst_v1"
/// Mixed into the profile's seed for the shared noise of each window.
const SHARED_STREAM: u64 = 0x7368_6172_655F_7631; // "share_v1"
/// Mixed into a request's seed for its own noise (apart from its gaps' and fault's draws).
const NOISE_STREAM: u64 = 0x6E6F_6973_655F_7631; // "noise_v1"

/// The default `drift_period`: 60 s.
pub(crate) const DEFAULT_DRIFT_PERIOD: Duration = Duration::from_secs(60);
/// The default `burst_for`: 1 s.
pub(crate) const DEFAULT_BURST_FOR: Duration = Duration::from_secs(1);
/// The default `burst_scale`: 3.
pub(crate) const DEFAULT_BURST_SCALE: f64 = 3.0;
/// The default `shared_noise_window`: 200 ms.
pub(crate) const DEFAULT_SHARED_WINDOW: Duration = Duration::from_millis(200);
/// The shortest `drift_period`: 1 ms (the walk steps every eighth of it).
pub(crate) const MIN_DRIFT_PERIOD: Duration = Duration::from_millis(1);

/// The shape of the slow drift of the endpoint's latency scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DriftShape {
    /// `1 + amplitude · sin(2π · t / period)`: 1 when the server starts, `1 + amplitude` a
    /// quarter period later, `1 − amplitude` at three quarters.
    #[default]
    Sine,
    /// A seeded random walk, `1 + w(t)`: `w` is 0 when the server starts and moves at knots
    /// every eighth of the period by a normal step of σ = `amplitude / √8` (so about the
    /// amplitude per period), reflected at `±amplitude`, and is linear between knots. The
    /// same seed gives the same path.
    Walk,
}

impl DriftShape {
    /// The shape's name in the grammar.
    pub fn name(self) -> &'static str {
        match self {
            DriftShape::Sine => "sine",
            DriftShape::Walk => "walk",
        }
    }
}

impl fmt::Display for DriftShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DriftShape {
    type Err = String;

    /// `sine` or `walk`; the error lists the shapes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sine" => Ok(DriftShape::Sine),
            "walk" => Ok(DriftShape::Walk),
            _ => Err(format!("unknown drift shape `{s}` (shapes: sine, walk)")),
        }
    }
}

/// The time and request variation settings of a
/// [`LatencyProfile`](crate::mock::LatencyProfile): factors on the whole latency of a request
/// (TTFT, prefill and every gap between tokens; not the queue wait, stalls nor
/// `retry_after`), all multiplied together. Each is off by default; with all off the
/// endpoint's latency does not depend on time and the requests draw exactly what they
/// would without them.
///
/// The time parts (drift, bursts, shared noise) depend on when the request arrived, counted
/// from the server's start on its monotonic clock, and on the profile's seed: whoever sends
/// a request at that moment gets the same factor, so a build measured at another time sees
/// another endpoint, while requests of two builds interleaved in time see the same one.
/// [`noise`](Self::noise) is each request's own (from its request seed).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Variation {
    /// The relative amplitude `a` of the slow drift, in `[0, 1)` (default 0: none): the
    /// factor moves within `[1 − a, 1 + a]`.
    pub drift: f64,
    /// The drift's period (sine) or time scale (walk); at least 1 ms; default 60 s.
    pub drift_period: Duration,
    /// The drift's shape (default [`DriftShape::Sine`]).
    pub drift_shape: DriftShape,
    /// The mean spacing of bursts (`None`, the default: no bursts). Time is cut into
    /// windows of this length, each holding one burst of [`burst_for`](Self::burst_for)
    /// that starts at a seeded, uniformly random moment within it (so bursts never overlap,
    /// start on average `burst_every` apart, and cover `burst_for / burst_every` of the
    /// time).
    pub burst_every: Option<Duration>,
    /// How long a burst lasts (at most `burst_every`; default 1 s).
    pub burst_for: Duration,
    /// The factor during a burst (> 0; default 3).
    pub burst_scale: f64,
    /// The σ of the shared noise (≥ 0; default 0: none): a log-normal factor `exp(σ·z)`
    /// (median 1) that changes every [`shared_noise_window`](Self::shared_noise_window);
    /// requests arriving in the same window share it.
    pub shared_noise: f64,
    /// How long one value of the shared noise lasts (> 0; default 200 ms).
    pub shared_noise_window: Duration,
    /// The σ of each request's own noise (≥ 0; default 0: none): a log-normal factor
    /// `exp(σ·z)` (median 1) drawn once per request from its request seed, applied to its
    /// TTFT and all its gaps alike (unlike `jitter`, which draws every gap anew).
    pub noise: f64,
}

impl Default for Variation {
    /// No drift, bursts or noise; `drift_period` 60 s, `sine`, `burst_for` 1 s,
    /// `burst_scale` 3, `shared_noise_window` 200 ms.
    fn default() -> Self {
        Variation {
            drift: 0.0,
            drift_period: DEFAULT_DRIFT_PERIOD,
            drift_shape: DriftShape::Sine,
            burst_every: None,
            burst_for: DEFAULT_BURST_FOR,
            burst_scale: DEFAULT_BURST_SCALE,
            shared_noise: 0.0,
            shared_noise_window: DEFAULT_SHARED_WINDOW,
            noise: 0.0,
        }
    }
}

impl Variation {
    /// Whether every factor is 1 whatever the time and request (nothing set).
    pub fn is_constant(&self) -> bool {
        self.drift == 0.0
            && self.burst_every.is_none()
            && self.shared_noise == 0.0
            && self.noise == 0.0
    }

    /// Sets `key` from `value` if it is a variation key: `None` when it is not one, else
    /// whether the value was valid (the error is the reason).
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
        let result = match key {
            "drift" => parse_amplitude(value).map(|a| self.drift = a),
            "drift_period" => parse_duration(value).and_then(|d| {
                if d < MIN_DRIFT_PERIOD {
                    Err("must be at least 1ms".into())
                } else {
                    self.drift_period = d;
                    Ok(())
                }
            }),
            "drift_shape" => value.parse().map(|s| self.drift_shape = s),
            "burst_every" => positive_duration(value).map(|d| self.burst_every = Some(d)),
            "burst_for" => parse_duration(value).map(|d| self.burst_for = d),
            "burst_scale" => match value.parse::<f64>() {
                Ok(f) if f.is_finite() && f > 0.0 => {
                    self.burst_scale = f;
                    Ok(())
                }
                Ok(_) => Err("must be a finite number > 0 (the factor during a burst)".into()),
                Err(_) => Err("expected a number (the factor during a burst, e.g. 3)".into()),
            },
            "shared_noise" => parse_sigma(value).map(|s| self.shared_noise = s),
            "shared_noise_window" => positive_duration(value).map(|d| self.shared_noise_window = d),
            "noise" => parse_sigma(value).map(|s| self.noise = s),
            _ => return None,
        };
        Some(result)
    }

    /// Keys given (`given`, as parsed) without the key they have no effect without, or a
    /// burst longer than the spacing of bursts: the message of a conflict error.
    pub(crate) fn conflict(&self, given: &[&str]) -> Option<String> {
        const COMPANIONS: [(&str, &str); 5] = [
            ("drift_period", "drift"),
            ("drift_shape", "drift"),
            ("burst_for", "burst_every"),
            ("burst_scale", "burst_every"),
            ("shared_noise_window", "shared_noise"),
        ];
        for (key, needs) in COMPANIONS {
            if given.contains(&key) && !given.contains(&needs) {
                return Some(format!(
                    "`{key}` needs `{needs}` (it has no effect without it)"
                ));
            }
        }
        match self.burst_every {
            Some(every) if self.burst_for > every => Some(format!(
                "`burst_for` ({:?}) must not exceed `burst_every` ({every:?})",
                self.burst_for
            )),
            _ => None,
        }
    }
}

impl fmt::Display for Variation {
    /// The keys that differ from the default, each as `,key=value` (durations in ns, the
    /// amplitude as a fraction).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Variation::default();
        if self.drift != d.drift {
            write!(f, ",drift={}", self.drift)?;
        }
        if self.drift_period != d.drift_period {
            write!(f, ",drift_period={}ns", self.drift_period.as_nanos())?;
        }
        if self.drift_shape != d.drift_shape {
            write!(f, ",drift_shape={}", self.drift_shape)?;
        }
        if let Some(every) = self.burst_every {
            write!(f, ",burst_every={}ns", every.as_nanos())?;
        }
        if self.burst_for != d.burst_for {
            write!(f, ",burst_for={}ns", self.burst_for.as_nanos())?;
        }
        if self.burst_scale != d.burst_scale {
            write!(f, ",burst_scale={}", self.burst_scale)?;
        }
        if self.shared_noise != d.shared_noise {
            write!(f, ",shared_noise={}", self.shared_noise)?;
        }
        if self.shared_noise_window != d.shared_noise_window {
            write!(
                f,
                ",shared_noise_window={}ns",
                self.shared_noise_window.as_nanos()
            )?;
        }
        if self.noise != d.noise {
            write!(f, ",noise={}", self.noise)?;
        }
        Ok(())
    }
}

/// Parses a drift amplitude: a percent (`20%`) or a fraction (`0.2`), in `[0, 1)`.
fn parse_amplitude(value: &str) -> Result<f64, String> {
    const HOW: &str = "write a percent (`20%`) or a fraction (`0.2`) below 1";
    let (number, percent) = match value.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (value, false),
    };
    let x: f64 = number
        .parse()
        .map_err(|_| format!("expected a percent or a fraction: {HOW}"))?;
    if !x.is_finite() || x < 0.0 {
        return Err(format!("must be a finite amount >= 0: {HOW}"));
    }
    let a = if percent { x / 100.0 } else { x };
    if a >= 1.0 {
        return Err(if percent {
            "must be below 100% (the factor 1 − drift must stay above 0)".into()
        } else {
            format!(
                "a bare number is a fraction of 1 and this one is not below 1: {HOW} \
                 (did you mean `{value}%`?)"
            )
        });
    }
    Ok(a)
}

/// Parses the σ of a log-normal factor: a finite number ≥ 0.
fn parse_sigma(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        Ok(_) => Err("must be a finite number >= 0 (the σ of the factor's logarithm)".into()),
        Err(_) => Err("expected a number: the σ of the factor's logarithm, e.g. 0.1".into()),
    }
}

/// Parses a duration above zero.
fn positive_duration(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        d if d.is_zero() => Err("must be longer than 0".into()),
        d => Ok(d),
    }
}

/// The seed of item `index` of a stream: `splitmix64((seed ^ stream) ^ splitmix64(index))`.
fn item_seed(seed: u64, stream: u64, index: u64) -> u64 {
    splitmix64((seed ^ stream) ^ splitmix64(index))
}

/// A uniform float in `[0, 1)` from a seed.
fn uniform(seed: u64) -> f64 {
    Rng::new(seed).next_f64()
}

/// A standard normal draw from a seed.
fn normal(seed: u64) -> f64 {
    Rng::new(seed).standard_normal()
}

/// `x` folded into `[-a, a]` by reflection at the bounds.
fn reflect(x: f64, a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    let y = (x + a).rem_euclid(4.0 * a);
    if y <= 2.0 * a {
        y - a
    } else {
        3.0 * a - y
    }
}

/// The latency factor model of one profile: pure and deterministic (the profile's seed and
/// [`Variation`] decide everything), so the server and a study without HTTP get the same
/// factor for the same `(elapsed, request_index)`.
///
/// ```text
/// let profile = LatencyProfile::parse("ttft=200ms,itl=20ms,noise=0.1,drift=20%,drift_period=60s,drift_shape=walk")?;
/// let drift = Drift::of(&profile);
/// let f = drift.factor(Duration::from_secs(15), 3); // request 3, arriving 15 s in
/// ```
#[derive(Debug)]
pub(crate) struct Drift {
    /// The settings.
    variation: Variation,
    /// The profile's seed.
    seed: u64,
    /// The walk's last computed knot `(index, value)`: the walk is sequential, so a later
    /// time continues from it instead of starting over (the result is the same either way).
    walk: Mutex<(u64, f64)>,
}

impl Drift {
    /// The model of `profile`'s [`variation`](LatencyProfile::variation) and seed.
    pub(crate) fn of(profile: &LatencyProfile) -> Drift {
        Drift {
            variation: profile.variation.clone(),
            seed: profile.seed,
            walk: Mutex::new((0, 0.0)),
        }
    }

    /// Whether the factor is always exactly 1 (nothing set): the server then skips it.
    pub(crate) fn is_constant(&self) -> bool {
        self.variation.is_constant()
    }

    /// The factor on the whole latency (TTFT, prefill, every gap) of the request with this
    /// index on the server (0, 1, ... in arrival order) arriving `elapsed` after the server
    /// started: [`time_factor`](Self::time_factor) × [`request_factor`](Self::request_factor).
    /// Exactly 1 when nothing is set.
    pub(crate) fn factor(&self, elapsed: Duration, request_index: u64) -> f64 {
        self.time_factor(elapsed) * self.request_factor(request_index)
    }

    /// The part every request arriving at `elapsed` shares: drift × burst × shared noise.
    pub(crate) fn time_factor(&self, elapsed: Duration) -> f64 {
        self.drift_factor(elapsed) * self.burst_factor(elapsed) * self.shared_factor(elapsed)
    }

    /// The slow drift's factor at `elapsed`, within `[1 − drift, 1 + drift]`.
    pub(crate) fn drift_factor(&self, elapsed: Duration) -> f64 {
        let a = self.variation.drift;
        if a == 0.0 {
            return 1.0;
        }
        let period = self.variation.drift_period.max(MIN_DRIFT_PERIOD);
        match self.variation.drift_shape {
            DriftShape::Sine => {
                let phase =
                    (elapsed.as_nanos() % period.as_nanos()) as f64 / period.as_nanos() as f64;
                1.0 + a * (std::f64::consts::TAU * phase).sin()
            }
            DriftShape::Walk => {
                let step_ns = (period.as_nanos() / 8).max(1);
                let t = elapsed.as_nanos();
                let knot = u64::try_from(t / step_ns).unwrap_or(u64::MAX - 1);
                let frac = (t % step_ns) as f64 / step_ns as f64;
                let here = self.walk_at(knot);
                let next = self.walk_step(here, knot + 1);
                1.0 + here + (next - here) * frac
            }
        }
    }

    /// The walk's value at knot `k` (0 at knot 0).
    fn walk_at(&self, k: u64) -> f64 {
        let mut cached = self.walk.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut i, mut w) = if cached.0 <= k { *cached } else { (0, 0.0) };
        while i < k {
            i += 1;
            w = self.walk_step(w, i);
        }
        *cached = (i, w);
        w
    }

    /// The walk's value at knot `k` given its value at knot `k − 1`.
    fn walk_step(&self, previous: f64, k: u64) -> f64 {
        let a = self.variation.drift;
        let sigma = a / 8f64.sqrt();
        reflect(
            previous + sigma * normal(item_seed(self.seed, WALK_STREAM, k)),
            a,
        )
    }

    /// `burst_scale` when `elapsed` falls in a burst, else 1.
    pub(crate) fn burst_factor(&self, elapsed: Duration) -> f64 {
        if self.in_burst(elapsed) {
            self.variation.burst_scale
        } else {
            1.0
        }
    }

    /// Whether `elapsed` falls in a burst: window `k = elapsed / burst_every` has one burst
    /// of `burst_for`, starting a seeded uniform share of `burst_every − burst_for` into it.
    pub(crate) fn in_burst(&self, elapsed: Duration) -> bool {
        let Some(every) = self.variation.burst_every else {
            return false;
        };
        let (every, length) = (every.as_nanos().max(1), self.variation.burst_for.as_nanos());
        if length >= every {
            return true;
        }
        let t = elapsed.as_nanos();
        let window = u64::try_from(t / every).unwrap_or(u64::MAX);
        let into = t % every;
        let slack = (every - length) as f64;
        let start = (uniform(item_seed(self.seed, BURST_STREAM, window)) * slack) as u128;
        (start..start + length).contains(&into)
    }

    /// The shared noise's factor at `elapsed`: `exp(σ·z)`, `z` drawn for the window
    /// `elapsed / shared_noise_window`.
    pub(crate) fn shared_factor(&self, elapsed: Duration) -> f64 {
        let sigma = self.variation.shared_noise;
        if sigma == 0.0 {
            return 1.0;
        }
        let window_ns = self.variation.shared_noise_window.as_nanos().max(1);
        let window = u64::try_from(elapsed.as_nanos() / window_ns).unwrap_or(u64::MAX);
        (sigma * normal(item_seed(self.seed, SHARED_STREAM, window))).exp()
    }

    /// The request's own noise: `exp(σ·z)`, `z` drawn from its request seed
    /// ([`LatencyProfile::request_seed`]) apart from its gaps' and fault's draws.
    pub(crate) fn request_factor(&self, request_index: u64) -> f64 {
        let sigma = self.variation.noise;
        if sigma == 0.0 {
            return 1.0;
        }
        let request_seed = splitmix64(self.seed ^ splitmix64(request_index));
        (sigma * normal(request_seed ^ NOISE_STREAM)).exp()
    }
}
