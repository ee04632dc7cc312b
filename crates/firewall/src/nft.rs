//! The real adapter: each batch goes to the kernel through `nft -f -`
//! (one netlink transaction per file); state is read back with `nft -j`.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::command;
use crate::error::{FirewallError, Step};
use crate::listing::parse_bans;
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

    /// Adds an element with 100 s, re-adds it with 1000 s, reads it back,
    /// and deletes the scratch set. Any failure means "no" (the portable
    /// batch is always correct).
    fn probe_add_renews(&self) -> bool {
        let set = format!("{} {}", render::TABLE, render::RENEW_PROBE_SET);
        let first = format!(
            "add set {set} {{ type ipv4_addr; flags timeout; }}\nadd element {set} {{ 192.0.2.1 timeout 100s }}\n"
        );
        let renewed = self
            .apply(Step::Install, &first)
            .and_then(|()| {
                self.apply(
                    Step::Install,
                    &format!("add element {set} {{ 192.0.2.1 timeout 1000s }}\n"),
                )
            })
            .and_then(|()| {
                let args = [
                    "-j",
                    "list",
                    "set",
                    "inet",
                    "ghostguard",
                    render::RENEW_PROBE_SET,
                ];
                command::run(Step::Install, &self.tools.nft(), &args, None)
            })
            .ok()
            .and_then(|json| parse_bans(&json).ok())
            .is_some_and(|bans| {
                bans.iter()
                    .any(|b| b.remaining.is_some_and(|r| r.as_secs() > 200))
            });
        let cleaned = self.apply(
            Step::Install,
            &format!("add set {set} {{ type ipv4_addr; flags timeout; }}\ndelete set {set}\n"),
        );
        renewed && cleaned.is_ok()
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

impl Firewall for Nft {
    fn install(&mut self, spec: &FirewallSpec) -> Result<(), FirewallError> {
        let ruleset = Ruleset::from_spec(spec)?;
        self.apply(Step::Install, &render::install(&ruleset))?;
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
        self.apply(Step::Ban, &render::ban(bans, self.add_renews == Some(true)))
    }

    fn unban(&mut self, ips: &[IpAddr]) -> Result<(), FirewallError> {
        if ips.is_empty() {
            return Ok(());
        }
        self.apply(Step::Unban, &render::unban(ips))
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
            let set = SetRole::Ban.set_name(family);
            let args = ["-j", "list", "set", "inet", "ghostguard", set];
            let json = command::run(Step::ListBans, &self.tools.nft(), &args, None)?;
            out.extend(parse_bans(&json).map_err(|source| FirewallError::Output {
                step: Step::ListBans,
                command: format!("{} {}", self.tools.nft.display(), args.join(" ")),
                source,
            })?);
        }
        Ok(out)
    }

    fn remove(&mut self) -> Result<(), FirewallError> {
        queue::remove_iptables(&self.tools)?;
        self.apply(Step::Remove, &render::remove())
    }
}
