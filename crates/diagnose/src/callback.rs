//! The NAT binding test, reflector side: callbacks waiting to be sent.
//!
//! A client asks (over UDP) for one small datagram back after N seconds.
//! The reflector sends it from the socket that got the request, to the
//! exact address:port that asked: that is the client's own NAT binding, so
//! if the router has forgotten the binding by then, the datagram is lost,
//! and that is what the client measures (RFC 4787 §4.3: bindings for UDP
//! should live at least 2 minutes, many routers keep them far less).
//!
//! DoS: a callback is never larger than the request that asked for it, goes
//! only to its requester, and the queue is bounded per source (per address,
//! IPv6 per /64, see [`crate::rate::key`]) and in total. A forged source can
//! make the reflector send one small datagram per request, no bigger than
//! the request, later: no amplification and no choice of target beyond what
//! any UDP request already has.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::rate::key;
use crate::wire::{MAGIC, ReplyCode, Test, Transport, WireError, printable};

/// A callback reply head: `Scheduled` (the acknowledgement) or `Callback`
/// (the datagram after the wait).
#[must_use]
pub fn encode_after(code: ReplyCode, observed: SocketAddr, after: u32) -> Vec<u8> {
    format!(
        "{MAGIC} {} {}\r\nObserved: {} {observed}\r\nAfter: {after}\r\nLength: 0\r\n\r\n",
        code.number(),
        code.word(),
        Transport::Udp,
    )
    .into_bytes()
}

/// Reads `after=N` from a `callback` test's parameters.
pub(crate) fn parse_params<'a>(parts: impl Iterator<Item = &'a str>) -> Result<Test, WireError> {
    let bad = |p: &str| WireError::BadProbeParam(printable(p.as_bytes(), 60));
    let mut after = None;
    for p in parts.filter(|p| !p.is_empty()) {
        match p.split_once('=') {
            Some(("after", v)) => after = Some(v.parse().map_err(|_| bad(p))?),
            _ => return Err(bad(p)),
        }
    }
    Ok(Test::Callback {
        after: after.ok_or_else(|| bad("after missing"))?,
    })
}

/// Why a callback was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFull {
    /// This source has `per_source` callbacks waiting.
    Source,
    /// `total` callbacks are waiting.
    Total,
}

#[derive(Debug, Clone)]
struct Pending {
    /// The reflector socket that got the request (and must send).
    via: SocketAddr,
    to: SocketAddr,
    due: Instant,
    bytes: Vec<u8>,
}

/// Callbacks waiting, bounded per source and in total.
#[derive(Debug)]
pub struct Callbacks {
    per_source: usize,
    total: usize,
    pending: Vec<Pending>,
    counts: HashMap<IpAddr, usize>,
}

impl Callbacks {
    #[must_use]
    pub fn new(per_source: usize, total: usize) -> Self {
        Callbacks {
            per_source,
            total,
            pending: Vec::new(),
            counts: HashMap::new(),
        }
    }

    /// Whether the test is on (a total bound of 0 switches it off).
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.total > 0
    }

    /// Callbacks waiting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Queues `bytes` for `to`, to be sent from `via` at `due`.
    ///
    /// # Errors
    /// When the source or the whole queue is at its bound.
    pub fn schedule(
        &mut self,
        via: SocketAddr,
        to: SocketAddr,
        due: Instant,
        bytes: Vec<u8>,
    ) -> Result<(), QueueFull> {
        if self.pending.len() >= self.total {
            return Err(QueueFull::Total);
        }
        let n = self.counts.entry(key(to.ip())).or_insert(0);
        if *n >= self.per_source {
            return Err(QueueFull::Source);
        }
        *n += 1;
        self.pending.push(Pending {
            via,
            to,
            due,
            bytes,
        });
        Ok(())
    }

    /// The earliest callback `via` must send.
    #[must_use]
    pub fn next_due(&self, via: SocketAddr) -> Option<Instant> {
        self.pending
            .iter()
            .filter(|p| p.via == via)
            .map(|p| p.due)
            .min()
    }

    /// One callback `via` must send by `now`, taken off the queue.
    pub fn pop_due(&mut self, via: SocketAddr, now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        let i = self
            .pending
            .iter()
            .position(|p| p.via == via && p.due <= now)?;
        let p = self.pending.swap_remove(i);
        let k = key(p.to.ip());
        if let Some(n) = self.counts.get_mut(&k) {
            *n -= 1;
            if *n == 0 {
                self.counts.remove(&k);
            }
        }
        Some((p.to, p.bytes))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::wire::parse_reply;

    const VIA: &str = "0.0.0.0:5060";

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn bounded_per_source_and_in_total() {
        let t0 = Instant::now();
        let mut q = Callbacks::new(2, 3);
        let a = sa("198.51.100.1:40000");
        assert!(q.schedule(sa(VIA), a, t0, vec![1]).is_ok());
        // Another port of the same address counts for the same source.
        assert!(
            q.schedule(sa(VIA), sa("198.51.100.1:40002"), t0, vec![1])
                .is_ok()
        );
        assert_eq!(q.schedule(sa(VIA), a, t0, vec![1]), Err(QueueFull::Source));
        assert!(
            q.schedule(sa(VIA), sa("198.51.100.2:1"), t0, vec![1])
                .is_ok()
        );
        assert_eq!(
            q.schedule(sa(VIA), sa("198.51.100.3:1"), t0, vec![1]),
            Err(QueueFull::Total)
        );
        // Sending one frees its place.
        assert!(q.pop_due(sa(VIA), t0).is_some());
        assert_eq!(q.len(), 2);
        assert!(
            q.schedule(sa(VIA), sa("198.51.100.3:1"), t0, vec![1])
                .is_ok()
        );
    }

    #[test]
    fn sent_only_when_due_from_the_socket_that_got_the_request() {
        let t0 = Instant::now();
        let mut q = Callbacks::new(4, 10);
        let a = sa("198.51.100.1:40000");
        q.schedule(sa(VIA), a, t0 + Duration::from_secs(20), b"x".to_vec())
            .unwrap();
        assert_eq!(q.next_due(sa(VIA)), Some(t0 + Duration::from_secs(20)));
        assert_eq!(q.next_due(sa("0.0.0.0:5062")), None);
        assert!(q.pop_due(sa(VIA), t0 + Duration::from_secs(19)).is_none());
        assert!(
            q.pop_due(sa("0.0.0.0:5062"), t0 + Duration::from_secs(21))
                .is_none()
        );
        let (to, bytes) = q.pop_due(sa(VIA), t0 + Duration::from_secs(20)).unwrap();
        assert_eq!((to, bytes), (a, b"x".to_vec()));
        assert!(q.is_empty());
        assert!(q.pop_due(sa(VIA), t0 + Duration::from_secs(99)).is_none());
    }

    #[test]
    fn callback_heads_parse_back() {
        let a = sa("198.51.100.1:40000");
        let b = encode_after(ReplyCode::Callback, a, 45);
        let (r, used) = parse_reply(&b).unwrap().unwrap();
        assert_eq!(used, b.len());
        assert_eq!(r.code, ReplyCode::Callback);
        assert_eq!(r.after, Some(45));
        assert_eq!(r.observed, Some((Transport::Udp, a)));
        assert!(b.len() < 120, "a callback stays small");
    }
}
