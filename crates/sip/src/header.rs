//! One header field as received (RFC 3261 §7.3), with unfolding and
//! comma-list splitting on demand.

use std::borrow::Cow;

use crate::header_name::HeaderName;
use crate::text::{find_byte, find_byte2, is_lws, position_unquoted, trim_lws};

/// A header field: its classified name and the raw bytes of name and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The classified name (compact forms resolved).
    pub name: HeaderName<'a>,
    /// The name as received, without the whitespace before the colon.
    pub raw_name: &'a [u8],
    /// The value as received, without leading and trailing LWS. It may still
    /// contain folded line breaks (CRLF or LF followed by SP/HT,
    /// RFC 3261 §7.3.1); the typed parsers treat those as LWS.
    pub raw_value: &'a [u8],
}

impl<'a> Header<'a> {
    /// The value with every folded line break and the whitespace around it
    /// replaced by one SP (RFC 3261 §7.3.1). Borrows when nothing was folded.
    #[must_use]
    pub fn value(&self) -> Cow<'a, [u8]> {
        unfold(self.raw_value)
    }

    /// The comma-separated elements of a multi-valued header (RFC 3261 §7.3.1),
    /// split outside quoted strings and `<...>`, each trimmed of LWS. Empty
    /// elements (as in `a,,b`) are yielded as empty slices.
    #[must_use]
    pub fn values(&self) -> Values<'a> {
        Values::new(self.raw_value)
    }
}

/// Replaces each run of LWS containing a line break by a single SP.
pub(crate) fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    let raw = trim_lws(raw);
    if !raw.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if is_lws(b) {
            let run_end = raw[i..]
                .iter()
                .position(|&c| !is_lws(c))
                .map_or(raw.len(), |n| i + n);
            let run = &raw[i..run_end];
            if run.iter().any(|&c| c == b'\r' || c == b'\n') {
                out.push(b' ');
            } else {
                out.extend_from_slice(run);
            }
            i = run_end;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Iterator over the comma-separated elements of a header value.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Values<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        Values { rest: Some(raw) }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.rest?;
        // Fast path: no comma at all, or none before any quote or `<`.
        let Some(comma) = find_byte(b',', s) else {
            self.rest = None;
            return Some(trim_lws(s));
        };
        if find_byte2(b'"', b'<', &s[..comma]).is_none() {
            self.rest = Some(&s[comma + 1..]);
            return Some(trim_lws(&s[..comma]));
        }
        // Commas inside quoted strings or `<...>` do not separate values.
        let mut angle = 0u32;
        let comma = position_unquoted(s, |b| match b {
            b'<' => {
                angle += 1;
                false
            }
            b'>' => {
                angle = angle.saturating_sub(1);
                false
            }
            b',' => angle == 0,
            _ => false,
        });
        match comma {
            Some(i) => {
                self.rest = Some(&s[i + 1..]);
                Some(trim_lws(&s[..i]))
            }
            None => {
                self.rest = None;
                Some(trim_lws(s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(raw_value: &'static [u8]) -> Header<'static> {
        Header {
            name: HeaderName::Via,
            raw_name: b"Via",
            raw_value,
        }
    }

    #[test]
    fn unfolds_only_when_folded() {
        let h = header(b"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw");
        assert_eq!(&*h.value(), b"SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw");
        assert!(matches!(header(b"a  b").value(), Cow::Borrowed(b"a  b")));
        assert_eq!(&*header(b"a\n\tb").value(), b"a b");
    }

    #[test]
    fn splits_outside_quotes_and_angles() {
        let h = header(br#""Bell, A" <sip:a@b;x=1,2>;p="q,r" ,  <sip:c@d>,,x"#);
        let v: Vec<&[u8]> = h.values().collect();
        assert_eq!(
            v,
            vec![
                &br#""Bell, A" <sip:a@b;x=1,2>;p="q,r""#[..],
                b"<sip:c@d>",
                b"",
                b"x"
            ]
        );
        assert_eq!(header(b"").values().count(), 1);
    }
}
