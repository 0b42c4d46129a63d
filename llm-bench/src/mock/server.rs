//! The axum app of the simulated endpoint and its lifecycle.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use futures_util::Stream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::answer::{reasoning_for, Answer};
use super::api_error::ApiError;
use super::profile::{LatencyProfile, RequestPlan};
use super::text::uuid_like;
use super::truth::{Dialect, RequestTruth, TruthStore, DEFAULT_TRUTH_CAPACITY};
use super::{
    anthropic, azure, cohere, cohere_v1, completions, gemini, ollama, openai, responses, tgi,
};
use crate::providers::Provider;

/// The model id the mock lists and uses when a request names none.
pub const DEFAULT_MODEL: &str = "llm-bench-mock";

/// The largest request body accepted (64 MiB: long-context prompts fit).
const BODY_LIMIT: usize = 64 << 20;

/// How long [`MockServer::shutdown`] waits for open connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// State shared by the handlers and the server handle.
struct Shared {
    profile: Mutex<ProfileState>,
    ids: AtomicU64,
    truth: TruthStore,
    in_flight: AtomicUsize,
    /// Requests received since the server started.
    received: AtomicU64,
    model: String,
    closing: watch::Receiver<bool>,
}

struct ProfileState {
    profile: LatencyProfile,
    next_index: u64,
}

impl Shared {
    /// The current profile and the index of a new request.
    fn next_request(&self) -> (LatencyProfile, u64) {
        let mut state = self.profile.lock().unwrap_or_else(PoisonError::into_inner);
        let index = state.next_index;
        state.next_index += 1;
        (state.profile.clone(), index)
    }

    /// A future that completes when the server starts shutting down.
    fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.clone();
        async move {
            // An error means the handle is gone: that is a shutdown too.
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }
}

/// Counts a request as in flight for as long as it lives.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        shared.received.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(shared))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Configures a [`MockServer`] before it starts: [`MockServer::builder`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    profile: LatencyProfile,
    model: String,
    truth_capacity: usize,
    addr: SocketAddr,
}

impl MockServerBuilder {
    /// The latency profile (default: [`LatencyProfile::default`]).
    pub fn profile(mut self, profile: LatencyProfile) -> Self {
        self.profile = profile;
        self
    }

