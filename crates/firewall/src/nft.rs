//! The real adapter: each batch goes to the kernel through `nft -f -`
//! (one netlink transaction per file); state is read back with `nft -j`.

use ipnet::IpNet;

use crate::command;
use crate::error::{FirewallError, Step};
use crate::listing::{parse_bans, set_flags};
use crate::plan::{self, overlaps};
use crate::queue::{self, QueueSupport};
use crate::render;
use crate::ruleset::{Family, Ruleset, SetRole};
use crate::spec::{FirewallSpec, QueueBackend};
use crate::tools::Tools;
use crate::{Ban, BanEntry, Firewall};

/// The nftables adapter. Holds no state of its own: everything lives in
/// the kernel's table, so a restarted daemon picks up where it left off.
#[derive(Debug, Clone, Default)]
pub struct Nft {
    tools: Tools,
    /// Whether re-adding a set element renews its timeout on this kernel
    /// (learned at the first install; until then, the portable batch).
    add_renews: Option<bool>,
}

impl Nft {
    /// The adapter with the tools found on `PATH`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The adapter with explicit tool paths.
    #[must_use]
    pub fn with_tools(tools: Tools) -> Self {
        Self {
            tools,
            add_renews: None,
        }
    }

    /// Whether ban batches are plain adds (`Some(true)`: this kernel renews
    /// an element's timeout on re-add) or add-delete-add (`Some(false)`);
    /// `None` before the first install.
    #[must_use]
    pub fn add_renews(&self) -> Option<bool> {
        self.add_renews
    }

    /// For each kind of ban set: adds an element with 100 s, re-adds it
    /// with 1000 s, reads it back; then deletes the scratch sets. Any
    /// failure means "no" (the portable batch is always correct).
    fn probe_add_renews(&self) -> bool {
        let renews = |name: &str, kind: &str, element: &str| {
            let set = format!("{} {name}", render::TABLE);
            self.apply(
                Step::Install,
                &format!(
                    "add set {set} {{ {kind} }}\nadd element {set} {{ {element} timeout 100s }}\n"
                ),
            )
            .and_then(|()| {
                self.apply(
                    Step::Install,
                    &format!("add element {set} {{ {element} timeout 1000s }}\n"),
                )
            })
            .and_then(|()| self.list_set(Step::Install, name))
            .is_ok_and(|bans| {
                bans.iter()
                    .any(|b| b.remaining.is_some_and(|r| r.as_secs() > 200))
            })
        };
        let renewed = render::RENEW_PROBE_SETS
            .iter()
            .zip(["192.0.2.1", "2001:db8::/64"])
            .all(|((name, kind), element)| renews(name, kind, element));
        let cleanup: String = render::RENEW_PROBE_SETS
            .iter()
            .map(|(name, kind)| {
                format!(
                    "add set {t} {name} {{ {kind} }}\ndelete set {t} {name}\n",
                    t = render::TABLE
                )
            })
            .collect();
        renewed && self.apply(Step::Install, &cleanup).is_ok()
    }

    /// The elements of one set of our table (`nft -j list set`).
    fn list_set(&self, step: Step, name: &str) -> Result<Vec<BanEntry>, FirewallError> {
        let args = ["-j", "list", "set", "inet", "ghostguard", name];
        let json = command::run(step, &self.tools.nft(), &args, None)?;
        parse_bans(&json).map_err(|source| FirewallError::Output {
            step,
            command: format!("{} {}", self.tools.nft.display(), args.join(" ")),
            source,
        })
    }

    /// The elements of `ban6` that overlap one of `nets`.
    fn overlapping6(&self, step: Step, nets: &[IpNet]) -> Result<Vec<BanEntry>, FirewallError> {
        let mut held = self.list_set(step, SetRole::Ban.set_name(Family::V6))?;
        held.retain(|e| nets.iter().any(|n| overlaps(n, &e.net)));
        Ok(held)
    }

    /// `ban6` of the older kind (single addresses, no `interval` flag) and
    /// its elements, to carry over at install; `None` when there is no such
    /// set (no table yet, or already the interval set).
    fn old_ban6(&self) -> Option<Vec<BanEntry>> {
        let args = ["-j", "list", "set", "inet", "ghostguard", "ban6"];
        let json = command::run(Step::Install, &self.tools.nft(), &args, None).ok()?;
        match set_flags(&json) {
            Some(flags) if !flags.iter().any(|f| f == "interval") => parse_bans(&json).ok(),
            _ => None,
        }
    }

    /// Applies one `nft -f` batch as one kernel transaction.
    ///
    /// # Errors
    /// nft's message (it quotes the failing line of the batch).
    pub fn apply(&self, step: Step, batch: &str) -> Result<(), FirewallError> {
        command::run(step, &self.tools.nft(), &["-f", "-"], Some(batch)).map(drop)
    }

