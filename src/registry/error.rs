//! Registry errors: what failed ([`Context`]: operation, registry host, repository, blob or
//! manifest), why (HTTP status, registry error code such as `DENIED` or `MANIFEST_INVALID`, the
//! registry's message) and what to do. Messages never contain credentials, tokens or URLs
//! (upload URLs can carry capabilities).

use std::fmt;

use super::Digest;

/// Any error kept as the cause of a [`RegistryError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The registry request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Obtaining a token (or checking credentials) for the repository.
    Authenticate,
    /// `HEAD /v2/<repo>/blobs/<digest>`: is the blob already there?
    CheckBlob,
    /// A cross-repository mount of a blob.
    MountBlob,
    /// Uploading a blob's bytes.
    UploadBlob,
    /// `PUT /v2/<repo>/manifests/<tag or digest>`.
    PushManifest,
    /// `HEAD` of the pushed tag, comparing its digest with the pushed manifest's.
    VerifyTag,
    /// `GET /v2/<repo>/manifests/<tag or digest>`.
    GetManifest,
}

/// Where a registry request failed: the operation, the registry, the repository and the blob or
/// manifest concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    /// What was being done.
    pub operation: Operation,
    /// The registry (`host[:port]`).
    pub host: String,
    /// The repository path, e.g. `team/app`.
    pub repository: String,
    /// The blob digest, or the manifest's `:tag` or `@digest`, when there is one.
    pub object: Option<String>,
}

impl Context {
    pub(crate) fn new(operation: Operation, host: &str, repository: &str, object: Option<String>) -> Context {
        Context { operation, host: host.to_owned(), repository: repository.to_owned(), object }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, preposition) = match self.operation {
            Operation::Authenticate => ("authenticating", "for"),
            Operation::CheckBlob => ("checking for blob", "in"),
            Operation::MountBlob => ("mounting blob", "into"),
            Operation::UploadBlob => ("uploading blob", "to"),
            Operation::PushManifest => ("pushing manifest", "to"),
            Operation::VerifyTag => ("verifying tag", "of"),
            Operation::GetManifest => ("fetching manifest", "of"),
        };
        let (host, repository) = (&self.host, &self.repository);
        match &self.object {
            // A manifest's `:tag` or `@digest` completes the name.
            Some(object) if object.starts_with([':', '@']) => write!(f, "{verb} {host}/{repository}{object}"),
            Some(object) => write!(f, "{verb} {object} {preposition} {host}/{repository}"),
            None => write!(f, "{verb} {preposition} {host}/{repository}"),
        }
    }
}

/// A registry operation that failed.
///
/// ```
/// use notary_client::registry::RegistryError;
/// fn explain(e: &RegistryError) -> String {
///     match e {
///         RegistryError::Unauthorized { .. } => format!("log in first: {e}"),
///         other => other.to_string(),
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The client could not be configured (bad host, plain HTTP to a remote host, unreadable or
    /// invalid CA certificates, client certificates, a reference for another registry).
    #[error("registry {host}: {reason}")]
    Config {
        /// The registry.
        host: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The registry's `WWW-Authenticate` challenge directs credentials to a token service
    /// (`realm`) that must not receive them: not https (plain http is accepted only for a
    /// loopback token service of a loopback registry), or not a URL. Nothing was sent to it.
    #[error(
        "registry {host}: the registry directs credentials to the token service {realm}, which is not an https \
         URL (plain http is accepted only for a token service on this machine when the registry is on this \
         machine too); refusing to send credentials, nothing was sent. Check the registry's token realm \
         configuration (auth.token.realm)"
    )]
    InsecureTokenRealm {
        /// The registry.
        host: String,
        /// The refused realm's `scheme://host[:port]` (no path or query).
        realm: String,
    },
    /// The reference has no tag: pushes are by tag (the tag is what gets signed).
    #[error("{reference} has no tag: a push needs IMAGE:TAG")]
    NoTag {
        /// The reference as given.
        reference: String,
    },
    /// The registry or its token service refused the credentials (HTTP 401 / 403, `UNAUTHORIZED`,
    /// `DENIED`).
    #[error(
        "{context}: not authorized{}: {}",
        detail(*status, code.as_deref(), message),
        unauthorized_hint(context, *status, code.as_deref())
    )]
    Unauthorized {
        /// What failed.
        context: Box<Context>,
        /// The HTTP status, when known.
        status: Option<u16>,
        /// The registry's error code, e.g. `DENIED`.
        code: Option<String>,
        /// The registry's (or token service's) message, shortened.
        message: String,
    },
    /// The registry could not be reached: DNS, connection, TLS or a timeout.
    #[error("{context}: {reason}")]
    Network {
        /// What failed.
        context: Box<Context>,
        /// Why, and what to check.
        reason: String,
        /// The transport error (without URLs).
        source: Option<BoxError>,
    },
    /// The repository, tag or digest does not exist (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, 404).
    #[error(
        "{context}: not found{}: check the repository name and the tag or digest",
        detail(*status, code.as_deref(), message)
    )]
    NotFound {
        /// What failed.
        context: Box<Context>,
        /// The HTTP status, when known.
        status: Option<u16>,
        /// The registry's error code, e.g. `MANIFEST_UNKNOWN`.
        code: Option<String>,
        /// The registry's message, shortened.
        message: String,
    },
    /// The registry refused the request (`BLOB_UPLOAD_INVALID`, `DIGEST_INVALID`,
    /// `MANIFEST_INVALID`, `MANIFEST_BLOB_UNKNOWN`, 429, 5xx, ...).
    #[error(
        "{context}: refused{}: {}",
        detail(*status, code.as_deref(), message),
        rejected_hint(*status, code.as_deref())
    )]
    Rejected {
        /// What failed.
        context: Box<Context>,
        /// The HTTP status, when known.
        status: Option<u16>,
        /// The registry's error code, e.g. `MANIFEST_INVALID`.
        code: Option<String>,
        /// The registry's message, shortened.
        message: String,
    },
    /// The registry answered in a way the distribution spec does not allow (wrong status, no
    /// `Location`, a body that is not a manifest).
    #[error("{context}: unexpected answer from the registry: {reason}")]
    Protocol {
        /// What failed.
        context: Box<Context>,
        /// What was wrong.
        reason: String,
        /// The underlying error, if any.
        source: Option<BoxError>,
    },
    /// The registry holds or serves different bytes than expected: the tag does not point at the
    /// pushed manifest, or a manifest does not hash to the digest it was asked for or served
    /// with. Nothing must be signed.
    #[error(
        "{context}: digest mismatch: expected {expected}, got {got}; do not sign this. Check for another push to \
         the same tag or a proxy altering responses, then retry"
    )]
    DigestMismatch {
        /// What failed.
        context: Box<Context>,
        /// The digest that was pushed or asked for.
        expected: Digest,
        /// The digest the registry reported, or that the served bytes hash to.
        got: String,
    },
    /// A manifest is larger than the limit (4 MiB, as Docker and the distribution registry).
    #[error("{context}: the manifest is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// What failed.
        context: Box<Context>,
        /// The size seen.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A blob could not be read from the image source (missing file, shorter than its descriptor
    /// says). No manifest was pushed.
    #[error(
        "cannot read blob {digest} from the image source: {source}; the image is incomplete or changed, export it again"
    )]
    Blob {
        /// The blob.
        digest: Digest,
        /// The read error.
        source: std::io::Error,
    },
}

