//! The report as translated text, shared by the terminal and HTML formats.
//! Strings here still hold raw network data: the terminal writer sanitises
//! them and the HTML template escapes them.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ghostguard_engine::Analysis;
use ghostguard_engine::analysis::{GhostCall, SourceReport, format_ts};
use ghostguard_engine::cause::Verdict;

use crate::i18n::{cause_name, kind_name, level, tr, tr_args, trust_name};
use crate::plan::{Step, plan};
use crate::sentence::{and_more, call_result, cause_evidence_sentence, evidence_sentence};
use crate::{Lang, ReportKind, ReportMeta};

/// Evidence sentences shown per source before "…and N more".
const MAX_EVIDENCE: usize = 6;

/// How the verdict reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Ghost,
    Abuse,
    Clean,
}

#[derive(Debug)]
pub(crate) struct CallRow {
    pub time: String,
    pub caller: String,
    /// The number or extension dialled.
    pub called: String,
    pub source: String,
    pub place: String,
    pub result: String,
    pub user_agent: String,
}

#[derive(Debug)]
pub(crate) struct PhoneView {
    pub title: String,
    pub calls: Vec<CallRow>,
}

#[derive(Debug)]
pub(crate) struct SourceView {
    pub address: String,
    pub place: String,
    pub confidence: String,
    pub kinds: String,
    pub tools: String,
    pub device: String,
    pub evidence: Vec<String>,
    pub messages: String,
    pub seen: String,
    pub user_agents: String,
}

#[derive(Debug)]
pub(crate) struct CauseView {
    pub title: String,
    /// `found`, `not-found` or `not-tested` (a CSS class in HTML).
    pub verdict: &'static str,
    /// Why it could not be tested (or what limits the verdict); may be empty.
    pub reason: String,
    pub evidence: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct View {
    pub lang: Lang,
    pub title: String,
    pub version: &'static str,
    pub inputs: Vec<String>,
    pub decode: String,
    pub span: String,
    pub tone: Tone,
    pub verdict: String,
    pub top_cause: String,
    pub phones: Vec<PhoneView>,
    pub sources: Vec<SourceView>,
    pub causes: Vec<CauseView>,
    /// The message id of the causes heading (diagnose lists every cause).
    pub causes_heading: String,
    pub steps: Vec<Step>,
    pub other: String,
    pub trusted: Vec<String>,
    pub bounds: String,
    pub generated_by: String,
}

impl View {
    /// A message of the catalogue (used for headings and labels).
    pub(crate) fn t(&self, id: &str) -> String {
        tr(self.lang, id)
    }

    /// A message of the catalogue with arguments.
    pub(crate) fn t_args(&self, id: &str, args: &[(&str, String)]) -> String {
        tr_args(self.lang, id, args)
    }

