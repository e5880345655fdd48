//! Key material and signatures: the signature methods of Notary's dialect, verification chosen
//! by the trusted key's type, and the [`Signer`] abstraction with a software (ring) implementation.
//!
//! ```
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! use notary_client::keys::{Signer, SoftwareKey, verify_signature};
//! let key = SoftwareKey::generate_p256().unwrap();
//! let sig = key.sign(b"msg").await.unwrap();
//! assert_eq!(sig.len(), 64); // raw r‖s, never DER
//! verify_signature(key.public_key(), key.method().as_str(), b"msg", &sig).unwrap();
//! # });
//! ```

pub(crate) mod asn1;
mod ecdsa_sig;
mod method;
mod private;
mod signer;
mod software;
mod spki;
#[cfg(feature = "tough")]
mod tough_signer;
mod verify;

pub use ecdsa_sig::{der_to_raw, raw_to_der};
pub use method::SignatureMethod;
pub use private::{InvalidPrivateKey, PrivateKey};
pub use signer::{SignError, Signer};
pub use software::SoftwareKey;
pub use spki::{PublicKeyInfo, p256_spki_from_point};
#[cfg(feature = "tough")]
pub use tough_signer::ToughSigner;
pub use verify::{SignatureError, verify_signature};
