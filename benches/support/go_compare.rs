//! What the Go comparisons share: the median of timings and the notary CLI check.

use std::process::{Command, Stdio};
use std::time::Duration;

/// The median of `v` (upper median for an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Whether the notary CLI is installed; in CI it must be (`scripts/test` installs it), outside
/// CI `bench` is skipped with a notice.
pub fn notary_installed(bench: &str) -> bool {
    if Command::new("notary").arg("version").stdout(Stdio::null()).status().is_ok_and(|s| s.success()) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "the notary CLI must be installed in CI");
    eprintln!("{bench}: skipped, the notary CLI is not installed (run scripts/test)");
    false
}
