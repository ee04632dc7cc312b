//! Byte-level helpers shared by the parsers: the RFC 3261 §25.1 character
//! classes, LWS trimming and bounded decimal parsing. Nothing here allocates.

/// Byte class bits for [`CLASS`].
pub(crate) const TOKEN: u8 = 1;
/// SP, HT, CR, LF.
pub(crate) const LWS: u8 = 2;
/// Letters, digits, `-`, `.`, `_`: hostname characters (plus `_`, seen in the wild).
pub(crate) const HOST: u8 = 4;
/// Letters, digits, `+`, `-`, `.`: URI scheme characters after the first.
pub(crate) const SCHEME: u8 = 8;
/// Digits and `.`: what an IPv4 address is made of.
pub(crate) const DIGIT_DOT: u8 = 16;

/// Character classes of every byte, so the hot loops do one load per byte.
pub(crate) static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        if alnum
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            )
        {
            t[b] |= TOKEN;
        }
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            t[b] |= LWS;
        }
        if alnum || matches!(c, b'-' | b'.' | b'_') {
            t[b] |= HOST;
        }
        if alnum || matches!(c, b'+' | b'-' | b'.') {
            t[b] |= SCHEME;
        }
        if c.is_ascii_digit() || c == b'.' {
            t[b] |= DIGIT_DOT;
        }
        b += 1;
    }
    t
};

