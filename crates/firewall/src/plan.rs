//! What a ban batch puts in the sets: each ban checked and normalised,
//! duplicates and nested networks folded, and the merge with elements
//! already in the kernel that a new ban overlaps.
//!
//! `ban4` and `ban6` are interval sets: `ban4` holds networks of
//! `/MIN_IPV4_BAN_PREFIX` to `/32`, `ban6` networks of
//! `/MIN_IPV6_BAN_PREFIX` to `/128`. An interval set refuses an element
//! that overlaps one it holds, and two prefixes either nest or are
//! disjoint, so an overlap is always "one covers the other". The rule for
//! such a pair: the wider network stays, with the longer of the two times
//! (no timeout beats every timeout). Nobody is banned for less time than a
//! ban asked for; a covering prefix may last as long as the longest ban it
//! swallowed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::error::{FirewallError, Step};
use crate::render::ttl_secs;
use crate::{Ban, BanEntry};

/// The widest IPv4 network one ban may cover (a /16, 65,536 addresses):
/// a wider one is refused as a likely mistake (a typo such as `/8` for
/// `/28` would cut off millions of addresses).
pub const MIN_IPV4_BAN_PREFIX: u8 = 16;

/// The widest IPv6 network one ban may cover (a site's /48): a wider one
/// is refused as a likely mistake.
pub const MIN_IPV6_BAN_PREFIX: u8 = 48;

