//! Unit tests of the editor: change semantics on in-memory metadata (no server).

use super::*;
use crate::keys::SoftwareKey;
use crate::metadata::{Expires, FileMeta, RoleKeys, Root, Signed, Snapshot, Targets, Version};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").map(|t| t.to_utc()).unwrap()
}

fn key() -> Arc<SoftwareKey> {
    Arc::new(SoftwareKey::generate_p256().unwrap())
}

fn role(s: &str) -> RoleName {
    RoleName::new(s).unwrap()
}

/// A repository's keys: root (bare key, enough for the editor), targets, snapshot, timestamp.
struct Keys {
    root: Arc<SoftwareKey>,
    targets: Arc<SoftwareKey>,
    snapshot: Arc<SoftwareKey>,
    timestamp: Arc<SoftwareKey>,
}

impl Keys {
    fn new() -> Self {
        Keys { root: key(), targets: key(), snapshot: key(), timestamp: key() }
    }

    fn root_body(&self, expires: DateTime<Utc>) -> Root {
        let base = [
            ("root", &self.root),
            ("targets", &self.targets),
            ("snapshot", &self.snapshot),
            ("timestamp", &self.timestamp),
        ];
        Root {
            consistent_snapshot: false,
            expires: Expires::from_utc(expires),
            keys: base.iter().map(|(_, k)| (k.public_key().id().clone(), k.public_key().clone())).collect(),
            roles: base
                .iter()
                .map(|(r, k)| ((*r).to_owned(), RoleKeys::new(vec![k.public_key().id().clone()], 1)))
                .collect(),
            version: Version::FIRST,
        }
    }
}

/// A published repository (not initial) whose `targets` is `targets`.
async fn editor_with(keys: &Keys, targets: Targets, root_expires: DateTime<Utc>) -> Editor {
    let root = Signed::sign(RoleName::root(), keys.root_body(root_expires), &[&*keys.root]).await.unwrap();
    let targets = Signed::sign(RoleName::targets(), targets, &[&*keys.targets]).await.unwrap();
    let mut editor = Editor::unpublished(&Gun::new("example.com/app").unwrap(), root, targets, None, now());
    editor.initial = false;
    editor
}

async fn editor(keys: &Keys) -> Editor {
    editor_with(keys, empty_targets(), now() + ROOT_EXPIRY).await
}

fn empty_targets() -> Targets {
    Targets::new(Expires::from_utc(now() + TARGETS_EXPIRY), Version::new(3).unwrap())
}

fn keyring(signers: &[&Arc<SoftwareKey>]) -> Keyring {
    signers.iter().fold(Keyring::new(), |k, s| k.with_signer(Arc::clone(s) as Arc<dyn Signer>))
}

fn meta(byte: u8) -> FileMeta {
    FileMeta::sha256_only([byte; 32], 100)
}

fn delegate(editor: &mut Editor, ring: &Keyring, name: &str, key: &SoftwareKey, paths: &[&str]) {
    let change = Change::add_delegation(
        role(name),
        vec![key.public_key().clone()],
        paths.iter().map(|p| (*p).to_owned()).collect(),
    );
    editor.apply(&change, ring).unwrap();
}

fn parse_targets(files: &Files, name: &str) -> Signed<Targets> {
    let (_, bytes) = files.iter().find(|(r, _)| r.as_str() == name).unwrap_or_else(|| panic!("{name} not uploaded"));
    Signed::<Targets>::parse(role(name), bytes).unwrap()
}

#[tokio::test]
async fn a_changed_role_is_signed_with_version_plus_one_and_three_years_expiry() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets]);
    e.apply(&Change::add_target(RoleName::targets(), "v1", meta(1)), &ring).unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    assert_eq!(files.len(), 1, "only targets goes up");
    let t = parse_targets(&files, "targets");
    assert_eq!(t.signed().version.get(), 4);
    assert_eq!(t.signed().expires.to_utc(), now() + TARGETS_EXPIRY);
    assert_eq!(t.signed().targets["v1"], meta(1));
    t.verify(&TrustedKeys {
        keys: [(keys.targets.public_key().id().clone(), keys.targets.public_key().clone())].into(),
        threshold: 1,
    })
    .unwrap();
    assert_eq!(t.to_file_bytes().unwrap(), files[0].1, "uploaded bytes are Go's serialisation");
}

