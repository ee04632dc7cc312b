//! Kernel enforcement for `ghostguard guard`: one nftables table,
//! `inet ghostguard`, whose ban sets the daemon fills.
//!
//! - The table is rendered as data ([`Ruleset`]) and applied as `nft -f`
//!   text, one file per change: the kernel commits each batch whole or not
//!   at all.
//! - Bans are elements of the sets `ban4`/`ban6` (`flags timeout`), each
//!   with its own timeout: no rule per address, and expiry happens in the
//!   kernel, so nothing depends on the daemon staying alive.
//! - [`Firewall::install`] is idempotent and keeps the ban sets' elements;
//!   [`Firewall::remove`] deletes our table and nothing else.
//!
//! Three implementations: [`Nft`] (the kernel), [`DryRun`] (prints the
//! batches) and [`Memory`] (for tests of the daemon).
//!
//! Not here: deciding whom to ban (the engine), remembering bans across
//! restarts (the daemon's store), reading NFLOG or NFQUEUE (capture).
#![forbid(unsafe_code)]

mod command;
mod dry_run;
mod error;
mod listing;
mod memory;
mod nft;
mod queue;
pub mod render;
mod ruleset;
mod spec;
mod tools;

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

pub use dry_run::{Batch, DryRun};
pub use error::{FirewallError, Step};
pub use memory::Memory;
pub use nft::Nft;
pub use queue::{
    Availability, IPTABLES_CHAIN, QueueSupport, detect_queue_support, iptables_restore_text,
};
pub use render::{MAX_BAN_TTL, TABLE};
pub use ruleset::{
    CHAIN_NAMES, Chain, Family, Hook, Match, Rule, Ruleset, SetDef, SetRole, Statement,
};
pub use spec::{FirewallSpec, MAX_SIP_PORTS, Mode, Nflog, Policy, Queue, QueueBackend, SpecError};
pub use tools::Tools;

/// Ban the network source address `ip` for `ttl` (whole seconds, rounded
/// up, at most [`MAX_BAN_TTL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ban {
    pub ip: IpAddr,
    pub ttl: Duration,
}

/// A ban in force and the time it has left (`None`: no timeout, added by
/// hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BanEntry {
    pub ip: IpAddr,
    pub remaining: Option<Duration>,
}

/// The enforcement adapter the daemon drives. Every call is one atomic
/// batch; an error means nothing of that call took effect.
pub trait Firewall {
    /// Creates or refreshes the whole table for `spec`, keeping existing
    /// bans. Idempotent.
    ///
    /// # Errors
    /// An invalid spec, or the batch failed.
    fn install(&mut self, spec: &FirewallSpec) -> Result<(), FirewallError>;

    /// Bans each address for its TTL; banning again renews the timeout.
    /// IPv4-mapped IPv6 addresses are banned as IPv4.
    ///
    /// # Errors
    /// The batch failed (for example: no table installed).
    fn ban(&mut self, bans: &[Ban]) -> Result<(), FirewallError>;

    /// Lifts the bans; addresses not banned are fine.
    ///
    /// # Errors
    /// The batch failed.
    fn unban(&mut self, ips: &[IpAddr]) -> Result<(), FirewallError>;

    /// Replaces the trusted servers (IPv4 and IPv6 sets flushed and
    /// refilled in one batch).
    ///
    /// # Errors
    /// The batch failed.
    fn set_trusted(&mut self, nets: &[IpNet]) -> Result<(), FirewallError>;

    /// Replaces the allowlist, like [`Firewall::set_trusted`].
    ///
    /// # Errors
    /// The batch failed.
    fn set_allow(&mut self, nets: &[IpNet]) -> Result<(), FirewallError>;

    /// The bans in force, IPv4 first.
    ///
    /// # Errors
    /// The listing failed.
    fn bans(&mut self) -> Result<Vec<BanEntry>, FirewallError>;

    /// Deletes our table (and the iptables queue chain, if any). Nothing
    /// else is touched; removing twice is fine.
    ///
    /// # Errors
    /// The batch failed.
    fn remove(&mut self) -> Result<(), FirewallError>;
}
