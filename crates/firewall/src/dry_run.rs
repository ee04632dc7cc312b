//! The dry-run adapter: renders each batch exactly as [`Nft`](crate::Nft)
//! would apply it, records it and (optionally) prints it. Nothing reaches
//! the kernel. The printed install batch is a valid `nft -f` file
//! (`nft -c -f FILE` accepts it); the iptables part of inline mode is
//! printed as `#` comments.

use std::io::Write;

use ipnet::IpNet;

use crate::error::{FirewallError, Step};
use crate::memory::Memory;
use crate::queue::iptables_restore_text;
use crate::render;
use crate::ruleset::{Ruleset, SetRole};
use crate::spec::{FirewallSpec, Mode, Policy, QueueBackend};
use crate::{Ban, BanEntry, Firewall};

/// One batch the adapter would have applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub step: Step,
    /// `nft -f` text.
    pub text: String,
}

/// Records (and prints, if given a writer) every batch instead of applying
/// it; keeps the would-be state in a [`Memory`] so `bans()` answers.
pub struct DryRun {
    state: Memory,
    batches: Vec<Batch>,
    out: Option<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for DryRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DryRun")
            .field("state", &self.state)
            .field("batches", &self.batches)
            .field("printing", &self.out.is_some())
            .finish()
    }
}

impl Default for DryRun {
    fn default() -> Self {
        Self::new()
    }
}

impl DryRun {
    /// Records batches without printing them.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Memory::new(),
            batches: Vec::new(),
            out: None,
        }
    }

    /// Records batches and writes each to `out` as it is made.
    #[must_use]
    pub fn printing(out: impl Write + Send + 'static) -> Self {
        Self {
            out: Some(Box::new(out)),
            ..Self::new()
        }
    }

    /// Prints ban changes to `out` for a table someone else installs (the
    /// guard): what `serve` and `feed import` print with `dry-run`, as
    /// they do not own the table. The would-be state starts as an empty
    /// installed table, so the batches are those sent to a table whose
    /// elements are unknown (the merges the kernel's elements would cause
    /// are not shown), and [`Firewall::bans`] answers with this session's
    /// bans only. No install batch is printed.
    #[must_use]
    pub fn printing_changes(out: impl Write + Send + 'static) -> Self {
        let mut d = Self::printing(out);
        // A fixed, valid spec: installing it into the in-memory state
        // cannot fail, and if it did, ban() would say the table is missing.
        let _ = d
            .state
            .install(&FirewallSpec::new(Mode::Host, Policy::Observe));
        d
    }

    /// The batches so far.
    #[must_use]
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }

    /// All batches as one `nft -f` script, in order.
    #[must_use]
    pub fn script(&self) -> String {
        self.batches.iter().map(|b| b.text.as_str()).collect()
    }

    fn record(&mut self, step: Step, text: String) -> Result<(), FirewallError> {
        if let Some(out) = self.out.as_mut() {
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|source| FirewallError::Print { step, source })?;
        }
        self.batches.push(Batch { step, text });
        Ok(())
    }
}

/// `text` with every line turned into an nft comment.
fn commented(text: &str) -> String {
    text.lines().map(|l| format!("#   {l}\n")).collect()
}

impl Firewall for DryRun {
    fn install(&mut self, spec: &FirewallSpec) -> Result<(), FirewallError> {
        let ruleset = Ruleset::from_spec(spec)?;
        self.state.install(spec)?;
        let mut text = render::install(&ruleset);
        if let Some(q) = spec.queue.filter(|q| q.backend == QueueBackend::Iptables) {
            text.push_str(
                "# inline mode: iptables-restore --noflush, for iptables and ip6tables:\n",
            );
            text.push_str(&commented(&iptables_restore_text(spec, q, true)));
        }
        self.record(Step::Install, text)
    }

    fn ban(&mut self, bans: &[Ban]) -> Result<(), FirewallError> {
        if bans.is_empty() {
            return Ok(());
        }
        let text = render::ban(bans, false)?;
        self.state.ban(bans)?;
        self.record(Step::Ban, text)
    }

    fn unban(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        if nets.is_empty() {
            return Ok(());
        }
        let text = render::unban(nets)?;
        self.state.unban(nets)?;
        self.record(Step::Unban, text)
    }

    fn set_trusted(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.state.set_trusted(nets)?;
        self.record(
            Step::ReplaceTrusted,
            render::replace(SetRole::Trusted, nets),
        )
    }

    fn set_allow(&mut self, nets: &[IpNet]) -> Result<(), FirewallError> {
        self.state.set_allow(nets)?;
        self.record(Step::ReplaceAllow, render::replace(SetRole::Allow, nets))
    }

    fn bans(&mut self) -> Result<Vec<BanEntry>, FirewallError> {
        self.state.bans()
    }

    fn remove(&mut self) -> Result<(), FirewallError> {
        self.state.remove()?;
        self.record(Step::Remove, render::remove())
    }
}
