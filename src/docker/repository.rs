//! An image's trust data the way Docker reaches it: the GUN from the reference, the notary
//! server from `DOCKER_CONTENT_TRUST_SERVER` (or the registry), the registry's credentials,
//! Docker's TLS directory and trust directory.

use std::path::PathBuf;
use std::sync::Arc;

use super::{CredentialsError, DockerConfig, DockerEnvPassphrase, ImageReference, ServerUrlError, TrustServer};
use crate::passphrase::PassphraseRetriever;
use crate::registry::{Registry, RegistryError};
use crate::repository::{Keyring, Repository};
use crate::server::{NotaryServer, ServerError};
use crate::trust_dir::{TrustDir, TrustDirError};

/// Docker's content-trust settings: configuration directory, `config.json` and server choice.
///
/// Unlike Docker, TLS verification of the notary server is never switched off because the
/// registry is "insecure" (Docker skips it for loopback registries); opt out explicitly with
/// [`crate::server::NotaryServerBuilder::danger_accept_invalid_certs_for_host`].
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use notary_client::docker::{DockerTrust, ImageReference, TrustInspect};
/// let reference = ImageReference::parse("registry.example.com/team/app:1.2")?;
/// let trusted = DockerTrust::from_env()?.repository(&reference)?.update().await?;
/// let report = TrustInspect::new(&trusted, "registry.example.com/team/app:1.2", reference.tag());
/// println!("{}", serde_json::to_string_pretty(&[report])?);
/// # Ok(()) }
/// ```
pub struct DockerTrust {
    config_dir: PathBuf,
    config: DockerConfig,
    server: TrustServer,
    passphrases: Arc<dyn PassphraseRetriever>,
    insecure_registries: Vec<String>,
}

impl std::fmt::Debug for DockerTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerTrust")
            .field("config_dir", &self.config_dir)
            .field("config", &self.config)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// Docker's settings could not be turned into a repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DockerTrustError {
    /// Docker's configuration directory is unknown.
    #[error(transparent)]
    ConfigDir(#[from] TrustDirError),
    /// The registry's credentials could not be obtained.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The notary server URL is invalid.
    #[error(transparent)]
    ServerUrl(#[from] ServerUrlError),
    /// The HTTP client could not be set up (CA or client certificate files, URL).
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The registry client could not be set up.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl DockerTrust {
    /// Docker's settings from the environment: `$DOCKER_CONFIG` (else `~/.docker`), its
    /// `config.json`, and `DOCKER_CONTENT_TRUST_SERVER`.
    pub fn from_env() -> Result<Self, DockerTrustError> {
        let config_dir = super::config_dir()?;
        let config = DockerConfig::load(&config_dir)?;
        Ok(DockerTrust::new(config_dir, config, TrustServer::from_env()))
    }

    /// Explicit settings. Key passphrases come from Docker's variables
    /// ([`DockerEnvPassphrase`]) unless set with [`DockerTrust::with_passphrases`].
    pub fn new(config_dir: impl Into<PathBuf>, config: DockerConfig, server: TrustServer) -> Self {
        DockerTrust {
            config_dir: config_dir.into(),
            config,
            server,
            passphrases: Arc::new(DockerEnvPassphrase::from_env()),
            insecure_registries: Vec::new(),
        }
    }

    /// Unlocks (and protects new) keys with `retriever` instead of Docker's variables.
    pub fn with_passphrases(mut self, retriever: impl PassphraseRetriever + 'static) -> Self {
        self.passphrases = Arc::new(retriever);
        self
    }

    /// Registries (`host[:port]`) reached over plain HTTP, as Docker's `insecure-registries`.
    /// Loopback registries always are (Docker's default); every other registry needs HTTPS.
    pub fn with_insecure_registries(mut self, hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.insecure_registries = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// The registry of `reference`, with the credentials `docker login` stored for it and the
    /// CAs Docker would trust for it (`/etc/docker/certs.d/<host>/`, `<config dir>/tls/<host>/`).
    pub fn registry(&self, reference: &ImageReference) -> Result<Registry, DockerTrustError> {
        let credentials = self.config.credentials_for_reference(reference)?;
        Ok(Registry::builder(reference.domain())
            .credentials(credentials)
            .docker_certs(&self.config_dir)
            .insecure_hosts(self.insecure_registries.iter().cloned())
            .build()?)
    }

    /// The keys of Docker's trust directory (`<config dir>/trust/private`), unlocked with the
    /// passphrases (`DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` for root keys,
    /// `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` for the others).
    pub fn keyring(&self) -> Keyring {
        Keyring::from_store(self.trust_dir().keys(), Arc::clone(&self.passphrases))
    }

    /// The trust directory, `<config dir>/trust`.
    pub fn trust_dir(&self) -> TrustDir {
        TrustDir::new(self.config_dir.join("trust"))
    }

    /// The notary server for `reference`, authenticated with the registry's credentials and
    /// trusting the CAs in `<config dir>/tls/<notary host>/`.
    pub fn server(&self, reference: &ImageReference) -> Result<NotaryServer, DockerTrustError> {
        let url = self.server.url_for(reference)?;
        let credentials = self.config.credentials_for_reference(reference)?;
        Ok(NotaryServer::builder(&url).docker_config_dir(&self.config_dir).credentials(credentials).build()?)
    }

    /// The repository of `reference` (its GUN), on its notary server, cached in Docker's trust
    /// directory, signing with the keys of Docker's trust directory ([`DockerTrust::keyring`]).
    pub fn repository(&self, reference: &ImageReference) -> Result<Repository, DockerTrustError> {
        Ok(Repository::new(reference.gun(), self.server(reference)?, self.trust_dir()).with_keys(self.keyring()))
    }
}
