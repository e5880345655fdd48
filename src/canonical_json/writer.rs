//! The canonical JSON writer shared by generic values and the typed metadata model.

use super::CanonicalJsonError;

/// Streams canonical JSON (docker/go `MarshalCanonical` rules) into a byte buffer.
///
/// Callers are responsible for emitting object members in bytewise key order; the typed
/// metadata model does so by construction and generic [`super::Value`] objects are sorted maps.
#[derive(Debug, Default)]
pub struct CanonicalWriter {
    out: Vec<u8>,
    /// One entry per open container: whether it already has a member.
    open: Vec<bool>,
}

impl CanonicalWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Self { out: Vec::with_capacity(n), open: Vec::new() }
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    fn separator(&mut self) {
        if let Some(has_member) = self.open.last_mut() {
            if *has_member {
                self.out.push(b',');
            }
            *has_member = true;
        }
    }

    /// Starts an object.
    pub fn begin_object(&mut self) {
        self.out.push(b'{');
        self.open.push(false);
    }

    /// Ends an object.
    pub fn end_object(&mut self) {
        self.open.pop();
        self.out.push(b'}');
    }

    /// Starts an array.
    pub fn begin_array(&mut self) {
        self.out.push(b'[');
        self.open.push(false);
    }

    /// Ends an array.
    pub fn end_array(&mut self) {
        self.open.pop();
        self.out.push(b']');
    }

    /// Announces the next array element (writes the separator).
    pub fn element(&mut self) {
        self.separator();
    }

    /// Writes an object member name followed by `:`.
    pub fn key(&mut self, k: &str) -> Result<(), CanonicalJsonError> {
        self.separator();
        self.raw_string(k)?;
        self.out.push(b':');
        Ok(())
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    /// Writes `true` or `false`.
    pub fn bool(&mut self, b: bool) {
        self.out.extend_from_slice(if b { b"true" } else { b"false" });
    }

    /// Writes an integer.
    pub fn i64(&mut self, n: i64) {
        if n < 0 {
            self.out.push(b'-');
        }
        self.u64(n.unsigned_abs());
    }

    /// Writes an unsigned integer.
    pub fn u64(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[i..]);
    }

    /// Writes a string: only `"` and `\` are escaped; control characters are refused because
    /// Go could not write the resulting file.
    pub fn string(&mut self, s: &str) -> Result<(), CanonicalJsonError> {
        self.raw_string(s)
    }

    fn raw_string(&mut self, s: &str) -> Result<(), CanonicalJsonError> {
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b < 0x20 {
                return Err(CanonicalJsonError::ControlCharacter(u32::from(b)));
            }
            if b == b'"' || b == b'\\' {
                self.out.extend_from_slice(&bytes[start..i]);
                self.out.push(b'\\');
                self.out.push(b);
                start = i + 1;
            }
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
        Ok(())
    }

    /// Writes raw JSON as Go's canonical encoder writes a `json.RawMessage`: compacted and
    /// HTML-escaped, key order untouched (trap T9). `compacted` must already be the output of
    /// [`super::compact_html_escaped`].
    pub(crate) fn raw_compacted(&mut self, compacted: &[u8]) {
        self.out.extend_from_slice(compacted);
    }
}
