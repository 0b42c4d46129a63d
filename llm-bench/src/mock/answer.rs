//! What one answer is made of, whatever the dialect: reasoning tokens first, then answer
//! tokens, and whether `max_tokens` cut it.

use super::profile::LatencyProfile;

/// Reasoning tokens a request that asks for reasoning gets when the profile's
/// [`reasoning_tokens`](LatencyProfile::reasoning_tokens) is 0: OpenAI `reasoning_effort`
/// (other than `"none"`), Anthropic `thinking: {"type": "enabled"}`, Gemini
/// `thinkingConfig.includeThoughts: true`.
pub(crate) const DEFAULT_REASONING_TOKENS: u32 = 8;

/// The kind of one output token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Reasoning (OpenAI `reasoning_content`, Anthropic thinking, a Gemini thought part).
    Reasoning,
    /// Answer text.
    Answer,
}

/// The plan of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The profile's seed (it picks the words).
    pub(crate) seed: u64,
    /// The prompt size reported.
    pub(crate) prompt_tokens: u32,
    /// Reasoning tokens generated, before the answer.
    pub(crate) reasoning: u32,
    /// The reasoning tokens are sent. When false (Gemini without `includeThoughts`), they
    /// still take their time and are counted in usage, but nothing is written for them.
    pub(crate) reasoning_streamed: bool,
    /// Answer tokens.
    pub(crate) answer: u32,
    /// `max_tokens` cut the output (finish reason `length` / `max_tokens` / `MAX_TOKENS`).
    pub(crate) cut: bool,
}

impl Answer {
    /// The plan for a request with this `max_tokens` that gets `reasoning` reasoning tokens.
    ///
    /// `max_tokens` caps reasoning and answer together, as the real APIs count it: the
    /// reasoning gets `min(reasoning, max_tokens)`, the answer
    /// `min(output_tokens, max_tokens - reasoning)`; the output was cut when
    /// `max_tokens <= reasoning + output_tokens` (so without reasoning this is exactly
    /// [`LatencyProfile::answer_length`]).
    pub(crate) fn plan(
        profile: &LatencyProfile,
        max_tokens: Option<u32>,
        reasoning: u32,
        reasoning_streamed: bool,
        prompt_tokens: u32,
    ) -> Answer {
        let natural = profile.output_tokens.max(1);
        let (reasoning, answer, cut) = match max_tokens {
            Some(m) if u64::from(m) <= u64::from(reasoning) + u64::from(natural) => {
                let r = reasoning.min(m);
                (r, (m - r).min(natural), true)
            }
            _ => (reasoning, natural, false),
        };
        Answer {
            seed: profile.seed,
            prompt_tokens,
            reasoning,
            reasoning_streamed,
            answer,
            cut,
        }
    }

    /// Every output token generated, reasoning included (OpenAI's `completion_tokens`,
    /// Anthropic's `output_tokens`).
    pub(crate) fn total(&self) -> u32 {
        self.reasoning.saturating_add(self.answer)
    }

    /// Reasoning tokens generated but not sent.
    pub(crate) fn hidden(&self) -> u32 {
        if self.reasoning_streamed {
            0
        } else {
            self.reasoning
        }
    }

    /// Reasoning tokens sent.
    pub(crate) fn streamed_reasoning(&self) -> u32 {
        self.reasoning - self.hidden()
    }

    /// Tokens sent, one per event.
    pub(crate) fn streamed(&self) -> u32 {
        self.streamed_reasoning().saturating_add(self.answer)
    }

    /// The kind of sent token `i` and its index among the tokens of its kind.
    pub(crate) fn kind(&self, i: u32) -> (TokenKind, u32) {
        let r = self.streamed_reasoning();
        if i < r {
            (TokenKind::Reasoning, i)
        } else {
            (TokenKind::Answer, i - r)
        }
    }

    /// The reasoning's whole text.
    pub(crate) fn reasoning_text(&self) -> String {
        super::text::expected_reasoning(self.seed, self.reasoning)
    }

    /// The answer's whole text.
    pub(crate) fn answer_text(&self) -> String {
        super::text::expected_text(self.seed, self.answer)
    }

    /// Appends the text of sent token `i` (no JSON escaping needed).
    pub(crate) fn push_token(&self, out: &mut String, i: u32) {
        match self.kind(i) {
            (TokenKind::Reasoning, j) => super::text::push_reasoning_token(out, self.seed, j),
            (TokenKind::Answer, j) => super::text::push_token(out, self.seed, j),
        }
    }
}

/// The reasoning a request gets: `asked` is what it asked for (`None`: nothing said, `Some(false)`:
/// reasoning turned off, `Some(true)`: reasoning asked for); `cap` a budget from the request.
///
/// - turned off: 0;
/// - asked for: the profile's count, or [`DEFAULT_REASONING_TOKENS`] when that is 0;
/// - nothing said: the profile's count.
///
/// Then capped by `cap`.
pub(crate) fn reasoning_for(
    profile: &LatencyProfile,
    asked: Option<bool>,
    cap: Option<u32>,
) -> u32 {
    let n = match asked {
        Some(false) => 0,
        Some(true) if profile.reasoning_tokens == 0 => DEFAULT_REASONING_TOKENS,
        _ => profile.reasoning_tokens,
    };
    cap.map_or(n, |c| n.min(c))
}
