//! The reflector's decisions, without sockets: one request in, a
//! [`Decision`] out (reply, probe, or drop).
//!
//! It must never become an amplifier or a scanner for others:
//! - a reply is at most [`MAX_OVERHEAD`] bytes longer than its request, and
//!   a refusal is never longer than the request (else it is dropped);
//! - a probe goes only to the requester's own address, on a configured
//!   port, and is never longer than the (padded) request that asked for it;
//! - every source has a token bucket; requests over it are dropped
//!   silently, and every probed address has its own, slower bucket;
//! - probe requests come over TCP only unless configured otherwise (a UDP
//!   source address can be forged);
//! - with a shared token set, requests without it get at most a refusal.
//!
//! Concurrency bounds (TCP connections, probes at once) are the I/O side's;
//! it calls [`ProbePlan::busy_reply`] when it cannot run a probe.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::callback::{Callbacks, encode_after};
use crate::config::ReflectorConfig;
use crate::rate::RateTable;
use crate::wire::{
    MAX_AGENT, MAX_OVERHEAD, PROBE_REQUEST_MIN, ProbeOutcome, ReplyCode, Test, Transport,
    encode_reply, parse_request, printable, probe_message,
};

/// One request as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    pub transport: Transport,
    /// The network source (never an address from the message).
    pub src: SocketAddr,
    /// The reflector socket it arrived on (a callback is sent from it).
    pub local: SocketAddr,
    pub bytes: &'a [u8],
    pub now: Instant,
}

/// Why a request got no answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Longer than `limits.max_request_bytes`.
    TooLarge,
    /// The source is over its rate.
    RateLimited,
    /// Not a test request (answering could make us a reflector for junk).
    NotATest,
    /// The refusal would be longer than the request.
    TooShortToRefuse,
}

impl DropReason {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DropReason::TooLarge => "too-large",
            DropReason::RateLimited => "rate-limited",
            DropReason::NotATest => "not-a-test",
            DropReason::TooShortToRefuse => "too-short-to-refuse",
        }
    }
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send these bytes back to the source (same transport).
    Reply(Vec<u8>),
    /// Send one probe, then reply with [`ProbePlan::reply`].
    Probe(ProbePlan),
    /// Send nothing.
    Drop(DropReason),
}

/// A probe the reflector decided to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePlan {
    /// The requester's own address, on the port it asked for.
    pub target: SocketAddr,
    pub timeout: Duration,
    id: u64,
    observed: (Transport, SocketAddr),
    request_len: usize,
}

impl ProbePlan {
    /// The OPTIONS to send from `from` (the probe socket's address).
    #[must_use]
    pub fn message(&self, from: SocketAddr) -> Vec<u8> {
        probe_message(from, self.target, self.id)
    }

    /// The reply once the probe is done.
    #[must_use]
    pub fn reply(&self, outcome: &ProbeOutcome) -> Vec<u8> {
        encode_reply(ReplyCode::Probed, self.observed, Some(outcome), &[])
    }

    /// The reply when no probe slot is free.
    #[must_use]
    pub fn busy_reply(&self) -> Vec<u8> {
        encode_reply(ReplyCode::Busy, self.observed, None, &[])
    }

    /// The length of the request that asked.
    #[must_use]
    pub fn request_len(&self) -> usize {
        self.request_len
    }
}

/// What came back from a probed address, as an outcome.
#[must_use]
pub fn classify_answer(bytes: &[u8]) -> ProbeOutcome {
    match ghostguard_sip::parse(bytes) {
        Ok(m) if m.status().is_some() => ProbeOutcome::Answered {
            status: m.status().map_or(0, |s| s.0),
            agent: m
                .server()
                .or_else(|| m.user_agent())
                .map(|a| printable(a, MAX_AGENT))
                .unwrap_or_default(),
        },
        _ => ProbeOutcome::NonSip,
    }
}

/// The reflector's state: its config and the rate tables.
#[derive(Debug)]
pub struct Reflector {
    cfg: ReflectorConfig,
    token: Option<String>,
    requests: RateTable,
    probes: RateTable,
    callback_rate: RateTable,
    callbacks: Callbacks,
    next_id: u64,
    /// Requests dropped, by reason (for the log).
    pub dropped: [u64; 4],
}

impl Reflector {
    /// A reflector with a validated config; `token` is the shared token
    /// (from `auth.token` or read from `auth.token_file` by the caller).
    #[must_use]
    pub fn new(cfg: ReflectorConfig, token: Option<String>) -> Self {
        let l = &cfg.limits;
        let requests = RateTable::new(l.requests_per_second, l.burst, l.max_sources);
        let probes = RateTable::new(l.probes_per_minute / 60.0, l.probe_burst, l.max_sources);
        let callback_rate = RateTable::new(
            l.callbacks_per_minute / 60.0,
            l.callback_burst,
            l.max_sources,
        );
        let callbacks = Callbacks::new(l.max_callbacks_per_source, l.max_pending_callbacks);
        Reflector {
            cfg,
            token,
            requests,
            probes,
            callback_rate,
            callbacks,
            next_id: 1,
            dropped: [0; 4],
        }
    }

    #[must_use]
    pub fn config(&self) -> &ReflectorConfig {
        &self.cfg
    }

