//! `docker trust inspect` (the real docker CLI, no daemon) and our `TrustInspect` agree on
//! repositories published by the real notary CLI, and `signed_digest` resolves tags as
//! `docker pull` did.

#[path = "support/docker_cli.rs"]
mod docker_cli;
#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/stack.rs"]
mod stack;

use std::path::Path;

use docker_cli::{docker_config, docker_inspect, docker_installed};
use notary_client::docker::{DockerConfig, DockerTrust, ImageReference, TrustInspect, TrustServer, signed_digest};
use notary_client::metadata::RoleName;
use notary_client::trusted::TrustedRepository;
use stack::Stack;

/// Docker sorts rows by tag only, with an unstable sort: rows of one tag signed to several
/// digests come in any order. Orders them by digest, as `TrustInspect` does.
fn order_equal_tags_by_digest(mut inspect: serde_json::Value) -> serde_json::Value {
    let rows = inspect[0]["SignedTags"].as_array_mut().expect("SignedTags");
    let mut start = 0;
    while start < rows.len() {
        let end = (start..rows.len()).find(|&i| rows[i]["SignedTag"] != rows[start]["SignedTag"]).unwrap_or(rows.len());
        rows[start..end].sort_by(|a, b| a["Digest"].as_str().cmp(&b["Digest"].as_str()));
        start = end;
    }
    inspect
}

/// Our view of `name`, through Docker's conventions (GUN from the reference, server from
/// `DOCKER_CONTENT_TRUST_SERVER`, CA from `<config>/tls/<host>/`).
async fn our_repository(stack: &Stack, config: &Path, name: &str) -> TrustedRepository {
    let url = stack.notary_url().to_owned();
    let server = TrustServer::from_lookup(move |var| (var == "DOCKER_CONTENT_TRUST_SERVER").then(|| url.clone()));
    let docker = DockerTrust::new(config, DockerConfig::empty(), server);
    let reference = ImageReference::parse(name).expect("reference");
    docker.repository(&reference).expect("repository").update().await.expect("update")
}

#[tokio::test]
async fn trust_inspect_model_equals_docker_trust_inspect() {
    if !docker_installed("this test") || !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun = format!("{}/inspect/app", stack.registry_host());
    let scenario = notary_cli::delegation_scenario(&stack, &gun);
    // alice also signs releases' v2 (same bytes): docker lists her as a signer of v2.
    scenario.repo.add_target("v2", b"v2 signed by releases\n", Some("targets/alice"));

    let theirs_config = docker_config(&stack);
    let theirs = order_equal_tags_by_digest(docker_inspect(&stack, theirs_config.path(), &gun));
    let ours_config = docker_config(&stack);
    let trusted = our_repository(&stack, ours_config.path(), &gun).await;
    let ours = serde_json::to_value([TrustInspect::new(&trusted, &gun, None)]).expect("serialise");
    assert_eq!(ours, theirs, "ours:\n{ours:#}\ndocker:\n{theirs:#}");
    assert!(ours[0]["SignedTags"].as_array().is_some_and(|t| t.len() >= 3), "{ours:#}");

    // With a tag, only that tag is reported.
    let tagged = format!("{gun}:v2");
    let theirs = docker_inspect(&stack, theirs_config.path(), &tagged);
    let ours = serde_json::to_value([TrustInspect::new(&trusted, &tagged, Some("v2"))]).expect("serialise");
    assert_eq!(ours, theirs, "ours:\n{ours:#}\ndocker:\n{theirs:#}");
}

#[tokio::test]
async fn signed_digest_prefers_releases_then_targets_and_ignores_other_signers() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun = format!("{}/inspect/pull", stack.registry_host());
    let _scenario = notary_cli::delegation_scenario(&stack, &gun);
    let config = docker_config(&stack);
    let trusted = our_repository(&stack, config.path(), &gun).await;

    let sha = |bytes: &[u8]| format!("sha256:{}", notary_cli::sha256_hex(bytes));
    let v1 = signed_digest(&trusted, "v1").expect("v1 is signed");
    assert_eq!((v1.digest, v1.role), (sha(b"v1 signed by releases\n"), RoleName::releases()));
    let latest = signed_digest(&trusted, "latest").expect("latest is signed");
    assert_eq!((latest.digest, latest.role), (sha(b"latest signed by targets\n"), RoleName::targets()));
    // v3 is signed only by targets/alice: docker pull refused it.
    assert_eq!(signed_digest(&trusted, "v3"), None);
    assert_eq!(signed_digest(&trusted, "nope"), None);
}
