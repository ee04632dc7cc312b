//! `;name[=value]` parameter lists: URI parameters (RFC 3261 §19.1.1) and
//! header parameters (RFC 3261 §7.3.1, §25.1 `generic-param`).

use crate::text::{find_byte, find_unquoted, is_token, trim_lws};

/// One parameter. Names compare case-insensitively (RFC 3261 §19.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name, trimmed; empty for an empty element such as `;;`.
    pub name: &'a [u8],
    /// The value after `=`, trimmed, quotes kept; `None` without `=`.
    pub value: Option<&'a [u8]>,
}

/// Iterator over a raw parameter list (with or without the leading `;`).
/// Splits outside quoted strings; yields empty elements so callers can judge
/// well-formedness.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    rest: Option<&'a [u8]>,
    /// The list holds a `"`: split outside quoted strings. Without one,
    /// the quote-aware search and the plain one agree, so it is checked
    /// once, not per element.
    quoted: bool,
}

impl<'a> Params<'a> {
    /// Iterates `raw`, e.g. `;tag=1;lr` or `tag=1;lr`. A lone `;` yields one
    /// empty element.
    #[must_use]
    pub fn new(raw: &'a [u8]) -> Self {
        let raw = trim_lws(raw);
        Self {
            rest: (!raw.is_empty()).then(|| raw.strip_prefix(b";").unwrap_or(raw)),
            quoted: find_byte(b'"', raw).is_some(),
        }
    }

    /// The next element split at its first `=` (outside quotes), untrimmed.
    fn next_raw(&mut self) -> Option<(&'a [u8], Option<&'a [u8]>)> {
        let s = self.rest?;
        let quoted = self.quoted;
        let find = |hay: &[u8], needle: u8| {
            if quoted {
                find_unquoted(hay, needle)
            } else {
                find_byte(needle, hay)
            }
        };
        let piece = match find(s, b';') {
            Some(i) => {
                self.rest = Some(&s[i + 1..]);
                &s[..i]
            }
            None => {
                self.rest = None;
                s
            }
        };
        Some(match find(piece, b'=') {
            Some(eq) => (&piece[..eq], Some(&piece[eq + 1..])),
            None => (piece, None),
        })
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let (name, value) = self.next_raw()?;
        Some(Param {
            name: trim_lws(name),
            value: value.map(trim_lws),
        })
    }
}

/// The value of the first parameter called `name` in `raw`: `Some(b"")` for a
/// parameter without value, `None` when absent.
pub(crate) fn find<'a>(raw: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut params = Params::new(raw);
    // Only the matching element's value is trimmed.
    while let Some((n, v)) = params.next_raw() {
        if trim_lws(n).eq_ignore_ascii_case(name) {
            return Some(v.map(trim_lws).unwrap_or_default());
        }
    }
    None
}

/// True when every element has a `token` name and `=` is followed by a value
/// (RFC 3261 §25.1 `generic-param = token [ EQUAL gen-value ]`). Values are
/// not checked beyond being present: they may be tokens, hosts or quoted
/// strings. Empty elements (`;;`) fail (RFC 4475 §3.1.2.1).
pub(crate) fn well_formed(raw: &[u8]) -> bool {
    Params::new(raw).all(|p| is_token(p.name) && p.value.is_none_or(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_with_lws_and_quotes() {
        let raw = b" ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33; x=\"a;b\"";
        let p: Vec<Param<'_>> = Params::new(raw).collect();
        assert_eq!(p.len(), 4);
        assert_eq!(
            p[0],
            Param {
                name: b"newparam",
                value: Some(b"newvalue")
            }
        );
        assert_eq!(
            p[1],
            Param {
                name: b"secondparam",
                value: None
            }
        );
        assert_eq!(p[2].value, Some(&b"0.33"[..]));
        assert_eq!(p[3].value, Some(&b"\"a;b\""[..]));
        assert_eq!(find(raw, b"Q"), Some(&b"0.33"[..]));
        assert_eq!(find(raw, b"secondparam"), Some(&b""[..]));
        assert_eq!(find(raw, b"absent"), None);
        assert!(well_formed(raw));
    }

    #[test]
    fn flags_empty_elements() {
        assert!(!well_formed(b";;"));
        assert!(!well_formed(b"branch=;x"));
        assert!(!well_formed(b"a;;b"));
        assert!(!well_formed(b";"));
        assert!(well_formed(b""));
        assert!(well_formed(b"lr"));
        assert!(well_formed(b";lr"));
        assert_eq!(Params::new(b"").count(), 0);
    }
}
