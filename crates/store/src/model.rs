//! The rows the store keeps, as written (`New*`) and as read back.
//!
//! Times are unix milliseconds (`i64`) everywhere, in the database and in
//! this API. Addresses are [`IpAddr`] and are stored in their canonical text
//! form, so `2001:DB8::1` and `2001:db8::1` are one source.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Serialize;

use crate::target::BanTarget;

/// Unix time in milliseconds.
pub type UnixMillis = i64;

/// A finding against a source, as the guard reports it. Upserted on
/// `(site, source, detector, code)`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    /// Which guard saw it (several guards may share one PostgreSQL store).
    pub site: String,
    /// The network source address (never a header value).
    pub source: IpAddr,
    /// Kind of abuse (`scanner`, `enumeration`, `toll-fraud`, ...).
    pub kind: String,
    /// The detector that found it.
    pub detector: String,
    /// The stable evidence code.
    pub code: String,
    /// 0–100.
    pub confidence: u8,
    /// The evidence as JSON text (at most 64 KiB).
    pub evidence: String,
    pub first_seen: UnixMillis,
    pub last_seen: UnixMillis,
    /// How many occurrences this record adds to the stored count (≥ 1).
    pub count: u64,
    /// The source is inside the protected network.
    pub internal: bool,
    /// The source's MAC address when it is on the captured segment.
    pub mac: Option<String>,
    /// The MAC vendor.
    pub vendor: Option<String>,
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub site: String,
    pub source: IpAddr,
    pub kind: String,
    pub detector: String,
    pub code: String,
    pub confidence: u8,
    pub evidence: String,
    pub first_seen: UnixMillis,
    pub last_seen: UnixMillis,
    pub count: u64,
    pub internal: bool,
    pub mac: Option<String>,
    pub vendor: Option<String>,
}

/// What [`crate::Store::record_incident`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    /// `true` when this was the first record of the incident.
    pub new: bool,
}

/// Who or what made a ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BanOrigin {
    /// The guard's policy.
    Auto,
    /// An operator (`ghostguard bans add`, the dashboard).
    Manual,
    /// An imported blocklist.
    Import,
}

impl BanOrigin {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            BanOrigin::Auto => "auto",
            BanOrigin::Manual => "manual",
            BanOrigin::Import => "import",
        }
    }
}

impl fmt::Display for BanOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BanOrigin {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "auto" => Ok(BanOrigin::Auto),
            "manual" => Ok(BanOrigin::Manual),
            "import" => Ok(BanOrigin::Import),
            _ => Err(()),
        }
    }
}

/// A ban to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBan {
    pub site: String,
    /// The banned address, or IPv6 network for a prefix ban.
    pub ip: BanTarget,
    pub reason: String,
    pub origin: BanOrigin,
    /// `ghostguard` for automatic bans, else the operator.
    pub actor: String,
    pub created_at: UnixMillis,
    /// `None`: until lifted.
    pub expires_at: Option<UnixMillis>,
}

/// A stored ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ban {
    pub id: i64,
    pub site: String,
    /// The banned address, or IPv6 network for a prefix ban
    /// (`2001:db8:1:2::/64`).
    pub ip: BanTarget,
    pub reason: String,
    pub origin: BanOrigin,
    pub actor: String,
    pub created_at: UnixMillis,
    pub expires_at: Option<UnixMillis>,
    pub lifted_at: Option<UnixMillis>,
    pub lifted_by: Option<String>,
}

impl Ban {
    /// In force at `now`: not lifted and not expired.
    #[must_use]
    pub fn is_active(&self, now: UnixMillis) -> bool {
        self.lifted_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A site's bans by address, to find the bans inside a network without
/// scanning them all (an import of many networks against a store of many
/// bans stays O((n + m) log n)).
#[derive(Debug, Clone, Default)]
pub struct BansByAddress {
    /// (network, end) of the bans not lifted, sorted by first address.
    sorted: Vec<(ipnet::IpNet, Option<UnixMillis>)>,
}

impl BansByAddress {
    #[must_use]
    pub fn new(bans: &[Ban]) -> Self {
        let mut sorted: Vec<_> = bans
            .iter()
            .filter(|b| b.lifted_at.is_none())
            .map(|b| (b.ip.net(), b.expires_at))
            .collect();
        sorted.sort_unstable_by_key(|(n, _)| (n.network(), n.prefix_len()));
        Self { sorted }
    }

    /// The end a ban of `target` ending at `end` has in the firewall: a
    /// network's kernel element absorbs the bans inside it (the longest end
    /// wins), so re-adding the network must carry the latest end among its
    /// own and those of the bans inside it. `None`: until lifted.
    #[must_use]
    pub fn end_with_inner(&self, target: BanTarget, end: Option<UnixMillis>) -> Option<UnixMillis> {
        if target.is_host() {
            return end;
        }
        let net = target.net();
        let first = self
            .sorted
            .partition_point(|(n, _)| n.network() < net.network());
        self.sorted[first..]
            .iter()
            .take_while(|(n, _)| n.network() <= net.broadcast())
            .filter(|(n, _)| net.contains(n))
            .map(|(_, e)| *e)
            .fold(end, |a, b| match (a, b) {
                (Some(x), Some(y)) => Some(x.max(y)),
                _ => None,
            })
    }
}

/// What [`crate::Store::record_ban`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanRecorded {
    pub id: i64,
    /// `false` when an active ban of this address on this site already
    /// existed; it was extended (the later expiry wins, `None` beats all).
    pub new: bool,
    /// When the ban now ends (`None`: until lifted): the later of the
    /// existing ban's end and the new one's. The firewall is given the time
    /// left until then, so a shorter new ban never cuts a longer one short.
    pub expires_at: Option<UnixMillis>,
}

/// A call that rang a phone from an untrusted source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGhostCall {
    pub site: String,
    /// The phone that rang.
    pub phone: IpAddr,
    /// Who sent the INVITE (network source).
    pub source: IpAddr,
    /// The caller ID the phone showed (From user); attacker-chosen.
    pub caller: String,
    /// The number or user dialled (Request-URI user, else To user).
    pub dialled: Option<String>,
    pub time: UnixMillis,
    pub answered: bool,
}