    /// The model id listed by `GET /v1/models` and used when a request names none (default
    /// [`DEFAULT_MODEL`]). Requests may name any model: the answer echoes it.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// How many requests' ground truth to keep, the most recent ones (default
    /// [`DEFAULT_TRUTH_CAPACITY`]; 0 keeps none).
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
        // Each token is a small write: without TCP_NODELAY, Nagle's algorithm would hold it
        // back until the previous one is acknowledged.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (closing_tx, closing_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            profile: Mutex::new(ProfileState {
                profile: self.profile,
                next_index: 0,
            }),
            ids: AtomicU64::new(0),
            truth: TruthStore::new(self.truth_capacity),
            in_flight: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            model: self.model,
            closing: closing_rx,
        });
        let app = router(Arc::clone(&shared));
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
    addr: SocketAddr,
    shared: Arc<Shared>,
    closing: watch::Sender<bool>,
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

    /// The base URL a built-in [`Client`](crate::providers::Client) of `provider` takes to
    /// reach this server (`Client::builder().provider(p).base_url(..)`): [`base_url`]
    /// (`.../v1`) for the OpenAI Chat, Responses and Completions APIs, [`root_url`] for the
    /// others (the client appends `/v1/messages`, `/v1beta/models/...`, `/v2/chat`,
    /// `/v1/chat`, `/api/chat`, `/generate_stream`, `/openai/...`). `None` for
    /// [`Provider::Generic`], whose URL is the whole request URL (and for any provider the
    /// mock does not speak).
    ///
    /// For Azure OpenAI, build the client with a deployment and an API version (the mock
    /// takes any deployment name and any `api-version`; the harness uses
    /// `.deployment("llm-bench-mock").api_version("2024-10-21")`), or with neither a
    /// deployment nor a version and a model (Azure's v1 API).
    ///
    /// [`base_url`]: Self::base_url
    /// [`root_url`]: Self::root_url
    ///
    /// ```
    /// use llm_bench::mock::{LatencyProfile, MockServer};
    /// use llm_bench::providers::{Client, Provider};
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let server = MockServer::start(LatencyProfile::default()).await?;
    ///     let base = server.base_url_for(&Provider::CohereV2).expect("spoken");
    ///     let client = Client::builder()
    ///         .provider(Provider::CohereV2)
    ///         .base_url(base)
    ///         .model("llm-bench-mock")
    ///         .build()?;
    ///     assert_eq!(client.host(), server.addr().to_string());
    ///     server.shutdown().await;
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn base_url_for(&self, provider: &Provider) -> Option<String> {
        match provider {
            Provider::OpenAiChat | Provider::OpenAiResponses | Provider::OpenAiCompletions => {
                Some(self.base_url())
            }
            Provider::AzureOpenAi
            | Provider::Anthropic
            | Provider::Gemini
            | Provider::CohereV2
            | Provider::CohereV1
            | Provider::Ollama
            | Provider::Tgi => Some(self.root_url()),
            // Provider::Generic, and any provider the mock does not speak.
            _ => None,
        }
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
        state.profile.clone()
    }

    /// Replaces the latency profile for requests received from now on (requests in flight
    /// keep theirs), and restarts the request index at 0, so that the requests that follow
    /// draw the same random sequence as on a fresh server: a run after
    /// `set_profile(p.scale(1.3))` has exactly the gaps of a run with `p`, times 1.3.
    pub fn set_profile(&self, profile: LatencyProfile) {
        let mut state = self
            .shared
            .profile
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.profile = profile;
        state.next_index = 0;
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

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/messages", post(messages))
        .route("/v1/models", get(list_models))
        .route(
            "/v1/models/{id}",
            get(retrieve_model).post(generate_content),
        )
        .route("/v1beta/models/{target}", post(generate_content))
        .route("/v1/responses", post(responses_api))
        .route("/v1/completions", post(legacy_completions))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(azure_deployment),
        )
        .route("/openai/v1/chat/completions", post(azure_v1))
        .route("/v2/chat", post(cohere_v2_chat))
        .route("/v1/chat", post(cohere_v1_chat))
        .route("/api/chat", post(ollama_chat))
        .route("/api/generate", post(ollama_generate))
        .route("/generate_stream", post(tgi_generate_stream))
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn json_response(status: u16, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Records the truth of an error and returns its response, in the request's dialect.
fn error_response(shared: &Shared, mut truth: RequestTruth, error: &ApiError) -> Response {
    let body = error.body(truth.dialect);
    let now = quanta::Instant::now();
    truth.status = error.status;
    truth.headers_sent_at = now;
    truth.finished_at = Some(now);
    truth.completed = true;
    shared.truth.push(truth);
    json_response(error.status, body)
}

async fn list_models(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        200,
        openai::models_body(std::slice::from_ref(&shared.model), unix_now()),
    )
}

async fn retrieve_model(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if id == shared.model {
        json_response(200, openai::model_object(&id, unix_now()).to_string())
    } else {
        let error = ApiError {
            status: 404,
            message: format!("The model '{id}' does not exist"),
            kind: "invalid_request_error",
            code: "model_not_found",
        };
        json_response(404, error.body(Dialect::OpenAi))
    }
}

async fn unknown_route(method: Method, uri: Uri) -> Response {
    let error = ApiError {
        status: 404,
        message: format!("Unknown request URL: {method} {}.", uri.path()),
        kind: "invalid_request_error",
        code: "unknown_url",
    };
    json_response(404, error.body(Dialect::OpenAi))
}

/// Sleeps until `offset` after the request was received, by both clocks: the tokio timer
/// (deadline `start + offset`) and the quanta clock the truth is recorded with.
async fn sleep_past(start: tokio::time::Instant, received_at: quanta::Instant, offset: Duration) {
    tokio::time::sleep_until(start + offset).await;
    let target = received_at + offset;
    loop {
        let now = quanta::Instant::now();
        if now >= target {
            return;
        }
        tokio::time::sleep(target.saturating_duration_since(now)).await;
    }
}

