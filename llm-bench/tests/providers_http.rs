//! Every provider of the built-in [`Client`] against a local HTTP server (127.0.0.1, port 0)
//! started in the test: the server checks the request (method, path, auth and version
//! headers, body shape) and answers with a short canned stream in that provider's format,
//! with a pause before the first output event; the client must return the right text and
//! usage, and the measurements must put TTFT at that first output event (after the pause),
//! not at the first byte.
//!
//! Then keys: an error body or an error event that echoes the key never reaches an error
//! message or the stored measurements, and `Debug` of every client hides it. (The recorded
//! streams of the corpus served byte for byte through the client are a unit test of the
//! crate, beside the parsers they are compared with.)

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use llm_bench::{ApiKey, Client, ClientBuilder, GenericFraming, GenericSpec, Provider};
use llm_bench::{ChatRequest, Completion, Error, ErrorClass, Reasoning};
use serde_json::{json, Value};

const KEY: &str = "sk-test-7f3a9c1e5b2d4f6a8c0e";

/// The pause before the first output event, and the least TTFT the client may report.
const PAUSE: Duration = Duration::from_millis(60);

/// What the server saw of the request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    headers: HeaderMap,
    body: Value,
}

/// One canned response: status, content type, and body parts sent after a pause each.
#[derive(Clone)]
struct Canned {
    status: StatusCode,
    content_type: &'static str,
    parts: Vec<(Duration, Vec<u8>)>,
}

impl Canned {
    /// `before` at once, then `after` once [`PAUSE`] has passed.
    fn stream(content_type: &'static str, before: &str, after: &str) -> Canned {
        Canned {
            status: StatusCode::OK,
            content_type,
            parts: vec![
                (Duration::ZERO, before.as_bytes().to_vec()),
                (PAUSE, after.as_bytes().to_vec()),
            ],
        }
    }

    fn sse(before: &str, after: &str) -> Canned {
        Canned::stream("text/event-stream", before, after)
    }

    fn ndjson(before: &str, after: &str) -> Canned {
        Canned::stream("application/x-ndjson", before, after)
    }
}

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the server saw no request")
    }
}

#[derive(Clone)]
struct AppState {
    canned: Canned,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    state.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body,
    });
    let canned = state.canned.clone();
    let stream = futures_util::stream::iter(canned.parts).then(|(pause, bytes)| async move {
        tokio::time::sleep(pause).await;
        Ok::<_, Infallible>(Bytes::from(bytes))
    });
    Response::builder()
        .status(canned.status)
        .header("content-type", canned.content_type)
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

