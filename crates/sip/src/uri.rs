//! URIs: SIP/SIPS (RFC 3261 §19.1), tel (RFC 3966) and opaque others
//! (RFC 3261 §25.1 `absoluteURI`), with IPv6 references (RFC 5118).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::params;
use crate::text::{
    DIGIT_DOT, HOST, SCHEME, class_run, eq_ignore_case, find_byte, has, no_lws, parse_u16,
    percent_decode,
};

/// URI scheme (RFC 3261 §19.1.1, RFC 3966).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966)
    Tel,
    /// Any other scheme; see [`Uri::scheme_bytes`].
    Other,
}

/// A host: domain name, IPv4 address or IPv6 reference (RFC 3261 §25.1 `host`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A hostname as received (case not normalised). Empty for URIs without
    /// a host (tel and opaque schemes).
    Domain(&'a [u8]),
    /// A dotted-quad IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference `[...]`, brackets removed.
    Ipv6(Ipv6Addr),
}

impl<'a> Host<'a> {
    /// Parses `hostname / IPv4address / IPv6reference` (RFC 3261 §25.1).
    /// Hostnames may contain letters, digits, `-`, `.` and `_` (the last is
    /// not in the ABNF but common in the wild).
    #[must_use]
    pub fn parse(s: &'a [u8]) -> Option<Self> {
        match scan_host(s)? {
            (host, []) => Some(host),
            _ => None,
        }
    }

    /// The address, when the host is an IP literal.
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Domain(_) => None,
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
        }
    }
}

/// Reads a host at the start of `s` and returns it with the bytes after it.
/// An IPv6 reference ends at `]`; a hostname or IPv4 address at the first
/// byte that cannot be part of one.
pub(crate) fn scan_host(s: &[u8]) -> Option<(Host<'_>, &[u8])> {
    scan_host_inline(s)
}

/// [`scan_host`] for [`parse_sip`]: inlined there, the host is written
/// straight into the `Uri` instead of being copied out of a return slot
/// (which stalls on store forwarding). Via keeps the call: inlining it into
/// `Via::parse` measured slower.
#[inline(always)]
fn scan_host_inline(s: &[u8]) -> Option<(Host<'_>, &[u8])> {
    if s.first() == Some(&b'[') {
        let close = find_byte(b']', s)?;
        return Some((Host::Ipv6(parse_ipv6(&s[1..close])?), &s[close + 1..]));
    }
    let n = class_run(s, HOST);
    if n == 0 {
        return None;
    }
    let (h, rest) = s.split_at(n);
    // A dotted quad is an IPv4 address; anything else all digits and dots is
    // not a host. Hostnames may start with a digit, so only check on failure.
    let host = if h[0].is_ascii_digit() && h[n - 1].is_ascii_digit() {
        match parse_ipv4(h) {
            Some(a) => Host::Ipv4(a),
            None if h.iter().all(|&b| has(b, DIGIT_DOT)) => return None,
            None => Host::Domain(h),
        }
    } else {
        Host::Domain(h)
    };
    Some((host, rest))
}

/// Parses `IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT`
/// (RFC 3261 §25.1) with each octet at most 255.
pub(crate) fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let digit = |i: usize| s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9);
    // Accumulated in a register, not a byte array.
    let mut addr = 0u32;
    let mut i = 0;
    for k in 0..4 {
        if k > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let mut v = u16::from(digit(i)?);
        i += 1;
        for _ in 0..2 {
            let Some(d) = digit(i) else { break };
            v = v * 10 + u16::from(d);
            i += 1;
        }
        addr = addr << 8 | u32::from(u8::try_from(v).ok()?);
    }
    (i == s.len()).then_some(Ipv4Addr::from_bits(addr))
}

/// Parses an IPv6 address, tolerating the `:::` before an embedded IPv4
/// address that RFC 3261's ABNF admits by mistake (RFC 5118 §4.10).
pub(crate) fn parse_ipv6(s: &[u8]) -> Option<Ipv6Addr> {
    let text = std::str::from_utf8(s).ok()?;
    if let Ok(a) = text.parse() {
        return Some(a);
    }
    let i = text.find(":::")?;
    let fixed = format!("{}{}", &text[..i], &text[i + 1..]);
    fixed.contains('.').then(|| fixed.parse().ok()).flatten()
}

