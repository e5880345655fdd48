//! Offline audit of Notary trust data: verify a directory of metadata files (for example a
//! trust-dir cache `~/.docker/trust/tuf/<GUN>/metadata/`) exactly as the Go client would, and
//! print every role's version and expiry and every signed target.
//!
//! ```text
//! cargo run --example verify_dir -- DIR [--gun GUN] [--root-key-id ID] [--at RFC3339]
//! ```
//!
//! * `--gun` defaults to the path between `tuf/` and `/metadata` in DIR.
//! * `--root-key-id` pins the root key (its TUF ID or canonical ID); without it the directory's
//!   `root.json` is trusted on first use, as Docker does.
//! * `--at` verifies expiry as of that instant instead of now.
//!
//! Exit status: 0 verified, 1 verification failed, 2 usage error.

use std::process::ExitCode;

use notary_client::certs::TrustPinning;
use notary_client::clock::{Clock, FixedClock, SystemClock};
use notary_client::metadata::{KeyId, RoleBody};
use notary_client::trusted::{DirectorySource, TrustedRepository};

const USAGE: &str = "usage: verify_dir DIR [--gun GUN] [--root-key-id ID] [--at RFC3339]";

struct Args {
    dir: String,
    gun: String,
    root_key_id: Option<String>,
    at: Option<FixedClock>,
}

fn parse_args() -> Result<Args, String> {
    let mut dir = None;
    let (mut gun, mut root_key_id, mut at) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--gun" => gun = Some(value("--gun")?),
            "--root-key-id" => root_key_id = Some(value("--root-key-id")?),
            "--at" => {
                let v = value("--at")?;
                at = Some(FixedClock::parse(&v).map_err(|e| format!("--at {v}: {e}"))?);
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s if dir.is_none() => dir = Some(s.to_owned()),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    let dir = dir.ok_or("missing DIR")?;
    let gun = match gun {
        Some(g) => g,
        None => {
            gun_from_path(&dir).ok_or("cannot infer the GUN from DIR (expected .../tuf/<GUN>/metadata): use --gun")?
        }
    };
    Ok(Args { dir, gun, root_key_id, at })
}

fn gun_from_path(dir: &str) -> Option<String> {
    let d = dir.trim_end_matches('/');
    let rest = &d[d.rfind("/tuf/").map(|i| i + 5).or_else(|| d.strip_prefix("tuf/").map(|_| 4))?..];
    rest.strip_suffix("/metadata").map(str::to_owned)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("verify_dir: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let clock: Box<dyn Clock> = match args.at {
        Some(c) => Box::new(c),
        None => Box::new(SystemClock),
    };
    match run(&args, clock.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("verify_dir: verification FAILED: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args, clock: &dyn Clock) -> Result<(), Box<dyn std::error::Error>> {
    let source = DirectorySource::new(&args.dir);
    let mut pinning = TrustPinning::default();
    if let Some(id) = &args.root_key_id {
        pinning.certs.insert(args.gun.clone(), vec![root_tuf_id(&source, id)?]);
    }
    let repo = TrustedRepository::verify(&source, &args.gun, &pinning, clock)?;

    println!("GUN {}  (verified as of {})", repo.gun(), clock.now().to_rfc3339());
    println!("{:<24} {:>8}  expires", "role", "version");
    let row = |role: &str, v: u64, e: String| println!("{role:<24} {v:>8}  {e}");
    row("root", repo.root().signed().version().get(), repo.root().signed().expires().to_go_string());
    row("timestamp", repo.timestamp().signed().version().get(), repo.timestamp().signed().expires().to_go_string());
    row("snapshot", repo.snapshot().signed().version().get(), repo.snapshot().signed().expires().to_go_string());
    for t in repo.targets_roles() {
        let s = t.metadata.signed();
        row(t.role().as_str(), s.version().get(), s.expires().to_go_string());
    }
    for s in repo.skipped() {
        println!("WARNING: skipped {}: {}", s.role, s.reason);
    }
    println!();
    println!("What clients see (first role in walk order wins):");
    println!("{:<32} {:<64} {:>10}  role", "target", "sha256", "length");
    for t in repo.targets() {
        println!("{:<32} {:<64} {:>10}  {}", shown(&t.name), sha256_hex(&t.meta), t.meta.length, t.role);
    }
    println!();
    println!("Every target of every verified role:");
    for role in repo.targets_roles() {
        for (name, meta) in &role.metadata.signed().targets {
            let note = if role.allows(name) { "" } else { "  (outside the role's paths: ignored by clients)" };
            println!(
                "{:<24} {:<32} {:<64} {:>10}{note}",
                role.role().as_str(),
                shown(name),
                sha256_hex(meta),
                meta.length
            );
        }
    }
    Ok(())
}

/// A target name with control and invisible formatting characters (e.g. U+202E) escaped, so
/// names cannot disguise themselves in the report.
fn shown(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() || is_format(c) { c.escape_unicode().to_string() } else { c.to_string() })
        .collect()
}

/// Unicode format characters that reorder or hide text (bidi controls, zero-width marks).
fn is_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn sha256_hex(meta: &notary_client::metadata::FileMeta) -> String {
    meta.sha256().map(hex::encode).unwrap_or_else(|| "-".into())
}

/// Accepts a root key's TUF ID or canonical (private key file) ID and returns the TUF ID that
/// trust pinning compares against.
fn root_tuf_id(source: &DirectorySource, id: &str) -> Result<KeyId, Box<dyn std::error::Error>> {
    use notary_client::metadata::{RoleName, Root, Signed};
    use notary_client::trusted::MetadataSource;
    let bytes = source.read(&RoleName::root())?.ok_or("root.json is missing")?;
    let root = Signed::<Root>::parse(RoleName::root(), &bytes)?;
    for kid in root.signed().role("root").map(|r| r.key_ids()).unwrap_or_default() {
        let Some(key) = root.signed().keys.get(kid) else { continue };
        if kid.as_str() == id || key.canonical_id().map(|c| c.as_str() == id).unwrap_or(false) {
            return Ok(kid.clone());
        }
    }
    Err(format!("root key {id} is not a root key of this repository (pinning rejects it)").into())
}
