//! `ghostguard feed import` as an operator runs it: a plain list with
//! addresses, an IPv6 prefix ban and networks it cannot hold, into a fresh
//! SQLite store, printing the nft changes with `--apply dry-run` (no root,
//! no table needed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

mod common;

use common::BIN;

#[test]
fn a_list_with_networks_is_imported_and_the_dry_run_prints_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "# a blocklist\n198.51.100.7\n2001:db8:7:8::/64\n203.0.113.0/24\n2001:db8::/32\nnonsense\n",
    )
    .unwrap();
    let store = format!("sqlite://{}", dir.path().join("s.db").display());
    let out = Command::new(BIN)
        .args(["feed", "import", "--store", &store, "--apply", "dry-run"])
        .arg(&list)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("2 bans (1 of them IPv6 networks)")
            && stdout.contains("1 invalid, 2 networks skipped"),
        "{stdout}"
    );
    assert!(
        stderr.contains("add element inet ghostguard ban6 { 2001:db8:7:8::/64 timeout 86400s }")
            && stderr.contains("198.51.100.7"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("add table"),
        "the guard owns the table: {stderr}"
    );
}
