//! The commands and flags, with docker's names, usage lines and help texts. Positional
//! arguments are collected as lists and counted by [`crate::usage::Arity`], so that a wrong
//! count gets docker's message and exit status 1 (clap's would be exit status 2).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::BIN;

const ENVIRONMENT: &str = "\
Environment (as the docker CLI):
  DOCKER_CONFIG                               configuration directory (default ~/.docker): config.json
                                              credentials, trust/private keys, tls/<host:port>/ca.crt
  DOCKER_CONTENT_TRUST_SERVER                 notary server URL (default: https://notary.docker.io for
                                              Docker Hub, else https://<registry host>)
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE        passphrase of root keys (else asked on the terminal or
                                              read as a line of stdin)
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE  passphrase of every other key (targets, signer keys)
  RUST_LOG                                    tracing to stderr, e.g. RUST_LOG=notary_client=debug";

const INSPECT_HELP: &str = "\
Prints, as JSON (or with --pretty as text), each repository's signed tags with their digests and
signers, its signers and their keys, and its root and repository keys; with :TAG, only that tag.
Repositories that cannot be read are reported on stderr (exit status 1) after the others.";

const KEY_GENERATE_HELP: &str = "\
Generates a P-256 key NAME: the private key goes to $DOCKER_CONFIG/trust/private (encrypted with
DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, else a passphrase asked twice), the public key to
DIR/NAME.pub, for `trust signer add --key`. NAME: lower-case letters, digits, `_` and `-`.";

const KEY_LOAD_HELP: &str = "\
Imports a private key file (PKCS#8, encrypted PKCS#8, SEC1 or notary's format; readable by its
owner only) into $DOCKER_CONFIG/trust/private as the key of signer NAME.";

const SIGNER_ADD_HELP: &str = "\
Adds signer NAME (the role targets/NAME, and its keys to targets/releases) to each repository,
initialising a repository without trust data first (a root key: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE).";

const SIGNER_REMOVE_HELP: &str = "\
Removes signer NAME from each repository. When its keys made the last valid signatures of
targets/releases (the tags would no longer verify for docker pull), asks first unless --force.";

const SIGN_HELP: &str = "\
Signs IMAGE:TAG as the manifest the registry serves for it now (no local image, no Docker daemon),
into the roles docker chooses: every signer role whose key is in $DOCKER_CONFIG/trust/private (and
targets/releases), or targets when the repository has no signers.
A repository without trust data is initialised with the signer targets/<registry user name>,
as docker does (the user of config.json or the credential helper for the registry).";

const REVOKE_HELP: &str = "\
Removes the signature of IMAGE:TAG, or of every tag of IMAGE (after a confirmation unless --yes),
from the roles whose keys are in $DOCKER_CONFIG/trust/private.";

/// Manage trust on Docker images — `docker trust` without a Docker daemon.
#[derive(Parser)]
#[command(
    name = BIN,
    override_usage = "trust COMMAND",
    after_help = ENVIRONMENT,
    subcommand_required = true,
    arg_required_else_help = true,
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Return low-level information about keys and signatures
    #[command(override_usage = "trust inspect IMAGE[:TAG] [IMAGE[:TAG]...]", after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
    /// Manage keys for signing Docker images
    #[command(
        subcommand,
        override_usage = "trust key COMMAND",
        subcommand_required = true,
        arg_required_else_help = true
    )]
    Key(KeyCommand),
    /// Manage entities who can sign Docker images
    #[command(
        subcommand,
        override_usage = "trust signer COMMAND",
        subcommand_required = true,
        arg_required_else_help = true
    )]
    Signer(SignerCommand),
    /// Sign an image (the manifest the registry serves for the tag; no daemon needed)
    #[command(override_usage = "trust sign IMAGE:TAG", after_help = SIGN_HELP)]
    Sign(SignArgs),
    /// Remove trust for an image
    #[command(override_usage = "trust revoke [OPTIONS] IMAGE[:TAG]", after_help = REVOKE_HELP)]
    Revoke(RevokeArgs),
}

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate and load a signing key-pair
    #[command(override_usage = "trust key generate NAME", after_help = KEY_GENERATE_HELP)]
    Generate(KeyGenerateArgs),
    /// Load a private key file for signing
    #[command(override_usage = "trust key load [OPTIONS] KEYFILE", after_help = KEY_LOAD_HELP)]
    Load(KeyLoadArgs),
}

#[derive(Subcommand)]
pub(crate) enum SignerCommand {
    /// Add a signer
    #[command(override_usage = "trust signer add OPTIONS NAME REPOSITORY [REPOSITORY...] ", after_help = SIGNER_ADD_HELP)]
    Add(SignerAddArgs),
    /// Remove a signer
    #[command(override_usage = "trust signer remove [OPTIONS] NAME REPOSITORY [REPOSITORY...]", after_help = SIGNER_REMOVE_HELP)]
    Remove(SignerRemoveArgs),
}

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// Print the information in a human friendly format
    #[arg(long)]
    pub(crate) pretty: bool,
    #[arg(value_name = "IMAGE[:TAG]", hide = true)]
    pub(crate) images: Vec<String>,
}

#[derive(Args)]
pub(crate) struct KeyGenerateArgs {
    /// Directory to generate key in, defaults to current directory
    #[arg(long, value_name = "string")]
    pub(crate) dir: Option<PathBuf>,
    #[arg(value_name = "NAME", hide = true)]
    pub(crate) name: Vec<String>,
}

#[derive(Args)]
pub(crate) struct KeyLoadArgs {
    /// Name for the loaded key
    #[arg(long, value_name = "string", default_value = "signer")]
    pub(crate) name: String,
    #[arg(value_name = "KEYFILE", hide = true)]
    pub(crate) file: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct SignerAddArgs {
    /// Path to the signer's public key file (repeat for several keys)
    #[arg(long = "key", value_name = "list")]
    pub(crate) keys: Vec<PathBuf>,
    #[arg(value_name = "NAME REPOSITORY", hide = true)]
    pub(crate) args: Vec<String>,
}

#[derive(Args)]
pub(crate) struct SignerRemoveArgs {
    /// Do not prompt for confirmation before removing the most recent signer
    #[arg(short, long)]
    pub(crate) force: bool,
    #[arg(value_name = "NAME REPOSITORY", hide = true)]
    pub(crate) args: Vec<String>,
}

#[derive(Args)]
pub(crate) struct SignArgs {
    /// Sign a locally tagged image (needs the Docker daemon: refused here)
    #[arg(long)]
    pub(crate) local: bool,
    /// Registry host[:port] reached over plain HTTP, as the daemon's insecure-registries
    /// (loopback ones always are; not a docker CLI flag)
    #[arg(long, value_name = "HOST")]
    pub(crate) insecure_registry: Vec<String>,
    #[arg(value_name = "IMAGE:TAG", hide = true)]
    pub(crate) image: Vec<String>,
}

#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub(crate) yes: bool,
    #[arg(value_name = "IMAGE[:TAG]", hide = true)]
    pub(crate) image: Vec<String>,
}
