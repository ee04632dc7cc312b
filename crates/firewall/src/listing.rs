//! Reading a ban set back from `nft -j list set` (JSON, libnftables
//! schema): no text scraping.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use crate::BanEntry;

#[derive(Deserialize)]
struct Listing {
    nftables: Vec<Object>,
}

/// One object of the listing; `metainfo` and anything else is ignored.
#[derive(Deserialize)]
struct Object {
    #[serde(default)]
    set: Option<SetObject>,
}

#[derive(Deserialize)]
struct SetObject {
    /// Absent when the set has none.
    #[serde(default)]
    flags: Vec<String>,
    /// Absent when the set is empty.
    #[serde(default)]
    elem: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Element {
    /// An element with options: `{"elem": {"val": "192.0.2.1", "timeout": 60, "expires": 59}}`
    /// (`val` may be a prefix, as below).
    WithOptions { elem: Options },
    /// An element without a timeout (added by hand): `"192.0.2.1"`, or
    /// `{"prefix": {"addr": "2001:db8::", "len": 64}}`.
    Bare(Value),
}

#[derive(Deserialize)]
struct Options {
    val: Value,
    /// Seconds left, rounded down by nft.
    #[serde(default)]
    expires: Option<u64>,
}

/// A value of an element.
#[derive(Deserialize)]
#[serde(untagged)]
enum Value {
    Address(IpAddr),
    Prefix {
        prefix: Prefix,
    },
    /// Anything else (a range someone added by hand): not a ban of ours,
    /// skipped.
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct Prefix {
    addr: IpAddr,
    len: u8,
}

impl Value {
    fn net(self) -> Option<IpNet> {
        match self {
            Value::Address(ip) => Some(IpNet::from(ip)),
            Value::Prefix { prefix } => IpNet::new(prefix.addr, prefix.len).ok(),
            Value::Other(_) => None,
        }
    }
}

/// The bans in the JSON `nft -j list set` printed.
pub(crate) fn parse_bans(json: &str) -> Result<Vec<BanEntry>, serde_json::Error> {
    let listing: Listing = serde_json::from_str(json)?;
    let mut out = Vec::new();
    for set in listing.nftables.into_iter().filter_map(|o| o.set) {
        for element in set.elem {
            let (val, remaining) = match element {
                Element::WithOptions { elem } => (elem.val, elem.expires.map(Duration::from_secs)),
                Element::Bare(val) => (val, None),
            };
            if let Some(net) = val.net() {
                out.push(BanEntry { net, remaining });
            }
        }
    }
    Ok(out)
}

/// The flags of the (first) set in the listing; `None` when the JSON holds
/// no set.
pub(crate) fn set_flags(json: &str) -> Option<Vec<String>> {
    let listing: Listing = serde_json::from_str(json).ok()?;
    listing
        .nftables
        .into_iter()
        .find_map(|o| o.set)
        .map(|s| s.flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timed_and_bare_elements_and_skips_ranges() {
        // As printed by nft 1.0.6 for a set with two timed elements, one
        // added without a timeout and one range added by hand.
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
            {"set": {"family": "inet", "name": "ban4", "table": "ghostguard", "type": "ipv4_addr",
             "handle": 1, "flags": ["timeout"], "elem": [
               {"elem": {"val": "192.0.2.1", "timeout": 100, "expires": 99}},
               {"elem": {"val": "192.0.2.2", "timeout": 200, "expires": 199}},
               "192.0.2.5",
               {"range": ["198.51.100.0", "198.51.100.9"]}]}}]}"#;
        let bans = parse_bans(json).unwrap();
        let ip = |s: &str| IpNet::from(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            bans,
            vec![
                BanEntry {
                    net: ip("192.0.2.1"),
                    remaining: Some(Duration::from_secs(99))
                },
                BanEntry {
                    net: ip("192.0.2.2"),
                    remaining: Some(Duration::from_secs(199))
                },
                BanEntry {
                    net: ip("192.0.2.5"),
                    remaining: None
                },
            ]
        );
    }

    #[test]
    fn reads_prefix_elements_of_the_interval_set_and_its_flags() {
        // As printed by nft 1.0.6 for `ban6` (flags interval, timeout).
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
            {"set": {"family": "inet", "name": "ban6", "table": "ghostguard", "type": "ipv6_addr",
             "handle": 4, "flags": ["interval", "timeout"], "elem": [
               {"elem": {"val": {"prefix": {"addr": "2001:db8:1:2::", "len": 64}}, "timeout": 900, "expires": 899}},
               {"elem": {"val": "2001:db8:1:3::5", "timeout": 600, "expires": 599}},
               {"prefix": {"addr": "2001:db8:9::", "len": 48}}]}}]}"#;
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        assert_eq!(
            parse_bans(json).unwrap(),
            vec![
                BanEntry {
                    net: net("2001:db8:1:2::/64"),
                    remaining: Some(Duration::from_secs(899))
                },
                BanEntry {
                    net: net("2001:db8:1:3::5/128"),
                    remaining: Some(Duration::from_secs(599))
                },
                BanEntry {
                    net: net("2001:db8:9::/48"),
                    remaining: None
                },
            ]
        );
        assert_eq!(
            set_flags(json),
            Some(vec!["interval".to_owned(), "timeout".to_owned()])
        );
        assert_eq!(set_flags("Error: No such file or directory"), None);
    }

    #[test]
    fn an_empty_set_has_no_elem_key() {
        let json =
            r#"{"nftables": [{"metainfo": {}}, {"set": {"name": "ban6", "type": "ipv6_addr"}}]}"#;
        assert!(parse_bans(json).unwrap().is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_bans("Error: No such file or directory").is_err());
        assert!(parse_bans(r#"{"nftables": 3}"#).is_err());
    }
}
