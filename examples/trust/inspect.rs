//! `trust inspect [--pretty] IMAGE[:TAG]...`: the library's [`TrustInspect`] of each
//! repository, printed in docker's formats ([`inspect_json`], [`TrustInspect::pretty`]).

use notary_client::docker::{DockerTrust, TrustInspect, inspect_json};

use crate::cli::InspectArgs;
use crate::common::{docker_trust, parse_reference, repository, tag_of};
use crate::support::errors::{Context, Failure, chain};
use crate::usage::Arity;

pub(crate) async fn run(args: InspectArgs) -> Result<(), Failure> {
    Arity::AtLeast(1).check(&["inspect"], args.images.len())?;
    let trust = docker_trust()?;
    if args.pretty {
        // As docker's `--pretty`: the first repository that cannot be read ends the command.
        for (index, remote) in args.images.iter().enumerate() {
            print!("{}", lookup(&trust, remote).await?.pretty());
            if index + 1 < args.images.len() {
                print!("\n\n");
            }
        }
        return Ok(());
    }
    // As docker's `inspect.Inspect`: every repository that could be read is printed (a JSON
    // array, `[]` when none could), then the errors of the others, joined, exit status 1.
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for remote in &args.images {
        match lookup(&trust, remote).await {
            Ok(report) => reports.push(report),
            Err(e) => errors.push(chain(&e)),
        }
    }
    println!("{}", inspect_json(&reports).context("cannot encode the report as JSON")?);
    if errors.is_empty() { Ok(()) } else { Err(Failure::new(errors.join("\n"))) }
}

/// `docker trust inspect`'s model of `remote`, from its verified trust data.
async fn lookup(trust: &DockerTrust, remote: &str) -> Result<TrustInspect, Failure> {
    let reference = parse_reference(remote)?;
    let repo = repository(trust, &reference)?;
    let trusted = repo.update().await.with_context(|| format!("no signatures or cannot access {remote}"))?;
    Ok(TrustInspect::new(&trusted, remote, tag_of(&reference)))
}
