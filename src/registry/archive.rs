//! docker-archive tarballs (`docker save`, `skopeo copy … docker-archive:`), read in place:
//! the tar is indexed once (entry name → data offset and size) and every blob is a byte range
//! of the tarball, so nothing is extracted.
//!
//! Two forms exist. Docker 25 and later write an OCI image layout into the tar (`oci-layout`,
//! `index.json`, `blobs/sha256/…`) next to a legacy `manifest.json`: it is read exactly like a
//! layout directory (see [`super::layout`]), and preferred when both are present, since its
//! manifest bytes are what Docker pushes. Older Docker and skopeo write only `manifest.json`,
//! config and layer tars: an OCI image manifest is then built for them (see [`legacy_image`]).

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::layout::{self, LayoutFiles, Located, OCI_MANIFEST, SMALL_FILE_LIMIT};
use super::{Blob, BlobSource, Digest, Image, ImageError, Manifest, UPLOAD_CHUNK};

/// How many bytes of tar headers (headers, long names, PAX records) the index reads at most;
/// entry data is skipped by seeking. 64 MiB is over 100 000 entries.
const HEADER_BUDGET: u64 = 64 * 1024 * 1024;
/// How many links (symbolic or hard) a name may go through.
const MAX_LINKS: usize = 16;

/// OCI image config, the media type a legacy archive's config is pushed with.
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Uncompressed OCI layer: what `docker save` writes.
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// The hint of a file `manifest.json` lists but the archive lacks.
const LISTED_NOT_STORED: &str = "manifest.json lists it but the archive has no such entry; re-create the archive";

/// What a tar entry is, as far as the image reader cares.
#[derive(Debug, Clone)]
enum Node {
    /// A regular file's data: `size` bytes from `offset` in the tarball.
    File { offset: u64, size: u64 },
    /// A symbolic or hard link to this (normalised) entry name.
    Link(String),
    /// A link leading outside the archive (its target as written).
    EscapingLink(String),
    /// Something that cannot be read as a file.
    Other(&'static str),
}

/// The entries of a tarball.
struct TarIndex {
    path: PathBuf,
    entries: HashMap<String, Node>,
}

/// Counts the bytes actually read (headers and extension records; data is skipped by seeking)
/// and fails past [`HEADER_BUDGET`].
struct Budgeted {
    file: fs::File,
    read: u64,
}

impl Read for Budgeted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > HEADER_BUDGET {
            return Err(std::io::Error::other("tar header budget exceeded"));
        }
        let n = self.file.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl Seek for Budgeted {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

impl TarIndex {
    fn build(path: &Path) -> Result<TarIndex, ImageError> {
        let io = |source| ImageError::Io { path: path.to_owned(), source };
        let file = fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            let kind = if meta.is_dir() { "a directory" } else { "a special file" };
            return Err(ImageError::NotAFile { location: path.display().to_string(), kind });
        }
        let mut index = TarIndex { path: path.to_owned(), entries: HashMap::new() };
        let mut archive = tar::Archive::new(Budgeted { file, read: 0 });
        let result = index.add_entries(&mut archive, meta.len());
        if archive.into_inner().read > HEADER_BUDGET {
            return Err(ImageError::TarHeadersTooLarge { path: path.to_owned(), limit: HEADER_BUDGET });
        }
        result.map(|()| index)
    }

    fn add_entries(&mut self, archive: &mut tar::Archive<Budgeted>, file_len: u64) -> Result<(), ImageError> {
        let tar_error = |source| ImageError::Tar { path: self.path.clone(), source };
        for entry in archive.entries_with_seek().map_err(tar_error)? {
            let entry = entry.map_err(tar_error)?;
            let raw_name = entry.path_bytes();
            let Ok(raw_name) = std::str::from_utf8(&raw_name) else { continue };
            let name = normalise(raw_name).ok_or_else(|| ImageError::UnsafePath {
                location: self.path.display().to_string(),
                name: raw_name.chars().take(200).collect(),
            })?;
            let link_target = || entry.link_name_bytes().and_then(|t| std::str::from_utf8(&t).ok().map(str::to_owned));
            let node = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let offset = entry.raw_file_position();
                    let data_end = offset.saturating_add(entry.size());
                    if data_end > file_len {
                        return Err(ImageError::Truncated { location: self.location(&name), data_end, file_len });
                    }
                    Node::File { offset, size: entry.size() }
                }
                tar::EntryType::Symlink => match link_target() {
                    Some(target) => match resolve_relative(&name, &target) {
                        Some(resolved) => Node::Link(resolved),
                        None => Node::EscapingLink(target),
                    },
                    None => Node::Other("a symbolic link with an unreadable target"),
                },
                tar::EntryType::Link => match link_target() {
                    Some(target) => match normalise(&target) {
                        Some(resolved) => Node::Link(resolved),
                        None => Node::EscapingLink(target),
                    },
                    None => Node::Other("a hard link with an unreadable target"),
                },
                tar::EntryType::GNUSparse => Node::Other("a sparse file"),
                tar::EntryType::Directory => continue,
                _ => Node::Other("a special file"),
            };
            self.entries.insert(name, node);
        }
        Ok(())
    }

    fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
}

