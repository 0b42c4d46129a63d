//! Drift, bursts, shared noise and per-request noise: the [`Drift`] model alone, the
//! grammar of its keys, and one run through the real server.

use std::time::Duration;

use super::super::drift::Drift;
use super::{chat, client, fast, ms};
use crate::mock::{DriftShape, LatencyProfile, MockServer, ProfileError, Variation};

/// `n` seconds.
fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The sample mean and standard deviation.
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn nothing_set_is_exactly_one_and_changes_no_draw() {
    let p = fast();
    assert!(p.variation.is_constant());
    let drift = Drift::of(&p);
    assert!(drift.is_constant());
    for (t, i) in [(0, 0), (1234, 5), (3_600_000, 99)] {
        assert_eq!(drift.factor(ms(t), i), 1.0);
    }
    // A factor of exactly 1 plans the very same offsets.
    assert_eq!(p.token_offsets_drifted(3, 20, 1.0), p.token_offsets(3, 20));
    // The variation keys leave the request's own draws (gaps, error picks) alone.
    let jittery = p.clone().inter_token(crate::mock::InterToken::LogNormal {
        median: ms(2),
        sigma: 0.4,
    });
    let noisy =
        jittery
            .clone()
            .noise(0.3)
            .shared_noise(0.2, ms(50))
            .drift(0.3, secs(10), DriftShape::Walk);
    assert_eq!(noisy.token_offsets(3, 20), jittery.token_offsets(3, 20));
    // A factor multiplies every offset (TTFT and each gap).
    let plain = jittery.token_offsets(3, 20);
    let drifted = jittery.token_offsets_drifted(3, 20, 1.5);
    for (d, a) in drifted.iter().zip(&plain) {
        assert!((d.as_secs_f64() / a.as_secs_f64() - 1.5).abs() < 1e-6);
    }
}

#[test]
fn sine_reaches_the_amplitude_at_the_quarter_periods() {
    let p = fast().drift(0.2, secs(60), DriftShape::Sine);
    let drift = Drift::of(&p);
    let at = |s: u64| drift.drift_factor(secs(s));
    assert!((at(0) - 1.0).abs() < 1e-12);
    assert!((at(15) - 1.2).abs() < 1e-12, "{}", at(15));
    assert!((at(30) - 1.0).abs() < 1e-12);
    assert!((at(45) - 0.8).abs() < 1e-12, "{}", at(45));
    assert!((at(75) - 1.2).abs() < 1e-12, "periodic");
    // Nothing else set: the request's factor is the drift's.
    assert_eq!(drift.factor(secs(15), 7), drift.drift_factor(secs(15)));
    for i in 0..600 {
        let f = drift.drift_factor(ms(i * 100));
        assert!((0.8 - 1e-12..=1.2 + 1e-12).contains(&f), "{f}");
    }
}

#[test]
fn walk_stays_within_bounds_and_is_reproducible_by_seed() {
    let a = 0.25;
    let p = fast().drift(a, secs(8), DriftShape::Walk);
    let drift = Drift::of(&p);
    assert_eq!(drift.drift_factor(Duration::ZERO), 1.0, "starts at 1");
    let times: Vec<Duration> = (0..4000).map(|i| ms(i * 20)).collect(); // 10 periods
    let path: Vec<f64> = times.iter().map(|t| drift.drift_factor(*t)).collect();
    for f in &path {
        assert!((1.0 - a - 1e-12..=1.0 + a + 1e-12).contains(f), "{f}");
    }
    let (lo, hi) = path
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), f| (lo.min(*f), hi.max(*f)));
    assert!(hi - lo > a, "the walk moves: {lo}..{hi}");
    // Continuous: piecewise linear between knots 1 s apart.
    for w in path.windows(2) {
        assert!((w[1] - w[0]).abs() < a, "{w:?}");
    }
    // The same seed gives the same path, whatever order the times are asked in.
    let again = Drift::of(&p);
    let backwards: Vec<f64> = times.iter().rev().map(|t| again.drift_factor(*t)).collect();
    assert!(path.iter().eq(backwards.iter().rev()));
    // Another seed, another path.
    let other = Drift::of(&p.clone().seed(8));
    let other_path: Vec<f64> = times.iter().map(|t| other.drift_factor(*t)).collect();
    assert_ne!(path, other_path);
}

