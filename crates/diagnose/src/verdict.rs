//! One verdict per cause from what `diagnose` tested and captured, in the
//! engine's shared cause model: found, not found, or not tested and why.
//!
//! | cause | found when | not found when | not tested when |
//! |---|---|---|---|
//! | sip-alg | an echo came back changed (or the capture saw a rewrite) | every echo came back unchanged | no echo came back |
//! | port-forward | the probe of our public address was answered in SIP (or the capture saw internet SIP reach the LAN) | the probe got no SIP answer | the probe could not run |
//! | infected-host, loop | the capture saw it | the capture ran and did not | the capture failed |
//! | open-phone | a phone rang for a stranger in the capture | strangers' INVITEs were seen and none rang | no stranger's INVITE during the capture |
//! | hardware-nat | the UDP source port was rewritten (a hint, 50%), or the NAT binding expired before the REGISTER interval (80%) | the port was kept and the binding, if tested, outlived the interval | no UDP echo came back and no binding test ran |
//! | old-router | the router's maker is unknown (a hint, 40%) | never: age cannot be seen on the network | always otherwise, naming the maker |

use std::net::SocketAddr;

use ghostguard_engine::cause::{Cause, CauseEvidence, CauseKind, Remedy, Verdict};

use crate::alg::Comparison;
use crate::binding::{Binding, Judgement, RegisterInterval, judge};
use crate::wire::{ProbeOutcome, Transport};

/// One echo test over one transport and port.
#[derive(Debug, Clone)]
pub struct AlgTest {
    pub transport: Transport,
    pub port: u16,
    pub outcome: AlgOutcome,
}

/// What one echo test gave.
#[derive(Debug, Clone)]
pub enum AlgOutcome {
    /// The echo came back and was compared.
    Compared {
        comparison: Comparison,
        /// Our own address and port (as written into the message).
        local: SocketAddr,
        /// Where the reflector saw us come from.
        observed: Option<SocketAddr>,
    },
    /// No usable echo; the text says why.
    Failed(String),
}

/// The exposure probe.
#[derive(Debug, Clone)]
pub enum Exposure {
    Done {
        target: SocketAddr,
        outcome: ProbeOutcome,
    },
    NotRun(String),
}

/// The live capture.
#[derive(Debug, Clone)]
pub enum Capture {
    Ran {
        interface: String,
        seconds: u64,
        sip_messages: u64,
    },
    Failed(String),
}

/// The default gateway as seen from the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub address: String,
    pub mac: Option<String>,
    pub vendor: Option<String>,
}

/// Everything `diagnose` learned.
#[derive(Debug, Clone)]
pub struct Findings {
    /// The reflector as given (`host:port`).
    pub reflector: String,
    pub alg: Vec<AlgTest>,
    pub exposure: Exposure,
    pub capture: Capture,
    /// Causes the engine found in the capture (all `Found`).
    pub local: Vec<Cause>,
    /// Ghost calls (strangers' INVITEs to phones) in the capture.
    pub ghost_calls: usize,
    pub gateway: Option<Gateway>,
    /// The NAT binding lifetime test.
    pub binding: Binding,
    /// The shortest REGISTER interval the capture showed.
    pub register_interval: Option<u32>,
}

fn ev(code: &'static str) -> CauseEvidence {
    CauseEvidence::new(code)
}

