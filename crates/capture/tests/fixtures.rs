//! The small captures in `testdata/capture/`: made by this file's
//! generator (run with `GHOSTGUARD_WRITE_FIXTURES=1` to rewrite them),
//! checked against it, decoded, and cross-checked with tshark when it is
//! installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use ghostguard_capture::CaptureReader;
use ghostguard_capture::write::{PcapNgWriter, PcapWriter};
use ghostguard_packet::hep::{self, HepPacket};
use ghostguard_packet::synth::{self, ACK, PSH, SYN};
use ghostguard_packet::{Decoder, Limits, LinkType, Timestamp};

struct Fixture {
    name: &'static str,
    make: fn() -> Vec<u8>,
    /// SIP messages the decoder must find.
    messages: usize,
    /// Frames that complete at least one message (what tshark counts).
    frames: usize,
    /// A tshark protocol the cross-check needs, and how to point it at it.
    tshark_needs: Option<(&'static str, &'static str)>,
}

const FIXTURES: [Fixture; 5] = [
    Fixture {
        name: "sll2-invite.pcapng",
        make: sll2_invite,
        messages: 2,
        frames: 2,
        tshark_needs: None,
    },
    Fixture {
        name: "qinq-options.pcap",
        make: qinq_options,
        messages: 3,
        frames: 3,
        tshark_needs: None,
    },
    Fixture {
        name: "tcp-split.pcap",
        make: tcp_split,
        messages: 3,
        frames: 2,
        tshark_needs: None,
    },
    Fixture {
        name: "ipv6-frag.pcap.gz",
        make: ipv6_frag,
        messages: 2,
        frames: 2,
        tshark_needs: None,
    },
    Fixture {
        name: "hep3.pcap",
        make: hep3,
        messages: 2,
        frames: 2,
        tshark_needs: Some(("hep", "udp.port==9060,hep")),
    },
];

fn t(ms: i64) -> Timestamp {
    Timestamp::from_nanos(1_704_067_200_000_000_000 + ms * 1_000_000)
}

