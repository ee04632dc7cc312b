//! The situations the provider texts describe, built by hand.

use ghostguard_engine::Analysis;
use ghostguard_engine::Kind;
use ghostguard_engine::cause::CauseKind;

use super::*;

pub fn nothing_found() -> Analysis {
    analysis(Vec::new(), Vec::new(), Vec::new(), vec![1; 60])
}

/// SIPVicious svmap from the internet rings the phone through a port
/// forward; an svwar run walks extensions the same way.
pub fn svmap_port_forward() -> Analysis {
    let mut svmap = source(SVMAP, false, 120, 125, 3, "INVITE");
    svmap.malicious = true;
    svmap.confidence = 95;
    svmap.kinds = vec![Kind::Scanner, Kind::GhostCall];
    svmap.tools = vec!["SIPVicious".into(), "SIPVicious svmap".into()];
    svmap.user_agents = vec!["friendly-scanner".into()];
    svmap.evidence = vec![
        ev(
            Kind::Scanner,
            95,
            "sipvicious-tag",
            120,
            3,
            &[("tool", "SIPVicious svmap"), ("target", "203.0.113.7:5060")],
        ),
        ev(
            Kind::Scanner,
            95,
            "signature",
            120,
            3,
            &[
                ("rule", "sipvicious-display"),
                ("tool", "SIPVicious"),
                ("field", "from-display"),
                ("value", "sipvicious"),
            ],
        ),
        ev(
            Kind::GhostCall,
            60,
            "ghost-calls",
            120,
            3,
            &[("calls", "3"), ("rang", "3")],
        ),
    ];
    let mut svwar = source(SVWAR, false, 300, 330, 320, "REGISTER");
    svwar.malicious = true;
    svwar.confidence = 80;
    svwar.kinds = vec![Kind::Enumeration, Kind::Flood];
    svwar.evidence = vec![
        ev(
            Kind::Enumeration,
            80,
            "distinct-users",
            301,
            290,
            &[
                ("users", "300"),
                ("window_secs", "10"),
                ("sample", "100, 101, 102, 103, 104, 105, 106, 107"),
            ],
        ),
        ev(
            Kind::Flood,
            80,
            "request-rate",
            302,
            1,
            &[("requests", "320"), ("window_secs", "10")],
        ),
    ];
    let calls = vec![
        call(SVMAP, PHONE, 120, "100", Some("sipvicious"), false),
        call(SVMAP, PHONE, 122, "100", Some("sipvicious"), true),
        call(SVMAP, PHONE, 125, "100", Some("sipvicious"), false),
    ];
    let causes = vec![
        cause(
            CauseKind::PortForward,
            90,
            vec![
                cev(
                    "inbound-from-internet",
                    &[
                        ("source", SVMAP),
                        ("destination", "192.168.1.20:5060"),
                        ("requests", "3"),
                        ("addressed_to", PUBLIC),
                        ("scanner_target", "203.0.113.7:5060"),
                    ],
                ),
                cev(
                    "inbound-from-internet",
                    &[
                        ("source", SVWAR),
                        ("destination", "192.168.1.20:5060"),
                        ("requests", "320"),
                    ],
                ),
            ],
        ),
        cause(
            CauseKind::OpenPhone,
            80,
            vec![cev(
                "phone-rang-for-stranger",
                &[("phone", PHONE), ("calls", "3")],
            )],
        ),
    ];
    let mut requests = vec![1; 60];
    requests[12] = 4;
    requests[30..34].copy_from_slice(&[80, 90, 80, 70]);
    analysis(vec![svmap, svwar], calls, causes, requests)
}

