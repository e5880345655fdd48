//! Metadata benchmarks: canonical encoding, parse + verify of a large targets file, ECDSA P-256
//! sign/verify, and the generic canonical JSON value.
//!
//! Run with `cargo bench --bench metadata` (results and machine in `docs/benchmarks.md`).
//! `cargo test --all-targets` runs every benchmark once in criterion's test mode.
//!
//! The fixture is a delegated targets role (`targets/releases`) with 75,000 targets named
//! `tag-000000` … `tag-074999`, each with `sha256` + `sha512` digests as notary's CLI writes
//! them, signed once with a fresh P-256 key. A Docker-style variant (`sha256` only) is measured
//! for parse + verify as well.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use notary_client::canonical_json::{Value, go_html_escape, to_canonical};
use notary_client::keys::{Signer, SoftwareKey, verify_signature};
use notary_client::metadata::{Expires, FileMeta, KeyId, RoleBody, RoleName, Signed, Targets, TrustedKeys, Version};

/// Number of targets in the large fixture.
const TARGETS: usize = 75_000;

/// One flavour of the large targets file, with everything the benchmarks need precomputed.
struct Fixture {
    /// Short label used in benchmark IDs.
    label: &'static str,
    body: Targets,
    signed: Signed<Targets>,
    /// The file as uploaded (`to_file_bytes`).
    file: Vec<u8>,
    /// The `signed` member exactly as it appears in the file (HTML-escaped canonical body).
    signed_part: Vec<u8>,
    /// The canonical body (what is signed).
    canonical: Vec<u8>,
    trusted: TrustedKeys,
}

impl Fixture {
    fn new(rt: &tokio::runtime::Runtime, key: &SoftwareKey, label: &'static str, sha512: bool) -> Self {
        let expires = Expires::parse("2030-01-01T00:00:00Z").expect("valid expiry");
        let mut body = Targets::new(expires, Version::FIRST);
        for i in 0..TARGETS {
            let name = format!("tag-{i:06}");
            // Stand-in for the manifest bytes; only the shape of the metadata matters.
            let manifest = format!("{{\"schemaVersion\":2,\"tag\":\"{name}\"}}");
            let meta = if sha512 {
                FileMeta::for_metadata_bytes(manifest.as_bytes())
            } else {
                let digest = ring::digest::digest(&ring::digest::SHA256, manifest.as_bytes());
                FileMeta::sha256_only(digest.as_ref().try_into().expect("32 bytes"), manifest.len() as i64)
            };
            body.targets.insert(name, meta);
        }
        let signed =
            rt.block_on(Signed::sign(RoleName::releases(), body.clone(), &[key as &dyn Signer])).expect("signing");
        let file = signed.to_file_bytes().expect("file bytes");
        let canonical = body.canonical_bytes().expect("canonical bytes");
        let signed_part = go_html_escape(&canonical);
        let prefix = b"{\"signed\":".len();
        assert_eq!(&file[prefix..prefix + signed_part.len()], &signed_part[..], "signed member offset");
        let id: KeyId = key.public_key().id().clone();
        let trusted = TrustedKeys { keys: [(id, key.public_key().clone())].into(), threshold: 1 };
        // Sanity: the file parses, verifies and re-serialises to itself.
        let parsed = Signed::<Targets>::parse(RoleName::releases(), &file).expect("parse");
        parsed.verify(&trusted).expect("verify");
        assert_eq!(parsed.to_file_bytes().expect("file bytes"), file);
        Fixture { label, body, signed, file, signed_part, canonical, trusted }
    }
}

/// The typed half of `Signed::parse` on its own: the envelope deserialised straight into the
/// public `Targets` model (signatures skipped; there is one).
#[derive(serde::Deserialize)]
struct TypedEnvelope {
    signed: Targets,
    #[allow(dead_code)]
    signatures: serde::de::IgnoredAny,
}

/// Settings for groups whose iterations take tens to hundreds of milliseconds.
fn large(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
}

