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

use ghostguard_sip::{HeaderName, Method};

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
const MAGIC: &str = "GGR/1";
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
    fn via(self) -> &'static str {
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
            400 => ReplyCode::BadRequest,
            401 => ReplyCode::Unauthorized,
            403 => ReplyCode::Forbidden,
            503 => ReplyCode::Busy,
            n => ReplyCode::Other(n),
        }
    }
    const fn word(self) -> &'static str {
        match self {
            ReplyCode::Echo => "echo",
            ReplyCode::Probed => "probed",
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

/// `host` or `[v6]` for a URI.
fn uri_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// What a test request carries.
#[derive(Clone, Debug)]
pub struct RequestParams<'a> {
    pub transport: Transport,
    /// The sender's own address and port (what goes into Via/Contact/SDP).
    pub local: SocketAddr,
    pub reflector: SocketAddr,
    /// A unique id for Call-ID, tag and branch.
    pub id: &'a str,
    pub token: Option<&'a str>,
}

fn common_headers(p: &RequestParams<'_>, method: Method<'_>, user: &str) -> String {
    let local = uri_host(p.local.ip());
    let refl = uri_host(p.reflector.ip());
    let id = p.id;
    let mut s = format!(
        "{method} sip:{user}@{refl}:{rport} SIP/2.0\r\n\
         Via: SIP/2.0/{t} {local}:{lport};branch=z9hG4bK-gg{id};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:diagnose@{local}>;tag=gg{id}\r\n\
         To: <sip:{user}@{refl}>\r\n\
         Call-ID: gg{id}@{local}\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:diagnose@{local}:{lport};transport={tl}>\r\n\
         User-Agent: ghostguard-diagnose/{ver}\r\n",
        method = method_name(method),
        rport = p.reflector.port(),
        t = p.transport.via(),
        lport = p.local.port(),
        tl = p.transport.as_str(),
        ver = env!("CARGO_PKG_VERSION"),
    );
    if let Some(t) = p.token {
        s.push_str(&format!("{TOKEN_HEADER}: {t}\r\n"));
    }
    s
}

