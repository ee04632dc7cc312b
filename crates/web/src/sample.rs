//! A sample store: two sites, a week of typical attacks (scanners, extension
//! enumeration, password guessing, toll fraud, ghost calls), bans of every
//! origin and guard heartbeats. Only documentation addresses (RFC 5737,
//! RFC 3849) and private LAN addresses. Deterministic but for `now`.
//!
//! `ghostguard serve sample-store PATH` writes one; the shipped
//! `examples/sample/ghostguard.db` was made with it.

use std::net::IpAddr;

use ghostguard_store::{
    BanOrigin, EngineStats, GuardStats, Heartbeat, MessageCount, NewBan, NewGhostCall, NewIncident,
    Store, StoreError, UnixMillis,
};

use crate::clock::{DAY, HOUR, MINUTE};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::from([192, 0, 2, 1]))
}

/// A small deterministic generator (numbers for a sample, not secrets).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

fn sip(method: &str, ruri: &str, from_user: &str, ua: &str, src: &str) -> String {
    format!(
        "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {src}:5060;branch=z9hG4bK-{n}\r\nFrom: \"{from_user}\" <sip:{from_user}@{src}>;tag=1\r\nTo: <{ruri}>\r\nCall-ID: {n}@{src}\r\nCSeq: 1 {method}\r\nUser-Agent: {ua}\r\nContent-Length: 0\r\n\r\n",
        n = ruri.len() * 7919 + from_user.len()
    )
}

struct Attacker {
    src: &'static str,
    kind: &'static str,
    detector: &'static str,
    code: &'static str,
    confidence: u8,
    ua: &'static str,
    method: &'static str,
    ruri: &'static str,
    args: &'static [(&'static str, &'static str)],
}

const ATTACKERS: &[Attacker] = &[
    Attacker {
        src: "198.51.100.23",
        kind: "scanner",
        detector: "signature",
        code: "user-agent",
        confidence: 95,
        ua: "friendly-scanner",
        method: "OPTIONS",
        ruri: "sip:100@203.0.113.10",
        args: &[
            ("user_agent", "friendly-scanner"),
            ("tool", "SIPVicious svmap"),
        ],
    },
    Attacker {
        src: "198.51.100.77",
        kind: "enumeration",
        detector: "enumeration",
        code: "many-users",
        confidence: 90,
        ua: "sipcli/v1.8",
        method: "REGISTER",
        ruri: "sip:203.0.113.10",
        args: &[("users", "412"), ("window", "60s")],
    },
    Attacker {
        src: "203.0.113.45",
        kind: "bruteforce",
        detector: "bruteforce",
        code: "auth-failures",
        confidence: 92,
        ua: "Z 5.2.28",
        method: "REGISTER",
        ruri: "sip:203.0.113.10",
        args: &[("failures", "1830"), ("user", "201")],
    },
    Attacker {
        src: "203.0.113.200",
        kind: "toll-fraud",
        detector: "toll-fraud",
        code: "premium-destination",
        confidence: 85,
        ua: "pplsip",
        method: "INVITE",
        ruri: "sip:0097259123456@203.0.113.10",
        args: &[("dialled", "0097259123456"), ("country", "PS")],
    },
    Attacker {
        src: "2001:db8:bad::15",
        kind: "scanner",
        detector: "signature",
        code: "user-agent",
        confidence: 95,
        ua: "sipsak 0.9.6",
        method: "OPTIONS",
        ruri: "sip:100@[2001:db8::10]",
        args: &[("user_agent", "sipsak 0.9.6")],
    },
    Attacker {
        src: "198.51.100.140",
        kind: "flood",
        detector: "flood",
        code: "request-rate",
        confidence: 70,
        ua: "VaxSIPUserAgent/3.1",
        method: "INVITE",
        ruri: "sip:1000@203.0.113.10",
        args: &[("rate", "480/s"), ("limit", "50/s")],
    },
    Attacker {
        src: "203.0.113.99",
        kind: "ghost-call",
        detector: "ghost",
        code: "ghost-call",
        confidence: 80,
        ua: "",
        method: "INVITE",
        ruri: "sip:100@192.168.1.21",
        args: &[("phone", "192.168.1.21"), ("caller", "100")],
    },
    Attacker {
        src: "198.51.100.5",
        kind: "sweep",
        detector: "sweep",
        code: "many-hosts",
        confidence: 55,
        ua: "",
        method: "OPTIONS",
        ruri: "sip:100@203.0.113.11",
        args: &[("hosts", "24")],
    },
];

