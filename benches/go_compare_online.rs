//! Reading a repository from the same local notary-server: the real Go `notary list` and this
//! crate's `Repository::update` + `targets()`, each with a cold cache (empty trust dir: root
//! TOFU, every file downloaded) and a warm one (only the timestamp is new).
//!
//! The repository is published by the real notary CLI on a stack started by
//! `scripts/stack.sh` (tests/support/stack.rs): server-managed snapshot, a `targets/releases`
//! delegation and N targets. `cargo bench --bench go_compare_online` uses N = 200 and 15 runs;
//! under `cargo test` it runs once with N = 3 as a smoke test, checking both list the same
//! targets.

#[path = "support/go_compare.rs"]
mod support;

// Their unit tests are not run here (no test harness), so their imports go unused.
#[allow(unused_imports)]
#[path = "../tests/support/notary_cli.rs"]
mod notary_cli;
#[allow(unused_imports)]
#[path = "../tests/support/stack.rs"]
mod stack;

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use notary_client::metadata::Gun;
use notary_client::repository::Repository;
use notary_client::server::NotaryServer;
use notary_client::trust_dir::TrustDir;

fn go_list(stack: &stack::Stack, trust: &Path, gun: &str) -> usize {
    let out = stack.notary(trust).args(["list", gun]).stderr(Stdio::null()).output().expect("run notary");
    assert!(out.status.success(), "notary list failed");
    out.stdout.split(|&b| b == b'\n').filter(|l| l.starts_with(b"tag-")).count()
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (n, runs) = if bench { (200, 15) } else { (3, 1) };
    if !support::notary_installed("go_compare_online") {
        return;
    }
    let stack = stack::Stack::up();
    let gun = "localhost:5000/bench/online";
    let repo = notary_cli::CliRepo::init(&stack, gun);
    repo.stage_delegation("targets/releases", notary_cli::ALL_PATHS);
    for i in 0..n {
        repo.stage_target(&format!("tag-{i:04}"), format!("manifest {i}\n").as_bytes(), Some("targets/releases"));
    }
    repo.publish();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let server = NotaryServer::builder(stack.notary_url())
        .add_ca_pem(&std::fs::read(stack.notary_ca()).expect("stack CA"))
        .build()
        .expect("server");
    let ours = |trust: &Path| {
        let repository = Repository::new(Gun::new(gun).expect("gun"), server.clone(), TrustDir::new(trust));
        rt.block_on(repository.update()).expect("update").targets().len()
    };

    let mut results = Vec::new();
    for (label, warm) in [("cold", false), ("warm", true)] {
        let (mut go, mut rust) = (Vec::new(), Vec::new());
        let (go_warm, rust_warm) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
        if warm {
            go_list(&stack, go_warm.path(), gun);
            ours(rust_warm.path());
        }
        for _ in 0..runs {
            let (go_dir, rust_dir) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
            let go_trust = if warm { go_warm.path() } else { go_dir.path() };
            let rust_trust = if warm { rust_warm.path() } else { rust_dir.path() };
            let start = Instant::now();
            assert_eq!(go_list(&stack, go_trust, gun), n, "Go lists every target");
            go.push(start.elapsed());
            let start = Instant::now();
            assert_eq!(ours(rust_trust), n, "we list every target");
            rust.push(start.elapsed());
        }
        results.push((label, support::median(go), support::median(rust)));
    }
    println!("go_compare_online: {n} targets in targets/releases, local notary-server, median of {runs} run(s)");
    for (label, go, rust) in results {
        println!("  {label}: Go notary list {go:>10.1?}   Rust Repository::update + targets {rust:>10.1?}");
    }
}
