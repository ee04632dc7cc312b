//! Exposure: SIP requests from the internet that reach an internal address.
//!
//! On a LAN capture, an unsolicited request from an outside address to a
//! phone's private address means the router passes it in: a port forward, a
//! DMZ host, a UPnP opening, or an ALG/hardware-NAT pinhole. When the
//! Request-URI names a public address while the packet went to a private
//! one, the router translated the destination: that is a port forward. The
//! SIPVicious svmap tag, which encodes the address it aimed at, shows the
//! same. Whether the source was trusted is decided at the end.
//!
//! DoS: per-source state is a bounded table.

use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ghostguard_sip::Host;

use crate::event::Ctx;
use crate::net::is_private;
use crate::window::Table;

#[derive(Debug, Clone, Default)]
pub(crate) struct Inbound {
    pub requests: u64,
    pub first: Timestamp,
    pub dst: Option<std::net::SocketAddr>,
    /// A public Request-URI host seen on a request delivered to a private address.
    pub dnat_from: Option<IpAddr>,
}

#[derive(Debug)]
pub(crate) struct Exposure {
    pub(crate) by_source: Table<IpAddr, Inbound>,
}

impl Exposure {
    pub(crate) fn new(cap: usize) -> Self {
        Exposure {
            by_source: Table::new(cap),
        }
    }

    pub(crate) fn observe(&mut self, ctx: &Ctx<'_>) {
        // IPv6 phones often have global addresses behind a firewall pinhole,
        // so IPv6 destinations are kept too; `finish` keeps those that turn
        // out to be phones outside the source's /64.
        if !ctx.is_request() || ctx.src_internal || !(ctx.dst_internal || ctx.dst.is_ipv6()) {
            return;
        }
        let st = self.by_source.entry(&ctx.src);
        if st.requests == 0 {
            st.first = ctx.ts;
            st.dst = Some(ctx.d.dst);
        }
        st.requests += 1;
        if st.dnat_from.is_none() {
            if let Some(uri) = ctx.ruri() {
                let host = match uri.host {
                    Host::Ipv4(a) => Some(IpAddr::V4(a)),
                    Host::Ipv6(a) => Some(IpAddr::V6(a)),
                    Host::Domain(_) => None,
                };
                if let Some(h) = host.filter(|h| !is_private(*h) && *h != ctx.dst) {
                    st.dnat_from = Some(h);
                }
            }
        }
    }
}
