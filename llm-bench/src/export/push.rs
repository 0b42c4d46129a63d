//! Pushing the time-series exports after a run (features `prometheus`, `influxdb`):
//! `--push-gateway URL` PUTs the `prometheus` export to a Prometheus Pushgateway,
//! `--influx-url URL` POSTs the `influx` export to InfluxDB's `/write` endpoint.
//!
//! What is pushed is rendered from the stored runs of this bench target in this invocation
//! (as the exports are), after the report is written.
//!
//! # The Pushgateway's group
//!
//! The text is PUT to `<URL>/metrics/job/llm_bench/bench_target@base64/<name>`: one group
//! per bench target (the bench binary's name, e.g. `latency`), which each run of that target
//! replaces as a whole, so the group always holds the latest run of the target's scenarios
//! and nothing of scenarios it no longer ran. Scenario ids, hosts, models and commits are
//! labels of the series, not of the group: a group per commit would keep every old commit's
//! gauges exposed forever. The label value is sent in the API's `@base64` form (URL-safe
//! base64), so any name is safe in the path. A URL whose path already holds `/metrics/job/`
//! is used as it is: that is how to choose a group of one's own (e.g.
//! `http://pg:9091/metrics/job/llm_bench/instance/runner-3`).
//!
//! # Errors
//!
//! A push that fails (no connection, a timeout after [`PUSH_TIMEOUT`], a status other than
//! 2xx) is a [`PushError`]: its message names the URL with any user and password replaced
//! by `***` (a token never appears) and, for a refusal, the server's answer, shortened.

use std::time::Duration;

#[cfg(feature = "prometheus")]
use base64::Engine as _;
use reqwest::Url;

use super::Exporter;
use crate::report::{ReportError, ReportInput};

/// The longest one push may take, connection included.
pub(crate) const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The Pushgateway job every push goes to.
#[cfg(feature = "prometheus")]
pub(crate) const PUSHGATEWAY_JOB: &str = "llm_bench";

/// The InfluxDB database written to when `--influx-db` does not say.
#[cfg(feature = "influxdb")]
pub(crate) const DEFAULT_INFLUX_DB: &str = "llm_bench";

/// The most characters of a server's answer an error message quotes.
const BODY_CHARS: usize = 300;

/// Where a run is pushed to.
#[derive(Clone)]
pub(crate) enum PushTarget {
    /// A Prometheus Pushgateway (`--push-gateway`).
    #[cfg(feature = "prometheus")]
    Pushgateway {
        /// Its base URL (or a full push URL: see the module docs).
        url: Url,
    },
    /// InfluxDB's v1 (or v2's v1-compatible) write API (`--influx-url`).
    #[cfg(feature = "influxdb")]
    Influx {
        /// Its base URL.
        url: Url,
        /// The database (`--influx-db`).
        db: String,
        /// Sent as `Authorization: Token …` when set (`LLM_BENCH_INFLUXDB_TOKEN`).
        token: Option<String>,
    },
}

impl std::fmt::Debug for PushTarget {
    // Never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.server(), self.display_url())
    }
}

/// A push that could not be set up or did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PushError {
    /// The URL given is not an `http://` or `https://` URL.
    #[error("`{url}` is not an http:// or https:// URL{reason}")]
    BadUrl {
        /// The URL as given, user and password replaced by `***`.
        url: String,
        /// Why, starting with `: `, or empty.
        reason: String,
    },
    /// No answer: the connection failed or timed out.
    #[error("could not push to {server} at {url}: {message}")]
    Unreachable {
        /// `the Pushgateway` or `InfluxDB`.
        server: &'static str,
        /// The URL pushed to, user and password replaced by `***`.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server answered with a status other than 2xx.
    #[error("could not push to {server} at {url}: HTTP {status}: {body}")]
    Refused {
        /// `the Pushgateway` or `InfluxDB`.
        server: &'static str,
        /// The URL pushed to, user and password replaced by `***`.
        url: String,
        /// The status, e.g. `400 Bad Request`.
        status: String,
        /// The start of the server's answer, on one line (`(no body)` when it sent none).
        body: String,
    },
}

/// `text` with the user and password of a URL in it replaced by `***`.
pub(crate) fn redact(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let rest = &text[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..scheme_end], &rest[at..]),
        None => text.to_string(),
    }
}

