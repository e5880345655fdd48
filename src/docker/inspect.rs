//! `docker trust inspect`: signed tags with their digests and signers, the signers' keys, and
//! the administrative (root and repository) keys — the same content as the docker CLI's JSON
//! (`cmd/docker-trust/trust/inspect.go`), computed from a verified repository. Its output
//! formats, docker's JSON bytes and `--pretty` text, are in `inspect_format.rs`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metadata::{RELEASES, RoleName, TARGETS};
use crate::trusted::TrustedRepository;

/// The signer name docker shows for tags signed only into `targets` or `targets/releases`.
pub const REPO_ADMIN: &str = "Repo Admin";

/// One repository as `docker trust inspect` reports it. Its `Serialize` is docker's JSON
/// structure, field for field (`trustRepo`, `trustSigner`, `trustKey`, with their
/// `omitempty`s); [`inspect_json`](super::inspect_json) prints it as docker does, and
/// [`TrustInspect::pretty`] as `--pretty`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrustInspect {
    /// The reference as given (`docker trust inspect` echoes its argument).
    pub name: String,
    /// Released tags (signed into `targets` or `targets/releases`), in natural order of the
    /// tag, then by digest.
    pub signed_tags: Vec<SignedTag>,
    /// Signers (delegations other than `targets/releases`), by name descending as docker.
    pub signers: Vec<SignerKeys>,
    /// `Root` and `Repository` (targets) keys.
    pub administrative_keys: Vec<SignerKeys>,
}

/// A released tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignedTag {
    /// The tag.
    pub signed_tag: String,
    /// The manifest digest, hex SHA-256 (no `sha256:` prefix, as docker prints it).
    pub digest: String,
    /// Signer names (delegations that signed the same digest), or [`REPO_ADMIN`].
    pub signers: Vec<String>,
}

/// A signer or administrative role and its key IDs (docker's `trustSigner`: an empty name or
/// key list is left out of the JSON, as its `omitempty` does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignerKeys {
    /// Signer name (`alice` for `targets/alice`), or `Root` / `Repository`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyRef>,
}

/// A key ID: canonical IDs for signers (as docker shows them), metadata (TUF) IDs for the
/// administrative keys (docker's `trustKey`: an empty ID is left out of the JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRef {
    /// The ID.
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
}

impl TrustInspect {
    /// The inspect model of `repo` for `name` (the reference as the user typed it); with
    /// `tag`, only that tag is reported, as `docker trust inspect image:tag`.
    ///
    /// ```no_run
    /// # fn f(trusted: &notary_client::trusted::TrustedRepository) -> serde_json::Result<()> {
    /// use notary_client::docker::{TrustInspect, inspect_json};
    /// let report = TrustInspect::new(trusted, "registry.example.com/app", None);
    /// println!("{}", inspect_json(&[report])?);
    /// # Ok(()) }
    /// ```
    pub fn new(repo: &TrustedRepository, name: &str, tag: Option<&str>) -> Self {
        TrustInspect {
            name: name.to_owned(),
            signed_tags: signed_tags(repo, tag),
            signers: signers(repo),
            administrative_keys: administrative_keys(repo),
        }
    }
}

fn is_released(role: &RoleName) -> bool {
    role.as_str() == TARGETS || role.as_str() == RELEASES
}

fn signer_name(role: &RoleName) -> String {
    if is_released(role) {
        return REPO_ADMIN.to_owned();
    }
    role.as_str().strip_prefix("targets/").unwrap_or(role.as_str()).to_owned()
}

fn signed_tags(repo: &TrustedRepository, tag: Option<&str>) -> Vec<SignedTag> {
    let digest = |t: &crate::trusted::TargetEntry| hex::encode(t.meta.sha256().unwrap_or_default());
    let entries: Vec<_> = repo
        .all_targets()
        .into_iter()
        .filter(|t| tag.is_none_or(|tag| t.name == tag))
        .map(|t| ((t.name.clone(), digest(&t)), t.role))
        .collect();
    // Released (tag, digest) pairs, then every other role signing the same pair, in walk order.
    let mut rows: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (key, role) in &entries {
        if is_released(role) {
            rows.entry(key.clone()).or_default();
        }
    }
    for (key, role) in &entries {
        if !is_released(role)
            && let Some(signers) = rows.get_mut(key)
        {
            signers.push(signer_name(role));
        }
    }
    let mut rows: Vec<SignedTag> = rows
        .into_iter()
        .map(|((signed_tag, digest), mut signers)| {
            if signers.is_empty() {
                signers.push(REPO_ADMIN.to_owned());
            }
            SignedTag { signed_tag, digest, signers }
        })
        .collect();
    // Docker sorts only by tag (unstably); rows of one tag signed to several digests are
    // ordered by digest here so the output is deterministic.
    rows.sort_by(|a, b| natural_cmp(&a.signed_tag, &b.signed_tag).then_with(|| a.digest.cmp(&b.digest)));
    rows
}

fn signers(repo: &TrustedRepository) -> Vec<SignerKeys> {
    let mut out: Vec<SignerKeys> = Vec::new();
    for d in repo.delegations() {
        if d.role.as_str() == RELEASES {
            continue;
        }
        // Keys the parent lists for the role, by canonical ID (docker's `GetDelegationRoles`).
        let parent = repo.role(&d.parent).map(|t| &t.metadata.signed().delegations);
        let keys = d
            .key_ids
            .iter()
            .map(|id| {
                let canonical = parent.and_then(|p| p.key(id)).and_then(|k| k.canonical_id().ok());
                KeyRef { id: canonical.map_or_else(|| id.to_string(), |c| c.to_string()) }
            })
            .collect();
        let name = signer_name(&d.role);
        // A later role of the same signer name replaces an earlier one, as docker's map does.
        out.retain(|s| s.name != name);
        out.push(SignerKeys { name, keys });
    }
    out.sort_by(|a, b| b.name.cmp(&a.name));
    out
}

fn administrative_keys(repo: &TrustedRepository) -> Vec<SignerKeys> {
    let root = repo.root().signed();
    let mut out: Vec<SignerKeys> = [("Root", "root"), ("Repository", "targets")]
        .into_iter()
        .map(|(name, role)| SignerKeys {
            name: name.to_owned(),
            keys: root
                .role(role)
                .map(|r| r.key_ids().iter().map(|id| KeyRef { id: id.to_string() }).collect())
                .unwrap_or_default(),
        })
        .collect();
    out.sort_by(|a, b| b.name.cmp(&a.name));
    out
}

/// `sortorder.NaturalLess`: runs of digits compare by value, everything else bytewise.
pub(super) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (na, nb) = (trim_zeros(&a[si..i]), trim_zeros(&b[sj..j]));
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if ord != Ordering::Equal {
                return ord;
            }
            // Equal values: fewer leading zeros first.
            let ord = (i - si).cmp(&(j - sj));
            if ord != Ordering::Equal {
                return ord;
            }
        } else if a[i].is_ascii_digit() != b[j].is_ascii_digit() {
            // Digits sort before any other character.
            return if a[i].is_ascii_digit() { Ordering::Less } else { Ordering::Greater };
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits.iter().position(|&d| d != b'0').unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn tags_sort_naturally() {
        let mut tags = vec!["v10", "v2", "latest", "v1.10", "v1.9", "1", "01"];
        tags.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(tags, ["1", "01", "latest", "v1.9", "v1.10", "v2", "v10"]);
        assert_eq!(natural_cmp("a", "a"), Equal);
        assert_eq!(natural_cmp("a", "ab"), Less);
        assert_eq!(natural_cmp("v1", "v."), Less, "digits sort before other characters");
    }
}
