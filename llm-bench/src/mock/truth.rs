//! Ground truth: what the simulated endpoint actually did, request by request.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use quanta::Instant;

use super::dialect::Dialect;
use super::fault::Fault;
use super::written::ResponseWrites;

/// The default number of requests whose truth a server keeps (the most recent ones).
///
/// A record is about 250 bytes plus 24 bytes per token sent, so 100 000 requests of 64
/// tokens take about 180 MB at most.
pub(crate) const DEFAULT_TRUTH_CAPACITY: usize = 100_000;

/// What the server did for one request, with timestamps from the global quanta clock
/// (`quanta::Instant::now()`, the clock the harness uses, so in-process timestamps compare
/// directly).
///
/// A record is stored when its response is over: when the last byte of a stream has been
/// handed to the HTTP layer, when a non-streaming answer or an error is returned, or when
/// the client went away (then [`completed`](Self::completed) is false).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RequestTruth {
    /// The request's index on the server (0, 1, 2, ... in arrival order, restarting at 0 on
    /// [`set_profile`](crate::mock::MockServer::set_profile)); it seeds the request's gaps.
    pub request_index: u64,
    /// When the request (head and body) had been read and the handler started.
    pub received_at: Instant,
    /// [`received_at`](Self::received_at) on the machine's monotonic clock, in nanoseconds
    /// (`CLOCK_MONOTONIC` on Unix: the clock of the write stamps, of a stored run's
    /// `start_monotonic_ns` and of other processes' logs).
    pub received_monotonic_ns: u64,
    /// The request id the response carried (`req_mock_<n>`, `n` counting the server's
    /// requests from 0; never restarted), in the dialect's header: `request-id` for
    /// Anthropic, `apim-request-id` for Azure OpenAI, `x-request-id` for the others. A
    /// stored run's `request_id` is this value.
    pub request_id: String,
    /// For a stream: when the first frame, which goes out with the headers (OpenAI's
    /// role-only chunk, Anthropic's `message_start`, `content_block_start` and `ping`,
    /// Cohere's `message-start` or `stream-start`, ...), was handed to the HTTP layer; for
    /// dialects with no such frame (Gemini, Ollama, TGI, legacy Completions), when the HTTP
    /// layer first asked for the body, right after taking the headers. Otherwise: when the
    /// whole response was.
    pub headers_sent_at: Instant,
    /// When each output token sent was handed to the HTTP layer, in order; one per token (a
    /// token is one event), reasoning tokens first when they are streamed (see
    /// [`first_answer_index`](Self::first_answer_index)). Empty for non-streaming answers
    /// and errors.
    pub token_sent_at: Vec<Instant>,
    /// The socket write that carried the status line and headers (with the frame that goes
    /// with them, if any), on the monotonic clock; `None` if it never happened (the client
    /// left first) or when the record was read before it did.
    pub headers_written: Option<WriteTimes>,
    /// The socket write that carried each token of [`token_sent_at`](Self::token_sent_at),
    /// in order, on the monotonic clock: frames written together share one write. The
    /// writes of the last tokens may land just after the record is stored; a record read a
    /// moment later has them.
    pub token_written: Vec<WriteTimes>,
    /// When the response ended: the stream's last chunk (`finish_reason`, usage and
    /// `[DONE]`) or the non-streaming body was handed over. `None` if the client left first.
    pub finished_at: Option<Instant>,
    /// The model the request named (or the server's model when it named none).
    pub model: String,
    /// The request's `max_completion_tokens`, else its `max_tokens`.
    pub max_tokens: Option<u32>,
    /// Output tokens planned in all, reasoning included (0 for errors): OpenAI's
    /// `completion_tokens`. The answer text has `planned_tokens - reasoning_tokens`.
    pub planned_tokens: u32,
    /// Of [`planned_tokens`](Self::planned_tokens), the reasoning tokens, generated before
    /// the answer.
    pub reasoning_tokens: u32,
    /// The reasoning tokens were sent (the first `reasoning_tokens` entries of
    /// [`token_sent_at`](Self::token_sent_at)). False for hidden reasoning (Gemini thinking
    /// without `includeThoughts`): it took its time but nothing was written for it.
    pub reasoning_streamed: bool,
    /// The API the request spoke.
    pub dialect: Dialect,
    /// The prompt size the server reported (whitespace-separated words of the messages).
    pub prompt_tokens: u32,
    /// The request asked for a stream.
    pub streamed: bool,
    /// The stream reports usage: OpenAI Chat, Azure and Completions requests that asked
    /// for it (`stream_options.include_usage`), TGI requests with `parameters.details`;
    /// always for the other dialects.
    pub include_usage: bool,
    /// The HTTP status sent.
    pub status: u16,
    /// The response went out entirely (false when the client disconnected or the server
    /// shut down mid-stream).
    pub completed: bool,
    /// How long the request waited for a generation slot ([`queue_wait`](Self::queue_wait)).
    pub(crate) queue_wait: Duration,
    /// The fault it got ([`fault`](Self::fault)).
    pub(crate) fault: Option<Fault>,
    /// Where its connection puts the write stamps, until the record is stored.
    pub(crate) pending_writes: PendingWrites,
}

/// A record's write stamps while its connection fills them in: taken out when the record
/// is stored, so that a record handed out never holds one (and compares, prints and
/// clones as if the field were not there).
#[derive(Clone, Default)]
pub(crate) struct PendingWrites(pub(crate) Option<Arc<ResponseWrites>>);

impl PartialEq for PendingWrites {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for PendingWrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingWrites")
    }
}

