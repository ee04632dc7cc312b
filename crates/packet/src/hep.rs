//! HEP, the Homer Encapsulation Protocol used by capture agents (captagent,
//! Kamailio/OpenSIPS `siptrace`, FreeSWITCH, heplify) to mirror SIP to a
//! collector.
//!
//! * HEPv3: `HEP3`, a 16-bit total length, then chunks of
//!   (vendor u16, type u16, length u16 including these 6 bytes, value).
//!   Vendor 0 types 1..=12 and 15 are read (family, protocol, addresses,
//!   ports, time, payload type, capture id, payload); type 16 (compressed
//!   payload) is refused with [`HepError::CompressedPayload`]; other chunks
//!   are skipped.
//! * HEPv2: an 8-byte header (version 2, header length, family, protocol,
//!   ports), the IPv4 (8 bytes) or IPv6 (32 bytes) addresses, a time header
//!   (seconds, microseconds, capture id in the sender's byte order, read as
//!   little-endian as every known agent runs on little-endian hosts;
//!   12 bytes with padding, 10 when packed), then the payload.
//!
//! There is no RFC; the layout follows the sipcapture HEP specification.
//! Every length is checked; decoding never panics.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::time::Timestamp;
use crate::wire::{array, be16, be32, le32, u8_at};

/// The HEP port registered by sipcapture; HEPv2 is only trusted there.
pub const HEP_PORT: u16 = 9060;

/// Address family values used by HEP (Linux `AF_INET`, `AF_INET6`).
pub const FAMILY_IPV4: u8 = 2;
pub const FAMILY_IPV6: u8 = 10;

/// HEP payload type for SIP.
pub const PAYLOAD_SIP: u8 = 1;

/// One decoded HEP packet; `payload` borrows from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HepPacket<'a> {
    /// 2 or 3.
    pub version: u8,
    /// [`FAMILY_IPV4`] or [`FAMILY_IPV6`].
    pub proto_family: u8,
    /// IP protocol of the captured packet (17 UDP, 6 TCP, ...).
    pub ip_proto: u8,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// Capture time the agent recorded.
    pub ts: Option<Timestamp>,
    pub capture_id: Option<u32>,
    /// What the payload is ([`PAYLOAD_SIP`] = 1); HEPv2 has no such field and reports 1.
    pub payload_type: u8,
    pub payload: &'a [u8],
}

/// Why bytes are not a valid HEP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HepError {
    #[error("not a HEP packet")]
    NotHep,
    #[error("truncated: needs {need} bytes, {have} present")]
    Truncated { need: usize, have: usize },
    #[error("total length {declared} is below the header size")]
    BadLength { declared: usize },
    #[error("chunk at byte {offset} has length {len}, which does not fit")]
    BadChunk { offset: usize, len: usize },
    #[error("chunk type {chunk_type} has length {len}, expected {expected}")]
    BadChunkValue {
        chunk_type: u16,
        len: usize,
        expected: usize,
    },
    #[error("compressed payload unsupported")]
    CompressedPayload,
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("unknown address family {0}")]
    BadFamily(u8),
    #[error("packet of {len} bytes does not fit a HEP length field")]
    TooLarge { len: usize },
}

/// Decodes HEPv3 (starts with `HEP3`) or HEPv2 (first byte 2).
pub fn decode(buf: &[u8]) -> Result<HepPacket<'_>, HepError> {
    if buf.starts_with(b"HEP3") {
        decode_v3(buf)
    } else if buf.first() == Some(&2) {
        decode_v2(buf)
    } else {
        Err(HepError::NotHep)
    }
}

/// Length of the HEPv3 record at the start of `buf` (for stream framing):
/// `Ok(None)` when fewer than 6 bytes are there yet.
pub fn v3_record_len(buf: &[u8]) -> Result<Option<usize>, HepError> {
    if buf.len() < 6 {
        return if b"HEP3".starts_with(&buf[..buf.len().min(4)]) {
            Ok(None)
        } else {
            Err(HepError::NotHep)
        };
    }
    if !buf.starts_with(b"HEP3") {
        return Err(HepError::NotHep);
    }
    let declared = usize::from(be16(buf, 4).unwrap_or(0));
    if declared < 6 {
        return Err(HepError::BadLength { declared });
    }
    Ok(Some(declared))
}