#[tokio::test]
async fn adding_an_identical_target_changes_nothing() {
    let keys = Keys::new();
    let mut targets = empty_targets();
    targets.targets.insert("v1".into(), meta(1));
    let mut e = editor_with(&keys, targets, now() + ROOT_EXPIRY).await;
    e.apply(&Change::add_target(RoleName::targets(), "v1", meta(1)), &keyring(&[&keys.targets])).unwrap();
    assert!(!e.has_changes());
}

#[tokio::test]
async fn removing_an_absent_target_changes_nothing() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    e.apply(&Change::remove_target(RoleName::targets(), "nope"), &keyring(&[&keys.targets])).unwrap();
    assert!(!e.has_changes());
}

#[tokio::test]
async fn a_first_publish_uploads_root_unchanged_and_targets_re_signed() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    e.initial = true;
    let root_bytes = e.root.file_bytes().unwrap().into_owned();
    let files = e.sign(&keyring(&[&keys.targets]), Thresholds::Required).await.unwrap();
    let roles: Vec<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["root", "targets"]);
    assert_eq!(files[0].1, root_bytes);
    assert_eq!(parse_targets(&files, "targets").signed().version.get(), 4);
}

#[tokio::test]
async fn signable_roles_are_targets_when_there_are_no_delegations() {
    let keys = Keys::new();
    let e = editor(&keys).await;
    assert_eq!(e.signable_roles("v1", &Keyring::new()).unwrap(), vec![RoleName::targets()]);
}

#[tokio::test]
async fn signable_roles_are_the_direct_children_whose_keys_are_held_and_paths_allow() {
    let keys = Keys::new();
    let (releases, alice, bob) = (key(), key(), key());
    let mut e = editor(&keys).await;
    let admin = keyring(&[&keys.targets]);
    delegate(&mut e, &admin, "targets/releases", &releases, &[""]);
    delegate(&mut e, &admin, "targets/alice", &alice, &["app/"]);
    delegate(&mut e, &admin, "targets/bob", &bob, &[""]);
    let ring = keyring(&[&releases, &alice]);
    assert_eq!(e.signable_roles("app/1", &ring).unwrap(), vec![role("targets/releases"), role("targets/alice")]);
    assert_eq!(e.signable_roles("1.0", &ring).unwrap(), vec![role("targets/releases")]);
}

#[tokio::test]
async fn no_signable_role_is_an_error_naming_the_roles() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    delegate(&mut e, &keyring(&[&keys.targets]), "targets/releases", &key(), &[""]);
    match e.signable_roles("1.0", &keyring(&[&key()])) {
        Err(PublishError::NoSignableRole { roles, .. }) => assert_eq!(roles, ["targets/releases"]),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_role_whose_key_is_not_held_cannot_be_signed() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let err = e.apply(&Change::add_target(RoleName::targets(), "v1", meta(1)), &Keyring::new()).unwrap_err();
    assert!(matches!(err, PublishError::NoSigningKey { ref role, .. } if role == "targets"), "{err}");
}

#[tokio::test]
async fn a_target_outside_the_effective_paths_is_refused() {
    let keys = Keys::new();
    let (team, sub) = (key(), key());
    let mut e = editor(&keys).await;
    delegate(&mut e, &keyring(&[&keys.targets]), "targets/team", &team, &["team/"]);
    delegate(&mut e, &keyring(&[&team]), "targets/team/sub", &sub, &["team/sub/"]);
    let ring = keyring(&[&sub]);
    e.apply(&Change::add_target(role("targets/team/sub"), "team/sub/x", meta(1)), &ring).unwrap();
    let err = e.apply(&Change::add_target(role("targets/team/sub"), "team/other", meta(1)), &ring).unwrap_err();
    assert!(matches!(err, PublishError::PathNotAllowed { .. }), "{err}");
}

#[tokio::test]
async fn delegation_paths_must_lie_within_the_parents() {
    let keys = Keys::new();
    let team = key();
    let mut e = editor(&keys).await;
    delegate(&mut e, &keyring(&[&keys.targets]), "targets/team", &team, &["team/"]);
    let change =
        Change::add_delegation(role("targets/team/x"), vec![key().public_key().clone()], vec!["other/".into()]);
    assert!(matches!(e.apply(&change, &keyring(&[&team])), Err(PublishError::PathNotAllowed { .. })));
}

