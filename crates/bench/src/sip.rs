//! Message templates for the generator: what phones, the provider and the
//! attack tools send, at realistic sizes.

use std::net::{IpAddr, Ipv4Addr};

use crate::Rng;

/// One message to write.
#[derive(Debug, Clone)]
pub struct Msg {
    pub src: (IpAddr, u16),
    pub dst: (IpAddr, u16),
    pub payload: String,
    pub fragment: bool,
}

fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

fn msg(src: (IpAddr, u16), dst: (IpAddr, u16), payload: String) -> Msg {
    Msg {
        src,
        dst,
        payload,
        fragment: false,
    }
}

fn sdp(addr: IpAddr, port: u64, pad: usize) -> String {
    let fam = if addr.is_ipv4() { "IP4" } else { "IP6" };
    let a = addr.to_string();
    let mut s = format!(
        "v=0\r\no=- 3849203 3849203 IN {fam} {a}\r\ns=call\r\nc=IN {fam} {a}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
    );
    for i in 0..pad {
        s.push_str(&format!(
            "a=x-padding-{i}:0123456789012345678901234567890123456789\r\n"
        ));
    }
    s
}

/// The headers every request and response of a transaction shares.
struct Dialog<'a> {
    via: &'a str,
    from: &'a str,
    to: &'a str,
    cid: &'a str,
    cseq: u64,
}

fn request(method: &str, ruri: &str, d: &Dialog<'_>, extra: &str, body: &str) -> String {
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} {ruri} SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {method}\r\n{extra}{ct}Content-Length: {}\r\n\r\n{body}",
        d.via,
        d.from,
        d.to,
        d.cid,
        d.cseq,
        body.len()
    )
}

fn response(status: &str, d: &Dialog<'_>, method: &str, extra: &str, body: &str) -> String {
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "SIP/2.0 {status}\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {method}\r\n{extra}{ct}Content-Length: {}\r\n\r\n{body}",
        d.via,
        d.from,
        d.to,
        d.cid,
        d.cseq,
        body.len()
    )
}

const UA: &str = "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n";
const SERVER: &str = "Server: kamailio (5.6.3 (x86_64/linux))\r\n";
const ALLOW: &str =
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, SUBSCRIBE, UPDATE, MESSAGE\r\n";

/// REGISTER, 401, REGISTER with credentials, 200.
pub fn registration(rng: &mut Rng, phone: IpAddr, provider: IpAddr, i: u64) -> Vec<(bool, Msg)> {
    let p = (phone, 5060);
    let s = (provider, 5060);
    let user = 31_201_000_000 + i;
    let cid = format!("{:016x}@{}", rng.next_u64(), host(phone));
    let tag = format!("{:08x}", rng.next_u64() as u32);
    let from = format!("\"{user}\" <sip:{user}@voip.example.net>;tag={tag}");
    let to = format!("\"{user}\" <sip:{user}@voip.example.net>");
    let via = |b: u64| format!("SIP/2.0/UDP {}:5060;branch=z9hG4bK{b:x};rport", host(phone));
    let contact = format!(
        "Contact: <sip:{user}@{}:5060>;reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-{:012x}>\"\r\nExpires: 300\r\n{UA}{ALLOW}",
        host(phone),
        i
    );
    let (b1, b2) = (rng.next_u64(), rng.next_u64());
    let r1 = request(
        "REGISTER",
        "sip:voip.example.net",
        &Dialog {
            via: &via(b1),
            from: &from,
            to: &to,
            cid: &cid,
            cseq: 1,
        },
        &contact,
        "",
    );
    let c = response(
        "401 Unauthorized",
        &Dialog {
            via: &via(b1),
            from: &from,
            to: &format!("{to};tag=kx1"),
            cid: &cid,
            cseq: 1,
        },
        "REGISTER",
        &format!(
            "WWW-Authenticate: Digest realm=\"voip.example.net\", nonce=\"{:016x}\", qop=\"auth\", algorithm=MD5\r\n{SERVER}",
            rng.next_u64()
        ),
        "",
    );
    let auth = format!(
        "{contact}Authorization: Digest username=\"{user}\", realm=\"voip.example.net\", nonce=\"0011223344556677\", uri=\"sip:voip.example.net\", response=\"{:016x}{:016x}\", algorithm=MD5, cnonce=\"abc\", qop=auth, nc=00000001\r\n",
        rng.next_u64(),
        rng.next_u64()
    );
    let r2 = request(
        "REGISTER",
        "sip:voip.example.net",
        &Dialog {
            via: &via(b2),
            from: &from,
            to: &to,
            cid: &cid,
            cseq: 2,
        },
        &auth,
        "",
    );
    let ok = response(
        "200 OK",
        &Dialog {
            via: &via(b2),
            from: &from,
            to: &format!("{to};tag=kx1"),
            cid: &cid,
            cseq: 2,
        },
        "REGISTER",
        &format!(
            "Contact: <sip:{user}@{}:5060>;expires=300\r\n{SERVER}",
            host(phone)
        ),
        "",
    );
    vec![
        (false, msg(p, s, r1)),
        (false, msg(s, p, c)),
        (false, msg(p, s, r2)),
        (false, msg(s, p, ok)),
    ]
}

