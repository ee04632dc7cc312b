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
    /// Guard live (daemon): SIP only from trusted servers, detection, bans
    /// in the kernel (nftables), incidents in the store, alerts.
    Guard(crate::guard_cli::GuardArgs),
    /// Check a guard configuration.
    Config(crate::guard_cli::ConfigArgs),
    /// List, add or lift bans (works while the guard runs).
    Bans(crate::guard_cli::BansArgs),
    /// Incidents the guard recorded.
    Incidents(crate::guard_cli::IncidentsArgs),
    /// Ghost calls the guard recorded: calls to phones from untrusted sources.
    Calls(crate::guard_cli::CallsArgs),
    /// Whether the guard runs, its table, and what it has seen.
    Status(crate::guard_cli::StatusArgs),
    /// From a LAN machine: find out why phones ring (SIP ALG, port forward,
    /// infected host, loop, open phone, NAT) with the help of a reflector.
    Diagnose(DiagnoseArgs),
    /// The provider's service that `diagnose` talks to: echoes test
    /// messages and probes the requester's own address (nobody else's).
    Reflector(ReflectorArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DiagnoseArgs {
    /// The reflector: HOST or HOST:PORT (port 5060 when left out).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub reflector: String,
    /// The reflector's non-standard port (tested besides the main one).
    #[arg(long, value_name = "PORT", default_value_t = 5062)]
    pub alt_port: u16,
    /// The reflector's shared token, if it has one. Visible to every user
    /// of this machine (`ps`) while diagnose runs: prefer --token-file.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Read the reflector's token from this file (its first line,
    /// trimmed), so it stays off the command line.
    #[arg(long, value_name = "PATH", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// Seconds of live capture for local evidence; 0 skips it. At most 300.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=300))]
    pub capture_seconds: u64,
    /// Interface to capture on (default: the one of the default route).
    #[arg(long, value_name = "IF")]
    pub interface: Option<String>,
    /// How long to wait for each answer from the reflector, in ms.
    #[arg(long, value_name = "MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(100..=30_000))]
    pub timeout_ms: u64,
    /// Skip the test from the internet (the probe of our public address).
    #[arg(long)]
    pub no_probe: bool,
    /// Also measure how long the router keeps a UDP NAT binding open: the
    /// reflector sends one datagram back after each of 20, 45 and 90 s
    /// (the run then takes about 90 s longer). Off by default.
    #[arg(long, conflicts_with = "no_nat_wait")]
    pub nat_binding: bool,
    /// The waits for the NAT binding test, in seconds, comma separated
    /// (at most 5, each 1..=180); implies --nat-binding.
    #[arg(long, value_name = "S,S,..", value_delimiter = ',', num_args = 1..=5,
          value_parser = clap::value_parser!(u32).range(1..=180),
          conflicts_with = "no_nat_wait")]
    pub nat_wait: Vec<u32>,
    /// Skip the NAT binding test (the default; overrides a config or alias).
    #[arg(long)]
    pub no_nat_wait: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Where and how a report is written (`analyze` and `diagnose`).
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutFormat,
    #[arg(long, value_enum, default_value = "en")]
    pub lang: OutLang,
    /// Write the report here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
}

#[derive(Debug, Args)]
pub struct ReflectorArgs {
    /// Config file (TOML, see examples/reflector.toml); defaults without it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Check the config and exit.
    #[arg(long)]
    pub check: bool,
    /// The shared token diagnose must send, read from this file (its first
    /// line, trimmed); overrides `auth.token` and `auth.token_file`.
    /// With systemd: `LoadCredential=token:/etc/ghostguard/reflector.token`
    /// and `--token-file ${CREDENTIALS_DIRECTORY}/token`.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
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
    #[command(flatten)]
    pub report: ReportArgs,
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
