//! Helpers shared by the fuzz targets: the "bundle" input format (several files in one fuzzer
//! input, with digest placeholders so that mutated blobs stay consistent with the descriptors
//! naming them), a tar writer and a tar checksum fixer, and an in-memory metadata source.
//!
//! # Bundle format
//!
//! An input is split on [`SEP`] into at most [`MAX_SEGMENTS`] segments. Each segment is a header
//! line (up to the first `\n`) and the content after it. Inside headers and contents the
//! placeholders `{{Dk}}`, `{{Hk}}` and `{{Sk}}` are replaced by `sha256:<hex>`, `<hex>` and the
//! decimal length of segment `k`'s final content; only later segments (`k > i`) can be named,
//! so segments are resolved from the last to the first and no cycle is possible. A placeholder
//! that names no later segment stays as written.

use std::collections::BTreeMap;

use notary_client::metadata::RoleName;
use notary_client::registry::Digest;
use notary_client::trusted::{MetadataSource, SourceError};

/// Prints `what()` on stderr when `FUZZ_DEBUG` is set (to see how far the seeds get:
/// `FUZZ_DEBUG=1 cargo fuzz run <target> seeds/<target> -- -runs=0`).
pub fn debug(what: impl FnOnce() -> String) {
    static ON: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| std::env::var_os("FUZZ_DEBUG").is_some());
    if *ON {
        eprintln!("FUZZ_DEBUG: {}", what());
    }
}

/// Separator of the segments of a bundle.
pub const SEP: &[u8] = b"\n~~~~\n";

/// At most this many segments are read; the rest of the input is ignored.
pub const MAX_SEGMENTS: usize = 16;

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The header line (its meaning is the target's).
    pub header: Vec<u8>,
    /// The content.
    pub content: Vec<u8>,
}

/// Splits `data` on `sep`.
fn split<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= data.len() {
        if &data[i..i + sep.len()] == sep {
            out.push(&data[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&data[start..]);
    out
}

/// Parses a bundle and resolves its placeholders.
pub fn bundle(data: &[u8]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = split(data, SEP)
        .into_iter()
        .take(MAX_SEGMENTS)
        .map(|piece| match piece.iter().position(|&b| b == b'\n') {
            Some(nl) => Segment { header: piece[..nl].to_vec(), content: piece[nl + 1..].to_vec() },
            None => Segment { header: piece.to_vec(), content: Vec::new() },
        })
        .collect();
    let mut resolved: Vec<Option<(String, usize)>> = vec![None; segments.len()];
    for i in (0..segments.len()).rev() {
        let lookup = |k: usize| if k > i { resolved.get(k).cloned().flatten() } else { None };
        let header = substitute(&segments[i].header, &lookup);
        let content = substitute(&segments[i].content, &lookup);
        resolved[i] = Some((Digest::of(&content).hex(), content.len()));
        segments[i] = Segment { header, content };
    }
    segments
}

/// Replaces `{{Dk}}`, `{{Hk}}`, `{{Sk}}` using `lookup(k)` = (hex digest, length).
fn substitute(src: &[u8], lookup: &dyn Fn(usize) -> Option<(String, usize)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        if src[i..].starts_with(b"{{")
            && let Some((kind, k, len)) = placeholder(&src[i + 2..])
            && let Some((hex, size)) = lookup(k)
        {
            match kind {
                b'D' => {
                    out.extend_from_slice(b"sha256:");
                    out.extend_from_slice(hex.as_bytes());
                }
                b'H' => out.extend_from_slice(hex.as_bytes()),
                _ => out.extend_from_slice(size.to_string().as_bytes()),
            }
            i += 2 + len;
            continue;
        }
        out.push(src[i]);
        i += 1;
    }
    out
}

/// `D12}}` → (`D`, 12, 5): kind, index and bytes consumed after `{{`.
fn placeholder(s: &[u8]) -> Option<(u8, usize, usize)> {
    let kind = *s.first()?;
    if !matches!(kind, b'D' | b'H' | b'S') {
        return None;
    }
    let digits = s[1..].iter().take(3).take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || !s[1 + digits..].starts_with(b"}}") {
        return None;
    }
    let k = std::str::from_utf8(&s[1..1 + digits]).ok()?.parse().ok()?;
    Some((kind, k, 1 + digits + 2))
}

/// Builds a bundle (the inverse of [`bundle`] for inputs without placeholders).
pub fn join(segments: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (header, content)) in segments.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEP);
        }
        out.extend_from_slice(header);
        out.push(b'\n');
        out.extend_from_slice(content);
    }
    out
}

/// Metadata files in memory, by role name.
#[derive(Debug, Default)]
pub struct MemorySource(pub BTreeMap<String, Vec<u8>>);

impl MetadataSource for MemorySource {
    fn read(&self, role: &RoleName) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.0.get(role.as_str()).cloned())
    }
}

const BLOCK: usize = 512;

