//! A parsed message: raw bytes, start line, header spans in wire order, body,
//! and typed accessors that parse on each call (nothing is cached).

use crate::defects::Defects;
use crate::header::Header;
use crate::header_name::{HeaderName, KNOWN_COUNT, OTHER_ID};
use crate::method::Method;
use crate::name_addr::NameAddr;
use crate::parse::MAX_HEADERS;
use crate::status::StatusCode;
use crate::text::{find_byte, is_lws, is_token_char, parse_u32};
use crate::uri::Uri;
use crate::via::{CSeq, Via};

/// The first line (RFC 3261 §7.1, §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `Method SP Request-URI SP SIP-Version`.
    Request {
        /// The method.
        method: Method<'a>,
        /// The Request-URI as received (may be malformed; see
        /// [`Defects::BAD_REQUEST_URI`]).
        uri: &'a [u8],
        /// The SIP-Version, e.g. `SIP/2.0`.
        version: &'a [u8],
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase`.
    Response {
        /// The SIP-Version.
        version: &'a [u8],
        /// The status code.
        code: StatusCode,
        /// The reason phrase as received (may be empty, may be UTF-8).
        reason: &'a [u8],
    },
}

/// Where one header field sits in the buffer, in 6 bytes. Offsets fit `u16`
/// because messages are at most [`crate::MAX_MESSAGE_LEN`] bytes. The name
/// is the token run at `line`, so its end is not stored; the value starts
/// `value_off` bytes after `line` (`u8::MAX`: recompute from the colon).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    line: u16,
    value_len: u16,
    value_off: u8,
    id: u8,
}

impl Span {
    /// All zeroes, so a table of them is a memset.
    pub(crate) const EMPTY: Span = Span {
        line: 0,
        value_len: 0,
        value_off: 0,
        id: 0,
    };

    pub(crate) fn new(id: u8, line: usize, value_start: usize, value_end: usize) -> Self {
        // The parser refuses buffers above MAX_MESSAGE_LEN, so these fit.
        let o = |x: usize| u16::try_from(x).unwrap_or(u16::MAX);
        Span {
            line: o(line),
            value_len: o(value_end - value_start),
            value_off: u8::try_from(value_start - line).unwrap_or(u8::MAX),
            id,
        }
    }

    fn name<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        let rest = &raw[usize::from(self.line)..];
        let len = rest
            .iter()
            .position(|&b| !is_token_char(b))
            .unwrap_or(rest.len());
        &rest[..len]
    }

    fn value<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        let line = usize::from(self.line);
        let start = if self.value_off == u8::MAX {
            // As the scanner did: after the colon, past LWS.
            let rest = &raw[line..];
            let colon = find_byte(b':', rest).map_or(rest.len(), |c| c + 1);
            line + colon + rest[colon..].iter().take_while(|&&b| is_lws(b)).count()
        } else {
            line + usize::from(self.value_off)
        };
        raw.get(start..start + usize::from(self.value_len))
            .unwrap_or_default()
    }
}

/// No span of this known header: [`Message`]'s `first` table.
const ABSENT: u8 = u8::MAX;

/// A SIP message borrowed from its buffer. Build it with [`crate::parse`].
#[derive(Clone)]
pub struct Message<'a> {
    raw: &'a [u8],
    start: StartLine<'a>,
    spans: [Span; MAX_HEADERS],
    count: usize,
    /// Per known header id, the index of its first span ([`ABSENT`] when
    /// the message has none): lookups of known headers cost one load.
    first: [u8; KNOWN_COUNT],
    body: &'a [u8],
    content_length: Option<usize>,
    defects: Defects,
}

impl std::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("start", &self.start)
            .field("headers", &self.count)
            .field("body_len", &self.body.len())
            .field("defects", &self.defects)
            .finish()
    }
}

impl<'a> Message<'a> {
    /// An empty message to be filled in place by the parser (the span table
    /// is large; building it in place avoids copying it).
    pub(crate) fn new(raw: &'a [u8], start: StartLine<'a>, defects: Defects) -> Self {
        Message {
            raw,
            start,
            spans: [Span::EMPTY; MAX_HEADERS],
            count: 0,
            first: [ABSENT; KNOWN_COUNT],
            body: b"",
            content_length: None,
            defects,
        }
    }

    /// Appends a span; `false` when the table is full.
    pub(crate) fn push(&mut self, span: Span) -> bool {
        let Some(slot) = self.spans.get_mut(self.count) else {
            return false;
        };
        *slot = span;
        self.count += 1;
        true
    }

    /// Records the span just pushed as the first one of its known id.
    pub(crate) fn mark_first(&mut self, id: u8) {
        if let Some(first) = self.first.get_mut(usize::from(id)) {
            // MAX_HEADERS (64) spans: the index fits a u8.
            *first = (self.count - 1) as u8;
        }
    }

    pub(crate) fn finish(
        &mut self,
        body: &'a [u8],
        content_length: Option<usize>,
        defects: Defects,
    ) {
        self.body = body;
        self.content_length = content_length;
        self.defects = defects;
    }

    /// The whole buffer given to [`crate::parse`].
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The start line.
    #[must_use]
    pub fn start(&self) -> &StartLine<'a> {
        &self.start
    }

    /// The request method, for requests.
    #[must_use]
    pub fn method(&self) -> Option<Method<'a>> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for responses.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase, for responses.
    #[must_use]
    pub fn reason(&self) -> Option<&'a [u8]> {
        match self.start {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// The Request-URI, parsed now; `None` for responses or when it does not
    /// parse (RFC 3261 §19.1).
    #[must_use]
    pub fn request_uri(&self) -> Option<Uri<'a>> {
        match self.start {
            StartLine::Request { uri, .. } => Uri::parse(uri),
            StartLine::Response { .. } => None,
        }
    }

    fn header_at(&self, span: &Span) -> Header<'a> {
        let raw_name = span.name(self.raw);
        Header {
            name: HeaderName::from_id(span.id, raw_name),
            raw_name,
            raw_value: span.value(self.raw),
        }
    }

    /// Number of header fields.
    #[must_use]
    pub fn header_count(&self) -> usize {
        self.count
    }

    /// All header fields in wire order.
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + '_ {
        self.spans[..self.count].iter().map(|s| self.header_at(s))
    }

    /// All header fields called `name` (full or compact form, any case), in
    /// wire order.
    pub fn headers_named<'s>(
        &'s self,
        name: HeaderName<'s>,
    ) -> impl Iterator<Item = Header<'a>> + 's {
        let id = name.id();
        // A known name's spans start at its first one (none: an empty range).
        let start = if id == OTHER_ID {
            0
        } else {
            self.first
                .get(usize::from(id))
                .map_or(self.count, |&f| usize::from(f).min(self.count))
        };
        self.spans[start..self.count]
            .iter()
            .filter(move |s| {
                s.id == id && (id != OTHER_ID || HeaderName::Other(s.name(self.raw)) == name)
            })
            .map(|s| self.header_at(s))
    }

    /// The first header field called `name`.
    #[must_use]
    pub fn header(&self, name: HeaderName<'_>) -> Option<Header<'a>> {
        self.headers_named(name).next()
    }

    /// The raw value of the first header field called `name` (trimmed), as
    /// [`Message::header`] gives it, without finding the name's bytes: for a
    /// known name one table load.
    #[must_use]
    pub fn header_value(&self, name: HeaderName<'_>) -> Option<&'a [u8]> {
        match name.known_id() {
            OTHER_ID => self.header(name).map(|h| h.raw_value),
            id => self.value_at_first(id),
        }
    }

    /// Raw value of the first header with this known id (hot accessors).
    fn value_of(&self, name: HeaderName<'static>) -> Option<&'a [u8]> {
        self.value_at_first(name.known_id())
    }

    fn value_at_first(&self, id: u8) -> Option<&'a [u8]> {
        let first = usize::from(*self.first.get(usize::from(id))?);
        self.spans[..self.count]
            .get(first)
            .map(|s| s.value(self.raw))
    }

    /// The body: `Content-Length` bytes after the empty line, or everything
    /// after it when Content-Length is absent or unusable.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Every defect: the structural ones found by [`crate::parse`] plus those
    /// found by parsing the typed headers now (costlier; not on the hot path).
    #[must_use]
    pub fn defects(&self) -> Defects {
        self.defects | crate::check::semantic_defects(self)
    }

    /// Only the defects found while framing lines and headers (free).
    #[must_use]
    pub fn structural_defects(&self) -> Defects {
        self.defects
    }

    /// Call-ID (RFC 3261 §20.8), trimmed.
    #[must_use]
    pub fn call_id(&self) -> Option<&'a [u8]> {
        self.value_of(HeaderName::CallId)
    }

    /// CSeq (RFC 3261 §20.16).
    #[must_use]
    pub fn cseq(&self) -> Option<CSeq<'a>> {
        self.value_of(HeaderName::CSeq).and_then(CSeq::parse)
    }

    /// From (RFC 3261 §20.20).
    #[must_use]
    pub fn from(&self) -> Option<NameAddr<'a>> {
        self.value_of(HeaderName::From).and_then(NameAddr::parse)
    }

    /// To (RFC 3261 §20.39).
    #[must_use]
    pub fn to(&self) -> Option<NameAddr<'a>> {
        self.value_of(HeaderName::To).and_then(NameAddr::parse)
    }

    /// The first Contact value (RFC 3261 §20.10); `None` for `*`.
    #[must_use]
    pub fn contact(&self) -> Option<NameAddr<'a>> {
        let first = self.value_of(HeaderName::Contact)?;
        let first = crate::header::Values::new(first).next()?;
        if first == b"*" {
            return None;
        }
        NameAddr::parse(first)
    }

    /// The topmost Via value (RFC 3261 §20.42).
    #[must_use]
    pub fn via(&self) -> Option<Via<'a>> {
        crate::header::Values::new(self.value_of(HeaderName::Via)?)
            .next()
            .and_then(Via::parse)
    }

    /// Every Via value across all Via headers, in order; values that do not
    /// parse are skipped (and flagged by [`Message::defects`]).
    pub fn vias(&self) -> impl Iterator<Item = Via<'a>> + '_ {
        self.headers_named(HeaderName::Via)
            .flat_map(|h| h.values())
            .filter_map(Via::parse)
    }

    /// User-Agent (RFC 3261 §20.41), raw and trimmed.
    #[must_use]
    pub fn user_agent(&self) -> Option<&'a [u8]> {
        self.value_of(HeaderName::UserAgent)
    }

    /// Server (RFC 3261 §20.35), raw and trimmed.
    #[must_use]
    pub fn server(&self) -> Option<&'a [u8]> {
        self.value_of(HeaderName::Server)
    }

    /// The Content-Length value used to delimit the body; `None` when absent,
    /// malformed or contradictory (RFC 3261 §20.14).
    #[must_use]
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// True when Authorization or Proxy-Authorization is present
    /// (RFC 3261 §22.2, §22.3).
    #[must_use]
    pub fn has_credentials(&self) -> bool {
        self.value_of(HeaderName::Authorization).is_some()
            || self.value_of(HeaderName::ProxyAuthorization).is_some()
    }

    /// Max-Forwards (RFC 3261 §20.22).
    #[must_use]
    pub fn max_forwards(&self) -> Option<u32> {
        self.value_of(HeaderName::MaxForwards).and_then(parse_u32)
    }

    /// Expires (RFC 3261 §20.19), delta-seconds.
    #[must_use]
    pub fn expires(&self) -> Option<u32> {
        self.value_of(HeaderName::Expires).and_then(parse_u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_header_table_agrees_with_a_scan() {
        let m = crate::parse(
            b"OPTIONS sip:a SIP/2.0\r\nX-A: 1\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
              Via: SIP/2.0/UDP g\r\nx-a: 2\r\nf: <sip:f@h>\r\nl: 0\r\n\r\n",
        )
        .unwrap();
        for name in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::ContentLength,
            HeaderName::To,
            HeaderName::Server,
            HeaderName::Other(b"X-a"),
            HeaderName::Other(b"VIA"),
            HeaderName::Other(b"absent"),
        ] {
            // `Other(b"VIA")` names the Via headers.
            let canonical = HeaderName::from_bytes(name.as_bytes());
            let scan = m
                .headers()
                .find(|h| h.name == canonical)
                .map(|h| h.raw_value);
            assert_eq!(m.header_value(name), scan, "{name:?}");
            assert_eq!(m.header(name).map(|h| h.raw_value), scan, "{name:?}");
            assert_eq!(
                m.headers_named(name).count(),
                m.headers().filter(|h| h.name == canonical).count(),
                "{name:?}"
            );
        }
        assert_eq!(
            m.header_value(HeaderName::Via),
            Some(&b"SIP/2.0/UDP h;branch=z9hG4bK1"[..])
        );
        assert!(!m.has_credentials());
    }
}
