//! The Memory and DryRun adapters, and the Nft adapter's error reporting
//! (driven through stand-in `nft` programs, so no root is needed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ghostguard_firewall::{
    Ban, BanEntry, DryRun, Firewall, FirewallError, FirewallSpec, Memory, Mode, Nft, Policy, Step,
    Tools,
};
use ipnet::IpNet;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap_or_else(|_| IpNet::from(ip(s)))
}

fn host() -> FirewallSpec {
    FirewallSpec::new(Mode::Host, Policy::Enforce)
}

#[test]
fn memory_bans_expire_on_the_test_clock_and_survive_reinstall() {
    let mut fw = Memory::new();
    let ban = [Ban {
        net: net("203.0.113.5"),
        ttl: Duration::from_secs(60),
    }];
    assert!(matches!(
        fw.ban(&ban),
        Err(FirewallError::NotInstalled { step: Step::Ban })
    ));
    fw.install(&host()).unwrap();
    fw.ban(&ban).unwrap();
    fw.ban(&[Ban {
        net: net("::ffff:203.0.113.6"),
        ttl: Duration::from_millis(100),
    }])
    .unwrap();
    fw.install(&host()).unwrap();
    assert!(
        fw.is_banned(ip("203.0.113.6")),
        "mapped address banned as IPv4"
    );
    fw.advance(Duration::from_secs(1));
    assert_eq!(
        fw.bans().unwrap(),
        vec![BanEntry {
            net: net("203.0.113.5"),
            remaining: Some(Duration::from_secs(59))
        }]
    );
    fw.advance(Duration::from_secs(59));
    assert!(fw.bans().unwrap().is_empty());
}

#[test]
fn memory_injected_failure_changes_nothing() {
    let mut fw = Memory::new();
    fw.install(&host()).unwrap();
    fw.fail_next();
    let err = fw
        .ban(&[Ban {
            net: net("203.0.113.5"),
            ttl: Duration::from_secs(60),
        }])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ban batch: the in-memory firewall was told to fail"
    );
    assert!(!fw.is_banned(ip("203.0.113.5")));
    fw.set_trusted(&[
        "198.51.100.0/24".parse().unwrap(),
        "198.51.100.7/32".parse().unwrap(),
    ])
    .unwrap();
    assert_eq!(fw.trusted(), ["198.51.100.0/24".parse::<IpNet>().unwrap()]);
    fw.remove().unwrap();
    assert!(fw.spec().is_none());
    assert_eq!(
        fw.calls(),
        [Step::Install, Step::Ban, Step::ReplaceTrusted, Step::Remove]
    );
}

/// A `Write` the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn dry_run_prints_what_it_records() {
    let out = Shared::default();
    let mut fw = DryRun::printing(out.clone());
    fw.install(&host()).unwrap();
    fw.ban(&[Ban {
        net: net("2001:db8::1"),
        ttl: Duration::from_secs(5),
    }])
    .unwrap();
    fw.ban(&[]).unwrap();
    let printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(printed, fw.script());
    assert_eq!(fw.batches().len(), 2, "an empty ban makes no batch");
    assert!(printed.contains("add element inet ghostguard ban6 { 2001:db8::1 timeout 5s }"));
    assert_eq!(fw.bans().unwrap().len(), 1);
}

/// `serve` and `feed import` print ban changes for the guard's table
/// without installing one themselves.
#[test]
fn dry_run_of_changes_needs_no_install_and_prints_no_table() {
    let out = Shared::default();
    let mut fw = DryRun::printing_changes(out.clone());
    fw.ban(&[
        Ban {
            net: net("2001:db8:7:8::/64"),
            ttl: Duration::from_secs(60),
        },
        Ban::address(ip("198.51.100.7"), Duration::from_secs(60)),
    ])
    .unwrap();
    fw.unban(&[net("198.51.100.7/32")]).unwrap();
    let printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(
        printed.contains("add element inet ghostguard ban6 { 2001:db8:7:8::/64 timeout 60s }"),
        "{printed}"
    );
    assert!(printed.contains("198.51.100.7"), "{printed}");
    assert!(
        !printed.contains("add table"),
        "no install batch: {printed}"
    );
    assert_eq!(fw.bans().unwrap().len(), 1, "the /64 stays");
}

/// A stand-in `nft` that prints `stderr`, `stdout` and exits with `code`.
fn fake_nft(dir: &std::path::Path, name: &str, stdout: &str, stderr: &str, code: i32) -> Nft {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\ncat >/dev/null\nprintf '%s' '{stdout}'\nprintf '%s\\n' '{stderr}' >&2\nexit {code}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    Nft::with_tools(Tools {
        nft: path,
        ..Tools::default()
    })
}

