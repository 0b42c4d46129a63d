//! Retries of the built-in client: which failures are retried, and how long to wait first.
//!
//! Off unless configured ([`ClientBuilder::retries`](super::ClientBuilder::retries), or the
//! harness's [`Client::with_retries`](super::Client::with_retries)). A request is retried
//! only when its attempt failed before any output, and only for failures that say "try
//! again": HTTP 429, 500, 502, 503, 504 and 529 (Anthropic's "overloaded"), and a
//! connection that could not be made ([`Error::Connect`]: refused, DNS, TLS; the request
//! was never sent). Any other 4xx, a timeout of any phase, and anything after the first
//! output event are final.
//!
//! The wait before a retry is the server's `Retry-After` when it sends one (see
//! [`retry_after`]), else a jittered exponential backoff (`backon`'s
//! `ExponentialBuilder`, used only as an iterator of delays); either way at most the
//! policy's `max_delay`. The recorder keeps failed attempts and waits out of latency
//! ([`Recorder::retry`](crate::metrics::Recorder::retry)).

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use reqwest::header::HeaderMap;

use crate::error::Error;

/// The HTTP statuses worth retrying: too many requests, and the server-side failures that
/// are usually transient (529 is Anthropic's "overloaded").
pub(crate) const RETRY_STATUSES: [u16; 6] = [429, 500, 502, 503, 504, 529];

/// How a client retries a request that failed before any output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt (0: no retries).
    pub(crate) max_retries: u32,
    /// The first backoff delay (before jitter); each next one doubles it.
    pub(crate) base_delay: Duration,
    /// The longest wait before a retry, `Retry-After` included.
    pub(crate) max_delay: Duration,
}

impl RetryPolicy {
    /// The first backoff delay by default: 500 ms, as OpenAI's and Anthropic's own SDKs.
    pub(crate) const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
    /// The longest wait by default: 30 s.
    pub(crate) const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
    /// No retries (the default).
    pub(crate) const OFF: RetryPolicy = RetryPolicy::new(0);

    /// At most `max_retries` retries, with the default delays.
    pub(crate) const fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            base_delay: Self::DEFAULT_BASE_DELAY,
            max_delay: Self::DEFAULT_MAX_DELAY,
        }
    }

    /// Whether a request that has been retried `retries` times so far and whose attempt just
    /// failed with `error` is tried again. `output_began` says whether the attempt recorded
    /// output: a stream that has begun is never retried (its output would be counted twice).
    pub(crate) fn should_retry(&self, retries: u32, error: &Error, output_began: bool) -> bool {
        retries < self.max_retries && !output_began && retryable(error)
    }

    /// The backoff delays of one request, in order: `base_delay`, doubling, each with a
    /// random jitter of up to its own length added (backon's jitter), at most `max_delay`.
    pub(crate) fn backoff(&self) -> Backoff {
        let max = self.max_delay.max(self.base_delay);
        Backoff {
            delays: ExponentialBuilder::new()
                .with_jitter()
                .with_factor(2.0)
                .with_min_delay(self.base_delay)
                .with_max_delay(max)
                .without_max_times()
                .build(),
            max_delay: self.max_delay,
        }
    }

    /// The wait before the next retry: the server's `Retry-After` when it sent one, else
    /// the next backoff delay; at most `max_delay` either way.
    pub(crate) fn delay(&self, retry_after: Option<Duration>, backoff: &mut Backoff) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.max_delay),
            None => backoff.next().unwrap_or(self.max_delay),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::OFF
    }
}

/// The backoff delays of one request ([`RetryPolicy::backoff`]), capped at the policy's
/// `max_delay` (backon's jitter can add up to one delay on top of its own maximum).
#[derive(Debug)]
pub(crate) struct Backoff {
    delays: ExponentialBackoff,
    max_delay: Duration,
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.delays.next().map(|d| d.min(self.max_delay))
    }
}

/// True for a failure worth retrying: a status of [`RETRY_STATUSES`], or a connection that
/// could not be made. A connect timeout is not retried (its limit was already spent), nor
/// is any other error.
pub(crate) fn retryable(error: &Error) -> bool {
    match error {
        Error::HttpStatus { status, .. } => RETRY_STATUSES.contains(status),
        Error::Connect { .. } => true,
        _ => false,
    }
}

