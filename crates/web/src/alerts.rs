//! Alerts from the dashboard: new incidents, bans and ghost calls that any
//! guard wrote to the store, sent by webhook (JSON, retries with backoff)
//! and syslog through the guard's own `Notifier`, so a flood makes one
//! alert and a summary, not thousands (grouping per source and event, and
//! an hourly cap; see `ghostguard_guard::alert::Throttle`).
//!
//! Meant for a central dashboard over a shared store; a single guard can
//! send its own alerts instead (its `[alerts]`). Starts at the newest rows
//! present, so a restart does not resend history.

use std::time::Duration;

use ghostguard_guard::alert::Alert;
use ghostguard_guard::notify::Notifier;
use ghostguard_store::{Ban, GhostCall, Incident, MaxIds};

use crate::clock::now_ms;
use crate::error::ServeError;
use crate::state::AppState;

/// DoS: rows of each table taken per poll (the rest wait for the next).
pub const BATCH: u32 = 1_000;

/// The alert for a new incident.
#[must_use]
pub fn incident_alert(i: &Incident) -> Alert {
    Alert {
        site: i.site.clone(),
        event: "incident",
        source: Some(i.source),
        kind: Some(i.kind.clone()),
        confidence: Some(i.confidence),
        summary: format!(
            "{} from {}: {} ({}%)",
            i.kind, i.source, i.code, i.confidence
        ),
        time_ms: i.last_seen,
        ban_secs: None,
        ban_target: None,
        grouped: 0,
        evidence: serde_json::from_str(&i.evidence).unwrap_or(serde_json::Value::Null),
    }
}

/// The alert for a new ban.
#[must_use]
pub fn ban_alert(b: &Ban) -> Alert {
    Alert {
        site: b.site.clone(),
        event: "ban",
        source: Some(b.ip.addr()),
        kind: None,
        confidence: None,
        summary: format!(
            "{} banned ({}, by {}): {}",
            b.ip, b.origin, b.actor, b.reason
        ),
        time_ms: b.created_at,
        ban_secs: b
            .expires_at
            .map(|e| u64::try_from((e - b.created_at).max(0) / 1000).unwrap_or(0)),
        ban_target: Some(b.ip.net()),
        grouped: 0,
        evidence: serde_json::Value::Null,
    }
}

/// The alert for a new ghost call.
#[must_use]
pub fn call_alert(c: &GhostCall) -> Alert {
    Alert {
        site: c.site.clone(),
        event: "ghost-call",
        source: Some(c.source),
        kind: Some("ghost-call".into()),
        confidence: None,
        summary: format!(
            "ghost call from {} to phone {} (caller {:?})",
            c.source, c.phone, c.caller
        ),
        time_ms: c.time,
        ban_secs: None,
        ban_target: None,
        grouped: 0,
        evidence: serde_json::json!({ "phone": c.phone, "caller": c.caller, "answered": c.answered }),
    }
}

/// Starts the poller when webhooks or syslog are configured.
///
/// # Errors
/// The store cannot say where to start.
pub async fn spawn(st: &AppState, every: Duration) -> Result<(), ServeError> {
    let cfg = st.config().alerts.clone();
    if cfg.webhook.is_empty() && !cfg.syslog.enabled {
        return Ok(());
    }
    let mut after: MaxIds = st.store().max_ids().await?;
    let mut notifier = Notifier::new(&cfg, "dashboard");
    st.set_alert_stats(notifier.stats.clone());
    let store = st.store().clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match store.rows_after(after, BATCH).await {
                Ok((incidents, bans, calls)) => {
                    for i in &incidents {
                        after.incident = after.incident.max(i.id);
                        notifier.offer(incident_alert(i));
                    }
                    for b in &bans {
                        after.ban = after.ban.max(b.id);
                        notifier.offer(ban_alert(b));
                    }
                    for c in &calls {
                        after.ghost_call = after.ghost_call.max(c.id);
                        notifier.offer(call_alert(c));
                    }
                }
                Err(e) => eprintln!("ghostguard serve: alerts: {e}"),
            }
            notifier.flush(now_ms());
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghostguard_store::BanOrigin;

    fn ban(target: &str) -> Ban {
        Ban {
            id: 1,
            site: "office".into(),
            ip: target.parse::<ipnet::IpNet>().unwrap().into(),
            reason: "scanner".into(),
            origin: BanOrigin::Auto,
            actor: "guard".into(),
            created_at: 1_000,
            expires_at: Some(3_601_000),
            lifted_at: None,
            lifted_by: None,
        }
    }

    #[test]
    fn a_ban_alert_names_what_the_ban_covers() {
        let a = ban_alert(&ban("2001:db8:1:2::/64"));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["ban_target"], "2001:db8:1:2::/64");
        assert_eq!(json["ban_secs"], 3_600);
        assert_eq!(a.source, Some("2001:db8:1:2::".parse().unwrap()));
        let a = ban_alert(&ban("198.51.100.7/32"));
        assert_eq!(
            serde_json::to_value(&a).unwrap()["ban_target"],
            "198.51.100.7/32"
        );
    }
}
