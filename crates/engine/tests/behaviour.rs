//! The engine's behaviour on hand-built traffic: each test plays a scenario
//! from the threat notes and checks the verdicts, ghost calls and causes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_engine::cause::CauseKind;
use ghostguard_engine::{Analysis, EngineConfig, Kind};

fn has_cause(a: &Analysis, k: CauseKind) -> bool {
    a.causes.iter().any(|c| c.cause == k)
}

/// svmap probing INVITEs through a port forward: the phone rings from
/// "sipvicious", the scanner is a malicious source, the cause is the forward.
#[test]
fn svmap_through_port_forward_is_a_ghost_call() {
    let mut lab = Lab::plain();
    register_ok(&mut lab, PHONE, PROVIDER, "31201234567", "reg-a1");
    lab.wait_ms(5_000);
    // svmap aims at the router's public address 198.51.100.1; DNAT delivers it to the phone.
    svmap_rings(&mut lab, 50);
    let a = lab.finish();

    let s = source(&a, "203.0.113.66");
    assert!(s.malicious);
    assert!(s.kinds.contains(&Kind::Scanner), "{:?}", s.kinds);
    assert!(
        s.tools.iter().any(|t| t.contains("SIPVicious")),
        "{:?}",
        s.tools
    );
    assert!(!s.internal);
    let p = source(&a, "198.51.100.10");
    assert!(!p.malicious, "the registrar must not be malicious");
    assert!(p.trusted.is_some(), "registrar inferred as trusted");

    assert_eq!(a.ghost_calls.len(), 1);
    let g = &a.ghost_calls[0];
    assert_eq!(g.phone.to_string(), "192.168.77.20");
    assert_eq!(g.caller, "100");
    assert_eq!(g.display.as_deref(), Some("sipvicious"));
    assert!(g.rang && !g.answered);

    let pf = a
        .causes
        .iter()
        .find(|c| c.cause == CauseKind::PortForward)
        .expect("port-forward cause");
    assert!(pf.confidence >= 90, "DNAT evidence makes it high: {pf:?}");
    let ev = &pf.evidence[0];
    assert!(
        ev.args
            .iter()
            .any(|(k, v)| *k == "addressed_to" && v == "198.51.100.1"),
        "{ev:?}"
    );
    assert!(has_cause(&a, CauseKind::OpenPhone));
    assert!(a.abuse_found());
}

/// svwar-style enumeration with the User-Agent and From changed: behaviour
/// alone must catch it.
#[test]
fn enumeration_with_changed_user_agent_is_caught_by_behaviour() {
    let mut lab = Lab::plain();
    for (i, ext) in (100..120).enumerate() {
        let from = format!("\"{ext}\" <sip:{ext}@pbx.example>;tag=t{i}x");
        let to = format!("\"{ext}\" <sip:{ext}@pbx.example>");
        let r = request(
            "REGISTER",
            "sip:pbx.example",
            &from,
            &to,
            &format!("cid{i}abc@host"),
            1,
            "User-Agent: Zoiper rv2.10.8.2",
            "",
        );
        lab.send("203.0.113.77:5071", "198.51.100.20:5060", &r);
        lab.wait_ms(100);
        lab.send(
            "198.51.100.20:5060",
            "203.0.113.77:5071",
            &response(404, "Not Found", &r, Some("x"), ""),
        );
        lab.wait_ms(100);
    }
    let a = lab.finish();
    let s = source(&a, "203.0.113.77");
    assert!(s.malicious);
    assert!(s.kinds.contains(&Kind::Enumeration), "{:?}", s.kinds);
    assert!(
        !s.kinds.contains(&Kind::Scanner),
        "no signature should have matched: {:?}",
        s.evidence
    );
    let pbx = source(&a, "198.51.100.20");
    assert!(!pbx.malicious);
}

