//! What the client holds while a hostile server sends 10 MB where a line, an element or an
//! error body should be: at most a stated bound, measured by this binary's own counting
//! allocator (the peak of live heap bytes during each request, less the bytes live before
//! it).
//!
//! The bound is [`BOUND`], 6 MiB: the decoders keep at most 1 MiB of one line, event or
//! element (docs/scenarios.md), whose buffer may double while it grows and be copied once
//! when it does; an error body is read up to 4.5 KiB; the rest is hyper's read buffers. On
//! this machine the peaks were 3.5 MiB (SSE), 3.0 MiB (NDJSON, JSON array) and 8 KiB (an
//! error body). One test function runs the cases one after another, so that no other test
//! allocates while a case is measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use llm_bench::{ChatRequest, Client, ErrorClass, Provider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most the client may hold above what was live before a request: 6 MiB.
const BOUND: usize = 6 << 20;

/// What the hostile server sends: 10 MB in 64 KiB writes of one static buffer (so the
/// server itself allocates nothing that grows with it).
const HOSTILE_LEN: usize = 10 << 20;
static FILL: [u8; 64 << 10] = [b'a'; 64 << 10];

/// A server that answers every request with `head`, then 10 MB of `a`.
async fn serve(head: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = conn.read(&mut request).await;
                if conn.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut sent = 0;
                while sent < HOSTILE_LEN {
                    if conn.write_all(&FILL).await.is_err() {
                        return;
                    }
                    sent += FILL.len();
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Runs one request of `provider` against a server sending `head` and 10 MB; the class of
/// its error and the most it held above the bytes live before it.
async fn peak_of(provider: Provider, head: &'static str) -> (Option<ErrorClass>, usize) {
    let base = serve(head).await;
    let client = Client::builder()
        .provider(provider)
        .base_url(format!("{base}/v1"))
        .model("m")
        .build()
        .expect("a client");
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let (result, sample) = tokio::time::timeout(
        Duration::from_secs(30),
        client.measure(&ChatRequest::new("hi")),
    )
    .await
    .expect("the request ends");
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    assert!(result.is_err(), "10 MB of `a` is not an answer");
    (sample.error.map(|e| e.class), peak)
}

#[test]
fn ten_megabytes_where_a_line_an_element_or_an_error_body_should_be_cost_at_most_6_mib() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let cases: [(&str, Provider, &'static str, ErrorClass); 4] = [
        (
            "an SSE line with no newline",
            Provider::OpenAiChat,
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: ",
            ErrorClass::Malformed,
        ),
        (
            "an NDJSON line with no newline",
            Provider::Ollama,
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n\r\n{\"message\":\"",
            ErrorClass::Malformed,
        ),
        (
            "a JSON array element that never ends",
            Provider::Gemini,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[{\"text\":\"",
            ErrorClass::Malformed,
        ),
        (
            "an error body",
            Provider::OpenAiChat,
            "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n\r\n",
            ErrorClass::HttpStatus,
        ),
    ];
    for (what, provider, head, class) in cases {
        let (got, peak) = runtime.block_on(peak_of(provider, head));
        eprintln!("{what}: peak {} KiB above the start", peak >> 10);
        assert_eq!(got, Some(class), "{what}");
        assert!(
            peak <= BOUND,
            "{what}: the client held {} KiB, more than {} KiB",
            peak >> 10,
            BOUND >> 10
        );
    }
}
