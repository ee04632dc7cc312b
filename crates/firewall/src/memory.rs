//! An in-memory firewall for tests of the daemon: the same contract as
//! [`Nft`](crate::Nft), a clock the test moves, and injectable failures.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::error::{FirewallError, Step};
use crate::plan;
use crate::ruleset::{Family, Ruleset, normalize};
use crate::spec::FirewallSpec;
use crate::{Ban, BanEntry, Firewall};

/// The table's state, kept in memory. Time only moves by
/// [`Memory::advance`]; bans expire as in the kernel (whole seconds).
#[derive(Debug, Clone, Default)]
pub struct Memory {
    spec: Option<FirewallSpec>,
    /// Banned network -> expiry on the test clock (`None`: no timeout).
    bans: BTreeMap<IpNet, Option<Duration>>,
    trusted: Vec<IpNet>,
    allow: Vec<IpNet>,
    now: Duration,
    fail_next: bool,
    calls: Vec<Step>,
}

impl Memory {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the test clock; bans whose time is up disappear.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        let now = self.now;
        self.bans.retain(|_, expiry| expiry.is_none_or(|e| e > now));
    }

    /// The next call fails with [`FirewallError::Injected`] and changes
    /// nothing.
    pub fn fail_next(&mut self) {
        self.fail_next = true;
    }

    /// The installed spec, if any.
    #[must_use]
    pub fn spec(&self) -> Option<&FirewallSpec> {
        self.spec.as_ref()
    }

    /// Whether `ip` is banned now (by its own ban or a prefix ban around
    /// it).
    #[must_use]
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.bans.keys().any(|n| n.contains(&ip))
    }

    /// The trusted networks, as the sets hold them (aggregated).
    #[must_use]
    pub fn trusted(&self) -> &[IpNet] {
        &self.trusted
    }

    /// The allowlisted networks, as the sets hold them.
    #[must_use]
    pub fn allow(&self) -> &[IpNet] {
        &self.allow
    }

    /// Every call so far, failed ones included, in order.
    #[must_use]
    pub fn calls(&self) -> &[Step] {
        &self.calls
    }

    /// The bans in force with their time left, IPv4 first.
    fn entries(&self) -> Vec<BanEntry> {
        self.bans
            .iter()
            .map(|(net, expiry)| BanEntry {
                net: *net,
                remaining: expiry.map(|e| e.saturating_sub(self.now)),
            })
            .collect()
    }

    /// Records the call; fails if told to, or if the table is missing.
    fn enter(&mut self, step: Step, needs_table: bool) -> Result<(), FirewallError> {
        self.calls.push(step);
        if std::mem::take(&mut self.fail_next) {
            return Err(FirewallError::Injected { step });
        }
        if needs_table && self.spec.is_none() {
            return Err(FirewallError::NotInstalled { step });
        }
        Ok(())
    }
}

fn as_sets(nets: &[IpNet]) -> Vec<IpNet> {
    Family::BOTH
        .into_iter()
        .flat_map(|f| normalize(nets, f))
        .collect()
}

impl Firewall for Memory {
    fn install(&mut self, spec: &FirewallSpec) -> Result<(), FirewallError> {
        self.enter(Step::Install, false)?;
        Ruleset::from_spec(spec)?;
        self.trusted = as_sets(&spec.trusted);
        self.allow = as_sets(&spec.allow);
        self.spec = Some(spec.clone());
        Ok(())
    }

    fn ban(&mut self, bans: &[Ban]) -> Result<(), FirewallError> {
        self.enter(Step::Ban, true)?;
        // The same merge as the kernel adapter's: the wider network stays,
        // with the longer time.
        let planned = plan::plan(bans)?;
        let held = self.entries();
        let (deletes, adds) = plan::merge(&planned, &held);
        for net in deletes {
            self.bans.remove(&net);
        }
        for (net, ttl) in adds {
            self.bans.insert(net, ttl.map(|t| self.now + t));
        }
        Ok(())
    }

    fn unban(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.enter(Step::Unban, true)?;
        let nets = nets
            .iter()
            .map(|n| plan::ban_net(Step::Unban, *n))
            .collect::<Result<Vec<IpNet>, FirewallError>>()?;
        self.bans
            .retain(|held, _| !nets.iter().any(|n| plan::overlaps(n, held)));
        Ok(())
    }

    fn set_trusted(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.enter(Step::ReplaceTrusted, true)?;
        self.trusted = as_sets(nets);
        Ok(())
    }

    fn set_allow(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.enter(Step::ReplaceAllow, true)?;
        self.allow = as_sets(nets);
        Ok(())
    }

    fn bans(&mut self) -> Result<Vec<BanEntry>, FirewallError> {
        self.enter(Step::ListBans, true)?;
        Ok(self.entries())
    }

    fn remove(&mut self) -> Result<(), FirewallError> {
        self.enter(Step::Remove, false)?;
        self.spec = None;
        self.bans.clear();
        self.trusted.clear();
        self.allow.clear();
        Ok(())
    }
}