/// 1: canonical encoding of the 75k-target body and of the whole file, and signing the body
/// (`Signed::sign` computes the verifier message, then one ECDSA signature).
fn canonical_encode(c: &mut Criterion, fx: &Fixture, rt: &tokio::runtime::Runtime, key: &SoftwareKey) {
    let mut g = c.benchmark_group(format!("canonical_encode/{}", fx.label));
    large(&mut g);
    g.throughput(Throughput::Bytes(fx.canonical.len() as u64));
    g.bench_function("canonical_bytes", |b| b.iter(|| black_box(&fx.body).canonical_bytes().unwrap()));
    g.throughput(Throughput::Bytes(fx.file.len() as u64));
    g.bench_function("to_file_bytes", |b| b.iter(|| black_box(&fx.signed).to_file_bytes().unwrap()));
    g.throughput(Throughput::Bytes(fx.canonical.len() as u64));
    g.bench_function("signed_sign", |b| {
        b.iter_batched(
            || fx.body.clone(),
            |body| rt.block_on(Signed::sign(RoleName::releases(), body, &[key as &dyn Signer])).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// 2: parsing the file (with and without signature verification), and the typed half alone.
fn parse_verify(c: &mut Criterion, fx: &Fixture) {
    let mut g = c.benchmark_group(format!("parse_verify/{}", fx.label));
    large(&mut g);
    // Ten iterations of `Signed::parse` on the large file take over 3 s.
    g.measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Bytes(fx.file.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| Signed::<Targets>::parse(RoleName::releases(), black_box(&fx.file)).unwrap())
    });
    g.bench_function("parse_and_verify", |b| {
        b.iter(|| {
            let parsed = Signed::<Targets>::parse(RoleName::releases(), black_box(&fx.file)).unwrap();
            parsed.verify(&fx.trusted).unwrap();
            parsed
        })
    });
    // The pieces of `Signed::parse`, to see what each costs.
    g.bench_function("typed_serde_path_to_error", |b| {
        b.iter(|| {
            let mut de = serde_json::Deserializer::from_slice(black_box(&fx.file));
            let env: TypedEnvelope = serde_path_to_error::deserialize(&mut de).unwrap();
            env.signed
        })
    });
    g.bench_function("typed_serde_plain", |b| {
        b.iter(|| serde_json::from_slice::<TypedEnvelope>(black_box(&fx.file)).unwrap().signed)
    });
    g.throughput(Throughput::Bytes(fx.canonical.len() as u64));
    g.bench_function("verify_only", |b| b.iter(|| fx.signed.verify(black_box(&fx.trusted)).unwrap()));
    g.finish();
}

/// 3: ECDSA P-256 over a 1 KiB message.
fn ecdsa_p256(c: &mut Criterion, rt: &tokio::runtime::Runtime, key: &SoftwareKey) {
    let message: Vec<u8> = (0..1024u32).map(|i| (i * 31 % 251) as u8).collect();
    let sig = rt.block_on(key.sign(&message)).unwrap();
    let mut g = c.benchmark_group("ecdsa_p256_1KiB");
    g.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(message.len() as u64));
    g.bench_function("sign", |b| b.iter(|| rt.block_on(key.sign(black_box(&message))).unwrap()));
    g.bench_function("verify_signature", |b| {
        b.iter(|| verify_signature(key.public_key(), "ecdsa", black_box(&message), black_box(&sig)).unwrap())
    });
    g.finish();
}

/// 4: the generic canonical JSON value on the same file (what `Signed::parse` builds to compute
/// the message that signatures are checked against).
fn generic_value(c: &mut Criterion, fx: &Fixture) {
    let value = Value::parse(&fx.signed_part).unwrap();
    assert_eq!(to_canonical(&value).unwrap(), fx.canonical);
    let mut g = c.benchmark_group(format!("generic_value/{}", fx.label));
    large(&mut g);
    g.throughput(Throughput::Bytes(fx.signed_part.len() as u64));
    g.bench_function("parse_signed_part", |b| b.iter(|| Value::parse(black_box(&fx.signed_part)).unwrap()));
    g.bench_function("to_canonical", |b| b.iter(|| to_canonical(black_box(&value)).unwrap()));
    g.bench_function("parse_and_to_canonical", |b| {
        b.iter(|| to_canonical(&Value::parse(black_box(&fx.signed_part)).unwrap()).unwrap())
    });
    g.throughput(Throughput::Bytes(fx.file.len() as u64));
    g.bench_function("parse_whole_file", |b| b.iter(|| Value::parse(black_box(&fx.file)).unwrap()));
    // As `Signed::parse` runs it: with `serde_path_to_error` tracking the path for error messages.
    g.bench_function("parse_whole_file_path_to_error", |b| {
        b.iter(|| {
            let mut de = serde_json::Deserializer::from_slice(black_box(&fx.file));
            let value: Value = serde_path_to_error::deserialize(&mut de).unwrap();
            de.end().unwrap();
            value
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime");
    let key = SoftwareKey::generate_p256().expect("P-256 key");
    let notary = Fixture::new(&rt, &key, "75k_sha256_sha512", true);
    eprintln!(
        "fixture {}: {} targets, file {} bytes, canonical body {} bytes",
        notary.label,
        TARGETS,
        notary.file.len(),
        notary.canonical.len()
    );
    let docker = Fixture::new(&rt, &key, "75k_sha256", false);
    eprintln!("fixture {}: file {} bytes", docker.label, docker.file.len());

    canonical_encode(&mut c, &notary, &rt, &key);
    parse_verify(&mut c, &notary);
    parse_verify(&mut c, &docker);
    ecdsa_p256(&mut c, &rt, &key);
    generic_value(&mut c, &notary);

    c.final_summary();
}
