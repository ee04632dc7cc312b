//! The decoder: frame in, SIP-candidate payloads out.

use core::net::SocketAddr;

use crate::datagram::{Datagram, Outer, Sink, Transport};
use crate::defrag::{Defragmenter, FragKey};
use crate::error::DecodeError;
use crate::hep::{self, HepError};
use crate::ip::{self, IpPacket, PROTO_TCP, PROTO_UDP};
use crate::link::{self, Frame, Net};
use crate::sip::looks_like_sip;
use crate::stats::DecodeStats;
use crate::tcp::{FlowKey, Segment, TcpLimits, TcpTable};
use crate::time::{Span, Timestamp};
use crate::wire::{be16, be32, u8_at};

/// Every bound the decoder keeps. Exceeding one never fails a frame: the
/// oldest state is dropped and counted instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// DoS: IP datagrams being reassembled at once; at the bound the oldest
    /// set is dropped (`fragment_evictions`).
    pub max_fragment_sets: usize,
    /// DoS: bytes held by all fragment sets; at the bound the oldest sets
    /// are dropped (`fragment_evictions`). One set is at most 64 KiB.
    pub max_fragment_bytes: usize,
    /// A set not completed this long after its first fragment is dropped
    /// (`fragment_timeouts`), by packet time.
    pub fragment_timeout: Span,
    /// DoS: TCP flows (one per direction) tracked at once; at the bound the
    /// least recently active flow is ended (`tcp_flow_evictions`). Segments
    /// without payload create no flow.
    pub max_tcp_flows: usize,
    /// DoS: bytes one flow may hold (unframed bytes plus segments waiting
    /// behind a hole). At the bound, waiting segments make the hole be
    /// skipped (`tcp_gaps`) and an unfinished message is dropped
    /// (`tcp_bytes_dropped`).
    pub max_tcp_buffer: usize,
    /// DoS: bytes all flows together may hold; at the bound the least
    /// recently active flows are ended (`tcp_flow_evictions`).
    pub max_tcp_total: usize,
    /// A flow without segments this long is ended (`tcp_flow_timeouts`), by
    /// packet time.
    pub tcp_idle_timeout: Span,
    /// A hole in a stream not filled this long is skipped (`tcp_gaps`).
    pub tcp_gap_timeout: Span,
    /// DoS: segments one flow keeps behind a hole; beyond, the hole is skipped.
    pub max_out_of_order_segments: usize,
    /// Unwrap HEP on any port. Off by default: HEP is taken only on its own
    /// port (9060), because HEP headers *declare* the addresses and time of
    /// the SIP they carry, and an outside packet must not choose them.
    pub hep_any_port: bool,
}

impl Default for Limits {
    /// Sized for a busy SBC on a small box: at most ~4 MiB of fragments and
    /// 64 MiB of TCP buffers.
    fn default() -> Self {
        Limits {
            max_fragment_sets: 1024,
            max_fragment_bytes: 4 << 20,
            fragment_timeout: Span::from_secs(30),
            max_tcp_flows: 16_384,
            max_tcp_buffer: 128 << 10,
            max_tcp_total: 64 << 20,
            tcp_idle_timeout: Span::from_secs(300),
            tcp_gap_timeout: Span::from_secs(2),
            max_out_of_order_segments: 64,
            hep_any_port: false,
        }
    }
}

/// How often (packet time) idle TCP flows and stale fragment sets are swept.
const SWEEP_EVERY: Span = Span::from_nanos(500_000_000);

/// Decodes frames into SIP-candidate [`Datagram`]s. Holds the bounded
/// reassembly state; no I/O, no clock: time is the frames' time.
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    stats: DecodeStats,
    defrag: Defragmenter,
    tcp: TcpTable,
    next_sweep: Timestamp,
}

