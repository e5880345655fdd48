//! The hostile-server suite: a real notary-server + notary-signer on loopback, a man in the
//! middle in front of it that answers the victim client as an attacker would, and — where the
//! attack needs it — the compromised server's own keys (it can have notary-signer sign
//! anything with the timestamp and snapshot keys, as a compromised notary-server can).
//!
//! Each scenario starts from a victim that read the repository once while the server was
//! honest, asserts the typed error (or the safe outcome) the attack must produce, and then
//! that the victim's cache holds nothing unverified. The scenarios follow the TUF
//! specification's attack list, notary's swizzler tests, tuf-conformance's groups and the
//! 2025 tough advisories; SECURITY.md maps each one to its test.

#[path = "support/compromised.rs"]
mod compromised;
#[path = "support/hostile.rs"]
mod hostile;
#[path = "support/mitm.rs"]
mod mitm;
#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/signer_rpc.rs"]
mod signer_rpc;
#[path = "support/stack.rs"]
mod stack;

use std::time::Duration;

use notary_client::canonical_json::{Value as CanonicalValue, to_canonical};
use notary_client::certs::{RootValidationError, generate_root_certificate};
use notary_client::docker::signed_digest;
use notary_client::keys::{SignatureError, Signer, SoftwareKey};
use notary_client::metadata::{
    Expires, FileMeta, Gun, KeyType, MetadataError, PublicKey, RoleKeys, RoleName, Root, Targets, VerifyError, Version,
    base64_decode, base64_encode,
};
use notary_client::repository::UpdateError;
use notary_client::server::ServerError;
use notary_client::trusted::{TrustError, TrustedRepository};

use hostile::{Layout, Scenario};
use mitm::{Answer, Target};

const RELEASES: &str = "targets/releases";

/// The scenario, or return (tools missing outside CI).
macro_rules! scenario {
    () => {
        match Scenario::start().await {
            Some(s) => s,
            None => return,
        }
    };
    ($layout:expr) => {
        match Scenario::with($layout).await {
            Some(s) => s,
            None => return,
        }
    };
}

/// The update's error (the update must fail).
async fn refused(s: &Scenario) -> UpdateError {
    match s.update().await {
        Ok(_) => panic!("the update accepted the attack"),
        Err(e) => e,
    }
}

/// `bytes` as a JSON envelope, edited by `edit`, re-serialised (the signed part's canonical
/// form, which signatures cover, is unchanged unless `edit` changes it).
fn edit_envelope(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("served JSON");
    edit(&mut v);
    serde_json::to_vec(&v).expect("JSON")
}

fn signatures(v: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    v["signatures"].as_array_mut().expect("signatures array")
}

// ------------------------------------------------------------------ helpers

/// `signed` (a role body as JSON) in canonical form, signed by `key` and labelled `method`,
/// as an envelope: how an attacker writes a file whose body our typed model cannot express.
async fn sign_json(key: &dyn Signer, method: &str, signed: serde_json::Value) -> Vec<u8> {
    let sig = key.sign(&canonical(&signed)).await.expect("sign");
    serde_json::to_vec(&serde_json::json!({
        "signed": signed,
        "signatures": [{"keyid": key.public_key().id().as_str(), "method": method, "sig": base64_encode(&sig)}],
    }))
    .expect("JSON")
}

/// The server's current timestamp with its (only) signature edited by `edit` must be refused
/// with that signature rejected for a reason `reason` accepts; the cache holds nothing of it.
async fn timestamp_signature_refused(
    s: &Scenario,
    edit: impl FnOnce(&mut serde_json::Value),
    reason: impl Fn(&SignatureError) -> bool,
) {
    let ts = edit_envelope(&s.server.current("timestamp").await, |v| edit(&mut signatures(v)[0]));
    s.mitm.serve_role("timestamp", ts);
    let e = refused(s).await;
    match e.reason() {
        TrustError::Verify(VerifyError::ThresholdNotMet { role, valid: 0, rejected, .. }) if role == "timestamp" => {
            assert!(matches!(rejected.as_slice(), [(_, r)] if reason(r)), "{rejected:?}");
        }
        _ => panic!("{e}"),
    }
    s.assert_cache_holds_only_verified();
}

/// The canonical form of a JSON value (what signatures cover).
fn canonical(value: &serde_json::Value) -> Vec<u8> {
    to_canonical(&CanonicalValue::parse(&serde_json::to_vec(value).expect("JSON")).expect("canonical"))
        .expect("canonical form")
}

/// The `signed` part of a file as JSON.
fn body_json(bytes: &[u8]) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
    v["signed"].clone()
}

/// The JSON of a target entry (sha256 of `byte` repeated, length 1).
fn target_json(byte: u8) -> serde_json::Value {
    serde_json::json!({"hashes": {"sha256": base64_encode(&[byte; 32])}, "length": 1})
}

