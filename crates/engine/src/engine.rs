//! The engine: feeds every message to the trust model, the call tracker, the
//! cause watchers and the detectors; keeps per-source accounting; emits
//! actions when a source turns malicious.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use ghostguard_packet::{Datagram, Timestamp};
use ghostguard_sip::{HeaderName, Message, ParseError};
use ipnet::IpNet;

use crate::cause::{alg::AlgWatch, exposure::Exposure, loops::LoopWatch};
use crate::config::{ConfigError, EngineConfig};
use crate::detector::{self, Detector};
use crate::event::Ctx;
use crate::finding::{Args, Evidence, Hit, Kind, push_arg};
use crate::ghost::Calls;
use crate::net::{PrefixList, canonical, is_private};
use crate::rules::Rules;
use crate::sources::{SourceState, Sources};
use crate::trust::Trust;

/// One input: a datagram and what the SIP parser made of it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub datagram: &'a Datagram<'a>,
    pub message: Result<&'a Message<'a>, &'a ParseError>,
}

/// Which part of the work [`Engine::handle_as`] does for a message. A
/// sharded analysis gives each message to the engine of its responder (a
/// request's destination, a response's source) and, when that is not the
/// engine of its requester (a request's source, a response's destination),
/// also to the requester's engine for what keeps state per requester: the
/// call tracker (a caller's INVITEs and the answers to them) and the
/// detectors of enumeration, password guessing, flood, sweep and toll fraud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything: what [`Engine::handle`] does.
    Whole,
    /// Everything but the per-requester part.
    Exchange,
    /// Only the per-requester part; nothing else is counted.
    Requester,
    /// Only what the trust model learns (registrations, answered calls), for
    /// a message neither of whose parties belongs to this engine: every
    /// engine of a sharded analysis must know the same phones and servers.
    /// See [`Engine::teaches_trust`] for which messages need it.
    Trust,
    /// Only the SIP ALG watch, in the one engine of a sharded analysis that
    /// runs it ([`Engine::set_alg_watch`]): the two copies of a message
    /// seen on both sides of a NAT router differ in the NATed party's
    /// address, so they may belong to different engines. See
    /// [`Engine::concerns_alg`] for which messages need it.
    Alg,
}

/// What the engine asks the edges to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// A source became malicious: record it, alert, and (under an enforcing
    /// policy) ban the network source address.
    Incident {
        source: IpAddr,
        evidence: Evidence,
        internal: bool,
    },
    /// Live use only ([`Engine::set_live`]): an initial INVITE from a source
    /// not trusted reached a possible phone: a ghost call in the making.
    Call(CallEvent),
}

/// A call toward a phone from an untrusted source, as [`Action::Call`]
/// reports it. Text fields are attacker-chosen and cut to 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub phone: IpAddr,
    pub source: IpAddr,
    pub caller: String,
    pub display: Option<String>,
    pub dialled: Option<String>,
    pub user_agent: Option<String>,
    pub time: Timestamp,
    pub source_internal: bool,
}

/// DoS: actions not drained by the caller are kept up to this many; older
/// ones are dropped and counted.
pub(crate) const MAX_PENDING_ACTIONS: usize = 10_000;