/// A provider call to the phone: INVITE, 100, 180, 200, ACK, BYE, 200.
pub fn call(rng: &mut Rng, phone: IpAddr, provider: IpAddr, i: u64, big: bool) -> Vec<(bool, Msg)> {
    let p = (phone, 5060);
    let s = (provider, 5060);
    let user = 31_201_000_000 + i;
    let cid = format!(
        "{:016x}{:08x}@voip.example.net",
        rng.next_u64(),
        rng.next_u64() as u32
    );
    let from = format!(
        "\"Caller {}\" <sip:06{:08}@voip.example.net>;tag={:08x}",
        i % 97,
        rng.below(100_000_000),
        rng.next_u64() as u32
    );
    let to = format!("<sip:{user}@voip.example.net>");
    let to_t = format!("{to};tag={:08x}", rng.next_u64() as u32);
    let via = format!(
        "SIP/2.0/UDP {}:5060;branch=z9hG4bK{:x}",
        host(provider),
        rng.next_u64()
    );
    let ruri = format!("sip:{user}@{}:5060", host(phone));
    let body = sdp(
        provider,
        10_000 + rng.below(20_000) * 2,
        if big { 40 } else { 0 },
    );
    let extra = format!(
        "Contact: <sip:06@{}:5060>\r\nRecord-Route: <sip:{};lr>\r\n{SERVER}{ALLOW}Supported: replaces, timer\r\n",
        host(provider),
        host(provider)
    );
    let inv = request(
        "INVITE",
        &ruri,
        &Dialog {
            via: &via,
            from: &from,
            to: &to,
            cid: &cid,
            cseq: 101,
        },
        &extra,
        &body,
    );
    let trying = response(
        "100 Trying",
        &Dialog {
            via: &via,
            from: &from,
            to: &to,
            cid: &cid,
            cseq: 101,
        },
        "INVITE",
        "",
        "",
    );
    let ringing = response(
        "180 Ringing",
        &Dialog {
            via: &via,
            from: &from,
            to: &to_t,
            cid: &cid,
            cseq: 101,
        },
        "INVITE",
        &format!("Contact: <sip:{user}@{}:5060>\r\n{UA}", host(phone)),
        "",
    );
    let ok = response(
        "200 OK",
        &Dialog {
            via: &via,
            from: &from,
            to: &to_t,
            cid: &cid,
            cseq: 101,
        },
        "INVITE",
        &format!("Contact: <sip:{user}@{}:5060>\r\n{UA}{ALLOW}", host(phone)),
        &sdp(phone, 12_000, 0),
    );
    let via2 = format!(
        "SIP/2.0/UDP {}:5060;branch=z9hG4bK{:x}",
        host(provider),
        rng.next_u64()
    );
    let ack = request(
        "ACK",
        &ruri,
        &Dialog {
            via: &via2,
            from: &from,
            to: &to_t,
            cid: &cid,
            cseq: 101,
        },
        "",
        "",
    );
    let via3 = format!(
        "SIP/2.0/UDP {}:5060;branch=z9hG4bK{:x}",
        host(phone),
        rng.next_u64()
    );
    let bye = request(
        "BYE",
        "sip:06@voip.example.net",
        &Dialog {
            via: &via3,
            from: &to_t,
            to: &from,
            cid: &cid,
            cseq: 1,
        },
        UA,
        "",
    );
    let bye_ok = response(
        "200 OK",
        &Dialog {
            via: &via3,
            from: &to_t,
            to: &from,
            cid: &cid,
            cseq: 1,
        },
        "BYE",
        SERVER,
        "",
    );
    let mut first = msg(s, p, inv);
    first.fragment = big && provider.is_ipv4();
    vec![
        (false, first),
        (false, msg(p, s, trying)),
        (false, msg(p, s, ringing)),
        (false, msg(p, s, ok)),
        (false, msg(s, p, ack)),
        (false, msg(p, s, bye)),
        (false, msg(s, p, bye_ok)),
    ]
}

