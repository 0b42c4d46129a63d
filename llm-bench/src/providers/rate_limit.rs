//! Client-side rate limits, as providers quote them: requests per second (or minute) and
//! tokens per minute, enforced with `governor`'s GCRA limiters.
//!
//! The client waits on the limits before the first attempt of a request starts
//! ([`Recorder::start`](crate::metrics::Recorder::start)), so the wait is never latency. In
//! a closed loop it only slows the run down; in an open loop it shows up as the request's
//! schedule lag, which is honest: by the user's own limit, the client is the bottleneck,
//! not the endpoint. A retry passes the request limit again (after its backoff); the token
//! limit is charged once per request, as providers do not count a rejected request's
//! tokens.
//!
//! One [`RateLimits`] is shared (through an `Arc`) by every clone of a client: the limits
//! are the whole run's.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::request::ChatRequest;
use crate::tokens::Tokenizer;

/// The output tokens a request is charged for when it sets no `max_tokens`.
pub(crate) const DEFAULT_OUTPUT_TOKENS: u32 = 1024;

/// The client-side limits of a run: an optional request rate and an optional
/// tokens-per-minute budget.
pub(crate) struct RateLimits {
    /// Requests: one at a time, evenly spaced (a burst of 1).
    requests: Option<DefaultDirectRateLimiter>,
    /// Tokens: a bucket of one minute's tokens, refilled evenly.
    tokens: Option<TokenLimit>,
}

/// The tokens-per-minute limiter and its burst (the most one request can be charged).
struct TokenLimit {
    limiter: DefaultDirectRateLimiter,
    burst: NonZeroU32,
}

impl fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimits")
            .field("requests", &self.requests.is_some())
            .field("tokens_per_minute", &self.tokens.as_ref().map(|t| t.burst))
            .finish()
    }
}

impl RateLimits {
    /// Limits of at most `requests_per_second` requests a second (a quota per minute is
    /// that divided by 60; requests are spaced evenly, no burst) and `tokens_per_minute`
    /// tokens a minute (a full minute's tokens may go at once, then they refill evenly).
    /// Fails on a rate that is not a positive finite number, or too high to space requests
    /// (above 10⁹ a second), and on 0 tokens per minute.
    pub(crate) fn new(
        requests_per_second: Option<f64>,
        tokens_per_minute: Option<u32>,
    ) -> Result<RateLimits, String> {
        let requests = match requests_per_second {
            None => None,
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                return Err(format!(
                    "a request rate must be a positive number of requests per second, not {rate}"
                ))
            }
            Some(rate) => {
                let quota = Duration::try_from_secs_f64(1.0 / rate)
                    .ok()
                    .and_then(Quota::with_period)
                    .ok_or_else(|| {
                        format!("a request rate of {rate} per second is too high to enforce")
                    })?;
                Some(RateLimiter::direct(quota))
            }
        };
        let tokens = match tokens_per_minute {
            None => None,
            Some(n) => {
                let burst = NonZeroU32::new(n).ok_or_else(|| {
                    "a token rate must be at least 1 token per minute".to_string()
                })?;
                Some(TokenLimit {
                    limiter: RateLimiter::direct(Quota::per_minute(burst)),
                    burst,
                })
            }
        };
        Ok(RateLimits { requests, tokens })
    }

    /// Waits until a request of `tokens` tokens may start: the token budget first (a
    /// request charged more than a whole minute's tokens is charged one minute's), then
    /// the request rate.
    pub(crate) async fn until_ready(&self, tokens: u32) {
        if let (Some(limit), Some(n)) = (&self.tokens, NonZeroU32::new(tokens)) {
            let n = n.min(limit.burst);
            // Never refused: `n` is at most the burst.
            let _ = limit.limiter.until_n_ready(n).await;
        }
        self.until_request_ready().await;
    }

    /// Waits until the request rate lets one more request (or a retry) go.
    pub(crate) async fn until_request_ready(&self) {
        if let Some(limiter) = &self.requests {
            limiter.until_ready().await;
        }
    }

    /// True when a token budget is set (and requests need their cost estimated).
    pub(crate) fn limits_tokens(&self) -> bool {
        self.tokens.is_some()
    }
}