/// How long the server asks the client to wait, from a response's headers at `now`:
/// `retry-after-ms` (milliseconds, sent by OpenAI) when present, else `Retry-After` as
/// delta-seconds (a decimal number is accepted too) or as an HTTP-date (a date in the past
/// is no wait). `None` when there is neither, or neither parses.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(ms) = text("retry-after-ms").and_then(non_negative) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = text("retry-after")?;
    if let Some(secs) = non_negative(value) {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `text` as a finite, non-negative number.
fn non_negative(text: &str) -> Option<f64> {
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn status(status: u16) -> Error {
        Error::HttpStatus {
            status,
            endpoint: "h".into(),
            body: String::new(),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn only_transient_statuses_and_refused_connections_are_retryable() {
        for s in RETRY_STATUSES {
            assert!(retryable(&status(s)), "{s}");
        }
        for s in [400, 401, 403, 404, 408, 409, 413, 422, 501, 505] {
            assert!(!retryable(&status(s)), "{s}");
        }
        let refused = Error::Connect {
            endpoint: "h".into(),
            message: "refused".into(),
        };
        assert!(retryable(&refused));
        let timeout = Error::Timeout {
            phase: crate::error::TimeoutPhase::Connect,
            limit: Duration::from_secs(1),
        };
        assert!(!retryable(&timeout));
        assert!(!retryable(&Error::MidStream("overloaded".into())));
        assert!(!retryable(&Error::Malformed("cut".into())));
    }

    #[test]
    fn nothing_is_retried_after_output_or_past_the_maximum() {
        let policy = RetryPolicy::new(2);
        assert!(policy.should_retry(0, &status(503), false));
        assert!(policy.should_retry(1, &status(503), false));
        assert!(!policy.should_retry(2, &status(503), false));
        assert!(!policy.should_retry(0, &status(503), true));
        assert!(!RetryPolicy::OFF.should_retry(0, &status(429), false));
        assert_eq!(RetryPolicy::default().max_retries, 0);
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_maximum() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        };
        let delays: Vec<Duration> = policy.backoff().take(6).collect();
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        // Without jitter: 100, 200, 400, 700, 700, 700; jitter adds up to one more delay.
        for (d, low) in delays
            .iter()
            .zip([100.0, 200.0, 400.0, 700.0, 700.0, 700.0])
        {
            assert!(ms(d) >= low - 0.01, "{delays:?}");
            assert!(ms(d) <= 700.01, "{delays:?}");
        }
        assert!(ms(&delays[0]) < 200.0, "{delays:?}");
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(5),
        };
        let mut backoff = policy.backoff();
        let one = Duration::from_secs(1);
        assert_eq!(policy.delay(Some(one), &mut backoff), one);
        assert_eq!(
            policy.delay(Some(Duration::from_secs(60)), &mut backoff),
            Duration::from_secs(5)
        );
        // The backoff was not advanced by the two waits the server chose.
        assert!(policy.delay(None, &mut backoff) < Duration::from_millis(20));
    }

    #[test]
    fn retry_after_reads_seconds_milliseconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let at = |pairs: &[(&'static str, &str)]| retry_after(&headers(pairs), now);
        assert_eq!(at(&[("retry-after", "1")]), Some(Duration::from_secs(1)));
        assert_eq!(at(&[("retry-after", " 0 ")]), Some(Duration::ZERO));
        assert_eq!(
            at(&[("retry-after", "1.5")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            at(&[("retry-after", "20"), ("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(at(&[("retry-after", &later)]), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(at(&[("retry-after", &earlier)]), Some(Duration::ZERO));
        assert_eq!(at(&[("retry-after", "-1")]), None);
        assert_eq!(at(&[("retry-after", "soon")]), None);
        assert_eq!(at(&[("retry-after", "inf")]), None);
        assert_eq!(at(&[]), None);
    }
}

/// A loopback HTTP server for the retry and rate-limit tests: it answers each request with
/// the next reply of its script (the last one repeats) and notes when each request arrived.
#[cfg(test)]
pub(super) mod test_server {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// One answer of the test server.
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum Reply {
        /// An error status with a small JSON body, and a `Retry-After` header if given.
        Status(u16, Option<&'static str>),
        /// A valid OpenAI chat stream saying "Hello world".
        Stream,
        /// One output chunk, then an error event.
        OutputThenError,
    }

    /// The text the [`Reply::Stream`] carries.
    pub(crate) const TEXT: &str = "Hello world";

    /// A running server.
    pub(crate) struct Server {
        /// Its base URL (`http://127.0.0.1:port/v1`).
        pub(crate) url: String,
        arrivals: Arc<Mutex<Vec<Instant>>>,
    }

    impl Server {
        /// When each request arrived, in order.
        pub(crate) fn arrivals(&self) -> Vec<Instant> {
            self.arrivals.lock().unwrap().clone()
        }
    }

    /// Starts a server on an OS-assigned loopback port, answering with `script`.
    pub(crate) async fn serve(script: Vec<Reply>) -> Server {
        assert!(!script.is_empty());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let noted = arrivals.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (script, next, noted) = (script.clone(), next.clone(), noted.clone());
                tokio::spawn(async move {
                    answer(socket, &script, &next, &noted).await;
                });
            }
        });
        Server { url, arrivals }
    }

    async fn answer(
        mut socket: TcpStream,
        script: &[Reply],
        next: &AtomicUsize,
        noted: &Mutex<Vec<Instant>>,
    ) {
        if !read_request(&mut socket).await {
            return;
        }
        noted.lock().unwrap().push(Instant::now());
        let i = next.fetch_add(1, Ordering::SeqCst).min(script.len() - 1);
        let _ = socket.write_all(response(script[i]).as_bytes()).await;
        let _ = socket.shutdown().await;
    }

    /// Reads a request head and its body; false when the client went away first.
    async fn read_request(socket: &mut TcpStream) -> bool {
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&request);
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if request.len() >= head_end + 4 + length {
                    return true;
                }
            }
        }
    }

    fn chunk(delta: &str, finish: &str) -> String {
        format!(
            "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",\
             \"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
        )
    }

    fn response(reply: Reply) -> String {
        let stream_head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        match reply {
            Reply::Status(status, retry_after) => {
                let body = r#"{"error":{"message":"try again later","type":"server_error"}}"#;
                let retry_after = retry_after
                    .map(|v| format!("retry-after: {v}\r\n"))
                    .unwrap_or_default();
                format!(
                    "HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\n{retry_after}connection: close\r\n\r\n{body}",
                    body.len()
                )
            }
            Reply::Stream => format!(
                "{stream_head}{}{}{}{}data: [DONE]\n\n",
                chunk(r#"{"role":"assistant","content":""}"#, "null"),
                chunk(r#"{"content":"Hello"}"#, "null"),
                chunk(r#"{"content":" world"}"#, "null"),
                chunk("{}", "\"stop\""),
            ),
            Reply::OutputThenError => format!(
                "{stream_head}{}event: error\ndata: {{\"error\":{{\"message\":\"overloaded\"}}}}\n\n",
                chunk(r#"{"content":"Hello"}"#, "null"),
            ),
        }
    }
}

/// The client's retries over a loopback server.
#[cfg(test)]
mod loopback_tests {
    use std::time::{Duration, Instant};

    use super::test_server::{serve, Reply, TEXT};
    use super::RetryPolicy;
    use crate::error::{Error, ErrorClass};
    use crate::providers::{ChatRequest, Client};

    fn client(url: &str) -> Client {
        Client::builder().base_url(url).model("m").build().unwrap()
    }

    /// Up to `max_retries` retries, waiting at most 50 ms.
    fn quick(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        }
    }

    fn request() -> ChatRequest {
        ChatRequest::new("hi").max_tokens(8)
    }

    #[tokio::test]
    async fn a_429_is_retried_until_the_stream_succeeds() {
        let server = serve(vec![
            Reply::Status(429, Some("0")),
            Reply::Status(503, None),
            Reply::Stream,
        ])
        .await;
        let client = client(&server.url).with_retries(quick(3));
        let (result, sample) = client.measure(&request()).await;
        assert_eq!(result.unwrap().text, TEXT);
        assert_eq!(server.arrivals().len(), 3);
        assert_eq!(sample.retries, 2);
        assert!(sample.retry_ns.unwrap() > 0, "{sample:?}");
        assert!(sample.error.is_none());
        assert!(sample.ttft_ns.is_some() && sample.e2e_ns.is_some());
    }

    #[tokio::test]
    async fn a_one_second_retry_after_is_honoured_and_kept_out_of_ttft() {
        let server = serve(vec![Reply::Status(429, Some("1")), Reply::Stream]).await;
        let policy = RetryPolicy {
            max_delay: Duration::from_secs(5),
            ..quick(1)
        };
        let client = client(&server.url).with_retries(policy);
        let (result, sample) = client.measure(&request()).await;
        assert_eq!(result.unwrap().text, TEXT);
        let arrivals = server.arrivals();
        assert_eq!(arrivals.len(), 2);
        assert!(
            arrivals[1] - arrivals[0] >= Duration::from_secs(1),
            "retried after {:?}",
            arrivals[1] - arrivals[0]
        );
        assert_eq!(sample.retries, 1);
        assert!(sample.retry_ns.unwrap() >= 1_000_000_000, "{sample:?}");
        // TTFT counts from the attempt that succeeded, not from the first one.
        assert!(sample.ttft_ns.unwrap() < 500_000_000, "{sample:?}");
        assert!(sample.e2e_ns.unwrap() < 500_000_000, "{sample:?}");
    }

    #[tokio::test]
    async fn a_long_retry_after_is_capped_at_the_maximum_delay() {
        let server = serve(vec![Reply::Status(503, Some("30")), Reply::Stream]).await;
        let client = client(&server.url).with_retries(quick(1));
        let started = Instant::now();
        let (result, sample) = client.measure(&request()).await;
        assert_eq!(result.unwrap().text, TEXT);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(sample.retries, 1);
    }

    #[tokio::test]
    async fn nothing_is_retried_once_output_began() {
        let server = serve(vec![Reply::OutputThenError, Reply::Stream]).await;
        let client = client(&server.url).with_retries(quick(3));
        let (result, sample) = client.measure(&request()).await;
        assert!(matches!(result, Err(Error::MidStream(_))), "{result:?}");
        assert_eq!(server.arrivals().len(), 1);
        assert_eq!(sample.retries, 0);
        assert_eq!(sample.retry_ns, None);
    }

    #[tokio::test]
    async fn a_400_is_not_retried() {
        let server = serve(vec![Reply::Status(400, Some("0")), Reply::Stream]).await;
        let client = client(&server.url).with_retries(quick(3));
        let (result, sample) = client.measure(&request()).await;
        assert!(
            matches!(result, Err(Error::HttpStatus { status: 400, .. })),
            "{result:?}"
        );
        assert_eq!(server.arrivals().len(), 1);
        assert_eq!(sample.retries, 0);
    }

    #[tokio::test]
    async fn retries_are_off_by_default() {
        let server = serve(vec![Reply::Status(429, Some("0")), Reply::Stream]).await;
        let (result, sample) = client(&server.url).measure(&request()).await;
        assert!(
            matches!(result, Err(Error::HttpStatus { status: 429, .. })),
            "{result:?}"
        );
        assert_eq!(server.arrivals().len(), 1);
        assert_eq!(sample.retries, 0);
    }

    #[tokio::test]
    async fn the_builder_turns_retries_on() {
        let server = serve(vec![Reply::Status(529, Some("0")), Reply::Stream]).await;
        let client = Client::builder()
            .base_url(&server.url)
            .model("m")
            .retries(1)
            .build()
            .unwrap();
        let (result, sample) = client.measure(&request()).await;
        assert_eq!(result.unwrap().text, TEXT);
        assert_eq!(sample.retries, 1);
    }

    #[tokio::test]
    async fn exhausted_retries_return_the_last_error() {
        let server = serve(vec![Reply::Status(503, Some("0"))]).await;
        let client = client(&server.url).with_retries(quick(2));
        let (result, sample) = client.measure(&request()).await;
        assert!(
            matches!(result, Err(Error::HttpStatus { status: 503, .. })),
            "{result:?}"
        );
        assert_eq!(server.arrivals().len(), 3);
        assert_eq!(sample.retries, 2);
        assert_eq!(sample.error.unwrap().class, ErrorClass::HttpStatus);
    }

    #[tokio::test]
    async fn a_refused_connection_is_retried_then_fails_as_connect() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = client(&format!("http://{addr}/v1")).with_retries(quick(2));
        let started = Instant::now();
        let (result, sample) = client.measure(&request()).await;
        assert!(matches!(result, Err(Error::Connect { .. })), "{result:?}");
        assert_eq!(sample.retries, 2);
        assert!(sample.retry_ns.is_some());
        assert_eq!(sample.error.unwrap().class, ErrorClass::Connect);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
