//! Small, real-looking container images written to disk for the registry tests: an OCI image
//! layout (one platform, or an index of several), a legacy docker-archive (older `docker save`,
//! `skopeo copy … docker-archive:`) and the OCI-form docker-archive of Docker 25 and later.
//!
//! Every image is deterministic: each platform's image has a JSON config (`architecture`, `os`,
//! `rootfs.diff_ids`) and one uncompressed tar layer holding `hello.txt`, whose text names the
//! platform. Include it from a test file with
//!
//! ```ignore
//! #[path = "support/oci_image.rs"]
//! mod oci_image;
//! ```
//!
//! (the library's unit tests include it the same way). Needs only std, `ring`, `hex`,
//! `serde_json` and `tar`.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Uncompressed OCI layer media type.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// One blob (manifest, config, layer) of a written image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its length.
    pub size: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl BlobInfo {
    /// The blob of these bytes.
    pub fn of(bytes: Vec<u8>) -> BlobInfo {
        BlobInfo { digest: sha256(&bytes), size: bytes.len() as u64, bytes }
    }

    /// The 64 hex digits of the digest.
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }

    /// A descriptor `{"mediaType","digest","size"}` of this blob, as JSON text.
    pub fn descriptor(&self, media_type: &str) -> String {
        format!(r#"{{"mediaType":"{media_type}","digest":"{}","size":{}}}"#, self.digest, self.size)
    }
}

/// The image of one platform: its manifest, config and single layer.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    /// `linux`, …
    pub os: String,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// The OCI image manifest.
    pub manifest: BlobInfo,
    /// The config.
    pub config: BlobInfo,
    /// The layer (an uncompressed tar).
    pub layer: BlobInfo,
}

/// What [`write_oci_layout`] wrote.
#[derive(Debug, Clone)]
pub struct LayoutInfo {
    /// The digest of the manifest `index.json` points at (the one to sign).
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// Its media type: [`OCI_MANIFEST`] for one platform, [`OCI_INDEX`] for several.
    pub media_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Every platform's image, in index order.
    pub platforms: Vec<PlatformImage>,
}

/// What the docker-archive writers wrote (a single linux/amd64 image).
#[derive(Debug, Clone)]
pub struct ArchiveInfo {
    /// The image's tag in the archive (`RepoTags`).
    pub repo_tag: String,
    /// The config (pushed as-is).
    pub config: BlobInfo,
    /// The layers, in order.
    pub layers: Vec<BlobInfo>,
    /// The OCI form's manifest (what Docker pushes and what gets signed); `None` for the legacy
    /// form, whose manifest the reader builds.
    pub manifest: Option<BlobInfo>,
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes)))
}

/// A tar of `(path, contents)` files, deterministic (mtime 0, root-owned, mode 0644).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, contents) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, *contents).expect("append to an in-memory tar");
    }
    builder.into_inner().expect("finish an in-memory tar")
}

/// The image of one platform: a layer with `hello.txt` naming the platform, its config and an
/// OCI manifest.
pub fn platform_image(os: &str, architecture: &str) -> PlatformImage {
    let text = format!("hello from {os}/{architecture}\n");
    let layer = BlobInfo::of(tar_of(&[("hello.txt", text.as_bytes())]));
    let config = serde_json::json!({
        "architecture": architecture,
        "os": os,
        "created": "1970-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/cat", "/hello.txt"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "COPY hello.txt / # buildkit"}],
    });
    let config = BlobInfo::of(serde_json::to_vec(&config).expect("serialise a config"));
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{}]}}"#,
        config.descriptor(OCI_CONFIG),
        layer.descriptor(OCI_LAYER)
    );
    PlatformImage {
        os: os.to_owned(),
        architecture: architecture.to_owned(),
        manifest: BlobInfo::of(manifest.into_bytes()),
        config,
        layer,
    }
}

