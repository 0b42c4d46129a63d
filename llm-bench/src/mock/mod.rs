//! The built-in simulated endpoint: a server that speaks the streaming APIs of every
//! built-in provider (OpenAI Chat Completions, Responses and legacy Completions, Azure
//! OpenAI, Anthropic, Gemini, Cohere v2 and v1, Ollama, TGI), with known latency and
//! recorded ground truth.
//!
//! [`MockServer`] answers like the OpenAI chat-completions, Responses and legacy
//! Completions APIs, Azure OpenAI, the Anthropic Messages API, the Gemini `generateContent`
//! API, Cohere's chat APIs v2 and v1, Ollama's `/api/chat` and `/api/generate` and TGI's
//! `/generate_stream`, paced by a [`LatencyProfile`], and records, per request, when it sent
//! every token and which tokens were reasoning ([`RequestTruth`]). Scenarios run against it
//! when no endpoint is configured (a scenario of any provider, with no key: its client
//! takes [`MockServer::base_url_for_dialect`] of the provider's [`Dialect`]), and tests
//! compare what the harness measured with what the server did. Each dialect's bytes follow
//! the recorded real streams of the fixture corpus: event names, field names and order,
//! where usage is, terminators and content types.
//!
//! ```
//! use std::time::Duration;
//! use llm_bench::mock::{expected_text, LatencyProfile, MockServer};
//!
//! let rt = tokio::runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let profile = LatencyProfile::default()
//!         .ttft(Duration::from_millis(20))
//!         .itl(Duration::from_millis(2))
//!         .output_tokens(5)
//!         .seed(7);
//!     let server = MockServer::start(profile).await?;
//!
//!     let body = r#"{"model":"llm-bench-mock","stream":true,
//!                    "messages":[{"role":"user","content":"Hello there"}]}"#;
//!     let sse = reqwest::Client::builder()
//!         .no_proxy()
//!         .build()?
//!         .post(format!("{}/chat/completions", server.base_url()))
//!         .header("content-type", "application/json")
//!         .body(body)
//!         .send()
//!         .await?
//!         .text()
//!         .await?;
//!     assert!(sse.ends_with("data: [DONE]\n\n"));
//!
//!     let truth = server.truth();
//!     assert_eq!(truth[0].token_sent_at.len(), 5);
//!     assert!(truth[0].ttft().unwrap() >= Duration::from_millis(20));
//!     assert_eq!(expected_text(7, 5).split(' ').count(), 5); // the answer's text
//!     server.shutdown().await;
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # API
//!
//! Every dialect shares the profile's pacing, the deterministic text, `error_rate`, the
//! [capacity model](#capacity), the [injected faults](#faults) and the truth; what differs
//! is the wire. Authentication headers are ignored. URLs:
//! [`MockServer::base_url`] (`http://127.0.0.1:PORT/v1`, OpenAI and Anthropic's
//! `/messages`), [`MockServer::root_url`] (what the Anthropic, Gemini, Cohere, Ollama, TGI
//! and Azure clients take as their base), [`MockServer::gemini_base_url`] (`.../v1beta`),
//! and [`MockServer::base_url_for_dialect`] the one a dialect's client takes. A request that
//! is not valid JSON or lacks what the dialect requires is a 400 in the dialect's error
//! shape; one picked by `error_rate` a 500; one picked by `rate_limited` a 429, by
//! `server_errors` or refused by a full queue (`max_queue`) a 503 (Anthropic 529; see
//! [Faults](#faults)); unknown paths a 404 (OpenAI-shaped).
//!
//! | dialect | path | [`Dialect`] | stream content type |
//! |---|---|---|---|
//! | OpenAI Chat | `POST /v1/chat/completions` | `OpenAi` | `text/event-stream` |
//! | OpenAI Responses | `POST /v1/responses` | `OpenAiResponses` | `text/event-stream; charset=utf-8` |
//! | OpenAI legacy Completions | `POST /v1/completions` | `OpenAiCompletions` | `text/event-stream` |
//! | Azure OpenAI | `POST /openai/deployments/{deployment}/chat/completions?api-version=...`, `POST /openai/v1/chat/completions` | `AzureOpenAi` | `text/event-stream; charset=utf-8` |
//! | Anthropic | `POST /v1/messages` | `Anthropic` | `text/event-stream; charset=utf-8` |
//! | Gemini | `POST /v1beta/models/{model}:streamGenerateContent` (and `/v1/`) | `Gemini` | `text/event-stream` (`alt=sse`), else `application/json; charset=UTF-8` |
//! | Cohere v2 | `POST /v2/chat` | `CohereV2` | `text/event-stream` |
//! | Cohere v1 | `POST /v1/chat` | `CohereV1` | `application/stream+json` (NDJSON) |
//! | Ollama | `POST /api/chat`, `POST /api/generate` | `Ollama` | `application/x-ndjson` |
//! | TGI | `POST /generate_stream` | `Tgi` | `text/event-stream` |
//!
//! ## OpenAI
//!
//! - `POST /v1/chat/completions` reads `model` (optional: any name is accepted and echoed),
//!   `messages` (required, non-empty), `max_completion_tokens` or `max_tokens`, `stream` and
//!   `stream_options.include_usage`; other fields are ignored (one choice, whatever `n`).
//!   - Streaming: `text/event-stream`. First a role-only chunk
//!     (`delta: {"role":"assistant","content":""}`, no output) sent at once with the
//!     headers; after the profile's TTFT the first output token; each further token after
//!     its gap; then at once a chunk with an empty delta and `finish_reason`, the usage chunk
//!     (`choices: []`, `usage: {prompt_tokens, completion_tokens, total_tokens}`) only when
//!     `include_usage` was asked (and then every other chunk carries `"usage":null`, as
//!     OpenAI does), and `data: [DONE]`. One token per chunk, each chunk a
//!     `chat.completion.chunk` (`id`, `object`, `created`, `model`, `system_fingerprint`,
//!     `choices[{index, delta, logprobs, finish_reason}]`).
//!   - Reasoning (see [Reasoning](#reasoning)): the reasoning tokens come first, as
//!     `delta: {"reasoning_content": "..."}` chunks (as DeepSeek and vLLM write them), then
//!     the `content` chunks; `usage.completion_tokens` counts both and
//!     `usage.completion_tokens_details.reasoning_tokens` the reasoning (written only when
//!     there was some). A non-streaming answer has `message.reasoning_content`. The request's
//!     `reasoning_effort` (`none`, `minimal`, `low`, `medium`, `high`, `xhigh`; anything
//!     else is a 400) turns it off (`"none"`) or asks for it.
//!   - Not streaming: one `chat.completion` with `usage`, after TTFT plus the sum of the
//!     gaps (`TTFT + (n-1)·ITL` for constant gaps).
//!   - Answer length: `min(max_tokens, output_tokens)`; `finish_reason` is `"length"` when
//!     `max_tokens` cut the answer (`max_tokens <= output_tokens`), else `"stop"`. With
//!     reasoning, `max_tokens` caps reasoning and answer together (as OpenAI counts
//!     `max_completion_tokens`): `r = min(reasoning, max_tokens)` reasoning tokens, then
//!     `min(output_tokens, max_tokens - r)` answer tokens; cut when
//!     `max_tokens <= reasoning + output_tokens`. The same rule holds in every dialect.
//!   - Text: token `i` is a word from a fixed list chosen by the profile's seed and `i`
//!     alone ([`expected_text`]), so every answer of a profile is a prefix
//!     of the same text.
//!   - `prompt_tokens`: whitespace-separated words of the messages' text.
//!   - Errors, OpenAI-shaped (`{"error":{"message","type","param","code"}}`): 400 for a body
//!     that is not JSON, lacks `messages`, has an empty `messages` or `max_tokens: 0`; 500
//!     for a request picked by `error_rate`; 503 for a non-streaming request cut by
//!     shutdown; 404 for unknown paths.
//! - `GET /v1/models` lists the server's model (`llm-bench-mock` unless set with
//!   [`MockServerBuilder::model`]); `GET /v1/models/{id}` retrieves it.
//!
//! ## Anthropic
//!
//! - `POST /v1/messages` reads `model` (optional here: any name is accepted and echoed),
//!   `max_tokens` (required, ≥ 1), `messages` (required, non-empty), `system` (a string or
//!   text blocks), `stream` and `thinking` (`{"type": "enabled", "budget_tokens": N}` with
//!   `1024 <= N < max_tokens`, as Anthropic requires; `{"type": "adaptive"}` enables it with
//!   no budget; `{"type": "disabled"}`).
//!   - Streaming: `text/event-stream; charset=utf-8` and a `request-id` header (on every
//!     response, as the request id). Named
//!     events, the name equal to `data.type`, as the recorded Anthropic streams have them.
//!     At once, with the headers: `message_start` (`message.usage.input_tokens`, and
//!     `output_tokens: 1` as Anthropic sends), `content_block_start` of block 0 and a
//!     `ping`. Then one `content_block_delta` per token, after the profile's TTFT and
//!     gaps: with thinking, block 0 is a `thinking` block of `thinking_delta`s, and the
//!     first answer token's frame begins with its `signature_delta` and
//!     `content_block_stop`, then `content_block_start` of the `text` block 1; its tokens
//!     are `text_delta`s. At once after the last token: `content_block_stop`,
//!     `message_delta` (`stop_reason` `end_turn` or `max_tokens`, `usage` with
//!     `input_tokens` and `output_tokens`, which counts thinking too, as Anthropic does)
//!     and `message_stop`. No `[DONE]`.
//!   - Not streaming: one `message` with `content` `[thinking block?, text block]`,
//!     `stop_reason` and `usage`.
//!   - Errors, Anthropic-shaped (`{"type":"error","error":{"type","message"}}`): 400
//!     `invalid_request_error` for a body that is not JSON, lacks `max_tokens`
//!     (`"max_tokens: Field required"`) or `messages`, has `max_tokens: 0`, empty
//!     `messages` or an invalid `thinking`; 500 `api_error` for `error_rate`; 529
//!     `overloaded_error` for a non-streaming request cut by shutdown.
//!
//! ## Gemini
//!
//! - `POST /v1beta/models/{model}:streamGenerateContent` and `:generateContent` (also
//!   under `/v1/models/`) read `contents` (required, non-empty), `systemInstruction`,
//!   `generationConfig.maxOutputTokens` and `generationConfig.thinkingConfig`
//!   (`includeThoughts`, `thinkingBudget`: `-1` dynamic, `0` off, `N` a cap); snake_case
//!   names are accepted too. The model is the path's; other methods are a 404.
//!   - Streaming with `?alt=sse`: `text/event-stream`, unnamed `data:` events framed with
//!     CRLF (`data: {...}\r\n\r\n`) as in every recorded Gemini stream. There is no
//!     frame to send with the headers (no role-only chunk, unlike OpenAI): the headers go
//!     out at once, when the handler returns and the body has nothing yet, and
//!     [`RequestTruth::headers_sent_at`] is when the HTTP layer first polled the body. One
//!     `GenerateContentResponse` per token, in Gemini's byte style (`"key": value`):
//!     `candidates[0].content.parts[{"text"}]` (`"thought": true` on reasoning tokens),
//!     `role: "model"`, `index: 0`, `usageMetadata` on every chunk, cumulative
//!     (`promptTokenCount`, `candidatesTokenCount`, `totalTokenCount`,
//!     `promptTokensDetails`, `thoughtsTokenCount`; zero counts left out, as Gemini does;
//!     `candidatesTokenCount` excludes the thoughts), `modelVersion`, `responseId`; the last
//!     token's chunk has `finishReason` (`STOP` or `MAX_TOKENS`). No terminator: the stream
//!     ends after the last chunk. (When thinking used up `maxOutputTokens` and nothing was
//!     sent, one chunk with no parts carries the finish reason.)
//!   - Streaming without `alt=sse`: the same chunks as one streamed JSON array,
//!     `[{...}\n,\n{...}\n]`, `application/json; charset=UTF-8`.
//!   - Not streaming: one `GenerateContentResponse` with the whole text (and the thought
//!     part first when thoughts are included).
//!   - Errors, Google-shaped (`{"error":{"code","message","status"}}`): 400
//!     `INVALID_ARGUMENT`, 404 `NOT_FOUND`, 500 `INTERNAL` for `error_rate`, 503
//!     `UNAVAILABLE` for a non-streaming request cut by shutdown.
//!
//! ## OpenAI Responses
//!
//! - `POST /v1/responses` reads `model` (optional, echoed), `input` (required: a string, or
//!   a non-empty array of items whose `content` is a string or parts with `text`),
//!   `instructions`, `max_output_tokens`, `reasoning.effort` (the values of
//!   `reasoning_effort`; `"none"` turns reasoning off, anything else unknown is a 400),
//!   `reasoning.summary` (echoed only) and `stream`.
//!   - Streaming: named events, the name equal to `data.type`, each with its
//!     `sequence_number` (0, 1, ...), no `[DONE]`, as the recorded Responses streams. At
//!     once, with the headers: `response.created` and `response.in_progress` (the whole
//!     `response` object, `status: "in_progress"`, `output: []`, `usage: null`, echoing
//!     `model`, `instructions`, `max_output_tokens` and `reasoning`), then the first output
//!     item's `response.output_item.added` and its part's `added` event. One event per
//!     token: with reasoning, item 0 is a `reasoning` item whose tokens are
//!     `response.reasoning_summary_text.delta`s, and the first answer token's frame begins
//!     with `response.reasoning_summary_text.done`, `response.reasoning_summary_part.done`,
//!     `response.output_item.done`, then the `message` item's
//!     `response.output_item.added` and `response.content_part.added`; answer tokens are
//!     `response.output_text.delta`s (`item_id`, `output_index`, `content_index`, `delta`,
//!     `logprobs: []`). At once after the last token: `response.output_text.done`,
//!     `response.content_part.done`, `response.output_item.done` and
//!     `response.completed` (`usage: {input_tokens, input_tokens_details.cached_tokens,
//!     output_tokens, output_tokens_details.reasoning_tokens, total_tokens}`,
//!     `output_tokens` counting the reasoning), or `response.incomplete` with
//!     `incomplete_details.reason: "max_output_tokens"` when `max_output_tokens` cut it.
//!   - Not streaming: the final `response` object.
//!   - Errors, OpenAI-shaped: 400 for a body that is not JSON, lacks `input`, has an empty
//!     or non-text `input`, `max_output_tokens: 0` or an unknown effort; 500 for
//!     `error_rate`; 503 for a non-streaming request cut by shutdown.
//!
//! ## OpenAI legacy Completions
//!
//! - `POST /v1/completions` reads `model` (optional, echoed), `prompt` (required: a string
//!   or an array), `max_tokens`, `stream` and `stream_options.include_usage`. No reasoning.
//!   - Streaming: unnamed `data:` events of `text_completion` objects in the recorded
//!     field order (`id`, `object`, `created`, `choices[{text, index, logprobs,
//!     finish_reason}]`, `model`), one token each, the first after TTFT: nothing is sent
//!     with the headers. When `max_tokens` cut the answer, the last token's chunk has
//!     `finish_reason: "length"` (as the recorded streams); after a natural end, a chunk
//!     with empty `text` and `finish_reason: "stop"`. Then, when `include_usage` was asked
//!     (and every other chunk then has `"usage": null`), a chunk with `choices: []` and
//!     `usage: {prompt_tokens, completion_tokens, total_tokens}`; then `data: [DONE]`.
//!   - Not streaming: one `text_completion` with `usage`.
//!   - Errors, OpenAI-shaped: 400 for a body that is not JSON, lacks `prompt` or has
//!     `max_tokens: 0`; 500 for `error_rate`; 503 for a non-streaming request cut by
//!     shutdown.
//!
//! ## Azure OpenAI
//!
//! - `POST /openai/deployments/{deployment}/chat/completions?api-version=...` and
//!   `POST /openai/v1/chat/completions` read the OpenAI chat-completions request (see
//!   [OpenAI](#openai)). Any deployment name and any `api-version` are accepted (the
//!   harness uses deployment `llm-bench-mock` and `api-version=2024-10-21`); a deployment
//!   URL without `api-version` is a 404 (`Resource not found`), as on Azure. A deployment
//!   serves the server's model ([`MockServer::model`]), whatever the body names, as an
//!   Azure deployment serves the model it was created with; the v1 API echoes the body's
//!   `model`. A `apim-request-id` header is sent.
//!   - Streaming: OpenAI's stream with Azure's additions, as in the recorded Azure streams:
//!     keys in alphabetical order (`choices`, `created`, `id`, `model`, `object`,
//!     `system_fingerprint`); at once, with the headers, a first chunk with empty `choices`,
//!     `created: 0`, empty `id`, `model` and `object`, and `prompt_filter_results`, then the
//!     role-only chunk (`content_filter_results: {}`); every token's choice carries the
//!     output's `content_filter_results` (nothing filtered); the finish chunk
//!     (`content_filter_results: {}`), the usage chunk when `include_usage` was asked, and
//!     `data: [DONE]`. Reasoning as in the OpenAI dialect (`delta.reasoning_content`).
//!   - Not streaming: OpenAI's `chat.completion` with `prompt_filter_results` and the
//!     choice's `content_filter_results`.
//!   - Errors, OpenAI-shaped, as the OpenAI dialect.
//!
//! ## Cohere v2
//!
//! - `POST /v2/chat` reads `model` (optional, echoed), `messages` (required, non-empty;
//!   string or text-part contents), `max_tokens`, `stream` and `thinking`
//!   (`{"type": "enabled", "token_budget": N}` or `{"type": "disabled"}`).
//!   - Streaming: `text/event-stream`, named events, the name equal to `data.type`, as the
//!     recorded Cohere streams. At once, with the headers: `message-start` (a UUID `id`,
//!     `delta.message` with `role`, empty `content`, `tool_plan`, `tool_calls`,
//!     `citations`) and `content-start` of content 0. One `content-delta` per token
//!     (`delta.message.content.text`): with reasoning, content 0 is a `thinking` content
//!     of `delta.message.content.thinking` deltas, and the first answer token's frame
//!     begins with its `content-end` and the `content-start` of the `text` content 1. At
//!     once after the last token: `content-end`, `message-end` (`delta.finish_reason`
//!     `COMPLETE` or `MAX_TOKENS`, `delta.usage` with `billed_units` and `tokens`, both
//!     `{input_tokens, output_tokens}` with the same counts, output counting the thinking)
//!     and `data: [DONE]`, as the recorded streams end.
//!   - Not streaming: `{id, message: {role, content: [thinking?, text]}, finish_reason,
//!     usage}`.
//!   - Errors, Cohere-shaped (`{"message"}`): 400 for a body that is not JSON, lacks
//!     `messages`, has empty `messages`, `max_tokens: 0` or an unknown `thinking.type`; 500
//!     for `error_rate`; 503 for a non-streaming request cut by shutdown.
//!
//! ## Cohere v1
//!
//! - `POST /v1/chat` reads `model` (optional, echoed), `message` (required, not blank),
//!   `preamble`, `chat_history` (`[{role, message}]`), `max_tokens` and `stream`. No
//!   reasoning.
//!   - Streaming: NDJSON (`application/stream+json`, as Cohere's v1 API), one object per
//!     line with `is_finished` and `event_type`: at once, with the headers, `stream-start`
//!     (`generation_id`); one `text-generation` (`text`) per token; at once after the last
//!     token `stream-end` with `finish_reason` (`COMPLETE` or `MAX_TOKENS`) and `response`
//!     (`response_id`, `text`, `generation_id`, `chat_history`: the request's history, its
//!     message and the answer, `finish_reason`, `meta: {api_version, billed_units,
//!     tokens}`).
//!   - Not streaming: that `response` object.
//!   - Errors, Cohere-shaped (`{"message"}`): 400 for a body that is not JSON, lacks
//!     `message` or has a blank one, or `max_tokens: 0`; 500 for `error_rate`; 503 for a
//!     non-streaming request cut by shutdown.
//!
//! ## Ollama
//!
//! - `POST /api/chat` reads `model` (optional, echoed), `messages` (required, non-empty),
//!   `options.num_predict` (the answer's cap; negative: none), `think` (`true`, `false`, or
//!   an effort `"low"`, `"medium"`, `"high"`) and `stream` (default `true`, as Ollama);
//!   `POST /api/generate` reads `prompt` (required) and `system` instead of `messages`.
//!   - Streaming: `application/x-ndjson`, one object per line, each with `model` and
//!     `created_at` (RFC 3339 with nanoseconds, as Ollama writes it); nothing is sent with
//!     the headers. One line per token, `done: false`: chat `message: {role: "assistant",
//!     content}` (reasoning: `content: ""` and `thinking`), generate `response` (reasoning:
//!     `response: ""` and `thinking`). At once after the last token, the final line: empty
//!     text, `done: true`, `done_reason` (`stop` or `length`), `total_duration`,
//!     `load_duration` (0), `prompt_eval_count`, `prompt_eval_duration` (received to first
//!     token), `eval_count` (every output token, thinking included) and `eval_duration`
//!     (first token to the end), in nanoseconds, measured on the stream. Generate's final
//!     line has no `context`.
//!   - Not streaming: one object with the whole text (and `thinking`), as the final line.
//!   - Errors, Ollama-shaped (`{"error"}`): 400 for a body that is not JSON, lacks
//!     `messages` (chat) or `prompt` (generate), or has an invalid `think`; 500 for
//!     `error_rate`; 503 for a non-streaming request cut by shutdown.
//!
//! ## TGI
//!
//! - `POST /generate_stream` reads `inputs` (required, not blank),
//!   `parameters.max_new_tokens` and `parameters.details`; it always streams. No reasoning.
//!   - Streaming: `text/event-stream`, unnamed events written `data:{...}` (no space after
//!     the colon, as TGI's server writes them); nothing is sent with the headers. One event
//!     per token: `{"index": i + 1, "token": {"id", "text", "logprob", "special": false},
//!     "generated_text": null, "details": null}` (ids fixed per word, logprobs fixed per
//!     id). When `max_new_tokens` cut the answer, the last token's event carries
//!     `generated_text` (the whole text) and `details`; after a natural end, at once after
//!     the last token, an end-of-sequence token's event (`"</s>"`, `special: true`: not
//!     text) carries them. `details` (only when `parameters.details` is true, else `null`):
//!     `finish_reason` (`length` or `eos_token`), `generated_tokens` (the end-of-sequence
//!     token counts, as TGI counts it: one more than the text's tokens after a natural
//!     end), `seed: null`, `input_length` (the prompt's tokens). No terminator.
//!   - Errors, TGI-shaped (`{"error", "error_type"}`): 400 `validation` for a body that is
//!     not JSON, lacks `inputs`, has blank `inputs` or `max_new_tokens: 0` (TGI itself
//!     answers 422); 500 `generation` for `error_rate`.
//!
//! ## Reasoning
//!
//! [`LatencyProfile::reasoning_tokens`] (`reasoning=N` in the environment grammar; default
//! 0) makes the endpoint a reasoning model: `N` reasoning tokens come first, one per event,
//! paced like every token (the first at TTFT, then one gap each), then the answer, so the
//! first answer token comes `N` gaps after the first token. Each dialect shows reasoning as
//! its API does:
//!
//! | dialect | reasoning when | tokens | on the wire |
//! |---|---|---|---|
//! | OpenAI | always when `N > 0`; `reasoning_effort` other than `none` asks for it | `N`, or 8 when `N = 0` and asked; `"none"`: 0 | `delta.reasoning_content` |
//! | Anthropic | only when the request enables `thinking` | `N`, or 8 when `N = 0`; capped by `budget_tokens` | `thinking` block, `thinking_delta`s |
//! | Gemini | `includeThoughts: true`; also when `N > 0` without it, silently | `N`, or 8 when `N = 0` and `includeThoughts`; capped by `thinkingBudget`; `thinkingBudget: 0`: none | `"thought": true` parts (with `includeThoughts`); without, nothing is sent but the tokens take their time and are counted in `thoughtsTokenCount` |
//! | OpenAI Responses | always when `N > 0`; `reasoning.effort` other than `none` asks for it | as OpenAI; `"none"`: 0 | a `reasoning` output item, `response.reasoning_summary_text.delta`s (whether or not `reasoning.summary` was asked) |
//! | Azure OpenAI | as OpenAI | as OpenAI | `delta.reasoning_content` |
//! | Cohere v2 | always when `N > 0`; `thinking: {"type": "enabled"}` asks for it | `N`, or 8 when `N = 0` and enabled; capped by `token_budget`; `disabled`: 0 | a `thinking` content, `delta.message.content.thinking` deltas |
//! | Ollama | always when `N > 0`; `think: true` (or an effort) asks for it | `N`, or 8 when `N = 0` and `think`; `think: false`: 0 | `message.thinking` (chat), `thinking` (generate) |
//! | OpenAI legacy Completions, Cohere v1, TGI | never | 0 | — |
//!
//! The truth says how many tokens were reasoning and whether they were sent:
//! [`RequestTruth::ttft`] is the first token of any kind, [`RequestTruth::ttfo`] the first
//! answer token, [`RequestTruth::first_answer_index`] its index in
//! [`RequestTruth::token_sent_at`]. Reasoning text is [`expected_reasoning`], answer text
//! [`expected_text`], both determined by the seed.
//!
//! # Timing and ground truth
//!
//! A stream's body is polled by its connection's task (no task per request) and produces
//! each token when its absolute deadline `received + offset` has passed, so delays do not
//! drift. Tokio's timer (1 ms ticks, deadlines rounded up) is not used: one timer thread per
//! process sleeps towards the earliest deadline in two steps, spins the last tens of
//! microseconds, and wakes the task a little early (by how long a woken task has lately
//! taken to run); the task spins out the rest. A token is never early; on this project's
//! 2-core VM it is written a few microseconds after its deadline at the median
//! (`cargo bench --bench accuracy`; the README's Performance section has the figures, and
//! the tail the host's preemption gives them). The instant a token's frame is handed to
//! hyper is recorded with `quanta::Instant::now()` in [`RequestTruth::token_sent_at`];
//! every socket write is stamped on the machine's monotonic clock as it begins and as it
//! returns, and each token gets the write that carried it ([`RequestTruth::token_written`],
//! [`WriteTimes`]), with the request's receipt on the same clock
//! ([`RequestTruth::received_monotonic_ns`]). That, not the profile, is the ground truth to
//! compare measurements with; another process (a harness measuring this one) reads the
//! same clock. When the client disconnects, hyper drops the body and generation stops; the
//! record is kept with `completed: false`.
//!
//! Every response carries a request id, `req_mock_<n>` (`n` counts the server's requests
//! from 0), in the dialect's header: `request-id` (Anthropic), `apim-request-id` (Azure
//! OpenAI), `x-request-id` (the others); the truth records it
//! ([`RequestTruth::request_id`]), and the built-in client stores it with each request.
//!
//! Each request draws its gaps (and whether it fails) from a `StdRng` seeded with
//! [`LatencyProfile::request_seed`]`(index)`, a mix of the profile's seed and the request's
//! index on the server (0, 1, ... in arrival order; [`MockServer::set_profile`] restarts it),
//! so a sequential run is reproducible exactly, and a concurrent one up to arrival order.
//! Its fault (see [Faults](#faults)) is drawn from a second generator, seeded from the same
//! sub-seed, so turning faults on changes neither the gaps nor `error_rate`'s picks.
//!
//! # Capacity
//!
//! By default the endpoint has unlimited capacity: every request is answered at once and
//! at the profile's pace, whatever the load. [`Capacity`] (`slots`, `prefill`,
//! `batch_slowdown`, `max_queue`; builders [`LatencyProfile::slots`] and the like) makes
//! it behave like a self-hosted server (vLLM, llama-server, TGI) under load:
//!
//! - `slots=N`: N requests generate at once. A request that finds every slot busy waits in
//!   a first-come first-served queue (a fair semaphore) before its headers are sent, so the
//!   wait counts into its TTFB and TTFT; [`RequestTruth::queue_wait`] records it. A slot is
//!   held for the whole generation and freed when the response ends, when the client
//!   disconnects or when the server cuts the connection. Requests answered without
//!   generating (400s, `error_rate`, `rate_limited`, `server_errors`) never take a slot
//!   nor wait for one.
//! - `prefill=D`: after getting its slot, a request's first token comes at
//!   `ttft + D × prompt_tokens`, with the prompt tokens its usage reports (the whitespace
//!   separated words of its prompt text, at least 1). It applies with or without slots.
//! - `batch_slowdown=F`: batched decoding slows as the slots fill: each gap between tokens
//!   is multiplied by `1 + F × (busy − 1) / max(slots − 1, 1)`, where `busy` is the number
//!   of slots in use when the gap is scheduled (right after the previous token is sent).
//! - `max_queue=Q`: when Q requests already wait, one more is answered at once with the
//!   dialect's overloaded error (503, Anthropic 529) and recorded with
//!   [`Fault::QueueFull`]; it does not take a slot.
//!
//! [`LatencyProfile::capacity_rps`] is the rate the endpoint sustains with every slot busy,
//! the knee of its latency–throughput curve:
//!
//! ```text
//! capacity_rps = slots / service_time
//! service_time = ttft + prefill × prompt_tokens
//!              + (output_tokens − 1) × mean_gap × (1 + batch_slowdown)
//! ```
//!
//! (`mean_gap` is the mean of the inter-token distribution: `itl`, the middle of a
//! range, `median × exp(sigma² / 2)` for log-normal jitter; with one slot the factor is 1).
//! Offered less, requests rarely wait; offered more, the queue grows without bound, or with
//! `max_queue` the excess is refused.
//!
//! # Faults
//!
//! [`Faults`] injects the failures a client must survive, each as a share of requests in
//! \[0, 1\] (default 0), decided per request from the seed and the request's index
//! ([`LatencyProfile::planned_fault`]) and recorded in [`RequestTruth::fault`]:
//!
//! | key | the request | in the truth |
//! |---|---|---|
//! | `rate_limited` | is answered HTTP 429 with `Retry-After: <retry_after, whole seconds rounded up>` and the dialect's rate-limit error: OpenAI-shaped `type` and `code` `rate_limit_exceeded`; Anthropic `rate_limit_error`; Gemini `RESOURCE_EXHAUSTED`; Cohere and Ollama a message; TGI `error_type: "overloaded"` | [`Fault::RateLimited`] |
//! | `server_errors` | is answered as overloaded: HTTP 503 (OpenAI-shaped `type: "server_error"`, `code: "overloaded"`; Gemini `UNAVAILABLE`; Cohere, Ollama, TGI a message, TGI `error_type: "overloaded"`), Anthropic HTTP 529 `overloaded_error` | [`Fault::ServerError`] |
//! | `stall` | gets its headers (and the frame sent with them) at once, then its first token `stall_for` late | [`Fault::Stall`] |
//! | `stall_mid` | stops for `stall_for` before token `n / 2` (0-based, of the `n` tokens sent); not streaming, its body comes `stall_for` late | [`Fault::StallMid`] |
//! | `disconnect` | is cut at the deadline of token `n / 2`: the body fails, the server closes the connection without the end of the chunked body, so the client reads a truncated stream with no finish reason, usage or terminator (`[DONE]`, `message_stop`, ...); the truth has `completed: false`. Not streaming: cut at the same time, before any byte of the body | [`Fault::Disconnect`] |
//!
//! A request gets at most one fault. `error_rate` comes first (its HTTP 500 is
//! [`Fault::InjectedError`]); then one draw picks among the shares in the table's order,
//! each taking its share of what the earlier ones left (shares summing to more than 1 cut
//! the later ones short). A stall holds the request's slot; rate-limited and overloaded
//! requests never take one.
//!
//! Truth is kept for the most recent 100 000 requests, a
//! bounded amount of memory (about 150 bytes plus 8 bytes per token each);
//! [`MockServerBuilder::truth_capacity`] changes it.
//!
//! # Drift and noise
//!
//! A hosted API's latency changes with the time of day and the load of its other users.
//! [`Variation`] (keys `drift`, `drift_period`, `drift_shape`, `burst_every`, `burst_for`,
//! `burst_scale`, `shared_noise`, `shared_noise_window`, `noise`; builders
//! [`LatencyProfile::drift`], [`LatencyProfile::bursts`], [`LatencyProfile::shared_noise`],
//! [`LatencyProfile::noise`]) makes the endpoint do the same. Each request gets one factor,
//! decided when it arrives, on its whole latency: its TTFT, its prefill and every gap between
//! its tokens (not its wait for a slot, a stall, nor `retry_after`). The factor is the
//! product of
//!
//! - the slow drift, within `[1 − drift, 1 + drift]`: `sine`, `1 + drift · sin(2π t /
//!   drift_period)` (1 at the start, the peak a quarter period in, the trough at three
//!   quarters), or `walk`, `1 + w(t)` with `w` a seeded random walk that starts at 0, moves
//!   at knots every `drift_period / 8` by a normal step of σ = `drift / √8` (about the
//!   amplitude per period), is reflected at `±drift` and is linear between knots;
//! - bursts: time is cut into windows of `burst_every`, each holding one burst of
//!   `burst_for` at a seeded, uniformly random moment in it (bursts never overlap and cover
//!   `burst_for / burst_every` of the time); a request arriving in a burst gets
//!   `burst_scale`;
//! - shared noise: `exp(shared_noise · z)`, `z` standard normal drawn for each window of
//!   `shared_noise_window`; the requests arriving in one window share it;
//! - the request's own noise: `exp(noise · z)`, `z` drawn from its
//!   [`LatencyProfile::request_seed`] on a stream of its own.
//!
//! `t` is the time since the server started ([`MockServer::start`]) on its monotonic clock,
//! not reset by [`MockServer::set_profile`]; the time parts are drawn from the profile's
//! seed alone, so whoever sends a request at a given moment meets the same endpoint: two
//! builds measured at different times see different latencies, while their requests sent
//! alternately or together to the same server see the same drift. With none of the keys set
//! the factor is exactly 1 and no draw changes; the keys never change the gaps' draws, the
//! `error_rate` picks nor the faults (the factor multiplies the same draws).
//! [`LatencyProfile::token_offsets`] and [`LatencyProfile::capacity_rps`] leave the factor
//! out (it depends on the arrival time). Example:
//! `ttft=200ms,itl=20ms,noise=0.1,drift=20%,drift_period=60s,drift_shape=walk`.
//!
//! # `LLM_BENCH_MOCK_PROFILE`
//!
//! [`LatencyProfile::from_env`] reads a comma-separated list of `key=value` items (spaces
//! around items, keys and values are ignored; each key at most once; keys not given keep
//! their defaults). Example: `ttft=50ms,itl=10ms,tokens=64,reasoning=8,seed=7,scale=1.3,jitter=lognormal:0.3,error_rate=0.1`;
//! a loaded server with faults: `slots=8,prefill=0.2ms,batch_slowdown=0.5,max_queue=32,rate_limited=0.05,stall=0.01,stall_for=2s`;
//! a drifting, noisy hosted API: `ttft=200ms,itl=20ms,noise=0.1,drift=20%,drift_period=60s,drift_shape=walk`.
//!
//! | key | value | default | meaning |
//! |---|---|---|---|
//! | `ttft` | duration | `50ms` | time to first token |
//! | `itl` | duration, or `min..max` | `10ms` | gap between tokens (a range: uniform in it) |
//! | `jitter` | `none`, `lognormal:<sigma>`, `uniform:<duration>` | `none` | spread of the gaps: log-normal with median `itl`, or uniform within `itl ± duration`; not with an `itl` range |
//! | `tokens` | integer ≥ 1 | `64` | natural answer length (reasoning not included) |
//! | `reasoning` | integer ≥ 0 | `0` | reasoning tokens before the answer (see [Reasoning](#reasoning)) |
//! | `seed` | integer (u64) | `0` | seed of all random choices |
//! | `scale` | number ≥ 0 | `1` | multiplies every delay: TTFT, gaps and `prefill` (applied after the other keys; not `retry_after` nor `stall_for`) |
//! | `error_rate` | number in \[0, 1\] | `0` | fraction of requests answered with HTTP 500 |
//! | `slots` | integer ≥ 1 | none (unlimited) | parallel generation slots; more requests wait in a FIFO queue (see [Capacity](#capacity)) |
//! | `prefill` | duration | `0` | prefill time per prompt token, before the first token |
//! | `batch_slowdown` | number ≥ 0 | `0` | gaps × `1 + batch_slowdown × (busy − 1) / max(slots − 1, 1)`; needs `slots` |
//! | `max_queue` | integer ≥ 0 | none (unbounded) | the most requests that may wait for a slot; more are answered 503 at once; needs `slots` |
//! | `rate_limited` | number in \[0, 1\] | `0` | share answered HTTP 429 with `Retry-After` (see [Faults](#faults)) |
//! | `retry_after` | duration | `1s` | the 429's `Retry-After`, in whole seconds rounded up |
//! | `server_errors` | number in \[0, 1\] | `0` | share answered as overloaded: HTTP 503 (Anthropic 529) |
//! | `stall` | number in \[0, 1\] | `0` | share whose first token comes `stall_for` late |
//! | `stall_mid` | number in \[0, 1\] | `0` | share that stops for `stall_for` halfway through its tokens |
//! | `stall_for` | duration | `2s` | how long a stall lasts |
//! | `disconnect` | number in \[0, 1\] | `0` | share whose connection is cut halfway through the answer |
//! | `drift` | percent (`20%`) or fraction (`0.2`) in \[0, 1) | `0` (none) | amplitude `a` of the slow drift of the whole latency (TTFT, prefill, gaps) with the time since the server started: the factor stays within `[1 − a, 1 + a]` (see [Drift and noise](#drift-and-noise)) |
//! | `drift_period` | duration ≥ 1 ms | `60s` | the sine's period, or the walk's time scale (knots every eighth of it); needs `drift` |
//! | `drift_shape` | `sine`, `walk` | `sine` | `sine`: `1 + a · sin(2π t / period)`; `walk`: a seeded random walk reflected within `±a`; needs `drift` |
//! | `burst_every` | duration > 0 | none (no bursts) | mean spacing of bursts: one burst per window of this length, at a seeded random moment in it |
//! | `burst_for` | duration ≤ `burst_every` | `1s` | how long a burst lasts; needs `burst_every` |
//! | `burst_scale` | number > 0 | `3` | the latency factor during a burst; needs `burst_every` |
//! | `shared_noise` | number ≥ 0 | `0` (none) | σ of a log-normal factor (median 1) shared by the requests arriving in the same window |
//! | `shared_noise_window` | duration > 0 | `200ms` | how long one value of the shared noise lasts; needs `shared_noise` |
//! | `noise` | number ≥ 0 | `0` (none) | σ of a log-normal factor (median 1) drawn once per request, on its TTFT and all its gaps (`jitter` draws each gap anew) |
//!
//! A duration is a decimal number and a unit, one of `ns`, `us` (or `µs`), `ms`, `s`:
//! `50ms`, `1.5ms`, `0.2s`; at most one hour. An unset or blank variable means no profile
//! (`Ok(None)`). Errors ([`ProfileError`]) name the bad item, key or value.

mod answer;
mod api_error;
mod capacity;
mod dialect;
pub(crate) mod drift;
mod fault;
mod lifecycle;
mod pacing;
mod profile;
mod respond;
mod routes;
mod state;
mod stream;
mod text;
mod timer;
mod truth;
mod written;

#[cfg(test)]
mod tests;

pub use capacity::Capacity;
pub use dialect::Dialect;
/// The latency factor model, for code elsewhere in the crate (studies, tests) that needs the
/// factor a request gets without HTTP.
#[allow(unused_imports)]
pub(crate) use drift::Drift;
pub use drift::{DriftShape, Variation};
pub use fault::{Fault, Faults};
pub use lifecycle::{MockServer, MockServerBuilder};
pub use profile::{InterToken, LatencyProfile, ProfileError};
pub use text::{expected_reasoning, expected_text};
pub use truth::{RequestTruth, WriteTimes};
