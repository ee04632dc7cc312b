//! Parse rate of a realistic traffic mix on one core, doing per message what
//! the engine does: `looks_like_sip`, `parse`, then From (+tag), To, Via
//! (+branch), Request-URI, Contact, CSeq, Call-ID, User-Agent and, when there
//! is a body, `sdp::parse`.
//!
//! The messages are the UDP payloads of a classic pcap (Ethernet, IPv4 or
//! IPv6, unfragmented UDP), by default the generator's `/tmp/bench-1m.pcap`
//! (`cargo run --release -p ghostguard-bench -- ...`).
//!
//! `cargo run --release -p ghostguard-sip --example mix_bench [pcap] [messages] [rounds]`
#![allow(clippy::disallowed_methods, clippy::expect_used)] // a benchmark reads the clock and may abort

use std::hint::black_box;
use std::io::Read;
use std::time::Instant;

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
fn payloads(path: &str, max: usize) -> Vec<Vec<u8>> {
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

#[inline(never)]
fn parse_only(buf: &[u8]) -> usize {
    ghostguard_sip::parse(buf).map_or(0, |m| m.header_count())
}

#[inline(never)]
fn one(buf: &[u8]) -> usize {
    let mut n = usize::from(ghostguard_sip::looks_like_sip(buf));
    let Ok(m) = ghostguard_sip::parse(buf) else {
        return n;
    };
    n += m.from().and_then(|f| f.tag().map(<[u8]>::len)).unwrap_or(0);
    n += m.to().map_or(0, |t| t.raw_uri.len());
    n += m.via().map_or(0, |v| {
        v.branch().map_or(1, <[u8]>::len) + usize::from(v.port.unwrap_or(0))
    });
    n += m.request_uri().map_or(0, |u| u.params.len() + 1);
    n += m.contact().map_or(0, |c| c.raw_uri.len());
    n += m.cseq().map_or(0, |c| c.seq as usize);
    n += m.call_id().map_or(0, <[u8]>::len);
    n += m.user_agent().map_or(0, <[u8]>::len);
    if !m.body().is_empty() {
        let sdp = ghostguard_sip::sdp::parse(m.body());
        n += sdp.media.len() + usize::from(sdp.connection.is_some());
    }
    n
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/tmp/bench-1m.pcap".into());
    let max: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let rounds: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let msgs = payloads(&path, max);
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    let parsed = msgs
        .iter()
        .filter(|m| ghostguard_sip::parse(m).is_ok())
        .count();
    println!(
        "{} messages, {} bytes avg, {parsed} parse",
        msgs.len(),
        bytes / msgs.len().max(1)
    );
    for (label, f) in [
        ("parse only", parse_only as fn(&[u8]) -> usize),
        ("mix", one),
    ] {
        let mut best = f64::MAX;
        let mut sink = 0usize;
        for _ in 0..rounds {
            let start = Instant::now();
            for m in &msgs {
                sink = sink.wrapping_add(f(black_box(m)));
            }
            let ns = start.elapsed().as_secs_f64() * 1e9 / msgs.len() as f64;
            best = best.min(ns);
        }
        black_box(sink);
        println!(
            "{label}: best of {rounds}: {best:.1} ns/msg ({:.2} M msg/s), checksum {sink}",
            1e3 / best
        );
    }
}
