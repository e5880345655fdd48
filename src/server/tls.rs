//! TLS to the notary server (spec §5.5): rustls on ring only, the system's roots plus extra
//! CAs, an optional client certificate, Docker's `tls/<host[:port]>/` directories, and
//! verification that stays on except for one host the user names explicitly.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::ServerError;

/// A client certificate chain and its private key (mTLS).
pub(crate) struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity").field("certificates", &self.chain.len()).field("key", &"<redacted>").finish()
    }
}

/// Everything the TLS configuration is built from.
#[derive(Debug, Default)]
pub(crate) struct TlsOptions {
    /// CAs trusted in addition to the system's.
    pub(crate) extra_roots: Vec<CertificateDer<'static>>,
    /// The client certificate, if any.
    pub(crate) identity: Option<Identity>,
    /// The one host whose certificate is not verified.
    pub(crate) insecure_host: Option<url::Host<String>>,
}

/// Every `CERTIFICATE` block of `pem` (at least one); `source` names it in errors.
pub(crate) fn parse_ca_pem(pem: &[u8], source: &str) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServerError::config(format!("{source}: not a PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(ServerError::config(format!("{source}: no CERTIFICATE block (expected a PEM CA certificate)")));
    }
    Ok(certs)
}

/// A client identity from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 RSA
/// or SEC1 EC; unencrypted).
pub(crate) fn parse_identity(cert_pem: &[u8], key_pem: &[u8], source: &str) -> Result<Identity, ServerError> {
    let chain = parse_ca_pem(cert_pem, &format!("{source} (client certificate)"))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        ServerError::config(format!(
            "{source} (client key): no unencrypted PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY): {e}"
        ))
    })?;
    Ok(Identity { chain, key })
}

/// What a Docker certificate directory holds: every `*.crt` is a CA, each `*.cert` with the
/// `*.key` of the same stem a client identity (the first pair, in file name order, is used).
/// A `*.cert` without its `*.key` or a `*.key` without its `*.cert` is an error, as in Docker.
pub(crate) fn read_docker_certs_dir(
    dir: &Path,
) -> Result<(Vec<CertificateDer<'static>>, Option<Identity>), ServerError> {
    let read_err =
        |e: std::io::Error| ServerError::config(format!("{}: cannot read the directory ({e})", dir.display()));
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    names.sort();
    let mut roots = Vec::new();
    let mut identity = None;
    for path in &names {
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else { continue };
        match ext {
            "crt" => roots.extend(parse_ca_pem(&read(path)?, &path.display().to_string())?),
            "cert" => {
                let key = path.with_extension("key");
                if !key.is_file() {
                    return Err(ServerError::config(format!(
                        "missing key {} for client certificate {}",
                        key.display(),
                        path.display()
                    )));
                }
                if identity.is_none() {
                    let key = zeroize::Zeroizing::new(read(&key)?);
                    identity = Some(parse_identity(&read(path)?, &key, &path.display().to_string())?);
                }
            }
            "key" => {
                let cert = path.with_extension("cert");
                if !cert.is_file() {
                    return Err(ServerError::config(format!(
                        "missing client certificate {} for key {}",
                        cert.display(),
                        path.display()
                    )));
                }
            }
            _ => {}
        }
    }
    Ok((roots, identity))
}

/// Reads a file for the TLS configuration.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|e| ServerError::config(format!("{}: cannot read ({e})", path.display())))
}

/// Parses the host named by `danger_accept_invalid_certs_for_host`: a DNS name or IP
/// address, optionally with a port (ignored: TLS verification does not see ports).
pub(crate) fn parse_host(host: &str) -> Result<url::Host<String>, ServerError> {
    let host = host.trim();
    let bare = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or_default()
    } else {
        host
    };
    let parsed = if bare.contains(':') { url::Host::parse(&format!("[{bare}]")) } else { url::Host::parse(bare) };
    parsed.map_err(|e| ServerError::config(format!("{host:?} is not a host name or IP address ({e})")))
}

