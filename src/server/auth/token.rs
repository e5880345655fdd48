//! Docker's token flow (docker/distribution `registry/client/auth`): ask the realm of a
//! `Bearer` challenge for a token for one scope.
//!
//! * Password (or anonymous): `GET <realm>?service=…&scope=…&account=<user>` with HTTP Basic
//!   credentials when there are some.
//! * Identity (refresh) token: `POST <realm>` with the form
//!   `grant_type=refresh_token&refresh_token=…&service=…&scope=…&client_id=notary-client`.
//!
//! The answer is JSON with `token` or `access_token`, `expires_in` (at least 60 s, Docker's
//! minimum; at most 24 h are believed) and optionally `issued_at`; its body is read up to
//! 1 MiB.

use std::time::Duration;

use serde::Deserialize;
use url::Url;
use zeroize::Zeroizing;

use super::Credentials;
use crate::metadata::clip;
use crate::server::ServerError;
use crate::server::http::{self, is_loopback};

/// Largest token response read.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;
/// Docker's minimum (and default) token lifetime.
const MIN_LIFETIME: Duration = Duration::from_secs(60);
/// The longest token lifetime believed (a huge `expires_in` must not overflow a deadline).
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
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
/// Both token fields are zeroized on drop, the one not chosen included.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default, deserialize_with = "secret")]
    token: Option<Zeroizing<String>>,
    #[serde(default, deserialize_with = "secret")]
    access_token: Option<Zeroizing<String>>,
    #[serde(default)]
    expires_in: Option<i64>,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Zeroizing<String>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Zeroizing::new))
}

/// A token realm as the server gave it, and where the server itself is.
pub(crate) struct Realm<'a> {
    /// The realm URL from the challenge.
    pub(crate) url: &'a str,
    /// Whether the notary server is on a loopback host.
    pub(crate) server_is_loopback: bool,
}

/// Checks that a realm is a URL we may send credentials to: `https`, or `http` to a loopback
/// host when the notary server is on a loopback host too (a plain-HTTP realm elsewhere would
/// carry passwords and tokens in clear, and a remote server must not direct them to a local
/// port).
pub(crate) fn realm_url(realm: &Realm<'_>, resource: &str) -> Result<Url, ServerError> {
    let shown = clip(realm.url);
    let refuse = |reason: String| ServerError::Unauthorized { resource: resource.to_owned(), reason };
    let url = Url::parse(realm.url)
        .map_err(|e| refuse(format!("the server's token realm {shown:?} is not a valid URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if url.host().is_some_and(|h| is_loopback(&h)) => {
            if realm.server_is_loopback {
                Ok(url)
            } else {
                Err(refuse(format!(
                    "the server's token realm {shown} is plain http on this machine, but the notary server is not: \
                     a plain-http realm is accepted only when the server is on a loopback host too; refusing to \
                     send credentials or tokens there"
                )))
            }
        }
        _ => Err(refuse(format!(
            "the server's token realm {shown} is not https (plain http is accepted for loopback hosts only); \
             refusing to send credentials or tokens in clear"
        ))),
    }
}

/// Asks `realm` for a token for `scope` of `service`.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    credentials: &Credentials,
    realm: &Realm<'_>,
    service: Option<&str>,
    scope: &str,
    resource: &str,
) -> Result<Token, ServerError> {
    let mut url = realm_url(realm, resource)?;
    let shown_realm = clip(url.as_str());
    let where_ = format!("{resource}: token service {shown_realm}");
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
            let mut body = Zeroizing::new(form.finish());
            // Handed to reqwest without a copy; reqwest frees its request body without
            // zeroizing it (that would take `bytes::Bytes::from_owner` with a zeroizing owner).
            client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(std::mem::take(&mut *body))
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
                "the token service {shown_realm} refused {who} for scope {scope} (HTTP {}); {hint}",
                status.as_u16()
            ),
        });
    }
    if !status.is_success() {
        return Err(ServerError::Unavailable { resource: where_, status: status.as_u16(), code: None });
    }
    let body = http::read_capped_secret(response, MAX_TOKEN_RESPONSE, &where_).await?;
    parse_response(&body, &where_)
}

