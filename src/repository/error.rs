//! Why a write workflow (init, publish, rotation, delete) failed.

use crate::certs::CertificateError;
use crate::metadata::{MetadataError, SigningError};
use crate::server::ServerError;
use crate::trust_dir::TrustDirError;
use crate::trusted::TrustError;

/// A write workflow failed. Nothing was published unless the variant says so; staged changes
/// are kept by the caller and can be published again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Reading and verifying the current trust data failed (nothing was published).
    #[error("reading the current trust data of {gun} failed: {source}")]
    Update {
        /// The repository.
        gun: String,
        /// Why (boxed: keeps `PublishError` small).
        #[source]
        source: Box<TrustError>,
    },
    /// The server's current trust data could not be read (the update fell back to the cache):
    /// publishing on top of possibly stale data could overwrite others' changes.
    #[error(
        "{gun}: the server's current trust data could not be read ({reason}); refusing to publish on top of the cache"
    )]
    Offline {
        /// The repository.
        gun: String,
        /// What the update worked around.
        reason: String,
    },
    /// The repository is neither on the server nor initialised locally.
    #[error("{gun} does not exist on the server and was not initialised here: initialise it first")]
    NotInitialized {
        /// The repository.
        gun: String,
    },
    /// The repository already has trust data on the server.
    #[error("{gun} already has trust data on the server (root version {version}); it cannot be initialised again")]
    AlreadyInitialized {
        /// The repository.
        gun: String,
        /// The server's root version.
        version: u64,
    },
    /// The server refused or failed the request.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Other signers kept publishing first: every attempt met `400 VERSION`.
    #[error("{gun}: gave up after {attempts} attempts, each refused as stale because another signer published first")]
    Conflict {
        /// The repository.
        gun: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No private key is available for a role that must be signed.
    #[error("no private key for role {role} of {gun} (it is signed by key {}); add it to the keyring (e.g. `docker trust key load`)", key_ids.join(", "))]
    NoSigningKey {
        /// The repository.
        gun: String,
        /// The role.
        role: String,
        /// The role's key IDs.
        key_ids: Vec<String>,
    },
    /// Fewer of the role's keys are available than its threshold requires.
    #[error(
        "role {role} needs {threshold} signatures but only {available} of its keys are available; collect the others with a draft (`Repository::prepare`)"
    )]
    BelowThreshold {
        /// The role.
        role: String,
        /// Signatures required.
        threshold: u32,
        /// Keys available.
        available: usize,
    },
    /// The role is not `targets` or a delegation listed by its parent.
    #[error("role {role} is not delegated in {gun}: add the delegation first")]
    NotDelegated {
        /// The repository.
        gun: String,
        /// The role.
        role: String,
    },
    /// A path restriction forbids the target name (or a delegation path lies outside the
    /// parent's).
    #[error("role {role} may not sign {name:?}: its paths are {paths:?}")]
    PathNotAllowed {
        /// The role.
        role: String,
        /// The target name or path.
        name: String,
        /// The role's effective paths.
        paths: Vec<String>,
    },
    /// There is no signature to revoke: neither `targets/releases` nor `targets` signs the tag.
    #[error("{gun}: no signed tag {name:?} to revoke")]
    NotSigned {
        /// The repository.
        gun: String,
        /// The tag.
        name: String,
    },
    /// Docker's role choice found no delegation to sign into.
    #[error(
        "no valid signing keys for delegation roles of {gun} for {name:?}: {}. Sign a name the paths allow, or \
         import a private key of the role into the trust directory (trust/private)",
        if reasons.is_empty() { "there are no delegations".to_owned() } else { reasons.join("; ") }
    )]
    NoSignableRole {
        /// The repository.
        gun: String,
        /// The target name.
        name: String,
        /// The direct children of `targets`.
        roles: Vec<String>,
        /// Why each of them cannot sign it (its paths, or no key held).
        reasons: Vec<String>,
    },
    /// The change cannot be applied (e.g. a delegation without keys, a base role where a
    /// delegation is required).
    #[error("invalid change for {role}: {reason}")]
    InvalidChange {
        /// The role.
        role: String,
        /// Why.
        reason: String,
    },
    /// A draft no longer applies (the server moved on) or does not match the repository.
    #[error("the draft does not apply to {gun}: {reason}")]
    StaleDraft {
        /// The repository.
        gun: String,
        /// Why.
        reason: String,
    },
    /// Metadata could not be built or parsed.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// Signing failed (a key could not be unlocked, a backend failed).
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// The key store or cache failed.
    #[error(transparent)]
    TrustDir(#[from] TrustDirError),
    /// The root certificate could not be made.
    #[error("root certificate: {0}")]
    Certificate(#[from] CertificateError),
}
