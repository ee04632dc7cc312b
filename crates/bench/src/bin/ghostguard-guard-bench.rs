//! How fast the guard inspects packets on one core: the frames of a
//! generated capture (calls, registrations, scans; some IPv6, TCP and
//! fragments) are loaded into memory and fed through the guard's inspector
//! (packet decoding, SIP parsing, the engine, the ban policy), as the
//! inspector thread gets them from NFLOG. Reading the capture is left out:
//! live, the kernel hands the packets over.
//!
//! `cargo run --release -p ghostguard-bench --bin ghostguard-guard-bench -- --messages 300000`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ghostguard_bench::{GenConfig, generate};
use ghostguard_capture::CaptureReader;
use ghostguard_engine::Rules;
use ghostguard_guard::GuardConfig;
use ghostguard_guard::inspector::{Effect, Inspector};
use ghostguard_packet::{Frame, LinkType, Timestamp};

#[derive(Parser)]
#[command(about = "Packets per second through the guard's inspector on one core")]
struct Args {
    /// Capture to use; generated when missing.
    #[arg(long, default_value = "/tmp/ghostguard-guard-bench.pcap")]
    file: PathBuf,
    /// Messages to generate when the file is missing.
    #[arg(long, default_value_t = 300_000)]
    messages: u64,
    /// Passes over the frames (the first warms the tables).
    #[arg(long, default_value_t = 3)]
    passes: u32,
}

const CONFIG: &str = r#"
mode = "gateway"
policy = "enforce"
[network]
protected = ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"]
[trusted]
servers = ["198.51.100.0/24"]
"#;

fn main() -> Result<()> {
    let args = Args::parse();
    if !args.file.exists() {
        let f = std::fs::File::create(&args.file)
            .with_context(|| format!("cannot create {}", args.file.display()))?;
        generate(
            std::io::BufWriter::new(f),
            &GenConfig {
                messages: args.messages,
                ..GenConfig::default()
            },
        )?;
    }
    let mut frames: Vec<(Timestamp, LinkType, Vec<u8>)> = Vec::new();
    let mut reader = CaptureReader::open(&args.file)?;
    reader.for_each_frame(&mut |f| frames.push((f.ts, f.link, f.data.to_vec())))?;
    let cfg = GuardConfig::parse(CONFIG)?;
    println!(
        "guard inspector, one core: {} frames from {}",
        frames.len(),
        args.file.display()
    );
    let mut best = 0f64;
    for pass in 1..=args.passes {
        let mut ins = Inspector::new(
            &cfg,
            Rules::default_rules()?,
            vec!["198.51.100.0/24".parse()?],
            &[],
        )?;
        let mut out = Vec::new();
        let (mut bans, mut incidents, mut calls) = (0u64, 0u64, 0u64);
        let t = Instant::now();
        for (ts, link, data) in &frames {
            ins.feed(&Frame::new(*ts, *link, data), None, &mut out);
            for e in out.drain(..) {
                match e {
                    Effect::Ban { .. } => bans += 1,
                    Effect::Incident { .. } => incidents += 1,
                    Effect::Call(_) => calls += 1,
                }
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let pps = frames.len() as f64 / secs;
        best = best.max(pps);
        println!(
            "  pass {pass}: {:.3} s, {:.0} packets/s ({} SIP messages; {incidents} incidents, {bans} bans, {calls} ghost calls)",
            secs,
            pps,
            ins.stats().datagrams
        );
    }
    println!("inspection rate (best pass): {best:.0} packets/s per core (target >= 300000)");
    Ok(())
}
