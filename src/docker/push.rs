//! `docker push` with content trust, without a daemon: push an image, then sign the tag with
//! the manifest's digest and size (spec §6.2) into the roles Docker chooses, and publish.
//! Also: sign a tag already in the registry, or a given digest and size.
//!
//! Signing **fails closed**: if the push succeeded but signing did not, the result is
//! [`PushSignError::Unsigned`], which says the tag is in the registry unsigned.

use super::{DockerTrust, DockerTrustError, ImageReference, add_signer};
use crate::metadata::{FileMeta, PublicKey, RoleName};
use crate::registry::{Digest, Image, PushOptions, RegistryError};
use crate::repository::{Change, InitOptions, PublishError, Repository, TargetRoles};

/// What to do when the repository has no trust data yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitPolicy {
    /// Refuse with [`PushSignError::NotInitialized`], which says what to run.
    #[default]
    Never,
    /// As `docker push`: the first stored root key (else a new one, protected by the root
    /// passphrase), a new targets key, a server-managed snapshot key; the tag is signed into
    /// `targets`.
    AsDockerPush,
    /// As `docker trust sign`: initialise as [`InitPolicy::AsDockerPush`], add the signer
    /// `targets/<name>` (and its key to `targets/releases`) with the first stored key for that
    /// role or a new one, publish, then sign the tag into the signer's roles.
    WithSigner(String),
}

/// How to push and sign.
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// What to do when the repository has no trust data yet.
    pub init: InitPolicy,
    /// Progress events and cross-repository mounts of the push.
    pub push: PushOptions,
}

/// What was pushed and signed.
#[derive(Debug, Clone)]
pub struct SignedImage {
    /// The signed tag.
    pub tag: String,
    /// The manifest's digest: the target's `sha256`.
    pub digest: Digest,
    /// The manifest's size: the target's `length`.
    pub size: u64,
    /// The roles the tag was signed into.
    pub roles: Vec<RoleName>,
    /// Whether this call initialised the repository's trust data.
    pub initialized: bool,
}

/// Pushing or signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushSignError {
    /// The reference has no tag (or only a digest): Docker Content Trust signs tags.
    #[error("{reference} has no tag: content trust signs tags, give IMAGE:TAG")]
    NoTag {
        /// The reference as given.
        reference: String,
    },
    /// Docker's settings could not be used.
    #[error(transparent)]
    Trust(#[from] DockerTrustError),
    /// The push (or the manifest lookup) failed; nothing was signed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The repository has no trust data and the policy forbids initialising it.
    #[error(
        "{gun} has no trust data yet. Initialise it once, where the root key is kept, e.g. \
         `trust signer add --key KEY.pub NAME {gun}` (needs DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE), \
         then sign again"
    )]
    NotInitialized {
        /// The repository.
        gun: String,
    },
    /// The image was pushed but could not be signed: the tag is in the registry, unsigned.
    #[error("{reference} was pushed ({digest}) but is NOT signed: {source}")]
    Unsigned {
        /// The pushed reference.
        reference: String,
        /// The pushed manifest's digest.
        digest: Digest,
        /// Why signing failed.
        source: Box<PublishError>,
    },
    /// Signing failed (nothing was pushed by this call).
    #[error(transparent)]
    Sign(#[from] Box<PublishError>),
}

/// Pushes `image` under `reference` (which must have a tag), then signs the tag with the
/// pushed manifest's digest and size and publishes — `docker push` with content trust.
///
/// Before anything is pushed, the signature is prepared (trust data downloaded and verified,
/// key unlocked, role and paths checked), so a missing key, a wrong passphrase or a tag the
/// delegation does not allow fail without pushing. The pushed digest is the one the registry
/// reports for the tag, checked against the digest computed here.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use notary_client::docker::{DockerTrust, ImageReference, SignOptions, push_and_sign};
/// use notary_client::registry::Image;
/// let reference = ImageReference::parse("registry.example.com/team/app:1.2")?;
/// let image = Image::from_oci_layout("build/oci", None)?;
/// let signed = push_and_sign(&DockerTrust::from_env()?, &reference, &image, &SignOptions::default()).await?;
/// println!("{}: {} ({} bytes) signed into {:?}", signed.tag, signed.digest, signed.size, signed.roles);
/// # Ok(()) }
/// ```
pub async fn push_and_sign(
    trust: &DockerTrust,
    reference: &ImageReference,
    image: &Image,
    options: &SignOptions,
) -> Result<SignedImage, PushSignError> {
    let tag = tag_of(reference)?;
    let repo = trust.repository(reference)?;
    let top = image.top();
    let initialized = preflight(&repo, tag, top.digest, top.size(), &options.init).await?;
    let registry = trust.registry(reference)?;
    let pushed = registry.push_with(reference, image, &options.push).await?;
    tracing::info!(%reference, digest = %pushed.digest, size = pushed.size, "pushed");
    sign(&repo, tag, pushed.digest, pushed.size, &options.init, initialized).await.map_err(|e| match e {
        PushSignError::Sign(source) => {
            PushSignError::Unsigned { reference: reference.to_string(), digest: pushed.digest, source }
        }
        other => other,
    })
}

