//! [`NotaryServer`]: the HTTP implementation of the server API (spec §5) — URLs below
//! `<server>/v2/<GUN>/_trust/`, the request cycle (authorisation, one retry after a 401,
//! bounded retries of idempotent requests) and capped downloads.

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use url::Url;

use super::auth::{self, Authenticator, Authorization, Scope};
use super::builder::NotaryServerBuilder;
use super::http::{self, backoff, is_tls_error, network_error, read_capped, status_error};
use super::{MetadataName, RemoteStore, ServerError};
use crate::metadata::{Gun, PublicKey, RoleName};

/// A notary server: where it is, how to reach it, and who we are to it.
///
/// Cheap to clone (the HTTP client, connection pool, challenge and token cache are shared).
///
/// ```no_run
/// # async fn f() -> Result<(), notary_client::server::ServerError> {
/// use notary_client::metadata::{Gun, RoleName};
/// use notary_client::server::{MetadataName, NotaryServer, limits};
///
/// let server = NotaryServer::builder("https://notary.docker.io").build()?;
/// let gun = Gun::new("docker.io/library/alpine").expect("valid GUN");
/// let timestamp = server
///     .get_metadata(&gun, &MetadataName::Current(RoleName::timestamp()), limits::TIMESTAMP)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NotaryServer {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// The server URL, path ending in `/`.
    base: Url,
    auth: Authenticator,
    retries: u32,
}

impl fmt::Debug for NotaryServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotaryServer")
            .field("url", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("retries", &self.inner.retries)
            .finish_non_exhaustive()
    }
}

/// One API request, as the request cycle needs it.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) scope: Scope,
    /// `(content type, bytes)`.
    pub(crate) body: Option<(&'a str, &'a [u8])>,
    /// The most bytes of response body accepted.
    pub(crate) limit: u64,
    /// What errors name: GUN, file, URL.
    pub(crate) resource: String,
}

/// A failed attempt, and whether it failed in TLS (not worth retrying).
type Failure = (ServerError, bool);

fn fail(e: ServerError) -> Failure {
    (e, false)
}

impl NotaryServer {
    /// Starts configuring the client of the notary server at `url`
    /// (e.g. `https://notary.docker.io`, `https://notary.example.com:4443/prefix`).
    pub fn builder(url: &str) -> NotaryServerBuilder {
        NotaryServerBuilder::new(url)
    }

    pub(crate) fn from_parts(client: reqwest::Client, base: Url, auth: Authenticator, retries: u32) -> Self {
        NotaryServer { inner: Arc::new(Inner { client, base, auth, retries }) }
    }

    /// The server URL (its path ends in `/`).
    pub fn url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// `<server>/v2/<GUN>/_trust/<below>` (the GUN's slashes unescaped, as the server routes).
    pub(crate) fn gun_url(&self, gun: &Gun, below: &str) -> Result<Url, ServerError> {
        join(&self.inner.base, &format!("v2/{gun}/_trust/{below}"))
    }

    /// `<server>/v2/<GUN>/_trust/tuf/<path>`.
    pub(crate) fn tuf_url(&self, gun: &Gun, path: &str) -> Result<Url, ServerError> {
        self.gun_url(gun, &format!("tuf/{path}"))
    }

    /// `<server>/v2/_trust/<below>` (routes without a GUN).
    pub(crate) fn global_url(&self, below: &str) -> Result<Url, ServerError> {
        join(&self.inner.base, &format!("v2/_trust/{below}"))
    }

    /// The bytes of metadata file `name` of `gun`, at most `limit` bytes (spec §5.4).
    pub async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        self.send(gun, Method::GET, &name.file_name(), None, &["pull"], limit).await
    }

    /// A request below `<server>/v2/<GUN>/_trust/tuf/` with the token scope
    /// `repository:<GUN>:<actions>`, returning the body of a 2xx answer (at most `limit`
    /// bytes). For publishing: `POST ""` with a multipart body and `["push", "pull"]`,
    /// `DELETE ""` with `["*"]`.
    pub(crate) async fn send(
        &self,
        gun: &Gun,
        method: Method,
        path_below_tuf: &str,
        body: Option<(&str, &[u8])>,
        actions: &[&str],
        limit: u64,
    ) -> Result<Vec<u8>, ServerError> {
        let url = self.tuf_url(gun, path_below_tuf)?;
        let what =
            if method == Method::GET { path_below_tuf.to_owned() } else { format!("{method} tuf/{path_below_tuf}") };
        let call = Call {
            resource: format!("{gun}: {what} ({url})"),
            method,
            url,
            scope: Scope::repository(gun, actions),
            body,
            limit,
        };
        self.call(&call).await
    }

    /// Runs `call`: idempotent requests are repeated after transient failures.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Result<Vec<u8>, ServerError> {
        let idempotent = call.method == Method::GET || call.method == Method::HEAD;
        let mut attempt = 0;
        loop {
            match self.attempt(call).await {
                Ok(body) => return Ok(body),
                Err((e, tls)) if idempotent && attempt < self.inner.retries && http::is_transient(&e, tls) => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    /// One attempt: with what is known about authentication, then once more after a 401.
    async fn attempt(&self, call: &Call<'_>) -> Result<Vec<u8>, Failure> {
        let inner = &self.inner;
        let first = inner.auth.authorization(&inner.client, &call.scope, &call.resource).await.map_err(fail)?;
        let mut response = self.send_once(call, &first).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            let challenges = challenges_of(&response);
            let retry = inner
                .auth
                .after_unauthorized(&inner.client, challenges, &first, &call.scope, &call.resource)
                .await
                .map_err(fail)?;
            response = self.send_once(call, &retry).await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED {
                return Err(fail(self.refused(call, &retry, &challenges_of(&response))));
            }
        }
        if response.status().is_success() {
            read_capped(response, call.limit, &call.resource).await.map_err(fail)
        } else {
            Err(fail(status_error(response, &call.resource).await))
        }
    }

    async fn send_once(&self, call: &Call<'_>, authorization: &Authorization) -> Result<reqwest::Response, Failure> {
        let inner = &self.inner;
        let mut request = inner.client.request(call.method.clone(), call.url.clone());
        request = authorization.apply(request, inner.auth.credentials());
        match call.body {
            Some((content_type, bytes)) => request = request.header(CONTENT_TYPE, content_type).body(bytes.to_vec()),
            // Go sends `Content-Length: 0` on bodiless POSTs (key rotation).
            None if call.method != Method::GET && call.method != Method::HEAD => request = request.body(Vec::new()),
            None => {}
        }
        request.send().await.map_err(|e| (network_error(&call.resource, &e), is_tls_error(&e)))
    }

    /// The error for a second 401.
    fn refused(&self, call: &Call<'_>, sent: &Authorization, challenges: &[auth::Challenge]) -> ServerError {
        let why = challenges.iter().find_map(|c| c.error()).map(|e| format!(" ({e})")).unwrap_or_default();
        let reason = match sent {
            Authorization::Basic => {
                format!("the server refused the user name and password for scope {}{why}", call.scope)
            }
            Authorization::Bearer(_) => format!(
                "the server refused the token obtained for scope {}{why}; the account may lack that access to the \
                 repository (check the credentials and the repository's permissions)",
                call.scope
            ),
            Authorization::None => format!("the server demands authentication for scope {}{why}", call.scope),
        };
        ServerError::Unauthorized { resource: call.resource.clone(), reason }
    }
}

