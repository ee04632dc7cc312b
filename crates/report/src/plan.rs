//! The "what to do" list: the remedies of every cause found, merged and
//! de-duplicated, in order, worded for what this capture showed (the
//! infected host's address, MAC and maker; the phone a forward points to).
//!
//! Order: causes come sorted by priority from the engine; each cause keeps
//! its own remedy order; a remedy shared by two causes stays at its first
//! place and lists both causes. When abuse was seen but no cause could be
//! diagnosed, the list holds the firewall step, with no cause. Steps for
//! what an attack achieved (a guessed password, toll-fraud dialling) come
//! first, with no cause either.

use std::net::{IpAddr, SocketAddr};

use ghostguard_engine::cause::{CauseKind, Remedy};
use ghostguard_engine::{Analysis, Kind};
use serde::Serialize;

use crate::Lang;
use crate::i18n::{join_list, remedy_text, serde_id, tr_args};
use crate::sentence::host;

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The remedy's stable id (`remove-port-forward`).
    pub id: String,
    /// What to do, in the report's language, naming what was found.
    pub text: String,
    /// The ids of the causes this step addresses.
    pub causes: Vec<String>,
    #[serde(skip)]
    pub remedy: Remedy,
    #[serde(skip)]
    pub cause_kinds: Vec<CauseKind>,
}

/// At most this many addresses are named in one step.
const MAX_TARGETS: usize = 4;

/// The ordered steps for an analysis.
#[must_use]
pub fn plan(a: &Analysis, lang: Lang) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    // Only causes found have steps (diagnose also lists the others).
    for cause in a.causes.iter().filter(|c| c.is_found()) {
        for &r in &cause.remedies {
            if let Some(s) = steps.iter_mut().find(|s| s.remedy == r) {
                if !s.cause_kinds.contains(&cause.cause) {
                    s.cause_kinds.push(cause.cause);
                    s.causes.push(cause.cause.as_str().to_string());
                }
                continue;
            }
            steps.push(Step {
                id: serde_id(&r),
                text: step_text(a, r, lang),
                causes: vec![cause.cause.as_str().to_string()],
                remedy: r,
                cause_kinds: vec![cause.cause],
            });
        }
    }
    // Abuse without a diagnosed cause (say, a capture taken outside the
    // router): the one step that helps whatever the cause.
    if steps.is_empty() && a.abuse_found() {
        steps.push(attack_step(a, Remedy::FirewallProviderOnly, lang));
    }
    // What an attack already achieved comes before any cause: a guessed
    // password is in the attacker's hands now, and dialled fraud costs money
    // by the minute.
    let mut urgent = Vec::new();
    if !guessed_accounts(a).is_empty() {
        urgent.push(attack_step(a, Remedy::ChangeGuessedPassword, lang));
    }
    if a.sources
        .iter()
        .any(|s| s.malicious && s.kinds.contains(&Kind::TollFraud))
    {
        urgent.push(attack_step(a, Remedy::CheckTollFraud, lang));
    }
    urgent.append(&mut steps);
    urgent
}

/// A step for what the attacks did rather than for a cause.
fn attack_step(a: &Analysis, r: Remedy, lang: Lang) -> Step {
    Step {
        id: serde_id(&r),
        text: step_text(a, r, lang),
        causes: Vec::new(),
        remedy: r,
        cause_kinds: Vec::new(),
    }
}

/// The accounts whose password a malicious source guessed (evidence
/// `bruteforce: password-guessed`).
fn guessed_accounts(a: &Analysis) -> Vec<String> {
    let users = a
        .sources
        .iter()
        .filter(|s| s.malicious)
        .flat_map(|s| &s.evidence)
        .filter(|e| e.detector == "bruteforce" && e.code == "password-guessed")
        .map(|e| {
            e.args
                .iter()
                .find(|(n, _)| *n == "user")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        });
    first_unique(users)
}

fn step_text(a: &Analysis, r: Remedy, lang: Lang) -> String {
    let targets = match r {
        Remedy::IsolateInfectedHost => infected_hosts(a, lang, true),
        Remedy::CleanInfectedHostChangeWifi => infected_hosts(a, lang, false),
        Remedy::RemovePortForward => forwarded(a),
        Remedy::PhoneTrustedServersOnly | Remedy::ChangeSipPort => phones(a),
        Remedy::ChangeGuessedPassword => guessed_accounts(a)
            .into_iter()
            .filter(|u| !u.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    if targets.is_empty() {
        return remedy_text(r, lang);
    }
    let id = format!("remedy-{}-at", serde_id(&r));
    tr_args(
        lang,
        &id,
        &[
            ("targets", join_list(lang, &targets)),
            ("count", targets.len().to_string()),
        ],
    )
}

fn first_unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for i in items {
        if !out.contains(&i) && out.len() < MAX_TARGETS {
            out.push(i);
        }
    }
    out
}

/// The attacking LAN hosts, with MAC and maker when `full`.
fn infected_hosts(a: &Analysis, lang: Lang, full: bool) -> Vec<String> {
    let hosts = a
        .sources
        .iter()
        .filter(|s| s.malicious && s.internal)
        .map(|s| {
            let addr = s.address.to_string();
            if full {
                host(lang, &addr, s.mac.as_deref(), s.vendor.as_deref())
            } else {
                addr
            }
        });
    first_unique(hosts)
}

/// The cause evidence values named `arg` for causes of `kind`.
fn cause_args<'a>(
    a: &'a Analysis,
    kind: CauseKind,
    arg: &'static str,
) -> impl Iterator<Item = &'a str> {
    a.causes
        .iter()
        .filter(move |c| c.cause == kind && c.is_found())
        .flat_map(|c| &c.evidence)
        .flat_map(move |e| {
            e.args
                .iter()
                .filter(move |(n, _)| *n == arg)
                .map(|(_, v)| v.as_str())
        })
}

/// Where the router forwards SIP from the internet to.
fn forwarded(a: &Analysis) -> Vec<String> {
    first_unique(cause_args(a, CauseKind::PortForward, "destination").map(str::to_string))
}

/// The phones that rang for strangers, else the ones the internet reached.
fn phones(a: &Analysis) -> Vec<String> {
    let rang = a.ghost_calls.iter().map(|g| g.phone);
    let reached = cause_args(a, CauseKind::PortForward, "destination").filter_map(|d| {
        d.parse::<SocketAddr>()
            .ok()
            .map(|s| s.ip())
            .or_else(|| d.parse::<IpAddr>().ok())
    });
    let mut found = first_unique(rang);
    if found.is_empty() {
        found = first_unique(reached);
    }
    found.iter().map(IpAddr::to_string).collect()
}
