//! Shared helpers of the capture tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::SocketAddr;

use ghostguard_capture::{CaptureError, CaptureReader, ReadSummary};
use ghostguard_packet::synth;
use ghostguard_packet::{LinkType, Timestamp};

pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn sip(method: &str, n: usize) -> Vec<u8> {
    format!(
        "{method} sip:{n}@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK{n}\r\n\
         Call-ID: c{n}\r\nCSeq: {n} {method}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// An Ethernet frame with a UDP SIP request numbered `n`.
pub fn eth_sip(n: usize) -> Vec<u8> {
    let ip = synth::udp(
        addr("192.0.2.10:5060"),
        addr("198.51.100.20:5060"),
        &sip("OPTIONS", n),
    );
    synth::ethernet(MAC_A, MAC_B, &[], &ip)
}

/// A frame read back, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub ts: Timestamp,
    pub link: LinkType,
    pub interface: u32,
    pub data: Vec<u8>,
}

pub fn read_all(r: &mut CaptureReader) -> (Vec<Rec>, Result<ReadSummary, CaptureError>) {
    let mut out = Vec::new();
    let res = r.for_each_frame(&mut |f| {
        out.push(Rec {
            ts: f.ts,
            link: f.link,
            interface: f.interface,
            data: f.data.to_vec(),
        })
    });
    (out, res)
}

/// Reads `bytes` as a stream (the pipe / gzip path).
pub fn read_stream(bytes: Vec<u8>) -> (Vec<Rec>, Result<ReadSummary, CaptureError>) {
    match CaptureReader::from_reader(Box::new(std::io::Cursor::new(bytes))) {
        Ok(mut r) => read_all(&mut r),
        Err(e) => (Vec::new(), Err(e)),
    }
}

/// Writes `bytes` to a temporary file and reads it by path (the mmap path).
pub fn read_file(bytes: &[u8]) -> (Vec<Rec>, Result<ReadSummary, CaptureError>) {
    let dir = tempdir();
    let path = dir.join("t.cap");
    std::fs::write(&path, bytes).unwrap();
    let out = match CaptureReader::open(&path) {
        Ok(mut r) => read_all(&mut r),
        Err(e) => (Vec::new(), Err(e)),
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A fresh directory under the target dir's temp area.
pub fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ghostguard-capture-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn ts(secs: i64, nanos: u32) -> Timestamp {
    Timestamp::from_parts(secs, nanos)
}
