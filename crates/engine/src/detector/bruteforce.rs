//! Password guessing.
//!
//! **Attack**: SIPVicious `svcrack`, SIPPTS `siprcrack` and many bots send
//! REGISTER (or INVITE) with a digest `Authorization` for one extension and
//! a new password each time; the registrar answers 401/403/407.
//!
//! **Signals**: a 401 or 407 answer (403 for a REGISTER) to a request that
//! *carried credentials*, matched by Call-ID and CSeq, counted once per
//! request (a retransmitted 401 is not a second failure). A `stale=true`
//! challenge only refreshes an expired nonce and is not counted. The first 401 challenge of a
//! normal registration answers a request without credentials, so it is not
//! a failure. That is the rule people asked for after tools banned every
//! phone that registered.
//!
//! **Defaults**: 5 failures within 360 s (the Emerging Threats rule).
//! Confidence 85.
//!
//! A credentialed request accepted (2xx) after at least that many failures
//! is `password-guessed` (95): the account is compromised.
//!
//! **Threads**: with `analyze --threads N` this detector runs in the engine
//! of the requester (a request's source, a response's destination), which
//! sees all of that requester's exchanges with every responder, so it
//! counts as with one thread.
//!
//! **False positives**: a phone with a wrong password retrying faster than
//! once a minute. It is broken and worth finding, but allowlist it if the
//! ban hurts.
//!
//! **References**: threat notes; RFC 3261 §22.2 (digest challenge);
//! SIPVicious `svcrack.py`.

use std::net::IpAddr;

use ghostguard_packet::Span;
use ghostguard_sip::{HeaderName, Method};

use crate::config::Thresholds;
use crate::detector::{Detector, secs};
use crate::event::{Ctx, contains_ci, text};
use crate::finding::{Args, Hit, Kind, push_arg};
use crate::window::{Counter, KeyHasher, Table};

/// Whether a 401/407 carries `stale=true` (RFC 3261 §22.4; RFC 2617 §3.2.1).
fn stale_challenge(ctx: &Ctx<'_>) -> bool {
    [HeaderName::WwwAuthenticate, HeaderName::ProxyAuthenticate]
        .into_iter()
        .any(|name| {
            ctx.m.headers_named(name).any(|h| {
                contains_ci(h.raw_value, b"stale=true")
                    || contains_ci(h.raw_value, b"stale=\"true\"")
            })
        })
}

#[derive(Debug, Default)]
struct Pending {
    user: u64,
}

#[derive(Debug, Default)]
struct State {
    failures: Counter,
    /// Failures over the whole capture.
    total_failures: u32,
    users: Vec<(u64, String)>,
    /// The user whose guessed password was accepted.
    guessed: Option<u64>,
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
        let cid = ctx.call_id?;
        let seq = ctx.cseq.as_ref()?.seq;
        Some(self.hasher.hash(&(requester, cid, seq)))
    }

    fn on_request(&mut self, ctx: &Ctx<'_>) {
        if !ctx.m.has_credentials() {
            return;
        }
        let Some(k) = self.key(ctx.src, ctx) else {
            return;
        };
        let user = ctx.target_user();
        let hash = user.map_or(0, |u| self.hasher.hash(u));
        self.pending.entry(&k).user = hash;
        // Remember the user's name once per source, for the evidence.
        if let Some(u) = user {
            let st = self.by_source.entry(&ctx.src);
            if st.users.len() < 4 && !st.users.iter().any(|(h, _)| *h == hash) {
                st.users.push((hash, text(u)));
            }
        }
    }
}

impl Detector for Bruteforce {
    fn name(&self) -> &'static str {
        "bruteforce"
    }

    fn keyed_by_requester(&self) -> bool {
        true
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        if ctx.is_request() {
            self.on_request(ctx);
            return;
        }
        let success = (200..300).contains(&ctx.status);
        let register = ctx
            .cseq
            .as_ref()
            .is_some_and(|c| c.method == Method::Register);
        // 401/407 are failed credentials; 403 only for a REGISTER (to an
        // INVITE it also means "this number is barred").
        let failure = matches!(ctx.status, 401 | 407) || (ctx.status == 403 && register);
        if !success && !failure {
            return;
        }
        // A `stale=true` challenge refreshes an expired nonce: the password was right.
        if failure && stale_challenge(ctx) {
            return;
        }
        // The answer goes back to the requester: the packet's destination.
        let requester = ctx.dst;
        let Some(k) = self.key(requester, ctx) else {
            return;
        };
        // The first final answer settles the request: a retransmitted 401
        // is not a second failure.
        let Some(user) = self.pending.remove(&k).map(|p| p.user) else {
            return;
        };
        if success {
            // Credentials accepted right after a run of failures: a guess hit.
            let Some(st) = self.by_source.get(&requester) else {
                return;
            };
            if st.failures.count(ctx.ts, self.window) >= self.failures {
                st.guessed = Some(user);
                out.push(Hit::new(
                    requester,
                    Kind::Bruteforce,
                    95,
                    "password-guessed",
                ));
            }
            return;
        }
        let st = self.by_source.entry(&requester);
        st.total_failures = st.total_failures.saturating_add(1);
        let n = st.failures.hit(ctx.ts, self.window);
        if n >= self.failures {
            out.push(Hit::new(requester, Kind::Bruteforce, 85, "auth-failures").magnitude(n));
        }
    }

    fn describe(&self, hit: &Hit, _ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        let st = self.by_source.peek(&hit.source);
        if hit.code == "password-guessed" {
            let user = st
                .and_then(|s| {
                    s.guessed
                        .and_then(|g| s.users.iter().find(|(h, _)| *h == g))
                })
                .map(|(_, u)| u.clone())
                .unwrap_or_default();
            push_arg(&mut args, "user", user);
            push_arg(
                &mut args,
                "failures",
                st.map_or(0, |s| s.total_failures).to_string(),
            );
            return args;
        }
        push_arg(&mut args, "failures", hit.magnitude.to_string());
        push_arg(&mut args, "window_secs", secs(self.window));
        let users = st
            .map(|s| {
                s.users
                    .iter()
                    .map(|(_, u)| u.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        push_arg(&mut args, "users", users);
        args
    }
}
