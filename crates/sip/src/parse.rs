//! The hot path: start line, header spans, body (RFC 3261 §7). Nothing here
//! interprets header values except Content-Length, and nothing allocates.

use crate::defects::Defects;
use crate::error::{ParseError, StartLineFault};
use crate::header_name::{HeaderName, OTHER_ID};
use crate::message::{Message, Span, StartLine};
use crate::method::Method;
use crate::scan::{Field, Scanner};
use crate::status::StatusCode;
use crate::text::{
    eq_ignore_case, find_byte, find_byte2, is_token, is_wsp, parse_u64, rfind_byte2, trim_lws,
    trim_wsp_end,
};

/// Largest message [`parse`] and the framer accept: 64 KiB - 1, so every
/// offset fits a `u16`.
///
/// DoS: bigger buffers are refused with [`ParseError::TooLarge`] before any
/// scanning, so the work per message is bounded. UDP payloads cannot exceed it.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024 - 1;

/// Most header fields one message may carry.
///
/// DoS: the header table is a fixed array of this many spans inside
/// [`Message`]; a message with more fields is refused with
/// [`ParseError::TooManyHeaders`] rather than truncated, because a truncated
/// table would answer "absent" for headers it dropped. Real messages carry
/// 10-40 fields (the RFC 4475 `longreq` torture test has 43); the table
/// costs 6 bytes per entry and is copied when a `Message` is moved.
pub const MAX_HEADERS: usize = 64;

/// Parses one whole SIP message: a UDP payload or one framed stream message
/// (RFC 3261 §7). Leading CRLFs are skipped (RFC 3261 §7.5). Anything whose
/// start line is recognisable and whose header lines are delimited is
/// accepted; malformations are recorded in [`Message::defects`].
///
/// # Errors
/// Only when the buffer cannot be a SIP message; see [`ParseError`].
pub fn parse(buf: &[u8]) -> Result<Message<'_>, ParseError> {
    if buf.len() > MAX_MESSAGE_LEN {
        return Err(ParseError::TooLarge {
            len: buf.len(),
            limit: MAX_MESSAGE_LEN,
        });
    }
    let first = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or(ParseError::Empty)?;
    let Some(lf) = find_byte(b'\n', &buf[first..]).map(|i| first + i) else {
        // Say NotSip for garbage rather than Truncated.
        parse_start_line(&buf[first..])?;
        return Err(ParseError::Truncated { at: first });
    };
    let mut defects = Defects::NONE;
    let line_end = if lf > first && buf[lf - 1] == b'\r' {
        lf - 1
    } else {
        defects.insert(Defects::BARE_LF);
        lf
    };
    let (start, start_defects) = parse_start_line(&buf[first..line_end])?;
    defects |= start_defects;
    let is_request = matches!(start, StartLine::Request { .. });

    let mut msg = Message::new(buf, start, Defects::NONE);
    let mut seen: u64 = 0;
    let mut content_length: Option<usize> = None;
    let mut scanner = Scanner::new(buf, lf + 1);
    let body_start = loop {
        match scanner.next_field() {
            Field::Header {
                id,
                name_start,
                value_start,
                value_end,
                ..
            } => {
                if !msg.push(Span::new(id, name_start, value_start, value_end)) {
                    return Err(ParseError::TooManyHeaders { limit: MAX_HEADERS });
                }
                if id != OTHER_ID {
                    let bit = 1u64 << id;
                    if seen & bit == 0 {
                        msg.mark_first(id);
                    } else if SINGLETONS & bit != 0 {
                        defects.insert(Defects::DUPLICATE_SINGLETON);
                    }
                    seen |= bit;
                }
                if id == CONTENT_LENGTH_ID {
                    match parse_u64(trim_lws(&buf[value_start..value_end]))
                        .and_then(|n| usize::try_from(n).ok())
                    {
                        Some(n) if content_length.is_none_or(|c| c == n) => {
                            content_length = Some(n)
                        }
                        _ => defects.insert(Defects::BAD_CONTENT_LENGTH),
                    }
                }
            }
            Field::BadLine => defects.insert(Defects::BAD_HEADER_LINE),
            Field::End { body_start } => break body_start,
            Field::Unterminated => {
                defects.insert(Defects::UNTERMINATED_HEADERS);
                break buf.len();
            }
            Field::Truncated { at } => return Err(ParseError::Truncated { at }),
        }
    };
    defects.set_if(scanner.flags.bare_lf, Defects::BARE_LF);
    defects.set_if(scanner.flags.folded, Defects::OBSOLETE_FOLDING);

    let rest = &buf[body_start..];
    let body = if defects.contains(Defects::BAD_CONTENT_LENGTH) {
        content_length = None;
        rest
    } else if let Some(n) = content_length {
        defects.set_if(n > rest.len(), Defects::CONTENT_LENGTH_MISMATCH);
        defects.set_if(n < rest.len(), Defects::TRAILING_BYTES);
        &rest[..n.min(rest.len())]
    } else {
        defects.insert(Defects::MISSING_CONTENT_LENGTH);
        rest
    };
    let required: &[(u8, Defects)] = if is_request {
        &REQUIRED_IN_REQUEST
    } else {
        &REQUIRED_IN_RESPONSE
    };
    for &(id, flag) in required {
        defects.set_if(seen & (1u64 << id) == 0, flag);
    }
    msg.finish(body, content_length, defects);
    Ok(msg)
}

