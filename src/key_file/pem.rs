//! PEM blocks as Go's `encoding/pem` reads and writes them, with zeroizing buffers.
//!
//! Written here rather than taken from the `pem` crate because key files need Go's exact
//! behaviour (first decodable block wins, header values may contain `:` — `gun:
//! localhost:5000/app` —, headers written sorted) and the decoded body must never sit in a
//! buffer that is not zeroized.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// One PEM block.
#[derive(ZeroizeOnDrop)]
pub(crate) struct Block {
    #[zeroize(skip)]
    pub(crate) label: String,
    /// Header lines in file order (`key`, `value`), trimmed.
    #[zeroize(skip)]
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl Block {
    /// The last value of header `key` (Go keeps the last one).
    pub(crate) fn header(&self, key: &str) -> Option<&str> {
        self.headers.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Lines of `input`, each without its line ending and trailing spaces/tabs (Go's `getLine`).
fn lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    input.split(|b| *b == b'\n').map(|l| {
        let mut end = l.len();
        while end > 0 && matches!(l[end - 1], b'\r' | b' ' | b'\t') {
            end -= 1;
        }
        &l[..end]
    })
}

/// The first well-formed block of `input`, as Go's `pem.Decode` finds it; `None` if there is
/// none. Malformed candidates (bad base64, no matching END line) are skipped like Go does.
pub(crate) fn decode_first(input: &[u8]) -> Option<Block> {
    let all: Vec<&[u8]> = lines(input).collect();
    let mut i = 0;
    while i < all.len() {
        if let Some(block) = decode_at(&all, i) {
            return Some(block);
        }
        i += 1;
    }
    None
}

fn decode_at(all: &[&[u8]], start: usize) -> Option<Block> {
    let label = all[start].strip_prefix(b"-----BEGIN ")?.strip_suffix(b"-----")?;
    let label = std::str::from_utf8(label).ok()?.to_owned();
    let end_line = format!("-----END {label}-----");
    let mut i = start + 1;
    let mut headers = Vec::new();
    while let Some(line) = all.get(i) {
        let Some(colon) = line.iter().position(|b| *b == b':') else { break };
        let key = std::str::from_utf8(&line[..colon]).ok()?.trim().to_owned();
        let value = std::str::from_utf8(&line[colon + 1..]).ok()?.trim().to_owned();
        headers.push((key, value));
        i += 1;
    }
    let end = i + all[i..].iter().position(|line| *line == end_line.as_bytes())?;
    // Sized up front: a growing buffer would free copies of the key's base64 unzeroized.
    let mut b64 = Zeroizing::new(Vec::with_capacity(all[i..end].iter().map(|l| l.len()).sum()));
    for line in &all[i..end] {
        b64.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
    }
    let mut body = Zeroizing::new(vec![0u8; b64.len() / 4 * 3 + 3]);
    let n = STANDARD.decode_slice(&b64[..], &mut body[..]).ok()?;
    body.truncate(n);
    Some(Block { label, headers, body })
}

/// Encodes a block as Go's `pem.EncodeToMemory` does: `Proc-Type` first, other headers sorted
/// by key, a blank line after headers, base64 wrapped at 64 columns, LF line ends.
pub(crate) fn encode(label: &str, headers: &[(&str, &str)], body: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut sorted: Vec<&(&str, &str)> = headers.iter().collect();
    sorted.sort_by_key(|(k, _)| (*k != "Proc-Type", *k));
    // Sized exactly: a growing buffer would free copies of the key unzeroized. BEGIN and END
    // lines take 32 bytes besides the label, each header `k: v\n` 3 besides its key and value.
    let b64_len = body.len().div_ceil(3) * 4;
    let headers_len: usize =
        sorted.iter().map(|(k, v)| k.len() + v.len() + 3).sum::<usize>() + usize::from(!sorted.is_empty());
    let capacity = 2 * label.len() + 32 + headers_len + b64_len + b64_len.div_ceil(64);
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    out.extend_from_slice(format!("-----BEGIN {label}-----\n").as_bytes());
    for (k, v) in &sorted {
        out.extend_from_slice(format!("{k}: {v}\n").as_bytes());
    }
    if !sorted.is_empty() {
        out.push(b'\n');
    }
    let b64 = Zeroizing::new(STANDARD.encode(body));
    for chunk in b64.as_bytes().chunks(64) {
        out.extend_from_slice(chunk);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
    debug_assert_eq!(out.len(), capacity, "the PEM buffer was sized exactly");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_keep_their_colons() {
        let text = encode("PRIVATE KEY", &[("role", "targets"), ("gun", "localhost:5000/app")], &[1, 2, 3]);
        assert!(text.starts_with(b"-----BEGIN PRIVATE KEY-----\ngun: localhost:5000/app\nrole: targets\n\nAQID\n"));
        let block = decode_first(&text).unwrap();
        assert_eq!(block.header("gun"), Some("localhost:5000/app"));
        assert_eq!(&block.body[..], &[1, 2, 3]);
    }

    #[test]
    fn leading_text_and_crlf_are_tolerated() {
        let text = b"junk\r\n-----BEGIN EC PRIVATE KEY-----\r\nAQID\r\n-----END EC PRIVATE KEY-----\r\n";
        let block = decode_first(text).unwrap();
        assert_eq!(block.label, "EC PRIVATE KEY");
        assert!(block.headers.is_empty());
    }

    #[test]
    fn a_block_without_its_end_line_is_not_a_block() {
        assert!(decode_first(b"-----BEGIN PRIVATE KEY-----\nAQID\n").is_none());
    }

    #[test]
    fn encoding_never_grows_its_buffer() {
        // `encode` asserts (in debug builds) that the output fills exactly the capacity it
        // reserved: every body length modulo 3 and around the 64-column line breaks, with and
        // without headers, including RSA-4096-sized keys.
        for len in (0..200).chain([2374, 2375, 2376, 2377, 3000]) {
            let body = vec![0xa5; len];
            for headers in [&[][..], &[("role", "targets"), ("gun", "localhost:5000/app")][..]] {
                let text = encode("ENCRYPTED PRIVATE KEY", headers, &body);
                assert_eq!(&decode_first(&text).unwrap().body[..], &body[..]);
            }
        }
    }

    #[test]
    fn body_lines_wrap_at_64_columns() {
        let text = encode("X", &[], &[0u8; 100]);
        let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
        assert_eq!(lines[1].len(), 64);
    }
}
