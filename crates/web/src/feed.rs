//! The blocklist feed, so other sites' firewalls block what this one saw,
//! and the parser for such lists (ours and others', APIBAN's JSON too).
//!
//! Out (`GET /feed/…`, options `min_confidence`, `max_age`, `family`,
//! `site`, `bans`):
//! - `blocklist.txt`: one address per line, nothing else;
//! - `pfsense.txt`: pfSense / OPNsense URL table (IPs): CIDR per line
//!   after `#` comments;
//! - `mikrotik.rsc`: a RouterOS script that refills the `ghostguard`
//!   address lists (`/ip` and `/ipv6 firewall address-list`).
//!
//! Published: outside sources (never `internal` ones) whose strongest
//! incident reaches the confidence and that were seen within the age, plus
//! active automatic and manual bans; never imported bans (feeds must not
//! echo each other) nor `feed.exclude`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ghostguard_store::{BanOrigin, BanQuery, BanTarget, Store, UnixMillis};
use serde::Deserialize;

use crate::clock::{format_ms, now_ms};
use crate::config::Feed;
use crate::error::WebError;
use crate::state::AppState;

/// One published address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// An address, or the network of an IPv6 prefix ban.
    pub ip: BanTarget,
    /// Strongest evidence (100 for a ban without incidents here).
    pub confidence: u8,
    pub last_seen: UnixMillis,
}

/// Which addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    #[default]
    All,
    V4,
    V6,
}

impl Family {
    fn admits(self, ip: IpAddr) -> bool {
        match self {
            Family::All => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// The feed's query options (defaults from `[feed]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FeedQuery {
    pub min_confidence: Option<u8>,
    /// humantime (`7d`, `12h`).
    pub max_age: Option<String>,
    pub family: Family,
    pub site: Option<String>,
    /// Include active bans (default: `feed.include_bans`).
    pub bans: Option<bool>,
    /// Include IPv6 prefix bans as networks (`2001:db8:1:2::/64`; default
    /// true). `false` for consumers that take single addresses only
    /// (ipset `hash:ip`).
    pub networks: Option<bool>,
}

/// The feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Plain,
    PfSense,
    MikroTik,
}

impl Format {
    #[must_use]
    pub fn from_file(name: &str) -> Option<Format> {
        match name {
            "blocklist.txt" => Some(Format::Plain),
            "pfsense.txt" => Some(Format::PfSense),
            "mikrotik.rsc" => Some(Format::MikroTik),
            _ => None,
        }
    }
}

/// Collects the entries for `q`.
///
/// # Errors
/// A bad `max_age` or `min_confidence`; store errors.
pub async fn entries(
    store: &Store,
    cfg: &Feed,
    q: &FeedQuery,
    now: UnixMillis,
) -> Result<Vec<Entry>, WebError> {
    let min = q.min_confidence.unwrap_or(cfg.min_confidence);
    if min > 100 {
        return Err(WebError::BadRequest("min_confidence: 0 to 100".into()));
    }
    let age = match q.max_age.as_deref() {
        Some(a) => humantime::parse_duration(a)
            .map_err(|e| WebError::BadRequest(format!("max_age `{a}`: {e}")))?,
        None => cfg.max_age,
    };
    let since = now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
    let site = q.site.as_deref().filter(|s| !s.is_empty());
    let mut out: BTreeMap<BanTarget, Entry> = BTreeMap::new();
    for s in store.feed_sources(site, min, since, cfg.limit).await? {
        out.insert(
            s.source.into(),
            Entry {
                ip: s.source.into(),
                confidence: s.confidence,
                last_seen: s.last_seen,
            },
        );
    }
    if q.bans.unwrap_or(cfg.include_bans) {
        let bans = store
            .bans(&BanQuery {
                site: site.map(str::to_owned),
                active_at: Some(now),
                limit: cfg.limit,
                ..BanQuery::default()
            })
            .await?;
        for b in bans.iter().filter(|b| b.origin != BanOrigin::Import) {
            out.entry(b.ip).or_insert(Entry {
                ip: b.ip,
                confidence: 100,
                last_seen: b.created_at,
            });
        }
    }
    let mut list: Vec<Entry> = out
        .into_values()
        .filter(|e| q.family.admits(e.ip.addr()))
        .filter(|e| q.networks.unwrap_or(true) || e.ip.is_host())
        .filter(|e| crate::ban::bannable(e.ip.addr()))
        .filter(|e| {
            !cfg.exclude
                .iter()
                .any(|n| n.contains(&e.ip.net()) || e.ip.net().contains(n))
        })
        .collect();
    list.truncate(cfg.limit as usize);
    Ok(list)
}

/// Renders `entries` in `format`.
#[must_use]
pub fn render(format: Format, entries: &[Entry], now: UnixMillis) -> String {
    let mut s = String::new();
    match format {
        Format::Plain => {
            for e in entries {
                let _ = writeln!(s, "{}", e.ip);
            }
        }
        Format::PfSense => {
            let _ = writeln!(
                s,
                "# ghostguard blocklist, {} addresses, {}",
                entries.len(),
                format_ms(now)
            );
            for e in entries {
                let _ = writeln!(s, "{}", e.ip.net());
            }
        }
        Format::MikroTik => {
            let _ = writeln!(
                s,
                "# ghostguard blocklist for RouterOS, {}: /import file-name=mikrotik.rsc",
                format_ms(now)
            );
            for (menu, v4) in [
                ("/ip firewall address-list", true),
                ("/ipv6 firewall address-list", false),
            ] {
                let _ = writeln!(s, "{menu}\nremove [find list=ghostguard]");
                for e in entries.iter().filter(|e| e.ip.addr().is_ipv4() == v4) {
                    let _ = writeln!(
                        s,
                        "add list=ghostguard address={} comment=\"ghostguard confidence {}\"",
                        e.ip, e.confidence
                    );
                }
            }
        }
    }
    s
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/feed/{file}", get(serve))
}

async fn serve(
    State(st): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Result<Response, WebError> {
    let cfg = &st.config().feed;
    if !cfg.enabled {
        return Err(WebError::NotFound);
    }
    let format = Format::from_file(&file).ok_or(WebError::NotFound)?;
    let now = now_ms();
    let list = entries(st.store(), cfg, &q, now).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(format, &list, now),
    )
        .into_response())
}

