//! The daemon's helpers that need no kernel, store or thread.

use super::*;

const CONFIG: &str = r#"
mode = "gateway"
policy = "enforce"
[network]
protected = ["192.168.1.0/24", "2001:db8:100::/64"]
[trusted]
servers = ["2001:db8:7::5"]
"#;

#[test]
fn stale_bans_are_not_noted_as_in_force() {
    let cfg = GuardConfig::parse(CONFIG).unwrap();
    let trusted: Vec<IpNet> = vec!["2001:db8:7::5/128".parse().unwrap()];
    let mut ins =
        Inspector::new(&cfg, Rules::default_rules().unwrap(), trusted.clone(), &[]).unwrap();
    let target = |s: &str| s.parse::<BanTarget>().unwrap();
    note_in_force(
        &mut ins,
        &cfg,
        &trusted,
        [
            // Holds the trusted server: not restored, so not in force.
            (target("2001:db8:7::/64"), None),
            // A protected phone.
            (target("192.168.1.20"), None),
            (target("2001:db8:1:2::/64"), None),
        ],
    );
    let now = ghostguard_guard::sources::now();
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert!(!ins.is_banned(ip("2001:db8:7::99"), now));
    assert!(!ins.is_banned(ip("192.168.1.20"), now));
    assert!(ins.is_banned(ip("2001:db8:1:2::9"), now));
}