/// An OCI image index of these platforms' manifests (with their `platform`).
pub fn index_of(platforms: &[PlatformImage]) -> BlobInfo {
    let children: Vec<String> = platforms
        .iter()
        .map(|p| {
            format!(
                r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{},"platform":{{"architecture":"{}","os":"{}"}}}}"#,
                p.manifest.digest, p.manifest.size, p.architecture, p.os
            )
        })
        .collect();
    let index = format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#, children.join(","));
    BlobInfo::of(index.into_bytes())
}

/// Writes `blob` as `dir/blobs/sha256/<hex>`.
pub fn write_blob(dir: &Path, blob: &BlobInfo) {
    let blobs = dir.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).unwrap_or_else(|e| panic!("create {}: {e}", blobs.display()));
    let path = blobs.join(blob.hex());
    fs::write(&path, &blob.bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Writes an OCI image layout into `dir` (created if needed) whose `index.json` names the
/// image `ref_name` (`org.opencontainers.image.ref.name`). `platforms` are `(os, architecture)`
/// pairs, e.g. `[("linux", "amd64")]`: one gives a single image manifest, several an index of
/// per-platform manifests.
pub fn write_oci_layout(dir: &Path, ref_name: &str, platforms: &[(&str, &str)]) -> LayoutInfo {
    assert!(!platforms.is_empty(), "an image needs at least one platform");
    let images: Vec<PlatformImage> = platforms.iter().map(|(os, arch)| platform_image(os, arch)).collect();
    for image in &images {
        for blob in [&image.layer, &image.config, &image.manifest] {
            write_blob(dir, blob);
        }
    }
    let (top, media_type) = match images.as_slice() {
        [single] => (single.manifest.clone(), OCI_MANIFEST),
        _ => (index_of(&images), OCI_INDEX),
    };
    write_blob(dir, &top);
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{media_type}","digest":"{}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"{ref_name}"}}}}]}}"#,
        top.digest, top.size
    );
    fs::write(dir.join("index.json"), index).expect("write index.json");
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("write oci-layout");
    LayoutInfo { digest: top.digest, size: top.size, media_type, bytes: top.bytes, platforms: images }
}

/// A tar entry for [`write_tar`].
pub enum Entry<'a> {
    /// A directory.
    Dir(&'a str),
    /// A regular file.
    File(&'a str, &'a [u8]),
    /// A symbolic link `(name, target)`.
    Symlink(&'a str, &'a str),
    /// A hard link `(name, target)`.
    HardLink(&'a str, &'a str),
}

/// Writes a tar of these entries (deterministic headers) at `path`.
pub fn write_tar(path: &Path, entries: &[Entry<'_>]) {
    let file = fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    let mut builder = tar::Builder::new(file);
    for entry in entries {
        let mut header = tar::Header::new_ustar();
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        let result = match entry {
            Entry::Dir(name) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder.append_data(&mut header, name, std::io::empty())
            }
            Entry::File(name, contents) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                header.set_size(contents.len() as u64);
                builder.append_data(&mut header, name, *contents)
            }
            Entry::Symlink(name, target) | Entry::HardLink(name, target) => {
                let kind =
                    if matches!(entry, Entry::Symlink(..)) { tar::EntryType::Symlink } else { tar::EntryType::Link };
                header.set_entry_type(kind);
                header.set_mode(0o777);
                header.set_size(0);
                builder.append_link(&mut header, name, target)
            }
        };
        result.unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    builder.finish().unwrap_or_else(|e| panic!("finish {}: {e}", path.display()));
}

/// `app:1.0` → `("docker.io/library/app", "1.0")`, as Docker names images in its archives.
pub fn full_name(repo_tag: &str) -> (String, String) {
    let (repo, tag) = match repo_tag.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (repo_tag, "latest"),
    };
    let first = repo.split('/').next().unwrap_or(repo);
    let repo = if first.contains(['.', ':']) || first == "localhost" {
        repo.to_owned()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    };
    (repo, tag.to_owned())
}

