//! Synthetic SIP captures for benchmarks: a deterministic mix of phone
//! registrations, provider calls, keep-alives and attacks (svmap sweeps,
//! svwar enumeration, svcrack guessing, INVITE floods), ~5 % IPv6, some TCP
//! (several messages per segment, messages split across segments) and some
//! fragmented IPv4. Addresses: phones in 10.0.0.0/16, the provider in
//! 198.51.100.0/24 and 2001:db8:5::/48, attackers in 203.0.113.0/24.
//!
//! This is not a traffic model of any real network; it exercises every path
//! of the pipeline at a realistic message size (300–1,000 bytes).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::PacketBuilder;
use ghostguard_capture::write::PcapWriter;
use ghostguard_packet::{LinkType, Span, Timestamp};

mod sip;
pub use sip::Msg;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// SIP messages to write (at least).
    pub messages: u64,
    pub seed: u64,
    /// Percent of flows over IPv6.
    pub ipv6_pct: u32,
    /// Percent of phone flows over TCP.
    pub tcp_pct: u32,
    /// Percent of INVITEs made large enough to be fragmented.
    pub frag_pct: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            messages: 1_000_000,
            seed: 7,
            ipv6_pct: 5,
            tcp_pct: 3,
            frag_pct: 1,
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct GenStats {
    pub messages: u64,
    pub frames: u64,
    pub bytes: u64,
    pub attack_messages: u64,
}

/// xorshift64*: deterministic, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pct(&mut self, p: u32) -> bool {
        self.below(100) < u64::from(p)
    }
}

const MAC_A: [u8; 6] = [0x00, 0x15, 0x65, 0x01, 0x02, 0x03];
const MAC_B: [u8; 6] = [0x00, 0x0c, 0x29, 0x0a, 0x0b, 0x0c];

struct Out<W: Write> {
    w: PcapWriter<W>,
    ts: Timestamp,
    buf: Vec<u8>,
    stats: GenStats,
    tcp_seq: std::collections::HashMap<(IpAddr, u16, IpAddr, u16), u32>,
    ip_id: u16,
}

impl<W: Write> Out<W> {
    fn tick(&mut self, rng: &mut Rng) {
        self.ts = self
            .ts
            .add(Span::from_nanos(20_000 + rng.below(200_000) as i64));
    }

    fn udp(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16), payload: &[u8]) -> io::Result<()> {
        self.buf.clear();
        let b = PacketBuilder::ethernet2(MAC_A, MAC_B);
        let r = match (src.0, dst.0) {
            (IpAddr::V4(s), IpAddr::V4(d)) => b
                .ipv4(s.octets(), d.octets(), 64)
                .udp(src.1, dst.1)
                .write(&mut self.buf, payload),
            (IpAddr::V6(s), IpAddr::V6(d)) => b
                .ipv6(s.octets(), d.octets(), 64)
                .udp(src.1, dst.1)
                .write(&mut self.buf, payload),
            _ => return Err(io::Error::other("mixed address families")),
        };
        r.map_err(io::Error::other)?;
        self.frame()
    }

    fn tcp(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16), payload: &[u8]) -> io::Result<()> {
        let (IpAddr::V4(s), IpAddr::V4(d)) = (src.0, dst.0) else {
            return self.udp(src, dst, payload);
        };
        // One message across two segments now and then.
        if payload.len() > 400 && self.stats.frames % 3 == 0 {
            let (a, b) = payload.split_at(payload.len() / 2);
            self.tcp_segment(src, dst, s, d, a)?;
            return self.tcp_segment(src, dst, s, d, b);
        }
        self.tcp_segment(src, dst, s, d, payload)
    }

    fn tcp_segment(
        &mut self,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        s: Ipv4Addr,
        d: Ipv4Addr,
        payload: &[u8],
    ) -> io::Result<()> {
        self.buf.clear();
        let seq_slot = self
            .tcp_seq
            .entry((src.0, src.1, dst.0, dst.1))
            .or_insert(1);
        let seq = *seq_slot;
        *seq_slot = seq.wrapping_add(payload.len() as u32);
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(s.octets(), d.octets(), 64)
            .tcp(src.1, dst.1, seq, 65_000)
            .ack(1)
            .psh()
            .write(&mut self.buf, payload)
            .map_err(io::Error::other)?;
        self.frame()
    }

    /// IPv4 UDP split into fragments of at most 1,480 payload bytes.
    fn fragmented(
        &mut self,
        src: (Ipv4Addr, u16),
        dst: (Ipv4Addr, u16),
        payload: &[u8],
    ) -> io::Result<()> {
        let mut udp = Vec::with_capacity(payload.len() + 8);
        udp.extend_from_slice(&src.1.to_be_bytes());
        udp.extend_from_slice(&dst.1.to_be_bytes());
        udp.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        self.ip_id = self.ip_id.wrapping_add(1);
        let mut off = 0usize;
        while off < udp.len() {
            let end = (off + 1480).min(udp.len());
            let more = end < udp.len();
            let chunk = &udp[off..end];
            let mut h = etherparse::Ipv4Header::new(
                chunk.len() as u16,
                64,
                etherparse::IpNumber::UDP,
                src.0.octets(),
                dst.0.octets(),
            )
            .map_err(io::Error::other)?;
            h.identification = self.ip_id;
            h.more_fragments = more;
            h.fragment_offset =
                etherparse::IpFragOffset::try_new((off / 8) as u16).map_err(io::Error::other)?;
            h.header_checksum = h.calc_header_checksum();
            self.buf.clear();
            self.buf.extend_from_slice(&MAC_B);
            self.buf.extend_from_slice(&MAC_A);
            self.buf.extend_from_slice(&[0x08, 0x00]);
            h.write(&mut self.buf).map_err(io::Error::other)?;
            self.buf.extend_from_slice(chunk);
            self.frame()?;
            off = end;
        }
        Ok(())
    }

    fn frame(&mut self) -> io::Result<()> {
        self.w.write(self.ts, &self.buf)?;
        self.stats.frames += 1;
        self.stats.bytes += self.buf.len() as u64 + 16;
        Ok(())
    }
}

