//! Signing one tag into `targets/releases` of a repository that already has N tags, on the
//! same local notary-server: the real Go CLI (`notary addhash` + `notary publish`, warm trust
//! dir) and this crate's `Repository::publish` (warm trust dir, one reused `NotaryServer`).
//! Both download the current state, verify it, re-sign `targets/releases` and upload it.
//!
//! The repository is made by the real notary CLI on a stack started by `scripts/stack.sh`
//! (tests/support/stack.rs): server-managed snapshot, a `targets/releases` delegation whose key
//! both clients hold. `cargo bench --bench go_compare_publish` uses N = 200 and 15 runs; under
//! `cargo test` it runs once with N = 3 as a smoke test.

#[path = "support/go_compare.rs"]
mod support;

// Their unit tests are not run here (no test harness), so their imports go unused.
#[allow(unused_imports)]
#[path = "../tests/support/notary_cli.rs"]
mod notary_cli;
#[allow(unused_imports)]
#[path = "../tests/support/stack.rs"]
mod stack;

use std::sync::Arc;
use std::time::Instant;

use notary_client::keys::SoftwareKey;
use notary_client::metadata::{FileMeta, Gun, RoleName};
use notary_client::repository::{Change, Keyring, Repository};
use notary_client::server::NotaryServer;
use notary_client::trust_dir::TrustDir;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (n, runs) = if bench { (200, 15) } else { (3, 1) };
    if !support::notary_installed("go_compare_publish") {
        return;
    }
    let stack = stack::Stack::up();
    let gun = "localhost:5000/bench/publish";
    let cli = notary_cli::CliRepo::init(&stack, gun);
    let releases = cli.stage_delegation("targets/releases", notary_cli::ALL_PATHS);
    for i in 0..n {
        cli.stage_target(&format!("tag-{i:04}"), format!("manifest {i}\n").as_bytes(), Some("targets/releases"));
    }
    cli.publish();

    let der = pem::parse(&releases.key_pem).expect("delegation key PEM");
    let key = Arc::new(SoftwareKey::from_pkcs8(der.contents()).expect("delegation key"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let server = NotaryServer::builder(stack.notary_url())
        .add_ca_pem(&std::fs::read(stack.notary_ca()).expect("stack CA"))
        .build()
        .expect("server");
    let trust = tempfile::tempdir().expect("tempdir");
    let repo = Repository::new(Gun::new(gun).expect("gun"), server, TrustDir::new(trust.path()))
        .with_keys(Keyring::new().with_signer(key));
    rt.block_on(repo.update()).expect("warm our cache");
    cli.list(None); // warm the CLI's cache

    let (mut go, mut rust) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let digest = hex::encode([run as u8; 32]);
        let start = Instant::now();
        cli.run(&["addhash", gun, &format!("go-{run}"), "528", "--sha256", &digest, "--roles", "targets/releases"]);
        cli.publish();
        go.push(start.elapsed());

        let change = Change::add_target(
            RoleName::releases(),
            format!("rust-{run}"),
            FileMeta::sha256_only([run as u8; 32], 528),
        );
        let start = Instant::now();
        let published = rt.block_on(repo.publish(&[change])).expect("publish");
        rust.push(start.elapsed());
        assert_eq!(published.files.len(), 1, "only targets/releases goes up");
    }
    let listed = rt.block_on(repo.update()).expect("update").role_targets(&RoleName::releases()).len();
    assert_eq!(listed, n + 2 * runs, "both clients' tags are there");
    println!(
        "go_compare_publish: sign one tag into targets/releases holding {n}+ tags, local notary-server, median of {runs} run(s)"
    );
    println!(
        "  Go notary addhash + publish {:>10.1?}   Rust Repository::publish {:>10.1?}",
        support::median(go),
        support::median(rust)
    );
}