/// Parses a token response body.
pub(crate) fn parse_response(body: &[u8], resource: &str) -> Result<Token, ServerError> {
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| ServerError::Malformed {
        resource: resource.to_owned(),
        reason: format!("not a token response ({e})"),
    })?;
    // `access_token` and `token` are equivalent; Docker prefers `access_token`.
    let chosen = parsed.access_token.filter(|t| !t.is_empty()).or(parsed.token.filter(|t| !t.is_empty()));
    let value = chosen.ok_or_else(|| ServerError::Malformed {
        resource: resource.to_owned(),
        reason: "the token response has neither `token` nor `access_token`".to_owned(),
    })?;
    let lifetime = parsed
        .expires_in
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
        .unwrap_or(MIN_LIFETIME)
        .clamp(MIN_LIFETIME, MAX_LIFETIME);
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
        for huge in [i64::MAX, i64::MAX - 1, 1 << 40] {
            let t = parse_response(format!(r#"{{"token":"abc","expires_in":{huge}}}"#).as_bytes(), "r").unwrap();
            assert_eq!(t.usable_for, MAX_LIFETIME - Duration::from_secs(30), "{huge}");
            let _ = std::time::Instant::now() + t.usable_for;
        }
        assert!(matches!(parse_response(b"{}", "r"), Err(ServerError::Malformed { .. })));
        assert!(matches!(parse_response(br#"{"token":""}"#, "r"), Err(ServerError::Malformed { .. })));
        assert!(matches!(parse_response(b"<html>", "r"), Err(ServerError::Malformed { .. })));
    }

    fn check(url: &str, server_is_loopback: bool) -> Result<Url, ServerError> {
        realm_url(&Realm { url, server_is_loopback }, "r")
    }

    #[test]
    fn realms_must_be_https_except_on_loopback() {
        for server_is_loopback in [false, true] {
            assert!(check("https://auth.docker.io/token", server_is_loopback).is_ok());
            assert!(check("https://127.0.0.1:5011/token", server_is_loopback).is_ok());
            let e = check("http://auth.example/token", server_is_loopback).unwrap_err();
            assert!(e.to_string().contains("not https"), "{e}");
            assert!(check("ftp://auth.example/token", server_is_loopback).is_err());
            assert!(check("/token", server_is_loopback).is_err());
        }
        assert!(check("http://127.0.0.1:5011/token", true).is_ok());
        assert!(check("http://localhost/token", true).is_ok());
        assert!(check("http://[::1]:80/token", true).is_ok());
    }

    #[test]
    fn remote_servers_cannot_send_credentials_to_a_local_plain_http_realm() {
        for realm in ["http://127.0.0.1:5011/token", "http://localhost/token", "http://[::1]:80/token"] {
            let e = check(realm, false).unwrap_err();
            assert!(matches!(e, ServerError::Unauthorized { .. }), "{e}");
            assert!(e.to_string().contains("the notary server is not"), "{e}");
        }
    }

    #[test]
    fn realms_are_clipped_in_errors() {
        let long = format!("http://auth.example/{}", "x".repeat(100_000));
        let e = check(&long, false).unwrap_err().to_string();
        assert!(e.len() < 1000 && e.contains("bytes in all"), "{}", e.len());
        let e = check(&format!("not a url {}", "y".repeat(100_000)), true).unwrap_err().to_string();
        assert!(e.len() < 1000, "{}", e.len());
    }

    #[test]
    fn both_token_fields_are_secrets() {
        let parsed: TokenResponse = serde_json::from_slice(br#"{"token":"a","access_token":"b"}"#).unwrap();
        assert_eq!(parsed.token.as_deref().map(String::as_str), Some("a"));
        assert_eq!(parsed.access_token.as_deref().map(String::as_str), Some("b"));
        let parsed: TokenResponse = serde_json::from_slice(br#"{"token":null}"#).unwrap();
        assert!(parsed.token.is_none() && parsed.access_token.is_none());
    }
}
