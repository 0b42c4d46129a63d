//! The deterministic text of the simulated endpoint's answers, and its prompt-size estimate.

use serde_json::Value;

use super::profile::splitmix64;

/// The words answers are made of: one word is one token.
const WORDS: [&str; 64] = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "latency", "token", "stream",
    "model", "answer", "request", "server", "client", "bench", "measure", "time", "first", "byte",
    "output", "input", "prompt", "context", "window", "cache", "batch", "queue", "load", "rate",
    "burst", "steady", "signal", "noise", "sample", "median", "tail", "mean", "spread", "delta",
    "chunk", "event", "frame", "socket", "packet", "route", "region", "edge", "core", "thread",
    "task", "future", "async", "await", "poll", "ready", "pending", "wake", "sleep", "tick",
    "clock", "drift", "skew",
];

/// Salt of the answer's words.
const ANSWER_SALT: u64 = 0x746F_6B65_6E00_0000;
/// Salt of the reasoning's words (so reasoning and answer texts differ).
const REASONING_SALT: u64 = 0x7468_696E_6B00_0000;

/// The text of output token `index` (0-based) of every answer of a profile with this seed:
/// a word from a fixed list, with a leading space for every token but the first.
#[cfg(test)]
pub(crate) fn token_text(seed: u64, index: u32) -> String {
    let mut s = String::new();
    push_token(&mut s, seed, index);
    s
}

/// The whole answer text of `tokens` tokens for a profile with this seed (what a client
/// should reassemble from the stream): one word per token, separated by spaces, so every
/// answer of a profile is a prefix of the same text.
///
/// ```
/// use llm_bench::mock::expected_text;
/// let text = expected_text(7, 5);
/// assert!(!text.starts_with(' ') && text.split(' ').count() == 5);
/// assert!(text.starts_with(&expected_text(7, 4)));
/// ```
pub fn expected_text(seed: u64, tokens: u32) -> String {
    let mut s = String::with_capacity(tokens as usize * 8);
    for i in 0..tokens {
        push_token(&mut s, seed, i);
    }
    s
}

/// The text of reasoning token `index` (0-based) for a profile with this seed: like
/// [`token_text`], from a different sequence of the same words.
#[cfg(test)]
pub(crate) fn reasoning_token_text(seed: u64, index: u32) -> String {
    let mut s = String::new();
    push_reasoning_token(&mut s, seed, index);
    s
}

/// The whole reasoning text of `tokens` reasoning tokens for a profile with this seed (what
/// a client should reassemble from the reasoning / thinking / thought parts of a stream).
pub fn expected_reasoning(seed: u64, tokens: u32) -> String {
    let mut s = String::with_capacity(tokens as usize * 8);
    for i in 0..tokens {
        push_reasoning_token(&mut s, seed, i);
    }
    s
}

/// The position in [`WORDS`] of word `index` of a sequence.
fn word_index(seed: u64, salt: u64, index: u32) -> usize {
    let h = splitmix64(seed ^ splitmix64(salt | u64::from(index)));
    (h % WORDS.len() as u64) as usize
}

/// Appends word `index` of the sequence `salt` picks, after a space unless it is the first.
fn push_word(out: &mut String, seed: u64, salt: u64, index: u32) {
    if index > 0 {
        out.push(' ');
    }
    out.push_str(WORDS[word_index(seed, salt, index)]);
}

/// A token id for answer token `index` (TGI's `token.id`): one id per word of the list,
/// so the same word always has the same id.
pub(crate) fn answer_token_id(seed: u64, index: u32) -> u32 {
    // Word ids start above the few special tokens of a vocabulary.
    1000 + word_index(seed, ANSWER_SALT, index) as u32
}

/// A UUID-shaped id (version 4 layout) derived from `n`, for the APIs whose ids are UUIDs
/// (Cohere's message and generation ids, Azure's request ids).
pub(crate) fn uuid_like(n: u64) -> String {
    let a = splitmix64(n);
    let b = splitmix64(a ^ 0x5555_5555_5555_5555);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// Appends answer token `index` (words need no JSON escaping).
pub(crate) fn push_token(out: &mut String, seed: u64, index: u32) {
    push_word(out, seed, ANSWER_SALT, index);
}

/// Appends reasoning token `index` (words need no JSON escaping).
pub(crate) fn push_reasoning_token(out: &mut String, seed: u64, index: u32) {
    push_word(out, seed, REASONING_SALT, index);
}

/// Whitespace-separated words of a prompt value: a string, an array of strings or of parts
/// with a `text` field (OpenAI and Anthropic content parts, Gemini `parts`).
pub(crate) fn words(v: &Value) -> usize {
    match v {
        Value::String(s) => s.split_whitespace().count(),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p {
                Value::String(_) => words(p),
                Value::Object(o) => o.get("text").map_or(0, words),
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

/// A word count as a token count, saturating.
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_make_up_the_expected_texts() {
        let text: String = (0..5).map(|i| token_text(7, i)).collect();
        assert_eq!(text, expected_text(7, 5));
        assert!(!text.starts_with(' ') && text.split(' ').count() == 5);
        let reasoning: String = (0..4).map(|i| reasoning_token_text(7, i)).collect();
        assert_eq!(reasoning, expected_reasoning(7, 4));
        assert_ne!(reasoning, expected_text(7, 4));
    }
}
