//! The built-in [`Client`] over TLS, against a server on 127.0.0.1 (port 0) whose
//! certificate a CA made at test time (rcgen) signed: verification is on by default (the
//! CA is not trusted, the request fails as `connect` with advice), a CA bundle with that
//! CA makes it succeed, and so does `danger_accept_invalid_certs`. An unusable bundle is a
//! configuration error naming the file.
//!
//! The server speaks just enough HTTP/1.1 (offered by ALPN; the client offers `h2` too):
//! it reads one request and answers with a short OpenAI-style SSE stream, then closes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use llm_bench::{ChatRequest, Client, ClientBuilder, Error, ErrorClass};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The stream the server sends, and the text the client must return.
const STREAM: &str = concat!(
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello over \"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"TLS\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
);
const TEXT: &str = "Hello over TLS";

/// A test CA, and a server certificate it signed for `127.0.0.1` and `localhost`.
struct Pki {
    /// The CA's certificate, PEM.
    ca_pem: String,
    /// The server's chain (leaf, CA) and key.
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let leaf_key = KeyPair::generate().expect("server key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params")
        .signed_by(&leaf_key, &ca)
        .expect("server certificate");
    Pki {
        ca_pem: ca.pem(),
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
    }
}

/// Starts the TLS server; it answers every connection with [`STREAM`].
async fn serve(pki: &Pki) -> SocketAddr {
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to do.
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = answer(&mut tls).await;
                }
            });
        }
    });
    addr
}

/// Reads one request (headers, then `content-length` bytes) and writes the stream.
async fn answer<S: AsyncReadExt + AsyncWriteExt + Unpin>(io: &mut S) -> std::io::Result<()> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let header_end = loop {
        let n = io.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&seen[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while seen.len() < header_end + length {
        let n = io.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        seen.extend_from_slice(&buf[..n]);
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{STREAM}",
        STREAM.len()
    );
    io.write_all(response.as_bytes()).await?;
    io.flush().await?;
    io.shutdown().await
}

fn client_for(addr: SocketAddr) -> ClientBuilder {
    Client::builder()
        .base_url(format!("https://{addr}/v1"))
        .model("test-model")
}

fn request() -> ChatRequest {
    ChatRequest::new("Say hello").max_tokens(8)
}

/// A file holding `text`, removed when dropped.
fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut f, text.as_bytes()).expect("write");
    f
}

#[tokio::test]
async fn an_untrusted_certificate_fails_to_connect_with_advice() {
    let pki = pki();
    let addr = serve(&pki).await;
    let client = client_for(addr).build().expect("client");
    let (result, sample) = client.measure(&request()).await;
    let err = result.expect_err("a certificate from an unknown CA must be refused");
    assert_eq!(err.class(), ErrorClass::Connect, "{err}");
    let msg = err.to_string();
    for fragment in [
        &format!("TLS handshake with 127.0.0.1:{} failed", addr.port()),
        "UnknownIssuer",
        "not trusted",
        "LLM_BENCH_CA_BUNDLE",
        "danger_accept_invalid_certs",
    ] {
        assert!(msg.contains(fragment), "`{fragment}` missing from: {msg}");
    }
    assert!(sample.ttft_ns.is_none());
}

#[tokio::test]
async fn a_ca_bundle_makes_the_certificate_trusted() {
    let pki = pki();
    let addr = serve(&pki).await;
    let bundle = file_with(&pki.ca_pem);
    let client = client_for(addr)
        .ca_bundle(bundle.path())
        .build()
        .expect("client");
    let (result, sample) = client.measure(&request()).await;
    let done = result.expect("the CA bundle trusts the server");
    assert_eq!(done.text, TEXT);
    let http = sample.http.expect("the sample's HTTP phases");
    assert!(http.new_connection);
    assert!(!http.http2, "the server offers HTTP/1.1 only");
    assert!(http.tls_ns.is_some_and(|ns| ns > 0), "{http:?}");
    assert!(sample.ttft_ns.is_some());
    // `complete` goes the same way.
    let done = client.complete(&request()).await.expect("complete");
    assert_eq!(done.text, TEXT);
}

#[tokio::test]
async fn accepting_invalid_certificates_skips_the_check() {
    let pki = pki();
    let addr = serve(&pki).await;
    let client = client_for(addr)
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let (result, sample) = client.measure(&request()).await;
    assert_eq!(result.expect("no certificate check").text, TEXT);
    assert!(sample.http.is_some_and(|h| h.tls_ns.is_some()));
}

/// `build()` refuses `bundle` with a configuration error naming it and saying `what`.
fn assert_refused(bundle: &Path, what: &str) {
    let err = Client::builder()
        .base_url("https://127.0.0.1:1/v1")
        .ca_bundle(bundle)
        .build()
        .expect_err("an unusable CA bundle");
    let Error::Config(msg) = &err else {
        panic!("not a configuration error: {err:?}");
    };
    assert!(
        msg.contains(&format!("`{}`", bundle.display())),
        "the file is not named: {msg}"
    );
    assert!(msg.contains(what), "`{what}` missing from: {msg}");
}

#[test]
fn an_unusable_ca_bundle_is_a_config_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_refused(&dir.path().join("missing-ca.pem"), "could not read");
    let no_cert = file_with("this file has no PEM block\n");
    assert_refused(no_cert.path(), "holds no certificate");
    let key_only = file_with(&KeyPair::generate().expect("key").serialize_pem());
    assert_refused(key_only.path(), "holds no certificate");
}