#[test]
fn bursts_cover_their_share_of_the_time() {
    let p = fast().bursts(secs(1), ms(100), 3.0);
    let drift = Drift::of(&p);
    let samples = 200_000u64; // 200 s, every millisecond
    let mut inside = 0u64;
    let mut starts = Vec::new();
    let mut was = false;
    for i in 0..samples {
        let f = drift.burst_factor(ms(i));
        assert!(f == 1.0 || f == 3.0, "{f}");
        let now = f == 3.0;
        inside += u64::from(now);
        if now && !was {
            starts.push(i % 1000);
        }
        was = now;
    }
    let share = inside as f64 / samples as f64;
    assert!((share - 0.1).abs() < 0.005, "share {share}");
    // About one burst per second, at moments that vary.
    assert!((190..=210).contains(&starts.len()), "{}", starts.len());
    starts.sort_unstable();
    starts.dedup();
    assert!(starts.len() > 50, "burst positions vary: {}", starts.len());
    // Another seed moves them.
    let other = Drift::of(&p.clone().seed(8));
    assert!((0..20_000).any(|i| drift.in_burst(ms(i)) != other.in_burst(ms(i))));
}

#[test]
fn shared_noise_is_shared_within_a_window_and_log_normal_across() {
    let sigma = 0.1;
    let p = fast().shared_noise(sigma, ms(200));
    let drift = Drift::of(&p);
    // Two requests in the same window (and any request index): the same factor.
    assert_eq!(drift.factor(ms(1_000), 0), drift.factor(ms(1_199), 41));
    assert_ne!(
        drift.shared_factor(ms(1_199)),
        drift.shared_factor(ms(1_200))
    );
    let logs: Vec<f64> = (0..4000)
        .map(|w| drift.shared_factor(ms(w * 200 + 50)).ln())
        .collect();
    let (mean, sd) = mean_sd(&logs);
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((sd - sigma).abs() < 0.01, "sd {sd}");
    let distinct = logs.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(distinct, logs.len() - 1, "every window has its own value");
}

#[test]
fn per_request_noise_has_the_requested_sigma() {
    let sigma = 0.1;
    let p = fast().noise(sigma);
    let drift = Drift::of(&p);
    let logs: Vec<f64> = (0..4000).map(|i| drift.request_factor(i).ln()).collect();
    let (mean, sd) = mean_sd(&logs);
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((sd - sigma).abs() < 0.008, "sd {sd}");
    // It is the request's: the same whenever it arrives, different for another request.
    assert_eq!(drift.factor(ms(5), 9), drift.factor(secs(500), 9));
    assert_eq!(drift.factor(ms(5), 9), drift.request_factor(9));
    assert_ne!(drift.request_factor(9), drift.request_factor(10));
    assert_ne!(
        Drift::of(&p.clone().seed(8)).request_factor(9),
        drift.request_factor(9)
    );
}

#[test]
fn the_components_multiply() {
    let p = fast()
        .drift(0.2, secs(60), DriftShape::Sine)
        .bursts(secs(10), secs(2), 3.0)
        .shared_noise(0.1, ms(200))
        .noise(0.1);
    let drift = Drift::of(&p);
    for (t, i) in [(ms(15_000), 3), (ms(2_345), 8), (ms(99_999), 0)] {
        let want = drift.drift_factor(t)
            * drift.burst_factor(t)
            * drift.shared_factor(t)
            * drift.request_factor(i);
        assert!((drift.factor(t, i) - want).abs() < 1e-12);
    }
}

#[test]
fn grammar_round_trips_the_variation_keys() {
    let spec = "ttft=200ms,itl=20ms,noise=0.1,drift=20%,drift_period=60s,drift_shape=walk,\
                burst_every=30s,burst_for=2s,burst_scale=3,shared_noise=0.05,\
                shared_noise_window=100ms";
    let p = LatencyProfile::parse(spec).expect("valid");
    let v = &p.variation;
    assert!((v.drift - 0.2).abs() < 1e-15);
    assert_eq!(v.drift_period, secs(60));
    assert_eq!(v.drift_shape, DriftShape::Walk);
    assert_eq!(v.burst_every, Some(secs(30)));
    assert_eq!((v.burst_for, v.burst_scale), (secs(2), 3.0));
    assert_eq!((v.shared_noise, v.shared_noise_window), (0.05, ms(100)));
    assert_eq!(v.noise, 0.1);
    let built = LatencyProfile::default()
        .ttft(ms(200))
        .itl(ms(20))
        .noise(0.1)
        .drift(0.2, secs(60), DriftShape::Walk)
        .bursts(secs(30), secs(2), 3.0)
        .shared_noise(0.05, ms(100));
    assert_eq!(built, p);
    assert_eq!(
        LatencyProfile::parse("drift=0.2")
            .expect("valid")
            .variation
            .drift,
        0.2
    );
    let shown = p.to_string();
    assert_eq!(LatencyProfile::parse(&shown).expect("valid"), p, "{shown}");
    // Unset, nothing is shown.
    let plain = fast().to_string();
    for key in ["drift", "burst", "noise"] {
        assert!(!plain.contains(key), "{key} in {plain}");
    }
    assert_eq!(Variation::default(), fast().variation);
    // Only the default values of companions: accepted.
    assert!(LatencyProfile::parse("drift=0%,drift_shape=sine").is_ok());
}

