//! Code shared by the example binaries, included with `#[path = "support/mod.rs"] mod support;`
//! from `examples/push_and_sign.rs` and `#[path = "../support/mod.rs"] mod support;` from
//! `examples/trust/main.rs` (cargo builds `examples/*.rs` and `examples/*/main.rs` as examples, so this directory is
//! not an example of its own):
//!
//! * [`init_tracing`]: `RUST_LOG` tracing to stderr (default `warn`);
//! * [`passphrases`] ([`passphrase::DockerPassphrases`]): Docker's passphrase variables, then
//!   notary's prompt;
//! * [`progress`] ([`progress::PushBars`]): upload progress, bars on a terminal and plain lines
//!   otherwise;
//! * [`report_error`] and [`errors`]: one-line error reports with their causes (as docker
//!   prints them), and exit codes.
//!
//! Each example uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod errors;
pub mod passphrase;
pub mod progress;

use std::process::ExitCode;
use std::sync::Arc;

use notary_client::registry::PushProgress;

/// Docker's passphrase variables, then notary's prompt ([`passphrase::DockerPassphrases`]):
/// give it to `DockerTrust::with_passphrases`.
pub fn passphrases() -> passphrase::DockerPassphrases {
    passphrase::DockerPassphrases::new()
}

/// Push progress on stderr: bars on a terminal, plain lines otherwise ([`progress::PushBars`]).
pub fn progress() -> Arc<dyn PushProgress> {
    Arc::new(progress::PushBars::new())
}

/// Prints `error` and its causes on one line of stderr (as docker prints errors) and returns
/// exit status `code`.
pub fn report_error(error: &(dyn std::error::Error + 'static), code: u8) -> ExitCode {
    eprintln!("{}", errors::chain(error));
    ExitCode::from(code)
}

/// Sends `tracing` events to stderr, filtered by `RUST_LOG` (`warn` when unset; e.g.
/// `RUST_LOG=notary_client=debug` shows every request to the notary server and the registry).
/// An invalid `RUST_LOG` is reported and `warn` is used instead.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(&value).unwrap_or_else(|e| {
            eprintln!("warning: ignoring RUST_LOG={value:?} ({e}); logging warnings only");
            EnvFilter::new("warn")
        }),
        _ => EnvFilter::new("warn"),
    };
    // `try_init`: a second call (or a subscriber set by someone else) is not an error.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
