//! Parse rate of a typical 600-byte INVITE (11 header fields, SDP body) on one core, with the accessors a
//! detector reads (Call-ID, CSeq, From, To, Via, User-Agent).
//!
//! `cargo run --release -p ghostguard-sip --example parse_bench [iterations]`
#![allow(clippy::disallowed_methods, clippy::expect_used)] // a benchmark reads the clock and may abort

use std::hint::black_box;
use std::time::Instant;

const INVITE: &[u8] = b"INVITE sip:1001@198.51.100.10 SIP/2.0\r\n\
Via: SIP/2.0/UDP 203.0.113.45:5071;branch=z9hG4bK-3927143011;rport\r\n\
Max-Forwards: 70\r\n\
From: \"1001\" <sip:1001@198.51.100.10>;tag=3761418963\r\n\
To: \"1001\" <sip:1001@198.51.100.10>\r\n\
Call-ID: 86295283919485734719282719283@203.0.113.45\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:1001@203.0.113.45:5071>\r\n\
User-Agent: friendly-scanner\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 156\r\n\
\r\n\
v=0\r\n\
o=- 3927143011 3927143011 IN IP4 203.0.113.45\r\n\
s=-\r\n\
c=IN IP4 203.0.113.45\r\n\
t=0 0\r\n\
m=audio 18076 RTP/AVP 0 8 18 101\r\n\
a=rtpmap:101 telephone-event/8000\r\n";

#[inline(never)]
fn one(buf: &[u8]) -> usize {
    let Ok(m) = ghostguard_sip::parse(buf) else {
        return 0;
    };
    let mut n = m.call_id().map_or(0, <[u8]>::len);
    n += m.cseq().map_or(0, |c| c.seq as usize);
    n += m.from().and_then(|f| f.tag().map(<[u8]>::len)).unwrap_or(0);
    n += m.to().map_or(0, |t| t.raw_uri.len());
    n += m.via().and_then(|v| v.port).map_or(0, usize::from);
    n += m.user_agent().map_or(0, <[u8]>::len);
    n
}

#[inline(never)]
fn with_defects(buf: &[u8]) -> usize {
    ghostguard_sip::parse(buf).map_or(0, |m| m.defects().len() + m.header_count())
}

#[inline(never)]
fn parse_only(buf: &[u8]) -> usize {
    ghostguard_sip::parse(buf).map_or(0, |m| m.header_count())
}

fn run(label: &str, iterations: u32, f: fn(&[u8]) -> usize) {
    assert!(f(INVITE) > 0, "bench message must parse");
    for _ in 0..iterations / 10 {
        black_box(f(black_box(INVITE)));
    }
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..iterations {
        sink = sink.wrapping_add(f(black_box(INVITE)));
    }
    let secs = start.elapsed().as_secs_f64();
    black_box(sink);
    println!(
        "{label:<34} {} bytes x {iterations}: {:.2} M msg/s ({:.0} ns/msg)",
        INVITE.len(),
        f64::from(iterations) / secs / 1e6,
        secs * 1e9 / f64::from(iterations),
    );
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3_000_000);
    let m = ghostguard_sip::parse(INVITE).expect("bench message parses");
    assert!(
        m.defects().is_empty(),
        "bench message is clean: {}",
        m.defects()
    );
    run("parse only", iterations, parse_only);
    run("parse + call_id/cseq/from/to/via/ua", iterations, one);
    run("parse + defects() (full check)", iterations, with_defects);
}
