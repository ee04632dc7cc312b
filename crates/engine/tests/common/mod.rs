//! Shared test scaffolding: SIP message builders and a driver that feeds
//! them to an engine as datagrams.
#![allow(
    dead_code,
    clippy::too_many_arguments,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::net::SocketAddr;

use ghostguard_engine::{Analysis, Engine, EngineConfig, Observation, Role, Rules};
use ghostguard_packet::{Datagram, Timestamp, Transport};

#[derive(Debug)]
pub struct Lab {
    pub engine: Engine,
    pub now: Timestamp,
    pub ttl: u8,
    pub src_mac: Option<[u8; 6]>,
    /// The part of the work `send` asks for (`Role::Whole` unless a test
    /// plays a sharded analysis).
    pub role: Role,
}

impl Lab {
    pub fn new(cfg: EngineConfig) -> Lab {
        Lab {
            engine: Engine::new(cfg, Rules::default_rules().unwrap()).unwrap(),
            now: Timestamp::from_parts(1_763_800_000, 0),
            ttl: 64,
            src_mac: None,
            role: Role::Whole,
        }
    }

    pub fn plain() -> Lab {
        Lab::new(EngineConfig::default())
    }

    /// Advances packet time.
    pub fn wait_ms(&mut self, ms: i64) {
        self.now = self.now.add(ghostguard_packet::Span::from_millis(ms));
    }

    /// Sends one SIP message from `src` to `dst` ("ip:port").
    pub fn send(&mut self, src: &str, dst: &str, msg: &str) {
        let payload = msg.replace('\n', "\r\n").replace("\r\r\n", "\r\n");
        let d = Datagram {
            ts: self.now,
            src: src.parse::<SocketAddr>().unwrap(),
            dst: dst.parse::<SocketAddr>().unwrap(),
            transport: Transport::Udp,
            ttl: self.ttl,
            ip_id: None,
            src_mac: self.src_mac,
            dst_mac: None,
            vlan: None,
            interface: 0,
            payload: payload.as_bytes(),
            hep: false,
            fragmented: false,
        };
        let parsed = ghostguard_sip::parse(d.payload);
        self.engine.handle_as(
            Observation {
                datagram: &d,
                message: parsed.as_ref(),
            },
            self.role,
        );
    }

    pub fn finish(self) -> Analysis {
        self.engine.finish()
    }
}

fn body_len(body: &str) -> usize {
    body.replace('\n', "\r\n").replace("\r\r\n", "\r\n").len()
}

/// A request with the usual headers. `extra` lines go before Content-Length.
pub fn request(
    method: &str,
    ruri: &str,
    from: &str,
    to: &str,
    call_id: &str,
    cseq: u32,
    extra: &str,
    body: &str,
) -> String {
    let mut s = format!(
        "{method} {ruri} SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK{call_id}{cseq}\nMax-Forwards: 70\nFrom: {from}\nTo: {to}\nCall-ID: {call_id}\nCSeq: {cseq} {method}\n"
    );
    for l in extra.lines().filter(|l| !l.is_empty()) {
        s.push_str(l);
        s.push('\n');
    }
    if !body.is_empty() {
        s.push_str("Content-Type: application/sdp\n");
    }
    s.push_str(&format!("Content-Length: {}\n\n{body}", body_len(body)));
    s
}