impl RequestTruth {
    /// How long the request waited in the queue for a generation slot, from its receipt
    /// (zero without [`slots`](crate::mock::Capacity::slots), for a request that found a
    /// free slot, and for one answered without generating: 400s, injected errors, rate
    /// limiting). The wait is part of [`ttfb`](Self::ttfb) and [`ttft`](Self::ttft).
    pub fn queue_wait(&self) -> Duration {
        self.queue_wait
    }

    /// The fault the request got, injected by the profile ([`Faults`](crate::mock::Faults),
    /// `error_rate`) or caused by the capacity model ([`Fault::QueueFull`]); `None` for a
    /// request served normally (or refused as invalid).
    pub fn fault(&self) -> Option<Fault> {
        self.fault
    }

    /// Time to first token: first token of any kind (reasoning or answer) sent − request
    /// received. `None` when no token was sent (errors, non-streaming answers).
    pub fn ttft(&self) -> Option<Duration> {
        self.token_sent_at
            .first()
            .map(|t| t.saturating_duration_since(self.received_at))
    }

    /// Time to first answer token (TTFO): first answer token sent − request received.
    /// Equals [`ttft`](Self::ttft) without streamed reasoning; `None` when no answer token
    /// was sent.
    pub fn ttfo(&self) -> Option<Duration> {
        self.first_answer_index()
            .map(|i| self.token_sent_at[i].saturating_duration_since(self.received_at))
    }

    /// Reasoning tokens sent (the first this many entries of
    /// [`token_sent_at`](Self::token_sent_at) are reasoning; a stream cut short may hold
    /// fewer).
    pub fn streamed_reasoning_tokens(&self) -> usize {
        if self.reasoning_streamed {
            self.reasoning_tokens as usize
        } else {
            0
        }
    }

    /// The index in [`token_sent_at`](Self::token_sent_at) of the first answer token, when
    /// one was sent.
    pub fn first_answer_index(&self) -> Option<usize> {
        let i = self.streamed_reasoning_tokens();
        (i < self.token_sent_at.len()).then_some(i)
    }

    /// Whether sent token `i` (an index in [`token_sent_at`](Self::token_sent_at)) was a
    /// reasoning token.
    pub fn is_reasoning(&self, i: usize) -> bool {
        i < self.streamed_reasoning_tokens()
    }

    /// Time to the headers (and role chunk): headers sent − request received.
    pub fn ttfb(&self) -> Duration {
        self.headers_sent_at
            .saturating_duration_since(self.received_at)
    }

    /// End to end: response finished − request received; `None` if it did not finish.
    pub fn e2e(&self) -> Option<Duration> {
        self.finished_at
            .map(|t| t.saturating_duration_since(self.received_at))
    }

    /// The gaps between consecutive tokens (one fewer than the tokens).
    pub fn inter_token_gaps(&self) -> Vec<Duration> {
        self.token_sent_at
            .windows(2)
            .map(|w| w[1].saturating_duration_since(w[0]))
            .collect()
    }

    /// Offsets of each token from [`received_at`](Self::received_at), comparable with
    /// [`LatencyProfile::token_offsets`](crate::mock::LatencyProfile::token_offsets).
    pub fn token_offsets(&self) -> Vec<Duration> {
        self.token_sent_at
            .iter()
            .map(|t| t.saturating_duration_since(self.received_at))
            .collect()
    }
}

/// One socket write of the simulated endpoint, on the machine's monotonic clock
/// (`CLOCK_MONOTONIC` on Unix), in nanoseconds: when the write call began and when it
/// returned. On loopback a reader can have the bytes before the call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteTimes {
    /// When the write call began.
    pub begin_monotonic_ns: u64,
    /// When it returned.
    pub end_monotonic_ns: u64,
}

/// A stored record, with the write stamps that its connection may still be filling in.
struct Stored {
    /// The record.
    truth: RequestTruth,
    /// Its writes, if it was answered over a stamped connection.
    writes: Option<Arc<ResponseWrites>>,
}

impl Stored {
    /// The record with the write stamps so far.
    fn resolved(&self) -> RequestTruth {
        let mut truth = self.truth.clone();
        if let Some(writes) = &self.writes {
            let stamps = writes.stamps();
            truth.headers_written = stamps.headers;
            truth.token_written = stamps.tokens;
        }
        truth
    }
}

/// A bounded store of the most recent records.
pub(crate) struct TruthStore {
    /// The records kept, oldest first.
    records: Mutex<VecDeque<Stored>>,
    /// How many records to keep.
    capacity: usize,
    /// Records dropped because the store was full.
    evicted: AtomicU64,
}

impl TruthStore {
    /// An empty store that keeps `capacity` records.
    pub(crate) fn new(capacity: usize) -> Self {
        TruthStore {
            records: Mutex::new(VecDeque::new()),
            capacity,
            evicted: AtomicU64::new(0),
        }
    }

    /// Keeps a record (and its connection's write stamps, still coming in), dropping the
    /// oldest when full.
    pub(crate) fn push(&self, mut truth: RequestTruth) {
        let writes = truth.pending_writes.0.take();
        if self.capacity == 0 {
            self.evicted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if records.len() >= self.capacity {
            records.pop_front();
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        records.push_back(Stored { truth, writes });
    }

    /// A copy of the records kept, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<RequestTruth> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.iter().map(Stored::resolved).collect()
    }

    /// Forgets every record.
    pub(crate) fn clear(&self) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.clear();
        // Give the memory back: a long run may have filled the store.
        records.shrink_to_fit();
    }

    /// Records dropped because the store was full.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
}