/// What [`parse`] found in a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub addresses: Vec<IpAddr>,
    /// IPv6 networks a prefix ban can hold (`/48` to `/127`, as this feed
    /// writes its own prefix bans).
    pub prefixes: Vec<ipnet::IpNet>,
    /// Lines or items that are no address.
    pub invalid: u64,
    /// Other networks, skipped: IPv4 networks (the IPv4 ban set holds
    /// addresses) and IPv6 networks wider than `/48`.
    pub networks: u64,
}

/// IPv6 ranges that carry IPv4 addresses (IPv4-mapped, NAT64): a network
/// there is an IPv4 network, which the IPv4 ban set cannot hold.
const IPV4_IN_IPV6: [ipnet::IpNet; 2] = [
    ipnet::IpNet::V6(ipnet::Ipv6Net::new_assert(
        std::net::Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0),
        96,
    )),
    ipnet::IpNet::V6(ipnet::Ipv6Net::new_assert(
        std::net::Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0),
        96,
    )),
];

/// DoS: most addresses taken from one list.
pub const MAX_ENTRIES: usize = 200_000;

/// Reads a blocklist in any of the feed's formats, plain lists with `#` or
/// `;` comments, or JSON: APIBAN (`{"ipaddress": [...]}`), an array of
/// addresses, or an array of objects with `ip`/`address`/`ipaddress`.
#[must_use]
pub fn parse(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        let items = match &v {
            serde_json::Value::Array(a) => a.clone(),
            serde_json::Value::Object(o) => ["ipaddress", "ips", "addresses", "data"]
                .iter()
                .find_map(|k| o.get(*k).and_then(|x| x.as_array()).cloned())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for item in items {
            let s = match &item {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => ["ip", "address", "ipaddress"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(|x| x.as_str()).map(str::to_owned)),
                _ => None,
            };
            word(&mut p, s.as_deref().unwrap_or(""));
        }
        return p;
    }
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('/') || line.starts_with(':') {
            continue; // comments, RouterOS menu lines
        }
        if line.contains("address=") {
            let v = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("address="))
                .unwrap_or("")
                .trim_matches('"');
            word(&mut p, v);
        } else if line.starts_with("remove ") {
            continue;
        } else {
            word(&mut p, line.split_whitespace().next().unwrap_or(""));
        }
    }
    p
}

