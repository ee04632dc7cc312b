//! Property tests: no input panics the decoder, its state stays within its
//! bounds, and a lossless but shuffled and duplicated TCP stream yields
//! exactly the messages that were sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_packet::synth::{self, ACK};
use ghostguard_packet::{Decoder, Frame, Limits, LinkType, Span};
use proptest::prelude::*;

const LINKS: [LinkType; 9] = LinkType::ALL;

fn small_limits() -> Limits {
    Limits {
        max_fragment_sets: 8,
        max_fragment_bytes: 64 << 10,
        max_tcp_flows: 8,
        max_tcp_buffer: 4096,
        max_tcp_total: 16 << 10,
        max_out_of_order_segments: 4,
        ..Limits::default()
    }
}

/// Frames that get past the link and IP layers: random transport bytes.
fn deep_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        prop_oneof![Just(6u8), Just(17u8)],
        0u16..4,
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(v6, proto, port, l4)| {
            let (s, d) = if v6 { a6() } else { a4() };
            let ip = synth::ip(s.ip(), d.ip(), proto, 64, port, &l4);
            synth::ethernet(MAC_A, MAC_B, &[], &ip)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..20), link in 0usize..9) {
        let mut dec = Decoder::new(small_limits());
        let (_, results) = run(&mut dec, LINKS[link], &frames);
        prop_assert_eq!(results.len(), frames.len());
        prop_assert_eq!(dec.stats().frames, frames.len() as u64);
    }

    #[test]
    fn random_transport_bytes_stay_bounded(frames in proptest::collection::vec(deep_frame(), 1..40)) {
        let limits = small_limits();
        let mut dec = Decoder::new(limits);
        let _ = run(&mut dec, LinkType::Ethernet, &frames);
        let (flows, sets) = dec.tracked();
        prop_assert!(flows <= limits.max_tcp_flows && sets <= limits.max_fragment_sets);
        dec.flush(&mut |_| {});
        prop_assert_eq!(dec.tracked().0, 0);
    }

    #[test]
    fn shuffled_duplicated_stream_yields_each_message_once(
        sizes in proptest::collection::vec(0usize..600, 1..6),
        cuts in proptest::collection::vec(1usize..400, 1..30),
        swaps in proptest::collection::vec((0usize..40, 0usize..3), 0..12),
        dups in proptest::collection::vec(0usize..40, 0..6),
        isn in any::<u32>(),
    ) {
        let msgs: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &n)| invite(&i.to_string(), n)).collect();
        let stream = msgs.concat();
        // Cut the stream into segments.
        let mut segs = Vec::new();
        let (mut at, mut k) = (0, 0);
        while at < stream.len() {
            let n = cuts[k % cuts.len()].min(stream.len() - at);
            segs.push((at, stream[at..at + n].to_vec()));
            at += n;
            k += 1;
        }
        // Local reordering (at most 2 places) and duplicates.
        for (i, d) in swaps {
            let i = i % segs.len();
            let j = (i + d).min(segs.len() - 1);
            segs.swap(i, j);
        }
        for d in dups {
            let s = segs[d % segs.len()].clone();
            segs.insert((d + 1).min(segs.len()), s);
        }
        let (src, dst) = a4();
        let mut frames = vec![synth::tcp(src, dst, isn, synth::SYN, b"")];
        for (off, bytes) in &segs {
            frames.push(synth::tcp(src, dst, isn.wrapping_add(1 + *off as u32), ACK, bytes));
        }
        let limits = Limits { max_out_of_order_segments: 128, tcp_gap_timeout: Span::from_secs(60), ..Limits::default() };
        let mut dec = Decoder::new(limits);
        let (mut got, results) = run(&mut dec, LinkType::Raw, &frames);
        prop_assert!(results.iter().all(Result::is_ok));
        dec.flush(&mut |d| got.push(Got::from(d)));
        prop_assert_eq!(payloads(&got), msgs);
        prop_assert_eq!(dec.stats().tcp_gaps, 0);
    }
}

#[test]
fn every_prefix_of_valid_frames_is_handled() {
    let (s, d) = a6();
    let frames = [
        (
            LinkType::Ethernet,
            synth::ethernet(
                MAC_A,
                MAC_B,
                &[(0x88a8, 1), (0x8100, 2)],
                &synth::udp(s, d, &options("p")),
            ),
        ),
        (
            LinkType::LinuxSll2,
            synth::sll2(MAC_A, &synth::tcp(s, d, 1, ACK, &options("p"))),
        ),
        (
            LinkType::LinuxSll,
            synth::sll(
                MAC_A,
                &synth::fragments(s.ip(), d.ip(), 17, 1, &[0; 64], 16)[1],
            ),
        ),
    ];
    let mut dec = Decoder::new(Limits::default());
    for (link, f) in &frames {
        for n in 0..f.len() {
            let _ = dec.decode(&Frame::new(ms(0), *link, &f[..n]), &mut |_| {});
        }
    }
    assert!(dec.stats().truncated > 100);
}
