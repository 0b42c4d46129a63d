//! How a run's output tokens were counted: the API's usage or llm-bench's own count, the
//! reasoning tokens the API reported, and how usage and the count compare. The console and
//! the HTML report print the same words from it.

use crate::metrics::sample::{RequestSample, TokenSource};

/// Token accounting of a run's successful requests, as means per request.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenAccounting {
    /// Successful requests with an output token count.
    pub requests: usize,
    /// Mean output tokens per request (usage where reported, else counted).
    pub mean_output_tokens: f64,
    /// How many of `requests` took their count from the API's usage.
    pub from_usage: usize,
    /// Mean reasoning tokens over the requests whose usage reports them; `None` when none
    /// does, or every report is 0 (a model that did not reason).
    pub mean_reasoning_tokens: Option<f64>,
    /// Over the requests with both usage and a count: mean usage, mean count and mean
    /// output events.
    pub usage_count_events: Option<(f64, f64, f64)>,
}

fn mean(values: impl Iterator<Item = u64>) -> Option<f64> {
    let (n, sum) = values.fold((0u64, 0u64), |(n, s), v| (n + 1, s.saturating_add(v)));
    (n > 0).then(|| sum as f64 / n as f64)
}

impl TokenAccounting {
    /// The accounting of `samples` (failed requests left out), or `None` when no successful
    /// request has a token count.
    pub fn of(samples: &[RequestSample]) -> Option<TokenAccounting> {
        let ok: Vec<&RequestSample> = samples.iter().filter(|s| s.is_ok()).collect();
        let counts: Vec<u64> = ok.iter().filter_map(|s| s.output_tokens).collect();
        let mean_output_tokens = mean(counts.iter().copied())?;
        let with_usage = || {
            ok.iter()
                .filter(|s| s.token_source == Some(TokenSource::Usage))
        };
        let both: Vec<(u64, u64, u64)> = with_usage()
            .filter_map(|s| {
                Some((
                    s.output_tokens?,
                    s.counted_tokens?,
                    u64::from(s.output_events),
                ))
            })
            .collect();
        let usage_count_events = match (
            mean(both.iter().map(|b| b.0)),
            mean(both.iter().map(|b| b.1)),
            mean(both.iter().map(|b| b.2)),
        ) {
            (Some(u), Some(c), Some(e)) => Some((u, c, e)),
            _ => None,
        };
        Some(TokenAccounting {
            requests: counts.len(),
            mean_output_tokens,
            from_usage: with_usage().count(),
            mean_reasoning_tokens: mean(
                ok.iter()
                    .filter_map(|s| s.usage.and_then(|u| u.reasoning_tokens)),
            )
            .filter(|&r| r > 0.0),
            usage_count_events,
        })
    }

    /// `24.0 per request (from the API's usage)`, with the reasoning share when the API
    /// reported one; `tokenizer` is the run's (see [`crate::tokens`]).
    pub fn summary(&self, tokenizer: &str) -> String {
        let counted = match tokenizer {
            "" | "estimate" => "estimated from the text".to_string(),
            exact => format!("counted with {exact}"),
        };
        let source = if self.from_usage == self.requests {
            "from the API's usage".to_string()
        } else if self.from_usage == 0 {
            counted
        } else {
            format!(
                "{} of {} from usage, the rest {counted}",
                self.from_usage, self.requests
            )
        };
        let mut line = format!("{:.1} per request ({source})", self.mean_output_tokens);
        if let Some(r) = self.mean_reasoning_tokens {
            line.push_str(&format!(", of which reasoning {r:.1}"));
        }
        line
    }