/// HEPv3. Bytes after the declared total length are ignored.
pub fn decode_v3(buf: &[u8]) -> Result<HepPacket<'_>, HepError> {
    let Some(total) = v3_record_len(buf)? else {
        return Err(HepError::Truncated {
            need: 6,
            have: buf.len(),
        });
    };
    let Some(body) = buf.get(..total) else {
        return Err(HepError::Truncated {
            need: total,
            have: buf.len(),
        });
    };
    let mut family = None;
    let mut ip_proto = None;
    let (mut src4, mut dst4, mut src6, mut dst6) = (None, None, None, None);
    let (mut sport, mut dport) = (None, None);
    let (mut secs, mut usecs) = (None, None);
    let (mut payload_type, mut capture_id, mut payload) = (None, None, None);
    let mut off = 6;
    while off < total {
        let (Some(vendor), Some(kind), Some(len)) =
            (be16(body, off), be16(body, off + 2), be16(body, off + 4))
        else {
            return Err(HepError::BadChunk {
                offset: off,
                len: total - off,
            });
        };
        let len = usize::from(len);
        let Some(value) = body.get(off + 6..off + len).filter(|_| len >= 6) else {
            return Err(HepError::BadChunk { offset: off, len });
        };
        off += len;
        if vendor != 0 {
            continue;
        }
        let fixed = |expected: usize| {
            if value.len() == expected {
                Ok(value)
            } else {
                Err(HepError::BadChunkValue {
                    chunk_type: kind,
                    len: value.len(),
                    expected,
                })
            }
        };
        match kind {
            1 => family = fixed(1)?.first().copied(),
            2 => ip_proto = fixed(1)?.first().copied(),
            3 => src4 = array::<4>(fixed(4)?, 0).map(Ipv4Addr::from),
            4 => dst4 = array::<4>(fixed(4)?, 0).map(Ipv4Addr::from),
            5 => src6 = array::<16>(fixed(16)?, 0).map(Ipv6Addr::from),
            6 => dst6 = array::<16>(fixed(16)?, 0).map(Ipv6Addr::from),
            7 => sport = be16(fixed(2)?, 0),
            8 => dport = be16(fixed(2)?, 0),
            9 => secs = be32(fixed(4)?, 0),
            10 => usecs = be32(fixed(4)?, 0),
            11 => payload_type = fixed(1)?.first().copied(),
            12 => capture_id = be32(fixed(4)?, 0),
            15 => payload = Some(value),
            16 => return Err(HepError::CompressedPayload),
            _ => {}
        }
    }
    let family = family.ok_or(HepError::Missing("address family chunk"))?;
    let (src, dst): (IpAddr, IpAddr) = match family {
        FAMILY_IPV4 => (
            src4.ok_or(HepError::Missing("IPv4 source chunk"))?.into(),
            dst4.ok_or(HepError::Missing("IPv4 destination chunk"))?
                .into(),
        ),
        FAMILY_IPV6 => (
            src6.ok_or(HepError::Missing("IPv6 source chunk"))?.into(),
            dst6.ok_or(HepError::Missing("IPv6 destination chunk"))?
                .into(),
        ),
        other => return Err(HepError::BadFamily(other)),
    };
    Ok(HepPacket {
        version: 3,
        proto_family: family,
        ip_proto: ip_proto.unwrap_or(17),
        src: SocketAddr::new(src, sport.ok_or(HepError::Missing("source port chunk"))?),
        dst: SocketAddr::new(
            dst,
            dport.ok_or(HepError::Missing("destination port chunk"))?,
        ),
        ts: secs.map(|s| timestamp(s, usecs.unwrap_or(0))),
        capture_id,
        payload_type: payload_type.unwrap_or(PAYLOAD_SIP),
        payload: payload.ok_or(HepError::Missing("payload chunk"))?,
    })
}

/// HEPv2 (see the module docs for the layout).
pub fn decode_v2(buf: &[u8]) -> Result<HepPacket<'_>, HepError> {
    if buf.len() < 8 {
        return Err(HepError::Truncated {
            need: 8,
            have: buf.len(),
        });
    }
    if buf[0] != 2 {
        return Err(HepError::NotHep);
    }
    let head = usize::from(buf[1]);
    let family = buf[2];
    let (src, dst): (IpAddr, IpAddr) = match (family, head) {
        (FAMILY_IPV4, 16) => (
            Ipv4Addr::from(array::<4>(buf, 8).unwrap_or_default()).into(),
            Ipv4Addr::from(array::<4>(buf, 12).unwrap_or_default()).into(),
        ),
        (FAMILY_IPV6, 40) => (
            Ipv6Addr::from(array::<16>(buf, 8).unwrap_or_default()).into(),
            Ipv6Addr::from(array::<16>(buf, 24).unwrap_or_default()).into(),
        ),
        (FAMILY_IPV4 | FAMILY_IPV6, _) => return Err(HepError::BadLength { declared: head }),
        (other, _) => return Err(HepError::BadFamily(other)),
    };
    if buf.len() < head + 12 {
        return Err(HepError::Truncated {
            need: head + 12,
            have: buf.len(),
        });
    }
    let secs = le32(buf, head).unwrap_or(0);
    let usecs = le32(buf, head + 4).unwrap_or(0);
    let capture_id = u32::from(u16::from_le_bytes(
        array::<2>(buf, head + 8).unwrap_or_default(),
    ));
    // The time header is 12 bytes with padding, 10 when the sender packed
    // it; then the two bytes after the capture id are the payload's first
    // letters (every SIP message starts with two), not padding.
    let packed = buf[head + 10..head + 12]
        .iter()
        .all(u8::is_ascii_alphabetic);
    let payload = &buf[head + if packed { 10 } else { 12 }..];
    Ok(HepPacket {
        version: 2,
        proto_family: family,
        ip_proto: buf[3],
        src: SocketAddr::new(src, be16(buf, 4).unwrap_or(0)),
        dst: SocketAddr::new(dst, be16(buf, 6).unwrap_or(0)),
        ts: Some(timestamp(secs, usecs)),
        capture_id: Some(capture_id),
        payload_type: PAYLOAD_SIP,
        payload,
    })
}

