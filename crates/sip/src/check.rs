//! Defects that need the typed parsers (RFC 3261 §8.1.1, §20): computed on
//! demand by [`crate::Message::defects`], never during [`crate::parse`].

use crate::defects::Defects;
use crate::header_name::HeaderName;
use crate::message::{Message, StartLine};
use crate::name_addr::NameAddr;
use crate::text::{parse_u32, trim_wsp_end};
use crate::uri::{Scheme, Uri};
use crate::via::{CSeq, Via};

/// Largest Max-Forwards value RFC 3261 §20.22 allows in practice (0-255;
/// RFC 4475 §3.1.2.4 treats 300 as overlarge).
const MAX_FORWARDS_LIMIT: u32 = 255;

/// CSeq numbers must be below 2**31 (RFC 3261 §8.1.1.5).
const CSEQ_LIMIT: u32 = 1 << 31;

pub(crate) fn semantic_defects(msg: &Message<'_>) -> Defects {
    let mut d = Defects::NONE;
    if let StartLine::Request { uri, .. } = msg.start() {
        let ok = Uri::parse(uri).is_some_and(|u| {
            // SIP/SIPS Request-URIs must not carry headers (RFC 3261 §19.1.1).
            !(matches!(u.scheme, Scheme::Sip | Scheme::Sips) && u.headers.is_some())
        });
        d.set_if(!ok, Defects::BAD_REQUEST_URI);
    }
    if let Some(h) = msg.header(HeaderName::CSeq) {
        match CSeq::parse(h.raw_value) {
            Some(c) => {
                d.set_if(c.seq >= CSEQ_LIMIT, Defects::BAD_CSEQ);
                let mismatch = msg.method().is_some_and(|m| m != c.method);
                d.set_if(mismatch, Defects::CSEQ_METHOD_MISMATCH);
            }
            None => d.insert(Defects::BAD_CSEQ),
        }
    }
    let via_ok = msg
        .headers_named(HeaderName::Via)
        .flat_map(|h| h.values())
        .all(|v| Via::parse(v).is_some_and(|via| via.params_well_formed()));
    d.set_if(!via_ok, Defects::BAD_VIA);
    let addr_ok = |raw: &[u8]| NameAddr::parse(raw).is_some_and(|na| na.params_well_formed());
    for (name, flag) in [
        (HeaderName::From, Defects::BAD_FROM),
        (HeaderName::To, Defects::BAD_TO),
    ] {
        let bad = msg.headers_named(name).any(|h| !addr_ok(h.raw_value));
        d.set_if(bad, flag);
    }
    let contact_bad = msg
        .headers_named(HeaderName::Contact)
        .flat_map(|h| h.values())
        .any(|v| v != b"*" && !addr_ok(v));
    d.set_if(contact_bad, Defects::BAD_CONTACT);
    if let Some(h) = msg.header(HeaderName::MaxForwards) {
        let bad = parse_u32(h.raw_value).is_none_or(|n| n > MAX_FORWARDS_LIMIT);
        d.set_if(bad, Defects::BAD_MAX_FORWARDS);
    }
    if let Some(h) = msg.header(HeaderName::Expires) {
        d.set_if(parse_u32(h.raw_value).is_none(), Defects::BAD_EXPIRES);
    }
    if let Some(h) = msg.header(HeaderName::Date) {
        // SIP-date is rfc1123-date, always in "GMT" (RFC 3261 §20.17, §25.1).
        d.set_if(
            !trim_wsp_end(h.raw_value).ends_with(b" GMT"),
            Defects::BAD_DATE,
        );
    }
    d
}
