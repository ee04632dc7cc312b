//! pcap and pcapng reading: byte orders, resolutions, interfaces, gzip,
//! truncation and corruption, checked against pcap-parser where it applies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_capture::write::{PcapNgWriter, PcapWriter};
use ghostguard_capture::{CaptureError, CaptureReader, Format, ReadSummary};
use ghostguard_packet::LinkType;

fn pcap(nanos: bool, big_endian: bool, n: usize) -> Vec<u8> {
    let mut w =
        PcapWriter::with_format(Vec::new(), LinkType::Ethernet, nanos, big_endian, 65535).unwrap();
    for i in 0..n {
        w.write(ts(1_700_000_000 + i as i64, 123_456_789), &eth_sip(i))
            .unwrap();
    }
    w.into_inner()
}

#[test]
fn pcap_byte_orders_and_resolutions() {
    for (nanos, be) in [(false, false), (false, true), (true, false), (true, true)] {
        let bytes = pcap(nanos, be, 3);
        let r = CaptureReader::from_reader(Box::new(std::io::Cursor::new(bytes.clone()))).unwrap();
        assert_eq!(
            r.format(),
            Format::Pcap {
                nanos,
                big_endian: be
            }
        );
        for (frames, res) in [
            read_file(&bytes),
            read_stream(bytes.clone()),
            read_stream(gzip(&bytes)),
        ] {
            let sum = res.unwrap();
            assert_eq!(sum.frames, 3);
            assert_eq!(frames.len(), 3);
            let want_ns = if nanos { 123_456_789 } else { 123_456_000 };
            assert_eq!(frames[2].ts, ts(1_700_000_002, want_ns));
            assert_eq!(
                (frames[1].link, frames[1].interface),
                (LinkType::Ethernet, 0)
            );
            assert_eq!(frames[1].data, eth_sip(1));
        }
    }
}

