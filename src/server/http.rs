//! HTTP plumbing shared by every request: bodies read under a cap while streaming, status
//! codes mapped to [`ServerError`] (spec §5.3), errcode bodies parsed, transport errors
//! described without secrets, and the backoff between retries.

use std::error::Error as _;
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::ServerError;
use super::error::Errcode;

/// Largest error body read (Go reads 1 KiB; a little more keeps long validation messages).
pub(crate) const MAX_ERROR_BODY: u64 = 64 << 10;

/// Whether `host` is a loopback host (`localhost`, `127.0.0.0/8`, `::1`): the only hosts plain
/// `http` is accepted for.
pub(crate) fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Reads the body of `response`, refusing more than `limit` bytes: a `Content-Length` above
/// the limit is refused before reading, and reading stops at the first chunk that crosses it.
pub(crate) async fn read_capped(
    response: reqwest::Response,
    limit: u64,
    resource: &str,
) -> Result<Vec<u8>, ServerError> {
    let mut body = read_body(response, limit, resource, false).await?;
    Ok(std::mem::take(&mut *body))
}

/// [`read_capped`] for a body holding secrets (a token response): the buffer, and every
/// smaller one it outgrew, is zeroized when dropped.
pub(crate) async fn read_capped_secret(
    response: reqwest::Response,
    limit: u64,
    resource: &str,
) -> Result<Zeroizing<Vec<u8>>, ServerError> {
    read_body(response, limit, resource, true).await
}

