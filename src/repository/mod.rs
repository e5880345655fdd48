//! Repository workflows: one GUN, the server that hosts it, the trust directory that caches
//! it and the [`Keyring`] that signs for it. Reading is [`Repository::update`] (the Go
//! client's update, spec §6.8); writing is [`Repository::init`], [`Repository::publish`] of
//! staged [`Change`]s (targets, delegations, witnessing), [`Repository::rotate_key`] and
//! [`Repository::delete_trust_data`] (spec §6.1–6.7). Roles with a threshold above one are
//! signed by several key holders through a [`Draft`].
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use notary_client::metadata::{Gun, RoleName};
//! use notary_client::repository::Repository;
//! use notary_client::server::NotaryServer;
//! use notary_client::trust_dir::TrustDir;
//!
//! let server = NotaryServer::builder("https://notary.example.com").build()?;
//! let repo = Repository::new(Gun::new("registry.example.com/team/app")?, server, TrustDir::new("/tmp/trust"));
//! let trusted = repo.update().await?;
//! if let Some(t) = trusted.lookup("1.2", &[RoleName::releases(), RoleName::targets()]) {
//!     println!("1.2 is signed by {} as sha256:{}", t.role, hex::encode(t.meta.sha256().unwrap_or_default()));
//! }
//! # Ok(()) }
//! ```

mod changes;
mod editor;
mod error;
mod init;
mod keyring;
mod publish;
mod rotate;

use std::sync::Arc;

pub use changes::{Change, TargetRoles};
pub use error::PublishError;
pub use init::{InitOptions, KeyHolder};
pub use keyring::Keyring;
pub use publish::{Draft, Published};

use crate::certs::TrustPinning;
use crate::clock::{Clock, SystemClock};
use crate::metadata::Gun;
use crate::server::RemoteStore;
use crate::trust_dir::TrustDir;
use crate::trusted::{TrustError, TrustedRepository, Update};

/// Why an update failed: the role, the version seen and expected, and the reason
/// ([`TrustError`]).
pub type UpdateError = TrustError;

/// One repository (GUN) on a notary server, cached in a trust directory.
#[derive(Clone)]
pub struct Repository {
    gun: Gun,
    remote: Arc<dyn RemoteStore>,
    trust_dir: TrustDir,
    pinning: TrustPinning,
    clock: Arc<dyn Clock>,
    keys: Keyring,
    max_attempts: u32,
}

/// Publish attempts before giving up on version conflicts, by default.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 20;

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("gun", &self.gun)
            .field("trust_dir", &self.trust_dir)
            .field("pinning", &self.pinning)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Repository {
    /// `gun` on `remote` (usually a [`crate::server::NotaryServer`]), cached under
    /// `<trust_dir>/tuf/<GUN>/metadata`. Trust pinning is TOFU and time is the system clock
    /// until set otherwise.
    pub fn new(gun: Gun, remote: impl RemoteStore + 'static, trust_dir: TrustDir) -> Self {
        Repository {
            gun,
            remote: Arc::new(remote),
            trust_dir,
            pinning: TrustPinning::default(),
            clock: Arc::new(SystemClock),
            keys: Keyring::new(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The private keys publishing signs with (none until set: reading needs no keys).
    pub fn with_keys(mut self, keys: Keyring) -> Self {
        self.keys = keys;
        self
    }

    /// How many times a publish is attempted when other signers keep publishing first
    /// (default [`DEFAULT_MAX_ATTEMPTS`]; at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The keyring.
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Trust pinning for a root seen for the first time.
    pub fn with_pinning(mut self, pinning: TrustPinning) -> Self {
        self.pinning = pinning;
        self
    }

    /// The clock expiry is checked against.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The GUN.
    pub fn gun(&self) -> &Gun {
        &self.gun
    }

    /// The trust directory.
    pub fn trust_dir(&self) -> &TrustDir {
        &self.trust_dir
    }

    /// Downloads and verifies the repository's trust data as the Go client does, caching
    /// each file once it verified; falls back to the fully re-verified cache when the server
    /// cannot be reached ([`TrustedRepository::served_from_cache`]).
    pub async fn update(&self) -> Result<TrustedRepository, UpdateError> {
        let cache = self.trust_dir.repository(&self.gun).map_err(TrustError::Cache)?;
        Update {
            gun: &self.gun,
            remote: self.remote.as_ref(),
            cache: &cache,
            pinning: &self.pinning,
            clock: self.clock.as_ref(),
        }
        .run()
        .await
    }
}