    pub(crate) fn build(a: &Analysis, meta: &ReportMeta, lang: Lang) -> View {
        let n = |v: u64| v.to_string();
        let inputs = meta.inputs.iter().map(|i| {
            let path = ("path", i.path.clone());
            match &i.error {
                Some(e) => tr_args(lang, "input-error", &[path, ("error", e.clone())]),
                None => tr_args(
                    lang,
                    "input-line",
                    &[
                        path,
                        ("format", i.format.clone()),
                        ("frames", n(i.frames)),
                        ("bytes", n(i.bytes)),
                    ],
                ),
            }
        });
        let counters: Vec<String> = meta
            .decode
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let s = &a.summary;
        let span = match (s.first_seen, s.last_seen) {
            (Some(f), Some(l)) => tr_args(
                lang,
                "capture-span",
                &[
                    ("first", format_ts(f)),
                    ("last", format_ts(l)),
                    ("messages", n(s.messages)),
                    ("sources", n(s.sources)),
                ],
            ),
            _ => String::new(),
        };
        let diagnose = meta.kind == ReportKind::Diagnose;
        let (tone, verdict) = if diagnose {
            diagnose_verdict(a, lang)
        } else {
            verdict(a, lang)
        };
        let top_cause = a
            .causes
            .iter()
            .find(|c| c.is_found())
            .map_or_else(String::new, |c| {
                tr_args(
                    lang,
                    "verdict-cause",
                    &[
                        ("cause", cause_name(c.cause, lang)),
                        ("level", level(c.confidence, lang)),
                        ("percent", c.confidence.to_string()),
                    ],
                )
            });
        let bounds = if s.calls_not_tracked + s.sources_evicted > 0 {
            tr_args(
                lang,
                "bounds-line",
                &[
                    ("calls", n(s.calls_not_tracked)),
                    ("sources", n(s.sources_evicted)),
                ],
            )
        } else {
            String::new()
        };
        View {
            lang,
            title: tr(
                lang,
                if diagnose {
                    "diagnose-title"
                } else {
                    "report-title"
                },
            ),
            version: meta.version,
            inputs: inputs.collect(),
            decode: if counters.is_empty() {
                String::new()
            } else {
                tr_args(lang, "decode-line", &[("counters", counters.join(", "))])
            },
            span,
            tone,
            verdict,
            top_cause,
            phones: phones(a, lang),
            sources: a
                .sources
                .iter()
                .filter(|s| s.malicious)
                .map(|s| source(s, lang))
                .collect(),
            causes: causes(a, lang),
            causes_heading: if diagnose {
                "heading-verdicts"
            } else {
                "heading-causes"
            }
            .to_string(),
            steps: plan(a, lang),
            other: other(a, lang),
            trusted: a
                .trusted
                .iter()
                .map(|t| {
                    tr_args(
                        lang,
                        "trusted-line",
                        &[
                            ("address", t.address.clone()),
                            ("reason", trust_name(&t.reason, lang)),
                        ],
                    )
                })
                .collect(),
            bounds,
            generated_by: if meta.generated_by.is_empty() {
                String::new()
            } else {
                tr_args(lang, "generated-by", &[("by", meta.generated_by.clone())])
            },
        }
    }
}

fn count_distinct<T: Ord>(items: impl Iterator<Item = T>) -> usize {
    items.collect::<BTreeSet<T>>().len()
}

fn verdict(a: &Analysis, lang: Lang) -> (Tone, String) {
    let calls = &a.ghost_calls;
    let malicious = a.sources.iter().filter(|s| s.malicious).count();
    if !calls.is_empty() {
        let args = [
            ("calls", calls.len().to_string()),
            (
                "phones",
                count_distinct(calls.iter().map(|g| g.phone)).to_string(),
            ),
            (
                "sources",
                count_distinct(calls.iter().map(|g| g.source)).to_string(),
            ),
        ];
        (Tone::Ghost, tr_args(lang, "verdict-ghost", &args))
    } else if malicious > 0 {
        (
            Tone::Abuse,
            tr_args(lang, "verdict-abuse", &[("sources", malicious.to_string())]),
        )
    } else {
        (Tone::Clean, tr(lang, "verdict-clean"))
    }
}

fn place(lang: Lang, internal: bool) -> String {
    tr(
        lang,
        if internal {
            "where-internal"
        } else {
            "where-external"
        },
    )
}

/// `"display" <user>`, or the user alone.
pub(crate) fn caller_id(g: &GhostCall) -> String {
    match g.display.as_deref() {
        Some(d) if !d.is_empty() => format!("\"{d}\" <{}>", g.caller),
        _ => g.caller.clone(),
    }
}

fn phones(a: &Analysis, lang: Lang) -> Vec<PhoneView> {
    let mut order: Vec<IpAddr> = a
        .phones
        .iter()
        .filter(|p| p.ghost_calls > 0)
        .map(|p| p.address)
        .collect();
    for g in &a.ghost_calls {
        if !order.contains(&g.phone) {
            order.push(g.phone);
        }
    }
    order
        .into_iter()
        .map(|phone| {
            let calls: Vec<CallRow> = a
                .ghost_calls
                .iter()
                .filter(|g| g.phone == phone)
                .map(|g| CallRow {
                    time: format_ts(g.time),
                    caller: caller_id(g),
                    called: g.callee.clone().unwrap_or_default(),
                    source: g.source.to_string(),
                    place: place(lang, g.source_internal),
                    result: call_result(lang, g.rang, g.answered, g.final_status),
                    user_agent: g.user_agent.clone().unwrap_or_default(),
                })
                .collect();
            let args = [
                ("phone", phone.to_string()),
                ("calls", calls.len().to_string()),
            ];
            PhoneView {
                title: tr_args(lang, "phone-line", &args),
                calls,
            }
        })
        .collect()
}

fn source(s: &SourceReport, lang: Lang) -> SourceView {
    let kinds: Vec<String> = s.kinds.iter().map(|k| kind_name(*k, lang)).collect();
    let mut evidence: Vec<String> = s
        .evidence
        .iter()
        .take(MAX_EVIDENCE)
        .map(|e| evidence_sentence(e, lang))
        .collect();
    evidence.extend(and_more(lang, MAX_EVIDENCE, s.evidence.len()));
    let mut methods: String = s
        .methods
        .iter()
        .map(|(m, c)| format!("{m} {c}, "))
        .collect();
    methods.truncate(methods.len().saturating_sub(2));
    let mut extra = if methods.is_empty() {
        String::new()
    } else {
        format!("; {methods}")
    };
    if s.malformed > 0 {
        extra.push_str(&tr_args(
            lang,
            "malformed-line",
            &[("malformed", s.malformed.to_string())],
        ));
    }
    let device = match (&s.mac, s.internal) {
        (Some(mac), true) => {
            let vendor = s
                .vendor
                .clone()
                .unwrap_or_else(|| tr(lang, "unknown-vendor"));
            tr_args(
                lang,
                "device-line",
                &[("mac", mac.clone()), ("vendor", vendor)],
            )
        }
        _ => String::new(),
    };
    SourceView {
        address: s.address.to_string(),
        place: place(lang, s.internal),
        confidence: format!("{} ({}%)", level(s.confidence, lang), s.confidence),
        kinds: kinds.join(", "),
        tools: s.tools.join(", "),
        device,
        evidence,
        messages: tr_args(
            lang,
            "messages-line",
            &[
                ("messages", s.messages.to_string()),
                ("requests", s.requests.to_string()),
                ("responses", s.responses.to_string()),
                ("methods", extra),
            ],
        ),
        seen: tr_args(
            lang,
            "seen-line",
            &[
                ("first", format_ts(s.first_seen)),
                ("last", format_ts(s.last_seen)),
            ],
        ),
        user_agents: s.user_agents.join("; "),
    }
}

/// The verdict line of a diagnosis: the causes found, or none.
fn diagnose_verdict(a: &Analysis, lang: Lang) -> (Tone, String) {
    let found: Vec<String> = a
        .causes
        .iter()
        .filter(|c| c.is_found())
        .map(|c| cause_name(c.cause, lang))
        .collect();
    if found.is_empty() {
        return (Tone::Clean, tr(lang, "verdict-diagnose-none"));
    }
    let strong = a.causes.iter().any(|c| c.is_found() && c.confidence >= 60);
    let args = [
        ("count", found.len().to_string()),
        ("causes", crate::i18n::join_list(lang, &found)),
    ];
    let tone = if strong { Tone::Ghost } else { Tone::Abuse };
    (tone, tr_args(lang, "verdict-diagnose-found", &args))
}

fn causes(a: &Analysis, lang: Lang) -> Vec<CauseView> {
    a.causes
        .iter()
        .map(|c| CauseView {
            title: match c.verdict {
                Verdict::Found => tr_args(
                    lang,
                    "cause-line",
                    &[
                        ("cause", cause_name(c.cause, lang)),
                        ("level", level(c.confidence, lang)),
                        ("percent", c.confidence.to_string()),
                    ],
                ),
                Verdict::NotFound => tr_args(
                    lang,
                    "cause-line-not-found",
                    &[("cause", cause_name(c.cause, lang))],
                ),
                _ => tr_args(
                    lang,
                    "cause-line-not-tested",
                    &[("cause", cause_name(c.cause, lang))],
                ),
            },
            verdict: c.verdict.as_str(),
            reason: c
                .reason
                .as_ref()
                .map(|r| cause_evidence_sentence(r, lang))
                .unwrap_or_default(),
            evidence: c
                .evidence
                .iter()
                .map(|e| cause_evidence_sentence(e, lang))
                .collect(),
        })
        .collect()
}

fn other(a: &Analysis, lang: Lang) -> String {
    let benign: Vec<&SourceReport> = a.sources.iter().filter(|s| !s.malicious).collect();
    if benign.is_empty() {
        return String::new();
    }
    let trusted = benign.iter().filter(|s| s.trusted.is_some()).count();
    let phones = benign
        .iter()
        .filter(|s| s.trusted.is_none() && a.phones.iter().any(|p| p.address == s.address))
        .count();
    let args = [
        ("total", benign.len().to_string()),
        ("trusted", trusted.to_string()),
        ("phones", phones.to_string()),
        ("quiet", (benign.len() - trusted - phones).to_string()),
    ];
    tr_args(lang, "other-line", &args)
}