#[tokio::test]
async fn a_new_delegation_needs_a_key_and_a_reachable_threshold() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets]);
    let no_keys = Change::add_delegation(RoleName::releases(), vec![], vec![String::new()]);
    assert!(matches!(e.apply(&no_keys, &ring), Err(PublishError::InvalidChange { .. })));
    let too_high = Change::AddDelegation {
        role: RoleName::releases(),
        keys: vec![key().public_key().clone()],
        paths: vec![String::new()],
        threshold: Some(2),
    };
    assert!(matches!(e.apply(&too_high, &ring), Err(PublishError::InvalidChange { .. })));
}

#[tokio::test]
async fn a_delegation_lists_its_keys_in_the_parent_in_go_order() {
    let keys = Keys::new();
    let (a, b) = (key(), key());
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets]);
    delegate(&mut e, &ring, "targets/releases", &a, &[""]);
    delegate(&mut e, &ring, "targets/releases", &b, &[""]);
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    let t = parse_targets(&files, "targets");
    let entry = t.signed().delegations.role(&RoleName::releases()).unwrap();
    assert_eq!(entry.keys.key_ids(), [a.public_key().id().clone(), b.public_key().id().clone()]);
    assert_eq!(entry.paths, [""], "paths are merged, not repeated");
    assert_eq!(t.signed().delegations.keys.as_ref().unwrap().len(), 2);
}

#[tokio::test]
async fn removing_every_key_of_a_delegation_writes_null_and_prunes_its_keys() {
    let keys = Keys::new();
    let a = key();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets]);
    delegate(&mut e, &ring, "targets/releases", &a, &[""]);
    let canonical = a.public_key().canonical_id().unwrap();
    e.apply(&Change::RemoveDelegationKeys { role: RoleName::releases(), key_ids: vec![canonical] }, &ring).unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    let t = parse_targets(&files, "targets");
    assert_eq!(t.signed().delegations.role(&RoleName::releases()).unwrap().keys.keyids, None);
    assert!(t.signed().delegations.keys.as_ref().unwrap().is_empty());
    let bytes = String::from_utf8(files[0].1.clone()).unwrap();
    assert!(bytes.contains(r#"{"keyids":null,"name":"targets/releases","paths":[""],"threshold":1}"#), "{bytes}");
}

#[tokio::test]
async fn clearing_paths_omits_the_member() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets]);
    delegate(&mut e, &ring, "targets/releases", &key(), &["a", "b"]);
    e.apply(&Change::RemoveDelegationPaths { role: RoleName::releases(), paths: vec!["a".into()] }, &ring).unwrap();
    e.apply(&Change::ClearDelegationPaths { role: RoleName::releases() }, &ring).unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    assert!(!String::from_utf8_lossy(&files[0].1).contains("paths"));
}

#[tokio::test]
async fn deleting_a_delegation_drops_it_and_its_children_from_a_client_snapshot() {
    let keys = Keys::new();
    let (team, sub) = (key(), key());
    let mut e = editor(&keys).await;
    let admin = keyring(&[&keys.targets, &team, &sub, &keys.snapshot]);
    delegate(&mut e, &admin, "targets/team", &team, &[""]);
    delegate(&mut e, &admin, "targets/team/sub", &sub, &[""]);
    e.apply(&Change::add_target(role("targets/team/sub"), "x", meta(1)), &admin).unwrap();
    e.apply(&Change::DeleteDelegation { role: role("targets/team") }, &admin).unwrap();
    let files = e.sign(&admin, Thresholds::Required).await.unwrap();
    let roles: Vec<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["targets", "snapshot"]);
    let snapshot = Signed::<Snapshot>::parse(RoleName::snapshot(), &files[1].1).unwrap();
    assert_eq!(snapshot.signed().meta.keys().map(String::as_str).collect::<Vec<_>>(), ["root", "targets"]);
    assert!(parse_targets(&files, "targets").signed().delegations.roles().is_empty());
}

