//! `ghostguard config check --resolve` in a network namespace of its own
//! with no network (`unshare -n`: every DNS query fails at once, nothing
//! leaves the host): a gateway that lets SIP in only from trusted servers,
//! under enforce, with not one trusted server resolving, would drop every
//! call, so the check fails; under observe it warns and passes. Needs root
//! for the namespace: SKIP without it, fail under CI=true.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ghostguard");

fn can_run() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let unshare = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if root && unshare {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "config_check: needs root and `unshare -n`, and CI=true: it must run"
    );
    eprintln!("SKIP: config_check: needs root and `unshare -n`");
    false
}

fn check(policy: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("guard.toml");
    std::fs::write(
        &cfg,
        format!(
            "mode = \"gateway\"\npolicy = \"{policy}\"\nsite = \"test\"\n\
             [network]\nprotected = [\"192.168.1.0/24\"]\n\
             [trusted]\nservers = [\"sip.provider.example\"]\n\
             [inspect]\nnflog_group = 7\n\
             [store]\nurl = \"sqlite://{}/gg.db\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    Command::new("unshare")
        .args(["-n", BIN, "config", "check", "--resolve"])
        .arg(&cfg)
        .output()
        .unwrap()
}

#[test]
fn enforce_with_no_trusted_server_resolving_fails_the_check() {
    if !can_run() {
        return;
    }
    let out = check("enforce");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("none of the trusted servers resolves"),
        "{err}"
    );

    let out = check("observe");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("does not resolve") && said.contains("OK"),
        "{said}"
    );
}