/// A request just received: its clocks, profile, index and the start of its truth.
struct Begun {
    received_at: quanta::Instant,
    start: tokio::time::Instant,
    in_flight: InFlight,
    profile: LatencyProfile,
    index: u64,
    truth: RequestTruth,
}

impl Begun {
    fn new(shared: &Arc<Shared>, dialect: Dialect) -> Begun {
        let received_at = quanta::Instant::now();
        let start = tokio::time::Instant::now();
        let in_flight = InFlight::new(shared);
        let (profile, index) = shared.next_request();
        let truth = RequestTruth {
            request_index: index,
            received_at,
            headers_sent_at: received_at,
            token_sent_at: Vec::new(),
            finished_at: None,
            model: shared.model.clone(),
            max_tokens: None,
            planned_tokens: 0,
            reasoning_tokens: 0,
            reasoning_streamed: false,
            dialect,
            prompt_tokens: 0,
            streamed: false,
            include_usage: false,
            status: 200,
            completed: false,
        };
        Begun {
            received_at,
            start,
            in_flight,
            profile,
            index,
            truth,
        }
    }
}

/// What a dialect's handler decided about a valid request.
struct Decided {
    /// The model named by the request, if any.
    model: Option<String>,
    max_tokens: Option<u32>,
    stream: bool,
    /// The stream reports usage.
    include_usage: bool,
    answer: Answer,
    shape: Shape,
}

/// The dialect-specific form of the answer, with what the dialect's frames need of the
/// request.
enum Shape {
    OpenAi,
    Anthropic,
    Gemini(gemini::Framing),
    CohereV2,
    /// The conversation `stream-end` repeats.
    CohereV1(Vec<serde_json::Value>),
    Ollama(ollama::Endpoint),
    /// `parameters.details` was asked for.
    Tgi(bool),
    /// The settings the response object echoes.
    Responses(responses::Echo),
    Completions,
    Azure,
}

impl Shape {
    fn dialect(&self) -> Dialect {
        match self {
            Shape::OpenAi => Dialect::OpenAi,
            Shape::Anthropic => Dialect::Anthropic,
            Shape::Gemini(_) => Dialect::Gemini,
            Shape::CohereV2 => Dialect::CohereV2,
            Shape::CohereV1(_) => Dialect::CohereV1,
            Shape::Ollama(_) => Dialect::Ollama,
            Shape::Tgi(_) => Dialect::Tgi,
            Shape::Responses(_) => Dialect::OpenAiResponses,
            Shape::Completions => Dialect::OpenAiCompletions,
            Shape::Azure => Dialect::AzureOpenAi,
        }
    }
}

/// The frames of one streamed answer, in its dialect.
enum Writer {
    OpenAi(openai::ChunkWriter),
    Anthropic(anthropic::EventWriter),
    Gemini(gemini::ChunkWriter),
    CohereV2(cohere::EventWriter),
    CohereV1(cohere_v1::LineWriter),
    Ollama(ollama::LineWriter),
    Tgi(tgi::EventWriter),
    Responses(responses::EventWriter),
    Completions(completions::ChunkWriter),
    Azure(azure::ChunkWriter),
}

impl Writer {
    /// The frame sent at once, with the headers (none for Gemini, Ollama, TGI and legacy
    /// Completions, whose first frame is the first token's).
    fn head(&mut self) -> Option<String> {
        match self {
            Writer::OpenAi(w) => Some(w.role()),
            Writer::Anthropic(w) => Some(w.head()),
            Writer::CohereV2(w) => Some(w.head()),
            Writer::CohereV1(w) => Some(w.head()),
            Writer::Responses(w) => Some(w.head()),
            Writer::Azure(w) => Some(w.head()),
            Writer::Gemini(_) | Writer::Ollama(_) | Writer::Tgi(_) | Writer::Completions(_) => None,
        }
    }

    /// The frame of sent token `i`.
    fn token(&mut self, i: u32) -> String {
        match self {
            Writer::OpenAi(w) => w.token(i),
            Writer::Anthropic(w) => w.token(i),
            Writer::Gemini(w) => w.token(i),
            Writer::CohereV2(w) => w.token(i),
            Writer::CohereV1(w) => w.token(i),
            Writer::Ollama(w) => w.token(i),
            Writer::Tgi(w) => w.token(i),
            Writer::Responses(w) => w.token(i),
            Writer::Completions(w) => w.token(i),
            Writer::Azure(w) => w.token(i),
        }
    }

