#![allow(clippy::unwrap_used)]
use ghostguard_sip::Method;

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

#[test]
fn callback_request_round_trips_and_rejects_bad_waits() {
    let req = callback_request(&params(Transport::Udp), 45);
    let r = parse_request(&req).unwrap();
    assert_eq!(r.test, Test::Callback { after: 45 });
    assert_eq!(r.token.as_deref(), Some("s3cret"));
    let bad = String::from_utf8(req).unwrap();
    for (from, to) in [
        ("after=45", "after=x"),
        ("after=45", "wait=45"),
        (";after=45", ""),
    ] {
        let b = bad.replace(from, to);
        assert!(
            matches!(
                parse_request(b.as_bytes()),
                Err(WireError::BadProbeParam(_))
            ),
            "{to}"
        );
    }
}
