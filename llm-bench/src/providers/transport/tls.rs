//! The TLS settings of a client: which certificates it trusts, and whether it checks them.
//!
//! By default a server's certificate must chain to one of the webpki roots (Mozilla's
//! list, built in). A CA bundle (a PEM file of one or more certificates) **adds** its
//! certificates to those roots, as reqwest's `add_root_certificate` and curl's `--cacert`
//! with a system store do; the built-in roots stay trusted. Turning verification off
//! ([`TlsOptions::accept_invalid_certs`]) accepts any certificate for any name, but the
//! handshake's signatures are still checked with the crypto provider's algorithms: only
//! the chain and the name are not.
//!
//! The options are read once, when a client is built ([`TlsConfig::new`]); the result is
//! shared by every connection pool of that client (`Transport::with_connect_timeout`).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::Transport;

/// What a client's TLS trusts (default: the webpki roots, verification on).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsOptions {
    /// A PEM file whose certificates are trusted besides the webpki roots.
    pub(crate) ca_bundle: Option<PathBuf>,
    /// Accept any server certificate (no chain or name check).
    pub(crate) accept_invalid_certs: bool,
}

/// The rustls setup built from [`TlsOptions`], cheap to clone.
#[derive(Clone)]
pub(crate) struct TlsConfig {
    /// The client configuration every connection of the pool uses.
    pub(super) rustls: Arc<ClientConfig>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

/// Why the TLS options could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    /// The CA bundle could not be read.
    #[error("could not read the CA bundle `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The CA bundle is not PEM, or a certificate in it is unusable.
    #[error("the CA bundle `{}` is not usable: {detail}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The CA bundle holds no `BEGIN CERTIFICATE` block.
    #[error("the CA bundle `{}` holds no certificate (expected PEM blocks `-----BEGIN CERTIFICATE-----`)", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the setup (no usable protocol version).
    #[error("could not set up TLS: {0}")]
    Setup(#[from] tokio_rustls::rustls::Error),
}

impl TlsConfig {
    /// The rustls setup of `options` (ring provider, ALPN `h2` and `http/1.1`); reads the
    /// CA bundle, if any.
    pub(crate) fn new(options: &TlsOptions) -> Result<TlsConfig, TlsError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = &options.ca_bundle {
            for cert in read_bundle(path)? {
                roots.add(cert).map_err(|e| TlsError::Invalid {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            }
        }
        let provider = Arc::new(ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let mut config = if options.accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate::new(&provider)))
                .with_no_client_auth()
        } else {
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig {
            rustls: Arc::new(config),
        })
    }
}

impl Transport {
    /// A new pool whose connects give up after `limit`, with this one's TLS settings.
    pub(crate) fn with_connect_timeout(&self, limit: Duration) -> crate::Result<Transport> {
        Transport::new(limit, &self.tls)
            .map_err(|e| crate::Error::Config(format!("could not build the HTTP client: {e}")))
    }
}

/// The certificates of the PEM file at `path` (other blocks, such as keys, are skipped).
fn read_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid {
            path: path.to_path_buf(),
            detail: format!("bad PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The verifier of `danger_accept_invalid_certs`: any certificate, any name; the
/// handshake signatures are still verified (so the peer holds the certificate's key).
#[derive(Debug)]
struct AcceptAnyCertificate {
    /// The provider's signature algorithms.
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnyCertificate {
    fn new(provider: &CryptoProvider) -> AcceptAnyCertificate {
        AcceptAnyCertificate {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Advice for a handshake that failed on the server's certificate, `None` for other
/// failures: which option makes such a certificate acceptable.
pub(super) fn certificate_advice(error: &io::Error) -> Option<&'static str> {
    use tokio_rustls::rustls::{CertificateError, Error};
    let rustls = error.get_ref()?.downcast_ref::<Error>()?;
    match rustls {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => Some(
            "the server's certificate is not trusted (its issuer is not a known CA); to trust a private CA, set LLM_BENCH_CA_BUNDLE to its PEM file (ClientBuilder::ca_bundle); for a self-signed test endpoint only, LLM_BENCH_TLS_INSECURE=1 (ClientBuilder::danger_accept_invalid_certs)",
        ),
        Error::InvalidCertificate(_) => Some(
            "the server's certificate was rejected; for a self-signed test endpoint only, LLM_BENCH_TLS_INSECURE=1 (ClientBuilder::danger_accept_invalid_certs) turns the check off",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn the_default_verifies_against_the_webpki_roots() {
        assert!(TlsConfig::new(&TlsOptions::default()).is_ok());
    }

    #[test]
    fn unusable_bundles_are_named_in_the_error() {
        let missing = TlsOptions {
            ca_bundle: Some("/nonexistent/ca.pem".into()),
            ..TlsOptions::default()
        };
        let err = TlsConfig::new(&missing).unwrap_err().to_string();
        assert!(
            err.contains("`/nonexistent/ca.pem`") && err.contains("could not read"),
            "{err}"
        );
        let empty = file_with("just text, no PEM\n");
        let options = TlsOptions {
            ca_bundle: Some(empty.path().into()),
            accept_invalid_certs: true,
        };
        let err = TlsConfig::new(&options).unwrap_err().to_string();
        assert!(err.contains("holds no certificate"), "{err}");
        assert!(err.contains(&empty.path().display().to_string()), "{err}");
        let garbage =
            file_with("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
        let options = TlsOptions {
            ca_bundle: Some(garbage.path().into()),
            ..TlsOptions::default()
        };
        let err = TlsConfig::new(&options).unwrap_err().to_string();
        assert!(err.contains("is not usable"), "{err}");
    }

    #[test]
    fn a_new_pool_keeps_the_tls_settings() {
        let tls = TlsConfig::new(&TlsOptions {
            accept_invalid_certs: true,
            ..TlsOptions::default()
        })
        .unwrap();
        let transport = Transport::new(Duration::from_secs(1), &tls).unwrap();
        let other = transport
            .with_connect_timeout(Duration::from_secs(2))
            .unwrap();
        assert!(Arc::ptr_eq(&other.tls.rustls, &tls.rustls));
    }
}
