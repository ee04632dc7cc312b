//! Importing blocklists (another guard's feed, APIBAN, any plain list) into
//! the store's bans, with the list's own ban time, as origin `import`. The
//! guard daemon loads the store's bans into its ban sets; when serve runs
//! on the guard's host (`bans.apply`) they are applied here too.
//!
//! Every import renews the bans of the addresses still listed (the store
//! extends an active ban instead of adding one), so an address dropped from
//! the list expires one ban time after it was last seen there.
//!
//! Networks become network bans: IPv4 ones of `/16` to `/31` (blocklists
//! such as VoIPBL list whole networks) and IPv6 ones of `/48` to `/127`
//! (the feed writes this site's own prefix bans that way); wider ones are
//! counted and skipped. A network overlapping a private range counts as
//! private.
//!
//! DoS: a list is read up to [`MAX_BODY`] bytes and [`crate::feed::MAX_ENTRIES`]
//! addresses; a fetch times out after [`FETCH_TIMEOUT`].

use std::time::Duration;

use ipnet::IpNet;

use ghostguard_store::{BanOrigin, NewBan, Store};
use serde::Serialize;

use crate::clock::now_ms;
use crate::error::ImportError;
use crate::feed;
use crate::state::{AppState, SharedFirewall, lock};

/// DoS: the largest list read.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// How long one fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// Firewall batch size when applying an import.
const BATCH: usize = 5_000;

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Whose ban set receives the addresses.
    pub site: String,
    pub ban_time: Duration,
    /// Accept private, shared and unique-local addresses too.
    pub allow_private: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub source: String,
    /// Addresses and networks banned (new or renewed).
    pub accepted: u64,
    /// Of those, networks (IPv4 or IPv6 network bans).
    pub prefixes: u64,
    pub new: u64,
    pub renewed: u64,
    pub invalid: u64,
    /// Networks skipped: IPv4 networks wider than `/16`, IPv6 networks
    /// wider than `/48`, IPv4 networks written as IPv6.
    pub networks: u64,
    /// Loopback, multicast, private (unless allowed; a network overlapping
    /// a private range too), duplicates.
    pub refused: u64,
    /// Applied to this host's firewall (all of it).
    pub applied: bool,
    /// Why applying (part of) the list to the firewall failed; the store
    /// records stand, and the guard loads them.
    pub firewall_error: Option<String>,
}

/// The last scheduled import of one list (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportStatus {
    pub source: String,
    pub at: i64,
    pub accepted: u64,
    pub error: Option<String>,
}

/// Reads a list from `http(s)://…` or a file path.
///
/// # Errors
/// [`ImportError`] naming the source.
pub async fn fetch(source: &str) -> Result<String, ImportError> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let fetch_err = |e| ImportError::Fetch {
            url: source.to_owned(),
            source: e,
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!("ghostguard/", env!("CARGO_PKG_VERSION")))
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(fetch_err)?;
        let mut resp = client.get(source).send().await.map_err(fetch_err)?;
        if !resp.status().is_success() {
            return Err(ImportError::Status {
                url: source.to_owned(),
                status: resp.status().as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(fetch_err)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ImportError::TooLarge {
                    what: source.to_owned(),
                    max: MAX_BODY,
                });
            }
            body.extend_from_slice(&chunk);
        }
        return Ok(String::from_utf8_lossy(&body).into_owned());
    }
    let path = source.strip_prefix("file://").unwrap_or(source);
    let read_err = |e| ImportError::Read {
        path: path.to_owned(),
        source: e,
    };
    let meta = tokio::fs::metadata(path).await.map_err(read_err)?;
    if meta.len() > MAX_BODY as u64 {
        return Err(ImportError::TooLarge {
            what: path.to_owned(),
            max: MAX_BODY,
        });
    }
    let bytes = tokio::fs::read(path).await.map_err(read_err)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Private (RFC 1918), shared (RFC 6598), link-local (RFC 3927, RFC 4291)
/// and unique-local (RFC 4193) ranges: another site's list should not cut
/// off our own networks.
const PRIVATE: [IpNet; 7] = [
    net4([10, 0, 0, 0], 8),
    net4([172, 16, 0, 0], 12),
    net4([192, 168, 0, 0], 16),
    net4([100, 64, 0, 0], 10),
    net4([169, 254, 0, 0], 16),
    IpNet::V6(ipnet::Ipv6Net::new_assert(
        std::net::Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
    )),
    IpNet::V6(ipnet::Ipv6Net::new_assert(
        std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
    )),
];

const fn net4(octets: [u8; 4], len: u8) -> IpNet {
    IpNet::V4(ipnet::Ipv4Net::new_assert(
        std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]),
        len,
    ))
}

/// Whether `net` overlaps a [`PRIVATE`] range (a network holding one
/// private address counts as private).
fn private(net: IpNet) -> bool {
    // `::ffff:192.168.1.10` is the IPv4 address it carries.
    let net = if net.prefix_len() == net.max_prefix_len() {
        IpNet::from(net.addr().to_canonical())
    } else {
        net
    };
    PRIVATE
        .iter()
        .any(|p| ghostguard_firewall::overlaps(p, &net))
}

