//! Turning `oci-client` errors into [`RegistryError`]s: status and registry error codes are
//! parsed out of the response body, transport errors are kept as the cause with their URL
//! removed, and TLS or connection failures get a hint.

use oci_client::errors::{OciDistributionError, OciEnvelope};

use super::error::{Context, RegistryError};
use crate::metadata::clip_to;

/// Registry messages are cut to this many characters.
const MESSAGE_LIMIT: usize = 300;

/// The [`RegistryError`] for `err`, which happened during `context`.
pub(crate) fn map(err: OciDistributionError, context: Context) -> RegistryError {
    let context = Box::new(context);
    match err {
        OciDistributionError::RequestError(e) => match e.status() {
            Some(status) => by_status(context, Some(status.as_u16()), None, String::new()),
            None => network(context, e),
        },
        OciDistributionError::ServerError { code, message, .. } => {
            let (error_code, message) = envelope_text(&message);
            by_status(context, Some(code), error_code, message)
        }
        OciDistributionError::RegistryError { envelope, .. } => {
            let (code, message) = envelope_parts(&envelope);
            by_status(context, None, code, message)
        }
        OciDistributionError::UnauthorizedError { .. } => by_status(context, Some(401), None, String::new()),
        OciDistributionError::AuthenticationFailure(reason) => RegistryError::Unauthorized {
            context,
            status: None,
            code: None,
            message: format!("the token service refused: {}", clip_to(reason.trim(), MESSAGE_LIMIT)),
        },
        OciDistributionError::IoError(e) => RegistryError::Network {
            reason: format!("I/O error talking to {}: {e}", context.host),
            context,
            source: Some(Box::new(e)),
        },
        OciDistributionError::SpecViolationError(reason) => {
            RegistryError::Protocol { context, reason: clip_to(&reason, MESSAGE_LIMIT), source: None }
        }
        OciDistributionError::RegistryNoLocationError => {
            RegistryError::Protocol { context, reason: "no Location header in the answer".to_owned(), source: None }
        }
        other => RegistryError::Protocol { context, reason: clip_to(&other.to_string(), MESSAGE_LIMIT), source: None },
    }
}

/// Classifies an error answer by its registry error code, else its status.
pub(crate) fn by_status(
    context: Box<Context>,
    status: Option<u16>,
    code: Option<String>,
    message: String,
) -> RegistryError {
    let code_is = |names: &[&str]| code.as_deref().is_some_and(|c| names.contains(&c));
    if code_is(&["UNAUTHORIZED", "DENIED"]) || matches!(status, Some(401 | 403)) {
        RegistryError::Unauthorized { context, status, code, message }
    } else if code_is(&["NAME_UNKNOWN", "MANIFEST_UNKNOWN"]) || (status == Some(404) && code.is_none()) {
        RegistryError::NotFound { context, status, code, message }
    } else {
        RegistryError::Rejected { context, status, code, message }
    }
}

/// The first error code and every message of an error body (an OCI error envelope, or any
/// text, shortened).
fn envelope_text(body: &str) -> (Option<String>, String) {
    match serde_json::from_str::<OciEnvelope>(body) {
        Ok(envelope) if !envelope.errors.is_empty() => envelope_parts(&envelope),
        _ => (None, clip_to(body.trim(), MESSAGE_LIMIT)),
    }
}

fn envelope_parts(envelope: &OciEnvelope) -> (Option<String>, String) {
    let code = envelope.errors.first().and_then(|e| match serde_json::to_value(&e.code) {
        Ok(serde_json::Value::String(code)) => Some(code),
        _ => None,
    });
    let messages: Vec<&str> = envelope.errors.iter().map(|e| e.message.trim()).filter(|m| !m.is_empty()).collect();
    (code, clip_to(&messages.join("; "), MESSAGE_LIMIT))
}

/// A transport failure, with a hint for TLS, refused connections and timeouts.
fn network(context: Box<Context>, e: reqwest::Error) -> RegistryError {
    let e = e.without_url();
    let host = context.host.clone();
    let chain = error_chain(&e);
    let reason = if let Some(tls) = tls_failure(&e) {
        format!(
            "TLS with {host} failed ({tls}). If the registry's certificate is issued by a private CA, add the CA to \
             $DOCKER_CONFIG/tls/{host}/ca.crt or /etc/docker/certs.d/{host}/ca.crt (read with \
             RegistryBuilder::docker_certs) or pass it with add_ca_pem; if the registry serves plain HTTP, list it \
             with insecure_hosts"
        )
    } else if e.is_timeout() {
        format!("{host} did not answer in time ({chain}); check the network and proxy settings, or raise the timeouts")
    } else if has_io_kind(&e, std::io::ErrorKind::ConnectionRefused) {
        format!("nothing accepts connections at {host} ({chain}); check the registry address and that it is running")
    } else {
        format!("cannot reach {host} ({chain}); check the address, DNS and proxy settings (HTTPS_PROXY, NO_PROXY)")
    };
    RegistryError::Network { context, reason, source: Some(Box::new(e)) }
}

