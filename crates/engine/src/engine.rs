//! The engine: feeds every message to the trust model, the call tracker, the
//! cause watchers and the detectors; keeps per-source accounting; emits
//! actions when a source turns malicious.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use ghostguard_packet::{Datagram, Timestamp};
use ghostguard_sip::{HeaderName, Message, ParseError};

use crate::cause::{alg::AlgWatch, exposure::Exposure, loops::LoopWatch};
use crate::config::{ConfigError, EngineConfig};
use crate::detector::{self, Detector};
use crate::event::Ctx;
use crate::finding::{Evidence, Finding, Kind};
use crate::ghost::Calls;
use crate::net::{PrefixList, canonical, is_private};
use crate::rules::Rules;
use crate::sources::Sources;
use crate::trust::Trust;

/// One input: a datagram and what the SIP parser made of it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub datagram: &'a Datagram<'a>,
    pub message: Result<&'a Message<'a>, &'a ParseError>,
}

/// What the engine asks the edges to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// A source became malicious: record it, alert, and (under an enforcing
    /// policy) ban the network source address.
    Incident {
        source: IpAddr,
        kind: Kind,
        confidence: u8,
        evidence: Evidence,
        internal: bool,
    },
}

/// DoS: actions not drained by the caller are kept up to this many; older
/// ones are dropped and counted.
const MAX_PENDING_ACTIONS: usize = 10_000;

/// Counters about the input itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub messages: u64,
    pub unparseable: u64,
    pub with_defects: u64,
    pub actions_dropped: u64,
}

pub struct Engine {
    pub(crate) cfg: EngineConfig,
    lan: PrefixList,
    pub(crate) trust: Trust,
    pub(crate) calls: Calls,
    pub(crate) alg: AlgWatch,
    pub(crate) loops: LoopWatch,
    pub(crate) exposure: Exposure,
    detectors: Vec<Box<dyn Detector>>,
    pub(crate) sources: Sources,
    findings: Vec<Finding>,
    actions: VecDeque<Action>,
    pub(crate) stats: EngineStats,
    pub(crate) first: Option<Timestamp>,
    pub(crate) last: Timestamp,
    /// Requests per second since the first message.
    pub(crate) activity: Vec<u32>,
}

/// DoS: the activity timeline covers at most this many seconds (31 days)
/// after the first message; later traffic is counted in the last second.
const MAX_ACTIVITY_SECS: usize = 31 * 24 * 3600;

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("stats", &self.stats)
            .field("sources", &self.sources.len())
            .finish()
    }
}

impl Engine {
    /// Validates the config and builds the engine.
    pub fn new(cfg: EngineConfig, rules: Rules) -> Result<Engine, ConfigError> {
        cfg.validate()?;
        let cap = cfg.max_sources();
        let rules = Arc::new(rules);
        let trust = Trust::new(
            cfg.trusted.clone(),
            cfg.allowlist.clone(),
            cfg.infer_trusted(),
            &cfg.phones,
        );
        Ok(Engine {
            lan: PrefixList::new(cfg.lan.clone()),
            trust,
            calls: Calls::new(),
            alg: AlgWatch::new(),
            loops: LoopWatch::new(cfg.thresholds.loop_copies),
            exposure: Exposure::new(cap.min(65_536)),
            detectors: detector::all(&cfg.thresholds, &rules, cap),
            sources: Sources::new(cap),
            findings: Vec::new(),
            actions: VecDeque::new(),
            stats: EngineStats::default(),
            first: None,
            last: Timestamp::ZERO,
            activity: Vec::new(),
            cfg,
        })
    }

