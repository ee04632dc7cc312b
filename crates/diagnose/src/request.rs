//! The SIP test messages (RFC 3261 §7.1): the echo INVITE, the probe
//! request, and the one OPTIONS the reflector sends as the probe.

use std::net::{IpAddr, SocketAddr};

use ghostguard_sip::Method;

use crate::wire::{PAD_HEADER, PROBE_REQUEST_MIN, TEST_HEADER, TOKEN_HEADER, Transport};

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

/// The NAT binding test: an OPTIONS asking for one datagram back to the
/// sender's public address:port after `after` seconds. Sent over UDP from
/// the socket that then waits, silent, for the callback.
#[must_use]
pub fn callback_request(p: &RequestParams<'_>, after: u32) -> Vec<u8> {
    let mut s = common_headers(p, Method::Options, "callback");
    s.push_str(&format!(
        "{TEST_HEADER}: callback;after={after}\r\nContent-Length: 0\r\n\r\n"
    ));
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
