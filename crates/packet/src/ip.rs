//! IPv4 (RFC 791) and IPv6 (RFC 8200) header views: addresses, TTL, the
//! transport protocol, its bytes, and fragment information when the packet
//! is a fragment.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::DecodeError;
use crate::wire::{array, be16, be32, u8_at};

pub(crate) const PROTO_TCP: u8 = 6;
pub(crate) const PROTO_UDP: u8 = 17;

/// Where a fragment goes in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Byte offset of this fragment's data.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// One decoded IP header and its payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub ip_id: Option<u16>,
    /// The upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    pub payload: &'a [u8],
    pub fragment: Option<Fragment>,
}

/// DoS: at most this many IPv6 extension headers are walked.
const MAX_IPV6_EXTENSIONS: usize = 16;

/// RFC 791 §3.1. The header checksum is not checked: captures taken on the
/// sending host often carry offloaded, unfilled checksums.
pub(crate) fn parse_ipv4(b: &[u8]) -> Result<IpPacket<'_>, DecodeError> {
    const L: &str = "ipv4";
    if b.len() < 20 {
        return Err(DecodeError::truncated(L, 20, b.len()));
    }
    let vihl = b[0];
    if vihl >> 4 != 4 {
        return Err(DecodeError::malformed(L, "version is not 4"));
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    if ihl < 20 {
        return Err(DecodeError::malformed(L, "header length below 20"));
    }
    let total = usize::from(be16(b, 2).unwrap_or(0));
    if total < ihl {
        return Err(DecodeError::malformed(
            L,
            "total length below header length",
        ));
    }
    if total > b.len() {
        return Err(DecodeError::truncated(L, total, b.len()));
    }
    let id = be16(b, 4).unwrap_or(0);
    let frag = be16(b, 6).unwrap_or(0);
    let more = frag & 0x2000 != 0;
    let offset = u32::from(frag & 0x1fff) * 8;
    let src = Ipv4Addr::from(array::<4>(b, 12).unwrap_or_default());
    let dst = Ipv4Addr::from(array::<4>(b, 16).unwrap_or_default());
    Ok(IpPacket {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        ttl: b[8],
        ip_id: Some(id),
        proto: b[9],
        payload: &b[ihl..total],
        fragment: (more || offset != 0).then_some(Fragment {
            id: u32::from(id),
            offset,
            more,
        }),
    })
}

/// RFC 8200 §3 and §4. Extension headers are skipped up to the upper layer
/// or up to a (non-atomic) Fragment header, whose data is then the payload.
pub(crate) fn parse_ipv6(b: &[u8]) -> Result<IpPacket<'_>, DecodeError> {
    const L: &str = "ipv6";
    if b.len() < 40 {
        return Err(DecodeError::truncated(L, 40, b.len()));
    }
    if b[0] >> 4 != 6 {
        return Err(DecodeError::malformed(L, "version is not 6"));
    }
    let plen = usize::from(be16(b, 4).unwrap_or(0));
    // Payload length 0 with bytes behind it: a jumbogram or an unfilled
    // length (offload); take what was captured.
    let end = if plen == 0 { b.len() } else { 40 + plen };
    if end > b.len() {
        return Err(DecodeError::truncated(L, end, b.len()));
    }
    let mut next = b[6];
    let mut rest = &b[40..end];
    let mut fragment = None;
    for _ in 0..MAX_IPV6_EXTENSIONS {
        let ext_len = match next {
            // Hop-by-hop, Routing, Destination options, Mobility, HIP, Shim6.
            0 | 43 | 60 | 135 | 139 | 140 => u8_at(rest, 1).map(|l| (usize::from(l) + 1) * 8),
            // Authentication header (RFC 4302 §2.2): length in 4-byte units minus 2.
            51 => u8_at(rest, 1).map(|l| (usize::from(l) + 2) * 4),
            44 => Some(8),
            _ => break,
        };
        let Some(ext_len) = ext_len.filter(|&l| l <= rest.len()) else {
            return Err(DecodeError::truncated(
                "ipv6 extension",
                ext_len.unwrap_or(2),
                rest.len(),
            ));
        };
        let this = next;
        next = rest[0];
        if this == 44 {
            let off_flags = be16(rest, 2).unwrap_or(0);
            let offset = u32::from(off_flags >> 3) * 8;
            let more = off_flags & 1 != 0;
            let id = be32(rest, 4).unwrap_or(0);
            rest = &rest[ext_len..];
            if more || offset != 0 {
                // Later headers are inside the fragmented part.
                fragment = Some(Fragment { id, offset, more });
                break;
            }
            continue; // atomic fragment (RFC 6946)
        }
        rest = &rest[ext_len..];
    }
    if fragment.is_none() && matches!(next, 0 | 43 | 60 | 135 | 139 | 140 | 51 | 44) {
        return Err(DecodeError::malformed(L, "too many extension headers"));
    }
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(array::<16>(b, 8).unwrap_or_default())),
        dst: IpAddr::V6(Ipv6Addr::from(array::<16>(b, 24).unwrap_or_default())),
        ttl: b[7],
        ip_id: None,
        proto: next,
        payload: rest,
        fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(frag: u16, total: u16) -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 0, 0x12, 0x34, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[6..8].copy_from_slice(&frag.to_be_bytes());
        p.resize(usize::from(total).max(20), 0xaa);
        p
    }

    #[test]
    fn ipv4_fields() {
        let p = v4(0x2001, 28);
        let ip = parse_ipv4(&p).ok();
        let ip = ip.as_ref();
        assert_eq!(ip.map(|i| i.ttl), Some(64));
        assert_eq!(ip.map(|i| i.payload.len()), Some(8));
        assert_eq!(
            ip.and_then(|i| i.fragment),
            Some(Fragment {
                id: 0x1234,
                offset: 8,
                more: true
            })
        );
        assert!(parse_ipv4(&v4(0, 28)).is_ok_and(|i| i.fragment.is_none()));
        let mut short = v4(0, 28);
        short.truncate(27);
        assert_eq!(
            parse_ipv4(&short).err(),
            Some(DecodeError::truncated("ipv4", 28, 27))
        );
        let mut bad = v4(0, 28);
        bad[0] = 0x44;
        assert!(matches!(
            parse_ipv4(&bad),
            Err(DecodeError::Malformed { .. })
        ));
    }

    #[test]
    fn ipv6_extension_chain() {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, 0, 9];
        p.extend_from_slice(&[0; 32]);
        // Hop-by-hop (8 bytes) -> Fragment (offset 16, M=1, id 7) -> UDP
        p[6] = 0;
        p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[17, 0, 0, 17, 0, 0, 0, 7]);
        p.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let plen = (p.len() - 40) as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        let ip = parse_ipv6(&p).ok();
        assert_eq!(ip.map(|i| i.proto), Some(17));
        assert_eq!(
            ip.and_then(|i| i.fragment),
            Some(Fragment {
                id: 7,
                offset: 16,
                more: true
            })
        );
        assert_eq!(ip.map(|i| i.payload.len()), Some(8));
        p.truncate(50);
        assert!(matches!(parse_ipv6(&p), Err(DecodeError::Truncated { .. })));
    }
}
