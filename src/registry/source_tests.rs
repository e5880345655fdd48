//! Tests of the image sources: OCI layout directories ([`Image::from_oci_layout`]) and
//! docker-archive tarballs ([`Image::from_docker_archive`]), built with the integration tests'
//! image writers (`tests/support/oci_image.rs`), plus the real-tool fixtures of
//! `fixtures/images` (made by `scripts/make-image-fixtures.sh` with skopeo).

#[path = "../../tests/support/oci_image.rs"]
mod oci_image;

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use oci_image::{
    ArchiveInfo, BlobInfo, Entry, LayoutInfo, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, index_of, platform_image,
    write_blob, write_docker_archive_legacy, write_docker_archive_oci, write_oci_layout, write_tar,
};

use super::{Blob, BlobSource, Image, ImageError};

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

// ---------------------------------------------------------------- helpers

fn read_blob(blob: &Blob) -> Vec<u8> {
    match &blob.source {
        BlobSource::File { path, offset } => {
            let mut file = fs::File::open(path).unwrap();
            file.seek(SeekFrom::Start(*offset)).unwrap();
            let mut out = Vec::new();
            file.take(blob.size).read_to_end(&mut out).unwrap();
            out
        }
        BlobSource::Memory(bytes) => bytes.to_vec(),
    }
}

fn digests(blobs: &[Blob]) -> Vec<String> {
    blobs.iter().map(|b| b.digest.to_string()).collect()
}

fn layout(platforms: &[(&str, &str)]) -> (tempfile::TempDir, LayoutInfo) {
    let dir = tempfile::tempdir().unwrap();
    let info = write_oci_layout(dir.path(), "1.0", platforms);
    (dir, info)
}

fn blob_path(dir: &Path, blob: &BlobInfo) -> PathBuf {
    dir.join("blobs").join("sha256").join(blob.hex())
}

/// `index.json` listing these `(descriptor JSON)` entries.
fn write_index(dir: &Path, descriptors: &[String]) {
    fs::write(dir.join("index.json"), format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, descriptors.join(",")))
        .unwrap();
}

fn named(blob: &BlobInfo, media_type: &str, name: &str) -> String {
    format!(
        r#"{{"mediaType":"{media_type}","digest":"{}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"{name}"}}}}"#,
        blob.digest, blob.size
    )
}

