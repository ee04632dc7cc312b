//! Packet decoding for ghostguard: link layer → IP (with defragmentation) →
//! UDP / TCP (with bounded stream reassembly) → HEP → SIP payloads.
//!
//! A [`Frame`] (bytes, link type, timestamp) goes into a [`Decoder`]; zero or
//! more [`Datagram`]s come out, each carrying one SIP-candidate payload (a
//! UDP payload, or exactly one framed message of a TCP stream) with its
//! addresses and what the outer headers say about the sender (MACs, VLAN,
//! TTL, IP identification).
//!
//! What it is:
//! * link layers Ethernet (802.1Q/QinQ stacks, PPPoE, MPLS), Linux SLL and
//!   SLL2, raw IPv4/IPv6, BSD Null and OpenBSD Loop;
//! * IPv4 and IPv6 reassembly and TCP reassembly, each with written bounds
//!   (see [`Limits`]); every bound evicts oldest-first and is counted in
//!   [`DecodeStats`];
//! * HEPv2/HEPv3 unwrapping over UDP and TCP ([`hep`]).
//!
//! What it is not: it does no I/O and reads no clock (time is the frame's
//! time), it reads no capture files (`ghostguard-capture` does), and it does
//! not parse SIP: it only sniffs and frames it with `ghostguard-sip`. It does
//! not verify checksums (captures from the sending host carry offloaded ones)
//! and does not decrypt TLS.
//!
//! No input can make it panic; per-frame problems are returned as
//! [`DecodeError`] and counted.
#![forbid(unsafe_code)]

mod datagram;
mod decoder;
mod defrag;
mod error;
pub mod hep;
mod ip;
mod link;
mod lru;
mod stats;
mod stream;
#[doc(hidden)]
pub mod synth;
mod tcp;
mod time;
mod wire;

/// The SIP sniffing and framing this crate relies on.
use ghostguard_sip as sip;

pub use datagram::{Datagram, Transport};
pub use decoder::{Decoder, Limits};
pub use error::DecodeError;
pub use hep::{HepError, HepPacket};
pub use link::{Frame, LinkType};
pub use stats::DecodeStats;
pub use time::{Span, Timestamp};

/// Fuzzing entry: the first byte picks a link type, the rest is cut into
/// frames by 2-byte big-endian length prefixes and decoded in order (so
/// defragmentation and TCP reassembly state builds up across frames); every
/// payload goes through the SIP parser. Must never panic.
#[doc(hidden)]
pub fn fuzz_decode(data: &[u8]) {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let link = LinkType::ALL[usize::from(pick) % LinkType::ALL.len()];
    let mut decoder = Decoder::new(Limits::default());
    let mut ts = 1_700_000_000i64;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let body = &rest[2..];
        let frame_bytes = &body[..len.min(body.len())];
        rest = &body[frame_bytes.len()..];
        ts += 1;
        let frame = Frame::new(Timestamp::from_parts(ts, 0), link, frame_bytes);
        let _ = decoder.decode(&frame, &mut |d| {
            let _ = ghostguard_sip::parse(d.payload);
        });
    }
}