/// Appends one tar entry (GNU header; `L`/`K` long-name entries for names over 100 bytes).
pub fn tar_entry(out: &mut Vec<u8>, typeflag: u8, name: &[u8], link: &[u8], data: &[u8]) {
    if name.len() > 100 {
        let mut long = name.to_vec();
        long.push(0);
        tar_entry(out, b'L', b"././@LongLink", b"", &long);
    }
    if link.len() > 100 {
        let mut long = link.to_vec();
        long.push(0);
        tar_entry(out, b'K', b"././@LongLink", b"", &long);
    }
    let mut h = [0u8; BLOCK];
    let put = |h: &mut [u8; BLOCK], at: usize, len: usize, v: &[u8]| {
        let n = v.len().min(len);
        h[at..at + n].copy_from_slice(&v[..n]);
    };
    put(&mut h, 0, 100, name);
    put(&mut h, 100, 8, b"0000644\0");
    put(&mut h, 108, 8, b"0000000\0");
    put(&mut h, 116, 8, b"0000000\0");
    put(&mut h, 124, 12, format!("{:011o}\0", data.len()).as_bytes());
    put(&mut h, 136, 12, b"00000000000\0");
    h[156] = typeflag;
    put(&mut h, 157, 100, link);
    put(&mut h, 257, 8, b"ustar  \0");
    set_checksum(&mut h);
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(BLOCK), 0);
}

/// Ends a tar archive (two zero blocks).
pub fn tar_end(out: &mut Vec<u8>) {
    out.resize(out.len() + 2 * BLOCK, 0);
}

fn set_checksum(h: &mut [u8]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let field = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(field.as_bytes());
}

/// Recomputes the checksum of every header of a raw tar so that mutations of other header
/// fields are not all rejected by the checksum. Stops at the first size it cannot read.
pub fn fix_tar_checksums(buf: &mut [u8]) {
    let mut pos = 0usize;
    while pos + BLOCK <= buf.len() {
        let h = &mut buf[pos..pos + BLOCK];
        if h.iter().all(|&b| b == 0) {
            pos += BLOCK;
            continue;
        }
        let Some(size) = header_size(&h[124..136]) else { return };
        set_checksum(h);
        let Some(next) = usize::try_from(size)
            .ok()
            .and_then(|s| s.checked_next_multiple_of(BLOCK))
            .and_then(|s| pos.checked_add(BLOCK + s))
        else {
            return;
        };
        pos = next;
    }
}

fn header_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        return Some(field[4..].iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)));
    }
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// A file or directory name inside a fuzzed layout directory: `/`-separated parts of
/// `[A-Za-z0-9._:-]`, none empty, `.` or `..`, at most 4 parts and 200 bytes. `None` for
/// anything else, so that no input can make the harness write outside its directory.
pub fn safe_relative_name(name: &[u8]) -> Option<&str> {
    let name = std::str::from_utf8(name).ok()?;
    if name.is_empty() || name.len() > 200 || name.split('/').count() > 4 {
        return None;
    }
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    };
    name.split('/').all(ok_part).then_some(name)
}

/// What every image read from a layout or an archive must satisfy: at least one manifest, and
/// every blob readable from its source with exactly its descriptor's size.
pub fn check_image(image: &notary_client::registry::Image) {
    use notary_client::registry::BlobSource;
    use std::io::{Read, Seek, SeekFrom};
    assert!(!image.manifests().is_empty());
    let top = image.top();
    assert_eq!(top.digest, Digest::of(&top.bytes));
    for blob in image.blobs() {
        let bytes = match &blob.source {
            BlobSource::File { path, offset } => {
                let mut f = std::fs::File::open(path).expect("blob file");
                f.seek(SeekFrom::Start(*offset)).expect("seek");
                let mut buf = Vec::new();
                f.take(blob.size.saturating_add(1)).read_to_end(&mut buf).expect("read blob");
                buf
            }
            BlobSource::Memory(b) => b.to_vec(),
        };
        assert!(
            bytes.len() as u64 >= blob.size,
            "blob {} has {} bytes, descriptor says {}",
            blob.digest,
            bytes.len(),
            blob.size
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_name_later_segments() {
        let input = join(&[(b"a", b"x {{D1}} {{S1}} {{H0}}"), (b"b {{H1}}", b"hello")]);
        let segs = bundle(&input);
        let hex = Digest::of(b"hello").hex();
        assert_eq!(segs[0].content, format!("x sha256:{hex} 5 {{{{H0}}}}").into_bytes());
        assert_eq!(segs[1].header, b"b {{H1}}".to_vec());
    }

    #[test]
    fn tar_round_trip_with_fixed_checksums() {
        let mut t = Vec::new();
        tar_entry(&mut t, b'0', b"a.txt", b"", b"abc");
        tar_entry(&mut t, b'2', &[b'n'; 150], &[b'l'; 120], b"");
        tar_end(&mut t);
        let mut copy = t.clone();
        copy[148] = b'7';
        fix_tar_checksums(&mut copy);
        assert_eq!(copy, t);
    }

    #[test]
    fn names_cannot_escape() {
        assert!(safe_relative_name(b"../x").is_none());
        assert!(safe_relative_name(b"/etc").is_none());
        assert!(safe_relative_name(b"blobs/sha256/abc").is_some());
    }
}
