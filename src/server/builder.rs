//! [`NotaryServerBuilder`]: where the server is and how to reach it (URL rules, TLS material,
//! credentials, timeouts, retries).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;
use zeroize::Zeroizing;

use super::ServerError;
use super::auth::{Authenticator, Credentials};
use super::client::NotaryServer;
use super::http::is_loopback;
use super::proxy::ProxyEnv;
use super::tls::{self, TlsOptions};

/// Go's dial timeout (`utils.ConfigureClientTLS` callers use 30 s).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest pause between two reads of a response before the request fails.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Retries of idempotent requests after transient failures.
const DEFAULT_RETRIES: u32 = 2;

/// Configures a [`NotaryServer`]; see [`NotaryServer::builder`].
///
/// File-based settings are read by [`build`](NotaryServerBuilder::build), which reports every
/// problem (unreadable file, invalid PEM, bad URL) as [`ServerError::Config`].
pub struct NotaryServerBuilder {
    url: String,
    ca_pems: Vec<Vec<u8>>,
    ca_files: Vec<PathBuf>,
    identity_pem: Option<(Vec<u8>, Zeroizing<Vec<u8>>)>,
    docker_certs_dirs: Vec<PathBuf>,
    docker_config_dir: Option<PathBuf>,
    credentials: Credentials,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    read_timeout: Duration,
    retries: u32,
    insecure_host: Option<String>,
    user_agent: String,
}

impl fmt::Debug for NotaryServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotaryServerBuilder")
            .field("url", &redact_url(&self.url))
            .field("ca_pems", &self.ca_pems.len())
            .field("ca_files", &self.ca_files)
            .field("client_identity", &self.identity_pem.as_ref().map(|_| "<certificate and redacted key>"))
            .field("docker_certs_dirs", &self.docker_certs_dirs)
            .field("docker_config_dir", &self.docker_config_dir)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("retries", &self.retries)
            .field("danger_accept_invalid_certs_for_host", &self.insecure_host)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// A URL as text with any `user:password@` replaced, for messages. Everything up to the last
/// `@` goes: a password may hold a `/`, `?` or `#` (invalid in a URL, but typed anyway), which
/// would end the authority early and leave the rest of the password shown.
pub(crate) fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, after)) => format!("{scheme}://<redacted>@{after}"),
            None => url.to_owned(),
        },
        None if url.contains('@') => "<redacted>".to_owned(),
        None => url.to_owned(),
    }
}