async fn serve(canned: Canned) -> Server {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().fallback(handle).with_state(AppState {
        canned,
        seen: seen.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, seen }
}

fn client(provider: Provider, base: String) -> ClientBuilder {
    Client::builder()
        .provider(provider)
        .base_url(base)
        .api_key(ApiKey::new(KEY))
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Runs `req` through `client`, checks that it succeeded with `text`, and that TTFT came
/// at the first output event (after the pause) while TTFB did not wait for it.
async fn check_stream(client: &Client, req: &ChatRequest, text: &str) -> Completion {
    let (result, sample) = client.measure(req).await;
    let done = result.unwrap_or_else(|e| panic!("{:?}: {e}", client.provider()));
    assert_eq!(done.text, text, "{:?}", client.provider());
    let ttft = sample.ttft_ns.expect("a TTFT");
    let ttfb = sample.ttfb_ns.expect("a TTFB");
    assert!(
        ttft >= PAUSE.as_nanos() as u64,
        "{:?}: TTFT {ttft} ns before the first output event",
        client.provider()
    );
    assert!(
        ttfb < PAUSE.as_nanos() as u64,
        "{:?}: TTFB {ttfb} ns waited for output",
        client.provider()
    );
    assert!(sample.e2e_ns.is_some_and(|e| e >= ttft));
    assert!(sample.error.is_none());
    done
}

#[tokio::test]
async fn openai_chat() {
    let server = serve(Canned::sse(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n: keep-alive\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
    ))
    .await;
    let c = client(Provider::OpenAiChat, server.url("/v1"))
        .model("gpt-4o-mini")
        .header("OpenAI-Organization", "org-1")
        .build()
        .unwrap();
    let req = ChatRequest::new("Hi").system("Be brief.").max_tokens(16);
    let done = check_stream(&c, &req, "Hello").await;
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(2));
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    let seen = server.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path_and_query, "/v1/chat/completions");
    assert_eq!(
        header(&seen, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(header(&seen, "openai-organization"), Some("org-1"));
    assert_eq!(header(&seen, "accept"), Some("text/event-stream"));
    assert_eq!(seen.body["model"], "gpt-4o-mini");
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["stream_options"]["include_usage"], true);
    assert_eq!(seen.body["max_tokens"], 16);
    assert_eq!(
        seen.body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
}

/// A chunk of three tokens after 45 ms: per event the gap is 45 ms, per token 15 ms; with
/// no usage in the stream the output is counted from the text (1 + 3 + 1 tokens).
#[tokio::test]
async fn chunks_of_several_tokens_give_itl_per_token() {
    let chunk = |text: &str| {
        format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
            .into_bytes()
    };
    let server = serve(Canned {
        status: StatusCode::OK,
        content_type: "text/event-stream",
        parts: vec![
            (Duration::from_millis(5), chunk("Hello")),
            (Duration::from_millis(45), chunk(" big wide world")),
            (Duration::from_millis(45), chunk("!")),
            (Duration::ZERO, b"data: [DONE]\n\n".to_vec()),
        ],
    })
    .await;
    let c = client(Provider::OpenAiChat, server.url("/v1"))
        .model("llm-bench-test-model")
        .build()
        .unwrap();
    let (result, sample) = c.measure(&ChatRequest::new("Hi")).await;
    assert_eq!(result.unwrap().text, "Hello big wide world!");
    assert_eq!(sample.output_events, 3);
    assert_eq!(sample.counted_tokens, Some(5));
    assert_eq!(sample.output_tokens, Some(5));
    assert_eq!(
        sample.token_source,
        Some(llm_bench::stored::TokenSource::Counted)
    );
    // Gaps of 45 ms (3 tokens) and 45 ms (1 token): per token 15, 15, 15, 45 -> 15 ms.
    let per_token = sample.itl_per_token_median_ns.expect("ITL per token") as f64 / 1e6;
    let per_event = sample.itl_median_ns.expect("ITL") as f64 / 1e6;
    assert!((14.0..25.0).contains(&per_token), "{per_token} ms");
    assert!(per_event >= 44.0, "{per_event} ms");
}

#[tokio::test]
async fn openai_responses() {
    let server = serve(Canned::sse(
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n",
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\nevent: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\" there\"}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}}\n\n",
    ))
    .await;
    let c = client(Provider::OpenAiResponses, server.url("/v1"))
        .model("gpt-4.1")
        .build()
        .unwrap();
    let req = ChatRequest::new("Hi")
        .system("Be brief.")
        .max_tokens(20)
        .reasoning(Reasoning::Low);
    let done = check_stream(&c, &req, "Hi there").await;
    assert_eq!(done.usage.and_then(|u| u.prompt_tokens), Some(5));
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(2));
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/v1/responses");
    assert_eq!(
        header(&seen, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["instructions"], "Be brief.");
    assert_eq!(
        seen.body["input"],
        json!([{"role": "user", "content": "Hi"}])
    );
    assert_eq!(seen.body["max_output_tokens"], 20);
    assert_eq!(seen.body["reasoning"]["effort"], "low");
}

#[tokio::test]
async fn openai_completions() {
    let server = serve(Canned::sse(
        "",
        "data: {\"choices\":[{\"index\":0,\"text\":\"4\",\"finish_reason\":null}]}\n\ndata: {\"choices\":[{\"index\":0,\"text\":\".\",\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
    ))
    .await;
    let c = client(Provider::OpenAiCompletions, server.url("/v1"))
        .model("davinci-002")
        .build()
        .unwrap();
    let done = check_stream(&c, &ChatRequest::new("2+2=").max_tokens(3), "4.").await;
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(2));
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/v1/completions");
    assert_eq!(seen.body["prompt"], "2+2=");
    assert_eq!(seen.body["max_tokens"], 3);
    assert_eq!(seen.body["stream"], true);
    assert!(seen.body.get("messages").is_none());
}

const AZURE_STREAM_BEFORE: &str = "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n";
const AZURE_STREAM_AFTER: &str = "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{\"content\":\"Hallo\"},\"finish_reason\":null,\"index\":0}]}\n\ndata: {\"choices\":[{\"content_filter_results\":{},\"delta\":{},\"finish_reason\":\"stop\",\"index\":0}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n";

#[tokio::test]
async fn azure_openai_deployment() {
    let server = serve(Canned::sse(AZURE_STREAM_BEFORE, AZURE_STREAM_AFTER)).await;
    let c = client(Provider::AzureOpenAi, server.url("/"))
        .deployment("gpt-4o-prod")
        .api_version("2024-10-21")
        .build()
        .unwrap();
    // No model anywhere: the deployment names it.
    let done = check_stream(&c, &ChatRequest::new("Hallo"), "Hallo").await;
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(1));
    let seen = server.last();
    assert_eq!(
        seen.path_and_query,
        "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(header(&seen, "api-key"), Some(KEY));
    assert!(header(&seen, "authorization").is_none());
    assert_eq!(seen.body["stream"], true);
    assert!(seen.body.get("model").is_none());
}

#[tokio::test]
async fn azure_openai_v1() {
    let server = serve(Canned::sse(AZURE_STREAM_BEFORE, AZURE_STREAM_AFTER)).await;
    let c = client(Provider::AzureOpenAi, server.url(""))
        .model("gpt-4o-mini")
        .build()
        .unwrap();
    check_stream(&c, &ChatRequest::new("Hallo"), "Hallo").await;
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/openai/v1/chat/completions");
    assert_eq!(header(&seen, "api-key"), Some(KEY));
    assert_eq!(seen.body["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn anthropic_messages_with_thinking() {
    let server = serve(Canned {
        status: StatusCode::OK,
        content_type: "text/event-stream",
        parts: vec![
            (
                Duration::ZERO,
                b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n".to_vec(),
            ),
            (
                PAUSE,
                b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Greet.\"}}\n\n".to_vec(),
            ),
            (
                PAUSE,
                b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello!\"}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".to_vec(),
            ),
        ],
    })
    .await;
    let c = client(Provider::Anthropic, server.url(""))
        .model("claude-sonnet-4-5")
        .build()
        .unwrap();
    let req = ChatRequest::new("Hi")
        .system("Be brief.")
        .reasoning(Reasoning::Budget(2000));
    let (result, sample) = c.measure(&req).await;
    let done = result.unwrap();
    assert_eq!(done.text, "Hello!");
    assert_eq!(done.reasoning, "Greet.");
    let usage = done.usage.unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens),
        (Some(12), Some(7))
    );
    let (ttft, ttfo) = (sample.ttft_ns.unwrap(), sample.ttfo_ns.unwrap());
    assert!(ttft >= PAUSE.as_nanos() as u64, "TTFT {ttft}");
    assert!(
        ttfo >= ttft + PAUSE.as_nanos() as u64 / 2,
        "TTFO {ttfo}, TTFT {ttft}"
    );
    assert_eq!(sample.output_tokens, Some(7));

    let seen = server.last();
    assert_eq!(seen.path_and_query, "/v1/messages");
    assert_eq!(header(&seen, "x-api-key"), Some(KEY));
    assert_eq!(header(&seen, "anthropic-version"), Some("2023-06-01"));
    assert!(header(&seen, "authorization").is_none());
    assert_eq!(seen.body["system"], "Be brief.");
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": "Hi"}])
    );
    assert_eq!(seen.body["stream"], true);
    assert_eq!(
        seen.body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2000})
    );
    // max_tokens is required by the API: defaulted above the thinking budget.
    assert_eq!(seen.body["max_tokens"], 2000 + 1024);
}