const fn id_of(name: HeaderName<'static>) -> u8 {
    name.known_id()
}

const CONTENT_LENGTH_ID: u8 = id_of(HeaderName::ContentLength);

/// Headers that may appear once (RFC 3261 §7.3.1, §20), as an id bit set.
const SINGLETONS: u64 = {
    let ids = [
        HeaderName::CallId,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CSeq,
        HeaderName::MaxForwards,
        HeaderName::ContentLength,
        HeaderName::ContentType,
        HeaderName::Expires,
    ];
    let mut set = 0u64;
    let mut i = 0;
    while i < ids.len() {
        set |= 1u64 << id_of(ids[i]);
        i += 1;
    }
    set
};

/// RFC 3261 §8.1.1: the header fields every request must carry.
const REQUIRED_IN_REQUEST: [(u8, Defects); 6] = [
    (id_of(HeaderName::CallId), Defects::MISSING_CALL_ID),
    (id_of(HeaderName::CSeq), Defects::MISSING_CSEQ),
    (id_of(HeaderName::From), Defects::MISSING_FROM),
    (id_of(HeaderName::To), Defects::MISSING_TO),
    (id_of(HeaderName::Via), Defects::MISSING_VIA),
    (
        id_of(HeaderName::MaxForwards),
        Defects::MISSING_MAX_FORWARDS,
    ),
];

/// RFC 3261 §8.2.6.2: a response copies these from the request.
const REQUIRED_IN_RESPONSE: [(u8, Defects); 5] = [
    (id_of(HeaderName::CallId), Defects::MISSING_CALL_ID),
    (id_of(HeaderName::CSeq), Defects::MISSING_CSEQ),
    (id_of(HeaderName::From), Defects::MISSING_FROM),
    (id_of(HeaderName::To), Defects::MISSING_TO),
    (id_of(HeaderName::Via), Defects::MISSING_VIA),
];

/// True for `SIP/` in any case: the start of a SIP-Version (RFC 3261 §25.1,
/// ABNF literals are case-insensitive).
pub(crate) fn starts_with_sip_slash(s: &[u8]) -> bool {
    s.get(..4).is_some_and(|p| eq_ignore_case(p, b"SIP/"))
}

