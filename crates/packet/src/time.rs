//! The one time type of ghostguard. Time is data: it comes from the capture
//! record or the HEP header, never from the system clock.

use core::fmt;

/// Nanoseconds since the Unix epoch, as read from a packet.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The epoch itself.
    pub const ZERO: Timestamp = Timestamp(0);

    #[must_use]
    pub const fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    /// Seconds and a sub-second part in nanoseconds (saturating).
    #[must_use]
    pub const fn from_parts(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(nanos as i64),
        )
    }

    #[must_use]
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    #[must_use]
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }

    /// Milliseconds since the epoch.
    #[must_use]
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// `self + d` (saturating).
    #[must_use]
    pub const fn add(self, d: Span) -> Self {
        Timestamp(self.0.saturating_add(d.0))
    }

    /// `self - earlier`, zero when `earlier` is later.
    #[must_use]
    pub const fn since(self, earlier: Timestamp) -> Span {
        let d = self.0.saturating_sub(earlier.0);
        Span(if d < 0 { 0 } else { d })
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}",
            self.as_secs(),
            self.0.rem_euclid(1_000_000_000)
        )
    }
}

/// A non-negative length of time in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Span(i64);

impl Span {
    #[must_use]
    pub const fn from_secs(s: i64) -> Self {
        Span(s.saturating_mul(1_000_000_000))
    }
    #[must_use]
    pub const fn from_millis(ms: i64) -> Self {
        Span(ms.saturating_mul(1_000_000))
    }
    #[must_use]
    pub const fn from_nanos(ns: i64) -> Self {
        Span(if ns < 0 { 0 } else { ns })
    }
    #[must_use]
    pub const fn as_nanos(self) -> i64 {
        self.0
    }
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_arithmetic() {
        let t = Timestamp::from_parts(10, 500_000_000);
        assert_eq!(t.as_millis(), 10_500);
        assert_eq!(t.add(Span::from_millis(600)).as_secs(), 11);
        assert_eq!(Timestamp::ZERO.since(t), Span::from_nanos(0));
        assert_eq!(t.since(Timestamp::ZERO).as_nanos(), 10_500_000_000);
        assert_eq!(Timestamp::from_parts(i64::MAX, 5).as_nanos(), i64::MAX);
    }
}
