//! Extension enumeration.
//!
//! **Attack**: SIPVicious `svwar` (REGISTER by default, or OPTIONS/INVITE)
//! tries extensions 100–999 (or 1000–9900, or a list) and watches which
//! answer differently from "no such user"; SIPPTS `sipexten` does the same.
//!
//! **Signals**: distinct target users (To user, else Request-URI user) in
//! requests from one source within a window. Error answers (404, 403, 401,
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
use crate::detector::Detector;
use crate::event::{Ctx, target_user, text};
use crate::finding::{Evidence, Finding, Kind};
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

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        if ctx.is_request() {
            let Some(user) = target_user(ctx.m) else {
                return;
            };
            let st = self.by_source.entry(&ctx.src);
            let n = st
                .users
                .insert(ctx.ts, self.window, self.hasher.hash(&*user));
            if st.sample.len() < 8 && !st.sample.iter().any(|s| s.as_bytes() == &*user) {
                st.sample.push(text(&user));
            }
            if n >= self.targets as usize {
                let ev = Evidence::new(
                    "enumeration",
                    Kind::Enumeration,
                    80,
                    "distinct-users",
                    ctx.ts,
                )
                .arg("users", n.to_string())
                .arg(
                    "window_secs",
                    (self.window.as_nanos() / 1_000_000_000).to_string(),
                )
                .arg("sample", st.sample.join(", "));
                out.push(Finding {
                    source: ctx.src,
                    evidence: ev,
                });
            }
        } else if matches!(ctx.status, 403 | 404 | 401 | 407 | 484) {
            // An error answer goes back to the requester: the packet's destination.
            let Some(st) = self.by_source.get(&ctx.dst) else {
                return;
            };
            let n = st.errors.hit(ctx.ts, self.window);
            if n >= 2 * self.targets {
                let ev = Evidence::new("enumeration", Kind::Enumeration, 35, "error-burst", ctx.ts)
                    .arg("errors", n.to_string());
                out.push(Finding {
                    source: ctx.dst,
                    evidence: ev,
                });
            }
        }
    }
}
