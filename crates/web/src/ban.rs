//! Ban changes made in the dashboard or the API: recorded in the store with
//! who made them, then applied to this host's firewall when `bans.apply`
//! says so (otherwise the site's guard picks them up from the store).

use std::net::IpAddr;
use std::time::Duration;

use ghostguard_firewall::{MAX_BAN_TTL, Step, ban_net};
use ghostguard_store::{BanOrigin, BanTarget, NewBan};
use serde::Serialize;

use crate::clock::now_ms;
use crate::error::WebError;
use crate::state::{AppState, SharedFirewall, lock};

/// A ban to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanRequest {
    pub site: String,
    /// An address, or an IPv6 network of /48 to /128 (a prefix ban).
    pub ip: BanTarget,
    /// `None`: until lifted.
    pub duration: Option<Duration>,
    pub reason: String,
}

/// What a ban change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BanChange {
    /// The ban's id (adding), or 0 (lifting).
    pub id: i64,
    /// Adding: a new ban (else an active one was extended). Lifting: there
    /// was an active ban.
    pub changed: bool,
    /// Applied to this host's firewall (`bans.apply`); `false` when serve
    /// does not manage a firewall.
    pub applied: bool,
    /// Why applying failed; the store record stands.
    pub firewall_error: Option<String>,
}

/// Addresses that are never banned from the dashboard: they are not a
/// remote attacker, and a ban would cut off this host or a whole network.
#[must_use]
pub fn bannable(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    !(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast())
        && match ip {
            IpAddr::V4(v4) => !v4.is_broadcast(),
            IpAddr::V6(_) => true,
        }
}

/// The network a ban of `target` puts in the firewall, or why it may not
/// be banned from here: loopback, unspecified, multicast and broadcast
/// addresses, networks the firewall does not take, and networks of private,
/// unique-local or link-local addresses (they would cut off a LAN; bannable
/// networks, /48 and longer, lie inside such a range or outside all of
/// them). A single private address may be banned: an infected PC.
fn checked(target: BanTarget) -> Result<ipnet::IpNet, String> {
    if !bannable(target.addr()) {
        return Err(format!(
            "{target} cannot be banned (loopback, unspecified, multicast or broadcast)"
        ));
    }
    let net = ban_net(Step::Ban, target.net()).map_err(|e| match e {
        ghostguard_firewall::FirewallError::Unbannable { net, why, .. } => {
            format!("{net} cannot be banned: {why}")
        }
        other => other.to_string(),
    })?;
    if net.prefix_len() < net.max_prefix_len() && ghostguard_engine::net::is_private(net.network())
    {
        return Err(format!(
            "{net} cannot be banned: a network of private addresses (a LAN)"
        ));
    }
    Ok(net)
}

/// Records a ban by `actor`, then applies it.
///
/// # Errors
/// [`WebError::BadRequest`] for an address that cannot be banned or a
/// duration over the firewall's maximum; store errors.
pub async fn add(st: &AppState, actor: &str, req: BanRequest) -> Result<BanChange, WebError> {
    let net = checked(req.ip).map_err(WebError::BadRequest)?;
    if req.duration.is_some_and(|d| d.is_zero() || d > MAX_BAN_TTL) {
        return Err(WebError::BadRequest(format!(
            "the ban time must be between 1s and {}",
            humantime::format_duration(MAX_BAN_TTL)
        )));
    }
    let now = now_ms();
    let expires_at = req
        .duration
        .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
    let rec = st
        .store()
        .record_ban(&NewBan {
            site: req.site,
            ip: BanTarget::from(net),
            reason: req.reason,
            origin: BanOrigin::Manual,
            actor: actor.to_owned(),
            created_at: now,
            expires_at,
        })
        .await?;
    // A ban in force that ends later keeps its end (the store's rule): the
    // firewall gets the time left until the later end.
    let ttl = ghostguard_firewall::ttl_left(rec.expires_at, now);
    let (applied, firewall_error) = apply(st, move |fw| {
        lock(fw).ban(&[ghostguard_firewall::Ban { net, ttl }])
    })
    .await;
    Ok(BanChange {
        id: rec.id,
        changed: rec.new,
        applied,
        firewall_error,
    })
}

/// Lifts `ip`'s active ban on `site` (or the IPv6 prefix ban around it),
/// recording `actor`, then removes it from the firewall.
///
/// # Errors
/// Store errors.
pub async fn lift(
    st: &AppState,
    actor: &str,
    site: &str,
    target: BanTarget,
) -> Result<BanChange, WebError> {
    let now = now_ms();
    let lifted = st.store().lift_ban(site, target, actor, now).await?;
    let changed = !lifted.is_empty();
    let gone: Vec<BanTarget> = if changed { lifted } else { vec![target] };
    // The firewall deletes every element overlapping what goes (a wider ban
    // merged with it too): the bans still in force there go back with the
    // time they have left, as `ghostguard bans del` does.
    let again: Vec<ghostguard_firewall::Ban> = if st.inner.firewall.is_some() {
        st.store()
            .active_bans(site, now)
            .await?
            .into_iter()
            .filter(|b| gone.iter().any(|g| g.overlaps(b.ip)))
            // Only what a ban from here may put in the firewall: a row
            // written by another tool (a private network) stays out, and
            // cannot sink the batch of the others.
            .filter_map(|b| {
                Some(ghostguard_firewall::Ban {
                    net: checked(b.ip).ok()?,
                    ttl: ghostguard_firewall::ttl_left(b.expires_at, now),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let nets: Vec<_> = gone.iter().map(|g| g.net()).collect();
    let (applied, firewall_error) = apply(st, move |fw| {
        let mut fw = lock(fw);
        fw.unban(&nets)?;
        fw.ban(&again)
    })
    .await;
    Ok(BanChange {
        id: 0,
        changed,
        applied,
        firewall_error,
    })
}

/// Runs a firewall call off the async threads; (applied, error).
pub(crate) async fn apply<F>(st: &AppState, call: F) -> (bool, Option<String>)
where
    F: FnOnce(&SharedFirewall) -> Result<(), ghostguard_firewall::FirewallError> + Send + 'static,
{
    let Some(fw) = st.inner.firewall.clone() else {
        return (false, None);
    };
    match tokio::task::spawn_blocking(move || call(&fw)).await {
        Ok(Ok(())) => (true, None),
        Ok(Err(e)) => {
            eprintln!("ghostguard serve: firewall: {e}");
            (false, Some(e.to_string()))
        }
        Err(e) => (false, Some(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_bans_this_host_or_everyone() {
        for s in [
            "127.0.0.1",
            "::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "255.255.255.255",
            "::ffff:127.0.0.1",
        ] {
            assert!(!bannable(s.parse().unwrap()), "{s}");
        }
        for s in ["198.51.100.7", "2001:db8::1", "10.0.0.9"] {
            assert!(bannable(s.parse().unwrap()), "{s}");
        }
    }
}
