//! A hostile HTTP server for the fault matrix: a raw [`TcpListener`] on `127.0.0.1:0`
//! whose connections are handed to a test's own function, which writes the bytes it wants,
//! when it wants, and ends the connection as it wants (FIN, reset, never).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The head of a chunked SSE response that keeps its connection open.
pub(super) const CHUNKED_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                                       transfer-encoding: chunked\r\n\r\n";

/// The head of an SSE response whose body ends with the connection (no length, not
/// chunked): the server's FIN is the body's end.
pub(super) const CLOSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

/// A running hostile server.
pub(super) struct Hostile {
    addr: SocketAddr,
    accept: JoinHandle<()>,
    requests: Arc<AtomicUsize>,
}

impl Hostile {
    /// Listens on a loopback port and hands each accepted connection to `serve`.
    pub(super) async fn start<F, Fut>(serve: F) -> Hostile
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Hostile::dying_after(usize::MAX, serve).await
    }

    /// [`Hostile::start`], but the server dies after accepting `connections`: its
    /// listener is closed, and later connections are refused (the accepted ones go on as
    /// `serve` says).
    pub(super) async fn dying_after<F, Fut>(connections: usize, serve: F) -> Hostile
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("the port's address");
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let accept = tokio::spawn(async move {
            let mut index = 0;
            while index < connections {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let _ = stream.set_nodelay(true);
                let conn = Conn {
                    stream,
                    index,
                    here: 0,
                    requests: counter.clone(),
                };
                index += 1;
                tokio::spawn(serve(conn));
            }
        });
        Hostile {
            addr,
            accept,
            requests,
        }
    }

    /// The base URL a client of this server uses.
    pub(super) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `host:port`, as errors name it.
    pub(super) fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Requests read so far, over all connections.
    pub(super) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One accepted connection.
pub(super) struct Conn {
    /// The socket.
    pub(super) stream: TcpStream,
    /// 0 for the server's first connection, 1 for the next, ...
    pub(super) index: usize,
    /// Requests read on this connection.
    here: usize,
    requests: Arc<AtomicUsize>,
}

impl Conn {
    /// Reads one request (head and a `content-length` body); its number over the server's
    /// life (0 for the first), or `None` when the client closed the connection first.
    pub(super) async fn read_request(&mut self) -> Option<usize> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    self.here += 1;
                    return Some(self.requests.fetch_add(1, Ordering::SeqCst));
                }
            }
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Requests read on this connection so far.
    pub(super) fn requests_here(&self) -> usize {
        self.here
    }

    /// Writes `bytes`; false when the client has gone.
    pub(super) async fn write(&mut self, bytes: impl AsRef<[u8]>) -> bool {
        self.stream.write_all(bytes.as_ref()).await.is_ok()
    }

    /// Writes `bytes` one at a time, `gap` apart; false when the client has gone.
    pub(super) async fn trickle(&mut self, bytes: impl AsRef<[u8]>, gap: Duration) -> bool {
        for byte in bytes.as_ref() {
            if !self.write([*byte]).await {
                return false;
            }
            tokio::time::sleep(gap).await;
        }
        true
    }

    /// Ends the connection with a reset (RST), after `after` so that what was written has
    /// been read.
    pub(super) async fn reset(self, after: Duration) {
        tokio::time::sleep(after).await;
        // Linger 0 turns the close into a reset, the cut wanted here (the blocking on drop
        // that deprecates it does not apply to a zero linger).
        #[allow(deprecated)]
        let _ = self.stream.set_linger(Some(Duration::ZERO));
    }

    /// Keeps the connection open, reading nothing, for `how_long`.
    pub(super) async fn hold(self, how_long: Duration) {
        tokio::time::sleep(how_long).await;
        drop(self);
    }
}

/// `bytes` as one HTTP chunk.
pub(super) fn chunk(bytes: &str) -> String {
    format!("{:x}\r\n{bytes}\r\n", bytes.len())
}

/// The end of a chunked body.
pub(super) const LAST_CHUNK: &str = "0\r\n\r\n";

/// An OpenAI chat event carrying `text` (already JSON-escaped).
pub(super) fn token(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

/// The events that end a complete OpenAI chat stream: a finish reason, then `[DONE]`.
pub(super) fn finish() -> String {
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
        .to_string()
}

/// A whole chunked answer: `texts` as tokens, then the end.
pub(super) fn chunked_answer(texts: &[&str]) -> String {
    let mut out = CHUNKED_HEAD.to_string();
    for text in texts {
        out.push_str(&chunk(&token(text)));
    }
    out.push_str(&chunk(&finish()));
    out.push_str(LAST_CHUNK);
    out
}

/// A response with `status` and a JSON `body`, which keeps the connection open.
pub(super) fn status(status: u16, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\n{extra_headers}\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}
