//! The registry client (on `oci-client`).