/// An entry name with `./` prefixes and empty or `.` parts removed; `None` when absolute or
/// containing `..`.
fn normalise(name: &str) -> Option<String> {
    if name.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The entry a symbolic link named `link` pointing at `target` designates; `None` when it
/// leads outside the archive.
fn resolve_relative(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

impl LayoutFiles for TarIndex {
    fn location(&self, name: &str) -> String {
        format!("{}:{name}", self.path.display())
    }

    fn locate(&self, name: &str) -> Result<Option<Located>, ImageError> {
        let mut current = name;
        for _ in 0..=MAX_LINKS {
            match self.entries.get(current) {
                None => return Ok(None),
                Some(Node::File { offset, size }) => {
                    return Ok(Some(Located { path: self.path.clone(), offset: *offset, len: *size }));
                }
                Some(Node::Link(target)) => current = target,
                Some(Node::EscapingLink(target)) => {
                    return Err(ImageError::PathEscapes { location: self.location(current), target: target.clone() });
                }
                Some(Node::Other(kind)) => return Err(ImageError::NotAFile { location: self.location(current), kind }),
            }
        }
        Err(ImageError::LinkLoop { location: self.location(name), limit: MAX_LINKS })
    }
}

/// One image of a legacy `manifest.json`.
#[derive(Debug, Deserialize)]
struct LegacyEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
    #[serde(rename = "LayerSources", default)]
    layer_sources: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The part of an image config checked against the layers.
#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    rootfs: Option<RootFs>,
}

#[derive(Debug, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Option<Vec<String>>,
}

/// The OCI image manifest built for a legacy archive; field order is the serialisation order.
#[derive(Serialize)]
struct BuiltManifest<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    config: BuiltDescriptor<'a>,
    layers: Vec<BuiltDescriptor<'a>>,
}

#[derive(Serialize)]
struct BuiltDescriptor<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    digest: String,
    size: u64,
}

/// Reads the legacy form: `manifest.json`, a config and layer tars, for which an OCI image
/// manifest is built (compact JSON, fields in the order `schemaVersion, mediaType, config,
/// layers`). Layers are hashed here (streamed), and checked against the config's
/// `rootfs.diff_ids` when it lists them.
fn legacy_image(tar: &TarIndex, ref_name: Option<&str>) -> Result<Image, ImageError> {
    let list_location = tar.location("manifest.json");
    let (_, bytes) = layout::read_small(tar, "manifest.json", "manifest.json", SMALL_FILE_LIMIT)?.ok_or_else(|| {
        ImageError::MissingFile {
            location: list_location.clone(),
            hint: "a legacy docker-archive needs a manifest.json",
        }
    })?;
    let list: Vec<LegacyEntry> = layout::parse_json(&bytes, &list_location)?;
    let entry = layout::select_named(
        &list,
        ref_name,
        |e| e.repo_tags.clone().unwrap_or_default(),
        |a, b| a.config == b.config && a.layers == b.layers,
        |e| format!("(untagged) {}", e.config),
        &list_location,
    )?;
    if entry.layer_sources.as_ref().is_some_and(|s| !s.is_empty()) {
        return Err(ImageError::ForeignLayers { location: list_location });
    }
    let entry_name = |name: &str| {
        normalise(name).ok_or_else(|| ImageError::UnsafePath {
            location: list_location.clone(),
            name: name.chars().take(200).collect(),
        })
    };

    let config_name = entry_name(&entry.config)?;
    let config_location = tar.location(&config_name);
    let (config_at, config_bytes) = layout::read_small(tar, &config_name, "config", SMALL_FILE_LIMIT)?
        .ok_or_else(|| ImageError::MissingFile { location: config_location.clone(), hint: LISTED_NOT_STORED })?;
    let config: ConfigFile = layout::parse_json(&config_bytes, &config_location)?;
    let config_blob = Blob {
        digest: Digest::of(&config_bytes),
        size: config_at.len,
        media_type: OCI_CONFIG.to_owned(),
        source: BlobSource::File { path: config_at.path, offset: config_at.offset },
    };

    let mut hashed: HashMap<u64, (Digest, &'static str)> = HashMap::new();
    let mut layers = Vec::with_capacity(entry.layers.len());
    for layer_name in &entry.layers {
        let name = entry_name(layer_name)?;
        let location = tar.location(&name);
        let at = tar
            .locate(&name)?
            .ok_or_else(|| ImageError::MissingFile { location: location.clone(), hint: LISTED_NOT_STORED })?;
        let (digest, media_type) = match hashed.get(&at.offset) {
            Some(known) => *known,
            None => {
                let known = hash_layer(&at, &location)?;
                hashed.insert(at.offset, known);
                known
            }
        };
        layers.push((
            location,
            Blob {
                digest,
                size: at.len,
                media_type: media_type.to_owned(),
                source: BlobSource::File { path: at.path, offset: at.offset },
            },
        ));
    }
    check_diff_ids(&config, &layers, &config_location)?;

    let built = BuiltManifest {
        schema_version: 2,
        media_type: OCI_MANIFEST,
        config: descriptor(&config_blob),
        layers: layers.iter().map(|(_, b)| descriptor(b)).collect(),
    };
    let bytes = serde_json::to_vec(&built).map_err(|source| ImageError::InvalidJson {
        location: list_location.clone(),
        field: ".".to_owned(),
        source,
    })?;
    let blobs = std::iter::once(config_blob).chain(layers.into_iter().map(|(_, b)| b)).collect();
    Image::new(vec![Manifest::new(OCI_MANIFEST, bytes, blobs)])
        .ok_or(ImageError::NoManifests { location: list_location })
}

fn descriptor(blob: &Blob) -> BuiltDescriptor<'_> {
    BuiltDescriptor { media_type: &blob.media_type, digest: blob.digest.to_string(), size: blob.size }
}

