//! Metadata parse + verify.
//!
//! First byte 0..=5: the rest is one file of role root, targets, snapshot, timestamp,
//! targets/releases or targets/qa, parsed with `Signed::<T>::parse`, verified against the
//! fixture repository's keys (and, for root and targets, against the keys it lists itself),
//! checked for expiry, and re-serialised: the re-serialised file must parse again and be a
//! fixed point of parse → serialise.
//!
//! Any other first byte: the rest is a bundle (see `fuzz_support`): segment 0's header is the
//! GUN, every other segment is `<role name>\n<file>`, and the whole is verified offline with
//! `TrustedRepository::verify` (TOFU, fixed clock).
#![no_main]

use std::sync::LazyLock;

use fuzz_support::{MemorySource, bundle, debug};
use libfuzzer_sys::fuzz_target;
use notary_client::certs::TrustPinning;
use notary_client::clock::FixedClock;
use notary_client::metadata::{RoleBody, RoleName, Root, Signed, Snapshot, Targets, Timestamp, TrustedKeys};
use notary_client::trusted::TrustedRepository;

const APP: &str = "../fixtures/notary-cli/trust/tuf/localhost:5000/fixtures/app/metadata";

struct Fixture {
    root: Signed<Root>,
    targets: Signed<Targets>,
    clock: FixedClock,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let read = |name: &str| std::fs::read(format!("{}/{APP}/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    Fixture {
        root: Signed::parse(RoleName::root(), &read("root.json")).expect("fixture root"),
        targets: Signed::parse(RoleName::targets(), &read("targets.json")).expect("fixture targets"),
        // The fixtures' generation time: every fixture file is valid then.
        clock: FixedClock::parse("2026-11-26T15:53:50Z").expect("clock"),
    }
});

fn delegation_keys(parent: &Targets, role: &RoleName) -> Option<TrustedKeys> {
    parent.delegations.role(role).map(|r| parent.delegations.trusted_keys(r))
}

/// Parse, verify, check expiry, and check that the re-serialised file is a fixed point.
fn one<T: RoleBody>(role: RoleName, bytes: &[u8], trusted: &[TrustedKeys], extra: impl Fn(&Signed<T>)) {
    let parsed = match Signed::<T>::parse(role.clone(), bytes) {
        Ok(p) => p,
        Err(e) => return debug(|| format!("{role}: {e}")),
    };
    for keys in trusted {
        let verified = parsed.verify(keys);
        debug(|| format!("{role}: verify: {verified:?}"));
    }
    let expiry = parsed.check_expiry(&FIXTURE.clock);
    debug(|| format!("{role}: expiry: {expiry:?}"));
    extra(&parsed);
    assert_eq!(parsed.raw_bytes(), Some(bytes));
    let _ = parsed.file_bytes();
    if let Ok(written) = parsed.to_file_bytes() {
        let again = Signed::<T>::parse(role.clone(), &written)
            .unwrap_or_else(|e| panic!("re-serialised {role} file does not parse: {e}"));
        assert_eq!(again.to_file_bytes().ok(), Some(written.clone()), "to_file_bytes is not a fixed point");
        assert_eq!(again.signatures(), parsed.signatures());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let fx = &*FIXTURE;
    let root = fx.root.signed();
    match mode {
        0 => one::<Root>(RoleName::root(), rest, &[root.trusted_keys("root")], |r| {
            let _ = r.verify(&r.signed().trusted_keys("root"));
        }),
        1 => one::<Targets>(RoleName::targets(), rest, &[root.trusted_keys("targets")], |t| {
            if let Some(roles) = &t.signed().delegations.roles {
                for r in roles {
                    let keys = t.signed().delegations.trusted_keys(r);
                    let _ = t.verify(&keys);
                }
            }
        }),
        2 => one::<Snapshot>(RoleName::snapshot(), rest, &[root.trusted_keys("snapshot")], |_| {}),
        3 => one::<Timestamp>(RoleName::timestamp(), rest, &[root.trusted_keys("timestamp")], |_| {}),
        4 | 5 => {
            let name = if mode == 4 { "targets/releases" } else { "targets/qa" };
            let role = RoleName::new(name).expect("role");
            let keys = delegation_keys(fx.targets.signed(), &role).into_iter().collect::<Vec<_>>();
            one::<Targets>(role, rest, &keys, |_| {});
        }
        _ => {
            let segments = bundle(rest);
            let Some((first, files)) = segments.split_first() else { return };
            let gun = String::from_utf8_lossy(&first.header).into_owned();
            let mut source = MemorySource::default();
            for seg in files {
                let name = String::from_utf8_lossy(&seg.header).into_owned();
                if let Ok(role) = RoleName::new(name.clone()) {
                    let _ = (role.is_delegation(), role.parent(), role.is_targets_like());
                }
                source.0.insert(name, seg.content.clone());
            }
            let verified = TrustedRepository::verify(&source, &gun, &TrustPinning::default(), &fx.clock);
            debug(|| format!("{gun}: {:?}", verified.as_ref().map(|r| r.targets().len())));
            if let Ok(repo) = verified {
                let _ = (repo.targets(), repo.all_targets(), repo.delegations(), repo.lookup("hello", &[]));
            }
        }
    }
});
