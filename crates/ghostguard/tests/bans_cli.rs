//! `ghostguard bans` with IPv6 prefix bans and a real SQLite store: a
//! monitor-mode config (no kernel table, no root) finds and lifts the
//! prefix ban around an address, IPv4 stays one address per ban; as root,
//! in a network namespace, the kernel keeps a wider ban when one inside
//! it is lifted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ghostguard");

fn run(cfg: &str, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .arg("bans")
        .args(["-c", cfg])
        .args(args)
        .output()
        .unwrap();
    eprintln!(
        "bans {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn listed(cfg: &str, filter: Option<&str>) -> Vec<String> {
    let mut args = vec!["list", "--format", "json"];
    args.extend(filter);
    let out = run(cfg, &args);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b["ip"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn prefix_bans_are_listed_and_lifted_by_any_address_inside() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("guard.toml");
    std::fs::write(
        &cfg,
        format!(
            "mode = \"monitor\"\nsite = \"test\"\n[network]\nprotected = [\"192.168.1.0/24\"]\nlan = [\"2001:db8:200::/56\"]\n\
             [trusted]\nservers = [\"2001:db8:7::5\"]\n\
             [inspect]\nhep_listen = [\"127.0.0.1:9\"]\n\
             [store]\nurl = \"sqlite://{}/gg.db\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    for target in ["2001:db8:1:2::77/64", "203.0.113.5", "2001:db8:9::9"] {
        assert!(run(c, &["add", target, "--time", "1h"]).status.success());
    }
    assert_eq!(
        listed(c, None),
        ["2001:db8:1:2::/64", "203.0.113.5", "2001:db8:9::9"]
    );
    assert_eq!(listed(c, Some("2001:db8:1:2::abcd")), ["2001:db8:1:2::/64"]);
    assert_eq!(listed(c, Some("203.0.113.5")), ["203.0.113.5"]);
    // Banning again for less time keeps the later end (store and kernel get
    // the time left until it).
    let out = run(c, &["add", "203.0.113.5", "--time", "10m"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("banned already") && said.contains("59m"),
        "{said}"
    );

    // Refused with a reason: too wide, an IPv4 network, a network holding
    // the trusted provider, garbage.
    for (target, why) in [
        ("2001:db8::/32", "at most a /48"),
        ("203.0.113.0/24", "single addresses"),
        ("2001:db8:7::/64", "holding a trusted server"),
        ("2001:db8:200:7::/64", "overlapping the LAN"),
        ("fd00:1:2:3::/64", "private addresses"),
        ("127.0.0.1", "loopback"),
        ("::", "unspecified"),
        ("224.0.0.5", "multicast"),
        ("2001:db8::zz", "not an IP address or network"),
    ] {
        let out = run(c, &["add", target]);
        assert!(!out.status.success(), "{target} was banned");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{target}: {err}");
    }

    // A ban time of zero, or beyond the firewall's maximum (a year).
    // `1y` (humantime: 365.25 days) is the maximum, a year.
    assert!(
        run(c, &["add", "203.0.113.10", "--time", "1y"])
            .status
            .success()
    );
    assert!(run(c, &["del", "203.0.113.10"]).status.success());
    for time in ["0s", "5y", "366d"] {
        let out = run(c, &["add", "203.0.113.9", "--time", time]);
        assert!(!out.status.success(), "--time {time} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("a ban lasts from 1s to"), "{time}: {err}");
    }

    let out = run(c, &["del", "2001:db8:1:2::5"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("lifted the ban of 2001:db8:1:2::/64"),
        "lifting an address inside names the prefix"
    );
    assert_eq!(listed(c, None), ["203.0.113.5", "2001:db8:9::9"]);
    assert!(run(c, &["del", "2001:db8:9::/48"]).status.success());
    assert_eq!(listed(c, None), ["203.0.113.5"]);

    // An operator's /48 stays when an address banned inside it is lifted.
    for target in ["2001:db8:5::/48", "2001:db8:5:1::6"] {
        assert!(run(c, &["add", target, "--time", "1h"]).status.success());
    }
    let out = run(c, &["del", "2001:db8:5:1::6"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("lifted the ban of 2001:db8:5:1::6\n"),
        "only the address's own ban"
    );
    assert_eq!(listed(c, None), ["203.0.113.5", "2001:db8:5::/48"]);
}

/// In the kernel (a network namespace of its own, as root): lifting an
/// address banned inside an operator's /48 removes its element, which the
/// interval set had merged into the /48, and puts the /48 back.
#[test]
fn lifting_an_address_keeps_the_wider_ban_in_the_kernel() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let tools = ["nft", "unshare"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !(root && tools) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "needs root, nft and unshare"
        );
        eprintln!(
            "SKIP: lifting_an_address_keeps_the_wider_ban_in_the_kernel needs root, nft and unshare"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("guard.toml");
    std::fs::write(
        &cfg,
        format!(
            "mode = \"host\"\npolicy = \"enforce\"\nsite = \"test\"\n\
             [network]\nprotected = [\"192.0.2.10/32\"]\n\
             [trusted]\nservers = [\"198.51.100.10\"]\n\
             [inspect]\nhep_listen = [\"127.0.0.1:9\"]\n\
             [store]\nurl = \"sqlite://{}/gg.db\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let c = cfg.display();
    let script = format!(
        "set -e\n{BIN} guard -c {c} --dry-run | nft -f -\n\
         {BIN} bans -c {c} add 2001:db8:5::/48 --time 1h\n\
         {BIN} bans -c {c} add 2001:db8:5:1::6 --time 1h\n\
         {BIN} bans -c {c} del 2001:db8:5:1::6\n\
         nft list set inet ghostguard ban6\n"
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(
        text.contains("lifted the ban of 2001:db8:5:1::6\n"),
        "{text}"
    );
    assert!(
        text.contains("2001:db8:5::/48 timeout"),
        "the /48 stays: {text}"
    );
}
