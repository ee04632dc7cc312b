//! IPv4 and IPv6 reassembly into one SIP INVITE, and its bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_packet::synth;
use ghostguard_packet::{Decoder, Limits, LinkType, Span};

fn frag_frames(v6: bool, order: &[usize]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (s, d) = if v6 { a6() } else { a4() };
    let msg = invite("frag", 3000);
    let ip = synth::udp(s, d, &msg);
    let frags = synth::fragments(s.ip(), d.ip(), 17, 0xbeef, synth::l4_of(&ip), 1200);
    assert_eq!(frags.len(), 3);
    (msg, order.iter().map(|&i| frags[i].clone()).collect())
}

#[test]
fn ipv4_fragments_in_and_out_of_order() {
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
        let (msg, frames) = frag_frames(false, &order);
        let (got, dec) = run_raw(&frames);
        assert_eq!(payloads(&got), vec![msg], "order {order:?}");
        assert!(got[0].fragmented);
        assert_eq!(got[0].ip_id, Some(0xbeef));
        let st = dec.stats();
        assert_eq!((st.fragments, st.reassembled, st.sip_payloads), (3, 1, 1));
        assert_eq!(dec.tracked().1, 0);
    }
}

#[test]
fn ipv6_fragments_in_and_out_of_order() {
    for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
        let (msg, frames) = frag_frames(true, &order);
        let eth: Vec<Vec<u8>> = frames
            .iter()
            .map(|f| synth::ethernet(MAC_A, MAC_B, &[], f))
            .collect();
        let mut dec = Decoder::new(Limits::default());
        let (got, results) = run(&mut dec, LinkType::Ethernet, &eth);
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(payloads(&got), vec![msg], "order {order:?}");
        assert!(got[0].fragmented && got[0].ip_id.is_none());
        assert_eq!(got[0].src, a6().0);
    }
}

#[test]
fn duplicate_fragment_does_not_duplicate_the_message() {
    let (msg, frames) = frag_frames(false, &[0, 1, 1, 2, 2]);
    let (got, _) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![msg]);
}

#[test]
fn fragment_sets_are_bounded() {
    let limits = Limits {
        max_fragment_sets: 4,
        ..Limits::default()
    };
    let mut dec = Decoder::new(limits);
    let (s, d) = a4();
    // 10 first fragments of different datagrams: only 4 sets kept.
    let mut frames = Vec::new();
    for id in 0..10u32 {
        let ip = synth::udp(s, d, &invite(&id.to_string(), 2000));
        frames.push(synth::fragments(s.ip(), d.ip(), 17, id, synth::l4_of(&ip), 1200).remove(0));
    }
    let (got, results) = run(&mut dec, LinkType::Raw, &frames);
    assert!(got.is_empty() && results.iter().all(Result::is_ok));
    assert_eq!(dec.tracked().1, 4);
    assert_eq!(dec.stats().fragment_evictions, 6);
    // The newest set can still complete; an evicted one cannot.
    let ip9 = synth::udp(s, d, &invite("9", 2000));
    let ip0 = synth::udp(s, d, &invite("0", 2000));
    let rest9 = synth::fragments(s.ip(), d.ip(), 17, 9, synth::l4_of(&ip9), 1200).remove(1);
    let rest0 = synth::fragments(s.ip(), d.ip(), 17, 0, synth::l4_of(&ip0), 1200).remove(1);
    let (got, _) = run(&mut dec, LinkType::Raw, &[rest9, rest0]);
    assert_eq!(payloads(&got), vec![invite("9", 2000)]);
}

#[test]
fn fragment_bytes_and_timeout_are_bounded() {
    let limits = Limits {
        max_fragment_bytes: 3000,
        fragment_timeout: Span::from_secs(1),
        ..Limits::default()
    };
    let mut dec = Decoder::new(limits);
    let (s, d) = a4();
    let mut frames = Vec::new();
    for id in 0..5u32 {
        let ip = synth::udp(s, d, &invite(&id.to_string(), 4000));
        frames.push(synth::fragments(s.ip(), d.ip(), 17, id, synth::l4_of(&ip), 1200).remove(0));
    }
    let _ = run(&mut dec, LinkType::Raw, &frames);
    assert!(dec.tracked().1 <= 2);
    assert!(dec.stats().fragment_evictions >= 3);
    // Two seconds later the rest has timed out.
    let late = ghostguard_packet::Frame::new(ms(2000), LinkType::Raw, &frames[0]);
    dec.decode(&late, &mut |_| {}).unwrap();
    assert_eq!(dec.tracked().1, 1);
    assert!(dec.stats().fragment_timeouts >= 1);
}

#[test]
fn fragmented_tcp_segment_reaches_the_stream() {
    let (s, d) = a4();
    let msg = invite("tcpfrag", 2500);
    let seg = synth::tcp_segment(s, d, 1000, synth::ACK | synth::PSH, &msg);
    let frames = synth::fragments(s.ip(), d.ip(), 6, 77, &seg, 1000);
    let (got, _) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![msg]);
    assert!(got[0].fragmented);
}
