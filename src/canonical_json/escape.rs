//! Go's string and HTML escaping rules, byte for byte.

use super::CanonicalJsonError;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes scanned at once for characters that need HTML escaping.
const BLOCK: usize = 32;

/// Go's `json.HTMLEscape`/`compact(escapeHTML)` over already-compact JSON: `<`, `>`, `&`,
/// U+2028 and U+2029 become `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. Those bytes can
/// only occur inside strings, so the rewrite is always valid.
pub fn go_html_escape(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + src.len() / 16);
    append_html_escaped(&mut out, src);
    out
}

pub(crate) fn append_html_escaped(out: &mut Vec<u8>, src: &[u8]) {
    let mut start = 0;
    let mut i = 0;
    while i < src.len() {
        // Skip whole blocks without a byte of interest: the branch-free fold vectorises, so
        // text without `<`, `>`, `&` or U+2028/9 is scanned at memory speed.
        if let Some(block) = src.get(i..i + BLOCK)
            && !block.iter().fold(false, |hit, &c| hit | (c == b'<') | (c == b'>') | (c == b'&') | (c == 0xE2))
        {
            i += BLOCK;
            continue;
        }
        let block_end = (i + BLOCK).min(src.len());
        while i < block_end {
            if let Some((escape, consumed)) = html_escape_at(src, i) {
                out.extend_from_slice(&src[start..i]);
                out.extend_from_slice(&escape);
                i += consumed;
                start = i;
            } else {
                i += 1;
            }
        }
    }
    out.extend_from_slice(&src[start..]);
}

/// `\u00XX` for one byte, lower-case hex as Go writes it.
fn u00(b: u8) -> [u8; 6] {
    [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xF) as usize]]
}

/// The escape Go's HTML escaping writes for the character at `src[i]`, with the number of input
/// bytes it replaces: `<`, `>`, `&` (one byte) and U+2028, U+2029 (three UTF-8 bytes).
fn html_escape_at(src: &[u8], i: usize) -> Option<([u8; 6], usize)> {
    match src[i] {
        c @ (b'<' | b'>' | b'&') => Some((u00(c), 1)),
        0xE2 if i + 2 < src.len() && src[i + 1] == 0x80 && src[i + 2] & !1 == 0xA8 => {
            Some(([b'\\', b'u', b'2', b'0', b'2', HEX[(src[i + 2] & 0xF) as usize]], 3))
        }
        _ => None,
    }
}

/// Go's `compact(dst, src, escapeHTML=true)`: removes insignificant whitespace outside strings
/// and HTML-escapes, leaving everything else (including escapes such as `\u0041`) untouched.
/// This is how Go re-emits a `json.RawMessage` such as a target's `custom` data (trap T9).
///
/// The input must be valid JSON; it is validated first.
pub fn compact_html_escaped(src: &[u8]) -> Result<Vec<u8>, CanonicalJsonError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(src).map_err(|e| CanonicalJsonError::Syntax(e.to_string()))?;
    let mut compacted = Vec::with_capacity(src.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in src {
        if in_string {
            compacted.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_string = true;
            }
            compacted.push(b);
        }
    }
    Ok(go_html_escape(&compacted))
}

/// Go's `encoding/json` encoding of a string (as used for the signature list of the envelope):
/// quotes, backslashes, `\n`, `\r`, `\t`, other control characters as `\u00XX`, HTML escaping of
/// `<`, `>`, `&`, U+2028, U+2029.
pub fn go_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            _ => None,
        };
        if let Some(e) = esc {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(e);
            i += 1;
            start = i;
        } else if b < 0x20 {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(&u00(b));
            i += 1;
            start = i;
        } else if let Some((escape, consumed)) = html_escape_at(bytes, i) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(&escape);
            i += consumed;
            start = i;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escape_rewrites_the_five_go_characters() {
        let src = "{\"a\":\"<x>&\u{2028}\u{2029}é\"}";
        assert_eq!(
            go_html_escape(src.as_bytes()),
            br#"{"a":"\u003cx\u003e\u0026\u2028\u2029"#.iter().chain("é\"}".as_bytes()).copied().collect::<Vec<u8>>()
        );
    }

    #[test]
    fn compact_keeps_key_order_and_existing_escapes() {
        let src = b"{ \"b\" : 1,\n \"a\": \"x \\u0041 <\" }";
        assert_eq!(compact_html_escaped(src).unwrap(), br#"{"b":1,"a":"x \u0041 \u003c"}"#.to_vec());
    }

    #[test]
    fn go_string_escapes_controls_quotes_and_html() {
        let mut out = Vec::new();
        go_string(&mut out, "a\"\\\n\u{1}<");
        assert_eq!(out, br#""a\"\\\n\u0001\u003c""#.to_vec());
    }
}
