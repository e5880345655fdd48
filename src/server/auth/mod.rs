//! Authentication to the notary server (spec §5.5, trap T12): `WWW-Authenticate` challenges,
//! Docker's token flow with scopes on the full GUN, tokens cached per scope until expiry.
//!
//! The flow per request: send it with what is already known (the credentials' bearer token, a
//! cached token for the scope, or a token fetched for the challenge this server gave before);
//! on 401 parse the challenge, obtain a token for the request's scope and retry once; a second
//! 401 is [`ServerError::Unauthorized`].

pub mod challenge;
mod credentials;
pub(crate) mod token;

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

use zeroize::Zeroizing;

pub use challenge::Challenge;
pub use credentials::Credentials;

use crate::metadata::Gun;
use crate::server::ServerError;

/// A token scope: `repository:<full GUN>:<actions>` (trap T12: `docker.io/library/alpine`, not
/// `library/alpine`) or `registry:catalog:*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Scope(String);

impl Scope {
    /// `repository:<GUN>:<actions>`, e.g. `repository:docker.io/library/alpine:push,pull`.
    pub(crate) fn repository(gun: &Gun, actions: &[&str]) -> Scope {
        Scope(format!("repository:{gun}:{}", actions.join(",")))
    }

    /// `registry:catalog:*`, what notary-server demands for routes without a GUN.
    pub(crate) fn catalog() -> Scope {
        Scope("registry:catalog:*".to_owned())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to put in the `Authorization` header of one request.
pub(crate) enum Authorization {
    /// Nothing.
    None,
    /// HTTP Basic with the credentials' user name and password.
    Basic,
    /// `Bearer <token>`.
    Bearer(Zeroizing<String>),
}

impl Authorization {
    /// Adds the header to `request`; secrets are marked sensitive by reqwest.
    pub(crate) fn apply(&self, request: reqwest::RequestBuilder, credentials: &Credentials) -> reqwest::RequestBuilder {
        match (self, credentials) {
            (Authorization::Basic, Credentials::Basic { username, password }) => {
                request.basic_auth(username, Some(password.as_str()))
            }
            (Authorization::Bearer(token), _) => request.bearer_auth(token.as_str()),
            _ => request,
        }
    }
}

/// (realm, service, scope) a token was issued for.
type TokenKey = (String, Option<String>, String);

struct CachedToken {
    value: Zeroizing<String>,
    valid_until: Instant,
}

/// Per-server authentication state: the credentials, the challenge the server gave (so later
/// requests pre-authorise without a wasted round trip) and the tokens obtained, per scope.
pub(crate) struct Authenticator {
    credentials: Credentials,
    /// Whether the notary server is on a loopback host: only then may a token realm be plain
    /// `http` on a loopback host (a remote server must not direct credentials to a local port).
    server_is_loopback: bool,
    challenge: Mutex<Option<Challenge>>,
    tokens: Mutex<HashMap<TokenKey, CachedToken>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = lock(&self.challenge).as_ref().map(|c| c.scheme.clone());
        f.debug_struct("Authenticator")
            .field("credentials", &self.credentials)
            .field("challenge", &scheme)
            .field("cached_tokens", &lock(&self.tokens).len())
            .finish()
    }
}

/// Locks a mutex, recovering the data of a poisoned one (the state is a cache: any value
/// a panicking holder left is still usable or merely stale).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Authenticator {
    pub(crate) fn new(credentials: Credentials, server_is_loopback: bool) -> Self {
        Authenticator {
            credentials,
            server_is_loopback,
            challenge: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// What to send with a first attempt for `scope`: the credentials' bearer token; else, if
    /// this server challenged before, Basic credentials or a (cached or new) token for `scope`.
    pub(crate) async fn authorization(
        &self,
        client: &reqwest::Client,
        scope: &Scope,
        resource: &str,
    ) -> Result<Authorization, ServerError> {
        if let Credentials::Bearer(token) = &self.credentials {
            return Ok(Authorization::Bearer(token.clone()));
        }
        let known = lock(&self.challenge).clone();
        match known {
            None => Ok(Authorization::None),
            Some(c) if c.is_basic() => Ok(if matches!(self.credentials, Credentials::Basic { .. }) {
                Authorization::Basic
            } else {
                Authorization::None
            }),
            Some(c) => self.bearer(client, &c, scope, resource).await,
        }
    }

    /// After a 401 to a request for `scope` that carried `sent`: remembers the server's
    /// challenge and returns what to send on the single retry, or why there is no point.
    pub(crate) async fn after_unauthorized(
        &self,
        client: &reqwest::Client,
        challenges: Vec<Challenge>,
        sent: &Authorization,
        scope: &Scope,
        resource: &str,
    ) -> Result<Authorization, ServerError> {
        let unauthorized = |reason: String| ServerError::Unauthorized { resource: resource.to_owned(), reason };
        if matches!(self.credentials, Credentials::Bearer(_)) {
            return Err(unauthorized(format!(
                "the server refused the given bearer token for scope {scope}; obtain a new token"
            )));
        }
        let chosen = challenges
            .iter()
            .find(|c| c.is_bearer() && c.realm().is_some())
            .or_else(|| challenges.iter().find(|c| c.is_basic()))
            .cloned();
        let Some(chosen) = chosen else {
            let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
            return Err(unauthorized(if schemes.is_empty() {
                format!("the server answered 401 for scope {scope} without a WWW-Authenticate challenge")
            } else {
                format!(
                    "the server asks for authentication by {} but this client speaks only Bearer (token) and Basic",
                    schemes.join(", ")
                )
            }));
        };
        *lock(&self.challenge) = Some(chosen.clone());
        if chosen.is_basic() {
            return match (&self.credentials, sent) {
                (Credentials::Basic { username, .. }, Authorization::Basic) => Err(unauthorized(format!(
                    "the server refused the password of {username:?} (HTTP Basic); check the user name and password"
                ))),
                (Credentials::Basic { .. }, _) => Ok(Authorization::Basic),
                _ => Err(unauthorized(
                    "the server asks for a user name and password (HTTP Basic); give Credentials::Basic".to_owned(),
                )),
            };
        }
        // A token sent and refused may have been revoked or expired early: fetch a fresh one.
        if let Some(key) = token_key(&chosen, scope) {
            lock(&self.tokens).remove(&key);
        }
        self.bearer(client, &chosen, scope, resource).await
    }

    /// A token for `scope` from the realm of `challenge`: cached if still usable, else fetched.
    async fn bearer(
        &self,
        client: &reqwest::Client,
        challenge: &Challenge,
        scope: &Scope,
        resource: &str,
    ) -> Result<Authorization, ServerError> {
        let Some(key) = token_key(challenge, scope) else { return Ok(Authorization::None) };
        if let Some(cached) = lock(&self.tokens).get(&key)
            && cached.valid_until > Instant::now()
        {
            return Ok(Authorization::Bearer(cached.value.clone()));
        }
        let realm = token::Realm { url: &key.0, server_is_loopback: self.server_is_loopback };
        let token = token::fetch(client, &self.credentials, &realm, key.1.as_deref(), scope.as_str(), resource).await?;
        let value = token.value.clone();
        let mut tokens = lock(&self.tokens);
        let now = Instant::now();
        tokens.retain(|_, t| t.valid_until > now);
        tokens.insert(key, CachedToken { value: token.value, valid_until: valid_until(now, token.usable_for) });
        Ok(Authorization::Bearer(value))
    }
}

/// When a token usable for `usable_for` from `now` stops being used; a lifetime too long to
/// represent is not cached at all (the token is used once).
fn valid_until(now: Instant, usable_for: std::time::Duration) -> Instant {
    now.checked_add(usable_for).unwrap_or(now)
}

fn token_key(challenge: &Challenge, scope: &Scope) -> Option<TokenKey> {
    Some((challenge.realm()?.to_owned(), challenge.service().map(str::to_owned), scope.as_str().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_name_the_full_gun() {
        let gun = Gun::new("docker.io/library/alpine").unwrap();
        assert_eq!(Scope::repository(&gun, &["pull"]).as_str(), "repository:docker.io/library/alpine:pull");
        assert_eq!(
            Scope::repository(&gun, &["push", "pull"]).to_string(),
            "repository:docker.io/library/alpine:push,pull"
        );
        let gun = Gun::new("localhost:5000/demo/app").unwrap();
        assert_eq!(Scope::repository(&gun, &["*"]).as_str(), "repository:localhost:5000/demo/app:*");
        assert_eq!(Scope::catalog().as_str(), "registry:catalog:*");
    }

    #[test]
    fn huge_token_lifetimes_do_not_overflow() {
        let now = Instant::now();
        assert_eq!(valid_until(now, std::time::Duration::MAX), now);
        assert_eq!(valid_until(now, std::time::Duration::from_secs(60)), now + std::time::Duration::from_secs(60));
        let t = token::parse_response(format!(r#"{{"token":"t","expires_in":{}}}"#, i64::MAX).as_bytes(), "r").unwrap();
        assert!(valid_until(now, t.usable_for) > now);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let a = Authenticator::new(Credentials::basic("alice", "s3cret-pass"), false);
        lock(&a.tokens).insert(
            ("https://auth/token".into(), None, "repository:x:pull".into()),
            CachedToken { value: Zeroizing::new("tok-SECRET".into()), valid_until: Instant::now() },
        );
        let shown = format!("{a:?}");
        assert!(shown.contains("alice"), "{shown}");
        assert!(!shown.contains("s3cret-pass") && !shown.contains("tok-SECRET"), "{shown}");
        for creds in [
            Credentials::basic("u", "pw-SECRET"),
            Credentials::Bearer(Zeroizing::new("pw-SECRET".into())),
            Credentials::IdentityToken { username: None, token: Zeroizing::new("pw-SECRET".into()) },
        ] {
            assert!(!format!("{creds:?}").contains("SECRET"));
        }
    }
}
