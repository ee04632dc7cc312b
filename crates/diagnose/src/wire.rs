//! The test protocol between `diagnose` and the reflector.
//!
//! **Requests are SIP** (RFC 3261 §7.1), so that a SIP ALG in the path
//! treats them like a phone's: an `INVITE` with SDP for the echo test (an
//! ALG rewrites SDP only in INVITE-like requests), an `OPTIONS` for the
//! exposure probe. The test is named in an `X-Ghostguard-Test` header
//! (`echo`, or `probe;port=5060[;target=IP]`), the shared token, if any, in
//! `X-Ghostguard-Token`.
//!
//! **Replies are not SIP**, on purpose. An ALG also rewrites messages on
//! their way *in* (the kernel's `nf_nat_sip` maps the public address back to
//! the LAN one in every Via/Contact/SDP line it finds), so a plain echo would
//! come back "repaired" and hide the ALG. The reflector therefore sends a
//! short text head and then the received bytes with the top bit of every
//! byte flipped ([`MASK`]): the same length, byte for byte reversible, and
//! with no CR, LF or header name left for an ALG to match.
//!
//! ```text
//! GGR/1 200 echo\r\n
//! Observed: udp 198.51.100.1:40312\r\n       (the source the reflector saw)
//! Probe: answered 200 baresip\r\n             (probe replies only)
//! Length: 612\r\n
//! \r\n
//! <612 masked bytes>
//! ```
//!
//! DoS: a reply is never more than [`MAX_OVERHEAD`] bytes longer than the
//! request it answers (the head is bounded; the echo is the request).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use ghostguard_sip::HeaderName;

pub use crate::request::{
    RequestParams, callback_request, echo_request, probe_message, probe_request,
};

/// Header naming the test.
pub const TEST_HEADER: &str = "X-Ghostguard-Test";
/// Header carrying the shared token.
pub const TOKEN_HEADER: &str = "X-Ghostguard-Token";
/// Header padding a probe request to the size of the probe it asks for.
pub const PAD_HEADER: &str = "X-Ghostguard-Pad";
/// XORed into every echoed byte.
pub const MASK: u8 = 0x80;
/// A reply is at most this many bytes longer than its request.
pub const MAX_OVERHEAD: usize = 160;
/// Characters of an answering device's User-Agent/Server kept in a reply.
pub const MAX_AGENT: usize = 40;
/// A probe request must be at least this long (the probe it triggers is
/// shorter), so a probe never sends more bytes than the request that asked.
pub const PROBE_REQUEST_MIN: usize = 520;
/// Protocol tag at the start of every reply.
pub(crate) const MAGIC: &str = "GGR/1";
/// The longest reply head that is accepted while framing.
const MAX_HEAD: usize = 512;

/// How a test message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// `udp` or `tcp`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
    /// The Via transport token (`UDP`, `TCP`).
    pub(crate) fn via(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request asks the reflector to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    /// Send back what arrived.
    Echo,
    /// Send one OPTIONS to the requester's own address on `port`.
    /// `target`, when named, must be the requester's own address.
    Probe { port: u16, target: Option<IpAddr> },
    /// Send one small datagram back to the asking address:port after
    /// `after` seconds (the NAT binding test; UDP only).
    Callback { after: u32 },
}

/// A request as the reflector reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRequest {
    pub test: Test,
    pub token: Option<String>,
}

/// Why bytes are not a usable request or reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    #[error("not a SIP request")]
    NotSipRequest,
    #[error("no {TEST_HEADER} header")]
    NoTest,
    #[error("unknown test {0:?}")]
    UnknownTest(String),
    #[error("bad probe parameter {0:?}")]
    BadProbeParam(String),
    #[error("reply does not start with {MAGIC}")]
    NotReply,
    #[error("malformed reply head: {0}")]
    BadHead(&'static str),
}

/// The reply status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyCode {
    /// 200: the echo follows.
    Echo,
    /// 201: the probe was sent; the `Probe` line says what answered.
    Probed,
    /// 202: a callback is scheduled; the `After` line says when.
    Scheduled,
    /// 204: the callback itself, `After` seconds after its request.
    Callback,
    /// 400: not a usable test request (or a probe request too short).
    BadRequest,
    /// 401: the token is missing or wrong.
    Unauthorized,
    /// 403: the probe target or port is not allowed.
    Forbidden,
    /// 503: too many probes at once, or probes switched off.
    Busy,
    /// Any other number.
    Other(u16),
}