/// The JSON of a public key entry.
fn key_json(key: &PublicKey) -> serde_json::Value {
    serde_json::json!({"keytype": key.key_type().as_str(), "keyval": {"private": null, "public": base64_encode(key.public())}})
}

/// The current `targets/releases` body as JSON, one version up, edited by `edit`, signed by the
/// CI job's first key (a stolen CI key, or the CI job itself).
async fn releases_file_by_ci(s: &Scenario, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut body = body_json(&s.server.current(RELEASES).await);
    body["version"] = (body["version"].as_u64().expect("version") + 1).into();
    edit(&mut body);
    sign_json(&*s.release_keys[0], "ecdsa", body).await
}

/// [`releases_file_by_ci`], resealed by the server.
async fn releases_signed_by_ci(s: &Scenario, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let file = releases_file_by_ci(s, edit).await;
    s.server.reseal(&s.mitm, &[(RELEASES, &file)]).await;
    file
}

/// A `delegations` object delegating `role` to `key`, listed under `keyids` (normally its own
/// ID once), at `threshold`, for `paths`.
fn delegating(role: &str, key: &PublicKey, keyids: &[&str], threshold: u32, paths: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "keys": {key.id().as_str(): key_json(key)},
        "roles": [{"name": role, "keyids": keyids, "threshold": threshold, "paths": paths}],
    })
}

/// A delegated targets body (version 1, no delegations of its own) listing `targets`.
fn targets_body(targets: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "_type": "Targets", "delegations": {"keys": {}, "roles": []},
        "expires": "2099-01-01T00:00:00Z", "version": 1, "targets": targets,
    })
}

/// An ECDSA signature `r‖s` (32 + 32 bytes) as ASN.1 DER, as Go's `ecdsa.SignASN1` writes it.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let int = |b: &[u8]| {
        let b = &b[b.iter().position(|&x| x != 0).unwrap_or(b.len() - 1)..];
        let mut out = vec![0x02];
        if b[0] & 0x80 != 0 {
            out.extend([b.len() as u8 + 1, 0]);
        } else {
            out.push(b.len() as u8);
        }
        out.extend_from_slice(b);
        out
    };
    let (r, s) = raw.split_at(32);
    let body = [int(r), int(s)].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

/// A delegation's skip record.
fn skipped<'a>(trusted: &'a TrustedRepository, role: &str) -> Option<&'a VerifyError> {
    trusted.skipped().iter().find(|r| r.role.as_str() == role).map(|r| &r.reason)
}

/// Target names the victim trusts.
fn names(trusted: &TrustedRepository) -> Vec<String> {
    trusted.targets().into_iter().map(|t| t.name).collect()
}

/// Nothing was cached (no metadata file in the trust dir).
fn assert_no_metadata(trust: &std::path::Path) {
    let json: Vec<_> =
        publish::files_below(trust).into_keys().filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    assert!(json.is_empty(), "cached: {json:?}");
}

/// Makes the victim fetch `root` (as `root.json`, by hash and as `<version>.root.json`): a
/// resealed snapshot lists it.
async fn offer_root(s: &Scenario, root: &[u8], version: u64) {
    s.mitm.always(Target::File(format!("{version}.root.json")), Answer::Bytes(root.to_vec()));
    s.server.reseal(&s.mitm, &[("root", root)]).await;
}

/// A new root key with a certificate for the scenario's GUN.
async fn new_root_key(s: &Scenario) -> SoftwareKey {
    let key = SoftwareKey::generate_p256().expect("key");
    let cert = generate_root_certificate(&s.gun, &key, s.start).await.expect("certificate");
    key.with_certificate(cert).expect("certificate of the key")
}

/// The current root, version `version`, with root keys `keys` at `threshold`.
async fn root_with(s: &Scenario, version: u64, keys: &[&SoftwareKey], threshold: u32) -> Root {
    let mut root: Root = s.server.body("root").await;
    root.version = Version::new(version).expect("version");
    for id in root.role("root").expect("root role").key_ids().to_vec() {
        root.keys.remove(&id);
    }
    for key in keys {
        root.keys.insert(key.public_key().id().clone(), key.public_key().clone());
    }
    root.roles
        .insert("root".into(), RoleKeys::new(keys.iter().map(|k| k.public_key().id().clone()).collect(), threshold));
    root
}

// ------------------------------------------------------------------ malformed responses

