//! Every recorded stream of the corpus (`shared/fixtures/sse`, see its `INDEX.md`) through
//! [`StreamParser`]: one `#[test]` per stream, named `<provider folder>__<file stem>`. Each
//! data file `X.sse` / `X.ndjson` / `X.jsonarray` / `X.bin` (AWS binary eventstream) has a
//! sidecar `X.json` with what a correct parser extracts.
//!
//! The corpus is found at `$LLM_BENCH_FIXTURES`, else at `../../shared/fixtures/sse` from this
//! crate. If it is absent the tests print why and pass, except when `CI=true`, where they
//! fail.
//!
//! Every stream is fed whole, one byte at a time and in seeded random splits; each split must
//! give the same deltas, and they must reproduce the sidecar: text, per-choice text,
//! reasoning (`reasoning_text` / `thinking_text` / `thought_text` / Cohere's `tool_plan`),
//! refusal, tool-call arguments, usage (prompt and completion tokens), errors (and the events
//! carrying them), finish reasons, the terminator, the unit count, and the index of the first
//! answer event (`first_content_event_index`, [`Delta::is_answer`]) and first output event
//! (`first_output_event_index`, [`Delta::is_output`]). That event must be emitted by the very
//! read that delivers the last byte of its `first_*_event_byte_range` (byte by byte: exactly
//! that byte; for an eventstream frame that is the last byte of its message CRC). The five
//! framing-only `edge_cases` (`wire_format: none`) are checked against the SSE decoder. The
//! two AWS Bedrock eventstreams (`bedrock/*.bin`: ConverseStream, and
//! InvokeModelWithResponseStream wrapping Anthropic events) run like every other stream;
//! [`bedrock_converse_tool_call`] also checks what their sidecars do not give.
//!
//! [`corpus_list_covers_every_stream`] fails when a data file in the corpus has no test here,
//! so a new recording cannot be skipped silently.
//!
//! Where this crate deliberately differs from a sidecar, [`KNOWN_DISAGREEMENTS`] says so and
//! why; the test then expects our value. One framing difference is general: with CRLF line
//! ends (every Gemini recording) an SSE event is dispatched at the CR of its final blank
//! line, one byte before the sidecar's `*_byte_range` ends (see `check_split`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::framing::sse::SseDecoder;
use crate::framing::Poisoning;
use crate::providers::wire::{Framing, StreamParser, WireFormat};
use crate::{ChatRequest, Client, Delta, Error, Provider};

/// The corpus directory: `$LLM_BENCH_FIXTURES`, else `../../shared/fixtures/sse` from this
/// crate. `None` (after printing why) when it is absent, except when `CI=true`, where a
/// missing corpus fails the test instead of skipping it.
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LLM_BENCH_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/fixtures/sse"
            ))
        });
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!(
        "SKIPPED: recorded stream corpus not found at {} (set LLM_BENCH_FIXTURES)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; CI=true, so this is an error");
    }
    eprintln!("{message}");
    None
}

macro_rules! corpus_tests {
    ($($name:ident => $path:literal,)*) => {
        /// Every stream that has a test, as a path relative to the corpus directory.
        pub(super) const FILES: &[&str] = &[$($path),*];
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                check_file($path);
            }
        )*
    };
}

