//! The inspector on synthesised packets: what bans, what is spared, what
//! escalates, and what is reported again after a ban ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ghostguard_engine::Rules;
use ghostguard_guard::GuardConfig;
use ghostguard_guard::inspector::{Effect, Inspector};
use ghostguard_guard::policy::{Spared, Verdict};
use ghostguard_packet::{Frame, LinkType, Timestamp, synth};
use ipnet::IpNet;

const CONFIG: &str = r#"
mode = "gateway"
policy = "enforce"
[network]
protected = ["192.168.1.0/24"]
[trusted]
servers = ["203.0.113.10"]
[ban]
time = "10m"
escalation = 2.0
"#;

fn inspector(history: &[(IpAddr, Timestamp)]) -> Inspector {
    inspector_with(&GuardConfig::parse(CONFIG).unwrap(), history)
}

fn inspector_with(cfg: &GuardConfig, history: &[(IpAddr, Timestamp)]) -> Inspector {
    let history: Vec<(IpNet, Timestamp)> = history
        .iter()
        .map(|(ip, t)| (IpNet::from(*ip), *t))
        .collect();
    Inspector::new(
        cfg,
        Rules::default_rules().unwrap(),
        vec!["203.0.113.10/32".parse().unwrap()],
        &history,
    )
    .unwrap()
}

fn invite(from_user: &str, ua: &str, call: u32) -> String {
    format!(
        "INVITE sip:100@192.168.1.20 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK{call}x\r\n\
         From: \"{from_user}\" <sip:{from_user}@198.51.100.7>;tag=t{call}\r\n\
         To: <sip:100@192.168.1.20>\r\n\
         Call-ID: c{call}@198.51.100.7\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:{from_user}@198.51.100.7:5060>\r\n\
         User-Agent: {ua}\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

fn feed(ins: &mut Inspector, src: &str, dst: &str, msg: &str, secs: i64) -> Vec<Effect> {
    let src: SocketAddr = src.parse().unwrap();
    let dst: SocketAddr = dst.parse().unwrap();
    let pkt = synth::udp(src, dst, msg.as_bytes());
    let mut out = Vec::new();
    let frame = Frame::new(
        Timestamp::from_parts(1_800_000_000 + secs, 0),
        LinkType::Raw,
        &pkt,
    );
    ins.feed(&frame, Some([0x00, 0x1b, 0x21, 1, 2, 3]), &mut out);
    out
}

/// An INVITE scan of 30 extensions (`first`..) from `src` with a harmless
/// User-Agent and From, at `secs`.
fn scan(ins: &mut Inspector, src: &str, ua: &str, call: u32, first: u32, secs: i64) -> Vec<Effect> {
    let mut all = Vec::new();
    for ext in 0..30 {
        let msg = invite("alice", ua, call + ext).replace(
            "sip:100@192.168.1.20",
            &format!("sip:{}@192.168.1.20", first + ext),
        );
        all.extend(feed(ins, src, "192.168.1.20:5060", &msg, secs));
    }
    all
}

/// The bans among `effects`: what each covers, for how long, which
/// offence.
fn ban_nets(effects: &[Effect]) -> Vec<(IpNet, Duration, u32)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Ban {
                net, ttl, offence, ..
            } => Some((*net, *ttl, *offence)),
            _ => None,
        })
        .collect()
}

/// [`ban_nets`] of single addresses.
fn bans(effects: &[Effect]) -> Vec<(IpAddr, Duration, u32)> {
    ban_nets(effects)
        .into_iter()
        .map(|(net, ttl, offence)| {
            assert_eq!(net.prefix_len(), net.max_prefix_len(), "{net}");
            (net.addr(), ttl, offence)
        })
        .collect()
}

#[test]
fn a_scanner_is_banned_first_and_its_call_recorded() {
    let mut ins = inspector(&[]);
    let out = feed(
        &mut ins,
        "198.51.100.7:5060",
        "192.168.1.20:5060",
        &invite("sipvicious", "friendly-scanner", 1),
        0,
    );
    assert!(
        matches!(out.first(), Some(Effect::Ban { .. })),
        "the ban comes first: {out:?}"
    );
    assert_eq!(
        bans(&out),
        vec![("198.51.100.7".parse().unwrap(), Duration::from_secs(600), 1)]
    );
    assert!(
        out.iter()
            .any(|e| matches!(e, Effect::Call(c) if c.caller == "sipvicious"))
    );
    assert!(out.iter().any(|e| matches!(
        e,
        Effect::Incident {
            verdict: Verdict::Ban { .. },
            ..
        }
    )));
}

