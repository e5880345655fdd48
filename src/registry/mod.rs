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
mod progress;

pub use client::{PushedManifest, Registry, RegistryBuilder, RemoteManifest};
pub use error::RegistryError;
pub use image::{Blob, BlobSource, Digest, DigestError, Image, Manifest};
pub use image_error::ImageError;
pub use progress::{BlobOutcome, PushProgress};
