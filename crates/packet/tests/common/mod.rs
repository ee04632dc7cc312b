//! Shared helpers of the packet tests: sample messages, addresses, and a
//! decoder run that keeps owned copies of what came out.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use ghostguard_packet::{
    Datagram, DecodeError, Decoder, Frame, Limits, LinkType, Timestamp, Transport,
};

pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn a4() -> (SocketAddr, SocketAddr) {
    (addr("192.0.2.10:5060"), addr("198.51.100.20:5060"))
}

pub fn a6() -> (SocketAddr, SocketAddr) {
    (addr("[2001:db8::10]:5060"), addr("[2001:db8::20]:5060"))
}

/// An OPTIONS request like the ones scanners send.
pub fn options(tag: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:100@198.51.100.20 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-{tag}\r\n\
         From: \"sipvicious\"<sip:100@1.1.1.1>;tag={tag}\r\n\
         To: \"sipvicious\"<sip:100@1.1.1.1>\r\n\
         Call-ID: {tag}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// An INVITE with an SDP body of about `body_len` bytes.
pub fn invite(tag: &str, body_len: usize) -> Vec<u8> {
    let mut body =
        String::from("v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n");
    while body.len() < body_len {
        body.push_str("a=rtpmap:0 PCMU/8000\r\n");
    }
    format!(
        "INVITE sip:200@198.51.100.20 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-{tag}\r\n\
         From: <sip:100@192.0.2.10>;tag={tag}\r\n\
         To: <sip:200@198.51.100.20>\r\n\
         Call-ID: {tag}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:100@192.0.2.10>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// What the sink saw, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub ttl: u8,
    pub ip_id: Option<u16>,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    pub vlan: Option<u16>,
    pub interface: u32,
    pub payload: Vec<u8>,
    pub hep: bool,
    pub fragmented: bool,
}

impl From<&Datagram<'_>> for Got {
    fn from(d: &Datagram<'_>) -> Self {
        Got {
            ts: d.ts,
            src: d.src,
            dst: d.dst,
            transport: d.transport,
            ttl: d.ttl,
            ip_id: d.ip_id,
            src_mac: d.src_mac,
            dst_mac: d.dst_mac,
            vlan: d.vlan,
            interface: d.interface,
            payload: d.payload.to_vec(),
            hep: d.hep,
            fragmented: d.fragmented,
        }
    }
}

/// Time `ms` milliseconds after an arbitrary start.
pub fn ms(ms: i64) -> Timestamp {
    Timestamp::from_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

/// Decodes `frames` (link type, bytes), one millisecond apart; returns the
/// datagrams and the per-frame results.
pub fn run(
    dec: &mut Decoder,
    link: LinkType,
    frames: &[Vec<u8>],
) -> (Vec<Got>, Vec<Result<(), DecodeError>>) {
    let mut got = Vec::new();
    let mut results = Vec::new();
    for (i, data) in frames.iter().enumerate() {
        let frame = Frame {
            ts: ms(i as i64),
            link,
            data,
            interface: 0,
        };
        results.push(dec.decode(&frame, &mut |d| got.push(Got::from(d))));
    }
    (got, results)
}

/// [`run`] with a fresh default decoder, raw IP frames, expecting no errors.
pub fn run_raw(frames: &[Vec<u8>]) -> (Vec<Got>, Decoder) {
    let mut dec = Decoder::new(Limits::default());
    let (got, results) = run(&mut dec, LinkType::Raw, frames);
    for r in results {
        r.unwrap();
    }
    (got, dec)
}

pub fn payloads(got: &[Got]) -> Vec<Vec<u8>> {
    got.iter().map(|g| g.payload.clone()).collect()
}