fn method_name(m: Method<'_>) -> &'static str {
    match m {
        Method::Invite => "INVITE",
        _ => "OPTIONS",
    }
}

/// The echo test: an INVITE whose Via, Contact and SDP `c=`/`o=`/`m=` carry
/// the sender's own address, as a phone's would (RFC 3261 §8.1.1, RFC 8866).
#[must_use]
pub fn echo_request(p: &RequestParams<'_>, rtp_port: u16) -> Vec<u8> {
    let (ipv, addr) = match p.local.ip() {
        IpAddr::V4(a) => ("IP4", a.to_string()),
        IpAddr::V6(a) => ("IP6", a.to_string()),
    };
    let sdp = format!(
        "v=0\r\no=- {id} 1 IN {ipv} {addr}\r\ns=ghostguard ALG test\r\nc=IN {ipv} {addr}\r\n\
         t=0 0\r\nm=audio {rtp_port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n",
        id = p.id.len() * 7919 % 100_000 + 1000,
    );
    let mut s = common_headers(p, Method::Invite, "echo");
    s.push_str(&format!(
        "{TEST_HEADER}: echo\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ));
    s.into_bytes()
}

/// The exposure test: an OPTIONS asking for one probe to the sender's own
/// public address on `port`, padded to [`PROBE_REQUEST_MIN`] bytes.
/// `target` names an address explicitly (the reflector refuses any but the
/// sender's own).
#[must_use]
pub fn probe_request(p: &RequestParams<'_>, port: u16, target: Option<IpAddr>) -> Vec<u8> {
    let mut s = common_headers(p, Method::Options, "probe");
    s.push_str(&format!("{TEST_HEADER}: probe;port={port}"));
    if let Some(t) = target {
        s.push_str(&format!(";target={t}"));
    }
    s.push_str("\r\n");
    let tail = "Content-Length: 0\r\n\r\n";
    let pad_head = format!("{PAD_HEADER}: \r\n");
    let used = s.len() + tail.len() + pad_head.len();
    let pad = PROBE_REQUEST_MIN.saturating_sub(used).max(1);
    s.push_str(&format!("{PAD_HEADER}: {}\r\n{tail}", "x".repeat(pad)));
    s.into_bytes()
}

/// The one OPTIONS the reflector sends to probe `target` from `from`
/// (RFC 3261 §11). Never longer than [`PROBE_REQUEST_MIN`] minus slack.
#[must_use]
pub fn probe_message(from: SocketAddr, target: SocketAddr, id: u64) -> Vec<u8> {
    let t = uri_host(target.ip());
    let f = uri_host(from.ip());
    format!(
        "OPTIONS sip:{t}:{tp} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {f}:{fp};branch=z9hG4bK-ggp{id}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:ghostguard-reflector@{f}>;tag=ggp{id}\r\n\
         To: <sip:{t}>\r\n\
         Call-ID: ggp{id}@{f}\r\n\
         CSeq: 1 OPTIONS\r\n\
         User-Agent: ghostguard-reflector (exposure test requested by this address)\r\n\
         Content-Length: 0\r\n\r\n",
        tp = target.port(),
        fp = from.port(),
    )
    .into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn params(t: Transport) -> RequestParams<'static> {
        RequestParams {
            transport: t,
            local: "192.0.2.50:40000".parse().unwrap(),
            reflector: "198.51.100.10:5060".parse().unwrap(),
            id: "1234abcd",
            token: Some("s3cret"),
        }
    }

    #[test]
    fn echo_request_is_sip_naming_the_test_and_token() {
        let r = echo_request(&params(Transport::Udp), 40002);
        let m = ghostguard_sip::parse(&r).unwrap();
        assert_eq!(m.method(), Some(Method::Invite));
        assert!(m.defects().is_empty(), "{:?}", m.defects());
        let t = parse_request(&r).unwrap();
        assert_eq!(t.test, Test::Echo);
        assert_eq!(t.token.as_deref(), Some("s3cret"));
        let sdp = ghostguard_sip::sdp::parse(m.body());
        assert_eq!(sdp.connection.unwrap().addr, b"192.0.2.50");
        assert_eq!(sdp.media[0].port, Some(40002));
        assert_eq!(m.content_length(), Some(m.body().len()));
    }

    #[test]
    fn probe_request_is_padded_and_parses() {
        let r = probe_request(&params(Transport::Tcp), 5060, None);
        assert!(r.len() >= PROBE_REQUEST_MIN, "{}", r.len());
        assert_eq!(
            parse_request(&r).unwrap().test,
            Test::Probe {
                port: 5060,
                target: None
            }
        );
        let r = probe_request(
            &params(Transport::Tcp),
            5062,
            Some("203.0.113.9".parse().unwrap()),
        );
        assert_eq!(
            parse_request(&r).unwrap().test,
            Test::Probe {
                port: 5062,
                target: Some("203.0.113.9".parse().unwrap())
            }
        );
        let probe = probe_message(
            "198.51.100.10:41000".parse().unwrap(),
            "[2001:db8::1]:5060".parse().unwrap(),
            u64::MAX,
        );
        assert!(probe.len() < PROBE_REQUEST_MIN, "{}", probe.len());
        assert!(ghostguard_sip::parse(&probe).is_ok());
    }

    #[test]
    fn reply_round_trips_and_hides_sip_from_an_alg() {
        let req = echo_request(&params(Transport::Udp), 40002);
        let obs = (Transport::Udp, "198.51.100.1:40000".parse().unwrap());
        let bytes = encode_reply(ReplyCode::Echo, obs, None, &req);
        assert!(bytes.len() <= req.len() + MAX_OVERHEAD);
        let body = &bytes[bytes.len() - req.len()..];
        assert!(!body.contains(&b'\n') && !body.windows(3).any(|w| w == b"Via"));
        let (reply, used) = parse_reply(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(reply.code, ReplyCode::Echo);
        assert_eq!(reply.observed, Some(obs));
        assert_eq!(reply.echoed, req);
        // TCP: a partial reply asks for more.
        assert_eq!(parse_reply(&bytes[..bytes.len() - 1]).unwrap(), None);
        assert_eq!(parse_reply(&bytes[..20]).unwrap(), None);
        assert_eq!(parse_reply(b"GG"), Ok(None));
        assert_eq!(parse_reply(b"SIP/2.0 200 OK\r\n"), Err(WireError::NotReply));
    }

    #[test]
    fn probe_outcomes_round_trip() {
        let obs = (Transport::Tcp, "[2001:db8::5]:5060".parse().unwrap());
        for p in [
            ProbeOutcome::Answered {
                status: 200,
                agent: "baresip v2".into(),
            },
            ProbeOutcome::Answered {
                status: 404,
                agent: String::new(),
            },
            ProbeOutcome::NonSip,
            ProbeOutcome::Closed,
            ProbeOutcome::Silent,
        ] {
            let b = encode_reply(ReplyCode::Probed, obs, Some(&p), &[]);
            let (r, _) = parse_reply(&b).unwrap().unwrap();
            assert_eq!(r.probe, Some(p));
            assert_eq!(r.observed, Some(obs));
        }
    }

    #[test]
    fn hostile_requests_are_named_errors() {
        assert_eq!(parse_request(b"\x00\x01"), Err(WireError::NotSipRequest));
        assert_eq!(
            parse_request(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Err(WireError::NotSipRequest)
        );
        let no_test = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse_request(no_test), Err(WireError::NoTest));
        let bad = b"OPTIONS sip:a@b SIP/2.0\r\nX-Ghostguard-Test: probe;port=99999\r\n\r\n";
        assert!(matches!(
            parse_request(bad),
            Err(WireError::BadProbeParam(_))
        ));
        let unknown = b"OPTIONS sip:a@b SIP/2.0\r\nX-Ghostguard-Test: flood\r\n\r\n";
        assert!(matches!(
            parse_request(unknown),
            Err(WireError::UnknownTest(_))
        ));
    }
}
