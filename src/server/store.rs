//! What the update workflow asks of a server: metadata files by name, within a size limit.

use crate::metadata::{Gun, RoleName};

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

/// A source of remote trust data: the notary server, or a stand-in in tests.
#[async_trait::async_trait]
pub trait RemoteStore: Send + Sync {
    /// The bytes of `name` for `gun`, reading at most `limit` bytes: a response announcing or
    /// delivering more is [`ServerError::TooLarge`].
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError>;
}
