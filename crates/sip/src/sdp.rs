//! A tolerant, zero-copy reader for the SDP lines a detector cares about
//! (RFC 8866, formerly RFC 4566): `o=`, `s=`, `c=` and `m=`. It is not an SDP
//! validator or offer/answer engine.

use std::net::IpAddr;

use crate::text::{find_byte, parse_u16};
use crate::uri::parse_ipv6;

/// Most lines read from one body.
///
/// DoS: further lines are ignored and [`Sdp::truncated`] is set.
pub const MAX_LINES: usize = 512;
/// Most media sections kept.
///
/// DoS: further `m=` lines are ignored and [`Sdp::truncated`] is set.
pub const MAX_MEDIA: usize = 32;

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`
/// (RFC 8866 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// Username (`-` when none).
    pub username: &'a [u8],
    /// Session id.
    pub sess_id: &'a [u8],
    /// Session version.
    pub sess_version: &'a [u8],
    /// Network type, normally `IN`.
    pub net_type: &'a [u8],
    /// Address type, `IP4` or `IP6`.
    pub addr_type: &'a [u8],
    /// Unicast address or hostname, as received.
    pub addr: &'a [u8],
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection<'a> {
    /// Network type, normally `IN`.
    pub net_type: &'a [u8],
    /// Address type, `IP4` or `IP6`.
    pub addr_type: &'a [u8],
    /// Address as received, possibly with `/ttl` or `/count`.
    pub addr: &'a [u8],
}

impl Connection<'_> {
    /// The address without `/ttl`, when it is an IP literal. IPv6 addresses
    /// appear without brackets in SDP (RFC 5118 §4.6).
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        let a = self.addr.split(|&b| b == b'/').next().unwrap_or_default();
        let text = std::str::from_utf8(a).ok()?;
        text.parse().ok().or_else(|| parse_ipv6(a).map(IpAddr::V6))
    }
}

/// `m=<media> <port>[/<count>] <proto> <fmt> ...` (RFC 8866 §5.14) with the
/// first `c=` of its section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Media<'a> {
    /// `audio`, `video`, `application`, ...
    pub kind: &'a [u8],
    /// The port; `None` when not a number.
    pub port: Option<u16>,
    /// Transport protocol, e.g. `RTP/AVP`.
    pub proto: &'a [u8],
    /// The format list as received.
    pub formats: &'a [u8],
    /// The section's first `c=` line.
    pub connection: Option<Connection<'a>>,
}

/// What was read from an SDP body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sdp<'a> {
    /// The first `o=` line.
    pub origin: Option<Origin<'a>>,
    /// The first `s=` value.
    pub session_name: Option<&'a [u8]>,
    /// The first session-level `c=` line.
    pub connection: Option<Connection<'a>>,
    /// Media sections in order (at most [`MAX_MEDIA`]).
    pub media: Vec<Media<'a>>,
    /// Lines that are not `<letter>=<value>` or whose known fields are missing.
    pub bad_lines: usize,
    /// True when [`MAX_LINES`] or [`MAX_MEDIA`] was reached.
    pub truncated: bool,
}

/// `s.split(|&b| b == sep)`, searching eight bytes a step.
#[derive(Debug, Clone)]
struct SplitByte<'a> {
    rest: Option<&'a [u8]>,
    sep: u8,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.rest?;
        Some(match find_byte(self.sep, s) {
            Some(i) => {
                self.rest = Some(&s[i + 1..]);
                &s[..i]
            }
            None => {
                self.rest = None;
                s
            }
        })
    }
}

fn split_byte(s: &[u8], sep: u8) -> SplitByte<'_> {
    SplitByte { rest: Some(s), sep }
}

fn fields(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    split_byte(v, b' ').filter(|f| !f.is_empty())
}

fn connection(v: &[u8]) -> Option<Connection<'_>> {
    let mut f = fields(v);
    Some(Connection {
        net_type: f.next()?,
        addr_type: f.next()?,
        addr: f.next()?,
    })
}

/// Reads `body` as SDP. Never fails: unusable lines are counted in
/// [`Sdp::bad_lines`]. Accepts CRLF and bare LF line ends.
#[must_use]
pub fn parse(body: &[u8]) -> Sdp<'_> {
    let mut sdp = Sdp::default();
    for (n, line) in split_byte(body, b'\n').enumerate() {
        if n == MAX_LINES {
            sdp.truncated = true;
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (kind, value) = match line {
            [k, b'=', v @ ..] if k.is_ascii_lowercase() => (*k, v),
            _ => {
                sdp.bad_lines += 1;
                continue;
            }
        };
        let ok = match kind {
            b'o' => {
                let mut f = fields(value);
                let o = (|| {
                    Some(Origin {
                        username: f.next()?,
                        sess_id: f.next()?,
                        sess_version: f.next()?,
                        net_type: f.next()?,
                        addr_type: f.next()?,
                        addr: f.next()?,
                    })
                })();
                sdp.origin = sdp.origin.or(o);
                o.is_some()
            }
            b's' => {
                sdp.session_name = sdp.session_name.or(Some(value));
                true
            }
            b'c' => {
                let c = connection(value);
                match sdp.media.last_mut() {
                    Some(m) => m.connection = m.connection.or(c),
                    None => sdp.connection = sdp.connection.or(c),
                }
                c.is_some()
            }
            b'm' => {
                if sdp.media.len() == MAX_MEDIA {
                    sdp.truncated = true;
                    break;
                }
                let mut f = fields(value);
                let m = (|| {
                    let kind = f.next()?;
                    let port = f.next()?.split(|&b| b == b'/').next().and_then(parse_u16);
                    let proto = f.next()?;
                    let formats = f.next().map_or(&b""[..], |first| {
                        let start = first.as_ptr() as usize - value.as_ptr() as usize;
                        &value[start..]
                    });
                    Some(Media {
                        kind,
                        port,
                        proto,
                        formats,
                        connection: None,
                    })
                })();
                if let Some(m) = m {
                    sdp.media.push(m);
                }
                m.is_some()
            }
            _ => true,
        };
        if !ok {
            sdp.bad_lines += 1;
        }
    }
    sdp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_split_matches_slice_split() {
        for s in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"\na\n\nbb\n",
            b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n",
        ] {
            let want: Vec<&[u8]> = s.split(|&b| b == b'\n').collect();
            assert_eq!(split_byte(s, b'\n').collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn reads_rfc5118_multi_address_sdp() {
        let body = b"v=0\no=bob 280744730 28977631 IN IP4 host.example.com\ns=\nt=0 0\n\
m=audio 22334 RTP/AVP 0\nc=IN IP4 192.0.2.1\nm=video 6024 RTP/AVP 107\nc=IN IP6 2001:db8::1\n\
a=rtpmap:107 H263-1998/90000\n";
        let sdp = parse(body);
        assert_eq!(sdp.origin.map(|o| o.addr), Some(&b"host.example.com"[..]));
        assert_eq!(sdp.session_name, Some(&b""[..]));
        assert_eq!(sdp.connection, None);
        assert_eq!(sdp.media.len(), 2);
        assert_eq!(sdp.media[0].port, Some(22334));
        assert_eq!(sdp.media[0].formats, b"0");
        assert_eq!(
            sdp.media[1].connection.and_then(|c| c.ip()),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(sdp.bad_lines, 0);
    }

    #[test]
    fn tolerates_junk_and_bounds_work() {
        let sdp = parse(b"v=0\r\nm =video 3227 RTP/AVP 31\r\nc=IN\r\no=x\r\n\x00\xff\r\n");
        assert_eq!(sdp.bad_lines, 4);
        assert!(sdp.media.is_empty());
        let many = b"m=audio 1 RTP/AVP 0\n".repeat(MAX_MEDIA + 1);
        let sdp = parse(&many);
        assert_eq!((sdp.media.len(), sdp.truncated), (MAX_MEDIA, true));
        let lines = b"a=x\n".repeat(MAX_LINES + 1);
        assert!(parse(&lines).truncated);
        let c = Connection {
            net_type: b"IN",
            addr_type: b"IP4",
            addr: b"224.2.1.1/127",
        };
        assert_eq!(c.ip(), Some("224.2.1.1".parse().unwrap()));
    }
}
