//! What a ban batch puts in the sets: each ban checked and normalised,
//! duplicates and nested networks folded, and the merge with elements
//! already in the kernel that a new ban overlaps.
//!
//! `ban4` holds single addresses; `ban6` is an interval set and holds
//! networks of `/MIN_IPV6_BAN_PREFIX` to `/128`. An interval set refuses an
//! element that overlaps one it holds, and two prefixes either nest or are
//! disjoint, so an overlap is always "one covers the other". The rule for
//! such a pair: the wider network stays, with the longer of the two times
//! (no timeout beats every timeout). Nobody is banned for less time than a
//! ban asked for; a covering prefix may last as long as the longest ban it
//! swallowed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::error::{FirewallError, Step};
use crate::render::ttl_secs;
use crate::{Ban, BanEntry};

/// The widest IPv6 network one ban may cover (a site's /48): a wider one
/// is refused as a likely mistake.
pub const MIN_IPV6_BAN_PREFIX: u8 = 48;

/// The network a ban or unban of `net` is about: IPv4-mapped IPv6 as
/// IPv4, host bits cleared.
///
/// # Errors
/// [`FirewallError::Unbannable`]: an IPv4 network wider than one address
/// (`ban4` holds addresses only) or an IPv6 network wider than
/// [`MIN_IPV6_BAN_PREFIX`].
pub fn ban_net(step: Step, net: IpNet) -> Result<IpNet, FirewallError> {
    let net = match net {
        IpNet::V6(v6) if v6.prefix_len() == 128 => {
            IpNet::from(IpAddr::V6(v6.addr()).to_canonical())
        }
        other => other.trunc(),
    };
    let why = match net {
        IpNet::V4(v4) if v4.prefix_len() != 32 => Some("IPv4 bans are single addresses (/32)"),
        IpNet::V6(v6) if v6.prefix_len() < MIN_IPV6_BAN_PREFIX => {
            Some("IPv6 bans cover at most a /48")
        }
        _ => None,
    };
    match why {
        Some(why) => Err(FirewallError::Unbannable { step, net, why }),
        None => Ok(net),
    }
}

/// A ban's time in whole seconds as the kernel holds it (`None`: no
/// timeout).
pub type Timeout = Option<Duration>;

