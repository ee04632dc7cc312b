//! RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests), one table
//! row per message in `testdata/sip/`. Each row names the outcome and why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ghostguard_sip::{
    Defects as D, HeaderName, Host, Message, Method, ParseError, Scheme, StartLineFault,
    StatusCode, parse, sdp,
};

enum Expect {
    /// Parsed with exactly these defects (from `Message::defects`), then `check`.
    Parsed(D, fn(&Message<'_>)),
    /// Rejected with this error.
    Rejected(ParseError),
}
use Expect::{Parsed, Rejected};

const fn none(_: &Message<'_>) {}

fn ip6(s: &str) -> Host<'static> {
    Host::Ipv6(s.parse().unwrap())
}

fn ruri_host<'a>(m: &Message<'a>) -> Host<'a> {
    m.request_uri().unwrap().host
}

/// Defects every RFC 5118 file carries: the archive uses bare LF line ends.
const LF: D = D::BARE_LF;

#[rustfmt::skip]
fn table() -> Vec<(&'static str, Expect)> {
    vec![
        // ---- RFC 4475 §3.1.1 valid messages: must parse. -----------------------------
        // §3.1.1.1: folding everywhere, escaped quotes, compact and long forms mixed.
        // Folding is legal (RFC 3261 §7.3.1) but recorded as a fingerprint.
        ("rfc4475-3.1.1.1-wsinv", Parsed(D::OBSOLETE_FOLDING, |m| {
            assert_eq!(m.method(), Some(Method::Invite));
            assert_eq!(m.call_id(), Some(&b"wsinv.ndaksdj@192.0.2.1"[..]));
            let c = m.cseq().unwrap();
            assert_eq!((c.seq, c.method), (9, Method::Invite));
            assert_eq!(m.max_forwards(), Some(68));
            let from = m.from().unwrap();
            assert_eq!(from.display.as_deref(), Some(&b"J Rosenberg \\\""[..]));
            assert_eq!(from.tag(), Some(&b"98asjd8"[..]));
            assert_eq!(m.to().unwrap().tag(), Some(&b"1918181833n"[..]));
            let vias: Vec<_> = m.vias().map(|v| (v.transport, v.host, v.branch())).collect();
            assert_eq!(vias.len(), 3);
            assert_eq!(vias[0], (&b"UDP"[..], Host::Ipv4("192.0.2.2".parse().unwrap()), Some(&b"390skdjuw"[..])));
            assert_eq!(vias[1].1, Host::Domain(b"spindle.example.com"));
            assert_eq!(vias[2].2, Some(&b"z9hG4bK30239"[..]));
            let contact = m.contact().unwrap();
            assert_eq!(contact.display.as_deref(), Some(&b"Quoted string \"\""[..]));
            assert_eq!((contact.param(b"newparam"), contact.param(b"q")), (Some(&b"newvalue"[..]), Some(&b"0.33"[..])));
            assert_eq!(m.header(HeaderName::Subject).map(|h| h.raw_value), Some(&b""[..]));
            assert_eq!(m.header(HeaderName::Other(b"newfangledheader")).unwrap().value().as_ref(),
                       b"newfangled value continued newfangled value");
            assert_eq!(m.request_uri().unwrap().param(b"unknownparam"), Some(&b""[..]));
            assert_eq!(m.body().len(), 150);
            assert_eq!(sdp::parse(m.body()).origin.unwrap().addr, b"192.0.2.3");
        })),
        // §3.1.1.2: every legal token character in method, URI, tags; UTF-8 and
        // escaped control characters in quoted strings.
        ("rfc4475-3.1.1.2-intmeth", Parsed(D::NONE, |m| {
            let method = Method::Other(b"!interesting-Method0123456789_*+`.%indeed'~");
            assert_eq!(m.method(), Some(method));
            assert_eq!(m.cseq().unwrap().method, method);
            let u = m.request_uri().unwrap();
            assert_eq!(u.user, Some(&b"1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"[..]));
            assert_eq!(u.password, Some(&b"&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"[..]));
            assert_eq!(m.to().unwrap().display.as_deref(), Some(&b"BEL:\x07 NUL:\x00 DEL:\x7f"[..]));
            let from = m.from().unwrap();
            assert_eq!(from.display.as_deref(), Some(&b"token1~` token2'+_ token3*%!.-"[..]));
            assert_eq!(from.tag(), Some(&b"_token~1'+`*%!-."[..]));
            assert_eq!(from.param(b"fromParam''~+*_!.-%"), Some("\"работающий\"".as_bytes()));
            assert_eq!(m.call_id(), Some(&b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"[..]));
            assert_eq!(m.max_forwards(), Some(255));
            assert_eq!(m.header(HeaderName::Other(b"extensionHeader-!.%*+_`'~")).unwrap().raw_value,
                       "\u{feff}大停電".as_bytes());
        })),
        // §3.1.1.3: %-escapes in user parts and URI parameters; compact i and C.
        ("rfc4475-3.1.1.3-esc01", Parsed(D::OBSOLETE_FOLDING, |m| {
            assert_eq!(m.request_uri().unwrap().user_unescaped().as_deref(), Some(&b"sips:user@example.com"[..]));
            assert_eq!(m.to().unwrap().uri.user_unescaped().as_deref(), Some(&b"user"[..]));
            assert_eq!(m.from().unwrap().uri.user_unescaped().as_deref(), Some(&b"I have spaces"[..]));
            assert_eq!(m.call_id(), Some(&b"esc01.239409asdfakjkn23onasd0-3234"[..]));
            assert_eq!(m.header(HeaderName::ContentType).unwrap().raw_value, b"application/sdp");
            let c = m.contact().unwrap();
            assert_eq!(c.uri.param(b"n%61me"), Some(&b"v%61lue%25%34%31"[..]));
            assert_eq!(c.uri.user_unescaped().as_deref(), Some(&b"caller"[..]));
        })),
        // §3.1.1.4: escaped NULs (%00) in URIs are legal.
        ("rfc4475-3.1.1.4-escnull", Parsed(D::NONE, |m| {
            assert_eq!(m.to().unwrap().uri.user_unescaped().as_deref(), Some(&b"null-\0-null"[..]));
            let users: Vec<Vec<u8>> = m.headers_named(HeaderName::Contact)
                .map(|h| ghostguard_sip::NameAddr::parse(h.raw_value).unwrap().uri.user_unescaped().unwrap().into_owned())
                .collect();
            assert_eq!(users, vec![b"\0".to_vec(), b"\0\0".to_vec()]);
            assert_eq!(m.content_length(), Some(0));
        })),
        // §3.1.1.5: % that is not an escape; `C%6Fntact` is an unknown header, not Contact.
        ("rfc4475-3.1.1.5-esc02", Parsed(D::NONE, |m| {
            assert_eq!(m.method(), Some(Method::Other(b"RE%47IST%45R")));
            assert_eq!(m.to().unwrap().display.as_deref(), Some(&b"%Z%45"[..]));
            assert_eq!(m.headers_named(HeaderName::Contact).count(), 2);
            assert!(m.header(HeaderName::Other(b"c%6fntact")).is_some());
            assert_eq!(m.via().unwrap().branch(), Some(&b"z9hG4bK209%fzsnel234"[..]));
        })),
        // §3.1.1.6: no LWS between display name and `<`.
        ("rfc4475-3.1.1.6-lwsdisp", Parsed(D::NONE, |m| {
            let f = m.from().unwrap();
            assert_eq!((f.display.as_deref(), f.tag()), (Some(&b"caller"[..]), Some(&b"323"[..])));
        })),
        // §3.1.1.7: long values, 34 Via values under every spelling of the name.
        ("rfc4475-3.1.1.7-longreq", Parsed(D::NONE, |m| {
            assert_eq!(m.header_count(), 43);
            assert_eq!(m.vias().count(), 34);
            assert_eq!(m.via().unwrap().host, Host::Domain(b"sip33.example.com"));
            assert_eq!(m.vias().last().unwrap().branch().unwrap().len(), 4 + 50 * 4 + 11);
            let to = m.to().unwrap();
            assert_eq!((to.uri.port, to.display.unwrap().len()), (Some(6000), 103));
            assert_eq!(m.from().unwrap().tag().unwrap().len(), 155);
            assert_eq!(m.content_length(), Some(150));
        })),
        // §3.1.1.8: a UDP datagram whose Content-Length (0) ends the message early;
        // the following INVITE must be ignored (RFC 3261 §18.3).
        ("rfc4475-3.1.1.8-dblreq", Parsed(D::TRAILING_BYTES, |m| {
            assert_eq!(m.method(), Some(Method::Register));
            assert_eq!(m.call_id(), Some(&b"dblreq.0ha0isndaksdj99sdfafnl3lk233412"[..]));
            assert!(m.body().is_empty());
        })),
        // §3.1.1.9: `;` inside the user part of the Request-URI.
        ("rfc4475-3.1.1.9-semiuri", Parsed(D::OBSOLETE_FOLDING, |m| {
            let u = m.request_uri().unwrap();
            assert_eq!((u.user, u.host), (Some(&b"user;par=u%40example.net"[..]), Host::Domain(b"example.com")));
            assert_eq!(m.header(HeaderName::Accept).unwrap().values().count(), 6);
        })),
        // §3.1.1.10: known and unknown Via transports.
        ("rfc4475-3.1.1.10-transports", Parsed(D::NONE, |m| {
            let t: Vec<&[u8]> = m.vias().map(|v| v.transport).collect();
            assert_eq!(t, [&b"UDP"[..], b"SCTP", b"TLS", b"UNKNOWN", b"TCP"]);
            assert_eq!(m.call_id(), Some(&b"transports.kijh4akdnaqjkwendsasfdj"[..]));
        })),
        // §3.1.1.11: multipart body with a binary part containing NULs and bare CR/LF.
        ("rfc4475-3.1.1.11-mpart01", Parsed(D::NONE, |m| {
            assert_eq!(m.body().len(), 553);
            assert!(m.body().contains(&0));
            assert!(m.body().ends_with(b"--7a9cbec02ceef655--\r\n"));
            assert!(m.header(HeaderName::Identity).is_some());
            let v = m.via().unwrap();
            assert_eq!((v.port, v.rport()), (Some(5070), Some(None)));
        })),
        // §3.1.1.12: UTF-8 reason phrase.
        ("rfc4475-3.1.1.12-unreason", Parsed(D::NONE, |m| {
            assert_eq!(m.status(), Some(StatusCode::OK));
            assert_eq!(m.reason(), Some("= 2**3 * 5**2 но сто девяносто девять - простое".as_bytes()));
        })),
        // §3.1.1.13: empty reason phrase after `100 `.
        ("rfc4475-3.1.1.13-noreason", Parsed(D::NONE, |m| {
            assert_eq!((m.status(), m.reason()), (Some(StatusCode::TRYING), Some(&b""[..])));
        })),

        // ---- RFC 4475 §3.1.2 invalid messages: accepted with the named defect -------
        // or rejected. -------------------------------------------------------------------
        // §3.1.2.1: `;;,;,,` in Via and `;;;;` in Contact: empty params and values.
        ("rfc4475-3.1.2.1-badinv01", Parsed(D::BAD_VIA | D::BAD_CONTACT, |m| {
            assert_eq!(m.via().unwrap().host, Host::Ipv4("192.0.2.15".parse().unwrap()));
        })),
        // §3.1.2.2: Content-Length 9999 is larger than the datagram.
        ("rfc4475-3.1.2.2-clerr", Parsed(D::CONTENT_LENGTH_MISMATCH, |m| assert_eq!(m.body().len(), 154))),
        // §3.1.2.3: negative Content-Length.
        ("rfc4475-3.1.2.3-ncl", Parsed(D::BAD_CONTENT_LENGTH, |m| assert_eq!(m.content_length(), None))),
        // §3.1.2.4: CSeq > 2**32-1, Max-Forwards > 255, Expires > 2**32-1.
        ("rfc4475-3.1.2.4-scalar02", Parsed(D::BAD_CSEQ | D::BAD_MAX_FORWARDS | D::BAD_EXPIRES | D::OBSOLETE_FOLDING, |m| {
            assert_eq!((m.cseq(), m.max_forwards(), m.expires()), (None, Some(300), None));
        })),
        // §3.1.2.5: response with an overlarge CSeq (Retry-After is not parsed).
        ("rfc4475-3.1.2.5-scalarlg", Parsed(D::BAD_CSEQ, |m| assert_eq!(m.status(), Some(StatusCode(503))))),
        // §3.1.2.6: unterminated quoted display name in To.
        ("rfc4475-3.1.2.6-quotbal", Parsed(D::BAD_TO, |m| assert!(m.to().is_none()))),
        // §3.1.2.7: Request-URI enclosed in <>.
        ("rfc4475-3.1.2.7-ltgtruri", Parsed(D::BAD_REQUEST_URI, |m| assert!(m.request_uri().is_none()))),
        // §3.1.2.8: LWS inside the Request-URI (`; lr`).
        ("rfc4475-3.1.2.8-lwsruri", Parsed(D::BAD_REQUEST_URI, none)),
        // §3.1.2.9: several SP between request-line elements.
        ("rfc4475-3.1.2.9-lwsstart", Parsed(D::START_LINE_WHITESPACE, |m| {
            assert_eq!(m.request_uri().unwrap().host, Host::Domain(b"example.com"));
        })),
        // §3.1.2.10: SP after SIP/2.0.
        ("rfc4475-3.1.2.10-trws", Parsed(D::START_LINE_WHITESPACE, none)),
        // §3.1.2.11: escaped headers in a SIP Request-URI.
        ("rfc4475-3.1.2.11-escruri", Parsed(D::BAD_REQUEST_URI, |m| {
            assert_eq!(m.request_uri().unwrap().headers, Some(&b"Route=%3Csip:example.com%3E"[..]));
        })),
        // §3.1.2.12: Date in EST instead of GMT.
        ("rfc4475-3.1.2.12-baddate", Parsed(D::BAD_DATE, none)),
        // §3.1.2.13: Contact URI with `?` not enclosed in <>.
        ("rfc4475-3.1.2.13-regbadct", Parsed(D::BAD_CONTACT, |m| assert!(m.contact().is_none()))),
        // §3.1.2.14: spaces inside `< sip:... >`.
        ("rfc4475-3.1.2.14-badaspec", Parsed(D::BAD_TO, |m| assert!(m.from().is_some()))),
        // §3.1.2.15: unquoted `Bell, Alexander` display names. The RFC archive's
        // file also lacks the empty line that ends the header section.
        ("rfc4475-3.1.2.15-baddn", Parsed(D::BAD_FROM | D::BAD_TO | D::UNTERMINATED_HEADERS, none)),
        // §3.1.2.16: SIP/7.0.
        ("rfc4475-3.1.2.16-badvers", Parsed(D::BAD_VERSION, none)),
        // §3.1.2.17: OPTIONS with CSeq method INVITE.
        ("rfc4475-3.1.2.17-mismatch01", Parsed(D::CSEQ_METHOD_MISMATCH, none)),
        // §3.1.2.18: unknown method with CSeq method INVITE.
        ("rfc4475-3.1.2.18-mismatch02", Parsed(D::CSEQ_METHOD_MISMATCH, |m| {
            assert_eq!(m.method(), Some(Method::Other(b"NEWMETHOD")));
        })),
        // §3.1.2.19: status code 4294967301 is not three digits: not a status line.
        ("rfc4475-3.1.2.19-bigcode", Rejected(ParseError::BadStartLine { reason: StartLineFault::StatusCode })),

        // ---- RFC 4475 §3.2-§3.4: well-formed; the faults are above the parser. ------
        // §3.2.1: branch is only the magic cookie.
        ("rfc4475-3.2.1-badbranch", Parsed(D::NONE, |m| assert_eq!(m.via().unwrap().branch(), Some(&b"z9hG4bK"[..])))),
        // §3.3.1: no To, From, Call-ID or Max-Forwards.
        ("rfc4475-3.3.1-insuf", Parsed(D::MISSING_CALL_ID | D::MISSING_FROM | D::MISSING_TO | D::MISSING_MAX_FORWARDS, none)),
        // §3.3.2: unknown Request-URI scheme.
        ("rfc4475-3.3.2-unkscm", Parsed(D::NONE, |m| {
            let u = m.request_uri().unwrap();
            assert_eq!((u.scheme, u.scheme_bytes()), (Scheme::Other, &b"nobodyKnowsThisScheme"[..]));
        })),
        // §3.3.3: known but atypical scheme.
        ("rfc4475-3.3.3-novelsc", Parsed(D::NONE, |m| assert_eq!(m.request_uri().unwrap().scheme_bytes(), b"soap.beep"))),
        // §3.3.4: unknown schemes in To, From and Contact.
        ("rfc4475-3.3.4-unksm2", Parsed(D::NONE, |m| {
            assert_eq!(m.to().unwrap().uri.scheme_bytes(), b"isbn");
            assert_eq!(m.from().unwrap().uri.scheme_bytes(), b"http");
            assert_eq!(m.contact().unwrap().raw_uri, b"name:John_Smith");
        })),
        // §3.3.5: unsupported Require / Proxy-Require.
        ("rfc4475-3.3.5-bext01", Parsed(D::NONE, |m| assert!(m.header(HeaderName::ProxyRequire).is_some()))),
        // §3.3.6: unknown Content-Type, 40-byte body.
        ("rfc4475-3.3.6-invut", Parsed(D::NONE, |m| assert_eq!(m.body().len(), 40))),
        // §3.3.7: unknown Authorization scheme.
        ("rfc4475-3.3.7-regaut01", Parsed(D::NONE, |m| assert!(m.has_credentials()))),
        // §3.3.8: repeated Call-ID, CSeq, From, To, Max-Forwards.
        ("rfc4475-3.3.8-multi01", Parsed(D::DUPLICATE_SINGLETON, |m| {
            assert_eq!(m.call_id(), Some(&b"multi01.98asdh@192.0.2.1"[..]));
        })),
        // §3.3.9: two different Content-Length values: the body cannot be delimited.
        ("rfc4475-3.3.9-mcl01", Parsed(D::BAD_CONTENT_LENGTH | D::DUPLICATE_SINGLETON, |m| {
            assert_eq!(m.content_length(), None);
        })),
        // §3.3.10: a broadcast address in a response Via.
        ("rfc4475-3.3.10-bcast", Parsed(D::NONE, |m| {
            assert_eq!(m.vias().nth(1).unwrap().host, Host::Ipv4("255.255.255.255".parse().unwrap()));
        })),
        // §3.3.11: Max-Forwards 0.
        ("rfc4475-3.3.11-zeromf", Parsed(D::NONE, |m| assert_eq!(m.max_forwards(), Some(0)))),
        // §3.3.12: addr-spec Contact: `;unknownparam` is a header parameter.
        ("rfc4475-3.3.12-cparam01", Parsed(D::NONE, |m| {
            let c = m.contact().unwrap();
            assert_eq!((c.param(b"unknownparam"), c.uri.params), (Some(&b""[..]), &b""[..]));
        })),
        // §3.3.13: name-addr Contact: `;unknownparam` is a URI parameter.
        ("rfc4475-3.3.13-cparam02", Parsed(D::NONE, |m| {
            let c = m.contact().unwrap();
            assert_eq!((c.param(b"unknownparam"), c.uri.param(b"unknownparam")), (None, Some(&b""[..])));
        })),
        // §3.3.14: escaped Route header inside a bracketed Contact URI (compact m, L).
        ("rfc4475-3.3.14-regescrt", Parsed(D::NONE, |m| {
            assert_eq!(m.contact().unwrap().uri.headers, Some(&b"Route=%3Csip:sip.example.com%3E"[..]));
        })),
        // §3.3.15: Accept offers only an unknown type.
        ("rfc4475-3.3.15-sdp01", Parsed(D::NONE, |m| {
            assert_eq!(m.header(HeaderName::Accept).unwrap().raw_value, b"text/nobodyKnowsThis");
        })),
        // §3.4.1: RFC 2543 syntax: no branch, no Max-Forwards, no Content-Length.
        ("rfc4475-3.4.1-inv2543", Parsed(D::MISSING_MAX_FORWARDS | D::MISSING_CONTENT_LENGTH, |m| {
            assert_eq!(m.via().unwrap().branch(), None);
            assert_eq!(m.to().unwrap().param(b"user"), Some(&b"phone"[..]));
            assert_eq!(m.body().len(), 105);
        })),

        // ---- RFC 5118 §4: IPv6. The archive's files use bare LF line ends. -----------
        ("rfc5118-4.1-ipv6-good", Parsed(LF, |m| {
            assert_eq!(ruri_host(m), ip6("2001:db8::10"));
            assert_eq!(m.via().unwrap().host, ip6("2001:db8::9:1"));
            assert_eq!(m.contact().unwrap().uri.host, ip6("2001:db8::1"));
        })),
        // §4.2: IPv6 Request-URI without brackets.
        ("rfc5118-4.2-ipv6-bad", Parsed(LF | D::BAD_REQUEST_URI, |m| assert!(m.request_uri().is_none()))),
        // §4.3: `[2001:db8::10:5070]` is a valid IPv6 address, not a port.
        ("rfc5118-4.3-port-ambiguous", Parsed(LF, |m| {
            let u = m.request_uri().unwrap();
            assert_eq!((u.host, u.port), (ip6("2001:db8::10:5070"), None));
        })),
        ("rfc5118-4.4-port-unambiguous", Parsed(LF, |m| {
            let u = m.request_uri().unwrap();
            assert_eq!((u.host, u.port), (ip6("2001:db8::10"), Some(5070)));
        })),
        // §4.5: `received` with and without brackets must both be accepted.
        ("rfc5118-4.5-via-received-param-with-delim", Parsed(LF, |m| {
            assert_eq!(m.via().unwrap().received_addr(), Some("2001:db8::9:255".parse().unwrap()));
        })),
        ("rfc5118-4.5-via-received-param-no-delim", Parsed(LF, |m| {
            assert_eq!(m.via().unwrap().received_addr(), Some("2001:db8::9:255".parse().unwrap()));
        })),
        // §4.6: IPv6 in SDP. The RFC's Content-Length (268) exceeds the body (242).
        ("rfc5118-4.6-ipv6-in-sdp", Parsed(LF | D::CONTENT_LENGTH_MISMATCH, |m| {
            let s = sdp::parse(m.body());
            assert_eq!(s.connection.unwrap().ip(), Some("2001:db8::20".parse().unwrap()));
            assert_eq!(s.media.len(), 2);
        })),
        // §4.7: IPv4 and IPv6 mixed in Via, one with a port, one with received.
        ("rfc5118-4.7-mult-ip-in-header", Parsed(LF, |m| {
            let v: Vec<_> = m.vias().collect();
            assert_eq!((v[0].host, v[0].port), (ip6("2001:db8::9:1"), Some(6050)));
            assert_eq!(v[1].host, Host::Ipv4("192.0.2.1".parse().unwrap()));
            assert_eq!(v[2].received_addr(), Some("192.0.2.200".parse().unwrap()));
        })),
        // §4.8: per-media c= lines; the RFC's Content-Length (181) exceeds the body (180).
        ("rfc5118-4.8-mult-ip-in-sdp", Parsed(LF | D::CONTENT_LENGTH_MISMATCH, |m| {
            let s = sdp::parse(m.body());
            let ips: Vec<_> = s.media.iter().map(|x| x.connection.unwrap().ip().unwrap()).collect();
            assert_eq!(ips, ["192.0.2.1".parse::<std::net::IpAddr>().unwrap(), "2001:db8::1".parse().unwrap()]);
        })),
        // §4.9: IPv4-mapped IPv6 addresses.
        ("rfc5118-4.9-ipv4-mapped-ipv6", Parsed(LF, |m| {
            let v = m.via().unwrap();
            assert_eq!((v.host, v.port), (ip6("::ffff:192.0.2.10"), Some(19823)));
            assert_eq!(m.contact().unwrap().uri.host, ip6("::ffff:192.0.2.2"));
        })),
        // §4.10: the three-colon form from RFC 3261's ABNF must be tolerated. The
        // archive's files end without the empty line.
        ("rfc5118-4.10-ipv6-bug-abnf-3-colons", Parsed(LF | D::UNTERMINATED_HEADERS, |m| {
            assert_eq!(ruri_host(m), ip6("2001:db8::192.0.2.1"));
        })),
        ("rfc5118-4.10-ipv6-correct-abnf-2-colons", Parsed(LF | D::UNTERMINATED_HEADERS, |m| {
            assert_eq!(ruri_host(m), ip6("2001:db8::192.0.2.1"));
        })),
    ]
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sip")
}

#[test]
fn every_vector_has_the_expected_outcome() {
    let mut failures = Vec::new();
    for (name, expect) in table() {
        let buf = std::fs::read(dir().join(format!("{name}.sip")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = std::panic::catch_unwind(|| match (parse(&buf), &expect) {
            (Ok(m), Parsed(defects, check)) => {
                assert_eq!(m.defects(), *defects, "defects");
                check(&m);
            }
            (Err(e), Rejected(want)) => assert_eq!(&e, want),
            (Ok(m), Rejected(want)) => panic!("parsed ({:?}), expected {want}", m.defects()),
            (Err(e), Parsed(..)) => panic!("rejected: {e}"),
        });
        if outcome.is_err() {
            failures.push(name);
        }
    }
    assert!(failures.is_empty(), "failing vectors: {failures:?}");
}

#[test]
fn the_table_covers_every_file() {
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".sip").map(str::to_owned))
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = table().into_iter().map(|(n, _)| n.to_owned()).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table);
    assert_eq!(
        in_table
            .iter()
            .filter(|n| n.starts_with("rfc4475-"))
            .count(),
        49
    );
    assert_eq!(
        in_table
            .iter()
            .filter(|n| n.starts_with("rfc5118-"))
            .count(),
        12
    );
}

/// RFC 4475 §3.1.2.15 is about the display names; with its header section
/// closed the only defects left are exactly those.
#[test]
fn baddn_with_its_empty_line_only_has_bad_display_names() {
    let mut buf = std::fs::read(dir().join("rfc4475-3.1.2.15-baddn.sip")).unwrap();
    buf.extend_from_slice(b"\r\n");
    assert_eq!(parse(&buf).unwrap().defects(), D::BAD_FROM | D::BAD_TO);
}

/// Every message frames as one unit when sent on a stream (RFC 3261 §18.3),
/// except where the RFC's Content-Length lies about the body.
#[test]
fn every_valid_vector_frames_on_a_stream() {
    use ghostguard_sip::framer::{Framed, frame};
    for (name, expect) in table() {
        let buf = std::fs::read(dir().join(format!("{name}.sip"))).unwrap();
        let Parsed(defects, _) = expect else { continue };
        if defects.contains(D::UNTERMINATED_HEADERS) || defects.contains(D::CONTENT_LENGTH_MISMATCH)
        {
            // A stream would wait for the missing bytes.
            assert_eq!(frame(&buf), Framed::Incomplete, "{name}");
        } else if defects.contains(D::BAD_CONTENT_LENGTH) {
            assert!(matches!(frame(&buf), Framed::Invalid(_)), "{name}");
        } else {
            let m = parse(&buf).unwrap();
            let body_start = m.body().as_ptr() as usize - buf.as_ptr() as usize;
            // A stream message without Content-Length has an empty body.
            let body_len = if defects.contains(D::MISSING_CONTENT_LENGTH) {
                0
            } else {
                m.body().len()
            };
            assert_eq!(
                frame(&buf),
                Framed::Message(body_start + body_len),
                "{name}"
            );
        }
    }
}