#[test]
fn the_trusted_provider_is_never_banned_and_its_calls_are_not_ghost_calls() {
    let mut ins = inspector(&[]);
    let out = feed(
        &mut ins,
        "203.0.113.10:5060",
        "192.168.1.20:5060",
        &invite("sipvicious", "friendly-scanner", 2),
        0,
    );
    assert!(bans(&out).is_empty(), "{out:?}");
    assert!(!out.iter().any(|e| matches!(e, Effect::Call(_))));
}

#[test]
fn an_infected_lan_host_is_reported_with_its_mac_not_banned() {
    let mut ins = inspector(&[]);
    let out = feed(
        &mut ins,
        "192.168.1.66:5060",
        "192.168.1.20:5060",
        &invite("100", "friendly-scanner", 3),
        0,
    );
    assert!(bans(&out).is_empty());
    let inc = out
        .iter()
        .find_map(|e| match e {
            Effect::Incident {
                mac,
                vendor,
                verdict,
                ..
            } => Some((*mac, vendor.clone(), *verdict)),
            _ => None,
        })
        .expect("incident");
    assert_eq!(inc.0, Some([0x00, 0x1b, 0x21, 1, 2, 3]));
    assert!(
        inc.1.as_deref().is_some_and(|v| v.contains("Intel")),
        "{:?}",
        inc.1
    );
    assert_eq!(inc.2, Verdict::Spare(Spared::Protected));
}

#[test]
fn repeat_offenders_escalate_from_the_stored_history() {
    let t0 = Timestamp::from_parts(1_800_000_000 - 3600, 0);
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    let mut ins = inspector(&[(ip, t0), (ip, t0)]);
    let out = feed(
        &mut ins,
        "198.51.100.7:5060",
        "192.168.1.20:5060",
        &invite("sipvicious", "friendly-scanner", 4),
        0,
    );
    assert_eq!(bans(&out), vec![(ip, Duration::from_secs(2400), 3)]);
}

#[test]
fn behaviour_alone_bans_a_disguised_scanner_and_it_is_banned_again_after_its_ban_ends() {
    let mut ins = inspector(&[]);
    let all = scan(
        &mut ins,
        "198.51.100.8:5070",
        "Yealink SIP-T46S 66.86.0.15",
        100,
        200,
        0,
    );
    let first = bans(&all);
    assert_eq!(first.len(), 1, "{all:?}");
    // Banned for 10 minutes; after that, the same behaviour bans again
    // (second offence: twice as long).
    ins.tick(Timestamp::from_parts(1_800_000_000 + 601, 0));
    let again = scan(
        &mut ins,
        "198.51.100.8:5070",
        "Yealink SIP-T46S 66.86.0.15",
        300,
        400,
        700,
    );
    assert_eq!(
        bans(&again),
        vec![(
            "198.51.100.8".parse().unwrap(),
            Duration::from_secs(1200),
            2
        )]
    );
}

#[test]
fn garbage_frames_produce_nothing_and_never_panic() {
    let mut ins = inspector(&[]);
    let mut out = Vec::new();
    for len in 0..200usize {
        let junk: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
        ins.feed(
            &Frame::new(Timestamp::from_parts(1, 0), LinkType::Raw, &junk),
            None,
            &mut out,
        );
    }
    assert!(bans(&out).is_empty());
}

#[test]
fn a_peer_with_its_own_thresholds_is_judged_by_them() {
    // A busy SBC may send 30 INVITEs to different users in a burst; others may not.
    let cfg = GuardConfig::parse(&format!(
        "{CONFIG}\n[[detect.peer]]\nnet = \"198.51.100.64/28\"\nthresholds = {{ enumeration_targets = 64, sweep_targets = 64 }}\n"
    ))
    .unwrap();
    assert_eq!(
        cfg.peer_thresholds().unwrap()[0].thresholds.flood_requests,
        200,
        "unnamed keys keep the global value"
    );
    let mut ins = inspector_with(&cfg, &[]);
    let sbc = scan(&mut ins, "198.51.100.70:5060", "SBC 1.0", 500, 600, 0);
    let other = scan(&mut ins, "198.51.100.9:5060", "SBC 1.0", 700, 800, 0);
    assert!(bans(&sbc).is_empty(), "{sbc:?}");
    assert_eq!(bans(&other).len(), 1);
    let bad = GuardConfig::parse(&format!(
        "{CONFIG}\n[[detect.peer]]\nnet = \"198.51.100.64/28\"\nthresholds = {{ enumeraton_targets = 64 }}\n"
    ));
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("detect.peer.thresholds")
    );
}

