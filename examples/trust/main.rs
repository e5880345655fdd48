//! `docker trust` without Docker: the same commands, arguments, prompts, output lines and
//! exit codes as the docker CLI (28.x), so scripts written for `docker trust` keep working —
//! and no Docker daemon is needed, not even for `sign`.
//!
//! ```text
//! cargo run --example trust -- inspect [--pretty] IMAGE[:TAG]...
//! cargo run --example trust -- key generate NAME [--dir DIR]
//! cargo run --example trust -- key load [--name NAME] KEYFILE
//! cargo run --example trust -- signer add --key KEY.pub [--key …] NAME REPOSITORY...
//! cargo run --example trust -- signer remove [-f] NAME REPOSITORY...
//! cargo run --example trust -- sign IMAGE:TAG
//! cargo run --example trust -- revoke [-y] IMAGE[:TAG]
//! ```
//!
//! Docker's settings are used as the docker CLI uses them: `DOCKER_CONFIG` (else `~/.docker`)
//! with `config.json` credentials and credential helpers, the keys in `trust/private`, the CA
//! of the notary server in `tls/<host:port>/ca.crt`; `DOCKER_CONTENT_TRUST_SERVER`;
//! `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` and `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`
//! (when unset, notary's prompts: see `support/passphrase.rs`). `RUST_LOG` traces to stderr.
//!
//! Where this differs from docker, and why:
//! * `sign IMAGE:TAG` signs the manifest the registry serves for the tag now (fetched; no
//!   local image, no push), printed as `TAG: digest: sha256:… size: N`. Docker pushes the
//!   local image through the daemon, or re-signs the digest already released for the tag.
//!   `--local` needs the daemon and is refused with a message; `--insecure-registry HOST`
//!   (plain-HTTP registries, the daemon's setting in docker) is an addition.
//! * `sign` on a repository without trust data creates the signer `targets/<registry user>`
//!   as docker does. Without a registry user name docker fails with a notary error; this
//!   fails before changing anything, saying what to do. Its `Created signer` / `Finished
//!   initializing` lines come after any passphrase prompt (one library call does both).
//! * `signer remove` removes the signer: docker 26–28 never does unless its prompt is
//!   answered `y` (not even with `--force`). As docker ≤ 25, it asks only when the signer's
//!   keys made the last valid signatures of `targets/releases`, prints `Aborting action.`
//!   when declined, and removes a signer of a repository with nothing signed yet (docker
//!   refuses: "all signed tags are currently revoked").
//! * Passphrases piped on stdin are read one line per prompt (docker loses the lines after
//!   its first prompt); when stdin ends, the command fails at once instead of asking 11 times.
//! * `key load` of an encrypted key stores it (docker 28 prints success and stores nothing).
//! * Error texts come from this library when docker's would only repeat a notary error
//!   (e.g. a wrong passphrase names the key instead of "could not find necessary signing
//!   keys"); the lines scripts look for (`Successfully …`, `failed to add signer to: …`)
//!   and the exit codes are docker's.
//!
//! Exit status: 0 success (and a declined confirmation), 1 failure or wrong number of
//! arguments, 125 unknown or malformed flag — as docker.
//!
//! Layout: `cli.rs` (the commands and flags), `usage.rs` (docker's usage errors), `common.rs`
//! (settings, references, prompts), then one file per command: `inspect.rs`, `key.rs`,
//! `signer.rs`, `sign.rs`, `revoke.rs`. The work itself is `notary_client::docker`'s.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod common;
mod inspect;
mod key;
mod revoke;
mod sign;
mod signer;
mod usage;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, KeyCommand, SignerCommand};
use support::errors::Failure;

/// The program name in messages (docker's `binName`).
const BIN: &str = "trust";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    support::init_tracing();
    let args: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage::usage_error(&e, &args),
    };
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Inspect(args) => inspect::run(args).await,
        Command::Key(KeyCommand::Generate(args)) => key::generate(args),
        Command::Key(KeyCommand::Load(args)) => key::load(args),
        Command::Signer(SignerCommand::Add(args)) => signer::add(args).await,
        Command::Signer(SignerCommand::Remove(args)) => signer::remove(args).await,
        Command::Sign(args) => sign::run(args).await,
        Command::Revoke(args) => revoke::run(args).await,
    }
}
