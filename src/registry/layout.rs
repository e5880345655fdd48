//! OCI image layouts: `oci-layout`, `index.json`, `blobs/sha256/…` — in a directory
//! ([`Image::from_oci_layout`]) or inside a tarball (the OCI form of a docker-archive).
//!
//! Both are read through [`LayoutFiles`], which only locates files; this module owns the rest:
//! choosing the image in `index.json`, walking indexes and manifests, and checking every
//! descriptor (digest algorithm, size, and the sha256 of the small files: manifests and
//! configs). Layers are only checked for presence and size: the registry verifies their digest
//! on upload, and hashing gigabytes here would double the cost of a push.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Blob, BlobSource, Digest, Image, ImageError, Manifest};

/// OCI image manifest.
pub(super) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub(super) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest, schema 2.
pub(super) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub(super) const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The most this reader holds in memory for one manifest, index, config or `manifest.json`.
pub(super) const SMALL_FILE_LIMIT: u64 = 4 * 1024 * 1024;
/// How deep indexes may nest (an index of indexes of manifests is depth 1).
const MAX_INDEX_DEPTH: usize = 4;

/// `org.opencontainers.image.ref.name`: the tag (or full name) of a top-level descriptor.
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// `io.containerd.image.name`: the full image name (`docker.io/library/app:1.0`).
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// Where a file of an image source is: `len` bytes of the file `path` from `offset`.
#[derive(Debug, Clone)]
pub(super) struct Located {
    pub(super) path: PathBuf,
    pub(super) offset: u64,
    pub(super) len: u64,
}

impl Located {
    fn source(&self) -> BlobSource {
        BlobSource::File { path: self.path.clone(), offset: self.offset }
    }
}

/// The files of an image source, by `/`-separated relative name (`index.json`,
/// `blobs/sha256/<hex>`): a layout directory or a tarball's index.
pub(super) trait LayoutFiles {
    /// How to name `name` in messages.
    fn location(&self, name: &str) -> String;

    /// Where `name` is, `None` when absent. Names are built by the caller from validated parts.
    fn locate(&self, name: &str) -> Result<Option<Located>, ImageError>;
}

/// The whole of a small file (at most `limit` bytes), `None` when absent.
pub(super) fn read_small(
    files: &dyn LayoutFiles,
    name: &str,
    what: &'static str,
    limit: u64,
) -> Result<Option<(Located, Vec<u8>)>, ImageError> {
    let Some(found) = files.locate(name)? else { return Ok(None) };
    if found.len > limit {
        return Err(ImageError::TooLarge { location: files.location(name), what, size: found.len, limit });
    }
    let bytes = read_range(&found, &files.location(name))?;
    Ok(Some((found, bytes)))
}

/// The `len` bytes at `offset` of `path` (the caller bounds `len`).
pub(super) fn read_range(at: &Located, location: &str) -> Result<Vec<u8>, ImageError> {
    let io = |source| ImageError::Io { path: at.path.clone(), source };
    let mut file = fs::File::open(&at.path).map_err(io)?;
    file.seek(SeekFrom::Start(at.offset)).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(at.len).unwrap_or(0));
    file.take(at.len).read_to_end(&mut bytes).map_err(io)?;
    if (bytes.len() as u64) < at.len {
        return Err(ImageError::Truncated {
            location: location.to_owned(),
            data_end: at.offset.saturating_add(at.len),
            file_len: at.offset.saturating_add(bytes.len() as u64),
        });
    }
    Ok(bytes)
}

/// Parses JSON, naming the offending field on error.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8], location: &str) -> Result<T, ImageError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let invalid = |field: String, source| ImageError::InvalidJson { location: location.to_owned(), field, source };
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        invalid(field, e.into_inner())
    })?;
    de.end().map_err(|e| invalid(".".to_owned(), e))?;
    Ok(value)
}

/// A descriptor's digest, which must be sha256.
pub(super) fn parse_digest(text: &str, location: &str) -> Result<Digest, ImageError> {
    match text.split_once(':') {
        Some((algorithm, _)) if algorithm != "sha256" => Err(ImageError::UnsupportedDigestAlgorithm {
            location: location.to_owned(),
            digest: text.chars().take(100).collect(),
        }),
        _ => text.parse().map_err(|source| ImageError::InvalidDigest { location: location.to_owned(), source }),
    }
}

/// `blobs/sha256/<hex>`: a validated digest is the only thing that becomes a blob's name.
pub(super) fn blob_name(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// An OCI descriptor (of a manifest, config or layer), as JSON.
#[derive(Debug, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    digest: String,
    size: u64,
    #[serde(default)]
    urls: Option<Vec<String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    platform: Option<Platform>,
}