/// A layout whose only image is the manifest `manifest` (JSON text), listed in `index.json`
/// with `media_type` (none when `None`); the linux/amd64 config and layer are written too.
fn layout_with_manifest(manifest: &str, media_type: Option<&str>) -> (tempfile::TempDir, BlobInfo) {
    let (dir, _) = layout(&[("linux", "amd64")]);
    let blob = BlobInfo::of(manifest.as_bytes().to_vec());
    write_blob(dir.path(), &blob);
    let media = media_type.map(|m| format!(r#""mediaType":"{m}","#)).unwrap_or_default();
    write_index(dir.path(), &[format!(r#"{{{media}"digest":"{}","size":{}}}"#, blob.digest, blob.size)]);
    (dir, blob)
}

fn oci_manifest_of(config: &str, layers: &[String]) -> String {
    format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{config},"layers":[{}]}}"#, layers.join(","))
}

fn tar_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("image.tar")
}

/// A tar with one entry whose raw name (and link name) bytes are written as given, bypassing
/// the builder's path checks.
fn write_raw_tar(path: &Path, name: &[u8], kind: tar::EntryType, link: &[u8], data: &[u8]) {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_cksum();
    let mut builder = tar::Builder::new(fs::File::create(path).unwrap());
    builder.append(&header, data).unwrap();
    builder.finish().unwrap();
}

/// The data offset of `name` in the tar at `path`.
fn entry_offset(path: &Path, name: &str) -> u64 {
    let mut archive = tar::Archive::new(fs::File::open(path).unwrap());
    let entry = archive
        .entries()
        .unwrap()
        .map(Result::unwrap)
        .find(|e| e.path().unwrap().to_str() == Some(name))
        .unwrap_or_else(|| panic!("no entry {name}"));
    entry.raw_file_position()
}

/// A legacy archive of the linux/amd64 image: `manifest.json` is `manifest_json`, the config
/// is `config` (the image's own when `None`); entries `extra` come first.
fn legacy_archive(path: &Path, manifest_json: &str, config: Option<&[u8]>, extra: &[Entry<'_>]) -> BlobInfo {
    let image = platform_image("linux", "amd64");
    let config = config.map(|c| BlobInfo::of(c.to_vec())).unwrap_or(image.config);
    let config_name = format!("{}.json", config.hex());
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for e in extra {
        entries.push(match e {
            Entry::Dir(n) => Entry::Dir(n),
            Entry::File(n, d) => Entry::File(n, d),
            Entry::Symlink(n, t) => Entry::Symlink(n, t),
            Entry::HardLink(n, t) => Entry::HardLink(n, t),
        });
    }
    let manifest_json = manifest_json.replace("CONFIG", &config_name);
    entries.push(Entry::File(&config_name, &config.bytes));
    entries.push(Entry::File("manifest.json", manifest_json.as_bytes()));
    write_tar(path, &entries);
    config
}

fn config_with_diff_ids(diff_ids: &[&str]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap()
}

// ---------------------------------------------------------------- OCI layout directories

#[test]
fn layout_single_manifest_gives_config_then_layer_as_files_of_the_layout() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let image = Image::from_oci_layout(dir.path(), None).unwrap();
    let platform = &info.platforms[0];

    assert_eq!(image.manifests().len(), 1);
    let top = image.top();
    assert_eq!((top.digest.to_string(), top.size(), top.media_type.as_str()), (info.digest, info.size, OCI_MANIFEST));
    assert_eq!(&top.bytes[..], &info.bytes[..]);
    assert_eq!(digests(&top.blobs), [platform.config.digest.clone(), platform.layer.digest.clone()]);
    assert_eq!([top.blobs[0].media_type.as_str(), top.blobs[1].media_type.as_str()], [OCI_CONFIG, OCI_LAYER]);
    let layer = &top.blobs[1];
    match &layer.source {
        BlobSource::File { path, offset } => {
            assert_eq!((path.clone(), *offset), (blob_path(dir.path(), &platform.layer), 0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read_blob(layer), platform.layer.bytes);
}

#[test]
fn layout_index_gives_platform_manifests_in_index_order_then_the_index() {
    let (dir, info) = layout(&[("linux", "amd64"), ("linux", "arm64")]);
    let image = Image::from_oci_layout(dir.path(), None).unwrap();

    let order: Vec<String> = image.manifests().iter().map(|m| m.digest.to_string()).collect();
    let expected = [info.platforms[0].manifest.digest.clone(), info.platforms[1].manifest.digest.clone(), info.digest];
    assert_eq!(order, expected);
    assert_eq!(image.top().media_type, OCI_INDEX);
    assert!(image.top().blobs.is_empty());
    assert_eq!(image.blobs().count(), 4, "two configs and two distinct layers");
}

#[test]
fn layout_nested_index_includes_the_grandchildren_first() {
    let (dir, info) = layout(&[("linux", "amd64"), ("linux", "arm64")]);
    let outer = BlobInfo::of(
        format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#, info_desc(&info)).into_bytes(),
    );
    write_blob(dir.path(), &outer);
    write_index(dir.path(), &[named(&outer, OCI_INDEX, "1.0")]);

    let image = Image::from_oci_layout(dir.path(), None).unwrap();
    let order: Vec<String> = image.manifests().iter().map(|m| m.digest.to_string()).collect();
    assert_eq!(order[2..], [info.digest, outer.digest]);
    assert_eq!(order.len(), 4);
}

fn info_desc(info: &LayoutInfo) -> String {
    format!(r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#, info.media_type, info.digest, info.size)
}

#[test]
fn layout_indexes_nested_too_deep_are_refused() {
    let (dir, info) = layout(&[("linux", "amd64"), ("linux", "arm64")]);
    let mut desc = info_desc(&info);
    let mut top = None;
    for _ in 0..4 {
        let index = BlobInfo::of(
            format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{desc}]}}"#).into_bytes(),
        );
        write_blob(dir.path(), &index);
        desc = format!(r#"{{"mediaType":"{OCI_INDEX}","digest":"{}","size":{}}}"#, index.digest, index.size);
        top = Some(index);
    }
    write_index(dir.path(), &[named(&top.unwrap(), OCI_INDEX, "1.0")]);

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::IndexTooDeep { limit: 4, .. }), "{err}");
}

#[test]
fn layout_ref_name_selects_the_named_image() {
    let (dir, first) = layout(&[("linux", "amd64")]);
    let second = platform_image("linux", "arm64");
    for blob in [&second.layer, &second.config, &second.manifest] {
        write_blob(dir.path(), blob);
    }
    write_index(
        dir.path(),
        &[named(&BlobInfo::of(first.bytes.clone()), OCI_MANIFEST, "1.0"), named(&second.manifest, OCI_MANIFEST, "2.0")],
    );

    let image = Image::from_oci_layout(dir.path(), Some("2.0")).unwrap();
    assert_eq!(image.top().digest.to_string(), second.manifest.digest);
    let image = Image::from_oci_layout(dir.path(), Some("1.0")).unwrap();
    assert_eq!(image.top().digest.to_string(), first.digest);
}

#[test]
fn layout_without_ref_takes_an_image_listed_under_several_names() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let top = BlobInfo::of(info.bytes.clone());
    write_index(dir.path(), &[named(&top, OCI_MANIFEST, "1.0"), named(&top, OCI_MANIFEST, "latest")]);

    assert_eq!(Image::from_oci_layout(dir.path(), None).unwrap().top().digest.to_string(), info.digest);
}

#[test]
fn layout_without_ref_refuses_several_images_and_lists_their_names() {
    let (dir, first) = layout(&[("linux", "amd64")]);
    let second = platform_image("linux", "arm64");
    write_blob(dir.path(), &second.manifest);
    write_index(
        dir.path(),
        &[named(&BlobInfo::of(first.bytes), OCI_MANIFEST, "1.0"), named(&second.manifest, OCI_MANIFEST, "2.0")],
    );

    match Image::from_oci_layout(dir.path(), None).unwrap_err() {
        ImageError::AmbiguousImage { wanted: None, available, .. } => assert_eq!(available, ["1.0", "2.0"]),
        other => panic!("{other}"),
    }
}

#[test]
fn layout_unknown_ref_is_refused_with_the_available_names() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    let err = Image::from_oci_layout(dir.path(), Some("9.9")).unwrap_err();
    match &err {
        ImageError::RefNotFound { wanted, available, .. } => {
            assert_eq!((wanted.as_str(), &available[..]), ("9.9", &["1.0".to_owned()][..]))
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("available: 1.0"), "{err}");
}

#[test]
fn layout_empty_index_is_refused() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    write_index(dir.path(), &[]);
    assert!(matches!(Image::from_oci_layout(dir.path(), None), Err(ImageError::NoManifests { .. })));
}

