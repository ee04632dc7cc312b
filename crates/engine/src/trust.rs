//! Who is trusted, and which addresses are phones.
//!
//! Trusted servers are given (`--trusted`) and, unless switched off,
//! inferred from the traffic: a server that answers a REGISTER *from inside
//! the LAN* (a private or `lan` address, a sender on the captured segment,
//! or a configured phone) with 200 is a registrar; sources in
//! the same /24 (IPv4) or /48 (IPv6) as an outside registrar are the
//! provider's other servers. Two outside hosts cannot make each other
//! trusted, an on-site PBX does not make its LAN trusted, and a source with
//! a named attack tool is never trusted by inference (`finish`). Phones are the configured
//! ones, addresses that registered successfully, and internal addresses that
//! answered an INVITE.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ghostguard_sip::Method;
use ipnet::IpNet;
use serde::Serialize;

use crate::event::Ctx;
use crate::net::{PrefixList, is_private};
use crate::window::{KeyHasher, Table};

/// Why an address is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustReason {
    Configured,
    Registrar,
    OutboundProxy,
    ProviderNetwork,
}

/// DoS: inferred servers and known phones are capped; past the cap new ones
/// are not added (a capture cannot make us trust the world).
pub(crate) const MAX_INFERRED: usize = 256;
pub(crate) const MAX_PHONES: usize = 65_536;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Phone {
    /// The registrar that accepted its REGISTER.
    pub registrar: Option<IpAddr>,
    pub answered_invite: bool,
    pub configured: bool,
}

#[derive(Debug, Default)]
struct Pending {
    phone: Option<IpAddr>,
    server: Option<IpAddr>,
    /// The REGISTER came from inside or from a configured phone.
    vouches: bool,
}

#[derive(Debug)]
pub(crate) struct Trust {
    given: PrefixList,
    allow: PrefixList,
    infer: bool,
    pub(crate) inferred: BTreeMap<IpAddr, TrustReason>,
    /// The provider networks (/24, /48) of the outside registrars in
    /// `inferred`: their other addresses are the provider's servers.
    registrar_nets: Vec<IpNet>,
    pub(crate) phones: HashMap<IpAddr, Phone, foldhash::fast::RandomState>,
    pending: Table<u64, Pending>,
    hasher: KeyHasher,
}

fn provider_net(ip: IpAddr) -> Option<IpNet> {
    let len = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, len).ok().map(|n| n.trunc())
}

impl Trust {
    pub(crate) fn new(
        given: Vec<IpNet>,
        allow: Vec<IpNet>,
        infer: bool,
        phones: &[IpAddr],
    ) -> Self {
        let phones = phones
            .iter()
            .map(|&p| {
                (
                    p,
                    Phone {
                        configured: true,
                        ..Phone::default()
                    },
                )
            })
            .collect();
        Trust {
            given: PrefixList::new(given),
            allow: PrefixList::new(allow),
            infer,
            inferred: BTreeMap::new(),
            registrar_nets: Vec::new(),
            phones,
            pending: Table::new(16_384),
            hasher: KeyHasher::default(),
        }
    }

    pub(crate) fn set_given(&mut self, nets: Vec<IpNet>) {
        self.given = PrefixList::new(nets);
    }

    pub(crate) fn is_trusted(&self, ip: IpAddr) -> bool {
        if self.given.contains(ip) {
            return true;
        }
        if !self.infer {
            return false;
        }
        if self.inferred.contains_key(&ip) {
            return true;
        }
        // An outside registrar's neighbours (the provider's other servers),
        // but never a phone that registered there (a NAT address in the
        // provider's range is a customer), and never around an on-site PBX
        // (its /24 is the LAN, where an infected host may sit).
        self.registrar_nets.iter().any(|n| n.contains(&ip))
            && self.phones.get(&ip).is_none_or(|p| p.registrar.is_none())
    }

