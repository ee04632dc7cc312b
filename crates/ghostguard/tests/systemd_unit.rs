//! The shipped systemd unit: it starts the real subcommands, grants only
//! CAP_NET_ADMIN and CAP_NET_RAW, and systemd accepts it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn unit() -> (std::path::PathBuf, String) {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../dist/systemd/ghostguard.service");
    let text = std::fs::read_to_string(&p).unwrap();
    (p, text)
}

fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .collect()
}

#[test]
fn only_the_needed_capabilities() {
    let (_, text) = unit();
    for key in ["CapabilityBoundingSet", "AmbientCapabilities"] {
        let v = values(&text, key);
        assert_eq!(v, vec!["CAP_NET_ADMIN CAP_NET_RAW"], "{key}");
    }
    assert_eq!(values(&text, "NoNewPrivileges"), vec!["yes"]);
}

#[test]
fn the_commands_it_runs_exist() {
    let (_, text) = unit();
    let bin = env!("CARGO_BIN_EXE_ghostguard");
    for key in ["ExecStartPre", "ExecStart"] {
        for line in values(&text, key) {
            let mut words = line.split_whitespace();
            assert_eq!(words.next(), Some("/usr/local/bin/ghostguard"));
            let args: Vec<&str> = words.collect();
            // `--help` after the subcommand proves clap knows it and its flags.
            let mut help: Vec<&str> = args
                .iter()
                .take_while(|a| !a.starts_with('/'))
                .copied()
                .collect();
            help.retain(|a| *a != "-c");
            help.push("--help");
            let out = Command::new(bin).args(&help).output().unwrap();
            assert!(
                out.status.success(),
                "{key}: ghostguard {help:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn systemd_accepts_the_unit() {
    let (path, _) = unit();
    let Ok(out) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have systemd-analyze (package systemd)"
        );
        eprintln!("SKIP: systemd-analyze not installed");
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    // verify also complains that /usr/local/bin/ghostguard is missing on a
    // build machine; anything else is a real problem.
    let real: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("/usr/local/bin/ghostguard") && !l.trim().is_empty())
        .filter(|l| !l.contains("Failed to create") && !l.contains("Documentation="))
        .collect();
    assert!(real.is_empty(), "systemd-analyze verify: {err}");
}

#[test]
fn the_reflector_units_token_drop_in_names_real_flags() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../dist/systemd/ghostguard-reflector.service");
    let text = std::fs::read_to_string(&p).unwrap();
    let line = text
        .lines()
        .filter_map(|l| l.strip_prefix("#   ExecStart=/usr/local/bin/ghostguard "))
        .next()
        .expect("the documented drop-in ExecStart");
    assert!(text.contains("#   LoadCredential=token:"), "{text}");
    let mut args: Vec<&str> = line.split_whitespace().collect();
    assert!(args.contains(&"--token-file"), "{line}");
    args.push("--help");
    let out = Command::new(env!("CARGO_BIN_EXE_ghostguard"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
