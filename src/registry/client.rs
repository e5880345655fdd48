//! [`Registry`] and its [`RegistryBuilder`]: which registry, how to reach it (HTTPS with the
//! system's roots plus Docker's CA directories, plain HTTP only for loopback or listed hosts),
//! and who we are. The HTTP work is done by `oci-client`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

use super::RegistryError;
use super::error::{Context, Operation};
use super::oci_error::map;
use crate::docker::ImageReference;
use crate::metadata::clip;
use crate::server::auth::Credentials;
use crate::server::auth::challenge;
use crate::server::auth::token::{Realm, realm_url};
use crate::server::http::is_loopback;
use crate::server::redact_url;
use crate::server::tls;

/// Connecting (TLS handshake included) gives up after this long by default.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit from sending a request (other than a blob upload) to its response, and between
/// two reads of a response body.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The `User-Agent` header.
const USER_AGENT: &str = concat!("notary-client/", env!("CARGO_PKG_VERSION"));
/// Where the Docker daemon looks for registry CAs (`<dir>/<host[:port]>/*.crt`).
const SYSTEM_CERTS_DIR: &str = "/etc/docker/certs.d";
/// The user name Azure Container Registry expects with a refresh (identity) token.
const TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";

/// A client for one container registry: pushes images ([`Registry::push`]) and reads manifests
/// ([`Registry::manifest`]).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use notary_client::docker::ImageReference;
/// use notary_client::registry::Registry;
/// use notary_client::server::auth::Credentials;
///
/// let reference = ImageReference::parse("registry.example.com/team/app:1.2")?;
/// let registry = Registry::builder(reference.domain())
///     .credentials(Credentials::basic("ci", "s3cret"))
///     .docker_certs(std::path::Path::new("/home/ci/.docker"))
///     .build()?;
/// let remote = registry.manifest(&reference).await?;
/// println!("{} {} bytes {}", remote.digest, remote.size, remote.media_type);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Registry {
    pub(super) host: String,
    plain_http: bool,
    /// Whether the registry host is a loopback host (a plain-http token realm on a loopback
    /// host is accepted only then).
    loopback: bool,
    pub(super) auth: RegistryAuth,
    /// Every request except blob uploads.
    pub(super) oci: oci_client::Client,
    /// Blob uploads: the same configuration without a read timeout, which in reqwest also bounds
    /// the time from the start of a request to its response, i.e. the whole upload. Shares the
    /// token cache of `oci`.
    pub(super) uploads: oci_client::Client,
    /// `GET /v2/` before credentials are handed to oci-client: configured as `oci` (roots,
    /// insecure setting, proxies, timeouts), without credentials.
    probe: reqwest::Client,
    /// The verdict of that probe, once made: `Err(realm)` for a refused token realm. Shared by
    /// clones (as the token cache is).
    realm_verdict: Arc<Mutex<Option<Result<(), String>>>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // RegistryAuth's Debug shows the user name only.
        f.debug_struct("Registry")
            .field("host", &self.host)
            .field("plain_http", &self.plain_http)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A builder for the registry `host` (`host[:port]` as in image references, e.g.
    /// `registry.example.com`, `localhost:5000`, `docker.io`). `https://host` forces HTTPS,
    /// `http://host` asks for plain HTTP (accepted for loopback and
    /// [insecure](RegistryBuilder::insecure_hosts) hosts only).
    pub fn builder(host: &str) -> RegistryBuilder {
        RegistryBuilder {
            host: host.trim().to_owned(),
            credentials: Credentials::Anonymous,
            ca_pems: Vec::new(),
            docker_config_dir: None,
            system_certs_dir: PathBuf::from(SYSTEM_CERTS_DIR),
            insecure_hosts: Vec::new(),
            accept_invalid_certs: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }

    /// The registry's `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether requests go over plain HTTP (a loopback or insecure-listed registry).
    pub fn plain_http(&self) -> bool {
        self.plain_http
    }

    /// Refuses a reference on another registry.
    pub(super) fn check_reference(&self, reference: &ImageReference) -> Result<(), RegistryError> {
        if reference.domain().eq_ignore_ascii_case(&self.host) {
            Ok(())
        } else {
            Err(RegistryError::config(
                &self.host,
                format!("{reference} is on registry {}, not on this one; build a Registry for it", reference.domain()),
            ))
        }
    }

    /// The oci-client reference of `repository` with `tag` (and `digest`).
    pub(super) fn oci_reference(
        &self,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> oci_client::Reference {
        let (host, repository) = (self.host.clone(), repository.to_owned());
        match (tag, digest) {
            (Some(tag), Some(digest)) => {
                oci_client::Reference::with_tag_and_digest(host, repository, tag.to_owned(), digest.to_owned())
            }
            (None, Some(digest)) => oci_client::Reference::with_digest(host, repository, digest.to_owned()),
            (tag, None) => oci_client::Reference::with_tag(host, repository, tag.unwrap_or("latest").to_owned()),
        }
    }

    pub(super) fn context(&self, operation: Operation, repository: &str, object: Option<String>) -> Context {
        Context::new(operation, &self.host, repository, object)
    }

    /// Before oci-client is given non-anonymous credentials: checks, once per `Registry`, that
    /// the token services the registry's `GET /v2/` challenge names (every `Bearer` realm) may
    /// receive them, with the rule of the notary token flow ([`realm_url`]): https, or plain
    /// http to a loopback host when the registry is on a loopback host too. oci-client would
    /// otherwise send the Basic credentials to any realm, plain http on another host included.
    /// A `Bearer` challenge without a realm is refused too (its parse could differ from
    /// oci-client's).
    ///
    /// `Basic` challenges are not checked: the credentials then go to the registry itself, over
    /// plain http only for a loopback registry or one the user listed with
    /// [`insecure_hosts`](RegistryBuilder::insecure_hosts) (an explicit opt-in).
    ///
    /// A refused realm is [`RegistryError::InsecureTokenRealm`], and nothing was sent; a probe
    /// that fails (network, TLS) is reported as the request `context` names and not
    /// remembered.
    pub(super) async fn check_token_realms(&self, context: impl Fn() -> Context) -> Result<(), RegistryError> {
        // A bearer token goes to the registry itself, never to a token service.
        if matches!(self.auth, RegistryAuth::Anonymous | RegistryAuth::Bearer(_)) {
            return Ok(());
        }
        let known = self.realm_verdict.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let verdict = match known {
            Some(verdict) => verdict,
            None => {
                let verdict = self.probe_token_realms().await.map_err(|e| map(e.into(), context()))?;
                *self.realm_verdict.lock().unwrap_or_else(PoisonError::into_inner) = Some(verdict.clone());
                verdict
            }
        };
        verdict.map_err(|realm| RegistryError::InsecureTokenRealm { host: self.host.clone(), realm })
    }

    /// `GET <scheme>://<host>/v2/` (the request oci-client's authentication starts with):
    /// `Err(realm's scheme://host[:port])` for the first refused `Bearer` realm.
    async fn probe_token_realms(&self) -> Result<Result<(), String>, reqwest::Error> {
        let target = self.oci_reference("probe", None, None);
        let scheme = if self.plain_http { "http" } else { "https" };
        let url = format!("{scheme}://{}/v2/", target.resolve_registry());
        let response = self.probe.get(url).send().await?;
        let values = response.headers().get_all(reqwest::header::WWW_AUTHENTICATE);
        let challenges = challenge::parse_all(values.iter().filter_map(|v| v.to_str().ok()));
        for bearer in challenges.iter().filter(|c| c.is_bearer()) {
            let url = bearer.realm().unwrap_or_default();
            if realm_url(&Realm { url, server_is_loopback: self.loopback }, &self.host).is_err() {
                let shown = realm_origin(url);
                tracing::warn!(host = %self.host, realm = %shown, "refusing a non-https token realm");
                return Ok(Err(shown));
            }
        }
        Ok(Ok(()))
    }
}

/// Configures a [`Registry`]; see [`Registry::builder`]. Files are read by
/// [`build`](RegistryBuilder::build), which reports every problem as [`RegistryError::Config`].
///
/// Plain HTTP is used only for loopback registries (`localhost`, `127.0.0.0/8`, `::1`, any
/// port: Docker's default insecure registries) and hosts given to
/// [`insecure_hosts`](Self::insecure_hosts); every other registry is HTTPS with certificate
/// verification against the system's roots plus the CAs given here.
///
/// TLS is rustls: [`build`](Self::build) installs ring as the process-wide default rustls crypto
/// provider if no provider is installed yet (reqwest, built without a provider of its own, needs
/// one); a provider the application installed first is used as is.
pub struct RegistryBuilder {
    host: String,
    credentials: Credentials,
    ca_pems: Vec<Vec<u8>>,
    docker_config_dir: Option<PathBuf>,
    system_certs_dir: PathBuf,
    insecure_hosts: Vec<String>,
    accept_invalid_certs: bool,
    connect_timeout: Duration,
    read_timeout: Duration,
}

impl fmt::Debug for RegistryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryBuilder")
            .field("host", &redact_url(&self.host))
            .field("credentials", &self.credentials)
            .field("ca_pems", &self.ca_pems.len())
            .field("docker_config_dir", &self.docker_config_dir)
            .field("insecure_hosts", &self.insecure_hosts)
            .field("danger_accept_invalid_certs", &self.accept_invalid_certs)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

impl RegistryBuilder {
    /// Who we are to the registry (default: anonymous), e.g. from
    /// `DockerConfig::credentials_for_reference`.
    ///
    /// * `Basic`: user name and password, sent to the registry's token service (or to the
    ///   registry on a Basic challenge).
    /// * `IdentityToken`: sent as the password of HTTP Basic with its user name (or
    ///   `00000000-0000-0000-0000-000000000000`), which is how Azure Container Registry takes
    ///   refresh tokens. oci-client keeps one authentication per registry and a fixed bearer
    ///   token would be used for every repository and never renewed, so the refresh-token grant
    ///   is left to the token service rather than done here.
    /// * `Bearer`: sent as is on every request.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Trusts the CA certificates of `pem` (one or more `CERTIFICATE` blocks) in addition to
    /// the system's roots.
    pub fn add_ca_pem(mut self, pem: &[u8]) -> Self {
        self.ca_pems.push(pem.to_vec());
        self
    }

    /// Reads Docker's certificate directories for this registry, as the Docker daemon does:
    /// every `*.crt` of `/etc/docker/certs.d/<host>/` and of `<config_dir>/tls/<host>/` (those
    /// that exist) is a trusted CA. `config_dir` is `$DOCKER_CONFIG` or `~/.docker`.
    ///
    /// A client certificate there (`*.cert` / `*.key`) makes [`build`](Self::build) fail:
    /// oci-client cannot present client certificates, and connecting without the certificate
    /// the registry expects would fail later or, worse, silently skip it.
    pub fn docker_certs(mut self, config_dir: &Path) -> Self {
        self.docker_config_dir = Some(config_dir.to_path_buf());
        self
    }

    /// Hosts (`host[:port]`, as in Docker's `insecure-registries`) that may be reached over
    /// plain HTTP. Loopback hosts need not be listed.
    pub fn insecure_hosts(mut self, hosts: impl IntoIterator<Item = String>) -> Self {
        self.insecure_hosts.extend(hosts.into_iter().map(|h| h.trim().to_owned()));
        self
    }

    /// **Dangerous**: does not verify TLS certificates. Meant for a test registry with a
    /// self-signed certificate. oci-client applies this to the whole HTTP client, so the
    /// registry's token service and any host it redirects to are not verified either.
    pub fn danger_accept_invalid_certs(mut self) -> Self {
        self.accept_invalid_certs = true;
        self
    }

    /// Limits connecting (TLS handshake included; default 30 s) and waiting for an answer
    /// (default 60 s: the time from sending a request to its response headers, and between two
    /// reads of a response body). Blob uploads have no read limit, since reqwest would count
    /// the whole upload in it.
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    /// Overrides `/etc/docker/certs.d` (tests).
    #[cfg(test)]
    pub(crate) fn system_certs_dir(mut self, dir: &Path) -> Self {
        self.system_certs_dir = dir.to_path_buf();
        self
    }

    /// Checks the host, reads the CA certificates and builds the client. No network access.
    pub fn build(self) -> Result<Registry, RegistryError> {
        let (scheme, host) = split_scheme(&self.host);
        let loopback = parse_host(host).map_err(|reason| RegistryError::config(&redact_url(host), reason))?;
        let host = host.to_owned();
        let listed = self.insecure_hosts.iter().any(|h| split_scheme(h).1.eq_ignore_ascii_case(&host));
        let may_use_http = listed || loopback;
        let plain_http = match scheme {
            Some("https") => false,
            Some(_) if !may_use_http => {
                return Err(RegistryError::config(
                    &host,
                    "plain http is accepted only for loopback registries (localhost, 127.0.0.0/8, ::1) and hosts \
                     listed with insecure_hosts (Docker's insecure-registries); use https",
                ));
            }
            Some(_) => true,
            None => may_use_http,
        };
        let roots = self.ca_certificates(&host)?;

        // reqwest is built without a crypto provider of its own: give rustls one (ring, the
        // crate's only backend) unless the application already installed one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = |read_timeout: Option<Duration>| ClientConfig {
            protocol: if plain_http { ClientProtocol::HttpsExcept(vec![host.clone()]) } else { ClientProtocol::Https },
            accept_invalid_certificates: self.accept_invalid_certs,
            use_monolithic_push: true,
            extra_root_certificates: roots.clone(),
            platform_resolver: None,
            max_concurrent_upload: 1,
            max_concurrent_download: 1,
            connect_timeout: Some(self.connect_timeout),
            read_timeout,
            user_agent: USER_AGENT,
            ..proxy_settings(&crate::passphrase::process_env)
        };
        let client_err = |e: oci_client::errors::OciDistributionError| {
            RegistryError::config(&host, format!("cannot create the HTTP client: {e}"))
        };
        let probe = probe_client(&config(Some(self.read_timeout))).map_err(client_err)?;
        let oci = oci_client::Client::try_from(config(Some(self.read_timeout))).map_err(client_err)?;
        let mut uploads = oci_client::Client::try_from(config(None)).map_err(client_err)?;
        uploads.tokens = oci.tokens.clone();
        Ok(Registry {
            auth: registry_auth(self.credentials),
            host,
            plain_http,
            loopback,
            oci,
            uploads,
            probe,
            realm_verdict: Arc::default(),
        })
    }

    /// The CAs of `add_ca_pem` and of Docker's directories for `host`, as DER certificates.
    fn ca_certificates(&self, host: &str) -> Result<Vec<Certificate>, RegistryError> {
        let config_err = |e: crate::server::ServerError| match e {
            crate::server::ServerError::Config { reason } => RegistryError::config(host, reason),
            other => RegistryError::config(host, other.to_string()),
        };
        let mut roots = Vec::new();
        for pem in &self.ca_pems {
            roots.extend(tls::parse_ca_pem(pem, "add_ca_pem").map_err(config_err)?);
        }
        let dirs = match &self.docker_config_dir {
            Some(config_dir) => vec![self.system_certs_dir.join(host), config_dir.join("tls").join(host)],
            None => Vec::new(),
        };
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            refuse_client_certificates(dir, host)?;
            let (found, _no_identity) = tls::read_docker_certs_dir(dir).map_err(config_err)?;
            roots.extend(found);
        }
        Ok(roots
            .into_iter()
            .map(|der| Certificate { encoding: CertificateEncoding::Der, data: der.as_ref().to_vec() })
            .collect())
    }
}

