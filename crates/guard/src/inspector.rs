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
use crate::policy::{BanPolicy, Spared, Verdict};

/// DoS: sources with a ban history kept in memory (for escalation) and
/// bans tracked for expiry. Past the bound the oldest entries go first;
/// the store keeps the full history.
pub const MAX_TRACKED: usize = 100_000;

/// Why an inspector cannot be built (the config was not validated).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectorError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("invalid engine settings: {0}")]
    Engine(#[from] ghostguard_engine::ConfigError),
}

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
        /// Time of the packet that made the source malicious.
        at: Timestamp,
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
    /// SIP messages by [`METHODS`] and [`VERDICTS`].
    pub messages: [[u64; 5]; 8],
    /// Calls over [`CALLS_PER_SOURCE`] from one source within an hour:
    /// counted, not handed out (an INVITE flood is one incident, not a
    /// million rows).
    pub calls_not_recorded: u64,
}

/// DoS: calls handed out per source and hour; the rest are counted.
pub const CALLS_PER_SOURCE: u32 = 50;

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
    /// Calls handed out per source in the current hour (bounded).
    calls: HashMap<IpAddr, (Timestamp, u32)>,
    stats: InspectStats,
    scratch: Vec<Effect>,
}

fn span(d: Duration) -> Span {
    Span::from_millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2_000_000))
}

/// Methods the message counters tell apart (the last is every response).
pub const METHODS: [&str; 8] = [
    "INVITE", "REGISTER", "OPTIONS", "ACK", "BYE", "CANCEL", "other", "response",
];
/// Verdicts of the message counters: the sender's standing after the
/// message (`banned`: its ban was in force).
pub const VERDICTS: [&str; 5] = ["ok", "suspect", "malicious", "trusted", "banned"];

fn method_index(m: &ghostguard_sip::Message<'_>) -> usize {
    use ghostguard_sip::Method;
    match m.method() {
        None => 7,
        Some(Method::Invite) => 0,
        Some(Method::Register) => 1,
        Some(Method::Options) => 2,
        Some(Method::Ack) => 3,
        Some(Method::Bye) => 4,
        Some(Method::Cancel) => 5,
        Some(_) => 6,
    }
}

fn observe(
    engine: &mut Engine,
    stats: &mut InspectStats,
    banned: &HashMap<IpAddr, Timestamp>,
    d: &Datagram<'_>,
) {
    stats.datagrams += 1;
    let parsed = ghostguard_sip::parse(d.payload);
    engine.handle(Observation {
        datagram: d,
        message: parsed.as_ref(),
    });
    let Ok(m) = &parsed else { return };
    let src = d.src.ip();
    let verdict = if engine.is_trusted(src) {
        3
    } else if banned.get(&src).is_some_and(|end| *end > d.ts) {
        4
    } else {
        usize::from(engine.standing(src))
    };
    stats.messages[method_index(m)][verdict] += 1;
}

impl Inspector {
    /// `trusted` are the resolved `trusted.servers`; `history` the earlier
    /// bans from the store (source, time), for escalation.
    pub fn new(
        cfg: &GuardConfig,
        rules: Rules,
        trusted: Vec<IpNet>,
        history: &[(IpAddr, Timestamp)],
    ) -> Result<Inspector, InspectorError> {
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
            peers: cfg.peer_thresholds()?,
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
            calls: HashMap::new(),
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
        let (engine, stats, banned) = (&mut self.engine, &mut self.stats, &self.banned);
        let _ = self.decoder.decode(frame, &mut |d: &Datagram<'_>| {
            let d = if d.src_mac.is_none() && hwaddr.is_some() {
                Datagram {
                    src_mac: hwaddr,
                    ..*d
                }
            } else {
                *d
            };
            observe(engine, stats, banned, &d);
        });
        self.drain(frame.ts, out);
    }

    /// One HEP record from an agent, received at `ts`.
    pub fn feed_hep(&mut self, ts: Timestamp, record: &[u8], out: &mut Vec<Effect>) {
        self.stats.frames += 1;
        let (engine, stats, banned) = (&mut self.engine, &mut self.stats, &self.banned);
        let _ = self
            .decoder
            .decode_hep_record(ts, record, &mut |d| observe(engine, stats, banned, d));
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
                    let one_packet = matches!(evidence.kind, ghostguard_engine::Kind::Scanner);
                    let verdict =
                        match self
                            .policy
                            .decide(source, internal, evidence.confidence, earlier)
                        {
                            Verdict::Ban { .. } if self.is_banned(source, now) => {
                                Verdict::Spare(Spared::AlreadyBanned)
                            }
                            Verdict::Ban { .. } if one_packet && self.engine.registered(source) => {
                                Verdict::Spare(Spared::RegisteredPhone)
                            }
                            v => v,
                        };
                    let mac = self.engine.source_mac(source);
                    if let Verdict::Ban { ip, ttl, offence } = verdict {
                        self.record_ban(ip, now, ttl);
                        effects.push(Effect::Ban {
                            ip,
                            ttl,
                            offence,
                            reason: format!("{}: {}", evidence.detector, evidence.code),
                            at: now,
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
                    if self.call_allowed(c.source, now) {
                        effects.push(Effect::Call(c));
                    } else {
                        self.stats.calls_not_recorded += 1;
                    }
                }
                _ => {}
            }
        }
        // Bans first: they are what must reach the kernel fastest.
        effects.sort_by_key(|e| !matches!(e, Effect::Ban { .. }));
        out.append(&mut effects);
        self.scratch = effects;
    }

    fn call_allowed(&mut self, src: IpAddr, now: Timestamp) -> bool {
        let hour = Span::from_secs(3600);
        if self.calls.len() >= MAX_TRACKED && !self.calls.contains_key(&src) {
            self.calls.retain(|_, (t, _)| now.since(*t) < hour);
            if self.calls.len() >= MAX_TRACKED {
                return false;
            }
        }
        let e = self.calls.entry(src).or_insert((now, 0));
        if now.since(e.0) >= hour {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= CALLS_PER_SOURCE
    }

    /// A ban in force that the inspector did not make (restored from the
    /// store at start or reload): no second ban while it lasts, and the
    /// engine is re-armed when it ends.
    pub fn note_ban(&mut self, ip: IpAddr, until: Timestamp) {
        if self.banned.len() < MAX_TRACKED {
            self.banned.insert(ip, until);
        }
    }

    fn earlier_bans(&mut self, ip: IpAddr, now: Timestamp) -> u32 {
        let history = self.history;
        self.offences.get_mut(&ip).map_or(0, |v| {
            v.retain(|t| now.since(*t) < history);
            u32::try_from(v.len()).unwrap_or(u32::MAX)
        })
    }

    fn record_ban(&mut self, ip: IpAddr, now: Timestamp, ttl: Duration) {
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
