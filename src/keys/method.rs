use std::fmt;

/// A signature `method` of Notary's dialect (spec §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// `ecdsa`: SHA-256 digest, raw `r‖s` signature.
    Ecdsa,
    /// `eddsa`: pure Ed25519.
    Eddsa,
    /// `rsapss`: RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32.
    RsaPss,
    /// `rsapkcs1v15`: RSASSA-PKCS1-v1_5 with SHA-256 (verification only).
    RsaPkcs1v15,
}

impl SignatureMethod {
    /// The `method` string as notary writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::Ecdsa => "ecdsa",
            SignatureMethod::Eddsa => "eddsa",
            SignatureMethod::RsaPss => "rsapss",
            SignatureMethod::RsaPkcs1v15 => "rsapkcs1v15",
        }
    }

    /// Parses a `method` string case-insensitively, as Go does.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "ecdsa" => SignatureMethod::Ecdsa,
            "eddsa" => SignatureMethod::Eddsa,
            "rsapss" => SignatureMethod::RsaPss,
            "rsapkcs1v15" => SignatureMethod::RsaPkcs1v15,
            _ => return None,
        })
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