/// Packet data of a capture as pcap-parser reads it (its data includes
/// block padding, cut here to the captured length).
fn oracle(bytes: &[u8]) -> Vec<Vec<u8>> {
    use pcap_parser::{Block, PcapBlockOwned, PcapError};
    let mut rd = pcap_parser::create_reader(65536, std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    loop {
        match rd.next() {
            Ok((n, block)) => {
                match block {
                    PcapBlockOwned::Legacy(b) => out.push(b.data[..b.caplen as usize].to_vec()),
                    PcapBlockOwned::NG(Block::EnhancedPacket(e)) => {
                        out.push(e.data[..e.caplen as usize].to_vec())
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(s)) => {
                        out.push(s.data[..s.origlen as usize].to_vec())
                    }
                    _ => {}
                }
                rd.consume(n);
            }
            Err(PcapError::Eof) => return out,
            Err(PcapError::Incomplete(_)) => rd.refill().unwrap(),
            Err(e) => panic!("{e:?}"),
        }
    }
}

#[test]
fn pcap_matches_pcap_parser() {
    let bytes = pcap(false, true, 5);
    let (ours, _) = read_file(&bytes);
    assert_eq!(
        ours.into_iter().map(|r| r.data).collect::<Vec<_>>(),
        oracle(&bytes)
    );
}

fn two_interface_pcapng(big_endian: bool) -> Vec<u8> {
    let mut w = PcapNgWriter::with_byte_order(Vec::new(), big_endian).unwrap();
    let eth = w.add_interface(LinkType::Ethernet, 0, None).unwrap();
    let sll2 = w.add_interface(LinkType::LinuxSll2, 0, Some(9)).unwrap();
    let bin = w.add_interface(LinkType::Raw, 0, Some(0x80 | 20)).unwrap();
    w.write_epb(eth, ts(1_700_000_000, 1_000), &eth_sip(0))
        .unwrap();
    w.block(0x0000_0bad, b"custom block to skip").unwrap();
    w.write_epb(sll2, ts(1_700_000_001, 123_456_789), b"sll2 bytes")
        .unwrap();
    w.write_epb(bin, ts(1_700_000_002, 500_000_000), b"raw")
        .unwrap();
    w.write_opb(0, ts(1_700_000_003, 7_000), b"opb").unwrap();
    w.write_spb(b"spb").unwrap();
    w.into_inner()
}

#[test]
fn pcapng_interfaces_resolutions_and_block_kinds() {
    for be in [false, true] {
        let bytes = two_interface_pcapng(be);
        for (frames, res) in [
            read_file(&bytes),
            read_stream(bytes.clone()),
            read_stream(gzip(&bytes)),
        ] {
            assert_eq!(res.unwrap().frames, 5);
            let got: Vec<(LinkType, u32)> = frames.iter().map(|f| (f.link, f.interface)).collect();
            assert_eq!(
                got,
                [
                    (LinkType::Ethernet, 0),
                    (LinkType::LinuxSll2, 1),
                    (LinkType::Raw, 2),
                    (LinkType::Ethernet, 0),
                    (LinkType::Ethernet, 0)
                ]
            );
            assert_eq!(frames[0].ts, ts(1_700_000_000, 1_000));
            assert_eq!(frames[1].ts, ts(1_700_000_001, 123_456_789));
            // 2^-20 s units: within a microsecond.
            let d = frames[2].ts.as_nanos() - ts(1_700_000_002, 500_000_000).as_nanos();
            assert!(d.abs() < 1_000, "binary resolution off by {d} ns");
            assert_eq!(frames[3].ts, ts(1_700_000_003, 7_000));
            assert_eq!(frames[4].data, b"spb");
            assert_eq!(frames[1].data, b"sll2 bytes");
        }
    }
}

#[test]
fn pcapng_sections_restart_interfaces() {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.add_interface(LinkType::Ethernet, 0, None).unwrap();
    w.write_epb(0, ts(1, 0), b"a").unwrap();
    let mut bytes = w.into_inner();
    // A second section, big-endian, with one SLL interface.
    let mut w2 = PcapNgWriter::with_byte_order(Vec::new(), true).unwrap();
    w2.add_interface(LinkType::LinuxSll, 0, Some(3)).unwrap();
    w2.write_epb(0, ts(2, 5_000_000), b"b").unwrap();
    bytes.extend_from_slice(&w2.into_inner());
    let (frames, res) = read_file(&bytes);
    assert_eq!(
        res.unwrap(),
        ReadSummary {
            frames: 2,
            bytes: 2
        }
    );
    assert_eq!(
        (frames[1].link, frames[1].interface, frames[1].ts),
        (LinkType::LinuxSll, 1, ts(2, 5_000_000))
    );
}

#[test]
fn pcapng_matches_pcap_parser() {
    let bytes = two_interface_pcapng(false);
    let (ours, _) = read_file(&bytes);
    // pcap-parser 0.17 does not read the obsolete Packet Block (type 2).
    let ours: Vec<Vec<u8>> = ours
        .into_iter()
        .filter(|r| r.data != b"opb")
        .map(|r| r.data)
        .collect();
    assert_eq!(ours, oracle(&bytes));
}

#[test]
fn truncated_pcap_names_the_offset_and_keeps_earlier_frames() {
    let bytes = pcap(false, false, 3);
    let rec = 16 + eth_sip(0).len();
    let third = 24 + 2 * rec;
    // Cut inside the third record's header: 7 bytes of it left.
    let cut = bytes[..third + 7].to_vec();
    for (frames, res) in [
        read_file(&cut),
        read_stream(cut.clone()),
        read_stream(gzip(&cut)),
    ] {
        assert_eq!(frames.len(), 2);
        let e = res.unwrap_err();
        assert_eq!(e.offset(), Some(third as u64));
        assert_eq!(
            e.to_string(),
            format!("capture truncated at byte {third}: record header needs 16 bytes, 7 left")
        );
    }
    // Cut inside the third record's data.
    let cut = bytes[..third + 20].to_vec();
    let (frames, res) = read_file(&cut);
    assert_eq!(frames.len(), 2);
    assert!(
        matches!(res, Err(CaptureError::Truncated { offset, what: "record", have: 20, .. }) if offset == third as u64)
    );
}

#[test]
fn truncated_pcapng_block() {
    let bytes = two_interface_pcapng(false);
    for cut in [bytes.len() - 1, bytes.len() - 10] {
        let (frames, res) = read_stream(bytes[..cut].to_vec());
        assert_eq!(frames.len(), 4);
        assert!(
            matches!(res, Err(CaptureError::Truncated { .. })),
            "{res:?}"
        );
    }
}

#[test]
fn garbage_and_empty_inputs() {
    let (_, res) = read_file(b"GARBAGE GARBAGE GARBAGE GARBAGE");
    assert!(matches!(res, Err(CaptureError::UnknownFormat { magic }) if &magic == b"GARB"));
    assert!(res.unwrap_err().to_string().contains("47 41 52 42"));
    let (_, res) = read_stream(b"\x7fELF and more bytes after it".to_vec());
    assert!(matches!(res, Err(CaptureError::UnknownFormat { .. })));
    let (_, res) = read_file(b"");
    assert!(matches!(
        res,
        Err(CaptureError::Truncated { offset: 0, .. })
    ));
    let (_, res) = read_file(&pcap(false, false, 0)[..20]);
    assert!(matches!(
        res,
        Err(CaptureError::Truncated {
            offset: 0,
            what: "pcap file header",
            ..
        })
    ));
    let (frames, res) = read_file(&pcap(false, false, 0));
    assert_eq!((frames.len(), res.unwrap().frames), (0, 0));
    // Broken gzip: a wrong CRC in the trailer; every frame comes first.
    let mut gz = gzip(&pcap(false, false, 50));
    let n = gz.len();
    gz[n - 8] ^= 0xff;
    let (frames, res) = read_stream(gz);
    assert_eq!(frames.len(), 50);
    assert!(matches!(res, Err(CaptureError::Gzip { .. })), "{res:?}");
    assert!(
        res.unwrap_err()
            .to_string()
            .starts_with("gzip stream broken at compressed byte")
    );
    // Gzip cut short: the frames before the cut, then an error.
    let gz = gzip(&pcap(false, false, 50));
    let (frames, res) = read_stream(gz[..gz.len() / 2].to_vec());
    assert!(!frames.is_empty() && frames.len() < 50);
    assert!(res.is_err(), "{res:?}");
    let missing = CaptureReader::open(std::path::Path::new("/nonexistent/x.pcap")).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("reading /nonexistent/x.pcap:"),
        "{missing}"
    );
}

