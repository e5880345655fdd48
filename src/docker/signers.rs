//! Docker's signing conventions (`docker trust sign`, `revoke`, `signer add`, `signer remove`;
//! spec §6.2, §6.4): tags are signed into every direct child of `targets` whose keys the
//! keyring holds, and a signer `NAME` is the role `targets/NAME` plus its keys in
//! `targets/releases`, the role `docker pull` reads.

use super::validate_signer_name;
use crate::metadata::{FileMeta, PublicKey, RELEASES, RoleName};
use crate::repository::{Change, InitOptions, PublishError, Published, Repository, TargetRoles};
use crate::trusted::{DelegationInfo, TrustedRepository};

/// `docker trust sign IMAGE:TAG` once the image is pushed: signs `tag` as the manifest with
/// SHA-256 `digest` and `size` bytes, into the roles Docker chooses (`targets` when the
/// repository has no delegations, else every direct child of `targets` that the keyring can
/// sign and whose paths allow the tag), and publishes.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use notary_client::docker::{DockerTrust, ImageReference, sign_tag};
/// let reference = ImageReference::parse("registry.example.com/team/app:1.2")?;
/// let repo = DockerTrust::from_env()?.repository(&reference)?;
/// let digest = [0x5a; 32]; // sha256 of the pushed manifest
/// sign_tag(&repo, "1.2", digest, 528).await?;
/// # Ok(()) }
/// ```
pub async fn sign_tag(repo: &Repository, tag: &str, digest: [u8; 32], size: i64) -> Result<Published, PublishError> {
    repo.publish(&[Change::add_target(TargetRoles::Signable, tag, FileMeta::sha256_only(digest, size))]).await
}

/// `docker trust revoke IMAGE:TAG`: removes `tag` from the roles Docker chooses and publishes.
/// As docker, a tag that neither `targets/releases` nor `targets` signs is an error.
pub async fn revoke_tag(repo: &Repository, tag: &str) -> Result<Published, PublishError> {
    let trusted = repo.verified_state().await?;
    if super::signed_digest(&trusted, tag).is_none() {
        return Err(PublishError::NotSigned { gun: repo.gun().to_string(), name: crate::metadata::clip(tag) });
    }
    repo.publish(&[Change::remove_target(TargetRoles::Signable, tag)]).await
}

/// `docker trust signer add --key KEY.pub NAME IMAGE`: delegation `targets/NAME` with `keys`
/// and paths `[""]`, the same keys added to `targets/releases`, published (the repository is
/// initialised first if it does not exist, with a server-managed snapshot key).
pub async fn add_signer(repo: &Repository, name: &str, keys: &[PublicKey]) -> Result<Published, PublishError> {
    let role = signer_role(name)?;
    if keys.is_empty() {
        return Err(invalid(&role, "a signer needs at least one public key"));
    }
    let changes = [
        Change::add_delegation(role, keys.to_vec(), vec![String::new()]),
        Change::add_delegation(RoleName::releases(), keys.to_vec(), vec![String::new()]),
    ];
    match repo.publish(&changes).await {
        Err(PublishError::NotInitialized { .. }) => {
            repo.init(&InitOptions::default()).await?;
            repo.publish(&changes).await
        }
        other => other,
    }
}

/// `docker trust signer remove NAME IMAGE`: the signer's keys leave `targets/releases` and
/// `targets/NAME` is deleted. As Docker (`isLastSignerForReleases`), refused unless `force`
/// when the current `targets/releases` file would keep fewer signatures from other keys than
/// its threshold: its tags would no longer verify for `docker pull` until someone signs again.
pub async fn remove_signer(repo: &Repository, name: &str, force: bool) -> Result<Published, PublishError> {
    let role = signer_role(name)?;
    let trusted = repo.verified_state().await?;
    let delegations = trusted.delegations();
    let Some(signer) = delegations.iter().find(|d| d.role == role) else {
        return Err(PublishError::NotDelegated { gun: repo.gun().to_string(), role: role.to_string() });
    };
    if let Some(left) = releases_signatures_without(&trusted, signer)
        && left.below_threshold()
        && !force
    {
        let (others, threshold) = (left.from_others, left.threshold);
        return Err(invalid(
            &role,
            &format!(
                "targets/releases would keep {others} signature(s) from other signers, below its threshold of \
                 {threshold}, so its tags would not verify for docker pull until someone signs again; pass force \
                 to remove it anyway"
            ),
        ));
    }
    repo.publish(&[
        Change::RemoveDelegationKeys { role: RoleName::releases(), key_ids: signer.key_ids.clone() },
        Change::DeleteDelegation { role },
    ])
    .await
}

/// The signatures on the current `targets/releases` file, counted for removing `signer`
/// (docker's `isLastSignerForReleases` compares what is left with the threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleasesSignatures {
    /// Every signature on the file.
    pub total: usize,
    /// Signatures by keys that are not the signer's.
    pub from_others: usize,
    /// The role's threshold.
    pub threshold: u32,
}

impl ReleasesSignatures {
    /// Whether, without the signer, the file would keep fewer signatures than its threshold:
    /// its tags would not verify for `docker pull` until someone signs again.
    pub fn below_threshold(&self) -> bool {
        self.from_others < self.threshold as usize
    }
}

/// What removing `signer` leaves on the verified `targets/releases` file; `None` when the
/// repository has none.
pub fn releases_signatures_without(trusted: &TrustedRepository, signer: &DelegationInfo) -> Option<ReleasesSignatures> {
    let releases = RoleName::releases();
    let signatures = trusted.role(&releases)?.metadata.signatures();
    let threshold = trusted.delegations().iter().find(|d| d.role == releases).map_or(1, |d| d.threshold);
    Some(ReleasesSignatures {
        total: signatures.len(),
        from_others: signatures.iter().filter(|s| !signer.key_ids.contains(&s.keyid)).count(),
        threshold,
    })
}

/// `targets/NAME` for a valid signer name (`releases` is reserved).
fn signer_role(name: &str) -> Result<RoleName, PublishError> {
    let role = format!("targets/{name}");
    validate_signer_name(name)
        .map_err(|e| PublishError::InvalidChange { role: role.clone(), reason: e.to_string() })?;
    if name == RELEASES.trim_start_matches("targets/") {
        return Err(PublishError::InvalidChange { role, reason: "releases is a reserved signer name".into() });
    }
    RoleName::new(role.clone()).map_err(|e| PublishError::InvalidChange { role, reason: e.to_string() })
}

fn invalid(role: &RoleName, reason: &str) -> PublishError {
    PublishError::InvalidChange { role: role.to_string(), reason: reason.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_names_follow_docker() {
        assert_eq!(signer_role("alice").unwrap().as_str(), "targets/alice");
        for bad in ["releases", "Alice", "-a", "", "a/b", "a b"] {
            assert!(matches!(signer_role(bad), Err(PublishError::InvalidChange { .. })), "{bad}");
        }
    }
}