/// The network a ban or unban of `net` is about: IPv4-mapped IPv6 as
/// IPv4, host bits cleared.
///
/// # Errors
/// [`FirewallError::Unbannable`]: an IPv4 network wider than
/// [`MIN_IPV4_BAN_PREFIX`] or an IPv6 network wider than
/// [`MIN_IPV6_BAN_PREFIX`].
pub fn ban_net(step: Step, net: IpNet) -> Result<IpNet, FirewallError> {
    let net = match net {
        IpNet::V6(v6) if v6.prefix_len() == 128 => {
            IpNet::from(IpAddr::V6(v6.addr()).to_canonical())
        }
        other => other.trunc(),
    };
    let why = match net {
        IpNet::V4(v4) if v4.prefix_len() < MIN_IPV4_BAN_PREFIX => {
            Some("IPv4 bans cover at most a /16")
        }
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
    let keys: Vec<IpNet> = planned.keys().copied().collect();
    let deletes: Vec<IpNet> = overlapping(existing.to_vec(), &keys)
        .into_iter()
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

/// The elements of `held` that overlap one of `nets`, in `held`'s order.
/// O((n + m) log n) for n elements and m networks (a batch of thousands
/// of unbans against a set of thousands of bans): an element around a
/// network is found by its prefix, one lookup per prefix length held;
/// the elements inside it by address order.
#[must_use]
pub fn overlapping(mut held: Vec<BanEntry>, nets: &[IpNet]) -> Vec<BanEntry> {
    let mut sorted: Vec<IpNet> = held.iter().map(|e| e.net.trunc()).collect();
    sorted.sort_unstable_by_key(|n| (n.network(), n.prefix_len()));
    let lens: BTreeSet<u8> = sorted.iter().map(IpNet::prefix_len).collect();
    let all: HashSet<IpNet> = sorted.iter().copied().collect();
    let mut hit: HashSet<IpNet> = HashSet::new();
    for net in nets {
        let around = lens
            .range(..=net.prefix_len())
            .filter_map(|len| IpNet::new(net.addr(), *len).ok().map(|n| n.trunc()))
            .filter(|n| all.contains(n));
        hit.extend(around);
        let first = sorted.partition_point(|n| n.network() < net.network());
        let inside = sorted[first..]
            .iter()
            .take_while(|n| n.network() <= net.broadcast())
            .filter(|n| net.contains(*n));
        hit.extend(inside);
    }
    held.retain(|e| hit.contains(&e.net.trunc()));
    held
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
        assert_eq!(
            ban_net(Step::Unban, net("203.0.113.77/24")).unwrap(),
            net("203.0.113.0/24")
        );
        assert_eq!(
            ban_net(Step::Ban, net("198.51.0.0/16")).unwrap(),
            net("198.51.0.0/16")
        );
        assert!(matches!(
            ban_net(Step::Unban, net("198.0.0.0/15")),
            Err(FirewallError::Unbannable {
                step: Step::Unban,
                ..
            })
        ));
        let err = ban_net(Step::Ban, net("10.0.0.0/8")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ban batch: cannot ban 10.0.0.0/8: IPv4 bans cover at most a /16"
        );
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

    #[test]
    fn a_batch_folds_an_ipv4_address_into_its_network_either_way() {
        for order in [
            [ban("203.0.113.5", 600), ban("203.0.113.0/24", 60)],
            [ban("203.0.113.0/24", 60), ban("203.0.113.5", 600)],
        ] {
            let planned = plan(&order).unwrap();
            assert_eq!(
                planned.into_iter().collect::<Vec<_>>(),
                [(net("203.0.113.0/24"), Duration::from_secs(600))],
                "the /24 stays with the address's longer time"
            );
        }
        // Nested networks: the /16 swallows the /24 and the /28; a
        // neighbouring /24 outside it stays on its own.
        let planned = plan(&[
            ban("198.51.100.16/28", 900),
            ban("198.51.100.0/24", 60),
            ban("198.51.0.0/16", 30),
            ban("198.52.0.0/24", 10),
        ])
        .unwrap();
        assert_eq!(
            planned.into_iter().collect::<Vec<_>>(),
            [
                (net("198.51.0.0/16"), Duration::from_secs(900)),
                (net("198.52.0.0/24"), Duration::from_secs(10)),
            ]
        );
    }

    #[test]
    fn merging_ipv4_with_the_kernel_keeps_the_wider_network_and_the_longer_time() {
        // A new /24 around a banned address (longer): the address goes,
        // the /24 takes its time.
        let planned = plan(&[ban("203.0.113.0/24", 60)]).unwrap();
        let held = [
            BanEntry {
                net: net("203.0.113.5"),
                remaining: Some(Duration::from_secs(900)),
            },
            BanEntry {
                net: net("203.0.114.5"),
                remaining: Some(Duration::from_secs(900)),
            },
        ];
        let (deletes, adds) = merge(&planned, &held);
        assert_eq!(deletes, [net("203.0.113.5")], "the outside one stays");
        assert_eq!(
            adds.into_iter().collect::<Vec<_>>(),
            [(net("203.0.113.0/24"), Some(Duration::from_secs(900)))]
        );
        // A new address inside a banned /24 (shorter): the /24 stays with
        // its longer time; a longer address ban lengthens the /24.
        let held = [BanEntry {
            net: net("203.0.113.0/24"),
            remaining: Some(Duration::from_secs(500)),
        }];
        for (secs, want) in [(60, 500), (700, 700)] {
            let planned = plan(&[ban("203.0.113.9", secs)]).unwrap();
            let (deletes, adds) = merge(&planned, &held);
            assert_eq!(deletes, [net("203.0.113.0/24")]);
            assert_eq!(
                adds.into_iter().collect::<Vec<_>>(),
                [(net("203.0.113.0/24"), Some(Duration::from_secs(want)))]
            );
        }
    }

    #[test]
    fn overlapping_finds_elements_around_and_inside_in_held_order() {
        let held: Vec<BanEntry> = [
            "203.0.113.9",
            "198.51.100.0/24",
            "2001:db8:1::/48",
            "2001:db8:2::5",
            "198.51.101.7",
            "192.0.2.0/25",
        ]
        .iter()
        .map(|s| BanEntry {
            net: net(s),
            remaining: None,
        })
        .collect();
        let got = |nets: &[&str]| -> Vec<String> {
            let nets: Vec<IpNet> = nets.iter().map(|s| net(s)).collect();
            overlapping(held.clone(), &nets)
                .iter()
                .map(|e| e.net.to_string())
                .collect()
        };
        // Around: an address inside a held network; inside: held elements
        // inside a wider network; neither: nothing.
        assert_eq!(got(&["198.51.100.77"]), ["198.51.100.0/24"]);
        assert_eq!(
            got(&["198.51.0.0/16"]),
            ["198.51.100.0/24", "198.51.101.7/32"]
        );
        assert_eq!(got(&["2001:db8:1:2::/64"]), ["2001:db8:1::/48"]);
        assert_eq!(
            got(&["2001:db8::/32"]),
            ["2001:db8:1::/48", "2001:db8:2::5/128"]
        );
        assert_eq!(
            got(&["192.0.2.200", "198.51.102.1", "2001:db8:3::1"]),
            Vec::<String>::new()
        );
        assert_eq!(
            got(&["192.0.2.0/24", "203.0.113.9"]),
            ["203.0.113.9/32", "192.0.2.0/25"]
        );
        // The same answer as testing every pair.
        let nets: Vec<IpNet> = ["198.51.0.0/16", "2001:db8:1:2::9", "203.0.113.0/24"]
            .iter()
            .map(|s| net(s))
            .collect();
        let pairwise: Vec<BanEntry> = held
            .iter()
            .copied()
            .filter(|e| nets.iter().any(|n| overlaps(n, &e.net)))
            .collect();
        assert_eq!(overlapping(held.clone(), &nets), pairwise);
    }
}
