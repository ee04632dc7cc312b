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
//! requests outside a dialog are looked at (scanners send them; inside a
//! dialog From/To are the dialog's, so a victim's BYE would match).
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

use ghostguard_sip::NameAddr;

use crate::detector::Detector;
use crate::event::{Ctx, text};
use crate::finding::{Args, Hit, push_arg};
use crate::rules::{Field, Rules};

#[derive(Debug)]
pub(crate) struct Signatures {
    rules: Arc<Rules>,
}

impl Signatures {
    pub(crate) fn new(rules: Arc<Rules>) -> Self {
        Signatures { rules }
    }

    /// The display name and URI user of From or To.
    fn party(
        na: Option<&NameAddr<'_>>,
        display: Field,
        user: Field,
        f: &mut impl FnMut(Field, &[u8]),
    ) {
        if let Some(na) = na {
            if let Some(d) = &na.display {
                f(display, d);
            }
            if let Some(u) = na.uri.user {
                f(user, u);
            }
        }
    }

    /// Calls `f` with every field value of a request that rules can match.
    /// Fields no rule looks at are not parsed (the default rules have none
    /// for Contact, so its parse is saved on most requests).
    fn fields<'a>(r: &Rules, ctx: &Ctx<'a>, mut f: impl FnMut(Field, &[u8])) {
        let want = |field| r.has_field(field);
        if let Some(ua) = ctx.user_agent.filter(|_| want(Field::UserAgent)) {
            f(Field::UserAgent, ua);
        }
        if want(Field::FromDisplay) || want(Field::FromUser) {
            Self::party(ctx.from(), Field::FromDisplay, Field::FromUser, &mut f);
        }
        if want(Field::ToDisplay) || want(Field::ToUser) {
            Self::party(ctx.to(), Field::ToDisplay, Field::ToUser, &mut f);
        }
        if want(Field::ContactUser) {
            if let Some(u) = ctx.contact().and_then(|c| c.uri.user) {
                f(Field::ContactUser, u);
            }
        }
        if want(Field::RequestUser) {
            if let Some(u) = ctx.request_user() {
                f(Field::RequestUser, u);
            }
        }
        if let Some(cid) = ctx.call_id.filter(|_| want(Field::CallId)) {
            f(Field::CallId, cid);
        }
        if want(Field::SdpSession) || want(Field::SdpOrigin) {
            if let Some(s) = ctx.sdp() {
                if let Some(name) = s.session_name {
                    f(Field::SdpSession, name);
                }
                if let Some(o) = &s.origin {
                    f(Field::SdpOrigin, o.username);
                }
            }
        }
    }
}

/// The strongest signature an initial request matches (inline verdicts:
/// judged on the packet alone, before the engine has seen it). In-dialog
/// requests and responses never match, as in the detector.
#[must_use]
pub fn strongest<'r>(
    rules: &'r Rules,
    d: &ghostguard_packet::Datagram<'_>,
    m: &ghostguard_sip::Message<'_>,
) -> Option<&'r crate::rules::Signature> {
    let (src, dst) = (d.src.ip(), d.dst.ip());
    let ctx = Ctx::new(d, m, src, dst, false, false, false);
    if !ctx.is_request() || ctx.in_dialog() {
        return None;
    }
    let mut best: Option<&crate::rules::Signature> = None;
    Signatures::fields(rules, &ctx, |field, value| {
        if let Some((_, sig)) = rules.best_match(field, value)
            && best.is_none_or(|b| sig.confidence > b.confidence)
        {
            best = Some(sig);
        }
    });
    best
}

impl Detector for Signatures {
    fn name(&self) -> &'static str {
        "signature"
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        // In-dialog requests (BYE, ACK, re-INVITE) carry the dialog's
        // identities: a phone hanging up on caller "100" is not a scanner.
        if !ctx.is_request() || ctx.in_dialog() {
            return;
        }
        let r = &*self.rules;
        Self::fields(r, ctx, |field, value| {
            if let Some((i, sig)) = r.best_match(field, value) {
                out.push(
                    Hit::new(ctx.src, sig.kind.into(), sig.confidence, "signature").key(i as u32),
                );
            }
        });
    }

    fn describe(&self, hit: &Hit, ctx: &Ctx<'_>) -> Args {
        let r = &*self.rules;
        let mut args = Args::new();
        let Some(sig) = r.get(hit.key as usize) else {
            return args;
        };
        push_arg(&mut args, "rule", sig.id.clone());
        push_arg(&mut args, "tool", sig.tool.clone());
        push_arg(&mut args, "field", sig.field.as_str());
        let mut value = None;
        Self::fields(r, ctx, |field, v| {
            if value.is_none()
                && field == sig.field
                && r.best_match(field, v)
                    .is_some_and(|(i, _)| i == hit.key as usize)
            {
                value = Some(text(v));
            }
        });
        push_arg(&mut args, "value", value.unwrap_or_default());
        args
    }
}
