//! Docker's pull-time lookup (`TrustedReference`): which manifest digest a tag is signed to.

use crate::metadata::RoleName;
use crate::trusted::TrustedRepository;

/// A tag's signed manifest, as `docker pull` with content trust resolved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDigest {
    /// `sha256:<hex>`.
    pub digest: String,
    /// The manifest's size in bytes.
    pub size: u64,
    /// The role that signs it: `targets/releases` or `targets`.
    pub role: RoleName,
}

/// The digest `tag` is signed to, looked up as Docker does: the `targets/releases` subtree
/// first, then `targets`, accepting only a hit in one of those two roles and one with a
/// SHA-256. `None` means "no trust data for this tag": Docker refuses to pull it.
///
/// ```no_run
/// # fn f(trusted: &notary_client::trusted::TrustedRepository) {
/// if let Some(signed) = notary_client::docker::signed_digest(trusted, "1.2") {
///     println!("pull app@{}", signed.digest);
/// }
/// # }
/// ```
pub fn signed_digest(repo: &TrustedRepository, tag: &str) -> Option<SignedDigest> {
    let entry = repo.lookup(tag, &[RoleName::releases(), RoleName::targets()])?;
    if entry.role != RoleName::releases() && entry.role != RoleName::targets() {
        return None;
    }
    let sha256 = entry.meta.sha256()?;
    Some(SignedDigest {
        digest: format!("sha256:{}", hex::encode(sha256)),
        size: u64::try_from(entry.meta.length).ok()?,
        role: entry.role,
    })
}
