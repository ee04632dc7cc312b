//! Cheap content sniffing: is this payload SIP? Used on every UDP payload to
//! recognise SIP on any port, so it looks at the first line only.

use crate::text::{find_byte, is_token_char, is_wsp};

/// Longest method name the sniffer accepts (RFC 4475 §3.1.1.2 uses 43).
const MAX_METHOD_LEN: usize = 64;
/// Longest URI scheme the sniffer accepts before the `:`.
const MAX_SCHEME_LEN: usize = 32;

/// `SIP/` DIGIT `.` DIGIT, case-insensitive (RFC 3261 §7.1 `SIP-Version`).
fn is_version(v: &[u8]) -> bool {
    v.len() == 7
        && v[..4].eq_ignore_ascii_case(b"SIP/")
        && v[4].is_ascii_digit()
        && v[5] == b'.'
        && v[6].is_ascii_digit()
}

/// True when the payload starts like a SIP message: a status line
/// `SIP/2.0 DDD` or a request line `TOKEN SP scheme: ... SP SIP/2.0`
/// (RFC 3261 §7.1, §7.2). Leading CRLFs are skipped (RFC 3261 §7.5). Any
/// `SIP/d.d` version is accepted so that version probes are recognised.
/// Cost: a prefix check plus one memchr for the end of the first line.
#[must_use]
pub fn looks_like_sip(payload: &[u8]) -> bool {
    let skip = payload
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let p = &payload[skip..];
    if p.len() >= 11 && p[..4].eq_ignore_ascii_case(b"SIP/") {
        return is_version(&p[..7])
            && p[7] == b' '
            && p[8..11].iter().all(u8::is_ascii_digit)
            && p.get(11)
                .is_none_or(|&b| b == b' ' || b == b'\r' || b == b'\n');
    }
    let Some(method_len) = p.iter().take(MAX_METHOD_LEN + 1).position(|&b| b == b' ') else {
        return false;
    };
    if method_len == 0 || !p[..method_len].iter().all(|&b| is_token_char(b)) {
        return false;
    }
    let uri = &p[method_len + 1..];
    let Some(scheme_len) = uri.iter().take(MAX_SCHEME_LEN + 1).position(|&b| b == b':') else {
        return false;
    };
    if scheme_len == 0
        || !uri[..scheme_len]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let line_end = find_byte(b'\n', p).unwrap_or(p.len());
    let line = &p[..line_end];
    let end = line
        .iter()
        .rposition(|&b| !is_wsp(b) && b != b'\r')
        .map_or(0, |i| i + 1);
    end >= 8 && line[end - 8] == b' ' && is_version(&line[end - 7..end]) && end > method_len + 8
}

#[cfg(test)]
mod tests {
    use super::looks_like_sip;

    #[test]
    fn recognises_start_lines() {
        for yes in [
            &b"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n"[..],
            b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n",
            b"SIP/2.0 200 OK\r\n",
            b"SIP/2.0 100 \r\n",
            b"\r\nREGISTER sips:example.com SIP/2.0\r\n",
            b"OPTIONS sip:remote-target@example.com SIP/2.0  \r\n",
            b"OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\r\n",
            b"OPTIONS sip:t.watson@example.org SIP/7.0\r\n",
            b"INVITE sip:a SIP/2.0",
        ] {
            assert!(looks_like_sip(yes), "{}", String::from_utf8_lossy(yes));
        }
    }

    #[test]
    fn rejects_other_protocols() {
        for no in [
            &b""[..],
            b"\r\n\r\n",
            b"GET / HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"SIP/2.0 2000 OK\r\n",
            b"SIP/2.0 20",
            b"INVITE <sip:a> SIP/2.0\r\n",
            b"INVITE sip:a HTTP/1.1\r\n",
            b" INVITE sip:a SIP/2.0\r\n",
            b"\x16\x03\x01\x02\x00\x01",
            b"INVITE SIP/2.0\r\n",
        ] {
            assert!(!looks_like_sip(no), "{}", String::from_utf8_lossy(no));
        }
    }
}
