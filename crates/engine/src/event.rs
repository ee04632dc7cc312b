//! The per-message context every detector sees, computed once.

use std::borrow::Cow;
use std::net::IpAddr;

use ghostguard_packet::{Datagram, Timestamp};
use ghostguard_sip::{Message, Method};

/// One SIP message with the facts about its addresses.
pub(crate) struct Ctx<'a> {
    pub ts: Timestamp,
    pub d: &'a Datagram<'a>,
    pub m: &'a Message<'a>,
    /// Network source and destination (canonical: v4-mapped v6 folded).
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_internal: bool,
    pub dst_internal: bool,
    /// The source is a trusted server (given, or inferred so far).
    pub src_trusted: bool,
    pub method: Option<Method<'a>>,
    /// Status code of a response; 0 for requests.
    pub status: u16,
}

impl Ctx<'_> {
    pub(crate) fn is_request(&self) -> bool {
        self.method.is_some()
    }

    /// The method a response answers (from CSeq), or the request's method.
    pub(crate) fn cseq_method(&self) -> Option<Method<'_>> {
        self.m.cseq().map(|c| c.method)
    }
}

/// The user a request is aimed at: the To user, else the Request-URI user.
pub(crate) fn target_user<'a>(m: &Message<'a>) -> Option<Cow<'a, [u8]>> {
    if let Some(to) = m.to() {
        if let Some(u) = to.uri.user {
            return Some(Cow::Borrowed(u));
        }
    }
    request_user(m)
}

/// The Request-URI user part (for `tel:` URIs, the number).
pub(crate) fn request_user<'a>(m: &Message<'a>) -> Option<Cow<'a, [u8]>> {
    m.request_uri().and_then(|u| u.user.map(Cow::Borrowed))
}

/// Text for a report: lossy UTF-8, control characters replaced, cut short.
pub(crate) fn text(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(96)];
    String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Whether the body is SDP (by Content-Type, or by its first line).
pub(crate) fn has_sdp(m: &Message<'_>) -> bool {
    let body = m.body();
    if body.is_empty() {
        return false;
    }
    match m.header(ghostguard_sip::HeaderName::ContentType) {
        Some(h) => {
            memchr::memmem::find(&h.raw_value.to_ascii_lowercase(), b"application/sdp").is_some()
        }
        None => body.starts_with(b"v=0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_safe() {
        assert_eq!(text(b"ab\x00c\x1b[31m"), "ab\u{fffd}c\u{fffd}[31m");
        assert_eq!(text(&[b'x'; 200]).len(), 96);
    }
}
