//! The built-in client against a raw loopback server that writes exactly the bytes a test
//! gives it: the error classes of streams cut off (FIN or reset) or malformed, and the HTTP
//! phases and request id of each request, new and reused connections.

use std::time::Duration;

use quanta::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::ErrorClass;
use crate::metrics::{Recorder, RequestSample};
use crate::providers::{ChatRequest, Client};

/// The head of a chunked SSE response with an `x-request-id`.
const HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                    transfer-encoding: chunked\r\nx-request-id: req-{n}\r\n\r\n";

/// One SSE event as one HTTP chunk.
fn chunk(event: &str) -> String {
    format!("{:x}\r\n{event}\r\n", event.len())
}

/// An OpenAI chat event carrying `text`.
fn token(text: &str) -> String {
    chunk(&format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n"
    ))
}

/// The end of a complete stream: a finish reason, `[DONE]`, the last chunk.
fn end() -> String {
    let finish =
        chunk("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    format!("{finish}{}0\r\n\r\n", chunk("data: [DONE]\n\n"))
}

/// How the server ends a response.
#[derive(Clone, Copy, PartialEq)]
enum Ending {
    /// The whole stream, and the connection stays open for the next request.
    Complete,
    /// Two tokens, then FIN.
    Fin,
    /// Two tokens, then a reset (linger 0).
    Reset,
    /// Two tokens, then bytes that are not JSON, then the end of the body.
    Garbage,
}

/// Reads one request (head and a `content-length` body) from `stream`; false at EOF.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&byte[..n]),
        }
    }
}