/// DoS: the activity timeline covers at most this many seconds (31 days)
/// after the first message; later traffic is counted in the last second.
pub(crate) const MAX_ACTIVITY_SECS: usize = 31 * 24 * 3600;

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
    /// Detector sets: `[0]` with the global thresholds, `[k]` for the
    /// requesters in `peer_nets[k - 1]` (per-peer thresholds).
    detectors: Vec<Vec<Box<dyn Detector>>>,
    peer_nets: Vec<IpNet>,
    pub(crate) sources: Sources,
    hits: Vec<(usize, usize, Hit)>,
    scratch: Vec<Hit>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) stats: EngineStats,
    pub(crate) first: Option<Timestamp>,
    pub(crate) last: Timestamp,
    /// This engine runs the SIP ALG watch (all but one engine of a sharded
    /// analysis leave it to that one).
    alg_watch: bool,
    /// Requests per second since `activity_base`.
    pub(crate) activity: Vec<u32>,
    /// The timeline's origin: the first message's time, never moved.
    pub(crate) activity_base: Option<Timestamp>,
}

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
            detectors: std::iter::once(&cfg.thresholds)
                .chain(cfg.peers.iter().map(|p| &p.thresholds))
                .map(|t| detector::all(t, &rules, cap))
                .collect(),
            peer_nets: cfg.peers.iter().map(|p| p.net).collect(),
            sources: Sources::with_keep(cap, SourceState::reported),
            hits: Vec::new(),
            scratch: Vec::new(),
            actions: VecDeque::new(),
            stats: EngineStats::default(),
            first: None,
            last: Timestamp::ZERO,
            alg_watch: true,
            activity: Vec::new(),
            activity_base: None,
            cfg,
        })
    }

    /// Whether an address is ours: a private range or a configured LAN prefix.
    #[must_use]
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        is_private(ip) || self.lan.contains(ip)
    }

    /// The names of the detectors, in the order they run.
    #[must_use]
    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors
            .first()
            .map(|set| set.iter().map(|d| d.name()).collect())
            .unwrap_or_default()
    }

    #[must_use]
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    fn count_activity(&mut self, ts: Timestamp) {
        // The origin is fixed at the first message: a packet older than it
        // (out-of-order files, a merged capture) counts in the first second
        // instead of shifting every later one.
        let first = *self.activity_base.get_or_insert(ts);
        let sec = ((ts.since(first).as_nanos() / 1_000_000_000) as usize).min(MAX_ACTIVITY_SECS);
        if self.activity.len() <= sec {
            self.activity.resize(sec + 1, 0);
        }
        self.activity[sec] = self.activity[sec].saturating_add(1);
    }

    /// Feeds one observation.
    pub fn handle(&mut self, obs: Observation<'_>) {
        self.handle_as(obs, Role::Whole);
    }

    /// Feeds one observation for part of the work (see [`Role`]).
    pub fn handle_as(&mut self, obs: Observation<'_>, role: Role) {
        match role {
            Role::Requester => return self.handle_requester(obs, true),
            Role::Trust => return self.handle_requester(obs, false),
            Role::Alg => return self.handle_alg(obs),
            Role::Whole | Role::Exchange => {}
        }
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
        // The sender's own MAC is on frames that crossed no router: their TTL
        // is still an initial value. A routed frame carries the router's MAC.
        let direct = matches!(d.ttl, 64 | 128 | 255) || (d.ttl == 0 && !d.hep);
        if src_internal && d.src_mac.is_some() && (direct || st.mac.is_none()) {
            st.mac = d.src_mac;
        }
        let m = match obs.message {
            Ok(m) => m,
            Err(e) => {
                st.malformed += 1;
                self.stats.unparseable += 1;
                let hit = Hit::new(src, Kind::Malformed, 10, "unparseable");
                self.record("parser", &hit, d.ts, || {
                    let mut a = Args::new();
                    push_arg(&mut a, "reason", e.to_string());
                    a
                });
                return;
            }
        };
        let mut ctx = Ctx::new(d, m, src, dst, src_internal, dst_internal, src_trusted);
        ctx.dst_phone = self.trust.is_phone(dst);
        ctx.src_registered_here = self.trust.registrar_of(src) == Some(dst);
        if ctx.is_request() {
            st.requests += 1;
            st.count_method(ctx.method);
            if let Some(ua) = ctx.user_agent {
                st.add_agent(ua, d.ts);
            }
        } else {
            st.responses += 1;
            if let Some(v) = m.header_value(HeaderName::Server) {
                st.add_agent(v, d.ts);
            }
        }
        // The full grammar check re-parses every header; run it only on
        // messages that already look wrong (a core header missing or not
        // parsing, a CSeq method that differs, a framing defect).
        let suspicious = ctx.call_id.is_none()
            || ctx.cseq.is_none()
            || ctx.via().is_none()
            || (ctx.is_request()
                && (ctx.from().is_none() || ctx.to().is_none() || ctx.ruri().is_none()))
            || m.header_value(HeaderName::From).is_none()
            || m.header_value(HeaderName::To).is_none()
            || ctx
                .method
                .is_some_and(|me| ctx.cseq.as_ref().is_some_and(|c| c.method != me))
            || !m.structural_defects().is_empty();
        let defects = if suspicious {
            m.defects()
        } else {
            m.structural_defects()
        };
        if !defects.is_empty() {
            st.malformed += 1;
            self.stats.with_defects += 1;
        }
        if ctx.is_request() {
            self.count_activity(d.ts);
        }
        if !defects.is_empty() {
            let hit = Hit::new(src, Kind::Malformed, 10, "defects");
            self.record("parser", &hit, d.ts, || {
                let mut a = Args::new();
                push_arg(
                    &mut a,
                    "defects",
                    defects.iter().collect::<Vec<_>>().join(", "),
                );
                a
            });
        }
        self.trust.observe(&ctx);
        if role == Role::Whole {
            self.calls.observe(&ctx, src_trusted);
            self.emit_call();
        }
        if self.alg_watch {
            self.alg.observe(&ctx);
        }
        self.loops.observe(&ctx);
        self.exposure.observe(&ctx);
        self.run_detectors(&ctx, role);
    }

    /// The per-requester part alone (trust learning, calls, detectors) for
    /// a message whose exchange another engine handles; with `requester`
    /// false, only the trust learning ([`Role::Trust`]).
    fn handle_requester(&mut self, obs: Observation<'_>, requester: bool) {
        let Ok(m) = obs.message else { return };
        let d = obs.datagram;
        let (src, dst) = (canonical(d.src.ip()), canonical(d.dst.ip()));
        let (src_internal, dst_internal) = (self.is_internal(src), self.is_internal(dst));
        let src_trusted = self.trust.is_trusted(src);
        let mut ctx = Ctx::new(d, m, src, dst, src_internal, dst_internal, src_trusted);
        // As `handle_as` does, so the detectors judge with the same facts.
        ctx.dst_phone = self.trust.is_phone(dst);
        ctx.src_registered_here = self.trust.registrar_of(src) == Some(dst);
        self.trust.observe(&ctx);
        if self.alg_watch {
            self.alg.observe(&ctx);
        }
        if !requester {
            return;
        }
        self.calls.observe(&ctx, src_trusted);
        self.emit_call();
        self.run_detectors(&ctx, Role::Requester);
    }

    /// The SIP ALG watch alone ([`Role::Alg`]).
    fn handle_alg(&mut self, obs: Observation<'_>) {
        let (Ok(m), true) = (obs.message, self.alg_watch) else {
            return;
        };
        let d = obs.datagram;
        let (src, dst) = (canonical(d.src.ip()), canonical(d.dst.ip()));
        let ctx = Ctx::new(d, m, src, dst, false, false, false);
        self.alg.observe(&ctx);
    }

    /// Whether this engine runs the SIP ALG watch (the default). A sharded
    /// analysis runs it in one engine, which gets every message that
    /// [`Engine::concerns_alg`] (as [`Role::Alg`] when the message is not
    /// otherwise its own).
    pub fn set_alg_watch(&mut self, on: bool) {
        self.alg_watch = on;
    }

    /// Whether the SIP ALG watch may look at a message, judged from its
    /// start line alone: an `INVITE` or `REGISTER` request, or a response.
    /// A superset of what it compares (requests and answers of `INVITE`
    /// and `REGISTER` transactions).
    #[must_use]
    pub fn concerns_alg(payload: &[u8]) -> bool {
        let line = start_line(payload);
        line.get(..4)
            .is_none_or(|p| p.eq_ignore_ascii_case(b"SIP/"))
            || opens_with_method(line, b"INVITE")
            || opens_with_method(line, b"REGISTER")
    }

    /// Whether a message may change what the trust model knows, judged from
    /// its start line alone (before parsing): a `REGISTER` request, or a
    /// response whose status is not known to be outside 101-299. A sharded
    /// analysis hands these to every engine ([`Role::Trust`]); the test is a
    /// superset of what `Trust::observe` learns from.
    #[must_use]
    pub fn teaches_trust(payload: &[u8]) -> bool {
        let line = start_line(payload);
        if line
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
        {
            let code = line
                .iter()
                .position(|&b| b == b' ' || b == b'\t')
                .and_then(|sp| line.get(sp + 1..sp + 4))
                .and_then(|c| std::str::from_utf8(c).ok())
                .and_then(|c| c.parse::<u16>().ok());
            return code.is_none_or(|c| (101..300).contains(&c));
        }
        opens_with_method(line, b"REGISTER")
    }

    fn run_detectors(&mut self, ctx: &Ctx<'_>, role: Role) {
        let mut hits = std::mem::take(&mut self.hits);
        let buf = &mut self.scratch;
        // The requester's thresholds: a peer override for its address, if any.
        let set = if self.peer_nets.is_empty() {
            0
        } else {
            let requester = if ctx.is_request() { ctx.src } else { ctx.dst };
            self.peer_nets
                .iter()
                .position(|n| n.contains(&requester))
                .map_or(0, |k| k + 1)
        };
        let Some(detectors) = self.detectors.get_mut(set) else {
            return;
        };
        for (i, det) in detectors.iter_mut().enumerate() {
            let wanted = match role {
                Role::Whole => true,
                Role::Exchange => !det.keyed_by_requester(),
                Role::Requester => det.keyed_by_requester(),
                Role::Trust | Role::Alg => false,
            };
            if wanted {
                det.on_message(ctx, buf);
                hits.extend(buf.drain(..).map(|h| (set, i, h)));
            }
        }
        for (set, i, hit) in hits.drain(..) {
            self.record_detector_hit(set, i, &hit, ctx);
        }
        self.hits = hits;
    }

    fn record_detector_hit(&mut self, set: usize, i: usize, hit: &Hit, ctx: &Ctx<'_>) {
        let Some(det) = self.detectors.get(set).and_then(|d| d.get(i)) else {
            return;
        };
        let name = det.name();
        let describe = || det.describe(hit, ctx);
        // Split borrows: `record` needs the other fields mutably.
        let (sources, trust, actions, stats, cfg, lan) = (
            &mut self.sources,
            &self.trust,
            &mut self.actions,
            &mut self.stats,
            &self.cfg,
            &self.lan,
        );
        record_into(
            sources, trust, actions, stats, cfg, lan, name, hit, ctx.ts, describe,
        );
    }

    fn record(
        &mut self,
        detector: &'static str,
        hit: &Hit,
        ts: Timestamp,
        describe: impl FnOnce() -> Args,
    ) {
        record_into(
            &mut self.sources,
            &self.trust,
            &mut self.actions,
            &mut self.stats,
            &self.cfg,
            &self.lan,
            detector,
            hit,
            ts,
            describe,
        );
    }

    /// Live use (`guard`): new calls toward phones from untrusted sources
    /// are handed out as [`Action::Call`], and the call list starts over
    /// when full instead of keeping the first calls for a report.
    pub fn set_live(&mut self) {
        self.calls.streaming = true;
    }

    fn emit_call(&mut self) {
        if !self.calls.streaming {
            return;
        }
        let Some(c) = self.calls.take_new() else {
            return;
        };
        let cut = |s: &str| {
            let mut end = s.len().min(128);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_string()
        };
        let ev = CallEvent {
            phone: c.phone,
            source: c.source,
            caller: cut(&c.caller),
            display: c.display.as_deref().map(cut),
            dialled: c.callee.as_deref().map(cut),
            user_agent: c.user_agent.as_deref().map(cut),
            time: c.time,
            source_internal: c.source_internal,
        };
        push_action(&mut self.actions, &mut self.stats, Action::Call(ev));
    }

    /// Replaces the configured trusted servers (a DNS refresh, a reload).
    pub fn set_trusted(&mut self, nets: Vec<IpNet>) {
        self.trust.set_given(nets);
    }

    /// The link-layer address a source was seen sending from (LAN hosts).
    #[must_use]
    pub fn source_mac(&self, ip: IpAddr) -> Option<[u8; 6]> {
        self.sources.peek(&canonical(ip)).and_then(|s| s.mac)
    }

    /// What the engine holds against `ip` so far: 0 nothing, 1 evidence
    /// below the malicious threshold (suspect), 2 reported as malicious.
    #[must_use]
    pub fn standing(&self, ip: IpAddr) -> u8 {
        match self.sources.peek(&canonical(ip)) {
            Some(s) if s.reported() => 2,
            Some(s) if !s.evidence.is_empty() => 1,
            _ => 0,
        }
    }

    /// Whether `ip` is a trusted server (configured, or inferred where
    /// inference is on).
    #[must_use]
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trust.is_trusted(canonical(ip))
    }

    /// Whether `ip` registered successfully (a phone of this registrar).
    #[must_use]
    pub fn registered(&self, ip: IpAddr) -> bool {
        self.trust.registrar_of(canonical(ip)).is_some()
    }

    /// A phone (an address that registered, or answered a call) inside
    /// `net`, if the engine knows one. Scans the bounded phone table; for
    /// decisions such as how wide a ban may be, not per packet.
    #[must_use]
    pub fn phone_in(&self, net: IpNet) -> Option<IpAddr> {
        self.trust
            .phones
            .keys()
            .copied()
            .find(|ip| net.contains(ip))
    }

    /// Forgets what a source did, so that new abuse reports it again (its
    /// ban ran out or an operator lifted it). The detectors' windows are
    /// kept: they age out by themselves.
    pub fn forget(&mut self, ip: IpAddr) {
        self.sources.remove(&canonical(ip));
    }

    /// The next action the edges should carry out; drain until `None`.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

