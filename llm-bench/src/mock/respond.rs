//! One request's life, the same for every dialect: read it, refuse it or plan its answer,
//! answer (an injected error or fault, or, once it has a generation slot, a whole body
//! after its time or a paced stream), and record its truth.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use super::api_error::{ApiError, QUEUE_FULL, SERVER_ERROR};
use super::capacity::{prefill_tokens, Slot, Slots};
use super::dialect::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use super::fault::{Disruption, Fault};
use super::pacing::Pacer;
use super::profile::{LatencyProfile, MAX_OFFSET};
use super::state::{Assigned, InFlight, Shared};
use super::stream::StreamBody;
use super::truth::{PendingWrites, RequestTruth};
use super::written::ConnWrites;
use crate::clock::Anchor;

/// A request as its route received it, before its dialect read it.
pub(crate) struct Incoming {
    /// The route's path, as the dialect listed it.
    pub(crate) path: &'static str,
    /// The value of the path's parameter, if it has one.
    pub(crate) param: Option<String>,
    /// The query string, if any.
    pub(crate) query: Option<String>,
    /// The body.
    pub(crate) body: Bytes,
    /// The connection it came on, whose writes are stamped.
    pub(crate) conn: ConnWrites,
}

/// Answers one request in `dialect`.
pub(crate) async fn answer<D: DialectWriter>(
    dialect: &'static D,
    shared: Arc<Shared>,
    incoming: Incoming,
) -> Response {
    let mut begun = Begun::new(&shared, D::DIALECT, &incoming.conn);
    let request_id = begun.truth.request_id.clone();
    let call = Call {
        path: incoming.path,
        param: incoming.param.as_deref(),
        query: incoming.query.as_deref(),
        body: &incoming.body,
    };
    if let Some(model) = dialect.url_model(&call) {
        begun.truth.model = model;
    }
    let reading = dialect.read(&call, &begun.profile);
    // The body is not needed any more: do not hold it while the answer takes its time.
    let conn = incoming.conn.clone();
    drop(incoming);
    let mut resp = match reading {
        Ok(reading) => respond(dialect, shared, begun, reading, conn).await,
        Err(error) => error_response(dialect, &shared, begun.truth, &error),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(D::REQUEST_ID_HEADER, value);
    }
    resp
}

/// A request just received: its clocks, profile, index and the start of its truth.
struct Begun {
    /// When it was received, by the quanta clock (the truth's and the pacing's).
    received_at: quanta::Instant,
    /// Counts it in flight.
    in_flight: InFlight,
    /// The profile it is answered with.
    profile: LatencyProfile,
    /// Its index on the server.
    index: u64,
    /// The generation slots it waits for, if the profile has any.
    slots: Option<Arc<Slots>>,
    /// Its latency factor, from the profile's drift model and when it arrived (1: none).
    factor: f64,
    /// Its truth so far.
    truth: RequestTruth,
}

impl Begun {
    /// Starts a request of `dialect` that came on `conn`: takes its time, profile, index
    /// and id, and makes the connection's next write its headers'.
    fn new(shared: &Arc<Shared>, dialect: Dialect, conn: &ConnWrites) -> Begun {
        // One moment on quanta's clock (the pacing's and the truth's) and the monotonic one.
        let received = Anchor::now();
        let (received_at, received_monotonic_ns) = (received.at, received.monotonic_ns);
        let in_flight = InFlight::new(shared);
        let Assigned {
            profile,
            index,
            slots,
            drift,
        } = shared.next_request();
        // Drift, bursts and noise: one factor for the whole request, decided by when it
        // arrived since the server started (the same for every client at that moment).
        let factor = if drift.is_constant() {
            1.0
        } else {
            drift.factor(
                received_at.saturating_duration_since(shared.started_at),
                index,
            )
        };
        let truth = RequestTruth {
            request_index: index,
            received_at,
            received_monotonic_ns,
            request_id: format!("req_mock_{}", in_flight.number()),
            headers_sent_at: received_at,
            token_sent_at: Vec::new(),
            headers_written: None,
            token_written: Vec::new(),
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
            queue_wait: Duration::ZERO,
            fault: None,
            pending_writes: PendingWrites(Some(conn.begin_response())),
        };
        Begun {
            received_at,
            in_flight,
            profile,
            index,
            slots,
            factor,
            truth,
        }
    }
}

