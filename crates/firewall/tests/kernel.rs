//! Real-kernel tests: every table lives in a network namespace the test
//! makes (deleted on drop, also after a panic). Need root; SKIP loudly
//! without it, fail under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::{BANNED4, BANNED6, Lab, Netns, TRUSTED4, TRUSTED6, can_run, sh};
use ghostguard_firewall::{
    Availability, Ban, DryRun, Firewall, FirewallError, FirewallSpec, Mode, Nflog, Nft, Policy,
    Queue, QueueBackend, Step,
};
use ipnet::IpNet;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap_or_else(|_| IpNet::from(ip(s)))
}

fn ban(s: &str, secs: u64) -> Ban {
    Ban {
        net: net(s),
        ttl: Duration::from_secs(secs),
    }
}

fn gateway(policy: Policy, trusted_only: bool) -> FirewallSpec {
    let mut spec = FirewallSpec::new(Mode::Gateway, policy);
    spec.protected = vec![net("192.0.2.0/24"), net("2001:db8:1::/64")];
    spec.trusted = vec![net(TRUSTED4), net(TRUSTED6)];
    spec.trusted_only = trusted_only;
    // Nobody listens on the group: the copies are discarded, traffic flows.
    spec.nflog = Some(Nflog::new(9));
    spec
}

/// The element's JSON in `nft -j list set inet ghostguard SET`.
fn listed_element(set: &str, addr: &str) -> Option<serde_json::Value> {
    let json: serde_json::Value = serde_json::from_str(&sh(&[
        "nft",
        "-j",
        "list",
        "set",
        "inet",
        "ghostguard",
        set,
    ]))
    .unwrap();
    json["nftables"]
        .as_array()?
        .iter()
        .filter_map(|o| o["set"]["elem"].as_array())
        .flatten()
        .find(|e| e["elem"]["val"] == addr)
        .cloned()
}

/// Packets counted by the rules of chain `sip` whose comment is `comment`.
fn counted(comment: &str) -> u64 {
    let json: serde_json::Value = serde_json::from_str(&sh(&[
        "nft",
        "-j",
        "list",
        "chain",
        "inet",
        "ghostguard",
        "sip",
    ]))
    .unwrap();
    json["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"]["comment"] == comment)
        .flat_map(|o| o["rule"]["expr"].as_array().unwrap().iter())
        .filter_map(|e| e["counter"]["packets"].as_u64())
        .sum()
}

#[test]
fn gateway_drops_banned_sip_passes_trusted_and_keeps_bans_across_reinstall() {
    if !can_run("gateway_drops_banned_sip_passes_trusted_and_keeps_bans_across_reinstall") {
        return;
    }
    let lab = Lab::new();
    let mut fw = Nft::new();
    lab.router
        .run(|| fw.install(&gateway(Policy::Enforce, false)).unwrap());
    for from in [BANNED4, BANNED6, TRUSTED4, TRUSTED6] {
        assert!(
            lab.delivered(from),
            "{from} reaches the phone before any ban"
        );
    }

    lab.router
        .run(|| fw.ban(&[ban(BANNED4, 600), ban(BANNED6, 600)]).unwrap());
    lab.router.run(|| {
        let element = listed_element("ban4", BANNED4).expect("the ban is in the kernel set");
        assert_eq!(element["elem"]["timeout"], 600, "{element}");
        assert!(element["elem"]["expires"].as_u64().unwrap() <= 600);
        assert!(listed_element("ban6", BANNED6).is_some());
    });
    assert!(!lab.delivered(BANNED4), "banned IPv4 source is dropped");
    assert!(!lab.delivered(BANNED6), "banned IPv6 source is dropped");
    assert!(
        lab.delivered(TRUSTED4) && lab.delivered(TRUSTED6),
        "trusted sources pass"
    );
    lab.router.run(|| assert!(counted("banned source") >= 2));

    // Observe: the ban stays, the packet passes, the counter counts it.
    lab.router
        .run(|| fw.install(&gateway(Policy::Observe, false)).unwrap());
    let before = lab.router.run(|| counted("banned source"));
    assert!(lab.delivered(BANNED4), "observe never drops");
    assert_eq!(lab.router.run(|| counted("banned source")), before + 1);

    // Trusted-only, enforce: the reinstall kept the ban; after unban, the
    // untrusted source is still stopped by the policy, the trusted passes.
    lab.router.run(|| {
        fw.install(&gateway(Policy::Enforce, true)).unwrap();
        let kept: Vec<IpNet> = fw.bans().unwrap().iter().map(|b| b.net).collect();
        assert_eq!(
            kept,
            vec![net(BANNED4), net(BANNED6)],
            "bans survive reinstalls"
        );
        fw.unban(&[net(BANNED4), net(BANNED6), net("203.0.113.99")])
            .unwrap();
        assert!(fw.bans().unwrap().is_empty());
    });
    assert!(
        !lab.delivered(BANNED4),
        "untrusted source to a protected phone is dropped"
    );
    assert!(lab.delivered(TRUSTED4), "trusted server reaches the phone");
    lab.router
        .run(|| assert!(counted("SIP to a protected address from an untrusted source") >= 1));

    // set_trusted replaces the set atomically: the other address is now the
    // trusted one.
    lab.router.run(|| fw.set_trusted(&[net(BANNED4)]).unwrap());
    assert!(lab.delivered(BANNED4));
    assert!(!lab.delivered(TRUSTED4));

    lab.router.run(|| {
        fw.remove().unwrap();
        fw.remove().unwrap();
        assert!(matches!(
            fw.bans(),
            Err(FirewallError::Failed {
                step: Step::ListBans,
                ..
            })
        ));
    });
    assert!(
        lab.delivered(TRUSTED4) && lab.delivered(BANNED4),
        "no table, no filtering"
    );
}

