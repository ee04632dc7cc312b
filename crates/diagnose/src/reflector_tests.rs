#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
use std::net::IpAddr;

use super::*;
use crate::wire::{RequestParams, echo_request, parse_reply, probe_request};

const SRC: &str = "198.51.100.1:40000";

fn params(token: Option<&'static str>) -> RequestParams<'static> {
    RequestParams {
        transport: Transport::Tcp,
        local: "192.0.2.50:40000".parse().unwrap(),
        reflector: "198.51.100.10:5060".parse().unwrap(),
        id: "t1",
        token,
    }
}

fn inbound(bytes: &[u8], t: Transport, now: Instant) -> Inbound<'_> {
    Inbound {
        transport: t,
        src: SRC.parse().unwrap(),
        local: "0.0.0.0:5060".parse().unwrap(),
        bytes,
        now,
    }
}

fn reflector(extra: &str) -> Reflector {
    let cfg = ReflectorConfig::parse(extra).unwrap();
    let token = cfg.auth.token.clone();
    Reflector::new(cfg, token)
}

#[test]
fn echo_returns_the_exact_bytes_within_the_bound() {
    let mut r = reflector("");
    let req = echo_request(&params(None), 4000);
    let Decision::Reply(bytes) = r.handle(&inbound(&req, Transport::Udp, Instant::now())) else {
        panic!("no reply");
    };
    assert!(bytes.len() <= req.len() + MAX_OVERHEAD);
    let (reply, _) = parse_reply(&bytes).unwrap().unwrap();
    assert_eq!(reply.code, ReplyCode::Echo);
    assert_eq!(reply.echoed, req);
    assert_eq!(reply.observed.unwrap().1, SRC.parse().unwrap());
}

#[test]
fn probes_only_the_requester_on_allowed_ports() {
    let mut r = reflector("");
    let now = Instant::now();
    let own = probe_request(&params(None), 5060, None);
    match r.handle(&inbound(&own, Transport::Tcp, now)) {
        Decision::Probe(p) => {
            assert_eq!(p.target, "198.51.100.1:5060".parse().unwrap());
            let msg = p.message("198.51.100.10:41000".parse().unwrap());
            assert!(
                msg.len() <= own.len(),
                "a probe is never larger than its request"
            );
        }
        d => panic!("{d:?}"),
    }
    let other: IpAddr = "203.0.113.9".parse().unwrap();
    for req in [
        probe_request(&params(None), 5060, Some(other)),
        probe_request(&params(None), 22, None),
    ] {
        let Decision::Reply(b) = r.handle(&inbound(&req, Transport::Tcp, now)) else {
            panic!("refusal expected");
        };
        assert_eq!(
            parse_reply(&b).unwrap().unwrap().0.code,
            ReplyCode::Forbidden
        );
    }
    // Over UDP the source could be forged: refused by default.
    let Decision::Reply(b) = r.handle(&inbound(&own, Transport::Udp, now)) else {
        panic!("refusal expected");
    };
    assert_eq!(
        parse_reply(&b).unwrap().unwrap().0.code,
        ReplyCode::Forbidden
    );
}

#[test]
fn rate_limits_drop_silently_and_probe_budget_is_separate() {
    let mut r = reflector("[limits]\nburst = 3\nrequests_per_second = 1.0\nprobe_burst = 1\n");
    let now = Instant::now();
    let req = probe_request(&params(None), 5060, None);
    let d: Vec<Decision> = (0..5)
        .map(|_| r.handle(&inbound(&req, Transport::Tcp, now)))
        .collect();
    assert!(matches!(d[0], Decision::Probe(_)));
    // The second probe to the same address is over the probe budget.
    let Decision::Reply(b) = &d[1] else {
        panic!("{:?}", d[1])
    };
    assert_eq!(parse_reply(b).unwrap().unwrap().0.code, ReplyCode::Busy);
    assert!(matches!(d[2], Decision::Reply(_)));
    assert_eq!(d[3], Decision::Drop(DropReason::RateLimited));
    assert_eq!(d[4], Decision::Drop(DropReason::RateLimited));
    // A second later one more request is allowed.
    let later = now + Duration::from_millis(1100);
    assert!(!matches!(
        r.handle(&inbound(&req, Transport::Tcp, later)),
        Decision::Drop(_)
    ));
}

#[test]
fn token_oversize_and_junk() {
    let mut r = reflector("[auth]\ntoken = \"s3cret\"\n");
    let now = Instant::now();
    let bad = echo_request(&params(Some("guess")), 4000);
    let Decision::Reply(b) = r.handle(&inbound(&bad, Transport::Udp, now)) else {
        panic!()
    };
    let reply = parse_reply(&b).unwrap().unwrap().0;
    assert_eq!(reply.code, ReplyCode::Unauthorized);
    assert!(reply.echoed.is_empty() && b.len() <= bad.len());
    let good = echo_request(&params(Some("s3cret")), 4000);
    assert!(matches!(
        r.handle(&inbound(&good, Transport::Udp, now)),
        Decision::Reply(_)
    ));
    let none = echo_request(&params(None), 4000);
    let Decision::Reply(b) = r.handle(&inbound(&none, Transport::Udp, now)) else {
        panic!()
    };
    assert_eq!(
        parse_reply(&b).unwrap().unwrap().0.code,
        ReplyCode::Unauthorized
    );
    let big = vec![b'A'; 5000];
    assert_eq!(
        r.handle(&inbound(&big, Transport::Udp, now)),
        Decision::Drop(DropReason::TooLarge)
    );
    let junk = b"OPTIONS sip:x SIP/2.0\r\n\r\n";
    assert_eq!(
        r.handle(&inbound(junk, Transport::Udp, now)),
        Decision::Drop(DropReason::NotATest)
    );
}