#[test]
fn a_source_spared_for_weak_evidence_is_banned_when_stronger_evidence_comes() {
    let cfg = GuardConfig::parse(&format!("{CONFIG}min_confidence = 90\n")).unwrap();
    let mut ins = inspector_with(&cfg, &[]);
    let weak = scan(
        &mut ins,
        "198.51.100.44:5060",
        "Yealink SIP-T46S",
        900,
        950,
        0,
    );
    assert!(
        bans(&weak).is_empty(),
        "behaviour below 90 does not ban: {weak:?}"
    );
    assert!(weak.iter().any(|e| matches!(
        e,
        Effect::Incident {
            verdict: Verdict::Spare(Spared::LowConfidence { .. }),
            ..
        }
    )));
    let strong = feed(
        &mut ins,
        "198.51.100.44:5060",
        "192.168.1.20:5060",
        &invite("sipvicious", "friendly-scanner", 999),
        1,
    );
    assert_eq!(bans(&strong).len(), 1, "{strong:?}");
}

#[test]
fn a_lift_bans_again_on_new_abuse_but_a_late_lift_notice_keeps_the_newer_ban() {
    let mut ins = inspector(&[]);
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    let at = |secs: i64| Timestamp::from_parts(1_800_000_000 + secs, 0);
    let scan = |ins: &mut Inspector, call: u32, secs: i64| {
        feed(
            ins,
            "198.51.100.7:5060",
            "192.168.1.20:5060",
            &invite("sipvicious", "friendly-scanner", call),
            secs,
        )
    };
    assert_eq!(bans(&scan(&mut ins, 1, 0)).len(), 1);
    // Still banned: the engine reported it already, no second ban.
    assert!(bans(&scan(&mut ins, 2, 5)).is_empty());
    // The operator lifts the ban at 10 s: the kernel element must go, and
    // the source is armed again.
    assert_eq!(ins.lifted(IpNet::from(ip), at(10)), Some(Vec::new()));
    assert!(!ins.is_banned(ip, at(11)));
    assert_eq!(bans(&scan(&mut ins, 3, 20)).len(), 1);
    assert!(ins.is_banned(ip, at(21)));
    // The same lift (10 s) seen again, or seen late after the new ban at
    // 20 s: the new ban stays, in the kernel and here.
    assert_eq!(ins.lifted(IpNet::from(ip), at(10)), None);
    assert!(ins.is_banned(ip, at(21)));
}

const CONFIG6: &str = r#"
mode = "gateway"
policy = "enforce"
[network]
protected = ["2001:db8:100::/64"]
[trusted]
servers = ["2001:db8:7::5"]
[ban]
time = "10m"
escalation = 2.0
"#;

fn inspector6() -> Inspector {
    Inspector::new(
        &GuardConfig::parse(CONFIG6).unwrap(),
        Rules::default_rules().unwrap(),
        vec!["2001:db8:7::5/128".parse().unwrap()],
        &[],
    )
    .unwrap()
}

fn scanner6(ins: &mut Inspector, src: &str, call: u32, secs: i64) -> Vec<Effect> {
    feed(
        ins,
        &format!("[{src}]:5060"),
        "[2001:db8:100::20]:5060",
        &invite("sipvicious", "friendly-scanner", call),
        secs,
    )
}

fn verdicts(effects: &[Effect]) -> Vec<Verdict> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Incident { verdict, .. } => Some(*verdict),
            _ => None,
        })
        .collect()
}

/// An INVITE scan of 30 extensions from `src` (IPv6) without a tool
/// fingerprint: behaviour (enumeration) is the evidence, not one packet.
fn scan6(ins: &mut Inspector, src: &str, call: u32, secs: i64) -> Vec<Effect> {
    let mut all = Vec::new();
    for ext in 0..30 {
        let msg = invite("alice", "Yealink SIP-T46S", call + ext).replace(
            "sip:100@192.168.1.20",
            &format!("sip:{}@[2001:db8:100::20]", 200 + ext),
        );
        all.extend(feed(
            ins,
            &format!("[{src}]:5060"),
            "[2001:db8:100::20]:5060",
            &msg,
            secs,
        ));
    }
    all
}

/// The verdict of the one ban among `effects`, with its narrowing.
fn narrowed(effects: &[Effect]) -> Option<ghostguard_guard::policy::Narrowed> {
    verdicts(effects).into_iter().find_map(|v| match v {
        Verdict::Ban { narrowed, .. } => narrowed,
        _ => None,
    })
}