#[tokio::test]
async fn anthropic_defaults_max_tokens_and_version() {
    let server = serve(Canned::sse(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ))
    .await;
    let c = client(Provider::Anthropic, server.url("/v1"))
        .model("claude-haiku-4-5")
        .anthropic_version("2023-01-01")
        .header("anthropic-beta", "some-beta")
        .build()
        .unwrap();
    check_stream(&c, &ChatRequest::new("Hi"), "ok").await;
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/v1/messages");
    assert_eq!(header(&seen, "anthropic-version"), Some("2023-01-01"));
    assert_eq!(header(&seen, "anthropic-beta"), Some("some-beta"));
    assert_eq!(seen.body["max_tokens"], 1024);
    assert!(seen.body.get("system").is_none());
}

#[tokio::test]
async fn gemini_key_in_header_never_in_url() {
    let server = serve(Canned::sse(
        "",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Thinking it over\",\"thought\":true}],\"role\":\"model\"}}],\"usageMetadata\":{\"promptTokenCount\":6}}\r\n\r\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Paris\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":6,\"candidatesTokenCount\":1,\"thoughtsTokenCount\":3}}\r\n\r\n",
    ))
    .await;
    let c = client(Provider::Gemini, server.url(""))
        .model("models/gemini-2.5-flash")
        .build()
        .unwrap();
    let req = ChatRequest::new("Capital of France?")
        .system("One word.")
        .message("assistant", "Sure.")
        .message("user", "Go")
        .max_tokens(50)
        .reasoning(Reasoning::Budget(512));
    let (result, sample) = c.measure(&req).await;
    let done = result.unwrap();
    assert_eq!(done.text, "Paris");
    assert_eq!(done.reasoning, "Thinking it over");
    assert_eq!(done.usage.and_then(|u| u.prompt_tokens), Some(6));
    assert!(sample.ttft_ns.unwrap() >= PAUSE.as_nanos() as u64);

    let seen = server.last();
    assert_eq!(
        seen.path_and_query,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    assert!(!seen.path_and_query.contains(KEY));
    assert_eq!(header(&seen, "x-goog-api-key"), Some(KEY));
    assert!(header(&seen, "authorization").is_none());
    assert_eq!(
        seen.body["systemInstruction"]["parts"][0]["text"],
        "One word."
    );
    assert_eq!(
        seen.body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Capital of France?"}]},
            {"role": "model", "parts": [{"text": "Sure."}]},
            {"role": "user", "parts": [{"text": "Go"}]},
        ])
    );
    assert_eq!(seen.body["generationConfig"]["maxOutputTokens"], 50);
    assert_eq!(
        seen.body["generationConfig"]["thinkingConfig"],
        json!({"includeThoughts": true, "thinkingBudget": 512})
    );
}

