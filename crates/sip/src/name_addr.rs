//! `name-addr` / `addr-spec` values of From, To, Contact, Route and friends
//! (RFC 3261 §20.10, §20.20, §20.39, §25.1).

use std::borrow::Cow;

use crate::params;
use crate::text::{find_byte, find_byte2, is_lws, is_token_char, trim_lws, trim_lws_start};
use crate::uri::{Scheme, Uri};

/// An address with optional display name and header parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name: quotes removed and `\`-escapes decoded for a
    /// quoted-string, or the token sequence as received. `None` when absent.
    pub display: Option<Cow<'a, [u8]>>,
    /// The parsed URI.
    pub uri: Uri<'a>,
    /// The URI bytes (inside `<>` when the name-addr form is used).
    pub raw_uri: &'a [u8],
    /// Header parameters (after `>`, or after the URI in addr-spec form),
    /// starting with their first `;`; empty when none.
    pub params: &'a [u8],
}

impl<'a> NameAddr<'a> {
    /// Parses one value. `None` for an unterminated quoted string
    /// (RFC 4475 §3.1.2.6), a display name that is neither quoted nor tokens
    /// (§3.1.2.15), LWS inside `<>` (§3.1.2.14), a SIP addr-spec containing
    /// `?` or `,` that should have been bracketed (§3.1.2.13, RFC 3261
    /// §20.10), or a URI that does not parse.
    #[must_use]
    pub fn parse(raw: &'a [u8]) -> Option<Self> {
        let s = trim_lws(raw);
        if s.first() == Some(&b'"') {
            let (content, after, escaped) = split_quoted(&s[1..])?;
            let rest = trim_lws_start(after);
            if rest.first() != Some(&b'<') {
                return None;
            }
            // Built in the return slot: a copy of the result would cost more
            // than the parse (store-forwarding stalls).
            let display = if escaped {
                unescape_quoted(content)
            } else {
                Cow::Borrowed(content)
            };
            return Self::bracketed(rest, Some(display));
        }
        if let Some(lt) = find_byte(b'<', s) {
            let display = trim_lws(&s[..lt]);
            if !display.iter().all(|&b| is_token_char(b) || is_lws(b)) {
                return None;
            }
            let display = (!display.is_empty()).then_some(Cow::Borrowed(display));
            return Self::bracketed(&s[lt..], display);
        }
        // addr-spec: every `;` starts a header parameter (RFC 3261 §20.10).
        let end = find_byte(b';', s).unwrap_or(s.len());
        let raw_uri = trim_lws(&s[..end]);
        let uri = Uri::parse_inline(raw_uri)?;
        if matches!(uri.scheme, Scheme::Sip | Scheme::Sips)
            && find_byte2(b'?', b',', raw_uri).is_some()
        {
            return None;
        }
        Some(NameAddr {
            display: None,
            uri,
            raw_uri,
            params: &s[end..],
        })
    }

    /// `"<" addr-spec ">" *( SEMI param )`, starting at `<`.
    fn bracketed(s: &'a [u8], display: Option<Cow<'a, [u8]>>) -> Option<Self> {
        let close = find_byte(b'>', s)?;
        let raw_uri = &s[1..close];
        let uri = Uri::parse_inline(raw_uri)?;
        let params = trim_lws_start(&s[close + 1..]);
        if !params.is_empty() && params[0] != b';' {
            return None;
        }
        Some(NameAddr {
            display,
            uri,
            raw_uri,
            params,
        })
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    #[must_use]
    pub fn tag(&self) -> Option<&'a [u8]> {
        self.param(b"tag")
    }

    /// A header parameter's value (`Some(b"")` for a flag), case-insensitive.
    #[must_use]
    pub fn param(&self, name: &[u8]) -> Option<&'a [u8]> {
        params::find(self.params, name)
    }

    /// True when the header parameters are well formed (no empty elements,
    /// token names).
    #[must_use]
    pub fn params_well_formed(&self) -> bool {
        params::well_formed(self.params)
    }
}

/// Splits the content of a quoted string (starting after the opening quote)
/// from what follows the closing quote, and says whether the content holds
/// a `\`-escape. `None` when unterminated. Jumps from one `"` or `\` to the
/// next with the word-at-a-time search rather than walking every byte.
fn split_quoted(s: &[u8]) -> Option<(&[u8], &[u8], bool)> {
    let mut escaped = false;
    let mut from = 0;
    loop {
        let at = from + find_byte2(b'"', b'\\', s.get(from..)?)?;
        if s[at] == b'"' {
            return Some((&s[..at], &s[at + 1..], escaped));
        }
        // `\` takes the next byte whatever it is (RFC 3261 §25.1 quoted-pair).
        escaped = true;
        from = at + 2;
    }
}

/// Decodes `quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)` (RFC 3261 §25.1).
fn unescape_quoted(s: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(s.len());
    let mut escaped = false;
    for &b in s {
        if escaped || b != b'\\' {
            out.push(b);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_with_escapes() {
        let na = NameAddr::parse(
            b"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        )
        .unwrap();
        assert_eq!(na.display.as_deref(), Some(&b"J Rosenberg \\\""[..]));
        assert_eq!(na.raw_uri, b"sip:jdrosen@example.com");
        assert_eq!(na.tag(), Some(&b"98asjd8"[..]));
        assert!(na.params_well_formed());
    }

    #[test]
    fn token_display_and_addr_spec() {
        let na = NameAddr::parse(b"caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(na.display.as_deref(), Some(&b"caller"[..]));
        let na = NameAddr::parse(b" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n")
            .unwrap();
        assert_eq!(na.display, None);
        assert_eq!(na.uri.user, Some(&b"vivekg"[..]));
        assert_eq!(na.tag(), Some(&b"1918181833n"[..]));
        // In addr-spec form every parameter is a header parameter.
        let na = NameAddr::parse(b"sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert_eq!(
            (na.param(b"unknownparam"), na.uri.params),
            (Some(&b""[..]), &b""[..])
        );
    }

    #[test]
    fn rejects_the_rfc4475_faults() {
        for bad in [
            &b"\"Mr. J. User <sip:j.user@example.com>"[..],
            b"Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            b"\"Watson, Thomas\" < sip:t.watson@example.org >",
            b"sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            b"<sip:a@b> junk",
            b"<sip:a@b",
        ] {
            assert_eq!(
                NameAddr::parse(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let na = NameAddr::parse(b"\"Joe\" <sip:joe@example.org>;;;;").unwrap();
        assert!(!na.params_well_formed());
    }
}