    /// Checks a batch with the kernel without committing it (`nft -c`).
    ///
    /// # Errors
    /// nft's message, as for [`Nft::apply`].
    pub fn check(&self, step: Step, batch: &str) -> Result<(), FirewallError> {
        command::run(step, &self.tools.nft(), &["-c", "-f", "-"], Some(batch)).map(drop)
    }

    /// The table as `nft list table inet ghostguard` prints it, for
    /// operators; never parsed.
    ///
    /// # Errors
    /// The listing failed (for example: no table).
    pub fn list_table(&self) -> Result<String, FirewallError> {
        command::run(
            Step::ListBans,
            &self.tools.nft(),
            &["list", "table", "inet", "ghostguard"],
            None,
        )
    }

    /// Probes the inline (NFQUEUE) paths with these tools.
    #[must_use]
    pub fn detect_queue_support(&self) -> QueueSupport {
        queue::detect_with(&self.tools)
    }
}

/// How often a merged IPv6 ban batch is tried again after the elements
/// it deletes changed (one timed out) since they were listed.
const MERGE_TRIES: usize = 3;

impl Firewall for Nft {
    fn install(&mut self, spec: &FirewallSpec) -> Result<(), FirewallError> {
        let ruleset = Ruleset::from_spec(spec)?;
        let old = self.old_ban6();
        self.apply(
            Step::Install,
            &render::install_migrating(&ruleset, old.as_deref()),
        )?;
        if self.add_renews.is_none() {
            self.add_renews = Some(self.probe_add_renews());
        }
        match spec.queue {
            Some(q) if q.backend == QueueBackend::Iptables => {
                queue::install_iptables(&self.tools, spec, q)
            }
            _ => queue::remove_iptables(&self.tools),
        }
    }

    fn ban(&mut self, bans: &[Ban]) -> Result<(), FirewallError> {
        if bans.is_empty() {
            return Ok(());
        }
        let add_renews = self.add_renews == Some(true);
        let batch = render::ban(bans, add_renews)?;
        let Err(first) = self.apply(Step::Ban, &batch) else {
            return Ok(());
        };
        // Most likely an IPv6 ban overlapping an element of `ban6` (the
        // interval set refuses it): read what overlaps, merge, once more.
        // An element that timed out between the listing and the batch
        // fails its delete: list again, a few times.
        let planned = plan::plan(bans)?;
        let v6: Vec<IpNet> = planned
            .keys()
            .copied()
            .filter(|n| matches!(n, IpNet::V6(_)))
            .collect();
        let mut last = first;
        for _ in 0..MERGE_TRIES {
            let held = match self.overlapping6(Step::Ban, &v6) {
                Ok(held) if !held.is_empty() => held,
                Ok(_) if v6.is_empty() => return Err(last),
                // Nothing overlaps (any more): the plain batch again.
                Ok(_) => match self.apply(Step::Ban, &batch) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        last = e;
                        continue;
                    }
                },
                Err(_) => return Err(last),
            };
            let (deletes, adds) = plan::merge(&planned, &held);
            match self.apply(Step::Ban, &render::ban_merged(&adds, &deletes, add_renews)) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn unban(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        if nets.is_empty() {
            return Ok(());
        }
        let wanted: Vec<IpNet> = nets
            .iter()
            .map(|n| plan::ban_net(Step::Unban, *n))
            .collect::<Result<_, _>>()?;
        let (v4, v6): (Vec<IpNet>, Vec<IpNet>) =
            wanted.into_iter().partition(|n| matches!(n, IpNet::V4(_)));
        // IPv6: delete exactly the elements that overlap (an address lifts
        // the /64 around it). Listing first also spares the interval set
        // the add-then-delete, which nft makes slow there.
        let exact: Vec<IpNet> = if v6.is_empty() {
            Vec::new()
        } else {
            self.overlapping6(Step::Unban, &v6)?
                .into_iter()
                .map(|e| e.net)
                .collect()
        };
        if v4.is_empty() && exact.is_empty() {
            return Ok(());
        }
        self.apply(Step::Unban, &render::unban_listed(&v4, &exact))
    }

    fn set_trusted(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.apply(
            Step::ReplaceTrusted,
            &render::replace(SetRole::Trusted, nets),
        )
    }

    fn set_allow(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.apply(Step::ReplaceAllow, &render::replace(SetRole::Allow, nets))
    }

    fn bans(&mut self) -> Result<Vec<BanEntry>, FirewallError> {
        let mut out = Vec::new();
        for family in Family::BOTH {
            out.extend(self.list_set(Step::ListBans, SetRole::Ban.set_name(family))?);
        }
        Ok(out)
    }

    fn remove(&mut self) -> Result<(), FirewallError> {
        queue::remove_iptables(&self.tools)?;
        self.apply(Step::Remove, &render::remove())
    }
}