#[tokio::test]
async fn cohere_v2() {
    let server = serve(Canned::sse(
        "event: message-start\ndata: {\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\nevent: content-start\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}\n\n",
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Arr\"}}}}\n\nevent: content-end\ndata: {\"type\":\"content-end\",\"index\":0}\n\nevent: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":7,\"output_tokens\":1},\"tokens\":{\"input_tokens\":69,\"output_tokens\":1}}}}\n\ndata: [DONE]\n\n",
    ))
    .await;
    let c = client(Provider::CohereV2, server.url(""))
        .model("command-a-03-2025")
        .build()
        .unwrap();
    let done = check_stream(
        &c,
        &ChatRequest::new("Joke").system("Pirate.").max_tokens(9),
        "Arr",
    )
    .await;
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(1));
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/v2/chat");
    assert_eq!(
        header(&seen, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["max_tokens"], 9);
    assert_eq!(
        seen.body["messages"][0],
        json!({"role": "system", "content": "Pirate."})
    );
}

#[tokio::test]
async fn cohere_v1_ndjson() {
    let server = serve(Canned::ndjson(
        "{\"is_finished\":false,\"event_type\":\"stream-start\",\"generation_id\":\"g\"}\n",
        "{\"is_finished\":false,\"event_type\":\"text-generation\",\"text\":\"Hi\"}\n{\"is_finished\":true,\"event_type\":\"stream-end\",\"response\":{\"text\":\"Hi\",\"meta\":{\"billed_units\":{\"input_tokens\":10,\"output_tokens\":1}}},\"finish_reason\":\"COMPLETE\"}\n",
    ))
    .await;
    let c = client(Provider::CohereV1, server.url(""))
        .model("command-r")
        .build()
        .unwrap();
    let req = ChatRequest::new("first")
        .message("assistant", "ok")
        .message("user", "Hi");
    let done = check_stream(&c, &req, "Hi").await;
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(1));
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/v1/chat");
    assert_eq!(
        header(&seen, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(header(&seen, "accept"), Some("application/x-ndjson"));
    assert_eq!(seen.body["message"], "Hi");
    assert_eq!(
        seen.body["chat_history"],
        json!([{"role": "USER", "message": "first"}, {"role": "CHATBOT", "message": "ok"}])
    );
    assert_eq!(seen.body["stream"], true);
}

#[tokio::test]
async fn ollama_native_chat() {
    let server = serve(Canned::ndjson(
        "",
        "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"Why\"},\"done\":false}\n{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\" not?\"},\"done\":false}\n{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":17,\"eval_count\":2}\n",
    ))
    .await;
    let c = Client::builder()
        .provider(Provider::Ollama)
        .base_url(server.url(""))
        .model("llama3")
        .build()
        .unwrap();
    let done = check_stream(
        &c,
        &ChatRequest::new("Joke").max_tokens(30).temperature(0.0),
        "Why not?",
    )
    .await;
    let usage = done.usage.unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens),
        (Some(17), Some(2))
    );
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/api/chat");
    assert!(header(&seen, "authorization").is_none());
    assert_eq!(
        seen.body["options"],
        json!({"num_predict": 30, "temperature": 0.0})
    );
    assert_eq!(seen.body["stream"], true);
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": "Joke"}])
    );
}