/// Password guessing is a failure only after credentials were sent; the
/// first 401 challenge of a normal registration is not.
#[test]
fn bruteforce_counts_only_failed_credentials() {
    let mut lab = Lab::plain();
    // Legit phone: a challenge and a success.
    register_ok(&mut lab, "192.168.77.21:5060", PROVIDER, "1001", "okreg");
    // Attacker: 8 credentialed REGISTERs, each refused.
    for i in 0..8u32 {
        let r = request(
            "REGISTER",
            "sip:provider.example",
            "\"1001\" <sip:1001@provider.example>;tag=3206210844",
            "\"1001\" <sip:1001@provider.example>",
            "777001",
            i + 2,
            &format!(
                "Authorization: Digest username=\"1001\", realm=\"provider\", nonce=\"n{i}\", uri=\"sip:provider.example\", response=\"{i:032x}\""
            ),
            "",
        );
        lab.send("203.0.113.88:5060", PROVIDER, &r);
        lab.wait_ms(200);
        lab.send(
            PROVIDER,
            "203.0.113.88:5060",
            &response(403, "Forbidden", &r, Some("z"), ""),
        );
        lab.wait_ms(200);
    }
    let a = lab.finish();
    let att = source(&a, "203.0.113.88");
    assert!(att.malicious);
    assert!(att.kinds.contains(&Kind::Bruteforce), "{:?}", att.kinds);
    let phone = source(&a, "192.168.77.21");
    assert!(
        !phone.malicious,
        "a normal registration's 401 is not a failure: {:?}",
        phone.evidence
    );
    assert!(phone.evidence.iter().all(|e| e.kind != Kind::Bruteforce));
}

/// 50 phones behind one NAT address re-register at once after an outage.
#[test]
fn office_behind_nat_reregistering_is_not_malicious() {
    let mut lab = Lab::plain();
    for i in 0..50 {
        let port = 5060 + i;
        register_ok(
            &mut lab,
            &format!("198.51.100.99:{port}"),
            PROVIDER,
            &format!("{}", 200 + i),
            &format!("nat{i}"),
        );
    }
    let a = lab.finish();
    let office = source(&a, "198.51.100.99");
    assert!(!office.malicious, "{:?}", office.evidence);
    assert_eq!(office.requests, 100);
}

/// A LAN computer sweeping its neighbours: named as the infected host with
/// its MAC and vendor.
#[test]
fn lan_scanner_is_the_infected_host() {
    let mut lab = Lab::plain();
    lab.src_mac = Some([0x00, 0x00, 0x00, 0x12, 0x34, 0x56]); // an OUI with a known vendor
    for host in 1..=40u8 {
        let r = sweep_options(host);
        lab.send("192.168.77.30:5060", &format!("192.168.77.{host}:5060"), &r);
        lab.wait_ms(10);
    }
    let a = lab.finish();
    let pc = source(&a, "192.168.77.30");
    assert!(pc.malicious && pc.internal);
    assert!(pc.kinds.contains(&Kind::Sweep), "{:?}", pc.kinds);
    assert_eq!(pc.mac.as_deref(), Some("00:00:00:12:34:56"));
    assert_eq!(pc.vendor.as_deref(), Some("XEROX CORPORATION"));
    let c = &a.causes[0];
    assert_eq!(
        c.cause,
        CauseKind::InfectedHost,
        "the infected host comes first: {:?}",
        a.causes
    );
    assert!(
        c.evidence[0]
            .args
            .iter()
            .any(|(k, v)| *k == "mac" && v == "00:00:00:12:34:56")
    );
}

/// Toll fraud: one number dialled with walking prefixes.
#[test]
fn prefix_walking_is_toll_fraud() {
    let mut lab = Lab::plain();
    for (i, prefix) in ["", "0", "00", "9", "900", "011"].iter().enumerate() {
        let n = format!("{prefix}441632960123");
        let r = request(
            "INVITE",
            &format!("sip:{n}@198.51.100.20"),
            "<sip:1@198.51.100.20>;tag=q",
            &format!("<sip:{n}@198.51.100.20>"),
            &format!("tf{i}"),
            1,
            "User-Agent: Asterisk PBX",
            &sdp("-", "root", "203.0.113.50", 10000),
        );
        lab.send("203.0.113.50:5060", "198.51.100.20:5060", &r);
        lab.wait_ms(1000);
    }
    let a = lab.finish();
    let s = source(&a, "203.0.113.50");
    assert!(s.malicious);
    assert!(s.kinds.contains(&Kind::TollFraud));
    assert!(
        s.evidence.iter().any(|e| e.code == "prefix-walk"),
        "{:?}",
        s.evidence
    );
}