#[tokio::test]
async fn timestamp_that_is_not_json_is_a_parse_error() {
    let s = scenario!();
    s.mitm.serve_role("timestamp", b"{\"signed\": {\"_type\": \"Timestamp\"".to_vec());
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Metadata(MetadataError::Parse { role, .. }) if role == "timestamp"),
        "{e}"
    );
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn snapshot_that_is_not_json_behind_a_valid_hash_is_a_parse_error() {
    let s = scenario!();
    let garbage = b"<html>503 Service Temporarily Unavailable</html>".to_vec();
    let timestamp = s.server.timestamp_for(&garbage, |_| {}).await;
    s.mitm.serve_role("snapshot", garbage);
    s.mitm.serve_role("timestamp", timestamp);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Metadata(MetadataError::Parse { role, .. }) if role == "snapshot"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn snapshot_with_extra_whitespace_exceeds_the_length_the_timestamp_lists() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    let mut snapshot = s.server.current("snapshot").await;
    snapshot.push(b'\n');
    s.mitm.serve_role("snapshot", snapshot);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Server(ServerError::TooLarge { .. })), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn snapshot_with_whitespace_at_the_same_length_fails_the_timestamps_hash() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    let snapshot = s.server.current("snapshot").await;
    // A space after the opening brace, the closing brace dropped: same length, other bytes.
    let mut shifted = b"{ ".to_vec();
    shifted.extend_from_slice(&snapshot[1..snapshot.len() - 1]);
    s.mitm.serve_role("snapshot", shifted);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Hash { role, listed_by: "timestamp", .. } if role == "snapshot"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn timestamp_listing_a_negative_length_is_refused() {
    let s = scenario!();
    let mut body = body_json(&s.server.current("timestamp").await);
    body["version"] = (body["version"].as_u64().expect("version") + 1).into();
    body["meta"]["snapshot"]["length"] = (-1).into();
    s.mitm.serve_role("timestamp", sign_json(&s.server.timestamp_key, "ecdsa", body).await);
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Metadata(MetadataError::Parse { path, .. }) if path.ends_with("snapshot.length")),
        "{e:?}"
    );
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn timestamp_with_the_wrong_type_is_refused_though_the_server_key_signed_it() {
    let s = scenario!();
    let mut body = body_json(&s.server.current("timestamp").await);
    body["_type"] = "Snapshot".into();
    body["version"] = (body["version"].as_u64().expect("version") + 1).into();
    let ts = sign_json(&s.server.timestamp_key, "ecdsa", body).await;
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Metadata(MetadataError::WrongType { role, .. }) if role == "timestamp"),
        "{e}"
    );
    s.assert_cache_holds_only_verified();
}

// ------------------------------------------------------------------ signatures, keys and thresholds

#[tokio::test]
async fn timestamp_with_a_corrupted_signature_is_below_threshold() {
    let s = scenario!();
    timestamp_signature_refused(
        &s,
        |sig| {
            let text = sig["sig"].as_str().expect("sig").to_owned();
            let flipped = if text.starts_with('A') { text.replacen('A', "B", 1) } else { format!("A{}", &text[1..]) };
            sig["sig"] = flipped.into();
        },
        |r| matches!(r, SignatureError::Invalid),
    )
    .await;
}

#[tokio::test]
async fn timestamp_without_signatures_is_refused() {
    let s = scenario!();
    let ts = edit_envelope(&s.server.current("timestamp").await, |v| signatures(v).clear());
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Verify(VerifyError::NoSignatures { role }) if role == "timestamp"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn timestamp_signed_by_another_key_under_the_servers_key_id_is_refused() {
    let s = scenario!();
    let attacker = SoftwareKey::generate_p256().expect("key");
    let sig = attacker.sign(&canonical(&body_json(&s.server.current("timestamp").await))).await.expect("sign");
    timestamp_signature_refused(
        &s,
        |v| v["sig"] = base64_encode(&sig).into(),
        |r| matches!(r, SignatureError::Invalid),
    )
    .await;
}

#[tokio::test]
async fn timestamp_signed_only_by_a_key_root_does_not_list_is_refused() {
    let s = scenario!();
    let attacker = SoftwareKey::generate_p256().expect("key");
    let ts = sign_json(&attacker, "ecdsa", body_json(&s.server.current("timestamp").await)).await;
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Verify(VerifyError::ThresholdNotMet { role, valid: 0, .. }) if role == "timestamp"),
        "{e}"
    );
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn timestamp_signature_in_der_is_refused_as_go_refuses_it() {
    let s = scenario!();
    timestamp_signature_refused(
        &s,
        |v| {
            let raw = base64_decode(v["sig"].as_str().expect("sig")).expect("base64");
            v["sig"] = base64_encode(&der_signature(&raw)).into();
        },
        |r| matches!(r, SignatureError::BadLength { .. }),
    )
    .await;
}

#[tokio::test]
async fn signature_method_that_does_not_fit_the_trusted_key_is_refused() {
    let s = scenario!();
    timestamp_signature_refused(
        &s,
        |v| v["method"] = "eddsa".into(),
        |r| matches!(r, SignatureError::MethodKeyMismatch { .. }),
    )
    .await;
}

#[tokio::test]
async fn signature_with_an_unknown_method_is_refused() {
    let s = scenario!();
    timestamp_signature_refused(&s, |v| v["method"] = "none".into(), |r| matches!(r, SignatureError::UnknownMethod(_)))
        .await;
}