    pub(crate) fn trust_reason(&self, ip: IpAddr) -> Option<TrustReason> {
        if self.given.contains(ip) {
            return Some(TrustReason::Configured);
        }
        if !self.infer {
            return None;
        }
        if let Some(r) = self.inferred.get(&ip) {
            return Some(*r);
        }
        self.is_trusted(ip).then_some(TrustReason::ProviderNetwork)
    }

    pub(crate) fn is_allowlisted(&self, ip: IpAddr) -> bool {
        self.allow.contains(ip)
    }

    /// The registrar a phone registered with.
    pub(crate) fn registrar_of(&self, ip: IpAddr) -> Option<IpAddr> {
        self.phones.get(&ip).and_then(|p| p.registrar)
    }

    pub(crate) fn is_phone(&self, ip: IpAddr) -> bool {
        self.phones.contains_key(&ip)
    }

    fn add_phone(&mut self, ip: IpAddr) -> Option<&mut Phone> {
        if !self.phones.contains_key(&ip) && self.phones.len() >= MAX_PHONES {
            return None;
        }
        Some(self.phones.entry(ip).or_default())
    }

    /// Trusts `ip` for `why` (an address trusted already keeps its reason).
    pub(crate) fn infer_server(&mut self, ip: IpAddr, why: TrustReason) {
        if self.inferred.len() >= MAX_INFERRED {
            return;
        }
        let stored = *self.inferred.entry(ip).or_insert(why);
        if stored == TrustReason::Registrar && !is_private(ip) {
            if let Some(n) = provider_net(ip).filter(|n| !self.registrar_nets.contains(n)) {
                self.registrar_nets.push(n);
            }
        }
    }

    pub(crate) fn observe(&mut self, ctx: &Ctx<'_>) {
        let (Some(cid), Some(cseq)) = (ctx.call_id, ctx.cseq.as_ref()) else {
            return;
        };
        if ctx.method == Some(Method::Register) {
            let k = self.hasher.hash(&(ctx.src, ctx.dst, cid, cseq.seq));
            // Only a REGISTER from inside (or from a configured phone) may make
            // its registrar trusted: two outside hosts cannot vouch for each
            // other (an attacker pair would otherwise trust its own /24).
            // A sender on the captured segment (its TTL/hop limit still an initial
            // value, so no router in between) is inside too: that covers phones
            // with global IPv6 addresses. Internet hosts arrive routed.
            let local = matches!(ctx.d.ttl, 64 | 128 | 255) && !ctx.d.hep;
            let vouches = ctx.src_internal
                || local
                || self.phones.get(&ctx.src).is_some_and(|p| p.configured);
            *self.pending.entry(&k) = Pending {
                phone: Some(ctx.src),
                server: Some(ctx.dst),
                vouches,
            };
            return;
        }
        // Only 101-299 answers teach anything; looking others up would
        // also refresh their entries (`Engine::teaches_trust` relies on it).
        if ctx.method.is_some() || !(101..300).contains(&ctx.status) {
            return;
        }
        // A response travels server -> phone.
        let k = self.hasher.hash(&(ctx.dst, ctx.src, cid, cseq.seq));
        let Some(p) = self.pending.get(&k) else {
            if cseq.method == Method::Invite && (101..300).contains(&ctx.status) && ctx.src_internal
            {
                if let Some(ph) = self.add_phone(ctx.src) {
                    ph.answered_invite = true;
                }
            }
            return;
        };
        let (Some(phone), Some(server), vouches) = (p.phone, p.server, p.vouches) else {
            return;
        };
        if cseq.method == Method::Register && (200..300).contains(&ctx.status) {
            if let Some(ph) = self.add_phone(phone) {
                ph.registrar = Some(server);
            }
            if self.infer && vouches {
                self.infer_server(server, TrustReason::Registrar);
            }
        }
    }

    /// Trusted servers for the report.
    pub(crate) fn list(&self) -> Vec<(String, TrustReason)> {
        let mut v: Vec<(String, TrustReason)> = self
            .given
            .iter()
            .map(|n| (n.to_string(), TrustReason::Configured))
            .collect();
        if self.infer {
            v.extend(self.inferred.iter().map(|(ip, r)| (ip.to_string(), *r)));
        }
        v
    }
}
