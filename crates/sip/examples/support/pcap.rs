//! Reading the UDP payloads of a classic pcap for the examples (no
//! dependency on ghostguard-capture, which depends on this crate).

use std::io::Read;

/// UDP payload of one Ethernet frame, when it is unfragmented UDP.
fn udp_payload(frame: &[u8]) -> Option<&[u8]> {
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let ip = frame.get(14..)?;
    let (proto, l4) = match ethertype {
        0x0800 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
            if frag & 0x3fff != 0 {
                return None;
            }
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            (*ip.get(9)?, ip.get(ihl..total)?)
        }
        0x86dd => {
            let len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            (*ip.get(6)?, ip.get(40..40 + len)?)
        }
        _ => return None,
    };
    if proto != 17 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*l4.get(4)?, *l4.get(5)?]));
    l4.get(8..len)
}

/// Up to `max` UDP payloads of a classic little-endian microsecond pcap.
pub fn payloads(path: &str, max: usize) -> Vec<Vec<u8>> {
    // Only the head of the file: frames are at most a few kilobytes.
    let mut data = Vec::new();
    std::fs::File::open(path)
        .expect("open the pcap")
        .take(max as u64 * 2048)
        .read_to_end(&mut data)
        .expect("read the pcap");
    assert_eq!(
        data.get(..4),
        Some(&[0xd4, 0xc3, 0xb2, 0xa1][..]),
        "classic LE pcap"
    );
    let mut out = Vec::new();
    let mut at = 24;
    while out.len() < max {
        let Some(h) = data.get(at..at + 16) else {
            break;
        };
        let caplen = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
        let Some(frame) = data.get(at + 16..at + 16 + caplen) else {
            break;
        };
        at += 16 + caplen;
        if let Some(p) = udp_payload(frame) {
            out.push(p.to_vec());
        }
    }
    out
}
