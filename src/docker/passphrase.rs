//! Docker's passphrase variables (`GetPassphraseRetriever` in docker/cli, trap T17).

use std::fmt;

use crate::passphrase::{EnvLookup, Passphrase, PassphraseError, PassphraseRequest, PassphraseRetriever};

/// Root keys use `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE`; every other alias (targets, snapshot,
/// signer names like `alice`, docker's `encrypted`) uses
/// `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`.
///
/// ```
/// use notary_client::docker::DockerEnvPassphrase;
/// use notary_client::passphrase::{PassphraseRequest, PassphraseRetriever};
/// let env = DockerEnvPassphrase::from_lookup(|var| {
///     (var == "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE").then(|| "repo-pass".to_owned())
/// });
/// let p = env.passphrase(&PassphraseRequest::unlock("0123", "releases")).unwrap();
/// assert_eq!(p.expose(), "repo-pass");
/// let err = env.passphrase(&PassphraseRequest::unlock("0123", "root")).unwrap_err();
/// assert!(err.to_string().contains("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"));
/// ```
pub struct DockerEnvPassphrase {
    lookup: Box<EnvLookup>,
}

impl DockerEnvPassphrase {
    /// The root passphrase variable.
    pub const ROOT: &'static str = "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE";
    /// The passphrase variable of every other key.
    pub const REPOSITORY: &'static str = "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE";

    /// Reads the process environment when asked.
    pub fn from_env() -> Self {
        DockerEnvPassphrase { lookup: Box::new(crate::passphrase::process_env) }
    }

    /// Reads variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        DockerEnvPassphrase { lookup: Box::new(lookup) }
    }

    /// The variable docker reads for `alias`.
    pub fn variable_for(alias: &str) -> &'static str {
        if alias == "root" { Self::ROOT } else { Self::REPOSITORY }
    }
}

impl PassphraseRetriever for DockerEnvPassphrase {
    fn passphrase(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        crate::passphrase::env_passphrase(&*self.lookup, Some(Self::variable_for(request.alias)), request)
    }
}

impl fmt::Debug for DockerEnvPassphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DockerEnvPassphrase")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_root_alias_uses_the_repository_variable() {
        for alias in ["targets", "snapshot", "alice", "encrypted", "targets/releases", ""] {
            assert_eq!(DockerEnvPassphrase::variable_for(alias), DockerEnvPassphrase::REPOSITORY, "{alias}");
        }
        assert_eq!(DockerEnvPassphrase::variable_for("root"), DockerEnvPassphrase::ROOT);
    }

    #[test]
    fn an_empty_repository_variable_is_no_passphrase() {
        let env = DockerEnvPassphrase::from_lookup(|_| Some(String::new()));
        let err = env.passphrase(&PassphraseRequest::create("k", "releases")).unwrap_err();
        assert!(err.to_string().contains("set DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"), "{err}");
    }
}