corpus_tests! {
    anthropic__oll_claude3_haiku_padding => "anthropic/oll_claude3_haiku_padding.sse",
    anthropic__pydai_claude_sonnet45_tiny_with_ping => "anthropic/pydai_claude_sonnet45_tiny_with_ping.sse",
    anthropic__pydai_claude_thinking_stream => "anthropic/pydai_claude_thinking_stream.sse",
    anthropic__sdkpy_basic_text_fixture => "anthropic/sdkpy_basic_text_fixture.sse",
    anthropic__sdkpy_incomplete_partial_json_max_tokens => "anthropic/sdkpy_incomplete_partial_json_max_tokens.sse",
    anthropic__sdkpy_refusal_stop_reason_fixture => "anthropic/sdkpy_refusal_stop_reason_fixture.sse",
    anthropic__sdkpy_tool_use_input_json_delta => "anthropic/sdkpy_tool_use_input_json_delta.sse",
    azure__oll_azure_gpt35turbo_prompt_filter_first_chunk => "azure/oll_azure_gpt35turbo_prompt_filter_first_chunk.sse",
    azure__oll_azure_gpt41mini_filters_obfuscation => "azure/oll_azure_gpt41mini_filters_obfuscation.sse",
    azure__quarkus_azure_gpt4o_hallo_welt => "azure/quarkus_azure_gpt4o_hallo_welt.sse",
    bedrock__oll_bedrock_converse_stream_claude3_tool_use => "bedrock/oll_bedrock_converse_stream_claude3_tool_use.bin",
    bedrock__oll_bedrock_invoke_stream_claude3_sonnet => "bedrock/oll_bedrock_invoke_stream_claude3_sonnet.bin",
    cohere__luna_cohere_v1_chat_ndjson => "cohere/luna_cohere_v1_chat_ndjson.ndjson",
    cohere__oll_cohere_v2_chat_text => "cohere/oll_cohere_v2_chat_text.sse",
    cohere__oll_cohere_v2_chat_tool_calls => "cohere/oll_cohere_v2_chat_tool_calls.sse",
    deepseek__oll_deepseek_beta_chat_usage => "deepseek/oll_deepseek_beta_chat_usage.sse",
    deepseek__pydai_deepseek_reasoner_reasoning_content => "deepseek/pydai_deepseek_reasoner_reasoning_content.sse",
    edge_cases__reconstructed_anthropic_error_event_overloaded_with_request_id => "edge_cases/reconstructed_anthropic_error_event_overloaded_with_request_id.sse",
    edge_cases__synthetic_anthropic_error_event_overloaded => "edge_cases/synthetic_anthropic_error_event_overloaded.sse",
    edge_cases__synthetic_event_without_data => "edge_cases/synthetic_event_without_data.sse",
    edge_cases__synthetic_multibyte_utf8_split_across_reads => "edge_cases/synthetic_multibyte_utf8_split_across_reads.sse",
    edge_cases__synthetic_multiline_data_with_empty_data_lines => "edge_cases/synthetic_multiline_data_with_empty_data_lines.sse",
    edge_cases__synthetic_u2028_inside_json_string => "edge_cases/synthetic_u2028_inside_json_string.sse",
    gemini__curlpaste_gemini20_flash_json_array => "gemini/curlpaste_gemini20_flash_json_array.jsonarray",
    gemini__gigurra_vertex_gemini15_flash_json_array => "gemini/gigurra_vertex_gemini15_flash_json_array.jsonarray",
    gemini__pydai_gemini20_flash_exp_crlf => "gemini/pydai_gemini20_flash_exp_crlf.sse",
    gemini__pydai_gemini25_flash_single_chunk => "gemini/pydai_gemini25_flash_single_chunk.sse",
    gemini__pydai_gemini25_pro_thinking => "gemini/pydai_gemini25_pro_thinking.sse",
    gemini__pydai_gemini3_pro_tool_call_thought_signature => "gemini/pydai_gemini3_pro_tool_call_thought_signature.sse",
    gemini__pydai_vertex_gemini3_flash_flex => "gemini/pydai_vertex_gemini3_flash_flex.sse",
    groq__oll_groq_chat_stream_x_groq => "groq/oll_groq_chat_stream_x_groq.sse",
    groq__pydai_groq_gptoss_content_then_event_error => "groq/pydai_groq_gptoss_content_then_event_error.sse",
    groq__pydai_groq_gptoss_reasoning_then_event_error => "groq/pydai_groq_gptoss_reasoning_then_event_error.sse",
    groq__pydai_groq_gptoss_text_x_groq_usage => "groq/pydai_groq_gptoss_text_x_groq_usage.sse",
    groq__pydai_groq_gptoss_tool_call_x_groq_usage => "groq/pydai_groq_gptoss_tool_call_x_groq_usage.sse",
    hf_router__hfh_cerebras_llama33_70b => "hf_router/hfh_cerebras_llama33_70b.sse",
    hf_router__hfh_fireworks_chat => "hf_router/hfh_fireworks_chat.sse",
    hf_router__hfh_novita_chat => "hf_router/hfh_novita_chat.sse",
    hf_router__hfh_sambanova_llama31_8b_big_chunks => "hf_router/hfh_sambanova_llama31_8b_big_chunks.sse",
    hf_router__hfh_together_chat => "hf_router/hfh_together_chat.sse",
    hf_router__pydai_hf_router_novita_chat => "hf_router/pydai_hf_router_novita_chat.sse",
    mistral__oll_mistral_chat_stream => "mistral/oll_mistral_chat_stream.sse",
    mistral__pydai_mistral_magistral_thinking => "mistral/pydai_mistral_magistral_thinking.sse",
    ollama__oll_ollama_api_chat_llama3 => "ollama/oll_ollama_api_chat_llama3.ndjson",
    ollama__oll_ollama_api_generate => "ollama/oll_ollama_api_generate.ndjson",
    openai_chat__openai_python_gpt4o_content_logprobs => "openai_chat/openai_python_gpt4o_content_logprobs.sse",
    openai_chat__openai_python_gpt4o_finish_reason_length_max_tokens1 => "openai_chat/openai_python_gpt4o_finish_reason_length_max_tokens1.sse",
    openai_chat__openai_python_gpt4o_json_object_long_content => "openai_chat/openai_python_gpt4o_json_object_long_content.sse",
    openai_chat__openai_python_gpt4o_n3_multiple_choices => "openai_chat/openai_python_gpt4o_n3_multiple_choices.sse",
    openai_chat__openai_python_gpt4o_non_strict_tool_call => "openai_chat/openai_python_gpt4o_non_strict_tool_call.sse",
    openai_chat__openai_python_gpt4o_parallel_tool_calls => "openai_chat/openai_python_gpt4o_parallel_tool_calls.sse",
    openai_chat__openai_python_gpt4o_plain_text_include_usage => "openai_chat/openai_python_gpt4o_plain_text_include_usage.sse",
    openai_chat__openai_python_gpt4o_refusal_deltas => "openai_chat/openai_python_gpt4o_refusal_deltas.sse",
    openai_chat__openai_python_gpt4o_refusal_logprobs => "openai_chat/openai_python_gpt4o_refusal_logprobs.sse",
    openai_chat__openai_python_gpt4o_strict_tool_call => "openai_chat/openai_python_gpt4o_strict_tool_call.sse",
    openai_chat__openai_python_gpt4o_structured_output_json_content => "openai_chat/openai_python_gpt4o_structured_output_json_content.sse",
    openai_chat__openai_python_gpt4o_tool_call_single => "openai_chat/openai_python_gpt4o_tool_call_single.sse",
    openai_chat__pydai_gpt4o_mini_text_obfuscation_usage => "openai_chat/pydai_gpt4o_mini_text_obfuscation_usage.sse",
    openai_chat__pydai_gpt4o_mini_tool_call_obfuscation => "openai_chat/pydai_gpt4o_mini_tool_call_obfuscation.sse",
    openai_completions__oll_davinci002_completions_2026 => "openai_completions/oll_davinci002_completions_2026.sse",
    openai_completions__oll_davinci002_completions_length => "openai_completions/oll_davinci002_completions_length.sse",
    openai_responses__oll_responses_streaming_with_content => "openai_responses/oll_responses_streaming_with_content.sse",
    openai_responses__pydai_responses_function_call_gpt4o => "openai_responses/pydai_responses_function_call_gpt4o.sse",
    openai_responses__pydai_responses_reasoning_function_call_usage => "openai_responses/pydai_responses_reasoning_function_call_usage.sse",
    openai_responses__pydai_responses_text_gpt4o => "openai_responses/pydai_responses_text_gpt4o.sse",
    openai_responses__pydai_responses_text_logprobs_gpt4o_mini => "openai_responses/pydai_responses_text_logprobs_gpt4o_mini.sse",
    openrouter__pydai_openrouter_comments_midstream_error => "openrouter/pydai_openrouter_comments_midstream_error.sse",
    openrouter__pydai_openrouter_responses_api_raw_cot => "openrouter/pydai_openrouter_responses_api_raw_cot.sse",
    openrouter__pydai_openrouter_streaming_reasoning => "openrouter/pydai_openrouter_streaming_reasoning.sse",
    replicate__oll_replicate_llama_event_id_multiline => "replicate/oll_replicate_llama_event_id_multiline.sse",
    snowflake__pydai_snowflake_cortex_streaming => "snowflake/pydai_snowflake_cortex_streaming.sse",
    tgi__hfh_tgi_generate_stream_flan_t5_details_nospace => "tgi/hfh_tgi_generate_stream_flan_t5_details_nospace.sse",
    tgi__hfh_tgi_generate_stream_gpt2_details => "tgi/hfh_tgi_generate_stream_gpt2_details.sse",
    tgi__hfh_tgi_messages_api_llama31_chat => "tgi/hfh_tgi_messages_api_llama31_chat.sse",
    watsonx__oll_watsonx_text_stream_id_fields => "watsonx/oll_watsonx_text_stream_id_fields.sse",
    zai__pydai_zai_glm_thinking_stream => "zai/pydai_zai_glm_thinking_stream.sse",
}

