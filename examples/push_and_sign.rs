//! Push an image and sign its tag with Docker Content Trust, without a Docker daemon — the
//! `docker push` of a CI job with `DOCKER_CONTENT_TRUST=1`.
//!
//! ```text
//! push_and_sign --oci-layout DIR [--ref NAME] IMAGE:TAG
//! push_and_sign --docker-archive FILE [--ref NAME] IMAGE:TAG
//! push_and_sign --sign-only IMAGE:TAG          # sign the tag as the registry serves it now
//! ```
//!
//! Docker's settings are used as they are: `DOCKER_CONFIG` (registry credentials from
//! `config.json` and credential helpers, keys in `trust/private`, CAs in `tls/<host:port>/`),
//! `DOCKER_CONTENT_TRUST_SERVER`, `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` (the delegation
//! key) and `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` (only to initialise a new repository).
//!
//! Exit codes: 0 pushed and signed; 1 failed, nothing signed (see the message: whether the
//! image was pushed is said); 2 usage; 3 the image was pushed but its tag is NOT signed.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser};
use notary_client::docker::{
    DockerTrust, ImageReference, InitPolicy, PushSignError, SignOptions, SignedImage, push_and_sign, sign_registry_tag,
};
use notary_client::registry::{Image, PushOptions};

/// Push an image (OCI layout or docker-archive) and sign its tag with Docker Content Trust.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
#[command(group(ArgGroup::new("source").required(true).args(["oci_layout", "docker_archive", "sign_only"])))]
struct Args {
    /// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/`).
    #[arg(long, value_name = "DIR")]
    oci_layout: Option<PathBuf>,
    /// A `docker save` tarball (legacy `manifest.json` form or the OCI layout in a tar).
    #[arg(long, value_name = "FILE")]
    docker_archive: Option<PathBuf>,
    /// Push nothing: sign the tag as the registry serves it now.
    #[arg(long)]
    sign_only: bool,
    /// Which image of the layout or archive (`org.opencontainers.image.ref.name`, or a
    /// `RepoTags` entry); needed when it holds several.
    #[arg(long = "ref", value_name = "NAME")]
    ref_name: Option<String>,
    /// Repositories on the same registry that may hold the layers (cross-repository mount).
    #[arg(long, value_name = "REPO")]
    mount_from: Vec<String>,
    /// A registry (`host[:port]`) to reach over plain HTTP; loopback registries always are.
    #[arg(long, value_name = "HOST")]
    insecure_registry: Vec<String>,
    /// Never initialise trust data: fail if the repository has none. By default a new
    /// repository is initialised as `docker push` would, which needs the root key's
    /// passphrase (DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, or a prompt on a terminal).
    #[arg(long)]
    no_init: bool,
    /// The image reference to push and sign, with its tag.
    #[arg(value_name = "IMAGE:TAG")]
    image: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    support::init_tracing();
    let args = Args::parse();
    match run(&args).await {
        Ok(signed) => {
            report(&args.image, &signed);
            ExitCode::SUCCESS
        }
        Err(Failure::Unsigned(e)) => support::report_error(&e, 3),
        Err(Failure::Other(e)) => support::report_error(e.as_ref(), 1),
    }
}

enum Failure {
    /// Pushed, not signed.
    Unsigned(PushSignError),
    Other(Box<dyn std::error::Error>),
}

impl<E: std::error::Error + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Other(Box::new(e))
    }
}

async fn run(args: &Args) -> Result<SignedImage, Failure> {
    let reference = ImageReference::parse(&args.image)?;
    let trust = DockerTrust::from_env()?
        .with_passphrases(support::passphrases())
        .with_insecure_registries(args.insecure_registry.iter().cloned());
    let options = SignOptions {
        init: if args.no_init || !root_passphrase_available() { InitPolicy::Never } else { InitPolicy::AsDockerPush },
        push: PushOptions { progress: Some(support::progress()), mount_from: args.mount_from.clone() },
    };
    let image = match (&args.oci_layout, &args.docker_archive) {
        (Some(dir), _) => Some(Image::from_oci_layout(dir, args.ref_name.as_deref())?),
        (None, Some(file)) => Some(Image::from_docker_archive(file, args.ref_name.as_deref())?),
        (None, None) => None,
    };
    let result = match &image {
        Some(image) => {
            println!("The push refers to repository [{}]", reference.name());
            push_and_sign(&trust, &reference, image, &options).await
        }
        None => sign_registry_tag(&trust, &reference, &options).await,
    };
    match result {
        Ok(signed) => Ok(signed),
        Err(e @ PushSignError::Unsigned { .. }) => Err(Failure::Unsigned(e)),
        Err(e) => Err(e.into()),
    }
}

/// Initialising needs the root key's passphrase: from Docker's variable, or typed at a prompt.
/// Without either (a CI job that only holds a delegation key), a repository without trust
/// data is an error that says how to initialise it, instead of a failed prompt.
fn root_passphrase_available() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE").is_some_and(|v| !v.is_empty())
        || std::io::stdin().is_terminal()
}

/// Docker's lines (`TAG: digest: … size: …`, `Successfully signed …`) and the roles.
fn report(image: &str, signed: &SignedImage) {
    println!("{}: digest: {} size: {}", signed.tag, signed.digest, signed.size);
    println!("Signing and pushing trust metadata");
    if signed.initialized {
        let gun = ImageReference::parse(image).map(|r| r.gun().to_string()).unwrap_or_default();
        println!("Finished initializing \"{gun}\"");
    }
    let roles: Vec<&str> = signed.roles.iter().map(|r| r.as_str()).collect();
    println!("Signed into: {}", if roles.is_empty() { "(already signed)".to_owned() } else { roles.join(", ") });
    println!("Successfully signed {image}");
}