/// OPTIONS keep-alive from the provider and its 200.
pub fn keepalive(rng: &mut Rng, phone: IpAddr, provider: IpAddr, _i: u64) -> Vec<(bool, Msg)> {
    let p = (phone, 5060);
    let s = (provider, 5060);
    let cid = format!("{:016x}@voip.example.net", rng.next_u64());
    let via = format!(
        "SIP/2.0/UDP {}:5060;branch=z9hG4bK{:x}",
        host(provider),
        rng.next_u64()
    );
    let from = format!(
        "<sip:ping@voip.example.net>;tag={:08x}",
        rng.next_u64() as u32
    );
    let to = format!("<sip:{}>", host(phone));
    let o = request(
        "OPTIONS",
        &format!("sip:{}:5060", host(phone)),
        &Dialog {
            via: &via,
            from: &from,
            to: &to,
            cid: &cid,
            cseq: 1,
        },
        SERVER,
        "",
    );
    let ok = response(
        "200 OK",
        &Dialog {
            via: &via,
            from: &from,
            to: &format!("{to};tag=1"),
            cid: &cid,
            cseq: 1,
        },
        "OPTIONS",
        &format!("{UA}{ALLOW}"),
        "",
    );
    vec![(false, msg(s, p, o)), (false, msg(p, s, ok))]
}

fn attacker(n: u64, pool: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, (n % pool + 1) as u8))
}

/// svmap: OPTIONS to consecutive addresses, SIPVicious headers.
pub fn svmap(rng: &mut Rng, n: u64) -> Vec<(bool, Msg)> {
    let src = (attacker(n, 40), 5060);
    let target = Ipv4Addr::new(10, 0, (n / 200 % 16) as u8, (n % 200 + 2) as u8);
    let data = format!(
        "{}{:04x}\u{1}{}",
        target
            .octets()
            .iter()
            .map(|o| format!("{o:02x}"))
            .collect::<String>(),
        5060,
        rng.below(4_000_000_000)
    );
    let tag: String = data.bytes().map(|b| format!("{b:02x}")).collect();
    let via = format!(
        "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-{};rport",
        rng.below(4_000_000_000)
    );
    let from = format!("\"sipvicious\"<sip:100@1.1.1.1>;tag={tag}");
    let req = request(
        "OPTIONS",
        &format!("sip:100@{target}"),
        &Dialog {
            via: &via,
            from: &from,
            to: "\"sipvicious\"<sip:100@1.1.1.1>",
            cid: &format!("{}", rng.next_u64() % 1_000_000_000_000),
            cseq: 1,
        },
        "User-Agent: friendly-scanner\r\nContact: sip:100@203.0.113.1:5060\r\nAccept: application/sdp\r\n",
        "",
    );
    vec![(true, msg(src, (IpAddr::V4(target), 5060), req))]
}