/// Sidecar values this crate deliberately does not reproduce: (file, what, why). The
/// corresponding check expects the value given by [`usage_override`].
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[
    (
        "cohere/luna_cohere_v1_chat_ndjson.ndjson",
        "usage_normalized.prompt_tokens: 82, not 10",
        "the sidecar reads stream-end `meta.billed_units` (10 input tokens); we read `meta.tokens` \
         (82, the tokens the model read) when present, as the corpus' own Cohere v2 sidecars do \
         (`message-end.delta.usage.tokens`). Billed units exclude Cohere's free preamble.",
    ),
    (
        "tgi/hfh_tgi_generate_stream_gpt2_details.sse",
        "usage_normalized.prompt_tokens: 1, not null",
        "the last event's `details.input_length` (1) is TGI's prompt token count; the sidecar \
         ignores it.",
    ),
];

/// The (prompt, completion) usage we produce where [`KNOWN_DISAGREEMENTS`] lists the file.
fn usage_override(file: &str) -> Option<(Option<u64>, Option<u64>)> {
    match file {
        "cohere/luna_cohere_v1_chat_ndjson.ndjson" => Some((Some(82), Some(26))),
        "tgi/hfh_tgi_generate_stream_gpt2_details.sse" => Some((Some(1), Some(1))),
        _ => None,
    }
}

/// A tiny deterministic PRNG (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// How to cut a body into reads.
#[derive(Debug, Clone)]
enum Split {
    Whole,
    Bytewise,
    /// Random read sizes (1..=max) from a seed.
    Random {
        seed: u64,
        max: usize,
    },
    /// Given read sizes, then the rest.
    Sizes(Vec<usize>),
}

const SPLITS: [Split; 6] = [
    Split::Whole,
    Split::Bytewise,
    Split::Random { seed: 1, max: 7 },
    Split::Random { seed: 2, max: 64 },
    Split::Random { seed: 3, max: 512 },
    Split::Random {
        seed: 0xC0FFEE,
        max: 4096,
    },
];

