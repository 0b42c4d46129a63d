//! The simulated endpoint's lifecycle: its builder, the running server's handle (URLs,
//! profile, truth, counters) and its shutdown.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::dialect::Dialect;
use super::profile::LatencyProfile;
use super::routes::router;
use super::state::{ProfileState, Shared};
use super::truth::{RequestTruth, TruthStore, DEFAULT_TRUTH_CAPACITY};
use super::written::{Connection, StampingListener};

/// The model id the mock lists and uses when a request names none.
pub(crate) const DEFAULT_MODEL: &str = "llm-bench-mock";

/// How long [`MockServer::shutdown`] waits for open connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Configures a [`MockServer`] before it starts: [`MockServer::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.start()` is awaited"]
pub struct MockServerBuilder {
    /// The latency profile.
    profile: LatencyProfile,
    /// The model listed and answered as.
    model: String,
    /// How many requests' truth to keep.
    truth_capacity: usize,
    /// The address to listen on.
    addr: SocketAddr,
}

impl MockServerBuilder {
    /// The latency profile (default: [`LatencyProfile::default`]).
    pub fn profile(mut self, profile: LatencyProfile) -> Self {
        self.profile = profile;
        self
    }

    /// The model id listed by `GET /v1/models` and used when a request names none (default
    /// `llm-bench-mock`). Requests may name any model: the answer echoes it.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// How many requests' ground truth to keep, the most recent ones (default
    /// 100 000; 0 keeps none).
    pub fn truth_capacity(mut self, capacity: usize) -> Self {
        self.truth_capacity = capacity;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: loopback, a port the OS picks).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Binds the address and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// If the address cannot be bound.
    ///
    /// # Panics
    ///
    /// If called outside a tokio runtime.
    pub async fn start(self) -> io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let listener = StampingListener(listener);
        let (closing_tx, closing_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            profile: Mutex::new(ProfileState::new(self.profile)),
            ids: AtomicU64::new(0),
            truth: TruthStore::new(self.truth_capacity),
            in_flight: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            model: self.model,
            closing: closing_rx,
            started_at: quanta::Instant::now(),
        });
        let app = router(Arc::clone(&shared)).into_make_service_with_connect_info::<Connection>();
        let signal = shared.closing();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
        });
        Ok(MockServer {
            addr,
            shared,
            closing: closing_tx,
            task: Some(task),
        })
    }
}

/// The simulated endpoint (the OpenAI Chat, Responses and Completions, Azure OpenAI,
/// Anthropic, Gemini, Cohere v2 and v1, Ollama and TGI dialects), serving until
/// [`shutdown`](Self::shutdown) or drop. See the [module docs](crate::mock).
pub struct MockServer {
    /// The address it listens on.
    addr: SocketAddr,
    /// The state its handlers share.
    shared: Arc<Shared>,
    /// Set to true to shut it down.
    closing: watch::Sender<bool>,
    /// The serving task, until shutdown takes it.
    task: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("model", &self.shared.model)
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server with this profile on `127.0.0.1`, on a port the OS picks, on the
    /// current tokio runtime.
    ///
    /// # Errors
    ///
    /// If no loopback port can be bound.
    ///
    /// # Panics
    ///
    /// If called outside a tokio runtime.
    pub async fn start(profile: LatencyProfile) -> io::Result<MockServer> {
        MockServer::builder().profile(profile).start().await
    }

    /// A builder for a server with a non-default model, truth capacity or address.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder {
            profile: LatencyProfile::default(),
            model: DEFAULT_MODEL.to_owned(),
            truth_capacity: DEFAULT_TRUTH_CAPACITY,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the OpenAI and Anthropic APIs, e.g. `http://127.0.0.1:41234/v1`
    /// (`{base_url}/chat/completions`, `{base_url}/messages`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The root URL, e.g. `http://127.0.0.1:41234`: what an Anthropic or Gemini client takes
    /// as its base URL (it appends `/v1/messages`, `/v1beta/models/...`).
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of the Gemini API, e.g. `http://127.0.0.1:41234/v1beta`
    /// (`{gemini_base_url}/models/{model}:streamGenerateContent?alt=sse`).
    pub fn gemini_base_url(&self) -> String {
        format!("http://{}/v1beta", self.addr)
    }

