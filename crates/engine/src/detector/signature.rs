//! Signature matching against the rules file.
//!
//! **Attack**: known tools announce themselves: SIPVicious sends
//! `User-Agent: friendly-scanner` and From display `sipvicious`, SIPPTS sends
//! `pplsip` and SDP `s=SIPPTS`, sipcli puts its name in the SDP origin, and
//! dialler SDKs (VaxSIPUserAgent, PortSIP, iWar) carry theirs.
//!
//! **Signals**: User-Agent, From/To display and user, Contact user,
//! Request-URI user, Call-ID, SDP `s=` and `o=` username, matched ASCII
//! case-insensitively with one Aho-Corasick automaton per field. Only
//! requests are looked at (scanners send requests).
//!
//! **Defaults**: each rule carries its own confidence; named attack tools
//! are 85–95 (malicious alone), spoofed mainstream User-Agents and common
//! ghost-call caller IDs are 15–20 (context only).
//!
//! **False positives**: an admin running sipsak or SIPVicious against their
//! own PBX (allowlist the admin host). Extension 100 or 1000 exists on many
//! PBXs, which is why those rules are weak.
//!
//! **References**: threat notes; Emerging Threats Open `ET SCAN` SIP rules.

use std::sync::Arc;

use ghostguard_sip::sdp;

use crate::detector::Detector;
use crate::event::{Ctx, has_sdp, request_user, text};
use crate::finding::{Evidence, Finding};
use crate::rules::{Field, Rules, Signature};

#[derive(Debug)]
pub(crate) struct Signatures {
    rules: Arc<Rules>,
}

impl Signatures {
    pub(crate) fn new(rules: Arc<Rules>) -> Self {
        Signatures { rules }
    }
}

fn push(out: &mut Vec<Finding>, ctx: &Ctx<'_>, sig: &Signature, field: Field, value: &[u8]) {
    let ev = Evidence::new(
        "signature",
        sig.kind.into(),
        sig.confidence,
        "signature",
        ctx.ts,
    )
    .arg("rule", sig.id.clone())
    .arg("tool", sig.tool.clone())
    .arg("field", field.as_str())
    .arg("value", text(value));
    out.push(Finding {
        source: ctx.src,
        evidence: ev,
    });
}

impl Detector for Signatures {
    fn name(&self) -> &'static str {
        "signature"
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        if !ctx.is_request() {
            return;
        }
        let m = ctx.m;
        let r = &*self.rules;
        let mut check = |field: Field, value: &[u8]| {
            if let Some(sig) = r.best_match(field, value) {
                push(out, ctx, sig, field, value);
            }
        };
        if let Some(ua) = m.user_agent() {
            check(Field::UserAgent, ua);
        }
        if let Some(from) = m.from() {
            if let Some(d) = &from.display {
                check(Field::FromDisplay, d);
            }
            if let Some(u) = from.uri.user {
                check(Field::FromUser, u);
            }
        }
        if let Some(to) = m.to() {
            if let Some(d) = &to.display {
                check(Field::ToDisplay, d);
            }
            if let Some(u) = to.uri.user {
                check(Field::ToUser, u);
            }
        }
        if let Some(u) = m.contact().and_then(|c| c.uri.user) {
            check(Field::ContactUser, u);
        }
        if let Some(u) = request_user(m) {
            check(Field::RequestUser, &u);
        }
        if let Some(cid) = m.call_id() {
            check(Field::CallId, cid);
        }
        if has_sdp(m) {
            let s = sdp::parse(m.body());
            if let Some(name) = s.session_name {
                check(Field::SdpSession, name);
            }
            if let Some(o) = &s.origin {
                check(Field::SdpOrigin, o.username);
            }
        }
    }
}
