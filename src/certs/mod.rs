//! X.509 certificates in Notary: root keys are certificates (`ecdsa-x509`/`rsa-x509`) whose
//! PEM text is the key material (spec §3.1, §3.5–3.6, trap T6).
//!
//! * [`generate_root_certificate`] makes notary's self-signed root certificate and
//!   [`certificate_public_key`] the metadata key over it;
//! * [`validate_root`] is notary's `ValidateRoot`: which root keys of a `root.json` are
//!   trusted, given the GUN, a previously trusted root and the [`TrustPinning`] config;
//! * [`check_delegation_key`] is the certificate check applied to delegation keys.

mod chain;
mod check;
mod error;
mod generate;
mod parsed;
mod pem_chain;
mod pinning;
mod root_certs;
mod validate;

pub use check::{MIN_RSA_BITS, check_certificate_der, check_delegation_key};
pub use error::RootValidationError;
pub use generate::{ROOT_CERTIFICATE_VALIDITY, certificate_public_key, generate_root_certificate};
pub use pem_chain::{CertificateError, encode_certificate_pem, leaf_spki, parse_pem_chain};
pub use pinning::TrustPinning;
pub use validate::{RootValidation, validate_root, validate_root_with};
