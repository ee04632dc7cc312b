//! Request floods.
//!
//! **Attack**: SIPPTS `sipflood`, SIPp or bots sending INVITE/REGISTER/OPTIONS
//! far faster than any phone; also the Talos "ghost call attack" of many
//! INVITEs that make phones ring.
//!
//! **Signals**: requests from one source per window, and INVITEs per a
//! longer window.
//!
//! **Defaults**: 200 requests within 10 s, or 100 INVITEs within 60 s (the
//! Emerging Threats rule). Confidence 80. Kamailio's pike default (16 in 2 s)
//! is tuned for a proxy; 50 phones behind one NAT re-registering after an
//! outage send about 100 requests at once, so the request threshold sits
//! above that.
//!
//! **Threads**: with `analyze --threads N` this detector runs in the engine
//! of the requester (a request's source, a response's destination), which
//! sees all of that requester's exchanges with every responder, so it
//! counts as with one thread.
//!
//! **False positives**: a large site behind one NAT, a busy trunk (trust or
//! allowlist it; per-peer thresholds come with `guard`).
//!
//! **References**: threat notes; ET `SCAN` SIP flood rules; Talos SID 1:26229-ish
//! "ghost call" family; Kamailio `pike` module.

use std::net::IpAddr;

use ghostguard_packet::{Span, Timestamp};
use ghostguard_sip::Method;

use crate::config::Thresholds;
use crate::detector::{Detector, secs};
use crate::event::Ctx;
use crate::finding::{Args, Hit, Kind, push_arg};
use crate::window::{Counter, KeyHasher, Table};

#[derive(Debug, Default)]
struct State {
    requests: Counter,
    invites: Counter,
}

#[derive(Debug)]
pub(crate) struct Flood {
    requests: u32,
    window: Span,
    invites: u32,
    invite_window: Span,
    by_source: Table<IpAddr, State>,
    /// Recent transactions (source, Via branch, CSeq): a retransmission
    /// (RFC 3261 §17.1: the same request again, for up to 64·T1 = 32 s)
    /// is not a new request. Fifty phones behind one NAT retransmitting
    /// their REGISTERs during a registrar outage are not a flood.
    /// At most [`MAX_RETRANSMITS`] copies are free: a "retransmission"
    /// flood (one transaction sent ten thousand times) still counts.
    seen: Table<u64, (Option<Timestamp>, u8)>,
    hasher: KeyHasher,
}

/// DoS: transactions remembered for retransmission checks; the least
/// recently seen go first (a retransmission of an evicted one counts again).
const MAX_TRANSACTIONS: usize = 65_536;

/// UDP retransmissions of one request within 64·T1 (RFC 3261 §17.1.1.2:
/// 500 ms doubling to 4 s within 32 s gives at most about 11).
const MAX_RETRANSMITS: u8 = 11;

impl Flood {
    pub(crate) fn new(t: &Thresholds, cap: usize) -> Self {
        Flood {
            requests: t.flood_requests,
            window: Span::from_secs(t.flood_window_secs.into()),
            invites: t.invite_flood,
            invite_window: Span::from_secs(t.invite_flood_window_secs.into()),
            by_source: Table::new(cap),
            seen: Table::new(MAX_TRANSACTIONS),
            hasher: KeyHasher::default(),
        }
    }
}

impl Detector for Flood {
    fn name(&self) -> &'static str {
        "flood"
    }

    fn keyed_by_requester(&self) -> bool {
        true
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        let Some(method) = ctx.method else { return };
        if matches!(method, Method::Ack | Method::Cancel | Method::Bye) {
            return;
        }
        if let (Some(branch), Some(cseq)) = (ctx.branch(), ctx.cseq.as_ref()) {
            let key = self.hasher.hash(&(ctx.src, branch, cseq.seq, method));
            let (first, copies) = self.seen.entry(&key);
            let again = first.is_some_and(|t| ctx.ts.since(t) < Span::from_secs(32));
            if !again {
                *first = Some(ctx.ts);
                *copies = 0;
            } else if *copies < MAX_RETRANSMITS {
                *copies += 1;
                return;
            }
        }
        let st = self.by_source.entry(&ctx.src);
        let n = st.requests.hit(ctx.ts, self.window);
        if n >= self.requests {
            out.push(Hit::new(ctx.src, Kind::Flood, 80, "request-rate").magnitude(n));
        }
        if method == Method::Invite {
            let n = st.invites.hit(ctx.ts, self.invite_window);
            if n >= self.invites {
                out.push(Hit::new(ctx.src, Kind::Flood, 80, "invite-rate").magnitude(n));
            }
        }
    }

    fn describe(&self, hit: &Hit, _ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        if hit.code == "request-rate" {
            push_arg(&mut args, "requests", hit.magnitude.to_string());
            push_arg(&mut args, "window_secs", secs(self.window));
        } else {
            push_arg(&mut args, "invites", hit.magnitude.to_string());
            push_arg(&mut args, "window_secs", secs(self.invite_window));
        }
        args
    }
}