#[tokio::test]
async fn key_listed_as_rsa_holding_an_ecdsa_key_cannot_sign_with_rsapss() {
    let s = scenario!();
    let key = SoftwareKey::generate_p256().expect("key");
    // The delegation lists the ECDSA key's bytes under keytype "rsa": the key type, not the
    // signature's method, chooses the algorithm, and this key is no RSA key.
    let listed = PublicKey::new(KeyType::Rsa, key.public_key().public().to_vec());
    let sub_role = format!("{RELEASES}/sub");
    let releases = releases_file_by_ci(&s, |b| {
        b["delegations"] = delegating(&sub_role, &listed, &[listed.id().as_str()], 1, &[""])
    })
    .await;
    let sub = sign_json(&key, "rsapss", targets_body(serde_json::json!({"sneaky": target_json(9)}))).await;
    s.server.reseal(&s.mitm, &[(RELEASES, &releases), (&sub_role, &sub)]).await;
    let trusted = s.update().await.expect("an invalid delegation is skipped, as Go skips it");
    assert!(
        matches!(skipped(&trusted, &sub_role), Some(VerifyError::ThresholdNotMet { valid: 0, .. })),
        "{:?}",
        trusted.skipped()
    );
    assert!(!names(&trusted).contains(&"sneaky".to_owned()));
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn duplicate_signatures_by_one_key_count_once_toward_a_threshold() {
    let s = scenario!(Layout { release_keys: 2, release_threshold: 2, ..Layout::default() });
    let file = releases_signed_by_ci(&s, |b| b["targets"]["stolen"] = target_json(7)).await;
    // The same key's signature twice: the resealed snapshot lists this file.
    let doubled = edit_envelope(&file, |v| {
        let sig = signatures(v)[0].clone();
        signatures(v).push(sig);
    });
    s.server.reseal(&s.mitm, &[(RELEASES, &doubled)]).await;
    let trusted = s.update().await.expect("a delegation below threshold is skipped, as Go skips it");
    assert!(
        matches!(skipped(&trusted, RELEASES), Some(VerifyError::ThresholdNotMet { valid: 1, threshold: 2, .. })),
        "{:?}",
        trusted.skipped()
    );
    assert!(!names(&trusted).contains(&"stolen".to_owned()));
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn a_key_id_listed_twice_does_not_meet_a_threshold_of_two() {
    let s = scenario!();
    let key = SoftwareKey::generate_p256().expect("key");
    let id = key.public_key().id().as_str();
    let sub_role = format!("{RELEASES}/sub");
    // One key listed twice at threshold 2, and its signature twice: one distinct valid key.
    let releases =
        releases_file_by_ci(&s, |b| b["delegations"] = delegating(&sub_role, key.public_key(), &[id, id], 2, &[""]))
            .await;
    let sub = sign_json(&key, "ecdsa", targets_body(serde_json::json!({"sneaky": target_json(9)}))).await;
    let sub = edit_envelope(&sub, |v| {
        let sig = signatures(v)[0].clone();
        signatures(v).push(sig);
    });
    s.server.reseal(&s.mitm, &[(RELEASES, &releases), (&sub_role, &sub)]).await;
    let trusted = s.update().await.expect("the delegation is skipped");
    assert!(
        matches!(skipped(&trusted, &sub_role), Some(VerifyError::ThresholdNotMet { valid: 1, threshold: 2, .. })),
        "{:?}",
        trusted.skipped()
    );
    assert!(!names(&trusted).contains(&"sneaky".to_owned()));
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn delegation_signed_below_its_threshold_is_skipped() {
    let s = scenario!(Layout { release_keys: 2, release_threshold: 2, ..Layout::default() });
    releases_signed_by_ci(&s, |b| b["targets"]["stolen"] = target_json(7)).await;
    let trusted = s.update().await.expect("a delegation below threshold is skipped, as Go skips it");
    assert!(
        matches!(skipped(&trusted, RELEASES), Some(VerifyError::ThresholdNotMet { valid: 1, threshold: 2, .. })),
        "{:?}",
        trusted.skipped()
    );
    assert!(!names(&trusted).contains(&"stolen".to_owned()));
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn delegation_signed_by_a_key_its_parent_does_not_list_is_skipped() {
    let s = scenario!();
    let mut body = body_json(&s.server.current(RELEASES).await);
    body["version"] = (body["version"].as_u64().expect("version") + 1).into();
    body["targets"]["stolen"] = target_json(7);
    let file = sign_json(&SoftwareKey::generate_p256().expect("key"), "ecdsa", body).await;
    s.server.reseal(&s.mitm, &[(RELEASES, &file)]).await;
    let trusted = s.update().await.expect("an invalid delegation is skipped, as Go skips it");
    assert!(
        matches!(skipped(&trusted, RELEASES), Some(VerifyError::ThresholdNotMet { valid: 0, .. })),
        "{:?}",
        trusted.skipped()
    );
    assert!(!names(&trusted).contains(&"stolen".to_owned()));
    s.assert_cache_holds_only_verified();
}

// ------------------------------------------------------------------ rollback, freeze and version numbers

#[tokio::test]
async fn timestamp_rollback_is_refused() {
    let s = scenario!();
    let old = s.server.current("timestamp").await;
    s.owner_publishes("v2").await;
    s.update().await.expect("the victim reads the new state");
    s.mitm.serve_role("timestamp", old);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Rollback { role, .. } if role == "timestamp"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn snapshot_rollback_under_a_new_timestamp_is_refused() {
    let s = scenario!();
    let old = s.server.current("snapshot").await;
    s.owner_publishes("v2").await;
    s.update().await.expect("the victim reads the new state");
    let ts = s.server.timestamp_for(&old, |_| {}).await;
    s.mitm.serve_role("snapshot", old);
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Rollback { role, .. } if role == "snapshot"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn targets_rollback_under_a_new_snapshot_is_refused() {
    let s = scenario!();
    let old_targets = s.server.current("targets").await;
    s.owner_publishes("v2").await;
    s.update().await.expect("the victim reads the new targets");
    s.server.reseal(&s.mitm, &[("targets", &old_targets)]).await;
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Rollback { role, .. } if role == "targets"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn delegation_rollback_under_a_new_snapshot_is_refused() {
    let s = scenario!();
    let old = s.server.current(RELEASES).await;
    releases_signed_by_ci(&s, |b| b["targets"]["r2"] = target_json(4)).await;
    s.update().await.expect("the victim reads the new releases");
    s.server.reseal(&s.mitm, &[(RELEASES, &old)]).await;
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Rollback { role, .. } if role == RELEASES), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn frozen_timestamp_is_refused_once_it_expires() {
    let s = scenario!();
    // The server keeps serving the timestamp the victim already has; 15 days on it has expired.
    s.clock.advance(chrono::Duration::days(15));
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "timestamp"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn timestamp_version_at_2_pow_31_is_refused() {
    let s = scenario!();
    let mut body = body_json(&s.server.current("timestamp").await);
    body["version"] = (1u64 << 31).into();
    s.mitm.serve_role("timestamp", sign_json(&s.server.timestamp_key, "ecdsa", body).await);
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Metadata(MetadataError::Parse { role, path, .. }) if role == "timestamp" && path.contains("version")),
        "{e}"
    );
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn timestamp_version_beyond_2_pow_53_is_refused() {
    let s = scenario!();
    // Our canonical encoder refuses such a number; Go's writes its digits. Signed by hand.
    let mut body = body_json(&s.server.current("timestamp").await);
    body["version"] = 424242.into();
    let big = ((1u64 << 53) + 1).to_string();
    let canonical = String::from_utf8(canonical(&body))
        .expect("UTF-8")
        .replace("\"version\":424242", &format!("\"version\":{big}"));
    let sig = s.server.timestamp_key.sign(canonical.as_bytes()).await.expect("sign");
    let key_id = s.server.timestamp_key.public_key().id().as_str().to_owned();
    let file = format!(
        r#"{{"signed":{canonical},"signatures":[{{"keyid":"{key_id}","method":"ecdsa","sig":"{}"}}]}}"#,
        base64_encode(&sig)
    );
    s.mitm.serve_role("timestamp", file.into_bytes());
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Metadata(MetadataError::Parse { role, path, .. }) if role == "timestamp" && path.contains("version")),
        "{e}"
    );
    s.assert_cache_holds_only_verified();
}

// ------------------------------------------------------------------ expiry

#[tokio::test]
async fn timestamp_the_server_signed_already_expired_is_refused() {
    let s = scenario!();
    let snapshot = s.server.current("snapshot").await;
    let past = Expires::from_utc(s.start - chrono::Duration::hours(1));
    let ts = s.server.timestamp_for(&snapshot, |t| t.expires = past).await;
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "timestamp"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn expired_snapshot_is_refused() {
    let s = scenario!();
    let past = Expires::from_utc(s.start - chrono::Duration::hours(1));
    let snapshot = s.server.snapshot_for(&[], |b| b.expires = past).await;
    let ts = s.server.timestamp_for(&snapshot, |_| {}).await;
    s.mitm.serve_role("snapshot", snapshot);
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "snapshot"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn expired_targets_is_refused() {
    let s = scenario!();
    // An old targets file the owner once signed with an expiry now past (a replay).
    let mut body: Targets = s.server.body("targets").await;
    body.version = compromised::next(body.version);
    body.expires = Expires::from_utc(s.start - chrono::Duration::days(1));
    let targets_key = s.owner_key("targets").await;
    let file = compromised::sign(RoleName::targets(), body, &[&targets_key]).await;
    s.server.reseal(&s.mitm, &[("targets", &file)]).await;
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "targets"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn expired_delegation_is_skipped() {
    let s = scenario!();
    releases_signed_by_ci(&s, |b| {
        b["expires"] = "2020-01-01T00:00:00Z".into();
        b["targets"]["stale"] = target_json(5);
    })
    .await;
    let trusted = s.update().await.expect("an expired delegation is skipped, as Go skips it");
    assert!(matches!(skipped(&trusted, RELEASES), Some(VerifyError::Expired { .. })), "{:?}", trusted.skipped());
    assert!(!names(&trusted).contains(&"stale".to_owned()));
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn expired_root_is_refused_on_first_use() {
    let s = scenario!();
    let mut root: Root = s.server.body("root").await;
    root.expires = Expires::from_utc(s.start - chrono::Duration::days(1));
    let root_key = s.owner_key("root").await;
    s.mitm.serve_role("root", compromised::sign(RoleName::root(), root, &[&root_key]).await);
    let (trust, victim) = s.new_victim();
    let e = victim.update().await.expect_err("an expired root is refused");
    assert!(matches!(e.reason(), TrustError::Root(RootValidationError::Expired { .. })), "{e:?}");
    assert_no_metadata(trust.path());
}

// ------------------------------------------------------------------ mix-and-match, hashes and lengths

#[tokio::test]
async fn targets_from_an_older_state_fails_the_snapshots_hash() {
    let s = scenario!();
    let old = s.server.current("targets").await;
    s.owner_publishes("v2").await;
    s.mitm.serve_role("targets", old);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Hash { role, listed_by: "snapshot", .. } if role == "targets"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn snapshot_listing_a_wrong_length_is_refused() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    let targets = s.server.current("targets").await;
    let snapshot = s
        .server
        .snapshot_for(&[], |b| b.meta.get_mut("targets").expect("targets meta").length = targets.len() as i64 - 1)
        .await;
    let ts = s.server.timestamp_for(&snapshot, |_| {}).await;
    s.mitm.serve_role("snapshot", snapshot);
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    // The download stops at the listed length, so the longer genuine file is too large.
    assert!(
        matches!(e.reason(), TrustError::Server(ServerError::TooLarge { resource, .. }) if resource.contains("targets.")),
        "{e:?}"
    );
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn snapshot_listing_a_wrong_sha512_is_refused() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    let snapshot = s
        .server
        .snapshot_for(&[], |b| {
            b.meta.get_mut("targets").expect("targets meta").hashes.insert("sha512".into(), vec![0; 64]);
        })
        .await;
    let ts = s.server.timestamp_for(&snapshot, |_| {}).await;
    s.mitm.serve_role("snapshot", snapshot);
    s.mitm.serve_role("timestamp", ts);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Hash { role, listed_by: "snapshot", .. } if role == "targets"), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn targets_announcing_more_than_the_snapshot_lists_is_refused_before_reading() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    s.mitm.always(Target::Role("targets".into()), Answer::Length(1 << 30));
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Server(ServerError::TooLarge { .. })), "{e}");
    s.assert_cache_holds_only_verified();
}

// ------------------------------------------------------------------ endless data, slow retrieval, resets

#[tokio::test]
async fn endless_timestamp_is_cut_at_the_timestamp_size_limit() {
    let s = scenario!();
    s.mitm.always(Target::Role("timestamp".into()), Answer::Endless);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Server(ServerError::TooLarge { .. })), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn endless_snapshot_is_cut_at_the_length_the_timestamp_lists() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    s.mitm.always(Target::Role("snapshot".into()), Answer::Endless);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Server(ServerError::TooLarge { .. })), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn endless_root_on_first_use_is_cut_at_the_root_size_limit() {
    let s = scenario!();
    s.mitm.always(Target::Role("root".into()), Answer::Endless);
    let (trust, victim) = s.new_victim();
    let e = victim.update().await.expect_err("an endless root is refused");
    assert!(matches!(e.reason(), TrustError::Server(ServerError::TooLarge { .. })), "{e}");
    assert_no_metadata(trust.path());
}

#[tokio::test]
async fn slow_snapshot_is_abandoned_at_the_time_limit() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    let snapshot = s.server.current("snapshot").await;
    s.mitm.always(
        Target::Role("snapshot".into()),
        Answer::Slow { bytes: snapshot, interval: Duration::from_millis(500) },
    );
    let started = std::time::Instant::now();
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Server(ServerError::Network { .. })), "{e}");
    assert!(started.elapsed() < Duration::from_secs(30), "gave up after {:?}", started.elapsed());
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn stalled_timestamp_falls_back_to_the_verified_cache() {
    let s = scenario!();
    s.mitm.always(Target::Role("timestamp".into()), Answer::Hang);
    let trusted = s.update().await.expect("served from the cache");
    assert!(trusted.served_from_cache(), "not served from the cache");
    publish::assert_served_from_cache_as_unreachable(&trusted);
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn connection_reset_while_fetching_the_snapshot_is_a_network_error() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    s.mitm.always(Target::Role("snapshot".into()), Answer::Reset);
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Server(ServerError::Network { .. })), "{e}");
    s.assert_cache_holds_only_verified();
}

// ------------------------------------------------------------------ root rotation and first use

#[tokio::test]
async fn new_root_signed_only_by_a_key_the_old_root_does_not_trust_is_refused() {
    let s = scenario!();
    let attacker = new_root_key(&s).await;
    let root = compromised::sign(RoleName::root(), root_with(&s, 2, &[&attacker], 1).await, &[&attacker]).await;
    offer_root(&s, &root, 2).await;
    let e = refused(&s).await;
    assert!(e.is_root_rotation_failure(), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn new_root_below_its_own_threshold_is_refused() {
    let s = scenario!();
    let old = s.owner_key("root").await;
    let new = new_root_key(&s).await;
    // Lists two root keys at threshold 2 but carries the old key's signature only.
    let root = compromised::sign(RoleName::root(), root_with(&s, 2, &[&old, &new], 2).await, &[&old]).await;
    offer_root(&s, &root, 2).await;
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Root(RootValidationError::ThresholdNotMet { .. })), "{e:?}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn root_that_skips_a_version_without_the_intermediate_is_refused() {
    let s = scenario!();
    let attacker = new_root_key(&s).await;
    let root = compromised::sign(RoleName::root(), root_with(&s, 3, &[&attacker], 1).await, &[&attacker]).await;
    s.mitm.always(Target::File("2.root.json".into()), Answer::Status(404));
    offer_root(&s, &root, 3).await;
    let e = refused(&s).await;
    // The walk needs 2.root.json, signed by the trusted root's keys; there is none.
    assert!(
        matches!(e.reason(), TrustError::Server(ServerError::NotFound { resource }) if resource.contains("2.root.json")),
        "{e:?}"
    );
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn root_rollback_after_a_rotation_is_refused() {
    let s = scenario!();
    let old_root = s.server.current("root").await;
    let old = s.owner_key("root").await;
    let new = new_root_key(&s).await;
    // A genuine rotation: v2 signed by the old and the new key.
    let v2 = compromised::sign(RoleName::root(), root_with(&s, 2, &[&new], 1).await, &[&old, &new]).await;
    offer_root(&s, &v2, 2).await;
    s.update().await.expect("the victim follows a genuine rotation");
    // Then the first root again.
    s.mitm.honest();
    offer_root(&s, &old_root, 1).await;
    let e = refused(&s).await;
    // Root v1 is not signed by the key root v2 trusts.
    assert!(
        matches!(e.reason(), TrustError::Root(RootValidationError::RotationFailed { previous_version: 2, .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn root_whose_certificate_names_another_gun_is_refused_on_first_use() {
    let s = scenario!();
    // A complete, self-consistent root for this repository, but its certificate is for
    // another GUN: on first use the client must not trust it.
    let key = SoftwareKey::generate_p256().expect("key");
    let cert = generate_root_certificate("docker.io/library/other", &key, s.start).await.expect("certificate");
    let key = key.with_certificate(cert).expect("certificate of the key");
    let root = compromised::sign(RoleName::root(), root_with(&s, 1, &[&key], 1).await, &[&key]).await;
    s.mitm.serve_role("root", root);
    let (trust, victim) = s.new_victim();
    let e = victim.update().await.expect_err("a root for another GUN is refused");
    assert!(matches!(e.reason(), TrustError::Root(RootValidationError::NoValidLeafCert { .. })), "{e:?}");
    assert_no_metadata(trust.path());
}

// ------------------------------------------------------------------ delegations, paths and names

#[tokio::test]
async fn delegation_cannot_sign_outside_its_paths() {
    let s = scenario!(Layout { release_paths: vec!["app/".into()], ..Layout::default() });
    releases_signed_by_ci(&s, |b| {
        b["targets"]["app/ok"] = target_json(1);
        b["targets"]["other/evil"] = target_json(2);
    })
    .await;
    let trusted = s.update().await.expect("targets outside the paths are ignored, as Go ignores them");
    let names = names(&trusted);
    assert!(names.contains(&"app/ok".to_owned()) && !names.contains(&"other/evil".to_owned()), "{names:?}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn nested_delegation_cannot_widen_its_parents_paths() {
    let s = scenario!(Layout { release_paths: vec!["app/".into()], ..Layout::default() });
    let sub = SoftwareKey::generate_p256().expect("key");
    let sub_role = format!("{RELEASES}/sub");
    let releases = releases_file_by_ci(&s, |b| {
        b["delegations"] =
            delegating(&sub_role, sub.public_key(), &[sub.public_key().id().as_str()], 1, &["app/", "other/"]);
    })
    .await;
    let sub_file = sign_json(
        &sub,
        "ecdsa",
        targets_body(serde_json::json!({"app/inside": target_json(1), "other/outside": target_json(2)})),
    )
    .await;
    s.server.reseal(&s.mitm, &[(RELEASES, &releases), (&sub_role, &sub_file)]).await;
    let trusted = s.update().await.expect("targets outside the paths are ignored");
    let names = names(&trusted);
    assert!(names.contains(&"app/inside".to_owned()) && !names.contains(&"other/outside".to_owned()), "{names:?}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn delegation_to_a_role_that_is_not_a_direct_child_is_refused() {
    let s = scenario!();
    let other = SoftwareKey::generate_p256().expect("key");
    releases_signed_by_ci(&s, |b| {
        b["delegations"] =
            delegating("targets/releases/a/b", other.public_key(), &[other.public_key().id().as_str()], 1, &[""]);
    })
    .await;
    let e = refused(&s).await;
    assert!(matches!(e.reason(), TrustError::Metadata(MetadataError::Invalid { role, .. }) if role == RELEASES), "{e}");
    s.assert_cache_holds_only_verified();
}

#[tokio::test]
async fn delegation_named_to_escape_the_trust_dir_is_refused_and_writes_nothing_outside() {
    let s = scenario!();
    let other = SoftwareKey::generate_p256().expect("key");
    releases_signed_by_ci(&s, |b| {
        b["delegations"] = delegating(
            "targets/releases/../../../../escaped",
            other.public_key(),
            &[other.public_key().id().as_str()],
            1,
            &[""],
        );
    })
    .await;
    let e = refused(&s).await;
    assert!(
        matches!(e.reason(), TrustError::Metadata(MetadataError::Parse { role, path, .. }) if role == RELEASES && path.ends_with(".name")),
        "{e:?}"
    );
    s.assert_cache_holds_only_verified();
    assert!(!publish::files_below(s.victim_trust.path()).keys().any(|p| p.to_string_lossy().contains("escaped")));
}

#[tokio::test]
async fn snapshot_listing_a_role_name_that_escapes_the_trust_dir_writes_nothing_outside() {
    let s = scenario!();
    s.owner_publishes("v2").await;
    let snapshot = s
        .server
        .snapshot_for(&[], |b| {
            b.meta.insert("targets/../../../../../escaped".into(), FileMeta::for_metadata_bytes(b"{}"));
        })
        .await;
    let ts = s.server.timestamp_for(&snapshot, |_| {}).await;
    s.mitm.serve_role("snapshot", snapshot);
    s.mitm.serve_role("timestamp", ts);
    // Snapshot entries for roles no targets file delegates are never fetched.
    s.update().await.expect("an entry nobody delegates is ignored");
    s.assert_cache_holds_only_verified();
    let outside = s.victim_trust.path().parent().expect("parent").join("escaped.json");
    assert!(!outside.exists());
    assert!(!publish::files_below(s.victim_trust.path()).keys().any(|p| p.to_string_lossy().contains("escaped")));
}

#[tokio::test]
async fn target_names_with_path_separators_are_opaque_names() {
    let s = scenario!();
    let hostile_names = ["../../../../etc/passwd", "/etc/shadow", "a\\..\\..\\b", "latest/../../x"];
    releases_signed_by_ci(&s, |b| {
        for (i, name) in hostile_names.iter().enumerate() {
            b["targets"][*name] = target_json(i as u8 + 10);
        }
    })
    .await;
    let trusted = s.update().await.expect("names are data, not paths");
    let names = names(&trusted);
    for name in hostile_names {
        assert!(names.contains(&name.to_owned()), "{name} listed verbatim: {names:?}");
    }
    // No Docker tag can be such a name: a tag lookup never answers with them.
    assert!(signed_digest(&trusted, "passwd").is_none() && signed_digest(&trusted, "x").is_none());
    s.assert_cache_holds_only_verified();
    // The trust dir holds the cache and nothing else.
    assert!(publish::files_below(s.victim_trust.path()).keys().all(|p| p.starts_with("tuf")));
}

#[tokio::test]
async fn unicode_confusable_tag_does_not_answer_for_the_real_tag() {
    let s = scenario!();
    // "latest" with a Cyrillic а (U+0430), and "café" decomposed (e + U+0301).
    releases_signed_by_ci(&s, |b| {
        b["targets"]["l\u{430}test"] = target_json(66);
        b["targets"]["cafe\u{301}"] = target_json(67);
    })
    .await;
    let trusted = s.update().await.expect("the CI key may sign any name");
    assert!(signed_digest(&trusted, "latest").is_none(), "the confusable answered for latest");
    assert!(signed_digest(&trusted, "caf\u{e9}").is_none(), "the decomposed name answered for the composed one");
    assert!(signed_digest(&trusted, "l\u{430}test").is_some());
    s.assert_cache_holds_only_verified();
}

#[test]
fn gun_that_escapes_the_trust_dir_is_refused_before_any_request() {
    for gun in ["../../etc", "docker.io/../../x", "/abs/path", "a/./b", "docker.io/library/alpine/..", "a//b", "a\\b"] {
        assert!(Gun::new(gun).is_err(), "{gun:?} accepted");
    }
    for role in ["targets/../root", "targets/releases/..", "targets//x", "targets/a\\b", "../targets"] {
        assert!(RoleName::new(role).is_err(), "{role:?} accepted");
    }
}
