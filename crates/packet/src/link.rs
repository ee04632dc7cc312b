//! Link layers: Ethernet (with 802.1Q / QinQ stacks, PPPoE and MPLS), Linux
//! "cooked" SLL and SLL2, raw IP and BSD loopback. The output is the network
//! layer bytes plus what the link layer says about the hosts (MACs, VLAN).

use crate::error::DecodeError;
use crate::time::Timestamp;
use crate::wire::{array, be16, be32, le32, u8_at};

/// The link-layer header type of a frame (pcap `LINKTYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// IEEE 802.3 Ethernet (`LINKTYPE_ETHERNET`, 1).
    Ethernet,
    /// Raw IP, IPv4 or IPv6 by version nibble (101; also 12 and 14).
    Raw,
    /// Raw IPv4 (228).
    Ipv4,
    /// Raw IPv6 (229).
    Ipv6,
    /// Linux cooked capture v1, 16-byte header (113).
    LinuxSll,
    /// Linux cooked capture v2, 20-byte header (276).
    LinuxSll2,
    /// BSD loopback: 4-byte address family in the capturing host's byte order (0).
    Null,
    /// OpenBSD loopback: 4-byte address family in network byte order (108).
    Loop,
    /// Anything else, by its number.
    Other(u32),
}

impl LinkType {
    /// Every kind of link, with one unsupported type (for tests and fuzzing).
    #[doc(hidden)]
    pub const ALL: [LinkType; 9] = [
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Null,
        LinkType::Loop,
        LinkType::Other(147),
    ];

    /// Maps a pcap / pcapng `LINKTYPE_*` number.
    #[must_use]
    pub fn from_dlt(linktype: u32) -> LinkType {
        match linktype {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Other(other),
        }
    }

    /// The `LINKTYPE_*` number to write in a capture file.
    #[must_use]
    pub fn to_dlt(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
            LinkType::Other(n) => n,
        }
    }
}

/// One captured frame: the input of [`crate::Decoder::decode`].
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// How `data` starts.
    pub link: LinkType,
    /// The captured bytes (possibly cut at the snap length).
    pub data: &'a [u8],
    /// Capture interface: for pcapng, the interface's position counted
    /// across all sections of the file; 0 for pcap.
    pub interface: u32,
}

impl<'a> Frame<'a> {
    /// A frame on interface 0.
    #[must_use]
    pub fn new(ts: Timestamp, link: LinkType, data: &'a [u8]) -> Self {
        Frame {
            ts,
            link,
            data,
            interface: 0,
        }
    }
}

/// The network layer a link header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Net {
    Ipv4,
    Ipv6,
    /// ARP, LLDP, STP, ...: counted, not decoded.
    Other,
}

/// What the link layer told us.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link<'a> {
    pub net: Net,
    pub l3: &'a [u8],
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    pub vlan: Option<u16>,
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];
const ETH_PPPOE_SESSION: u16 = 0x8864;
const ETH_MPLS: [u16; 2] = [0x8847, 0x8848];

/// DoS: at most this many VLAN tags / MPLS labels are walked; deeper stacks
/// are reported as malformed.
const MAX_STACK: usize = 8;

pub(crate) fn decode_link(link: LinkType, data: &[u8]) -> Result<Link<'_>, DecodeError> {
    let mut out = Link {
        net: Net::Other,
        l3: &[],
        src_mac: None,
        dst_mac: None,
        vlan: None,
    };
    let (net, l3) = match link {
        LinkType::Ethernet => {
            if data.len() < 14 {
                return Err(DecodeError::truncated("ethernet", 14, data.len()));
            }
            out.dst_mac = array::<6>(data, 0);
            out.src_mac = array::<6>(data, 6);
            ether(&mut out.vlan, be16(data, 12).unwrap_or(0), &data[14..])?
        }
        LinkType::LinuxSll => {
            // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
            if data.len() < 16 {
                return Err(DecodeError::truncated("linux sll", 16, data.len()));
            }
            if be16(data, 4) == Some(6) {
                out.src_mac = array::<6>(data, 6);
            }
            ether(&mut out.vlan, be16(data, 14).unwrap_or(0), &data[16..])?
        }
        LinkType::LinuxSll2 => {
            // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
            if data.len() < 20 {
                return Err(DecodeError::truncated("linux sll2", 20, data.len()));
            }
            if u8_at(data, 11) == Some(6) {
                out.src_mac = array::<6>(data, 12);
            }
            ether(&mut out.vlan, be16(data, 0).unwrap_or(0), &data[20..])?
        }
        LinkType::Raw => (version_nibble(data), data),
        LinkType::Ipv4 => (Net::Ipv4, data),
        LinkType::Ipv6 => (Net::Ipv6, data),
        LinkType::Null | LinkType::Loop => {
            let (Some(be), Some(le)) = (be32(data, 0), le32(data, 0)) else {
                return Err(DecodeError::truncated("loopback", 4, data.len()));
            };
            // Null is in the writer's byte order, which the file does not say:
            // accept either. Loop is big-endian.
            let af = if link == LinkType::Loop || be < 0x100 {
                be
            } else {
                le
            };
            let net = match af {
                2 => Net::Ipv4,
                10 | 24 | 28 | 30 => Net::Ipv6,
                _ => Net::Other,
            };
            (net, &data[4..])
        }
        LinkType::Other(n) => return Err(DecodeError::UnsupportedLink(n)),
    };
    out.net = net;
    out.l3 = l3;
    Ok(out)
}

