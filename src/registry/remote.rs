//! [`Registry::manifest`]: the manifest a tag or digest names, as exact bytes, with its digest
//! computed here.

use std::sync::Arc;

use oci_client::errors::{DigestError, OciDistributionError};
use tracing::Instrument;

use super::client::Registry;
use super::error::{Context, Operation};
use super::oci_error::map;
use super::{Digest, RegistryError};
use crate::docker::ImageReference;

/// The largest manifest accepted (Docker's and the distribution registry's limit).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The media types asked for (`Accept`).
const ACCEPTED: &[&str] = &[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

/// A manifest read from the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteManifest {
    /// sha256 of [`bytes`](Self::bytes), computed here (and checked against the registry's
    /// `Docker-Content-Digest` and the reference's digest).
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type: the manifest's `mediaType` field, or for an OCI manifest without one,
    /// the OCI index or image manifest type its shape shows.
    pub media_type: String,
    /// The exact bytes the registry serves.
    pub bytes: Arc<[u8]>,
}

impl Registry {
    /// The manifest `reference` names (its digest if it has one, else its tag, else `latest`):
    /// an OCI image manifest or index, or a Docker v2 manifest or manifest list.
    ///
    /// The bytes must hash to the registry's `Docker-Content-Digest` when it sends one, and to
    /// the reference's digest when it has one ([`RegistryError::DigestMismatch`] otherwise); a
    /// manifest over 4 MiB is [`RegistryError::TooLarge`]; a missing repository or tag is
    /// [`RegistryError::NotFound`].
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use notary_client::docker::ImageReference;
    /// use notary_client::registry::Registry;
    /// let reference = ImageReference::parse("localhost:5000/team/app:1.0")?;
    /// let m = Registry::builder(reference.domain()).build()?.manifest(&reference).await?;
    /// println!("{} {} {}", m.digest, m.size, m.media_type);
    /// # Ok(()) }
    /// ```
    pub async fn manifest(&self, reference: &ImageReference) -> Result<RemoteManifest, RegistryError> {
        self.check_reference(reference)?;
        let repository = reference.path();
        let object = match reference.digest() {
            Some(d) => format!("@{d}"),
            None => format!(":{}", reference.tag_or_latest()),
        };
        let context = || Box::new(self.context(Operation::GetManifest, repository, Some(object.clone())));
        let wanted = reference
            .digest()
            .map(|d| {
                d.parse::<Digest>()
                    .map_err(|e| RegistryError::config(&self.host, format!("{reference}: only sha256 digests: {e}")))
            })
            .transpose()?;
        let oci_ref = match reference.digest() {
            Some(digest) => self.oci_reference(repository, None, Some(digest)),
            None => self.oci_reference(repository, Some(reference.tag_or_latest()), None),
        };
        // oci-client would send the credentials to any token realm the registry names.
        self.check_token_realms(|| self.context(Operation::Authenticate, repository, None)).await?;
        let (bytes, served_digest) = self
            .oci
            .pull_manifest_raw(&oci_ref, &self.auth, ACCEPTED)
            .instrument(tracing::debug_span!("registry_manifest", %reference))
            .await
            .map_err(|e| manifest_error(e, *context()))?;
        let size = bytes.len() as u64;
        if size > MAX_MANIFEST_SIZE {
            return Err(RegistryError::TooLarge { context: context(), size, limit: MAX_MANIFEST_SIZE });
        }
        let digest = Digest::of(&bytes);
        // oci-client returns the `Docker-Content-Digest` it checked, or its own sha256.
        if served_digest.starts_with("sha256:") && served_digest != digest.to_string() {
            return Err(RegistryError::DigestMismatch { context: context(), expected: digest, got: served_digest });
        }
        if let Some(wanted) = wanted
            && wanted != digest
        {
            return Err(RegistryError::DigestMismatch {
                context: context(),
                expected: wanted,
                got: digest.to_string(),
            });
        }
        let media_type = media_type_of(&bytes).ok_or_else(|| RegistryError::Protocol {
            context: context(),
            reason: "the answer is not a JSON manifest with a mediaType, manifests or layers".to_owned(),
            source: None,
        })?;
        tracing::debug!(%reference, %digest, size, %media_type, "manifest fetched");
        Ok(RemoteManifest { digest, size, media_type, bytes: Arc::from(bytes.as_ref()) })
    }
}

/// A mismatch between the body and the digest the registry or the reference named is a
/// [`RegistryError::DigestMismatch`]; everything else as usual.
fn manifest_error(e: OciDistributionError, context: Context) -> RegistryError {
    match e {
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            match expected.parse::<Digest>() {
                Ok(expected) => RegistryError::DigestMismatch { context: Box::new(context), expected, got: actual },
                Err(_) => RegistryError::Protocol {
                    context: Box::new(context),
                    reason: format!("the registry names digest {expected} but the manifest hashes to {actual}"),
                    source: None,
                },
            }
        }
        other => map(other, context),
    }
}

/// The manifest's `mediaType`, else the OCI type its fields show (`manifests`: an index,
/// `layers`: an image manifest).
fn media_type_of(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType", default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        layers: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_slice(bytes).ok()?;
    match probe.media_type.filter(|m| !m.is_empty()) {
        Some(media_type) => Some(media_type),
        None if probe.manifests.is_some() => Some(OCI_INDEX.to_owned()),
        None if probe.layers.is_some() => Some(OCI_MANIFEST.to_owned()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_come_from_the_field_or_the_shape() {
        assert_eq!(media_type_of(br#"{"mediaType":"x/y","layers":[]}"#).as_deref(), Some("x/y"));
        assert_eq!(media_type_of(br#"{"schemaVersion":2,"manifests":[]}"#).as_deref(), Some(OCI_INDEX));
        assert_eq!(media_type_of(br#"{"schemaVersion":2,"config":{},"layers":[]}"#).as_deref(), Some(OCI_MANIFEST));
        assert_eq!(media_type_of(br#"{"schemaVersion":2}"#), None);
        assert_eq!(media_type_of(b"<html>"), None);
    }
}
