//! What the daemon does with the inspector's effects besides the kernel:
//! the store and the alerts; and the status it publishes.

use std::sync::atomic::{AtomicU64, Ordering};

use ghostguard_guard::alert::Alert;
use ghostguard_guard::inspector::{Effect, METHODS, VERDICTS};
use ghostguard_guard::notify::Notifier;
use ghostguard_guard::policy::Verdict;
use ghostguard_guard::sources::SourceStats;
use ghostguard_guard::{GuardConfig, Policy};
use ghostguard_packet::Timestamp;
use ghostguard_store::{BanOrigin, NewBan, NewGhostCall, NewIncident, Store};

use super::workers::Counters;

/// Who the store names for bans the daemon made; observe-mode bans are
/// named apart and do not count toward escalation.
pub(super) const ACTOR: &str = "ghostguard";
pub(super) const ACTOR_OBSERVE: &str = "ghostguard-observe";

pub(super) fn now_ms() -> i64 {
    ghostguard_guard::sources::now().as_millis()
}

fn ts_ms(t: Timestamp) -> i64 {
    t.as_millis()
}

pub(super) fn store_error(c: &Counters, what: &str, e: &ghostguard_store::StoreError) {
    c.store_errors.fetch_add(1, Ordering::Relaxed);
    eprintln!("ghostguard: store: {what}: {e}");
}

/// Records one effect in the store and alerts about it. Alerts carry the
/// wall clock (the throttle's time), never a packet's (a HEP agent's clock
/// may be wrong).
pub(super) async fn carry_out(
    store: &Store,
    n: &mut Notifier,
    cfg: &GuardConfig,
    e: Effect,
    c: &Counters,
) {
    let site = cfg.site();
    // Monitor mode enforces nothing: its bans are what observe would do.
    let observe = cfg.policy == Policy::Observe || cfg.mode == ghostguard_guard::Mode::Monitor;
    match e {
        Effect::Incident {
            source,
            internal,
            evidence,
            mac,
            vendor,
            verdict,
        } => {
            let scope = ban_scope(&verdict);
            let inc = NewIncident {
                site: site.to_string(),
                source,
                kind: evidence.kind.as_str().to_string(),
                detector: evidence.detector.to_string(),
                code: evidence.code.to_string(),
                confidence: evidence.confidence,
                evidence: evidence_json(&evidence, scope.as_deref()),
                first_seen: ts_ms(evidence.first_seen),
                last_seen: ts_ms(evidence.last_seen),
                count: evidence.count.max(1),
                internal,
                mac: mac.map(ghostguard_engine::net::format_mac),
                vendor: vendor.clone(),
            };
            if let Err(err) = store.record_incident(&inc).await {
                store_error(c, "incident", &err);
            }
            let ban_target = match &verdict {
                Verdict::Ban { net, .. } => Some(*net),
                Verdict::Spare(_) => None,
            };
            let (ban_secs, what) = match verdict {
                Verdict::Ban { ttl, offence, .. } => (
                    Some(ttl.as_secs()),
                    format!(
                        "{} for {} (offence {offence}){}",
                        if observe {
                            "would be banned (observe)"
                        } else {
                            "banned"
                        },
                        humantime::format_duration(ttl),
                        scope.map(|s| format!("; {s}")).unwrap_or_default()
                    ),
                ),
                Verdict::Spare(s) => (None, format!("not banned: {}", s.as_str())),
            };
            let who = match (&inc.mac, &vendor) {
                (Some(m), Some(v)) => format!(" (MAC {m}, {v})"),
                (Some(m), None) => format!(" (MAC {m})"),
                _ => String::new(),
            };
            let found = finding(&evidence);
            eprintln!(
                "ghostguard: incident: {source}{who}: {} {found} ({}, confidence {}); {what}",
                inc.kind, inc.detector, inc.confidence
            );
            n.offer(Alert {
                site: site.to_string(),
                event: "incident",
                source: Some(source),
                kind: Some(inc.kind.clone()),
                confidence: Some(inc.confidence),
                summary: format!(
                    "{source}{who}: {} {found} ({}); {what}",
                    inc.kind, inc.detector
                ),
                time_ms: now_ms(),
                ban_secs,
                ban_target,
                grouped: 0,
                evidence: serde_json::from_str(&inc.evidence).unwrap_or_default(),
            });
        }
        Effect::Ban {
            net, ttl, reason, ..
        } => {
            let now = now_ms();
            let ban = NewBan {
                site: site.to_string(),
                ip: net.into(),
                reason,
                origin: BanOrigin::Auto,
                actor: if observe { ACTOR_OBSERVE } else { ACTOR }.into(),
                created_at: now,
                expires_at: Some(now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)),
            };
            if let Err(err) = store.record_ban(&ban).await {
                store_error(c, "ban", &err);
            }
        }
        Effect::Call(call) => {
            let gc = NewGhostCall {
                site: site.to_string(),
                phone: call.phone,
                source: call.source,
                caller: call.caller.clone(),
                dialled: call.dialled.clone(),
                time: ts_ms(call.time),
                answered: false,
            };
            if let Err(err) = store.record_ghost_call(&gc).await {
                store_error(c, "ghost call", &err);
            }
            n.offer(Alert {
                site: site.to_string(),
                event: "ghost-call",
                source: Some(call.source),
                kind: None,
                confidence: None,
                summary: format!(
                    "call from {} (\"{}\") to phone {}{}",
                    call.source,
                    call.caller,
                    call.phone,
                    call.user_agent
                        .as_deref()
                        .map(|u| format!(", User-Agent {u}"))
                        .unwrap_or_default()
                ),
                time_ms: now_ms(),
                ban_secs: None,
                ban_target: None,
                grouped: 0,
                evidence: serde_json::Value::Null,
            });
        }
    }
}

