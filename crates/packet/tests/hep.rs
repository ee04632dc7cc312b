//! HEPv3 and HEPv2 over UDP and TCP, and malformed HEP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_packet::hep::{self, HepError, HepPacket};
use ghostguard_packet::{DecodeError, Decoder, Limits, LinkType, Timestamp, Transport, synth};

fn inner(payload: &[u8], v6: bool) -> HepPacket<'_> {
    let (src, dst) = if v6 {
        a6()
    } else {
        (addr("203.0.113.5:5070"), addr("198.51.100.20:5060"))
    };
    HepPacket {
        version: 3,
        proto_family: if v6 { 10 } else { 2 },
        ip_proto: 17,
        src,
        dst,
        ts: Some(Timestamp::from_parts(1_600_000_000, 123_456_000)),
        capture_id: Some(2001),
        payload_type: 1,
        payload,
    }
}

fn v3(p: &HepPacket<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    hep::encode_v3(p, &mut out).unwrap();
    out
}

fn agent() -> (std::net::SocketAddr, std::net::SocketAddr) {
    (addr("10.9.9.9:40000"), addr("10.9.9.1:9060"))
}

#[test]
fn v3_round_trip_both_families() {
    let msg = options("hep");
    for v6 in [false, true] {
        let p = inner(&msg, v6);
        let bytes = v3(&p);
        assert_eq!(hep::decode(&bytes), Ok(p));
    }
}

#[test]
fn hep3_over_udp_is_unwrapped() {
    let msg = invite("hep", 200);
    let p = inner(&msg, false);
    let (a, c) = agent();
    // Only on the HEP port by default: off-port HEP is not unwrapped (its
    // declared addresses must not become the network source).
    let frames = vec![
        synth::udp(a, addr("10.9.9.1:4444"), &v3(&p)),
        synth::udp(a, c, &v3(&p)),
    ];
    let (got, dec) = run_raw(&frames);
    assert_eq!(got.len(), 1, "the off-port copy is ignored");
    assert_eq!((dec.stats().hep, dec.stats().non_sip), (1, 1));
    // With `hep_any_port`, HEP3 is recognised by its magic on any port.
    let mut any = Decoder::new(Limits {
        hep_any_port: true,
        ..Limits::default()
    });
    let (got, _) = run(&mut any, LinkType::Raw, &frames);
    assert_eq!(got.len(), 2);
    let g = &got[0];
    assert!(g.hep);
    assert_eq!(
        (g.src, g.dst, g.ts, g.transport),
        (p.src, p.dst, p.ts.unwrap(), Transport::Udp)
    );
    assert_eq!((g.ttl, g.ip_id, g.src_mac), (0, None, None));
    assert_eq!(g.payload, msg);
    assert_eq!(any.stats().hep, 2);
}

#[test]
fn hep3_without_time_uses_capture_time_and_non_sip_is_counted() {
    let msg = options("t");
    let mut p = inner(&msg, true);
    p.ts = None;
    let rtcp = inner(b"\x80\xc8\x00\x06", false);
    let (a, c) = agent();
    let (got, dec) = run_raw(&[synth::udp(a, c, &v3(&p)), synth::udp(a, c, &v3(&rtcp))]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].ts, ms(0));
    assert_eq!((dec.stats().hep, dec.stats().non_sip), (2, 1));
}

#[test]
fn hep3_over_tcp_stream() {
    let m1 = options("a");
    let m2 = invite("b", 500);
    let mut stream = v3(&inner(&m1, false));
    stream.extend_from_slice(&v3(&inner(&m2, false)));
    let (a, c) = agent();
    let cut = stream.len() / 2 + 3;
    let frames = vec![
        synth::tcp(a, c, 99, synth::SYN, b""),
        synth::tcp(a, c, 100, synth::ACK, &stream[..cut]),
        synth::tcp(a, c, 100 + cut as u32, synth::ACK, &stream[cut..]),
    ];
    let (got, _) = run_raw(&frames);
    assert_eq!(payloads(&got), vec![m1, m2]);
    assert!(
        got.iter()
            .all(|g| g.hep && g.src == addr("203.0.113.5:5070"))
    );
}

