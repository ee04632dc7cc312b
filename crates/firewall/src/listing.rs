//! Reading a ban set back from `nft -j list set` (JSON, libnftables
//! schema): no text scraping.

use std::net::IpAddr;
use std::time::Duration;

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
    /// Absent when the set is empty.
    #[serde(default)]
    elem: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Element {
    /// An element with options: `{"elem": {"val": "192.0.2.1", "timeout": 60, "expires": 59}}`.
    WithOptions { elem: Options },
    /// An element without a timeout (added by hand): `"192.0.2.1"`.
    Bare(IpAddr),
    /// Anything else (a prefix or range someone added by hand): not a ban
    /// of ours, skipped.
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct Options {
    val: serde_json::Value,
    /// Seconds left, rounded down by nft.
    #[serde(default)]
    expires: Option<u64>,
}

/// The bans in the JSON `nft -j list set` printed.
pub(crate) fn parse_bans(json: &str) -> Result<Vec<BanEntry>, serde_json::Error> {
    let listing: Listing = serde_json::from_str(json)?;
    let mut out = Vec::new();
    for set in listing.nftables.into_iter().filter_map(|o| o.set) {
        for element in set.elem {
            match element {
                Element::WithOptions { elem } => {
                    if let Ok(ip) = serde_json::from_value::<IpAddr>(elem.val) {
                        out.push(BanEntry {
                            ip,
                            remaining: elem.expires.map(Duration::from_secs),
                        });
                    }
                }
                Element::Bare(ip) => out.push(BanEntry {
                    ip,
                    remaining: None,
                }),
                Element::Other(_) => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timed_and_bare_elements_and_skips_prefixes() {
        // As printed by nft 1.0.6 for a set with two timed elements, one
        // added without a timeout and one prefix added by hand.
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
            {"set": {"family": "inet", "name": "ban4", "table": "ghostguard", "type": "ipv4_addr",
             "handle": 1, "flags": ["timeout"], "elem": [
               {"elem": {"val": "192.0.2.1", "timeout": 100, "expires": 99}},
               {"elem": {"val": "192.0.2.2", "timeout": 200, "expires": 199}},
               "192.0.2.5",
               {"prefix": {"addr": "198.51.100.0", "len": 24}}]}}]}"#;
        let bans = parse_bans(json).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            bans,
            vec![
                BanEntry {
                    ip: ip("192.0.2.1"),
                    remaining: Some(Duration::from_secs(99))
                },
                BanEntry {
                    ip: ip("192.0.2.2"),
                    remaining: Some(Duration::from_secs(199))
                },
                BanEntry {
                    ip: ip("192.0.2.5"),
                    remaining: None
                },
            ]
        );
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
