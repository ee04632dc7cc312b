//! Second-reader findings: ways an attacker (or ordinary traffic) could bend
//! the trust model or the brute-force verdict. Each test plays the case.

mod common;

use common::*;
use ghostguard_engine::Kind;
use ghostguard_engine::cause::CauseKind;

/// The phone calls the ghost caller back and the scanner answers: the
/// scanner must not become a trusted "outbound proxy".
#[test]
fn calling_a_scanner_back_does_not_trust_it() {
    let mut lab = Lab::plain();
    register_ok(&mut lab, PHONE, PROVIDER, "31201234567", "reg-cb");
    svmap_rings(&mut lab, 0);
    lab.wait_ms(10_000);
    let back = request(
        "INVITE",
        "sip:100@203.0.113.66",
        "<sip:31201234567@192.168.77.20>;tag=cb",
        "<sip:100@203.0.113.66>",
        "callback-1",
        1,
        "",
        "",
    );
    lab.send(PHONE, SCANNER, &back);
    lab.send(
        SCANNER,
        PHONE,
        &response(180, "Ringing", &back, Some("s"), ""),
    );
    let a = lab.finish();
    let s = source(&a, "203.0.113.66");
    assert!(s.malicious && s.trusted.is_none(), "{s:?}");
    assert_eq!(a.ghost_calls.len(), 1);
}

/// Two outside hosts registering with each other cannot make their /24 trusted.
#[test]
fn outside_hosts_cannot_vouch_for_each_other() {
    let mut lab = Lab::plain();
    // Internet hosts arrive routed: their TTL is no longer an initial value.
    lab.ttl = 52;
    register_ok(
        &mut lab,
        "203.0.113.67:5060",
        "203.0.113.68:5060",
        "x",
        "pair",
    );
    lab.ttl = 64;
    svmap_rings(&mut lab, 0);
    let a = lab.finish();
    assert!(source(&a, "203.0.113.66").malicious);
    assert!(source(&a, "203.0.113.68").trusted.is_none());
}

/// An on-site PBX is a registrar, but its /24 (the LAN) is not trusted: a
/// scanning PC next to it is still the infected host.
#[test]
fn on_site_registrar_does_not_trust_the_lan() {
    let mut lab = Lab::plain();
    register_ok(&mut lab, PHONE, "192.168.77.5:5060", "201", "pbx-reg");
    lab.src_mac = Some([0x00, 0x14, 0x22, 0x4c, 0x9a, 0x31]);
    for host in 1..=40u8 {
        lab.send(
            "192.168.77.30:5060",
            &format!("192.168.77.{host}:5060"),
            &sweep_options(host),
        );
        lab.wait_ms(10);
    }
    let a = lab.finish();
    let pc = source(&a, "192.168.77.30");
    assert!(pc.malicious && pc.trusted.is_none(), "{pc:?}");
    assert_eq!(a.causes[0].cause, CauseKind::InfectedHost);
    assert!(
        source(&a, "192.168.77.5").trusted.is_some(),
        "the PBX itself is the registrar"
    );
}

/// A phone whose nonce goes stale every hour (401 stale=true, then 200) is
/// not guessing passwords.
#[test]
fn stale_nonce_refreshes_are_not_password_guessing() {
    let mut lab = Lab::plain();
    register_ok(&mut lab, PHONE, PROVIDER, "1001", "first");
    for h in 0..6u32 {
        lab.wait_ms(3_600_000);
        let auth = "Contact: <sip:1001@192.168.77.20>\nAuthorization: Digest username=\"1001\", realm=\"p\", nonce=\"old\", uri=\"sip:p\", response=\"00\"";
        let r = request(
            "REGISTER",
            "sip:provider.example",
            "<sip:1001@provider.example>;tag=r",
            "<sip:1001@provider.example>",
            "refresh",
            10 + 2 * h,
            auth,
            "",
        );
        lab.send(PHONE, PROVIDER, &r);
        lab.send(
            PROVIDER,
            PHONE,
            &response(
                401,
                "Unauthorized",
                &r,
                Some("x"),
                "WWW-Authenticate: Digest realm=\"p\", nonce=\"new\", stale=true, qop=\"auth\"",
            ),
        );
        let r2 = request(
            "REGISTER",
            "sip:provider.example",
            "<sip:1001@provider.example>;tag=r",
            "<sip:1001@provider.example>",
            "refresh",
            11 + 2 * h,
            auth,
            "",
        );
        lab.send(PHONE, PROVIDER, &r2);
        lab.send(PROVIDER, PHONE, &response(200, "OK", &r2, Some("x"), ""));
    }
    let a = lab.finish();
    let p = source(&a, "192.168.77.20");
    assert!(!p.malicious, "{:?}", p.evidence);
    assert!(
        p.evidence.iter().all(|e| e.kind != Kind::Bruteforce),
        "{:?}",
        p.evidence
    );
    assert!(
        a.phones
            .iter()
            .any(|ph| ph.address.to_string() == "192.168.77.20")
    );
}
