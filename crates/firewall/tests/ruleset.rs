//! Snapshot tests of the rendered batches: what the kernel is asked to do,
//! for both modes and both policies. Review changes with `cargo insta`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use ghostguard_firewall::{
    Ban, DryRun, Firewall, FirewallSpec, Mode, Nflog, Policy, Queue, QueueBackend, Ruleset,
    SetRole, SpecError, render,
};
use ipnet::IpNet;

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter()
        .map(|s| s.parse().unwrap_or_else(|_| IpNet::from(ip(s))))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    nets(&[s])[0]
}

/// A router protecting a LAN (v4 + v6), a provider trusted, one allowed
/// monitoring host, NFLOG group 7.
fn gateway(policy: Policy) -> FirewallSpec {
    let mut spec = FirewallSpec::new(Mode::Gateway, policy);
    spec.protected = nets(&["192.0.2.0/25", "2001:db8:1::/64"]);
    spec.trusted = nets(&["198.51.100.10", "198.51.100.0/28", "2001:db8:ff::5"]);
    spec.allow = nets(&["203.0.113.9/32"]);
    spec.nflog = Some(Nflog::new(7));
    spec
}

/// A PBX host taking registrations from anywhere.
fn host(policy: Policy) -> FirewallSpec {
    let mut spec = FirewallSpec::new(Mode::Host, policy);
    spec.sip_ports = vec![5080, 5060, 5060];
    spec.trusted = nets(&["198.51.100.10"]);
    spec.nflog = Some(Nflog::new(7));
    spec
}

fn install_text(spec: &FirewallSpec) -> String {
    render::install(&Ruleset::from_spec(spec).unwrap())
}

#[test]
fn gateway_enforce() {
    insta::assert_snapshot!(install_text(&gateway(Policy::Enforce)));
}

#[test]
fn gateway_observe() {
    insta::assert_snapshot!(install_text(&gateway(Policy::Observe)));
}

#[test]
fn host_enforce() {
    insta::assert_snapshot!(install_text(&host(Policy::Enforce)));
}

#[test]
fn host_observe() {
    insta::assert_snapshot!(install_text(&host(Policy::Observe)));
}

#[test]
fn host_enforce_trusted_only_protects_the_host_itself() {
    let mut spec = host(Policy::Enforce);
    spec.trusted_only = true;
    spec.nflog = None;
    insta::assert_snapshot!(install_text(&spec));
}

#[test]
fn host_inline_nft_queue() {
    let mut spec = host(Policy::Enforce);
    spec.queue = Some(Queue {
        num: 3,
        backend: QueueBackend::Nft,
    });
    insta::assert_snapshot!(install_text(&spec));
}

#[test]
fn dry_run_inline_iptables_prints_the_iptables_part_as_comments() {
    let mut spec = gateway(Policy::Enforce);
    spec.queue = Some(Queue {
        num: 3,
        backend: QueueBackend::Iptables,
    });
    let mut fw = DryRun::new();
    fw.install(&spec).unwrap();
    let text = fw.script();
    assert!(
        !text.contains("queue num"),
        "the nft table holds no queue rule"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn ban_unban_and_replace_batches() {
    let bans = [
        Ban {
            net: net("203.0.113.5"),
            ttl: Duration::from_secs(3600),
        },
        Ban {
            net: net("::ffff:203.0.113.6"),
            ttl: Duration::from_millis(1500),
        },
        Ban {
            net: net("2001:db8::bad"),
            ttl: Duration::from_secs(60),
        },
        Ban {
            net: net("203.0.113.5"),
            ttl: Duration::from_secs(7200),
        },
        Ban {
            net: net("203.0.113.7"),
            ttl: Duration::from_secs(10 * 365 * 24 * 3600),
        },
        // A /64 ban swallows an address ban inside it in the same batch.
        Ban {
            net: net("2001:db8:1:2::/64"),
            ttl: Duration::from_secs(600),
        },
        Ban {
            net: net("2001:db8:1:2::77"),
            ttl: Duration::from_secs(900),
        },
    ];
    let text = [
        render::ban(&bans, false).unwrap(),
        render::ban(&bans[..1], true).unwrap(),
        render::ban(&bans[5..], true).unwrap(),
        render::unban(&nets(&[
            "203.0.113.5",
            "::ffff:203.0.113.6",
            "2001:db8::bad",
            "2001:db8:1:2::/64",
        ]))
        .unwrap(),
        render::replace(
            SetRole::Trusted,
            &nets(&["198.51.100.0/24", "198.51.100.7", "2001:db8::/32"]),
        ),
        render::replace(SetRole::Allow, &[]),
        render::remove(),
    ]
    .concat();
    insta::assert_snapshot!(text);
}

#[test]
fn the_trusted_only_drop_exists_only_in_enforce() {
    let enforce = install_text(&gateway(Policy::Enforce));
    let observe = install_text(&gateway(Policy::Observe));
    assert!(
        enforce.contains(
            "ip daddr @protected4 log group 7 snaplen 2048 queue-threshold 8 counter drop"
        )
    );
    assert!(enforce.contains("ip saddr @ban4 counter drop"));
    assert!(!observe.contains("drop"), "observe never drops:\n{observe}");
}

#[test]
fn install_keeps_ban_sets_and_recreates_the_rest() {
    let text = install_text(&gateway(Policy::Enforce));
    assert!(
        !text.contains("delete set inet ghostguard ban"),
        "bans survive a reinstall"
    );
    assert!(text.contains("delete set inet ghostguard trusted4"));
    for chain in ghostguard_firewall::CHAIN_NAMES {
        assert!(text.contains(&format!("delete chain inet ghostguard {chain}\n")));
    }
}

#[test]
fn invalid_specs_are_refused_before_any_command() {
    let mut fw = DryRun::new();
    let mut spec = FirewallSpec::new(Mode::Gateway, Policy::Enforce);
    assert!(matches!(
        fw.install(&spec),
        Err(ghostguard_firewall::FirewallError::Spec(
            SpecError::NothingProtected
        ))
    ));
    spec.trusted_only = false;
    spec.sip_ports.clear();
    assert_eq!(Ruleset::from_spec(&spec), Err(SpecError::NoSipPorts));
    spec.sip_ports = vec![0];
    assert_eq!(Ruleset::from_spec(&spec), Err(SpecError::PortZero));
    spec.sip_ports = (1..=17).collect();
    assert_eq!(
        Ruleset::from_spec(&spec),
        Err(SpecError::TooManySipPorts { count: 17 })
    );
    assert!(fw.batches().is_empty());
}