/// Answers a valid request: an injected error or fault, or, once it has a slot, a whole
/// answer after its time, or a stream.
async fn respond<D: DialectWriter>(
    dialect: &'static D,
    shared: Arc<Shared>,
    begun: Begun,
    reading: Reading<D::Request>,
    conn: ConnWrites,
) -> Response {
    let Begun {
        received_at,
        in_flight,
        profile,
        index,
        slots,
        factor,
        mut truth,
    } = begun;
    let Reading {
        model,
        max_tokens,
        stream,
        include_usage,
        answer,
        request,
    } = reading;
    if let Some(model) = &model {
        truth.model.clone_from(model);
    }
    truth.max_tokens = max_tokens;
    truth.prompt_tokens = answer.prompt_tokens;
    truth.streamed = stream;
    truth.include_usage = include_usage;

    let mut plan = profile.plan(index);
    plan.drift(factor);
    if plan.fail {
        truth.fault = Some(Fault::InjectedError);
        return error_response(dialect, &shared, truth, &dialect.injected_error());
    }
    let fault = profile.faults.draw(profile.request_seed(index));
    truth.fault = fault;
    match fault {
        Some(Fault::RateLimited) => {
            let mut resp = error_response(dialect, &shared, truth, &dialect.rate_limit_error());
            let retry_after = HeaderValue::from(profile.faults.retry_after_secs());
            resp.headers_mut().insert(header::RETRY_AFTER, retry_after);
            return resp;
        }
        Some(Fault::ServerError) => {
            let error = dialect.overloaded_error(SERVER_ERROR);
            return error_response(dialect, &shared, truth, &error);
        }
        _ => {}
    }
    let slot = match &slots {
        None => None,
        Some(slots) => {
            let got = tokio::select! {
                got = slots.acquire() => got,
                () = shared.closing() => {
                    return error_response(dialect, &shared, truth, &dialect.shutdown_error());
                }
            };
            let Ok(slot) = got else {
                truth.fault = Some(Fault::QueueFull);
                let error = dialect.overloaded_error(QUEUE_FULL);
                return error_response(dialect, &shared, truth, &error);
            };
            truth.queue_wait = quanta::Instant::now().saturating_duration_since(received_at);
            plan.slowed_by(slots);
            Some(slot)
        }
    };
    // The first token: the slot's wait, then TTFT and prefill (both times the drift
    // factor), and a stall.
    let stall = match fault {
        Some(Fault::Stall) => profile.faults.stall_for,
        _ => Duration::ZERO,
    };
    let prefill = plan.drifted(
        profile
            .capacity
            .prefill
            .saturating_mul(prefill_tokens(answer.prompt_tokens)),
    );
    plan.ttft = (truth.queue_wait + plan.ttft)
        .saturating_add(prefill)
        .saturating_add(stall)
        .min(MAX_OFFSET);
    truth.planned_tokens = answer.total();
    truth.reasoning_tokens = answer.reasoning;
    truth.reasoning_streamed = answer.reasoning_streamed;
    let serial = shared.ids.fetch_add(1, Ordering::Relaxed);
    let created = unix_now();

    if !stream {
        let mut pacer = Pacer::new(plan, received_at);
        let last = answer.total().saturating_sub(1);
        let cut = fault == Some(Fault::Disconnect);
        pacer.skip(if cut { answer.total() / 2 } else { last });
        if fault == Some(Fault::StallMid) {
            pacer.delay(profile.faults.stall_for);
        }
        tokio::select! {
            () = pacer.due() => {}
            () = shared.closing() => {
                return error_response(dialect, &shared, truth, &dialect.shutdown_error());
            }
        }
        if cut {
            return cut_response(&shared, truth, slot);
        }
        drop(slot);
        let reply = Reply {
            serial,
            created,
            model: &truth.model,
            answer,
            include_usage,
            received_at,
        };
        let timing = BodyTiming {
            ttft: pacer.ttft(),
            last: pacer.offset(),
        };
        let body = dialect.body(request, &reply, timing);
        let now = quanta::Instant::now();
        truth.headers_sent_at = now;
        truth.finished_at = Some(now);
        truth.completed = true;
        shared.truth.push(truth);
        return json_response(200, body);
    }

    let reply = Reply {
        serial,
        created,
        model: &truth.model,
        answer,
        include_usage,
        received_at,
    };
    let content_type = dialect.content_type(&request);
    let writer = dialect.start(request, &reply);
    let pacer = Pacer::for_stream(plan, received_at, &answer);
    let tokens = answer.streamed();
    truth.token_sent_at.reserve_exact(tokens as usize);
    if let Some(writes) = &truth.pending_writes.0 {
        writes.reserve(tokens);
    }
    let disruption = Disruption::of(fault, tokens, profile.faults.stall_for);
    let body = StreamBody::new(dialect, writer, pacer, tokens, truth, in_flight, conn)
        .disrupted(disruption)
        .holding(slot);
    let mut resp = Response::new(Body::from_stream(body));
    let map = resp.headers_mut();
    map.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    map.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A JSON response with this status.
pub(crate) fn json_response(status: u16, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Records the truth of a non-streaming answer cut halfway (a `disconnect` fault) and
/// returns a response whose body fails at once: the HTTP layer closes the connection
/// without the body. The slot is freed.
fn cut_response(shared: &Shared, mut truth: RequestTruth, slot: Option<Slot>) -> Response {
    drop(slot);
    truth.completed = false;
    truth.finished_at = None;
    shared.truth.push(truth);
    let failed = futures_util::stream::once(async {
        Err::<Bytes, _>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the llm-bench mock cut the connection (disconnect fault)",
        ))
    });
    let mut resp = Response::new(Body::from_stream(failed));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Records the truth of an error and returns its response, in the dialect's shape.
fn error_response<D: DialectWriter>(
    dialect: &D,
    shared: &Shared,
    mut truth: RequestTruth,
    error: &ApiError,
) -> Response {
    let body = dialect.error_body(error);
    let now = quanta::Instant::now();
    truth.status = error.status;
    truth.headers_sent_at = now;
    truth.finished_at = Some(now);
    truth.completed = true;
    shared.truth.push(truth);
    json_response(error.status, body)
}
