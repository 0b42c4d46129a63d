//! The OpenAI-compatible client: the provider-neutral [`Client`] speaking OpenAI Chat
//! Completions, its default provider.
//!
//! `OpenAiClient` and `OpenAiClientBuilder` are kept as names of [`Client`] and
//! [`ClientBuilder`], so code written for them keeps compiling; new code can use the
//! provider-neutral names.

pub use crate::providers::client::{Client, ClientBuilder, Completion};

pub(crate) use crate::providers::client::replay;

/// The built-in client; with no [`provider`](ClientBuilder::provider) set, it speaks
/// OpenAI-compatible Chat Completions (`{base_url}/chat/completions`, `Authorization:
/// Bearer`, `stream: true`, `stream_options.include_usage`).
///
/// ```
/// use llm_bench::providers::openai::OpenAiClient;
/// let client = OpenAiClient::builder()
///     .base_url("http://127.0.0.1:8000/v1")
///     .model("llama-3.1-8b")
///     .build()
///     .unwrap();
/// assert_eq!(client.host(), "127.0.0.1:8000");
/// ```
pub type OpenAiClient = Client;

/// Builds an [`OpenAiClient`] (a [`ClientBuilder`]).
pub type OpenAiClientBuilder = ClientBuilder;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Recorder;
    use crate::providers::ApiKey;
    use quanta::Instant;

    #[test]
    fn completions_url_appends_to_the_base_path() {
        let c = OpenAiClient::builder()
            .base_url("https://example.invalid/openai/v1/")
            .build()
            .unwrap();
        assert_eq!(c.host(), "example.invalid");
        assert_eq!(c.base_url(), "https://example.invalid/openai/v1");
    }

    #[test]
    fn bad_urls_are_config_errors_without_credentials() {
        let err = OpenAiClient::builder()
            .base_url("ftp://user:hunter2@example.invalid/v1")
            .build()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("http://"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let err = OpenAiClient::builder()
            .base_url("not a url?key=hunter2")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        let err = OpenAiClient::builder()
            .base_url("https://user:hunter2@example.invalid/v1")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("carries credentials"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn replay_records_output_events_only() {
        let body = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n",
            "data: [DONE]\n\n",
        );
        for read_size in [1, 7, 1 << 20] {
            let mut rec = Recorder::new(Instant::now(), false);
            let done = replay(body.as_bytes(), read_size, &mut rec).unwrap();
            assert_eq!(done.text, "Hello");
            let sample = rec.finish(0, Instant::now(), |_, _| {});
            assert_eq!(sample.output_events, 2, "read size {read_size}");
            assert_eq!(sample.output_tokens, Some(2));
        }
    }

    #[test]
    fn an_error_chunk_ends_the_request_as_mid_stream() {
        let body = "data: {\"error\":{\"message\":\"Token limit reached\",\"code\":400}}\n\ndata: [DONE]\n\n";
        let mut rec = Recorder::new(Instant::now(), false);
        let err = replay(body.as_bytes(), 64, &mut rec).unwrap_err();
        assert_eq!(err.class(), crate::ErrorClass::MidStream);
        assert!(err.to_string().contains("Token limit reached"), "{err}");
    }

    #[test]
    fn debug_hides_the_key() {
        let c = OpenAiClient::builder()
            .base_url("http://127.0.0.1:1/v1")
            .api_key(ApiKey::new("sk-secret-value"))
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("sk-secret-value"));
    }
}
