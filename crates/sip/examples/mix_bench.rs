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
use std::time::Instant;

#[path = "support/pcap.rs"]
mod pcap;

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
    let msgs = pcap::payloads(&path, max);
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