impl ReplyCode {
    #[must_use]
    pub const fn number(self) -> u16 {
        match self {
            ReplyCode::Echo => 200,
            ReplyCode::Probed => 201,
            ReplyCode::Scheduled => 202,
            ReplyCode::Callback => 204,
            ReplyCode::BadRequest => 400,
            ReplyCode::Unauthorized => 401,
            ReplyCode::Forbidden => 403,
            ReplyCode::Busy => 503,
            ReplyCode::Other(n) => n,
        }
    }
    #[must_use]
    pub const fn from_number(n: u16) -> Self {
        match n {
            200 => ReplyCode::Echo,
            201 => ReplyCode::Probed,
            202 => ReplyCode::Scheduled,
            204 => ReplyCode::Callback,
            400 => ReplyCode::BadRequest,
            401 => ReplyCode::Unauthorized,
            403 => ReplyCode::Forbidden,
            503 => ReplyCode::Busy,
            n => ReplyCode::Other(n),
        }
    }
    pub(crate) const fn word(self) -> &'static str {
        match self {
            ReplyCode::Echo => "echo",
            ReplyCode::Probed => "probed",
            ReplyCode::Scheduled => "scheduled",
            ReplyCode::Callback => "callback",
            ReplyCode::BadRequest => "bad-request",
            ReplyCode::Unauthorized => "unauthorized",
            ReplyCode::Forbidden => "forbidden",
            ReplyCode::Busy => "busy",
            ReplyCode::Other(_) => "other",
        }
    }
}

/// What the exposure probe found at the requester's address.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeOutcome {
    /// Something answered in SIP: a port forward, UPnP opening or open phone.
    Answered { status: u16, agent: String },
    /// Something answered, but not in SIP.
    NonSip,
    /// The address said the port is closed (ICMP port unreachable).
    Closed,
    /// No answer within the reflector's timeout.
    Silent,
}

impl ProbeOutcome {
    fn encode(&self) -> String {
        match self {
            ProbeOutcome::Answered { status, agent } if agent.is_empty() => {
                format!("answered {status}")
            }
            ProbeOutcome::Answered { status, agent } => format!("answered {status} {agent}"),
            ProbeOutcome::NonSip => "non-sip".into(),
            ProbeOutcome::Closed => "closed".into(),
            ProbeOutcome::Silent => "silent".into(),
        }
    }
    fn decode(s: &str) -> Option<Self> {
        let mut it = s.splitn(3, ' ');
        Some(match it.next()? {
            "answered" => ProbeOutcome::Answered {
                status: it.next()?.parse().ok()?,
                agent: it.next().unwrap_or_default().to_string(),
            },
            "non-sip" => ProbeOutcome::NonSip,
            "closed" => ProbeOutcome::Closed,
            "silent" => ProbeOutcome::Silent,
            _ => return None,
        })
    }
}

/// A reply as `diagnose` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: ReplyCode,
    /// The requester's address and transport as the reflector saw them.
    pub observed: Option<(Transport, SocketAddr)>,
    pub probe: Option<ProbeOutcome>,
    /// A callback's wait in seconds (`Scheduled` and `Callback` only).
    pub after: Option<u32>,
    /// The request as it arrived (unmasked); empty unless an echo.
    pub echoed: Vec<u8>,
}

/// Printable ASCII only, at most `max` characters (for values that came
/// from the network and go into a reply head).
#[must_use]
pub fn printable(b: &[u8], max: usize) -> String {
    b.iter()
        .filter(|c| c.is_ascii_graphic() || **c == b' ')
        .take(max)
        .map(|&c| char::from(c))
        .collect::<String>()
        .trim()
        .to_string()
}

fn mask(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    bytes.iter().map(|b| b ^ MASK)
}

/// Encodes a reply. `echo` is put in masked (callers pass the request for
/// an echo, nothing otherwise).
#[must_use]
pub fn encode_reply(
    code: ReplyCode,
    observed: (Transport, SocketAddr),
    probe: Option<&ProbeOutcome>,
    echo: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "{MAGIC} {} {}\r\nObserved: {} {}\r\n",
        code.number(),
        code.word(),
        observed.0,
        observed.1
    );
    if let Some(p) = probe {
        head.push_str(&format!("Probe: {}\r\n", p.encode()));
    }
    head.push_str(&format!("Length: {}\r\n\r\n", echo.len()));
    let mut out = head.into_bytes();
    out.extend(mask(echo));
    out
}

fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Reads a reply from the front of `buf`: `Ok(None)` when more bytes are
/// needed (TCP), else the reply and how many bytes it took.
///
/// # Errors
/// When the bytes are not a reflector reply.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, WireError> {
    if buf.len() < MAGIC.len() {
        return if MAGIC.as_bytes().starts_with(buf) {
            Ok(None)
        } else {
            Err(WireError::NotReply)
        };
    }
    if !buf.starts_with(MAGIC.as_bytes()) {
        return Err(WireError::NotReply);
    }
    let Some(end) = head_end(&buf[..buf.len().min(MAX_HEAD)]) else {
        return if buf.len() >= MAX_HEAD {
            Err(WireError::BadHead("head too long"))
        } else {
            Ok(None)
        };
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| WireError::BadHead("not text"))?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status
        .split(' ')
        .nth(1)
        .and_then(|n| n.parse::<u16>().ok())
        .ok_or(WireError::BadHead("status"))?;
    let mut reply = Reply {
        code: ReplyCode::from_number(code),
        observed: None,
        probe: None,
        after: None,
        echoed: Vec::new(),
    };
    let mut len = None;
    for l in lines.filter(|l| !l.is_empty()) {
        let (name, value) = l.split_once(": ").ok_or(WireError::BadHead("line"))?;
        match name {
            "Observed" => {
                let (t, a) = value
                    .split_once(' ')
                    .ok_or(WireError::BadHead("observed"))?;
                let t = match t {
                    "udp" => Transport::Udp,
                    "tcp" => Transport::Tcp,
                    _ => return Err(WireError::BadHead("observed transport")),
                };
                let a = a
                    .parse()
                    .map_err(|_| WireError::BadHead("observed address"))?;
                reply.observed = Some((t, a));
            }
            "Probe" => {
                reply.probe = Some(ProbeOutcome::decode(value).ok_or(WireError::BadHead("probe"))?);
            }
            "After" => reply.after = Some(value.parse().map_err(|_| WireError::BadHead("after"))?),
            "Length" => {
                len = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| WireError::BadHead("length"))?,
                )
            }
            _ => {}
        }
    }
    let len = len.ok_or(WireError::BadHead("no length"))?;
    if len > ghostguard_sip::MAX_MESSAGE_LEN {
        return Err(WireError::BadHead("length too large"));
    }
    let Some(body) = buf.get(end..end + len) else {
        return Ok(None);
    };
    reply.echoed = mask(body).collect();
    Ok(Some((reply, end + len)))
}

fn header_value<'a>(m: &ghostguard_sip::Message<'a>, name: &str) -> Option<String> {
    m.header(HeaderName::from_bytes(name.as_bytes()))
        .map(|h| String::from_utf8_lossy(&h.value()).trim().to_string())
}

/// Reads a test request (reflector side).
///
/// # Errors
/// When the bytes are not a SIP request naming a known test.
pub fn parse_request(bytes: &[u8]) -> Result<TestRequest, WireError> {
    let m = ghostguard_sip::parse(bytes).map_err(|_| WireError::NotSipRequest)?;
    if m.method().is_none() {
        return Err(WireError::NotSipRequest);
    }
    let test = header_value(&m, TEST_HEADER).ok_or(WireError::NoTest)?;
    let mut parts = test.split(';').map(str::trim);
    let test = match parts.next().unwrap_or_default() {
        "echo" => Test::Echo,
        "callback" => crate::callback::parse_params(parts)?,
        "probe" => {
            let mut port = 5060;
            let mut target = None;
            for p in parts.filter(|p| !p.is_empty()) {
                let bad = || WireError::BadProbeParam(printable(p.as_bytes(), 60));
                match p.split_once('=') {
                    Some(("port", v)) => port = v.parse().map_err(|_| bad())?,
                    Some(("target", v)) => {
                        let v = v.trim_start_matches('[').trim_end_matches(']');
                        target = Some(v.parse().map_err(|_| bad())?);
                    }
                    _ => return Err(bad()),
                }
            }
            Test::Probe { port, target }
        }
        other => return Err(WireError::UnknownTest(printable(other.as_bytes(), 40))),
    };
    Ok(TestRequest {
        test,
        token: header_value(&m, TOKEN_HEADER),
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
