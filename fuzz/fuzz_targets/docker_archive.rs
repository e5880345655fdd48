//! `Image::from_docker_archive` on a tar file the harness writes.
//!
//! First byte (mode):
//! * 0: the rest is the tarball as is;
//! * 1: the same with every header checksum recomputed first (so that mutated headers are
//!   read rather than rejected for their checksum);
//! * 2: the rest is a bundle (see `fuzz_support`) the harness turns into a tarball: each
//!   segment header is `<typeflag byte><entry name>` or `<typeflag byte><name> -> <link
//!   target>`, its content the entry's data (`@` as the name: `blobs/sha256/<sha256 of the
//!   content>`). A segment with header `ref <name>` gives the `ref_name` argument instead.
#![no_main]

use fuzz_support::{bundle, check_image, debug, fix_tar_checksums, tar_end, tar_entry};
use libfuzzer_sys::fuzz_target;
use notary_client::registry::{Digest, Image};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut ref_name: Option<String> = None;
    let tar = match mode {
        0 => rest.to_vec(),
        1 => {
            let mut t = rest.to_vec();
            fix_tar_checksums(&mut t);
            t
        }
        2 => {
            let mut t = Vec::new();
            for seg in bundle(rest) {
                if let Some(r) = seg.header.strip_prefix(b"ref ") {
                    ref_name = Some(String::from_utf8_lossy(r).into_owned());
                    continue;
                }
                let Some((&typeflag, spec)) = seg.header.split_first() else { continue };
                let (name, link) = match spec.windows(4).position(|w| w == b" -> ") {
                    Some(pos) => (spec[..pos].to_vec(), spec[pos + 4..].to_vec()),
                    None => (spec.to_vec(), Vec::new()),
                };
                let name = if name == b"@" {
                    format!("blobs/sha256/{}", Digest::of(&seg.content).hex()).into_bytes()
                } else {
                    name
                };
                tar_entry(&mut t, typeflag, &name, &link, &seg.content);
            }
            tar_end(&mut t);
            t
        }
        _ => return,
    };
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &tar).expect("write tar");
    let read = Image::from_docker_archive(file.path(), ref_name.as_deref());
    debug(|| format!("{:?}", read.as_ref().map(|i| (i.manifests().len(), i.top().digest.to_string()))));
    if let Ok(image) = read {
        check_image(&image);
    }
});