/// The reads `bytes` is cut into.
fn reads<'a>(bytes: &'a [u8], split: &Split) -> Vec<&'a [u8]> {
    match split {
        Split::Whole => vec![bytes],
        Split::Bytewise => bytes.chunks(1).collect(),
        Split::Random { seed, max } => {
            let mut rng = SplitMix(*seed);
            let mut out = Vec::new();
            let mut rest = bytes;
            while !rest.is_empty() {
                let n = (1 + (rng.next() % *max as u64) as usize).min(rest.len());
                let (read, tail) = rest.split_at(n);
                out.push(read);
                rest = tail;
            }
            out
        }
        Split::Sizes(sizes) => {
            let mut out = Vec::new();
            let mut rest = bytes;
            for &n in sizes {
                let (read, tail) = rest.split_at(n.min(rest.len()));
                out.push(read);
                rest = tail;
            }
            out.push(rest);
            out
        }
    }
}

/// A delta and the byte span `[start, end)` of the read that completed its unit (`None` if
/// `finish` emitted it).
struct Timed {
    delta: Delta,
    read: Option<(usize, usize)>,
}

/// Parses `bytes` with `format` in the reads of `split`; returns the deltas and how many came
/// before `finish`.
fn parse(format: WireFormat, bytes: &[u8], split: &Split) -> Result<(Vec<Timed>, usize), String> {
    let mut parser = StreamParser::new(format);
    let mut out = Vec::new();
    let mut timed = Vec::new();
    let mut offset = 0;
    for read in reads(bytes, split) {
        let start = offset;
        offset += read.len();
        parser
            .feed(read, &mut out)
            .map_err(|e| format!("feed failed: {e}"))?;
        timed.extend(out.drain(..).map(|delta| Timed {
            delta,
            read: Some((start, offset)),
        }));
    }
    let before_finish = timed.len();
    parser
        .finish(&mut out)
        .map_err(|e| format!("finish failed: {e}"))?;
    timed.extend(out.drain(..).map(|delta| Timed { delta, read: None }));
    Ok((timed, before_finish))
}

/// The bytes and the sidecar of a stream of the corpus (`file` relative to its directory),
/// or `None` when the corpus is absent (see [`corpus_dir`]).
pub(super) fn load(file: &str) -> Option<(Vec<u8>, Value)> {
    let dir = corpus_dir()?;
    let path = dir.join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sidecar = std::fs::read_to_string(path.with_extension("json"))
        .unwrap_or_else(|e| panic!("sidecar of {}: {e}", path.display()));
    let sidecar = serde_json::from_str(&sidecar)
        .unwrap_or_else(|e| panic!("sidecar of {}: {e}", path.display()));
    Some((bytes, sidecar))
}