    /// The frame sent after the last token, if any.
    fn trailer(&mut self) -> Option<String> {
        match self {
            Writer::OpenAi(w) => Some(w.trailer()),
            Writer::Anthropic(w) => Some(w.trailer()),
            Writer::Gemini(w) => w.trailer(),
            Writer::CohereV2(w) => Some(w.trailer()),
            Writer::CohereV1(w) => Some(w.trailer()),
            Writer::Ollama(w) => Some(w.trailer()),
            Writer::Tgi(w) => w.trailer(),
            Writer::Responses(w) => Some(w.trailer()),
            Writer::Completions(w) => Some(w.trailer()),
            Writer::Azure(w) => Some(w.trailer()),
        }
    }
}

/// What every handler does once the request's dialect (and anything in its URL) is known:
/// parse the body (an invalid one gets the dialect's error), let `decide` plan the answer
/// from the request and the profile, and respond.
async fn answer_request<R>(
    shared: Arc<Shared>,
    begun: Begun,
    body: Bytes,
    parse: impl FnOnce(&[u8]) -> Result<R, ApiError>,
    decide: impl FnOnce(R, &LatencyProfile) -> Decided,
) -> Response {
    let request = match parse(&body) {
        Ok(request) => request,
        Err(error) => return error_response(&shared, begun.truth, &error),
    };
    drop(body);
    let decided = decide(request, &begun.profile);
    respond(shared, begun, decided).await
}

impl Decided {
    /// A decision whose stream reports usage exactly when it is streamed (every dialect but
    /// OpenAI's, where the request asks for it with `stream_options.include_usage`).
    fn new(
        model: Option<String>,
        max_tokens: Option<u32>,
        stream: bool,
        answer: Answer,
        shape: Shape,
    ) -> Decided {
        Decided {
            model,
            max_tokens,
            stream,
            include_usage: stream,
            answer,
            shape,
        }
    }
}

/// An OpenAI chat-completions request's answer (OpenAI's own API and Azure's).
fn openai_chat_answer(
    request: openai::ChatRequest,
    profile: &LatencyProfile,
    shape: Shape,
) -> Decided {
    let reasoning = reasoning_for(profile, request.reasoning, None);
    let answer = Answer::plan(
        profile,
        request.max_tokens,
        reasoning,
        true,
        request.prompt_tokens,
    );
    Decided {
        include_usage: request.include_usage,
        ..Decided::new(
            request.model,
            request.max_tokens,
            request.stream,
            answer,
            shape,
        )
    }
}

/// `POST /v1/chat/completions`: OpenAI chat completions.
async fn chat_completions(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::OpenAi);
    answer_request(shared, begun, body, openai::parse_request, |r, profile| {
        openai_chat_answer(r, profile, Shape::OpenAi)
    })
    .await
}

/// `POST /v1/messages`: Anthropic Messages.
async fn messages(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::Anthropic);
    answer_request(
        shared,
        begun,
        body,
        anthropic::parse_request,
        |r, profile| {
            let answer = r.answer(profile);
            Decided::new(
                r.model,
                Some(r.max_tokens),
                r.stream,
                answer,
                Shape::Anthropic,
            )
        },
    )
    .await
}

