//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ghostguard",
    version,
    about = "Find and stop SIP ghost calls, scanners and toll fraud"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse captures (pcap, pcapng, gzip; HEP inside): ghost calls,
    /// attackers, likely causes and what to do.
    Analyze(AnalyzeArgs),
    /// The web dashboard, JSON API, Prometheus metrics and blocklist feed
    /// over the incident store (docs/dashboard.md).
    Serve(crate::serve_cli::ServeArgs),
    /// Blocklists: import another site's feed or a public list.
    Feed(crate::serve_cli::FeedArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutFormat {
    Text,
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutLang {
    En,
    Nl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Capture files (pcap, pcapng, optionally .gz); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Trusted SIP servers (the provider's): addresses, CIDRs or host names.
    /// Repeat or separate with commas. Without it they are inferred from the
    /// capture (the registrar the phones use).
    #[arg(long, value_delimiter = ',', value_name = "ADDR|CIDR|HOST")]
    pub trusted: Vec<String>,
    /// Extra prefixes that count as the LAN (private ranges always do).
    #[arg(long, value_delimiter = ',', value_name = "CIDR")]
    pub lan: Vec<String>,
    /// Addresses of phones, besides those found in the traffic.
    #[arg(long, value_delimiter = ',', value_name = "ADDR")]
    pub phone: Vec<String>,
    /// Sources never called malicious (e.g. your own test host).
    #[arg(long, value_delimiter = ',', value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Signature rules file (TOML) instead of the shipped defaults.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Engine settings file (TOML, the `[engine]` schema: thresholds etc.).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutFormat,
    #[arg(long, value_enum, default_value = "en")]
    pub lang: OutLang,
    /// Write the report here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Analysis threads: 1 analyses on the reading thread; more shard the
    /// engine by responder address (see docs/configuration.md); 0 uses one
    /// per CPU. At most 64.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(0..=MAX_THREADS))]
    pub threads: u16,
}

/// The most `--threads` accepts.
pub const MAX_THREADS: i64 = 64;

impl AnalyzeArgs {
    /// `--threads`, with 0 resolved to the number of CPUs (at most 64).
    #[must_use]
    pub fn engine_threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get)
                .min(MAX_THREADS as usize),
            n => usize::from(n),
        }
    }
}
