//! The per-request context a scenario receives, and the two ways to time a stream with it.
//!
//! * [`Ctx::stream`] sends a [`ChatRequest`] through the run's built-in client, and
//!   [`Ctx::stream_with`] through a [`Client`] of your own, for any provider;
//! * [`Ctx::track`] times a stream that the user's own client produced.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use quanta::Instant;

use crate::delta::{Delta, Usage};
use crate::error::{Error, Result};
use crate::limits::{PhaseLimits, Watchdog};
use crate::load::request::TraceRequest;
use crate::load::trace::TraceEntry;
use crate::metrics::Recorder;
use crate::providers::Client;
use crate::providers::{ChatRequest, Completion};
use crate::tokens::Tokenizer;

/// What every invocation of one scenario shares.
#[derive(Debug)]
pub(crate) struct ScenarioEnv {
    /// The built-in client: the configured endpoint, or the built-in simulated one.
    pub client: Client,
    /// The model from the attribute, if given.
    pub model: Option<String>,
    /// Counts the output tokens of tracked streams: the model's tokenizer.
    pub tokenizer: Tokenizer,
    /// The time limits of each request's phases.
    pub limits: PhaseLimits,
    /// Set once an invocation called [`Ctx::track`].
    pub tracked: std::sync::atomic::AtomicBool,
    /// The trace a replayed scenario follows ([`Ctx::trace_request`]).
    pub trace: Option<Arc<[TraceEntry]>>,
    /// Every measured request keeps its events' arrivals, not only the first few (the
    /// accuracy benchmark compares each with the server's writes).
    pub all_timelines: bool,
    /// The id of the scenario these requests belong to ([`Ctx::scenario_id`]); empty in
    /// the harness's own tests.
    pub scenario_id: Arc<str>,
}

impl ScenarioEnv {
    /// The environment of a scenario asking for `model` (else the client's), with the
    /// default time limits.
    pub(crate) fn new(client: Client, model: Option<String>) -> Self {
        let tokenizer = Tokenizer::for_model(model.as_deref().or(client.model()));
        ScenarioEnv {
            client,
            model,
            tokenizer,
            limits: PhaseLimits::DEFAULT,
            tracked: Default::default(),
            trace: None,
            all_timelines: false,
            scenario_id: Arc::from(""),
        }
    }

    /// The same environment for the scenario `id`.
    pub(crate) fn with_scenario_id(self, id: &str) -> Self {
        ScenarioEnv {
            scenario_id: Arc::from(id),
            ..self
        }
    }

    /// The same environment replaying `trace`.
    pub(crate) fn with_trace(self, trace: Option<Arc<[TraceEntry]>>) -> Self {
        ScenarioEnv { trace, ..self }
    }

    /// The same environment keeping every measured request's arrivals.
    pub(crate) fn with_all_timelines(self) -> Self {
        ScenarioEnv {
            all_timelines: true,
            ..self
        }
    }

    /// The same environment with these time limits.
    pub(crate) fn with_limits(self, limits: PhaseLimits) -> Self {
        ScenarioEnv { limits, ..self }
    }
}

/// The per-request context passed to every scenario invocation.
///
/// One invocation is one sample: it times one stream, through [`Ctx::stream`] or
/// [`Ctx::track`]. The request clock starts when the invocation starts (for `track`, so
/// that the time the user's client takes to send the request counts) or just before the
/// request is written (for `stream`).
pub struct Ctx {
    env: Arc<ScenarioEnv>,
    rec: Recorder,
    index: u32,
    warmup: bool,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("index", &self.index)
            .field("warmup", &self.warmup)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn new(
        env: Arc<ScenarioEnv>,
        index: u32,
        warmup: bool,
        keep_arrivals: bool,
    ) -> Self {
        let mut rec = Recorder::new(Instant::now(), keep_arrivals);
        rec.set_tokenizer(env.tokenizer);
        Ctx {
            env,
            rec,
            index,
            warmup,
        }
    }

    pub(crate) fn into_recorder(self) -> Recorder {
        self.rec
    }

    pub(crate) fn recorder_mut(&mut self) -> &mut Recorder {
        &mut self.rec
    }

