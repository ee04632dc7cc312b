//! Measures the nftables adapter on this kernel, inside a throwaway
//! network namespace (the host's own ruleset is never touched):
//! install time, single-ban latency (one ban batch until the element is
//! in the kernel set), and one batch of 5000 bans.
//!
//! Run as root: `cargo run --release -p ghostguard-firewall --example ban_latency`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use ghostguard_firewall::{Ban, Firewall, FirewallSpec, Mode, Nflog, Nft, Policy};

/// Deletes the namespace on drop, also after a panic.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "{label:<40} n={:<4} min {:>8.2?}  median {:>8.2?}  p95 {:>8.2?}  max {:>8.2?}",
        samples.len(),
        at(0.0),
        at(0.5),
        at(0.95),
        at(1.0)
    );
}

fn main() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("ban_latency needs root (CAP_NET_ADMIN): it makes a network namespace");
        std::process::exit(2);
    }
    let ns = Netns(format!("gg-fw-bench-{}", std::process::id()));
    let status = Command::new("ip")
        .args(["netns", "add", &ns.0])
        .status()
        .unwrap();
    assert!(status.success(), "ip netns add failed");
    let fd = std::fs::File::open(format!("/run/netns/{}", ns.0)).unwrap();
    // Only this (main) thread moves; the nft processes it starts run there.
    rustix::thread::move_into_link_name_space(
        std::os::fd::AsFd::as_fd(&fd),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .unwrap();

    let mut fw = Nft::new();
    let mut spec = FirewallSpec::new(Mode::Gateway, Policy::Enforce);
    spec.protected = vec!["192.0.2.0/24".parse().unwrap()];
    spec.trusted = vec!["198.51.100.0/24".parse().unwrap()];
    spec.nflog = Some(Nflog::new(1));
    let installs: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            fw.install(&spec).unwrap();
            t.elapsed()
        })
        .collect();
    summary("install (whole table, one batch)", installs);

    let mut ban_only = Vec::new();
    let mut visible = Vec::new();
    for i in 0..100u16 {
        let ip = IpAddr::from([0x2001, 0xdb8, 0x1a7, 0, 0, 0, 0, i]);
        let t = Instant::now();
        fw.ban(&[Ban::address(ip, Duration::from_secs(600))])
            .unwrap();
        ban_only.push(t.elapsed());
        // The ban is committed when ban() returns; listing proves it.
        assert!(fw.bans().unwrap().iter().any(|b| b.net.contains(&ip)));
        visible.push(t.elapsed());
    }
    summary("one ban batch (nft -f, committed)", ban_only);
    summary("one ban batch + listing shows it", visible);

    let bans: Vec<Ban> = (0..5000u32)
        .map(|i| {
            Ban::address(
                IpAddr::from([0x2001, 0xdb8, 0xbad, 0, 0, 0, (i >> 16) as u16, i as u16]),
                Duration::from_secs(3600),
            )
        })
        .collect();
    let ips: Vec<ipnet::IpNet> = bans.iter().map(|b| b.net).collect();
    let (mut new, mut renew, mut lift) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        fw.ban(&bans).unwrap();
        new.push(t.elapsed());
        let t = Instant::now();
        fw.ban(&bans).unwrap();
        renew.push(t.elapsed());
        let t = Instant::now();
        fw.unban(&ips).unwrap();
        lift.push(t.elapsed());
    }
    summary("5000 new bans in one batch", new);
    summary("5000 renewed bans in one batch", renew);
    summary("5000 unbans in one batch", lift);
    fw.ban(&bans).unwrap();
    let t = Instant::now();
    let listed = fw.bans().unwrap().len();
    println!(
        "{:<40} {listed} elements in {:.2?}",
        "list ban sets",
        t.elapsed()
    );
    fw.remove().unwrap();
}
