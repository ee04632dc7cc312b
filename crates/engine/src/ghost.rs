//! INVITE dialogs toward possible phones: who called, and did it ring.
//!
//! Every initial INVITE (no To-tag) is recorded with its caller ID; the
//! answers from the callee mark it as ringing (180/183) or answered (2xx).
//! Which of these are *ghost calls* is decided at the end, when the trusted
//! servers and the phones are known (see `Engine::finish`).
//!
//! A source's ghost calls are abuse on their own (the malicious threshold,
//! kind `ghost-call`) when it is outside the LAN and the trusted servers
//! are known (given, or inferred from registrations), and when the source
//! is malicious for other reasons (an infected LAN host that scans and
//! rings the phones). Otherwise (a LAN host, or nobody known to trust) they
//! are context at confidence 40: an internal phone or PBX may call a phone.

use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ghostguard_sip::Method;

use crate::event::{Ctx, text};
use crate::window::{KeyHasher, Table};

/// DoS: at most this many calls are kept for the report; later ones are
/// counted in `dropped`.
pub(crate) const MAX_CALLS: usize = 20_000;

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub phone: IpAddr,
    pub source: IpAddr,
    pub caller: String,
    pub display: Option<String>,
    /// The user dialled (Request-URI user, else To user).
    pub callee: Option<String>,
    pub user_agent: Option<String>,
    pub time: Timestamp,
    pub rang: bool,
    pub answered: bool,
    pub final_status: Option<u16>,
    pub source_internal: bool,
}

#[derive(Debug)]
pub(crate) struct Calls {
    pub(crate) list: Vec<Call>,
    pub(crate) dropped: u64,
    /// Live use (`guard`): a full list starts over instead of dropping new
    /// calls (each was already handed out as an action), and the newest
    /// call is kept for [`Calls::take_new`].
    pub(crate) streaming: bool,
    fresh: Option<usize>,
    pub(crate) index: Table<u64, Option<usize>>,
    hasher: KeyHasher,
}

impl Calls {
    pub(crate) fn new() -> Self {
        Calls {
            list: Vec::new(),
            dropped: 0,
            streaming: false,
            fresh: None,
            index: Table::new(MAX_CALLS),
            hasher: KeyHasher::default(),
        }
    }

    /// Records initial INVITEs and the callee's answers. INVITEs from a
    /// source already known to be trusted are not kept (they cannot be
    /// ghost calls), which keeps the bound for the calls that matter.
    pub(crate) fn observe(&mut self, ctx: &Ctx<'_>, src_trusted: bool) {
        if ctx.method == Some(Method::Invite) {
            // Only INVITEs that may reach a phone: to an internal address,
            // a known phone, or IPv6 (global phone addresses). A phone's
            // own calls out to the provider do not use up the bound.
            let maybe_phone = ctx.dst_internal || ctx.dst_phone || ctx.dst.is_ipv6();
            if ctx.in_dialog() || src_trusted || !maybe_phone {
                return;
            }
            let Some(cid) = ctx.call_id else { return };
            let key = self.hasher.hash(&(cid, ctx.dst));
            let slot = self.index.entry(&key);
            if slot.is_some() {
                return; // retransmission
            }
            if self.list.len() >= MAX_CALLS {
                if !self.streaming {
                    self.dropped += 1;
                    return;
                }
                self.list.clear();
                self.index = Table::new(MAX_CALLS);
                self.fresh = Some(0);
                *self.index.entry(&key) = Some(0);
            } else {
                *slot = Some(self.list.len());
                self.fresh = Some(self.list.len());
            }
            let from = ctx.from();
            self.list.push(Call {
                phone: ctx.dst,
                source: ctx.src,
                caller: from.and_then(|f| f.uri.user.map(text)).unwrap_or_default(),
                display: from.and_then(|f| f.display.as_ref().map(|d| text(d))),
                callee: ctx.request_user().or_else(|| ctx.target_user()).map(text),
                user_agent: ctx.user_agent.map(text),
                time: ctx.ts,
                rang: false,
                answered: false,
                final_status: None,
                source_internal: ctx.src_internal,
            });
        } else if ctx.status >= 101
            && ctx
                .cseq
                .as_ref()
                .is_some_and(|c| c.method == Method::Invite)
        {
            let Some(cid) = ctx.call_id else { return };
            // The callee answers: the response's source is the phone.
            let key = self.hasher.hash(&(cid, ctx.src));
            let Some(Some(i)) = self.index.peek(&key).copied() else {
                return;
            };
            let Some(call) = self.list.get_mut(i) else {
                return;
            };
            match ctx.status {
                180 | 183 => call.rang = true,
                200..=299 => {
                    call.rang = true;
                    call.answered = true;
                }
                _ => {}
            }
            if ctx.status >= 200 && call.final_status.is_none() {
                call.final_status = Some(ctx.status);
            }
        }
    }

    /// The call recorded by the last `observe`, if it recorded one.
    pub(crate) fn take_new(&mut self) -> Option<&Call> {
        self.fresh.take().and_then(|i| self.list.get(i))
    }
}