fn phone_v4(i: u64) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250 + 2) as u8)
}

/// Writes a synthetic capture (pcap, Ethernet, microseconds).
pub fn generate<W: Write>(w: W, cfg: &GenConfig) -> io::Result<GenStats> {
    let mut rng = Rng::new(cfg.seed);
    let mut out = Out {
        w: PcapWriter::new(w, LinkType::Ethernet)?,
        ts: Timestamp::from_parts(1_763_800_000, 0),
        buf: Vec::with_capacity(4096),
        stats: GenStats::default(),
        tcp_seq: std::collections::HashMap::new(),
        ip_id: 0,
    };
    let provider4 = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10));
    let provider6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 5, 0, 0, 0, 0, 10));
    let mut n: u64 = 0;
    while out.stats.messages < cfg.messages {
        n += 1;
        let phone_i = rng.below(4000);
        let v6 = rng.pct(cfg.ipv6_pct);
        let (phone, provider) = if v6 {
            (
                IpAddr::V6(Ipv6Addr::new(
                    0x2001,
                    0xdb8,
                    77,
                    0,
                    0,
                    0,
                    0,
                    phone_i as u16 + 2,
                )),
                provider6,
            )
        } else {
            (IpAddr::V4(phone_v4(phone_i)), provider4)
        };
        let tcp = !v6 && rng.pct(cfg.tcp_pct);
        let scenario = rng.below(100);
        let msgs: Vec<(bool, Msg)> = match scenario {
            0..=34 => sip::registration(&mut rng, phone, provider, phone_i),
            35..=64 => {
                let big = rng.pct(cfg.frag_pct);
                sip::call(&mut rng, phone, provider, phone_i, big)
            }
            65..=79 => sip::keepalive(&mut rng, phone, provider, phone_i),
            80..=89 => sip::svmap(&mut rng, n),
            90..=95 => sip::svwar(&mut rng, n),
            96..=98 => sip::svcrack(&mut rng, n),
            _ => sip::flood(&mut rng, n),
        };
        for (attack, m) in msgs {
            out.tick(&mut rng);
            let payload = m.payload.as_bytes();
            if m.fragment {
                if let ((IpAddr::V4(s), sp), (IpAddr::V4(d), dp)) = (m.src, m.dst) {
                    out.fragmented((s, sp), (d, dp), payload)?;
                } else {
                    out.udp(m.src, m.dst, payload)?;
                }
            } else if tcp && !attack {
                out.tcp(m.src, m.dst, payload)?;
            } else {
                out.udp(m.src, m.dst, payload)?;
            }
            out.stats.messages += 1;
            out.stats.attack_messages += u64::from(attack);
        }
    }
    out.w.into_inner().flush()?;
    Ok(out.stats)
}

/// In-process timings on one core of the analyze pipeline's stages: read +
/// decode, then + SIP parse, then + engine. Returns (stage, seconds, messages).
pub fn stages(path: &std::path::Path) -> anyhow::Result<Vec<(&'static str, f64, u64)>> {
    use ghostguard_capture::CaptureReader;
    use ghostguard_engine::{Engine, EngineConfig, Observation, Rules};
    use ghostguard_packet::{Decoder, Limits};
    const NAMES: [&str; 3] = [
        "read + decode",
        "read + decode + parse",
        "read + decode + parse + engine",
    ];
    let mut out = Vec::new();
    for (stage, name) in NAMES.iter().enumerate() {
        let mut reader = CaptureReader::open(path)?;
        let mut decoder = Decoder::new(Limits::default());
        let mut engine = Engine::new(EngineConfig::default(), Rules::default_rules()?)?;
        let mut n = 0u64;
        let t = std::time::Instant::now();
        reader.for_each_frame(&mut |frame| {
            let _ = decoder.decode(frame, &mut |d| {
                n += 1;
                if stage == 0 {
                    return;
                }
                let parsed = ghostguard_sip::parse(d.payload);
                if stage == 2 {
                    engine.handle(Observation {
                        datagram: d,
                        message: parsed.as_ref(),
                    });
                    while engine.poll_action().is_some() {}
                } else {
                    std::hint::black_box(&parsed);
                }
            });
        })?;
        std::hint::black_box(engine.finish());
        out.push((*name, t.elapsed().as_secs_f64(), n));
    }
    Ok(out)
}