/// A ban of a trusted server's address (by hand, or from an imported
/// list) never cuts it off, in either direction; a banned untrusted
/// address gets neither in nor the phone's answers.
#[test]
fn a_banned_trusted_server_still_passes_both_ways() {
    if !can_run("a_banned_trusted_server_still_passes_both_ways") {
        return;
    }
    let lab = Lab::new();
    let mut fw = Nft::new();
    lab.router.run(|| {
        fw.install(&gateway(Policy::Enforce, false)).unwrap();
        fw.ban(&[ban(BANNED4, 600), ban(TRUSTED4, 600)]).unwrap();
    });
    assert!(
        lab.answer_delivered(TRUSTED4),
        "the phone's SIP to the trusted server passes"
    );
    assert!(lab.delivered(TRUSTED4), "the trusted server's SIP passes");
    assert!(
        !lab.answer_delivered(BANNED4),
        "the phone's answer to a banned source is dropped"
    );
    assert!(!lab.delivered(BANNED4), "the banned source is dropped");
    lab.router
        .run(|| assert!(counted("reply to a banned source") >= 1));
}

#[test]
fn install_is_idempotent_across_modes_and_rebans_renew_the_timeout() {
    if !can_run("install_is_idempotent_across_modes_and_rebans_renew_the_timeout") {
        return;
    }
    let ns = Netns::new("idem");
    ns.run(|| {
        let mut fw = Nft::new();
        let spec = gateway(Policy::Enforce, true);
        fw.install(&spec).unwrap();
        fw.ban(&[ban("203.0.113.7", 30), ban("2001:db8::7", 30)])
            .unwrap();
        fw.install(&spec).unwrap();
        let mut host = FirewallSpec::new(Mode::Host, Policy::Enforce);
        host.trusted = vec![net("198.51.100.0/24")];
        fw.install(&host).unwrap();
        let table = fw.list_table().unwrap();
        assert!(
            table.contains("hook input") && !table.contains("hook forward"),
            "{table}"
        );

        fw.ban(&[ban("203.0.113.7", 900)]).unwrap();
        let bans = fw.bans().unwrap();
        assert_eq!(bans.len(), 2, "{bans:?}");
        let renewed = bans.iter().find(|b| b.net == net("203.0.113.7")).unwrap();
        assert!(
            renewed.remaining.unwrap() > Duration::from_secs(800),
            "{renewed:?}"
        );
        fw.remove().unwrap();
        fw.install(&host).unwrap();
        assert!(
            fw.bans().unwrap().is_empty(),
            "remove() took the bans with the table"
        );
    });
}

#[test]
fn a_ban_expires_in_the_kernel() {
    if !can_run("a_ban_expires_in_the_kernel") {
        return;
    }
    let ns = Netns::new("exp");
    ns.run(|| {
        let mut fw = Nft::new();
        fw.install(&gateway(Policy::Enforce, true)).unwrap();
        fw.ban(&[ban("203.0.113.8", 1)]).unwrap();
        assert_eq!(fw.bans().unwrap().len(), 1);
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            fw.bans().unwrap().is_empty(),
            "the kernel expired the element"
        );
    });
}

