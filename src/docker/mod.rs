//! Docker's conventions for content trust: where the trust directory is, which environment
//! variables hold passphrases, and the `docker trust key` commands.
//!
//! ```no_run
//! use notary_client::docker::{DockerEnvPassphrase, trust_dir};
//! let trust = trust_dir()?;                       // $DOCKER_CONFIG/trust or ~/.docker/trust
//! let passphrases = DockerEnvPassphrase::from_env(); // DOCKER_CONTENT_TRUST_*_PASSPHRASE
//! for key in trust.keys().list()?.keys {
//!     println!("{} {}", key.id, key.role.unwrap_or_default());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod passphrase;
mod signer_key;

use std::path::PathBuf;

pub use passphrase::DockerEnvPassphrase;
pub use signer_key::{SignerKeyError, generate_signer_key, load_signer_key, validate_signer_name};

use crate::trust_dir::{TrustDir, TrustDirError};

/// Docker's configuration directory: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn config_dir() -> Result<PathBuf, TrustDirError> {
    match std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(crate::trust_dir::home_dir()?.join(".docker")),
    }
}

/// Docker's trust directory, `<config dir>/trust`.
pub fn trust_dir() -> Result<TrustDir, TrustDirError> {
    Ok(TrustDir::new(config_dir()?.join("trust")))
}