/// `POST /v1beta/models/{model}:streamGenerateContent` (SSE with `alt=sse`, a streamed JSON
/// array without) and `:generateContent`; also under `/v1/models/`.
async fn generate_content(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut begun = Begun::new(&shared, Dialect::Gemini);
    let Some((model, method)) = target.rsplit_once(':') else {
        let error = ApiError::google(
            404,
            "NOT_FOUND",
            format!("models/{target} is not found, or is not supported: POST a :generateContent or :streamGenerateContent method."),
        );
        return error_response(&shared, begun.truth, &error);
    };
    let stream = match method {
        "streamGenerateContent" => true,
        "generateContent" => false,
        _ => {
            let error = ApiError::google(
                404,
                "NOT_FOUND",
                format!("Method {method} is not supported by the llm-bench mock."),
            );
            return error_response(&shared, begun.truth, &error);
        }
    };
    begun.truth.model = model.to_owned();
    let sse = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|kv| kv == "alt=sse"));
    let framing = if sse {
        gemini::Framing::Sse
    } else {
        gemini::Framing::JsonArray
    };
    let model = (!model.is_empty()).then(|| model.to_owned());
    answer_request(shared, begun, body, gemini::parse_request, |r, profile| {
        let answer = r.answer(profile);
        Decided::new(model, r.max_tokens, stream, answer, Shape::Gemini(framing))
    })
    .await
}

/// `POST /v1/responses`: the OpenAI Responses API.
async fn responses_api(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::OpenAiResponses);
    answer_request(
        shared,
        begun,
        body,
        responses::parse_request,
        |r, profile| {
            let answer = r.answer(profile);
            Decided::new(
                r.model,
                r.max_tokens,
                r.stream,
                answer,
                Shape::Responses(r.echo),
            )
        },
    )
    .await
}

/// `POST /v1/completions`: OpenAI's legacy Completions API.
async fn legacy_completions(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::OpenAiCompletions);
    answer_request(
        shared,
        begun,
        body,
        completions::parse_request,
        |r, profile| {
            let answer = r.answer(profile);
            Decided {
                include_usage: r.include_usage,
                ..Decided::new(r.model, r.max_tokens, r.stream, answer, Shape::Completions)
            }
        },
    )
    .await
}

/// `POST /openai/deployments/{deployment}/chat/completions?api-version=...`: Azure OpenAI.
/// Any deployment name is accepted; it serves the server's model, whatever the body names
/// (as an Azure deployment serves the model it was created with).
async fn azure_deployment(
    State(shared): State<Arc<Shared>>,
    Path(_deployment): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let begun = Begun::new(&shared, Dialect::AzureOpenAi);
    let has_version = query.as_deref().is_some_and(|q| {
        q.split('&').any(|kv| {
            kv.strip_prefix("api-version=")
                .is_some_and(|v| !v.is_empty())
        })
    });
    if !has_version {
        let error = ApiError {
            status: 404,
            message: "Resource not found: a deployment URL needs an api-version query parameter (e.g. ?api-version=2024-10-21).".into(),
            kind: "invalid_request_error",
            code: "404",
        };
        return error_response(&shared, begun.truth, &error);
    }
    answer_request(shared, begun, body, openai::parse_request, |r, profile| {
        Decided {
            model: None,
            ..openai_chat_answer(r, profile, Shape::Azure)
        }
    })
    .await
}

/// `POST /openai/v1/chat/completions`: Azure OpenAI's v1 API (the model in the body).
async fn azure_v1(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::AzureOpenAi);
    answer_request(shared, begun, body, openai::parse_request, |r, profile| {
        openai_chat_answer(r, profile, Shape::Azure)
    })
    .await
}

/// `POST /v2/chat`: Cohere chat, API v2.
async fn cohere_v2_chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::CohereV2);
    answer_request(shared, begun, body, cohere::parse_request, |r, profile| {
        let answer = r.answer(profile);
        Decided::new(r.model, r.max_tokens, r.stream, answer, Shape::CohereV2)
    })
    .await
}

/// `POST /v1/chat`: Cohere chat, API v1 (NDJSON).
async fn cohere_v1_chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::CohereV1);
    answer_request(
        shared,
        begun,
        body,
        cohere_v1::parse_request,
        |r, profile| {
            let answer = r.answer(profile);
            Decided::new(
                r.model,
                r.max_tokens,
                r.stream,
                answer,
                Shape::CohereV1(r.history),
            )
        },
    )
    .await
}

/// `POST /api/chat`: Ollama chat (NDJSON).
async fn ollama_chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    ollama_request(shared, body, ollama::Endpoint::Chat).await
}

/// `POST /api/generate`: Ollama generate (NDJSON).
async fn ollama_generate(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    ollama_request(shared, body, ollama::Endpoint::Generate).await
}

