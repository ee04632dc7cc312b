//! Writes a synthetic SIP capture for benchmarks.
//!
//! `ghostguard-gen --messages 1000000 -o /tmp/bench-1m.pcap`

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use ghostguard_bench::{GenConfig, generate};

#[derive(Parser)]
#[command(about = "Write a synthetic SIP capture (pcap) for benchmarks")]
struct Args {
    /// SIP messages to write.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Percent of flows over IPv6.
    #[arg(long, default_value_t = 5)]
    ipv6_pct: u32,
    /// Percent of phone flows over TCP.
    #[arg(long, default_value_t = 3)]
    tcp_pct: u32,
    /// Percent of calls with an INVITE large enough to fragment.
    #[arg(long, default_value_t = 1)]
    frag_pct: u32,
    #[arg(short, long)]
    output: PathBuf,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let cfg = GenConfig {
        messages: a.messages,
        seed: a.seed,
        ipv6_pct: a.ipv6_pct,
        tcp_pct: a.tcp_pct,
        frag_pct: a.frag_pct,
    };
    let f =
        File::create(&a.output).with_context(|| format!("cannot create {}", a.output.display()))?;
    let s = generate(BufWriter::with_capacity(1 << 20, f), &cfg)?;
    eprintln!(
        "{}: {} SIP messages ({} attack) in {} frames, {:.1} MB",
        a.output.display(),
        s.messages,
        s.attack_messages,
        s.frames,
        s.bytes as f64 / 1e6
    );
    Ok(())
}