fn longer(a: Timeout, b: Timeout) -> Timeout {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

/// The bans of one batch, checked, by network: duplicates keep the longest
/// time, a network inside another of the batch is folded into it.
///
/// # Errors
/// The first ban [`ban_net`] refuses; nothing is planned then.
pub fn plan(bans: &[Ban]) -> Result<BTreeMap<IpNet, Duration>, FirewallError> {
    let mut timed: Vec<(IpNet, Timeout)> = Vec::with_capacity(bans.len());
    for b in bans {
        let net = ban_net(Step::Ban, b.net)?;
        timed.push((net, Some(Duration::from_secs(ttl_secs(b.ttl)))));
    }
    Ok(fold(timed)
        .into_iter()
        .filter_map(|(net, t)| t.map(|t| (net, t)))
        .collect())
}

/// Keeps the widest networks; each gets the longest time of the networks
/// it covers.
fn fold(mut items: Vec<(IpNet, Timeout)>) -> BTreeMap<IpNet, Timeout> {
    // Widest first: a network's cover, if any, is already kept when it
    // comes. Networks of one batch nest or are disjoint, so the kept ones
    // never overlap and a cover is found by trying each shorter prefix.
    items.sort_by_key(|(net, _)| (net.prefix_len(), *net));
    let mut kept: BTreeMap<IpNet, Timeout> = BTreeMap::new();
    // Prefix lengths kept so far: only those can hold a cover.
    let mut lens: BTreeSet<u8> = BTreeSet::new();
    for (net, t) in items {
        let cover = lens
            .range(..=net.prefix_len())
            .filter_map(|len| IpNet::new(net.addr(), *len).ok().map(|n| n.trunc()))
            .find(|n| kept.contains_key(n));
        lens.insert(net.prefix_len());
        let slot = cover.unwrap_or(net);
        let merged = kept.get(&slot).map_or(t, |old| longer(*old, t));
        kept.insert(slot, merged);
    }
    kept
}

/// What to change in a set that already holds `existing` (the elements
/// that overlap a planned ban): delete those, then add the returned
/// elements. Applied in one batch.
#[must_use]
pub fn merge(
    planned: &BTreeMap<IpNet, Duration>,
    existing: &[BanEntry],
) -> (Vec<IpNet>, BTreeMap<IpNet, Timeout>) {
    let deletes: Vec<IpNet> = existing
        .iter()
        .filter(|e| planned.keys().any(|p| overlaps(p, &e.net)))
        .map(|e| e.net)
        .collect();
    let items = planned
        .iter()
        .map(|(n, t)| (*n, Some(*t)))
        .chain(
            existing
                .iter()
                .filter(|e| deletes.contains(&e.net))
                .map(|e| (e.net, e.remaining.map(|r| r.max(Duration::from_secs(1))))),
        )
        .collect();
    (deletes, fold(items))
}

/// Whether two networks share an address (for prefixes: one contains the
/// other).
#[must_use]
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse()
            .unwrap_or_else(|_| IpNet::from(s.parse::<IpAddr>().unwrap()))
    }

    fn ban(s: &str, secs: u64) -> Ban {
        Ban {
            net: net(s),
            ttl: Duration::from_secs(secs),
        }
    }

    #[test]
    fn normalises_mapped_addresses_and_host_bits() {
        assert_eq!(
            ban_net(Step::Ban, net("::ffff:203.0.113.6")).unwrap(),
            net("203.0.113.6")
        );
        assert_eq!(
            ban_net(Step::Ban, net("2001:db8:1:2::5/64")).unwrap(),
            net("2001:db8:1:2::/64")
        );
        assert!(matches!(
            ban_net(Step::Unban, net("203.0.113.0/24")),
            Err(FirewallError::Unbannable {
                step: Step::Unban,
                ..
            })
        ));
        let err = ban_net(Step::Ban, net("2001:db8::/32")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ban batch: cannot ban 2001:db8::/32: IPv6 bans cover at most a /48"
        );
        assert!(ban_net(Step::Ban, net("2001:db8::/48")).is_ok());
    }

    #[test]
    fn a_batch_folds_duplicates_and_nested_networks() {
        let planned = plan(&[
            ban("2001:db8:1:2::5", 600),
            ban("2001:db8:1:2::/64", 60),
            ban("2001:db8:1:2::/64", 120),
            ban("2001:db8:9::1", 30),
            ban("203.0.113.5", 10),
            ban("203.0.113.5", 20),
        ])
        .unwrap();
        let got: Vec<(String, u64)> = planned
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_secs()))
            .collect();
        assert_eq!(
            got,
            [
                ("203.0.113.5/32".to_owned(), 20),
                ("2001:db8:1:2::/64".to_owned(), 600),
                ("2001:db8:9::1/128".to_owned(), 30),
            ]
        );
    }

    #[test]
    fn merging_with_the_kernel_keeps_the_wider_network_and_the_longer_time() {
        let planned = plan(&[ban("2001:db8:1:2::/64", 60), ban("2001:db8:7::7", 60)]).unwrap();
        let existing = [
            // Inside the new /64, longer: swallowed, its time kept.
            BanEntry {
                net: net("2001:db8:1:2::9"),
                remaining: Some(Duration::from_secs(900)),
            },
            // Covers the new /128: stays, time already longer.
            BanEntry {
                net: net("2001:db8:7::/48"),
                remaining: Some(Duration::from_secs(500)),
            },
            // Unrelated: untouched.
            BanEntry {
                net: net("2001:db8:8::1"),
                remaining: Some(Duration::from_secs(5)),
            },
        ];
        let (deletes, adds) = merge(&planned, &existing);
        assert_eq!(deletes, [net("2001:db8:1:2::9"), net("2001:db8:7::/48")]);
        let adds: Vec<(IpNet, Timeout)> = adds.into_iter().collect();
        assert_eq!(
            adds,
            [
                (net("2001:db8:1:2::/64"), Some(Duration::from_secs(900))),
                (net("2001:db8:7::/48"), Some(Duration::from_secs(500))),
            ]
        );
        // An element without a timeout (added by hand) keeps none.
        let (_, adds) = merge(
            &planned,
            &[BanEntry {
                net: net("2001:db8:1:2::/64"),
                remaining: None,
            }],
        );
        assert_eq!(adds.get(&net("2001:db8:1:2::/64")), Some(&None));
    }
}