#[test]
fn oversized_records_are_corrupt() {
    // caplen above the snap length.
    let mut w = PcapWriter::with_format(Vec::new(), LinkType::Ethernet, false, false, 100).unwrap();
    w.write(ts(1, 0), &[0; 50]).unwrap();
    w.write(ts(2, 0), &[0; 150]).unwrap();
    let bytes = w.into_inner();
    let (frames, res) = read_file(&bytes);
    assert_eq!(frames.len(), 1);
    let e = res.unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::TooLarge {
                offset: 90,
                len: 150,
                limit: 100,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("at byte 90"));
    // An absurd caplen with snap length 0 ("unset") and no data behind it.
    let mut bytes = pcap(false, false, 1);
    bytes[16..20].copy_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
    let (frames, res) = read_stream(bytes);
    assert_eq!(frames.len(), 1);
    assert!(
        matches!(
            res,
            Err(CaptureError::TooLarge {
                len: 0x7fff_ffff,
                ..
            })
        ),
        "{res:?}"
    );
    // pcapng: a packet above its interface's snap length; a bad block length.
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.add_interface(LinkType::Ethernet, 64, None).unwrap();
    w.write_epb(0, ts(1, 0), &[0; 100]).unwrap();
    let (_, res) = read_file(&w.into_inner());
    assert!(
        matches!(res, Err(CaptureError::TooLarge { limit: 64, .. })),
        "{res:?}"
    );
    let mut bytes = two_interface_pcapng(false);
    let shb_len = 28;
    bytes[shb_len + 4] = 13; // IDB length not a multiple of 4
    let (_, res) = read_file(&bytes);
    assert!(
        matches!(res, Err(CaptureError::Corrupt { offset: 32, .. })),
        "{res:?}"
    );
}

#[test]
fn progress_reaches_the_end() {
    let bytes = pcap(false, false, 100);
    let dir = tempdir();
    let path = dir.join("p.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let gz_path = dir.join("p.pcap.gz");
    let gz = gzip(&bytes);
    std::fs::write(&gz_path, &gz).unwrap();
    for (p, len) in [(&path, bytes.len()), (&gz_path, gz.len())] {
        let mut r = CaptureReader::open(p).unwrap();
        assert_eq!(r.total_len(), Some(len as u64));
        let prog = r.progress();
        let mut seen = Vec::new();
        r.for_each_frame(&mut |_| seen.push(prog.position()))
            .unwrap();
        assert_eq!(r.position(), len as u64);
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(r.is_gzip(), p == &gz_path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
