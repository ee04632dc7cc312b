//! The output of the decoder, and the two ways a payload becomes one:
//! plainly, or unwrapped from HEP.

use core::net::SocketAddr;

use crate::hep::{self, HepError};
use crate::sip::looks_like_sip;
use crate::stats::DecodeStats;
use crate::time::Timestamp;

/// Transport protocol a payload travelled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

/// One SIP-candidate payload with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Capture time; for HEP, the agent's timestamp when it sent one.
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    /// IPv4 TTL / IPv6 hop limit of the outer IP packet (0 when unknown, and
    /// always 0 for HEP: the outer packet is the agent's, not the sender's).
    pub ttl: u8,
    /// IPv4 identification of the outer packet (None for IPv6 and HEP).
    pub ip_id: Option<u16>,
    /// From Ethernet or SLL/SLL2 (None for HEP).
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Outermost VLAN id (None for HEP).
    pub vlan: Option<u16>,
    pub interface: u32,
    /// UDP: the datagram payload; TCP: exactly one framed SIP message.
    pub payload: &'a [u8],
    /// Unwrapped from HEP: addresses, transport and time are the inner ones.
    pub hep: bool,
    /// Came out of IP reassembly.
    pub fragmented: bool,
}

/// What the outer packet says, carried to wherever a payload is emitted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outer {
    pub ts: Timestamp,
    pub ttl: u8,
    pub ip_id: Option<u16>,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    pub vlan: Option<u16>,
    pub interface: u32,
    pub fragmented: bool,
}

pub(crate) type Sink<'s> = &'s mut dyn FnMut(&Datagram<'_>);

impl Outer {
    pub(crate) fn emit(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        payload: &[u8],
        stats: &mut DecodeStats,
        sink: Sink<'_>,
    ) {
        stats.sip_payloads += 1;
        sink(&Datagram {
            ts: self.ts,
            src,
            dst,
            transport,
            ttl: self.ttl,
            ip_id: self.ip_id,
            src_mac: self.src_mac,
            dst_mac: self.dst_mac,
            vlan: self.vlan,
            interface: self.interface,
            payload,
            hep: false,
            fragmented: self.fragmented,
        });
    }

    /// Emits the inner payload of an already decoded HEP packet when it is
    /// SIP. The outer headers describe the agent, not the SIP sender, so
    /// TTL, IP id, MACs and VLAN are left unknown.
    pub(crate) fn emit_hep(&self, p: &hep::HepPacket<'_>, stats: &mut DecodeStats, sink: Sink<'_>) {
        stats.hep += 1;
        if !looks_like_sip(p.payload) {
            stats.non_sip += 1;
            return;
        }
        let inner = Outer {
            ts: p.ts.unwrap_or(self.ts),
            ttl: 0,
            ip_id: None,
            src_mac: None,
            dst_mac: None,
            vlan: None,
            ..*self
        };
        let transport = if p.ip_proto == crate::ip::PROTO_TCP {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        inner.emit(p.src, p.dst, transport, p.payload, stats, &mut |d| {
            sink(&Datagram { hep: true, ..*d })
        });
    }

    /// Decodes `buf` as HEP and emits its SIP payload; counts failures.
    pub(crate) fn decode_hep(
        &self,
        buf: &[u8],
        stats: &mut DecodeStats,
        sink: Sink<'_>,
    ) -> Result<(), HepError> {
        match hep::decode(buf) {
            Ok(p) => {
                self.emit_hep(&p, stats, sink);
                Ok(())
            }
            Err(e) => {
                stats.hep_errors += 1;
                Err(e)
            }
        }
    }
}