/// The payload from its first byte that is not CR or LF (the parser skips
/// those, RFC 3261 §7.5).
fn start_line(payload: &[u8]) -> &[u8] {
    let start = payload
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(payload.len());
    &payload[start..]
}

/// Whether a start line opens with `method` (any case) and a space or tab,
/// or is too short to tell (the tests built on this are supersets).
fn opens_with_method(line: &[u8], method: &[u8]) -> bool {
    line.get(..method.len() + 1).is_none_or(|p| {
        p[..method.len()].eq_ignore_ascii_case(method) && matches!(p[method.len()], b' ' | b'\t')
    })
}

#[allow(clippy::too_many_arguments)]
fn record_into(
    sources: &mut Sources,
    trust: &Trust,
    actions: &mut VecDeque<Action>,
    stats: &mut EngineStats,
    cfg: &EngineConfig,
    lan: &PrefixList,
    detector: &'static str,
    hit: &Hit,
    ts: Timestamp,
    describe: impl FnOnce() -> Args,
) {
    let internal = is_private(hit.source) || lan.contains(hit.source);
    let st = sources.entry(&hit.source);
    if st.messages == 0 {
        // Evidence against a source we have not seen send (e.g. the
        // requester of answered brute-force attempts in a one-sided capture).
        st.first = ts;
        st.last = ts;
        st.internal = internal;
    }
    st.add_hit(detector, hit, ts, describe);
    // An incident when a source turns malicious, and again for each kind of
    // abuse it goes on to show (a scanner's password guessing after its
    // signature) and for a stronger sign of one (the guess that succeeded):
    // under observe and monitor nothing stops the source, and the incident
    // list must say what it did. One message's several fingerprints of the
    // same kind stay one incident.
    let threshold = cfg.thresholds.malicious_confidence;
    let kind = hit.kind as usize;
    let reported_kind = st.reported_kinds.get(kind).copied().unwrap_or(u8::MAX);
    if hit.confidence >= threshold
        && st.max_confidence >= threshold
        && hit.confidence > reported_kind
    {
        if trust.is_trusted(hit.source) || trust.is_allowlisted(hit.source) {
            return;
        }
        if let Some(c) = st.reported_kinds.get_mut(kind) {
            *c = hit.confidence;
        }
        let evidence = st
            .evidence
            .iter()
            .find(|e| e.detector == detector && e.code == hit.code && e.key == hit.key)
            .cloned()
            .unwrap_or_else(|| Evidence::new(detector, hit.kind, hit.confidence, hit.code, ts));
        push_action(
            actions,
            stats,
            Action::Incident {
                source: hit.source,
                evidence,
                internal,
            },
        );
    }
}

