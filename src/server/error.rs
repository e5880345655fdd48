//! Server errors (spec §5.3), typed so callers can tell "not there" from "refused" from
//! "unreachable", keeping the server's errcode, `detail.Name` and message.
//!
//! Every message names what was asked for and where (`resource`: GUN, file and URL), says what
//! failed and, where there is one, what to do. No message ever contains a secret: URLs carry no
//! credentials (the builder refuses them) and tokens, passwords and keys are never formatted.

use crate::metadata::Gun;

/// A request to the notary server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// 404: the file or key does not exist (`METADATA_NOT_FOUND`).
    #[error("{resource}: not found on the notary server")]
    NotFound {
        /// What was asked for (e.g. `docker.io/library/alpine: timestamp.json (https://…)`).
        resource: String,
    },
    /// The response is larger than the limit for this file (spec §5.4).
    #[error("{resource}: the server sent more than the {limit}-byte limit")]
    TooLarge {
        /// What was asked for.
        resource: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The server could not be reached or did not answer (connection, TLS, timeout).
    #[error("{resource}: cannot reach the notary server: {reason}")]
    Network {
        /// What was asked for.
        resource: String,
        /// Why.
        reason: String,
    },
    /// 5xx or an unexpected status: the server is unavailable.
    #[error("{resource}: notary server unavailable (HTTP {status}{})", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Unavailable {
        /// What was asked for.
        resource: String,
        /// HTTP status.
        status: u16,
        /// The errcode (`UNKNOWN`, `NO_STORAGE`, ...), if the body had one.
        code: Option<String>,
    },
    /// 400: the server refused the request as invalid (`INVALID_UPDATE`, `VERSION`, ...), with
    /// the errcode body's details when it had them.
    #[error("{resource}: the notary server rejected the request (HTTP {status}{}){}", errcode.code.as_deref().map(|c| format!(", {c}")).unwrap_or_default(), rejection_details(errcode))]
    Rejected {
        /// What was asked for.
        resource: String,
        /// HTTP status (400).
        status: u16,
        /// What the error body said (boxed: keeps `ServerError` small).
        errcode: Box<Errcode>,
    },
    /// Authentication failed: the server still answered 401 after one authenticated retry,
    /// the token service refused the credentials, or the server asked for a scheme or
    /// credentials this client does not have.
    #[error("{resource}: not authorized: {reason}")]
    Unauthorized {
        /// What was asked for.
        resource: String,
        /// Why, naming the scope and what to check.
        reason: String,
    },
    /// The client could not be configured: invalid server URL, plain `http` to a non-loopback
    /// host, unreadable or invalid CA certificates or client identity.
    #[error("notary server client configuration: {reason}")]
    Config {
        /// What is wrong and what to do.
        reason: String,
    },
    /// The remote is read-only (a [`super::RemoteStore`] that implements reading alone).
    #[error("{gun}: cannot {operation}: this remote is read-only")]
    ReadOnly {
        /// The repository.
        gun: String,
        /// What was attempted.
        operation: &'static str,
    },
    /// The server answered 200 with a body that is not what the API defines (e.g. a key
    /// response that is not `{"keytype":…,"keyval":{"public":…}}`).
    #[error("{resource}: malformed response from the notary server: {reason}")]
    Malformed {
        /// What was asked for.
        resource: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The first error of a docker/distribution errcode body (spec §5.3):
/// `{"errors":[{"code":"INVALID_UPDATE","message":"…","detail":{"Name":"ErrBadRoot","Error":{"Msg":"…"}}}]}`.
/// Every field is clipped to a few hundred characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Errcode {
    /// `code`: `INVALID_UPDATE`, `VERSION`, `MALFORMED_UPLOAD`, ...
    pub code: Option<String>,
    /// `message`, e.g. `Update sent by the client is invalid.`
    pub message: Option<String>,
    /// `detail.Name`: notary's validation error type (`ErrBadRoot`, `ErrBadHierarchy`, ...).
    pub name: Option<String>,
    /// `detail.Error.Msg`, or `detail.Error` itself when it is a string or has no `Msg`.
    pub detail: Option<String>,
}

