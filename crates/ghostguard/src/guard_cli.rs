//! Arguments of `guard` and the operator commands around it.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use ghostguard_store::BanTarget;

/// Where the guard's config lives unless `--config` says otherwise.
pub const DEFAULT_CONFIG: &str = "/etc/ghostguard/guard.toml";

#[derive(Debug, Args)]
pub struct GuardArgs {
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Print the nftables ruleset it would install, and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete the `inet ghostguard` table (and its iptables queue chain),
    /// lifting all protection, and exit.
    #[arg(long)]
    pub remove: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Parse and validate a guard config; touch nothing.
    Check {
        #[arg(value_name = "FILE", default_value = DEFAULT_CONFIG)]
        file: PathBuf,
        /// Also look up the trusted servers' DNS names.
        #[arg(long)]
        resolve: bool,
    },
}

#[derive(Debug, Args)]
pub struct BansArgs {
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG, global = true)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub action: BansAction,
}

#[derive(Debug, Subcommand)]
pub enum BansAction {
    /// Bans in force (store and kernel).
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
        /// Only the bans overlapping this address or network: an address
        /// finds the /64 ban around it.
        #[arg(value_name = "ADDRESS|NETWORK")]
        ip: Option<BanTarget>,
    },
    /// Ban an address, or an IPv6 network of /48 to /128
    /// (`2001:db8:1:2::/64`), now (kernel and store).
    Add {
        #[arg(value_name = "ADDRESS|NETWORK")]
        ip: BanTarget,
        /// How long, e.g. `1h`, `7d` (1 second to one year).
        #[arg(long, default_value = "1d", value_parser = ban_time)]
        time: std::time::Duration,
        #[arg(long, default_value = "banned by hand")]
        reason: String,
    },
    /// Lift a ban (kernel and store); the running guard notices. An
    /// address inside an IPv6 prefix ban lifts that ban; a network lifts
    /// every ban inside it.
    Del {
        #[arg(value_name = "ADDRESS|NETWORK")]
        ip: BanTarget,
    },
}

#[derive(Debug, Args)]
pub struct IncidentsArgs {
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Only incidents seen within this time, e.g. `1h`, `2d`.
    #[arg(long)]
    pub since: Option<humantime::Duration>,
    #[arg(long)]
    pub source: Option<IpAddr>,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct CallsArgs {
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Only calls within this time, e.g. `1h`, `2d`.
    #[arg(long)]
    pub since: Option<humantime::Duration>,
    /// Only calls to this phone.
    #[arg(long)]
    pub phone: Option<IpAddr>,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

/// A ban time as `bans add --time` and `feed import --ban-time` take it:
/// 1 second to the firewall's maximum (one year), as the API allows.
///
/// # Errors
/// A text that is not a duration, zero, or more than the maximum.
pub fn ban_time(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    let max = ghostguard_firewall::MAX_BAN_TTL;
    // humantime's `1y` is 365.25 days: it means the maximum, a year.
    let year = std::time::Duration::from_secs(31_557_600);
    if d.is_zero() || d > max.max(year) {
        return Err(format!(
            "a ban lasts from 1s to {} days (1y)",
            max.as_secs() / 86_400
        ));
    }
    Ok(d.min(max))
}
