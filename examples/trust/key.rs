//! `trust key generate NAME [--dir DIR]` and `trust key load [--name NAME] KEYFILE`: docker's
//! checks and lines around [`docker::generate_signer_key`] and [`docker::load_signer_key`].

use notary_client::docker;

use crate::BIN;
use crate::cli::{KeyGenerateArgs, KeyLoadArgs};
use crate::common::check_name;
use crate::support::{
    self,
    errors::{Context, Failure},
};
use crate::usage::Arity;

pub(crate) fn generate(args: KeyGenerateArgs) -> Result<(), Failure> {
    Arity::Exact(1).check(&["key", "generate"], args.name.len())?;
    let name = &args.name[0];
    check_name("key", name)?;
    let dir = match args.dir.filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot determine the current directory")?,
    };
    if std::fs::metadata(&dir).is_err() {
        return Err(Failure::new(format!("public key path does not exist: \"{}\"", dir.display())));
    }
    // Checked before the first line is printed, as docker does (the library checks it too).
    let public = dir.join(format!("{name}.pub"));
    if std::fs::symlink_metadata(&public).is_ok() {
        return Err(Failure::new(format!("public key file already exists: \"{}\"", public.display())));
    }
    println!("Generating key for {name}...");
    let trust_dir = docker::trust_dir().map_err(Failure::from_error)?;
    let (_, written) = docker::generate_signer_key(&trust_dir, name, &dir, &support::passphrases())
        .with_context(|| format!("failed to generate key for {name}"))?;
    println!(
        "Successfully generated and loaded private key. Corresponding public key available: {}",
        written.display()
    );
    Ok(())
}

pub(crate) fn load(args: KeyLoadArgs) -> Result<(), Failure> {
    Arity::Exact(1).check(&["key", "load"], args.file.len())?;
    let (file, name) = (&args.file[0], &args.name);
    if !name.is_empty() {
        check_name("key", name)?;
    }
    let shown = file.display();
    println!("Loading key from \"{shown}\"...");
    let refuse = || format!("refusing to load key from {shown}");
    let meta = std::fs::metadata(file).with_context(refuse)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Failure::new(format!(
                "{}: private key file {shown} must not be readable or writable by others",
                refuse()
            )));
        }
    }
    let _ = meta;
    let importing = || format!("error importing key from {shown}");
    let bytes = std::fs::read(file).with_context(refuse)?;
    if notary_client::key_file::decode_public_key(&bytes).is_ok() {
        return Err(Failure::new(format!(
            "{}: provided file {shown} is not a supported private key - to add a signer's public key use {BIN} \
             signer add",
            importing()
        )));
    }
    let trust_dir = docker::trust_dir().map_err(Failure::from_error)?;
    docker::load_signer_key(&trust_dir, name, file, &support::passphrases()).with_context(importing)?;
    println!("Successfully imported key from {shown}");
    Ok(())
}