/// A flood of INVITEs from one source.
#[test]
fn invite_flood() {
    let mut lab = Lab::plain();
    for i in 0..150 {
        let r = request(
            "INVITE",
            "sip:phone@198.51.100.20",
            "<sip:a@b>;tag=1",
            "<sip:phone@198.51.100.20>",
            &format!("f{i}"),
            1,
            "",
            "",
        );
        lab.send("203.0.113.9:5060", "198.51.100.20:5060", &r);
        lab.wait_ms(20);
    }
    let a = lab.finish();
    let s = source(&a, "203.0.113.9");
    assert!(
        s.malicious && s.kinds.contains(&Kind::Flood),
        "{:?}",
        s.kinds
    );
}

/// The rewritten fields the SIP ALG cause names (panics without the cause).
fn alg_fields(a: &Analysis) -> String {
    let alg = a
        .causes
        .iter()
        .find(|c| c.cause == CauseKind::SipAlg)
        .expect("ALG cause");
    alg.evidence[0]
        .args
        .iter()
        .find(|(k, _)| *k == "fields")
        .expect("fields")
        .1
        .clone()
}

/// The same REGISTER seen on both sides of a router, Contact and Via
/// rewritten: a SIP ALG. Unchanged copies: plain NAT, no ALG.
#[test]
fn rewritten_copies_mean_sip_alg() {
    let mut lab = Lab::plain();
    lab.send(
        "192.168.77.20:5060",
        PROVIDER,
        &alg_register("192.168.77.20", 5060),
    );
    lab.wait_ms(1);
    lab.send(
        "198.51.100.1:1024",
        PROVIDER,
        &alg_register("198.51.100.1", 1024),
    );
    let a = lab.finish();
    let fields = alg_fields(&a);
    assert!(
        fields.contains("Via") && fields.contains("Contact"),
        "{fields}"
    );

    let mut lab = Lab::plain();
    lab.send(
        "192.168.77.20:5060",
        PROVIDER,
        &alg_register("192.168.77.20", 5060),
    );
    lab.wait_ms(1);
    lab.send(
        "198.51.100.1:1024",
        PROVIDER,
        &alg_register("192.168.77.20", 5060),
    );
    let a = lab.finish();
    assert!(
        !has_cause(&a, CauseKind::SipAlg),
        "plain NAT is not an ALG: {:?}",
        a.causes
    );
}

/// A de-registration (`Contact: *`, no SDP) has no address in Contact, but
/// an ALG still rewrites its Via: its two copies are compared too.
#[test]
fn a_deregistration_seen_on_both_sides_is_compared() {
    let dereg = |host: &str, port: u16| {
        alg_register(host, port)
            .replace(&format!("Contact: <sip:1001@{host}:{port}>"), "Contact: *")
    };
    let mut lab = Lab::plain();
    lab.send(
        "192.168.77.20:5060",
        PROVIDER,
        &dereg("192.168.77.20", 5060),
    );
    lab.wait_ms(1);
    lab.send("198.51.100.1:1024", PROVIDER, &dereg("198.51.100.1", 1024));
    let a = lab.finish();
    let fields = alg_fields(&a);
    assert!(
        fields.contains("Via") && !fields.contains("Contact"),
        "{fields}"
    );
}

/// One packet circulating with a falling TTL is a routing loop; SIP
/// retransmissions are not.
#[test]
fn falling_ttl_copies_are_a_loop_but_retransmissions_are_not() {
    let opt = loop_options();
    let mut lab = Lab::plain();
    for i in 0..30u8 {
        lab.ttl = 64 - 2 * i;
        lab.send("198.51.100.10:5060", PHONE, &opt);
        lab.wait_ms(1);
    }
    let a = lab.finish();
    assert!(has_cause(&a, CauseKind::Loop), "{:?}", a.causes);

    let mut lab = Lab::plain();
    for wait in [500, 1000, 2000, 4000, 4000, 4000] {
        lab.send("198.51.100.10:5060", PHONE, &opt);
        lab.wait_ms(wait);
    }
    let a = lab.finish();
    assert!(!has_cause(&a, CauseKind::Loop));
}

