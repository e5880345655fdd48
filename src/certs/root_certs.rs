//! The certificates of a root's `root` role keys and which of them are usable
//! (`trustpinning/certs.go parseAllCerts`, `validRootLeafCerts`, `validRootIntCerts`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::check::check_parsed;
use super::parsed::ParsedCert;
use super::pem_chain::{bundle_key, parse_bundle};
use crate::metadata::{KeyId, PublicKey, ROOT, Root};

/// Every root key's leaf certificate and intermediates, by the key's content ID.
#[derive(Default)]
pub(crate) struct RootCerts {
    pub(crate) leaves: BTreeMap<KeyId, ParsedCert>,
    pub(crate) intermediates: BTreeMap<KeyId, Vec<ParsedCert>>,
    /// Why keys were left out.
    pub(crate) reasons: Vec<String>,
}

/// Go's `parseAllCerts`: for each key of the `root` role, the PEM bundle must parse as
/// certificates only, contain exactly one non-CA certificate, and start with it; the CA
/// certificates are its intermediates. Unusable keys are skipped (with a reason).
pub(crate) fn parse_all_certs(root: &Root) -> RootCerts {
    let mut out = RootCerts::default();
    for key_id in root.role(ROOT).map(|r| r.key_ids()).unwrap_or_default() {
        let Some(key) = root.keys.get(key_id) else {
            out.reasons.push(format!("{key_id}: key not listed"));
            continue;
        };
        let certs = match parse_bundle(key.public()) {
            Ok(certs) => certs,
            Err(e) => {
                out.reasons.push(format!("{key_id}: {e}"));
                continue;
            }
        };
        let leaf_count = certs.iter().filter(|c| !c.is_ca).count();
        if leaf_count != 1 {
            out.reasons.push(format!("{key_id}: {leaf_count} leaf (non-CA) certificates, expected exactly one"));
            continue;
        }
        let (leaf, rest) = match certs.split_first() {
            Some((leaf, rest)) if !leaf.is_ca => (leaf.clone(), rest),
            _ => {
                out.reasons.push(format!("{key_id}: the leaf certificate is not the first of the bundle"));
                continue;
            }
        };
        out.intermediates.insert(key.id().clone(), rest.iter().filter(|c| c.is_ca).cloned().collect());
        out.leaves.insert(key.id().clone(), leaf);
    }
    out
}

/// Go's `MatchCNToGun`: equal, or the CN ends with `*` and the GUN starts with the CN minus
/// all its trailing `*`.
pub(crate) fn cn_matches_gun(common_name: &str, gun: &str) -> bool {
    if common_name.ends_with('*') { gun.starts_with(common_name.trim_end_matches('*')) } else { common_name == gun }
}

/// Go's `validRootLeafCerts`: leaves whose CN matches the GUN and that pass the certificate
/// checks (with the validity window at `expiry_at` when given). Rejections are appended to
/// `reasons`.
pub(crate) fn valid_leaf_certs<'a>(
    leaves: &'a BTreeMap<KeyId, ParsedCert>,
    gun: &str,
    expiry_at: Option<DateTime<Utc>>,
    reasons: &mut Vec<String>,
) -> BTreeMap<KeyId, &'a ParsedCert> {
    let mut valid = BTreeMap::new();
    for (id, cert) in leaves {
        if !cn_matches_gun(&cert.common_name, gun) {
            reasons.push(format!("{id}: certificate CN {:?} does not match the GUN {gun:?}", cert.common_name));
            continue;
        }
        if let Err(e) = check_parsed(cert, expiry_at) {
            reasons.push(format!("{id}: {e}"));
            continue;
        }
        valid.insert(id.clone(), cert);
    }
    valid
}

/// Go's `validRootIntCerts`: intermediates that pass the certificate checks, validity window
/// included.
pub(crate) fn valid_intermediates(
    all: &BTreeMap<KeyId, Vec<ParsedCert>>,
    now: DateTime<Utc>,
) -> BTreeMap<KeyId, Vec<ParsedCert>> {
    all.iter()
        .map(|(id, certs)| (id.clone(), certs.iter().filter(|c| check_parsed(c, Some(now)).is_ok()).cloned().collect()))
        .collect()
}

/// Go's `CertsToKeys`: each leaf with its intermediates re-encoded as a certificate key, by
/// the **recomputed** key ID.
pub(crate) fn certs_to_keys(
    leaves: &BTreeMap<KeyId, &ParsedCert>,
    intermediates: &BTreeMap<KeyId, Vec<ParsedCert>>,
) -> BTreeMap<KeyId, PublicKey> {
    leaves
        .iter()
        .filter_map(|(id, leaf)| bundle_key(leaf, intermediates.get(id).map(Vec::as_slice).unwrap_or_default()))
        .map(|key| (key.id().clone(), key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cn_wildcards_trim_every_trailing_star() {
        assert!(cn_matches_gun("docker.io/library/alpine", "docker.io/library/alpine"));
        assert!(!cn_matches_gun("docker.io/library/alpine", "docker.io/library/alpine2"));
        assert!(cn_matches_gun("docker.io/library/*", "docker.io/library/alpine"));
        assert!(cn_matches_gun("docker.io/**", "docker.io/x"));
        assert!(cn_matches_gun("*", "anything"));
        assert!(!cn_matches_gun("docker.io/library/*", "docker.io/other/x"));
    }
}