/// The rustls configuration: ring provider, TLS 1.2 and 1.3, system roots plus `extra_roots`,
/// the client identity, and no verification for `insecure_host` only.
pub(crate) fn client_config(
    options: TlsOptions,
    server_host: &url::Host<&str>,
) -> Result<rustls::ClientConfig, ServerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let insecure_for_server =
        options.insecure_host.as_ref().is_some_and(|h| h.to_string().eq_ignore_ascii_case(&server_host.to_string()));
    let verified: Option<Arc<dyn ServerCertVerifier>> =
        match rustls_platform_verifier::Verifier::new_with_extra_roots(options.extra_roots, provider.clone()) {
            Ok(v) => Some(Arc::new(v)),
            // Without any root only the host whose certificate is not verified can be reached.
            Err(_) if insecure_for_server => None,
            Err(e) => {
                return Err(ServerError::config(format!(
                    "cannot set up certificate verification: {e} (install the system's CA certificates, e.g. the \
                     ca-certificates package, or add the server's CA with add_ca_pem/ca_file)"
                )));
            }
        };
    let verifier = HostScopedVerifier {
        verified,
        insecure_host: options.insecure_host,
        algorithms: provider.signature_verification_algorithms,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| ServerError::config(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match options.identity {
        Some(Identity { chain, key }) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| ServerError::config(format!("client certificate and key do not form a usable identity: {e}"))),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// Verifies server certificates with the platform verifier, except for the one host the user
/// opted out for (handshake signatures are checked for every host).
struct HostScopedVerifier {
    verified: Option<Arc<dyn ServerCertVerifier>>,
    insecure_host: Option<url::Host<String>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for HostScopedVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostScopedVerifier").field("insecure_host", &self.insecure_host).finish_non_exhaustive()
    }
}

impl HostScopedVerifier {
    fn is_insecure(&self, name: &ServerName<'_>) -> bool {
        match (&self.insecure_host, name) {
            (Some(url::Host::Domain(d)), ServerName::DnsName(n)) => d.eq_ignore_ascii_case(n.as_ref()),
            (Some(url::Host::<String>::Ipv4(ip)), ServerName::IpAddress(n)) => std::net::IpAddr::from(*n) == *ip,
            (Some(url::Host::<String>::Ipv6(ip)), ServerName::IpAddress(n)) => std::net::IpAddr::from(*n) == *ip,
            _ => false,
        }
    }
}

impl ServerCertVerifier for HostScopedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.is_insecure(server_name) {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.verified {
            Some(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
            None => Err(rustls::Error::General("no CA certificates are available to verify this host".to_owned())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_host_names() {
        assert_eq!(parse_host("127.0.0.1").unwrap(), url::Host::<String>::Ipv4("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_host("127.0.0.1:4443").unwrap(), url::Host::<String>::Ipv4("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_host("[::1]:443").unwrap(), url::Host::<String>::Ipv6("::1".parse().unwrap()));
        assert_eq!(parse_host("::1").unwrap(), url::Host::<String>::Ipv6("::1".parse().unwrap()));
        assert_eq!(parse_host("Notary.Example.COM").unwrap(), url::Host::Domain("notary.example.com".to_owned()));
        assert!(parse_host("").is_err());
        assert!(parse_host("a b").is_err());
    }

    #[test]
    fn only_the_named_host_skips_verification() {
        let v = HostScopedVerifier {
            verified: None,
            insecure_host: Some(url::Host::Domain("notary.local".to_owned())),
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        };
        let name = |s: &str| ServerName::try_from(s.to_owned()).unwrap();
        assert!(v.is_insecure(&name("notary.local")));
        assert!(v.is_insecure(&name("NOTARY.local")));
        assert!(!v.is_insecure(&name("other.local")));
        assert!(!v.is_insecure(&name("127.0.0.1")));
        let cert = CertificateDer::from(vec![0u8; 4]);
        assert!(v.verify_server_cert(&cert, &[], &name("notary.local"), &[], UnixTime::now()).is_ok());
        assert!(v.verify_server_cert(&cert, &[], &name("other.local"), &[], UnixTime::now()).is_err());
        let v = HostScopedVerifier { insecure_host: Some(parse_host("127.0.0.1").unwrap()), ..v };
        assert!(v.is_insecure(&name("127.0.0.1")));
        assert!(!v.is_insecure(&name("127.0.0.2")));
    }

    #[test]
    fn pem_errors_name_the_source() {
        let e = parse_ca_pem(b"hello", "ca.pem").unwrap_err().to_string();
        assert!(e.contains("ca.pem") && e.contains("no CERTIFICATE"), "{e}");
        let e = parse_identity(b"", b"", "client").unwrap_err().to_string();
        assert!(e.contains("client"), "{e}");
    }
}