/// Every message of an error and its causes, joined with `: `, shortened.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    clip_to(&parts.join(": "), MESSAGE_LIMIT)
}

/// Each error of the chain, including errors wrapped inside `io::Error`s (whose `source()`
/// skips the wrapped error).
fn causes<'a>(e: &'a (dyn std::error::Error + 'static)) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(c) = next {
        out.push(c);
        next = match c.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner),
            None => c.source(),
        };
    }
    out
}

/// The rustls error in the chain, if the failure is a TLS one.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    causes(e).into_iter().find_map(|c| c.downcast_ref::<rustls::Error>().map(ToString::to_string))
}

fn has_io_kind(e: &(dyn std::error::Error + 'static), kind: std::io::ErrorKind) -> bool {
    causes(e).into_iter().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::error::Operation;

    fn ctx(operation: Operation) -> Context {
        Context::new(operation, "registry.example.com", "team/app", Some("sha256:ab".to_owned()))
    }

    fn server(code: u16, body: &str) -> OciDistributionError {
        OciDistributionError::ServerError {
            code,
            url: "https://registry.example.com/v2/team/app/blobs/uploads/x?_state=SECRET-STATE".to_owned(),
            message: body.to_owned(),
        }
    }

    #[test]
    fn unauthorized_401_says_to_log_in_and_shows_no_url() {
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
        let e = map(server(401, body), ctx(Operation::UploadBlob));
        assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e:?}");
        assert_eq!((e.status(), e.code()), (Some(401), Some("UNAUTHORIZED")));
        let text = e.to_string();
        assert!(text.contains("docker login registry.example.com") && text.contains("team/app"), "{text}");
        assert!(!text.contains("SECRET") && !text.contains("https://"), "{text}");
    }

    #[test]
    fn denied_403_says_to_check_push_access() {
        let body = r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
        let e = map(server(403, body), ctx(Operation::PushManifest));
        assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e:?}");
        assert_eq!(e.code(), Some("DENIED"));
        assert!(e.to_string().contains("no push access to team/app"), "{e}");
    }

    #[test]
    fn upload_and_manifest_codes_are_rejections_with_their_code() {
        for (status, code, hint) in [
            (400, "BLOB_UPLOAD_INVALID", "upload session"),
            (400, "DIGEST_INVALID", "do not match"),
            (400, "MANIFEST_INVALID", "media type"),
            (400, "MANIFEST_BLOB_UNKNOWN", "not in the repository"),
        ] {
            let body = format!(r#"{{"errors":[{{"code":"{code}","message":"m","detail":{{}}}}]}}"#);
            let e = map(server(status, &body), ctx(Operation::PushManifest));
            assert!(matches!(e, RegistryError::Rejected { .. }), "{e:?}");
            assert_eq!(e.code(), Some(code));
            assert!(e.to_string().contains(hint), "{e}");
        }
    }

    #[test]
    fn unknown_names_and_manifests_are_not_found() {
        let body = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        let envelope: OciEnvelope = serde_json::from_str(body).unwrap();
        let e = map(
            OciDistributionError::RegistryError { envelope, url: "https://x/".into() },
            ctx(Operation::GetManifest),
        );
        assert!(matches!(e, RegistryError::NotFound { .. }), "{e:?}");
        assert_eq!(e.code(), Some("MANIFEST_UNKNOWN"));
        let e = map(server(404, r#"{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}"#), ctx(Operation::CheckBlob));
        assert!(matches!(e, RegistryError::NotFound { .. }), "{e:?}");
    }

    #[test]
    fn server_failures_keep_the_status_and_a_short_body() {
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        let e = map(server(502, &html), ctx(Operation::UploadBlob));
        assert!(matches!(e, RegistryError::Rejected { status: Some(502), code: None, .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.len() < 1000 && text.contains("retry later"), "{text}");
    }

    #[test]
    fn token_service_refusals_are_unauthorized() {
        let e =
            map(OciDistributionError::AuthenticationFailure("bad credentials".into()), ctx(Operation::Authenticate));
        assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e:?}");
        assert!(e.to_string().contains("token service refused: bad credentials"), "{e}");
    }

    #[test]
    fn spec_violations_are_protocol_errors() {
        let e = map(OciDistributionError::SpecViolationError("got 202".into()), ctx(Operation::MountBlob));
        assert!(matches!(e, RegistryError::Protocol { .. }), "{e:?}");
    }

    #[test]
    fn tls_errors_are_found_inside_io_errors() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert!(tls_failure(&io).is_some());
        // tokio-rustls' error inside hyper-util's connect error, as reqwest reports it.
        let nested = std::io::Error::other(io);
        assert!(tls_failure(&nested).is_some());
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(tls_failure(&plain).is_none());
        assert!(has_io_kind(&plain, std::io::ErrorKind::ConnectionRefused));
    }
}
