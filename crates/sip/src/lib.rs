//! # ghostguard-sip
//!
//! A zero-copy, sans-IO SIP message parser and stream framer for ghostguard's
//! scanner and ghost-call detection.
//!
//! **What it is.**
//! - [`parse`]: one whole message (a UDP payload or one framed stream message)
//!   into a [`Message`] that borrows the buffer (RFC 3261 §7). The hot path
//!   only finds line boundaries, classifies header names into a fixed table
//!   of spans and delimits the body by Content-Length. It does not allocate.
//! - Typed accessors on [`Message`] ([`Message::via`], [`Message::from`],
//!   [`Message::cseq`], ...) that parse the raw bytes on each call.
//! - A tolerant reading: SIP from attackers is often broken, and a broken
//!   message is evidence about its sender. Whenever the start line is
//!   recognisable and the header lines are delimited, the message is accepted
//!   and each malformation is recorded as a [`Defects`] bit.
//!   [`Message::structural_defects`] are found by the parse itself (free);
//!   [`Message::defects`] adds those that need the typed parsers (Via, From,
//!   To, Contact, CSeq, Request-URI, ...) and costs about as much as the parse.
//!   [`Defects::INFORMATIONAL`] marks the bits that are legal SIP.
//! - [`framer::frame`]: Content-Length framing of TCP/TLS streams with CRLF
//!   keep-alive detection (RFC 3261 §18.3, RFC 5626 §3.5.1).
//! - [`looks_like_sip`]: a first-line sniff to recognise SIP on any port.
//! - [`sdp::parse`]: the handful of SDP fields a detector needs (RFC 8866).
//!
//! **What it is not.** No I/O, no clock, no logging, no transaction or dialog
//! state, no message building or serialisation, no authentication. It does
//! not decide whether a message is hostile; it reports what it saw.
//!
//! Every resource has a bound: [`MAX_MESSAGE_LEN`], [`MAX_HEADERS`],
//! [`sdp::MAX_LINES`], [`sdp::MAX_MEDIA`].
//!
//! ```
//! let msg = ghostguard_sip::parse(
//!     b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\nv: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1\r\n\
//!       f: <sip:100@192.0.2.1>;tag=a\r\nt: <sip:100@192.0.2.1>\r\ni: 1@x\r\nCSeq: 1 OPTIONS\r\n\
//!       Max-Forwards: 70\r\nUser-Agent: friendly-scanner\r\nl: 0\r\n\r\n",
//! )?;
//! assert_eq!(msg.method(), Some(ghostguard_sip::Method::Options));
//! assert_eq!(msg.user_agent(), Some(&b"friendly-scanner"[..]));
//! assert_eq!(msg.via().and_then(|v| v.port), Some(5060));
//! assert!(msg.defects().is_empty());
//! # Ok::<(), ghostguard_sip::ParseError>(())
//! ```
#![forbid(unsafe_code)]

mod check;
mod defects;
mod error;
pub mod framer;
mod header;
mod header_name;
mod message;
mod method;
mod name_addr;
mod params;
mod parse;
mod scan;
pub mod sdp;
mod sniff;
mod status;
mod text;
mod uri;
mod via;

pub use defects::Defects;
pub use error::{ParseError, StartLineFault};
pub use header::{Header, Values};
pub use header_name::HeaderName;
pub use message::{Message, StartLine};
pub use method::Method;
pub use name_addr::NameAddr;
pub use params::{Param, Params};
pub use parse::{MAX_HEADERS, MAX_MESSAGE_LEN, parse};
pub use sniff::looks_like_sip;
pub use status::StatusCode;
pub use uri::{Host, Scheme, Uri};
pub use via::{CSeq, Via};

/// Fuzz entry for `parse_message`: parses `data` and exercises every typed
/// accessor and the SDP reader on the body. Used by the cargo-fuzz target and
/// by the stable corpus replay test.
#[doc(hidden)]
pub fn fuzz_entry(data: &[u8]) {
    let _ = looks_like_sip(data);
    let Ok(msg) = parse(data) else { return };
    let _ = (
        msg.raw(),
        msg.start(),
        msg.method(),
        msg.status(),
        msg.reason(),
        msg.body(),
    );
    let _ = (msg
        .request_uri()
        .map(|u| (u.user_unescaped(), u.param(b"transport"), u.scheme_bytes())),);
    for h in msg.headers() {
        let _ = (
            h.value(),
            h.values().count(),
            HeaderName::from_bytes(h.raw_name).as_bytes(),
        );
    }
    let _ = (
        msg.call_id(),
        msg.cseq(),
        msg.user_agent(),
        msg.server(),
        msg.content_length(),
    );
    for na in [msg.from(), msg.to(), msg.contact()].into_iter().flatten() {
        let _ = (
            na.tag(),
            na.param(b"expires"),
            na.uri.user_unescaped(),
            Params::new(na.params).count(),
        );
    }
    for v in msg.vias() {
        let _ = (
            v.branch(),
            v.received_addr(),
            v.rport(),
            v.host.ip(),
            v.params_well_formed(),
        );
    }
    let _ = (
        msg.via(),
        msg.has_credentials(),
        msg.max_forwards(),
        msg.expires(),
    );
    let _ = (msg.defects().iter().count(), msg.defects().to_string());
    let sdp = sdp::parse(msg.body());
    let _ = sdp
        .media
        .iter()
        .filter_map(|m| m.connection.and_then(|c| c.ip()))
        .count();
    let _ = sdp.connection.and_then(|c| c.ip());
}

/// Fuzz entry for `frame_stream`: frames `data` as a stream until it is
/// exhausted, parsing each framed message.
///
/// # Panics
/// Only when the framer breaks its contract: every step must consume between
/// 1 and the remaining bytes, and `Incomplete` may only be returned below
/// [`MAX_MESSAGE_LEN`]. That is the property the fuzzer checks.
#[doc(hidden)]
pub fn fuzz_frame_entry(data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        let n = match framer::frame(rest) {
            framer::Framed::Message(n) => {
                assert!(
                    n > 0 && n <= rest.len(),
                    "framer returned {n} of {}",
                    rest.len()
                );
                fuzz_entry(&rest[..n]);
                n
            }
            framer::Framed::KeepAlive(n) | framer::Framed::Invalid(n) => n,
            framer::Framed::Incomplete => {
                assert!(rest.len() < MAX_MESSAGE_LEN, "Incomplete at the size limit");
                return;
            }
        };
        assert!(
            n > 0 && n <= rest.len(),
            "framer made no progress: {n} of {}",
            rest.len()
        );
        rest = &rest[n..];
    }
}