#[tokio::test]
async fn tgi_generate_stream() {
    let server = serve(Canned::sse(
        "",
        "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\" Deep\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,\"details\":null}\n\ndata:{\"index\":2,\"token\":{\"id\":2,\"text\":\" learning\",\"logprob\":-0.1,\"special\":false},\"generated_text\":\" Deep learning\",\"details\":{\"finish_reason\":\"length\",\"generated_tokens\":2,\"seed\":null}}\n\n",
    ))
    .await;
    // TGI needs no model.
    let c = client(Provider::Tgi, server.url("")).build().unwrap();
    let done = check_stream(
        &c,
        &ChatRequest::new("What is").max_tokens(2),
        " Deep learning",
    )
    .await;
    assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(2));
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/generate_stream");
    assert_eq!(
        seen.body,
        json!({"inputs": "What is", "parameters": {"max_new_tokens": 2, "details": true}})
    );
}

fn generic_spec() -> GenericSpec {
    GenericSpec {
        framing: GenericFraming::Ndjson,
        body: json!({
            "engine": "{{model}}",
            "conversation": "{{messages}}",
            "limits": {"max": "{{max_tokens}}"},
            "note": "asked: {{user}}",
        }),
        headers: BTreeMap::from([("x-token".to_string(), "tok {{api_key}}".to_string())]),
        text: Some("/out".into()),
        reasoning: Some("/think".into()),
        prompt_tokens: Some("/stats/in".into()),
        completion_tokens: Some("/stats/out".into()),
        error: Some("/error".into()),
        done: Some("/final".into()),
    }
}