    /// Where the API reported usage: llm-bench's own count of the streamed text and the
    /// number of output events beside it. Usage above the count means the API counts tokens
    /// it did not stream (hidden reasoning); fewer events than tokens mean chunks carry
    /// several tokens.
    pub fn usage_vs_count(&self, tokenizer: &str) -> Option<String> {
        let (usage, counted, events) = self.usage_count_events?;
        let how = match tokenizer {
            "" | "estimate" => "estimated",
            exact => exact,
        };
        Some(format!(
            "own count of the streamed text: {counted:.1} tokens per request ({how}; usage minus count: {:+.1}), {events:.1} output events per request",
            usage - counted
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example this item's documentation gave.
    #[test]
    fn accounting_lines() {
        use crate::metrics::{RequestSample, TokenAccounting};
        let sample: RequestSample = serde_json::from_str(
            r#"{"index":0,"started_at_ns":0,
            "ttfb_ns":null,"ttft_ns":1,"ttfo_ns":1,"e2e_ns":9,"output_events":3,
            "output_tokens":12,"token_source":"usage","counted_tokens":4,
            "usage":{"prompt_tokens":5,"completion_tokens":12,"reasoning_tokens":8},
            "itl_median_ns":1,"error":null}"#,
        )
        .unwrap();
        let t = TokenAccounting::of(&[sample]).unwrap();
        assert_eq!(
            t.summary("estimate"),
            "12.0 per request (from the API's usage), of which reasoning 8.0"
        );
        assert_eq!(
            t.usage_vs_count("estimate").unwrap(),
            "own count of the streamed text: 4.0 tokens per request (estimated; usage minus count: +8.0), 3.0 output events per request"
        );
    }
    use crate::delta::Usage;
    use crate::metrics::RequestError;

    fn sample(
        tokens: u64,
        source: TokenSource,
        counted: u64,
        reasoning: Option<u64>,
    ) -> RequestSample {
        RequestSample {
            index: 0,
            started_at_ns: 0,
            ttfb_ns: None,
            ttft_ns: Some(1),
            ttfo_ns: Some(1),
            e2e_ns: Some(10),
            output_events: counted as u32,
            output_tokens: Some(tokens),
            token_source: Some(source),
            counted_tokens: Some(counted),
            usage: (source == TokenSource::Usage).then_some(Usage {
                prompt_tokens: Some(3),
                completion_tokens: Some(tokens),
                reasoning_tokens: reasoning,
            }),
            itl_median_ns: None,
            itl_max_ns: None,
            itl_per_token_median_ns: None,
            arrivals_ns: None,
            schedule_lag_ns: None,
            retries: 0,
            retry_ns: None,
            error: None,
            cost_usd: None,
            spans: Vec::new(),
            ..RequestSample::default()
        }
    }

    #[test]
    fn mixed_sources_say_how_many_came_from_usage() {
        let mut failed = sample(99, TokenSource::Usage, 99, None);
        failed.error = Some(RequestError {
            class: crate::ErrorClass::Timeout,
            message: "slow".into(),
            after_ns: None,
            phase: None,
        });
        let t = TokenAccounting::of(&[
            sample(10, TokenSource::Usage, 8, None),
            sample(20, TokenSource::Counted, 20, None),
            failed,
        ])
        .unwrap();
        assert_eq!(t.requests, 2);
        assert_eq!(
            t.summary("o200k_base"),
            "15.0 per request (1 of 2 from usage, the rest counted with o200k_base)"
        );
        assert_eq!(t.usage_count_events, Some((10.0, 8.0, 8.0)));
        assert_eq!(t.mean_reasoning_tokens, None);
        let t = TokenAccounting::of(&[
            sample(10, TokenSource::Usage, 10, Some(0)),
            sample(10, TokenSource::Usage, 10, Some(0)),
        ])
        .unwrap();
        assert_eq!(t.mean_reasoning_tokens, None, "a model that did not reason");
        let t = TokenAccounting::of(&[
            sample(10, TokenSource::Usage, 4, Some(6)),
            sample(20, TokenSource::Usage, 10, Some(10)),
        ])
        .unwrap();
        assert_eq!(t.mean_reasoning_tokens, Some(8.0));
    }

    #[test]
    fn counted_only_runs_have_no_comparison() {
        let t = TokenAccounting::of(&[sample(5, TokenSource::Counted, 5, None)]).unwrap();
        assert_eq!(
            t.summary("estimate"),
            "5.0 per request (estimated from the text)"
        );
        assert_eq!(t.usage_vs_count("estimate"), None);
        assert!(TokenAccounting::of(&[]).is_none());
    }
}
