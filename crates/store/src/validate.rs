//! Input checks. Hostile data (SIP headers chosen by an attacker) reaches
//! the store, so every field has a written bound.
//!
//! DoS: identifiers (site, kind, detector, code, actor) over
//! [`MAX_IDENT`] bytes are refused; free text (reason, caller, dialled, MAC,
//! vendor, version) over [`MAX_TEXT`] bytes is cut at a character boundary;
//! JSON (evidence, stats) over [`MAX_JSON`] bytes is refused. A row thus
//! stays under ~70 KiB whatever the input. NUL bytes, which PostgreSQL
//! cannot store in TEXT, become U+FFFD in free text and are refused in
//! identifiers, so both backends keep the same rows.

use std::borrow::Cow;

use crate::error::{Invalid, Result, StoreError};

/// Longest identifier, in bytes.
pub const MAX_IDENT: usize = 128;
/// Longest free-text field, in bytes (longer text is cut).
pub const MAX_TEXT: usize = 1024;
/// Longest JSON document (evidence, stats), in bytes.
pub const MAX_JSON: usize = 64 * 1024;
/// Most rows one query returns.
pub const MAX_LIMIT: u32 = 10_000;

fn invalid(field: &'static str, problem: Invalid) -> StoreError {
    StoreError::Invalid { field, problem }
}

/// A non-empty identifier without control characters, at most
/// [`MAX_IDENT`] bytes.
pub(crate) fn ident<'a>(field: &'static str, s: &'a str) -> Result<&'a str> {
    if s.is_empty() {
        return Err(invalid(field, Invalid::Empty));
    }
    if s.len() > MAX_IDENT {
        return Err(invalid(
            field,
            Invalid::TooLong {
                len: s.len(),
                max: MAX_IDENT,
            },
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(field, Invalid::ControlCharacter));
    }
    Ok(s)
}

/// Free text: NUL replaced by U+FFFD, then cut to [`MAX_TEXT`] bytes at a
/// character boundary.
pub(crate) fn text(s: &str) -> Cow<'_, str> {
    if s.len() <= MAX_TEXT && !s.contains('\0') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(MAX_TEXT);
    for c in s.chars().map(|c| if c == '\0' { '\u{fffd}' } else { c }) {
        if out.len() + c.len_utf8() > MAX_TEXT {
            break;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Optional free text; see [`text`].
pub(crate) fn opt_text(s: Option<&str>) -> Option<Cow<'_, str>> {
    s.map(text)
}

/// A JSON document of at most [`MAX_JSON`] bytes.
pub(crate) fn json<'a>(field: &'static str, s: &'a str) -> Result<&'a str> {
    if s.len() > MAX_JSON {
        return Err(invalid(
            field,
            Invalid::TooLong {
                len: s.len(),
                max: MAX_JSON,
            },
        ));
    }
    // serde_json bounds nesting depth (128), so this cannot overflow the stack.
    serde_json::from_str::<serde::de::IgnoredAny>(s)
        .map_err(|_| invalid(field, Invalid::NotJson))?;
    Ok(s)
}

/// A search string for `LIKE`: lower-cased, wildcards escaped with `\`,
/// wrapped in `%`. Longer than [`MAX_TEXT`] is refused.
pub(crate) fn like_pattern(field: &'static str, s: &str) -> Result<String> {
    if s.len() > MAX_TEXT {
        return Err(invalid(
            field,
            Invalid::TooLong {
                len: s.len(),
                max: MAX_TEXT,
            },
        ));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out.push('%');
    Ok(out)
}

/// A count as the database's BIGINT.
pub(crate) fn count(field: &'static str, n: u64) -> Result<i64> {
    if n == 0 {
        return Err(invalid(field, Invalid::OutOfRange));
    }
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A page size: 1..=[`MAX_LIMIT`].
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n.clamp(1, MAX_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_char_boundary_and_nul_replaced() {
        let long = "é".repeat(MAX_TEXT); // 2 bytes each
        let cut = text(&long);
        assert!(cut.len() <= MAX_TEXT);
        assert!(cut.len() >= MAX_TEXT - 1);
        assert_eq!(text("a\0b"), "a\u{fffd}b");
        let nuls = "\0".repeat(MAX_TEXT);
        assert!(text(&nuls).len() <= MAX_TEXT);
        assert!(matches!(text("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(ident("site", "edge-1").is_ok());
        assert!(matches!(
            ident("site", ""),
            Err(StoreError::Invalid {
                field: "site",
                problem: Invalid::Empty
            })
        ));
        assert!(matches!(
            ident("site", "a\nb"),
            Err(StoreError::Invalid {
                problem: Invalid::ControlCharacter,
                ..
            })
        ));
        let long = "x".repeat(MAX_IDENT + 1);
        assert!(matches!(
            ident("kind", &long),
            Err(StoreError::Invalid {
                problem: Invalid::TooLong { .. },
                ..
            })
        ));
    }

    #[test]
    fn json_is_bounded_and_parsed() {
        assert!(json("evidence", r#"{"a":[1,2]}"#).is_ok());
        assert!(json("evidence", "{not json").is_err());
        let deep = "[".repeat(10_000);
        assert!(json("evidence", &deep).is_err());
        let big = format!("\"{}\"", "x".repeat(MAX_JSON));
        assert!(matches!(
            json("evidence", &big),
            Err(StoreError::Invalid {
                problem: Invalid::TooLong { .. },
                ..
            })
        ));
    }

    #[test]
    fn like_escapes_wildcards() {
        assert_eq!(like_pattern("text", "A_b%").unwrap(), "%a\\_b\\%%");
    }

    #[test]
    fn counts_and_limits() {
        assert!(count("count", 0).is_err());
        assert_eq!(count("count", u64::MAX).unwrap(), i64::MAX);
        assert_eq!(limit(0), 1);
        assert_eq!(limit(u32::MAX), i64::from(MAX_LIMIT));
    }
}