    /// The base URL a client of `dialect` takes to reach this server: [`base_url`]
    /// (`.../v1`) for the OpenAI Chat, Responses and Completions APIs, whose clients append
    /// `/chat/completions`, `/responses`, `/completions`; [`root_url`] for the others, whose
    /// clients append the whole path (`/v1/messages`, `/v1beta/models/...`, `/v2/chat`,
    /// `/v1/chat`, `/api/chat`, `/generate_stream`, `/openai/...`).
    ///
    /// For Azure OpenAI, a client needs a deployment and an API version too (the mock takes
    /// any deployment name and any `api-version`; the harness uses deployment
    /// `llm-bench-mock` and `api-version=2024-10-21`), or neither and a model in the body
    /// (Azure's v1 API).
    ///
    /// [`base_url`]: Self::base_url
    /// [`root_url`]: Self::root_url
    ///
    /// ```
    /// use llm_bench::mock::{Dialect, LatencyProfile, MockServer};
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let server = MockServer::start(LatencyProfile::default().output_tokens(3)).await?;
    ///     assert_eq!(server.base_url_for_dialect(Dialect::OpenAiResponses), server.base_url());
    ///     let base = server.base_url_for_dialect(Dialect::CohereV2);
    ///     assert_eq!(base, server.root_url());
    ///     let status = reqwest::Client::builder()
    ///         .no_proxy()
    ///         .build()?
    ///         .post(format!("{base}/v2/chat"))
    ///         .body(r#"{"model":"command-a","messages":[{"role":"user","content":"Hi"}]}"#)
    ///         .send()
    ///         .await?
    ///         .status();
    ///     assert_eq!(status, 200);
    ///     server.shutdown().await;
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn base_url_for_dialect(&self, dialect: Dialect) -> String {
        format!("http://{}{}", self.addr, dialect.base_path())
    }

    /// When the server started, on the pacing's clock: the origin of the time its
    /// [`Variation`](crate::mock::Variation) (drift, bursts, shared noise) follows. A
    /// request's [`received_at`](crate::mock::RequestTruth::received_at) minus this is the
    /// `elapsed` its factor was computed for.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn started_at(&self) -> quanta::Instant {
        self.shared.started_at
    }

    /// The model id the server lists.
    pub fn model(&self) -> &str {
        &self.shared.model
    }

    /// The current latency profile.
    pub fn profile(&self) -> LatencyProfile {
        let state = self
            .shared
            .profile
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.profile().clone()
    }

    /// Replaces the latency profile for requests received from now on (requests in flight
    /// keep theirs), and restarts the request index at 0, so that the requests that follow
    /// draw the same random sequence as on a fresh server: a run after
    /// `set_profile(p.scale(1.3))` has exactly the gaps of a run with `p`, times 1.3.
    ///
    /// The generation slots ([`Capacity`](crate::mock::Capacity)) stay the same, with the
    /// requests holding or waiting for them, when the capacity settings do; a profile of
    /// other capacity settings gets slots of its own, all free (requests in flight keep, and
    /// free, the old ones).
    pub fn set_profile(&self, profile: LatencyProfile) {
        self.shared.set_profile(profile);
    }

    /// A copy of the ground truth of the finished requests kept (the most recent
    /// [`truth_capacity`](MockServerBuilder::truth_capacity)), in the order they finished.
    pub fn truth(&self) -> Vec<RequestTruth> {
        self.shared.truth.snapshot()
    }

    /// Forgets all recorded truth.
    pub fn clear_truth(&self) {
        self.shared.truth.clear();
    }

    /// How many records were dropped because the truth store was full.
    pub fn truth_evicted(&self) -> u64 {
        self.shared.truth.evicted()
    }

    /// Requests received since the server started, answered or not (every API path).
    pub fn requests_received(&self) -> u64 {
        self.shared.received.load(Ordering::SeqCst)
    }

    /// Requests being answered right now (a stream counts until its body is dropped).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Stops the server: no new connections; streams in flight end at their next token
    /// (without their end: no `[DONE]`, `message_stop` or finish reason); waits up to 5 s
    /// for connections to close.
    pub async fn shutdown(mut self) {
        self.closing.send_replace(true);
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for MockServer {
    /// Starts the same shutdown as [`shutdown`](Self::shutdown) without waiting for it.
    fn drop(&mut self) {
        self.closing.send_replace(true);
    }
}
