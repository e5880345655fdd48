//! Field types shared by all roles: versions, expiry instants, lengths and base64 bytes.

use std::fmt;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer};

use super::error::clip;
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter};

/// Go's `base64.StdEncoding`: padded on output; on input padding is required and non-zero
/// trailing bits are tolerated, as Go does.
pub(crate) const GO_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Encodes bytes as Go's `[]byte` JSON encoding does (standard base64 with padding).
pub fn base64_encode(bytes: &[u8]) -> String {
    GO_BASE64.encode(bytes)
}

/// Decodes standard padded base64 as Go's `[]byte` JSON decoding does.
pub fn base64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    GO_BASE64.decode(s)
}

/// Largest version accepted. notary-server stores versions in a 32-bit signed column, so no
/// genuine repository goes beyond it; a larger version from a server could only be an attempt
/// to freeze clients (every later genuine version would look like a rollback).
pub const MAX_VERSION: u64 = i32::MAX as u64;

/// A metadata version: `1..=2^31-1`.
///
/// ```
/// use notary_client::metadata::Version;
/// assert_eq!(Version::new(1).unwrap().next().unwrap().get(), 2);
/// assert!(Version::new(0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u32);

impl Version {
    /// Version 1, the first version of every role.
    pub const FIRST: Version = Version(1);

    /// Validates a version number.
    pub fn new(v: u64) -> Result<Self, VersionOutOfRange> {
        if (1..=MAX_VERSION).contains(&v) { Ok(Version(v as u32)) } else { Err(VersionOutOfRange(v)) }
    }

    /// The number.
    pub fn get(self) -> u64 {
        u64::from(self.0)
    }

    /// The version every re-signing produces (spec §1.8: +1 per signing).
    pub fn next(self) -> Result<Self, VersionOutOfRange> {
        Version::new(self.get() + 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A version outside `1..=2^31-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("version {0} is outside 1..=2147483647")]
pub struct VersionOutOfRange(pub u64);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = deserialize_integer(d, "version")?;
        u64::try_from(v)
            .map_err(|_| VersionOutOfRange(0))
            .and_then(Version::new)
            .map_err(|_| serde::de::Error::custom(format_args!("version {v} is outside 1..=2147483647")))
    }
}

/// An integer member as Go's `json.Unmarshal` into an `int`/`int64` accepts it: an integer
/// literal only. `1.0`, `1e3`, strings, booleans and null are type errors that name the field's
/// expectation (serde's `deserialize_i128` would stop at the `.` and report a syntax error one
/// level up).
fn deserialize_integer<'de, D: Deserializer<'de>>(d: D, what: &'static str) -> Result<i128, D::Error> {
    struct IntegerVisitor(&'static str);
    impl serde::de::Visitor<'_> for IntegerVisitor {
        type Value = i128;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an integer {}", self.0)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
    }
    d.deserialize_any(IntegerVisitor(what))
}

/// Largest byte length accepted: lengths are verified through Go's float64 round trip, so only
/// integers up to 2^53 are exact.
pub const MAX_LENGTH: i64 = 1 << 53;

pub(crate) fn deserialize_length<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = deserialize_integer(d, "length")?;
    if (0..=i128::from(MAX_LENGTH)).contains(&v) {
        Ok(v as i64)
    } else {
        Err(serde::de::Error::custom(format_args!("length {v} is outside 0..=2^53")))
    }
}

pub(crate) fn deserialize_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    base64_decode(&s).map_err(|e| serde::de::Error::custom(format_args!("invalid base64: {e}")))
}

/// A string that is not an RFC 3339 timestamp as Go parses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 time {0:?} (expected e.g. 2030-01-02T03:04:05Z)")]
pub struct ExpiresError(pub String);

/// An expiry instant as notary writes it (RFC 3339, spec §2.4).
///
/// Parsing accepts any offset and fraction; formatting reproduces Go's `RFC3339Nano` exactly
/// (fraction with trailing zeros trimmed, `Z` for a zero offset), so metadata written by Go
/// re-serialises byte-for-byte. Instants we create ourselves are whole UTC seconds.
///
/// ```
/// use notary_client::metadata::Expires;
/// let e = Expires::parse("2116-07-03T18:08:08.418734920-05:00").unwrap();
/// assert_eq!(e.to_go_string(), "2116-07-03T18:08:08.41873492-05:00");
/// assert_eq!(Expires::parse("2030-01-01T00:00:00+00:00").unwrap().to_go_string(), "2030-01-01T00:00:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expires(DateTime<FixedOffset>);

impl Expires {
    /// Parses an RFC 3339 timestamp.
    pub fn parse(s: &str) -> Result<Self, ExpiresError> {
        // Go's RFC 3339 layout is stricter than chrono's: a literal upper-case `T` and `Z`,
        // and no leap second (chrono would silently rewrite `:60` as `:59`).
        let b = s.as_bytes();
        let strict = b.get(10) == Some(&b'T') && !s.ends_with('z') && b.get(17..19) != Some(b"60".as_slice());
        if !strict {
            return Err(ExpiresError(clip(s)));
        }
        DateTime::parse_from_rfc3339(s).map(Expires).map_err(|_| ExpiresError(clip(s)))
    }

    /// An instant in UTC, truncated to whole seconds.
    pub fn from_utc(t: DateTime<Utc>) -> Self {
        let t = t.with_nanosecond(0).unwrap_or(t);
        Expires(t.fixed_offset())
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.0.to_utc()
    }

    /// Whether metadata with this expiry is expired at `now` (Go: `now.After(expires)`).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        now > self.0.to_utc()
    }

    /// Go's `time.Time.Format(time.RFC3339Nano)` of this instant.
    pub fn to_go_string(&self) -> String {
        let t = &self.0;
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        let nanos = t.nanosecond() % 1_000_000_000;
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        let offset = t.offset().local_minus_utc();
        if offset == 0 {
            s.push('Z');
        } else {
            let sign = if offset < 0 { '-' } else { '+' };
            let abs = offset.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, (abs / 60) % 60));
        }
        s
    }

