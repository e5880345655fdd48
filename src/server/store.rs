//! What the repository workflows ask of a server: metadata files by name within a size limit
//! (reading), and the atomic publish, server-managed keys and deletion (writing).

use crate::metadata::{Gun, PublicKey, RoleName};

use super::ServerError;

/// Size limits of downloads (spec §5.4). Snapshot, targets and delegations are limited by the
/// `length` their parent lists.
pub mod limits {
    /// `timestamp.json` (notary's `MaxTimestampSize`).
    pub const TIMESTAMP: u64 = 1 << 20;
    /// `root.json` and anything whose length is unknown (notary's `MaxDownloadSize`).
    pub const MAX_DOWNLOAD: u64 = 100 << 20;
    /// `<role>.key` responses.
    pub const KEY: u64 = 256 << 10;
}

/// A metadata file below `/v2/<GUN>/_trust/tuf/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataName {
    /// The current version, `<role>.json`.
    Current(RoleName),
    /// A version by its SHA-256, `<role>.<sha256 hex>.json` (what clients use once the parent
    /// lists a checksum).
    ByHash {
        /// The role.
        role: RoleName,
        /// The SHA-256 of the file.
        sha256: [u8; 32],
    },
    /// A root version, `<N>.root.json` (root rotation chain walk).
    RootVersion(u64),
}

impl MetadataName {
    /// The role the file belongs to.
    pub fn role(&self) -> RoleName {
        match self {
            MetadataName::Current(role) | MetadataName::ByHash { role, .. } => role.clone(),
            MetadataName::RootVersion(_) => RoleName::root(),
        }
    }

    /// The file name relative to `_trust/tuf/`, e.g. `targets/releases.json`,
    /// `snapshot.<hex>.json`, `3.root.json`.
    ///
    /// ```
    /// use notary_client::metadata::RoleName;
    /// use notary_client::server::MetadataName;
    /// assert_eq!(MetadataName::Current(RoleName::releases()).file_name(), "targets/releases.json");
    /// assert_eq!(MetadataName::RootVersion(3).file_name(), "3.root.json");
    /// ```
    pub fn file_name(&self) -> String {
        match self {
            MetadataName::Current(role) => format!("{role}.json"),
            MetadataName::ByHash { role, sha256 } => format!("{role}.{}.json", hex::encode(sha256)),
            MetadataName::RootVersion(n) => format!("{n}.root.json"),
        }
    }
}

impl std::fmt::Display for MetadataName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file_name())
    }
}

/// Remote trust data: the notary server, or a stand-in in tests.
///
/// Reading is all the update workflow needs; the write operations have default
/// implementations that refuse ([`ServerError::ReadOnly`]), so a read-only stand-in (a mirror,
/// a test double) implements `get_metadata` alone.
#[async_trait::async_trait]
pub trait RemoteStore: Send + Sync {
    /// The bytes of `name` for `gun`, reading at most `limit` bytes: a response announcing or
    /// delivering more is [`ServerError::TooLarge`].
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError>;

    /// Publishes `files` (role, exact file bytes) atomically: one multipart `POST tuf/`
    /// (spec §5.1). The server refuses a stale version with `400 VERSION`
    /// ([`ServerError::is_version_conflict`]).
    async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        let _ = files;
        Err(ServerError::read_only(gun, "publish"))
    }

    /// The public key the server holds for `role` (`timestamp` or `snapshot`), created on first
    /// request (trap T15: before a root exists, every request creates a new key).
    async fn get_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        let _ = role;
        Err(ServerError::read_only(gun, "get a server-managed key"))
    }

    /// Makes the server create a new key for `role` (`timestamp` or `snapshot`).
    async fn rotate_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        let _ = role;
        Err(ServerError::read_only(gun, "rotate a server-managed key"))
    }

    /// Deletes all trust data of `gun` on the server (`DELETE tuf/`, token scope `*`).
    async fn delete(&self, gun: &Gun) -> Result<(), ServerError> {
        Err(ServerError::read_only(gun, "delete trust data"))
    }
}
