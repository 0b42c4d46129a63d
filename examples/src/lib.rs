//! A stand-in for a team's application: a support bot that streams answers from an
//! OpenAI-compatible endpoint with its own HTTP client. `benches/latency.rs` shows how the
//! team benchmarks it with llm-bench, both through llm-bench's built-in client and by timing
//! the stream this code produces.

use futures_util::{Stream, StreamExt};

/// Errors of the support bot.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// The HTTP request failed.
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The endpoint answered with an error status.
    #[error("endpoint answered {0}")]
    Status(u16),
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
            .await?;
        if !response.status().is_success() {
            return Err(BotError::Status(response.status().as_u16()));
        }
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
}