/// Every challenge of every `WWW-Authenticate` header of `response`.
fn challenges_of(response: &reqwest::Response) -> Vec<auth::Challenge> {
    auth::challenge::parse_all(response.headers().get_all(WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()))
}

/// `base` (path ending in `/`) joined with a relative path that never starts with a scheme.
fn join(base: &Url, relative: &str) -> Result<Url, ServerError> {
    // Built as text: `Url::join` would read `localhost:5000/...` as a scheme.
    let text = format!("{}{relative}", base.as_str().split(['?', '#']).next().unwrap_or_default());
    Url::parse(&text).map_err(|e| ServerError::config(format!("cannot build a URL from {text:?}: {e}")))
}

#[async_trait::async_trait]
impl RemoteStore for NotaryServer {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        NotaryServer::get_metadata(self, gun, name, limit).await
    }

    async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        NotaryServer::publish(self, gun, files).await
    }

    async fn get_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        NotaryServer::get_key(self, gun, role).await
    }

    async fn rotate_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        NotaryServer::rotate_key(self, gun, role).await
    }

    async fn delete(&self, gun: &Gun) -> Result<(), ServerError> {
        NotaryServer::delete_trust_data(self, gun).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::RoleName;

    fn server(url: &str) -> NotaryServer {
        NotaryServer::builder(url).build().unwrap()
    }

    #[test]
    fn urls_below_the_gun() {
        let gun = Gun::new("docker.io/library/alpine").unwrap();
        for base in ["https://notary.docker.io", "https://notary.docker.io/"] {
            let s = server(base);
            assert_eq!(
                s.tuf_url(&gun, "root.json").unwrap().as_str(),
                "https://notary.docker.io/v2/docker.io/library/alpine/_trust/tuf/root.json"
            );
            assert_eq!(
                s.tuf_url(&gun, "").unwrap().as_str(),
                "https://notary.docker.io/v2/docker.io/library/alpine/_trust/tuf/"
            );
        }
        let gun = Gun::new("localhost:5000/demo/app").unwrap();
        for base in ["https://h:4443/notary", "https://h:4443/notary/"] {
            let s = server(base);
            let name = MetadataName::ByHash { role: RoleName::releases(), sha256: [0xab; 32] };
            assert_eq!(
                s.tuf_url(&gun, &name.file_name()).unwrap().as_str(),
                format!(
                    "https://h:4443/notary/v2/localhost:5000/demo/app/_trust/tuf/targets/releases.{}.json",
                    "ab".repeat(32)
                )
            );
            assert_eq!(
                s.gun_url(&gun, "changefeed").unwrap().as_str(),
                "https://h:4443/notary/v2/localhost:5000/demo/app/_trust/changefeed"
            );
            assert_eq!(s.global_url("changefeed").unwrap().as_str(), "https://h:4443/notary/v2/_trust/changefeed");
        }
        let s = server("http://127.0.0.1:4443");
        assert_eq!(
            s.tuf_url(&Gun::new("example.com/app").unwrap(), &MetadataName::RootVersion(2).file_name())
                .unwrap()
                .as_str(),
            "http://127.0.0.1:4443/v2/example.com/app/_trust/tuf/2.root.json"
        );
    }

    #[test]
    fn built_at_runtime_with_ring_only() {
        // No process-wide default CryptoProvider is installed anywhere: building must not need one.
        let s = server("https://notary.example.com");
        assert_eq!(s.url(), "https://notary.example.com/");
        let clone = s.clone();
        assert!(Arc::ptr_eq(&s.inner, &clone.inner));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let s = NotaryServer::builder("https://h")
            .credentials(auth::Credentials::basic("alice", "pw-SECRET"))
            .build()
            .unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("alice") && shown.contains("https://h/"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