/// What a request is charged against a tokens-per-minute limit, as providers count it when
/// the request arrives: its prompt's tokens (estimated with `tokenizer` over the messages'
/// contents) plus its `max_tokens`, or [`DEFAULT_OUTPUT_TOKENS`] when it sets none.
pub(crate) fn request_cost(req: &ChatRequest, tokenizer: Tokenizer) -> u32 {
    let prompt = req.messages().iter().fold(0u32, |sum, m| {
        sum.saturating_add(tokenizer.count(&m.content))
    });
    prompt.saturating_add(req.max_tokens_setting().unwrap_or(DEFAULT_OUTPUT_TOKENS))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use super::*;
    use crate::providers::retry::test_server::{serve, Reply, TEXT};
    use crate::providers::retry::RetryPolicy;
    use crate::providers::Client;

    #[test]
    fn unusable_rates_are_refused() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert!(RateLimits::new(Some(rate), None).is_err(), "{rate}");
        }
        assert!(RateLimits::new(None, Some(0)).is_err());
        assert!(RateLimits::new(Some(0.5), Some(1)).is_ok());
        assert!(RateLimits::new(None, None).is_ok());
    }

    #[test]
    fn a_request_costs_its_prompt_and_its_output_budget() {
        let t = Tokenizer::estimate();
        let short = ChatRequest::new("hi").max_tokens(16);
        assert_eq!(request_cost(&short, t), t.count("hi") + 16);
        let unset = ChatRequest::new("hi").system("Be brief.");
        assert_eq!(
            request_cost(&unset, t),
            t.count("hi") + t.count("Be brief.") + DEFAULT_OUTPUT_TOKENS
        );
    }

    #[tokio::test]
    async fn a_request_over_the_minute_s_budget_is_charged_the_budget() {
        // 60 000 a minute: 1 000 a second, 60 000 at once.
        let limits = RateLimits::new(None, Some(60_000)).unwrap();
        let started = Instant::now();
        limits.until_ready(1_000_000).await;
        assert!(started.elapsed() < Duration::from_millis(50));
        // The bucket is empty: 100 more tokens take 100 ms to refill.
        limits.until_ready(100).await;
        assert!(
            started.elapsed() >= Duration::from_millis(90),
            "{:?}",
            started.elapsed()
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn ten_requests_at_20_per_second_take_0_45_s_outside_ttft() {
        let server = serve(vec![Reply::Stream]).await;
        let limits = Arc::new(RateLimits::new(Some(20.0), None).unwrap());
        let client = Client::builder()
            .base_url(&server.url)
            .model("m")
            .build()
            .unwrap()
            .with_rate_limits(limits);
        let req = ChatRequest::new("hi").max_tokens(8);
        let started = Instant::now();
        let results = futures_util::future::join_all((0..10).map(|_| {
            let client = client.clone();
            let req = req.clone();
            async move { client.measure(&req).await }
        }))
        .await;
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(440), "{elapsed:?}");
        let arrivals = server.arrivals();
        assert_eq!(arrivals.len(), 10);
        let spread = *arrivals.iter().max().unwrap() - *arrivals.iter().min().unwrap();
        assert!(spread >= Duration::from_millis(400), "{spread:?}");
        for (result, sample) in results {
            assert_eq!(result.unwrap().text, TEXT);
            // The last requests waited ~450 ms for the limiter; none of it is latency.
            assert!(sample.ttft_ns.unwrap() < 200_000_000, "{sample:?}");
            assert_eq!(sample.retries, 0);
        }
    }

    #[tokio::test]
    async fn retries_pass_the_request_limit_again() {
        let server = serve(vec![Reply::Status(429, Some("0")), Reply::Stream]).await;
        // 5 a second: the retry waits ~200 ms for the limiter, not for the zero Retry-After.
        let limits = Arc::new(RateLimits::new(Some(5.0), None).unwrap());
        let client = Client::builder()
            .base_url(&server.url)
            .model("m")
            .build()
            .unwrap()
            .with_retries(RetryPolicy::new(1))
            .with_rate_limits(limits);
        let (result, sample) = client.measure(&ChatRequest::new("hi")).await;
        assert_eq!(result.unwrap().text, TEXT);
        let arrivals = server.arrivals();
        assert!(arrivals[1] - arrivals[0] >= Duration::from_millis(150));
        assert_eq!(sample.retries, 1);
        assert!(sample.retry_ns.unwrap() >= 150_000_000, "{sample:?}");
        assert!(sample.ttft_ns.unwrap() < 150_000_000, "{sample:?}");
    }
}
