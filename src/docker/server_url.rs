//! Which notary server Docker talks to for an image (docker/cli `trust.Server()`, spec §5.5).

use std::fmt;

use url::Url;

use super::reference::{DOCKER_HUB_DOMAIN, ImageReference, LEGACY_DOCKER_HUB_DOMAIN};
use crate::metadata::clip;
use crate::passphrase::EnvLookup;
use crate::server::redact_url;

/// Docker Hub's notary server.
pub const DOCKER_HUB_NOTARY_SERVER: &str = "https://notary.docker.io";

/// The variable that overrides the notary server for every registry.
pub const TRUST_SERVER_VARIABLE: &str = "DOCKER_CONTENT_TRUST_SERVER";

/// The notary server URL could not be determined.
///
/// ```
/// use notary_client::docker::{ServerUrlError, TrustServer};
/// let server = TrustServer::from_lookup(|_| Some("http://notary.internal".to_owned()));
/// let err = server.url_for_registry("docker.io").unwrap_err();
/// assert!(matches!(err, ServerUrlError::NotHttps { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerUrlError {
    /// `DOCKER_CONTENT_TRUST_SERVER` is set but is not an `https://host…` URL without
    /// credentials, query or fragment.
    #[error(
        "valid https URL required for trust server, got {value:?}: set DOCKER_CONTENT_TRUST_SERVER to https://<host>[:port][/path] (without user:password@, query or fragment) or unset it"
    )]
    NotHttps {
        /// The variable's value, clipped and with any `user:password@` redacted.
        value: String,
    },
    /// The registry is not a `host[:port]`.
    #[error("{registry:?} is not a registry host[:port] (expected e.g. docker.io or localhost:5000)")]
    InvalidRegistry {
        /// The (clipped) registry given.
        registry: String,
    },
}

/// Resolves the notary server of a registry as Docker does:
///
/// 1. `DOCKER_CONTENT_TRUST_SERVER`, if set and non-empty; it must be an `https` URL (without
///    credentials, query or fragment, which [`NotaryServerBuilder`](crate::server::NotaryServerBuilder)
///    refuses too) and is returned unchanged (as Docker does; a trailing `/` is kept);
/// 2. `https://notary.docker.io` for Docker Hub (`docker.io`, `index.docker.io`);
/// 3. otherwise `https://<registry host[:port]>`: the registry serves its own trust data.
///
/// `registry-1.docker.io` is not Docker Hub's *index* for Docker either, so it maps to
/// `https://registry-1.docker.io`; image references never carry it (they say `docker.io`).
///
/// ```
/// use notary_client::docker::{ImageReference, TrustServer};
/// let none = TrustServer::from_lookup(|_| None);
/// assert_eq!(none.url_for(&ImageReference::parse("alpine")?)?, "https://notary.docker.io");
/// assert_eq!(none.url_for(&ImageReference::parse("localhost:5000/app")?)?, "https://localhost:5000");
///
/// let custom = TrustServer::from_lookup(|var| {
///     (var == "DOCKER_CONTENT_TRUST_SERVER").then(|| "https://notary.example.com:4443".to_owned())
/// });
/// assert_eq!(custom.url_for_registry("docker.io")?, "https://notary.example.com:4443");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TrustServer {
    lookup: Box<EnvLookup>,
}

impl TrustServer {
    /// Reads `DOCKER_CONTENT_TRUST_SERVER` from the process environment when asked.
    ///
    /// ```no_run
    /// use notary_client::docker::TrustServer;
    /// let url = TrustServer::from_env().url_for_registry("ghcr.io")?;
    /// # Ok::<(), notary_client::docker::ServerUrlError>(())
    /// ```
    pub fn from_env() -> Self {
        TrustServer { lookup: Box::new(crate::passphrase::process_env) }
    }

    /// Reads variables through `lookup` (tests, or an environment captured elsewhere).
    ///
    /// ```
    /// use notary_client::docker::TrustServer;
    /// let server = TrustServer::from_lookup(|_| None);
    /// assert_eq!(server.url_for_registry("ghcr.io")?, "https://ghcr.io");
    /// # Ok::<(), notary_client::docker::ServerUrlError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        TrustServer { lookup: Box::new(lookup) }
    }

    /// The notary server for an image reference's registry.
    ///
    /// ```
    /// use notary_client::docker::{ImageReference, TrustServer};
    /// let r = ImageReference::parse("registry.example.com:5000/team/app:1")?;
    /// assert_eq!(TrustServer::from_lookup(|_| None).url_for(&r)?, "https://registry.example.com:5000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url_for(&self, reference: &ImageReference) -> Result<String, ServerUrlError> {
        self.url_for_registry(reference.domain())
    }

    /// The notary server for a registry `host[:port]` (`docker.io`, `index.docker.io`,
    /// `localhost:5000`).
    ///
    /// ```
    /// use notary_client::docker::TrustServer;
    /// let server = TrustServer::from_lookup(|_| None);
    /// assert_eq!(server.url_for_registry("index.docker.io")?, "https://notary.docker.io");
    /// assert!(server.url_for_registry("https://ghcr.io/").is_err());
    /// # Ok::<(), notary_client::docker::ServerUrlError>(())
    /// ```
    pub fn url_for_registry(&self, registry: &str) -> Result<String, ServerUrlError> {
        if let Some(value) = (self.lookup)(TRUST_SERVER_VARIABLE).filter(|v| !v.is_empty()) {
            return if is_https_url(&value) {
                Ok(value)
            } else {
                Err(ServerUrlError::NotHttps { value: clip(&redact_url(&value)) })
            };
        }
        let bad = registry.is_empty()
            || registry.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b"/@?#\\".contains(&b));
        if bad {
            return Err(ServerUrlError::InvalidRegistry { registry: clip(registry) });
        }
        if registry == DOCKER_HUB_DOMAIN || registry == LEGACY_DOCKER_HUB_DOMAIN {
            Ok(DOCKER_HUB_NOTARY_SERVER.to_owned())
        } else {
            Ok(format!("https://{registry}"))
        }
    }
}

