//! The little DER that key files need: a lenient `PrivateKeyInfo` reader (notary's variants
//! included) and a TLV writer whose output is byte-for-byte what Go's `encoding/asn1` writes
//! for notary's structures. Buffers that may hold key material are zeroizing.

use der::asn1::{AnyRef, BitStringRef, ContextSpecific, ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Reader, SliceReader, TagNumber};
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

/// Ed25519 under the GnuPG OID notary uses (spec §4.3).
pub(crate) const ED25519_GNUPG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.15.1");
/// Ed25519 as RFC 8410 names it.
pub(crate) const ED25519_RFC8410: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A DER identifier octet.
#[derive(Clone, Copy)]
pub(crate) struct Tag(u8);

impl Tag {
    pub(crate) const INTEGER: Tag = Tag(0x02);
    pub(crate) const BIT_STRING: Tag = Tag(0x03);
    pub(crate) const OCTET_STRING: Tag = Tag(0x04);
    pub(crate) const NULL: Tag = Tag(0x05);
    pub(crate) const OID: Tag = Tag(0x06);
    pub(crate) const SEQUENCE: Tag = Tag(0x30);

    /// A constructed context-specific tag `[n]` (explicit tagging).
    pub(crate) const fn context(n: u8) -> Tag {
        Tag(0xa0 | n)
    }
}

/// Encodes one DER TLV whose content is the concatenation of `parts`.
pub(crate) fn tlv(tag: Tag, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len + 6));
    out.push(tag.0);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Encodes an OBJECT IDENTIFIER.
pub(crate) fn oid(oid: &ObjectIdentifier) -> Zeroizing<Vec<u8>> {
    tlv(Tag::OID, &[oid.as_bytes()])
}

/// A decoded `PrivateKeyInfo`, borrowing from the DER it came from.
pub(crate) struct PrivateKeyInfo<'a> {
    pub(crate) algorithm: ObjectIdentifier,
    /// The named curve of an EC key, when the algorithm parameters carry one.
    pub(crate) curve: Option<ObjectIdentifier>,
    pub(crate) private_key: &'a [u8],
    /// RFC 5958 v2 `[1] publicKey`.
    pub(crate) public_key: Option<&'a [u8]>,
}

impl<'a> PrivateKeyInfo<'a> {
    /// Reads `SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, [0] attrs OPT, [1] pub OPT }`
    /// accepting any version (notary writes 1 for EC) and parameters that are absent, NULL or
    /// an OID (notary's "SEQUENCE OF OID" is the same bytes).
    pub(crate) fn decode(der: &'a [u8]) -> der::Result<Self> {
        let mut reader = SliceReader::new(der)?;
        let info = reader.sequence(|r| {
            let _version = UintRef::decode(r)?;
            let alg = AlgorithmIdentifierRef::decode(r)?;
            let private_key = OctetStringRef::decode(r)?.as_bytes();
            let _attributes = ContextSpecific::<AnyRef<'_>>::decode_implicit(r, TagNumber::N0)?;
            let public_key = ContextSpecific::<BitStringRef<'_>>::decode_implicit(r, TagNumber::N1)?
                .and_then(|p| p.value.as_bytes());
            let curve = alg.parameters.and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            Ok(PrivateKeyInfo { algorithm: alg.oid, curve, private_key, public_key })
        })?;
        reader.finish(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_use_the_minimal_long_form() {
        let body = vec![7u8; 300];
        let out = tlv(Tag::OCTET_STRING, &[&body]);
        assert_eq!(&out[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(out.len(), 304);
        assert_eq!(&tlv(Tag::NULL, &[])[..], &[0x05, 0x00]);
    }
}