#[test]
fn layout_manifest_digest_mismatch_is_refused() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let path = blob_path(dir.path(), &BlobInfo::of(info.bytes.clone()));
    let tampered = String::from_utf8(info.bytes).unwrap().replace("\"schemaVersion\":2", "\"schemaVersion\":3");
    fs::write(path, tampered).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, ImageError::DigestMismatch { what: "manifest", expected, .. } if *expected == info.digest),
        "{err}"
    );
}

#[test]
fn layout_manifest_size_mismatch_is_refused() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let index = fs::read_to_string(dir.path().join("index.json")).unwrap();
    fs::write(dir.path().join("index.json"), index.replace(&format!("\"size\":{}", info.size), "\"size\":12")).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(
        matches!(err, ImageError::SizeMismatch { what: "manifest", expected: 12, actual, .. } if actual == info.size)
    );
}

#[test]
fn layout_config_digest_mismatch_is_refused() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let config = &info.platforms[0].config;
    let mut bytes = config.bytes.clone();
    bytes[0] = b' ';
    fs::write(blob_path(dir.path(), config), bytes).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { what: "config", .. }), "{err}");
}

#[test]
fn layout_layer_size_mismatch_is_refused() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let layer = &info.platforms[0].layer;
    let mut bytes = layer.bytes.clone();
    bytes.push(0);
    fs::write(blob_path(dir.path(), layer), bytes).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::SizeMismatch { what: "layer", actual, .. } if actual == layer.size + 1), "{err}");
}

#[test]
fn layout_missing_layer_is_refused_naming_its_digest() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let layer = &info.platforms[0].layer;
    fs::remove_file(blob_path(dir.path(), layer)).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(&err, ImageError::BlobMissing { what: "layer", digest, .. } if *digest == layer.digest), "{err}");
}

#[test]
fn layout_missing_platform_manifest_is_refused_naming_digest_and_platform() {
    let (dir, info) = layout(&[("linux", "amd64"), ("linux", "arm64")]);
    let arm = &info.platforms[1].manifest;
    fs::remove_file(blob_path(dir.path(), arm)).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    match &err {
        ImageError::ChildManifestMissing { digest, platform, .. } => {
            assert_eq!((digest.as_str(), platform.as_str()), (arm.digest.as_str(), "linux/arm64"));
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("docker save"), "{err}");
}

#[test]
fn layout_foreign_layer_is_left_out_of_the_blobs() {
    let image = platform_image("linux", "amd64");
    let foreign = format!(
        r#"{{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"sha256:{}","size":123,"urls":["https://example.com/base.tgz"]}}"#,
        "ab".repeat(32)
    );
    let manifest = oci_manifest_of(&image.config.descriptor(OCI_CONFIG), &[foreign, image.layer.descriptor(OCI_LAYER)]);
    let (dir, _) = layout_with_manifest(&manifest, Some(OCI_MANIFEST));

    let read = Image::from_oci_layout(dir.path(), None).unwrap();
    assert_eq!(digests(&read.top().blobs), [image.config.digest, image.layer.digest]);
    assert_eq!(&read.top().bytes[..], manifest.as_bytes(), "the manifest still lists the foreign layer");
}

#[test]
fn layout_non_sha256_digest_is_refused() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    write_index(
        dir.path(),
        &[format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"sha512:{}","size":10}}"#, "a".repeat(128))],
    );

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, ImageError::UnsupportedDigestAlgorithm { digest, .. } if digest.starts_with("sha512:")),
        "{err}"
    );
}

#[test]
fn layout_non_sha256_layer_digest_is_refused() {
    let image = platform_image("linux", "amd64");
    let layer = format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"sha384:{}","size":1}}"#, "a".repeat(96));
    let (dir, _) = layout_with_manifest(&oci_manifest_of(&image.config.descriptor(OCI_CONFIG), &[layer]), None);

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::UnsupportedDigestAlgorithm { .. }), "{err}");
}