/// Fills `store` with the sample, times up to `now`.
///
/// # Errors
/// Store errors.
pub async fn fill(store: &Store, now: UnixMillis) -> Result<(), StoreError> {
    let mut rng = Lcg(0x6768_6f73_7467_7561);
    for (n, a) in ATTACKERS.iter().enumerate() {
        for (k, site) in ["office", "branch"].iter().enumerate() {
            if (n + k) % 3 == 2 {
                continue; // not every attacker hits both sites
            }
            let first = now - 7 * DAY + i64::try_from(rng.next(6 * 24)).unwrap_or(0) * HOUR;
            let last =
                (first + i64::try_from(rng.next(30 * 60)).unwrap_or(0) * MINUTE).min(now - MINUTE);
            let args: serde_json::Map<String, serde_json::Value> = a
                .args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).into()))
                .collect();
            let ua = if a.ua.is_empty() { "-" } else { a.ua };
            let evidence = serde_json::json!({
                "detector": a.detector, "kind": a.kind, "confidence": a.confidence, "code": a.code,
                "args": args,
                "messages": [sip(a.method, a.ruri, "100", ua, a.src), sip(a.method, a.ruri, "101", ua, a.src)],
            });
            store
                .record_incident(&NewIncident {
                    site: (*site).into(),
                    source: ip(a.src),
                    kind: a.kind.into(),
                    detector: a.detector.into(),
                    code: a.code.into(),
                    confidence: a.confidence,
                    evidence: evidence.to_string(),
                    first_seen: first,
                    last_seen: last,
                    count: 1 + rng.next(5000),
                    internal: false,
                    mac: None,
                    vendor: None,
                })
                .await?;
            if a.confidence >= 60 {
                store
                    .record_ban(&NewBan {
                        site: (*site).into(),
                        ip: ip(a.src).into(),
                        reason: format!("{} ({})", a.kind, a.code),
                        origin: BanOrigin::Auto,
                        actor: "ghostguard".into(),
                        created_at: first + MINUTE,
                        expires_at: Some(now + i64::try_from(1 + rng.next(72)).unwrap_or(1) * HOUR),
                    })
                    .await?;
            }
        }
    }
    // An infected PC inside the office network: reported, not banned.
    store
        .record_incident(&NewIncident {
            site: "office".into(),
            source: ip("192.168.1.66"),
            kind: "scanner".into(),
            detector: "signature".into(),
            code: "user-agent".into(),
            confidence: 95,
            evidence: serde_json::json!({"args": {"user_agent": "friendly-scanner"}, "messages": [sip("OPTIONS", "sip:100@192.168.1.1", "100", "friendly-scanner", "192.168.1.66")]}).to_string(),
            first_seen: now - 3 * HOUR,
            last_seen: now - 2 * HOUR,
            count: 320,
            internal: true,
            mac: Some("00:1b:44:11:3a:b7".into()),
            vendor: Some("SanDisk".into()),
        })
        .await?;
    // Ghost calls that rang phones, over the week.
    for i in 0..60 {
        let phone = ["192.168.1.21", "192.168.1.22", "192.168.1.23"]
            [usize::try_from(rng.next(3)).unwrap_or(0)];
        let src = ["203.0.113.99", "198.51.100.23", "198.51.100.140"]
            [usize::try_from(rng.next(3)).unwrap_or(0)];
        store
            .record_ghost_call(&NewGhostCall {
                site: if i % 4 == 0 {
                    "branch".into()
                } else {
                    "office".into()
                },
                phone: ip(phone),
                source: ip(src),
                caller: ["100", "1001", "sipvicious", "0"]
                    [usize::try_from(rng.next(4)).unwrap_or(0)]
                .into(),
                dialled: Some(phone.rsplit('.').next().unwrap_or("21").to_owned()),
                time: now - i64::try_from(rng.next(7 * 24 * 60)).unwrap_or(0) * MINUTE,
                answered: rng.next(5) == 0,
            })
            .await?;
    }
    // A manual ban, an imported one, and a ban lifted by an operator.
    for (addr, origin, actor, reason) in [
        (
            "203.0.113.66",
            BanOrigin::Manual,
            "alice",
            "called the helpdesk about it",
        ),
        (
            "198.51.100.201",
            BanOrigin::Import,
            "import:https://guard-b.example.net/feed/blocklist.txt",
            "listed by guard-b",
        ),
        ("198.51.100.9", BanOrigin::Manual, "alice", "test"),
    ] {
        store
            .record_ban(&NewBan {
                site: "office".into(),
                ip: ip(addr).into(),
                reason: reason.into(),
                origin,
                actor: actor.into(),
                created_at: now - 5 * HOUR,
                // The manual ban stands until lifted, so the shipped sample
                // still has a current ban when it is old.
                expires_at: (origin != BanOrigin::Manual || addr != "203.0.113.66")
                    .then_some(now + 2 * DAY),
            })
            .await?;
    }
    store
        .lift_ban("office", ip("198.51.100.9"), "bob", now - 4 * HOUR)
        .await?;
    for (site, packets) in [("office", 1_204_331u64), ("branch", 88_120)] {
        let stats = GuardStats {
            messages: [
                ("INVITE", "ok", 3_120),
                ("INVITE", "malicious", 1_874),
                ("REGISTER", "ok", 40_210),
                ("REGISTER", "malicious", 19_220),
                ("OPTIONS", "malicious", 52_881),
                ("response", "ok", 61_002),
            ]
            .iter()
            .map(|(m, v, c)| MessageCount {
                method: (*m).into(),
                verdict: (*v).into(),
                count: *c * packets / 1_204_331,
            })
            .collect(),
            engine: EngineStats {
                packets,
                sources_tracked: 412,
                ..EngineStats::default()
            },
        };
        store
            .write_heartbeat(&Heartbeat {
                site: site.into(),
                last_seen: if site == "office" {
                    now
                } else {
                    now - 2 * HOUR
                },
                version: concat!("ghostguard ", env!("CARGO_PKG_VERSION")).into(),
                stats: stats.to_json(),
            })
            .await?;
    }
    Ok(())
}
