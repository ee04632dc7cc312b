//! `analyze --threads N` gives the report `--threads 1` gives, on the
//! benchmark's synthetic mix (calls, registrations, scans, a flood, IPv6,
//! TCP and fragments): every engine of a sharded analysis must judge each
//! message with the same knowledge of phones and servers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use ghostguard_bench::{GenConfig, generate};

fn analyze(path: &std::path::Path, threads: u32) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_ghostguard"))
        .args(["analyze", "--format", "json", "--no-progress", "--threads"])
        .arg(threads.to_string())
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "--threads {threads}: abuse found means exit 1; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn sharded_reports_equal_the_single_threaded_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut ghost_calls = 0;
    for seed in [7, 11] {
        let path = dir.path().join(format!("mix-{seed}.pcap"));
        let cfg = GenConfig {
            messages: 30_000,
            seed,
            ..GenConfig::default()
        };
        let file = std::fs::File::create(&path).unwrap();
        generate(std::io::BufWriter::new(file), &cfg).unwrap();
        let one = analyze(&path, 1);
        let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
        // The mix exercises what sharding must get right: phones that
        // register in one shard and are dialled from sources in another.
        let sources = json["sources"].as_array().unwrap();
        let toll = sources
            .iter()
            .filter(|s| {
                s["kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k == "toll-fraud")
            })
            .count();
        assert!(toll > 0, "seed {seed}: the mix has toll fraud");
        ghost_calls += json["ghost_calls"].as_array().map_or(0, Vec::len);
        for threads in [2, 3] {
            let many = analyze(&path, threads);
            if many != one {
                let a = String::from_utf8_lossy(&one);
                let b = String::from_utf8_lossy(&many);
                let line = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                panic!(
                    "seed {seed}: --threads {threads} differs from --threads 1 at line {line}:\n  1: {}\n  {threads}: {}",
                    a.lines().nth(line).unwrap_or(""),
                    b.lines().nth(line).unwrap_or("")
                );
            }
        }
    }
    assert!(ghost_calls > 0, "the mixes have ghost calls");
}
