//! X.509 certificates in Notary: root keys are certificates (`ecdsa-x509`/`rsa-x509`) whose
//! PEM text is the key material (spec §3.1, §3.5–3.6, trap T6).

mod pem_chain;

pub use pem_chain::{CertificateError, leaf_spki, parse_pem_chain};