fn sip_alg(f: &Findings) -> Cause {
    let mut rewritten = Vec::new();
    let mut clean = Vec::new();
    let mut failed = Vec::new();
    for t in &f.alg {
        let tag = |code| ev(code).arg("transport", t.transport).arg("port", t.port);
        match &t.outcome {
            AlgOutcome::Compared { comparison, .. } if comparison.unchanged() => {
                clean.push(tag("alg-unchanged"));
            }
            AlgOutcome::Compared { comparison, .. } => {
                let mut e = tag("alg-rewritten").arg("fields", comparison.fields().join(", "));
                if comparison.unparseable {
                    e = e.arg("fields", "the whole message (no longer SIP)");
                }
                if let Some(c) = comparison
                    .changes
                    .iter()
                    .find(|c| c.field != "Content-Length")
                {
                    e = e
                        .arg("field", &c.field)
                        .arg("sent", &c.sent)
                        .arg("received", &c.received);
                }
                rewritten.push(e);
            }
            AlgOutcome::Failed(why) => failed.push(tag("alg-no-answer").arg("error", why)),
        }
    }
    let local = local(f, CauseKind::SipAlg);
    if !rewritten.is_empty() || local.is_some() {
        let conf = if rewritten.is_empty() { 0 } else { 95 };
        let mut evidence = rewritten;
        evidence.extend(clean);
        evidence.extend(failed);
        return with_local(Cause::found(CauseKind::SipAlg, conf, evidence), local);
    }
    if !clean.is_empty() {
        clean.extend(failed);
        return Cause::not_found(CauseKind::SipAlg, clean);
    }
    let error = failed
        .first()
        .and_then(|e| e.args.iter().find(|(k, _)| *k == "error"))
        .map_or_else(|| "no test ran".to_string(), |(_, v)| v.clone());
    let mut c = Cause::not_tested(
        CauseKind::SipAlg,
        ev("reflector-unreachable")
            .arg("reflector", &f.reflector)
            .arg("error", error),
    );
    c.evidence = failed;
    c
}

fn local(f: &Findings, kind: CauseKind) -> Option<&Cause> {
    f.local.iter().find(|c| c.cause == kind && c.is_found())
}

/// Adds the capture's evidence to a found cause (keeping the higher
/// confidence, and the capture's remedies: it may have narrowed them).
fn with_local(mut c: Cause, local: Option<&Cause>) -> Cause {
    if let Some(l) = local {
        c.confidence = c.confidence.max(l.confidence);
        c.evidence.extend(l.evidence.iter().cloned());
        c.remedies.clone_from(&l.remedies);
    }
    c
}

fn port_forward(f: &Findings) -> Cause {
    let local = local(f, CauseKind::PortForward);
    let (target, outcome) = match &f.exposure {
        Exposure::Done { target, outcome } => (target, outcome),
        Exposure::NotRun(why) => {
            return match local {
                Some(l) => l.clone(),
                None => Cause::not_tested(
                    CauseKind::PortForward,
                    ev("probe-not-run").arg("error", why),
                ),
            };
        }
    };
    let code = match outcome {
        ProbeOutcome::Answered { .. } => "probe-answered",
        ProbeOutcome::NonSip => "probe-non-sip",
        ProbeOutcome::Closed => "probe-closed",
        _ => "probe-silent",
    };
    let mut e = ev(code).arg("target", target);
    let conf = match outcome {
        ProbeOutcome::Answered { status, agent } => {
            e = e.arg("status", status);
            if !agent.is_empty() {
                e = e.arg("agent", agent);
            }
            95
        }
        ProbeOutcome::NonSip => 50,
        _ => 0,
    };
    match (conf, local) {
        (0, None) => Cause::not_found(CauseKind::PortForward, vec![e]),
        (0, Some(l)) => {
            // The capture saw the internet reach the LAN although the probe
            // did not: an opening for some sources only (or a closed one).
            let mut c = l.clone();
            c.evidence.push(e);
            c
        }
        (conf, l) => with_local(Cause::found(CauseKind::PortForward, conf, vec![e]), l),
    }
}

fn from_capture(f: &Findings, kind: CauseKind) -> Cause {
    if let Some(l) = local(f, kind) {
        return l.clone();
    }
    match &f.capture {
        Capture::Failed(why) => Cause::not_tested(kind, ev("capture-failed").arg("error", why)),
        Capture::Ran {
            interface,
            seconds,
            sip_messages,
        } => {
            let clean = ev("capture-clean")
                .arg("interface", interface)
                .arg("seconds", seconds)
                .arg("messages", sip_messages);
            if kind == CauseKind::OpenPhone && f.ghost_calls == 0 {
                let mut c =
                    Cause::not_tested(kind, ev("no-stranger-invite").arg("seconds", seconds));
                c.evidence.push(clean);
                return c;
            }
            Cause::not_found(kind, vec![clean])
        }
    }
}