async fn ollama_request(shared: Arc<Shared>, body: Bytes, endpoint: ollama::Endpoint) -> Response {
    let begun = Begun::new(&shared, Dialect::Ollama);
    let parse = |body: &[u8]| ollama::parse_request(body, endpoint);
    answer_request(shared, begun, body, parse, |r, profile| {
        let answer = r.answer(profile);
        Decided::new(
            r.model,
            r.max_tokens,
            r.stream,
            answer,
            Shape::Ollama(endpoint),
        )
    })
    .await
}

/// `POST /generate_stream`: TGI's token stream (always streamed).
async fn tgi_generate_stream(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let begun = Begun::new(&shared, Dialect::Tgi);
    answer_request(shared, begun, body, tgi::parse_request, |r, profile| {
        let answer = r.answer(profile);
        Decided {
            include_usage: r.details,
            ..Decided::new(None, r.max_tokens, true, answer, Shape::Tgi(r.details))
        }
    })
    .await
}

/// Answers a valid request: an injected error, a whole answer after its time, or a stream.
async fn respond(shared: Arc<Shared>, begun: Begun, decided: Decided) -> Response {
    let Begun {
        received_at,
        start,
        in_flight,
        profile,
        index,
        mut truth,
    } = begun;
    let Decided {
        model,
        max_tokens,
        stream,
        include_usage,
        answer,
        shape,
    } = decided;
    let dialect = shape.dialect();
    if let Some(model) = &model {
        truth.model.clone_from(model);
    }
    truth.max_tokens = max_tokens;
    truth.prompt_tokens = answer.prompt_tokens;
    truth.streamed = stream;
    truth.include_usage = include_usage;

    let mut plan = profile.plan(index);
    if plan.fail {
        return error_response(&shared, truth, &ApiError::injected(dialect));
    }
    truth.planned_tokens = answer.total();
    truth.reasoning_tokens = answer.reasoning;
    truth.reasoning_streamed = answer.reasoning_streamed;
    let serial = shared.ids.fetch_add(1, Ordering::Relaxed);
    let id = match dialect {
        Dialect::OpenAi | Dialect::AzureOpenAi => format!("chatcmpl-mock{serial:012x}"),
        Dialect::Anthropic => format!("msg_mock{serial:016x}"),
        Dialect::OpenAiResponses => format!("resp_mock{serial:016x}"),
        Dialect::OpenAiCompletions => format!("cmpl-mock{serial:012x}"),
        Dialect::CohereV2 | Dialect::CohereV1 => uuid_like(serial),
        Dialect::Gemini | Dialect::Ollama | Dialect::Tgi => format!("mock{serial:012x}"),
    };
    // Cohere v1's second id, the generation's.
    let generation_id = uuid_like(serial ^ 0x6765_6E65_7261_7465);
    let created = unix_now();

    if !stream {
        let mut offset = plan.ttft;
        for _ in 1..answer.total() {
            offset = plan.next_offset(offset);
        }
        tokio::select! {
            () = sleep_past(start, received_at, offset) => {}
            () = shared.closing() => {
                return error_response(&shared, truth, &ApiError::shutting_down(dialect));
            }
        }
        let body = match &shape {
            Shape::OpenAi => openai::completion_body(&id, created, &truth.model, &answer),
            Shape::Anthropic => anthropic::message_body(&id, &truth.model, &answer),
            Shape::Gemini(_) => gemini::response_body(&id, &truth.model, &answer),
            Shape::CohereV2 => cohere::response_body(&id, &answer),
            Shape::CohereV1(history) => {
                cohere_v1::response_body(&id, &generation_id, history, &answer)
            }
            Shape::Ollama(endpoint) => {
                let durations = ollama::Durations {
                    total: quanta::Instant::now().saturating_duration_since(received_at),
                    prompt_eval: plan.ttft,
                    eval: offset.saturating_sub(plan.ttft),
                };
                ollama::response_body(&truth.model, &answer, *endpoint, durations)
            }
            Shape::Responses(echo) => {
                responses::EventWriter::new(&id, created, &truth.model, echo.clone(), answer)
                    .response_body()
            }
            Shape::Completions => completions::completion_body(&id, created, &truth.model, &answer),
            Shape::Azure => azure::completion_body(&id, created, &truth.model, &answer),
            // `/generate_stream` always streams.
            Shape::Tgi(_) => String::new(),
        };
        let now = quanta::Instant::now();
        truth.headers_sent_at = now;
        truth.finished_at = Some(now);
        truth.completed = true;
        shared.truth.push(truth);
        return json_response(200, body);
    }

    let (writer, content_type) = match shape {
        Shape::OpenAi => (
            Writer::OpenAi(openai::ChunkWriter::new(
                &id,
                created,
                &truth.model,
                answer,
                include_usage,
            )),
            "text/event-stream",
        ),
        Shape::Anthropic => (
            Writer::Anthropic(anthropic::EventWriter::new(&id, &truth.model, answer)),
            "text/event-stream; charset=utf-8",
        ),
        Shape::Gemini(framing) => (
            Writer::Gemini(gemini::ChunkWriter::new(&id, &truth.model, answer, framing)),
            match framing {
                gemini::Framing::Sse => "text/event-stream",
                gemini::Framing::JsonArray => "application/json; charset=UTF-8",
            },
        ),
        Shape::CohereV2 => (
            Writer::CohereV2(cohere::EventWriter::new(&id, answer)),
            "text/event-stream",
        ),
        Shape::CohereV1(history) => (
            Writer::CohereV1(cohere_v1::LineWriter::new(
                &id,
                &generation_id,
                history,
                answer,
            )),
            "application/stream+json",
        ),
        Shape::Ollama(endpoint) => (
            Writer::Ollama(ollama::LineWriter::new(
                &truth.model,
                answer,
                endpoint,
                received_at,
            )),
            "application/x-ndjson",
        ),
        Shape::Tgi(details) => (
            Writer::Tgi(tgi::EventWriter::new(answer, details)),
            "text/event-stream",
        ),
        Shape::Responses(echo) => (
            Writer::Responses(responses::EventWriter::new(
                &id,
                created,
                &truth.model,
                echo,
                answer,
            )),
            "text/event-stream; charset=utf-8",
        ),
        Shape::Completions => (
            Writer::Completions(completions::ChunkWriter::new(
                &id,
                created,
                &truth.model,
                answer,
                include_usage,
            )),
            "text/event-stream",
        ),
        Shape::Azure => (
            Writer::Azure(azure::ChunkWriter::new(
                &id,
                created,
                &truth.model,
                answer,
                include_usage,
            )),
            "text/event-stream; charset=utf-8",
        ),
    };
    // Hidden reasoning takes its time: the first token sent is generated after it. When
    // nothing is sent at all, the end comes when the last hidden token is done.
    let tokens = answer.streamed();
    let mut offset = plan.ttft;
    let skip = if tokens == 0 {
        answer.hidden().saturating_sub(1)
    } else {
        answer.hidden()
    };
    for _ in 0..skip {
        offset = plan.next_offset(offset);
    }
    truth.token_sent_at.reserve_exact(tokens as usize);
    let body = SseBody {
        writer,
        tokens,
        start,
        received_at,
        offset,
        plan,
        phase: Phase::Head,
        sleep: Box::pin(tokio::time::sleep_until(start)),
        closing: Box::pin(shared.closing()),
        truth: Some(truth),
        in_flight,
    };
    let mut resp = Response::new(Body::from_stream(body));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if dialect == Dialect::Anthropic {
        if let Ok(v) = HeaderValue::from_str(&format!("req_mock{serial:016x}")) {
            headers.insert("request-id", v);
        }
    }
    if dialect == Dialect::AzureOpenAi {
        if let Ok(v) = HeaderValue::from_str(&uuid_like(serial ^ 0x6170_696D)) {
            headers.insert("apim-request-id", v);
        }
    }
    resp
}

