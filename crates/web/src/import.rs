//! Importing blocklists (another guard's feed, APIBAN, any plain list) into
//! the store's bans, with the list's own ban time, as origin `import`. The
//! guard daemon loads the store's bans into its ban sets; when serve runs
//! on the guard's host (`bans.apply`) they are applied here too.
//!
//! Every import renews the bans of the addresses still listed (the store
//! extends an active ban instead of adding one), so an address dropped from
//! the list expires one ban time after it was last seen there.
//!
//! IPv6 networks of `/48` to `/127` become prefix bans (the feed writes
//! this site's own prefix bans that way); IPv4 networks and wider IPv6 ones
//! are counted and skipped.
//!
//! DoS: a list is read up to [`MAX_BODY`] bytes and [`crate::feed::MAX_ENTRIES`]
//! addresses; a fetch times out after [`FETCH_TIMEOUT`].

use std::net::IpAddr;
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
    /// Addresses and IPv6 networks banned (new or renewed).
    pub accepted: u64,
    /// Of those, IPv6 networks (prefix bans).
    pub prefixes: u64,
    pub new: u64,
    pub renewed: u64,
    pub invalid: u64,
    /// Networks skipped: IPv4 networks, IPv6 networks wider than `/48`.
    pub networks: u64,
    /// Loopback, multicast, private (unless allowed), duplicates.
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

/// Private, shared (RFC 6598), link-local and unique-local (RFC 4193)
/// addresses (IPv4-mapped ones as the IPv4 address they carry): another
/// site's list should not cut off our own networks. The engine's rule, also
/// used by the API ([`crate::ban`]); loopback, which it counts too, is
/// refused before as not bannable.
fn private(ip: IpAddr) -> bool {
    ghostguard_engine::net::is_private(ip)
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
        if !crate::ban::bannable(ip) || (private(ip) && !opts.allow_private) || !seen.insert(key) {
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
                            "ghostguard serve: imported {}: {} bans ({} of them IPv6 networks, {} new), {} refused, {} invalid, {} networks skipped{}",
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
        ] {
            assert!(private(s.parse().unwrap()), "{s}");
        }
        assert!(
            private("::ffff:192.168.1.10".parse().unwrap()),
            "IPv4-mapped"
        );
        for s in [
            "198.51.100.7",
            "100.128.0.1",
            "2001:db8::1",
            "::ffff:198.51.100.7",
        ] {
            assert!(!private(s.parse().unwrap()), "{s}");
        }
    }
}
