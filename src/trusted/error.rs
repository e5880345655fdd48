use super::SourceError;
use crate::certs::RootValidationError;
use crate::metadata::{HashMismatch, MetadataError, VerifyError};

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
    /// A file could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
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
}
