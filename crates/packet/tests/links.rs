//! Every link type the decoder reads, and what it takes from each layer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_packet::synth::{self, ETH_IPV4};
use ghostguard_packet::{DecodeError, Decoder, Frame, Limits, LinkType, Transport};

fn one(link: LinkType, frame: Vec<u8>) -> Got {
    let mut dec = Decoder::new(Limits::default());
    let (got, results) = run(&mut dec, link, &[frame]);
    assert_eq!(results, vec![Ok(())]);
    assert_eq!(got.len(), 1, "one datagram expected for {link:?}");
    got.into_iter().next().unwrap()
}

#[test]
fn ethernet_ipv4_udp_fields() {
    let (s, d) = a4();
    let msg = options("eth");
    let g = one(
        LinkType::Ethernet,
        synth::ethernet(MAC_A, MAC_B, &[], &synth::udp(s, d, &msg)),
    );
    assert_eq!((g.src, g.dst, g.transport), (s, d, Transport::Udp));
    assert_eq!(
        (g.src_mac, g.dst_mac, g.vlan),
        (Some(MAC_A), Some(MAC_B), None)
    );
    assert_eq!(
        (g.ttl, g.ip_id, g.hep, g.fragmented),
        (64, Some(0), false, false)
    );
    assert_eq!(g.payload, msg);
    assert_eq!(g.ts, ms(0));
}

#[test]
fn qinq_and_single_vlan() {
    let (s, d) = a4();
    let ip = synth::udp(s, d, &options("q"));
    for tpid in [0x88a8, 0x9100, 0x8100] {
        let f = synth::ethernet(MAC_A, MAC_B, &[(tpid, 0x2000 | 100), (0x8100, 200)], &ip);
        assert_eq!(
            one(LinkType::Ethernet, f).vlan,
            Some(100),
            "outer tag {tpid:#x}"
        );
    }
    let f = synth::ethernet(MAC_A, MAC_B, &[(0x8100, 7)], &ip);
    assert_eq!(one(LinkType::Ethernet, f).vlan, Some(7));
}

#[test]
fn ipv6_over_every_link() {
    let (s, d) = a6();
    let msg = options("v6");
    let ip = synth::udp(s, d, &msg);
    let frames = [
        (LinkType::Ethernet, synth::ethernet(MAC_A, MAC_B, &[], &ip)),
        (LinkType::LinuxSll, synth::sll(MAC_A, &ip)),
        (LinkType::LinuxSll2, synth::sll2(MAC_A, &ip)),
        (LinkType::Raw, ip.clone()),
        (LinkType::Ipv6, ip.clone()),
        (LinkType::Null, synth::loopback(false, &ip)),
        (LinkType::Loop, synth::loopback(true, &ip)),
    ];
    for (link, f) in frames {
        let g = one(link, f);
        assert_eq!((g.src, g.dst, g.ttl, g.ip_id), (s, d, 64, None), "{link:?}");
        assert_eq!(g.payload, msg);
    }
}

#[test]
fn ipv4_over_every_link() {
    let (s, d) = a4();
    let ip = synth::udp(s, d, &options("v4"));
    let frames = [
        (LinkType::LinuxSll, synth::sll(MAC_A, &ip), Some(MAC_A)),
        (LinkType::LinuxSll2, synth::sll2(MAC_A, &ip), Some(MAC_A)),
        (LinkType::Raw, ip.clone(), None),
        (LinkType::Ipv4, ip.clone(), None),
        (LinkType::Null, synth::loopback(false, &ip), None),
        (LinkType::Null, synth::loopback(true, &ip), None),
        (LinkType::Loop, synth::loopback(true, &ip), None),
    ];
    for (link, f, mac) in frames {
        let g = one(link, f);
        assert_eq!(
            (g.src, g.dst, g.src_mac, g.dst_mac),
            (s, d, mac, None),
            "{link:?}"
        );
    }
    assert_eq!(LinkType::from_dlt(276), LinkType::LinuxSll2);
}

