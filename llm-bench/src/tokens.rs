//! Counting output tokens: the estimate and, with the `tiktoken` feature, OpenAI's
//! encodings (see [`Tokenizer`]).

use crate::delta::Delta;

/// Counting output tokens when the API does not say how many it sent, and how many tokens
/// each streamed event carried (for ITL per token).
///
/// An API's usage report is always preferred (it is what the provider bills). llm-bench
/// counts tokens itself for two things: the output of streams that report no usage (a
/// user's own client through [`Ctx::track`](crate::Ctx::track), servers that ignore
/// `stream_options.include_usage`), and the tokens of each event, to spread an event's gap
/// over the tokens it carried.
///
/// Two counters:
///
/// * **estimate** (always available): a rule over the text's shape that imitates how
///   byte-pair encoders split text: a word of Latin letters counts one token per ten
///   letters or part of it (most words are one token), a run of digits one token per three
///   digits, a run of other symbols one per three, a run of line breaks one, each
///   other-script character (CJK, emoji, ...) one; a single space joins what follows it.
///   Over the 66 answer and reasoning texts of the recorded provider streams in the test
///   corpus it counts 3% more than `o200k_base` in total, and per text (of 20 tokens or
///   more) between 0.95 and 1.06 times it for the middle 80% (the `tiktoken` feature's test
///   `tokenizer_accuracy` prints the figures). Short or unusual texts can be further off.
/// * **exact** (cargo feature `tiktoken`): OpenAI's byte-pair encodings through
///   [`tiktoken-rs`](https://docs.rs/tiktoken-rs), chosen by model name (`gpt-4o`,
///   `gpt-4.1`, `gpt-5`, `o1`, `o3`, ... use `o200k_base`; `gpt-4`, `gpt-3.5-turbo` use
///   `cl100k_base`). Models of other vendors have other tokenizers, so they keep the
///   estimate.
///
/// ```
/// use llm_bench::Tokenizer;
/// let estimate = Tokenizer::estimate();
/// assert_eq!(estimate.count("Hello, world!"), 4);
/// assert_eq!(estimate.name(), "estimate");
/// assert!(!estimate.is_exact());
/// // Without the `tiktoken` feature every model gets the estimate.
/// # #[cfg(not(feature = "tiktoken"))]
/// assert_eq!(Tokenizer::for_model(Some("gpt-4o")).name(), "estimate");
/// ```
#[derive(Clone, Copy)]
pub struct Tokenizer {
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Estimate,
    #[cfg(feature = "tiktoken")]
    Bpe {
        name: &'static str,
        bpe: &'static tiktoken_rs::CoreBPE,
    },
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokenizer({})", self.name())
    }
}

impl Default for Tokenizer {
    /// The estimate.
    fn default() -> Self {
        Tokenizer::estimate()
    }
}

impl Tokenizer {
    /// The estimating counter (see [`Tokenizer`]).
    pub const fn estimate() -> Self {
        Tokenizer {
            kind: Kind::Estimate,
        }
    }

    /// The best counter for `model`: its exact encoding when the `tiktoken` feature is on
    /// and the model is an OpenAI model it knows, else the estimate.
    pub fn for_model(model: Option<&str>) -> Self {
        #[cfg(feature = "tiktoken")]
        if let Some(exact) = model.and_then(Tokenizer::exact) {
            return exact;
        }
        let _ = model;
        Tokenizer::estimate()
    }

    /// The exact encoding of an OpenAI `model` (`None` for models tiktoken does not know).
    ///
    /// ```
    /// use llm_bench::Tokenizer;
    /// let t = Tokenizer::exact("gpt-4o-mini").unwrap();
    /// assert_eq!(t.name(), "o200k_base");
    /// assert_eq!(t.count("Hello, world!"), 4);
    /// assert!(Tokenizer::exact("claude-sonnet-4-5").is_none());
    /// ```
    #[cfg(feature = "tiktoken")]
    pub fn exact(model: &str) -> Option<Self> {
        use tiktoken_rs::tokenizer::{get_tokenizer, Tokenizer as Encoding};
        let encoding = get_tokenizer(model.trim())?;
        let name = match encoding {
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::R50kBase => "r50k_base",
            Encoding::P50kEdit => "p50k_edit",
            Encoding::Gpt2 => "gpt2",
        };
        let bpe = tiktoken_rs::bpe_for_tokenizer(encoding).ok()?;
        Some(Tokenizer {
            kind: Kind::Bpe { name, bpe },
        })
    }

    /// The counter's name as runs record it: `estimate`, or the encoding's
    /// (`o200k_base`, `cl100k_base`, ...).
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Estimate => "estimate",
            #[cfg(feature = "tiktoken")]
            Kind::Bpe { name, .. } => name,
        }
    }

    /// True for an exact encoding, false for the estimate.
    pub fn is_exact(&self) -> bool {
        !matches!(self.kind, Kind::Estimate)
    }

    /// The number of tokens in `text` (0 for empty text).
    pub fn count(&self, text: &str) -> u32 {
        if text.is_empty() {
            return 0;
        }
        match self.kind {
            Kind::Estimate => estimate(text),
            #[cfg(feature = "tiktoken")]
            Kind::Bpe { bpe, .. } => {
                u32::try_from(bpe.encode_ordinary(text).len()).unwrap_or(u32::MAX)
            }
        }
    }

    /// The tokens of everything an event output: answer text of every choice, reasoning,
    /// refusal and tool-call arguments.
    pub fn count_delta(&self, delta: &Delta) -> u32 {
        let others: u32 = delta
            .other_choice_text
            .iter()
            .map(|(_, t)| self.count(t))
            .sum();
        self.count(&delta.text)
            + others
            + self.count(&delta.reasoning)
            + self.count(&delta.refusal)
            + self.count(&delta.tool_arguments)
    }
}

