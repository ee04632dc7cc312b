//! TCP reassembly: framing, reordering, retransmissions, gaps and bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_packet::synth::{self, ACK, FIN, PSH, RST, SYN};
use ghostguard_packet::{Decoder, Frame, Limits, LinkType, Span, Transport};

/// Builds segments of one direction of a connection.
struct Conv {
    src: std::net::SocketAddr,
    dst: std::net::SocketAddr,
    isn: u32,
}

impl Conv {
    fn new(isn: u32) -> Self {
        let (src, dst) = a4();
        Conv { src, dst, isn }
    }
    fn syn(&self) -> Vec<u8> {
        synth::tcp(self.src, self.dst, self.isn, SYN, b"")
    }
    /// Data at stream offset `off` (0 = first byte after the SYN).
    fn data(&self, off: usize, bytes: &[u8]) -> Vec<u8> {
        synth::tcp(
            self.src,
            self.dst,
            self.isn.wrapping_add(1 + off as u32),
            ACK | PSH,
            bytes,
        )
    }
    fn flags(&self, off: usize, flags: u8) -> Vec<u8> {
        synth::tcp(
            self.src,
            self.dst,
            self.isn.wrapping_add(1 + off as u32),
            flags,
            b"",
        )
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn two_messages_in_one_segment() {
    let c = Conv::new(1000);
    let (m1, m2) = (options("1"), invite("2", 300));
    let (got, dec) = run_raw(&[c.syn(), c.data(0, &cat(&[&m1, &m2]))]);
    assert_eq!(payloads(&got), vec![m1, m2]);
    assert!(
        got.iter()
            .all(|g| g.transport == Transport::Tcp && g.src == c.src && g.ttl == 64)
    );
    assert_eq!(dec.stats().sip_payloads, 2);
}

#[test]
fn one_message_across_three_segments() {
    let c = Conv::new(5);
    let m = invite("split", 1500);
    let (a, b) = (500, 1000);
    let frames = [
        c.syn(),
        c.data(0, &m[..a]),
        c.data(a, &m[a..b]),
        c.data(b, &m[b..]),
    ];
    let (got, _) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![m]);
    assert_eq!(got[0].ts, ms(3), "time of the segment that completed it");
}

#[test]
fn out_of_order_segments_are_put_back_in_order() {
    let c = Conv::new(77);
    let (m1, m2, m3) = (options("1"), options("2"), options("3"));
    let (l1, l2) = (m1.len(), m1.len() + m2.len());
    let frames = [c.syn(), c.data(l2, &m3), c.data(0, &m1), c.data(l1, &m2)];
    let (got, dec) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![m1, m2, m3]);
    assert_eq!(dec.stats().tcp_out_of_order, 1);
    assert_eq!(dec.stats().tcp_gaps, 0);
}

#[test]
fn retransmissions_do_not_duplicate() {
    let c = Conv::new(9);
    let (m1, m2) = (options("1"), invite("2", 400));
    let l1 = m1.len();
    let both = cat(&[&m1, &m2]);
    let frames = [
        c.syn(),
        c.data(0, &m1),
        c.data(0, &m1),              // full retransmission
        c.data(0, &both[..l1 + 50]), // overlap: old bytes plus 50 new
        c.data(l1 + 50, &both[l1 + 50..]),
        c.data(l1 + 50, &both[l1 + 50..]),
    ];
    let (got, dec) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![m1, m2]);
    assert!(dec.stats().tcp_retransmits >= 3);
}

#[test]
fn crlf_keepalives_are_skipped() {
    let c = Conv::new(0);
    let (m1, m2) = (options("1"), options("2"));
    let mut s = Vec::new();
    let mut frames = vec![c.syn()];
    for part in [
        &b"\r\n\r\n"[..],
        &m1,
        b"\r\n\r\n",
        b"\r\n",
        &m2,
        b"\r\n\r\n",
    ] {
        frames.push(c.data(s.len(), part));
        s.extend_from_slice(part);
    }
    let (got, dec) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![m1, m2]);
    assert_eq!(dec.stats().tcp_framing_errors, 0);
}