#[test]
fn answers_are_classified() {
    let ok = b"SIP/2.0 200 OK\r\nServer: Yealink SIP-T46S\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        classify_answer(ok),
        ProbeOutcome::Answered {
            status: 200,
            agent: "Yealink SIP-T46S".into()
        }
    );
    assert_eq!(classify_answer(b"\x00\x01hello"), ProbeOutcome::NonSip);
}

fn callback_req(after: u32) -> Vec<u8> {
    let mut p = params(None);
    p.transport = Transport::Udp;
    crate::wire::callback_request(&p, after)
}

#[test]
fn callback_goes_once_to_the_asking_port_no_larger_than_the_request() {
    let mut r = reflector("");
    let t0 = Instant::now();
    let via: SocketAddr = "0.0.0.0:5060".parse().unwrap();
    let req = callback_req(20);
    let Decision::Reply(ack) = r.handle(&inbound(&req, Transport::Udp, t0)) else {
        panic!("no ack");
    };
    assert!(ack.len() <= req.len());
    let (a, _) = parse_reply(&ack).unwrap().unwrap();
    assert_eq!((a.code, a.after), (ReplyCode::Scheduled, Some(20)));
    assert_eq!(r.next_callback(via), Some(t0 + Duration::from_secs(20)));
    assert!(r.due_callback(via, t0 + Duration::from_secs(19)).is_none());
    let (to, bytes) = r.due_callback(via, t0 + Duration::from_secs(20)).unwrap();
    assert_eq!(
        to,
        SRC.parse().unwrap(),
        "only the exact source address:port"
    );
    assert!(bytes.len() <= req.len());
    let (c, _) = parse_reply(&bytes).unwrap().unwrap();
    assert_eq!((c.code, c.after), (ReplyCode::Callback, Some(20)));
    assert!(
        r.due_callback(via, t0 + Duration::from_secs(99)).is_none(),
        "one datagram"
    );
}

#[test]
fn callbacks_are_udp_only_bounded_in_wait_and_per_source() {
    let mut r = reflector("[limits]\nmax_callbacks_per_source = 2\ncallback_burst = 10\n");
    let t0 = Instant::now();
    let code = |d: Decision| match d {
        Decision::Reply(b) => parse_reply(&b).unwrap().unwrap().0.code,
        other => panic!("{other:?}"),
    };
    let req = callback_req(20);
    assert_eq!(
        code(r.handle(&inbound(&req, Transport::Tcp, t0))),
        ReplyCode::Forbidden
    );
    assert_eq!(
        code(r.handle(&inbound(&callback_req(181), Transport::Udp, t0))),
        ReplyCode::BadRequest
    );
    assert_eq!(
        code(r.handle(&inbound(&callback_req(0), Transport::Udp, t0))),
        ReplyCode::BadRequest
    );
    assert_eq!(
        code(r.handle(&inbound(&req, Transport::Udp, t0))),
        ReplyCode::Scheduled
    );
    assert_eq!(
        code(r.handle(&inbound(&req, Transport::Udp, t0))),
        ReplyCode::Scheduled
    );
    assert_eq!(
        code(r.handle(&inbound(&req, Transport::Udp, t0))),
        ReplyCode::Busy
    );
    assert_eq!(r.pending_callbacks(), 2);
    // A request too short to carry the callback gets nothing.
    let short = b"OPTIONS sip:a@b SIP/2.0\r\nX-Ghostguard-Test: callback;after=5\r\n\r\n";
    assert!(matches!(
        r.handle(&inbound(short, Transport::Udp, t0)),
        Decision::Drop(DropReason::TooShortToRefuse)
    ));
}

#[test]
fn callbacks_are_rate_limited_and_can_be_switched_off() {
    let mut r = reflector("[limits]\ncallback_burst = 2\ncallbacks_per_minute = 1.0\n");
    let t0 = Instant::now();
    let req = callback_req(5);
    let n = (0..5)
        .filter(|_| {
            matches!(r.handle(&inbound(&req, Transport::Udp, t0)),
                Decision::Reply(b) if parse_reply(&b).unwrap().unwrap().0.code == ReplyCode::Scheduled)
        })
        .count();
    assert_eq!(n, 2);
    let mut off = reflector("[limits]\nmax_pending_callbacks = 0\n");
    let Decision::Reply(b) = off.handle(&inbound(&req, Transport::Udp, t0)) else {
        panic!("no refusal");
    };
    assert_eq!(
        parse_reply(&b).unwrap().unwrap().0.code,
        ReplyCode::Forbidden
    );
}
