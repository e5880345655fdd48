//! `examples/verify_dir.rs`, run as a user runs it: exit codes and output on the real fixtures.
//! scripts/test runs `cargo build --examples` first (`cargo test --all-targets` alone builds
//! examples only as test harnesses).

#[path = "support/examples.rs"]
mod examples;

use std::path::Path;
use std::process::{Command, Output};

const APP_DIR: &str = "fixtures/notary-cli/trust/tuf/localhost:5000/fixtures/app/metadata";

fn run(args: &[&str]) -> Option<Output> {
    let out = Command::new(examples::example("verify_dir")?)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    Some(out)
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn prints_roles_and_targets_and_exits_zero() {
    let Some(out) = run(&[APP_DIR, "--at", "2026-11-27T00:00:00Z"]) else { return };
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("GUN localhost:5000/fixtures/app"), "{stdout}");
    for role in ["root", "timestamp", "snapshot", "targets", "targets/releases", "targets/qa"] {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("{role} "))), "{role} missing:\n{stdout}");
    }
    assert!(
        stdout.contains("v1.0") && stdout.contains("7b4871e6b35405054627068a49669e601dc93c5201ec75105d5858b79aecea12")
    );
}

#[test]
fn expired_trust_data_exits_one_naming_the_role() {
    let Some(out) = run(&[APP_DIR, "--at", "2026-12-27T00:00:00Z"]) else { return };
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("timestamp: expired"), "{}", text(&out.stderr));
}

#[test]
fn a_pinned_root_key_that_is_not_the_root_exits_one() {
    let id = "ab".repeat(32);
    let Some(out) = run(&[APP_DIR, "--at", "2026-11-27T00:00:00Z", "--root-key-id", &id]) else { return };
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a root key"), "{}", text(&out.stderr));
}

#[test]
fn the_root_key_can_be_pinned_by_its_private_key_file_id() {
    // The canonical ID is the private key file name; the TUF ID is the certificate key's.
    let root = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(APP_DIR).join("root.json")).unwrap();
    let root = notary_client::metadata::Signed::<notary_client::metadata::Root>::parse(
        notary_client::metadata::RoleName::root(),
        &root,
    )
    .unwrap();
    let tuf_id = &root.signed().role("root").unwrap().key_ids()[0];
    let canonical = root.signed().keys[tuf_id].canonical_id().unwrap();
    for id in [tuf_id.as_str(), canonical.as_str()] {
        let Some(out) = run(&[APP_DIR, "--at", "2026-11-27T00:00:00Z", "--root-key-id", id]) else { return };
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

#[test]
fn usage_errors_exit_two_and_help_exits_zero() {
    let Some(out) = run(&["--bogus"]) else { return };
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage: verify_dir"));
    let Some(out) = run(&["--help"]) else { return };
    assert_eq!(out.status.code(), Some(0));
    let Some(out) = run(&["/nonexistent/metadata"]) else { return };
    assert_eq!(out.status.code(), Some(2), "no GUN can be inferred from a path without tuf/");
}

#[test]
fn every_role_lists_its_own_targets_and_flags_those_outside_its_paths() {
    let Some(out) = run(&[APP_DIR, "--at", "2026-11-27T00:00:00Z"]) else { return };
    let stdout = text(&out.stdout);
    // targets/qa's `qa/shared` is shadowed for clients by targets/releases, but still listed here.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("targets/qa ") && l.contains("qa/shared") && l.contains("aa54a2d258ca4aa0")),
        "{stdout}"
    );
}