#[tokio::test]
async fn generic_template_and_pointers() {
    let server = serve(Canned::ndjson(
        "{\"status\":\"queued\"}\n",
        "{\"out\":\"Bon\"}\n{\"out\":\"jour\"}\n{\"final\":true,\"stats\":{\"in\":4,\"out\":2}}\n{\"out\":\"ignored after the end\"}\n",
    ))
    .await;
    let c = client(
        Provider::Generic(generic_spec()),
        server.url("/engines/{{model}}/stream"),
    )
    .model("fr-1")
    .build()
    .unwrap();
    let done = check_stream(&c, &ChatRequest::new("Hello").max_tokens(8), "Bonjour").await;
    let usage = done.usage.unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens),
        (Some(4), Some(2))
    );
    let seen = server.last();
    assert_eq!(seen.path_and_query, "/engines/fr-1/stream");
    assert_eq!(
        header(&seen, "x-token"),
        Some(format!("tok {KEY}").as_str())
    );
    assert!(header(&seen, "authorization").is_none());
    assert_eq!(
        seen.body,
        json!({
            "engine": "fr-1",
            "conversation": [{"role": "user", "content": "Hello"}],
            "limits": {"max": 8},
            "note": "asked: Hello",
        })
    );
}

#[tokio::test]
async fn stream_with_any_provider_through_a_clean_close() {
    // No terminator: after the chunk with its finish reason, the stream ends when the
    // connection closes (Gemini's way). Without the finish reason it would be cut off.
    let server = serve(Canned::sse(
        "",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\n\n",
    ))
    .await;
    let c = client(Provider::Gemini, server.url("/v1beta"))
        .model("gemini-2.5-flash")
        .build()
        .unwrap();
    check_stream(&c, &ChatRequest::new("x"), "a").await;
    assert_eq!(
        server.last().path_and_query,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
}

#[tokio::test]
async fn a_missing_model_is_a_config_error_before_any_request() {
    let server = serve(Canned::sse("", "")).await;
    let c = client(Provider::Anthropic, server.url("")).build().unwrap();
    let err = c.complete(&ChatRequest::new("x")).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Config);
    assert!(server.seen.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Keys never leak.

fn every_provider() -> Vec<Provider> {
    vec![
        Provider::OpenAiChat,
        Provider::OpenAiResponses,
        Provider::OpenAiCompletions,
        Provider::AzureOpenAi,
        Provider::Anthropic,
        Provider::Gemini,
        Provider::CohereV2,
        Provider::CohereV1,
        Provider::Ollama,
        Provider::Tgi,
        Provider::Generic(generic_spec()),
    ]
}

/// Every place a failed request's error ends up: its message, its `Debug`, and the
/// measurements a stored run keeps (serialised as in `run.json`).
fn assert_no_key(what: &str, err: &Error, sample: &llm_bench::stored::RequestSample) {
    let stored = serde_json::to_string(sample).unwrap();
    for text in [err.to_string(), format!("{err:?}"), stored] {
        assert!(!text.contains(KEY), "{what}: the key leaked: {text}");
        assert!(
            !text.contains(&KEY[..12]),
            "{what}: the start of the key leaked: {text}"
        );
    }
}

#[tokio::test]
async fn an_error_body_that_echoes_the_key_is_scrubbed() {
    for provider in every_provider() {
        let body = format!(
            "{{\"error\":{{\"message\":\"Incorrect API key provided: {KEY}. You can find your API key at https://example.invalid/keys?key={KEY}\",\"type\":\"invalid_request_error\"}}}}"
        );
        let server = serve(Canned {
            status: StatusCode::UNAUTHORIZED,
            content_type: "application/json",
            parts: vec![(Duration::ZERO, body.into_bytes())],
        })
        .await;
        let base = match provider {
            Provider::Generic(_) => server.url("/gen"),
            _ => server.url("/v1"),
        };
        let c = client(provider.clone(), base).model("m").build().unwrap();
        let (result, sample) = c.measure(&ChatRequest::new("x")).await;
        let err = result.unwrap_err();
        assert!(
            matches!(err, Error::HttpStatus { status: 401, .. }),
            "{provider:?}: {err}"
        );
        assert!(
            err.to_string().contains("Incorrect API key provided: ***"),
            "{err}"
        );
        assert!(err.to_string().contains(&server.addr.to_string()), "{err}");
        assert!(
            !err.to_string().contains("/v1"),
            "the URL path leaked: {err}"
        );
        assert_eq!(
            sample.error.as_ref().map(|e| e.class),
            Some(ErrorClass::HttpStatus)
        );
        assert_no_key(&format!("{provider:?}"), &err, &sample);
    }
}

#[tokio::test]
async fn a_key_cut_off_by_the_body_limit_does_not_show_its_start() {
    // The kept part of an error body ends inside the key.
    for pad in [490, 500, 505, 510] {
        let body = format!("{}{KEY} and more", "x".repeat(pad));
        let server = serve(Canned {
            status: StatusCode::FORBIDDEN,
            content_type: "text/plain",
            parts: vec![(Duration::ZERO, body.into_bytes())],
        })
        .await;
        let c = client(Provider::OpenAiChat, server.url("/v1"))
            .model("m")
            .build()
            .unwrap();
        let (result, sample) = c.measure(&ChatRequest::new("x")).await;
        let err = result.unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains(&KEY[..4]), "pad {pad}: {msg}");
        assert_no_key(&format!("pad {pad}"), &err, &sample);
    }
}

#[tokio::test]
async fn an_error_event_that_echoes_the_key_is_scrubbed() {
    let cases = [
        (
            Provider::Anthropic,
            Canned::sse(
                "",
                &format!("event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"bad key {KEY}\"}}}}\n\n"),
            ),
        ),
        (
            Provider::OpenAiChat,
            Canned::sse(
                "",
                &format!("data: {{\"error\":{{\"message\":\"bad key {KEY}\",\"code\":401}}}}\n\n"),
            ),
        ),
        (
            Provider::Ollama,
            Canned::ndjson("", &format!("{{\"error\":\"bad key {KEY}\"}}\n")),
        ),
    ];
    for (provider, canned) in cases {
        let server = serve(canned).await;
        let c = client(provider.clone(), server.url(""))
            .model("m")
            .build()
            .unwrap();
        let (result, sample) = c.measure(&ChatRequest::new("x")).await;
        let err = result.unwrap_err();
        assert_eq!(err.class(), ErrorClass::MidStream, "{provider:?}: {err}");
        assert!(err.to_string().contains("bad key ***"), "{err}");
        assert_no_key(&format!("{provider:?}"), &err, &sample);
    }
}

#[test]
fn debug_of_every_client_hides_the_key() {
    for provider in every_provider() {
        let c = client(provider.clone(), "https://api.example.invalid/v1".into())
            .secret_header("x-gateway-key", ApiKey::new("gw-secret-99"))
            .model("m")
            .build()
            .unwrap();
        let debug = format!("{c:?} {:?}", client(provider.clone(), "x".into()));
        assert!(!debug.contains(KEY), "{provider:?}: {debug}");
        assert!(!debug.contains("gw-secret-99"), "{provider:?}: {debug}");
        assert!(debug.contains("ApiKey(***)"), "{debug}");
    }
}

#[tokio::test]
async fn connection_errors_name_the_host_only() {
    // A port nothing listens on: bind, read the port, close.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client(Provider::Gemini, format!("http://{addr}"))
        .model("gemini-2.5-flash")
        .build()
        .unwrap();
    let (result, sample) = c.measure(&ChatRequest::new("x")).await;
    let err = result.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Connect, "{err}");
    assert!(!err.to_string().contains("streamGenerateContent"), "{err}");
    assert_no_key("connect", &err, &sample);
}