/// A Raspberry Pi inside the LAN scans its neighbours and rings two phones.
pub fn infected_host() -> Analysis {
    let mut pi = source(INFECTED, true, 200, 260, 812, "OPTIONS");
    pi.malicious = true;
    pi.confidence = 95;
    pi.kinds = vec![
        Kind::Scanner,
        Kind::Enumeration,
        Kind::Sweep,
        Kind::GhostCall,
    ];
    pi.mac = Some(INFECTED_MAC.into());
    pi.vendor = Some("Raspberry Pi Foundation".into());
    pi.tools = vec!["SIPVicious".into()];
    pi.user_agents = vec!["friendly-scanner".into()];
    pi.evidence = vec![
        ev(
            Kind::Scanner,
            95,
            "signature",
            200,
            812,
            &[
                ("rule", "sipvicious-ua"),
                ("tool", "SIPVicious"),
                ("field", "user-agent"),
                ("value", "friendly-scanner"),
            ],
        ),
        ev(
            Kind::Sweep,
            80,
            "distinct-destinations",
            201,
            1,
            &[
                ("destinations", "254"),
                ("hosts", "254"),
                ("window_secs", "10"),
            ],
        ),
        ev(
            Kind::Enumeration,
            80,
            "distinct-users",
            230,
            1,
            &[
                ("users", "100"),
                ("window_secs", "10"),
                ("sample", "1000, 1001, 1002"),
            ],
        ),
        ev(
            Kind::Scanner,
            70,
            "sipvicious-shape",
            200,
            812,
            &[("tool", "SIPVicious"), ("branch", "z9hG4bK-2141325877")],
        ),
        ev(
            Kind::GhostCall,
            40,
            "ghost-calls",
            240,
            2,
            &[("calls", "2"), ("rang", "2")],
        ),
    ];
    let calls = vec![
        call(INFECTED, PHONE, 240, "1000", None, false),
        call(INFECTED, "192.168.1.21", 241, "1000", None, false),
    ];
    let causes = vec![
        cause(
            CauseKind::InfectedHost,
            90,
            vec![cev(
                "internal-attacker",
                &[
                    ("address", INFECTED),
                    ("kinds", "scanner, enumeration, sweep, ghost-call"),
                    ("messages", "812"),
                    ("mac", INFECTED_MAC),
                    ("vendor", "Raspberry Pi Foundation"),
                ],
            )],
        ),
        cause(
            CauseKind::OpenPhone,
            80,
            vec![
                cev(
                    "phone-rang-for-stranger",
                    &[("phone", PHONE), ("calls", "1")],
                ),
                cev(
                    "phone-rang-for-stranger",
                    &[("phone", "192.168.1.21"), ("calls", "1")],
                ),
            ],
        ),
    ];
    let mut requests = vec![1; 60];
    requests[20..26].copy_from_slice(&[150, 160, 170, 150, 100, 82]);
    analysis(vec![pi], calls, causes, requests)
}

/// The router's SIP ALG rewrites the phone's REGISTER on the way out.
pub fn alg_rewrite() -> Analysis {
    let causes = vec![cause(
        CauseKind::SipAlg,
        90,
        vec![
            cev(
                "sip-rewritten",
                &[("messages", "14"), ("fields", "Via, Contact, SDP c=")],
            ),
            cev(
                "rewrite-sample",
                &[
                    ("fields", "Contact"),
                    ("before", "<sip:201@192.168.1.20:5060>"),
                    ("after", "<sip:201@203.0.113.7:1024>"),
                    ("time", "2026-11-20T14:01:40.000Z"),
                ],
            ),
        ],
    )];
    analysis(Vec::new(), Vec::new(), causes, vec![1; 60])
}

/// Attacker-controlled strings that try to break out of every format.
pub fn hostile() -> Analysis {
    let mut a = svmap_port_forward();
    for g in &mut a.ghost_calls {
        g.display = Some("<script>alert(1)</script>".into());
        g.caller = "\u{1b}[2J\u{1b}]0;pwned\u{7}100".into();
        g.user_agent = Some("Mozilla \"quoted\" 'single' http://evil.example/x".into());
    }
    a.sources[0].user_agents = vec!["<img src=x onerror=alert(2)> \"q\" \u{1b}[31mred".into()];
    a.sources[0].evidence[1] = ev(
        Kind::Scanner,
        95,
        "signature",
        120,
        1,
        &[
            ("rule", "r"),
            ("tool", "T"),
            ("field", "user-agent"),
            ("value", "</li><script>x</script>\u{202e}"),
        ],
    );
    a
}