/// Writes a legacy docker-archive (as `docker save` before Docker 25 did) of the linux/amd64
/// image tagged `repo_tag`: `<layer id>/{VERSION,json,layer.tar}`, `<config hex>.json`,
/// `manifest.json` and `repositories`.
pub fn write_docker_archive_legacy(path: &Path, repo_tag: &str) -> ArchiveInfo {
    let image = platform_image("linux", "amd64");
    let layer_id = hex::encode(ring::digest::digest(&ring::digest::SHA256, image.layer.digest.as_bytes()));
    let layer_json = format!(r#"{{"id":"{layer_id}","created":"1970-01-01T00:00:00Z","os":"linux"}}"#);
    let config_name = format!("{}.json", image.config.hex());
    let layer_name = format!("{layer_id}/layer.tar");
    let manifest_json =
        format!(r#"[{{"Config":"{config_name}","RepoTags":["{repo_tag}"],"Layers":["{layer_name}"]}}]"#);
    let (repo, tag) = repo_tag.rsplit_once(':').unwrap_or((repo_tag, "latest"));
    let repositories = format!(r#"{{"{repo}":{{"{tag}":"{layer_id}"}}}}"#);
    write_tar(
        path,
        &[
            Entry::Dir(&format!("{layer_id}/")),
            Entry::File(&format!("{layer_id}/VERSION"), b"1.0"),
            Entry::File(&format!("{layer_id}/json"), layer_json.as_bytes()),
            Entry::File(&layer_name, &image.layer.bytes),
            Entry::File(&config_name, &image.config.bytes),
            Entry::File("manifest.json", manifest_json.as_bytes()),
            Entry::File("repositories", repositories.as_bytes()),
        ],
    );
    ArchiveInfo { repo_tag: repo_tag.to_owned(), config: image.config, layers: vec![image.layer], manifest: None }
}

/// Writes the docker-archive `docker save` of Docker 25 and later writes for the linux/amd64
/// image tagged `repo_tag`: an OCI layout (`oci-layout`, `index.json` whose descriptor carries
/// `io.containerd.image.name` = the full name and `org.opencontainers.image.ref.name` = the tag,
/// `blobs/sha256/…`) plus the legacy `manifest.json` and `repositories`.
pub fn write_docker_archive_oci(path: &Path, repo_tag: &str) -> ArchiveInfo {
    let image = platform_image("linux", "amd64");
    let (repo, tag) = full_name(repo_tag);
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{},"annotations":{{"io.containerd.image.name":"{repo}:{tag}","org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#,
        image.manifest.digest, image.manifest.size
    );
    let manifest_json = format!(
        r#"[{{"Config":"blobs/sha256/{}","RepoTags":["{repo_tag}"],"Layers":["blobs/sha256/{}"]}}]"#,
        image.config.hex(),
        image.layer.hex()
    );
    let (short_repo, _) = repo_tag.rsplit_once(':').unwrap_or((repo_tag, "latest"));
    let repositories = format!(r#"{{"{short_repo}":{{"{tag}":"{}"}}}}"#, image.manifest.hex());
    let blob = |b: &BlobInfo| format!("blobs/sha256/{}", b.hex());
    let (layer, config, manifest) = (blob(&image.layer), blob(&image.config), blob(&image.manifest));
    write_tar(
        path,
        &[
            Entry::Dir("blobs/"),
            Entry::Dir("blobs/sha256/"),
            Entry::File(&layer, &image.layer.bytes),
            Entry::File(&config, &image.config.bytes),
            Entry::File(&manifest, &image.manifest.bytes),
            Entry::File("index.json", index.as_bytes()),
            Entry::File("manifest.json", manifest_json.as_bytes()),
            Entry::File("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
            Entry::File("repositories", repositories.as_bytes()),
        ],
    );
    ArchiveInfo {
        repo_tag: repo_tag.to_owned(),
        config: image.config,
        layers: vec![image.layer],
        manifest: Some(image.manifest),
    }
}
