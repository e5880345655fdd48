//! Errors reading an image from an OCI layout or a docker-archive.

/// An image source that cannot be read or is malformed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {}