/// `scheme://host[:port]` of a token realm, for messages (which show no paths or queries), or
/// a note that it is not a URL.
fn realm_origin(realm: &str) -> String {
    match url::Url::parse(realm) {
        Ok(url) if url.host_str().is_some() => {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            clip(&format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or_default()))
        }
        _ if realm.is_empty() => "(none given)".to_owned(),
        _ => format!("(not a URL: {} bytes)", realm.len()),
    }
}

/// A reqwest client configured as oci-client configures its own from `config` (its
/// `TryFrom<ClientConfig>`): same roots, certificate checking, timeouts, user agent and proxies.
fn probe_client(config: &ClientConfig) -> Result<reqwest::Client, oci_client::errors::OciDistributionError> {
    let roots =
        config.extra_root_certificates.iter().map(reqwest::Certificate::try_from).collect::<Result<Vec<_>, _>>()?;
    let mut builder = reqwest::Client::builder()
        .danger_accept_invalid_certs(config.accept_invalid_certificates)
        .tls_certs_merge(roots)
        .user_agent(config.user_agent);
    if let Some(timeout) = config.read_timeout {
        builder = builder.read_timeout(timeout);
    }
    if let Some(timeout) = config.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    let no_proxy = || config.no_proxy.as_deref().and_then(reqwest::NoProxy::from_string);
    if let Some(proxy) = &config.https_proxy {
        builder = builder.proxy(reqwest::Proxy::https(proxy)?.no_proxy(no_proxy()));
    }
    if let Some(proxy) = &config.http_proxy {
        builder = builder.proxy(reqwest::Proxy::http(proxy)?.no_proxy(no_proxy()));
    }
    Ok(builder.build()?)
}