/// A parsed URI. Fields borrow from the message; nothing is unescaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// The whole URI as received.
    pub raw: &'a [u8],
    /// SIP/SIPS `user` (escaped as received); the number for `tel:`.
    pub user: Option<&'a [u8]>,
    /// SIP/SIPS `password` after `user:` (RFC 3261 §19.1.1, deprecated).
    pub password: Option<&'a [u8]>,
    /// The host; `Domain(b"")` for tel and opaque schemes.
    pub host: Host<'a>,
    /// The port, when given.
    pub port: Option<u16>,
    /// URI parameters, starting with their first `;` (empty when none).
    pub params: &'a [u8],
    /// The `?` headers part of a SIP/SIPS URI, without the `?`.
    pub headers: Option<&'a [u8]>,
}

impl<'a> Uri<'a> {
    /// Parses a URI. Returns `None` on LWS anywhere, a bad scheme, or (for
    /// SIP/SIPS) a host or port that does not parse.
    #[must_use]
    pub fn parse(raw: &'a [u8]) -> Option<Self> {
        Self::parse_inline(raw)
    }

    /// [`Uri::parse`] inlined into the crate's own callers, so the result is
    /// built in the caller's value rather than copied there: copying a
    /// freshly written `Uri` stalls on store forwarding.
    #[inline(always)]
    pub(crate) fn parse_inline(raw: &'a [u8]) -> Option<Self> {
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3261 §25.1).
        // Nearly every URI is `sip:`: four bytes compared settle what the
        // class scan below would find (a scheme run of 3 ending at `:`).
        let colon = if raw.get(..4).is_some_and(|p| eq_ignore_case(p, b"sip:")) {
            3
        } else {
            let colon = class_run(raw, SCHEME);
            if colon == 0 || raw.get(colon) != Some(&b':') || !raw[0].is_ascii_alphabetic() {
                return None;
            }
            colon
        };
        let (scheme_bytes, rest) = (&raw[..colon], &raw[colon + 1..]);
        let scheme = if scheme_bytes.eq_ignore_ascii_case(b"sip") {
            Scheme::Sip
        } else if scheme_bytes.eq_ignore_ascii_case(b"sips") {
            Scheme::Sips
        } else if scheme_bytes.eq_ignore_ascii_case(b"tel") {
            Scheme::Tel
        } else {
            Scheme::Other
        };
        let opaque = |user, params| Uri {
            scheme,
            raw,
            user,
            password: None,
            host: Host::Domain(b""),
            port: None,
            params,
            headers: None,
        };
        match scheme {
            Scheme::Sip | Scheme::Sips => parse_sip(scheme, raw, rest),
            Scheme::Tel => {
                // telephone-subscriber, then ;params (RFC 3966 §3).
                let end = find_byte(b';', rest).unwrap_or(rest.len());
                if end == 0 || !no_lws(rest) {
                    return None;
                }
                Some(opaque(Some(&rest[..end]), &rest[end..]))
            }
            Scheme::Other => {
                if rest.is_empty() || !no_lws(rest) {
                    return None;
                }
                Some(opaque(None, b""))
            }
        }
    }

    /// The scheme as received (`sip`, `soap.beep`, ...).
    #[must_use]
    pub fn scheme_bytes(&self) -> &'a [u8] {
        let end = self.raw.iter().position(|&b| b == b':').unwrap_or(0);
        &self.raw[..end]
    }

    /// The user part with `%HH` escapes decoded (RFC 3261 §19.1.2, §25.1).
    #[must_use]
    pub fn user_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(percent_decode)
    }

    /// A URI parameter's value (`Some(b"")` for a flag such as `lr`),
    /// matched case-insensitively (RFC 3261 §19.1.4).
    #[must_use]
    pub fn param(&self, name: &[u8]) -> Option<&'a [u8]> {
        params::find(self.params, name)
    }
}

