//! `nft -f` text for each batch. Every value written here is typed (an
//! address, a network, a port, a number of seconds) and every name is a
//! constant, so no input can change the structure of a batch.
//!
//! The text is what [`Nft`](crate::Nft) applies and what
//! [`DryRun`](crate::DryRun) prints: one file is one kernel transaction.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use ipnet::IpNet;

use crate::error::{FirewallError, Step};
use crate::plan::{self, Timeout};
use crate::ruleset::{
    CHAIN_NAMES, Chain, Family, Hook, Match, Rule, Ruleset, SetDef, SetRole, Statement,
};
use crate::{Ban, BanEntry};

/// The table family and name: ghostguard owns this table and no other.
pub const TABLE: &str = "inet ghostguard";

/// Longest ban the kernel is asked for; longer TTLs are clamped. (nft
/// rejects element timeouts of about a century.)
pub const MAX_BAN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// The kernel time of a stored ban ending at `end_ms` (unix milliseconds;
/// `None`: until lifted, so [`MAX_BAN_TTL`]) at `now_ms`; an end already
/// past gives one second.
#[must_use]
pub fn ttl_left(end_ms: Option<i64>, now_ms: i64) -> Duration {
    end_ms.map_or(MAX_BAN_TTL, |e| {
        Duration::from_millis(u64::try_from(e - now_ms).unwrap_or(1_000))
    })
}

/// Scratch sets [`Nft`](crate::Nft) makes for a moment after install to
/// learn whether re-adding an element renews its timeout (one of each
/// kind of ban set); install removes leftover ones.
pub const RENEW_PROBE_SETS: [(&str, &str); 2] = [
    ("renew_probe", "type ipv4_addr; flags timeout;"),
    ("renew_probe6", "type ipv6_addr; flags interval, timeout;"),
];

/// Elements per `add element` line, so long batches stay readable.
const ELEMENTS_PER_LINE: usize = 256;

/// The install batch: (re)creates every chain and policy set, keeps the
/// ban sets and their elements.
#[must_use]
pub fn install(ruleset: &Ruleset) -> String {
    install_migrating(ruleset, None)
}

/// The install batch, turning a `ban6` of the older kind (single
/// addresses, `flags timeout`) into the interval set: with `old_ban6`
/// (its elements, read by [`Nft`](crate::Nft) before install) the set is
/// deleted once the chains that use it are gone, created anew and refilled
/// with those elements and the time they had left.
#[must_use]
pub fn install_migrating(ruleset: &Ruleset, old_ban6: Option<&[BanEntry]>) -> String {
    let mut out = String::from("# ghostguard: install (one atomic batch)\n");
    out.push_str(&format!("add table {TABLE}\n"));
    // Declare-then-delete: works whether or not the chain or set exists,
    // and drops what an older spec (another mode) created.
    for verb in ["add", "flush", "delete"] {
        for chain in CHAIN_NAMES {
            let _ = writeln!(out, "{verb} chain {TABLE} {chain}");
        }
    }
    for (name, kind) in RENEW_PROBE_SETS {
        let _ = writeln!(out, "add set {TABLE} {name} {{ {kind} }}");
        let _ = writeln!(out, "delete set {TABLE} {name}");
    }
    if old_ban6.is_some() {
        let _ = writeln!(
            out,
            "delete set {TABLE} {}",
            SetRole::Ban.set_name(Family::V6)
        );
    }
    for set in ruleset.sets.iter().filter(|s| s.role != SetRole::Ban) {
        let _ = writeln!(
            out,
            "add set {TABLE} {} {{ {} }}",
            set_name(set),
            set_type(set)
        );
        let _ = writeln!(out, "delete set {TABLE} {}", set_name(set));
    }
    for set in &ruleset.sets {
        let elements = if set.elements.is_empty() {
            String::new()
        } else {
            format!(" elements = {{ {} }};", join(set.elements.iter().map(net)))
        };
        let _ = writeln!(
            out,
            "add set {TABLE} {} {{ {}{elements} }}",
            set_name(set),
            set_type(set)
        );
    }
    if let Some(old) = old_ban6 {
        let kept: BTreeMap<IpNet, Timeout> = old
            .iter()
            .filter(|e| Family::of(&e.net) == Family::V6)
            .map(|e| (e.net, e.remaining.map(|r| r.max(Duration::from_secs(1)))))
            .collect();
        ban_lines(&mut out, &kept, &[], true);
    }
    // Regular chains first: a base chain's goto needs its target.
    let (base, regular): (Vec<&Chain>, Vec<&Chain>) =
        ruleset.chains.iter().partition(|c| c.hook.is_some());
    for chain in regular.iter().chain(&base) {
        match chain.hook {
            None => {
                let _ = writeln!(out, "add chain {TABLE} {}", chain.name);
            }
            Some(hook) => {
                let _ = writeln!(
                    out,
                    "add chain {TABLE} {} {{ type filter hook {} priority filter - 5; policy accept; }}",
                    chain.name,
                    hook_name(hook)
                );
            }
        }
    }
    for chain in regular.iter().chain(&base) {
        for rule in &chain.rules {
            let _ = writeln!(out, "add rule {TABLE} {} {}", chain.name, rule_text(rule));
        }
    }
    out
}