#[test]
fn sll2_vlan_protocol() {
    // SLL2 whose protocol is 802.1Q: the tag follows the header.
    let (s, d) = a4();
    let ip = synth::udp(s, d, &options("v"));
    let mut f = synth::sll2(MAC_A, &[]);
    f[0..2].copy_from_slice(&0x8100u16.to_be_bytes());
    f.extend_from_slice(&[0x00, 42]);
    f.extend_from_slice(&ETH_IPV4.to_be_bytes());
    f.extend_from_slice(&ip);
    assert_eq!(one(LinkType::LinuxSll2, f).vlan, Some(42));
}

#[test]
fn synth_frames_agree_with_etherparse() {
    let (s, d) = a4();
    let msg = invite("x", 100);
    let f = synth::ethernet(
        MAC_A,
        MAC_B,
        &[(0x88a8, 5), (0x8100, 6)],
        &synth::udp(s, d, &msg),
    );
    let p = etherparse::SlicedPacket::from_ethernet(&f).unwrap();
    let Some(etherparse::TransportSlice::Udp(u)) = p.transport else {
        panic!("no udp")
    };
    assert_eq!(
        (u.source_port(), u.destination_port(), u.payload()),
        (5060, 5060, &msg[..])
    );
    let ipv4 = etherparse::Ipv4HeaderSlice::from_slice(&synth::udp(s, d, &msg))
        .unwrap()
        .to_header();
    assert_eq!(ipv4.header_checksum, ipv4.calc_header_checksum());
    let (s6, d6) = a6();
    let ip6 = synth::tcp(s6, d6, 7, synth::ACK, &msg);
    let p = etherparse::SlicedPacket::from_ip(&ip6).unwrap();
    let Some(etherparse::TransportSlice::Tcp(t)) = p.transport else {
        panic!("no tcp")
    };
    assert_eq!((t.sequence_number(), t.payload()), (7, &msg[..]));
}

#[test]
fn non_sip_non_ip_and_errors_are_counted() {
    let (s, d) = a4();
    let mut dec = Decoder::new(Limits::default());
    let arp = {
        let mut f = synth::ethernet(MAC_A, MAC_B, &[], &[0; 28]);
        f[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
        f
    };
    let mut short_ip = synth::udp(s, d, &options("t"));
    short_ip.truncate(30);
    let frames = vec![
        arp,
        synth::ethernet(MAC_A, MAC_B, &[], &synth::udp(s, d, b"\r\n\r\n")),
        synth::ethernet(MAC_A, MAC_B, &[], &short_ip),
        vec![1, 2, 3],
    ];
    let (got, results) = run(&mut dec, LinkType::Ethernet, &frames);
    assert!(got.is_empty());
    assert_eq!(results[0], Ok(()));
    assert_eq!(results[1], Ok(()));
    assert!(matches!(
        results[2],
        Err(DecodeError::Truncated {
            layer: "ipv4",
            need: 200..,
            have: 30
        })
    ));
    assert_eq!(
        results[3],
        Err(DecodeError::Truncated {
            layer: "ethernet",
            need: 14,
            have: 3
        })
    );
    let st = dec.stats();
    assert_eq!(
        (
            st.frames,
            st.non_ip,
            st.non_sip,
            st.truncated,
            st.decoded_ip
        ),
        (4, 1, 1, 2, 1)
    );
    let r = dec.decode(
        &Frame::new(ms(9), LinkType::Other(147), &[0; 64]),
        &mut |_| {},
    );
    assert_eq!(r, Err(DecodeError::UnsupportedLink(147)));
    assert_eq!(dec.stats().unsupported_link, 1);
    assert!(r.unwrap_err().to_string().contains("147"));
}

#[test]
fn ethernet_padding_is_ignored() {
    // A short frame padded to 60 bytes: IP total length decides.
    let (s, d) = a4();
    let ip = synth::udp(s, d, b"SIP/2.0 200 OK\r\n\r\n");
    let mut f = synth::ethernet(MAC_A, MAC_B, &[], &ip);
    f.resize(f.len() + 12, 0);
    assert_eq!(
        one(LinkType::Ethernet, f).payload,
        b"SIP/2.0 200 OK\r\n\r\n"
    );
}