#[derive(Clone, Copy)]
enum Phase {
    /// Next: the frame that goes with the headers, at once (none for Gemini).
    Head,
    /// Next: token `i`, at `start + offset`.
    Token(u32),
    /// Next: the end of the stream (finish, usage, terminator), at once; when no token was
    /// sent, at `start + offset`.
    Trailer,
    Done,
}

/// The body of a streamed answer. It is polled by the connection's task: each token is
/// produced when its absolute deadline has passed, and its time recorded right before the
/// frame is handed to hyper. No task of its own: when the client goes away, hyper drops the
/// body and generation stops.
struct SseBody {
    writer: Writer,
    plan: RequestPlan,
    phase: Phase,
    /// Tokens to send.
    tokens: u32,
    start: tokio::time::Instant,
    received_at: quanta::Instant,
    /// Offset from the start of the next token.
    offset: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    closing: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// Taken when stored.
    truth: Option<RequestTruth>,
    in_flight: InFlight,
}

impl SseBody {
    fn store(&mut self, completed: bool, finished_at: Option<quanta::Instant>) {
        if let Some(mut truth) = self.truth.take() {
            truth.completed = completed;
            truth.finished_at = finished_at;
            self.in_flight.0.truth.push(truth);
        }
    }

    fn frame(s: String) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(Some(Ok(Bytes::from(s))))
    }

    /// Waits for the deadline `received + offset` by both clocks; `None` when the server
    /// is shutting down (the stream is then over, recorded as not completed).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Option<quanta::Instant>> {
        if self.closing.as_mut().poll(cx).is_ready() {
            self.phase = Phase::Done;
            self.store(false, None);
            return Poll::Ready(None);
        }
        let target = self.received_at + self.offset;
        // A deadline already passed (no delay, or a stream behind schedule) needs no timer:
        // tokio's wheel would hold it until its next 1 ms tick.
        let now = quanta::Instant::now();
        if now >= target {
            return Poll::Ready(Some(now));
        }
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            let now = quanta::Instant::now();
            if now >= target {
                return Poll::Ready(Some(now));
            }
            // The tokio timer fired a hair before the quanta clock reached the deadline:
            // wait the rest, so truth never shows a token early.
            let rest = target.saturating_duration_since(now);
            self.sleep
                .as_mut()
                .reset(tokio::time::Instant::now() + rest);
        }
    }

    /// Ends the stream with the trailer, if the dialect has one.
    fn trailer(&mut self) -> Poll<Option<Result<Bytes, Infallible>>> {
        let frame = self.writer.trailer();
        self.phase = Phase::Done;
        self.store(true, Some(quanta::Instant::now()));
        match frame {
            Some(frame) => SseBody::frame(frame),
            None => Poll::Ready(None),
        }
    }
}