/// A URL flag's value: `http://` or `https://`, with a host.
fn parse_url(text: &str) -> Result<Url, PushError> {
    let bad = |reason: String| PushError::BadUrl {
        url: redact(text),
        reason,
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(format!(": {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(": the scheme is {}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(": it has no host".into()));
    }
    Ok(url)
}

/// `url` with `segments` appended to its path (a trailing `/` of the base ignored).
fn join(url: &Url, segments: &[&str]) -> Url {
    let mut out = url.clone();
    out.set_query(None);
    out.set_fragment(None);
    if let Ok(mut path) = out.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    out
}

impl PushTarget {
    /// `--push-gateway URL`.
    #[cfg(feature = "prometheus")]
    pub(crate) fn pushgateway(url: &str) -> Result<PushTarget, PushError> {
        Ok(PushTarget::Pushgateway {
            url: parse_url(url)?,
        })
    }

    /// `--influx-url URL` with its database and token.
    #[cfg(feature = "influxdb")]
    pub(crate) fn influx(
        url: &str,
        db: &str,
        token: Option<String>,
    ) -> Result<PushTarget, PushError> {
        Ok(PushTarget::Influx {
            url: parse_url(url)?,
            db: db.to_string(),
            token: token.filter(|t| !t.trim().is_empty()),
        })
    }

    /// The server, as messages name it.
    fn server(&self) -> &'static str {
        match self {
            #[cfg(feature = "prometheus")]
            PushTarget::Pushgateway { .. } => "the Pushgateway",
            #[cfg(feature = "influxdb")]
            PushTarget::Influx { .. } => "InfluxDB",
        }
    }

    /// The URL given, as messages show it (user and password replaced by `***`).
    fn display_url(&self) -> String {
        let url = match self {
            #[cfg(feature = "prometheus")]
            PushTarget::Pushgateway { url } => url,
            #[cfg(feature = "influxdb")]
            PushTarget::Influx { url, .. } => url,
        };
        redact(url.as_str().trim_end_matches('/'))
    }

    /// Where inside the server the push went, as the success line says it: ` (database
    /// NAME)` for InfluxDB, nothing for the Pushgateway (its group is in the URL).
    fn where_within(&self) -> String {
        match self {
            #[cfg(feature = "prometheus")]
            PushTarget::Pushgateway { .. } => String::new(),
            #[cfg(feature = "influxdb")]
            PushTarget::Influx { db, .. } => format!(" (database {db})"),
        }
    }

    /// The format pushed.
    fn exporter(&self) -> Box<dyn Exporter> {
        match self {
            #[cfg(feature = "prometheus")]
            PushTarget::Pushgateway { .. } => Box::new(super::Prometheus),
            #[cfg(feature = "influxdb")]
            PushTarget::Influx { .. } => Box::new(super::Influx),
        }
    }

    /// The URL the push goes to, for bench target `bench_target` (the Pushgateway's group).
    pub(crate) fn request_url(&self, bench_target: &str) -> Url {
        match self {
            #[cfg(feature = "prometheus")]
            PushTarget::Pushgateway { url } => {
                if url.path().contains("/metrics/job/") {
                    return url.clone();
                }
                let value = base64::engine::general_purpose::URL_SAFE.encode(bench_target);
                join(
                    url,
                    &[
                        "metrics",
                        "job",
                        PUSHGATEWAY_JOB,
                        "bench_target@base64",
                        &value,
                    ],
                )
            }
            #[cfg(feature = "influxdb")]
            PushTarget::Influx { url, db, .. } => {
                let _ = bench_target;
                let mut out = join(url, &["write"]);
                out.query_pairs_mut()
                    .append_pair("db", db)
                    .append_pair("precision", "ns");
                out
            }
        }
    }

    /// What to push of `inputs` (this bench target's stored runs): the rendered export.
    pub(crate) fn prepare(
        &self,
        inputs: &[ReportInput<'_>],
        bench_target: &str,
    ) -> Result<Prepared, ReportError> {
        Ok(Prepared {
            target: self.clone(),
            url: self.request_url(bench_target),
            body: self.exporter().export(inputs)?,
            scenarios: inputs.len(),
        })
    }
}

/// A push ready to send: where, and what.
#[derive(Debug)]
pub(crate) struct Prepared {
    target: PushTarget,
    url: Url,
    body: String,
    /// How many scenarios the body holds.
    pub scenarios: usize,
}

impl Prepared {
    /// Sends the push (at most [`PUSH_TIMEOUT`]); on success, the line that says so.
    pub(crate) async fn send(&self) -> Result<String, PushError> {
        let server = self.target.server();
        let shown = redact(self.url.as_str());
        let unreachable = |message: String| PushError::Unreachable {
            server,
            url: shown.clone(),
            message,
        };
        let client = reqwest::Client::builder()
            .timeout(PUSH_TIMEOUT)
            .build()
            .map_err(|e| unreachable(chain(e)))?;
        let request = match &self.target {
            #[cfg(feature = "prometheus")]
            PushTarget::Pushgateway { .. } => client
                .put(self.url.clone())
                .header("content-type", "text/plain; version=0.0.4; charset=utf-8"),
            #[cfg(feature = "influxdb")]
            PushTarget::Influx { token, .. } => {
                let request = client
                    .post(self.url.clone())
                    .header("content-type", "text/plain; charset=utf-8");
                match token {
                    Some(token) => request.header("authorization", format!("Token {token}")),
                    None => request,
                }
            }
        };
        let response = request
            .body(self.body.clone())
            .send()
            .await
            .map_err(|e| unreachable(chain(e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(PushError::Refused {
                server,
                url: shown,
                status: status.to_string(),
                body: shorten(&body),
            });
        }
        let n = self.scenarios;
        let scenarios = if n == 1 { "scenario" } else { "scenarios" };
        Ok(format!(
            "llm-bench: pushed {n} {scenarios} to {server} at {}{}",
            self.target.display_url(),
            self.target.where_within()
        ))
    }
}

/// An HTTP client error with its causes, without the URL (the caller names it).
fn chain(e: reqwest::Error) -> String {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    if timeout {
        message.push_str(&format!(" (no answer within {} s)", PUSH_TIMEOUT.as_secs()));
    }
    message
}

/// A server's answer on one line, at most [`BODY_CHARS`] characters.
fn shorten(body: &str) -> String {
    let one_line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(no body)".into();
    }
    match one_line.char_indices().nth(BODY_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_password_are_redacted() {
        assert_eq!(
            redact("https://me:secret@pg.example:9091/x@y"),
            "https://***@pg.example:9091/x@y"
        );
        assert_eq!(redact("http://127.0.0.1:9091"), "http://127.0.0.1:9091");
        assert_eq!(redact("not a url"), "not a url");
        let err = parse_url("ftp://me:secret@host").unwrap_err().to_string();
        assert!(
            !err.contains("secret") && err.contains("scheme is ftp"),
            "{err}"
        );
        assert!(parse_url("127.0.0.1:9091").is_err());
    }

    #[test]
    fn answers_are_shortened_to_one_line() {
        assert_eq!(shorten(" bad\n  line 3 \n"), "bad line 3");
        assert_eq!(shorten(""), "(no body)");
        let long = "é".repeat(1000);
        assert_eq!(shorten(&long).chars().count(), BODY_CHARS + 1);
    }

    #[cfg(feature = "prometheus")]
    #[test]
    fn the_pushgateway_group_is_the_bench_target_in_base64() {
        let t = PushTarget::pushgateway("http://u:p@127.0.0.1:9091/").unwrap();
        assert_eq!(
            t.request_url("my/bench").as_str(),
            "http://u:p@127.0.0.1:9091/metrics/job/llm_bench/bench_target@base64/bXkvYmVuY2g="
        );
        let t = PushTarget::pushgateway("http://pg/prefix").unwrap();
        assert_eq!(
            t.request_url("latency").as_str(),
            "http://pg/prefix/metrics/job/llm_bench/bench_target@base64/bGF0ZW5jeQ=="
        );
        let own = "http://pg:9091/metrics/job/mine/instance/a";
        let t = PushTarget::pushgateway(own).unwrap();
        assert_eq!(t.request_url("latency").as_str(), own);
        assert_eq!(
            format!("{t:?}"),
            "the Pushgateway at http://pg:9091/metrics/job/mine/instance/a"
        );
    }

    #[cfg(feature = "influxdb")]
    #[test]
    fn influx_writes_go_to_write_with_the_database() {
        let t = PushTarget::influx("http://127.0.0.1:8086", "my db", Some("tok".into())).unwrap();
        assert_eq!(
            t.request_url("latency").as_str(),
            "http://127.0.0.1:8086/write?db=my+db&precision=ns"
        );
        assert!(!format!("{t:?}").contains("tok"));
    }

    /// A refused connection and a refusal are errors naming the URL, never the token.
    #[cfg(feature = "influxdb")]
    #[tokio::test]
    async fn failed_pushes_name_the_url_and_the_answer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A port nothing listens on: bind one, then close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://user:pw@127.0.0.1:{port}");
        let t = PushTarget::influx(&url, "db", Some("sekrit".into())).unwrap();
        let err = t.prepare(&[], "x").unwrap().send().await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, PushError::Unreachable { .. }), "{text}");
        assert!(
            text.starts_with(&format!(
                "could not push to InfluxDB at http://***@127.0.0.1:{port}/write?db=db&precision=ns: "
            )),
            "{text}"
        );
        assert!(!text.contains("sekrit") && !text.contains("pw"), "{text}");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut c, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = c.read(&mut buf).await;
            let body = "{\"error\":\"database not found: \\\"db\\\"\"}\n";
            let answer = format!(
                "HTTP/1.1 404 Not Found\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            c.write_all(answer.as_bytes()).await.unwrap();
        });
        let t = PushTarget::influx(&format!("http://{addr}"), "db", Some("sekrit".into())).unwrap();
        let err = t.prepare(&[], "x").unwrap().send().await.unwrap_err();
        server.await.unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "could not push to InfluxDB at http://{addr}/write?db=db&precision=ns: HTTP 404 \
                 Not Found: {{\"error\":\"database not found: \\\"db\\\"\"}}"
            )
        );
    }
}
