//! Object identifiers shared by key parsing and certificates, from const-oid's database.

pub(crate) use const_oid::db::rfc4519::CN as ID_AT_COMMON_NAME;
pub(crate) use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1 as SECP256R1,
    SECP_384_R_1 as SECP384R1,
};
