//! Golden tests against metadata written by Go: the notary 0.7 CLI/server fixtures in
//! `fixtures/notary-cli` and notary's own `fixtures/compatibility` test vectors (spec §1–§3,
//! §7 T1–T5/T7/T9/T16, §8).
//!
//! Every fixture file must parse, re-serialise byte-for-byte, verify with the keys its parent
//! trusts, have recomputable key IDs, be hashed correctly by snapshot/timestamp, list the
//! expected targets and be unexpired at a pinned clock; metadata we sign ourselves must go
//! through the same code path and come out as Go would write it.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use notary_client::canonical_json::Value;
use notary_client::clock::{Clock, FixedClock, SystemClock};
use notary_client::keys::{Signer, SoftwareKey, verify_signature};
use notary_client::metadata::{
    Custom, DelegatedRole, Delegations, Expires, FileMeta, KeyId, KeyType, RoleKeys, RoleName, Signed, Targets,
    TrustedKeys, VerifyError, Version, base64_encode,
};
use support::{AnySigned, Origin, Repo, assert_same_bytes, listed_keys, sha256_hex, sha512_hex};

/// Files per fixture repository (role names), as the fixtures are documented.
fn expected_roles(repo: &Repo) -> BTreeSet<String> {
    let names: Vec<String> = match (repo.origin, repo.label.as_str()) {
        (Origin::NotaryCli, _) => {
            let m = manifest_repo(&repo.gun);
            m["metadata"]
                .as_object()
                .expect("manifest: metadata")
                .keys()
                .map(|f| f.strip_suffix(".json").expect("manifest: metadata file name").to_owned())
                .collect()
        }
        (Origin::GoCompat, "notary0.1") => vec!["root".into(), "snapshot".into(), "targets".into(), "timestamp".into()],
        (Origin::GoCompat, "notary0.3") => {
            vec!["root".into(), "snapshot".into(), "targets".into(), "targets/releases".into(), "timestamp".into()]
        }
        (Origin::GoCompat, other) => panic!("unknown Go fixture {other}"),
    };
    names.into_iter().collect()
}

/// The `repositories[]` entry of `manifest.json` for `gun`.
fn manifest_repo(gun: &str) -> serde_json::Value {
    let manifest = support::notary_cli_manifest();
    manifest["repositories"]
        .as_array()
        .expect("manifest: repositories")
        .iter()
        .find(|r| r["gun"] == gun)
        .unwrap_or_else(|| panic!("manifest: no repository {gun}"))
        .clone()
}

fn str_set<'a>(v: &'a serde_json::Value, what: &str) -> BTreeSet<&'a str> {
    v.as_array()
        .unwrap_or_else(|| panic!("manifest: {what} is not an array"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("manifest: {what} has a non-string")))
        .collect()
}

fn ids(set: &BTreeSet<KeyId>) -> BTreeSet<&str> {
    set.iter().map(KeyId::as_str).collect()
}

// ---------------------------------------------------------------------------------------------
// 1 + 8. Parse and byte-identical re-serialisation (T1), with the file count.

#[test]
fn every_fixture_file_parses_and_reserialises_byte_identically() {
    let repos = support::all_repos();
    let mut count = 0;
    let mut per_repo = Vec::new();
    for repo in &repos {
        let found: BTreeSet<String> = repo.files.iter().map(|f| f.role.to_string()).collect();
        assert_eq!(found, expected_roles(repo), "{}: metadata files in {}", repo.label, repo.metadata_dir.display());
        for file in &repo.files {
            let parsed = file.parsed();
            assert_eq!(parsed.role(), &file.role);
            let out = parsed.to_file_bytes().unwrap_or_else(|e| panic!("{}: to_file_bytes: {e}", file.path.display()));
            assert_same_bytes(&format!("{} re-serialised", file.path.display()), &out, &file.bytes);
            // Go writes compact JSON with no trailing newline.
            assert_eq!(file.bytes.last(), Some(&b'}'), "{}: trailing bytes after the JSON", file.path.display());
            count += 1;
        }
        per_repo.push(format!("{} {}", repo.label, repo.files.len()));
    }
    let go = repos.iter().any(|r| r.origin == Origin::GoCompat);
    let expected = if go { 10 + 4 + 5 } else { 10 };
    println!("golden: {count} files round-tripped byte-identically ({})", per_repo.join(", "));
    if !go {
        println!("golden: notary's Go fixtures were skipped; only fixtures/notary-cli was checked");
    }
    assert_eq!(count, expected, "number of fixture files checked");
}