    pub(crate) fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        w.string(&self.to_go_string())
    }
}

impl fmt::Display for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for Expires {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Expires::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_format_round_trips_fixture_styles() {
        for s in [
            "2116-07-03T18:08:08.418734928-05:00",
            "2116-01-12T00:58:43.527711489Z",
            "2116-01-11T16:58:57.19795895-08:00",
            "2035-01-02T03:04:05Z",
            "2035-01-02T03:04:05.5+05:30",
        ] {
            assert_eq!(Expires::parse(s).unwrap().to_go_string(), s);
        }
    }

    #[test]
    fn parsing_is_as_strict_as_gos_rfc3339_layout() {
        for bad in ["2030-01-01 00:00:00Z", "2030-01-01t00:00:00Z", "2030-01-01T00:00:00z", "2030-01-01T23:59:60Z"] {
            assert!(Expires::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zero_offset_formats_as_z_and_trailing_zeros_are_trimmed() {
        assert_eq!(Expires::parse("2030-01-01T00:00:00.500+00:00").unwrap().to_go_string(), "2030-01-01T00:00:00.5Z");
    }

    #[test]
    fn expiry_is_strictly_after() {
        let e = Expires::parse("2030-01-01T00:00:00Z").unwrap();
        assert!(!e.is_expired_at(e.to_utc()));
        assert!(e.is_expired_at(e.to_utc() + chrono::Duration::nanoseconds(1)));
    }

    #[test]
    fn versions_are_bounded() {
        assert!(Version::new(0).is_err());
        assert!(Version::new(MAX_VERSION).is_ok());
        assert!(Version::new(MAX_VERSION + 1).is_err());
        assert!(Version::new(MAX_VERSION).unwrap().next().is_err());
    }

    #[test]
    fn base64_requires_padding_and_tolerates_trailing_bits_like_go() {
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("YQ").is_err());
        assert_eq!(base64_decode("YR==").unwrap(), b"a");
    }
}