/// A server answering every request on every connection as `ending` says, numbering the
/// requests (`x-request-id: req-0`, `req-1`, ...); its base URL.
async fn serve(ending: Ending) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let first = n;
            n += 100;
            tokio::spawn(async move {
                let mut n = first;
                while read_request(&mut stream).await {
                    let head = HEAD.replace("{n}", &n.to_string());
                    n += 1;
                    let body = format!("{head}{}{}", token("Hel"), token("lo"));
                    stream.write_all(body.as_bytes()).await.unwrap();
                    match ending {
                        Ending::Complete => stream.write_all(end().as_bytes()).await.unwrap(),
                        Ending::Fin => return,
                        Ending::Reset => {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            // Linger 0: the close sends a reset, the cut this test wants
                            // (the blocking on drop that deprecates it does not apply).
                            #[allow(deprecated)]
                            stream.set_linger(Some(Duration::ZERO)).unwrap();
                            return;
                        }
                        Ending::Garbage => {
                            let bad = format!("{}0\r\n\r\n", chunk("data: {not json\n\n"));
                            stream.write_all(bad.as_bytes()).await.unwrap();
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/v1")
}

/// One timed request of `client`: its result's error class, and its sample.
async fn measure(client: &Client) -> (Option<ErrorClass>, RequestSample) {
    let origin = Instant::now();
    let mut rec = Recorder::new(origin, true);
    let limits = crate::limits::PhaseLimits::DEFAULT;
    let result = client
        .stream_timed(&ChatRequest::new("hi"), Some("m"), &mut rec, &limits)
        .await;
    if let Err(e) = &result {
        rec.fail(e);
    }
    let class = result.err().map(|e| e.class());
    (class, rec.finish(0, origin, |_, _| {}))
}

fn client(base: &str) -> Client {
    Client::builder().base_url(base).model("m").build().unwrap()
}

#[tokio::test]
async fn a_stream_closed_or_reset_before_its_end_is_truncated_and_bad_bytes_are_malformed() {
    for (ending, class) in [
        (Ending::Fin, ErrorClass::Truncated),
        (Ending::Reset, ErrorClass::Truncated),
        (Ending::Garbage, ErrorClass::Malformed),
    ] {
        let client = client(&serve(ending).await);
        let (got, sample) = measure(&client).await;
        assert_eq!(got, Some(class));
        let error = sample.error.unwrap();
        assert_eq!(error.class, class);
        // The output that came before the cut was timed.
        assert_eq!(sample.output_events, 2, "{}", error.message);
    }
    let client = client(&serve(Ending::Complete).await);
    assert_eq!(measure(&client).await.0, None);
}

#[tokio::test]
async fn each_request_says_whether_it_opened_its_connection_and_what_the_server_called_it() {
    let client = client(&serve(Ending::Complete).await);
    let (error, first) = measure(&client).await;
    assert_eq!(error, None);
    let (_, second) = measure(&client).await;
    let (a, b) = (first.http.unwrap(), second.http.unwrap());
    assert!(a.new_connection && !b.new_connection);
    assert_eq!(a.connection_id, b.connection_id);
    assert!(a.connect_ns.is_some() && b.connect_ns.is_none());
    assert_eq!((a.tls_ns, a.http2), (None, false));
    assert_eq!(first.request_id.as_deref(), Some("req-0"));
    assert_eq!(second.request_id.as_deref(), Some("req-1"));
    for (s, http) in [(&first, a), (&second, b)] {
        // Written, then the first byte, then the first token, then the end.
        let written = http.request_written_ns.unwrap();
        let ttfb = s.ttfb_ns.unwrap();
        assert!(written <= ttfb, "{written} {ttfb}");
        assert!(ttfb <= s.ttft_ns.unwrap() && s.ttft_ns <= s.e2e_ns);
        // The new connection's connect is inside its request's time to first byte.
        if let Some(connect) = http.connect_ns {
            assert!(connect <= written, "{connect} {written}");
        }
        assert!(s.start_monotonic_ns.unwrap() <= crate::clock::monotonic_ns());
        assert!(s.start_unix_ns.unwrap() > 1_700_000_000_000_000_000);
    }
    assert!(second.start_monotonic_ns > first.start_monotonic_ns);
}

#[tokio::test]
async fn the_first_token_is_timed_by_the_read_that_delivered_it_not_by_when_the_task_ran() {
    // The server sends the head and the first token together, then nothing for 30 ms, then
    // the rest: both tokens of the first write arrive in one read and share its time.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        assert!(read_request(&mut stream).await);
        let head = HEAD.replace("{n}", "0");
        let first = format!("{head}{}{}", token("a"), token("b"));
        stream.write_all(first.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        stream.write_all(token("c").as_bytes()).await.unwrap();
        stream.write_all(end().as_bytes()).await.unwrap();
    });
    let (error, sample) = measure(&client(&format!("http://{addr}/v1"))).await;
    assert_eq!(error, None);
    let arrivals = sample.arrivals_ns.unwrap();
    assert_eq!(arrivals.len(), 3);
    assert_eq!(arrivals[0], arrivals[1], "{arrivals:?}");
    assert!(arrivals[2] - arrivals[1] >= 30_000_000, "{arrivals:?}");
}

/// With the kernel's receive time (Linux, plain TCP), a token is timed when its bytes
/// reached the socket, not when a busy runtime got round to reading them: here the only
/// runtime thread is blocked for 200 ms while the server writes the first token.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_read_made_late_by_a_busy_thread_keeps_the_kernel_s_arrival_time() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (written_tx, written_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut byte).unwrap();
            assert!(n > 0, "the client closed");
            request.extend_from_slice(&byte[..n]);
        }
        // The head at once; the first token 10 ms later, while the client's thread is busy.
        stream
            .write_all(HEAD.replace("{n}", "0").as_bytes())
            .unwrap();
        std::thread::sleep(Duration::from_millis(10));
        stream.write_all(token("a").as_bytes()).unwrap();
        written_tx.send(crate::clock::monotonic_ns()).unwrap();
        // The rest once the client reads again (one read takes everything waiting, timed by
        // the last segment in it).
        std::thread::sleep(Duration::from_millis(250));
        stream.write_all(token("b").as_bytes()).unwrap();
        stream.write_all(end().as_bytes()).unwrap();
    });
    // Blocks this (current-thread) runtime from 5 ms after the request to 205 ms.
    let hog = tokio::spawn(async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        std::thread::sleep(Duration::from_millis(200));
        crate::clock::monotonic_ns()
    });
    let (error, sample) = measure(&client(&format!("http://{addr}/v1"))).await;
    assert_eq!(error, None);
    let hog_ended = hog.await.unwrap();
    let written = written_rx.recv().unwrap();
    let first = sample.start_monotonic_ns.unwrap() + sample.arrivals_ns.unwrap()[0];
    assert!(
        hog_ended > written + 20_000_000,
        "the thread was busy well past the write ({hog_ended} vs {written})"
    );
    // The arrival is within 5 ms of the write (loopback takes microseconds), not at the end
    // of the 200 ms block; a few µs before the write's return is fine (the bytes are in the
    // socket before `write` returns), a millisecond is not.
    assert!(
        first + 1_000_000 >= written && first < written + 5_000_000,
        "token timed {:.1} ms after its write (the busy thread ended {:.1} ms after it)",
        (first as f64 - written as f64) / 1e6,
        (hog_ended as f64 - written as f64) / 1e6
    );
}
