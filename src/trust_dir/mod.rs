//! The trust directory shared with the Go tools (spec §4.1): Docker's `$DOCKER_CONFIG/trust`
//! or the notary CLI's `~/.notary`.
//!
//! ```text
//! <trust>/private/<canonical-keyid>.key          private keys (0600; dirs 0700)
//! <trust>/tuf/<GUN>/metadata/<role>.json          cached metadata (delegations in sub-dirs)
//! ```
//!
//! Paths are built only from validated [`Gun`]s, [`RoleName`]s and key IDs, no symlink below
//! the root is followed, and every write is atomic.
//!
//! ```
//! use notary_client::trust_dir::TrustDir;
//! use notary_client::passphrase::FixedPassphrase;
//! let dir = tempfile::tempdir().unwrap();
//! let trust = TrustDir::new(dir.path());
//! let pass = FixedPassphrase::new("a passphrase");
//! let key = trust.keys().generate("alice", None, &pass).unwrap();
//! let listed = trust.keys().list().unwrap();
//! assert_eq!(listed.keys[0].id, key.bare_public_key().id().clone());
//! assert_eq!(listed.keys[0].role.as_deref(), Some("alice"));
//! ```

mod fs;
mod key_store;
mod store_signer;

use std::io;
use std::path::{Path, PathBuf};

pub use key_store::{KeyInfo, KeyListing, KeyLocation, KeyStore, SkippedKeyFile};
pub use store_signer::StoreSigner;

use crate::key_file::KeyFileError;
use crate::metadata::{Gun, RoleName};
use crate::passphrase::PassphraseError;
use crate::trusted::DirectorySource;

/// A trust directory.
#[derive(Debug, Clone)]
pub struct TrustDir {
    root: PathBuf,
}

impl TrustDir {
    /// The trust directory at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        TrustDir { root: root.into() }
    }

    /// The notary CLI's default, `~/.notary`.
    pub fn notary_default() -> Result<Self, TrustDirError> {
        Ok(TrustDir::new(home_dir()?.join(".notary")))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The private key store, `<trust>/private`.
    pub fn keys(&self) -> KeyStore {
        KeyStore::new(self.root.join("private"))
    }

    /// The cache of one repository, `<trust>/tuf/<GUN>`.
    pub fn repository(&self, gun: &Gun) -> Result<RepositoryDir, TrustDirError> {
        let dir = fs::join_checked(&self.root, std::iter::once("tuf").chain(gun.components()))?;
        Ok(RepositoryDir { metadata: fs::join_checked(&dir, ["metadata"])? })
    }
}

pub(crate) use fs::{join_checked, open_no_follow, read_to_limit, refuse_group_or_other_access};
pub(crate) use key_store::MAX_KEY_FILE;

/// Writes a file atomically with mode 0600 (outside the trust directory too, e.g. a `.pub`).
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), TrustDirError> {
    fs::write_atomic(path, bytes)
}

/// The home directory, from `HOME`.
pub(crate) fn home_dir() -> Result<PathBuf, TrustDirError> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from).ok_or(TrustDirError::NoHome)
}

/// One repository's cached metadata, `<trust>/tuf/<GUN>/metadata`.
#[derive(Debug, Clone)]
pub struct RepositoryDir {
    metadata: PathBuf,
}

impl RepositoryDir {
    /// The metadata directory.
    pub fn metadata_dir(&self) -> &Path {
        &self.metadata
    }

    /// A [`crate::trusted::MetadataSource`] over the cached files.
    pub fn source(&self) -> DirectorySource {
        DirectorySource::new(&self.metadata).refuse_symlinks()
    }

    /// The path of `<role>.json` (delegations in sub-directories), checked for symlinks.
    pub fn metadata_path(&self, role: &RoleName) -> Result<PathBuf, TrustDirError> {
        let mut parts: Vec<String> = role.as_str().split('/').map(str::to_owned).collect();
        if let Some(last) = parts.last_mut() {
            last.push_str(".json");
        }
        fs::join_checked(&self.metadata, parts.iter().map(String::as_str))
    }

    /// Replaces `<role>.json` atomically with `bytes` (the exact bytes downloaded or published).
    pub fn write_metadata(&self, role: &RoleName, bytes: &[u8]) -> Result<(), TrustDirError> {
        fs::write_atomic(&self.metadata_path(role)?, bytes)
    }

    /// Removes the repository's whole cache directory, `<trust>/tuf/<GUN>` (absent is fine).
    pub fn remove_all(&self) -> Result<(), TrustDirError> {
        let Some(dir) = self.metadata.parent() else { return Ok(()) };
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(TrustDirError::io("remove", dir, e)),
            _ => Ok(()),
        }
    }

    /// Removes `<role>.json` if present.
    pub fn remove_metadata(&self, role: &RoleName) -> Result<(), TrustDirError> {
        let path = self.metadata_path(role)?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(TrustDirError::io("remove", &path, e)),
            _ => Ok(()),
        }
    }
}

/// A trust-directory operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustDirError {
    /// A file-system call failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was attempted.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A symlink inside the trust directory (refused: it could point anywhere).
    #[error("refusing to follow the symlink {} inside the trust directory", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// `HOME` is not set, so there is no default trust directory.
    #[error("HOME is not set: give the trust directory explicitly (or set DOCKER_CONFIG)")]
    NoHome,
    /// A private key file group- or world-accessible.
    #[error(
        "private key file {} is accessible by group or others (mode {mode:o}): run `chmod 600` on it",
        path.display()
    )]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// No key with this ID in the store.
    #[error("no private key {key_id} in {}", dir.display())]
    KeyNotFound {
        /// The canonical key ID asked for.
        key_id: String,
        /// The key directory searched.
        dir: PathBuf,
    },
    /// Not a valid key ID (64 lower-case hex digits).
    #[error("invalid key ID {0:?}: expected 64 lower-case hex digits")]
    InvalidKeyId(String),
    /// A key file that cannot be read as a key.
    #[error("{}: {source}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: KeyFileError,
    },
    /// The passphrase given for a key does not decrypt it.
    #[error("wrong passphrase for key {key_id} (role {role}) in {}", path.display())]
    WrongPassphrase {
        /// The key ID.
        key_id: String,
        /// The key's role header.
        role: String,
        /// The file.
        path: PathBuf,
    },
    /// No passphrase could be obtained.
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
    /// The file holds a different key than its name says (notary's `ErrInvalidKeyID`).
    #[error("{} holds key {actual}, not the {expected} its name says", path.display())]
    KeyIdMismatch {
        /// The file.
        path: PathBuf,
        /// The ID from the file name.
        expected: String,
        /// The canonical ID of the key inside.
        actual: String,
    },
    /// The key cannot be used for signing.
    #[error("key {key_id} cannot be used: {reason}")]
    Unusable {
        /// The key ID.
        key_id: String,
        /// Why.
        reason: String,
    },
}

impl TrustDirError {
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        TrustDirError::Io { op, path: path.to_path_buf(), source }
    }

    pub(crate) fn unusable(key_id: impl ToString, reason: impl std::fmt::Display) -> Self {
        TrustDirError::Unusable { key_id: key_id.to_string(), reason: reason.to_string() }
    }
}
