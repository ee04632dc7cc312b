//! Looping traffic: the same frame seen again and again.
//!
//! A routing loop sends one packet around until its TTL runs out: the same
//! bytes appear many times with the TTL falling by one or two each time. A
//! bridge loop or a hub chain makes a storm: the same frame many times with
//! an unchanged TTL. SIP retransmissions (RFC 3261 Timer A: 0.5 s, 1 s, 2 s…)
//! and a capture that sees each packet on two interfaces give only a few
//! copies within the window, so they stay below the thresholds.
//!
//! DoS: a direct-mapped table of [`SLOTS`] entries; a collision overwrites.

use std::net::SocketAddr;

use ghostguard_packet::{Span, Timestamp};

use crate::event::Ctx;
use crate::window::KeyHasher;

const SLOTS: usize = 4096;
const WINDOW: Span = Span::from_secs(2);

/// A socket address as one number, for hashing (an IPv4 address as its
/// IPv4-mapped IPv6 form).
fn socket_key(sa: SocketAddr) -> (u128, u16) {
    let ip = match sa.ip() {
        std::net::IpAddr::V4(a) => a.to_ipv6_mapped(),
        std::net::IpAddr::V6(a) => a,
    };
    (u128::from(ip), sa.port())
}

#[derive(Debug, Clone, Default)]
struct Slot {
    key: u64,
    start: Timestamp,
    copies: u32,
    same_ttl: u32,
    first_ttl: u8,
    last_ttl: u8,
    ttl_drops: u32,
}

/// The worst loop seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoopSample {
    pub copies: u32,
    pub first_ttl: u8,
    pub last_ttl: u8,
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub ts: Timestamp,
    pub routing: bool,
}

#[derive(Debug)]
pub(crate) struct LoopWatch {
    slots: Vec<Slot>,
    hasher: KeyHasher,
    copies_needed: u32,
    /// Messages found looping.
    pub(crate) looping: u64,
    pub(crate) worst: LoopSample,
}

impl LoopWatch {
    pub(crate) fn new(copies_needed: u32) -> Self {
        LoopWatch {
            slots: vec![Slot::default(); SLOTS],
            hasher: KeyHasher::default(),
            copies_needed,
            looping: 0,
            worst: LoopSample::default(),
        }
    }

    pub(crate) fn observe(&mut self, ctx: &Ctx<'_>) {
        // The same frame: a looping packet and a storm repeat the same
        // bytes between the same sockets, so the whole payload is the key
        // (one pass over it; different messages of a flood differ in
        // Call-ID, branch or CSeq and so in their bytes). Copies of one
        // looping packet keep its IPv4 ID; a sender's own resends usually
        // get new ones (not over IPv6, or from stacks that send ID 0 with
        // DF set: there the storm threshold, twice the routing one, and the
        // 2 s window keep Timer A/G resends, at most three, below it).
        let key = self.hasher.hash(&(
            ctx.d.payload,
            ctx.d.ip_id,
            socket_key(ctx.d.src),
            socket_key(ctx.d.dst),
        ));
        let slot = &mut self.slots[(key as usize) % SLOTS];
        let ttl = ctx.d.ttl;
        if slot.key != key || ctx.ts.since(slot.start) > WINDOW {
            *slot = Slot {
                key,
                start: ctx.ts,
                copies: 1,
                same_ttl: 1,
                first_ttl: ttl,
                last_ttl: ttl,
                ttl_drops: 0,
            };
            return;
        }
        slot.copies += 1;
        if ttl < slot.last_ttl {
            slot.ttl_drops += 1;
        } else if ttl == slot.last_ttl {
            slot.same_ttl += 1;
        }
        slot.last_ttl = ttl;
        let routing = slot.ttl_drops + 1 >= self.copies_needed;
        let storm = slot.same_ttl >= 2 * self.copies_needed;
        // Count each looping message once, when it crosses the threshold.
        let crossed = (routing && slot.ttl_drops + 1 == self.copies_needed)
            || (storm && slot.same_ttl == 2 * self.copies_needed);
        if crossed {
            self.looping += 1;
        }
        if (routing || storm) && slot.copies > self.worst.copies {
            self.worst = LoopSample {
                copies: slot.copies,
                first_ttl: slot.first_ttl,
                last_ttl: ttl,
                src: Some(ctx.d.src),
                dst: Some(ctx.d.dst),
                ts: ctx.ts,
                routing,
            };
        }
    }
}