/// What an IPv6 ban covers, in words, when it is not simply the source:
/// its network (`2001:db8:1:2::/64`), or the address only and why. `None`
/// for IPv4 and every verdict that is not a ban.
/// What the evidence found, for a log line or an alert: a signature names
/// its tool and the matched value (`SIPVicious (user-agent
/// "friendly-scanner")`), other detectors their code (`auth-failures`).
/// The value is attacker-chosen: the engine's report text (control
/// characters replaced), cut to 64 characters and escaped (`\"`, `\u{202e}`)
/// so it can neither end the quotes nor reorder or split the line.
fn finding(evidence: &ghostguard_engine::Evidence) -> String {
    let arg = |name: &str| {
        evidence
            .args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    match (evidence.code, arg("tool"), arg("field"), arg("value")) {
        ("signature", Some(tool), Some(field), Some(value)) => {
            let value: String = value.chars().take(64).collect();
            format!("{tool} ({field} \"{}\")", value.escape_debug())
        }
        (code, ..) => code.to_string(),
    }
}

fn ban_scope(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Ban {
            narrowed: Some(n), ..
        } => Some(n.to_string()),
        Verdict::Ban { net, .. } if net.prefix_len() != net.max_prefix_len() => {
            Some(format!("the whole network {net}"))
        }
        _ => None,
    }
}

/// The evidence as stored with the incident; an IPv6 ban's scope is added
/// as `ban_scope`.
fn evidence_json(evidence: &ghostguard_engine::Evidence, scope: Option<&str>) -> String {
    let Some(scope) = scope else {
        return serde_json::to_string(evidence).unwrap_or_default();
    };
    let mut v = serde_json::to_value(evidence).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert("ban_scope".into(), scope.into());
    }
    v.to_string()
}

/// The daemon's counters, as the heartbeat carries them to `status`.
pub(super) fn status_json(
    cfg: &GuardConfig,
    s: &SourceStats,
    c: &Counters,
    n: &Notifier,
) -> serde_json::Value {
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let counts = c.messages.lock().map(|m| *m).unwrap_or_default();
    let mut messages = Vec::new();
    for (mi, row) in counts.iter().enumerate() {
        for (vi, n) in row.iter().enumerate() {
            if *n > 0 {
                messages.push(serde_json::json!({
                    "method": METHODS.get(mi).copied().unwrap_or("other"),
                    "verdict": VERDICTS.get(vi).copied().unwrap_or("ok"),
                    "count": n,
                }));
            }
        }
    }
    serde_json::json!({
        "messages": messages,
        "mode": format!("{:?}", cfg.mode).to_lowercase(),
        "policy": format!("{:?}", cfg.policy).to_lowercase(),
        "pid": std::process::id(),
        "packets": l(&s.packets),
        "batches_dropped": l(&s.dropped),
        "nflog_overruns": l(&s.overruns),
        "malformed_input": l(&s.malformed),
        "hep_refused": l(&s.hep_refused),
        "inline_judged": l(&s.inline_judged),
        "inline_dropped": l(&s.inline_dropped),
        "frames_inspected": l(&c.frames),
        "incidents": l(&c.incidents),
        "ghost_calls": l(&c.calls),
        "bans_applied": l(&c.bans_applied),
        "ban_errors": l(&c.ban_errors),
        "ban_latency_last_us": l(&c.ban_latency_last_us),
        "ban_latency_max_us": l(&c.ban_latency_max_us),
        "effects_dropped": l(&c.effects_dropped),
        "store_errors": l(&c.store_errors),
        "alerts_sent": l(&n.stats.sent),
        "alerts_held": l(&n.stats.held),
        "alerts_failed": l(&n.stats.failed),
    })
}

#[cfg(test)]
mod tests {
    use ghostguard_engine::{Evidence, Kind};
    use ghostguard_packet::Timestamp;

    use super::finding;

    #[test]
    fn a_finding_names_the_tool_and_value_of_a_signature() {
        let mut e = Evidence::new("signature", Kind::Scanner, 95, "signature", Timestamp::ZERO);
        for (n, v) in [
            ("rule", "sipvicious-ua"),
            ("tool", "SIPVicious"),
            ("field", "user-agent"),
            ("value", "friendly-scanner"),
        ] {
            e.args.push((n, v.to_string()));
        }
        assert_eq!(finding(&e), "SIPVicious (user-agent \"friendly-scanner\")");
        e.args.retain(|(n, _)| *n != "value");
        e.args
            .push(("value", "x\") (bruteforce\u{202e}\u{2028}".to_string()));
        assert_eq!(
            finding(&e),
            "SIPVicious (user-agent \"x\\\") (bruteforce\\u{202e}\\u{2028}\")",
            "quotes and format or separator characters are escaped"
        );
        e.args.retain(|(n, _)| *n != "value");
        assert_eq!(finding(&e), "signature", "without the facts, the code");
        let b = Evidence::new(
            "bruteforce",
            Kind::Bruteforce,
            85,
            "auth-failures",
            Timestamp::ZERO,
        );
        assert_eq!(finding(&b), "auth-failures");
    }
}