#[test]
fn a_lost_segment_is_skipped_after_the_gap_timeout() {
    let c = Conv::new(1_000_000);
    let (m1, m2, m3, m4) = (options("1"), invite("2", 800), options("3"), options("4"));
    let s = cat(&[&m1, &m2, &m3, &m4]);
    let cut = m1.len() + 300; // the lost segment holds the middle of m2
    let m3_at = m1.len() + m2.len();
    let m4_at = m3_at + m3.len();
    let mut dec = Decoder::new(Limits {
        tcp_gap_timeout: Span::from_secs(1),
        ..Limits::default()
    });
    let mut got = Vec::new();
    let mut feed = |t: i64, f: Vec<u8>| {
        dec.decode(&Frame::new(ms(t), LinkType::Raw, &f), &mut |d| {
            got.push(Got::from(d))
        })
        .unwrap();
    };
    feed(0, c.syn());
    feed(1, c.data(0, &s[..cut]));
    // (s[cut..m3_at - 100] is never seen)
    feed(2, c.data(m3_at - 100, &s[m3_at - 100..m4_at]));
    feed(3000, c.data(m4_at, &s[m4_at..]));
    assert_eq!(payloads(&got), vec![m1, m3, m4]);
    assert_eq!(dec.stats().tcp_gaps, 1);
    assert!(dec.stats().tcp_bytes_dropped > 0);
}

#[test]
fn a_gap_at_the_end_is_delivered_by_flush() {
    let c = Conv::new(42);
    let (m1, m2, m3) = (options("1"), options("2"), options("3"));
    let at3 = m1.len() + m2.len();
    let mut dec = Decoder::new(Limits::default());
    let (got, _) = run(
        &mut dec,
        LinkType::Raw,
        &[c.syn(), c.data(0, &m1), c.data(at3, &m3)],
    );
    assert_eq!(payloads(&got), vec![m1]);
    let mut rest = Vec::new();
    dec.flush(&mut |d| rest.push(Got::from(d)));
    assert_eq!(payloads(&rest), vec![m3]);
    assert_eq!((dec.stats().tcp_gaps, dec.tracked().0), (1, 0));
}

#[test]
fn too_many_waiting_segments_force_the_gap() {
    let c = Conv::new(3);
    let msgs: Vec<Vec<u8>> = (0..6).map(|i| options(&i.to_string())).collect();
    let s = msgs.concat();
    let mut offs = vec![0];
    for m in &msgs {
        offs.push(offs.last().unwrap() + m.len());
    }
    let limits = Limits {
        max_out_of_order_segments: 2,
        ..Limits::default()
    };
    let mut dec = Decoder::new(limits);
    // Message 0 lost; 1..6 arrive: the third waiting one forces the skip.
    let frames: Vec<Vec<u8>> = std::iter::once(c.syn())
        .chain((1..6).map(|i| c.data(offs[i], &s[offs[i]..offs[i + 1]])))
        .collect();
    let (got, _) = run(&mut dec, LinkType::Raw, &frames);
    assert_eq!(payloads(&got), msgs[1..].to_vec());
    assert_eq!(dec.stats().tcp_gaps, 1);
}

#[test]
fn flow_count_is_bounded() {
    let mut dec = Decoder::new(Limits {
        max_tcp_flows: 4,
        ..Limits::default()
    });
    let m = invite("x", 300);
    let mut frames = Vec::new();
    for port in 0..10u16 {
        let src = addr(&format!("192.0.2.10:{}", 40000 + port));
        frames.push(synth::tcp(src, a4().1, 1, ACK, &m[..100])); // unfinished message
        frames.push(synth::tcp(src, a4().1, 1000, ACK, b"")); // bare ACK: no state
    }
    let (got, results) = run(&mut dec, LinkType::Raw, &frames);
    assert!(got.is_empty() && results.iter().all(Result::is_ok));
    assert_eq!(dec.tracked().0, 4);
    assert_eq!(dec.stats().tcp_flow_evictions, 6);
    assert!(dec.stats().tcp_bytes_dropped >= 600);
}