fn version_nibble(l3: &[u8]) -> Net {
    match l3.first().map(|b| b >> 4) {
        Some(4) => Net::Ipv4,
        Some(6) => Net::Ipv6,
        _ => Net::Other,
    }
}

/// Follows an EtherType through VLAN tags, PPPoE and MPLS to IP; records the
/// outermost VLAN id in `vlan`.
fn ether<'a>(
    vlan: &mut Option<u16>,
    mut ethertype: u16,
    mut rest: &'a [u8],
) -> Result<(Net, &'a [u8]), DecodeError> {
    for _ in 0..MAX_STACK {
        match ethertype {
            ETH_IPV4 => return Ok((Net::Ipv4, rest)),
            ETH_IPV6 => return Ok((Net::Ipv6, rest)),
            t if ETH_VLAN.contains(&t) => {
                let (Some(tci), Some(next)) = (be16(rest, 0), be16(rest, 2)) else {
                    return Err(DecodeError::truncated("vlan", 4, rest.len()));
                };
                vlan.get_or_insert(tci & 0x0fff);
                ethertype = next;
                rest = &rest[4..];
            }
            ETH_PPPOE_SESSION => {
                // ver/type(1) code(1) session(2) length(2) PPP protocol(2)
                let Some(proto) = be16(rest, 6) else {
                    return Err(DecodeError::truncated("pppoe", 8, rest.len()));
                };
                let net = match proto {
                    0x0021 => Net::Ipv4,
                    0x0057 => Net::Ipv6,
                    _ => Net::Other,
                };
                return Ok((net, &rest[8..]));
            }
            t if ETH_MPLS.contains(&t) => {
                let Some(label) = be32(rest, 0) else {
                    return Err(DecodeError::truncated("mpls", 4, rest.len()));
                };
                rest = &rest[4..];
                if label & 0x100 != 0 {
                    // Bottom of stack: IP by version nibble.
                    return Ok((version_nibble(rest), rest));
                }
            }
            _ => return Ok((Net::Other, rest)),
        }
    }
    Err(DecodeError::malformed(
        "ethernet",
        "too many VLAN tags or MPLS labels",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dlt_round_trip() {
        for n in [0, 1, 101, 108, 113, 228, 229, 276, 147] {
            assert_eq!(LinkType::from_dlt(n).to_dlt(), n);
        }
        assert_eq!(LinkType::from_dlt(12), LinkType::Raw);
        assert_eq!(LinkType::from_dlt(14), LinkType::Raw);
    }

    #[test]
    fn null_both_byte_orders() {
        let mut le = vec![2, 0, 0, 0];
        le.extend_from_slice(&[0x45; 20]);
        assert_eq!(
            decode_link(LinkType::Null, &le).map(|l| l.net).ok(),
            Some(Net::Ipv4)
        );
        let be = [0, 0, 0, 30, 0x60];
        assert_eq!(
            decode_link(LinkType::Null, &be).map(|l| l.net).ok(),
            Some(Net::Ipv6)
        );
        assert_eq!(
            decode_link(LinkType::Loop, &be).map(|l| l.net).ok(),
            Some(Net::Ipv6)
        );
        assert!(decode_link(LinkType::Null, &[2, 0]).is_err());
    }

    #[test]
    fn vlan_stack_bound() {
        let mut f = vec![0u8; 12];
        for _ in 0..12 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        }
        assert!(matches!(
            decode_link(LinkType::Ethernet, &f),
            Err(DecodeError::Malformed { .. })
        ));
    }
}
