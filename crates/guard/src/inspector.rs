//! The inspector: the guard's engine loop without the I/O.
//!
//! Frames go in (from NFLOG, a HEP feed or a capture), effects come out:
//! incidents to record and alert, bans to put in the kernel, ghost calls.
//! It owns the packet decoder, the engine and the ban policy, and keeps the
//! offence history that escalates ban times. The daemon runs it on one
//! thread and carries the effects out; tests drive it directly.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use ghostguard_engine::net::mac_vendor;
use ghostguard_engine::{Action, CallEvent, Engine, EngineConfig, Evidence, Observation, Rules};
use ghostguard_packet::{Datagram, Decoder, Frame, Limits, Span, Timestamp};
use ipnet::IpNet;

use crate::config::GuardConfig;
use crate::policy::{BanPolicy, Verdict};

/// DoS: sources with a ban history kept in memory (for escalation) and
/// bans tracked for expiry. Past the bound the oldest entries go first;
/// the store keeps the full history.
pub const MAX_TRACKED: usize = 100_000;

/// Something the daemon must carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A source turned malicious: record it (and alert).
    Incident {
        source: IpAddr,
        internal: bool,
        evidence: Evidence,
        mac: Option<[u8; 6]>,
        vendor: Option<String>,
        /// What the policy decided.
        verdict: Verdict,
    },
    /// Put `ip` in the ban set for `ttl` (the `offence`-th ban).
    Ban {
        ip: IpAddr,
        ttl: Duration,
        offence: u32,
        reason: String,
    },
    /// A call from an untrusted source reached (or was aimed at) a phone.
    Call(CallEvent),
}

/// Counters the daemon reports in `status` and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InspectStats {
    pub frames: u64,
    pub datagrams: u64,
    pub incidents: u64,
    pub bans: u64,
    pub calls: u64,
}

#[derive(Debug)]
pub struct Inspector {
    decoder: Decoder,
    engine: Engine,
    policy: BanPolicy,
    /// Ban times of each source within the history window.
    offences: HashMap<IpAddr, Vec<Timestamp>>,
    /// Bans in force by their end, to re-arm the engine when they end.
    banned: HashMap<IpAddr, Timestamp>,
    history: Span,
    stats: InspectStats,
    scratch: Vec<Effect>,
}

fn span(d: Duration) -> Span {
    Span::from_millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2_000_000))
}

fn observe(engine: &mut Engine, stats: &mut InspectStats, d: &Datagram<'_>) {
    stats.datagrams += 1;
    let parsed = ghostguard_sip::parse(d.payload);
    engine.handle(Observation {
        datagram: d,
        message: parsed.as_ref(),
    });
}

impl Inspector {
    /// `trusted` are the resolved `trusted.servers`; `history` the earlier
    /// bans from the store (source, time), for escalation.
    pub fn new(
        cfg: &GuardConfig,
        rules: Rules,
        trusted: Vec<IpNet>,
        history: &[(IpAddr, Timestamp)],
    ) -> Result<Inspector, ghostguard_engine::ConfigError> {
        let mut lan = cfg.network.lan.clone();
        lan.extend(cfg.network.protected.iter().copied());
        let ecfg = EngineConfig {
            trusted: trusted.clone(),
            // Live, trust is what the operator configured: a packet must not
            // be able to make its sender trusted.
            infer_trusted: Some(false),
            lan,
            phones: cfg.network.phones.clone(),
            allowlist: cfg.trusted.allow.clone(),
            thresholds: cfg.detect.thresholds.clone(),
            ..Default::default()
        };
        let mut engine = Engine::new(ecfg, rules)?;
        engine.set_live();
        let mut offences: HashMap<IpAddr, Vec<Timestamp>> = HashMap::new();
        for (ip, t) in history.iter().take(MAX_TRACKED) {
            offences.entry(*ip).or_default().push(*t);
        }
        Ok(Inspector {
            decoder: Decoder::new(Limits::default()),
            engine,
            policy: BanPolicy::new(cfg, trusted),
            offences,
            banned: HashMap::new(),
            history: span(cfg.ban.history),
            stats: InspectStats::default(),
            scratch: Vec::new(),
        })
    }

    #[must_use]
    pub fn stats(&self) -> InspectStats {
        self.stats
    }

    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    #[must_use]
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The trusted servers changed (DNS refresh, reload).
    pub fn set_trusted(&mut self, nets: Vec<IpNet>) {
        self.engine.set_trusted(nets.clone());
        self.policy.set_trusted(nets);
    }