fn invite_with_body(body_len: usize) -> Vec<u8> {
    let body = format!(
        "v=0\r\no=- 1 1 IN IP4 203.0.113.7\r\ns=-\r\nc=IN IP4 203.0.113.7\r\nt=0 0\r\n{}",
        "a=x\r\n".repeat(body_len / 5)
    );
    format!(
        "INVITE sip:0044123456789@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.7:5060;branch=z9hG4bK1\r\n\
         From: <sip:100@203.0.113.7>;tag=1\r\nTo: <sip:0044123456789@198.51.100.20>\r\nCall-ID: ghost-1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:100@203.0.113.7>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn reply(code: &str, cseq: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 {code}\r\nVia: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK1\r\nFrom: <sip:100@203.0.113.7>;tag=1\r\n\
         To: <sip:0044123456789@198.51.100.20>;tag=2\r\nCall-ID: ghost-1\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn sll2_invite() -> Vec<u8> {
    let (c, s) = (addr("203.0.113.7:5060"), addr("198.51.100.20:5060"));
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let sll2 = w
        .add_interface(LinkType::LinuxSll2, 262_144, Some(9))
        .unwrap();
    let eth = w.add_interface(LinkType::Ethernet, 262_144, None).unwrap();
    w.write_epb(
        sll2,
        t(0),
        &synth::sll2(MAC_A, &synth::udp(c, s, &invite_with_body(200))),
    )
    .unwrap();
    w.write_epb(
        eth,
        t(1),
        &synth::ethernet(
            MAC_B,
            MAC_A,
            &[],
            &synth::udp(s, c, &reply("100 Trying", "1 INVITE")),
        ),
    )
    .unwrap();
    let mut arp = synth::sll2(MAC_A, &[0; 28]);
    arp[0..2].copy_from_slice(&0x0806u16.to_be_bytes());
    w.write_epb(sll2, t(2), &arp).unwrap();
    w.into_inner()
}

fn qinq_options() -> Vec<u8> {
    let scanner = addr("203.0.113.66:5070");
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
    for (i, ext) in ["100", "101", "102"].iter().enumerate() {
        let msg = format!(
            "OPTIONS sip:{ext}@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.66:5070;branch=z9hG4bK-{i}\r\n\
             From: \"sipvicious\"<sip:100@1.1.1.1>;tag={i}\r\nTo: \"sipvicious\"<sip:100@1.1.1.1>\r\nCall-ID: {i}\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        let ip = synth::udp(scanner, addr("198.51.100.20:5060"), msg.as_bytes());
        w.write(
            t(i as i64 * 10),
            &synth::ethernet(MAC_A, MAC_B, &[(0x88a8, 100), (0x8100, 200)], &ip),
        )
        .unwrap();
    }
    let dns = synth::udp(
        addr("198.51.100.20:40000"),
        addr("198.51.100.53:53"),
        b"\x12\x34\x01\x00\x00\x01",
    );
    w.write(
        t(40),
        &synth::ethernet(MAC_B, MAC_A, &[(0x88a8, 100), (0x8100, 200)], &dns),
    )
    .unwrap();
    w.into_inner()
}

fn tcp_split() -> Vec<u8> {
    let (c, s) = (addr("203.0.113.7:40001"), addr("198.51.100.20:5060"));
    let inv = invite_with_body(1400);
    let (a, b) = (600, 1200);
    let mut replies = reply("100 Trying", "1 INVITE");
    replies.extend_from_slice(&reply("180 Ringing", "1 INVITE"));
    let l3 = [
        synth::tcp(c, s, 1000, SYN, b""),
        synth::tcp(s, c, 5000, SYN | ACK, b""),
        synth::tcp(c, s, 1001, ACK, b""),
        synth::tcp(c, s, 1001, ACK | PSH, &inv[..a]),
        synth::tcp(c, s, 1001 + a as u32, ACK | PSH, &inv[a..b]),
        synth::tcp(c, s, 1001 + b as u32, ACK | PSH, &inv[b..]),
        synth::tcp(s, c, 5001, ACK | PSH, &replies),
    ];
    let mut w =
        PcapWriter::with_format(Vec::new(), LinkType::Ethernet, true, false, 262_144).unwrap();
    for (i, ip) in l3.iter().enumerate() {
        w.write(t(i as i64), &synth::ethernet(MAC_A, MAC_B, &[], ip))
            .unwrap();
    }
    w.into_inner()
}

fn ipv6_frag() -> Vec<u8> {
    let (c, s) = (addr("[2001:db8::7]:5060"), addr("[2001:db8::20]:5060"));
    let ip = synth::udp(c, s, &invite_with_body(3000));
    let frags = synth::fragments(c.ip(), s.ip(), 17, 0x1234, synth::l4_of(&ip), 1232);
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
    for (i, k) in [0, 2, 1].iter().enumerate() {
        w.write(t(i as i64), &synth::ethernet(MAC_A, MAC_B, &[], &frags[*k]))
            .unwrap();
    }
    w.write(
        t(5),
        &synth::ethernet(
            MAC_B,
            MAC_A,
            &[],
            &synth::udp(s, c, &reply("200 OK", "1 INVITE")),
        ),
    )
    .unwrap();
    gzip(&w.into_inner())
}

fn hep3() -> Vec<u8> {
    let (agent, collector) = (addr("10.0.0.5:47000"), addr("10.0.0.1:9060"));
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
    let inv = invite_with_body(100);
    let ok = reply("200 OK", "1 INVITE");
    for (i, (payload, src, dst)) in [
        (&inv, "203.0.113.7:5060", "198.51.100.20:5060"),
        (&ok, "198.51.100.20:5060", "203.0.113.7:5060"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = HepPacket {
            version: 3,
            proto_family: 2,
            ip_proto: 17,
            src: addr(src),
            dst: addr(dst),
            ts: Some(t(i as i64 - 100)),
            capture_id: Some(2001),
            payload_type: 1,
            payload,
        };
        let mut b = Vec::new();
        hep::encode_v3(&p, &mut b).unwrap();
        w.write(
            t(i as i64),
            &synth::ethernet(MAC_A, MAC_B, &[], &synth::udp(agent, collector, &b)),
        )
        .unwrap();
    }
    w.into_inner()
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/capture")
}

fn plain(name: &str, bytes: &[u8]) -> Vec<u8> {
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    }
}

#[test]
fn fixtures_match_their_generator() {
    let write = std::env::var_os("GHOSTGUARD_WRITE_FIXTURES").is_some();
    for f in &FIXTURES {
        let path = dir().join(f.name);
        let bytes = (f.make)();
        if write {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            plain(f.name, &on_disk),
            plain(f.name, &bytes),
            "{} differs from its generator",
            f.name
        );
    }
}

/// (messages, distinct frames that produced one) for a capture file.
fn decode(name: &str) -> (usize, usize) {
    let mut reader = CaptureReader::open(&dir().join(name)).unwrap();
    let mut dec = Decoder::new(Limits::default());
    let mut frame_no = 0usize;
    let mut frames = BTreeSet::new();
    let mut messages = 0;
    reader
        .for_each_frame(&mut |f| {
            frame_no += 1;
            let _ = dec.decode(f, &mut |_| {
                messages += 1;
                frames.insert(frame_no);
            });
        })
        .unwrap();
    dec.flush(&mut |_| messages += 1);
    (messages, frames.len())
}

#[test]
fn fixtures_decode_to_the_expected_messages() {
    for f in &FIXTURES {
        assert_eq!(decode(f.name), (f.messages, f.frames), "{}", f.name);
    }
}

#[test]
fn tshark_sees_the_same_sip_frames() {
    let Ok(out) = std::process::Command::new("tshark")
        .arg("--version")
        .output()
    else {
        eprintln!("SKIP: tshark not installed");
        return;
    };
    assert!(out.status.success());
    let protocols = std::process::Command::new("tshark")
        .args(["-G", "protocols"])
        .output()
        .unwrap();
    let protocols = String::from_utf8_lossy(&protocols.stdout).into_owned();
    let mut checked = 0;
    for f in &FIXTURES {
        let path = dir().join(f.name);
        let mut cmd = std::process::Command::new("tshark");
        if let Some((proto, decode_as)) = f.tshark_needs {
            if !protocols
                .lines()
                .any(|l| l.split('\t').nth(2) == Some(proto))
            {
                eprintln!("SKIP: {}: this tshark has no '{proto}' dissector", f.name);
                continue;
            }
            cmd.args(["-d", decode_as]);
        }
        let out = cmd
            .args(["-n", "-r"])
            .arg(&path)
            .args(["-Y", "sip && !icmp", "-T", "fields", "-e", "frame.number"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tshark failed on {}: {}",
            f.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(
            theirs,
            decode(f.name).1,
            "tshark and ghostguard disagree on {}",
            f.name
        );
        checked += 1;
    }
    assert!(checked >= 4, "tshark checked only {checked} fixtures");
}