/// The ban batch. Duplicates keep the longest TTL, a network inside
/// another of the batch is folded into it; IPv4-mapped IPv6 addresses are
/// banned as IPv4.
///
/// With `add_renews` false (the portable form) each element is added,
/// deleted and added again, so an element already in the set gets the new
/// timeout on every kernel. With `add_renews` true (kernels where
/// re-adding an element updates its timeout, found by
/// [`Nft`](crate::Nft) at install) a plain add does the same for about a
/// third of the cost.
///
/// The batch fails in the kernel when an IPv6 ban overlaps an element
/// `ban6` holds (an interval set refuses overlaps); [`Nft`](crate::Nft)
/// then reads the set and applies [`ban_merged`] instead.
///
/// # Errors
/// A ban [`ban_net`](crate::ban_net) refuses.
pub fn ban(bans: &[Ban], add_renews: bool) -> Result<String, FirewallError> {
    let planned = plan::plan(bans)?;
    let timed: BTreeMap<IpNet, Timeout> = planned.iter().map(|(n, t)| (*n, Some(*t))).collect();
    Ok(ban_merged(&timed, &[], add_renews))
}

/// The ban batch after a listing: `deletes` (elements in the kernel that
/// overlap a new ban) go first, then `adds` ([`plan::merge`]'s result) are
/// added. Elements that are not deleted first are added as [`ban`] adds
/// them.
#[must_use]
pub fn ban_merged(adds: &BTreeMap<IpNet, Timeout>, deletes: &[IpNet], add_renews: bool) -> String {
    let mut out = String::from("# ghostguard: ban (one atomic batch)\n");
    ban_lines(&mut out, adds, deletes, add_renews);
    out
}

fn ban_lines(
    out: &mut String,
    adds: &BTreeMap<IpNet, Timeout>,
    deletes: &[IpNet],
    add_renews: bool,
) {
    for family in Family::BOTH {
        let gone: Vec<IpNet> = of_family(deletes, family);
        element_lines(out, "delete", family, &gone, net);
        let of_family: Vec<(IpNet, Timeout)> = adds
            .iter()
            .filter(|(n, _)| Family::of(n) == family)
            .map(|(n, t)| (*n, *t))
            .collect();
        let timed = |(n, t): &(IpNet, Timeout)| match t {
            Some(t) => format!("{} timeout {}s", net(n), ttl_secs(*t)),
            None => net(n),
        };
        // Re-adding renews only where the kernel says so; elements just
        // deleted above are added fresh anyway.
        let renewing: Vec<(IpNet, Timeout)> = of_family
            .iter()
            .copied()
            .filter(|(n, _)| !gone.contains(n))
            .collect();
        if !add_renews {
            element_lines(out, "add", family, &renewing, timed);
            element_lines(out, "delete", family, &renewing, |(n, _)| net(n));
        }
        element_lines(out, "add", family, &of_family, timed);
    }
}

/// The unban batch: add-then-delete of each network, so unbanning one
/// that is not (or no longer) banned succeeds. It fails in the kernel when
/// an IPv6 network only overlaps an element of `ban6` (an address inside a
/// banned /64); [`Nft`](crate::Nft) then reads the set and applies
/// [`unban_listed`].
///
/// # Errors
/// A network [`ban_net`](crate::ban_net) refuses.
pub fn unban(nets: &[IpNet]) -> Result<String, FirewallError> {
    let mut nets = nets
        .iter()
        .map(|n| plan::ban_net(Step::Unban, *n))
        .collect::<Result<Vec<IpNet>, FirewallError>>()?;
    nets.sort_unstable();
    nets.dedup();
    Ok(unban_listed(&nets, &[]))
}

/// The unban batch after a listing: `loose` networks (IPv4, or IPv6 when
/// `exact` is empty) by add-then-delete, the `exact` elements of `ban6`
/// (listed, so they exist) by a plain delete.
#[must_use]
pub fn unban_listed(loose: &[IpNet], exact: &[IpNet]) -> String {
    let mut out = String::from("# ghostguard: unban (one atomic batch)\n");
    for family in Family::BOTH {
        let loose = of_family(loose, family);
        element_lines(&mut out, "add", family, &loose, net);
        element_lines(&mut out, "delete", family, &loose, net);
        element_lines(&mut out, "delete", family, &of_family(exact, family), net);
    }
    out
}