/// Parses the start line (without its line terminator).
pub(crate) fn parse_start_line(line: &[u8]) -> Result<(StartLine<'_>, Defects), ParseError> {
    let mut defects = Defects::NONE;
    let trimmed = trim_wsp_end(line);
    let trailing_ws = trimmed.len() != line.len();
    let line = trimmed;
    // Offsets of the first and last SP/HT; both exist in any valid line.
    let first_ws = find_byte2(b' ', b'\t', line);
    let last_ws = rfind_byte2(b' ', b'\t', line);

    if starts_with_sip_slash(line) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
        let version = &line[..first_ws.unwrap_or(line.len())];
        let after = &line[version.len()..];
        let code_at = after
            .iter()
            .position(|&b| !is_wsp(b))
            .unwrap_or(after.len());
        let rest = &after[code_at..];
        let code_len = rest.iter().position(|&b| is_wsp(b)).unwrap_or(rest.len());
        let code = &rest[..code_len];
        if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
            return Err(ParseError::BadStartLine {
                reason: StartLineFault::StatusCode,
            });
        }
        // The reason phrase may contain anything, including runs of SP.
        let reason = &rest[code_len..];
        let reason = reason.strip_prefix(b" ").unwrap_or(reason);
        let code = StatusCode(code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')));
        defects.set_if(!eq_ignore_case(version, b"SIP/2.0"), Defects::BAD_VERSION);
        defects.set_if(!code.is_valid(), Defects::BAD_STATUS_CODE);
        defects.set_if(
            code_at != 1 || after.first() != Some(&b' '),
            Defects::START_LINE_WHITESPACE,
        );
        return Ok((
            StartLine::Response {
                version,
                code,
                reason,
            },
            defects,
        ));
    }

    // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1)
    let (Some(first_ws), Some(last_ws)) = (first_ws, last_ws) else {
        return Err(ParseError::NotSip);
    };
    let version = &line[last_ws + 1..];
    if !starts_with_sip_slash(version) {
        return Err(ParseError::NotSip);
    }
    let method = &line[..first_ws];
    if !is_token(method) {
        return Err(ParseError::BadStartLine {
            reason: StartLineFault::Method,
        });
    }
    let uri = trim_lws(&line[first_ws..last_ws]);
    if uri.is_empty() {
        return Err(ParseError::BadStartLine {
            reason: StartLineFault::MissingRequestUri,
        });
    }
    let single_spaced = !trailing_ws
        && line[first_ws] == b' '
        && line[last_ws] == b' '
        && uri.len() == last_ws - first_ws - 1;
    defects.set_if(!eq_ignore_case(version, b"SIP/2.0"), Defects::BAD_VERSION);
    defects.set_if(
        find_byte2(b' ', b'\t', uri).is_some(),
        Defects::BAD_REQUEST_URI,
    );
    defects.set_if(!single_spaced, Defects::START_LINE_WHITESPACE);
    let method = Method::from_bytes(method);
    Ok((
        StartLine::Request {
            method,
            uri,
            version,
        },
        defects,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines() {
        let (s, d) = parse_start_line(b"INVITE  sip:a@b  SIP/2.0").unwrap();
        assert!(matches!(
            s,
            StartLine::Request {
                method: Method::Invite,
                uri: b"sip:a@b",
                ..
            }
        ));
        assert_eq!(d, Defects::START_LINE_WHITESPACE);
        let (_, d) = parse_start_line(b"SIP/2.0  180 Ringing").unwrap();
        assert_eq!(d, Defects::START_LINE_WHITESPACE);
        let (_, d) = parse_start_line(b"INVITE sip:a SIP/2.0 ").unwrap();
        assert_eq!(d, Defects::START_LINE_WHITESPACE);
        let (s, d) = parse_start_line(b"SIP/2.0 100 ").unwrap();
        assert!(matches!(
            s,
            StartLine::Response {
                code: StatusCode(100),
                reason: b"",
                ..
            }
        ));
        assert!(d.is_empty());
        let (_, d) = parse_start_line(b"SIP/2.0 200 two  spaces ok").unwrap();
        assert!(d.is_empty());
        let (_, d) = parse_start_line(b"OPTIONS sip:a SIP/7.0").unwrap();
        assert_eq!(d, Defects::BAD_VERSION);
        let (_, d) = parse_start_line(b"INVITE sip:a; lr SIP/2.0").unwrap();
        assert_eq!(d, Defects::BAD_REQUEST_URI);
    }

    #[test]
    fn header_table_bound_and_long_names() {
        let mut buf = b"OPTIONS sip:a SIP/2.0\r\n".to_vec();
        for i in 0..MAX_HEADERS {
            buf.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
        }
        buf.extend_from_slice(b"\r\n");
        assert_eq!(parse(&buf).unwrap().header_count(), MAX_HEADERS);
        buf.splice(23..23, b"One-More: x\r\n".iter().copied());
        assert_eq!(
            parse(&buf).unwrap_err(),
            ParseError::TooManyHeaders { limit: MAX_HEADERS }
        );

        // A value more than 255 bytes after its line start is found again
        // from the colon.
        let mut buf = b"OPTIONS sip:a SIP/2.0\r\nX-Long".to_vec();
        buf.extend_from_slice(&[b' '; 300]);
        buf.extend_from_slice(b":  the value \r\n\r\n");
        let m = parse(&buf).unwrap();
        let h = m.headers().next().unwrap();
        assert_eq!(
            (h.raw_name, h.raw_value),
            (&b"X-Long"[..], &b"the value"[..])
        );
        assert_eq!(
            m.header(HeaderName::Other(b"x-long")).map(|h| h.raw_value),
            Some(&b"the value"[..])
        );
    }

    #[test]
    fn too_large_empty_and_truncated() {
        assert_eq!(parse(b"").err(), Some(ParseError::Empty));
        assert_eq!(parse(b"\r\n\r\n").err(), Some(ParseError::Empty));
        assert_eq!(
            parse(b"OPTIONS sip:a SIP/2.0").err(),
            Some(ParseError::Truncated { at: 0 })
        );
        assert_eq!(
            parse(b"OPTIONS sip:a SIP/2.0\r\nVia: x").err(),
            Some(ParseError::Truncated { at: 23 })
        );
        assert_eq!(parse(b"hello").err(), Some(ParseError::NotSip));
        let big = vec![b'a'; MAX_MESSAGE_LEN + 1];
        assert_eq!(
            parse(&big).err(),
            Some(ParseError::TooLarge {
                len: MAX_MESSAGE_LEN + 1,
                limit: MAX_MESSAGE_LEN
            })
        );
    }

    #[test]
    fn start_line_errors() {
        let bad = |l: &[u8]| parse_start_line(l).err();
        assert_eq!(bad(b"GET / HTTP/1.1"), Some(ParseError::NotSip));
        assert_eq!(bad(b"hello"), Some(ParseError::NotSip));
        assert_eq!(
            bad(b"SIP/2.0 4294967301 x"),
            Some(ParseError::BadStartLine {
                reason: StartLineFault::StatusCode
            })
        );
        assert_eq!(
            bad(b"INVITE SIP/2.0"),
            Some(ParseError::BadStartLine {
                reason: StartLineFault::MissingRequestUri
            })
        );
        assert_eq!(
            bad(b"<INVITE> sip:a SIP/2.0"),
            Some(ParseError::BadStartLine {
                reason: StartLineFault::Method
            })
        );
    }
}