/// The test of one stream.
fn check_file(file: &str) {
    // Every split of every stream keeps a core busy: never beside a test that measures time.
    let _alone = crate::test_support::exclusive_blocking();
    let Some((bytes, sidecar)) = load(file) else {
        return;
    };
    let wire = sidecar["wire_format"].as_str().unwrap_or_default();
    let failures = if wire == "none" {
        check_framing_only(&bytes, &sidecar)
    } else {
        let format = WireFormat::from_corpus_name(wire)
            .unwrap_or_else(|| panic!("{file}: no parser for wire_format {wire:?}"));
        let want = Expected::from_sidecar(file, format, &sidecar);
        let mut failures = Vec::new();
        let mut reference: Option<Vec<Delta>> = None;
        for split in &SPLITS {
            let mut fails = check_split(format, &bytes, &want, split);
            if let Ok((timed, _)) = parse(format, &bytes, split) {
                let deltas: Vec<Delta> = timed.into_iter().map(|t| t.delta).collect();
                match &reference {
                    None => reference = Some(deltas),
                    Some(r) if *r != deltas => fails.push("deltas differ from a whole read".into()),
                    Some(_) => {}
                }
            }
            failures.extend(fails.into_iter().map(|f| format!("{split:?}: {f}")));
        }
        failures
    };
    assert!(
        failures.is_empty(),
        "{file}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What a sidecar expects.
#[derive(Debug)]
struct Expected {
    text: String,
    per_choice: Option<Vec<(u32, String)>>,
    reasoning: String,
    refusal: String,
    /// The concatenated tool-call output, in call order, where the sidecar gives the calls.
    tool_arguments: Option<String>,
    usage: Option<(Option<u64>, Option<u64>)>,
    has_errors: bool,
    /// Event indices of the errors, where the sidecar gives them.
    error_indices: Vec<u64>,
    /// Every finish reason, in order (`finish_reasons`), where given.
    finish_reasons: Option<Vec<String>>,
    /// The last finish reason (`finish_reason`, `stop_reason`, `done_reason`,
    /// `details.finish_reason`), where given.
    last_finish_reason: Option<String>,
    /// Whether a terminator arrives before `finish`, where the sidecar says.
    done_before_finish: Option<bool>,
    /// Units dispatched before `finish` (`unit_count`, else `chunks`), where given.
    units: Option<usize>,
    /// `finish` emits one more unit (an unterminated last SSE event).
    trailing: bool,
    first_content: Option<(usize, Option<usize>)>,
    first_output: Option<(usize, Option<usize>)>,
}

impl Expected {
    fn from_sidecar(file: &str, format: WireFormat, sidecar: &Value) -> Expected {
        let e = &sidecar["expected"];
        let string = |key: &str| e[key].as_str().map(str::to_owned);
        let first = |index: &str, range: &str| {
            e[index]
                .as_u64()
                .map(|i| (i as usize, e[range][1].as_u64().map(|end| end as usize)))
        };
        let per_choice = e["per_choice_text"].as_object().map(|m| {
            let mut v: Vec<(u32, String)> = m
                .iter()
                .map(|(k, t)| (k.parse().unwrap(), t.as_str().unwrap().to_owned()))
                .collect();
            v.sort();
            v
        });
        let reasoning = [
            "reasoning_text",
            "thinking_text",
            "thought_text",
            "tool_plan",
        ]
        .into_iter()
        .find_map(&string)
        .unwrap_or_default();
        let usage = usage_override(file).or_else(|| {
            e["usage_normalized"].as_object().map(|u| {
                (
                    u.get("prompt_tokens").and_then(Value::as_u64),
                    u.get("completion_tokens").and_then(Value::as_u64),
                )
            })
        });
        let first_content = first(
            "first_content_event_index",
            "first_content_event_byte_range",
        );
        // Formats whose sidecars have no `first_output_event_index` (no reasoning or tool
        // output in them): the first output is the first content.
        let first_output = if e.get("first_output_event_index").is_some() {
            first("first_output_event_index", "first_output_event_byte_range")
        } else {
            first_content
        };
        let done_before_finish = match format {
            WireFormat::OpenAiChat | WireFormat::OpenAiCompletions => e["done"].as_bool(),
            WireFormat::OpenAiResponses => {
                Some(e["done"].as_bool() == Some(true) || e["terminal_event"].as_str().is_some())
            }
            WireFormat::Anthropic | WireFormat::BedrockInvokeAnthropic => e["event_types"]
                .as_object()
                .map(|t| t.get("message_stop").is_some()),
            // ConverseStream ends with its `metadata` event.
            WireFormat::BedrockConverse => e["event_types"]
                .as_object()
                .map(|t| t.get("metadata").is_some()),
            _ => None,
        };
        let last_finish_reason = ["finish_reason", "stop_reason", "done_reason"]
            .into_iter()
            .find_map(&string)
            .or_else(|| e["details"]["finish_reason"].as_str().map(str::to_owned));
        Expected {
            text: string("text").unwrap_or_default(),
            per_choice,
            reasoning,
            refusal: string("refusal_text").unwrap_or_default(),
            tool_arguments: expected_tool_arguments(format, e),
            usage,
            has_errors: e["errors"].as_array().is_some_and(|a| !a.is_empty()),
            error_indices: e["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|err| err["index"].as_u64())
                .collect(),
            finish_reasons: e["finish_reasons"].as_array().map(|a| {
                a.iter()
                    .map(|r| r.as_str().unwrap_or_default().to_owned())
                    .collect()
            }),
            last_finish_reason,
            done_before_finish,
            units: e["unit_count"]
                .as_u64()
                .or_else(|| e["chunks"].as_u64())
                .map(|n| n as usize),
            trailing: sidecar["framing"]["incomplete_trailing_event"].as_bool() == Some(true),
            first_content,
            first_output,
        }
    }
}

/// The tool-call output a stream must produce, concatenated in call order, from the
/// sidecar's per-call view. OpenAI Chat puts each tool's name before its arguments (the
/// chunk that names the tool is output, see `openai::chunk`); the other formats announce the
/// name in a start event that is not output, so only arguments count.
fn expected_tool_arguments(format: WireFormat, e: &Value) -> Option<String> {
    /// Entries sorted by their numeric key parts ("0:1" → [0, 1]).
    fn sorted(map: &serde_json::Map<String, Value>) -> Vec<&Value> {
        let mut entries: Vec<(Vec<u64>, &Value)> = map
            .iter()
            .map(|(k, v)| (k.split(':').map(|p| p.parse().unwrap_or(0)).collect(), v))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.into_iter().map(|(_, v)| v).collect()
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match format {
        WireFormat::OpenAiChat => e["tool_calls"].as_object().map(|calls| {
            sorted(calls)
                .into_iter()
                .map(|c| text(&c["name"]) + c["arguments"].as_str().unwrap_or_default())
                .collect()
        }),
        WireFormat::CohereV2 => e["tool_calls"].as_object().map(|calls| {
            sorted(calls)
                .into_iter()
                .map(|c| text(&c["arguments"]))
                .collect()
        }),
        WireFormat::Anthropic => e["tool_input_json_by_block"]
            .as_object()
            .map(|blocks| sorted(blocks).into_iter().map(text).collect()),
        WireFormat::OpenAiResponses => e["function_call_arguments"]
            .as_object()
            .map(|calls| calls.values().map(text).collect()),
        _ => None,
    }
}

/// Parses one split and checks it against the sidecar.
fn check_split(format: WireFormat, bytes: &[u8], want: &Expected, split: &Split) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |what: String| failures.push(what);
    let (timed, before_finish) = match parse(format, bytes, split) {
        Ok(r) => r,
        Err(e) => {
            fail(e);
            return failures;
        }
    };
    let mut text = String::new();
    let mut per_choice: Vec<(u32, String)> = Vec::new();
    let mut reasoning = String::new();
    let mut refusal = String::new();
    let mut tool_arguments = String::new();
    let mut usage = None;
    let mut errors = Vec::new();
    let mut error_indices = Vec::new();
    let mut done_before_finish = false;
    let mut finish_reasons = Vec::new();
    let mut first_answer = None;
    let mut first_output = None;
    for (i, t) in timed.iter().enumerate() {
        let delta = &t.delta;
        if delta.is_answer() && first_answer.is_none() {
            first_answer = Some((i, t.read));
        }
        if delta.is_output() && first_output.is_none() {
            first_output = Some((i, t.read));
        }
        text.push_str(&delta.text);
        if !delta.text.is_empty() {
            add_choice_text(&mut per_choice, 0, &delta.text);
        }
        for (index, t) in &delta.other_choice_text {
            add_choice_text(&mut per_choice, *index, t);
        }
        reasoning.push_str(&delta.reasoning);
        refusal.push_str(&delta.refusal);
        tool_arguments.push_str(&delta.tool_arguments);
        if let Some(u) = delta.usage {
            usage = Some((u.prompt_tokens, u.completion_tokens));
        }
        if let Some(error) = &delta.error {
            error_indices.push(i as u64);
            errors.push(error.clone());
        }
        done_before_finish |= delta.done && i < before_finish;
        finish_reasons.extend(delta.finish_reason.clone());
    }
    if let Some(units) = want.units {
        if before_finish != units {
            fail(format!(
                "{before_finish} units before finish, the sidecar counts {units}"
            ));
        }
    }
    let flushed = timed.len() - before_finish;
    if flushed != usize::from(want.trailing) {
        fail(format!(
            "finish() emitted {flushed} unit(s), incomplete_trailing_event is {}",
            want.trailing
        ));
    }
    for (what, got, expected) in [
        ("text", &text, &want.text),
        ("reasoning", &reasoning, &want.reasoning),
        ("refusal", &refusal, &want.refusal),
    ] {
        if got != expected {
            fail(format!(
                "{what} differs:\n  got      {got:?}\n  expected {expected:?}"
            ));
        }
    }
    if let Some(want_per_choice) = &want.per_choice {
        per_choice.sort();
        if &per_choice != want_per_choice {
            fail(format!(
                "per_choice_text differs: got {per_choice:?}, expected {want_per_choice:?}"
            ));
        }
    }
    if let Some(want_tools) = &want.tool_arguments {
        if &tool_arguments != want_tools {
            fail(format!(
                "tool-call output differs:\n  got      {tool_arguments:?}\n  expected {want_tools:?}"
            ));
        }
    }
    if usage != want.usage {
        fail(format!(
            "usage (prompt, completion) differs: got {usage:?}, expected {:?}",
            want.usage
        ));
    }
    if errors.is_empty() == want.has_errors {
        fail(format!(
            "errors: got {errors:?}, expected some: {}",
            want.has_errors
        ));
    }
    if !want.error_indices.is_empty() && error_indices != want.error_indices {
        fail(format!(
            "errors at events {error_indices:?}, expected at {:?}",
            want.error_indices
        ));
    }
    // The reference parser drops an unterminated last event, so compare what came before
    // `finish` (a terminator flushed by `finish` is ours only).
    if let Some(want_done) = want.done_before_finish {
        if done_before_finish != want_done {
            fail(format!(
                "terminator before finish: {done_before_finish}, expected {want_done}"
            ));
        }
    }
    if let Some(want_reasons) = &want.finish_reasons {
        if &finish_reasons != want_reasons {
            fail(format!(
                "finish reasons: got {finish_reasons:?}, expected {want_reasons:?}"
            ));
        }
    }
    if let Some(want_last) = &want.last_finish_reason {
        if finish_reasons.last() != Some(want_last) {
            fail(format!(
                "last finish reason: got {:?}, expected {want_last:?}",
                finish_reasons.last()
            ));
        }
    }
    for (what, got, want) in [
        ("first answer (is_answer)", first_answer, want.first_content),
        ("first output (is_output)", first_output, want.first_output),
    ] {
        match (got, want) {
            (None, None) => {}
            (Some((i, read)), Some((want_i, end))) => {
                if i != want_i {
                    fail(format!("{what} is unit #{i}, expected #{want_i}"));
                } else if let Some(end) = end {
                    // The unit is complete once byte `end - 1` has arrived: the read that
                    // delivers that byte (and no earlier one) must emit it. Except for CRLF
                    // framing (Gemini): the blank line that dispatches an SSE event ends at
                    // its CR (a CR alone is a line end, WHATWG), so the event is complete one
                    // byte before the sidecar's range ends, with the LF still to come.
                    let crlf = format.framing() == Framing::Sse
                        && end >= 2
                        && &bytes[end - 2..end] == b"\r\n";
                    let last = if crlf { end - 2 } else { end - 1 };
                    if !read.is_some_and(|(start, stop)| start <= last && last < stop) {
                        fail(format!(
                            "{what} unit #{i} was emitted by the read of bytes {read:?}, expected by the read delivering byte {last} (range [.., {end}))"
                        ));
                    }
                }
            }
            (got, want) => fail(format!(
                "{what}: got {:?}, expected {want:?}",
                got.map(|(i, _)| i)
            )),
        }
    }
    failures
}

fn add_choice_text(per_choice: &mut Vec<(u32, String)>, index: u32, text: &str) {
    match per_choice.iter_mut().find(|(i, _)| *i == index) {
        Some((_, t)) => t.push_str(text),
        None => per_choice.push((index, text.to_owned())),
    }
}

/// A framing-only case (`wire_format: none`): the SSE decoder must dispatch `unit_count`
/// events, whatever the split (also the read sizes of the original SDK test, where given),
/// with the event names, data and JSON the SDK test expects.
fn check_framing_only(bytes: &[u8], sidecar: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let test = &sidecar["expected_from_test"];
    let mut splits = SPLITS.to_vec();
    if let Some(sizes) = test["original_chunk_boundaries_bytes"].as_array() {
        splits.push(Split::Sizes(
            sizes
                .iter()
                .filter_map(Value::as_u64)
                .map(|n| n as usize)
                .collect(),
        ));
    }
    for split in &splits {
        // The crate's SSE framing with its default limits, as the parsers use it.
        let mut decoder = Poisoning::new(SseDecoder::new());
        let mut events = Vec::new();
        for read in reads(bytes, split) {
            if let Err(e) = decoder.feed(read, &mut events) {
                failures.push(format!("{split:?}: {e}"));
            }
        }
        let before_finish = events.len();
        if let Err(e) = decoder.finish(&mut events) {
            failures.push(format!("{split:?}: {e}"));
        }
        let mut fail = |what: String| failures.push(format!("{split:?}: {what}"));
        if let Some(units) = sidecar["expected"]["unit_count"].as_u64() {
            if before_finish as u64 != units || events.len() != before_finish {
                fail(format!(
                    "{} events ({before_finish} before finish), expected {units}",
                    events.len()
                ));
            }
        }
        if let Some(n) = test["events"].as_u64() {
            if events.len() as u64 != n {
                fail(format!("{} events, the SDK test expects {n}", events.len()));
            }
        }
        let details: Vec<(Option<&str>, Option<&str>)> = match test["events_detail"].as_array() {
            Some(list) => list
                .iter()
                .map(|d| (d["event"].as_str(), d["data"].as_str()))
                .collect(),
            None if test["event"].is_string() || test["data"].is_string() => {
                vec![(test["event"].as_str(), test["data"].as_str())]
            }
            None => Vec::new(),
        };
        for (i, (event, data)) in details.into_iter().enumerate() {
            let Some(got) = events.get(i) else {
                fail(format!("event #{i} missing"));
                continue;
            };
            if event.is_some() && got.event.as_deref() != event {
                fail(format!(
                    "event #{i} name {:?}, expected {event:?}",
                    got.event
                ));
            }
            if data.is_some_and(|d| d != got.data) {
                fail(format!("event #{i} data {:?}, expected {data:?}", got.data));
            }
        }
        let json: Vec<&Value> = match &test["json"] {
            Value::Array(list) => list.iter().collect(),
            Value::Null => Vec::new(),
            one => vec![one],
        };
        for (i, want) in json.into_iter().enumerate() {
            match events
                .get(i)
                .map(|e| serde_json::from_str::<Value>(&e.data))
            {
                Some(Ok(got)) if &got == want => {}
                other => fail(format!("event #{i} JSON {other:?}, expected {want}")),
            }
        }
    }
    failures
}

/// Every data file of the corpus has a test above, and every test's file exists.
#[test]
fn corpus_list_covers_every_stream() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, found);
            } else if path.extension().is_some_and(|e| e != "json" && e != "md") {
                let name = path.strip_prefix(root).unwrap().to_string_lossy();
                found.push(name.replace('\\', "/"));
            }
        }
    }
    let mut found = Vec::new();
    walk(&dir, &dir, &mut found);
    let untested: Vec<&String> = found
        .iter()
        .filter(|f| !FILES.contains(&f.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "streams without a test (add them to corpus_tests!): {untested:?}"
    );
    let missing: Vec<&&str> = FILES
        .iter()
        .filter(|f| !found.iter().any(|g| g == *f))
        .collect();
    assert!(missing.is_empty(), "tests of missing files: {missing:?}");
    assert_eq!(FILES.len(), found.len(), "every stream is tested");
    eprintln!(
        "{} streams tested; known sidecar disagreements:",
        FILES.len()
    );
    for (file, what, why) in KNOWN_DISAGREEMENTS {
        eprintln!("  {file}: {what}: {why}");
    }
}

