use super::SourceError;
use crate::certs::RootValidationError;
use crate::metadata::{HashMismatch, MetadataError, VerifyError};
use crate::server::ServerError;

/// Trust data failed verification. Every variant names the role concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A required file is absent.
    #[error("{role}.json is missing{}", if role == "root" { " (the repository has no trust data)" } else { "" })]
    Missing {
        /// Role.
        role: String,
    },
    /// The server has no trust data for the GUN (`root.json` is not found and nothing is cached).
    #[error("{gun}: the repository does not exist on the notary server (no root.json); initialise it first")]
    RepositoryNotFound {
        /// The GUN.
        gun: String,
    },
    /// A file could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The server could not provide a file.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The trust directory's cache for the GUN cannot be used.
    #[error(transparent)]
    Cache(#[from] crate::trust_dir::TrustDirError),
    /// A file is malformed.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// Root failed notary's root validation (certificates, pinning, signatures, expiry).
    #[error("root.json: {0}")]
    Root(#[from] RootValidationError),
    /// Signatures or expiry failed.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A file does not match the hashes/length its parent lists.
    #[error("{role}.json does not match the {listed_by} entry: {mismatch}")]
    Hash {
        /// The file's role.
        role: String,
        /// Role whose meta lists it (`snapshot` or `timestamp`).
        listed_by: &'static str,
        /// The mismatch.
        mismatch: HashMismatch,
    },
    /// A file's version is lower than the version already trusted (a rollback).
    #[error("{role}.json version {version} is older than the trusted version {min_version} (rollback refused)")]
    Rollback {
        /// Role.
        role: String,
        /// Version of the file seen.
        version: u64,
        /// Lowest acceptable version.
        min_version: u64,
    },
    /// A delegation key's certificate fails notary's certificate checks (fatal, as in Go).
    #[error("{role}: delegation key {key_id}: {reason}")]
    DelegationKey {
        /// The delegated role.
        role: String,
        /// The key.
        key_id: String,
        /// Why the certificate is unusable.
        reason: crate::certs::CertificateError,
    },
    /// A file is not listed where it must be (e.g. `targets` absent from snapshot meta).
    #[error("{role} is not listed in {listed_by}")]
    NotListed {
        /// Role.
        role: String,
        /// Listing role.
        listed_by: &'static str,
    },
    /// A targets role is listed twice in the tree (Go's builder refuses to load a role twice).
    #[error("{role} is listed more than once in the delegation tree")]
    AlreadyLoaded {
        /// Role.
        role: String,
    },
    /// A file was loaded out of order (its parent is not trusted yet). A bug in the caller.
    #[error("{role}.json cannot be verified before {needs}")]
    Prerequisite {
        /// Role.
        role: String,
        /// The role that must be loaded first.
        needs: String,
    },
    /// A downloaded or cached file was rejected: the role, the version seen (if the file
    /// parsed), the lowest version acceptable, and why.
    #[error(
        "{role}.json{} rejected{}: {source}",
        version.map(|v| format!(" version {v}")).unwrap_or_default(),
        if *min_version > 1 { format!(" (version {min_version} or later expected)") } else { String::new() }
    )]
    Rejected {
        /// Role.
        role: String,
        /// The version of the rejected file, if it parsed.
        version: Option<u64>,
        /// The lowest version that would have been accepted (1 when nothing is trusted yet).
        min_version: u64,
        /// Why it was rejected.
        source: Box<TrustError>,
    },
}

impl TrustError {
    /// The underlying reason, looking through [`TrustError::Rejected`].
    pub fn reason(&self) -> &TrustError {
        match self {
            TrustError::Rejected { source, .. } => source.reason(),
            other => other,
        }
    }

    /// Whether this is notary's `ErrRootRotationFail` (the new root is not signed by the
    /// previously trusted root's keys): the trigger for walking `<N>.root.json`.
    pub fn is_root_rotation_failure(&self) -> bool {
        matches!(self.reason(), TrustError::Root(e) if e.is_rotation_failure())
    }

    /// Whether a delegation failing this way is skipped with a warning rather than aborting
    /// the update (notary: `ErrExpired`, `ErrRoleThreshold`).
    pub fn is_skippable_for_delegation(&self) -> bool {
        matches!(self.reason(), TrustError::Verify(VerifyError::Expired { .. } | VerifyError::ThresholdNotMet { .. }))
    }
}
