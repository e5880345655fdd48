//! Server errors (spec §5.3), typed so callers can tell "not there" from "refused" from
//! "unreachable", keeping the server's errcode, `detail.Name` and message.

/// A request to the notary server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// 404: the file or key does not exist (`METADATA_NOT_FOUND`).
    #[error("{resource}: not found on the notary server")]
    NotFound {
        /// What was asked for (e.g. `docker.io/library/alpine: timestamp.json`).
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
}

impl ServerError {
    /// Whether the Go client treats this as "the server has nothing better" and falls back to
    /// verified cached data: not found, unavailable, unreachable (`ErrMetaNotFound`,
    /// `ErrServerUnavailable`, `ErrOffline`, `NetworkError`).
    pub fn falls_back_to_cache(&self) -> bool {
        matches!(self, ServerError::NotFound { .. } | ServerError::Unavailable { .. } | ServerError::Network { .. })
    }

    /// Whether the server answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ServerError::NotFound { .. })
    }
}