    fn drop(&mut self, r: DropReason) -> Decision {
        let i = match r {
            DropReason::TooLarge => 0,
            DropReason::RateLimited => 1,
            DropReason::NotATest => 2,
            DropReason::TooShortToRefuse => 3,
        };
        self.dropped[i] += 1;
        Decision::Drop(r)
    }

    /// A refusal, only if it is no longer than the request.
    fn refuse(&mut self, code: ReplyCode, inb: &Inbound<'_>) -> Decision {
        let r = encode_reply(code, (inb.transport, inb.src), None, &[]);
        if r.len() > inb.bytes.len() {
            return self.drop(DropReason::TooShortToRefuse);
        }
        Decision::Reply(r)
    }

    fn token_ok(&self, given: Option<&str>) -> bool {
        let Some(want) = &self.token else {
            return true;
        };
        let given = given.unwrap_or_default().as_bytes();
        let want = want.as_bytes();
        // Compare every byte whatever the mismatch (no early exit).
        let mut diff = u8::from(given.len() != want.len());
        for (i, w) in want.iter().enumerate() {
            diff |= w ^ given.get(i).copied().unwrap_or(0);
        }
        diff == 0
    }

    /// Decides what to do with one request.
    pub fn handle(&mut self, inb: &Inbound<'_>) -> Decision {
        if inb.bytes.len() > self.cfg.limits.max_request_bytes {
            return self.drop(DropReason::TooLarge);
        }
        if !self.requests.allow(inb.src.ip(), inb.now) {
            return self.drop(DropReason::RateLimited);
        }
        let Ok(req) = parse_request(inb.bytes) else {
            return self.drop(DropReason::NotATest);
        };
        if !self.token_ok(req.token.as_deref()) {
            return self.refuse(ReplyCode::Unauthorized, inb);
        }
        match req.test {
            Test::Echo => {
                let r = encode_reply(ReplyCode::Echo, (inb.transport, inb.src), None, inb.bytes);
                debug_assert!(r.len() <= inb.bytes.len() + MAX_OVERHEAD);
                Decision::Reply(r)
            }
            Test::Probe { port, target } => self.probe(inb, port, target),
            Test::Callback { after } => self.callback(inb, after),
        }
    }

    /// Queues the NAT binding callback: one datagram, no larger than the
    /// request, to the exact address:port that asked, after `after` s.
    fn callback(&mut self, inb: &Inbound<'_>, after: u32) -> Decision {
        if inb.transport != Transport::Udp || !self.callbacks.enabled() {
            return self.refuse(ReplyCode::Forbidden, inb);
        }
        if after == 0 || after > self.cfg.limits.max_callback_seconds {
            return self.refuse(ReplyCode::BadRequest, inb);
        }
        let ack = encode_after(ReplyCode::Scheduled, inb.src, after);
        let later = encode_after(ReplyCode::Callback, inb.src, after);
        if ack.len().max(later.len()) > inb.bytes.len() {
            return self.drop(DropReason::TooShortToRefuse);
        }
        if !self.callback_rate.allow(inb.src.ip(), inb.now) {
            return self.refuse(ReplyCode::Busy, inb);
        }
        let due = inb.now + Duration::from_secs(u64::from(after));
        if self
            .callbacks
            .schedule(inb.local, inb.src, due, later)
            .is_err()
        {
            return self.refuse(ReplyCode::Busy, inb);
        }
        Decision::Reply(ack)
    }

    /// When the socket `via` must next send a callback.
    #[must_use]
    pub fn next_callback(&self, via: SocketAddr) -> Option<Instant> {
        self.callbacks.next_due(via)
    }

    /// One callback the socket `via` must send by `now`: where, and what.
    pub fn due_callback(&mut self, via: SocketAddr, now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        self.callbacks.pop_due(via, now)
    }

    /// Callbacks waiting.
    #[must_use]
    pub fn pending_callbacks(&self) -> usize {
        self.callbacks.len()
    }

    fn probe(
        &mut self,
        inb: &Inbound<'_>,
        port: u16,
        target: Option<std::net::IpAddr>,
    ) -> Decision {
        let p = &self.cfg.probe;
        if !p.enabled || (inb.transport == Transport::Udp && !p.allow_udp_requests) {
            return self.refuse(ReplyCode::Forbidden, inb);
        }
        // Only the requester's own address, only configured ports.
        let own = inb.src.ip();
        let own = own.to_canonical();
        if target.is_some_and(|t| t.to_canonical() != own) || !p.ports.contains(&port) {
            return self.refuse(ReplyCode::Forbidden, inb);
        }
        if inb.bytes.len() < PROBE_REQUEST_MIN {
            return self.refuse(ReplyCode::BadRequest, inb);
        }
        if !self.probes.allow(own, inb.now) {
            return self.refuse(ReplyCode::Busy, inb);
        }
        let id = self.next_id;
        self.next_id += 1;
        Decision::Probe(ProbePlan {
            target: SocketAddr::new(own, port),
            timeout: Duration::from_millis(p.timeout_ms),
            id,
            observed: (inb.transport, inb.src),
            request_len: inb.bytes.len(),
        })
    }
}

#[cfg(test)]
#[path = "reflector_tests.rs"]
mod tests;
