//! pcapng (draft-ietf-opsawg-pcapng): sections (SHB) with their own byte
//! order, interfaces (IDB) with their own link type, snap length and time
//! resolution, and packets in Enhanced, Simple or (obsolete) Packet blocks.
//! Every other block type is skipped without being buffered.

use std::sync::atomic::{AtomicU64, Ordering};

use ghostguard_packet::{Frame, LinkType, Timestamp};

use crate::error::CaptureError;
use crate::input::{Input, skip};
use crate::pcap::{u16_at, u32_at};
use crate::{MAX_RECORD, ReadSummary};

pub(crate) const SHB_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const BOM: u32 = 0x1a2b_3c4d;
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

/// DoS: blocks that are read whole (section and interface headers, packet
/// blocks) are at most this large; others are skipped in pieces.
const MAX_BLOCK: usize = MAX_RECORD + (64 << 10);

/// DoS: interfaces kept per section.
const MAX_INTERFACES: usize = 4096;

#[derive(Debug, Clone, Copy)]
enum Resolution {
    /// Units of 10^-n seconds.
    Decimal(u32),
    /// Units of 2^-n seconds.
    Binary(u32),
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    resolution: Resolution,
    offset_secs: i64,
    /// Numbered across sections, so that interfaces of different sections
    /// get different ids in [`Frame::interface`].
    id: u32,
}

/// Reader state carried from block to block.
#[derive(Debug, Default)]
pub(crate) struct NgState {
    big_endian: bool,
    in_section: bool,
    interfaces: Vec<Interface>,
    next_id: u32,
}

