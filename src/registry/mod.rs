//! Container registries: push an image from an OCI image layout or a docker-archive tarball,
//! and read the manifest a tag points at — what `docker push` does, without a daemon.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use notary_client::docker::ImageReference;
//! use notary_client::registry::{Image, Registry};
//!
//! let reference = ImageReference::parse("registry.example.com/team/app:1.2")?;
//! let image = Image::from_oci_layout("build/app-oci", None)?;   // or Image::from_docker_archive
//! let registry = Registry::builder(reference.domain()).build()?;
//! let pushed = registry.push(&reference, &image).await?;
//! println!("{} ({} bytes)", pushed.digest, pushed.size);
//! # Ok(()) }
//! ```

mod archive;
mod client;
mod error;
mod image;
mod image_error;
mod layout;
mod oci_error;
mod progress;
mod push;
mod remote;
#[cfg(test)]
mod source_tests;

pub use client::{Registry, RegistryBuilder};
pub use error::{BoxError, Context, Operation, RegistryError};
pub use image::{Blob, BlobSource, Digest, DigestError, Image, Manifest, UPLOAD_CHUNK};
pub use image_error::ImageError;
pub use progress::{BlobOutcome, PushOptions, PushProgress};
pub use push::{PUSH_ATTEMPTS, PushedManifest};
pub use remote::{MAX_MANIFEST_SIZE, RemoteManifest};