    /// One frame; `hwaddr` is the sender's link address when the source
    /// knows it apart from the frame (NFLOG). Effects are appended to `out`.
    pub fn feed(&mut self, frame: &Frame<'_>, hwaddr: Option<[u8; 6]>, out: &mut Vec<Effect>) {
        self.stats.frames += 1;
        let (engine, stats) = (&mut self.engine, &mut self.stats);
        let _ = self.decoder.decode(frame, &mut |d: &Datagram<'_>| {
            let d = if d.src_mac.is_none() && hwaddr.is_some() {
                Datagram {
                    src_mac: hwaddr,
                    ..*d
                }
            } else {
                *d
            };
            observe(engine, stats, &d);
        });
        self.drain(frame.ts, out);
    }

    /// One HEP record from an agent, received at `ts`.
    pub fn feed_hep(&mut self, ts: Timestamp, record: &[u8], out: &mut Vec<Effect>) {
        self.stats.frames += 1;
        let (engine, stats) = (&mut self.engine, &mut self.stats);
        let _ = self
            .decoder
            .decode_hep_record(ts, record, &mut |d| observe(engine, stats, d));
        self.drain(ts, out);
    }

    /// The engine's actions, through the policy, as effects.
    fn drain(&mut self, now: Timestamp, out: &mut Vec<Effect>) {
        let mut effects = std::mem::take(&mut self.scratch);
        while let Some(action) = self.engine.poll_action() {
            match action {
                Action::Incident {
                    source,
                    evidence,
                    internal,
                } => {
                    self.stats.incidents += 1;
                    let earlier = self.earlier_bans(source, now);
                    let verdict =
                        self.policy
                            .decide(source, internal, evidence.confidence, earlier);
                    let mac = self.engine.source_mac(source);
                    if let Verdict::Ban { ip, ttl, offence } = verdict {
                        self.note_ban(ip, now, ttl);
                        effects.push(Effect::Ban {
                            ip,
                            ttl,
                            offence,
                            reason: format!("{}: {}", evidence.detector, evidence.code),
                        });
                    }
                    effects.push(Effect::Incident {
                        source,
                        internal,
                        mac,
                        vendor: mac.and_then(mac_vendor),
                        evidence,
                        verdict,
                    });
                }
                Action::Call(c) => {
                    self.stats.calls += 1;
                    effects.push(Effect::Call(c));
                }
                _ => {}
            }
        }
        // Bans first: they are what must reach the kernel fastest.
        effects.sort_by_key(|e| !matches!(e, Effect::Ban { .. }));
        out.append(&mut effects);
        self.scratch = effects;
    }

    fn earlier_bans(&mut self, ip: IpAddr, now: Timestamp) -> u32 {
        let history = self.history;
        self.offences.get_mut(&ip).map_or(0, |v| {
            v.retain(|t| now.since(*t) < history);
            u32::try_from(v.len()).unwrap_or(u32::MAX)
        })
    }

    fn note_ban(&mut self, ip: IpAddr, now: Timestamp, ttl: Duration) {
        self.stats.bans += 1;
        if self.offences.len() >= MAX_TRACKED && !self.offences.contains_key(&ip) {
            let history = self.history;
            self.offences
                .retain(|_, v| v.last().is_some_and(|t| now.since(*t) < history));
            if self.offences.len() >= MAX_TRACKED {
                // Still full of recent offenders: forget an arbitrary one
                // (the store keeps them all for the next restart).
                if let Some(k) = self.offences.keys().next().copied() {
                    self.offences.remove(&k);
                }
            }
        }
        self.offences.entry(ip).or_default().push(now);
        if self.banned.len() >= MAX_TRACKED {
            self.banned.retain(|_, end| *end > now);
        }
        if self.banned.len() < MAX_TRACKED {
            self.banned.insert(ip, now.add(span(ttl)));
        }
    }

    /// Time passes (called about once a second with the wall clock): bans
    /// that ended re-arm their source in the engine.
    pub fn tick(&mut self, now: Timestamp) {
        let ended: Vec<IpAddr> = self
            .banned
            .iter()
            .filter(|(_, end)| **end <= now)
            .map(|(ip, _)| *ip)
            .collect();
        for ip in ended {
            self.banned.remove(&ip);
            self.engine.forget(ip);
        }
    }

    /// An operator lifted the ban of `ip` at `at`: new abuse bans it
    /// again. Returns whether the kernel's element must go too: not when
    /// this inspector banned `ip` again after `at` (the daemon learns of a
    /// lift from the store a moment later; by then the source may be
    /// banned anew, and that ban must stay).
    pub fn lifted(&mut self, ip: IpAddr, at: Timestamp) -> bool {
        let rebanned = self
            .offences
            .get(&ip)
            .and_then(|v| v.last())
            .is_some_and(|t| *t > at);
        if rebanned {
            return false;
        }
        self.banned.remove(&ip);
        self.engine.forget(ip);
        true
    }

    /// Whether `ip` is banned by this inspector right now.
    #[must_use]
    pub fn is_banned(&self, ip: IpAddr, now: Timestamp) -> bool {
        self.banned.get(&ip).is_some_and(|end| *end > now)
    }
}
