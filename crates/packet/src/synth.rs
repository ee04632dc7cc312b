//! Frame builders for tests, fixtures and synthetic benchmark captures:
//! IPv4/IPv6 with UDP or TCP (checksums filled in), IP fragments, and the
//! link layers the decoder reads. Not used by the decoder itself.

use core::net::{IpAddr, SocketAddr};

use crate::ip::{PROTO_TCP, PROTO_UDP};

/// TCP flag bits.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// EtherTypes.
pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_IPV6: u16 = 0x86dd;

/// An IP packet carrying UDP.
#[must_use]
pub fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut l4 = Vec::with_capacity(8 + payload.len());
    l4.extend_from_slice(&src.port().to_be_bytes());
    l4.extend_from_slice(&dst.port().to_be_bytes());
    l4.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    l4.extend_from_slice(&[0, 0]);
    l4.extend_from_slice(payload);
    let sum = l4_checksum(src.ip(), dst.ip(), PROTO_UDP, &l4);
    l4[6..8].copy_from_slice(&(if sum == 0 { 0xffff } else { sum }).to_be_bytes());
    ip(src.ip(), dst.ip(), PROTO_UDP, 64, 0, &l4)
}

/// An IP packet carrying one TCP segment (window 65535, no options).
#[must_use]
pub fn tcp(src: SocketAddr, dst: SocketAddr, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    ip(
        src.ip(),
        dst.ip(),
        PROTO_TCP,
        64,
        0,
        &tcp_segment(src, dst, seq, flags, payload),
    )
}

/// A TCP header plus payload, checksum filled in.
#[must_use]
pub fn tcp_segment(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut l4 = Vec::with_capacity(20 + payload.len());
    l4.extend_from_slice(&src.port().to_be_bytes());
    l4.extend_from_slice(&dst.port().to_be_bytes());
    l4.extend_from_slice(&seq.to_be_bytes());
    l4.extend_from_slice(&(if flags & ACK != 0 { 1u32 } else { 0 }).to_be_bytes());
    l4.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    l4.extend_from_slice(payload);
    let sum = l4_checksum(src.ip(), dst.ip(), PROTO_TCP, &l4);
    l4[16..18].copy_from_slice(&sum.to_be_bytes());
    l4
}

/// An unfragmented IP packet (IPv4 with identification `id`, or IPv6).
#[must_use]
pub fn ip(src: IpAddr, dst: IpAddr, proto: u8, ttl: u8, id: u16, l4: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut p = ipv4_header(s.octets(), d.octets(), proto, ttl, id, 0, l4.len());
            p.extend_from_slice(l4);
            p
        }
        (s, d) => {
            let mut p = ipv6_header(v6(s), v6(d), proto, ttl, l4.len());
            p.extend_from_slice(l4);
            p
        }
    }
}

/// Splits an upper-layer packet (`l4`, e.g. from [`tcp_segment`] or the
/// UDP part of [`udp`]) into IP fragments of at most `chunk` data bytes
/// (rounded down to a multiple of 8), in order.
#[must_use]
pub fn fragments(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    l4: &[u8],
    chunk: usize,
) -> Vec<Vec<u8>> {
    let chunk = (chunk / 8).max(1) * 8;
    let mut out = Vec::new();
    for (i, part) in l4.chunks(chunk).enumerate() {
        let offset = i * chunk;
        let more = offset + part.len() < l4.len();
        let off_field = (offset / 8) as u16;
        let p = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let flags = off_field | if more { 0x2000 } else { 0 };
                let mut p = ipv4_header(
                    s.octets(),
                    d.octets(),
                    proto,
                    64,
                    id as u16,
                    flags,
                    part.len(),
                );
                p.extend_from_slice(part);
                p
            }
            (s, d) => {
                let mut p = ipv6_header(v6(s), v6(d), 44, 64, 8 + part.len());
                p.extend_from_slice(&[proto, 0]);
                p.extend_from_slice(&((off_field << 3) | u16::from(more)).to_be_bytes());
                p.extend_from_slice(&id.to_be_bytes());
                p.extend_from_slice(part);
                p
            }
        };
        out.push(p);
    }
    out
}

/// The transport part of an IP packet built by [`udp`] or [`tcp`].
#[must_use]
pub fn l4_of(ip_packet: &[u8]) -> &[u8] {
    let head = match ip_packet.first().map(|b| b >> 4) {
        Some(4) => usize::from(ip_packet[0] & 0x0f) * 4,
        _ => 40,
    };
    ip_packet.get(head..).unwrap_or(&[])
}

/// Ethernet II around `l3`, with VLAN tags `(tpid, vid)` outermost first.
#[must_use]
pub fn ethernet(src: [u8; 6], dst: [u8; 6], vlans: &[(u16, u16)], l3: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 4 * vlans.len() + l3.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    for (tpid, vid) in vlans {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&ethertype_of(l3).to_be_bytes());
    f.extend_from_slice(l3);
    f
}

/// Linux cooked v1 (16-byte header) around `l3`, sent by `src`.
#[must_use]
pub fn sll(src: [u8; 6], l3: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 1, 0, 6];
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&ethertype_of(l3).to_be_bytes());
    f.extend_from_slice(l3);
    f
}

/// Linux cooked v2 (20-byte header) around `l3`, sent by `src`.
#[must_use]
pub fn sll2(src: [u8; 6], l3: &[u8]) -> Vec<u8> {
    let mut f = ethertype_of(l3).to_be_bytes().to_vec();
    f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(l3);
    f
}

/// BSD loopback around `l3`: `big_endian` for `Loop`, little for a `Null`
/// written on a little-endian host.
#[must_use]
pub fn loopback(big_endian: bool, l3: &[u8]) -> Vec<u8> {
    let af: u32 = if l3.first().is_some_and(|b| b >> 4 == 6) {
        24
    } else {
        2
    };
    let mut f = if big_endian {
        af.to_be_bytes()
    } else {
        af.to_le_bytes()
    }
    .to_vec();
    f.extend_from_slice(l3);
    f
}

fn ethertype_of(l3: &[u8]) -> u16 {
    if l3.first().is_some_and(|b| b >> 4 == 6) {
        ETH_IPV6
    } else {
        ETH_IPV4
    }
}

fn v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
    }
}

fn ipv4_header(
    s: [u8; 4],
    d: [u8; 4],
    proto: u8,
    ttl: u8,
    id: u16,
    frag: u16,
    len: usize,
) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&((20 + len) as u16).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[ttl, proto, 0, 0]);
    h.extend_from_slice(&s);
    h.extend_from_slice(&d);
    let sum = !fold(sum16(0, &h));
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h
}

fn ipv6_header(s: [u8; 16], d: [u8; 16], next: u8, hops: u8, len: usize) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(len as u16).to_be_bytes());
    h.extend_from_slice(&[next, hops]);
    h.extend_from_slice(&s);
    h.extend_from_slice(&d);
    h
}

/// RFC 768 / RFC 9293 checksum with the pseudo-header (RFC 8200 §8.1 for IPv6).
fn l4_checksum(src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8]) -> u16 {
    let mut acc = 0u32;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = sum16(acc, &s.octets());
            acc = sum16(acc, &d.octets());
        }
        (s, d) => {
            acc = sum16(acc, &v6(s));
            acc = sum16(acc, &v6(d));
        }
    }
    acc = sum16(acc, &[0, proto]);
    acc = sum16(acc, &(l4.len() as u32).to_be_bytes());
    !fold(sum16(acc, l4))
}

fn sum16(mut acc: u32, b: &[u8]) -> u32 {
    for pair in b.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        acc = fold(acc + u32::from(word)).into();
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}
