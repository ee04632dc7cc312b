//! Password guessing.
//!
//! **Attack**: SIPVicious `svcrack`, SIPPTS `siprcrack` and many bots send
//! REGISTER (or INVITE) with a digest `Authorization` for one extension and
//! a new password each time; the registrar answers 401/403/407.
//!
//! **Signals**: a 401, 407 or 403 answer to a request that *carried
//! credentials*, matched by Call-ID and CSeq. The first 401 challenge of a
//! normal registration answers a request without credentials, so it is not
//! a failure. That is the rule people asked for after tools banned every
//! phone that registered.
//!
//! **Defaults**: 5 failures within 360 s (the Emerging Threats rule).
//! Confidence 85.
//!
//! **False positives**: a phone with a wrong password retrying faster than
//! once a minute. It is broken and worth finding, but allowlist it if the
//! ban hurts.
//!
//! **References**: threat notes; RFC 3261 §22.2 (digest challenge);
//! SIPVicious `svcrack.py`.

use std::net::IpAddr;

use ghostguard_packet::Span;

use crate::config::Thresholds;
use crate::detector::Detector;
use crate::event::{Ctx, target_user, text};
use crate::finding::{Evidence, Finding, Kind};
use crate::window::{Counter, KeyHasher, Table};

#[derive(Debug, Default)]
struct Pending {
    user: String,
}

#[derive(Debug, Default)]
struct State {
    failures: Counter,
    users: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Bruteforce {
    failures: u32,
    window: Span,
    /// Credentialed requests awaiting an answer, by (requester, Call-ID, CSeq).
    pending: Table<u64, Pending>,
    by_source: Table<IpAddr, State>,
    hasher: KeyHasher,
}

impl Bruteforce {
    pub(crate) fn new(t: &Thresholds, cap: usize) -> Self {
        Bruteforce {
            failures: t.bruteforce_failures,
            window: Span::from_secs(t.bruteforce_window_secs.into()),
            pending: Table::new(cap.min(65_536)),
            by_source: Table::new(cap),
            hasher: KeyHasher::default(),
        }
    }

    fn key(&self, requester: IpAddr, ctx: &Ctx<'_>) -> Option<u64> {
        let cid = ctx.m.call_id()?;
        let seq = ctx.m.cseq()?.seq;
        Some(self.hasher.hash(&(requester, cid, seq)))
    }
}

impl Detector for Bruteforce {
    fn name(&self) -> &'static str {
        "bruteforce"
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        if ctx.is_request() {
            if ctx.m.has_credentials() {
                if let Some(k) = self.key(ctx.src, ctx) {
                    let user = target_user(ctx.m).map(|u| text(&u)).unwrap_or_default();
                    self.pending.entry(&k).user = user;
                }
            }
            return;
        }
        if !matches!(ctx.status, 401 | 403 | 407) {
            return;
        }
        let requester = ctx.dst;
        let Some(k) = self.key(requester, ctx) else {
            return;
        };
        let Some(p) = self.pending.get(&k) else {
            return;
        };
        let user = std::mem::take(&mut p.user);
        let st = self.by_source.entry(&requester);
        let n = st.failures.hit(ctx.ts, self.window);
        if st.users.len() < 4 && !user.is_empty() && !st.users.contains(&user) {
            st.users.push(user);
        }
        if n >= self.failures {
            let ev = Evidence::new("bruteforce", Kind::Bruteforce, 85, "auth-failures", ctx.ts)
                .arg("failures", n.to_string())
                .arg(
                    "window_secs",
                    (self.window.as_nanos() / 1_000_000_000).to_string(),
                )
                .arg("users", st.users.join(", "));
            out.push(Finding {
                source: requester,
                evidence: ev,
            });
        }
    }
}
