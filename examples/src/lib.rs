//! A stand-in for a team's application: a support bot that streams answers from an
//! OpenAI-compatible endpoint with its own HTTP client. `benches/latency.rs` shows how the
//! team benchmarks it with llm-bench, both through llm-bench's built-in client and by timing
//! the stream this code produces.
//!
//! The library is named `my_app` (`[lib] name` in Cargo.toml), so that benchmarks and the
//! documentation's snippets call it as `my_app::SupportBot`.

use futures_util::{Stream, StreamExt};

/// Errors of the support bot.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// The HTTP request failed, or the endpoint answered with an error status.
    #[error("request failed")]
    Http(#[from] reqwest::Error),
    /// A chunk was not the JSON we expect.
    #[error("bad chunk: {0}")]
    BadChunk(String),
}

/// The application's own client.
#[derive(Debug, Clone)]
pub struct SupportBot {
    http: reqwest::Client,
    base_url: String,
    model: String,
}

impl SupportBot {
    /// A bot talking to `base_url` (up to `/v1`) with `model`.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        SupportBot {
            http: reqwest::Client::new(),
            base_url: base_url.into(),
            model: model.into(),
        }
    }

    /// Streams the answer to `question`, one text fragment per item.
    pub async fn answer(
        &self,
        question: &str,
    ) -> Result<impl Stream<Item = Result<String, BotError>> + Send + 'static, BotError> {
        let body = serde_json::json!({
            "model": self.model,
            "stream": true,
            "max_tokens": 48,
            "messages": [
                {"role": "system", "content": "You answer support questions briefly."},
                {"role": "user", "content": question}
            ]
        });
        let response = self
            .http
            .post(format!(
                "{}/chat/completions",
                self.base_url.trim_end_matches('/')
            ))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?
            .error_for_status()?;
        // A deliberately simple SSE reader, as app code often has: split on newlines, keep
        // `data:` lines, pick the text out of each chunk.
        let mut pending = String::new();
        let fragments = response.bytes_stream().flat_map(move |read| {
            let mut out: Vec<Result<String, BotError>> = Vec::new();
            match read {
                Err(e) => out.push(Err(BotError::Http(e))),
                Ok(bytes) => {
                    pending.push_str(&String::from_utf8_lossy(&bytes));
                    while let Some(end) = pending.find('\n') {
                        let line: String = pending.drain(..=end).collect();
                        if let Some(item) = text_of_line(line.trim()) {
                            out.push(item);
                        }
                    }
                }
            }
            futures_util::stream::iter(out)
        });
        Ok(fragments)
    }
}

fn text_of_line(line: &str) -> Option<Result<String, BotError>> {
    let data = line.strip_prefix("data:")?.trim();
    if data == "[DONE]" {
        return None;
    }
    let chunk: serde_json::Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => return Some(Err(BotError::BadChunk(e.to_string()))),
    };
    let text = chunk["choices"][0]["delta"]["content"].as_str()?;
    (!text.is_empty()).then(|| Ok(text.to_string()))
}

// The documentation's snippets, compiled and run by `cargo test` as doctests of this crate:
// each Markdown page below becomes the doc comment of an item that exists only under
// `cfg(doctest)`, so rustdoc tests its ```rust blocks (```rust,no_run ones are compiled but
// not run) and they can call this crate as `my_app::...`. A page added to `docs/` needs a
// line here.

// README.md
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

// docs/scenarios.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/scenarios.md")]
pub struct ScenariosDoctests;

// docs/cli.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/cli.md")]
pub struct CliDoctests;

// docs/providers.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/providers.md")]
pub struct ProvidersDoctests;

// docs/statistics.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/statistics.md")]
pub struct StatisticsDoctests;

// docs/report.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/report.md")]
pub struct ReportDoctests;

// docs/ci.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/ci.md")]
pub struct CiDoctests;

// docs/load.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/load.md")]
pub struct LoadDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_text_and_skips_the_rest() {
        let chunk = r#"data: {"choices":[{"delta":{"content":"Hi"}}]}"#;
        assert_eq!(text_of_line(chunk).unwrap().unwrap(), "Hi");
        assert!(text_of_line("data: [DONE]").is_none());
        assert!(text_of_line(": keep-alive").is_none());
        assert!(text_of_line(r#"data: {"choices":[{"delta":{"role":"assistant"}}]}"#).is_none());
    }

    /// What the README promises of `.map_err(llm_bench::Error::other)`: the cause chain is
    /// kept, and a refused connection counts as `connect`.
    #[tokio::test]
    async fn a_refused_connection_keeps_its_cause_and_class() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let bot = SupportBot::new(format!("http://127.0.0.1:{port}/v1"), "m");
        let err = match bot.answer("hi").await {
            Ok(_) => panic!("nothing listens on port {port}"),
            Err(e) => llm_bench::Error::other(e),
        };
        assert_eq!(err.class(), llm_bench::ErrorClass::Connect);
        let line = err.describe();
        assert!(line.starts_with("request failed: "), "{line}");
        assert!(line.to_lowercase().contains("refused"), "{line}");
    }

    /// An error status counts as `http_status`.
    #[tokio::test]
    async fn an_error_status_counts_as_http_status() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let answer = "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\n\r\n";
            socket.write_all(answer.as_bytes()).await.unwrap();
        });
        let bot = SupportBot::new(format!("http://127.0.0.1:{port}/v1"), "m");
        let err = match bot.answer("hi").await {
            Ok(_) => panic!("the endpoint answers 429"),
            Err(e) => llm_bench::Error::other(e),
        };
        assert_eq!(err.class(), llm_bench::ErrorClass::HttpStatus);
        assert!(err.describe().contains("429"), "{}", err.describe());
    }
}