pub(crate) fn read_blocks<I: Input>(
    st: &mut NgState,
    input: &mut I,
    f: &mut dyn FnMut(&Frame<'_>),
    sum: &mut ReadSummary,
    progress: Option<&AtomicU64>,
) -> Result<(), CaptureError> {
    loop {
        let offset = input.offset();
        let head = input.fill(12)?;
        if head.is_empty() {
            return Ok(());
        }
        if head.len() < 8 {
            return Err(trunc(offset, "block header", 8, head.len()));
        }
        if head[..4] == SHB_MAGIC {
            if head.len() < 12 {
                return Err(trunc(offset, "section header block", 12, head.len()));
            }
            st.big_endian = match u32_at(head, 8, true) {
                BOM => true,
                x if x.swap_bytes() == BOM => false,
                _ => {
                    return Err(corrupt(
                        offset + 8,
                        "bad byte-order magic in section header",
                    ));
                }
            };
            st.in_section = true;
            st.interfaces.clear();
        } else if !st.in_section {
            return Err(corrupt(offset, "block before the first section header"));
        }
        let be = st.big_endian;
        let kind = u32_at(head, 0, be);
        let len = u32_at(head, 4, be) as usize;
        if len < 12 || len % 4 != 0 {
            return Err(corrupt(
                offset + 4,
                "block length below 12 or not a multiple of 4",
            ));
        }
        if !matches!(kind, SHB | IDB | OPB | SPB | EPB) {
            let skipped = skip(input, len as u64)?;
            if skipped < len as u64 {
                return Err(trunc(offset, "block", len, skipped as usize));
            }
            continue;
        }
        if len > MAX_BLOCK {
            return Err(CaptureError::TooLarge {
                offset,
                what: "block",
                len: len as u64,
                limit: MAX_BLOCK as u64,
            });
        }
        let block = input.fill(len)?;
        if block.len() < len {
            return Err(trunc(offset, "block", len, block.len()));
        }
        if u32_at(block, len - 4, be) as usize != len {
            return Err(corrupt(
                offset + len as u64 - 4,
                "block trailing length differs from its leading length",
            ));
        }
        let body = &block[8..len - 4];
        let at = offset + 8;
        match kind {
            SHB => {
                if u16_at(body, 4, be) != 1 {
                    return Err(corrupt(at + 4, "pcapng major version is not 1"));
                }
            }
            IDB => st.add_interface(body, at)?,
            _ => {
                let (iface, ts, data) = st.packet(kind, body, at)?;
                f(&Frame {
                    ts,
                    link: iface.link,
                    data,
                    interface: iface.id,
                });
                sum.frames += 1;
                sum.bytes += data.len() as u64;
            }
        }
        input.consume(len);
        if let Some(p) = progress {
            p.store(input.offset(), Ordering::Relaxed);
        }
    }
}

impl NgState {
    fn add_interface(&mut self, body: &[u8], at: u64) -> Result<(), CaptureError> {
        let be = self.big_endian;
        if body.len() < 8 {
            return Err(trunc(at, "interface description", 8, body.len()));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(corrupt(at, "more than 4096 interfaces in one section"));
        }
        let mut iface = Interface {
            link: LinkType::from_dlt(u32::from(u16_at(body, 0, be))),
            snaplen: u32_at(body, 4, be),
            resolution: Resolution::Decimal(6),
            offset_secs: 0,
            id: self.next_id,
        };
        let mut opts = &body[8..];
        let mut opt_at = at + 8;
        while opts.len() >= 4 {
            let code = u16_at(opts, 0, be);
            let olen = usize::from(u16_at(opts, 2, be));
            let padded = (olen + 3) & !3;
            let Some(value) = opts.get(4..4 + olen) else {
                return Err(corrupt(opt_at, "option runs past its block"));
            };
            match (code, olen) {
                (0, _) => break,
                (9, 1) => {
                    let r = value[0];
                    iface.resolution = match (r & 0x80 != 0, u32::from(r & 0x7f)) {
                        (false, n) if n <= 18 => Resolution::Decimal(n),
                        (true, n) if n <= 63 => Resolution::Binary(n),
                        _ => return Err(corrupt(opt_at, "if_tsresol out of range")),
                    };
                }
                (14, 8) => {
                    let hi = u64::from(u32_at(value, 0, be));
                    let lo = u64::from(u32_at(value, 4, be));
                    let v = if be { (hi << 32) | lo } else { (lo << 32) | hi };
                    iface.offset_secs = v as i64;
                }
                _ => {}
            }
            let step = (4 + padded).min(opts.len());
            opts = &opts[step..];
            opt_at += step as u64;
        }
        self.interfaces.push(iface);
        self.next_id = self.next_id.saturating_add(1);
        Ok(())
    }

    /// Interface, time and data of a packet block body.
    fn packet<'b>(
        &self,
        kind: u32,
        body: &'b [u8],
        at: u64,
    ) -> Result<(Interface, Timestamp, &'b [u8]), CaptureError> {
        let be = self.big_endian;
        let (index, units, caplen, data_at) = match kind {
            SPB => {
                let origlen = u32_at(body, 0, be) as usize;
                let iface = self.interface(0, at)?;
                let mut caplen = origlen.min(body.len().saturating_sub(4));
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                (0, None, caplen, 4)
            }
            _ => {
                if body.len() < 20 {
                    return Err(trunc(at, "packet block", 20, body.len()));
                }
                let index = if kind == EPB {
                    u32_at(body, 0, be)
                } else {
                    u32::from(u16_at(body, 0, be))
                };
                let units = (u64::from(u32_at(body, 4, be)) << 32) | u64::from(u32_at(body, 8, be));
                (index, Some(units), u32_at(body, 12, be) as usize, 20)
            }
        };
        let iface = self.interface(index, at)?;
        if iface.snaplen != 0 && caplen > iface.snaplen as usize {
            return Err(CaptureError::TooLarge {
                offset: at,
                what: "packet (above the interface snap length)",
                len: caplen as u64,
                limit: u64::from(iface.snaplen),
            });
        }
        let Some(data) = body.get(data_at..data_at + caplen) else {
            return Err(corrupt(at + 12, "packet data runs past its block"));
        };
        let ts = units.map_or(Timestamp::ZERO, |u| iface.timestamp(u));
        Ok((iface, ts, data))
    }

    fn interface(&self, index: u32, at: u64) -> Result<Interface, CaptureError> {
        self.interfaces.get(index as usize).copied().ok_or_else(|| {
            corrupt(
                at,
                "packet refers to an interface not described in its section",
            )
        })
    }
}

impl Interface {
    fn timestamp(&self, units: u64) -> Timestamp {
        let ns: i128 = match self.resolution {
            Resolution::Decimal(n) if n <= 9 => i128::from(units) * 10i128.pow(9 - n),
            Resolution::Decimal(n) => i128::from(units) / 10i128.pow(n - 9),
            Resolution::Binary(n) => (i128::from(units) * 1_000_000_000) >> n,
        };
        let ns = ns + i128::from(self.offset_secs) * 1_000_000_000;
        Timestamp::from_nanos(ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

fn trunc(offset: u64, what: &'static str, need: usize, have: usize) -> CaptureError {
    CaptureError::Truncated {
        offset,
        what,
        need,
        have,
    }
}

fn corrupt(offset: u64, reason: &'static str) -> CaptureError {
    CaptureError::Corrupt { offset, reason }
}
