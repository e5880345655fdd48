//! Docker's conventions for content trust: where the trust directory is, which environment
//! variables hold passphrases, the `docker trust key` commands, how an image reference maps to
//! a GUN and a notary server, and which registry credentials Docker would send.
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
//!
//! From an image reference to the repository's GUN, its notary server and the credentials
//! (the *registry's* credentials, looked up by the image's registry host):
//!
//! ```
//! use notary_client::docker::{DockerConfig, ImageReference, TrustServer};
//! let reference = ImageReference::parse("alpine:3.19")?;
//! assert_eq!(reference.gun().as_str(), "docker.io/library/alpine");
//! assert_eq!(reference.tag(), Some("3.19"));
//!
//! let server = TrustServer::from_lookup(|_| None); // or TrustServer::from_env()
//! assert_eq!(server.url_for(&reference)?, "https://notary.docker.io");
//!
//! let config = DockerConfig::from_json(b"{}")?; // or DockerConfig::load_default()?
//! let credentials = config.credentials_for_reference(&reference)?; // key https://index.docker.io/v1/
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod credentials;
mod inspect;
mod inspect_format;
mod passphrase;
mod push;
mod reference;
mod repository;
mod server_url;
mod signer_key;
mod signers;
mod trusted_digest;

use std::path::PathBuf;

pub use credentials::{CredentialHelperRunner, CredentialsError, DOCKER_HUB_AUTH_KEY, DockerConfig, auth_key};
pub use inspect::{KeyRef, REPO_ADMIN, SignedTag, SignerKeys, TrustInspect};
pub use inspect_format::inspect_json;
pub use passphrase::DockerEnvPassphrase;
pub use push::{InitPolicy, PushSignError, SignOptions, SignedImage, push_and_sign, sign_manifest, sign_registry_tag};
pub use reference::{ImageReference, ReferenceError};
pub use repository::{DockerTrust, DockerTrustError};
pub use server_url::{DOCKER_HUB_NOTARY_SERVER, ServerUrlError, TRUST_SERVER_VARIABLE, TrustServer, notary_server_url};
pub use signer_key::{SignerKeyError, generate_signer_key, load_signer_key, validate_signer_name};
pub use signers::{ReleasesSignatures, add_signer, releases_signatures_without, remove_signer, revoke_tag, sign_tag};
pub use trusted_digest::{SignedDigest, signed_digest};

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