impl Decoder {
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        let tcp = TcpTable::new(TcpLimits {
            max_flows: limits.max_tcp_flows,
            max_buffer: limits.max_tcp_buffer,
            max_total: limits.max_tcp_total,
            max_out_of_order: limits.max_out_of_order_segments,
            idle_timeout: limits.tcp_idle_timeout,
            gap_timeout: limits.tcp_gap_timeout,
            hep_any_port: limits.hep_any_port,
        });
        Decoder {
            defrag: Defragmenter::new(
                limits.max_fragment_sets,
                limits.max_fragment_bytes,
                limits.fragment_timeout,
            ),
            tcp,
            limits,
            stats: DecodeStats::default(),
            next_sweep: Timestamp::from_nanos(i64::MIN),
        }
    }

    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    #[must_use]
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// TCP flows and fragment sets currently held.
    #[must_use]
    pub fn tracked(&self) -> (usize, usize) {
        (self.tcp.len(), self.defrag.len())
    }

    /// Decodes one frame; calls `sink` for every SIP(-candidate) payload
    /// found. A per-frame problem is counted in [`Self::stats`] and returned
    /// for the caller to count; it never affects later frames.
    pub fn decode(
        &mut self,
        frame: &Frame<'_>,
        sink: &mut dyn FnMut(&Datagram<'_>),
    ) -> Result<(), DecodeError> {
        self.stats.frames += 1;
        // Sweep on schedule, and at once when time jumps back more than a
        // minute (merged or restarted captures) so the schedule restarts.
        if frame.ts >= self.next_sweep || self.next_sweep.since(frame.ts) > Span::from_secs(60) {
            self.sweep(frame.ts, sink);
        }
        let r = self.decode_inner(frame, sink);
        if let Err(e) = &r {
            match e {
                DecodeError::Truncated { .. } => self.stats.truncated += 1,
                DecodeError::UnsupportedLink(_) => self.stats.unsupported_link += 1,
                DecodeError::Malformed { .. } => self.stats.malformed += 1,
                DecodeError::Hep(_) => {} // counted where decoded
            }
        }
        r
    }

    /// Decodes one HEP record received from an agent directly (a HEP
    /// listener, not a capture): `ts` is the arrival time, used when the
    /// record carries none. Calls `sink` when it carries SIP.
    pub fn decode_hep_record(
        &mut self,
        ts: Timestamp,
        record: &[u8],
        sink: &mut dyn FnMut(&Datagram<'_>),
    ) -> Result<(), HepError> {
        let outer = Outer {
            ts,
            ttl: 0,
            ip_id: None,
            src_mac: None,
            dst_mac: None,
            vlan: None,
            interface: 0,
            fragmented: false,
        };
        outer.decode_hep(record, &mut self.stats, sink)
    }

    /// Ends all TCP flows and fragment sets, delivering the messages still
    /// complete behind holes. Call at the end of a capture.
    pub fn flush(&mut self, sink: &mut dyn FnMut(&Datagram<'_>)) {
        self.tcp.flush(&mut self.stats, sink);
        self.defrag = Defragmenter::new(
            self.limits.max_fragment_sets,
            self.limits.max_fragment_bytes,
            self.limits.fragment_timeout,
        );
    }

    fn sweep(&mut self, now: Timestamp, sink: Sink<'_>) {
        self.next_sweep = now.add(SWEEP_EVERY);
        self.tcp.expire(now, &mut self.stats, sink);
        self.defrag.expire(now, &mut self.stats);
    }

    fn decode_inner(&mut self, frame: &Frame<'_>, sink: Sink<'_>) -> Result<(), DecodeError> {
        let l2 = link::decode_link(frame.link, frame.data)?;
        let ip = match l2.net {
            Net::Ipv4 => ip::parse_ipv4(l2.l3)?,
            Net::Ipv6 => ip::parse_ipv6(l2.l3)?,
            Net::Other => {
                self.stats.non_ip += 1;
                return Ok(());
            }
        };
        self.stats.decoded_ip += 1;
        match l2.net {
            Net::Ipv4 => self.stats.ipv4 += 1,
            _ => self.stats.ipv6 += 1,
        }
        let mut outer = Outer {
            ts: frame.ts,
            ttl: ip.ttl,
            ip_id: ip.ip_id,
            src_mac: l2.src_mac,
            dst_mac: l2.dst_mac,
            vlan: l2.vlan,
            interface: frame.interface,
            fragmented: false,
        };
        let Some(frag) = ip.fragment else {
            return self.transport(&ip, ip.payload, &outer, sink);
        };
        self.stats.fragments += 1;
        let key = FragKey {
            src: ip.src,
            dst: ip.dst,
            id: frag.id,
            proto: ip.proto,
        };
        let Some(whole) = self
            .defrag
            .add(key, frag, ip.payload, frame.ts, &mut self.stats)?
        else {
            return Ok(());
        };
        self.stats.reassembled += 1;
        outer.fragmented = true;
        let r = self.transport(&ip, &whole, &outer, sink);
        self.defrag.recycle(whole);
        r
    }

    fn transport(
        &mut self,
        ip: &IpPacket<'_>,
        l4: &[u8],
        outer: &Outer,
        sink: Sink<'_>,
    ) -> Result<(), DecodeError> {
        match ip.proto {
            PROTO_UDP => {
                self.stats.udp += 1;
                let (sport, dport, payload) = parse_udp(l4)?;
                let src = SocketAddr::new(ip.src, sport);
                let dst = SocketAddr::new(ip.dst, dport);
                self.udp_payload(src, dst, payload, outer, sink)
            }
            PROTO_TCP => {
                self.stats.tcp += 1;
                let (sport, dport, seg) = parse_tcp(l4)?;
                let key = FlowKey {
                    src: SocketAddr::new(ip.src, sport),
                    dst: SocketAddr::new(ip.dst, dport),
                };
                self.tcp.segment(key, seg, *outer, &mut self.stats, sink);
                Ok(())
            }
            _ => {
                self.stats.other_transport += 1;
                Ok(())
            }
        }
    }

    fn udp_payload(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        outer: &Outer,
        sink: Sink<'_>,
    ) -> Result<(), DecodeError> {
        let hep_ok =
            self.limits.hep_any_port || src.port() == hep::HEP_PORT || dst.port() == hep::HEP_PORT;
        if hep_ok && payload.starts_with(b"HEP3") {
            return Ok(outer.decode_hep(payload, &mut self.stats, sink)?);
        }
        if hep_ok && hep::is_v2_shaped(payload) {
            if let Ok(p) = hep::decode_v2(payload) {
                outer.emit_hep(&p, &mut self.stats, sink);
                return Ok(());
            }
        }
        if looks_like_sip(payload) {
            outer.emit(src, dst, Transport::Udp, payload, &mut self.stats, sink);
        } else {
            self.stats.non_sip += 1;
        }
        Ok(())
    }
}

/// RFC 768. A length field of 0 (jumbogram, RFC 2675) takes what is there.
fn parse_udp(b: &[u8]) -> Result<(u16, u16, &[u8]), DecodeError> {
    const L: &str = "udp";
    let (Some(sport), Some(dport), Some(len)) = (be16(b, 0), be16(b, 2), be16(b, 4)) else {
        return Err(DecodeError::truncated(L, 8, b.len()));
    };
    let len = usize::from(len);
    let end = match len {
        0 => b.len().max(8),
        1..8 => return Err(DecodeError::malformed(L, "length below 8")),
        n if n > b.len() => return Err(DecodeError::truncated(L, n, b.len())),
        n => n,
    };
    Ok((sport, dport, b.get(8..end).unwrap_or(&[])))
}

/// RFC 9293 §3.1.
fn parse_tcp(b: &[u8]) -> Result<(u16, u16, Segment<'_>), DecodeError> {
    const L: &str = "tcp";
    let (Some(sport), Some(dport), Some(seq), Some(off), Some(flags)) = (
        be16(b, 0),
        be16(b, 2),
        be32(b, 4),
        u8_at(b, 12),
        u8_at(b, 13),
    ) else {
        return Err(DecodeError::truncated(L, 20, b.len()));
    };
    let head = usize::from(off >> 4) * 4;
    if head < 20 {
        return Err(DecodeError::malformed(L, "data offset below 5"));
    }
    let Some(payload) = b.get(head..) else {
        return Err(DecodeError::truncated(L, head, b.len()));
    };
    let seg = Segment {
        seq,
        fin: flags & 0x01 != 0,
        syn: flags & 0x02 != 0,
        rst: flags & 0x04 != 0,
        payload,
    };
    Ok((sport, dport, seg))
}