#[test]
fn buffer_is_bounded_and_the_stream_recovers() {
    let c = Conv::new(10);
    let limits = Limits {
        max_tcp_buffer: 2000,
        ..Limits::default()
    };
    // A 9000-byte body: more than the 2000-byte buffer may hold.
    let body = "x".repeat(28) + "\r\n";
    let body = body.repeat(300);
    let huge = format!(
        "INVITE sip:a@b SIP/2.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let good = options("after");
    let mut s = huge.into_bytes();
    let good_at = s.len();
    s.extend_from_slice(&good);
    let mut frames = vec![c.syn()];
    for (i, chunk) in s.chunks(700).enumerate() {
        frames.push(c.data(i * 700, chunk));
    }
    let mut dec = Decoder::new(limits);
    let (got, _) = run(&mut dec, LinkType::Raw, &frames);
    assert_eq!(payloads(&got), vec![good]);
    assert!(dec.stats().tcp_bytes_dropped >= 2000);
    assert!(good_at > 2000);
}

#[test]
fn non_sip_stream_is_ignored() {
    let c = Conv::new(100);
    let http = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let later = options("inside-http");
    let frames = [c.syn(), c.data(0, http), c.data(http.len(), &later)];
    let (got, dec) = run_raw(&frames);
    assert!(got.is_empty());
    assert_eq!(dec.stats().tcp_non_sip_flows, 1);
}

#[test]
fn mid_stream_pickup_finds_the_next_message() {
    let c = Conv::new(500);
    let (m1, m2) = (invite("1", 300), options("2"));
    let s = cat(&[&m1, &m2]);
    let at = 100; // no SYN seen; the capture starts inside m1
    let (got, _) = run_raw(&[c.data(at, &s[at..])]);
    assert_eq!(payloads(&got), vec![m2]);
}

#[test]
fn fin_and_rst_end_flows_and_idle_flows_expire() {
    let c = Conv::new(1);
    let m = options("f");
    let (_, dec) = run_raw(&[c.syn(), c.data(0, &m), c.flags(m.len(), FIN | ACK)]);
    assert_eq!(dec.tracked().0, 0);
    let (_, dec) = run_raw(&[c.syn(), c.data(0, &m[..10]), c.flags(10, RST)]);
    assert_eq!(dec.tracked().0, 0);
    let mut dec = Decoder::new(Limits {
        tcp_idle_timeout: Span::from_secs(60),
        ..Limits::default()
    });
    let _ = run(&mut dec, LinkType::Raw, &[c.syn(), c.data(0, &m[..10])]);
    assert_eq!(dec.tracked().0, 1);
    let other = synth::udp(a4().0, a4().1, b"x");
    dec.decode(&Frame::new(ms(61_000), LinkType::Raw, &other), &mut |_| {})
        .unwrap();
    assert_eq!((dec.tracked().0, dec.stats().tcp_flow_timeouts), (0, 1));
}

#[test]
fn sequence_numbers_wrap() {
    let c = Conv::new(u32::MAX - 200);
    let (m1, m2) = (options("1"), options("2"));
    let (got, _) = run_raw(&[c.syn(), c.data(0, &m1), c.data(m1.len(), &m2)]);
    assert_eq!(payloads(&got), vec![m1, m2]);
}

#[test]
fn a_new_syn_restarts_the_stream() {
    let c = Conv::new(1);
    let m = options("r");
    let c2 = Conv::new(900_000);
    let (got, _) = run_raw(&[c.syn(), c.data(0, &m[..50]), c2.syn(), c2.data(0, &m)]);
    assert_eq!(payloads(&got), vec![m]);
}