/// Letters of a Latin-script word per token.
const LETTERS_PER_TOKEN: u32 = 10;
/// Digits per token (byte-pair encoders of OpenAI split numbers in groups of three).
const DIGITS_PER_TOKEN: u32 = 3;
/// Symbols (punctuation, markdown) per token.
// The three constants were chosen against `o200k_base` over the corpus texts (see
// tests/tokenizer_accuracy.rs): 8/3/2 counted 7% too many in total, 12/3/3 1%, 10/3/3 3%.
const SYMBOLS_PER_TOKEN: u32 = 3;

/// What a character is, for the estimate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Space,
    Newline,
    Symbol,
    /// A character of a script whose encoders give about one token per character (CJK,
    /// other non-Latin scripts, emoji).
    Wide,
}

fn class(c: char) -> Class {
    match c {
        '\n' | '\r' => Class::Newline,
        c if c.is_whitespace() => Class::Space,
        c if c.is_ascii_digit() => Class::Digit,
        c if c.is_ascii_alphabetic() || c == '\'' => Class::Letter,
        // Latin-1 and Latin Extended letters (accented words) count like ASCII letters.
        c if (c as u32) < 0x0250 && c.is_alphabetic() => Class::Letter,
        c if c.is_ascii() => Class::Symbol,
        _ => Class::Wide,
    }
}

/// The estimate: runs of one class, each counted by its rule; a single space before a word
/// belongs to the word (as byte-pair encoders merge it).
fn estimate(text: &str) -> u32 {
    let mut tokens = 0u32;
    let mut run: Option<(Class, u32)> = None;
    let flush = |run: Option<(Class, u32)>| -> u32 {
        match run {
            None => 0,
            Some((Class::Letter, n)) => n.div_ceil(LETTERS_PER_TOKEN),
            Some((Class::Digit, n)) => n.div_ceil(DIGITS_PER_TOKEN),
            Some((Class::Symbol, n)) => n.div_ceil(SYMBOLS_PER_TOKEN),
            Some((Class::Newline, _)) => 1,
            Some((Class::Wide, n)) => n,
            // A space run is counted when it ends (see below).
            Some((Class::Space, _)) => 0,
        }
    };
    for c in text.chars() {
        let cls = class(c);
        match run {
            Some((current, n)) if current == cls && cls != Class::Wide => {
                run = Some((current, n + 1));
            }
            Some((Class::Space, n)) => {
                // A single space joins what follows it (as ` world`, ` **`); more spaces, or
                // spaces before a line break, are a token of their own.
                if n > 1 || cls == Class::Newline {
                    tokens = tokens.saturating_add(1);
                }
                run = Some((cls, 1));
            }
            previous => {
                tokens = tokens.saturating_add(flush(previous));
                run = Some((cls, 1));
            }
        }
    }
    let last = match run {
        Some((Class::Space, _)) => 1,
        other => flush(other),
    };
    tokens.saturating_add(last).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_follows_the_shape_of_text() {
        let t = Tokenizer::estimate();
        assert_eq!(t.count(""), 0);
        assert_eq!(t.count("Hello"), 1);
        assert_eq!(t.count(" world"), 1);
        assert_eq!(t.count("Hello world"), 2);
        assert_eq!(t.count("internationalization"), 2);
        assert_eq!(t.count("2026"), 2);
        assert_eq!(t.count("**Bold**"), 3);
        assert_eq!(t.count("\n\n"), 1);
        assert_eq!(t.count("星期一"), 3);
        assert_eq!(t.count("   "), 1);
        assert_eq!(t.count("a  b"), 3);
    }

    #[test]
    fn a_delta_counts_every_kind_of_output() {
        let t = Tokenizer::estimate();
        let d = Delta {
            text: "Hi".into(),
            other_choice_text: vec![(1, "Hello".into())],
            reasoning: "Let me think".into(),
            refusal: String::new(),
            tool_arguments: "{\"city\"".into(),
            ..Delta::default()
        };
        assert_eq!(t.count_delta(&d), 1 + 1 + 3 + t.count("{\"city\""));
        assert_eq!(t.count_delta(&Delta::default()), 0);
    }

    #[test]
    fn every_model_gets_a_counter() {
        assert_eq!(Tokenizer::for_model(None).name(), "estimate");
        assert_eq!(
            Tokenizer::for_model(Some("claude-sonnet-4-5")).name(),
            "estimate"
        );
        assert_eq!(format!("{:?}", Tokenizer::default()), "Tokenizer(estimate)");
    }

    #[cfg(feature = "tiktoken")]
    #[test]
    fn openai_models_are_counted_exactly() {
        let t = Tokenizer::for_model(Some("gpt-4o"));
        assert!(t.is_exact());
        assert_eq!(t.name(), "o200k_base");
        assert_eq!(Tokenizer::for_model(Some("gpt-4")).name(), "cl100k_base");
        assert_eq!(t.count("Hello, world!"), 4);
    }
}