/// Quick shape test for HEPv2, before trying [`decode_v2`].
#[must_use]
pub fn is_v2_shaped(buf: &[u8]) -> bool {
    matches!(
        (u8_at(buf, 0), u8_at(buf, 1), u8_at(buf, 2)),
        (Some(2), Some(16), Some(FAMILY_IPV4)) | (Some(2), Some(40), Some(FAMILY_IPV6))
    ) && buf.len() >= usize::from(buf[1]) + 12
}

fn timestamp(secs: u32, usecs: u32) -> Timestamp {
    Timestamp::from_parts(i64::from(secs), usecs.min(999_999) * 1000)
}

/// Encodes `p` as HEPv3 into `out` (appending). Used by tests and the
/// synthetic-capture generator; ghostguard itself never sends HEP.
pub fn encode_v3(p: &HepPacket<'_>, out: &mut Vec<u8>) -> Result<(), HepError> {
    let start = out.len();
    out.extend_from_slice(b"HEP3\0\0");
    let mut chunk = |kind: u16, value: &[u8]| {
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&((value.len() + 6).min(usize::from(u16::MAX)) as u16).to_be_bytes());
        out.extend_from_slice(value);
    };
    match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            chunk(1, &[FAMILY_IPV4]);
            chunk(3, &s.octets());
            chunk(4, &d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            chunk(1, &[FAMILY_IPV6]);
            chunk(5, &s.octets());
            chunk(6, &d.octets());
        }
        _ => return Err(HepError::BadFamily(0)),
    }
    chunk(2, &[p.ip_proto]);
    chunk(7, &p.src.port().to_be_bytes());
    chunk(8, &p.dst.port().to_be_bytes());
    if let Some(ts) = p.ts {
        chunk(9, &(ts.as_secs() as u32).to_be_bytes());
        chunk(
            10,
            &((ts.as_nanos().rem_euclid(1_000_000_000) / 1000) as u32).to_be_bytes(),
        );
    }
    chunk(11, &[p.payload_type]);
    if let Some(id) = p.capture_id {
        chunk(12, &id.to_be_bytes());
    }
    chunk(15, p.payload);
    let total = out.len() - start;
    let Ok(total16) = u16::try_from(total) else {
        out.truncate(start);
        return Err(HepError::TooLarge { len: total });
    };
    out[start + 4..start + 6].copy_from_slice(&total16.to_be_bytes());
    Ok(())
}

/// Encodes `p` as HEPv2 (padded 12-byte time header) into `out`.
pub fn encode_v2(p: &HepPacket<'_>, out: &mut Vec<u8>) -> Result<(), HepError> {
    let (family, head) = match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) => (FAMILY_IPV4, 16u8),
        (IpAddr::V6(_), IpAddr::V6(_)) => (FAMILY_IPV6, 40u8),
        _ => return Err(HepError::BadFamily(0)),
    };
    out.extend_from_slice(&[2, head, family, p.ip_proto]);
    out.extend_from_slice(&p.src.port().to_be_bytes());
    out.extend_from_slice(&p.dst.port().to_be_bytes());
    for ip in [p.src.ip(), p.dst.ip()] {
        match ip {
            IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
        }
    }
    let ts = p.ts.unwrap_or(Timestamp::ZERO);
    out.extend_from_slice(&(ts.as_secs() as u32).to_le_bytes());
    out.extend_from_slice(&((ts.as_nanos().rem_euclid(1_000_000_000) / 1000) as u32).to_le_bytes());
    out.extend_from_slice(&(p.capture_id.unwrap_or(0) as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(p.payload);
    Ok(())
}
