//! [`Registry::push`]: every blob (skipped if present, mounted if another repository has it,
//! else streamed in one `PUT`), every manifest in order (children by digest, the top one by
//! tag), then a check that the tag now resolves to the pushed digest. A blob or manifest
//! whose request fails on the network or with a 5xx is pushed again, up to
//! [`PUSH_ATTEMPTS`] times.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use oci_client::errors::OciDistributionError;
use tracing::Instrument;

use super::client::Registry;
use super::error::Operation;
use super::oci_error::map;
use super::{Blob, BlobOutcome, Digest, Image, Manifest, PushOptions, PushProgress, RegistryError};
use crate::docker::ImageReference;

/// Attempts for each blob and each manifest (`docker push` retries each layer too). Every
/// attempt of a blob starts with its `HEAD`, so an upload that landed but whose answer was
/// lost is not sent again; a manifest `PUT` of the same bytes is idempotent.
pub const PUSH_ATTEMPTS: u32 = 3;

/// `op` until it succeeds, fails for good, or [`PUSH_ATTEMPTS`] are spent; 0.5 s, then 1 s
/// between attempts.
async fn with_retries<T, F, Fut>(what: &str, mut op: F) -> Result<T, RegistryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RegistryError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.is_transient() && attempt < PUSH_ATTEMPTS => {
                tracing::warn!(attempt, error = %e, "{what} failed; trying again");
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The manifest a push left under the tag: what gets signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushedManifest {
    /// Its digest: the signed target's `sha256`.
    pub digest: Digest,
    /// Its size in bytes: the signed target's `length`.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
    /// The tag it was pushed under.
    pub tag: String,
}

impl Registry {
    /// Pushes `image` under `reference` (which must have a tag) with default options; see
    /// [`Registry::push_with`].
    ///
    /// ```no_run
    /// # async fn f(image: notary_client::registry::Image) -> Result<(), Box<dyn std::error::Error>> {
    /// use notary_client::docker::ImageReference;
    /// use notary_client::registry::Registry;
    /// let reference = ImageReference::parse("localhost:5000/team/app:1.0")?;
    /// let pushed = Registry::builder(reference.domain()).build()?.push(&reference, &image).await?;
    /// println!("{} {}", pushed.digest, pushed.size);
    /// # Ok(()) }
    /// ```
    pub async fn push(&self, reference: &ImageReference, image: &Image) -> Result<PushedManifest, RegistryError> {
        self.push_with(reference, image, &PushOptions::default()).await
    }

    /// Pushes `image` under `reference`, as `docker push` does:
    ///
    /// 1. each distinct blob, one at a time (memory stays bounded by one upload chunk): nothing
    ///    if the registry has it, a cross-repository mount if a repository of
    ///    [`PushOptions::mount_from`] has it, else its bytes in one streamed `PUT`;
    /// 2. each manifest with its exact bytes and media type, in order: children by digest, the
    ///    last one by tag;
    /// 3. a `HEAD` of the tag, whose `Docker-Content-Digest` must be the pushed digest
    ///    ([`RegistryError::DigestMismatch`] otherwise).
    ///
    /// A blob that cannot be read fails the push with [`RegistryError::Blob`] before any
    /// manifest is pushed.
    pub async fn push_with(
        &self,
        reference: &ImageReference,
        image: &Image,
        options: &PushOptions,
    ) -> Result<PushedManifest, RegistryError> {
        let tag = reference.tag().ok_or_else(|| RegistryError::NoTag { reference: reference.to_string() })?;
        self.check_reference(reference)?;
        let span = tracing::info_span!("registry_push", %reference, manifests = image.manifests().len());
        self.push_tagged(reference, tag, image, options).instrument(span).await
    }

    async fn push_tagged(
        &self,
        reference: &ImageReference,
        tag: &str,
        image: &Image,
        options: &PushOptions,
    ) -> Result<PushedManifest, RegistryError> {
        let repository = reference.path();
        let top = image.top();
        if let Some(wanted) = reference.digest()
            && wanted != top.digest.to_string()
        {
            return Err(RegistryError::DigestMismatch {
                context: Box::new(self.context(Operation::PushManifest, repository, Some(format!(":{tag}")))),
                expected: top.digest,
                got: format!("{wanted} (named by the reference)"),
            });
        }
        let mount_from = self.mount_sources(repository, &options.mount_from)?;
        let target = self.oci_reference(repository, Some(tag), None);
        self.authenticate(&target).await?;

        let progress = options.progress.as_deref();
        for blob in image.blobs() {
            self.push_blob(&target, blob, &mount_from, options.progress.clone()).await?;
        }
        for (i, manifest) in image.manifests().iter().enumerate() {
            let by_tag = i + 1 == image.manifests().len();
            with_retries("manifest push", || self.push_manifest(repository, tag, manifest, by_tag)).await?;
            if let Some(p) = progress {
                p.manifest_pushed(manifest);
            }
        }
        self.verify_tag(&target, top).await?;
        tracing::info!(digest = %top.digest, size = top.size(), "pushed");
        Ok(PushedManifest {
            digest: top.digest,
            size: top.size(),
            media_type: top.media_type.clone(),
            tag: tag.to_owned(),
        })
    }

    /// Stores the credentials in both clients and obtains a push token now, so that a refusal
    /// by the token service is reported (oci-client otherwise drops it and sends the request
    /// unauthenticated). The registry's token realms are checked first
    /// ([`Registry::check_token_realms`]): oci-client would send the credentials to any.
    async fn authenticate(&self, target: &oci_client::Reference) -> Result<(), RegistryError> {
        self.check_token_realms(|| self.context(Operation::Authenticate, target.repository(), None)).await?;
        let registry = target.resolve_registry();
        self.uploads.store_auth_if_needed(registry, &self.auth).await;
        self.oci
            .auth(target, &self.auth, oci_client::RegistryOperation::Push)
            .await
            .map(drop)
            .map_err(|e| map(e, self.context(Operation::Authenticate, target.repository(), None)))
    }

    /// The repositories of `mount_from` (paths, or full names on this registry), checked.
    fn mount_sources(&self, repository: &str, mount_from: &[String]) -> Result<Vec<String>, RegistryError> {
        let prefix = format!("{}/", self.host);
        let mut out = Vec::new();
        for source in mount_from {
            let path = match source.get(..prefix.len()) {
                Some(head) if head.eq_ignore_ascii_case(&prefix) => &source[prefix.len()..],
                _ => source.as_str(),
            };
            let valid = !path.is_empty()
                && path.split('/').all(|part| {
                    !part.is_empty()
                        && part != ".."
                        && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                });
            if !valid {
                return Err(RegistryError::config(
                    &self.host,
                    format!("mount_from entry {source:?} is not a repository path on this registry (e.g. team/base)"),
                ));
            }
            if path != repository && !out.iter().any(|p| p == path) {
                out.push(path.to_owned());
            }
        }
        Ok(out)
    }

    async fn push_blob(
        &self,
        target: &oci_client::Reference,
        blob: &Blob,
        mount_from: &[String],
        progress: Option<Arc<dyn PushProgress>>,
    ) -> Result<(), RegistryError> {
        let digest = blob.digest.to_string();
        let repository = target.repository();
        if let Some(p) = &progress {
            p.blob_started(blob);
        }
        let outcome = with_retries("blob push", || async {
            let exists = self
                .oci
                .blob_exists(target, &digest)
                .await
                .map_err(|e| map(e, self.context(Operation::CheckBlob, repository, Some(digest.clone()))))?;
            Ok(if exists {
                BlobOutcome::Existed
            } else if self.mount(target, blob, mount_from).await {
                BlobOutcome::Mounted
            } else {
                self.upload(target, blob, progress.clone()).await?;
                BlobOutcome::Uploaded
            })
        })
        .await?;
        tracing::debug!(%digest, size = blob.size, ?outcome, "blob");
        if let Some(p) = &progress {
            p.blob_done(blob, outcome);
        }
        Ok(())
    }

    /// Tries a cross-repository mount from each source that has the blob. The source is checked
    /// first: a registry that cannot mount answers 202 with a new upload session, which
    /// oci-client reports as a spec violation without the session's location (so it can
    /// neither be used nor cancelled and lingers until the registry purges it).
    async fn mount(&self, target: &oci_client::Reference, blob: &Blob, sources: &[String]) -> bool {
        let digest = blob.digest.to_string();
        for source in sources {
            let from = self.oci_reference(source, None, Some(&digest));
            match self.oci.blob_exists(&from, &digest).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!(%digest, from = %source, "mount source does not have the blob");
                    continue;
                }
                Err(e) => {
                    let e = map(e, self.context(Operation::CheckBlob, source, Some(digest.clone())));
                    tracing::debug!(%digest, from = %source, error = %e, "cannot check the mount source");
                    continue;
                }
            }
            match self.oci.mount_blob(target, &from, &digest).await {
                Ok(()) => return true,
                Err(OciDistributionError::SpecViolationError(_)) => {
                    tracing::debug!(%digest, from = %source, "the registry did not mount the blob (202)");
                }
                Err(e) => {
                    let e = map(e, self.context(Operation::MountBlob, target.repository(), Some(digest.clone())));
                    tracing::debug!(%digest, from = %source, error = %e, "mount failed; uploading instead");
                }
            }
        }
        false
    }

    /// Streams the blob in one `PUT` with its `Content-Length`, reporting progress.
    async fn upload(
        &self,
        target: &oci_client::Reference,
        blob: &Blob,
        progress: Option<Arc<dyn PushProgress>>,
    ) -> Result<(), RegistryError> {
        let read_error = Arc::new(Mutex::new(None));
        let stream = upload_stream(blob, progress, read_error.clone());
        let digest = blob.digest.to_string();
        let result = self.uploads.push_blob_stream(target, stream, &digest, Some(blob.size)).await;
        let read_error = read_error.lock().unwrap_or_else(PoisonError::into_inner).take();
        match (result, read_error) {
            (_, Some(source)) => Err(RegistryError::Blob { digest: blob.digest, source }),
            (Ok(_), None) => Ok(()),
            (Err(e), None) => Err(map(e, self.context(Operation::UploadBlob, target.repository(), Some(digest)))),
        }
    }

    async fn push_manifest(
        &self,
        repository: &str,
        tag: &str,
        manifest: &Manifest,
        by_tag: bool,
    ) -> Result<(), RegistryError> {
        let digest = manifest.digest.to_string();
        let (reference, object) = if by_tag {
            (self.oci_reference(repository, Some(tag), None), format!(":{tag}"))
        } else {
            // The digest doubles as the tag: when a registry answers without a `Location`
            // (ECR), oci-client strips the tag from the URL, and panics if it is not there.
            (self.oci_reference(repository, Some(&digest), Some(&digest)), format!("@{digest}"))
        };
        let context = || self.context(Operation::PushManifest, repository, Some(object.clone()));
        let content_type = reqwest::header::HeaderValue::from_str(&manifest.media_type).map_err(|_| {
            RegistryError::config(
                &self.host,
                format!("manifest {digest} has media type {:?}, not a valid Content-Type", manifest.media_type),
            )
        })?;
        let bytes = bytes::Bytes::copy_from_slice(&manifest.bytes);
        self.oci.push_manifest_raw(&reference, bytes, content_type).await.map_err(|e| map(e, context()))?;
        tracing::debug!(%digest, media_type = %manifest.media_type, by_tag, "manifest pushed");
        Ok(())
    }

    /// `HEAD` of the tag: its digest must be the pushed one.
    async fn verify_tag(&self, target: &oci_client::Reference, top: &Manifest) -> Result<(), RegistryError> {
        let tag = target.tag().unwrap_or_default();
        let context = || Box::new(self.context(Operation::VerifyTag, target.repository(), Some(format!(":{tag}"))));
        let got = self.oci.fetch_manifest_digest(target, &self.auth).await.map_err(|e| map(e, *context()))?;
        if got != top.digest.to_string() {
            return Err(RegistryError::DigestMismatch { context: context(), expected: top.digest, got });
        }
        Ok(())
    }
}

/// The blob's chunks for oci-client: each one reported to `progress` (bytes sent so far), and a
/// read error kept in `read_error` so that it can be reported as what it is rather than as the
/// failed request it causes.
fn upload_stream(
    blob: &Blob,
    progress: Option<Arc<dyn PushProgress>>,
    read_error: Arc<Mutex<Option<std::io::Error>>>,
) -> impl futures_util::Stream<Item = oci_client::errors::Result<bytes::Bytes>> + Send + 'static {
    let reported = blob.clone();
    let mut sent = 0u64;
    blob.stream().map(move |chunk| match chunk {
        Ok(chunk) => {
            sent += chunk.len() as u64;
            if let Some(p) = &progress {
                p.blob_bytes(&reported, sent);
            }
            Ok(chunk)
        }
        Err(e) => {
            let shown = std::io::Error::new(e.kind(), e.to_string());
            *read_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
            Err(OciDistributionError::IoError(shown))
        }
    })
}