fn push_action(actions: &mut VecDeque<Action>, stats: &mut EngineStats, a: Action) {
    if actions.len() >= MAX_PENDING_ACTIONS {
        actions.pop_front();
        stats.actions_dropped += 1;
    }
    actions.push_back(a);
}

#[cfg(test)]
mod tests {
    use super::Engine;

    #[test]
    fn what_concerns_the_alg_watch() {
        for yes in [
            &b"INVITE sip:100@pbx SIP/2.0\r\n"[..],
            b"\r\nregister sip:pbx SIP/2.0\r\n",
            b"SIP/2.0 100 Trying\r\n",
            b"SIP/2.0 401 Unauthorized\r\n",
            b"INV",
        ] {
            assert!(
                Engine::concerns_alg(yes),
                "{}",
                String::from_utf8_lossy(yes)
            );
        }
        for no in [
            &b"OPTIONS sip:100@pbx SIP/2.0\r\n"[..],
            b"BYE sip:100@pbx SIP/2.0\r\n",
            b"INVITEX sip:pbx SIP/2.0\r\n",
            b"ACK sip:100@pbx SIP/2.0\r\n",
        ] {
            assert!(!Engine::concerns_alg(no), "{}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn what_teaches_trust() {
        for yes in [
            &b"REGISTER sip:pbx SIP/2.0\r\n"[..],
            b"\r\nREGISTER sip:pbx SIP/2.0\r\n",
            b"SIP/2.0 200 OK\r\n",
            b"SIP/2.0 180 Ringing\r\n",
            b"sip/2.0 101 x\r\n",
            // Unreadable status: a superset is safe.
            b"SIP/2.0 2x0 OK\r\n",
            b"SIP/2.0",
            b"REG",
        ] {
            assert!(
                Engine::teaches_trust(yes),
                "{}",
                String::from_utf8_lossy(yes)
            );
        }
        for no in [
            &b"INVITE sip:100@pbx SIP/2.0\r\n"[..],
            b"OPTIONS sip:100@pbx SIP/2.0\r\n",
            b"REGISTERX sip:pbx SIP/2.0\r\n",
            b"SIP/2.0 100 Trying\r\n",
            b"SIP/2.0 401 Unauthorized\r\n",
            b"SIP/2.0 404 Not Found\r\n",
        ] {
            assert!(
                !Engine::teaches_trust(no),
                "{}",
                String::from_utf8_lossy(no)
            );
        }
    }
}