impl NotaryServerBuilder {
    pub(crate) fn new(url: &str) -> Self {
        NotaryServerBuilder {
            url: url.trim().to_owned(),
            ca_pems: Vec::new(),
            ca_files: Vec::new(),
            identity_pem: None,
            docker_certs_dirs: Vec::new(),
            docker_config_dir: None,
            credentials: Credentials::Anonymous,
            timeout: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            retries: DEFAULT_RETRIES,
            insecure_host: None,
            user_agent: concat!("notary-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// Trusts the CA certificates of `pem` (one or more `CERTIFICATE` blocks) in addition to
    /// the system's roots.
    pub fn add_ca_pem(mut self, pem: &[u8]) -> Self {
        self.ca_pems.push(pem.to_vec());
        self
    }

    /// Trusts the CA certificates of a PEM file in addition to the system's roots (notary's
    /// `--tlscacert`, `remote_server.root_ca`).
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.ca_files.push(path.as_ref().to_path_buf());
        self
    }

    /// Presents a client certificate (mTLS): a PEM certificate chain, leaf first, and its
    /// unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn client_identity_pem(mut self, cert_pem: &[u8], key_pem: &[u8]) -> Self {
        self.identity_pem = Some((cert_pem.to_vec(), Zeroizing::new(key_pem.to_vec())));
        self
    }

    /// Uses a Docker certificate directory (`$DOCKER_CONFIG/tls/<host[:port]>/` or
    /// `/etc/docker/certs.d/<host>/`): every `*.crt` is a CA, a `*.cert` with the `*.key` of
    /// the same name is the client certificate. The directory must exist.
    pub fn docker_certs_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.docker_certs_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Uses `<config_dir>/tls/<host[:port] of the server URL>/` as a
    /// [Docker certificate directory](Self::docker_certs_dir) if it exists (Docker's
    /// convention for notary servers; `config_dir` is `$DOCKER_CONFIG` or `~/.docker`).
    pub fn docker_config_dir(mut self, config_dir: impl AsRef<Path>) -> Self {
        self.docker_config_dir = Some(config_dir.as_ref().to_path_buf());
        self
    }

    /// Who we are to the token service or the server (default: anonymous).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Limits each request as a whole, from connecting to the end of the body (default: no
    /// overall limit; connecting and each read are limited).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limits connecting, TLS handshake included (default 30 s, like Go's dialer).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limits the wait for each read of a response (default 60 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How many times an idempotent request (GET) is repeated after a network error or a
    /// 502/503/504, with exponential backoff and jitter (default 2; TLS failures are not
    /// repeated).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// **Dangerous**: does not verify the TLS certificate of `host` (a DNS name or IP address;
    /// a `:port` is ignored). Only connections to that host are affected: if the server URL
    /// names another host, its certificate is verified as usual. For test servers and
    /// Docker's "insecure registries" only.
    pub fn danger_accept_invalid_certs_for_host(mut self, host: &str) -> Self {
        self.insecure_host = Some(host.to_owned());
        self
    }

    /// The `User-Agent` header (default `notary-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Checks the URL, reads the TLS material and builds the client.
    ///
    /// The URL must be `https`, or `http` to a loopback host (`127.0.0.1`, `::1`,
    /// `localhost`); it may have a path prefix but no credentials, query or fragment.
    pub fn build(self) -> Result<NotaryServer, ServerError> {
        let base = server_base_url(&self.url)?;
        let host = base.host().ok_or_else(|| ServerError::config(format!("{base}: the URL has no host")))?;

        let mut options = TlsOptions::default();
        for pem in &self.ca_pems {
            options.extra_roots.extend(tls::parse_ca_pem(pem, "add_ca_pem")?);
        }
        for file in &self.ca_files {
            options.extra_roots.extend(tls::parse_ca_pem(&tls::read(file)?, &file.display().to_string())?);
        }
        let mut dirs = self.docker_certs_dirs.clone();
        if let Some(config_dir) = &self.docker_config_dir {
            let dir = config_dir.join("tls").join(host_port(&base));
            if dir.is_dir() {
                dirs.push(dir);
            }
        }
        for dir in &dirs {
            let (roots, identity) = tls::read_docker_certs_dir(dir)?;
            options.extra_roots.extend(roots);
            if options.identity.is_none() {
                options.identity = identity;
            }
        }
        if let Some((cert, key)) = &self.identity_pem {
            options.identity = Some(tls::parse_identity(cert, key, "client_identity_pem")?);
        }
        options.insecure_host = self.insecure_host.as_deref().map(tls::parse_host).transpose()?;
        let tls_config = tls::client_config(options, &host)?;

        let mut client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            // Like Go's RoundTripper: a redirect is an answer, not something to follow with
            // the Authorization header.
            .redirect(reqwest::redirect::Policy::none())
            // HTTPS_PROXY & co. from the environment, but never for loopback hosts (reqwest's
            // system proxy would send plain-http requests to 127.0.0.1, credentials included,
            // to a remote proxy).
            .proxy(ProxyEnv::from_env().into_reqwest())
            .user_agent(self.user_agent.clone());
        if let Some(timeout) = self.timeout {
            client = client.timeout(timeout);
        }
        let client = client.build().map_err(|e| ServerError::config(format!("cannot create the HTTP client: {e}")))?;
        let server_is_loopback = is_loopback(&host);
        Ok(NotaryServer::from_parts(
            client,
            base,
            Authenticator::new(self.credentials, server_is_loopback),
            self.retries,
        ))
    }
}

/// `host[:port]` as Docker names certificate directories (`url.Host`).
fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The server URL, checked, with a path that ends in `/` (so `v2/...` joins below a prefix).
pub(crate) fn server_base_url(url: &str) -> Result<Url, ServerError> {
    let shown = redact_url(url);
    let mut parsed = Url::parse(url).map_err(|e| {
        ServerError::config(format!("{shown:?} is not a valid notary server URL ({e}); expected https://host[:port]"))
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ServerError::config(format!(
            "{shown}: the server URL must not contain credentials; pass them with NotaryServerBuilder::credentials"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ServerError::config(format!("{shown}: the server URL must not have a query or fragment")));
    }
    let loopback = parsed.host().is_some_and(|h| is_loopback(&h));
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ServerError::config(format!(
                "{shown}: plain http is accepted for loopback hosts only (credentials and trust data would travel \
                 unprotected); use https"
            )));
        }
        other => return Err(ServerError::config(format!("{shown}: unsupported scheme {other:?}; use https"))),
    }
    if parsed.host().is_none() {
        return Err(ServerError::config(format!("{shown}: the URL has no host")));
    }
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_on_loopback() {
        assert_eq!(server_base_url("https://notary.docker.io").unwrap().as_str(), "https://notary.docker.io/");
        assert_eq!(server_base_url("https://h:4443/").unwrap().as_str(), "https://h:4443/");
        assert_eq!(server_base_url("https://h/prefix").unwrap().as_str(), "https://h/prefix/");
        assert_eq!(server_base_url("https://h/prefix/").unwrap().as_str(), "https://h/prefix/");
        assert!(server_base_url("http://127.0.0.1:4443").is_ok());
        assert!(server_base_url("http://localhost:4443").is_ok());
        assert!(server_base_url("http://[::1]:4443").is_ok());
        let e = server_base_url("http://notary.example.com").unwrap_err().to_string();
        assert!(e.contains("loopback") && e.contains("use https"), "{e}");
        assert!(server_base_url("ftp://h").is_err());
        assert!(server_base_url("notary.example.com").is_err());
        assert!(server_base_url("https://h/?x=1").is_err());
        let e = server_base_url("https://alice:hunter2@h/").unwrap_err().to_string();
        assert!(e.contains("credentials") && !e.contains("hunter2"), "{e}");
        let e = server_base_url("https://alice:hunter2@h:bad/").unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn redacted_urls() {
        assert_eq!(redact_url("https://u:p@h:1/x?y"), "https://<redacted>@h:1/x?y");
        assert_eq!(redact_url("https://h/x@y"), "https://<redacted>@y");
        for password in ["p/w", "p?w", "p#w", "p@w"] {
            assert_eq!(redact_url(&format!("https://u:{password}@h/x")), "https://<redacted>@h/x");
        }
        assert_eq!(redact_url("u:p@h"), "<redacted>");
    }

    #[test]
    fn docker_directory_names() {
        assert_eq!(host_port(&Url::parse("https://notary.docker.io").unwrap()), "notary.docker.io");
        assert_eq!(host_port(&Url::parse("https://127.0.0.1:4443/x").unwrap()), "127.0.0.1:4443");
        assert_eq!(host_port(&Url::parse("https://[::1]:4443").unwrap()), "[::1]:4443");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let b = NotaryServerBuilder::new("https://h")
            .credentials(Credentials::basic("alice", "pw-SECRET"))
            .client_identity_pem(b"-----BEGIN CERTIFICATE-----", b"KEY-SECRET");
        let shown = format!("{b:?}");
        assert!(shown.contains("alice"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