#[test]
fn layout_digest_that_is_a_path_is_refused() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    fs::write(dir.path().join("secret"), "{}").unwrap();
    write_index(dir.path(), &[format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"sha256:../../secret","size":2}}"#)]);

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::InvalidDigest { .. }), "{err}");
}

#[cfg(unix)]
#[test]
fn layout_symlink_leading_outside_the_layout_is_refused() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let outside = tempfile::tempdir().unwrap();
    let layer = &info.platforms[0].layer;
    let target = outside.path().join("layer");
    fs::write(&target, &layer.bytes).unwrap();
    let path = blob_path(dir.path(), layer);
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::PathEscapes { .. }), "{err}");
}

#[cfg(unix)]
#[test]
fn layout_symlink_staying_inside_the_layout_is_followed() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    let layer = &info.platforms[0].layer;
    let path = blob_path(dir.path(), layer);
    fs::rename(&path, dir.path().join("layer.tar")).unwrap();
    std::os::unix::fs::symlink("../../layer.tar", &path).unwrap();

    let image = Image::from_oci_layout(dir.path(), None).unwrap();
    assert_eq!(read_blob(&image.top().blobs[1]), layer.bytes);
}

#[test]
fn layout_other_layout_version_is_refused() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    fs::write(dir.path().join("oci-layout"), r#"{"imageLayoutVersion":"2.0.0"}"#).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(&err, ImageError::UnsupportedLayoutVersion { version, .. } if version == "2.0.0"), "{err}");
}

#[test]
fn layout_without_oci_layout_file_is_refused() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    fs::remove_file(dir.path().join("oci-layout")).unwrap();

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::MissingFile { .. }), "{err}");
}

#[test]
fn layout_media_type_conflict_between_descriptor_and_manifest_is_refused() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    write_index(dir.path(), &[named(&BlobInfo::of(info.bytes), DOCKER_MANIFEST, "1.0")]);

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    match err {
        ImageError::MediaTypeConflict { descriptor, manifest, .. } => {
            assert_eq!((descriptor.as_str(), manifest.as_str()), (DOCKER_MANIFEST, OCI_MANIFEST));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn layout_media_type_falls_back_to_the_manifests_own_field() {
    let image = platform_image("linux", "amd64");
    let (dir, _) = layout_with_manifest(std::str::from_utf8(&image.manifest.bytes).unwrap(), None);
    assert_eq!(Image::from_oci_layout(dir.path(), None).unwrap().top().media_type, OCI_MANIFEST);
}

#[test]
fn layout_without_any_media_type_is_refused() {
    let image = platform_image("linux", "amd64");
    let manifest = format!(r#"{{"schemaVersion":2,"config":{},"layers":[]}}"#, image.config.descriptor(OCI_CONFIG));
    let (dir, _) = layout_with_manifest(&manifest, None);

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::MissingMediaType { what: "manifest", .. }), "{err}");
}

#[test]
fn layout_docker_manifest_list_and_manifests_are_accepted() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    let mut children = Vec::new();
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let image = platform_image("linux", arch);
        write_blob(dir.path(), &image.config);
        write_blob(dir.path(), &image.layer);
        let manifest = BlobInfo::of(
            format!(
                r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{},"layers":[{}]}}"#,
                image.config.descriptor("application/vnd.docker.container.image.v1+json"),
                image.layer.descriptor("application/vnd.docker.image.rootfs.diff.tar")
            )
            .into_bytes(),
        );
        write_blob(dir.path(), &manifest);
        children.push(format!(
            r#"{{"mediaType":"{DOCKER_MANIFEST}","digest":"{}","size":{},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#,
            manifest.digest, manifest.size
        ));
        manifests.push(manifest.digest);
    }
    let list = BlobInfo::of(
        format!(r#"{{"schemaVersion":2,"mediaType":"{DOCKER_LIST}","manifests":[{}]}}"#, children.join(","))
            .into_bytes(),
    );
    write_blob(dir.path(), &list);
    write_index(dir.path(), &[named(&list, DOCKER_LIST, "1.0")]);

    let image = Image::from_oci_layout(dir.path(), None).unwrap();
    let types: Vec<&str> = image.manifests().iter().map(|m| m.media_type.as_str()).collect();
    assert_eq!(types, [DOCKER_MANIFEST, DOCKER_MANIFEST, DOCKER_LIST]);
    assert_eq!(image.manifests()[1].digest.to_string(), manifests[1]);
}

#[test]
fn layout_schema1_manifest_is_refused() {
    let (dir, _) = layout_with_manifest(
        r#"{"schemaVersion":1,"name":"app","tag":"1.0","fsLayers":[]}"#,
        Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
    );
    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::UnsupportedMediaType { .. }), "{err}");
}

#[test]
fn layout_manifest_without_config_is_refused() {
    let (dir, _) =
        layout_with_manifest(&format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","layers":[]}}"#), None);
    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::InvalidManifest { field: "config", .. }), "{err}");
}

