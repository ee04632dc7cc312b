//! IPv4 and IPv6 reassembly (RFC 791 §3.2, RFC 8200 §4.5), bounded.
//!
//! Fragments are keyed by (source, destination, identification, protocol).
//! Later data overwrites earlier data where fragments overlap. A set is done
//! when the last fragment (no "more fragments" flag) has been seen and the
//! received ranges cover 0..end without a hole.

use crate::error::DecodeError;
use crate::ip::Fragment;
use crate::lru::LruMap;
use crate::stats::DecodeStats;
use crate::time::{Span, Timestamp};
use core::net::IpAddr;

/// Largest reassembled payload: the 16-bit length fields of both IP versions.
const MAX_DATAGRAM: u32 = 65_535;

/// Spare buffers kept for reuse. DoS: a fixed small number.
const MAX_SPARE: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

#[derive(Debug)]
struct FragSet {
    first_seen: Timestamp,
    data: Vec<u8>,
    /// Received byte ranges, sorted and merged.
    have: Vec<(u32, u32)>,
    /// End of the datagram once the last fragment was seen.
    total: Option<u32>,
}

/// Reassembly state with three written bounds (see [`crate::Limits`]).
#[derive(Debug)]
pub(crate) struct Defragmenter {
    /// In order of each set's first fragment (never touched afterwards).
    sets: LruMap<FragKey, FragSet>,
    bytes: usize,
    spare: Vec<Vec<u8>>,
    max_sets: usize,
    max_bytes: usize,
    timeout: Span,
}

impl Defragmenter {
    pub(crate) fn new(max_sets: usize, max_bytes: usize, timeout: Span) -> Self {
        Defragmenter {
            sets: LruMap::new(),
            bytes: 0,
            spare: Vec::new(),
            max_sets: max_sets.max(1),
            max_bytes,
            timeout,
        }
    }

    /// Adds one fragment. Returns the whole upper-layer payload when this
    /// fragment completes its set; give the buffer back with [`Self::recycle`].
    pub(crate) fn add(
        &mut self,
        key: FragKey,
        frag: Fragment,
        payload: &[u8],
        now: Timestamp,
        stats: &mut DecodeStats,
    ) -> Result<Option<Vec<u8>>, DecodeError> {
        const L: &str = "ip fragment";
        self.expire(now, stats);
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        let end = frag.offset.saturating_add(len);
        if end > MAX_DATAGRAM {
            return Err(DecodeError::malformed(L, "reassembled size above 65535"));
        }
        if frag.more && len % 8 != 0 {
            return Err(DecodeError::malformed(
                L,
                "non-final fragment not a multiple of 8 bytes",
            ));
        }
        if !self.sets.contains_key(&key) {
            while self.sets.len() >= self.max_sets {
                self.evict_oldest(stats);
            }
            let data = self.spare.pop().unwrap_or_default();
            let set = FragSet {
                first_seen: now,
                data,
                have: Vec::new(),
                total: None,
            };
            self.sets.insert(key, set);
        }
        // DoS: the byte bound evicts other sets, oldest first; a set that alone
        // exceeds it is dropped.
        let held = self.sets.peek_mut(&key).map_or(0, |s| s.data.len());
        let growth = (end as usize).saturating_sub(held);
        while self.bytes.saturating_add(growth) > self.max_bytes {
            if self.sets.oldest().is_some_and(|(k, _)| *k != key) {
                self.evict_oldest(stats);
            } else {
                self.remove(&key);
                stats.fragment_evictions += 1;
                return Ok(None);
            }
        }
        let Some(set) = self.sets.peek_mut(&key) else {
            return Ok(None);
        };
        let covered = set.have.last().map_or(0, |r| r.1);
        let conflict = match (frag.more, set.total) {
            (false, Some(t)) => t != end,
            (false, None) => covered > end,
            (true, Some(t)) => end > t,
            (true, None) => false,
        };
        if conflict {
            self.remove(&key);
            return Err(DecodeError::malformed(
                L,
                "fragments disagree on the datagram end",
            ));
        }
        if !frag.more {
            set.total = Some(end);
        }
        if set.data.len() < end as usize {
            self.bytes += end as usize - set.data.len();
            set.data.resize(end as usize, 0);
        }
        let start = frag.offset as usize;
        set.data[start..start + payload.len()].copy_from_slice(payload);
        insert_range(&mut set.have, (frag.offset, end));
        let done = set.total.is_some_and(|t| set.have == [(0, t)]);
        if !done {
            return Ok(None);
        }
        Ok(self.remove(&key).map(|mut s| {
            s.data.truncate(s.total.unwrap_or(0) as usize);
            s.data
        }))
    }