impl RegistryError {
    /// Whether trying the same request again may succeed: the registry could not be reached
    /// or answered 500, 502, 503 or 504. A push retries these ([`super::PUSH_ATTEMPTS`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, RegistryError::Network { .. }) || matches!(self.status(), Some(500 | 502 | 503 | 504))
    }

    /// The HTTP status the registry answered with, when the error comes from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Unauthorized { status, .. }
            | RegistryError::NotFound { status, .. }
            | RegistryError::Rejected { status, .. } => *status,
            _ => None,
        }
    }

    /// The registry's error code (`DENIED`, `MANIFEST_UNKNOWN`, `DIGEST_INVALID`, ...), when it
    /// sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            RegistryError::Unauthorized { code, .. }
            | RegistryError::NotFound { code, .. }
            | RegistryError::Rejected { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The failed request, for errors that come from one.
    pub fn context(&self) -> Option<&Context> {
        match self {
            RegistryError::Unauthorized { context, .. }
            | RegistryError::Network { context, .. }
            | RegistryError::NotFound { context, .. }
            | RegistryError::Rejected { context, .. }
            | RegistryError::Protocol { context, .. }
            | RegistryError::DigestMismatch { context, .. }
            | RegistryError::TooLarge { context, .. } => Some(context),
            _ => None,
        }
    }

    pub(crate) fn config(host: &str, reason: impl Into<String>) -> RegistryError {
        RegistryError::Config { host: host.to_owned(), reason: reason.into() }
    }
}

/// ` (HTTP 403 DENIED: message)`, or as much of it as is known.
fn detail(status: Option<u16>, code: Option<&str>, message: &str) -> String {
    let mut parts = Vec::new();
    if let Some(status) = status {
        parts.push(format!("HTTP {status}"));
    }
    if let Some(code) = code {
        parts.push(code.to_owned());
    }
    let head = parts.join(" ");
    match (head.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!(" ({message})"),
        (false, true) => format!(" ({head})"),
        (false, false) => format!(" ({head}: {message})"),
    }
}

fn unauthorized_hint(context: &Context, status: Option<u16>, code: Option<&str>) -> String {
    let access = match context.operation {
        Operation::GetManifest | Operation::VerifyTag | Operation::CheckBlob => "pull",
        _ => "push",
    };
    let denied = status == Some(403) || code == Some("DENIED");
    if denied {
        format!(
            "the credentials were accepted but have no {access} access to {}; check the account's permissions \
             (or log in as another user: docker login {})",
            context.repository, context.host
        )
    } else {
        format!(
            "log in (docker login {}, or give RegistryBuilder::credentials), or check {access} access to {}",
            context.host, context.repository
        )
    }
}

fn rejected_hint(status: Option<u16>, code: Option<&str>) -> &'static str {
    match code {
        Some("BLOB_UPLOAD_INVALID" | "BLOB_UPLOAD_UNKNOWN") => "the upload session failed; push again",
        Some("DIGEST_INVALID" | "SIZE_INVALID") => {
            "the bytes sent do not match the descriptor's digest or size: the image source is corrupt or changed \
             during the push; export the image again"
        }
        Some("MANIFEST_INVALID" | "MANIFEST_UNVERIFIED") => {
            "the registry does not accept this manifest (is its media type supported by the registry?)"
        }
        Some("MANIFEST_BLOB_UNKNOWN" | "BLOB_UNKNOWN") => {
            "a blob or child manifest the manifest references is not in the repository"
        }
        Some("NAME_INVALID") => "the repository name is not valid on this registry",
        Some("TAG_INVALID") => "the tag is not valid on this registry",
        Some("UNSUPPORTED") => "the registry does not support this operation",
        Some("TOOMANYREQUESTS") => "the registry limits the request rate; wait and retry",
        _ => match status {
            Some(429) => "the registry limits the request rate; wait and retry",
            Some(413) => "the registry (or a proxy in front of it) refuses a request this large",
            Some(s) if s >= 500 => "the registry failed; retry later or see its logs",
            _ => "see the registry's message",
        },
    }
}