#[test]
fn layout_invalid_json_names_the_file_and_the_field() {
    let (dir, info) = layout(&[("linux", "amd64")]);
    write_index(
        dir.path(),
        &[format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":"{}"}}"#, info.digest, info.size)],
    );

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    match &err {
        ImageError::InvalidJson { location, field, .. } => {
            assert!(location.ends_with("index.json"), "{location}");
            assert_eq!(field, "manifests[0].size");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn layout_oversized_manifest_is_refused_without_reading_it() {
    let (dir, _) = layout(&[("linux", "amd64")]);
    let big = BlobInfo::of(vec![b' '; 5 * 1024 * 1024]);
    write_blob(dir.path(), &big);
    write_index(dir.path(), &[named(&big, OCI_MANIFEST, "1.0")]);

    let err = Image::from_oci_layout(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::TooLarge { what: "manifest", .. }), "{err}");
}

#[test]
fn layout_missing_directory_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    match Image::from_oci_layout(&missing, None).unwrap_err() {
        ImageError::Io { path, .. } => assert_eq!(path, missing),
        other => panic!("{other}"),
    }
}

// ---------------------------------------------------------------- docker-archive, legacy form

#[test]
fn legacy_archive_gives_a_deterministic_oci_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let info = write_docker_archive_legacy(&tar_path(&dir), "app:1.0");
    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();

    let expected = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{OCI_CONFIG}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{OCI_LAYER}","digest":"{}","size":{}}}]}}"#,
        info.config.digest, info.config.size, info.layers[0].digest, info.layers[0].size
    );
    assert_eq!(image.manifests().len(), 1);
    assert_eq!(std::str::from_utf8(&image.top().bytes).unwrap(), expected);
    assert_eq!(image.top().media_type, OCI_MANIFEST);
}

#[test]
fn legacy_archive_blobs_are_byte_ranges_of_the_tarball() {
    let dir = tempfile::tempdir().unwrap();
    let ArchiveInfo { config, layers, .. } = write_docker_archive_legacy(&tar_path(&dir), "app:1.0");
    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();

    let blobs = &image.top().blobs;
    assert_eq!(digests(blobs), [config.digest.clone(), layers[0].digest.clone()]);
    assert_eq!((read_blob(&blobs[0]), read_blob(&blobs[1])), (config.bytes, layers[0].bytes.clone()));
    assert!(matches!(&blobs[1].source, BlobSource::File { path, offset } if *path == tar_path(&dir) && *offset > 0));
}

#[test]
fn legacy_archive_symlinked_duplicate_layer_is_listed_twice_from_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let layer = platform_image("linux", "amd64").layer;
    let config = config_with_diff_ids(&[&layer.digest, &layer.digest]);
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["aaa/layer.tar","./bbb/layer.tar"]}]"#,
        Some(&config),
        &[
            Entry::Dir("aaa/"),
            Entry::File("aaa/layer.tar", &layer.bytes),
            Entry::Dir("bbb/"),
            Entry::Symlink("bbb/layer.tar", "../aaa/layer.tar"),
        ],
    );

    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();
    let blobs = &image.top().blobs;
    assert_eq!(digests(&blobs[1..]), [layer.digest.clone(), layer.digest.clone()]);
    assert_eq!(format!("{:?}", blobs[1].source), format!("{:?}", blobs[2].source));
    assert_eq!(read_blob(&blobs[2]), layer.bytes);
}

#[test]
fn legacy_archive_hard_linked_layer_is_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let layer = platform_image("linux", "amd64").layer;
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["bbb/layer.tar"]}]"#,
        None,
        &[Entry::File("aaa/layer.tar", &layer.bytes), Entry::HardLink("bbb/layer.tar", "aaa/layer.tar")],
    );

    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();
    assert_eq!(read_blob(&image.top().blobs[1]), layer.bytes);
}

#[test]
fn legacy_archive_layer_not_matching_diff_ids_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layer = platform_image("linux", "amd64").layer;
    let other = platform_image("linux", "arm64").layer;
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["l/layer.tar"]}]"#,
        Some(&config_with_diff_ids(&[&other.digest])),
        &[Entry::File("l/layer.tar", &layer.bytes)],
    );

    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    match err {
        ImageError::DiffIdMismatch { index: 0, expected, actual, .. } => {
            assert_eq!((expected, actual), (other.digest, layer.digest));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn legacy_archive_with_more_diff_ids_than_layers_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layer = platform_image("linux", "amd64").layer;
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["l/layer.tar"]}]"#,
        Some(&config_with_diff_ids(&[&layer.digest, &layer.digest])),
        &[Entry::File("l/layer.tar", &layer.bytes)],
    );

    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::LayerCountMismatch { layers: 1, diff_ids: 2, .. }), "{err}");
}