#[test]
fn one_packet_evidence_bans_the_ipv6_address_only() {
    // A signature can be sent from any address of a /64 (spoofed, or by
    // whoever shares it): it must not take the neighbours with it.
    let mut ins = inspector6();
    let out = scanner6(&mut ins, "2001:db8:1:2::7", 1, 0);
    let host: IpNet = "2001:db8:1:2::7/128".parse().unwrap();
    assert_eq!(
        ban_nets(&out),
        [(host, Duration::from_secs(600), 1)],
        "{out:?}"
    );
    let n = narrowed(&out).unwrap();
    assert_eq!(n.holds, Spared::OnePacket);
    assert!(n.to_string().contains("2001:db8:1:2::/64"), "{n}");
    let at = Timestamp::from_parts(1_800_000_001, 0);
    assert!(!ins.is_banned("2001:db8:1:2::99".parse().unwrap(), at));
}

#[test]
fn a_64_holding_a_registered_phone_is_never_banned_whole() {
    let mut ins = inspector6();
    let phone = "[2001:db8:1:2::10]:5060";
    let registrar = "[2001:db8:7::5]:5060";
    let register = "REGISTER sip:2001:db8:7::5 SIP/2.0\r\n\
        Via: SIP/2.0/UDP [2001:db8:1:2::10]:5060;branch=z9hG4bKreg1\r\n\
        From: <sip:201@2001:db8:7::5>;tag=r1\r\n\
        To: <sip:201@2001:db8:7::5>\r\n\
        Call-ID: reg1@2001:db8:1:2::10\r\n\
        CSeq: 1 REGISTER\r\n\
        Contact: <sip:201@[2001:db8:1:2::10]:5060>\r\n\
        Max-Forwards: 70\r\n\
        Content-Length: 0\r\n\r\n";
    let ok = "SIP/2.0 200 OK\r\n\
        Via: SIP/2.0/UDP [2001:db8:1:2::10]:5060;branch=z9hG4bKreg1\r\n\
        From: <sip:201@2001:db8:7::5>;tag=r1\r\n\
        To: <sip:201@2001:db8:7::5>;tag=s1\r\n\
        Call-ID: reg1@2001:db8:1:2::10\r\n\
        CSeq: 1 REGISTER\r\n\
        Contact: <sip:201@[2001:db8:1:2::10]:5060>;expires=3600\r\n\
        Content-Length: 0\r\n\r\n";
    feed(&mut ins, phone, registrar, register, 0);
    feed(&mut ins, registrar, phone, ok, 0);
    // Behaviour from a neighbour of the phone: the neighbour alone.
    let out = scan6(&mut ins, "2001:db8:1:2::dead", 100, 5);
    let host: IpNet = "2001:db8:1:2::dead/128".parse().unwrap();
    assert_eq!(
        ban_nets(&out),
        [(host, Duration::from_secs(600), 1)],
        "{out:?}"
    );
    assert_eq!(
        narrowed(&out).map(|n| n.holds),
        Some(Spared::RegisteredPhone)
    );
    let at = Timestamp::from_parts(1_800_000_006, 0);
    assert!(!ins.is_banned("2001:db8:1:2::10".parse().unwrap(), at));
}

#[test]
fn translation_prefixes_and_peers_with_their_own_ban_settings_narrow_the_ban() {
    // NAT64: one /64 of 64:ff9b::/96 is every IPv4 host behind it.
    let mut ins = inspector6();
    let out = scan6(&mut ins, "64:ff9b::c633:6407", 1, 0);
    let host: IpNet = "64:ff9b::c633:6407/128".parse().unwrap();
    assert_eq!(
        ban_nets(&out),
        [(host, Duration::from_secs(600), 1)],
        "{out:?}"
    );
    assert_eq!(narrowed(&out).map(|n| n.holds), Some(Spared::Translated));
    // A peer that must never be banned sits in the attacker's /64.
    let cfg = format!("{CONFIG6}\n[[detect.peer]]\nnet = \"2001:db8:5::10/128\"\nban = false\n");
    let mut ins = Inspector::new(
        &GuardConfig::parse(&cfg).unwrap(),
        Rules::default_rules().unwrap(),
        vec!["2001:db8:7::5/128".parse().unwrap()],
        &[],
    )
    .unwrap();
    let out = scan6(&mut ins, "2001:db8:5::99", 1, 0);
    let host: IpNet = "2001:db8:5::99/128".parse().unwrap();
    assert_eq!(
        ban_nets(&out),
        [(host, Duration::from_secs(600), 1)],
        "{out:?}"
    );
    assert_eq!(narrowed(&out).map(|n| n.holds), Some(Spared::PeerNoBan));
}

