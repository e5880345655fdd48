//! `trust revoke [-y] IMAGE[:TAG]`: one tag ([`docker::revoke_tag`]), or every tag of the
//! repository after a confirmation.

use std::collections::BTreeSet;

use notary_client::docker;
use notary_client::repository::{Change, Repository, TargetRoles};

use crate::cli::RevokeArgs;
use crate::common::{confirm, docker_trust, parse_reference, repository, tag_of};
use crate::support::errors::{Context, Failure};
use crate::usage::Arity;

pub(crate) async fn run(args: RevokeArgs) -> Result<(), Failure> {
    Arity::Exact(1).check(&["revoke"], args.image.len())?;
    let remote = &args.image[0];
    let reference = parse_reference(remote)?;
    let tag = tag_of(&reference);
    if tag.is_none() && reference.digest().is_some() {
        return Err(Failure::new("cannot use a digest reference for IMAGE:TAG"));
    }
    if tag.is_none()
        && !args.yes
        && !confirm(&format!("Confirm you would like to delete all signature data for {remote}?"))
    {
        return Err(Failure::cancelled());
    }
    let trust = docker_trust()?;
    let repo = repository(&trust, &reference)?;
    let revoked = match tag {
        Some(tag) => docker::revoke_tag(&repo, tag).await.map(|_| ()).map_err(Failure::from_error),
        None => revoke_all(&repo).await,
    };
    revoked.with_context(|| format!("could not remove signature for {remote}"))?;
    println!("Successfully deleted signature for {remote}");
    Ok(())
}

/// docker's `revokeAllSigs`: every signed tag of the repository, removed from every role the
/// keyring can sign.
async fn revoke_all(repo: &Repository) -> Result<(), Failure> {
    let trusted = repo.update().await.map_err(Failure::from_error)?;
    let tags: BTreeSet<String> = trusted.all_targets().into_iter().map(|t| t.name).collect();
    if tags.is_empty() {
        return Err(Failure::new("no signed tags to remove"));
    }
    let changes: Vec<Change> = tags.into_iter().map(|tag| Change::remove_target(TargetRoles::Signable, tag)).collect();
    repo.publish(&changes).await.map_err(Failure::from_error)?;
    Ok(())
}