#[test]
fn legacy_archive_gzip_layer_is_pushed_as_gzip_without_diff_id_check() {
    let dir = tempfile::tempdir().unwrap();
    let gz: &[u8] = &[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3];
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["l.tar.gz"]}]"#,
        Some(&config_with_diff_ids(&[&format!("sha256:{}", "0".repeat(64))])),
        &[Entry::File("l.tar.gz", gz)],
    );

    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();
    assert_eq!(image.top().blobs[1].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
}

#[test]
fn legacy_archive_ref_selects_by_repo_tag_in_familiar_or_full_form() {
    let dir = tempfile::tempdir().unwrap();
    let amd = platform_image("linux", "amd64");
    let arm = platform_image("linux", "arm64");
    let (amd_config, arm_config) = (format!("{}.json", amd.config.hex()), format!("{}.json", arm.config.hex()));
    let list = format!(
        r#"[{{"Config":"{amd_config}","RepoTags":["app:1.0"],"Layers":["a.tar"]}},{{"Config":"{arm_config}","RepoTags":["registry.example.com/team/app:2.0"],"Layers":["b.tar"]}}]"#
    );
    write_tar(
        &tar_path(&dir),
        &[
            Entry::File("a.tar", &amd.layer.bytes),
            Entry::File("b.tar", &arm.layer.bytes),
            Entry::File(&amd_config, &amd.config.bytes),
            Entry::File(&arm_config, &arm.config.bytes),
            Entry::File("manifest.json", list.as_bytes()),
        ],
    );

    let config_of =
        |name| Image::from_docker_archive(tar_path(&dir), Some(name)).unwrap().top().blobs[0].digest.to_string();
    assert_eq!(config_of("docker.io/library/app:1.0"), amd.config.digest);
    assert_eq!(config_of("app:1.0"), amd.config.digest);
    assert_eq!(config_of("registry.example.com/team/app:2.0"), arm.config.digest);
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    match err {
        ImageError::AmbiguousImage { available, .. } => {
            assert_eq!(available, ["app:1.0", "registry.example.com/team/app:2.0"]);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn legacy_archive_layer_path_climbing_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    legacy_archive(&tar_path(&dir), r#"[{"Config":"CONFIG","RepoTags":[],"Layers":["../../etc/passwd"]}]"#, None, &[]);

    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(&err, ImageError::UnsafePath { name, .. } if name == "../../etc/passwd"), "{err}");
}

#[test]
fn legacy_archive_missing_layer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    legacy_archive(&tar_path(&dir), r#"[{"Config":"CONFIG","RepoTags":null,"Layers":["gone/layer.tar"]}]"#, None, &[]);

    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(&err, ImageError::MissingFile { location, .. } if location.ends_with(":gone/layer.tar")), "{err}");
}

#[test]
fn legacy_archive_with_foreign_layer_sources_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layer = platform_image("linux", "amd64").layer;
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["l.tar"],"LayerSources":{"sha256:00":{"mediaType":"x","size":1,"digest":"sha256:00"}}}]"#,
        None,
        &[Entry::File("l.tar", &layer.bytes)],
    );
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::ForeignLayers { .. }), "{err}");
}

// ---------------------------------------------------------------- docker-archive, OCI form

#[test]
fn oci_archive_is_read_like_a_layout_with_blobs_inside_the_tarball() {
    let dir = tempfile::tempdir().unwrap();
    let info = write_docker_archive_oci(&tar_path(&dir), "app:1.0");
    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();

    let manifest = info.manifest.unwrap();
    assert_eq!((image.top().digest.to_string(), &image.top().bytes[..]), (manifest.digest, &manifest.bytes[..]));
    let blobs = &image.top().blobs;
    assert_eq!((read_blob(&blobs[0]), read_blob(&blobs[1])), (info.config.bytes, info.layers[0].bytes.clone()));
    let offset = entry_offset(&tar_path(&dir), &format!("blobs/sha256/{}", info.layers[0].hex()));
    assert!(
        matches!(&blobs[1].source, BlobSource::File { path, offset: o } if *path == tar_path(&dir) && *o == offset)
    );
}

#[test]
fn oci_archive_ref_matches_the_tag_the_full_name_and_the_familiar_form() {
    let dir = tempfile::tempdir().unwrap();
    let info = write_docker_archive_oci(&tar_path(&dir), "app:1.0");
    let digest = info.manifest.unwrap().digest;

    for name in ["1.0", "docker.io/library/app:1.0", "app:1.0"] {
        let image = Image::from_docker_archive(tar_path(&dir), Some(name)).unwrap();
        assert_eq!(image.top().digest.to_string(), digest, "{name}");
    }
    let err = Image::from_docker_archive(tar_path(&dir), Some("app:2.0")).unwrap_err();
    assert!(matches!(err, ImageError::RefNotFound { .. }), "{err}");
}

