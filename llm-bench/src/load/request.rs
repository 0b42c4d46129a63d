//! What a replayed trace asks of one request ([`TraceRequest`], from
//! [`Ctx::trace_request`](crate::Ctx::trace_request)).

use std::time::Duration;

use crate::load::trace::TraceEntry;
use crate::providers::ChatRequest;

/// Words of four characters with their space, each one token in the common BPE
/// vocabularies (and one token to the estimate, 4 characters a token): a synthetic prompt
/// of `n` of them is about `n` tokens long.
const FILLER: [&str; 8] = [
    " the", " and", " for", " you", " are", " was", " not", " but",
];

/// One entry of a replayed trace: when the request was due, and what it asked for.
#[derive(Debug, Clone, Copy)]
pub struct TraceRequest<'a> {
    entry: &'a TraceEntry,
}

impl<'a> TraceRequest<'a> {
    pub(crate) fn new(entry: &'a TraceEntry) -> Self {
        TraceRequest { entry }
    }

    /// When the request starts, from the start of the run.
    pub fn offset(&self) -> Duration {
        Duration::from_nanos(self.entry.offset_ns)
    }

    /// The prompt text, when the trace records it.
    pub fn prompt(&self) -> Option<&'a str> {
        self.entry.prompt.as_deref()
    }

    /// The prompt's length in tokens, when the trace records it.
    pub fn prompt_tokens(&self) -> Option<u32> {
        self.entry.prompt_tokens
    }

    /// How many tokens the request asks for, when the trace says.
    pub fn output_tokens(&self) -> Option<u32> {
        self.entry.output_tokens
    }

    /// The request this entry describes: its prompt (or, for a trace of lengths only, a
    /// synthetic prompt of about `prompt_tokens` tokens), and `max_tokens` set to its
    /// output length when it has one.
    ///
    /// ```
    /// # fn demo(entry: llm_bench::TraceRequest<'_>) {
    /// let request = entry.chat_request().temperature(0.0);
    /// # }
    /// ```
    pub fn chat_request(&self) -> ChatRequest {
        let prompt = match (self.prompt(), self.prompt_tokens()) {
            (Some(text), _) => text.to_string(),
            (None, Some(tokens)) => synthetic_prompt(tokens),
            (None, None) => synthetic_prompt(1),
        };
        let request = ChatRequest::new(prompt);
        match self.output_tokens() {
            Some(n) => request.max_tokens(n),
            None => request,
        }
    }
}

/// About `tokens` tokens of filler text (at least one word).
fn synthetic_prompt(tokens: u32) -> String {
    let words = tokens.max(1) as usize;
    let mut text = String::with_capacity(words * 4);
    for i in 0..words {
        text.push_str(FILLER[i % FILLER.len()]);
    }
    text.trim_start().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prompt: Option<&str>, prompt_tokens: Option<u32>, out: Option<u32>) -> TraceEntry {
        TraceEntry {
            offset_ns: 1_500_000,
            prompt: prompt.map(str::to_string),
            prompt_tokens,
            output_tokens: out,
        }
    }

    #[test]
    fn a_recorded_prompt_is_sent_as_is() {
        let e = entry(Some("Reset my password"), None, Some(64));
        let r = TraceRequest::new(&e);
        assert_eq!(r.offset(), Duration::from_micros(1500));
        let request = r.chat_request();
        assert_eq!(request.max_tokens_setting(), Some(64));
        let body = format!("{:?}", request.messages());
        assert!(body.contains("Reset my password"), "{body}");
    }

    #[test]
    fn a_length_becomes_a_prompt_of_about_that_many_tokens() {
        let text = synthetic_prompt(512);
        let estimated = crate::tokens::Tokenizer::estimate().count(&text);
        assert!((500..=524).contains(&estimated), "{estimated}");
        let e = entry(None, Some(100), None);
        assert_eq!(
            TraceRequest::new(&e).chat_request().max_tokens_setting(),
            None
        );
    }
}
