//! Docker's token flow (docker/distribution `registry/client/auth`): ask the realm of a
//! `Bearer` challenge for a token for one scope.
//!
//! * Password (or anonymous): `GET <realm>?service=…&scope=…&account=<user>` with HTTP Basic
//!   credentials when there are some.
//! * Identity (refresh) token: `POST <realm>` with the form
//!   `grant_type=refresh_token&refresh_token=…&service=…&scope=…&client_id=notary-client`.
//!
//! The answer is JSON with `token` or `access_token`, `expires_in` (at least 60 s, Docker's
//! minimum) and optionally `issued_at`; its body is read up to 1 MiB.

use std::time::Duration;

use serde::Deserialize;
use url::Url;
use zeroize::Zeroizing;

use super::Credentials;
use crate::server::ServerError;
use crate::server::http::{self, is_loopback};

/// Largest token response read.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;
/// Docker's minimum (and default) token lifetime.
const MIN_LIFETIME: Duration = Duration::from_secs(60);
/// The OAuth2 `client_id` sent with refresh-token grants.
const CLIENT_ID: &str = "notary-client";

/// A token from the token service.
pub(crate) struct Token {
    /// The bearer token.
    pub(crate) value: Zeroizing<String>,
    /// How long it may be used from now on (already shortened by a safety margin).
    pub(crate) usable_for: Duration,
}

/// What the token service answers (both the GET and the OAuth2 POST shapes).
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// Checks that a realm is a URL we may send credentials to: `https`, or `http` to a loopback
/// host only (a plain-HTTP realm elsewhere would carry passwords and tokens in clear).
pub(crate) fn realm_url(realm: &str, resource: &str) -> Result<Url, ServerError> {
    let url = Url::parse(realm).map_err(|e| ServerError::Unauthorized {
        resource: resource.to_owned(),
        reason: format!("the server's token realm {realm:?} is not a valid URL ({e})"),
    })?;
    let ok = match url.scheme() {
        "https" => true,
        "http" => url.host().is_some_and(|h| is_loopback(&h)),
        _ => false,
    };
    if !ok {
        return Err(ServerError::Unauthorized {
            resource: resource.to_owned(),
            reason: format!(
                "the server's token realm {realm} is not https (plain http is accepted for loopback hosts only); \
                 refusing to send credentials or tokens in clear"
            ),
        });
    }
    Ok(url)
}

/// Asks `realm` for a token for `scope` of `service`.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    credentials: &Credentials,
    realm: &str,
    service: Option<&str>,
    scope: &str,
    resource: &str,
) -> Result<Token, ServerError> {
    let mut url = realm_url(realm, resource)?;
    let where_ = format!("{resource}: token service {}", url.as_str());
    let request = match credentials {
        Credentials::IdentityToken { token, .. } => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token");
            form.append_pair("refresh_token", token);
            if let Some(service) = service {
                form.append_pair("service", service);
            }
            form.append_pair("scope", scope);
            form.append_pair("client_id", CLIENT_ID);
            let body = Zeroizing::new(form.finish());
            client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.as_bytes().to_vec())
        }
        _ => {
            {
                let mut query = url.query_pairs_mut();
                if let Some(service) = service {
                    query.append_pair("service", service);
                }
                query.append_pair("scope", scope);
                if let Credentials::Basic { username, password } = credentials
                    && !username.is_empty()
                    && !password.is_empty()
                {
                    query.append_pair("account", username);
                }
            }
            let request = client.get(url);
            match credentials {
                Credentials::Basic { username, password } if !username.is_empty() && !password.is_empty() => {
                    request.basic_auth(username, Some(password.as_str()))
                }
                _ => request,
            }
        }
    };
    let response = request.send().await.map_err(|e| http::network_error(&where_, &e))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        let who = match credentials.username() {
            Some(user) => format!("the credentials of {user:?}"),
            None => "anonymous access".to_owned(),
        };
        let hint = match credentials {
            Credentials::Anonymous => "give credentials (NotaryServerBuilder::credentials, or `docker login`)",
            Credentials::IdentityToken { .. } => "the identity token may have expired; log in again",
            _ => "check the user name and password (or `docker login` again)",
        };
        return Err(ServerError::Unauthorized {
            resource: resource.to_owned(),
            reason: format!(
                "the token service {realm} refused {who} for scope {scope} (HTTP {}); {hint}",
                status.as_u16()
            ),
        });
    }
    if !status.is_success() {
        return Err(ServerError::Unavailable { resource: where_, status: status.as_u16(), code: None });
    }
    let body = http::read_capped(response, MAX_TOKEN_RESPONSE, &where_).await?;
    parse_response(&body, &where_)
}

/// Parses a token response body.
pub(crate) fn parse_response(body: &[u8], resource: &str) -> Result<Token, ServerError> {
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| ServerError::Malformed {
        resource: resource.to_owned(),
        reason: format!("not a token response ({e})"),
    })?;
    // `access_token` and `token` are equivalent; Docker prefers `access_token`.
    let value = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .or(parsed.token.filter(|t| !t.is_empty()))
        .map(Zeroizing::new)
        .ok_or_else(|| ServerError::Malformed {
            resource: resource.to_owned(),
            reason: "the token response has neither `token` nor `access_token`".to_owned(),
        })?;
    let lifetime = parsed
        .expires_in
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
        .unwrap_or(MIN_LIFETIME)
        .max(MIN_LIFETIME);
    // Renew a little before the service's clock says the token expires.
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    Ok(Token { value, usable_for: lifetime - margin })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses() {
        let t = parse_response(br#"{"token":"abc","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"}"#, "r").unwrap();
        assert_eq!(t.value.as_str(), "abc");
        assert_eq!(t.usable_for, Duration::from_secs(270));
        let t = parse_response(br#"{"access_token":"xyz","token":"abc"}"#, "r").unwrap();
        assert_eq!(t.value.as_str(), "xyz");
        assert_eq!(t.usable_for, Duration::from_secs(54), "default and minimum lifetime: 60 s");
        let t = parse_response(br#"{"token":"abc","expires_in":5}"#, "r").unwrap();
        assert_eq!(t.usable_for, Duration::from_secs(54));
        let t = parse_response(br#"{"token":"abc","expires_in":-5}"#, "r").unwrap();
        assert_eq!(t.usable_for, Duration::from_secs(54));
        let t = parse_response(br#"{"token":"abc","expires_in":86400}"#, "r").unwrap();
        assert_eq!(t.usable_for, Duration::from_secs(86370));
        assert!(matches!(parse_response(b"{}", "r"), Err(ServerError::Malformed { .. })));
        assert!(matches!(parse_response(br#"{"token":""}"#, "r"), Err(ServerError::Malformed { .. })));
        assert!(matches!(parse_response(b"<html>", "r"), Err(ServerError::Malformed { .. })));
    }

    #[test]
    fn realms_must_be_https_except_on_loopback() {
        assert!(realm_url("https://auth.docker.io/token", "r").is_ok());
        assert!(realm_url("http://127.0.0.1:5011/token", "r").is_ok());
        assert!(realm_url("http://localhost/token", "r").is_ok());
        assert!(realm_url("http://[::1]:80/token", "r").is_ok());
        let e = realm_url("http://auth.example/token", "r").unwrap_err();
        assert!(e.to_string().contains("not https"), "{e}");
        assert!(realm_url("ftp://auth.example/token", "r").is_err());
        assert!(realm_url("/token", "r").is_err());
    }
}