/// Replaces the content of the `role` sets (both families) with `nets`:
/// flush and add in one batch, so no packet sees an empty set.
#[must_use]
pub fn replace(role: SetRole, nets: &[IpNet]) -> String {
    let mut out = format!(
        "# ghostguard: replace the {} sets (one atomic batch)\n",
        role.label()
    );
    for family in Family::BOTH {
        let _ = writeln!(out, "flush set {TABLE} {}", role.set_name(family));
    }
    for family in Family::BOTH {
        let elements = crate::ruleset::normalize(nets, family);
        for chunk in elements.chunks(ELEMENTS_PER_LINE) {
            let _ = writeln!(
                out,
                "add element {TABLE} {} {{ {} }}",
                role.set_name(family),
                join(chunk.iter().map(net))
            );
        }
    }
    out
}

/// The remove batch: deletes our table (declared first, so removing an
/// absent table succeeds). Nothing outside it is touched.
#[must_use]
pub fn remove() -> String {
    format!("# ghostguard: remove (one atomic batch)\nadd table {TABLE}\ndelete table {TABLE}\n")
}

fn of_family(nets: &[IpNet], family: Family) -> Vec<IpNet> {
    nets.iter()
        .copied()
        .filter(|n| Family::of(n) == family)
        .collect()
}

fn element_lines<T>(
    out: &mut String,
    verb: &str,
    family: Family,
    items: &[T],
    show: impl Fn(&T) -> String,
) {
    for chunk in items.chunks(ELEMENTS_PER_LINE) {
        let _ = writeln!(
            out,
            "{verb} element {TABLE} {} {{ {} }}",
            SetRole::Ban.set_name(family),
            join(chunk.iter().map(&show))
        );
    }
}

/// Whole seconds, rounded up, from 1 s to [`MAX_BAN_TTL`].
#[must_use]
pub fn ttl_secs(ttl: Duration) -> u64 {
    let clamped = ttl.min(MAX_BAN_TTL);
    (clamped.as_secs() + u64::from(clamped.subsec_nanos() > 0)).max(1)
}

fn set_name(set: &SetDef) -> &'static str {
    set.role.set_name(set.family)
}

fn set_type(set: &SetDef) -> &'static str {
    match (set.role, set.family) {
        (SetRole::Ban, Family::V4) => "type ipv4_addr; flags timeout;",
        // An interval set: one element bans a whole prefix (a /64).
        (SetRole::Ban, Family::V6) => "type ipv6_addr; flags interval, timeout;",
        (_, Family::V4) => "type ipv4_addr; flags interval;",
        (_, Family::V6) => "type ipv6_addr; flags interval;",
    }
}

fn hook_name(hook: Hook) -> &'static str {
    match hook {
        Hook::Forward => "forward",
        Hook::Input => "input",
        Hook::Output => "output",
    }
}

/// A network as an nft element: a single address without its prefix.
fn net(n: &IpNet) -> String {
    if n.prefix_len() == n.max_prefix_len() {
        n.addr().to_string()
    } else {
        n.to_string()
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn addr_match(direction: &str, role: SetRole, family: Family) -> String {
    let proto = match family {
        Family::V4 => "ip",
        Family::V6 => "ip6",
    };
    format!("{proto} {direction} @{}", role.set_name(family))
}

/// One rule's text after `add rule inet ghostguard CHAIN`.
#[must_use]
pub fn rule_text(rule: &Rule) -> String {
    let mut parts: Vec<String> = rule
        .matches
        .iter()
        .map(|m| match m {
            Match::TcpOrUdp => "meta l4proto { tcp, udp }".to_owned(),
            Match::DstPort(p) => format!("th dport {{ {} }}", join(p.iter().map(u16::to_string))),
            Match::SrcPort(p) => format!("th sport {{ {} }}", join(p.iter().map(u16::to_string))),
            Match::Source(role, family) => addr_match("saddr", *role, *family),
            Match::Destination(role, family) => addr_match("daddr", *role, *family),
            Match::NotDestination(role, family) => {
                addr_match("daddr", *role, *family).replacen(" @", " != @", 1)
            }
        })
        .collect();
    parts.extend(rule.statements.iter().map(|s| match s {
        Statement::Log(n) => format!(
            "log group {} snaplen {} queue-threshold {}",
            n.group, n.snaplen, n.queue_threshold
        ),
        Statement::Counter => "counter".to_owned(),
        Statement::Accept => "accept".to_owned(),
        Statement::Drop => "drop".to_owned(),
        Statement::Goto(chain) => format!("goto {chain}"),
        Statement::Queue(num) => format!("queue num {num} bypass"),
    }));
    parts.push(format!("comment \"{}\"", rule.comment));
    parts.join(" ")
}