#[test]
fn oci_archive_is_preferred_to_its_legacy_manifest_json() {
    let dir = tempfile::tempdir().unwrap();
    let image = platform_image("linux", "amd64");
    // What Docker pushes may differ from what the legacy form would build: here, an annotation.
    let manifest = BlobInfo::of(
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{}],"annotations":{{"a":"b"}}}}"#,
            image.config.descriptor(OCI_CONFIG),
            image.layer.descriptor(OCI_LAYER)
        )
        .into_bytes(),
    );
    let blob = |b: &BlobInfo| format!("blobs/sha256/{}", b.hex());
    let index = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, manifest.descriptor(OCI_MANIFEST));
    let legacy = format!(
        r#"[{{"Config":"{}","RepoTags":["app:1.0"],"Layers":["{}"]}}]"#,
        blob(&image.config),
        blob(&image.layer)
    );
    write_tar(
        &tar_path(&dir),
        &[
            Entry::File(&blob(&image.layer), &image.layer.bytes),
            Entry::File(&blob(&image.config), &image.config.bytes),
            Entry::File(&blob(&manifest), &manifest.bytes),
            Entry::File("index.json", index.as_bytes()),
            Entry::File("manifest.json", legacy.as_bytes()),
            Entry::File("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ],
    );

    let read = Image::from_docker_archive(tar_path(&dir), None).unwrap();
    assert_eq!(read.top().digest.to_string(), manifest.digest);
}

#[test]
fn oci_archive_missing_platform_is_refused_with_the_docker_save_hint() {
    let dir = tempfile::tempdir().unwrap();
    let (amd, arm) = (platform_image("linux", "amd64"), platform_image("linux", "arm64"));
    let index = index_of(&[amd.clone(), arm.clone()]);
    let blob = |b: &BlobInfo| format!("blobs/sha256/{}", b.hex());
    let top = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, index.descriptor(OCI_INDEX));
    write_tar(
        &tar_path(&dir),
        &[
            Entry::File(&blob(&amd.layer), &amd.layer.bytes),
            Entry::File(&blob(&amd.config), &amd.config.bytes),
            Entry::File(&blob(&amd.manifest), &amd.manifest.bytes),
            Entry::File(&blob(&index), &index.bytes),
            Entry::File("index.json", top.as_bytes()),
            Entry::File("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ],
    );

    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(&err, ImageError::ChildManifestMissing { digest, .. } if *digest == arm.manifest.digest), "{err}");
    assert!(err.to_string().contains("image.tar:blobs/sha256/"), "{err}");
}

// ---------------------------------------------------------------- hostile or broken tarballs

#[test]
fn archive_entry_climbing_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_raw_tar(&tar_path(&dir), b"../evil", tar::EntryType::Regular, b"", b"x");
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(&err, ImageError::UnsafePath { name, .. } if name == "../evil"), "{err}");
}

#[test]
fn archive_absolute_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_raw_tar(&tar_path(&dir), b"/etc/passwd", tar::EntryType::Regular, b"", b"x");
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::UnsafePath { .. }), "{err}");
}

#[test]
fn archive_symlink_leading_outside_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layer = platform_image("linux", "amd64").layer;
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["l/layer.tar"]}]"#,
        None,
        &[Entry::Symlink("l/layer.tar", "../../../etc/passwd")],
    );
    let _ = layer;
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(&err, ImageError::PathEscapes { target, .. } if target == "../../../etc/passwd"), "{err}");
}

#[test]
fn archive_link_loop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    legacy_archive(
        &tar_path(&dir),
        r#"[{"Config":"CONFIG","RepoTags":["app:1.0"],"Layers":["a"]}]"#,
        None,
        &[Entry::Symlink("a", "b"), Entry::Symlink("b", "a")],
    );
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::LinkLoop { .. }), "{err}");
}

#[test]
fn archive_truncated_inside_an_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = tar_path(&dir);
    let info = write_docker_archive_legacy(&path, "app:1.0");
    let offset = entry_offset(&path, &format!("{}.json", info.config.hex()));
    fs::File::options().write(true).open(&path).unwrap().set_len(offset + 10).unwrap();

    let err = Image::from_docker_archive(&path, None).unwrap_err();
    assert!(matches!(&err, ImageError::Truncated { file_len, .. } if *file_len == offset + 10), "{err}");
}

#[test]
fn archive_truncated_inside_a_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = tar_path(&dir);
    let info = write_docker_archive_legacy(&path, "app:1.0");
    let offset = entry_offset(&path, &format!("{}.json", info.config.hex()));
    fs::File::options().write(true).open(&path).unwrap().set_len(offset - 100).unwrap();

    let err = Image::from_docker_archive(&path, None).unwrap_err();
    assert!(matches!(err, ImageError::Tar { .. }), "{err}");
}

#[test]
fn archive_of_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(tar_path(&dir), vec![0x5a; 4096]).unwrap();
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::Tar { .. }), "{err}");
}

#[test]
fn archive_without_image_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_tar(&tar_path(&dir), &[Entry::File("hello.txt", b"hi")]);
    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::NotAnImageArchive { .. }), "{err}");
}