    /// 0-based index of this request within its phase (warm-up or measurement); use it to
    /// vary prompts across samples.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// With a trace to replay (`trace = "..."`, `--trace`): this request's entry (the
    /// entry of [`Ctx::index`], wrapping around), to build the request from. `None` when
    /// the scenario replays no trace.
    ///
    /// ```no_run
    /// use llm_bench::prelude::*;
    ///
    /// #[llm_bench(trace = "traces/support.jsonl")]
    /// async fn replay(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ///     let request = match ctx.trace_request() {
    ///         Some(entry) => entry.chat_request(),
    ///         None => ChatRequest::new("Say hi"),
    ///     };
    ///     ctx.stream(request).await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn trace_request(&self) -> Option<TraceRequest<'_>> {
        let trace = self.env.trace.as_ref()?;
        let entry = trace.get(self.index as usize % trace.len().max(1))?;
        Some(TraceRequest::new(entry))
    }

    /// The id of the scenario this request belongs to (`group/name`, with `/arg` for a
    /// parameterised one), as `--list` prints it and the results directory is named.
    ///
    /// ```no_run
    /// use llm_bench::prelude::*;
    ///
    /// #[llm_bench(group = "chat", args = ["short", "long"])]
    /// async fn turn(ctx: &mut Ctx, length: &str) -> llm_bench::Result<()> {
    ///     // `chat/turn/short`, then `chat/turn/long`
    ///     let prompt = format!("{}: answer in a {length} paragraph", ctx.scenario_id());
    ///     ctx.stream(ChatRequest::new(prompt)).await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn scenario_id(&self) -> &str {
        &self.env.scenario_id
    }

    /// True during warm-up requests, whose figures are discarded.
    pub fn is_warmup(&self) -> bool {
        self.warmup
    }

    /// The model requests default to: the attribute's `model`, else the client's.
    pub fn model(&self) -> Option<&str> {
        self.env.model.as_deref().or(self.env.client.model())
    }

    /// The built-in client this run uses (the configured endpoint, or the simulated one);
    /// [`Client::provider`] says which API it speaks.
    pub fn client(&self) -> &Client {
        &self.env.client
    }

    /// Sends `request` through the built-in streaming client and times it token by token.
    ///
    /// ```no_run
    /// # use llm_bench::prelude::*;
    /// #[llm_bench]
    /// async fn short_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ///     let done = ctx.stream(ChatRequest::new("Say hi").max_tokens(16)).await?;
    ///     assert!(!done.text.is_empty());
    ///     Ok(())
    /// }
    /// # fn main() {}
    /// ```
    pub async fn stream(&mut self, request: ChatRequest) -> Result<Completion> {
        let client = self.env.client.clone();
        self.stream_with(&client, request).await
    }

    /// Like [`Ctx::stream`], through a client of your own: another endpoint, key or
    /// provider. The request is sent in that client's provider's shape (see
    /// [`Provider`](crate::Provider)); the model is the request's, else the
    /// scenario's, else the client's.
    ///
    /// ```no_run
    /// # use llm_bench::prelude::*;
    /// use llm_bench::{ApiKey, Provider};
    ///
    /// #[llm_bench]
    /// async fn claude_turn(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ///     let client = Client::builder()
    ///         .provider(Provider::Anthropic)
    ///         .base_url("https://api.anthropic.com")
    ///         .api_key(ApiKey::from_env("ANTHROPIC_API_KEY").expect("ANTHROPIC_API_KEY"))
    ///         .model("claude-sonnet-4-5")
    ///         .build()?;
    ///     ctx.stream_with(&client, ChatRequest::new("Say hi").max_tokens(16)).await?;
    ///     Ok(())
    /// }
    /// # fn main() {}
    /// ```
    ///
    /// Build the client once (e.g. in a `static` `OnceLock`) rather than per invocation, so
    /// that connections are reused across samples.
    pub async fn stream_with(
        &mut self,
        client: &Client,
        request: ChatRequest,
    ) -> Result<Completion> {
        self.rec.begin_stream()?;
        let fallback = self.env.model.clone();
        let result = client
            .stream_timed(
                &request,
                fallback.as_deref(),
                &mut self.rec,
                &self.env.limits,
            )
            .await;
        if let Err(e) = &result {
            self.rec.fail(e);
        }
        result
    }

    /// Times a stream your own client produced: each item is timestamped as it arrives and
    /// passed through unchanged.
    ///
    /// Items are anything that carries text ([`TokenText`]: `String`, `&str`, [`Delta`], or
    /// your own type). Every item with text counts as one output event; unless you call
    /// [`Ctx::report_usage`], the output tokens are counted from the items' text (at least
    /// one per item; see [`TokenText::tokens`]), marked as counted. An `Err` item fails the request: it keeps the error's causes, and is
    /// counted under the class they show (see [`Error::other`]), else `scenario`. The
    /// first-token and idle time limits apply: a stream that stalls past them ends there,
    /// and the request fails as `first_token_timeout` or `idle_timeout`.
    ///
    /// Await it to drain the stream and get the whole text, or poll it as a stream:
    ///
    /// ```no_run
    /// # use llm_bench::prelude::*;
    /// use futures_util::StreamExt;
    /// # fn my_client() -> impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send {
    /// #     futures_util::stream::iter(vec![Ok("a".to_string())])
    /// # }
    /// #[llm_bench]
    /// async fn own_client(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ///     let text = ctx.track(my_client()).await?;          // drain it
    ///     assert!(!text.is_empty());
    ///     Ok(())
    /// }
    ///
    /// #[llm_bench]
    /// async fn own_client_pass_through(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ///     let mut tracked = ctx.track(my_client());
    ///     while let Some(item) = tracked.next().await {    // or use each item as it comes
    ///         let _chunk: String = item.map_err(llm_bench::Error::scenario)?;
    ///     }
    ///     Ok(())
    /// }
    /// # fn main() {}
    /// ```
    pub fn track<S, T, E>(&mut self, stream: S) -> Tracked<'_, S>
    where
        S: Stream<Item = std::result::Result<T, E>>,
        T: TokenText,
        E: std::fmt::Display,
    {
        self.env
            .tracked
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let refused = self.rec.begin_stream().err();
        if let Some(e) = &refused {
            self.rec.fail(e);
        }
        let watchdog = Watchdog::new(self.env.limits, self.rec.started_at());
        Tracked {
            rec: &mut self.rec,
            inner: Box::pin(stream),
            refused,
            finished: false,
            watchdog,
            alarm: None,
            timed_out: None,
        }
    }

    /// Runs `work`, timing it as the span `name`: a named part of the invocation (retrieval,
    /// reranking, a tool call) reported beside TTFT, so a pipeline shows where its time
    /// goes. Returns what `work` returns. A span does not move the request clock.
    ///
    /// ```no_run
    /// # use llm_bench::prelude::*;
    /// # async fn retrieve(q: &str) -> llm_bench::Result<String> { Ok(q.into()) }
    /// #[llm_bench]
    /// async fn rag(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ///     let passages = ctx.span("retrieval", retrieve("reset password")).await?;
    ///     ctx.stream(ChatRequest::new(passages).max_tokens(64)).await?;
    ///     Ok(())
    /// }
    /// # fn main() {}
    /// ```
    pub async fn span<F: IntoFuture>(&mut self, name: impl Into<String>, work: F) -> F::Output {
        let start = Instant::now();
        let output = work.await;
        self.rec.span(name.into(), start, Instant::now());
        output
    }

    /// Reports the usage your own client received, so that [`Ctx::track`]ed requests count
    /// output tokens from the API rather than from the number of items.
    pub fn report_usage(&mut self, usage: Usage) {
        self.rec.set_usage(usage);
    }

    /// Restarts the request clock now. For [`Ctx::track`]: call it just before your client
    /// sends the request, when the invocation does other work first (building a prompt,
    /// retrieval) that should not count.
    pub fn restart_clock(&mut self) {
        self.rec.start(Instant::now());
    }
}

