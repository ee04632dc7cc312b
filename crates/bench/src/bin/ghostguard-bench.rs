//! End-to-end benchmark of `ghostguard analyze`, side by side with tshark and
//! a bare mmap + CRLF scan of the same file, in one run.
//!
//! `cargo run --release -p ghostguard-bench --bin ghostguard-bench -- --messages 1000000`
//!
//! Prints SIP messages per second for each, the ratios, and the peak memory
//! (max RSS) of the `analyze` process.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use ghostguard_bench::{GenConfig, generate};

#[derive(Parser)]
#[command(about = "Benchmark ghostguard analyze against tshark on a synthetic capture")]
struct Args {
    /// Capture to use; generated when missing.
    #[arg(long, default_value = "/tmp/ghostguard-bench.pcap")]
    file: PathBuf,
    /// Messages to generate when the file is missing (or with --regenerate).
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    #[arg(long)]
    regenerate: bool,
    /// Skip tshark even when it is installed.
    #[arg(long)]
    no_tshark: bool,
    /// Thread counts to run analyze with.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    threads: Vec<u32>,
}

struct Run {
    secs: f64,
    max_rss_kb: i64,
}

/// Runs a command to completion; returns its wall time and its own peak
/// RSS (from `wait4` on that child, not the whole process tree's maximum).
fn timed(cmd: &mut Command) -> Result<Run> {
    let t = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes only into the two locals; the child is ours and
    // not waited for anywhere else (the `Child` is forgotten below).
    #[allow(unsafe_code)]
    let (rc, ru) = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        let rc = libc::wait4(pid, &mut status, 0, &mut ru);
        (rc, ru)
    };
    std::mem::forget(child);
    let secs = t.elapsed().as_secs_f64();
    if rc != pid {
        bail!("wait4 failed for {cmd:?}");
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    if code != 0 && code != 1 {
        bail!("{cmd:?} failed with status {code}");
    }
    Ok(Run {
        secs,
        max_rss_kb: ru.ru_maxrss,
    })
}

/// The floor: map the file and count CRLFs, nothing else.
fn bare_scan(path: &Path) -> Result<(f64, usize)> {
    let f = std::fs::File::open(path)?;
    // SAFETY: the benchmark owns the file; nobody truncates it while mapped.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&f)? };
    let t = Instant::now();
    let n = memchr::memmem::find_iter(&map, b"\r\n").count();
    Ok((t.elapsed().as_secs_f64(), n))
}

fn main() -> Result<()> {
    let a = Args::parse();
    if a.regenerate || !a.file.exists() {
        eprintln!(
            "generating {} messages into {} ...",
            a.messages,
            a.file.display()
        );
        let f = std::fs::File::create(&a.file)?;
        let cfg = GenConfig {
            messages: a.messages,
            ..GenConfig::default()
        };
        generate(std::io::BufWriter::with_capacity(1 << 20, f), &cfg)?;
    }
    let size = std::fs::metadata(&a.file)?.len();
    let exe_dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .context("no exe dir")?;
    let gg = exe_dir.join("ghostguard");
    if !gg.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p ghostguard)",
            gg.display()
        );
    }
    // Warm the page cache so every tool reads from memory. Plain reads, not
    // a mapping: on exec, Linux hands a spawned child this process's peak
    // RSS, so mapping the file here would inflate the children's figures.
    {
        use std::io::Read;
        let mut f = std::fs::File::open(&a.file)?;
        let mut buf = vec![0u8; 1 << 20];
        while f.read(&mut buf)? > 0 {}
    }
    let json = std::env::temp_dir().join("ghostguard-bench-report.json");

    let mut rows: Vec<(String, f64, Option<i64>)> = Vec::new();
    let mut messages = 0u64;
    for &threads in &a.threads {
        let mut cmd = Command::new(&gg);
        cmd.arg("analyze")
            .arg(&a.file)
            .args(["--format", "json", "--no-progress", "-o"])
            .arg(&json);
        if threads != 1 {
            cmd.args(["--threads", &threads.to_string()]);
        }
        let r = timed(&mut cmd)?;
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
        messages = report["summary"]["messages"]
            .as_u64()
            .context("report has no summary.messages")?;
        rows.push((
            format!("ghostguard analyze (--threads {threads})"),
            r.secs,
            Some(r.max_rss_kb),
        ));
    }
    let (bare_secs, crlf) = bare_scan(&a.file)?;
    rows.push(("bare mmap + CRLF scan".to_string(), bare_secs, None));
    let tshark = !a.no_tshark
        && Command::new("tshark")
            .arg("-v")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if tshark {
        let r = timed(
            Command::new("tshark")
                .arg("-r")
                .arg(&a.file)
                .args(["-q", "-z", "sip,stat"]),
        )?;
        rows.push(("tshark -q -z sip,stat".to_string(), r.secs, None));
    } else {
        eprintln!("SKIP: tshark not installed (apt-get install tshark) — no comparison row");
    }

    println!(
        "file: {} ({:.1} MB, {} SIP messages, {} CRLFs)",
        a.file.display(),
        size as f64 / 1e6,
        messages,
        crlf
    );
    println!("in-process stages, one core:");
    for (name, secs, n) in ghostguard_bench::stages(&a.file)? {
        println!(
            "  {name:<34} {secs:>8.3} s {:>14.0} messages/s",
            n as f64 / secs
        );
    }
    println!(
        "{:<36} {:>10} {:>14} {:>10} {:>12}",
        "tool", "seconds", "messages/s", "MB/s", "peak RSS MB"
    );
    let gg_secs = rows[0].1;
    for (name, secs, rss) in &rows {
        let rss = rss.map_or("-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        println!(
            "{:<36} {:>10.3} {:>14.0} {:>10.0} {:>12}",
            name,
            secs,
            messages as f64 / secs,
            size as f64 / 1e6 / secs,
            rss
        );
    }
    for (name, secs, _) in rows.iter().skip(1) {
        // >1: ghostguard (first row) is that many times faster than `name`.
        println!(
            "speed of {} relative to {name}: {:.2}x",
            rows[0].0,
            secs / gg_secs
        );
    }
    Ok(())
}