#[test]
fn archive_sparse_entry_is_not_read_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_path("manifest.json").unwrap();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_size(0);
    header.as_gnu_mut().unwrap().set_real_size(0);
    header.set_cksum();
    let mut builder = tar::Builder::new(fs::File::create(tar_path(&dir)).unwrap());
    builder.append(&header, std::io::empty()).unwrap();
    builder.finish().unwrap();

    let err = Image::from_docker_archive(tar_path(&dir), None).unwrap_err();
    assert!(matches!(err, ImageError::NotAFile { kind: "a sparse file", .. }), "{err}");
}

#[test]
fn archive_path_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Image::from_docker_archive(dir.path(), None).unwrap_err();
    assert!(matches!(err, ImageError::NotAFile { kind: "a directory", .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn archive_blob_streams_exactly_its_byte_range() {
    use futures_util::TryStreamExt;
    let dir = tempfile::tempdir().unwrap();
    let info = write_docker_archive_legacy(&tar_path(&dir), "app:1.0");
    let image = Image::from_docker_archive(tar_path(&dir), None).unwrap();

    let chunks: Vec<bytes::Bytes> = image.top().blobs[1].stream().try_collect().await.unwrap();
    assert_eq!(chunks.concat(), info.layers[0].bytes);
}

// ---------------------------------------------------------------- fixtures written by skopeo

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("images").join(name)
}

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// The regular files of the tar at `path`, by name.
fn tar_files(path: &Path) -> std::collections::HashMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(fs::File::open(path).unwrap());
    let mut files = std::collections::HashMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type() == tar::EntryType::Regular {
            let name = entry.path().unwrap().to_str().unwrap().to_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.insert(name, bytes);
        }
    }
    files
}

/// The digests of the manifests the index of `layout` lists.
fn source_manifests(layout: &Path) -> Vec<String> {
    let top = json_file(&layout.join("index.json"))["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let index = json_file(&layout.join("blobs/sha256").join(top.trim_start_matches("sha256:")));
    index["manifests"].as_array().unwrap().iter().map(|m| m["digest"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn fixture_skopeo_legacy_archive_layers_hash_to_their_entries_and_config_to_its_name() {
    let path = fixture("legacy.tar");
    let files = tar_files(&path);
    let list: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config_name = list[0]["Config"].as_str().unwrap();
    let layer_names: Vec<&str> = list[0]["Layers"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();

    let image = Image::from_docker_archive(&path, Some("app:1.0")).unwrap();
    let blobs = &image.top().blobs;
    assert_eq!(blobs[0].digest.to_string(), format!("sha256:{}", config_name.trim_end_matches(".json")));
    assert_eq!(blobs[0].digest.to_string(), oci_image::sha256(&files[config_name]));
    let layers: Vec<String> = layer_names.iter().map(|name| oci_image::sha256(&files[*name])).collect();
    assert_eq!(digests(&blobs[1..]), layers);
    assert!(blobs[1..].iter().all(|b| b.media_type == OCI_LAYER));
}

#[test]
fn fixture_skopeo_legacy_archive_gives_back_the_source_manifest_digest() {
    let image = Image::from_docker_archive(fixture("legacy.tar"), None).unwrap();
    let amd64 = &source_manifests(&fixture("source"))[0];
    assert_eq!(image.top().digest.to_string(), *amd64);
}

#[test]
fn fixture_skopeo_layout_with_gzip_layers_is_read_with_its_index_last() {
    let layout = fixture("layout");
    let image = Image::from_oci_layout(&layout, Some("1.0")).unwrap();

    let top = json_file(&layout.join("index.json"))["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let order: Vec<String> = image.manifests().iter().map(|m| m.digest.to_string()).collect();
    let mut expected = source_manifests(&layout);
    expected.push(top);
    assert_eq!(order, expected);
    let layer_types: Vec<&str> =
        image.blobs().filter(|b| b.media_type != OCI_CONFIG).map(|b| b.media_type.as_str()).collect();
    assert_eq!(layer_types, ["application/vnd.oci.image.layer.v1.tar+gzip"; 2]);
}

#[test]
fn fixture_skopeo_oci_archive_reads_like_the_skopeo_layout() {
    let from_tar = Image::from_docker_archive(fixture("oci-archive.tar"), None).unwrap();
    let from_dir = Image::from_oci_layout(fixture("layout"), None).unwrap();
    let digests_of = |image: &Image| image.manifests().iter().map(|m| m.digest).collect::<Vec<_>>();
    assert_eq!(digests_of(&from_tar), digests_of(&from_dir));
    for (a, b) in from_tar.blobs().zip(from_dir.blobs()) {
        assert_eq!(read_blob(a), read_blob(b), "{}", a.digest);
    }
}

#[test]
fn fixture_source_layout_configs_are_the_ones_skopeo_kept() {
    let source = Image::from_oci_layout(fixture("source"), None).unwrap();
    let skopeo = Image::from_oci_layout(fixture("layout"), None).unwrap();
    let configs = |image: &Image| image.manifests()[..2].iter().map(|m| m.blobs[0].digest).collect::<Vec<_>>();
    assert_eq!(configs(&source), configs(&skopeo));
}
