//! The report model: what `analyze` prints and what its JSON contract holds.
//! Built once at the end by [`Engine::finish`].
//!
//! JSON contract (stable; other tools read it): a top-level object with
//! `sources` (one entry per network source address that sent SIP, with
//! `address`, `malicious`, `kinds`, `internal`, `mac`, `vendor`, `evidence`,
//! `first_seen`, `last_seen`, `messages`), `ghost_calls` (`phone`, `source`,
//! `caller`, `time`, `answered`), and `causes` (`cause`, `verdict`, `confidence`,
//! `evidence`, `reason`, `remedies`). Fields are only ever added.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, UNIX_EPOCH};

use ghostguard_packet::Timestamp;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::cause::{Cause, CauseEvidence, CauseKind, Remedy};
use crate::engine::Engine;
use crate::finding::{Evidence, Kind};
use crate::net::{format_mac, mac_vendor};
use crate::trust::TrustReason;

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-22T06:00:00.123Z`.
#[must_use]
pub fn format_ts(ts: Timestamp) -> String {
    let n = ts.as_nanos();
    if n < 0 {
        return "1970-01-01T00:00:00.000Z".to_string();
    }
    let t = UNIX_EPOCH + Duration::from_nanos(n as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

pub(crate) fn ser_ts<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_ts(*ts))
}

fn ser_ts_opt<S: Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match ts {
        Some(t) => s.serialize_str(&format_ts(*t)),
        None => s.serialize_none(),
    }
}

pub(crate) fn ser_args<S: Serializer>(
    args: &[(&'static str, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(args.len()))?;
    for (k, v) in args {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub address: IpAddr,
    pub malicious: bool,
    pub kinds: Vec<Kind>,
    /// 0–100: the strongest evidence.
    pub confidence: u8,
    pub internal: bool,
    pub trusted: Option<TrustReason>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    /// Named tools seen (from signatures and fingerprints).
    pub tools: Vec<String>,
    pub evidence: Vec<Evidence>,
    #[serde(serialize_with = "ser_ts")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "ser_ts")]
    pub last_seen: Timestamp,
    pub messages: u64,
    pub requests: u64,
    pub responses: u64,
    pub methods: BTreeMap<&'static str, u64>,
    pub malformed: u64,
    pub user_agents: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GhostCall {
    pub phone: IpAddr,
    pub source: IpAddr,
    pub source_internal: bool,
    /// The caller ID shown on the phone (From user).
    pub caller: String,
    pub display: Option<String>,
    /// The number or user dialled (Request-URI user, else To user).
    pub callee: Option<String>,
    #[serde(serialize_with = "ser_ts")]
    pub time: Timestamp,
    pub rang: bool,
    pub answered: bool,
    pub final_status: Option<u16>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhoneReport {
    pub address: IpAddr,
    pub registrar: Option<IpAddr>,
    pub ghost_calls: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrustedReport {
    pub address: String,
    pub reason: TrustReason,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub messages: u64,
    pub unparseable: u64,
    pub with_defects: u64,
    pub sources: u64,
    pub malicious_sources: u64,
    pub ghost_calls: u64,
    pub phones: u64,
    #[serde(serialize_with = "ser_ts_opt")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "ser_ts_opt")]
    pub last_seen: Option<Timestamp>,
    /// Bounds that were hit (nothing is silently lost).
    pub calls_not_tracked: u64,
    pub sources_evicted: u64,
}

/// SIP requests over time, in at most [`Timeline::MAX_BUCKETS`] buckets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    #[serde(serialize_with = "ser_ts")]
    pub start: Timestamp,
    pub bucket_secs: u64,
    pub requests: Vec<u64>,
}

impl Timeline {
    pub const MAX_BUCKETS: usize = 240;

    fn from_seconds(start: Timestamp, per_sec: &[u32]) -> Timeline {
        let bucket_secs = per_sec.len().div_ceil(Self::MAX_BUCKETS).max(1);
        let requests = per_sec
            .chunks(bucket_secs)
            .map(|c| c.iter().map(|&n| u64::from(n)).sum())
            .collect();
        Timeline {
            start,
            bucket_secs: bucket_secs as u64,
            requests,
        }
    }
}

/// Everything an analysis found.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub summary: Summary,
    pub timeline: Timeline,
    pub sources: Vec<SourceReport>,
    pub ghost_calls: Vec<GhostCall>,
    pub causes: Vec<Cause>,
    pub phones: Vec<PhoneReport>,
    pub trusted: Vec<TrustedReport>,
}

impl Analysis {
    /// Whether anything abusive was found (`analyze` exits 1 then).
    #[must_use]
    pub fn abuse_found(&self) -> bool {
        self.sources.iter().any(|s| s.malicious) || !self.ghost_calls.is_empty()
    }
}

impl Engine {
    /// Ends the analysis and builds the report model.
    #[must_use]
    pub fn finish(self) -> Analysis {
        let threshold = self.cfg.thresholds.malicious_confidence;
        let mut sources: Vec<SourceReport> = self
            .sources
            .iter()
            .map(|(ip, st)| {
                // Inferred trust does not outweigh a named tool or its fingerprint
                // (a forged registration must not clear a scanner); configured
                // trust always holds.
                let trusted = self.trust.trust_reason(*ip).filter(|r| {
                    // Only a named tool or its fingerprint overrides it:
                    // a busy provider trunk trips the behaviour detectors.
                    *r == TrustReason::Configured
                        || !st.evidence.iter().any(|e| {
                            matches!(e.detector, "signature" | "structure")
                                && e.confidence >= threshold
                        })
                });
                let judged = trusted.is_none() && !self.trust.is_allowlisted(*ip);
                let mut kinds: Vec<Kind> = st
                    .evidence
                    .iter()
                    .filter(|e| e.confidence >= threshold || e.kind == Kind::Malformed)
                    .map(|e| e.kind)
                    .collect();
                kinds.sort();
                kinds.dedup();
                kinds.retain(|k| *k != Kind::Malformed || kinds_has_other(&st.evidence, threshold));
                let mut tools: Vec<String> = st
                    .evidence
                    .iter()
                    .filter_map(|e| e.get("tool").map(str::to_string))
                    .collect();
                tools.sort();
                tools.dedup();
                let mut evidence = st.evidence.clone();
                evidence.sort_by(|a, b| {
                    b.confidence
                        .cmp(&a.confidence)
                        .then(a.first_seen.cmp(&b.first_seen))
                });
                let names = ["INVITE", "REGISTER", "OPTIONS", "other"];
                let methods = names
                    .iter()
                    .zip(st.methods)
                    .filter(|(_, n)| *n > 0)
                    .map(|(k, n)| (*k, n))
                    .collect();
                SourceReport {
                    address: *ip,
                    malicious: judged && st.max_confidence >= threshold,
                    kinds: if judged { kinds } else { Vec::new() },
                    confidence: st.max_confidence,
                    internal: st.internal,
                    trusted,
                    mac: st.mac.map(format_mac),
                    vendor: st.mac.and_then(mac_vendor),
                    tools,
                    evidence,
                    first_seen: st.first,
                    last_seen: st.last,
                    messages: st.messages,
                    requests: st.requests,
                    responses: st.responses,
                    methods,
                    malformed: st.malformed,
                    user_agents: {
                        let mut agents = st.user_agents.clone();
                        agents.sort();
                        agents.into_iter().map(|a| a.text).collect()
                    },
                }
            })
            .collect();

        // Sources the inference trusted but the evidence overrode.
        let distrusted: std::collections::HashSet<IpAddr> = sources
            .iter()
            .filter(|s| s.trusted.is_none() && self.trust.is_trusted(s.address))
            .map(|s| s.address)
            .collect();
        let trusted = |ip: IpAddr| self.trust.is_trusted(ip) && !distrusted.contains(&ip);
        // Ghost calls: INVITEs from untrusted sources to phones.
        let is_phone = |ip: IpAddr| self.trust.is_phone(ip);
        let ghost_calls: Vec<GhostCall> = self
            .calls
            .list
            .iter()
            .filter(|c| is_phone(c.phone) && !trusted(c.source) && c.source != c.phone)
            .filter(|c| {
                distrusted.contains(&c.source)
                    || self.trust.phones.get(&c.phone).and_then(|p| p.registrar) != Some(c.source)
            })
            .map(|c| GhostCall {
                phone: c.phone,
                source: c.source,
                source_internal: c.source_internal,
                caller: c.caller.clone(),
                display: c.display.clone(),
                callee: c.callee.clone(),
                time: c.time,
                rang: c.rang,
                answered: c.answered,
                final_status: c.final_status,
                user_agent: c.user_agent.clone(),
            })
            .collect();

        // A source whose INVITEs made phones ring is part of the story even
        // without other evidence.
        // One pass over the calls: (calls, rang, first, last) per source.
        let mut per_source: std::collections::HashMap<
            IpAddr,
            (usize, usize, Timestamp, Timestamp),
        > = std::collections::HashMap::new();
        for g in &ghost_calls {
            let e = per_source.entry(g.source).or_insert((0, 0, g.time, g.time));
            e.0 += 1;
            e.1 += usize::from(g.rang);
            e.2 = e.2.min(g.time);
            e.3 = e.3.max(g.time);
        }
        let known = !self.trust.list().is_empty();
        for s in &mut sources {
            let Some(&(n, rang, first, last)) = per_source.get(&s.address) else {
                continue;
            };
            if s.trusted.is_none() {
                let (first, last) = (Some(first), Some(last));
                let mut ev = Evidence::new(
                    "ghost-call",
                    Kind::GhostCall,
                    0,
                    "ghost-calls",
                    first.unwrap_or_default(),
                )
                .arg("calls", n.to_string())
                .arg("rang", rang.to_string());
                ev.count = n as u64;
                ev.last_seen = last.unwrap_or(ev.first_seen);
                // Unsolicited calls to a phone from outside are abuse when the
                // trusted servers are known, and so are the calls of a source
                // already malicious (an infected LAN host that scans and
                // rings the phones); otherwise context only.
                ev.confidence = if (known && !s.internal) || s.malicious {
                    threshold
                } else {
                    40
                };
                if ev.confidence >= threshold {
                    s.malicious = s.trusted.is_none() && !self.trust.is_allowlisted(s.address);
                    if !s.kinds.contains(&Kind::GhostCall) {
                        s.kinds.push(Kind::GhostCall);
                    }
                }
                s.confidence = s.confidence.max(ev.confidence);
                s.evidence.push(ev);
                s.evidence.sort_by(|a, b| {
                    b.confidence
                        .cmp(&a.confidence)
                        .then(a.first_seen.cmp(&b.first_seen))
                });
            }
        }
        sources.sort_by(|a, b| {
            b.malicious
                .cmp(&a.malicious)
                .then(b.confidence.cmp(&a.confidence))
                .then(b.messages.cmp(&a.messages))
                .then(a.address.cmp(&b.address))
        });

        let causes = self.causes(&sources, &ghost_calls);
        let mut per_phone: std::collections::HashMap<IpAddr, u64> =
            std::collections::HashMap::new();
        for g in &ghost_calls {
            *per_phone.entry(g.phone).or_default() += 1;
        }
        // An attacker whose guessed REGISTER succeeded is not one of our phones.
        let malicious: std::collections::HashSet<IpAddr> = sources
            .iter()
            .filter(|s| s.malicious)
            .map(|s| s.address)
            .collect();
        let mut phones: Vec<PhoneReport> = self
            .trust
            .phones
            .iter()
            .filter(|(ip, _)| !malicious.contains(*ip))
            .map(|(ip, p)| PhoneReport {
                address: *ip,
                registrar: p.registrar,
                ghost_calls: per_phone.get(ip).copied().unwrap_or(0),
            })
            .collect();
        phones.sort_by(|a, b| {
            b.ghost_calls
                .cmp(&a.ghost_calls)
                .then(a.address.cmp(&b.address))
        });
        let trusted = self
            .trust
            .list()
            .into_iter()
            .map(|(address, reason)| TrustedReport { address, reason })
            .collect();
        let summary = Summary {
            messages: self.stats.messages,
            unparseable: self.stats.unparseable,
            with_defects: self.stats.with_defects,
            sources: sources.len() as u64,
            malicious_sources: sources.iter().filter(|s| s.malicious).count() as u64,
            ghost_calls: ghost_calls.len() as u64,
            phones: phones.len() as u64,
            first_seen: self.first,
            last_seen: self.first.map(|_| self.last),
            calls_not_tracked: self.calls.dropped,
            sources_evicted: self.sources.evictions,
        };
        let timeline = Timeline::from_seconds(
            self.activity_base.or(self.first).unwrap_or_default(),
            &self.activity,
        );
        Analysis {
            summary,
            timeline,
            sources,
            ghost_calls,
            causes,
            phones,
            trusted,
        }
    }

    fn causes(&self, sources: &[SourceReport], ghost_calls: &[GhostCall]) -> Vec<Cause> {
        let mut out = Vec::new();
        let mut add = |kind: CauseKind, confidence: u8, evidence: Vec<CauseEvidence>| {
            out.push(Cause::found(kind, confidence, evidence));
        };

        // A LAN host that attacks is the "hacked computer".
        let infected: Vec<&SourceReport> = sources
            .iter()
            .filter(|s| s.malicious && s.internal)
            .collect();
        if !infected.is_empty() {
            let ev = infected
                .iter()
                .take(10)
                .map(|s| {
                    let kinds: Vec<&str> = s.kinds.iter().map(|k| k.as_str()).collect();
                    let mut e = CauseEvidence::new("internal-attacker")
                        .arg("address", s.address)
                        .arg("kinds", kinds.join(", "))
                        .arg("messages", s.messages);
                    if let Some(m) = &s.mac {
                        e = e.arg("mac", m);
                    }
                    if let Some(v) = &s.vendor {
                        e = e.arg("vendor", v);
                    }
                    e
                })
                .collect();
            add(CauseKind::InfectedHost, 90, ev);
        }

        // Untrusted requests from the internet reaching internal addresses.
        let mut ev = Vec::new();
        let mut dnat = false;
        let mut reached_phone = false;
        let inside = |src: IpAddr, dst: IpAddr| {
            if self.is_internal(dst) {
                return true;
            }
            // A global IPv6 phone reached from outside its /64.
            let same64 = match (src, dst) {
                (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..4] == b.segments()[..4],
                _ => false,
            };
            self.trust.is_phone(dst) && !same64
        };
        let mut inbound_sources: Vec<_> = self
            .exposure
            .by_source
            .iter()
            .filter(|(ip, i)| {
                !self.trust.is_trusted(**ip) && i.dst.is_some_and(|d| inside(**ip, d.ip()))
            })
            .collect();
        // The busiest first; the address breaks ties so the report is stable.
        inbound_sources.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(b.0)));
        for (ip, inbound) in inbound_sources.into_iter().take(10) {
            let Some(dst) = inbound.dst else { continue };
            reached_phone |= self.trust.is_phone(dst.ip());
            let mut e = CauseEvidence::new("inbound-from-internet")
                .arg("source", ip)
                .arg("destination", dst)
                .arg("requests", inbound.requests);
            if let Some(public) = inbound.dnat_from {
                dnat = true;
                e = e.arg("addressed_to", public);
            }
            // svmap's tag names the address it aimed at.
            if let Some(t) = sources.iter().find(|s| s.address == *ip).and_then(|s| {
                s.evidence
                    .iter()
                    .find_map(|e| e.get("target").map(str::to_string))
            }) {
                dnat = true;
                e = e.arg("scanner_target", t);
            }
            ev.push(e);
        }
        if !ev.is_empty() {
            let conf = if dnat {
                90
            } else if reached_phone {
                75
            } else {
                60
            };
            add(CauseKind::PortForward, conf, ev);
        }

        if self.alg.rewritten > 0 {
            let mut ev = vec![
                CauseEvidence::new("sip-rewritten")
                    .arg("messages", self.alg.rewritten)
                    .arg("fields", self.alg.fields_seen.join(", ")),
            ];
            ev.extend(self.alg.samples.iter().take(3).map(|r| {
                CauseEvidence::new("rewrite-sample")
                    .arg("fields", r.fields.join(", "))
                    .arg("before", &r.before)
                    .arg("after", &r.after)
                    .arg("time", format_ts(r.ts))
            }));
            let conf = if self.alg.rewritten >= 2 { 90 } else { 70 };
            add(CauseKind::SipAlg, conf, ev);
        }

        if self.loops.looping > 0 {
            let w = &self.loops.worst;
            let mut e = CauseEvidence::new(if w.routing {
                "routing-loop"
            } else {
                "frame-storm"
            })
            .arg("messages", self.loops.looping)
            .arg("copies", w.copies)
            .arg("first_ttl", w.first_ttl)
            .arg("last_ttl", w.last_ttl)
            .arg("time", format_ts(w.ts));
            if let (Some(s), Some(d)) = (w.src, w.dst) {
                e = e.arg("source", s).arg("destination", d);
            }
            add(CauseKind::Loop, 85, vec![e]);
        }

        let rang: Vec<&GhostCall> = ghost_calls.iter().filter(|g| g.rang).collect();
        if !rang.is_empty() {
            let mut phones: Vec<IpAddr> = rang.iter().map(|g| g.phone).collect();
            phones.sort();
            phones.dedup();
            let ev = phones
                .iter()
                .take(10)
                .map(|p| {
                    let n = rang.iter().filter(|g| g.phone == *p).count();
                    CauseEvidence::new("phone-rang-for-stranger")
                        .arg("phone", p)
                        .arg("calls", n)
                })
                .collect();
            add(CauseKind::OpenPhone, 80, ev);
            // Calls from inside never cross the firewall: its rule cannot help.
            if rang.iter().all(|g| g.source_internal) {
                if let Some(c) = out.last_mut() {
                    c.remedies.retain(|r| *r != Remedy::FirewallProviderOnly);
                }
            }
        }
        out.sort_by_key(|c| Cause::priority(c.cause));
        out
    }
}

fn kinds_has_other(ev: &[Evidence], threshold: u8) -> bool {
    ev.iter()
        .any(|e| e.kind != Kind::Malformed && e.confidence >= threshold)
}