// One test: the stand-in scripts are written and run in sequence (running a
// just-written file while another thread forks can fail with ETXTBSY).
#[test]
fn nft_errors_name_the_step_the_command_and_the_cause() {
    let dir = std::env::temp_dir().join(format!("gg-fw-fake-nft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ban = [Ban {
        net: net("203.0.113.5"),
        ttl: Duration::from_secs(60),
    }];

    let mut missing = Nft::with_tools(Tools {
        nft: dir.join("no-such-nft"),
        ..Tools::default()
    });
    let err = missing.install(&host()).unwrap_err();
    assert!(
        matches!(
            err,
            FirewallError::NotFound {
                step: Step::Install,
                package: "nftables",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("install the nftables package"),
        "{err}"
    );

    let mut denied = fake_nft(
        &dir,
        "denied",
        "",
        "Error: Could not process rule: Operation not permitted",
        1,
    );
    let err = denied.ban(&ban).unwrap_err();
    assert!(
        matches!(
            err,
            FirewallError::PermissionDenied {
                step: Step::Ban,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("ban batch: `") && text.contains("/denied -f -`"),
        "{text}"
    );
    assert!(text.contains("needs CAP_NET_ADMIN (run as root)"), "{text}");

    let mut failing = fake_nft(
        &dir,
        "failing",
        "",
        "/dev/stdin:2:1-5: Error: No such file or directory",
        1,
    );
    let err = failing.unban(&[net("203.0.113.5")]).unwrap_err();
    assert!(
        matches!(
            err,
            FirewallError::Failed {
                step: Step::Unban,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("/dev/stdin:2:1-5: Error: No such file or directory"),
        "{err}"
    );

    let mut garbage = fake_nft(&dir, "garbage", "not json", "", 0);
    let err = garbage.bans().unwrap_err();
    assert!(
        matches!(
            err,
            FirewallError::Output {
                step: Step::ListBans,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("/garbage -j list set inet ghostguard ban4"),
        "{err}"
    );

    let mut fine = fake_nft(&dir, "fine", "", "", 0);
    fine.ban(&ban).unwrap();

    // The merged batch fails once (an element it deletes timed out since
    // the listing): listed and merged again, not given up.
    let runs = dir.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    std::fs::write(
        dir.join("ban6.json"),
        r#"{"nftables": [{"metainfo": {}}, {"set": {"family": "inet", "name": "ban6",
           "table": "ghostguard", "type": "ipv6_addr", "flags": ["interval", "timeout"],
           "elem": [{"elem": {"val": "2001:db8:1:2::5", "timeout": 600, "expires": 599}}]}}]}"#,
    )
    .unwrap();
    let path = dir.join("racing");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nd={}\nif [ \"$1\" = -f ]; then\n  n=$(ls \"$d/runs\" | wc -l)\n  \
             cat > \"$d/runs/$n\"\n  [ \"$n\" -ge 2 ] && exit 0\n  \
             echo 'Error: Could not process rule: No such file or directory' >&2\n  exit 1\nfi\n\
             cat \"$d/ban6.json\"\n",
            dir.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut racing = Nft::with_tools(Tools {
        nft: path,
        ..Tools::default()
    });
    racing
        .ban(&[Ban {
            net: net("2001:db8:1:2::/64"),
            ttl: Duration::from_secs(60),
        }])
        .unwrap();
    let last = std::fs::read_to_string(runs.join("2")).unwrap();
    assert!(
        last.contains("delete element inet ghostguard ban6 { 2001:db8:1:2::5 }")
            && last.contains("2001:db8:1:2::/64"),
        "{last}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn memory_prefix_bans_cover_their_addresses_and_merge_like_the_kernel() {
    let mut fw = Memory::new();
    fw.install(&host()).unwrap();
    let ban = |s: &str, secs| Ban {
        net: net(s),
        ttl: Duration::from_secs(secs),
    };
    fw.ban(&[ban("2001:db8:1:2::5", 900)]).unwrap();
    fw.ban(&[ban("2001:db8:1:2::/64", 60)]).unwrap();
    assert!(fw.is_banned(ip("2001:db8:1:2::ffff")));
    assert!(!fw.is_banned(ip("2001:db8:1:3::5")));
    assert_eq!(
        fw.bans().unwrap(),
        [BanEntry {
            net: net("2001:db8:1:2::/64"),
            remaining: Some(Duration::from_secs(900))
        }],
        "the /64 swallowed the address ban and kept its longer time"
    );
    let wide = fw.ban(&[ban("2001:db8::/32", 60)]).unwrap_err();
    assert!(matches!(wide, FirewallError::Unbannable { .. }), "{wide}");
    fw.unban(&[net("2001:db8:1:2::77")]).unwrap();
    assert!(fw.bans().unwrap().is_empty(), "an address inside lifts it");
}
