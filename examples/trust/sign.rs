//! `trust sign IMAGE:TAG`: signs the manifest the registry serves for the tag
//! ([`docker::sign_registry_tag`]), with docker's lines, and docker's first signer
//! (`targets/<registry user>`) for a repository without trust data.

use notary_client::docker::{
    self, DockerConfig, ImageReference, InitPolicy, PushSignError, REPO_ADMIN, SignOptions, TrustInspect,
};

use crate::BIN;
use crate::cli::SignArgs;
use crate::common::{docker_trust, not_found, parse_reference, repository, tag_of};
use crate::support::errors::Failure;
use crate::usage::Arity;

pub(crate) async fn run(args: SignArgs) -> Result<(), Failure> {
    Arity::Exact(1).check(&["sign"], args.image.len())?;
    let remote = &args.image[0];
    if args.local {
        return Err(Failure::new(
            "--local signs a local image by pushing it through the Docker daemon, which this tool does not use: push \
             the image first (e.g. `cargo run --example push_and_sign`), then run `trust sign IMAGE:TAG` without --local",
        ));
    }
    let reference = parse_reference(remote)?;
    let Some(tag) = tag_of(&reference) else {
        if reference.digest().is_some() {
            return Err(Failure::new("cannot use a digest reference for IMAGE:TAG"));
        }
        return Err(Failure::new(format!("no tag specified for {remote}")));
    };
    let trust = docker_trust()?.with_insecure_registries(args.insecure_registry);
    let repo = repository(&trust, &reference)?;
    let trusted = match repo.update().await {
        Ok(trusted) => Some(trusted),
        Err(e) if not_found(&e) => None,
        Err(e) => return Err(Failure::from_error(e)),
    };
    let init = match &trusted {
        Some(_) => InitPolicy::Never,
        None => match registry_user(&reference)? {
            Some(user) => InitPolicy::WithSigner(user),
            None => {
                return Err(Failure::new(format!(
                    "{name} has no trust data yet, and there is no registry user name for {host} to name its first \
                     signer after (docker creates the signer targets/<user name>): log in to {host} (docker login \
                     {host}, or credentials in $DOCKER_CONFIG/config.json), or add a signer first with `{BIN} signer \
                     add --key KEY.pub NAME {name}`",
                    name = reference.name(),
                    host = reference.domain(),
                )));
            }
        },
    };
    let signer = match &init {
        InitPolicy::WithSigner(user) => Some(user.clone()),
        _ => None,
    };
    if let Some(trusted) = &trusted {
        println!("Signing and pushing trust metadata for {remote}");
        if let Some(existing) = TrustInspect::new(trusted, remote, Some(tag)).signed_tags.first() {
            let mut signers = if existing.signers == [REPO_ADMIN] { Vec::new() } else { existing.signers.clone() };
            signers.sort();
            println!("Existing signatures for tag {} digest {} from:\n{}", tag, existing.digest, signers.join(", "));
        }
    }
    let options = SignOptions { init, ..Default::default() };
    let signed = docker::sign_registry_tag(&trust, &reference, &options).await.map_err(|e| match e {
        PushSignError::NotInitialized { .. } => Failure::from_error(e),
        other => Failure::caused_by(format!("failed to sign {}:{tag}", reference.name()), other),
    })?;
    if trusted.is_none() {
        if signed.initialized
            && let Some(user) = &signer
        {
            println!("Created signer: {user}");
            println!("Finished initializing signed repository for {remote}");
        }
        println!("Signing and pushing trust metadata for {remote}");
    }
    println!("{}: digest: {} size: {}", signed.tag, signed.digest, signed.size);
    println!("Successfully signed {}:{tag}", reference.name());
    Ok(())
}

/// The registry user name Docker would use for `reference` (`config.json` or a credential
/// helper), if any.
fn registry_user(reference: &ImageReference) -> Result<Option<String>, Failure> {
    let dir = docker::config_dir().map_err(Failure::from_error)?;
    let config = DockerConfig::load(&dir).map_err(Failure::from_error)?;
    let credentials = config.credentials_for_reference(reference).map_err(Failure::from_error)?;
    Ok(credentials.username().filter(|u| !u.is_empty()).map(str::to_owned))
}
