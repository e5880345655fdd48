//! Injectable time: verification takes a [`Clock`] so expiry can be tested deterministically.

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock pinned to one instant (tests, audits "as of" a date).
///
/// ```
/// use notary_client::clock::{Clock, FixedClock};
/// let c = FixedClock::parse("2026-01-01T00:00:00Z").unwrap();
/// assert_eq!(c.now().to_rfc3339(), "2026-01-01T00:00:00+00:00");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl FixedClock {
    /// A clock at an RFC 3339 instant.
    pub fn parse(s: &str) -> Result<Self, chrono::ParseError> {
        Ok(FixedClock(DateTime::parse_from_rfc3339(s)?.to_utc()))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
