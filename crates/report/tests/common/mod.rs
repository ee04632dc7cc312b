//! Hand-built analyses: builders here, the situations in `situations.rs`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

mod situations;
pub use situations::*;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ghostguard_engine::analysis::{
    GhostCall, PhoneReport, SourceReport, Summary, Timeline, TrustedReport,
};
use ghostguard_engine::cause::{Cause, CauseEvidence, CauseKind};
use ghostguard_engine::{Analysis, Engine, EngineConfig, Evidence, Kind, Rules};
use ghostguard_packet::Timestamp;
use ghostguard_report::{Format, InputSummary, Lang, ReportMeta, render_to_string};

/// 2026-11-20T14:00:00Z.
const BASE: i64 = 1_795_183_200;
pub const PHONE: &str = "192.168.1.20";
pub const REGISTRAR: &str = "198.51.100.10";
pub const PUBLIC: &str = "203.0.113.7";
pub const SVMAP: &str = "192.0.2.66";
pub const SVWAR: &str = "192.0.2.44";
pub const INFECTED: &str = "192.168.1.66";
pub const INFECTED_MAC: &str = "b8:27:eb:12:34:56";

pub fn ts(secs: i64) -> Timestamp {
    Timestamp::from_parts(BASE + secs, 0)
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn ev(
    kind: Kind,
    conf: u8,
    code: &'static str,
    at: i64,
    count: u64,
    args: &[(&'static str, &str)],
) -> Evidence {
    let mut e = Evidence::new("test", kind, conf, code, ts(at));
    for (k, v) in args {
        e = e.arg(k, *v);
    }
    e.count = count;
    e.last_seen = ts(at + count as i64);
    e
}

pub fn cev(code: &'static str, args: &[(&'static str, &str)]) -> CauseEvidence {
    args.iter()
        .fold(CauseEvidence::new(code), |e, (k, v)| e.arg(k, v))
}

pub fn cause(kind: CauseKind, confidence: u8, evidence: Vec<CauseEvidence>) -> Cause {
    Cause::found(kind, confidence, evidence)
}

/// A source that sent `messages` requests between `first` and `last`.
pub fn source(
    addr: &str,
    internal: bool,
    first: i64,
    last: i64,
    messages: u64,
    method: &'static str,
) -> SourceReport {
    SourceReport {
        address: ip(addr),
        malicious: false,
        kinds: Vec::new(),
        confidence: 0,
        internal,
        trusted: None,
        mac: None,
        vendor: None,
        tools: Vec::new(),
        evidence: Vec::new(),
        first_seen: ts(first),
        last_seen: ts(last),
        messages,
        requests: messages,
        responses: 0,
        methods: BTreeMap::from([(method, messages)]),
        malformed: 0,
        user_agents: Vec::new(),
    }
}

pub fn call(
    from: &str,
    phone: &str,
    at: i64,
    caller: &str,
    display: Option<&str>,
    answered: bool,
) -> GhostCall {
    GhostCall {
        phone: ip(phone),
        source: ip(from),
        source_internal: ip(from).is_ipv4() && from.starts_with("192.168."),
        caller: caller.to_string(),
        display: display.map(str::to_string),
        callee: Some(caller.to_string()),
        time: ts(at),
        rang: true,
        answered,
        final_status: Some(if answered { 200 } else { 487 }),
        user_agent: Some("friendly-scanner".to_string()),
    }
}

/// The engine's own answer for a configured trusted server (its
/// `TrustReason` cannot be named outside the engine).
pub fn configured_trust() -> TrustedReport {
    let cfg = EngineConfig {
        trusted: vec![format!("{REGISTRAR}/32").parse().unwrap()],
        ..EngineConfig::default()
    };
    let engine = Engine::new(cfg, Rules::default_rules().unwrap()).unwrap();
    engine.finish().trusted.remove(0)
}

/// The registrar and the phone, talking normally.
fn normal_traffic() -> (Vec<SourceReport>, Vec<PhoneReport>, Vec<TrustedReport>) {
    let trust = configured_trust();
    let mut registrar = source(REGISTRAR, false, 0, 590, 24, "INVITE");
    registrar.trusted = Some(trust.reason);
    let mut phone = source(PHONE, true, 1, 591, 30, "REGISTER");
    phone.user_agents = vec!["Yealink SIP-T46U 108.86.0.45".into()];
    let phones = vec![PhoneReport {
        address: ip(PHONE),
        registrar: Some(ip(REGISTRAR)),
        ghost_calls: 0,
    }];
    (vec![registrar, phone], phones, vec![trust])
}

/// Builds the analysis and fills the summary and phone counts from the parts.
pub fn analysis(
    mut sources: Vec<SourceReport>,
    ghost_calls: Vec<GhostCall>,
    causes: Vec<Cause>,
    requests: Vec<u64>,
) -> Analysis {
    let (normal, mut phones, trusted) = normal_traffic();
    sources.sort_by(|a, b| {
        b.malicious
            .cmp(&a.malicious)
            .then(b.confidence.cmp(&a.confidence))
    });
    sources.extend(normal);
    for g in &ghost_calls {
        match phones.iter_mut().find(|p| p.address == g.phone) {
            Some(p) => p.ghost_calls += 1,
            None => phones.push(PhoneReport {
                address: g.phone,
                registrar: None,
                ghost_calls: 1,
            }),
        }
    }
    let summary = Summary {
        messages: sources.iter().map(|s| s.messages).sum(),
        unparseable: 0,
        with_defects: 1,
        sources: sources.len() as u64,
        malicious_sources: sources.iter().filter(|s| s.malicious).count() as u64,
        ghost_calls: ghost_calls.len() as u64,
        phones: phones.len() as u64,
        first_seen: Some(ts(0)),
        last_seen: Some(ts(600)),
        calls_not_tracked: 0,
        sources_evicted: 0,
    };
    let timeline = Timeline {
        start: ts(0),
        bucket_secs: 10,
        requests,
    };
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

pub fn meta() -> ReportMeta {
    ReportMeta {
        kind: ghostguard_report::ReportKind::Analyze,
        version: "0.1.0",
        inputs: vec![InputSummary {
            path: "office.pcapng".into(),
            format: "pcapng".into(),
            frames: 1234,
            bytes: 456_789,
            error: None,
        }],
        decode: vec![
            ("frames".into(), 1234),
            ("sip".into(), 1180),
            ("not_sip".into(), 54),
        ],
        generated_by: "ghostguard 0.1.0 analyze office.pcapng".into(),
    }
}

pub fn show(a: &Analysis, format: Format, lang: Lang) -> String {
    render_to_string(a, &meta(), format, lang, false).unwrap()
}