/// A stored ghost call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GhostCall {
    pub id: i64,
    pub site: String,
    pub phone: IpAddr,
    pub source: IpAddr,
    pub caller: String,
    pub dialled: Option<String>,
    pub time: UnixMillis,
    pub answered: bool,
}

/// One source address across its incidents (the "source page").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    pub source: IpAddr,
    pub first_seen: UnixMillis,
    pub last_seen: UnixMillis,
    /// Incident rows.
    pub incidents: u64,
    /// Occurrences: the sum of the incidents' counts.
    pub occurrences: u64,
    /// Distinct kinds, sorted.
    pub kinds: Vec<String>,
    /// Any of its incidents came from inside the protected network.
    pub internal: bool,
}

/// One time bucket of the activity chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Start of the bucket (inclusive).
    pub start: UnixMillis,
    /// Incidents first seen in the bucket.
    pub incidents: u64,
    /// Bans created in the bucket.
    pub bans: u64,
    /// Ghost calls in the bucket.
    pub ghost_calls: u64,
}

/// A guard's latest sign of life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heartbeat {
    pub site: String,
    pub last_seen: UnixMillis,
    /// The guard's version string.
    pub version: String,
    /// Free-form JSON counters (at most 64 KiB).
    pub stats: String,
}

/// Totals for `ghostguard status` and the dashboard header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub incidents: u64,
    pub sources: u64,
    pub active_bans: u64,
    pub ghost_calls: u64,
}

/// How long rows are kept; see [`crate::Store::prune`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Incidents whose `last_seen` is older are deleted.
    pub incidents_days: u32,
    /// Bans lifted or expired longer ago are deleted (active bans never).
    pub bans_days: u32,
    /// Ghost calls older than this are deleted.
    pub ghost_calls_days: u32,
    /// At most this many rows per table; the oldest go first.
    pub max_rows: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            incidents_days: 90,
            bans_days: 365,
            ghost_calls_days: 90,
            max_rows: 1_000_000,
        }
    }
}

/// Rows deleted by [`crate::Store::prune`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub incidents: u64,
    pub bans: u64,
    pub ghost_calls: u64,
}

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What [`crate::Store::health`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub backend: Backend,
    pub schema_version: i64,
    /// SQLite: the journal mode in force (`wal` expected).
    pub journal_mode: Option<String>,
    /// SQLite: the `synchronous` setting of a pooled connection
    /// (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA).
    pub synchronous: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ban(target: &str, end: Option<UnixMillis>, lifted: bool) -> Ban {
        Ban {
            id: 1,
            site: "s".into(),
            ip: target.parse().unwrap(),
            reason: String::new(),
            origin: BanOrigin::Manual,
            actor: String::new(),
            created_at: 0,
            expires_at: end,
            lifted_at: lifted.then_some(1),
            lifted_by: None,
        }
    }

    #[test]
    fn a_network_carries_the_latest_end_of_the_bans_inside_it() {
        let net = ban("2001:db8:1:2::/64", Some(1_000), false);
        let inside_later = ban("2001:db8:1:2::9", Some(5_000), false);
        let outside = ban("2001:db8:1:3::9", Some(9_000), false);
        let lifted = ban("2001:db8:1:2::7", Some(8_000), true);
        let ends =
            |b: &Ban, others: &[Ban]| BansByAddress::new(others).end_with_inner(b.ip, b.expires_at);
        let others = [inside_later.clone(), outside.clone(), lifted];
        assert_eq!(ends(&net, &others), Some(5_000));
        let forever = ban("2001:db8:1:2::5", None, false);
        assert_eq!(ends(&net, &[forever]), None, "until lifted wins");
        assert_eq!(ends(&net, &[outside]), Some(1_000));
        // An address absorbs nothing.
        assert_eq!(ends(&inside_later, &[net]), Some(5_000));
    }
}