/// Items of a tracked stream: anything that carries text.
///
/// ```
/// use llm_bench::TokenText;
/// struct MyChunk { content: Option<String> }
/// impl TokenText for MyChunk {
///     fn text(&self) -> &str { self.content.as_deref().unwrap_or("") }
/// }
/// assert!(!MyChunk { content: None }.is_output());
/// ```
pub trait TokenText {
    /// The text this item carries (empty for none).
    fn text(&self) -> &str;

    /// True when the item counts as output (TTFT stops at the first); default: it has text.
    fn is_output(&self) -> bool {
        !self.text().is_empty()
    }

    /// True when the item is answer text rather than reasoning or tool arguments (TTFO stops
    /// at the first); default: same as [`TokenText::is_output`].
    fn is_answer(&self) -> bool {
        self.is_output()
    }

    /// How many tokens the item carries (ITL per token, and the output count when the
    /// stream reports no usage); default: `tokenizer` counts [`TokenText::text`]. An item
    /// that is one token by construction (a local model's token stream) can return 1.
    fn tokens(&self, tokenizer: &Tokenizer) -> u32 {
        tokenizer.count(self.text())
    }
}

impl TokenText for String {
    fn text(&self) -> &str {
        self
    }
}

impl TokenText for &str {
    fn text(&self) -> &str {
        self
    }
}

