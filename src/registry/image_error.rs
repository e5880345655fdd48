//! Errors reading an image from an OCI layout or a docker-archive.
//!
//! Every variant says what failed, where, and (in its message) what to do about it. A
//! `location` is a file path, or `ARCHIVE:ENTRY` for a file inside a tarball.

use std::path::PathBuf;

use super::DigestError;

/// An image source that cannot be read or is malformed.
///
/// ```
/// use notary_client::registry::{Image, ImageError};
/// match Image::from_oci_layout("/nonexistent/layout", None) {
///     Err(ImageError::Io { path, .. }) => assert!(path.ends_with("layout")),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file (or directory).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A file the format requires is absent.
    #[error("{location} is missing: {hint}")]
    MissingFile {
        /// Where it was expected.
        location: String,
        /// What to do.
        hint: &'static str,
    },

    /// `oci-layout` names a layout version other than 1.0.0.
    #[error("{location}: unsupported imageLayoutVersion {version:?} (only \"1.0.0\" is supported)")]
    UnsupportedLayoutVersion {
        /// The `oci-layout` file.
        location: String,
        /// The version found.
        version: String,
    },

    /// A JSON file (index, manifest, config, `manifest.json`) does not parse as expected.
    #[error("{location}: invalid JSON at `{field}`: {source}")]
    InvalidJson {
        /// The file.
        location: String,
        /// The path of the offending field (`.` for the document itself).
        field: String,
        /// The parser's error.
        source: serde_json::Error,
    },

    /// A manifest lacks a field its media type requires.
    #[error("{location}: the {media_type} manifest {digest} has no `{field}`")]
    InvalidManifest {
        /// The manifest file.
        location: String,
        /// Its digest.
        digest: String,
        /// Its media type.
        media_type: String,
        /// The missing field.
        field: &'static str,
    },

    /// A small file (manifest, index, config) is larger than this reader accepts in memory.
    #[error("{location}: the {what} is {size} bytes, more than the {limit}-byte limit; this is not a real {what}")]
    TooLarge {
        /// The file.
        location: String,
        /// What it is.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },

    /// `index.json` lists no manifest.
    #[error("{location} lists no manifest: the layout holds no image")]
    NoManifests {
        /// The `index.json`.
        location: String,
    },

    /// No image is named `wanted`.
    #[error("no image named {wanted:?} in {location}; available: {}", list(.available))]
    RefNotFound {
        /// The index (`index.json` / `manifest.json`).
        location: String,
        /// The requested name.
        wanted: String,
        /// The names found.
        available: Vec<String>,
    },

    /// Several different images match (or no name was given and there are several).
    #[error("{} in {location}; choose one by name: {}", ambiguous(.wanted), list(.available))]
    AmbiguousImage {
        /// The index (`index.json` / `manifest.json`).
        location: String,
        /// The requested name, if any.
        wanted: Option<String>,
        /// The names of the candidates.
        available: Vec<String>,
    },

    /// A digest uses an algorithm other than sha256.
    #[error(
        "{location}: digest {digest:?} is not sha256; only sha256 digests are supported (they are what \
         Docker Content Trust signs): re-export the image with sha256 digests"
    )]
    UnsupportedDigestAlgorithm {
        /// Where the digest was found.
        location: String,
        /// The digest text (truncated to 100 characters).
        digest: String,
    },

    /// A digest is malformed.
    #[error("{location}: {source}")]
    InvalidDigest {
        /// Where the digest was found.
        location: String,
        /// The parse error.
        source: DigestError,
    },

    /// A blob a manifest references (config, layer, or the selected manifest) is absent.
    #[error("{location} is missing: the {what} {digest} is not in the image source; re-export the image")]
    BlobMissing {
        /// Where it was expected.
        location: String,
        /// What it is (`manifest`, `config`, `layer`).
        what: &'static str,
        /// Its digest.
        digest: String,
    },

    /// A manifest an index lists is absent.
    #[error(
        "{location} is missing: the index lists the {platform} manifest {digest} but the image source does \
         not hold it. `docker save` of a multi-platform image keeps only the platforms pulled locally: pull \
         every platform first (docker pull --platform=OS/ARCH), or export with `docker buildx build --output \
         type=oci`, or push a single-platform manifest instead"
    )]
    ChildManifestMissing {
        /// Where it was expected.
        location: String,
        /// Its digest.
        digest: String,
        /// Its platform as `os/architecture[/variant]` (or a description when the index gives none).
        platform: String,
    },

    /// A file's size differs from its descriptor's.
    #[error(
        "{location}: the {what} {digest} is {actual} bytes but its descriptor says {expected}; the image source \
         is corrupt or was modified: re-export it"
    )]
    SizeMismatch {
        /// The file.
        location: String,
        /// What it is.
        what: &'static str,
        /// The descriptor's digest.
        digest: String,
        /// The descriptor's size.
        expected: u64,
        /// The file's size.
        actual: u64,
    },

    /// A file's sha256 differs from its descriptor's digest.
    #[error(
        "{location}: the {what} has digest {actual}, not {expected} as its descriptor says; the image source is \
         corrupt or was modified: re-export it"
    )]
    DigestMismatch {
        /// The file.
        location: String,
        /// What it is.
        what: &'static str,
        /// The descriptor's digest.
        expected: String,
        /// The file's digest.
        actual: String,
    },

    /// The descriptor and the manifest's own `mediaType` disagree.
    #[error("{location}: manifest {digest} says it is {manifest:?} but its descriptor says {descriptor:?}")]
    MediaTypeConflict {
        /// The manifest file.
        location: String,
        /// Its digest.
        digest: String,
        /// The descriptor's media type.
        descriptor: String,
        /// The manifest's `mediaType`.
        manifest: String,
    },

    /// Neither the descriptor nor the manifest give a media type.
    #[error("{location}: neither the {what} {digest} nor its descriptor has a mediaType")]
    MissingMediaType {
        /// The file holding the descriptor or manifest.
        location: String,
        /// What it is.
        what: &'static str,
        /// Its digest.
        digest: String,
    },

    /// A manifest of a media type that cannot be pushed as an image.
    #[error(
        "{location}: manifest {digest} has media type {media_type:?}; only OCI / Docker schema 2 image manifests \
         and indexes (manifest lists) are supported"
    )]
    UnsupportedMediaType {
        /// The manifest file.
        location: String,
        /// Its digest.
        digest: String,
        /// Its media type.
        media_type: String,
    },

    /// Indexes nest deeper than this reader follows.
    #[error("{location}: index {digest} nests indexes more than {limit} levels deep")]
    IndexTooDeep {
        /// The index file.
        location: String,
        /// Its digest.
        digest: String,
        /// The depth limit.
        limit: usize,
    },

    /// A symbolic link (in a layout directory or a tarball) points outside the image source.
    #[error("{location}: refusing a link that leads outside the image source (to {target})")]
    PathEscapes {
        /// The link.
        location: String,
        /// Where it leads.
        target: String,
    },

    /// A name in the source (a tar entry, a `manifest.json` path) is absolute or climbs with `..`.
    #[error("{location}: refusing the unsafe path {name:?} (absolute or containing \"..\")")]
    UnsafePath {
        /// Where the name was found.
        location: String,
        /// The name (truncated to 200 characters).
        name: String,
    },

    /// Something that must be a regular file is not (a directory, a device, a sparse tar entry…).
    #[error("{location}: expected a regular file, found {kind}")]
    NotAFile {
        /// The path or entry.
        location: String,
        /// What it is instead.
        kind: &'static str,
    },

    /// Links (symbolic or hard) chain longer than this reader follows, or loop.
    #[error("{location}: links chain more than {limit} times (a loop?)")]
    LinkLoop {
        /// The first link.
        location: String,
        /// The limit.
        limit: usize,
    },

    /// The tarball is malformed (bad header checksum, cut inside a header…).
    #[error("{} is not a readable tar archive: {source}", .path.display())]
    Tar {
        /// The tarball.
        path: PathBuf,
        /// The tar reader's error.
        source: std::io::Error,
    },

    /// The tarball ends before an entry's data.
    #[error(
        "{location}: the archive ends at byte {file_len} but this entry's data ends at byte {data_end}; \
         the archive is truncated: re-create it"
    )]
    Truncated {
        /// The entry.
        location: String,
        /// Where its data should end.
        data_end: u64,
        /// The archive's length.
        file_len: u64,
    },

    /// The tarball's headers (entries, long names, PAX records) take more than this reader accepts.
    #[error("{}: more than {limit} bytes of tar headers; this is not an image archive", .path.display())]
    TarHeadersTooLarge {
        /// The tarball.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },

    /// The tarball is neither form of docker-archive.
    #[error(
        "{} is not an image archive: it has neither `oci-layout` + `index.json` (docker save of Docker 25 and \
         later) nor `manifest.json` (older docker save, skopeo docker-archive:)",
        .path.display()
    )]
    NotAnImageArchive {
        /// The tarball.
        path: PathBuf,
    },

    /// A legacy archive's config lists a different number of `rootfs.diff_ids` than it has layers.
    #[error("{location}: the config lists {diff_ids} rootfs.diff_ids but manifest.json lists {layers} layers")]
    LayerCountMismatch {
        /// The config entry.
        location: String,
        /// How many layers `manifest.json` lists.
        layers: usize,
        /// How many diff_ids the config lists.
        diff_ids: usize,
    },

    /// A legacy archive's layer does not hash to its config's `rootfs.diff_ids` entry.
    #[error(
        "{location}: layer {index} has digest {actual} but the config's rootfs.diff_ids[{index}] is {expected}; \
         the archive's layers do not match its config: re-create it"
    )]
    DiffIdMismatch {
        /// The layer entry.
        location: String,
        /// The layer's position (from 0).
        index: usize,
        /// The config's diff_id.
        expected: String,
        /// The layer's sha256.
        actual: String,
    },

    /// A legacy archive references foreign layers (`LayerSources`), which are not stored in it.
    #[error(
        "{location}: the image has foreign layers (LayerSources), which a legacy archive cannot describe for a \
         push; save it with Docker 25 or later (OCI form) or export an OCI layout"
    )]
    ForeignLayers {
        /// The `manifest.json`.
        location: String,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "(none)".to_owned() } else { names.join(", ") }
}

fn ambiguous(wanted: &Option<String>) -> String {
    match wanted {
        Some(name) => format!("{name:?} matches several images"),
        None => "no image name given and there are several images".to_owned(),
    }
}