fn word(p: &mut Parsed, w: &str) {
    if p.addresses.len() + p.prefixes.len() >= MAX_ENTRIES {
        p.invalid += 1;
        return;
    }
    if let Ok(ip) = w.parse::<IpAddr>() {
        p.addresses.push(ip);
    } else if let Ok(net) = w.parse::<ipnet::IpNet>() {
        if net.prefix_len() == net.max_prefix_len() {
            p.addresses.push(net.addr());
        } else if net.addr().is_ipv6()
            && net.prefix_len() >= ghostguard_firewall::MIN_IPV6_BAN_PREFIX
            && !IPV4_IN_IPV6.iter().any(|v4| v4.contains(&net))
        {
            p.prefixes.push(net.trunc());
        } else {
            p.networks += 1;
        }
    } else {
        p.invalid += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(ip: &str) -> Entry {
        Entry {
            ip: ip.parse().unwrap(),
            confidence: 90,
            last_seen: 0,
        }
    }

    #[test]
    fn every_format_parses_back_to_the_same_addresses() {
        let list = [e("198.51.100.7"), e("203.0.113.9"), e("2001:db8::5")];
        let want: Vec<IpAddr> = list.iter().map(|e| e.ip.addr()).collect();
        for f in [Format::Plain, Format::PfSense, Format::MikroTik] {
            let text = render(f, &list, 1_700_000_000_000);
            let mut got = parse(&text);
            got.addresses.sort();
            let mut w = want.clone();
            w.sort();
            assert_eq!(got.addresses, w, "{f:?}:\n{text}");
            assert_eq!((got.invalid, got.networks), (0, 0), "{f:?}");
        }
        assert_eq!(
            render(Format::Plain, &list, 0),
            "198.51.100.7\n203.0.113.9\n2001:db8::5\n"
        );
        let rsc = render(Format::MikroTik, &list, 0);
        assert!(rsc.contains("/ipv6 firewall address-list\nremove [find list=ghostguard]\nadd list=ghostguard address=2001:db8::5"));
    }

    #[test]
    fn ipv6_prefix_bans_parse_back_as_networks() {
        let list = [e("198.51.100.7"), e("2001:db8:1:2::/64")];
        for f in [Format::Plain, Format::PfSense, Format::MikroTik] {
            let got = parse(&render(f, &list, 0));
            assert_eq!(
                got.addresses,
                vec!["198.51.100.7".parse::<IpAddr>().unwrap()]
            );
            let net: ipnet::IpNet = "2001:db8:1:2::/64".parse().unwrap();
            assert_eq!(got.prefixes, vec![net], "{f:?}");
        }
        // Wider than a prefix ban may be, IPv4 networks, and a host part
        // (kept as its network).
        let p = parse(
            r#"["203.0.113.0/24","2001:db8::/32","2001:db8:5:6::9/64","::ffff:10.0.0.0/104","64:ff9b::c633:6400/120"]"#,
        );
        assert_eq!(
            p.networks, 4,
            "IPv4 networks written as IPv6 are skipped too"
        );
        assert_eq!(
            p.prefixes,
            vec!["2001:db8:5:6::/64".parse::<ipnet::IpNet>().unwrap()]
        );
    }

    #[test]
    fn apiban_json_and_hostile_lists() {
        let p = parse(r#"{"ipaddress":["198.51.100.1","203.0.113.0/24","nonsense"],"ID":"1234"}"#);
        assert_eq!(p.addresses, vec!["198.51.100.1".parse::<IpAddr>().unwrap()]);
        assert_eq!((p.networks, p.invalid), (1, 1));
        let p = parse(r#"[{"ip":"2001:db8::1"},"198.51.100.2",7]"#);
        assert_eq!(p.addresses.len(), 2);
        assert_eq!(p.invalid, 1);
        let p = parse("<html>\n<body>not a list</body>\n");
        assert!(p.addresses.is_empty());
        assert_eq!(p.invalid, 2);
        let big = "198.51.100.1\n".repeat(MAX_ENTRIES + 5);
        assert_eq!(parse(&big).addresses.len(), MAX_ENTRIES);
    }
}
