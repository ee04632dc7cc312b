//! `;name[=value]` parameter lists: URI parameters (RFC 3261 §19.1.1) and
//! header parameters (RFC 3261 §7.3.1, §25.1 `generic-param`).

use crate::text::{eq_ignore_case, find_byte, find_byte2, find_unquoted, is_token, trim_lws};

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
            rest: elements(raw),
            quoted: find_byte(b'"', raw).is_some(),
        }
    }

    /// The next element split at its first `=` (outside quotes), untrimmed.
    fn next_raw(&mut self) -> Option<(&'a [u8], Option<&'a [u8]>)> {
        let mut quoted = self.quoted;
        next_element(&mut self.rest, &mut quoted)
    }
}

/// The element list of a trimmed parameter list: without its leading `;`,
/// `None` when empty.
fn elements(raw: &[u8]) -> Option<&[u8]> {
    (!raw.is_empty()).then(|| raw.strip_prefix(b";").unwrap_or(raw))
}

/// The first `needle` in `hay`, outside quoted strings once `quoted`. While
/// not `quoted`, a `"` met before `needle` sets it: up to the first `"` the
/// plain and the quote-aware search agree, so a list whose quotes come late
/// (or never) is not searched for them up front.
#[inline]
fn find_in(hay: &[u8], needle: u8, quoted: &mut bool) -> Option<usize> {
    if !*quoted {
        match find_byte2(needle, b'"', hay) {
            Some(i) if hay[i] == b'"' => *quoted = true,
            hit => return hit,
        }
    }
    find_unquoted(hay, needle)
}

/// Takes the next element of `rest` split at its first `=`, as
/// [`Params::next`] does before trimming. `quoted` as in [`find_in`]: the
/// result is the same whether it starts true for a list with a `"` or false.
#[inline]
fn next_element<'a>(
    rest: &mut Option<&'a [u8]>,
    quoted: &mut bool,
) -> Option<(&'a [u8], Option<&'a [u8]>)> {
    let s = (*rest)?;
    let piece = match find_in(s, b';', quoted) {
        Some(i) => {
            *rest = Some(&s[i + 1..]);
            &s[..i]
        }
        None => {
            *rest = None;
            s
        }
    };
    Some(match find_in(piece, b'=', quoted) {
        Some(eq) => (&piece[..eq], Some(&piece[eq + 1..])),
        None => (piece, None),
    })
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
    let mut rest = elements(trim_lws(raw));
    // Quotes are looked for lazily (see `find_in`).
    let mut quoted = false;
    // Only the matching element's value is trimmed.
    while let Some((n, v)) = next_element(&mut rest, &mut quoted) {
        if eq_ignore_case(trim_lws(n), name) {
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
    fn lazy_quote_search_agrees_with_the_eager_one() {
        for raw in [
            &b";a=1;b=\"x;y=z\";c=2"[..],
            b"a=\"q\";b",
            b"\"a;b\"=c;d=e",
            b"x=1;y\"=2;z",
            b"k=v\";w=1;v=2",
            b";;tag=1",
            b"",
        ] {
            for name in [
                &b"a"[..],
                b"b",
                b"c",
                b"d",
                b"y",
                b"z",
                b"w",
                b"v",
                b"tag",
                b"k",
            ] {
                let eager = Params::new(raw).find(|p| p.name.eq_ignore_ascii_case(name));
                let want = eager.map(|p| p.value.unwrap_or_default());
                assert_eq!(find(raw, name), want, "{raw:?} {name:?}");
            }
        }
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