#[test]
fn hepv2_only_on_9060() {
    let msg = options("v2");
    let mut p = inner(&msg, false);
    p.version = 2;
    p.capture_id = Some(7);
    let mut b = Vec::new();
    hep::encode_v2(&p, &mut b).unwrap();
    let d = hep::decode(&b).unwrap();
    assert_eq!(
        (d.version, d.src, d.dst, d.ts, d.capture_id, d.payload),
        (2, p.src, p.dst, p.ts, Some(7), &msg[..])
    );
    let (a, c) = agent();
    let (got, _) = run_raw(&[
        synth::udp(a, c, &b),
        synth::udp(a, addr("10.9.9.1:7777"), &b),
    ]);
    assert_eq!(
        got.len(),
        1,
        "off-port HEPv2 is ignored, even with SIP inside"
    );
    assert!(got.iter().all(|g| g.hep && g.src == p.src));
    // The packed (10-byte) time header is accepted too.
    let mut packed = b[..26].to_vec();
    packed.extend_from_slice(&msg);
    assert_eq!(hep::decode(&packed).unwrap().payload, &msg[..]);
}

#[test]
fn v2_lookalike_off_port_is_not_taken_for_hep() {
    // First byte 2, plausible layout, but not SIP inside and not port 9060.
    let mut b = vec![2, 16, 2, 17, 0, 1, 0, 2];
    b.extend_from_slice(&[0; 20]);
    b.extend_from_slice(b"binary junk");
    let (a, _) = agent();
    let (got, dec) = run_raw(&[synth::udp(a, addr("10.9.9.1:7777"), &b)]);
    assert!(got.is_empty());
    assert_eq!((dec.stats().hep, dec.stats().non_sip), (0, 1));
}

#[test]
fn malformed_hep_is_an_error_not_a_panic() {
    let msg = options("bad");
    let good = v3(&inner(&msg, false));
    // Total length says more than there is.
    let mut long = good.clone();
    long[4..6].copy_from_slice(&(good.len() as u16 + 10).to_be_bytes());
    assert_eq!(
        hep::decode(&long),
        Err(HepError::Truncated {
            need: good.len() + 10,
            have: good.len()
        })
    );
    // A chunk length that runs past the packet.
    let mut chunk = good.clone();
    chunk[10..12].copy_from_slice(&0xfff0u16.to_be_bytes());
    assert!(matches!(
        hep::decode(&chunk),
        Err(HepError::BadChunk { offset: 6, .. })
    ));
    // A chunk length below its own header.
    let mut tiny = good.clone();
    tiny[10..12].copy_from_slice(&3u16.to_be_bytes());
    assert!(matches!(hep::decode(&tiny), Err(HepError::BadChunk { .. })));
    // Total length below the header.
    let mut short = good.clone();
    short[4..6].copy_from_slice(&2u16.to_be_bytes());
    assert_eq!(
        hep::decode(&short),
        Err(HepError::BadLength { declared: 2 })
    );
    // An address chunk of the wrong size.
    let mut wrong = good.clone();
    let at = 6 + 7; // after the family chunk: the IPv4 source chunk
    wrong[at + 4..at + 6].copy_from_slice(&9u16.to_be_bytes());
    assert!(hep::decode(&wrong).is_err());
    // Compressed payload chunk.
    let mut comp = good[..good.len() - msg.len() - 6].to_vec();
    comp.extend_from_slice(&[0, 0, 0, 16, 0, 7, 0x1f]);
    let total = comp.len() as u16;
    comp[4..6].copy_from_slice(&total.to_be_bytes());
    assert_eq!(hep::decode(&comp), Err(HepError::CompressedPayload));
    assert_eq!(
        HepError::CompressedPayload.to_string(),
        "compressed payload unsupported"
    );
    // Through the decoder: counted and returned.
    let (a, c) = agent();
    let mut dec = Decoder::new(Limits::default());
    let (got, results) = run(
        &mut dec,
        LinkType::Raw,
        &[synth::udp(a, c, &long), synth::udp(a, c, &comp)],
    );
    assert!(got.is_empty());
    assert!(matches!(
        results[0],
        Err(DecodeError::Hep(HepError::Truncated { .. }))
    ));
    assert_eq!(
        results[1],
        Err(DecodeError::Hep(HepError::CompressedPayload))
    );
    assert_eq!(dec.stats().hep_errors, 2);
    // Every prefix of a valid packet fails cleanly.
    for n in 0..good.len() {
        assert!(hep::decode(&good[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn missing_chunks_are_named() {
    let mut b = b"HEP3\0\0".to_vec();
    b.extend_from_slice(&[0, 0, 0, 1, 0, 7, 2]);
    let total = b.len() as u16;
    b[4..6].copy_from_slice(&total.to_be_bytes());
    assert_eq!(hep::decode(&b), Err(HepError::Missing("IPv4 source chunk")));
    assert!(
        HepError::Missing("payload chunk")
            .to_string()
            .contains("payload chunk")
    );
}
