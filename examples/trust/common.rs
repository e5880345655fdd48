//! What the commands share: Docker's settings, references, docker's name rule and `[y/N]`
//! prompt.

use std::io::{BufRead, Write};

use notary_client::docker::{self, DockerTrust, ImageReference};
use notary_client::repository::Repository;
use notary_client::trusted::TrustError;

use crate::support::{self, errors::Failure};

/// Docker's settings, unlocking keys with Docker's variables and notary's prompt.
pub(crate) fn docker_trust() -> Result<DockerTrust, Failure> {
    Ok(DockerTrust::from_env().map_err(Failure::from_error)?.with_passphrases(support::passphrases()))
}

pub(crate) fn parse_reference(name: &str) -> Result<ImageReference, Failure> {
    ImageReference::parse(name).map_err(Failure::from_error)
}

/// The repository of `reference` on its notary server.
pub(crate) fn repository(trust: &DockerTrust, reference: &ImageReference) -> Result<Repository, Failure> {
    trust.repository(reference).map_err(Failure::from_error)
}

/// The tag docker's commands act on: none for digest references (`app@sha256:…`, also
/// `app:1@sha256:…`).
pub(crate) fn tag_of(reference: &ImageReference) -> Option<&str> {
    if reference.digest().is_some() { None } else { reference.tag() }
}

/// Docker's key and signer names (`^[a-z0-9][a-z0-9_-]*$`), with docker's message.
pub(crate) fn check_name(what: &str, name: &str) -> Result<(), Failure> {
    docker::validate_signer_name(name).map_err(|_| {
        Failure::new(format!(
            "{what} name \"{name}\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" \
             after the first character"
        ))
    })
}

/// Docker's `[y/N]` confirmation (`prompt.Confirm`): the question on stdout, one line of
/// stdin, `y` or `Y` confirms; anything else (or end of input) declines.
pub(crate) fn confirm(question: &str) -> bool {
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(n) if n > 0 => answer.trim().eq_ignore_ascii_case("y"),
        _ => false,
    }
}

/// Whether the repository has no trust data on the server (`update` found no `root.json`).
pub(crate) fn not_found(error: &TrustError) -> bool {
    matches!(error, TrustError::RepositoryNotFound { .. })
}