/// True when byte `b` has class bit `class`.
#[inline]
pub(crate) fn has(b: u8, class: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

/// `token` characters (RFC 3261 §25.1):
/// `alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"`.
#[inline]
pub(crate) fn is_token_char(b: u8) -> bool {
    has(b, TOKEN)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that equals the byte splatted in `splat`;
/// exact for the lowest such byte (higher ones may be false positives, which
/// callers never look at).
#[inline]
fn eq_bytes(w: u64, splat: u64) -> u64 {
    let x = w ^ splat;
    x.wrapping_sub(LO) & !x & HI
}

#[inline]
fn word_at(s: &[u8], i: usize) -> Option<u64> {
    s.get(i..i + 8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
}

/// Index of the first `needle` in `s`, eight bytes at a time (SWAR). SIP
/// lines and values are short, so this inlined loop beats a call into a SIMD
/// routine with its fixed per-call setup.
#[inline]
pub(crate) fn find_byte(needle: u8, s: &[u8]) -> Option<usize> {
    let splat = LO * u64::from(needle);
    let mut i = 0;
    while let Some(w) = word_at(s, i) {
        let hit = eq_bytes(w, splat);
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s[i..].iter().position(|&b| b == needle).map(|p| i + p)
}

/// Index of the first `a` or `b` in `s` (SWAR, as [`find_byte`]).
#[inline]
pub(crate) fn find_byte2(a: u8, b: u8, s: &[u8]) -> Option<usize> {
    let (sa, sb) = (LO * u64::from(a), LO * u64::from(b));
    let mut i = 0;
    while let Some(w) = word_at(s, i) {
        let hit = eq_bytes(w, sa) | eq_bytes(w, sb);
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s[i..].iter().position(|&c| c == a || c == b).map(|p| i + p)
}

/// High bit set in exactly the bytes of `w` equal to the byte splatted in
/// `splat` (no false positives, unlike [`eq_bytes`]).
#[inline]
fn eq_bytes_exact(w: u64, splat: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ splat;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Index of the last `a` or `b` in `s`, eight bytes a step from the end.
#[inline]
pub(crate) fn rfind_byte2(a: u8, b: u8, s: &[u8]) -> Option<usize> {
    let (sa, sb) = (LO * u64::from(a), LO * u64::from(b));
    let mut end = s.len();
    while end >= 8 {
        let w = word_at(s, end - 8)?;
        let hit = eq_bytes_exact(w, sa) | eq_bytes_exact(w, sb);
        if hit != 0 {
            return Some(end - 8 + (63 - hit.leading_zeros() as usize) / 8);
        }
        end -= 8;
    }
    s[..end].iter().rposition(|&c| c == a || c == b)
}

/// Length of the run of bytes of class `class` (one class bit) at the start
/// of `s`. Eight bytes per step with one branch: the eight class bytes are
/// gathered into one word and the first byte lacking the bit is found with
/// `trailing_zeros`; a byte loop pays a branch per byte.
#[inline]
pub(crate) fn class_run(s: &[u8], class: u8) -> usize {
    debug_assert!(class.is_power_of_two(), "one class bit");
    let want = LO * u64::from(class);
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut classes = 0u64;
        for (k, &b) in chunk.iter().enumerate() {
            classes |= u64::from(CLASS[usize::from(b)]) << (8 * k);
        }
        // The class bit, in each byte that lacks it.
        let miss = !classes & want;
        if miss != 0 {
            return i + (miss.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    s[i..]
        .iter()
        .position(|&b| !has(b, class))
        .map_or(s.len(), |p| i + p)
}

/// True when `s` holds none of SP, HT, CR, LF (SWAR, eight bytes a step).
#[inline]
pub(crate) fn no_lws(s: &[u8]) -> bool {
    let (sp, ht, cr, lf) = (LO * 0x20, LO * 0x09, LO * 0x0d, LO * 0x0a);
    let mut i = 0;
    while let Some(w) = word_at(s, i) {
        // Exact for "any byte matches" (false positives only sit above a
        // true match).
        if eq_bytes(w, sp) | eq_bytes(w, ht) | eq_bytes(w, cr) | eq_bytes(w, lf) != 0 {
            return false;
        }
        i += 8;
    }
    !s[i..].iter().any(|&b| is_lws(b))
}

/// `a.eq_ignore_ascii_case(b)`, cheaper when the bytes match exactly, as
/// they usually do (`branch`, `tag`, `SIP/2.0` arrive as spelled by the
/// RFC): a byte that matches costs one compare, not two case folds.
#[inline]
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || x.eq_ignore_ascii_case(y))
}

/// True when `s` is a non-empty `token` (RFC 3261 §25.1).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token_char(b))
}

/// Linear white space as it appears inside a raw header value: SP and HT,
/// plus the CR and LF of a folded line (RFC 3261 §7.3.1, §25.1 `LWS`).
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    has(b, LWS)
}

/// SP or HT (RFC 3261 §25.1 `WSP`).
#[inline]
pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing LWS (folding included).
pub(crate) fn trim_lws(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_lws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_lws(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// `s` without leading LWS.
pub(crate) fn trim_lws_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_lws(b)).unwrap_or(s.len());
    &s[start..]
}

/// `s` without trailing SP/HT.
pub(crate) fn trim_wsp_end(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
    &s[..end]
}

/// Parses `1*DIGIT` into a `u64`, rejecting empty input, any non-digit and
/// overflow. Leading zeros are allowed (RFC 4475 §3.1.1.1 sends `0068`).
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// [`parse_u64`] narrowed to `u32`.
pub(crate) fn parse_u32(s: &[u8]) -> Option<u32> {
    parse_u64(s).and_then(|n| u32::try_from(n).ok())
}

/// [`parse_u64`] narrowed to `u16`.
pub(crate) fn parse_u16(s: &[u8]) -> Option<u16> {
    parse_u64(s).and_then(|n| u16::try_from(n).ok())
}

/// Index of the first byte outside a quoted-string for which `stop` holds
/// (RFC 3261 §25.1; `\` escapes the next byte inside quotes). `stop` sees
/// every byte outside quotes, in order.
pub(crate) fn position_unquoted(s: &[u8], mut stop: impl FnMut(u8) -> bool) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, &b) in s.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if stop(b) {
            return Some(i);
        }
    }
    None
}

/// Index of the first `needle` outside a quoted-string.
pub(crate) fn find_unquoted(s: &[u8], needle: u8) -> Option<usize> {
    position_unquoted(s, |b| b == needle)
}

/// Percent-decodes `s` (RFC 3261 §25.1 `escaped`). Malformed escapes such as
/// `%Z4` are kept literally (RFC 4475 §3.1.1.5). Borrows when there is no `%`.
pub(crate) fn percent_decode(s: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !s.contains(&b'%') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| {
                let hi = (h[0] as char).to_digit(16)?;
                let lo = (h[1] as char).to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()
            });
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_search_matches_a_byte_loop() {
        let mut buf = [b'a'; 40];
        for at in 0..40 {
            buf.fill(b'a');
            buf[at] = b'\n';
            if at + 3 < 40 {
                buf[at + 3] = b':';
            }
            if at > 0 {
                buf[0] = 0x8b;
            }
            assert_eq!(find_byte(b'\n', &buf), Some(at), "at {at}");
            assert_eq!(find_byte(b'\n', &buf[..at]), None);
            let two = buf.iter().position(|&c| c == b':' || c == 0x8b);
            assert_eq!(find_byte2(b':', 0x8b, &buf), two);
        }
        assert_eq!(find_byte(b':', b""), None);
    }

    #[test]
    fn chunked_scans_match_byte_loops() {
        let mut buf = [b'a'; 40];
        for at in 0..41 {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 40] {
                buf.fill(b'a');
                for (k, b) in [b' ', b'\t', b'\r', b'\n', b'@', b'!'].iter().enumerate() {
                    if at < 40 && at % 6 == k {
                        buf[at] = *b;
                    }
                }
                let s = &buf[..len];
                let run = s.iter().position(|&b| !has(b, HOST)).unwrap_or(len);
                assert_eq!(class_run(s, HOST), run, "at {at} len {len}");
                assert_eq!(
                    no_lws(s),
                    !s.iter().any(|&b| is_lws(b)),
                    "at {at} len {len}"
                );
            }
        }
    }

    #[test]
    fn reverse_search_matches_rposition() {
        let mut buf = [b'a'; 40];
        for at in 0..41 {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 40] {
                buf.fill(b'!'); // ` ` ^ 1: a SWAR false positive
                if at < 40 {
                    buf[at] = if at % 2 == 0 { b' ' } else { b'\t' };
                }
                if at > 3 {
                    buf[at - 3] = b' ';
                }
                let s = &buf[..len];
                let want = s.iter().rposition(|&c| c == b' ' || c == b'\t');
                assert_eq!(rfind_byte2(b' ', b'\t', s), want, "at {at} len {len}");
            }
        }
    }

    #[test]
    fn case_insensitive_compare_matches_std() {
        let words: [&[u8]; 8] = [
            b"branch", b"BRANCH", b"BrAnCh", b"branc", b"bran-h", b"BRAN-H", b"", b"@[",
        ];
        for a in words {
            for b in words.iter().chain([&&b"`{"[..]]) {
                assert_eq!(
                    eq_ignore_case(a, b),
                    a.eq_ignore_ascii_case(b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn trims_folding_whitespace() {
        assert_eq!(trim_lws(b" \r\n\t abc \r\n "), b"abc");
        assert_eq!(trim_lws(b" \r\n "), b"");
        assert_eq!(trim_wsp_end(b"abc \t"), b"abc");
    }

    #[test]
    fn decimal_parsing_is_bounded() {
        assert_eq!(parse_u32(b"0009"), Some(9));
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u64(b"36893488147419103232"), None);
        assert_eq!(parse_u16(b"-1"), None);
        assert_eq!(parse_u16(b""), None);
    }

    #[test]
    fn unquoted_search_skips_quoted_pairs() {
        assert_eq!(find_unquoted(br#""a,\"b," , c"#, b','), Some(9));
        assert_eq!(find_unquoted(br#""unterminated, x"#, b','), None);
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(&*percent_decode(b"%75se%72"), b"user");
        assert_eq!(&*percent_decode(b"%Z%45"), b"%ZE");
        assert_eq!(&*percent_decode(b"a%4"), b"a%4");
        assert!(matches!(
            percent_decode(b"plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
