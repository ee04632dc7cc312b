//! `nft -f` text for each batch. Every value written here is typed (an
//! address, a network, a port, a number of seconds) and every name is a
//! constant, so no input can change the structure of a batch.
//!
//! The text is what [`Nft`](crate::Nft) applies and what
//! [`DryRun`](crate::DryRun) prints: one file is one kernel transaction.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::Ban;
use crate::ruleset::{
    CHAIN_NAMES, Chain, Family, Hook, Match, Rule, Ruleset, SetDef, SetRole, Statement,
};

/// The table family and name: ghostguard owns this table and no other.
pub const TABLE: &str = "inet ghostguard";

/// Longest ban the kernel is asked for; longer TTLs are clamped. (nft
/// rejects element timeouts of about a century.)
pub const MAX_BAN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// A scratch set [`Nft`](crate::Nft) makes for a moment after install to
/// learn whether re-adding an element renews its timeout; install removes
/// a leftover one.
pub const RENEW_PROBE_SET: &str = "renew_probe";

/// Elements per `add element` line, so long batches stay readable.
const ELEMENTS_PER_LINE: usize = 256;

/// The install batch: (re)creates every chain and policy set, keeps the
/// ban sets and their elements.
#[must_use]
pub fn install(ruleset: &Ruleset) -> String {
    let mut out = String::from("# ghostguard: install (one atomic batch)\n");
    out.push_str(&format!("add table {TABLE}\n"));
    // Declare-then-delete: works whether or not the chain or set exists,
    // and drops what an older spec (another mode) created.
    for verb in ["add", "flush", "delete"] {
        for chain in CHAIN_NAMES {
            let _ = writeln!(out, "{verb} chain {TABLE} {chain}");
        }
    }
    let _ = writeln!(
        out,
        "add set {TABLE} {RENEW_PROBE_SET} {{ type ipv4_addr; flags timeout; }}"
    );
    let _ = writeln!(out, "delete set {TABLE} {RENEW_PROBE_SET}");
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

/// The ban batch. Duplicates keep the longest TTL; IPv4-mapped IPv6
/// addresses are banned as IPv4.
///
/// With `add_renews` false (the portable form) each address is added,
/// deleted and added again, so an address already banned gets the new
/// timeout on every kernel. With `add_renews` true (kernels where
/// re-adding an element updates its timeout, found by
/// [`Nft`](crate::Nft) at install) a plain add does the same for about a
/// third of the cost.
#[must_use]
pub fn ban(bans: &[Ban], add_renews: bool) -> String {
    let mut ttl: BTreeMap<IpAddr, Duration> = BTreeMap::new();
    for b in bans {
        let t = ttl.entry(b.ip.to_canonical()).or_default();
        *t = (*t).max(b.ttl);
    }
    let mut out = String::from("# ghostguard: ban (one atomic batch)\n");
    for family in Family::BOTH {
        let of_family: Vec<(IpAddr, Duration)> = ttl
            .iter()
            .filter(|(ip, _)| family_of(ip) == family)
            .map(|(ip, t)| (*ip, *t))
            .collect();
        let timed = |(ip, t): &(IpAddr, Duration)| format!("{ip} timeout {}s", ttl_secs(*t));
        let bare = |(ip, _): &(IpAddr, Duration)| ip.to_string();
        if !add_renews {
            element_lines(&mut out, "add", family, &of_family, timed);
            element_lines(&mut out, "delete", family, &of_family, bare);
        }
        element_lines(&mut out, "add", family, &of_family, timed);
    }
    out
}

/// The unban batch: add-then-delete, so unbanning an address that is not
/// (or no longer) banned succeeds.
#[must_use]
pub fn unban(ips: &[IpAddr]) -> String {
    let mut ips: Vec<IpAddr> = ips.iter().map(IpAddr::to_canonical).collect();
    ips.sort_unstable();
    ips.dedup();
    let mut out = String::from("# ghostguard: unban (one atomic batch)\n");
    for family in Family::BOTH {
        let of_family: Vec<IpAddr> = ips
            .iter()
            .copied()
            .filter(|ip| family_of(ip) == family)
            .collect();
        element_lines(&mut out, "add", family, &of_family, IpAddr::to_string);
        element_lines(&mut out, "delete", family, &of_family, IpAddr::to_string);
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

fn family_of(ip: &IpAddr) -> Family {
    if ip.is_ipv4() { Family::V4 } else { Family::V6 }
}

fn set_name(set: &SetDef) -> &'static str {
    set.role.set_name(set.family)
}

fn set_type(set: &SetDef) -> &'static str {
    match (set.role, set.family) {
        (SetRole::Ban, Family::V4) => "type ipv4_addr; flags timeout;",
        (SetRole::Ban, Family::V6) => "type ipv6_addr; flags timeout;",
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
