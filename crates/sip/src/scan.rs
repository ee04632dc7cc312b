//! Line-level scanning of the header section (RFC 3261 §7, §7.3.1), shared by
//! [`crate::parse`] and [`crate::framer`]. Finds line ends with memchr, joins
//! folded continuation lines and locates the colon; it interprets nothing.

use crate::header_name::{OTHER_ID, classify_at};
use crate::text::{find_byte, find_byte2, is_lws, is_token, is_wsp, trim_wsp_end};

/// One step of the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// A header field. Offsets are absolute in the scanned buffer; the value
    /// is trimmed of LWS and may contain folded line breaks.
    Header {
        id: u8,
        name_start: usize,
        name_end: usize,
        value_start: usize,
        value_end: usize,
    },
    /// A line that is not `token *WSP ":" ...`, or a continuation line with
    /// nothing to continue. It has been skipped.
    BadLine,
    /// The empty line: the body starts at `body_start`.
    End { body_start: usize },
    /// The buffer ended cleanly after a line terminator, without an empty line.
    Unterminated,
    /// The buffer ended inside the line starting at `at`.
    Truncated { at: usize },
}

/// Line-ending and folding observations made while scanning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ScanFlags {
    pub bare_lf: bool,
    pub folded: bool,
}

/// Cursor over the header section.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
    pub flags: ScanFlags,
}

impl<'a> Scanner<'a> {
    /// Starts scanning at `pos`, which must be the start of a line.
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Self {
            buf,
            pos,
            flags: ScanFlags::default(),
        }
    }

    /// Scans the next logical line.
    #[inline]
    pub(crate) fn next_field(&mut self) -> Field {
        let start = self.pos;
        let Some(rest) = self.buf.get(start..).filter(|r| !r.is_empty()) else {
            return Field::Unterminated;
        };
        // One search finds the colon of a header line, or the LF of a line
        // without one; the LF of a header line is searched from the colon.
        let Some(first) = find_byte2(b':', b'\n', rest) else {
            return Field::Truncated { at: start };
        };
        let colon = (rest[first] == b':').then_some(first);
        let lf_rel = match colon {
            Some(c) => match find_byte(b'\n', &rest[c..]) {
                Some(i) => c + i,
                None => return Field::Truncated { at: start },
            },
            None => first,
        };
        let (lf, first_end) = self.line_end(start, start + lf_rel);
        if first_end == start {
            self.pos = lf + 1;
            return Field::End { body_start: lf + 1 };
        }
        // Absorb continuation lines (RFC 3261 §7.3.1).
        let mut field_end = first_end;
        let mut next = lf + 1;
        while next < self.buf.len() && is_wsp(self.buf[next]) {
            let Some(i) = find_byte(b'\n', &self.buf[next..]) else {
                return Field::Truncated { at: next };
            };
            self.flags.folded = true;
            (_, field_end) = self.line_end(next, next + i);
            next += i + 1;
        }
        self.pos = next;
        // `field-name = token`, then `HCOLON = *( SP / HTAB ) ":" SWS`.
        let Some(colon) = colon else {
            return Field::BadLine;
        };
        let line = &self.buf[start..first_end];
        // Nearly every name ends right at the colon: skip the backward trim.
        let name_len = if colon > 0 && !is_wsp(line[colon - 1]) {
            colon
        } else {
            trim_wsp_end(&line[..colon]).len()
        };
        // A known name is a token by construction; check the others.
        let id = classify_at(line, name_len);
        if id == OTHER_ID && !is_token(&line[..name_len]) {
            return Field::BadLine;
        }
        // Trim LWS (folding included) off both ends of the value. Slice
        // iterators, not indexed loops: no bounds check per byte.
        let value_from = start + colon + 1;
        let value = self.buf.get(value_from..field_end).unwrap_or_default();
        let lead = value
            .iter()
            .position(|&b| !is_lws(b))
            .unwrap_or(value.len());
        let kept = value[lead..]
            .iter()
            .rposition(|&b| !is_lws(b))
            .map_or(0, |i| i + 1);
        let value_start = value_from + lead;
        let value_end = value_start + kept;
        Field::Header {
            id,
            name_start: start,
            name_end: start + name_len,
            value_start,
            value_end,
        }
    }

    /// For the line from `start` whose LF is at `lf`: `(lf, end of content)`,
    /// recording a bare LF.
    #[inline]
    fn line_end(&mut self, start: usize, lf: usize) -> (usize, usize) {
        if lf > start && self.buf[lf - 1] == b'\r' {
            (lf, lf - 1)
        } else {
            self.flags.bare_lf = true;
            (lf, lf)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(buf: &[u8]) -> (Vec<Field>, ScanFlags) {
        let mut s = Scanner::new(buf, 0);
        let mut out = Vec::new();
        loop {
            let f = s.next_field();
            out.push(f);
            if !matches!(f, Field::Header { .. } | Field::BadLine) {
                return (out, s.flags);
            }
        }
    }

    #[test]
    fn folding_bad_lines_and_end() {
        let buf = b"TO :\r\n sip:a@b ;tag=1\r\nnocolon\r\n\tstray\r\nQ:\r\n\r\nbody";
        let (f, flags) = fields(buf);
        assert_eq!(
            f[0],
            Field::Header {
                id: 2,
                name_start: 0,
                name_end: 2,
                value_start: 7,
                value_end: 21
            }
        );
        assert_eq!(f[1], Field::BadLine);
        assert_eq!(
            f[2],
            Field::Header {
                id: OTHER_ID,
                name_start: 40,
                name_end: 41,
                value_start: 42,
                value_end: 42
            }
        );
        assert_eq!(f[3], Field::End { body_start: 46 });
        assert_eq!(
            flags,
            ScanFlags {
                bare_lf: false,
                folded: true
            }
        );
    }

    #[test]
    fn bare_lf_unterminated_and_truncated() {
        let (f, flags) = fields(b"A: 1\nB: 2\n");
        assert_eq!(f.last(), Some(&Field::Unterminated));
        assert!(flags.bare_lf);
        let (f, _) = fields(b"A: 1\r\nB: 2");
        assert_eq!(f.last(), Some(&Field::Truncated { at: 6 }));
        let (f, _) = fields(b"A: 1\r\n continued");
        assert_eq!(f.last(), Some(&Field::Truncated { at: 6 }));
    }
}