#[test]
fn five_thousand_bans_in_one_batch() {
    if !can_run("five_thousand_bans_in_one_batch") {
        return;
    }
    let ns = Netns::new("5k");
    ns.run(|| {
        let mut fw = Nft::new();
        fw.install(&gateway(Policy::Enforce, true)).unwrap();
        let bans: Vec<Ban> = (0..5000u32)
            .map(|i| {
                Ban::address(
                    IpAddr::from([0x2001, 0xdb8, 0xbad, 0, 0, 0, (i >> 16) as u16, i as u16]),
                    Duration::from_secs(3600),
                )
            })
            .collect();
        let start = Instant::now();
        fw.ban(&bans).unwrap();
        let took = start.elapsed();
        eprintln!("5000 bans in one batch: {took:?}");
        assert_eq!(fw.bans().unwrap().len(), 5000);
        assert!(took < Duration::from_secs(10), "5000 bans took {took:?}");
        let start = Instant::now();
        fw.unban(&bans.iter().map(|b| b.net).collect::<Vec<_>>())
            .unwrap();
        eprintln!("5000 unbans in one batch: {:?}", start.elapsed());
        assert!(fw.bans().unwrap().is_empty());
    });
}

#[test]
fn dry_run_output_loads_with_nft_check() {
    if !can_run("dry_run_output_loads_with_nft_check") {
        return;
    }
    let mut host = FirewallSpec::new(Mode::Host, Policy::Observe);
    host.nflog = Some(Nflog::new(3));
    host.trusted_only = true;
    let mut inline = gateway(Policy::Enforce, true);
    inline.queue = Some(Queue {
        num: 4,
        backend: QueueBackend::Iptables,
    });
    let mut fw = DryRun::new();
    for spec in [
        gateway(Policy::Enforce, true),
        gateway(Policy::Observe, false),
        host,
        inline,
    ] {
        fw.install(&spec).unwrap();
    }
    fw.ban(&[ban("203.0.113.5", 60), ban("2001:db8::5", 60)])
        .unwrap();
    fw.unban(&[net("203.0.113.5")]).unwrap();
    fw.set_trusted(&[net("198.51.100.0/24")]).unwrap();
    fw.set_allow(&[net("2001:db8::/48")]).unwrap();
    fw.remove().unwrap();
    let script = fw.script();
    let path = std::env::temp_dir().join(format!("gg-fw-dry-run-{}.nft", std::process::id()));
    std::fs::write(&path, &script).unwrap();
    let ns = Netns::new("dry");
    let checked = ns.run(|| {
        std::process::Command::new("nft")
            .args(["-c", "-f"])
            .arg(&path)
            .output()
            .unwrap()
    });
    let _ = std::fs::remove_file(&path);
    assert!(
        checked.status.success(),
        "nft -c rejected the dry-run output: {}\n{script}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn queue_support_is_reported_and_the_iptables_chain_comes_and_goes() {
    if !can_run("queue_support_is_reported_and_the_iptables_chain_comes_and_goes") {
        return;
    }
    let ns = Netns::new("q");
    ns.run(|| {
        let mut fw = Nft::new();
        let support = fw.detect_queue_support();
        eprintln!("queue support on this kernel:\n{support}");
        if support.iptables != Availability::Available {
            eprintln!(
                "*** SKIP (part): iptables NFQUEUE not available: {:?} ***",
                support.iptables
            );
            return;
        }
        let mut spec = gateway(Policy::Enforce, true);
        spec.queue = Some(Queue {
            num: 4,
            backend: QueueBackend::Iptables,
        });
        let chain_exists = || {
            std::process::Command::new("nft")
                .args(["list", "chain", "ip", "filter", "GHOSTGUARD"])
                .output()
                .unwrap()
                .status
                .success()
        };
        fw.install(&spec).unwrap();
        fw.install(&spec).unwrap();
        assert!(chain_exists());
        let rules = sh(&["iptables", "-S"]);
        assert_eq!(
            rules.matches("-A FORWARD -j GHOSTGUARD").count(),
            1,
            "one jump, even after two installs:\n{rules}"
        );
        assert!(rules.contains("--queue-num 4 --queue-bypass"), "{rules}");
        assert!(sh(&["ip6tables", "-S"]).contains("-A FORWARD -j GHOSTGUARD"));

        // Host mode moves the jump to INPUT.
        spec.mode = Mode::Host;
        fw.install(&spec).unwrap();
        let rules = sh(&["iptables", "-S"]);
        assert!(
            rules.contains("-A INPUT -j GHOSTGUARD") && !rules.contains("-A FORWARD -j GHOSTGUARD"),
            "{rules}"
        );

        fw.remove().unwrap();
        assert!(!chain_exists(), "remove() deleted the iptables chain");
        assert!(!sh(&["iptables", "-S"]).contains("GHOSTGUARD"));
        assert!(!sh(&["ip6tables", "-S"]).contains("GHOSTGUARD"));
    });
}

/// A second address of the banned source's /64, not trusted.
const SIBLING6: &str = "2001:db8:c::4";

#[test]
fn a_prefix_ban_blocks_the_whole_64_and_banning_again_is_accepted() {
    if !can_run("a_prefix_ban_blocks_the_whole_64_and_banning_again_is_accepted") {
        return;
    }
    let lab = Lab::new();
    lab.client
        .ip(&["addr", "add", "2001:db8:c::4/64", "dev", "c0", "nodad"]);
    assert!(
        (0..8).any(|_| lab.delivered(SIBLING6)),
        "{SIBLING6} reaches the phone before any ban"
    );
    let mut fw = Nft::new();
    lab.router.run(|| {
        fw.install(&gateway(Policy::Enforce, false)).unwrap();
        // An address ban first: the /64 ban must swallow it, not fail on
        // the overlap.
        fw.ban(&[ban(BANNED6, 900)]).unwrap();
        fw.ban(&[ban("2001:db8:c::/64", 60)]).unwrap();
        let bans = fw.bans().unwrap();
        assert_eq!(bans.len(), 1, "one element: the /64 {bans:?}");
        assert_eq!(bans[0].net, net("2001:db8:c::/64"));
        assert!(
            bans[0].remaining.unwrap() > Duration::from_secs(800),
            "the swallowed ban's longer time is kept: {bans:?}"
        );
    });
    assert!(!lab.delivered(BANNED6), "the banned address is dropped");
    assert!(
        !lab.delivered(SIBLING6),
        "another address of the same /64 is dropped too"
    );
    assert!(
        lab.delivered(TRUSTED6),
        "a trusted server inside still passes"
    );
    assert!(lab.delivered(BANNED4), "IPv4 untouched");

    lab.router.run(|| {
        // Banning again: the same /64 (renewed), an address inside it
        // (merged into it), and both in one batch, are all accepted.
        fw.ban(&[ban("2001:db8:c::/64", 1800)]).unwrap();
        fw.ban(&[ban(SIBLING6, 60)]).unwrap();
        let bans = fw.bans().unwrap();
        assert_eq!(bans.len(), 1, "{bans:?}");
        assert!(
            bans[0].remaining.unwrap() > Duration::from_secs(1700),
            "an address inside keeps the /64's longer time: {bans:?}"
        );
        fw.ban(&[ban("2001:db8:c::/64", 60), ban(BANNED6, 60)])
            .unwrap();
        let bans = fw.bans().unwrap();
        assert_eq!(bans.len(), 1, "{bans:?}");
        assert!(
            bans[0].remaining.unwrap() <= Duration::from_secs(60),
            "the same network banned again gets the new time, as an IPv4 address does: {bans:?}"
        );
        // Lifting by an address inside lifts the prefix.
        fw.unban(&[net(SIBLING6)]).unwrap();
        assert!(fw.bans().unwrap().is_empty());
        fw.unban(&[net(SIBLING6), net("2001:db8:c::/64")]).unwrap();
    });
    assert!(lab.delivered(SIBLING6), "lifted");
    assert!(lab.delivered(BANNED6), "lifted");
}

#[test]
fn install_turns_an_older_address_only_ban6_into_the_interval_set() {
    if !can_run("install_turns_an_older_address_only_ban6_into_the_interval_set") {
        return;
    }
    let ns = Netns::new("mig");
    ns.run(|| {
        // What an older ghostguard left: ban6 of single addresses, used
        // by a rule.
        let mut old = std::process::Command::new("nft")
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(
            old.stdin.as_mut().unwrap(),
            b"add table inet ghostguard\n\
              add set inet ghostguard ban6 { type ipv6_addr; flags timeout; }\n\
              add element inet ghostguard ban6 { 2001:db8::66 timeout 600s, 2001:db8::67 }\n\
              add chain inet ghostguard sip\n\
              add rule inet ghostguard sip ip6 saddr @ban6 drop\n",
        )
        .unwrap();
        assert!(old.wait().unwrap().success());
        let mut fw = Nft::new();
        fw.install(&gateway(Policy::Enforce, true)).unwrap();
        let table = fw.list_table().unwrap();
        assert!(table.contains("flags interval,timeout"), "{table}");
        let bans = fw.bans().unwrap();
        assert_eq!(bans.len(), 2, "{bans:?}");
        let kept = bans.iter().find(|b| b.net == net("2001:db8::66")).unwrap();
        assert!(
            kept.remaining.unwrap() > Duration::from_secs(500),
            "{kept:?}"
        );
        assert!(
            bans.iter()
                .any(|b| b.net == net("2001:db8::67") && b.remaining.is_none())
        );
        // A second install finds the interval set and keeps it as it is.
        fw.install(&gateway(Policy::Enforce, true)).unwrap();
        assert_eq!(fw.bans().unwrap().len(), 2);
        fw.ban(&[ban("2001:db8::/64", 60)]).unwrap();
        assert_eq!(fw.bans().unwrap().len(), 1, "the /64 swallowed both");
    });
}