impl TokenText for Box<str> {
    fn text(&self) -> &str {
        self
    }
}

impl TokenText for Arc<str> {
    fn text(&self) -> &str {
        self
    }
}

impl TokenText for std::borrow::Cow<'_, str> {
    fn text(&self) -> &str {
        self
    }
}

impl TokenText for Delta {
    fn text(&self) -> &str {
        &self.text
    }
    fn is_output(&self) -> bool {
        Delta::is_output(self)
    }
    fn tokens(&self, tokenizer: &Tokenizer) -> u32 {
        tokenizer.count_delta(self)
    }
    fn is_answer(&self) -> bool {
        Delta::is_answer(self)
    }
}

/// A user stream being timed: a [`Stream`] that passes every item through, and a future
/// (through `.await`) that drains it and returns the concatenated text.
pub struct Tracked<'c, S> {
    rec: &'c mut Recorder,
    inner: Pin<Box<S>>,
    refused: Option<Error>,
    finished: bool,
    /// The first-token and idle limits.
    watchdog: Watchdog,
    /// The timer of the watchdog, made the first time the stream has to wait.
    alarm: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Set when a limit expired: the stream ended there, and the request failed.
    timed_out: Option<Error>,
}

impl<S> Tracked<'_, S> {
    /// Polls the watchdog's timer while the user's stream waits; `Ready` with the error
    /// when a limit expired.
    fn poll_limits(&mut self, cx: &mut Context<'_>) -> Poll<Error> {
        loop {
            let alarm = self
                .alarm
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::ZERO)));
            if alarm.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            match self.watchdog.check(Instant::now(), self.rec.has_output()) {
                Ok(left) => alarm.as_mut().reset(tokio::time::Instant::now() + left),
                Err(e) => return Poll::Ready(e),
            }
        }
    }
}

impl<S, T, E> Stream for Tracked<'_, S>
where
    S: Stream<Item = std::result::Result<T, E>>,
    T: TokenText,
    E: std::fmt::Display,
{
    type Item = std::result::Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `Tracked` is Unpin: the user stream is boxed.
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        let polled = this.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(item))) => {
                let at = Instant::now();
                this.watchdog.read_at(at);
                if item.is_output() {
                    let tokens = item.tokens(&this.rec.tokenizer());
                    this.rec.output_event(at, item.is_answer(), tokens);
                }
            }
            Poll::Ready(Some(Err(e))) => {
                // `{:#}` prints the causes of errors that format them so (anyhow's).
                this.rec
                    .fail_provisionally(&Error::Scenario(format!("{e:#}")));
            }
            Poll::Ready(None) => {
                this.rec.end(Instant::now());
                this.finished = true;
            }
            Poll::Pending => {
                if let Poll::Ready(error) = this.poll_limits(cx) {
                    // The stream is cut off here: its items cannot carry our error.
                    this.rec.fail(&error);
                    this.timed_out = Some(error);
                    this.finished = true;
                    return Poll::Ready(None);
                }
            }
        }
        polled
    }
}

impl<'c, S, T, E> IntoFuture for Tracked<'c, S>
where
    S: Stream<Item = std::result::Result<T, E>> + Send + 'c,
    T: TokenText + Send,
    E: std::fmt::Display + Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Output = Result<String>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<String>> + Send + 'c>>;

    fn into_future(mut self) -> Self::IntoFuture {
        Box::pin(async move {
            if let Some(e) = self.refused.take() {
                return Err(e);
            }
            let mut text = String::new();
            while let Some(item) = futures_util::StreamExt::next(&mut self).await {
                match item {
                    Ok(item) => text.push_str(item.text()),
                    Err(e) => {
                        let error = Error::other(e);
                        self.rec.fail(&error);
                        return Err(error);
                    }
                }
            }
            match self.timed_out.take() {
                Some(error) => Err(error),
                None => Ok(text),
            }
        })
    }
}