/// `[userinfo "@"] hostport uri-parameters [headers]` (RFC 3261 §25.1),
/// `rest` being what follows `scheme:` in `raw`.
#[inline(always)]
fn parse_sip<'a>(scheme: Scheme, raw: &'a [u8], rest: &'a [u8]) -> Option<Uri<'a>> {
    // No `@` may appear unescaped in params or headers, so the first one ends
    // the userinfo even when the user part contains `;`, `?` or `:`
    // (RFC 4475 §3.1.1.2, §3.1.1.9).
    let (user, password, hostpart) = match find_byte(b'@', rest) {
        Some(at) => {
            let userinfo = &rest[..at];
            if !no_lws(userinfo) {
                return None;
            }
            let (user, password) = match find_byte(b':', userinfo) {
                Some(c) => (&userinfo[..c], Some(&userinfo[c + 1..])),
                None => (userinfo, None),
            };
            (Some(user), password, &rest[at + 1..])
        }
        None => (None, None, rest),
    };
    let (host, mut tail) = scan_host_inline(hostpart)?;
    let mut port = None;
    if let Some(p) = tail.strip_prefix(b":") {
        let digits = p
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(p.len());
        port = Some(parse_u16(&p[..digits])?);
        tail = &p[digits..];
    }
    if !matches!(tail.first(), None | Some(b';' | b'?')) || !no_lws(tail) {
        return None;
    }
    let (params, headers) = match find_byte(b'?', tail) {
        Some(q) => (&tail[..q], Some(&tail[q + 1..])),
        None => (tail, None),
    };
    Some(Uri {
        scheme,
        raw,
        user,
        password,
        host,
        port,
        params,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uri_with_everything() {
        let u = Uri::parse(b"sip:alice:pw@[2001:db8::1]:5070;transport=tcp;lr?Subject=x").unwrap();
        assert_eq!(u.scheme, Scheme::Sip);
        assert_eq!(u.user, Some(&b"alice"[..]));
        assert_eq!(u.password, Some(&b"pw"[..]));
        assert_eq!(u.host, Host::Ipv6("2001:db8::1".parse().unwrap()));
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.param(b"TRANSPORT"), Some(&b"tcp"[..]));
        assert_eq!(u.param(b"lr"), Some(&b""[..]));
        assert_eq!(u.headers, Some(&b"Subject=x"[..]));
    }

    #[test]
    fn tortured_user_parts() {
        let u = Uri::parse(b"sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user, Some(&b"user;par=u%40example.net"[..]));
        assert_eq!(u.host, Host::Domain(b"example.com"));
        let u = Uri::parse(b"sip:%75se%72@example.com").unwrap();
        assert_eq!(u.user_unescaped().as_deref(), Some(&b"user"[..]));
        let u = Uri::parse(b"sips:x@192.0.2.1").unwrap();
        assert_eq!(
            (u.scheme, u.host.ip()),
            (Scheme::Sips, Some("192.0.2.1".parse().unwrap()))
        );
    }

    #[test]
    fn other_schemes_and_rejections() {
        let t = Uri::parse(b"tel:+1-201-555-0123;phone-context=x").unwrap();
        assert_eq!(
            (t.scheme, t.user),
            (Scheme::Tel, Some(&b"+1-201-555-0123"[..]))
        );
        let o = Uri::parse(b"soap.beep://192.0.2.103:3002").unwrap();
        assert_eq!(
            (o.scheme, o.scheme_bytes()),
            (Scheme::Other, &b"soap.beep"[..])
        );
        for bad in [
            &b"<sip:user@example.com>"[..],
            b"sip:user@example.com; lr",
            b"sip:2001:db8::10",
            b"sip:host:99999",
            b"sip:",
            b"sip:[::1",
            b"sip:999.1.1.1",
            b"sip:1.2.3",
            b"sip:1.2.3.4.5",
            b"sip:1..2.3",
            b"nocolon",
        ] {
            assert_eq!(Uri::parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn ipv6_abnf_bug_is_tolerated() {
        // RFC 5118 §4.10: both spellings must be accepted.
        let a = parse_ipv6(b"2001:db8:::192.0.2.1");
        assert_eq!(a, parse_ipv6(b"2001:db8::192.0.2.1"));
        assert!(a.is_some());
        assert_eq!(parse_ipv6(b"2001:::1"), None);
    }
}
