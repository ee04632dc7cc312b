//! The classic libpcap format (draft-ietf-opsawg-pcap): a 24-byte file
//! header, then records of a 16-byte header and the captured bytes.

use std::sync::atomic::{AtomicU64, Ordering};

use ghostguard_packet::{Frame, LinkType, Timestamp};

use crate::error::CaptureError;
use crate::input::Input;
use crate::{MAX_RECORD, ReadSummary};

pub(crate) const HEADER_LEN: usize = 24;
const RECORD_HEADER: usize = 16;

/// What the file header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PcapInfo {
    pub big_endian: bool,
    pub nanos: bool,
    pub snaplen: u32,
    pub link: LinkType,
}

/// Reads the file header, given its first 4 bytes are a pcap magic.
pub(crate) fn magic(m: [u8; 4]) -> Option<(bool, bool)> {
    // (big_endian, nanos)
    match m {
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((true, false)),
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((false, false)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((true, true)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((false, true)),
        _ => None,
    }
}

pub(crate) fn parse_header(h: &[u8]) -> Result<PcapInfo, CaptureError> {
    let m: [u8; 4] = h
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default();
    let Some((big_endian, nanos)) = magic(m) else {
        return Err(CaptureError::UnknownFormat { magic: m });
    };
    let Some(h) = h.get(..HEADER_LEN) else {
        return Err(CaptureError::Truncated {
            offset: 0,
            what: "pcap file header",
            need: HEADER_LEN,
            have: h.len(),
        });
    };
    let major = u16_at(h, 4, big_endian);
    if major != 2 {
        return Err(CaptureError::Corrupt {
            offset: 4,
            reason: "pcap major version is not 2",
        });
    }
    let snaplen = u32_at(h, 16, big_endian);
    // The upper bits carry FCS information (RFC draft §4, "LinkType and
    // additional information").
    let link = LinkType::from_dlt(u32_at(h, 20, big_endian) & 0x0fff_ffff);
    Ok(PcapInfo {
        big_endian,
        nanos,
        snaplen,
        link,
    })
}

/// Delivers every record from the input's position on.
pub(crate) fn read_records<I: Input>(
    info: &PcapInfo,
    input: &mut I,
    f: &mut dyn FnMut(&Frame<'_>),
    sum: &mut ReadSummary,
    progress: Option<&AtomicU64>,
) -> Result<(), CaptureError> {
    let be = info.big_endian;
    // A snap length of 0 (seen in the wild) means "not set".
    let limit = match info.snaplen {
        0 => MAX_RECORD,
        s => (s as usize).min(MAX_RECORD),
    };
    loop {
        let offset = input.offset();
        let head = input.fill(RECORD_HEADER)?;
        if head.is_empty() {
            return Ok(());
        }
        if head.len() < RECORD_HEADER {
            return Err(CaptureError::Truncated {
                offset,
                what: "record header",
                need: RECORD_HEADER,
                have: head.len(),
            });
        }
        let secs = u32_at(head, 0, be);
        let frac = u32_at(head, 4, be);
        let caplen = u32_at(head, 8, be) as usize;
        if caplen > limit {
            let what = if caplen > MAX_RECORD {
                "record"
            } else {
                "record (above the snap length)"
            };
            return Err(CaptureError::TooLarge {
                offset,
                what,
                len: caplen as u64,
                limit: limit as u64,
            });
        }
        let need = RECORD_HEADER + caplen;
        let rec = input.fill(need)?;
        if rec.len() < need {
            return Err(CaptureError::Truncated {
                offset,
                what: "record",
                need,
                have: rec.len(),
            });
        }
        let frac_ns = if info.nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        let ts = Timestamp::from_nanos(i64::from(secs) * 1_000_000_000 + frac_ns);
        f(&Frame {
            ts,
            link: info.link,
            data: &rec[RECORD_HEADER..need],
            interface: 0,
        });
        input.consume(need);
        sum.frames += 1;
        sum.bytes += caplen as u64;
        if let Some(p) = progress {
            p.store(input.offset(), Ordering::Relaxed);
        }
    }
}

#[inline]
pub(crate) fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let a: [u8; 4] = b
        .get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default();
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

#[inline]
pub(crate) fn u16_at(b: &[u8], at: usize, big_endian: bool) -> u16 {
    let a: [u8; 2] = b
        .get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default();
    if big_endian {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}