/// What the ConverseStream sidecar does not give (it has no tool calls, stop reason or
/// output index): the recording's tool call (`get_weather`, announced by `contentBlockStart`,
/// which is not output, then its `toolUse.input` fragments), its `stopReason`, and the
/// `metadata` event that ends it. Values read from the recorded frames.
#[test]
fn bedrock_converse_tool_call() {
    let file = "bedrock/oll_bedrock_converse_stream_claude3_tool_use.bin";
    let Some((bytes, _)) = load(file) else { return };
    for split in &SPLITS {
        let (timed, before_finish) =
            parse(WireFormat::BedrockConverse, &bytes, split).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(before_finish, 25, "{split:?}");
        let tool_arguments: String = timed
            .iter()
            .map(|t| t.delta.tool_arguments.as_str())
            .collect();
        assert_eq!(tool_arguments, r#"{"location": "Barcelona"}"#, "{split:?}");
        // Frame #16 (contentBlockStart naming the tool) and #17 (an empty input) are not
        // output; #18 is the first tool output.
        let first_tool = timed
            .iter()
            .position(|t| !t.delta.tool_arguments.is_empty());
        assert_eq!(first_tool, Some(18), "{split:?}");
        assert!(!timed[16].delta.is_output() && !timed[17].delta.is_output());
        let reasons: Vec<&str> = timed
            .iter()
            .filter_map(|t| t.delta.finish_reason.as_deref())
            .collect();
        assert_eq!(reasons, ["tool_use"], "{split:?}");
        let done: Vec<usize> = (0..timed.len()).filter(|&i| timed[i].delta.done).collect();
        assert_eq!(done, [24], "{split:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Recorded streams of the corpus, served byte for byte through the built-in client: the
// HTTP path must give what the parser gives for the same bytes.

/// The provider whose client reads a corpus wire format.
fn provider_for(format: WireFormat, folder: &str) -> Option<Provider> {
    Some(match format {
        WireFormat::OpenAiChat if folder == "azure" => Provider::AzureOpenAi,
        WireFormat::OpenAiChat => Provider::OpenAiChat,
        WireFormat::OpenAiResponses => Provider::OpenAiResponses,
        WireFormat::OpenAiCompletions => Provider::OpenAiCompletions,
        WireFormat::Anthropic => Provider::Anthropic,
        WireFormat::GeminiSse => Provider::Gemini,
        WireFormat::CohereV2 => Provider::CohereV2,
        WireFormat::CohereV1 => Provider::CohereV1,
        WireFormat::OllamaChat => Provider::Ollama,
        WireFormat::Tgi => Provider::Tgi,
        _ => return None,
    })
}

/// What the parser gives for a whole body: text, reasoning, the last usage, the first error.
fn parse_locally(
    format: WireFormat,
    body: &[u8],
) -> (String, String, Option<crate::Usage>, Option<String>) {
    let mut parser = StreamParser::new(format);
    let mut deltas = Vec::new();
    let _ = parser.feed(body, &mut deltas);
    let _ = parser.finish(&mut deltas);
    let (mut text, mut reasoning, mut usage) = (String::new(), String::new(), None);
    for d in &deltas {
        if let Some(e) = &d.error {
            return (text, reasoning, usage, Some(e.clone()));
        }
        text.push_str(&d.text);
        reasoning.push_str(&d.reasoning);
        usage = d.usage.or(usage);
        if d.done {
            break;
        }
    }
    (text, reasoning, usage, None)
}

/// Serves one HTTP response on 127.0.0.1 (an OS-assigned port): `body` in 97-byte writes,
/// so events straddle reads, then a clean close. Returns the base URL (`.../v1`).
async fn serve_once(content_type: &'static str, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        // Read the request head and its body (the client sends a small JSON body).
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = socket.read(&mut buf).await {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if request.len() >= head_end + 4 + length {
                    break;
                }
            }
        }
        let head =
            format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\nconnection: close\r\n\r\n");
        let _ = socket.write_all(head.as_bytes()).await;
        for chunk in body.chunks(97) {
            if socket.write_all(chunk).await.is_err() {
                return;
            }
            let _ = socket.flush().await;
        }
    });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn corpus_streams_through_the_client() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let mut checked = 0;
    let mut folders: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    folders.sort_by_key(|e| e.path());
    for folder in folders {
        let folder_name = folder.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(folder.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for sidecar in files {
            let meta: Value =
                serde_json::from_str(&std::fs::read_to_string(&sidecar).unwrap()).unwrap();
            let Some(format) = meta["wire_format"]
                .as_str()
                .and_then(WireFormat::from_corpus_name)
            else {
                continue;
            };
            let Some(provider) = provider_for(format, &folder_name) else {
                continue;
            };
            let data = ["sse", "ndjson"]
                .iter()
                .map(|ext| sidecar.with_extension(ext))
                .find(|p| p.is_file());
            let Some(data) = data else { continue };
            let body = std::fs::read(&data).unwrap();
            let want = parse_locally(format, &body);
            let content_type = if format == WireFormat::CohereV1 || format == WireFormat::OllamaChat
            {
                "application/x-ndjson"
            } else {
                "text/event-stream"
            };
            let base = serve_once(content_type, body.clone()).await;
            let c = Client::builder()
                .provider(provider.clone())
                .base_url(base)
                .model("m")
                .deployment("d")
                .build()
                .unwrap();
            let name = data.display().to_string();
            match (c.complete(&ChatRequest::new("x")).await, want) {
                (Ok(done), (text, reasoning, usage, None)) => {
                    assert_eq!(done.text, text, "{name}");
                    assert_eq!(done.reasoning, reasoning, "{name}");
                    assert_eq!(done.usage, usage, "{name}");
                }
                (Err(Error::MidStream(m)), (_, _, _, Some(e))) => assert_eq!(m, e, "{name}"),
                (got, want) => panic!("{name}: got {got:?}, the parser gives {want:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} corpus streams were checked");
}