async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
    resource: &str,
    secret: bool,
) -> Result<Zeroizing<Vec<u8>>, ServerError> {
    let too_large = || ServerError::TooLarge { resource: resource.to_owned(), limit };
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let initial = announced.unwrap_or(4096).min(limit).min(1 << 20);
    let mut body = Zeroizing::new(Vec::with_capacity(usize::try_from(initial).unwrap_or(0)));
    while let Some(chunk) = response.chunk().await.map_err(|e| network_error(resource, &e))? {
        let total = body.len().saturating_add(chunk.len());
        if u64::try_from(total).unwrap_or(u64::MAX) > limit {
            return Err(too_large());
        }
        if secret && total > body.capacity() {
            // Grow by hand: `Vec`'s own reallocation would free the old buffer unzeroized.
            let mut bigger = Zeroizing::new(Vec::with_capacity(total.max(body.capacity().saturating_mul(2))));
            bigger.extend_from_slice(&body);
            body = bigger;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of an error response; a read error or an oversized
/// body yields what could be read (nothing), since the status alone already says enough.
async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = usize::try_from(MAX_ERROR_BODY).unwrap_or(usize::MAX).saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if body.len() >= usize::try_from(MAX_ERROR_BODY).unwrap_or(usize::MAX) {
            break;
        }
    }
    body
}

#[derive(Deserialize)]
struct ErrcodeBody {
    #[serde(default)]
    errors: Vec<ErrcodeEntry>,
}

#[derive(Deserialize)]
struct ErrcodeEntry {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

/// Longest text kept from a server-supplied field (bytes; see [`clip`]).
const MAX_FIELD: usize = 512;

fn clip(s: &str) -> String {
    crate::metadata::clip_to(s, MAX_FIELD)
}

/// Parses an errcode body; `None` if it is not one.
pub(crate) fn parse_errcode(body: &[u8]) -> Option<Errcode> {
    let parsed: ErrcodeBody = serde_json::from_slice(body).ok()?;
    let first = parsed.errors.into_iter().next()?;
    let detail = first.detail.as_ref().and_then(serde_json::Value::as_object);
    let name = detail.and_then(|d| d.get("Name")).and_then(serde_json::Value::as_str).map(clip);
    let error = detail.and_then(|d| d.get("Error"));
    let detail_text = match error {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(clip(s)),
        Some(serde_json::Value::Object(o)) => match o.get("Msg").and_then(serde_json::Value::as_str) {
            Some(msg) if !msg.is_empty() => Some(clip(msg)),
            _ if o.is_empty() => None,
            _ => Some(clip(&serde_json::Value::Object(o.clone()).to_string())),
        },
        _ => None,
    };
    Some(Errcode {
        code: first.code.filter(|c| !c.is_empty()).map(|c| clip(&c)),
        message: first.message.filter(|m| !m.is_empty()).map(|m| clip(&m)),
        name,
        detail: detail_text,
    })
}

/// The error for a non-success, non-401 response (Go's `translateStatusToError`): 404 is
/// [`ServerError::NotFound`], 400 [`ServerError::Rejected`], anything else
/// [`ServerError::Unavailable`].
pub(crate) async fn status_error(response: reqwest::Response, resource: &str) -> ServerError {
    let status = response.status().as_u16();
    if status == 404 {
        return ServerError::NotFound { resource: resource.to_owned() };
    }
    let errcode = parse_errcode(&read_error_body(response).await).unwrap_or_default();
    if status == 400 {
        ServerError::Rejected { resource: resource.to_owned(), status, errcode: Box::new(errcode) }
    } else {
        ServerError::Unavailable { resource: resource.to_owned(), status, code: errcode.code }
    }
}

/// Whether a transport error is a TLS certificate or handshake problem (not worth retrying).
pub(crate) fn is_tls_error(e: &reqwest::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if err.is::<rustls::Error>() {
            return true;
        }
        current = match err.downcast_ref::<std::io::Error>() {
            // io::Error's `source` skips the error it wraps (which may be another io::Error).
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => err.source(),
        };
    }
    false
}

/// A [`ServerError::Network`] describing a transport error: its whole cause chain (without
/// the URL, which `resource` names already) and what to do about TLS and timeouts.
pub(crate) fn network_error(resource: &str, e: &reqwest::Error) -> ServerError {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = e.source();
    if e.is_timeout() {
        parts.push("timed out".to_owned());
    } else if e.is_connect() {
        parts.push("connection failed".to_owned());
    } else {
        parts.push("request failed".to_owned());
    }
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    let mut reason = parts.join(": ");
    if is_tls_error(e) {
        reason.push_str(
            " (TLS certificate verification or handshake failed: if the server uses a private CA, add it with \
             NotaryServerBuilder::add_ca_pem/ca_file or Docker's tls/<host>/*.crt; check the client certificate \
             if the server requires one)",
        );
    } else if e.is_timeout() {
        reason.push_str(" (the server did not answer in time; check the URL, proxy settings and timeouts)");
    } else if e.is_connect() {
        reason.push_str(" (check the server URL, that the server is running, and HTTPS_PROXY/NO_PROXY)");
    }
    ServerError::Network { resource: resource.to_owned(), reason }
}

/// Whether a failed attempt of an idempotent request is worth repeating: transport errors
/// other than TLS failures, and 502/503/504.
pub(crate) fn is_transient(e: &ServerError, tls_failure: bool) -> bool {
    match e {
        ServerError::Network { .. } => !tls_failure,
        ServerError::Unavailable { status, .. } => matches!(status, 502..=504),
        _ => false,
    }
}

/// The pause before retry `attempt` (0-based): 250 ms doubling per attempt, at most 8 s, plus
/// up to a quarter more of random jitter.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250).saturating_mul(1u32 << attempt.min(5)).min(Duration::from_secs(8));
    let mut random = [0u8; 2];
    let fraction = match ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random) {
        Ok(()) => f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX),
        Err(_) => 0.5,
    };
    base + base.mul_f64(fraction / 4.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcode_bodies_captured_from_the_server() {
        let e = parse_errcode(br#"{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrBadTargets","Error":{"Msg":"valid signatures did not meet threshold for targets"}}}]}"#).unwrap();
        assert_eq!(
            e,
            Errcode {
                code: Some("INVALID_UPDATE".into()),
                message: Some("Update sent by the client is invalid.".into()),
                name: Some("ErrBadTargets".into()),
                detail: Some("valid signatures did not meet threshold for targets".into()),
            }
        );
        let e = parse_errcode(
            br#"{"errors":[{"code":"VERSION","message":"A newer version of metadata is already available.","detail":{}}]}"#,
        )
        .unwrap();
        assert_eq!(e.code.as_deref(), Some("VERSION"));
        assert_eq!(e.name, None);
        assert_eq!(e.detail, None);
        let e = parse_errcode(br#"{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("METADATA_NOT_FOUND"));
        // 401 bodies have an array detail.
        let e = parse_errcode(br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"localhost:5000/demo/app","Action":"pull"}]}]}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("UNAUTHORIZED"));
        assert_eq!(e.name, None);
    }

    #[test]
    fn errcode_detail_variants() {
        let e = parse_errcode(br#"{"errors":[{"code":"INVALID_UPDATE","detail":{"Name":"ErrBadHierarchy","Error":{"Missing":"targets","Msg":""}}}]}"#).unwrap();
        assert_eq!(e.name.as_deref(), Some("ErrBadHierarchy"));
        assert_eq!(e.detail.as_deref(), Some(r#"{"Missing":"targets","Msg":""}"#));
        let e = parse_errcode(br#"{"errors":[{"code":"X","detail":{"Name":"N","Error":"plain text"}}]}"#).unwrap();
        assert_eq!(e.detail.as_deref(), Some("plain text"));
        let long = format!(r#"{{"errors":[{{"code":"X","message":"{}"}}]}}"#, "é".repeat(600));
        let e = parse_errcode(long.as_bytes()).unwrap();
        assert!(e.message.unwrap().chars().count() <= MAX_FIELD + "…(9999 bytes in all)".len());
        assert_eq!(parse_errcode(b"not json"), None);
        assert_eq!(parse_errcode(br#"{"errors":[]}"#), None);
        assert_eq!(parse_errcode(b"{}"), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        for attempt in 0..40 {
            let d = backoff(attempt);
            let base = Duration::from_millis(250).saturating_mul(1 << attempt.min(5)).min(Duration::from_secs(8));
            assert!(d >= base && d <= base + base / 4 + Duration::from_millis(1), "{attempt}: {d:?}");
        }
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback(&url::Host::Domain("LOCALHOST")));
        assert!(is_loopback(&url::Host::Ipv4("127.0.0.2".parse().unwrap())));
        assert!(is_loopback(&url::Host::Ipv6("::1".parse().unwrap())));
        assert!(!is_loopback(&url::Host::Domain("localhost.example.com")));
        assert!(!is_loopback(&url::Host::Ipv4("10.0.0.1".parse().unwrap())));
    }
}
