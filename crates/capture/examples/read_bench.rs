//! Reading and decoding speed for one capture file.
//!
//! ```text
//! cargo run --release -p ghostguard-capture --example read_bench -- FILE
//! cargo run --release -p ghostguard-capture --example read_bench -- --generate FILE N [tcp]
//! ```
//! The first form reads FILE twice: once only iterating frames, once also
//! decoding them; it prints frames/s and SIP payloads/s. The second writes N
//! small Ethernet/UDP SIP frames (300-byte OPTIONS from 250 rotating
//! sources) to FILE (gzip when it ends in `.gz`); with `tcp`, the same
//! messages go over 250 TCP connections, one message per segment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Instant;

use ghostguard_capture::CaptureReader;
use ghostguard_capture::write::PcapWriter;
use ghostguard_packet::{Decoder, Limits, LinkType, Timestamp, synth};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, file, n] if flag == "--generate" => {
            generate(Path::new(file), n.parse().expect("N"), false)
        }
        [flag, file, n, tcp] if flag == "--generate" && tcp == "tcp" => {
            generate(Path::new(file), n.parse().expect("N"), true)
        }
        [file] => bench(Path::new(file)),
        _ => {
            eprintln!("usage: read_bench FILE | read_bench --generate FILE N [tcp]");
            std::process::exit(2);
        }
    }
}

fn bench(path: &Path) {
    if path != Path::new("-") {
        read_only(path);
    }
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| fail(&e));
    let mut dec = Decoder::new(Limits::default());
    let (mut frames, mut sip) = (0u64, 0u64);
    let start = Instant::now();
    let res = r.for_each_frame(&mut |f| {
        frames += 1;
        let _ = dec.decode(f, &mut |_| sip += 1);
    });
    dec.flush(&mut |_| sip += 1);
    let s = start.elapsed().as_secs_f64();
    if let Err(e) = res {
        eprintln!("stopped early: {e}");
    }
    println!(
        "decode: {frames} frames, {sip} SIP payloads in {s:.3} s = {:.2} M frames/s, {:.2} M SIP payloads/s",
        frames as f64 / s / 1e6,
        sip as f64 / s / 1e6
    );
    println!("stats:  {:?}", dec.stats());
}

/// Iteration alone: no decoding.
fn read_only(path: &Path) {
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| fail(&e));
    let start = Instant::now();
    let mut frames = 0u64;
    let mut sum = 0u64;
    let res = r.for_each_frame(&mut |f| {
        frames += 1;
        sum = sum.wrapping_add(f.data.len() as u64);
    });
    let read_s = start.elapsed().as_secs_f64();
    if let Err(e) = res {
        eprintln!("stopped early: {e}");
    }
    println!(
        "read:   {frames} frames ({} MB) in {read_s:.3} s = {:.2} M frames/s",
        sum / 1_000_000,
        frames as f64 / read_s / 1e6
    );
}

fn generate(path: &Path, n: u64, tcp: bool) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap_or_else(|e| fail(&e)));
    let out: Box<dyn Write> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    };
    let mut w = PcapWriter::new(out, LinkType::Ethernet).unwrap();
    let dst = SocketAddr::from((Ipv4Addr::new(198, 51, 100, 20), 5060));
    let mut next_seq = [1u32; 250];
    for i in 0..n {
        let src = SocketAddr::from((Ipv4Addr::from(0xcb00_7100 + (i % 250) as u32), 5070));
        let msg = format!(
            "OPTIONS sip:{}@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP {src};branch=z9hG4bK-{i}\r\n\
             From: \"sipvicious\"<sip:100@1.1.1.1>;tag={i}\r\nTo: \"sipvicious\"<sip:100@1.1.1.1>\r\n\
             Call-ID: {i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            100 + i % 900
        );
        let ip = if tcp {
            let seq = &mut next_seq[(i % 250) as usize];
            let ip = synth::tcp(src, dst, *seq, synth::ACK | synth::PSH, msg.as_bytes());
            *seq = seq.wrapping_add(msg.len() as u32);
            ip
        } else {
            synth::udp(src, dst, msg.as_bytes())
        };
        let frame = synth::ethernet([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], &[], &ip);
        w.write(
            Timestamp::from_nanos(1_704_067_200_000_000_000 + i as i64 * 10_000),
            &frame,
        )
        .unwrap();
    }
    w.into_inner().flush().unwrap();
}

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("read_bench: {e}");
    std::process::exit(1);
}