/// Imports the list `text` (read from `source`) into `store`, and into
/// `firewall` when given.
///
/// # Errors
/// [`ImportError::Format`] when nothing in it is an address; store and
/// firewall errors.
pub async fn import(
    store: &Store,
    firewall: Option<&SharedFirewall>,
    source: &str,
    text: &str,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let parsed = feed::parse(text);
    if parsed.addresses.is_empty() && parsed.prefixes.is_empty() && parsed.invalid > 0 {
        return Err(ImportError::Format {
            what: source.to_owned(),
        });
    }
    let mut r = ImportReport {
        source: source.to_owned(),
        invalid: parsed.invalid,
        networks: parsed.networks,
        ..ImportReport::default()
    };
    let mut seen = std::collections::HashSet::new();
    let now = now_ms();
    let expires = now.saturating_add(i64::try_from(opts.ban_time.as_millis()).unwrap_or(i64::MAX));
    let short: String = source
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let actor = format!("import:{short}");
    let mut banned = Vec::new();
    let targets = parsed
        .addresses
        .into_iter()
        .map(IpNet::from)
        .chain(parsed.prefixes);
    for net in targets {
        let ip = net.addr();
        // One key per host however it is written (`::ffff:a.b.c.d` is a.b.c.d).
        let key = if net.prefix_len() == net.max_prefix_len() {
            IpNet::from(ip.to_canonical())
        } else {
            net
        };
        if !crate::ban::bannable_target(net.into())
            || (private(net) && !opts.allow_private)
            || !seen.insert(key)
        {
            r.refused += 1;
            continue;
        }
        let rec = store
            .record_ban(&NewBan {
                site: opts.site.clone(),
                ip: net.into(),
                reason: format!("listed by {short}"),
                origin: BanOrigin::Import,
                actor: actor.clone(),
                created_at: now,
                expires_at: Some(expires),
            })
            .await?;
        if rec.new {
            r.new += 1;
        } else {
            r.renewed += 1;
        }
        r.accepted += 1;
        if net.prefix_len() != net.max_prefix_len() {
            r.prefixes += 1;
        }
        // A ban in force that ends later keeps its end (the store's rule).
        banned.push((net, rec.expires_at));
    }
    if let Some(fw) = firewall {
        // A network re-added keeps the ends of the bans its kernel element
        // absorbed (bans inside it), as the store still holds them.
        let inner = if r.prefixes > 0 {
            ghostguard_store::BansByAddress::new(&store.active_bans(&opts.site, now).await?)
        } else {
            ghostguard_store::BansByAddress::default()
        };
        let banned: Vec<ghostguard_firewall::Ban> = banned
            .into_iter()
            .map(|(net, end)| ghostguard_firewall::Ban {
                net,
                ttl: ghostguard_firewall::ttl_left(inner.end_with_inner(net.into(), end), now),
            })
            .collect();
        let fw = fw.clone();
        // Each batch on its own: one the kernel refuses does not keep the
        // others out, and the report (the store has the bans) is not lost.
        let res = tokio::task::spawn_blocking(move || {
            banned
                .chunks(BATCH)
                .filter_map(|c| lock(&fw).ban(c).err())
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        })
        .await;
        match res {
            Ok(errors) if errors.is_empty() => r.applied = true,
            Ok(errors) => {
                r.firewall_error = Some(format!(
                    "{} of the firewall batches failed; first: {}",
                    errors.len(),
                    errors[0]
                ));
            }
            Err(e) => r.firewall_error = Some(format!("firewall task: {e}")),
        }
    }
    Ok(r)
}

/// Starts one task per `[[feed.import]]` list: fetch and import now, then
/// every `every`.
pub fn spawn_scheduled(st: &AppState) {
    for list in st.config().feed.import.clone() {
        let st = st.clone();
        tokio::spawn(async move {
            let opts = ImportOptions {
                site: list
                    .site
                    .clone()
                    .unwrap_or_else(|| st.config().bans.site.clone()),
                ban_time: list.ban_time,
                allow_private: list.allow_private,
            };
            let mut tick = tokio::time::interval(list.every);
            loop {
                tick.tick().await;
                let result = match fetch(&list.source).await {
                    Ok(text) => {
                        import(
                            st.store(),
                            st.inner.firewall.as_ref(),
                            &list.source,
                            &text,
                            &opts,
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                let status = match result {
                    Ok(r) => {
                        eprintln!(
                            "ghostguard serve: imported {}: {} bans ({} of them networks, {} new), {} refused, {} invalid, {} networks skipped{}",
                            list.source,
                            r.accepted,
                            r.prefixes,
                            r.new,
                            r.refused,
                            r.invalid,
                            r.networks,
                            r.firewall_error
                                .as_deref()
                                .map(|e| format!("; firewall: {e}"))
                                .unwrap_or_default()
                        );
                        ImportStatus {
                            source: list.source.clone(),
                            at: now_ms(),
                            accepted: r.accepted,
                            error: r.firewall_error,
                        }
                    }
                    Err(e) => {
                        eprintln!("ghostguard serve: import {}: {e}", list.source);
                        ImportStatus {
                            source: list.source.clone(),
                            at: now_ms(),
                            accepted: 0,
                            error: Some(e.to_string()),
                        }
                    }
                };
                st.record_import(status);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::private;
    use ipnet::IpNet;

    fn net(s: &str) -> IpNet {
        s.parse()
            .unwrap_or_else(|_| IpNet::from(s.parse::<std::net::IpAddr>().unwrap()))
    }

    #[test]
    fn private_ranges() {
        for s in [
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
            // Networks inside a private range, or holding part of one.
            "10.20.0.0/16",
            "192.168.7.0/24",
            "172.16.0.0/16",
            "100.127.0.0/16",
            "fd00:1:2::/48",
        ] {
            assert!(private(net(s)), "{s}");
        }
        assert!(private(net("::ffff:192.168.1.10")), "IPv4-mapped");
        for s in [
            "198.51.100.7",
            "100.128.0.1",
            "2001:db8::1",
            "::ffff:198.51.100.7",
            "198.51.100.0/24",
            "172.32.0.0/16",
            "100.128.0.0/16",
            "192.169.0.0/16",
        ] {
            assert!(!private(net(s)), "{s}");
        }
    }
}
