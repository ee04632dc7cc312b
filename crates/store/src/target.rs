//! What a ban covers: one address, or an IPv6 network (a prefix ban: an
//! attacker on IPv6 holds a whole /64 and moves between its addresses).
//!
//! Stored in the `ip` column as text: a single address as the address
//! alone (`203.0.113.5`, `2001:db8::5`, as before prefix bans existed), a
//! network as `address/length` with the host bits cleared
//! (`2001:db8:1:2::/64`). Every ban row reads back the same way.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// A banned address or network; host bits cleared, an IPv4-mapped IPv6
/// address taken as the IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BanTarget(IpNet);

impl BanTarget {
    /// The target for `net` (normalised as the type says).
    #[must_use]
    pub fn new(net: IpNet) -> Self {
        match net {
            IpNet::V6(v6) if v6.prefix_len() == 128 => {
                Self(IpNet::from(IpAddr::V6(v6.addr()).to_canonical()))
            }
            other => Self(other.trunc()),
        }
    }

    /// The network (a single address is a `/32` or `/128`).
    #[must_use]
    pub fn net(self) -> IpNet {
        self.0
    }

    /// The (first) address.
    #[must_use]
    pub fn addr(self) -> IpAddr {
        self.0.addr()
    }

    /// Whether this is one address rather than a network.
    #[must_use]
    pub fn is_host(self) -> bool {
        self.0.prefix_len() == self.0.max_prefix_len()
    }

    #[must_use]
    pub fn contains(self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }

    /// Whether the two share an address (one contains the other).
    #[must_use]
    pub fn overlaps(self, other: BanTarget) -> bool {
        self.0.contains(&other.0) || other.0.contains(&self.0)
    }

    /// The `ip` texts a ban of exactly this target may be stored as: its
    /// own and, for an IPv4 address, the IPv4-mapped IPv6 form
    /// (`::ffff:203.0.113.5`) that older versions wrote.
    pub(crate) fn stored_texts(self) -> Vec<String> {
        let mut texts = vec![self.to_string()];
        if let IpNet::V4(v4) = self.0
            && self.is_host()
        {
            texts.push(IpAddr::V6(v4.addr().to_ipv6_mapped()).to_string());
        }
        texts
    }

    /// This target and every network that contains it, as stored text:
    /// the `ip` values of the bans that cover it.
    pub(crate) fn covering_texts(self) -> Vec<String> {
        (0..=self.0.prefix_len())
            .rev()
            .filter_map(|len| IpNet::new(self.0.addr(), len).ok())
            .flat_map(|n| BanTarget::new(n).stored_texts())
            .collect()
    }
}

impl From<IpAddr> for BanTarget {
    fn from(ip: IpAddr) -> Self {
        Self::new(IpNet::from(ip))
    }
}

impl From<IpNet> for BanTarget {
    fn from(net: IpNet) -> Self {
        Self::new(net)
    }
}

/// A single address equals its own target (not a network around it).
impl PartialEq<IpAddr> for BanTarget {
    fn eq(&self, ip: &IpAddr) -> bool {
        *self == BanTarget::from(*ip)
    }
}

impl fmt::Display for BanTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            self.0.addr().fmt(f)
        } else {
            self.0.fmt(f)
        }
    }
}

/// Text that is neither an address nor a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or network (e.g. 203.0.113.5, 2001:db8:1:2::/64)")]
pub struct BanTargetError(pub String);

impl FromStr for BanTarget {
    type Err = BanTargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        s.parse::<IpAddr>()
            .map(Self::from)
            .or_else(|_| s.parse::<IpNet>().map(Self::new))
            .map_err(|_| BanTargetError(s.chars().take(64).collect()))
    }
}

impl serde::Serialize for BanTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BanTarget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> BanTarget {
        s.parse().unwrap()
    }

    #[test]
    fn single_addresses_read_and_print_as_before() {
        for s in ["203.0.113.5", "2001:db8::5"] {
            assert_eq!(t(s).to_string(), s);
            assert!(t(s).is_host());
        }
        assert_eq!(t("203.0.113.5/32").to_string(), "203.0.113.5");
        assert_eq!(t("::ffff:203.0.113.6").to_string(), "203.0.113.6");
        assert_eq!(
            serde_json::to_string(&t("203.0.113.5")).unwrap(),
            "\"203.0.113.5\""
        );
    }

    #[test]
    fn networks_clear_host_bits_and_cover_their_addresses() {
        let net = t("2001:db8:1:2::77/64");
        assert_eq!(net.to_string(), "2001:db8:1:2::/64");
        assert!(!net.is_host());
        assert!(net.contains("2001:db8:1:2:ffff::1".parse().unwrap()));
        assert!(!net.contains("2001:db8:1:3::1".parse().unwrap()));
        assert!(net.overlaps(t("2001:db8:1:2::9")));
        assert!(t("2001:db8:1:2::9").overlaps(net));
        assert!(!net.overlaps(t("2001:db8:1:3::/64")));
        let texts = t("2001:db8:1:2::9").covering_texts();
        assert_eq!(texts.len(), 129);
        assert_eq!(texts[0], "2001:db8:1:2::9");
        assert!(texts.contains(&"2001:db8:1:2::/64".to_owned()));
        let texts = t("203.0.113.5").covering_texts();
        assert_eq!(texts.len(), 34);
        assert!(texts.contains(&"::ffff:203.0.113.5".to_owned()));
    }

    #[test]
    fn garbage_is_a_named_error() {
        let err = "2001:db8::zz".parse::<BanTarget>().unwrap_err();
        assert!(err.to_string().contains("2001:db8::zz"), "{err}");
        assert!("".parse::<BanTarget>().is_err());
        assert!("10.0.0.0/33".parse::<BanTarget>().is_err());
    }
}