/// A layer's sha256 (streamed through a [`UPLOAD_CHUNK`] buffer) and media type (from its
/// first bytes: `docker save` writes plain tars, other tools sometimes gzip or zstd).
fn hash_layer(at: &Located, location: &str) -> Result<(Digest, &'static str), ImageError> {
    let io = |source| ImageError::Io { path: at.path.clone(), source };
    let mut file = fs::File::open(&at.path).map_err(io)?;
    file.seek(SeekFrom::Start(at.offset)).map_err(io)?;
    let mut data = file.take(at.len);
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; UPLOAD_CHUNK];
    let mut head = Vec::with_capacity(4);
    let mut total = 0u64;
    loop {
        let n = data.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        if head.len() < 4 {
            head.extend(chunk.iter().take(4 - head.len()));
        }
        context.update(chunk);
        total += n as u64;
    }
    if total < at.len {
        return Err(ImageError::Truncated {
            location: location.to_owned(),
            data_end: at.offset.saturating_add(at.len),
            file_len: at.offset.saturating_add(total),
        });
    }
    let media_type = match head.as_slice() {
        [0x1f, 0x8b, ..] => OCI_LAYER_GZIP,
        [0x28, 0xb5, 0x2f, 0xfd] => OCI_LAYER_ZSTD,
        _ => OCI_LAYER,
    };
    Ok((Digest::from_ring(context.finish()), media_type))
}

/// Compares uncompressed layers with the config's `rootfs.diff_ids`, when it lists them.
/// (A compressed layer's diff_id is the digest of its uncompressed content, not checked here.)
fn check_diff_ids(config: &ConfigFile, layers: &[(String, Blob)], config_location: &str) -> Result<(), ImageError> {
    let Some(diff_ids) = config.rootfs.as_ref().and_then(|r| r.diff_ids.as_ref()) else { return Ok(()) };
    if diff_ids.len() != layers.len() {
        return Err(ImageError::LayerCountMismatch {
            location: config_location.to_owned(),
            layers: layers.len(),
            diff_ids: diff_ids.len(),
        });
    }
    for (index, ((location, blob), diff_id)) in layers.iter().zip(diff_ids).enumerate() {
        if blob.media_type == OCI_LAYER && *diff_id != blob.digest.to_string() {
            return Err(ImageError::DiffIdMismatch {
                location: location.clone(),
                index,
                expected: diff_id.chars().take(100).collect(),
                actual: blob.digest.to_string(),
            });
        }
    }
    Ok(())
}

impl Image {
    /// Reads an image from a docker-archive tarball, as written by `docker save` or `skopeo
    /// copy … docker-archive:FILE`. Blobs are byte ranges of the tarball: nothing is extracted.
    ///
    /// `ref_name` selects the image when the archive holds several: a full name
    /// (`docker.io/library/app:1.0`), the familiar form (`app:1.0`, matched against the
    /// archive's `RepoTags` / `io.containerd.image.name`), or, for Docker 25's OCI form, the
    /// bare tag (`org.opencontainers.image.ref.name`). Without it the archive must hold a
    /// single image.
    ///
    /// The OCI form (Docker 25 and later) is read exactly as [`Image::from_oci_layout`] reads a
    /// directory. For the legacy form (`manifest.json` only) an OCI image manifest is built:
    /// the config pushed as-is, each layer hashed (and compared with the config's
    /// `rootfs.diff_ids`).
    ///
    /// ```no_run
    /// use notary_client::registry::Image;
    /// let image = Image::from_docker_archive("app.tar", Some("app:1.2"))?;
    /// println!("{} ({} bytes)", image.top().digest, image.top().size());
    /// # Ok::<(), notary_client::registry::ImageError>(())
    /// ```
    pub fn from_docker_archive(path: impl AsRef<Path>, ref_name: Option<&str>) -> Result<Image, ImageError> {
        let tar = TarIndex::build(path.as_ref())?;
        if tar.has("oci-layout") && tar.has("index.json") {
            layout::read_layout(&tar, ref_name)
        } else if tar.has("manifest.json") {
            legacy_image(&tar, ref_name)
        } else {
            Err(ImageError::NotAnImageArchive { path: tar.path })
        }
    }
}