    /// Whether an address is ours: a private range or a configured LAN prefix.
    #[must_use]
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        is_private(ip) || self.lan.contains(ip)
    }

    #[must_use]
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Feeds one observation.
    pub fn handle(&mut self, obs: Observation<'_>) {
        let d = obs.datagram;
        let src = canonical(d.src.ip());
        self.stats.messages += 1;
        if self.first.is_none_or(|f| d.ts < f) {
            self.first = Some(d.ts);
        }
        self.last = self.last.max(d.ts);
        let src_internal = self.is_internal(src);
        let dst = canonical(d.dst.ip());
        let dst_internal = self.is_internal(dst);
        let src_trusted = self.trust.is_trusted(src);
        let st = self.sources.entry(&src);
        st.touch(d.ts);
        st.internal = src_internal;
        if src_internal && d.src_mac.is_some() {
            st.mac = d.src_mac;
        }
        let m = match obs.message {
            Ok(m) => m,
            Err(e) => {
                st.malformed += 1;
                self.stats.unparseable += 1;
                let ev = Evidence::new("parser", Kind::Malformed, 10, "unparseable", d.ts)
                    .arg("reason", e.to_string());
                self.record(Finding {
                    source: src,
                    evidence: ev,
                });
                return;
            }
        };
        let ctx = Ctx {
            ts: d.ts,
            d,
            m,
            src,
            dst,
            src_internal,
            dst_internal,
            src_trusted,
            method: m.method(),
            status: m.status().map_or(0, |s| s.0),
        };
        if ctx.is_request() {
            if let Some(first) = self.first {
                let sec = (d.ts.since(first).as_nanos() / 1_000_000_000) as usize;
                let sec = sec.min(MAX_ACTIVITY_SECS);
                if self.activity.len() <= sec {
                    self.activity.resize(sec + 1, 0);
                }
                self.activity[sec] = self.activity[sec].saturating_add(1);
            }
            st.requests += 1;
            st.count_method(ctx.method);
            if let Some(ua) = m.user_agent() {
                st.add_agent(ua);
            }
        } else {
            st.responses += 1;
            if let Some(h) = m.header(HeaderName::Server) {
                st.add_agent(&h.raw_value[..h.raw_value.len().min(96)]);
            }
        }
        let defects = m.defects();
        if !defects.is_empty() {
            st.malformed += 1;
            self.stats.with_defects += 1;
            let names: Vec<&str> = defects.iter().collect();
            let ev = Evidence::new("parser", Kind::Malformed, 10, "defects", d.ts)
                .arg("defects", names.join(", "));
            self.findings.push(Finding {
                source: src,
                evidence: ev,
            });
        }
        self.trust.observe(&ctx);
        self.calls.observe(&ctx);
        self.alg.observe(&ctx);
        self.loops.observe(&ctx);
        self.exposure.observe(&ctx);
        let mut findings = std::mem::take(&mut self.findings);
        for det in &mut self.detectors {
            det.on_message(&ctx, &mut findings);
        }
        for f in findings.drain(..) {
            self.record(f);
        }
        self.findings = findings;
    }

    fn record(&mut self, f: Finding) {
        let internal = self.is_internal(f.source);
        let trusted = self.trust.is_trusted(f.source) || self.trust.is_allowlisted(f.source);
        let threshold = self.cfg.thresholds.malicious_confidence;
        let st = self.sources.entry(&f.source);
        if st.messages == 0 {
            // Evidence against a source we have not seen send (e.g. the
            // requester of answered brute-force attempts in a one-sided capture).
            st.first = f.evidence.first_seen;
            st.last = f.evidence.last_seen;
            st.internal = internal;
        }
        let ev = f.evidence.clone();
        let up = st.add_evidence(f.evidence);
        if up && !trusted && !st.reported && st.max_confidence >= threshold {
            st.reported = true;
            if self.actions.len() >= MAX_PENDING_ACTIONS {
                self.actions.pop_front();
                self.stats.actions_dropped += 1;
            }
            self.actions.push_back(Action::Incident {
                source: f.source,
                kind: ev.kind,
                confidence: ev.confidence,
                evidence: ev,
                internal,
            });
        }
    }

    /// The next action the edges should carry out; drain until `None`.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}