#[tokio::test]
async fn a_client_snapshot_hashes_the_uploaded_bytes_with_sha256_and_sha512() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets, &keys.snapshot]);
    e.apply(&Change::add_target(RoleName::targets(), "v1", meta(1)), &ring).unwrap();
    let root_bytes = e.root.to_file_bytes().unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    let snapshot = Signed::<Snapshot>::parse(RoleName::snapshot(), &files[1].1).unwrap();
    let listed = &snapshot.signed().meta["targets"];
    assert_eq!(*listed, FileMeta::for_metadata_bytes(&files[0].1));
    assert!(listed.sha256().is_some() && listed.sha512().is_some());
    assert_eq!(snapshot.signed().meta["root"], FileMeta::for_metadata_bytes(&root_bytes));
    assert_eq!(snapshot.signed().version.get(), 1);
}

#[tokio::test]
async fn replacing_the_root_key_signs_root_with_old_and_new_keys() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let new_root = key();
    let ring = keyring(&[&keys.root, &new_root]);
    e.apply(&Change::ReplaceRoleKeys { role: RoleName::root(), keys: vec![new_root.public_key().clone()] }, &ring)
        .unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    let root = Signed::<Root>::parse(RoleName::root(), &files[0].1).unwrap();
    assert_eq!(root.signed().version.get(), 2);
    let signers: Vec<&KeyId> = root.signatures().iter().map(|s| &s.keyid).collect();
    assert_eq!(signers, [new_root.public_key().id(), keys.root.public_key().id()]);
    assert!(root.signed().keys.contains_key(keys.root.public_key().id()), "notary keeps old root certificates");
}

#[tokio::test]
async fn rotating_the_root_without_the_old_key_is_refused() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let new_root = key();
    let ring = keyring(&[&new_root]);
    e.apply(&Change::ReplaceRoleKeys { role: RoleName::root(), keys: vec![new_root.public_key().clone()] }, &ring)
        .unwrap();
    assert!(matches!(e.sign(&ring, Thresholds::Required).await, Err(PublishError::NoSigningKey { .. })));
}

#[tokio::test]
async fn replacing_the_targets_key_re_signs_targets_with_the_new_key() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let new_targets = key();
    let ring = keyring(&[&keys.root, &new_targets]);
    e.apply(
        &Change::ReplaceRoleKeys { role: RoleName::targets(), keys: vec![new_targets.public_key().clone()] },
        &ring,
    )
    .unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    let roles: Vec<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["root", "targets"]);
    let root = Signed::<Root>::parse(RoleName::root(), &files[0].1).unwrap();
    assert_eq!(root.signatures().len(), 1, "the root role itself did not change");
    parse_targets(&files, "targets").verify(&root.signed().trusted_keys("targets")).unwrap();
}

#[tokio::test]
async fn a_root_expiring_within_six_months_is_re_signed() {
    let keys = Keys::new();
    let e = editor_with(&keys, empty_targets(), now() + Duration::days(150)).await;
    assert!(e.has_changes());
    let files = e.sign(&keyring(&[&keys.root]), Thresholds::Required).await.unwrap();
    let root = Signed::<Root>::parse(RoleName::root(), &files[0].1).unwrap();
    assert_eq!((root.signed().version.get(), root.signed().expires.to_utc()), (2, now() + ROOT_EXPIRY));
}

/// `targets/releases` with threshold 2 over keys `a`, `b`, and a target staged into it.
async fn threshold_two(keys: &Keys, a: &SoftwareKey, b: &SoftwareKey, ring: &Keyring) -> Editor {
    let mut e = editor(keys).await;
    let change = Change::AddDelegation {
        role: RoleName::releases(),
        keys: vec![a.public_key().clone(), b.public_key().clone()],
        paths: vec![String::new()],
        threshold: Some(2),
    };
    e.apply(&change, ring).unwrap();
    e.apply(&Change::add_target(RoleName::releases(), "v1", meta(1)), ring).unwrap();
    e
}

