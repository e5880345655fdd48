//! # notary-client
//!
//! A pure-Rust client for Notary v1, the TUF-based signing service behind Docker Content
//! Trust: byte-exact with notary 0.7.0, verification that fails closed, no Docker daemon and
//! no Go tools.
//!
//! The happy path of a CI job — push the image it built (an OCI layout, or `docker save`
//! output) and sign the tag with the delegation key that `docker trust key load` put in
//! Docker's trust directory, publishing to the notary server next to the registry (no Docker
//! daemon, no Go tools):
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use notary_client::docker::{DockerTrust, ImageReference, SignOptions, push_and_sign, signed_digest};
//! use notary_client::registry::Image;
//!
//! let reference = ImageReference::parse("registry.example.com/team/app:1.2")?;
//! let image = Image::from_oci_layout("build/oci", None)?;
//! // $DOCKER_CONFIG: config.json credentials, trust/private keys, tls/ CAs;
//! // DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE unlocks the key.
//! let trust = DockerTrust::from_env()?;
//! let signed = push_and_sign(&trust, &reference, &image, &SignOptions::default()).await?;
//!
//! // A verifier (admission control, audit) reads it back exactly as the Go client would:
//! let trusted = trust.repository(&reference)?.update().await?;
//! assert_eq!(signed_digest(&trusted, "1.2").map(|d| d.digest), Some(signed.digest.to_string()));
//! # Ok(()) }
//! ```
//!
//! An image already pushed is signed with [`docker::sign_registry_tag`] (its manifest is
//! fetched) or [`docker::sign_tag`] (digest and size given).
//!
//! Without Docker's conventions: [`repository::Repository`] with a [`repository::Keyring`]
//! ([`repository::Repository::init`], [`repository::Repository::publish`] of
//! [`repository::Change`]s, key rotation, drafts for threshold roles). At the lowest level, sign
//! a targets body with a key and produce the exact bytes notary would upload:
//!
//! ```
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! use notary_client::metadata::{Expires, FileMeta, RoleName, Signed, Targets, TrustedKeys, Version};
//! use notary_client::keys::{Signer, SoftwareKey};
//!
//! let key = SoftwareKey::generate_p256()?;
//! let mut body = Targets::new(Expires::from_utc(chrono::Utc::now() + chrono::Duration::days(3 * 365)), Version::FIRST);
//! body.targets.insert("v1.0".into(), FileMeta::sha256_only([0x11; 32], 528));
//! let signed = Signed::sign(RoleName::releases(), body, &[&key]).await?;
//! let bytes = signed.to_file_bytes()?;                       // what gets uploaded
//! let parsed = Signed::<Targets>::parse(RoleName::releases(), &bytes)?;
//! let trusted = TrustedKeys { keys: [(key.public_key().id().clone(), key.public_key().clone())].into(), threshold: 1 };
//! parsed.verify(&trusted)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Modules are named for the concept they own:
//! * [`canonical_json`] — docker/go canonical JSON and Go's escaping rules;
//! * [`metadata`] — the TUF dialect: roles, envelopes, file metadata, threshold verification;
//! * [`keys`] — signature methods, verification by key type, the [`keys::Signer`] trait;
//! * [`certs`] — root certificates: generation and notary's `ValidateRoot`;
//! * [`key_file`] — private key files in every format notary and docker read, written as notary does;
//! * [`passphrase`] — passphrase retrievers (notary's variables, fixed values, prompts);
//! * [`trust_dir`] — the trust directory shared with the Go tools: key store, metadata cache;
//! * [`docker`] — Docker's conventions: references → GUNs, server URL, credentials, passphrase
//!   variables, `docker trust key`, `sign`, `revoke`, `signer add/remove`, `inspect`, and
//!   `docker push` with content trust;
//! * [`server`] — the notary server API: downloads with size caps, TLS, Docker token auth;
//! * [`registry`] — images from OCI layouts and `docker save` archives, pushed to a registry;
//! * [`repository`] — one GUN on a server, cached in a trust directory, signed with a keyring:
//!   update, init, publish, rotate, witness, delete;
//! * [`trusted`] — verified trust data: notary's builder and the Go client's update workflow;
//! * [`clock`] — injectable time.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical_json;
pub mod certs;
pub mod clock;
pub mod docker;
pub mod key_file;
pub mod keys;
pub mod metadata;
mod oid;
pub mod passphrase;
pub mod registry;
pub mod repository;
pub mod server;
pub mod trust_dir;
pub mod trusted;

/// The README's examples, compiled as doctests so they stay correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