#[test]
fn an_ipv6_scanner_is_banned_with_its_64_and_its_neighbours_count_as_banned() {
    let mut ins = inspector6();
    let net: IpNet = "2001:db8:1:2::/64".parse().unwrap();
    let first = scan6(&mut ins, "2001:db8:1:2::7", 1, 0);
    assert_eq!(
        ban_nets(&first),
        [(net, Duration::from_secs(600), 1)],
        "{first:?}"
    );
    let at = |secs: i64| Timestamp::from_parts(1_800_000_000 + secs, 0);
    assert!(ins.is_banned("2001:db8:1:2::99".parse().unwrap(), at(1)));
    assert!(!ins.is_banned("2001:db8:1:3::7".parse().unwrap(), at(1)));
    // A rotated address of the same /64 (seen in observe mode, or before
    // the kernel had the ban): no second ban.
    let rotated = scan6(&mut ins, "2001:db8:1:2::8", 200, 5);
    assert!(ban_nets(&rotated).is_empty(), "{rotated:?}");
    assert_eq!(verdicts(&rotated), [Verdict::Spare(Spared::AlreadyBanned)]);
    // The ban ends: both addresses are armed again, and the next abuse
    // from the /64 is its second offence.
    ins.tick(at(601));
    assert!(!ins.is_banned("2001:db8:1:2::8".parse().unwrap(), at(601)));
    let again = scan6(&mut ins, "2001:db8:1:2::8", 300, 700);
    assert_eq!(
        ban_nets(&again),
        [(net, Duration::from_secs(1200), 2)],
        "{again:?}"
    );
    // Lifting the /64 re-arms it at once.
    assert_eq!(ins.lifted(net, at(710)), Some(Vec::new()));
    assert!(!ins.is_banned("2001:db8:1:2::7".parse().unwrap(), at(711)));
    assert_eq!(
        ban_nets(&scan6(&mut ins, "2001:db8:1:2::7", 400, 720)).len(),
        1
    );
}

#[test]
fn a_64_holding_the_trusted_provider_bans_the_address_only_and_says_why() {
    let mut ins = inspector6();
    let out = scanner6(&mut ins, "2001:db8:7::66", 1, 0);
    let host: IpNet = "2001:db8:7::66/128".parse().unwrap();
    assert_eq!(ban_nets(&out), [(host, Duration::from_secs(600), 1)]);
    match verdicts(&out).as_slice() {
        [
            Verdict::Ban {
                narrowed: Some(n), ..
            },
        ] => {
            assert_eq!(n.holds, Spared::Trusted);
            assert!(n.to_string().contains("2001:db8:7::/64"), "{n}");
        }
        v => panic!("{v:?}"),
    }
    let at = Timestamp::from_parts(1_800_000_001, 0);
    assert!(ins.is_banned("2001:db8:7::66".parse().unwrap(), at));
    assert!(
        !ins.is_banned("2001:db8:7::5".parse().unwrap(), at),
        "the provider is not caught"
    );
    assert!(!ins.is_banned("2001:db8:7::67".parse().unwrap(), at));
}

#[test]
fn a_late_lift_inside_a_newer_64_ban_keeps_it_and_a_lift_puts_back_wider_bans() {
    let at = |secs: i64| Timestamp::from_parts(1_800_000_000 + secs, 0);
    let host: IpNet = "2001:db8:1:2::5/128".parse().unwrap();
    let net: IpNet = "2001:db8:1:2::/64".parse().unwrap();
    // An operator banned ::5 and lifts it at 10 s; at 11 s ::6 scans (behaviour) and
    // the /64 is banned (in the kernel it swallows ::5's element). The
    // lift notice comes after: the /64 must stay.
    let mut ins = inspector6();
    ins.note_ban(host, at(900));
    let banned = ban_nets(&scan6(&mut ins, "2001:db8:1:2::6", 1, 11));
    assert_eq!(banned.first().map(|b| b.0), Some(net), "{banned:?}");
    assert_eq!(ins.lifted(host, at(10)), None);
    assert!(ins.is_banned("2001:db8:1:2::6".parse().unwrap(), at(12)));

    // An operator's /48 and a ban of an address inside it: lifting the
    // address removes its element, and the /48 (merged with it in the
    // kernel) is put back with its end.
    let mut ins = inspector6();
    let wide: IpNet = "2001:db8:1::/48".parse().unwrap();
    ins.note_ban(wide, at(3_600));
    ins.note_ban(host, at(900));
    assert_eq!(ins.lifted(host, at(10)), Some(vec![(wide, at(3_600))]));
    // Lifting the /48 puts back nothing of what lies inside once over.
    assert_eq!(ins.lifted(wide, at(4_000)), Some(Vec::new()));
}