/// `("http" | "https", rest)` for `http://…` / `https://…`, else `(None, host)`; a trailing `/`
/// is dropped.
fn split_scheme(host: &str) -> (Option<&str>, &str) {
    let host = host.trim();
    let (scheme, rest) = match host.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (Some("http"), rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (Some("https"), rest),
        _ => (None, host),
    };
    (scheme, rest.strip_suffix('/').unwrap_or(rest))
}

/// Checks that `host` is exactly `host[:port]` (no scheme, user, path or query); whether it is
/// a loopback host.
fn parse_host(host: &str) -> Result<bool, String> {
    // A `user:password@` given as part of the host is not shown.
    let shown = redact_url(host);
    let bad = |why: &str| format!("{shown:?} is not a registry host[:port] ({why})");
    if host.is_empty() {
        return Err(bad("empty"));
    }
    if host.contains(['/', '@', '?', '#', ' ']) || host.contains("://") {
        return Err(bad("give host[:port] only, e.g. registry.example.com:5000"));
    }
    let url = url::Url::parse(&format!("https://{host}/")).map_err(|e| bad(&e.to_string()))?;
    url.host().map(|h| is_loopback(&h)).ok_or_else(|| bad("no host"))
}

/// Fails if `dir` holds a client certificate or key: they cannot be presented.
fn refuse_client_certificates(dir: &Path, host: &str) -> Result<(), RegistryError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| RegistryError::config(host, format!("{}: cannot read the directory ({e})", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "cert" || e == "key") {
            return Err(RegistryError::config(
                host,
                format!(
                    "{} is a client certificate or key: mutual TLS to registries is not supported by this client \
                     (oci-client cannot present client certificates), and connecting without it is refused; \
                     push with docker, or remove the file if the registry does not require it",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The oci-client authentication for our credentials.
fn registry_auth(credentials: Credentials) -> RegistryAuth {
    match credentials {
        Credentials::Basic { username, password } => RegistryAuth::Basic(username, password.as_str().to_owned()),
        Credentials::IdentityToken { username, token } => {
            RegistryAuth::Basic(username.unwrap_or_else(|| TOKEN_USER.to_owned()), token.as_str().to_owned())
        }
        Credentials::Bearer(token) => RegistryAuth::Bearer(token.as_str().to_owned()),
        Credentials::Anonymous => RegistryAuth::Anonymous,
    }
}

/// Proxies from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (or their lower-case
/// forms), with loopback hosts always connected to directly. Setting them explicitly turns
/// reqwest's own environment proxy off, which has no loopback exception and would send plain
/// HTTP to `localhost`, credentials included, to a remote proxy.
fn proxy_settings(lookup: &dyn Fn(&str) -> Option<String>) -> ClientConfig {
    let first = |names: &[&str]| names.iter().find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()));
    let all = first(&["ALL_PROXY", "all_proxy"]);
    // httpoxy: in a CGI program HTTP_PROXY may come from a request header.
    let cgi = lookup("REQUEST_METHOD").is_some_and(|v| !v.is_empty());
    let http = if cgi { None } else { first(&["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone()) };
    let https = first(&["HTTPS_PROXY", "https_proxy"]).or(all);
    let mut no_proxy = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    if http.is_some() || https.is_some() {
        no_proxy = [no_proxy.as_str(), "localhost,127.0.0.0/8,::1"]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(",");
    }
    ClientConfig {
        http_proxy: http,
        https_proxy: https,
        no_proxy: (!no_proxy.is_empty()).then_some(no_proxy),
        ..ClientConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_host_and_port_only() {
        assert!(parse_host("registry.example.com").is_ok());
        assert!(parse_host("localhost:5000").is_ok());
        assert!(parse_host("[::1]:5000").is_ok());
        for bad in ["", "a/b", "user:pw@host", "host?x", "https://host", "host:notaport"] {
            assert!(parse_host(bad).is_err(), "{bad}");
        }
        assert_eq!(split_scheme("HTTP://h:1/"), (Some("http"), "h:1"));
        assert_eq!(split_scheme("h"), (None, "h"));
    }

    #[test]
    fn loopback_registries_use_plain_http_by_default() {
        for host in ["localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"] {
            let r = Registry::builder(host).build().unwrap();
            assert!(r.plain_http(), "{host}");
        }
        assert!(!Registry::builder("registry.example.com").build().unwrap().plain_http());
        assert!(!Registry::builder("https://localhost:5000").build().unwrap().plain_http());
        assert!(!Registry::builder("localhost.example.com:5000").build().unwrap().plain_http());
    }

    #[test]
    fn docker_cert_directories_are_read_only_when_asked() {
        let sys = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(sys.path().join("reg.example:5000")).unwrap();
        std::fs::write(sys.path().join("reg.example:5000/ca.crt"), "not a certificate").unwrap();
        // Not asked: the broken file is not read.
        Registry::builder("reg.example:5000").system_certs_dir(sys.path()).build().unwrap();
        let config = tempfile::tempdir().unwrap();
        let e = Registry::builder("reg.example:5000")
            .system_certs_dir(sys.path())
            .docker_certs(config.path())
            .build()
            .unwrap_err();
        assert!(matches!(e, RegistryError::Config { .. }) && e.to_string().contains("ca.crt"), "{e}");
    }

    #[test]
    fn client_certificates_in_the_system_directory_are_refused() {
        let sys = tempfile::tempdir().unwrap();
        let dir = sys.path().join("reg.example");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("client.cert"), "x").unwrap();
        std::fs::write(dir.join("client.key"), "x").unwrap();
        let config = tempfile::tempdir().unwrap();
        let e = Registry::builder("reg.example")
            .system_certs_dir(sys.path())
            .docker_certs(config.path())
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("mutual TLS to registries is not supported"), "{e}");
    }

    #[test]
    fn identity_tokens_become_basic_with_the_token_user() {
        let auth = registry_auth(Credentials::IdentityToken { username: None, token: "rt".to_owned().into() });
        assert_eq!(auth, RegistryAuth::Basic(TOKEN_USER.to_owned(), "rt".to_owned()));
        let auth = registry_auth(Credentials::basic("u", "p"));
        assert_eq!(auth, RegistryAuth::Basic("u".to_owned(), "p".to_owned()));
        assert!(!format!("{:?}", registry_auth(Credentials::basic("u", "SECRET"))).contains("SECRET"));
    }

    #[test]
    fn proxies_never_apply_to_loopback() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())
        };
        let c = proxy_settings(&env(&[("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "corp.example")]));
        assert_eq!(c.https_proxy.as_deref(), Some("http://proxy:3128"));
        assert_eq!(c.no_proxy.as_deref(), Some("corp.example,localhost,127.0.0.0/8,::1"));
        let c = proxy_settings(&env(&[]));
        assert!(c.http_proxy.is_none() && c.https_proxy.is_none() && c.no_proxy.is_none());
        let c = proxy_settings(&env(&[("HTTP_PROXY", "http://p"), ("REQUEST_METHOD", "GET")]));
        assert!(c.http_proxy.is_none());
    }
}