impl Stream for SseBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.phase {
                Phase::Head => {
                    let frame = this.writer.head();
                    if let Some(truth) = &mut this.truth {
                        truth.headers_sent_at = quanta::Instant::now();
                    }
                    this.phase = if this.tokens == 0 {
                        Phase::Trailer
                    } else {
                        Phase::Token(0)
                    };
                    this.sleep.as_mut().reset(this.start + this.offset);
                    match frame {
                        Some(frame) => return SseBody::frame(frame),
                        // Nothing to send with the headers: on to the first token (hyper
                        // flushes the headers while the body is pending).
                        None => continue,
                    }
                }
                Phase::Token(i) => {
                    let Some(now) = ready!(this.poll_deadline(cx)) else {
                        return Poll::Ready(None);
                    };
                    let frame = this.writer.token(i);
                    if i + 1 < this.tokens {
                        this.offset = this.plan.next_offset(this.offset);
                        this.sleep.as_mut().reset(this.start + this.offset);
                        this.phase = Phase::Token(i + 1);
                    } else {
                        this.phase = Phase::Trailer;
                    }
                    // Record as late as possible: right before the frame goes to hyper.
                    let sent = quanta::Instant::now().max(now);
                    if let Some(truth) = &mut this.truth {
                        truth.token_sent_at.push(sent);
                    }
                    return SseBody::frame(frame);
                }
                Phase::Trailer => {
                    if this.tokens == 0 && ready!(this.poll_deadline(cx)).is_none() {
                        return Poll::Ready(None);
                    }
                    return this.trailer();
                }
                Phase::Done => return Poll::Ready(None),
            }
        }
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        // The client went away (or the server stopped) before the end.
        self.store(false, None);
    }
}