impl Descriptor {
    fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// The names a top-level descriptor answers to.
    fn names(&self) -> Vec<String> {
        [CONTAINERD_NAME, REF_NAME].iter().filter_map(|key| self.annotation(key)).map(str::to_owned).collect()
    }

    /// `os/architecture[/variant]`, for messages.
    fn platform_text(&self) -> String {
        if self.annotation("vnd.docker.reference.type") == Some("attestation-manifest") {
            let of = self.annotation("vnd.docker.reference.digest").unwrap_or("?");
            return format!("attestation (for {of})");
        }
        match &self.platform {
            Some(p) => match &p.variant {
                Some(variant) => format!("{}/{}/{variant}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            },
            None => "unspecified-platform".to_owned(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OciLayoutFile {
    #[serde(rename = "imageLayoutVersion")]
    image_layout_version: String,
}

#[derive(Debug, Deserialize)]
struct IndexFile {
    manifests: Vec<Descriptor>,
}

/// Either kind of manifest: which fields are required depends on the media type.
#[derive(Debug, Deserialize)]
struct ManifestFile {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// Whether the image name `wanted` (as the user typed it) names `candidate` (as an index or
/// `manifest.json` records it): equal, or equal once both are in full form
/// (`app:1.0` = `docker.io/library/app:1.0`).
pub(super) fn ref_matches(wanted: &str, candidate: &str) -> bool {
    wanted == candidate || full_name(wanted) == full_name(candidate)
}

/// `app` → `docker.io/library/app:latest`, `me/app:1` → `docker.io/me/app:1`; names with a
/// registry domain only gain a default tag.
fn full_name(name: &str) -> String {
    let (domain, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("docker.io", name),
    };
    let domain = if domain == "index.docker.io" { "docker.io" } else { domain };
    let library = if domain == "docker.io" && !path.contains('/') { "library/" } else { "" };
    let last = path.rsplit('/').next().unwrap_or(path);
    let tag = if last.contains([':', '@']) { "" } else { ":latest" };
    format!("{domain}/{library}{path}{tag}")
}

/// The one item `wanted` names (or the only one, or all alike, when no name is given).
pub(super) fn select_named<'a, T>(
    items: &'a [T],
    wanted: Option<&str>,
    names: impl Fn(&T) -> Vec<String>,
    same: impl Fn(&T, &T) -> bool,
    unnamed: impl Fn(&T) -> String,
    location: &str,
) -> Result<&'a T, ImageError> {
    let label = |item: &T| {
        let found = names(item);
        if found.is_empty() { vec![unnamed(item)] } else { found }
    };
    let labels = |list: &[&T]| {
        let mut out: Vec<String> = Vec::new();
        for name in list.iter().flat_map(|item| label(item)) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    };
    let candidates: Vec<&T> = match wanted {
        Some(w) => items.iter().filter(|item| names(item).iter().any(|n| ref_matches(w, n))).collect(),
        None => items.iter().collect(),
    };
    let Some(first) = candidates.first().copied() else {
        return Err(match wanted {
            Some(w) => ImageError::RefNotFound {
                location: location.to_owned(),
                wanted: w.to_owned(),
                available: labels(&items.iter().collect::<Vec<_>>()),
            },
            None => ImageError::NoManifests { location: location.to_owned() },
        });
    };
    if candidates.iter().all(|item| same(first, item)) {
        Ok(first)
    } else {
        Err(ImageError::AmbiguousImage {
            location: location.to_owned(),
            wanted: wanted.map(str::to_owned),
            available: labels(&candidates),
        })
    }
}

/// Reads the image `ref_name` names (or the only one) from an OCI layout.
pub(super) fn read_layout(files: &dyn LayoutFiles, ref_name: Option<&str>) -> Result<Image, ImageError> {
    let layout_hint = "not an OCI image layout (no `oci-layout` file)";
    let (_, bytes) = read_small(files, "oci-layout", "oci-layout file", SMALL_FILE_LIMIT)?
        .ok_or_else(|| ImageError::MissingFile { location: files.location("oci-layout"), hint: layout_hint })?;
    let layout: OciLayoutFile = parse_json(&bytes, &files.location("oci-layout"))?;
    if layout.image_layout_version != "1.0.0" {
        return Err(ImageError::UnsupportedLayoutVersion {
            location: files.location("oci-layout"),
            version: layout.image_layout_version,
        });
    }

    let index_location = files.location("index.json");
    let (_, bytes) = read_small(files, "index.json", "index.json", SMALL_FILE_LIMIT)?.ok_or_else(|| {
        ImageError::MissingFile { location: index_location.clone(), hint: "an OCI layout needs an index.json" }
    })?;
    let index: IndexFile = parse_json(&bytes, &index_location)?;
    if index.manifests.is_empty() {
        return Err(ImageError::NoManifests { location: index_location });
    }
    let selected = select_named(
        &index.manifests,
        ref_name,
        Descriptor::names,
        |a, b| a.digest == b.digest,
        |d| format!("(unnamed) {}", d.digest),
        &index_location,
    )?;

    let mut walk = Walk { files, manifests: Vec::new(), seen: HashSet::new() };
    walk.manifest(selected, &index_location, None, 0)?;
    Image::new(walk.manifests).ok_or(ImageError::NoManifests { location: index_location })
}

/// The manifests gathered so far, in push order.
struct Walk<'a> {
    files: &'a dyn LayoutFiles,
    manifests: Vec<Manifest>,
    seen: HashSet<Digest>,
}

impl Walk<'_> {
    /// Adds the manifest `desc` describes (its children first when it is an index). `parent`
    /// is the file holding `desc`; `platform` is set for an index's children.
    fn manifest(
        &mut self,
        desc: &Descriptor,
        parent: &str,
        platform: Option<String>,
        depth: usize,
    ) -> Result<(), ImageError> {
        let digest = parse_digest(&desc.digest, parent)?;
        if self.seen.contains(&digest) {
            return Ok(());
        }
        let name = blob_name(&digest);
        let location = self.files.location(&name);
        let Some(found) = self.files.locate(&name)? else {
            return Err(match platform {
                Some(platform) => ImageError::ChildManifestMissing { location, digest: digest.to_string(), platform },
                None => ImageError::BlobMissing { location, what: "manifest", digest: digest.to_string() },
            });
        };
        let bytes = self.checked_small(&found, desc, &digest, "manifest", &location)?;
        let parsed: ManifestFile = parse_json(&bytes, &location)?;
        let media_type = match (desc.media_type.as_deref(), parsed.media_type.as_deref()) {
            (Some(d), Some(m)) if d != m => {
                return Err(ImageError::MediaTypeConflict {
                    location,
                    digest: digest.to_string(),
                    descriptor: d.to_owned(),
                    manifest: m.to_owned(),
                });
            }
            (Some(d), _) => d.to_owned(),
            (None, Some(m)) => m.to_owned(),
            (None, None) => {
                return Err(ImageError::MissingMediaType { location, what: "manifest", digest: digest.to_string() });
            }
        };
        let missing = |field| ImageError::InvalidManifest {
            location: location.clone(),
            digest: digest.to_string(),
            media_type: media_type.clone(),
            field,
        };
        let blobs = match media_type.as_str() {
            OCI_INDEX | DOCKER_MANIFEST_LIST => {
                if depth >= MAX_INDEX_DEPTH {
                    return Err(ImageError::IndexTooDeep {
                        location,
                        digest: digest.to_string(),
                        limit: MAX_INDEX_DEPTH,
                    });
                }
                for child in parsed.manifests.as_ref().ok_or_else(|| missing("manifests"))? {
                    self.manifest(child, &location, Some(child.platform_text()), depth + 1)?;
                }
                Vec::new()
            }
            OCI_MANIFEST | DOCKER_MANIFEST => {
                let config = parsed.config.as_ref().ok_or_else(|| missing("config"))?;
                let layers = parsed.layers.as_ref().ok_or_else(|| missing("layers"))?;
                let mut blobs = vec![self.config(config, &location)?];
                for layer in layers.iter().filter(|l| l.urls.as_ref().is_none_or(Vec::is_empty)) {
                    blobs.push(self.layer(layer, &location)?);
                }
                blobs
            }
            _ => return Err(ImageError::UnsupportedMediaType { location, digest: digest.to_string(), media_type }),
        };
        self.seen.insert(digest);
        self.manifests.push(Manifest::new(media_type, bytes, blobs));
        Ok(())
    }

    /// The config blob: small, so its sha256 is checked here.
    fn config(&self, desc: &Descriptor, manifest: &str) -> Result<Blob, ImageError> {
        let (digest, found, location) = self.present(desc, "config", manifest)?;
        self.checked_small(&found, desc, &digest, "config", &location)?;
        blob(desc, digest, found, "config", manifest)
    }

    /// A layer: present, of the right size; its digest is the registry's to check.
    fn layer(&self, desc: &Descriptor, manifest: &str) -> Result<Blob, ImageError> {
        let (digest, found, location) = self.present(desc, "layer", manifest)?;
        if found.len != desc.size {
            return Err(size_mismatch(location, "layer", &digest, desc.size, found.len));
        }
        blob(desc, digest, found, "layer", manifest)
    }

    fn present(
        &self,
        desc: &Descriptor,
        what: &'static str,
        manifest: &str,
    ) -> Result<(Digest, Located, String), ImageError> {
        let digest = parse_digest(&desc.digest, manifest)?;
        let name = blob_name(&digest);
        let location = self.files.location(&name);
        match self.files.locate(&name)? {
            Some(found) => Ok((digest, found, location)),
            None => Err(ImageError::BlobMissing { location, what, digest: digest.to_string() }),
        }
    }

    /// The bytes of a small blob, checked against its descriptor's size and digest.
    fn checked_small(
        &self,
        found: &Located,
        desc: &Descriptor,
        digest: &Digest,
        what: &'static str,
        location: &str,
    ) -> Result<Vec<u8>, ImageError> {
        if found.len != desc.size {
            return Err(size_mismatch(location.to_owned(), what, digest, desc.size, found.len));
        }
        if found.len > SMALL_FILE_LIMIT {
            return Err(ImageError::TooLarge {
                location: location.to_owned(),
                what,
                size: found.len,
                limit: SMALL_FILE_LIMIT,
            });
        }
        let bytes = read_range(found, location)?;
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(ImageError::DigestMismatch {
                location: location.to_owned(),
                what,
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

fn blob(
    desc: &Descriptor,
    digest: Digest,
    found: Located,
    what: &'static str,
    manifest: &str,
) -> Result<Blob, ImageError> {
    let media_type = desc.media_type.clone().ok_or_else(|| ImageError::MissingMediaType {
        location: manifest.to_owned(),
        what,
        digest: digest.to_string(),
    })?;
    Ok(Blob { digest, size: found.len, media_type, source: found.source() })
}

fn size_mismatch(location: String, what: &'static str, digest: &Digest, expected: u64, actual: u64) -> ImageError {
    ImageError::SizeMismatch { location, what, digest: digest.to_string(), expected, actual }
}

/// An OCI layout directory. Symbolic links inside it are followed only while they stay inside.
struct LayoutDir {
    /// The directory as given: blob paths are built from it.
    dir: PathBuf,
    /// Its canonical form, which every file's canonical path must start with.
    root: PathBuf,
}

impl LayoutDir {
    fn open(dir: &Path) -> Result<LayoutDir, ImageError> {
        let root = fs::canonicalize(dir).map_err(|source| ImageError::Io { path: dir.to_owned(), source })?;
        if !root.is_dir() {
            let source = std::io::Error::from(std::io::ErrorKind::NotADirectory);
            return Err(ImageError::Io { path: dir.to_owned(), source });
        }
        Ok(LayoutDir { dir: dir.to_owned(), root })
    }

    fn path(&self, name: &str) -> PathBuf {
        name.split('/').fold(self.dir.clone(), |path, part| path.join(part))
    }
}

impl LayoutFiles for LayoutDir {
    fn location(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn locate(&self, name: &str) -> Result<Option<Located>, ImageError> {
        let path = self.path(name);
        let real = match fs::canonicalize(&path) {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ImageError::Io { path, source }),
        };
        if !real.starts_with(&self.root) {
            return Err(ImageError::PathEscapes { location: self.location(name), target: real.display().to_string() });
        }
        let meta = fs::metadata(&real).map_err(|source| ImageError::Io { path: path.clone(), source })?;
        if !meta.is_file() {
            let kind = if meta.is_dir() { "a directory" } else { "a special file" };
            return Err(ImageError::NotAFile { location: self.location(name), kind });
        }
        Ok(Some(Located { path, offset: 0, len: meta.len() }))
    }
}

impl Image {
    /// Reads an image from an [OCI image layout] directory (as written by `skopeo copy …
    /// oci:DIR`, `docker buildx build --output type=oci,tar=false`, `crane pull --format=oci`…).
    ///
    /// `ref_name` selects the image by its `org.opencontainers.image.ref.name` (or
    /// `io.containerd.image.name`) annotation in `index.json`; without it the layout must
    /// hold a single image. An index (multi-platform image) brings every platform's manifest,
    /// pushed before the index. Manifests and configs are checked against their descriptors'
    /// size and sha256; layers must be present with the right size. Foreign layers (with
    /// `urls`) are not pushed, as Docker does.
    ///
    /// ```no_run
    /// use notary_client::registry::Image;
    /// let image = Image::from_oci_layout("build/app-oci", Some("1.2"))?;
    /// println!("{} ({} manifests)", image.top().digest, image.manifests().len());
    /// # Ok::<(), notary_client::registry::ImageError>(())
    /// ```
    ///
    /// [OCI image layout]: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
    pub fn from_oci_layout(dir: impl AsRef<Path>, ref_name: Option<&str>) -> Result<Image, ImageError> {
        read_layout(&LayoutDir::open(dir.as_ref())?, ref_name)
    }
}