/// svwar: REGISTER per extension, answered 404.
pub fn svwar(rng: &mut Rng, n: u64) -> Vec<(bool, Msg)> {
    let src = (attacker(n, 20), 5060);
    let dst = (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)), 5060);
    let ext = 100 + n % 900;
    let tag: String = format!("{ext}\u{1}{}", rng.below(4_000_000_000))
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let via = format!(
        "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-{};rport",
        rng.below(4_000_000_000)
    );
    let from = format!("\"{ext}\"<sip:{ext}@198.51.100.10>");
    let cid = format!("{}", rng.below(4_000_000_000));
    let req = request(
        "REGISTER",
        "sip:198.51.100.10",
        &Dialog {
            via: &via,
            from: &format!("{from};tag={tag}"),
            to: &from,
            cid: &cid,
            cseq: 1,
        },
        "User-Agent: friendly-scanner\r\nContact: sip:100@203.0.113.1:5060\r\n",
        "",
    );
    let nf = response(
        "404 Not Found",
        &Dialog {
            via: &via,
            from: &format!("{from};tag={tag}"),
            to: &format!("{from};tag=x1"),
            cid: &cid,
            cseq: 1,
        },
        "REGISTER",
        SERVER,
        "",
    );
    vec![(true, msg(src, dst, req)), (true, msg(dst, src, nf))]
}

/// svcrack: REGISTER with changing credentials, answered 403.
pub fn svcrack(rng: &mut Rng, n: u64) -> Vec<(bool, Msg)> {
    let src = (attacker(n, 10), 5062);
    let dst = (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)), 5060);
    let via = format!(
        "SIP/2.0/UDP 203.0.113.1:5062;branch=z9hG4bK-{};rport",
        rng.below(4_000_000_000)
    );
    let from = "\"1001\" <sip:1001@198.51.100.10>".to_string();
    let cid = format!("{}", rng.below(4_000_000_000));
    let auth = format!(
        "User-Agent: friendly-scanner\r\nContact: sip:1001@198.51.100.10\r\nAuthorization: Digest username=\"1001\",realm=\"voip.example.net\",nonce=\"{:x}\",uri=\"sip:198.51.100.10\",response=\"{:016x}{:016x}\",algorithm=MD5\r\n",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64()
    );
    let req = request(
        "REGISTER",
        "sip:198.51.100.10",
        &Dialog {
            via: &via,
            from: &format!("{from};tag=3206210844"),
            to: &from,
            cid: &cid,
            cseq: 2,
        },
        &auth,
        "",
    );
    let f = response(
        "403 Forbidden",
        &Dialog {
            via: &via,
            from: &format!("{from};tag=3206210844"),
            to: &format!("{from};tag=x2"),
            cid: &cid,
            cseq: 2,
        },
        "REGISTER",
        SERVER,
        "",
    );
    vec![(true, msg(src, dst, req)), (true, msg(dst, src, f))]
}

/// An INVITE flood toward one phone, spoofed mainstream User-Agent.
pub fn flood(rng: &mut Rng, n: u64) -> Vec<(bool, Msg)> {
    let src = (IpAddr::V4(Ipv4Addr::new(203, 0, 113, 250)), 5070);
    let phone = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    let cid = format!("{:032x}", u128::from(rng.next_u64()) << 64 | u128::from(n));
    let via = format!("SIP/2.0/UDP 203.0.113.250:5070;branch={:x}", rng.next_u64());
    let req = request(
        "INVITE",
        "sip:00972592123456@10.0.0.2",
        &Dialog {
            via: &via,
            from: &format!(
                "\"1000\" <sip:1000@203.0.113.250>;tag={:08x}",
                rng.next_u64() as u32
            ),
            to: "<sip:00972592123456@10.0.0.2>",
            cid: &cid,
            cseq: 1,
        },
        "User-Agent: Asterisk PBX\r\nContact: <sip:1000@203.0.113.250:5070>\r\n",
        &sdp(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 250)), 40_000, 0),
    );
    vec![(true, msg(src, (phone, 5060), req))]
}
