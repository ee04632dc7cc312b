//! Address facts: internal or external, prefix lists, MAC addresses and their
//! vendors (offline IEEE OUI data).

use std::net::IpAddr;

use ipnet::IpNet;

/// A list of prefixes with a linear lookup. Lists here are short (a few
/// dozen trusted servers or LAN prefixes); a trie is not worth its weight.
#[derive(Debug, Clone, Default)]
pub struct PrefixList {
    nets: Vec<IpNet>,
}

impl PrefixList {
    #[must_use]
    pub fn new(nets: Vec<IpNet>) -> Self {
        PrefixList { nets }
    }
    pub fn push(&mut self, net: IpNet) {
        if !self.nets.contains(&net) {
            self.nets.push(net);
        }
    }
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &IpNet> {
        self.nets.iter()
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are treated as IPv4.
#[must_use]
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Private, unique-local, link-local, loopback and shared (CGNAT) ranges:
/// addresses that cannot come straight from the internet.
#[must_use]
pub fn is_private(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// `aa:bb:cc:dd:ee:ff`
#[must_use]
pub fn format_mac(mac: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

/// The organisation the IEEE registered the MAC's OUI to. Locally
/// administered addresses (random MACs of phones and VMs) have none.
#[must_use]
pub fn mac_vendor(mac: [u8; 6]) -> Option<String> {
    if mac[0] & 0x02 != 0 {
        return None;
    }
    oui_data::lookup(&format_mac(mac)).map(|r| r.organization().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for a in [
            "10.1.2.3",
            "192.168.77.20",
            "172.20.0.1",
            "fd00::1",
            "fe80::1",
            "100.64.0.1",
            "::ffff:192.168.1.1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in [
            "203.0.113.66",
            "198.51.100.10",
            "2001:db8::1",
            "100.128.0.1",
            "172.32.0.1",
        ] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn prefix_list_matches_mapped_v4() {
        let l = PrefixList::new(vec!["198.51.100.0/24".parse().unwrap()]);
        assert!(l.contains("::ffff:198.51.100.7".parse().unwrap()));
        assert!(!l.contains("198.51.101.7".parse().unwrap()));
    }

    #[test]
    fn vendor_lookup() {
        assert_eq!(
            mac_vendor([0, 0, 0, 1, 2, 3]).as_deref(),
            Some("XEROX CORPORATION")
        );
        assert_eq!(mac_vendor([0x02, 0, 0, 1, 2, 3]), None);
        assert_eq!(
            format_mac([0xde, 0xad, 0xbe, 0xef, 0, 1]),
            "de:ad:be:ef:00:01"
        );
    }
}