impl fmt::Debug for TrustServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrustServer")
    }
}

/// The notary server for `reference`, reading `DOCKER_CONTENT_TRUST_SERVER` from the process
/// environment (see [`TrustServer`] for the rules and an injectable environment).
///
/// ```no_run
/// use notary_client::docker::{ImageReference, notary_server_url};
/// let url = notary_server_url(&ImageReference::parse("alpine")?)?;
/// // "https://notary.docker.io" unless DOCKER_CONTENT_TRUST_SERVER is set
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn notary_server_url(reference: &ImageReference) -> Result<String, ServerUrlError> {
    TrustServer::from_env().url_for(reference)
}

/// What Go's `url.Parse(s)` + `Scheme == "https"` accepts, made stricter: the scheme must be
/// followed by `//` and a valid, non-empty host; no whitespace or control characters appear
/// (the URL parser would silently drop some); and, as the server builder demands, there is no
/// `user:password@`, query or fragment.
fn is_https_url(value: &str) -> bool {
    let Some((scheme, _)) = value.split_once("://") else { return false };
    if !scheme.eq_ignore_ascii_case("https") || value.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return false;
    }
    Url::parse(value).is_ok_and(|url| {
        url.scheme() == "https"
            && url.host().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unset() -> TrustServer {
        TrustServer::from_lookup(|_| None)
    }

    fn with_server(value: &'static str) -> TrustServer {
        TrustServer::from_lookup(move |var| (var == TRUST_SERVER_VARIABLE).then(|| value.to_owned()))
    }

    fn reference(s: &str) -> ImageReference {
        ImageReference::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn docker_hub_uses_notary_docker_io() {
        for r in ["alpine", "user/app:1", "docker.io/library/x", "index.docker.io/x"] {
            assert_eq!(unset().url_for(&reference(r)).unwrap(), "https://notary.docker.io", "{r}");
        }
        assert_eq!(unset().url_for_registry("index.docker.io").unwrap(), DOCKER_HUB_NOTARY_SERVER);
    }

    #[test]
    fn other_registries_serve_their_own_trust_data() {
        assert_eq!(unset().url_for(&reference("localhost:5000/app")).unwrap(), "https://localhost:5000");
        assert_eq!(unset().url_for(&reference("ghcr.io/o/app:1")).unwrap(), "https://ghcr.io");
    }

    #[test]
    fn registry_1_docker_io_is_not_the_index() {
        assert_eq!(unset().url_for_registry("registry-1.docker.io").unwrap(), "https://registry-1.docker.io");
    }

    #[test]
    fn trust_server_variable_overrides_every_registry() {
        let s = with_server("https://notary.example.com:4443/");
        assert_eq!(s.url_for(&reference("alpine")).unwrap(), "https://notary.example.com:4443/");
        assert_eq!(s.url_for(&reference("localhost:5000/app")).unwrap(), "https://notary.example.com:4443/");
    }

    #[test]
    fn empty_trust_server_variable_is_unset() {
        assert_eq!(with_server("").url_for_registry("docker.io").unwrap(), DOCKER_HUB_NOTARY_SERVER);
    }

    #[test]
    fn trust_server_variable_must_be_https() {
        for bad in ["http://notary", "notary.example.com", "https://", "https:notary", "ftp://x", "https://a b"] {
            let err = with_server(bad).url_for_registry("docker.io").unwrap_err();
            assert!(matches!(err, ServerUrlError::NotHttps { .. }), "{bad}");
            assert!(err.to_string().contains("DOCKER_CONTENT_TRUST_SERVER"), "{err}");
        }
        assert!(with_server("HTTPS://notary.example.com").url_for_registry("x.io").is_ok());
        assert!(with_server("https://notary.example.com:4443/prefix/").url_for_registry("x.io").is_ok());
        assert!(with_server("https://[::1]:4443").url_for_registry("x.io").is_ok());
    }

    #[test]
    fn trust_server_variable_must_not_carry_credentials_query_or_fragment() {
        for bad in [
            "https://alice:hunter2@notary.example.com",
            "https://alice@notary.example.com",
            "https://:hunter2@notary.example.com",
            "https://notary.example.com/?token=hunter2",
            "https://notary.example.com/#frag",
            "https://notary.example.com:bad/",
            "https://:4443/",
        ] {
            let err = with_server(bad).url_for_registry("docker.io").unwrap_err();
            assert!(matches!(err, ServerUrlError::NotHttps { .. }), "{bad}");
            if bad.contains('@') {
                assert!(!err.to_string().contains("hunter2") && !err.to_string().contains("alice"), "{err}");
            }
        }
    }

    #[test]
    fn rejected_trust_server_values_are_redacted_and_clipped() {
        let err = with_server("http://alice:hunter2@notary.example.com").url_for_registry("docker.io").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("<redacted>@notary.example.com") && !text.contains("hunter2"), "{text}");
        let long: &'static str = Box::leak(format!("http://{}", "h".repeat(100_000)).into_boxed_str());
        let text = with_server(long).url_for_registry("docker.io").unwrap_err().to_string();
        assert!(text.len() < 1000, "{}", text.len());
    }

    #[test]
    fn registry_must_be_a_host() {
        for bad in ["", "https://ghcr.io", "ghcr.io/ns", "a b", "user@host"] {
            assert!(matches!(unset().url_for_registry(bad), Err(ServerUrlError::InvalidRegistry { .. })), "{bad:?}");
        }
    }
}
