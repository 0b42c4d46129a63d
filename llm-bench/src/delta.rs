//! What one event of a streaming response carries, whatever the provider.
//!
//! Provider parsers turn each decoded event into a [`Delta`]; the timing code only asks a
//! delta whether it carries output ([`Delta::is_output`]), answer text
//! ([`Delta::is_answer`]), usage, an error or the end of the stream.

use serde::{Deserialize, Serialize};

/// Token counts an API reported for a request.
///
/// ```
/// let usage = llm_bench::Usage::new(Some(9), Some(120)).with_reasoning_tokens(80);
/// assert_eq!(usage.reasoning_tokens, Some(80));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens of the prompt (input).
    pub prompt_tokens: Option<u64>,
    /// Tokens generated (output), reasoning included when the API counts it there.
    pub completion_tokens: Option<u64>,
    /// Of the generated tokens, how many were reasoning, where the API reports it.
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// The prompt (input) and generated (output) token counts an API reported.
    pub fn new(prompt_tokens: Option<u64>, completion_tokens: Option<u64>) -> Self {
        Usage {
            prompt_tokens,
            completion_tokens,
            reasoning_tokens: None,
        }
    }

    /// The same counts, with how many of the generated tokens were reasoning.
    #[must_use]
    pub fn with_reasoning_tokens(mut self, reasoning_tokens: u64) -> Self {
        self.reasoning_tokens = Some(reasoning_tokens);
        self
    }
}

/// The output carried by one stream event.
///
/// Text fields hold only what this event added; they are empty when the event added none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delta {
    /// Answer text of the first choice (index 0), the usual and most often the only one.
    pub text: String,
    /// Answer text of the other choices (`n > 1`), as (choice index, text).
    pub other_choice_text: Vec<(u32, String)>,
    /// Reasoning ("thinking") text.
    pub reasoning: String,
    /// Refusal text.
    pub refusal: String,
    /// Tool-call argument fragments (and tool names when they start a call).
    pub tool_arguments: String,
    /// Usage reported by this event, if any.
    pub usage: Option<Usage>,
    /// A finish reason, if this event carried one.
    pub finish_reason: Option<String>,
    /// An error the event reported (its message, as the API wrote it).
    pub error: Option<String>,
    /// This event ends the stream (`[DONE]`, `message_stop`, ...).
    pub done: bool,
}

impl Delta {
    /// The event carries output of any kind: text, reasoning, refusal or tool-call arguments.
    /// TTFT stops at the first such event.
    ///
    /// ```
    /// use llm_bench::Delta;
    /// let role_only = Delta::default();
    /// assert!(!role_only.is_output());
    /// let mut thinking = Delta::default();
    /// thinking.reasoning.push_str("Let me see");
    /// assert!(thinking.is_output() && !thinking.is_answer());
    /// ```
    pub fn is_output(&self) -> bool {
        self.is_answer()
            || !self.reasoning.is_empty()
            || !self.refusal.is_empty()
            || !self.tool_arguments.is_empty()
    }

    /// The event carries answer text. TTFO stops at the first such event.
    pub fn is_answer(&self) -> bool {
        !self.text.is_empty() || self.other_choice_text.iter().any(|(_, t)| !t.is_empty())
    }
}