#[tokio::test]
async fn a_threshold_role_cannot_be_published_with_fewer_keys() {
    let keys = Keys::new();
    let (a, b) = (key(), key());
    let ring = keyring(&[&keys.targets, &a]);
    match threshold_two(&keys, &a, &b, &ring).await.sign(&ring, Thresholds::Required).await {
        Err(PublishError::BelowThreshold { threshold: 2, available: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_threshold_role_is_drafted_with_one_signature() {
    let keys = Keys::new();
    let (a, b) = (key(), key());
    let ring = keyring(&[&keys.targets, &a]);
    let files = threshold_two(&keys, &a, &b, &ring).await.sign(&ring, Thresholds::Partial).await.unwrap();
    let releases = parse_targets(&files, "targets/releases");
    assert_eq!(releases.signatures().len(), 1);
    assert_eq!(releases.signatures()[0].keyid, *a.public_key().id());
}

/// `targets/releases` delegated to a key the keyring holds, whose file (version 7, target
/// `kept`) expired yesterday, so the update skipped it.
async fn expired_releases(keys: &Keys) -> (Editor, Keyring) {
    let releases = key();
    let mut e = editor(keys).await;
    let ring = keyring(&[&keys.targets, &releases]);
    delegate(&mut e, &ring, "targets/releases", &releases, &[""]);
    let mut old = Targets::new(Expires::from_utc(now() - Duration::days(1)), Version::new(7).unwrap());
    old.targets.insert("kept".into(), meta(9));
    let expired = Signed::sign(RoleName::releases(), old, &[&*releases as &dyn Signer]).await.unwrap();
    e.skipped.insert(RoleName::releases(), expired);
    (e, ring)
}

#[tokio::test]
async fn witnessing_a_skipped_delegation_re_signs_its_last_copy() {
    let (mut e, ring) = expired_releases(&Keys::new()).await;
    e.apply(&Change::Witness { role: RoleName::releases() }, &ring).unwrap();
    let files = e.sign(&ring, Thresholds::Required).await.unwrap();
    let t = parse_targets(&files, "targets/releases");
    assert_eq!(t.signed().version.get(), 8);
    assert_eq!(t.signed().targets["kept"], meta(9));
    assert_eq!(t.signed().expires.to_utc(), now() + TARGETS_EXPIRY);
}

#[tokio::test]
async fn a_skipped_delegation_is_not_replaced_by_an_empty_file() {
    let (mut e, ring) = expired_releases(&Keys::new()).await;
    let err = e.apply(&Change::add_target(RoleName::releases(), "v1", meta(1)), &ring).unwrap_err();
    assert!(matches!(err, PublishError::InvalidChange { .. }) && err.to_string().contains("witness it first"), "{err}");
}

#[tokio::test]
async fn replacing_the_targets_key_drops_only_the_replaced_key() {
    let keys = Keys::new();
    let mut e = editor(&keys).await;
    let new_targets = key();
    e.apply(
        &Change::ReplaceRoleKeys { role: RoleName::targets(), keys: vec![new_targets.public_key().clone()] },
        &Keyring::new(),
    )
    .unwrap();
    let listed = &e.root().keys;
    assert!(!listed.contains_key(keys.targets.public_key().id()));
    assert!(listed.contains_key(new_targets.public_key().id()));
    assert_eq!(listed.len(), 4);
}

#[tokio::test]
async fn witnessing_a_role_without_a_file_is_refused() {
    let keys = Keys::new();
    let releases = key();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets, &releases]);
    delegate(&mut e, &ring, "targets/releases", &releases, &[""]);
    let err = e.apply(&Change::Witness { role: RoleName::releases() }, &ring).unwrap_err();
    assert!(err.to_string().contains("no file to witness"), "{err}");
}

#[tokio::test]
async fn a_draft_never_carries_root_or_snapshot() {
    let keys = Keys::new();
    let mut e = editor_with(&keys, empty_targets(), now() + Duration::days(30)).await;
    let ring = keyring(&[&keys.root, &keys.targets, &keys.snapshot]);
    e.apply(&Change::add_target(RoleName::targets(), "v1", meta(1)), &ring).unwrap();
    let files = e.sign(&ring, Thresholds::Partial).await.unwrap();
    assert_eq!(files.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(), ["targets"]);
}

#[tokio::test]
async fn a_hostile_version_for_a_new_role_is_an_error_not_an_overflow() {
    let keys = Keys::new();
    let releases = key();
    let mut e = editor(&keys).await;
    let ring = keyring(&[&keys.targets, &releases]);
    delegate(&mut e, &ring, "targets/releases", &releases, &[""]);
    e.apply(&Change::add_target(RoleName::releases(), "v1", meta(1)), &ring).unwrap();
    assert_eq!(e.new_role_files(), [RoleName::releases()]);
    e.raise_base(&RoleName::releases(), u64::MAX);
    assert!(matches!(e.sign(&ring, Thresholds::Required).await, Err(PublishError::InvalidChange { .. })));
}
