//! `trust signer add --key KEY.pub NAME REPOSITORY...` and `trust signer remove [-f] NAME
//! REPOSITORY...`: docker's lines, prompt and per-repository failures around
//! [`docker::add_signer`] and [`docker::remove_signer`].

use std::path::Path;

use notary_client::docker::{self, DockerTrust};
use notary_client::metadata::PublicKey;
use notary_client::repository::InitOptions;
use notary_client::trusted::{DelegationInfo, TrustedRepository};

use crate::cli::{SignerAddArgs, SignerRemoveArgs};
use crate::common::{check_name, confirm, docker_trust, not_found, parse_reference, repository};
use crate::support::errors::{Context, Failure, chain};
use crate::usage::Arity;

pub(crate) async fn add(args: SignerAddArgs) -> Result<(), Failure> {
    Arity::AtLeast(2).check(&["signer", "add"], args.args.len())?;
    let (signer, repos) = (&args.args[0], &args.args[1..]);
    check_name("signer", signer)?;
    if signer == "releases" {
        return Err(Failure::new("releases is a reserved keyword, use a different signer name"));
    }
    if args.keys.is_empty() {
        return Err(Failure::new("path to a public key must be provided using the `--key` flag"));
    }
    let keys = args.keys.iter().map(|path| read_public_key(path)).collect::<Result<Vec<_>, _>>()?;
    let trust = docker_trust()?;
    let mut failed = Vec::new();
    for repo_name in repos {
        println!("Adding signer \"{signer}\" to {repo_name}...");
        match add_to(&trust, signer, repo_name, &keys).await {
            Ok(()) => println!("Successfully added signer: {signer} to {repo_name}\n"),
            Err(e) => {
                eprintln!("{}\n", chain(&e));
                failed.push(repo_name.as_str());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!("failed to add signer to: {}", failed.join(", "))))
    }
}

/// A signer's public key file (`PUBLIC KEY` PEM as `key generate` writes, or a certificate).
fn read_public_key(path: &Path) -> Result<PublicKey, Failure> {
    const LIMIT: u64 = 1 << 20;
    let file = std::fs::File::open(path).context("unable to read public key from file")?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, LIMIT), &mut bytes)
        .context("unable to read public key from file")?;
    notary_client::key_file::decode_public_key(&bytes)
        .with_context(|| format!("could not parse public key from file: {}", path.display()))
}

/// Adds the signer to one repository, initialising it first (with docker's lines) when it
/// has no trust data.
async fn add_to(trust: &DockerTrust, signer: &str, repo_name: &str, keys: &[PublicKey]) -> Result<(), Failure> {
    let reference = parse_reference(repo_name)?;
    let repo = repository(trust, &reference)?;
    match repo.update().await {
        Ok(_) => {}
        Err(e) if not_found(&e) => {
            println!("Initializing signed repository for {repo_name}...");
            repo.init(&InitOptions::default()).await.map_err(Failure::from_error)?;
            println!("Successfully initialized \"{repo_name}\"");
        }
        Err(e) => return Err(Failure::from_error(e)),
    }
    docker::add_signer(&repo, signer, keys).await.map_err(Failure::from_error)?;
    Ok(())
}

pub(crate) async fn remove(args: SignerRemoveArgs) -> Result<(), Failure> {
    Arity::AtLeast(2).check(&["signer", "remove"], args.args.len())?;
    let (signer, repos) = (&args.args[0], &args.args[1..]);
    let trust = docker_trust()?;
    let mut failed = Vec::new();
    for repo_name in repos {
        println!("Removing signer \"{signer}\" from {repo_name}...");
        if let Err(e) = remove_from(&trust, signer, repo_name, args.force).await {
            eprintln!("{}\n", chain(&e));
            failed.push(repo_name.as_str());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!("error removing signer from: {}", failed.join(", "))))
    }
}

/// Removes the signer from one repository, asking first (unless `force`) when its keys made
/// the last valid signatures of `targets/releases`.
async fn remove_from(trust: &DockerTrust, signer: &str, repo_name: &str, force: bool) -> Result<(), Failure> {
    let reference = parse_reference(repo_name)?;
    if signer == "releases" {
        return Err(Failure::new("releases is a reserved keyword and cannot be removed"));
    }
    let repo = repository(trust, &reference)?;
    let trusted = repo.update().await.with_context(|| format!("error retrieving signers for {repo_name}"))?;
    let role = format!("targets/{signer}");
    let Some(delegation) = trusted.delegations().into_iter().find(|d| d.role.as_str() == role) else {
        return Err(Failure::new(format!("no signer {signer} for repository {repo_name}")));
    };
    let mut force = force;
    if !force && signed_last_release(&trusted, &delegation) {
        let question = format!(
            "The signer \"{signer}\" signed the last released version of {repo_name}. Removing this signer will make \
             {repo_name} unpullable. Are you sure you want to continue?"
        );
        if !confirm(&question) {
            println!("\nAborting action.");
            return Ok(());
        }
        force = true;
    }
    docker::remove_signer(&repo, signer, force).await.map_err(Failure::from_error)?;
    println!("Successfully removed {signer} from {repo_name}\n");
    Ok(())
}

/// docker's `isLastSignerForReleases`: the signer made signatures `targets/releases` cannot
/// lose (a file nobody has signed yet does not count, as in docker ≤ 25).
fn signed_last_release(trusted: &TrustedRepository, signer: &DelegationInfo) -> bool {
    docker::releases_signatures_without(trusted, signer).is_some_and(|left| left.total > 0 && left.below_threshold())
}
