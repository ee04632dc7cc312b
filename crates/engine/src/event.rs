//! The per-message context every detector sees. Each header a detector may
//! need is parsed once here, not once per detector.

use std::cell::OnceCell;
use std::net::IpAddr;

use ghostguard_packet::{Datagram, Timestamp};
use ghostguard_sip::sdp::{self, Sdp};
use ghostguard_sip::{CSeq, HeaderName, Message, Method, NameAddr, Uri, Via};

/// One SIP message with the facts about its addresses. The cheap header
/// facts are read at once; the costly parses (From, To, Via, Request-URI,
/// Contact, SDP, and the Via branch and From/To tags) happen on first use
/// and are shared by every detector.
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
    pub call_id: Option<&'a [u8]>,
    pub cseq: Option<CSeq<'a>>,
    pub user_agent: Option<&'a [u8]>,
    /// The destination is a known phone (so far).
    pub dst_phone: bool,
    /// The source is a phone registered with the destination.
    pub src_registered_here: bool,
    from: OnceCell<Option<NameAddr<'a>>>,
    to: OnceCell<Option<NameAddr<'a>>>,
    via: OnceCell<Option<Via<'a>>>,
    ruri: OnceCell<Option<Uri<'a>>>,
    contact: OnceCell<Option<NameAddr<'a>>>,
    sdp: OnceCell<Option<Sdp<'a>>>,
    branch: OnceCell<Option<&'a [u8]>>,
    caller_tag: OnceCell<Option<&'a [u8]>>,
    callee_tag: OnceCell<Option<&'a [u8]>>,
}

impl<'a> Ctx<'a> {
    /// The context of one message.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        d: &'a Datagram<'a>,
        m: &'a Message<'a>,
        src: IpAddr,
        dst: IpAddr,
        src_internal: bool,
        dst_internal: bool,
        src_trusted: bool,
    ) -> Ctx<'a> {
        Ctx {
            ts: d.ts,
            d,
            m,
            src,
            dst,
            src_internal,
            dst_internal,
            src_trusted,
            method: m.method(),
            status: m.status().map_or(0, |s| s.0),
            call_id: m.call_id(),
            cseq: m.cseq(),
            user_agent: m.user_agent(),
            dst_phone: false,
            src_registered_here: false,
            from: OnceCell::new(),
            to: OnceCell::new(),
            via: OnceCell::new(),
            ruri: OnceCell::new(),
            contact: OnceCell::new(),
            sdp: OnceCell::new(),
            branch: OnceCell::new(),
            caller_tag: OnceCell::new(),
            callee_tag: OnceCell::new(),
        }
    }

    pub(crate) fn is_request(&self) -> bool {
        self.method.is_some()
    }

    pub(crate) fn from(&self) -> Option<&NameAddr<'a>> {
        self.from.get_or_init(|| self.m.from()).as_ref()
    }

    pub(crate) fn to(&self) -> Option<&NameAddr<'a>> {
        self.to.get_or_init(|| self.m.to()).as_ref()
    }

    /// The topmost Via.
    pub(crate) fn via(&self) -> Option<&Via<'a>> {
        self.via.get_or_init(|| self.m.via()).as_ref()
    }

    /// The topmost Via's branch.
    pub(crate) fn branch(&self) -> Option<&'a [u8]> {
        *self
            .branch
            .get_or_init(|| self.via().and_then(|v| v.branch()))
    }

    /// The From tag.
    pub(crate) fn caller_tag(&self) -> Option<&'a [u8]> {
        *self
            .caller_tag
            .get_or_init(|| self.from().and_then(|f| f.tag()))
    }

    /// The To tag (set inside a dialog).
    pub(crate) fn callee_tag(&self) -> Option<&'a [u8]> {
        *self
            .callee_tag
            .get_or_init(|| self.to().and_then(|t| t.tag()))
    }

    pub(crate) fn ruri(&self) -> Option<&Uri<'a>> {
        self.ruri
            .get_or_init(|| {
                if self.is_request() {
                    self.m.request_uri()
                } else {
                    None
                }
            })
            .as_ref()
    }

    pub(crate) fn contact(&self) -> Option<&NameAddr<'a>> {
        self.contact.get_or_init(|| self.m.contact()).as_ref()
    }

    /// The body, when it is SDP.
    pub(crate) fn sdp(&self) -> Option<&Sdp<'a>> {
        self.sdp
            .get_or_init(|| {
                if has_sdp(self.m) {
                    Some(sdp::parse(self.m.body()))
                } else {
                    None
                }
            })
            .as_ref()
    }

    /// The To header carries a tag: the request is inside a dialog.
    pub(crate) fn in_dialog(&self) -> bool {
        self.callee_tag().is_some()
    }

    /// The user a request is aimed at: the To user, else the Request-URI user.
    pub(crate) fn target_user(&self) -> Option<&'a [u8]> {
        self.to()
            .and_then(|t| t.uri.user)
            .or_else(|| self.request_user())
    }

    /// The Request-URI user part (for `tel:` URIs, the number).
    pub(crate) fn request_user(&self) -> Option<&'a [u8]> {
        self.ruri().and_then(|u| u.user)
    }
}

/// The most bytes of a header value [`text`] keeps.
pub(crate) const TEXT_MAX: usize = 96;

/// Text for a report: lossy UTF-8, control characters replaced, cut short.
pub(crate) fn text(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(TEXT_MAX)];
    String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Whether `hay` contains `needle` (ASCII, lowercase), ignoring ASCII case.
/// Jumps between the places the first byte occurs.
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), hay).any(|i| {
        hay.get(i + 1..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(rest))
    })
}

/// Whether the body is SDP (by Content-Type, or by its first line).
pub(crate) fn has_sdp(m: &Message<'_>) -> bool {
    let body = m.body();
    if body.is_empty() {
        return false;
    }
    match m.header_value(HeaderName::ContentType) {
        Some(v) => contains_ci(v, b"application/sdp"),
        None => body.starts_with(b"v=0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ci_ignores_case_only() {
        assert!(contains_ci(b"Application/SDP", b"application/sdp"));
        assert!(contains_ci(b"x; STALE=true", b"stale=true"));
        assert!(contains_ci(b"sstale=true", b"stale=true"));
        assert!(!contains_ci(b"stale=tru", b"stale=true"));
        assert!(!contains_ci(b"", b"a"));
        assert!(contains_ci(b"abc", b""));
    }

    #[test]
    fn text_is_safe() {
        assert_eq!(text(b"ab\x00c\x1b[31m"), "ab\u{fffd}c\u{fffd}[31m");
        assert_eq!(text(&[b'x'; 200]).len(), 96);
    }
}
