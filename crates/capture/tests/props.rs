//! Property tests: no byte sequence panics the reader, and sizes announced
//! by the input never make it allocate beyond its record bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_capture::write::{PcapNgWriter, PcapWriter};
use ghostguard_capture::{CaptureError, MAX_RECORD};
use ghostguard_packet::{Decoder, Limits, LinkType};
use proptest::prelude::*;

fn valid_pcapng() -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.add_interface(LinkType::Ethernet, 0, Some(9)).unwrap();
    w.add_interface(LinkType::LinuxSll2, 1500, None).unwrap();
    for i in 0..4 {
        w.write_epb(i % 2, ts(i64::from(i), 0), &eth_sip(i as usize))
            .unwrap();
    }
    w.write_spb(&eth_sip(9)).unwrap();
    w.into_inner()
}

fn valid_pcap() -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
    for i in 0..4 {
        w.write(ts(i, 0), &eth_sip(i as usize)).unwrap();
    }
    w.into_inner()
}

/// Reads by both paths and decodes every frame; must not panic.
fn read_both(bytes: &[u8]) {
    let mut dec = Decoder::new(Limits::default());
    for (frames, _) in [read_file(bytes), read_stream(bytes.to_vec())] {
        for f in frames {
            assert!(f.data.len() <= MAX_RECORD);
            let frame = ghostguard_packet::Frame {
                ts: f.ts,
                link: f.link,
                data: &f.data,
                interface: f.interface,
            };
            let _ = dec.decode(&frame, &mut |_| {});
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_files_never_panic(prefix in 0usize..4, body in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let heads: [&[u8]; 4] = [b"", &valid_pcap()[..24], &valid_pcapng()[..28], b"\x1f\x8b"];
        let mut bytes = heads[prefix].to_vec();
        bytes.extend_from_slice(&body);
        read_both(&bytes);
    }

    #[test]
    fn mutated_files_never_panic(ng in any::<bool>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let mut bytes = if ng { valid_pcapng() } else { valid_pcap() };
        for (i, v) in flips {
            let at = i.index(bytes.len());
            bytes[at] = v;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(bytes.len() / 2));
        read_both(&bytes);
        read_both(&gzip(&bytes));
    }
}

#[test]
fn announced_sizes_do_not_allocate() {
    // An unknown pcapng block claiming almost 4 GiB: skipped, then truncated.
    let mut bytes = valid_pcapng();
    bytes.extend_from_slice(&0x0000_0badu32.to_le_bytes());
    bytes.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 64]);
    let (frames, res) = read_stream(bytes);
    assert_eq!(frames.len(), 5);
    assert!(
        matches!(
            res,
            Err(CaptureError::Truncated {
                need: 0xffff_fff0,
                have: 72,
                ..
            })
        ),
        "{res:?}"
    );
    // An Enhanced Packet Block claiming 1 GiB: refused before reading.
    let mut bytes = valid_pcapng();
    bytes.extend_from_slice(&6u32.to_le_bytes());
    bytes.extend_from_slice(&0x4000_0000u32.to_le_bytes());
    let (_, res) = read_stream(bytes);
    assert!(
        matches!(
            res,
            Err(CaptureError::TooLarge {
                len: 0x4000_0000,
                ..
            })
        ),
        "{res:?}"
    );
}
