//! Conversions between Notary's raw `r‖s` ECDSA signatures and DER `ECDSA-Sig-Value`
//! (X.509 certificates and most KMS/HSM APIs use DER; Notary metadata never does, trap T4).

use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};

#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// Encodes a raw `r‖s` signature (two equal halves) as DER.
pub fn raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let v = EcdsaSigValue { r: UintRef::new(r).ok()?, s: UintRef::new(s).ok()? };
    v.to_der().ok()
}

/// Decodes a DER signature into raw `r‖s`, each half left-padded to `half_len` bytes
/// (32 for P-256).
pub fn der_to_raw(der: &[u8], half_len: usize) -> Option<Vec<u8>> {
    let v = EcdsaSigValue::from_der(der).ok()?;
    let (r, s) = (v.r.as_bytes(), v.s.as_bytes());
    if r.len() > half_len || s.len() > half_len {
        return None;
    }
    let mut out = vec![0u8; 2 * half_len];
    out[half_len - r.len()..half_len].copy_from_slice(r);
    out[2 * half_len - s.len()..].copy_from_slice(s);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_der_round_trip_with_leading_zeros_and_high_bits() {
        let mut raw = vec![0u8; 64];
        raw[1] = 0x01; // r has a leading zero byte
        raw[32] = 0x80; // s needs a 0x00 pad in DER
        raw[63] = 7;
        let der = raw_to_der(&raw).unwrap();
        assert_eq!(der_to_raw(&der, 32).unwrap(), raw);
    }
}
