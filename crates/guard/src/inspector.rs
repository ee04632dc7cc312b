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

use crate::banned::Banned;
pub use crate::banned::SOURCES_PER_BAN;
use crate::config::GuardConfig;
use crate::policy::{BanPolicy, Narrowed, Spared, Verdict};

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
    /// Put `net` (an address, or an IPv6 source's network) in the ban
    /// set for `ttl` (the `offence`-th ban of `net`).
    Ban {
        net: IpNet,
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
    /// Ban times of each banned address or network within the history
    /// window.
    offences: HashMap<IpNet, Vec<Timestamp>>,
    /// Bans in force (address or network), to re-arm their sources in the
    /// engine when they end.
    banned: Banned,
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

fn observe(engine: &mut Engine, stats: &mut InspectStats, banned: &Banned, d: &Datagram<'_>) {
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
    } else if banned.covering(src, d.ts).is_some() {
        4
    } else {
        usize::from(engine.standing(src))
    };
    stats.messages[method_index(m)][verdict] += 1;
}

impl Inspector {
    /// `trusted` are the resolved `trusted.servers`; `history` the earlier
    /// bans from the store (banned address or network, time), for
    /// escalation.
    pub fn new(
        cfg: &GuardConfig,
        rules: Rules,
        trusted: Vec<IpNet>,
        history: &[(IpNet, Timestamp)],
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
        let mut offences: HashMap<IpNet, Vec<Timestamp>> = HashMap::new();
        for (net, t) in history.iter().take(MAX_TRACKED) {
            offences.entry(*net).or_default().push(*t);
        }
        Ok(Inspector {
            decoder: Decoder::new(Limits::default()),
            engine,
            banned: Banned::new(cfg.ban.ipv6_prefix),
            policy: BanPolicy::new(cfg, trusted),
            offences,
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

    /// What a ban of `source` covers: the policy's target, narrowed to the
    /// address when an IPv6 network ban would rest on one packet (which
    /// anyone can send from any address of the network) or would cover a
    /// phone the engine saw register or answer.
    fn target(
        &self,
        source: IpAddr,
        internal: bool,
        one_packet: bool,
    ) -> (IpNet, Option<Narrowed>) {
        let (net, narrowed) = self.policy.target(source, internal);
        let host = IpNet::from(source.to_canonical());
        if narrowed.is_some() || net == host {
            return (net, narrowed);
        }
        let why = if one_packet {
            Some((Spared::OnePacket, net))
        } else {
            self.engine
                .phone_in(net)
                .map(|phone| (Spared::RegisteredPhone, IpNet::from(phone)))
        };
        match why {
            Some((holds, what)) => (
                host,
                Some(Narrowed {
                    prefix: net,
                    holds,
                    what,
                }),
            ),
            None => (net, None),
        }
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
                    let one_packet = matches!(evidence.kind, ghostguard_engine::Kind::Scanner);
                    let covering = self.banned.covering(source, now);
                    // A covered source is spared below whatever its target:
                    // no scan of the phone table for it (rotating addresses
                    // of a banned /64 are the common case).
                    let target = if covering.is_some() {
                        self.policy.target(source, internal)
                    } else {
                        self.target(source, internal, one_packet)
                    };
                    let earlier = self.earlier_bans(target.0, now);
                    let verdict = match self.policy.decide_for(
                        source,
                        internal,
                        evidence.confidence,
                        earlier,
                        target,
                    ) {
                        Verdict::Ban { .. } if covering.is_some() => {
                            // Its network's ban stopped it: re-arm it
                            // with that ban.
                            if let Some(net) = covering {
                                self.banned.add_source(net, source);
                            }
                            Verdict::Spare(Spared::AlreadyBanned)
                        }
                        Verdict::Ban { .. } if one_packet && self.engine.registered(source) => {
                            Verdict::Spare(Spared::RegisteredPhone)
                        }
                        v => v,
                    };
                    let mac = self.engine.source_mac(source);
                    if let Verdict::Ban {
                        net, ttl, offence, ..
                    } = verdict
                    {
                        self.record_ban(net, source, now, ttl);
                        effects.push(Effect::Ban {
                            net,
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
    pub fn note_ban(&mut self, net: IpNet, until: Timestamp) {
        self.banned.insert(net, None, until, until);
    }

    fn earlier_bans(&mut self, net: IpNet, now: Timestamp) -> u32 {
        let history = self.history;
        self.offences.get_mut(&net).map_or(0, |v| {
            v.retain(|t| now.since(*t) < history);
            u32::try_from(v.len()).unwrap_or(u32::MAX)
        })
    }

    fn record_ban(&mut self, net: IpNet, source: IpAddr, now: Timestamp, ttl: Duration) {
        self.stats.bans += 1;
        if self.offences.len() >= MAX_TRACKED && !self.offences.contains_key(&net) {
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
        self.offences.entry(net).or_default().push(now);
        self.banned
            .insert(net, Some(source), now.add(span(ttl)), now);
    }

    /// Time passes (called about once a second with the wall clock): bans
    /// that ended re-arm their sources in the engine.
    pub fn tick(&mut self, now: Timestamp) {
        for net in self.banned.ended(now) {
            self.end_ban(net);
        }
    }

    /// Drops the ban of `net` and re-arms its sources (an address ban:
    /// the address itself, also when restored from the store).
    fn end_ban(&mut self, net: IpNet) {
        let sources = self.banned.remove(net);
        if net.prefix_len() == net.max_prefix_len() {
            self.engine.forget(net.addr());
        }
        for ip in sources {
            self.engine.forget(ip);
        }
    }

    /// An operator lifted the ban of `net` (an address or network) at
    /// `at`: new abuse bans it again. Returns what the kernel must do:
    /// `None`, leave it (this inspector banned `net`, or a network around
    /// it, again after `at`: the daemon learns of a lift from the store a
    /// moment later, and that newer ban, which holds `net`'s element, must
    /// stay); else remove `net`'s element and put back the returned bans,
    /// still in force, that overlap it (the kernel adapter deletes every
    /// overlapping element, a wider ban merged with `net` too), each with
    /// its end.
    pub fn lifted(&mut self, net: IpNet, at: Timestamp) -> Option<Vec<(IpNet, Timestamp)>> {
        let banned_since = |n: &IpNet| {
            self.offences
                .get(n)
                .and_then(|v| v.last())
                .is_some_and(|t| *t > at)
        };
        if banned_since(&net) {
            return None;
        }
        let around = self.banned.overlapping(net, at);
        let covered_anew = around
            .iter()
            .any(|(n, _)| n.contains(&net) && banned_since(n));
        self.end_ban(net);
        (!covered_anew).then_some(around)
    }

    /// Whether `ip` is banned by this inspector right now (its own ban or
    /// its network's).
    #[must_use]
    pub fn is_banned(&self, ip: IpAddr, now: Timestamp) -> bool {
        self.banned.covering(ip, now).is_some()
    }

    /// The ban policy (what a ban of a source covers).
    #[must_use]
    pub fn policy(&self) -> &BanPolicy {
        &self.policy
    }
}