/// Calls from the provider to the phone are not ghost calls.
#[test]
fn provider_calls_are_not_ghost_calls() {
    let mut lab = Lab::plain();
    register_ok(&mut lab, PHONE, PROVIDER, "31201234567", "reg-p");
    lab.wait_ms(1000);
    let inv = provider_invite();
    lab.send(PROVIDER, PHONE, &inv);
    lab.send(
        PHONE,
        PROVIDER,
        &response(180, "Ringing", &inv, Some("ph"), ""),
    );
    lab.send(PHONE, PROVIDER, &response(200, "OK", &inv, Some("ph"), ""));
    let a = lab.finish();
    assert!(a.ghost_calls.is_empty(), "{:?}", a.ghost_calls);
    assert!(a.sources.iter().all(|s| !s.malicious));
    assert!(!a.abuse_found());
}

/// With explicit trusted servers, a call from elsewhere is a ghost call even
/// without any signature, and the evidence shows it answered.
#[test]
fn explicit_trusted_servers() {
    let cfg = EngineConfig {
        trusted: vec!["198.51.100.0/24".parse().unwrap()],
        ..EngineConfig::default()
    };
    let mut lab = Lab::new(cfg);
    lab.send(
        PHONE,
        PROVIDER,
        &request(
            "OPTIONS",
            "sip:provider.example",
            "<sip:p@x>;tag=1",
            "<sip:p@x>",
            "ka",
            1,
            "",
            "",
        ),
    );
    let inv = request(
        "INVITE",
        "sip:2000@192.168.77.20",
        "\"2000\" <sip:2000@203.0.113.5>;tag=g",
        "<sip:2000@192.168.77.20>",
        "gc1",
        1,
        "",
        "",
    );
    lab.send("203.0.113.5:5070", PHONE, &inv);
    lab.send(
        PHONE,
        "203.0.113.5:5070",
        &response(200, "OK", &inv, Some("t"), ""),
    );
    let a = lab.finish();
    assert_eq!(a.ghost_calls.len(), 1);
    assert!(a.ghost_calls[0].answered);
    let s = source(&a, "203.0.113.5");
    assert!(s.malicious && s.kinds.contains(&Kind::GhostCall), "{s:?}");
}

/// Garbage is evidence, never a panic, and nothing before it is lost.
#[test]
fn unparseable_messages_are_counted() {
    let mut lab = Lab::plain();
    lab.send(
        "203.0.113.1:5060",
        PHONE,
        "INVITE sip:x SIP/2.0\nVia: garbage\n\n",
    );
    lab.send("203.0.113.1:5060", PHONE, "OPTIONS \u{0} SIP/2.0\n\n");
    let a = lab.finish();
    let s = source(&a, "203.0.113.1");
    assert_eq!(s.messages, 2);
    assert!(s.malformed >= 1);
    assert!(!s.malicious);
}

/// A packet older than the first one (merged or out-of-order captures)
/// counts in the first second; it does not shift the rest of the timeline.
#[test]
fn timeline_survives_time_going_backwards() {
    let mut lab = Lab::plain();
    let opt = |i: u32| {
        request(
            "OPTIONS",
            "sip:192.168.77.20",
            "<sip:a@b>;tag=1",
            "<sip:c@d>",
            &format!("tl{i}"),
            1,
            "",
            "",
        )
    };
    let start = lab.now;
    lab.send(PROVIDER, PHONE, &opt(1));
    lab.now = ghostguard_packet::Timestamp::from_nanos(start.as_nanos() - 3_600_000_000_000);
    lab.send(PROVIDER, PHONE, &opt(2));
    lab.now = start.add(ghostguard_packet::Span::from_secs(100));
    lab.send(PROVIDER, PHONE, &opt(3));
    let a = lab.finish();
    let t = &a.timeline;
    assert_eq!(t.start, start, "the origin stays at the first message");
    assert_eq!(t.requests.iter().sum::<u64>(), 3);
    assert_eq!(
        t.requests[0], 2,
        "the older packet lands in the first bucket"
    );
    let secs_covered = t.requests.len() as u64 * t.bucket_secs;
    assert!(
        (100..=340).contains(&secs_covered),
        "covers ~100 s, not an hour more: {secs_covered}"
    );
}