#[test]
fn grammar_errors_name_the_key() {
    let bad = |spec: &str| LatencyProfile::parse(spec).expect_err(spec);
    for (spec, key, hint) in [
        ("drift=20", "drift", "percent"),
        ("drift=100%", "drift", "100%"),
        ("drift=-5%", "drift", ">= 0"),
        ("drift=lots", "drift", "percent"),
        ("drift=20%,drift_period=0s", "drift_period", "1ms"),
        ("drift=20%,drift_period=60", "drift_period", "unit"),
        ("drift=20%,drift_shape=square", "drift_shape", "sine, walk"),
        ("burst_every=0s", "burst_every", "longer than 0"),
        ("burst_every=30s,burst_scale=0", "burst_scale", "> 0"),
        ("burst_every=30s,burst_scale=x", "burst_scale", "number"),
        ("burst_every=30s,burst_for=2", "burst_for", "unit"),
        ("shared_noise=-0.1", "shared_noise", ">= 0"),
        (
            "shared_noise=0.1,shared_noise_window=0ms",
            "shared_noise_window",
            "0",
        ),
        ("noise=x", "noise", "number"),
        ("noise=inf", "noise", ">= 0"),
    ] {
        let err = bad(spec);
        match &err {
            ProfileError::InvalidValue { key: k, .. } => assert_eq!(k, key, "{spec}"),
            other => panic!("{spec}: {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains(hint),
            "{spec}: {msg}"
        );
    }
    for (spec, needs) in [
        ("drift_period=10s", "`drift_period` needs `drift`"),
        ("drift_shape=walk", "`drift_shape` needs `drift`"),
        ("burst_for=1s", "`burst_for` needs `burst_every`"),
        ("burst_scale=2", "`burst_scale` needs `burst_every`"),
        (
            "shared_noise_window=1s",
            "`shared_noise_window` needs `shared_noise`",
        ),
        (
            "burst_every=1s,burst_for=2s",
            "must not exceed `burst_every`",
        ),
    ] {
        let err = bad(spec);
        assert!(
            matches!(err, ProfileError::Conflict { .. }),
            "{spec}: {err:?}"
        );
        assert!(err.to_string().contains(needs), "{spec}: {err}");
    }
    let msg = bad("drift_amplitude=1").to_string();
    for key in ["drift_shape", "burst_every", "shared_noise_window", "noise"] {
        assert!(msg.contains(key), "{key} not in {msg}");
    }
}

/// Requests started near the drift's peak take longer than near its trough, on the real
/// server; and no token is ever earlier than the factor of its request's arrival says.
#[tokio::test]
async fn the_server_follows_the_drift_of_wall_time() {
    let period = ms(400);
    let profile = LatencyProfile::default()
        .ttft(ms(20))
        .itl(ms(1))
        .output_tokens(2)
        .seed(3)
        .drift(0.5, period, DriftShape::Sine);
    let server = MockServer::start(profile.clone()).await.expect("started");
    let started = server.started_at();
    let http = client();
    let body = chat(true).to_string();
    let run = async {
        let mut labels = Vec::new();
        // Three periods: a request at each peak (¼ period) and trough (¾ period).
        for cycle in 0..3u32 {
            for (phase, peak) in [(ms(100), true), (ms(300), false)] {
                let target = started + period * (cycle + 1) + phase;
                let wait = target.saturating_duration_since(quanta::Instant::now());
                tokio::time::sleep(wait).await;
                let resp = http
                    .post(format!("{}/chat/completions", server.base_url()))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("the mock answers");
                assert_eq!(resp.status(), 200);
                resp.text().await.expect("a body");
                labels.push(peak);
            }
        }
        labels
    };
    let labels = tokio::time::timeout(secs(20), run).await.expect("in time");
    let drift = Drift::of(&profile);
    let (mut peaks, mut troughs) = (Vec::new(), Vec::new());
    for truth in server.truth() {
        let ttft = truth.ttft().expect("a token").as_secs_f64();
        let elapsed = truth.received_at.saturating_duration_since(started);
        let want = 0.020 * drift.factor(elapsed, truth.request_index);
        assert!(ttft >= want - 1e-6, "early: {ttft} < {want}");
        let index = usize::try_from(truth.request_index).expect("small");
        if labels[index] {
            peaks.push(ttft);
        } else {
            troughs.push(ttft);
        }
    }
    server.shutdown().await;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (peak, trough) = (median(&mut peaks), median(&mut troughs));
    // Planned: 30 ms at the peaks, 10 ms at the troughs.
    assert!(peak > trough + 0.008, "peak {peak}, trough {trough}");
    assert!(peak >= 0.025, "peak {peak}");
}
