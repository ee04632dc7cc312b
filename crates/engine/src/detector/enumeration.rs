//! Extension enumeration.
//!
//! **Attack**: SIPVicious `svwar` (REGISTER by default, or OPTIONS/INVITE)
//! tries extensions 100–999 (or 1000–9900, or a list) and watches which
//! answer differently from "no such user"; SIPPTS `sipexten` does the same.
//!
//! **Signals**: distinct target users (To user, else Request-URI user) in
//! out-of-dialog requests (no To-tag) from one source within a window. Error answers (404, 403, 401,
//! 407, 484) sent back to the source are counted as supporting evidence.
//!
//! **Defaults**: 6 distinct users within 10 s (one existing tool flags more
//! than 5 in 5 s; a slower window catches throttled scans). Confidence 80.
//! Error bursts alone are weak (35).
//!
//! **False positives**: a trusted proxy or PBX delivering calls to many users
//! (trusted sources are never called malicious); a click-to-dial or
//! autodialler platform sending to many users (allowlist it).
//!
//! **References**: threat notes; SIPVicious `svwar.py`.

use std::net::IpAddr;

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
    errors: Counter,
}

#[derive(Debug)]
pub(crate) struct Enumeration {
    targets: u32,
    window: Span,
    by_source: Table<IpAddr, State>,
    hasher: KeyHasher,
}

impl Enumeration {
    pub(crate) fn new(t: &Thresholds, cap: usize) -> Self {
        Enumeration {
            targets: t.enumeration_targets,
            window: Span::from_secs(t.enumeration_window_secs.into()),
            by_source: Table::new(cap),
            hasher: KeyHasher::default(),
        }
    }
}

impl Detector for Enumeration {
    fn name(&self) -> &'static str {
        "enumeration"
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        if ctx.is_request() {
            // Only requests outside a dialog probe for users; a BYE or a
            // re-INVITE (To-tag present) goes to whoever the phone talks to.
            if ctx.in_dialog {
                return;
            }
            let Some(user) = ctx.target_user() else {
                return;
            };
            let st = self.by_source.entry(&ctx.src);
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
            let Some(st) = self.by_source.get(&ctx.dst) else {
                return;
            };
            let n = st.errors.hit(ctx.ts, self.window);
            if n >= 2 * self.targets {
                out.push(Hit::new(ctx.dst, Kind::Enumeration, 35, "error-burst").magnitude(n));
            }
        }
    }

    fn describe(&self, hit: &Hit, _ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        if hit.code == "distinct-users" {
            push_arg(&mut args, "users", hit.magnitude.to_string());
            push_arg(&mut args, "window_secs", secs(self.window));
            let sample = self
                .by_source
                .peek(&hit.source)
                .map(|s| s.sample.join(", "))
                .unwrap_or_default();
            push_arg(&mut args, "sample", sample);
        } else {
            push_arg(&mut args, "errors", hit.magnitude.to_string());
        }
        args
    }
}
