//! Inline mode (NFQUEUE): which kernel path works here, and the iptables
//! chain used when the nft `queue` statement is missing.
//!
//! Some kernels are built without `nft_queue` (the nft `queue` expression)
//! but with the xtables `NFQUEUE` target, reachable through iptables-nft.
//! Then the queue rule lives in an iptables chain `GHOSTGUARD` in table
//! `filter` (IPv4 and IPv6), jumped to from one rule at the top of
//! `FORWARD` (gateway) or `INPUT` (host), and removed by `remove()`.

use std::fmt;

use crate::command::{self, Tool};
use crate::error::{FirewallError, Step};
use crate::spec::{FirewallSpec, Mode, Queue, QueueBackend};
use crate::tools::Tools;

/// The iptables chain ghostguard owns when it queues through iptables.
pub const IPTABLES_CHAIN: &str = "GHOSTGUARD";

/// Whether one queue path works, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    Missing { reason: String },
}

/// The outcome of [`detect_queue_support`]: both paths probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSupport {
    /// The nft `queue` statement (`nft -c`: the kernel checks the rule and
    /// the transaction is aborted, nothing is committed).
    pub nft: Availability,
    /// The iptables `NFQUEUE` target (tried in a throwaway network
    /// namespace with `unshare --net iptables-restore`).
    pub iptables: Availability,
}

impl QueueSupport {
    /// The path to use: nft when it works, else iptables, else none.
    #[must_use]
    pub fn backend(&self) -> Option<QueueBackend> {
        match (&self.nft, &self.iptables) {
            (Availability::Available, _) => Some(QueueBackend::Nft),
            (_, Availability::Available) => Some(QueueBackend::Iptables),
            _ => None,
        }
    }
}

impl fmt::Display for QueueSupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |a: &Availability| match a {
            Availability::Available => "available".to_owned(),
            Availability::Missing { reason } => format!("not available ({reason})"),
        };
        writeln!(f, "nft queue statement: {}", show(&self.nft))?;
        writeln!(f, "iptables NFQUEUE target: {}", show(&self.iptables))?;
        match self.backend() {
            Some(QueueBackend::Nft) => {
                write!(f, "inline mode uses: nft queue in table inet ghostguard")
            }
            Some(QueueBackend::Iptables) => {
                write!(
                    f,
                    "inline mode uses: iptables NFQUEUE in chain {IPTABLES_CHAIN} (table filter)"
                )
            }
            None => write!(f, "inline mode: unavailable on this host"),
        }
    }
}

/// Probes both queue paths with the tools on `PATH`. Needs CAP_NET_ADMIN;
/// changes nothing on the host.
#[must_use]
pub fn detect_queue_support() -> QueueSupport {
    detect_with(&Tools::default())
}

pub(crate) fn detect_with(tools: &Tools) -> QueueSupport {
    let probe = "add table inet ghostguard_probe\n\
                 add chain inet ghostguard_probe c { type filter hook input priority 0; }\n\
                 add rule inet ghostguard_probe c queue num 0 bypass\n";
    let nft = availability(command::run(
        Step::QueueProbe,
        &tools.nft(),
        &["-c", "-f", "-"],
        Some(probe),
    ));
    // unshare runs iptables-restore in a fresh network namespace that dies
    // with it: the host's own iptables tables are never touched.
    let restore =
        "*filter\n-A INPUT -p udp --dport 5060 -j NFQUEUE --queue-num 0 --queue-bypass\nCOMMIT\n";
    let unshare = Tool {
        path: &tools.unshare,
        package: "util-linux",
    };
    let restore_path = tools.iptables_restore.to_string_lossy();
    let iptables = availability(command::run(
        Step::QueueProbe,
        &unshare,
        &["--net", &restore_path],
        Some(restore),
    ));
    QueueSupport { nft, iptables }
}

fn availability(result: Result<String, FirewallError>) -> Availability {
    match result {
        Ok(_) => Availability::Available,
        Err(e) => Availability::Missing {
            reason: e.to_string().replace('\n', " "),
        },
    }
}

/// The base chain that jumps to ours in `mode`.
fn hook_chain(mode: Mode) -> &'static str {
    match mode {
        Mode::Gateway => "FORWARD",
        Mode::Host => "INPUT",
    }
}

/// The `iptables-restore --noflush` text that (re)fills our chain;
/// declaring the chain flushes it. `add_jump` adds the one jump rule.
#[must_use]
pub fn iptables_restore_text(spec: &FirewallSpec, queue: Queue, add_jump: bool) -> String {
    let mut out = format!("*filter\n:{IPTABLES_CHAIN} - [0:0]\n");
    for port in spec.ports() {
        for proto in ["udp", "tcp"] {
            out.push_str(&format!(
                "-A {IPTABLES_CHAIN} -p {proto} --dport {port} -j NFQUEUE --queue-num {} --queue-bypass\n",
                queue.num
            ));
        }
    }
    if add_jump {
        out.push_str(&format!(
            "-I {} 1 -j {IPTABLES_CHAIN}\n",
            hook_chain(spec.mode)
        ));
    }
    out.push_str("COMMIT\n");
    out
}

/// Installs (or refreshes) the iptables queue chain for both families, and
/// moves the jump when the mode changed.
pub(crate) fn install_iptables(
    tools: &Tools,
    spec: &FirewallSpec,
    queue: Queue,
) -> Result<(), FirewallError> {
    let step = Step::QueueInstall;
    for (cli, restore) in tools.iptables_pairs() {
        let wanted = hook_chain(spec.mode);
        let has_jump = command::check(step, &cli, &["-w", "-C", wanted, "-j", IPTABLES_CHAIN])?;
        command::run(
            step,
            &restore,
            &["-w", "--noflush"],
            Some(&iptables_restore_text(spec, queue, !has_jump)),
        )?;
        for other in ["FORWARD", "INPUT"].into_iter().filter(|c| *c != wanted) {
            delete_jumps(step, &cli, other)?;
        }
    }
    Ok(())
}

/// Removes our iptables chain and its jumps, if present. Presence is read
/// with `nft list chain ip filter GHOSTGUARD` (iptables-nft keeps its rules
/// in nftables), so a host that never used the queue chain gets no
/// iptables call at all, and no `filter` table is created by a look.
pub(crate) fn remove_iptables(tools: &Tools) -> Result<(), FirewallError> {
    let step = Step::QueueRemove;
    for ((cli, _), family) in tools.iptables_pairs().into_iter().zip(["ip", "ip6"]) {
        if !command::check(
            step,
            &tools.nft(),
            &["list", "chain", family, "filter", IPTABLES_CHAIN],
        )? {
            continue;
        }
        for hook in ["FORWARD", "INPUT"] {
            delete_jumps(step, &cli, hook)?;
        }
        command::run(step, &cli, &["-w", "-F", IPTABLES_CHAIN], None)?;
        command::run(step, &cli, &["-w", "-X", IPTABLES_CHAIN], None)?;
    }
    Ok(())
}

/// Deletes every jump from `hook` to our chain (bounded: a jump we did not
/// add twice is still removed, a runaway loop is not possible).
fn delete_jumps(step: Step, cli: &Tool<'_>, hook: &str) -> Result<(), FirewallError> {
    for _ in 0..16 {
        if !command::check(step, cli, &["-w", "-C", hook, "-j", IPTABLES_CHAIN])? {
            break;
        }
        command::run(step, cli, &["-w", "-D", hook, "-j", IPTABLES_CHAIN], None)?;
    }
    Ok(())
}