fn hardware_nat(f: &Findings) -> Cause {
    let mut rewritten = Vec::new();
    let mut kept = Vec::new();
    for t in f.alg.iter().filter(|t| t.transport == Transport::Udp) {
        if let AlgOutcome::Compared {
            local,
            observed: Some(o),
            ..
        } = &t.outcome
        {
            let e = |code| {
                ev(code)
                    .arg("transport", t.transport)
                    .arg("port", t.port)
                    .arg("local", local)
                    .arg("observed", o)
            };
            if o.port() == local.port() {
                kept.push(e("source-port-kept"));
            } else {
                rewritten.push(e("source-port-rewritten"));
            }
        }
    }
    let interval = RegisterInterval::from_capture(f.register_interval);
    let judged = match &f.binding {
        Binding::NotRun(why) if why.is_empty() => Judgement::NotTested(ev("binding-not-tested")),
        b => judge(b, interval),
    };
    if let Judgement::Short(e) = judged {
        let mut evidence = vec![e];
        evidence.extend(rewritten);
        evidence.extend(kept);
        let mut c = Cause::found(CauseKind::HardwareNat, 80, evidence);
        c.remedies.insert(0, Remedy::ShortenRegisterInterval);
        return c;
    }
    let (extra, reason) = match judged {
        Judgement::Kept(e) => (Some(e), None),
        Judgement::Unclear(e) | Judgement::NotTested(e) => (None, Some(e)),
        Judgement::Short(_) => (None, None),
    };
    if !rewritten.is_empty() {
        rewritten.extend(extra);
        let mut c = Cause::found(CauseKind::HardwareNat, 50, rewritten);
        c.reason = reason;
        c
    } else if !kept.is_empty() || extra.is_some() {
        kept.extend(extra);
        let mut c = Cause::not_found(CauseKind::HardwareNat, kept);
        c.reason = reason;
        c
    } else {
        Cause::not_tested(
            CauseKind::HardwareNat,
            ev("reflector-unreachable")
                .arg("reflector", &f.reflector)
                .arg("error", "no UDP echo came back"),
        )
    }
}

fn old_router(f: &Findings) -> Cause {
    let Some(g) = f.gateway.as_ref().filter(|g| g.mac.is_some()) else {
        return Cause::not_tested(CauseKind::OldRouter, ev("gateway-not-found"));
    };
    let mut e = ev("gateway").arg("address", &g.address);
    if let Some(m) = &g.mac {
        e = e.arg("mac", m);
    }
    match &g.vendor {
        Some(v) => {
            let mut c = Cause::not_tested(
                CauseKind::OldRouter,
                ev("router-age-unknown").arg("vendor", v),
            );
            c.evidence.push(e.arg("vendor", v));
            c
        }
        None => Cause::found(CauseKind::OldRouter, 40, vec![e]),
    }
}

/// The verdict on every cause, found ones first (each group in the order
/// to fix them).
#[must_use]
pub fn causes(f: &Findings) -> Vec<Cause> {
    let mut out: Vec<Cause> = CauseKind::ALL
        .iter()
        .map(|&k| match k {
            CauseKind::SipAlg => sip_alg(f),
            CauseKind::PortForward => port_forward(f),
            CauseKind::HardwareNat => hardware_nat(f),
            CauseKind::OldRouter => old_router(f),
            other => from_capture(f, other),
        })
        .collect();
    let rank = |v: Verdict| match v {
        Verdict::Found => 0,
        Verdict::NotFound => 1,
        _ => 2,
    };
    out.sort_by_key(|c| (rank(c.verdict), Cause::priority(c.cause)));
    out
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
