//! Kernel enforcement for `ghostguard guard`: one nftables table,
//! `inet ghostguard`, whose ban sets the daemon fills.
//!
//! - The table is rendered as data ([`Ruleset`]) and applied as `nft -f`
//!   text, one file per change: the kernel commits each batch whole or not
//!   at all.
//! - Bans are elements of the sets `ban4` (addresses, `flags timeout`) and
//!   `ban6` (networks: `flags interval, timeout`, so one element bans a
//!   whole IPv6 /64), each with its own timeout: no rule per address, and
//!   expiry happens in the kernel, so nothing depends on the daemon staying
//!   alive.
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
mod plan;
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
pub use plan::{MIN_IPV6_BAN_PREFIX, ban_net, overlaps};
pub use queue::{
    Availability, IPTABLES_CHAIN, QueueSupport, detect_queue_support, iptables_restore_text,
};
pub use render::{MAX_BAN_TTL, TABLE, ttl_left};
pub use ruleset::{
    CHAIN_NAMES, Chain, Family, Hook, Match, Rule, Ruleset, SetDef, SetRole, Statement,
};
pub use spec::{FirewallSpec, MAX_SIP_PORTS, Mode, Nflog, Policy, Queue, QueueBackend, SpecError};
pub use tools::Tools;

/// Ban the sources in `net` for `ttl` (whole seconds, rounded up, at most
/// [`MAX_BAN_TTL`]): one IPv4 address (`/32`), or an IPv6 network from
/// `/48` ([`MIN_IPV6_BAN_PREFIX`]) to one address (`/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ban {
    pub net: IpNet,
    pub ttl: Duration,
}

impl Ban {
    /// A ban of the single address `ip`.
    #[must_use]
    pub fn address(ip: IpAddr, ttl: Duration) -> Self {
        Self {
            net: IpNet::from(ip),
            ttl,
        }
    }
}

/// A ban in force and the time it has left (`None`: no timeout, added by
/// hand). `net` is a single address (`/32`, `/128`) or an IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BanEntry {
    pub net: IpNet,
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

    /// Bans each network for its TTL; banning again renews the timeout.
    /// IPv4-mapped IPv6 addresses are banned as IPv4. A ban that overlaps
    /// one in force (an address inside a banned /64, a /64 around a banned
    /// address) is merged with it: the wider network stays, with the
    /// longer time.
    ///
    /// # Errors
    /// A ban [`ban_net`] refuses (nothing is applied then), or the batch
    /// failed (for example: no table installed).
    fn ban(&mut self, bans: &[Ban]) -> Result<(), FirewallError>;

    /// Lifts every ban that overlaps one of `nets`: an address lifts the
    /// prefix ban around it, a network lifts the bans inside it. Networks
    /// not banned are fine.
    ///
    /// # Errors
    /// A network [`ban_net`] refuses, or the batch failed.
    fn unban(&mut self, nets: &[IpNet]) -> Result<(), FirewallError>;

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