/// The parsed files agree with what the generator recorded in `manifest.json` (version,
/// expiry string, length, digest, signers, root roles and delegations).
#[test]
fn notary_cli_files_match_their_manifest_entries() {
    for repo in support::notary_cli_repos() {
        let m = manifest_repo(&repo.gun);
        for file in &repo.files {
            let entry = &m["metadata"][format!("{}.json", file.role)];
            let ctx = format!("{} {}", repo.label, file.role);
            let parsed = file.parsed();
            assert_eq!(entry["role"], file.role.as_str(), "{ctx}: role");
            assert_eq!(Some(parsed.version()), entry["version"].as_u64(), "{ctx}: version");
            assert_eq!(Some(parsed.expires().to_go_string().as_str()), entry["expires"].as_str(), "{ctx}: expires");
            assert_eq!(Some(file.bytes.len() as u64), entry["length"].as_u64(), "{ctx}: length");
            assert_eq!(Some(sha256_hex(&file.bytes).as_str()), entry["sha256"].as_str(), "{ctx}: sha256");
            let sig_ids: Vec<&str> = parsed.signatures().iter().map(|s| s.keyid.as_str()).collect();
            let sig_methods: Vec<&str> = parsed.signatures().iter().map(|s| s.method.as_str()).collect();
            assert_eq!(
                sig_ids,
                str_set(&entry["signature_keyids"], "signature_keyids").into_iter().collect::<Vec<_>>()
            );
            assert_eq!(sig_methods, vec!["ecdsa"; sig_ids.len()], "{ctx}: signature methods");
        }

        let root = repo.root();
        let roles = m["root_roles"].as_object().expect("manifest: root_roles");
        assert_eq!(roles.len(), root.signed().roles.len(), "{}: root roles", repo.label);
        for (name, spec) in roles {
            let r = root.signed().role(name).unwrap_or_else(|| panic!("{}: root lacks role {name}", repo.label));
            let listed: BTreeSet<&str> = r.key_ids().iter().map(KeyId::as_str).collect();
            assert_eq!(listed, str_set(&spec["keyids"], "root_roles.keyids"), "{} root role {name}", repo.label);
            assert_eq!(Some(u64::from(r.threshold)), spec["threshold"].as_u64(), "{} root role {name}", repo.label);
        }

        let targets = repo.targets("targets");
        let delegations = targets.signed().delegations.roles();
        let expected = m["delegations"].as_array().expect("manifest: delegations");
        assert_eq!(delegations.len(), expected.len(), "{}: number of delegations", repo.label);
        for (d, e) in delegations.iter().zip(expected) {
            // `roles` is an ordered array: order is search order (T13).
            assert_eq!(e["name"], d.name.as_str(), "{}: delegation order", repo.label);
            let paths: Vec<&str> = d.paths.iter().map(String::as_str).collect();
            assert_eq!(paths, str_set(&e["paths"], "paths").into_iter().collect::<Vec<_>>(), "{}", d.name);
            let listed: Vec<&str> = d.keys.key_ids().iter().map(KeyId::as_str).collect();
            assert_eq!(listed, str_set(&e["keyids"], "keyids").into_iter().collect::<Vec<_>>(), "{}", d.name);
            assert_eq!(Some(u64::from(d.keys.threshold)), e["threshold"].as_u64(), "{}", d.name);
            let types: Vec<&str> = d
                .keys
                .key_ids()
                .iter()
                .map(|id| targets.signed().delegations.key(id).expect("listed delegation key").key_type().as_str())
                .collect();
            assert_eq!(types, str_set(&e["keytypes"], "keytypes").into_iter().collect::<Vec<_>>(), "{}", d.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Signatures verify with the keys the parent trusts; tampering is detected.

#[test]
fn every_signature_verifies_with_the_keys_its_parent_trusts() {
    let mut checked = 0;
    for repo in support::all_repos() {
        for file in &repo.files {
            let ctx = format!("{} {}", repo.label, file.role);
            let parsed = file.parsed();
            let trusted = repo.trusted_keys(&file.role);
            assert!(!trusted.keys.is_empty(), "{ctx}: parent lists no keys");
            let valid = parsed.verify(&trusted).unwrap_or_else(|e| panic!("{ctx}: does not verify: {e}"));
            assert!(valid.len() >= trusted.threshold as usize, "{ctx}: threshold");

            // Every signature in these files is by a trusted key and valid: the distinct valid
            // key IDs are exactly the signers.
            let signers: BTreeSet<&str> = parsed.signatures().iter().map(|s| s.keyid.as_str()).collect();
            assert_eq!(ids(&valid), signers, "{ctx}: distinct valid key IDs");
            assert_eq!(valid.len(), parsed.signatures().len(), "{ctx}: one valid signature per signature");
            if repo.origin == Origin::NotaryCli {
                let entry = &manifest_repo(&repo.gun)["metadata"][format!("{}.json", file.role)];
                assert_eq!(ids(&valid), str_set(&entry["signature_keyids"], "signature_keyids"), "{ctx}");
            }

            // Keys of another role are not good enough: root's keys never sign the others.
            if file.role.as_str() != "root" {
                let root_keys = repo.trusted_keys(&RoleName::root());
                assert!(
                    matches!(parsed.verify(&root_keys), Err(VerifyError::ThresholdNotMet { valid: 0, .. })),
                    "{ctx}: verified with root's keys"
                );
            }
            checked += 1;
        }
    }
    println!("golden: {checked} files verified against their parents' keys");
}

/// Returns `bytes` with the character `offset` bytes after the first occurrence of `marker`
/// replaced by `replacement(old)`.
fn tamper(bytes: &[u8], marker: &str, offset: usize, replacement: impl Fn(u8) -> u8) -> Option<Vec<u8>> {
    let at = bytes.windows(marker.len()).position(|w| w == marker.as_bytes())? + marker.len() + offset;
    let mut out = bytes.to_vec();
    out[at] = replacement(out[at]);
    Some(out)
}

/// Another base64 character (keeps the string decodable to the same length).
fn other_b64(c: u8) -> u8 {
    if c == b'A' { b'B' } else { b'A' }
}

/// Another digit.
fn other_digit(c: u8) -> u8 {
    assert!(c.is_ascii_digit(), "expected a digit, found {:?}", c as char);
    if c == b'9' { b'8' } else { c + 1 }
}

#[test]
fn tampered_copies_fail_verification() {
    let mut tampered_count = 0;
    for repo in support::all_repos() {
        for file in &repo.files {
            let trusted = repo.trusted_keys(&file.role);
            let mut copies: Vec<(&str, Vec<u8>)> = Vec::new();
            // One byte of the first hash (a target hash in targets files, a meta hash in
            // snapshot/timestamp); root has none.
            if let Some(t) = tamper(&file.bytes, r#""sha256":""#, 0, other_b64) {
                copies.push(("first sha256 byte", t));
            }
            // The last digit of the expiry year, and one byte of the signature.
            copies.push(("expiry year", tamper(&file.bytes, r#""expires":""#, 3, other_digit).expect("expires")));
            copies.push(("signature byte", tamper(&file.bytes, r#""sig":""#, 10, other_b64).expect("sig")));
            for (what, bytes) in copies {
                let ctx = format!("{} {} with a changed {what}", repo.label, file.role);
                assert_ne!(bytes, file.bytes, "{ctx}: tamper did nothing");
                // Still well-formed metadata: the failure must come from verification.
                let parsed = AnySigned::parse(file.role.clone(), &bytes).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                match parsed.verify(&trusted) {
                    Err(VerifyError::ThresholdNotMet { valid: 0, role, .. }) => assert_eq!(role, file.role.as_str()),
                    other => panic!("{ctx}: expected ThresholdNotMet with no valid signature, got {other:?}"),
                }
                tampered_count += 1;
            }
        }
    }
    println!("golden: {tampered_count} tampered copies rejected");
}

#[test]
fn a_changed_target_hash_breaks_both_the_signature_and_the_snapshot_entry() {
    let repo = &support::notary_cli_repos()[0];
    let original = repo.targets("targets");
    let meta = &original.signed().targets["empty"];
    // Change the first base64 character of the `empty` target's sha256.
    let needle = r#""empty":{"hashes":{"sha256":""#;
    let tampered = tamper(&repo.expect_file("targets").bytes, needle, 0, other_b64).expect("target entry");

    let parsed = Signed::<Targets>::parse(RoleName::targets(), &tampered).expect("still parses");
    assert_ne!(parsed.signed().targets["empty"].sha256(), meta.sha256());
    let err = parsed.verify(&repo.trusted_keys(&RoleName::targets())).unwrap_err();
    assert!(matches!(err, VerifyError::ThresholdNotMet { valid: 0, .. }), "{err}");
    let snapshot = repo.snapshot();
    assert!(snapshot.signed().meta["targets"].check(&tampered).is_err(), "snapshot must not match tampered bytes");
}

// ---------------------------------------------------------------------------------------------
// 3. Key IDs recompute from content; canonical IDs name the private key files (T5).

#[test]
fn every_key_id_recomputes_from_the_key_content() {
    for repo in support::all_repos() {
        for file in &repo.files {
            for (listed, key) in listed_keys(&file.parsed()) {
                let ctx = format!("{} {} key {listed}", repo.label, file.role);
                assert_eq!(key.id(), &listed, "{ctx}: TUF ID");
                let canonical = key.canonical_id().unwrap_or_else(|e| panic!("{ctx}: canonical ID: {e}"));
                if key.key_type().is_certificate() {
                    assert_ne!(canonical, listed, "{ctx}: a certificate key's canonical ID is the bare key's");
                } else {
                    assert_eq!(canonical, listed, "{ctx}: a bare key's canonical ID is its TUF ID");
                }
            }
        }
    }
}

#[test]
fn root_certificate_keys_have_the_canonical_id_of_their_private_key_file() {
    let repos = support::all_repos();
    let mut all_canonical: BTreeMap<Origin, BTreeSet<String>> = BTreeMap::new();
    for repo in &repos {
        let root = repo.root();
        let private = repo.private_key_ids();
        assert!(!private.is_empty(), "{}: no private keys found", repo.label);
        for (id, key) in root.signed().role_keys("root") {
            assert!(key.key_type().is_certificate(), "{}: root key {id} is {}", repo.label, key.key_type());
            let canonical = key.canonical_id().expect("root certificate parses").to_string();
            assert!(private.contains(&canonical), "{}: root key {id}: no private key {canonical}.key", repo.label);
            assert!(!private.contains(id.as_str()), "{}: private keys are filed by canonical ID", repo.label);
        }
        let set = all_canonical.entry(repo.origin).or_default();
        for file in &repo.files {
            set.extend(listed_keys(&file.parsed()).iter().map(|(_, k)| k.canonical_id().expect("key").to_string()));
        }
        if repo.origin == Origin::GoCompat {
            // Each Go fixture has its own trust dir holding exactly its repository's keys.
            let mine: BTreeSet<String> = repo
                .files
                .iter()
                .flat_map(|f| listed_keys(&f.parsed()))
                .map(|(_, k)| k.canonical_id().expect("key").to_string())
                .collect();
            assert!(private.is_subset(&mine), "{}: private keys {private:?} not all in metadata {mine:?}", repo.label);
        }
    }
    // The notary-cli trust dir is shared by both repositories: every file is a key they use.
    let cli_private = support::private_key_ids(&support::notary_cli_dir().join("trust").join("private"));
    let cli_used = &all_canonical[&Origin::NotaryCli];
    assert!(cli_private.is_subset(cli_used), "notary-cli private keys {cli_private:?} not all used in {cli_used:?}");
}

/// `manifest.json` `private_keys[].used_in_metadata_as`: the metadata key ID, key type and the
/// canonical ID (= file name) agree with what we compute.
#[test]
fn notary_cli_private_key_files_match_the_metadata_keys_using_them() {
    let repos = support::notary_cli_repos();
    let manifest = support::notary_cli_manifest();
    let mut x509 = 0;
    for pk in manifest["private_keys"].as_array().expect("manifest: private_keys") {
        let file = pk["file"].as_str().expect("file");
        let canonical = pk["canonical_key_id"].as_str().expect("canonical_key_id");
        assert_eq!(file, format!("trust/private/{canonical}.key"));
        assert!(support::notary_cli_dir().join(file).is_file(), "{file} missing");
        for usage in pk["used_in_metadata_as"].as_array().expect("used_in_metadata_as") {
            let repo = repos.iter().find(|r| usage["gun"] == r.gun.as_str()).expect("repo of usage");
            let key_id = usage["key_id"].as_str().expect("key_id");
            let key = repo
                .files
                .iter()
                .flat_map(|f| listed_keys(&f.parsed()))
                .find(|(id, _)| id.as_str() == key_id)
                .map(|(_, k)| k)
                .unwrap_or_else(|| panic!("{}: key {key_id} not listed", repo.label));
            assert_eq!(Some(key.key_type().as_str()), usage["keytype"].as_str(), "{key_id}");
            assert_eq!(key.canonical_id().expect("canonical").as_str(), canonical, "{key_id}");
            if key.key_type() == KeyType::EcdsaX509 {
                x509 += 1;
            }
        }
    }
    // Two root certificates (one per repository, same private key) and the qa certificate.
    assert_eq!(x509, 3, "ecdsa-x509 keys checked");
}

// ---------------------------------------------------------------------------------------------
// 4. Snapshot and timestamp hashes are over the exact file bytes (§2.3, §2.5).

#[test]
fn snapshot_and_timestamp_hash_the_exact_file_bytes() {
    for repo in support::all_repos() {
        let snapshot = repo.snapshot();
        let listed: BTreeSet<&str> = snapshot.signed().meta.keys().map(String::as_str).collect();
        let files: BTreeSet<&str> =
            repo.files.iter().map(|f| f.role.as_str()).filter(|r| *r != "snapshot" && *r != "timestamp").collect();
        assert_eq!(listed, files, "{}: snapshot meta entries", repo.label);
        for (role, meta) in &snapshot.signed().meta {
            let file = repo.expect_file(role);
            meta.check(&file.bytes).unwrap_or_else(|e| panic!("{} snapshot meta.{role}: {e}", repo.label));
            // Go's re-serialisation (what the server hashes) gives the same result.
            let reserialised = file.parsed().to_file_bytes().expect("re-serialise");
            meta.check(&reserialised).unwrap_or_else(|e| panic!("{} re-serialised {role}: {e}", repo.label));
            // A single extra byte (e.g. a trailing newline) does not match.
            let mut newline = file.bytes.clone();
            newline.push(b'\n');
            assert!(meta.check(&newline).is_err(), "{} {role}: trailing newline accepted", repo.label);
        }

        let timestamp = repo.timestamp();
        assert_eq!(timestamp.signed().meta.len(), 1, "{}: timestamp lists only the snapshot", repo.label);
        let snap_meta = timestamp.signed().snapshot_meta().expect("timestamp meta.snapshot");
        let snap_file = repo.expect_file("snapshot");
        snap_meta.check(&snap_file.bytes).unwrap_or_else(|e| panic!("{} timestamp meta.snapshot: {e}", repo.label));
        snap_meta.check(&snapshot.to_file_bytes().expect("re-serialise")).expect("re-serialised snapshot");
    }
}

/// The server-managed repository's snapshot was made by the server from Go re-serialisations
/// (§2.5): recomputing every entry from our `to_file_bytes()` gives exactly the signed entries,
/// and so does the server-made timestamp for the snapshot.
#[test]
fn server_managed_snapshot_entries_equal_our_reserialisation_hashes() {
    let repos = support::notary_cli_repos();
    let repo = repos.iter().find(|r| manifest_repo(&r.gun)["snapshot_key"] == "server").expect("server-managed repo");
    let snapshot = repo.snapshot();
    assert_eq!(snapshot.signed().meta.len(), 4, "root, targets and two delegations");
    for (role, meta) in &snapshot.signed().meta {
        let ours = FileMeta::for_metadata_bytes(&repo.expect_file(role).parsed().to_file_bytes().expect("bytes"));
        assert_eq!(&ours, meta, "{role}: snapshot entry vs our re-serialisation");
    }
    let ours = FileMeta::for_metadata_bytes(&snapshot.to_file_bytes().expect("bytes"));
    assert_eq!(Some(&ours), repo.timestamp().signed().snapshot_meta(), "timestamp meta.snapshot");
}

// ---------------------------------------------------------------------------------------------
// 5. Targets per role (T7: hashes are base64 on the wire, hex in CLI output).

fn custom_json(meta: &FileMeta) -> Option<serde_json::Value> {
    meta.custom.as_ref().map(|c| serde_json::from_slice(c.as_bytes()).expect("custom is JSON"))
}

#[test]
fn notary_cli_targets_match_the_manifest_per_role() {
    for repo in support::notary_cli_repos() {
        let m = manifest_repo(&repo.gun);
        let all = repo.all_targets();
        let expected = m["targets"].as_object().expect("manifest: targets");
        let roles: BTreeSet<&str> = all.keys().map(RoleName::as_str).collect();
        assert_eq!(roles, expected.keys().map(String::as_str).collect(), "{}: targets roles", repo.label);
        for (role, want) in expected {
            let want = want.as_object().expect("targets of a role");
            let got = &all[&RoleName::new(role.as_str()).expect("role")].signed().targets;
            let names: BTreeSet<&str> = got.keys().map(String::as_str).collect();
            assert_eq!(names, want.keys().map(String::as_str).collect(), "{} {role}: target names", repo.label);
            for (name, w) in want {
                let ctx = format!("{} {role} {name:?}", repo.label);
                let meta = &got[name];
                assert_eq!(Some(meta.length), w["length"].as_i64(), "{ctx}: length");
                assert_eq!(meta.sha256().map(support::hex).as_deref(), w["sha256"].as_str(), "{ctx}: sha256");
                assert_eq!(meta.sha512().map(support::hex).as_deref(), w["sha512"].as_str(), "{ctx}: sha512");
                assert_eq!(custom_json(meta).as_ref(), w.get("custom"), "{ctx}: custom");
            }
        }
        for removed in m["removed"].as_array().expect("manifest: removed") {
            let removed = removed.as_str().expect("removed name");
            for (role, t) in &all {
                assert!(!t.signed().targets.contains_key(removed), "{}: {removed} still in {role}", repo.label);
            }
        }
        for (name, r) in m["resolved"].as_object().expect("manifest: resolved") {
            let role = RoleName::new(r["role"].as_str().expect("role")).expect("role name");
            let meta = all[&role].signed().targets.get(name).unwrap_or_else(|| panic!("{name} not in {role}"));
            assert_eq!(meta.sha256().map(support::hex).as_deref(), r["sha256"].as_str(), "{name} in {role}");
            assert_eq!(Some(meta.length), r["length"].as_i64(), "{name} in {role}");
        }
    }
}

/// `expected-targets.tsv` (written while the CLI ran): the metadata hashes the actual payload
/// files, the `--custom` inputs, and the `addhash` digests; removed targets are gone.
#[test]
fn notary_cli_targets_hash_the_payload_files_in_expected_targets_tsv() {
    let repos = support::notary_cli_repos();
    let dir = support::notary_cli_dir();
    let tsv = std::fs::read_to_string(dir.join("expected-targets.tsv")).expect("expected-targets.tsv");
    let mut rows = 0;
    for line in tsv.lines().filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [gun, role, name, kind, src, length, custom, state] = cols[..] else {
            panic!("expected-targets.tsv: bad row {line:?}")
        };
        let repo = repos.iter().find(|r| r.gun == gun).unwrap_or_else(|| panic!("no repo {gun}"));
        let targets = repo.targets(role);
        let ctx = format!("{gun} {role} {name:?}");
        let got = targets.signed().targets.get(name);
        match state {
            "removed" => {
                assert!(got.is_none(), "{ctx}: removed target still present");
                rows += 1;
                continue;
            }
            "present" => {}
            other => panic!("{ctx}: unknown state {other}"),
        }
        let meta = got.unwrap_or_else(|| panic!("{ctx}: missing"));
        match kind {
            "file" => {
                let payload = std::fs::read(dir.join(src)).unwrap_or_else(|e| panic!("{ctx}: {src}: {e}"));
                assert_eq!(meta.length, payload.len() as i64, "{ctx}: length");
                meta.check(&payload).unwrap_or_else(|e| panic!("{ctx}: {src}: {e}"));
                assert_eq!(
                    meta.sha512().map(support::hex),
                    Some(sha512_hex(&payload)),
                    "{ctx}: notary add writes sha512"
                );
                assert_eq!(meta.sha256().map(support::hex), Some(sha256_hex(&payload)), "{ctx}: sha256");
            }
            "hash" => {
                let (sha256, sha512) = match src.split_once(':') {
                    Some((a, b)) => (a, Some(b)),
                    None => (src, None),
                };
                assert_eq!(meta.sha256().map(support::hex).as_deref(), Some(sha256), "{ctx}: sha256");
                assert_eq!(meta.sha512().map(support::hex).as_deref(), sha512, "{ctx}: sha512");
                assert_eq!(Some(meta.length), length.parse().ok(), "{ctx}: length");
            }
            other => panic!("{ctx}: unknown kind {other}"),
        }
        if custom.is_empty() {
            assert!(meta.custom.is_none(), "{ctx}: unexpected custom");
        } else {
            let input = std::fs::read(dir.join(custom)).expect("custom input");
            let want: serde_json::Value = serde_json::from_slice(&input).expect("custom input is JSON");
            assert_eq!(custom_json(meta), Some(want), "{ctx}: custom");
        }
        rows += 1;
    }
    assert_eq!(rows, 15, "expected-targets.tsv rows checked");
}

/// A target as the READMEs list it: name, hex sha256, length.
type ReadmeTarget = (&'static str, &'static str, i64);

#[test]
fn go_fixture_targets_match_their_readmes() {
    const LICENSE: (&str, &str, i64) =
        ("LICENSE", "9395bac6fccb26bcb55efb083d1b4b0fe72a1c25f959f056c016120b3bb56a62", 11309);
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut seen = 0;
    for repo in support::go_compat_repos() {
        let expected: Vec<(&str, Vec<ReadmeTarget>)> = match repo.label.as_str() {
            "notary0.1" => vec![("targets", vec![LICENSE])],
            "notary0.3" => {
                vec![("targets", vec![LICENSE, ("change", EMPTY, 0)]), ("targets/releases", vec![("hello", EMPTY, 0)])]
            }
            other => panic!("unknown Go fixture {other}"),
        };
        let all = repo.all_targets();
        assert_eq!(all.len(), expected.len(), "{}: targets roles", repo.label);
        for (role, want) in expected {
            let got = &all[&RoleName::new(role).expect("role")].signed().targets;
            let got: Vec<(&str, String, i64)> =
                got.iter().map(|(n, m)| (n.as_str(), support::hex(m.sha256().expect("sha256")), m.length)).collect();
            let want: Vec<(&str, String, i64)> = want.into_iter().map(|(n, h, l)| (n, h.to_owned(), l)).collect();
            assert_eq!(got, want, "{} {role}", repo.label);
        }
        seen += 1;
    }
    if seen > 0 {
        assert_eq!(seen, 2, "notary0.1 and notary0.3");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Expiry against an injectable clock (T16).

#[test]
fn every_fixture_file_is_unexpired_at_the_pinned_generation_clock() {
    let clock = FixedClock(support::notary_cli_generated_at() + Duration::hours(1));
    for repo in support::all_repos() {
        for file in &repo.files {
            file.parsed()
                .check_expiry(&clock)
                .unwrap_or_else(|e| panic!("{} {} at {}: {e}", repo.label, file.role, clock.now()));
        }
    }
}

#[test]
fn notary_cli_timestamp_is_expired_15_days_after_generation_and_nothing_else_is() {
    let generated = support::notary_cli_generated_at();
    let later = FixedClock(generated + Duration::days(15));
    for repo in support::notary_cli_repos() {
        for file in &repo.files {
            let parsed = file.parsed();
            let ctx = format!("{} {}", repo.label, file.role);
            if file.role.as_str() != "timestamp" {
                parsed.check_expiry(&later).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                continue;
            }
            // Server-signed timestamps expire 14 days after signing, just before generation.
            let expires = parsed.expires().to_utc();
            let lifetime = expires - generated;
            assert!(
                lifetime <= Duration::days(14) && lifetime > Duration::days(14) - Duration::minutes(5),
                "{ctx}: expires {expires}, generated {generated}"
            );
            match parsed.check_expiry(&later) {
                Err(VerifyError::Expired { role, expires: e, now }) => {
                    assert_eq!(role, "timestamp", "{ctx}: the error names the role");
                    assert_eq!(e, parsed.expires().to_go_string());
                    assert_eq!(now, later.now().to_rfc3339());
                }
                other => panic!("{ctx}: expected Expired at generation + 15 days, got {other:?}"),
            }
            let err = parsed.check_expiry(&later).unwrap_err().to_string();
            assert!(err.contains("timestamp"), "{ctx}: message {err:?} does not name the role");
            // No skew tolerance: valid at the expiry instant, expired one nanosecond later.
            parsed.check_expiry(&FixedClock(expires)).unwrap_or_else(|e| panic!("{ctx} at expiry: {e}"));
            assert!(parsed.check_expiry(&FixedClock(expires + Duration::nanoseconds(1))).is_err(), "{ctx}");
        }
    }
}

/// With the real clock, the notary-cli timestamps are reported expired exactly when they
/// are: the outcome is decided by comparing the file's expiry with the current time, so the
/// test is deterministic on any date (no sleeping). The Go fixtures' metadata expires in 2116.
#[test]
fn system_clock_reports_the_notary_cli_timestamp_expired_once_it_has_expired() {
    for repo in support::all_repos() {
        for file in &repo.files {
            let parsed = file.parsed();
            let ctx = format!("{} {}", repo.label, file.role);
            let expires = parsed.expires().to_utc();
            let before = SystemClock.now();
            let result = parsed.check_expiry(&SystemClock);
            let after = SystemClock.now();
            if before > expires {
                match result {
                    Err(VerifyError::Expired { role, .. }) => assert_eq!(role, file.role.as_str(), "{ctx}"),
                    other => panic!("{ctx}: expired at {expires}, now {before}: got {other:?}"),
                }
            } else if after <= expires {
                result.unwrap_or_else(|e| panic!("{ctx}: valid until {expires}, now {after}: {e}"));
            }
            // (before <= expires < after: the expiry instant passed during the call; either
            // outcome is correct.)
            if repo.origin == Origin::NotaryCli && file.role.as_str() == "timestamp" {
                println!(
                    "golden: {ctx} expires {expires}; now {before}: {}",
                    if before > expires { "expired" } else { "valid" }
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Metadata we sign ourselves goes through the same code path (T2, T3, T9).

#[tokio::test(flavor = "current_thread")]
async fn metadata_we_sign_ourselves_verifies_and_is_written_as_go_writes_it() {
    let targets_key = SoftwareKey::generate_p256().expect("key");
    let releases_key = SoftwareKey::generate_p256().expect("key");
    let rid = releases_key.public_key().id().clone();
    let expires = Expires::parse("2030-01-02T03:04:05Z").expect("expires");

    let custom_value = Value::parse("{\"z\":1,\"a\":{\"ü\":\"é\",\"list\":[true,null,\"x\"]}}".as_bytes()).unwrap();
    let custom = Custom::canonical(&custom_value).expect("canonical custom");
    assert_eq!(custom.as_bytes(), "{\"a\":{\"list\":[true,null,\"x\"],\"ü\":\"é\"},\"z\":1}".as_bytes());
    // Go would sign `<>&` in custom data escaped but verify it unescaped: refused.
    assert!(Custom::canonical(&Value::parse(br#"{"a":"<"}"#).unwrap()).is_err());

    let payload = b"payload\n";
    let plain = FileMeta::for_metadata_bytes(payload);
    let with_custom = FileMeta { custom: Some(custom.clone()), ..plain.clone() };
    let names = ["a<b&c>d", "line\u{2028}sep\u{2029}para", "café-ü/ß", "plain"];

    let mut parent = Targets::new(expires, Version::FIRST);
    parent.delegations = Delegations {
        keys: Some([(rid.clone(), releases_key.public_key().clone())].into()),
        roles: Some(vec![DelegatedRole {
            name: RoleName::releases(),
            keys: RoleKeys::new(vec![rid.clone()], 1),
            paths: vec![String::new()],
        }]),
    };
    for n in names {
        parent.targets.insert(n.to_owned(), if n == "a<b&c>d" { with_custom.clone() } else { plain.clone() });
    }
    let mut child = Targets::new(expires, Version::FIRST);
    child.targets.insert("a<b&c>d".to_owned(), with_custom.clone());

    let signed_parent = Signed::sign(RoleName::targets(), parent, &[&targets_key]).await.expect("sign targets");
    let signed_child = Signed::sign(RoleName::releases(), child, &[&releases_key]).await.expect("sign releases");

    // The exact bytes Go writes: canonical body (raw `<>&`, U+2028/9 and UTF-8) signed, and
    // embedded HTML-escaped in the envelope.
    let h256 = base64_encode(plain.sha256().unwrap());
    let h512 = base64_encode(plain.sha512().unwrap());
    let fm = |c: &str| format!(r#"{{{c}"hashes":{{"sha256":"{h256}","sha512":"{h512}"}},"length":8}}"#);
    let custom_member = r#""custom":{"a":{"list":[true,null,"x"],"ü":"é"},"z":1},"#;
    let rkey = format!(
        r#"{{"keytype":"ecdsa","keyval":{{"private":null,"public":"{}"}}}}"#,
        base64_encode(releases_key.public_key().public())
    );
    let head = r#"{"_type":"Targets","delegations":"#;
    let deleg = format!(
        r#"{{"keys":{{"{rid}":{rkey}}},"roles":[{{"keyids":["{rid}"],"name":"targets/releases","paths":[""],"threshold":1}}]}}"#
    );
    let tail = r#","version":1}"#;
    let raw_targets = format!(
        "\"a<b&c>d\":{},\"café-ü/ß\":{},\"line\u{2028}sep\u{2029}para\":{},\"plain\":{}",
        fm(custom_member),
        fm(""),
        fm(""),
        fm("")
    );
    let esc_targets = format!(
        "\"a\\u003cb\\u0026c\\u003ed\":{},\"café-ü/ß\":{},\"line\\u2028sep\\u2029para\":{},\"plain\":{}",
        fm(custom_member),
        fm(""),
        fm(""),
        fm("")
    );
    let expires_member = r#","expires":"2030-01-02T03:04:05Z","targets":{"#;
    let canonical_parent = format!("{head}{deleg}{expires_member}{raw_targets}}}{tail}");
    let escaped_parent = format!("{head}{deleg}{expires_member}{esc_targets}}}{tail}");
    assert_same_bytes("signed message", signed_parent.message(), canonical_parent.as_bytes());

    let parent_bytes = signed_parent.to_file_bytes().expect("file bytes");
    let sig = &signed_parent.signatures()[0];
    assert_eq!(sig.sig.len(), 64, "raw r‖s");
    let expected_file = format!(
        r#"{{"signed":{escaped_parent},"signatures":[{{"keyid":"{}","method":"ecdsa","sig":"{}"}}]}}"#,
        targets_key.public_key().id(),
        base64_encode(&sig.sig)
    );
    assert_same_bytes("our targets.json", &parent_bytes, expected_file.as_bytes());
    for raw in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
        assert!(!String::from_utf8_lossy(&parent_bytes).contains(raw), "envelope contains a raw {raw:?}");
    }
    for esc in [r"\u003c", r"\u0026", r"\u003e", r"\u2028", r"\u2029"] {
        assert!(String::from_utf8_lossy(&parent_bytes).contains(esc), "envelope lacks {esc}");
    }
    // The signature is over the unescaped canonical body, not the escaped one (T2).
    verify_signature(targets_key.public_key(), "ecdsa", canonical_parent.as_bytes(), &sig.sig).expect("raw body");
    assert!(verify_signature(targets_key.public_key(), "ecdsa", escaped_parent.as_bytes(), &sig.sig).is_err());

    // Re-parse and verify through the fixture code path: targets with the keys root would
    // list, the delegation with the keys its parent lists.
    let parsed_parent = Signed::<Targets>::parse(RoleName::targets(), &parent_bytes).expect("parse ours");
    assert_eq!(parsed_parent.message(), signed_parent.message(), "verifier's canonical form = signed bytes (T3)");
    let trusted_targets = TrustedKeys {
        keys: [(targets_key.public_key().id().clone(), targets_key.public_key().clone())].into(),
        threshold: 1,
    };
    let valid = parsed_parent.verify(&trusted_targets).expect("our targets verify");
    assert_eq!(valid.into_iter().collect::<Vec<_>>(), vec![targets_key.public_key().id().clone()]);
    assert_same_bytes("targets re-serialised", &parsed_parent.to_file_bytes().unwrap(), &parent_bytes);

    let child_bytes = signed_child.to_file_bytes().expect("file bytes");
    let parsed_child = Signed::<Targets>::parse(RoleName::releases(), &child_bytes).expect("parse ours");
    let trusted_child =
        support::trusted_keys_from_parent(parsed_parent.signed(), &RoleName::releases()).expect("delegation");
    assert_eq!(trusted_child.threshold, 1);
    let valid = parsed_child.verify(&trusted_child).expect("our delegation verifies");
    assert_eq!(valid.into_iter().collect::<Vec<_>>(), vec![rid.clone()]);
    assert_same_bytes("releases re-serialised", &parsed_child.to_file_bytes().unwrap(), &child_bytes);
    // Our files are fixed points, and what a snapshot would list for them matches both forms.
    let entry = FileMeta::for_metadata_bytes(&child_bytes);
    entry.check(&parsed_child.to_file_bytes().unwrap()).expect("snapshot entry");
    // The delegation key does not verify the parent, nor the reverse.
    assert!(parsed_parent.verify(&trusted_child).is_err());
    assert!(parsed_child.verify(&trusted_targets).is_err());
    assert_eq!(
        parsed_parent.signed().targets["a<b&c>d"].custom.as_ref().map(Custom::as_bytes),
        Some(custom.as_bytes())
    );
}

/// A `custom` value that is not itself canonical (built with `Custom::from_json`) is written
/// as received, compacted and HTML-escaped, as Go writes a `json.RawMessage`; verifiers check the
/// canonical form of the parsed body, so that is what gets signed (trap T9) and the file
/// verifies after a round trip — where Go's own signer would produce an unverifiable file.
#[tokio::test(flavor = "current_thread")]
async fn signing_a_non_canonical_custom_still_produces_a_verifiable_file() {
    let key = SoftwareKey::generate_p256().expect("key");
    let trusted =
        TrustedKeys { keys: [(key.public_key().id().clone(), key.public_key().clone())].into(), threshold: 1 };
    for custom in [&br#"{"b":1,"a":2}"#[..], br#""x<y""#, br#""\u00e9""#] {
        let mut body = Targets::new(Expires::parse("2030-01-01T00:00:00Z").expect("expires"), Version::FIRST);
        let meta =
            FileMeta { custom: Some(Custom::from_json(custom).expect("JSON")), ..FileMeta::sha256_only([1; 32], 1) };
        body.targets.insert("t".to_owned(), meta);
        let signed = Signed::sign(RoleName::targets(), body, &[&key]).await.expect("sign");
        signed.verify(&trusted).expect("the in-memory value verifies");
        let bytes = signed.to_file_bytes().expect("bytes");
        let parsed = Signed::<Targets>::parse(RoleName::targets(), &bytes).expect("parse");
        let ctx = String::from_utf8_lossy(custom);
        assert_same_bytes(&format!("custom {ctx}: file re-serialised"), &parsed.to_file_bytes().unwrap(), &bytes);
        parsed.verify(&trusted).unwrap_or_else(|e| panic!("custom {ctx}: the file we wrote does not verify: {e}"));
    }
}
