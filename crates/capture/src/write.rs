//! Small pcap and pcapng writers for tests, fixtures and synthetic
//! benchmark captures. Not a general capture writer: no options beyond
//! `if_tsresol`, no statistics.

use std::io::{self, Write};

use ghostguard_packet::{LinkType, Timestamp};

/// Writes classic pcap.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    nanos: bool,
    big_endian: bool,
}

impl<W: Write> PcapWriter<W> {
    /// Little-endian, microsecond pcap with a 262144-byte snap length.
    pub fn new(w: W, link: LinkType) -> io::Result<Self> {
        Self::with_format(w, link, false, false, 262_144)
    }

    pub fn with_format(
        mut w: W,
        link: LinkType,
        nanos: bool,
        big_endian: bool,
        snaplen: u32,
    ) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = Vec::with_capacity(24);
        put32(&mut h, magic, big_endian);
        put16(&mut h, 2, big_endian);
        put16(&mut h, 4, big_endian);
        put32(&mut h, 0, big_endian); // thiszone
        put32(&mut h, 0, big_endian); // sigfigs
        put32(&mut h, snaplen, big_endian);
        put32(&mut h, link.to_dlt(), big_endian);
        w.write_all(&h)?;
        Ok(PcapWriter {
            w,
            nanos,
            big_endian,
        })
    }

    /// One record with its original length equal to `data.len()`.
    pub fn write(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        self.write_record(ts, data, data.len() as u32)
    }

    pub fn write_record(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let be = self.big_endian;
        let sub = ts.as_nanos().rem_euclid(1_000_000_000) as u32;
        let mut h = Vec::with_capacity(16);
        put32(&mut h, ts.as_secs() as u32, be);
        put32(&mut h, if self.nanos { sub } else { sub / 1000 }, be);
        put32(&mut h, data.len() as u32, be);
        put32(&mut h, orig_len, be);
        self.w.write_all(&h)?;
        self.w.write_all(data)
    }

    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Writes pcapng: one section to start with, interfaces added on demand.
#[derive(Debug)]
pub struct PcapNgWriter<W: Write> {
    w: W,
    big_endian: bool,
    /// `if_tsresol` of each interface of the current section.
    resolutions: Vec<u8>,
}

impl<W: Write> PcapNgWriter<W> {
    /// Little-endian pcapng with its first section header written.
    pub fn new(w: W) -> io::Result<Self> {
        Self::with_byte_order(w, false)
    }

    pub fn with_byte_order(w: W, big_endian: bool) -> io::Result<Self> {
        let mut me = PcapNgWriter {
            w,
            big_endian,
            resolutions: Vec::new(),
        };
        me.new_section()?;
        Ok(me)
    }

    /// Starts another section; interfaces must be added again.
    pub fn new_section(&mut self) -> io::Result<()> {
        let be = self.big_endian;
        let mut body = Vec::new();
        put32(&mut body, 0x1a2b_3c4d, be);
        put16(&mut body, 1, be);
        put16(&mut body, 0, be);
        body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        self.resolutions.clear();
        self.block(0x0a0d_0d0a, &body)
    }

    /// Adds an interface; `tsresol` is the raw `if_tsresol` byte (None:
    /// the default, microseconds). Returns its id within the section.
    pub fn add_interface(
        &mut self,
        link: LinkType,
        snaplen: u32,
        tsresol: Option<u8>,
    ) -> io::Result<u32> {
        let be = self.big_endian;
        let mut body = Vec::new();
        put16(&mut body, link.to_dlt() as u16, be);
        put16(&mut body, 0, be);
        put32(&mut body, snaplen, be);
        if let Some(r) = tsresol {
            put16(&mut body, 9, be);
            put16(&mut body, 1, be);
            body.extend_from_slice(&[r, 0, 0, 0]);
            put32(&mut body, 0, be); // opt_endofopt
        }
        self.block(1, &body)?;
        self.resolutions.push(tsresol.unwrap_or(6));
        Ok(self.resolutions.len() as u32 - 1)
    }

    /// An Enhanced Packet Block.
    pub fn write_epb(&mut self, interface: u32, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        let mut head = Vec::new();
        put32(&mut head, interface, self.big_endian);
        self.packet_block(6, &head, interface, ts, data)
    }

    /// A Simple Packet Block (interface 0, no time).
    pub fn write_spb(&mut self, data: &[u8]) -> io::Result<()> {
        let mut body = Vec::with_capacity(4 + data.len() + 3);
        put32(&mut body, data.len() as u32, self.big_endian);
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// An obsolete Packet Block (no drop count).
    pub fn write_opb(&mut self, interface: u16, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        let mut head = Vec::new();
        put16(&mut head, interface, self.big_endian);
        put16(&mut head, 0, self.big_endian);
        self.packet_block(2, &head, u32::from(interface), ts, data)
    }

    /// `head` (interface fields), time, lengths and data.
    fn packet_block(
        &mut self,
        kind: u32,
        head: &[u8],
        interface: u32,
        ts: Timestamp,
        data: &[u8],
    ) -> io::Result<()> {
        let be = self.big_endian;
        let units = self.units(interface, ts);
        let mut body = Vec::with_capacity(20 + data.len() + 3);
        body.extend_from_slice(head);
        put32(&mut body, (units >> 32) as u32, be);
        put32(&mut body, units as u32, be);
        put32(&mut body, data.len() as u32, be);
        put32(&mut body, data.len() as u32, be);
        body.extend_from_slice(data);
        self.block(kind, &body)
    }

    /// Any block, padded to 4 bytes (for blocks a reader should skip).
    pub fn block(&mut self, kind: u32, body: &[u8]) -> io::Result<()> {
        let be = self.big_endian;
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        let mut b = Vec::with_capacity(total as usize);
        put32(&mut b, kind, be);
        put32(&mut b, total, be);
        b.extend_from_slice(body);
        b.extend_from_slice(&[0; 3][..pad]);
        put32(&mut b, total, be);
        self.w.write_all(&b)
    }

    pub fn into_inner(self) -> W {
        self.w
    }

    fn units(&self, interface: u32, ts: Timestamp) -> u64 {
        let r = self
            .resolutions
            .get(interface as usize)
            .copied()
            .unwrap_or(6);
        let ns = i128::from(ts.as_nanos());
        let units = if r & 0x80 != 0 {
            (ns << (r & 0x7f)) / 1_000_000_000
        } else if r <= 9 {
            ns / 10i128.pow(9 - u32::from(r))
        } else {
            ns * 10i128.pow(u32::from(r) - 9)
        };
        units as u64
    }
}

fn put32(b: &mut Vec<u8>, v: u32, big_endian: bool) {
    b.extend_from_slice(&if big_endian {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    });
}

fn put16(b: &mut Vec<u8>, v: u16, big_endian: bool) {
    b.extend_from_slice(&if big_endian {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    });
}
