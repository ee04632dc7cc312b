//! Token buckets per address, with time passed in.
//!
//! DoS: at most `max` addresses keep state. When the table is full, the
//! least recently seen half is dropped in one pass (amortised O(1)); a
//! dropped address starts again with a full bucket, which is at most one
//! burst more than it would have had.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets of `burst` tokens refilled at `per_sec`, one per address
/// (IPv6 per /64, since one host may own a whole /64).
#[derive(Debug)]
pub struct RateTable {
    per_sec: f64,
    burst: f64,
    max: usize,
    buckets: HashMap<IpAddr, Bucket>,
}

/// The key an address is limited under.
#[must_use]
pub fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut s = a.segments();
            s[4..].fill(0);
            IpAddr::from(s)
        }
    }
}

impl RateTable {
    #[must_use]
    pub fn new(per_sec: f64, burst: u32, max: usize) -> Self {
        RateTable {
            per_sec,
            burst: f64::from(burst.max(1)),
            max: max.max(2),
            buckets: HashMap::new(),
        }
    }

    /// Takes one token for `ip` at `now`; false when it has none left.
    pub fn allow(&mut self, ip: IpAddr, now: Instant) -> bool {
        let k = key(ip);
        if !self.buckets.contains_key(&k) && self.buckets.len() >= self.max {
            self.evict();
        }
        let burst = self.burst;
        let b = self.buckets.entry(k).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let dt = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + dt * self.per_sec).min(burst);
        b.last = now.max(b.last);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Addresses with state.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn evict(&mut self) {
        let mut times: Vec<Instant> = self.buckets.values().map(|b| b.last).collect();
        let mid = times.len() / 2;
        times.select_nth_unstable(mid);
        let cut = times[mid];
        self.buckets.retain(|_, b| b.last > cut);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_then_rate() {
        let t0 = Instant::now();
        let mut r = RateTable::new(2.0, 3, 100);
        let a: IpAddr = "198.51.100.7".parse().unwrap();
        let allowed = (0..10).filter(|_| r.allow(a, t0)).count();
        assert_eq!(allowed, 3);
        // Half a second later: one token back (2/s).
        assert!(r.allow(a, t0 + Duration::from_millis(500)));
        assert!(!r.allow(a, t0 + Duration::from_millis(500)));
        // Another address has its own bucket.
        assert!(r.allow("198.51.100.8".parse().unwrap(), t0));
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let t0 = Instant::now();
        let mut r = RateTable::new(1.0, 1, 100);
        assert!(r.allow("2001:db8:1:2::1".parse().unwrap(), t0));
        assert!(!r.allow("2001:db8:1:2::ffff".parse().unwrap(), t0));
        assert!(r.allow("2001:db8:1:3::1".parse().unwrap(), t0));
    }

    #[test]
    fn table_stays_bounded() {
        let t0 = Instant::now();
        let mut r = RateTable::new(1.0, 1, 64);
        for i in 0..10_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            r.allow(ip, t0 + Duration::from_millis(u64::from(i)));
            assert!(r.len() <= 64);
        }
    }
}
