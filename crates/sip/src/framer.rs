//! Stream framing for TCP/TLS (RFC 3261 §18.3): one message is the header
//! section plus Content-Length body bytes. CRLF keep-alives between messages
//! are reported separately (RFC 5626 §3.5.1).

use crate::header_name::HeaderName;
use crate::parse::{MAX_MESSAGE_LEN, parse_start_line};
use crate::scan::{Field, Scanner};
use crate::text::{is_token_char, parse_u64, trim_lws};

/// What the front of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// One complete message of this many bytes (headers and body); pass
    /// `&buf[..n]` to [`crate::parse`].
    Message(usize),
    /// CRLF (pong) or CRLFCRLF (ping) keep-alive bytes to skip (RFC 5626
    /// §3.5.1), or stray CRLFs before a start line (RFC 3261 §7.5).
    KeepAlive(usize),
    /// More bytes are needed. Only returned while the buffer is shorter than
    /// [`MAX_MESSAGE_LEN`].
    Incomplete,
    /// The front cannot start a message: skip this many bytes (at least 1,
    /// at most the buffer length) and try again.
    Invalid(usize),
}

/// Frames the message at the front of `buf`.
///
/// A missing Content-Length counts as 0 (RFC 3261 §18.3 requires it on
/// streams; [`crate::parse`] flags its absence). A negative, non-numeric or
/// contradictory Content-Length cannot be framed and yields `Invalid` for the
/// header section.
///
/// DoS: a message may not exceed [`MAX_MESSAGE_LEN`]; a longer header section
/// or declared length yields `Invalid`, so a caller never buffers more than
/// that per connection. Each call rescans from the start of `buf`.
#[must_use]
pub fn frame(buf: &[u8]) -> Framed {
    match buf {
        [] | [b'\r'] => return Framed::Incomplete,
        [b'\r', b'\n', b'\r', b'\n', ..] => return Framed::KeepAlive(4),
        [b'\r', b'\n', ..] => return Framed::KeepAlive(2),
        [b'\n', ..] => return Framed::KeepAlive(1),
        [b, ..] if !is_token_char(*b) => return Framed::Invalid(skip_line(buf)),
        _ => {}
    }
    let limited = &buf[..buf.len().min(MAX_MESSAGE_LEN)];
    let Some(lf) = memchr::memchr(b'\n', limited) else {
        return more_or_give_up(buf, limited);
    };
    // The same start-line test as `parse`, so whatever frames also parses.
    let line = buf[..lf].strip_suffix(b"\r").unwrap_or(&buf[..lf]);
    if parse_start_line(line).is_err() {
        return Framed::Invalid(lf + 1);
    }
    let mut scanner = Scanner::new(limited, lf + 1);
    let mut content_length: Option<u64> = None;
    let mut bad_length = false;
    let cl_id = HeaderName::ContentLength.id();
    let body_start = loop {
        match scanner.next_field() {
            Field::Header {
                id,
                value_start,
                value_end,
                ..
            } => {
                if id == cl_id {
                    match parse_u64(trim_lws(&limited[value_start..value_end])) {
                        Some(n) if content_length.is_none_or(|c| c == n) => {
                            content_length = Some(n)
                        }
                        _ => bad_length = true,
                    }
                }
            }
            Field::BadLine => {}
            Field::End { body_start } => break body_start,
            Field::Unterminated | Field::Truncated { .. } => return more_or_give_up(buf, limited),
        }
    };
    if bad_length {
        return Framed::Invalid(body_start);
    }
    let total = match content_length {
        None => Some(body_start),
        Some(n) => usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_add(body_start)),
    };
    match total {
        Some(total) if total <= MAX_MESSAGE_LEN => {
            if buf.len() < total {
                Framed::Incomplete
            } else {
                Framed::Message(total)
            }
        }
        _ => Framed::Invalid(body_start),
    }
}

/// Bytes up to and including the next LF, or the whole buffer.
fn skip_line(buf: &[u8]) -> usize {
    memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1)
}

/// The header section is not complete within `limited`: wait, unless the
/// limit is reached, then skip whole lines so the next call starts on one.
fn more_or_give_up(buf: &[u8], limited: &[u8]) -> Framed {
    if buf.len() < MAX_MESSAGE_LEN {
        return Framed::Incomplete;
    }
    Framed::Invalid(memchr::memrchr(b'\n', limited).map_or(limited.len(), |i| i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: &[u8] = b"REGISTER sip:a SIP/2.0\r\nl: 5\r\nVia: x\r\n\r\nhello";

    #[test]
    fn frames_by_content_length() {
        assert_eq!(frame(REG), Framed::Message(REG.len()));
        let mut two = REG.to_vec();
        two.extend_from_slice(b"\r\n\r\nSIP/2.0 200 OK\r\n");
        assert_eq!(frame(&two), Framed::Message(REG.len()));
        assert_eq!(frame(&two[REG.len()..]), Framed::KeepAlive(4));
        assert_eq!(frame(&two[REG.len() + 4..]), Framed::Incomplete);
        for cut in 0..REG.len() {
            assert_eq!(frame(&REG[..cut]), Framed::Incomplete, "cut at {cut}");
        }
    }

    #[test]
    fn missing_length_is_zero_and_bad_length_is_invalid() {
        let m = b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\nrest";
        assert_eq!(frame(m), Framed::Message(m.len() - 4));
        let bad = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: -999\r\n\r\nxx";
        assert_eq!(frame(bad), Framed::Invalid(bad.len() - 2));
        let two = b"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nxx";
        assert_eq!(frame(two), Framed::Invalid(two.len() - 2));
        let big = b"OPTIONS sip:a SIP/2.0\r\nl: 99999999999999999999999\r\n\r\n";
        assert_eq!(frame(big), Framed::Invalid(big.len()));
    }

    #[test]
    fn garbage_and_keepalives() {
        assert_eq!(frame(b"\r\n"), Framed::KeepAlive(2));
        assert_eq!(frame(b"\r"), Framed::Incomplete);
        assert_eq!(frame(b"\rX"), Framed::Invalid(2));
        assert_eq!(frame(b"GET / HTTP/1.1\r\nHost: x\r\n"), Framed::Invalid(16));
        assert_eq!(frame(b"\x16\x03\x01"), Framed::Invalid(3));
        let huge = vec![b'a'; MAX_MESSAGE_LEN + 10];
        assert_eq!(frame(&huge), Framed::Invalid(MAX_MESSAGE_LEN));
        let mut long = b"INVITE sip:a SIP/2.0\r\n".to_vec();
        while long.len() < MAX_MESSAGE_LEN {
            long.extend_from_slice(b"X-Pad: 0123456789\r\n");
        }
        match frame(&long) {
            Framed::Invalid(n) => assert!(n > 0 && n <= MAX_MESSAGE_LEN && long[n - 1] == b'\n'),
            other => panic!("{other:?}"),
        }
    }
}