/// Signs the tag `reference` names as the manifest the registry serves for it now (fetched,
/// not pulled: no image and no daemon needed) — `docker trust sign` of a pushed tag. A
/// multi-platform index is signed as it is, under the tag (docker cannot).
pub async fn sign_registry_tag(
    trust: &DockerTrust,
    reference: &ImageReference,
    options: &SignOptions,
) -> Result<SignedImage, PushSignError> {
    let tag = tag_of(reference)?;
    let manifest = trust.registry(reference)?.manifest(reference).await?;
    tracing::info!(%reference, digest = %manifest.digest, size = manifest.size, "the registry serves");
    sign_manifest(trust, reference, manifest.digest, manifest.size, options).await.map(|mut signed| {
        signed.tag = tag.to_owned();
        signed
    })
}

/// Signs the tag `reference` names as the manifest with `digest` and `size`.
pub async fn sign_manifest(
    trust: &DockerTrust,
    reference: &ImageReference,
    digest: Digest,
    size: u64,
    options: &SignOptions,
) -> Result<SignedImage, PushSignError> {
    let tag = tag_of(reference)?;
    let repo = trust.repository(reference)?;
    let initialized = preflight(&repo, tag, digest, size, &options.init).await?;
    sign(&repo, tag, digest, size, &options.init, initialized).await
}

/// The tag a reference names; content trust signs tags, not digests.
fn tag_of(reference: &ImageReference) -> Result<&str, PushSignError> {
    match (reference.tag(), reference.digest()) {
        (Some(tag), _) => Ok(tag),
        _ => Err(PushSignError::NoTag { reference: reference.to_string() }),
    }
}

/// The staged change: the tag as the manifest, into the roles Docker chooses.
fn change(tag: &str, digest: Digest, size: u64) -> Result<Change, PushSignError> {
    let length = i64::try_from(size).map_err(|_| {
        Box::new(PublishError::InvalidChange {
            role: "targets".into(),
            reason: format!("a manifest of {size} bytes cannot be a TUF target length"),
        })
    })?;
    Ok(Change::add_target(TargetRoles::Signable, tag, FileMeta::sha256_only(digest.sha256(), length)))
}

/// Prepares (and discards) the signature before anything is pushed or initialised: `Ok(true)`
/// when the repository has no trust data and `policy` allows initialising it.
async fn preflight(
    repo: &Repository,
    tag: &str,
    digest: Digest,
    size: u64,
    policy: &InitPolicy,
) -> Result<bool, PushSignError> {
    match repo.prepare(&[change(tag, digest, size)?]).await {
        Ok(_) => Ok(false),
        Err(PublishError::NotInitialized { gun }) => match policy {
            InitPolicy::Never => Err(PushSignError::NotInitialized { gun }),
            InitPolicy::AsDockerPush | InitPolicy::WithSigner(_) => Ok(true),
        },
        Err(e) => Err(PushSignError::Sign(Box::new(e))),
    }
}

/// Initialises the repository when `needs_init` (as `policy` says), then signs and publishes.
async fn sign(
    repo: &Repository,
    tag: &str,
    digest: Digest,
    size: u64,
    policy: &InitPolicy,
    needs_init: bool,
) -> Result<SignedImage, PushSignError> {
    let boxed = |e: PublishError| PushSignError::Sign(Box::new(e));
    if needs_init {
        repo.init(&InitOptions::default()).await.map_err(boxed)?;
        if let InitPolicy::WithSigner(name) = policy {
            let key = signer_key(repo, name).map_err(boxed)?;
            add_signer(repo, name, &[key]).await.map_err(boxed)?;
        }
    }
    let published = repo.publish(&[change(tag, digest, size)?]).await.map_err(boxed)?;
    let mut roles: Vec<RoleName> =
        published.files.iter().map(|(role, _)| role.clone()).filter(RoleName::is_targets_like).collect();
    if roles.is_empty() {
        // Already signed with this digest: report where it is.
        let trusted = repo.verified_state().await.map_err(boxed)?;
        roles = trusted
            .all_targets()
            .into_iter()
            .filter(|t| t.name == tag && t.meta.sha256() == Some(&digest.sha256()[..]))
            .map(|t| t.role)
            .collect();
    }
    Ok(SignedImage { tag: tag.to_owned(), digest, size, roles, initialized: needs_init })
}

/// docker's `getOrGenerateNotaryKey` for a signer: the first stored key (by ID) whose alias is
/// the signer's name, else a new one.
fn signer_key(repo: &Repository, name: &str) -> Result<PublicKey, PublishError> {
    let keys = repo.keys();
    let key = match keys.stored_keys_with_role(name)?.into_iter().min() {
        Some(id) => keys.load_stored(&id)?,
        None => keys.generate(name, None)?,
    };
    Ok(key.bare_public_key())
}
