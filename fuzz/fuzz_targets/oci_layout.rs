//! `Image::from_oci_layout` on a directory the harness writes from a bundle (see
//! `fuzz_support`). Segment headers:
//! * `ref <name>`: the `ref_name` argument (content ignored; default `None`);
//! * `@`: a blob stored as `blobs/sha256/<sha256 of its content>`;
//! * `<name>`: a file (`index.json`, `oci-layout`, `blobs/sha256/<hex>`…);
//! * `<name>/`: a directory;
//! * `<name> -> <target>`: a symbolic link.
//!
//! Names are restricted to safe relative paths, so nothing is written outside the temporary
//! directory. With `{{Dk}}`/`{{Sk}}` placeholders in index.json and manifests, mutated blobs
//! keep matching their descriptors.
#![no_main]

use fuzz_support::{bundle, check_image, debug, safe_relative_name};
use libfuzzer_sys::fuzz_target;
use notary_client::registry::{Digest, Image};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mut ref_name: Option<String> = None;
    for seg in bundle(data) {
        let header = seg.header.as_slice();
        if let Some(r) = header.strip_prefix(b"ref ") {
            ref_name = Some(String::from_utf8_lossy(r).into_owned());
        } else if header == b"@" {
            let name = format!("blobs/sha256/{}", Digest::of(&seg.content).hex());
            let path = root.join(name);
            let _ = std::fs::create_dir_all(path.parent().expect("parent"));
            let _ = std::fs::write(path, &seg.content);
        } else if let Some(pos) = header.windows(4).position(|w| w == b" -> ") {
            let (Some(name), Ok(target)) =
                (safe_relative_name(&header[..pos]), std::str::from_utf8(&header[pos + 4..]))
            else {
                continue;
            };
            if target.is_empty() || target.len() > 200 || target.contains('\0') {
                continue;
            }
            let path = root.join(name);
            let _ = std::fs::create_dir_all(path.parent().expect("parent"));
            let _ = std::os::unix::fs::symlink(target, path);
        } else if let Some(name) = header.strip_suffix(b"/").and_then(safe_relative_name) {
            let _ = std::fs::create_dir_all(root.join(name));
        } else if let Some(name) = safe_relative_name(header) {
            let path = root.join(name);
            let _ = std::fs::create_dir_all(path.parent().expect("parent"));
            let _ = std::fs::write(path, &seg.content);
        }
    }
    let read = Image::from_oci_layout(root, ref_name.as_deref());
    debug(|| format!("{:?}", read.as_ref().map(|i| (i.manifests().len(), i.top().digest.to_string()))));
    if let Ok(image) = read {
        check_image(&image);
    }
});