    /// Returns a reassembled buffer for reuse.
    pub(crate) fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < MAX_SPARE {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// Drops sets whose first fragment is older than the timeout.
    pub(crate) fn expire(&mut self, now: Timestamp, stats: &mut DecodeStats) {
        while self
            .sets
            .oldest()
            .is_some_and(|(_, s)| now.since(s.first_seen) > self.timeout)
        {
            if let Some((_, set)) = self.sets.pop_oldest() {
                self.bytes = self.bytes.saturating_sub(set.data.len());
                self.recycle(set.data);
            }
            stats.fragment_timeouts += 1;
        }
    }

    /// Number of sets in progress.
    pub(crate) fn len(&self) -> usize {
        self.sets.len()
    }

    fn evict_oldest(&mut self, stats: &mut DecodeStats) {
        if let Some((_, set)) = self.sets.pop_oldest() {
            self.bytes = self.bytes.saturating_sub(set.data.len());
            self.recycle(set.data);
            stats.fragment_evictions += 1;
        }
    }

    fn remove(&mut self, key: &FragKey) -> Option<FragSet> {
        let set = self.sets.remove(key)?;
        self.bytes = self.bytes.saturating_sub(set.data.len());
        Some(set)
    }
}

/// Inserts `r` into sorted, non-overlapping `ranges`, merging neighbours.
fn insert_range(ranges: &mut Vec<(u32, u32)>, r: (u32, u32)) {
    let (mut start, mut end) = r;
    ranges.retain(|&(s, e)| {
        let touches = s <= end && start <= e;
        if touches {
            start = start.min(s);
            end = end.max(e);
        }
        !touches
    });
    let at = ranges.partition_point(|&(s, _)| s < start);
    ranges.insert(at, (start, end));
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn key(id: u32) -> FragKey {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        FragKey {
            src: a,
            dst: a,
            id,
            proto: 17,
        }
    }

    #[test]
    fn ranges_merge() {
        let mut r = Vec::new();
        insert_range(&mut r, (16, 24));
        insert_range(&mut r, (0, 8));
        assert_eq!(r, [(0, 8), (16, 24)]);
        insert_range(&mut r, (8, 16));
        assert_eq!(r, [(0, 24)]);
    }

    #[test]
    fn out_of_order_and_conflicts() {
        let mut d = Defragmenter::new(4, 1 << 20, Span::from_secs(30));
        let mut st = DecodeStats::default();
        let t = Timestamp::ZERO;
        let f = |offset, more| Fragment {
            id: 1,
            offset,
            more,
        };
        assert_eq!(d.add(key(1), f(8, false), b"tail", t, &mut st), Ok(None));
        let whole = d.add(key(1), f(0, true), b"01234567", t, &mut st);
        assert_eq!(whole, Ok(Some(b"01234567tail".to_vec())));
        assert_eq!(d.len(), 0);
        assert!(d.add(key(2), f(0, true), b"odd", t, &mut st).is_err());
        assert_eq!(d.add(key(3), f(16, false), b"x", t, &mut st), Ok(None));
        assert!(d.add(key(3), f(24, false), b"x", t, &mut st).is_err());
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn bounds_and_timeout() {
        let mut d = Defragmenter::new(2, 1 << 20, Span::from_secs(30));
        let mut st = DecodeStats::default();
        let f = Fragment {
            id: 0,
            offset: 0,
            more: true,
        };
        for id in 0..5 {
            let _ = d.add(
                key(id),
                f,
                &[0; 8],
                Timestamp::from_parts(i64::from(id), 0),
                &mut st,
            );
        }
        assert_eq!((d.len(), st.fragment_evictions), (2, 3));
        let _ = d.add(key(9), f, &[0; 8], Timestamp::from_parts(100, 0), &mut st);
        assert_eq!((d.len(), st.fragment_timeouts), (1, 2));
        let mut small = Defragmenter::new(8, 20, Span::from_secs(30));
        let _ = small.add(key(1), f, &[0; 16], Timestamp::ZERO, &mut st);
        let _ = small.add(key(2), f, &[0; 16], Timestamp::ZERO, &mut st);
        assert_eq!(small.len(), 1);
        assert!(small.bytes <= 20);
    }
}