/// A response to a request built by [`request`] (copies Via/From/To/Call-ID/CSeq).
pub fn response(code: u16, reason: &str, req: &str, to_tag: Option<&str>, extra: &str) -> String {
    let mut s = format!("SIP/2.0 {code} {reason}\n");
    for line in req.lines() {
        let l = line.trim_end_matches('\r');
        let lower = l.to_ascii_lowercase();
        if lower.starts_with("via:")
            || lower.starts_with("from:")
            || lower.starts_with("call-id:")
            || lower.starts_with("cseq:")
        {
            s.push_str(l);
            s.push('\n');
        } else if lower.starts_with("to:") {
            s.push_str(l);
            if let Some(t) = to_tag {
                s.push_str(&format!(";tag={t}"));
            }
            s.push('\n');
        }
    }
    for l in extra.lines().filter(|l| !l.is_empty()) {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("Content-Length: 0\n\n");
    s
}

pub fn sdp(session: &str, origin_user: &str, addr: &str, port: u16) -> String {
    format!(
        "v=0\no={origin_user} 1 1 IN IP4 {addr}\ns={session}\nc=IN IP4 {addr}\nt=0 0\nm=audio {port} RTP/AVP 0 8\na=rtpmap:0 PCMU/8000\n"
    )
}

/// The SIPVicious From-tag for a target (hex of "<hexip><hexport>" 0x01 digits).
pub fn svmap_tag(ip: [u8; 4], port: u16) -> String {
    let data = format!(
        "{:02x}{:02x}{:02x}{:02x}{:04x}\u{1}1234567890",
        ip[0], ip[1], ip[2], ip[3], port
    );
    data.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A legitimate phone registration: REGISTER, 401 challenge, REGISTER with
/// credentials, 200 OK.
pub fn register_ok(lab: &mut Lab, phone: &str, registrar: &str, user: &str, call_id: &str) {
    let ip = phone.split(':').next().unwrap();
    let from = format!("<sip:{user}@provider.example>;tag=ph{call_id}");
    let to = format!("<sip:{user}@provider.example>");
    let contact = format!(
        "Contact: <sip:{user}@{phone}>\nUser-Agent: Yealink SIP-T46S 66.86.0.15\nExpires: 300"
    );
    let r1 = request(
        "REGISTER",
        "sip:provider.example",
        &from,
        &to,
        call_id,
        1,
        &contact,
        "",
    );
    lab.send(phone, registrar, &r1);
    lab.wait_ms(20);
    let c = response(
        401,
        "Unauthorized",
        &r1,
        Some("reg1"),
        "WWW-Authenticate: Digest realm=\"provider\", nonce=\"abc\", qop=\"auth\"",
    );
    lab.send(registrar, phone, &c);
    lab.wait_ms(20);
    let auth = format!(
        "{contact}\nAuthorization: Digest username=\"{user}\", realm=\"provider\", nonce=\"abc\", uri=\"sip:provider.example\", response=\"0123456789abcdef0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"x\""
    );
    let r2 = request(
        "REGISTER",
        "sip:provider.example",
        &from,
        &to,
        call_id,
        2,
        &auth,
        "",
    );
    lab.send(phone, registrar, &r2);
    lab.wait_ms(20);
    let ok = response(
        200,
        "OK",
        &r2,
        Some("reg1"),
        &format!("Contact: <sip:{user}@{phone}>;expires=300"),
    );
    lab.send(registrar, phone, &ok);
    let _ = ip;
}

/// SIPVicious svmap's probing INVITE from 203.0.113.66, aimed at the
/// router's public address 198.51.100.1 (its tag encodes it).
pub fn svmap_invite() -> String {
    let tag = svmap_tag([198, 51, 100, 1], 5060);
    request(
        "INVITE",
        "sip:100@198.51.100.1",
        &format!("\"sipvicious\"<sip:100@1.1.1.1>;tag={tag}"),
        "\"sipvicious\"<sip:100@1.1.1.1>",
        "1234567890123456789012",
        1,
        "User-Agent: friendly-scanner\nContact: sip:100@203.0.113.66:5060\nAccept: application/sdp",
        "",
    )
}

/// User 1001's REGISTER as it leaves `host:port` (Via and Contact name
/// it): the copies a SIP ALG rewrites.
pub fn alg_register(host: &str, port: u16) -> String {
    request(
        "REGISTER",
        "sip:provider.example",
        "<sip:1001@provider.example>;tag=a1",
        "<sip:1001@provider.example>",
        "alg-1",
        1,
        &format!("Contact: <sip:1001@{host}:{port}>"),
        "",
    )
    .replace("192.0.2.200:5060", &format!("{host}:{port}"))
}

/// An OPTIONS to the phone 192.168.77.20, to send around a loop.
pub fn loop_options() -> String {
    request(
        "OPTIONS",
        "sip:192.168.77.20",
        "<sip:a@b>;tag=1",
        "<sip:c@d>",
        "loop1",
        1,
        "",
        "",
    )
}

/// The provider (198.51.100.10) calling the phone 192.168.77.20.
pub fn provider_invite() -> String {
    request(
        "INVITE",
        "sip:31201234567@192.168.77.20:5060",
        "\"Alice\" <sip:0612345678@provider.example>;tag=p1",
        "<sip:31201234567@provider.example>",
        "prov-call-1",
        1,
        "Contact: <sip:0612345678@198.51.100.10>",
        &sdp("call", "-", "198.51.100.10", 20000),
    )
}

/// A LAN sweeper's OPTIONS to 192.168.77.`host`.
pub fn sweep_options(host: u8) -> String {
    request(
        "OPTIONS",
        &format!("sip:100@192.168.77.{host}"),
        "\"x\"<sip:100@1.1.1.1>;tag=abc",
        "\"x\"<sip:100@1.1.1.1>",
        &format!("9{host}8877"),
        1,
        "User-Agent: Mozilla",
        "",
    )
}

pub const PROVIDER: &str = "198.51.100.10:5060";
pub const PHONE: &str = "192.168.77.20:5060";
pub const SCANNER: &str = "203.0.113.66:5060";

/// The report entry for a source address; panics (naming it) when absent.
pub fn source<'a>(a: &'a Analysis, ip: &str) -> &'a ghostguard_engine::analysis::SourceReport {
    let ip: std::net::IpAddr = ip.parse().unwrap();
    a.sources
        .iter()
        .find(|s| s.address == ip)
        .unwrap_or_else(|| panic!("no source {ip} in {:#?}", a.sources))
}

/// svmap's INVITE reaches the phone through the port forward and it rings
/// (180), `gap_ms` later.
pub fn svmap_rings(lab: &mut Lab, gap_ms: i64) {
    let inv = svmap_invite();
    lab.send(SCANNER, PHONE, &inv);
    lab.wait_ms(gap_ms);
    lab.send(
        PHONE,
        SCANNER,
        &response(180, "Ringing", &inv, Some("ph1"), ""),
    );
}
