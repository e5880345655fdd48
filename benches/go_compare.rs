//! Offline verification of the same repository by the real Go `notary` CLI and by this crate.
//!
//! Builds a repository with a `targets/releases` delegation holding N Docker-style targets
//! (sha256 only) in a trust-dir cache, then measures, over several runs, the wall time of
//! * Go: `notary -d DIR -s <unreachable> list GUN -r targets/releases` (verifies the cache
//!   offline; includes process start-up and printing N lines to /dev/null);
//! * Rust: `TrustedRepository::verify` + `role_targets` (in process).
//!
//! `cargo bench --bench go_compare` uses N = 75,000 and 5 runs; under `cargo test` (no `--bench`
//! argument) it runs once with N = 200 as a smoke test, checking both list the same targets.

use std::process::{Command, Stdio};
use std::time::Instant;

use notary_client::certs::TrustPinning;
use notary_client::clock::SystemClock;
use notary_client::metadata::{FileMeta, RoleName};
use notary_client::trusted::{DirectorySource, TrustedRepository};

#[path = "../tests/support/repo_builder.rs"]
mod repo_builder;
#[path = "support/go_compare.rs"]
mod support;

const GUN: &str = "localhost:5000/bench/app";

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (n, runs) = if bench { (75_000, 5) } else { (200, 1) };
    if !support::notary_installed("go_compare") {
        return;
    }

    let releases: Vec<(String, FileMeta)> = (0..n)
        .map(|i| (format!("tag-{i:06}"), FileMeta::sha256_only([(i % 251) as u8; 32], 1000 + i as i64)))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let files = rt.block_on(repo_builder::build_repo(GUN, Vec::new(), releases));
    let trust = tempfile::tempdir().expect("tempdir");
    let meta = repo_builder::write_trust_dir(&files, GUN, trust.path());

    let mut go = Vec::new();
    let mut go_lines = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let out = Command::new("notary")
            .arg("-d")
            .arg(trust.path())
            .args(["-s", "https://127.0.0.1:9", "list", GUN, "-r", "targets/releases"])
            .stderr(Stdio::null())
            .output()
            .expect("run notary");
        go.push(start.elapsed());
        assert!(out.status.success(), "notary list failed");
        go_lines = out.stdout.split(|&b| b == b'\n').filter(|l| l.starts_with(b"tag-")).count();
    }

    let mut ours = Vec::new();
    let mut our_count = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let repo = TrustedRepository::verify(&DirectorySource::new(&meta), GUN, &TrustPinning::default(), &SystemClock)
            .expect("verify");
        our_count = repo.role_targets(&RoleName::releases()).len();
        ours.push(start.elapsed());
    }

    assert_eq!(go_lines, n, "Go lists every target");
    assert_eq!(our_count, n, "we list every target");
    let size = files["targets/releases"].len();
    println!("go_compare: {n} targets in targets/releases ({size} bytes), median of {runs} run(s)");
    println!("  Go   notary list -r targets/releases (offline) : {:>10.1?}", support::median(go));
    println!("  Rust TrustedRepository::verify + role_targets  : {:>10.1?}", support::median(ours));
}
