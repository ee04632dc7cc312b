//! Extension enumeration.
//!
//! **Attack**: SIPVicious `svwar` (REGISTER by default, or OPTIONS/INVITE)
//! tries extensions 100–999 (or 1000–9900, or a list) and watches which
//! answer differently from "no such user"; SIPPTS `sipexten` does the same.
//!
//! **Signals**: distinct target users (To user, else Request-URI user) in
//! out-of-dialog requests (no To-tag) from one source address *and port*
//! within a window. The tools probe from one socket; phones behind one NAT
//! each get their own port, so an office re-registering after an outage
//! (50 phones, 50 users, one address) is not an enumeration. Error answers (404, 403, 401,
//! 407, 484) sent back to the source are counted as supporting evidence.
//!
//! **Defaults**: 6 distinct users within 10 s (one existing tool flags more
//! than 5 in 5 s; a slower window catches throttled scans). Confidence 80.
//! Error bursts alone are weak (35).
//!
//! **Threads**: with `analyze --threads N` this detector runs in the engine
//! of the requester (a request's source, a response's destination), which
//! sees all of that requester's exchanges with every responder, so it
//! counts as with one thread.
//!
//! **False positives**: a trusted proxy or PBX delivering calls to many users
//! (trusted sources are never called malicious); a click-to-dial or
//! autodialler platform sending to many users (allowlist it).
//!
//! **References**: threat notes; SIPVicious `svwar.py`.

use std::net::{IpAddr, SocketAddr};

use ghostguard_packet::Span;

use crate::config::Thresholds;
use crate::detector::{Detector, secs};
use crate::event::{Ctx, text};
use crate::finding::{Args, Hit, Kind, push_arg};
use crate::window::{Counter, Distinct, KeyHasher, Table};

#[derive(Debug, Default)]
struct State {
    users: Distinct,
    sample: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Enumeration {
    targets: u32,
    window: Span,
    /// Distinct users per source address and port.
    by_flow: Table<SocketAddr, State>,
    /// Error answers per requester address.
    errors: Table<IpAddr, Counter>,
    hasher: KeyHasher,
}

impl Enumeration {
    pub(crate) fn new(t: &Thresholds, cap: usize) -> Self {
        Enumeration {
            targets: t.enumeration_targets,
            window: Span::from_secs(t.enumeration_window_secs.into()),
            by_flow: Table::new(cap),
            errors: Table::new(cap),
            hasher: KeyHasher::default(),
        }
    }
}

impl Detector for Enumeration {
    fn name(&self) -> &'static str {
        "enumeration"
    }

    fn keyed_by_requester(&self) -> bool {
        true
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        if ctx.is_request() {
            // Only requests outside a dialog probe for users; a BYE or a
            // re-INVITE (To-tag present) goes to whoever the phone talks to.
            if ctx.in_dialog() {
                return;
            }
            let Some(user) = ctx.target_user() else {
                return;
            };
            let st = self.by_flow.entry(&ctx.d.src);
            let n = st.users.insert(ctx.ts, self.window, self.hasher.hash(user));
            if st.sample.len() < 8 && !st.sample.iter().any(|s| s.as_bytes() == user) {
                st.sample.push(text(user));
            }
            if n >= self.targets as usize {
                out.push(
                    Hit::new(ctx.src, Kind::Enumeration, 80, "distinct-users").magnitude(n as u32),
                );
            }
        } else if matches!(ctx.status, 403 | 404 | 401 | 407 | 484) {
            // An error answer goes back to the requester: the packet's destination.
            let n = self.errors.entry(&ctx.dst).hit(ctx.ts, self.window);
            if n >= 2 * self.targets {
                out.push(Hit::new(ctx.dst, Kind::Enumeration, 35, "error-burst").magnitude(n));
            }
        }
    }

    fn describe(&self, hit: &Hit, ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        if hit.code == "distinct-users" {
            push_arg(&mut args, "users", hit.magnitude.to_string());
            push_arg(&mut args, "window_secs", secs(self.window));
            let sample = self
                .by_flow
                .peek(&ctx.d.src)
                .map(|s| s.sample.join(", "))
                .unwrap_or_default();
            push_arg(&mut args, "sample", sample);
        } else {
            push_arg(&mut args, "errors", hit.magnitude.to_string());
        }
        args
    }
}