/// The `": ErrBadRoot: no timestamp keys"` suffix of a rejection: the validation error's name
/// and its most specific text.
fn rejection_details(errcode: &Errcode) -> String {
    let text = errcode.detail.as_deref().or(errcode.message.as_deref());
    match (&errcode.name, text) {
        (Some(name), Some(text)) => format!(": {name}: {text}"),
        (Some(name), None) => format!(": {name}"),
        (None, Some(text)) => format!(": {text}"),
        (None, None) => String::new(),
    }
}

impl ServerError {
    /// Whether the Go client treats this as "the server has nothing better" and falls back to
    /// verified cached data: not found, unavailable, unreachable (`ErrMetaNotFound`,
    /// `ErrServerUnavailable`, `ErrOffline`, `NetworkError`). A refused authentication is
    /// included: Go reports a 401 as `ErrServerUnavailable` and a failed token fetch as a
    /// network error.
    pub fn falls_back_to_cache(&self) -> bool {
        matches!(
            self,
            ServerError::NotFound { .. }
                | ServerError::Unavailable { .. }
                | ServerError::Network { .. }
                | ServerError::Unauthorized { .. }
        )
    }

    /// Whether the server answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ServerError::NotFound { .. })
    }

    /// Whether authentication failed.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ServerError::Unauthorized { .. })
    }

    /// The errcode of the server's error body (`VERSION`, `INVALID_UPDATE`, `UNKNOWN`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            ServerError::Unavailable { code, .. } => code.as_deref(),
            ServerError::Rejected { errcode, .. } => errcode.code.as_deref(),
            _ => None,
        }
    }

    /// The error body of a rejection (400).
    pub fn errcode(&self) -> Option<&Errcode> {
        match self {
            ServerError::Rejected { errcode, .. } => Some(errcode),
            _ => None,
        }
    }

    /// Whether the server refused a publish because a role's version is not newer than the
    /// stored one (`400 VERSION`): someone else published first; refetch and re-apply.
    pub fn is_version_conflict(&self) -> bool {
        matches!(self, ServerError::Rejected { .. }) && self.code() == Some("VERSION")
    }

    pub(crate) fn read_only(gun: &Gun, operation: &'static str) -> Self {
        ServerError::ReadOnly { gun: gun.to_string(), operation }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        ServerError::Config { reason: reason.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_show_code_name_and_detail() {
        let e = ServerError::Rejected {
            resource: "gun: POST tuf/".into(),
            status: 400,
            errcode: Box::new(Errcode {
                code: Some("INVALID_UPDATE".into()),
                name: Some("ErrBadRoot".into()),
                message: Some("Update sent by the client is invalid.".into()),
                detail: Some("no timestamp keys".into()),
            }),
        };
        assert_eq!(
            e.to_string(),
            "gun: POST tuf/: the notary server rejected the request (HTTP 400, INVALID_UPDATE): ErrBadRoot: no timestamp keys"
        );
        let e = ServerError::Rejected { resource: "r".into(), status: 400, errcode: Box::default() };
        assert_eq!(e.to_string(), "r: the notary server rejected the request (HTTP 400)");
        let e = ServerError::Rejected {
            resource: "r".into(),
            status: 400,
            errcode: Box::new(Errcode {
                code: Some("VERSION".into()),
                message: Some("A newer version of metadata is already available.".into()),
                ..Errcode::default()
            }),
        };
        assert_eq!(
            e.to_string(),
            "r: the notary server rejected the request (HTTP 400, VERSION): A newer version of metadata is already available."
        );
        assert_eq!(e.code(), Some("VERSION"));
        assert!(!e.falls_back_to_cache());
        assert_eq!(
            e.errcode().and_then(|c| c.message.as_deref()),
            Some("A newer version of metadata is already available.")
        );
    }

    #[test]
    fn stays_small() {
        // Other errors embed it; clippy's large-error lint starts at 128 bytes.
        assert!(std::mem::size_of::<ServerError>() <= 64, "{}", std::mem::size_of::<ServerError>());
    }
}
