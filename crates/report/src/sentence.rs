//! Evidence as sentences: a stable `code` plus its `args` in, one
//! translated sentence out. The args are facts the engine cites; their
//! values may come from the network, so callers sanitise or escape them.

use ghostguard_engine::Evidence;
use ghostguard_engine::cause::CauseEvidence;

use crate::Lang;
use crate::i18n::{join_list, kind_name_str, tr, tr_args};

/// Evidence codes against a source, with the args each one cites
/// (`sipvicious-tag` cites `target` or `data`).
pub(crate) const EVIDENCE_CODES: &[(&str, &[&str])] = &[
    ("signature", &["rule", "tool", "field", "value"]),
    ("sipvicious-tag", &["tool", "target"]),
    ("sipvicious-shape", &["tool", "branch"]),
    ("sippts-shape", &["tool", "branch"]),
    ("nmap-shape", &["tool"]),
    ("distinct-users", &["users", "window_secs", "sample"]),
    ("error-burst", &["errors"]),
    ("auth-failures", &["failures", "window_secs", "users"]),
    ("password-guessed", &["user", "failures"]),
    ("request-rate", &["requests", "window_secs"]),
    ("invite-rate", &["invites", "window_secs"]),
    (
        "distinct-destinations",
        &["destinations", "hosts", "window_secs"],
    ),
    ("international-invite", &["number", "prefix"]),
    ("prefix-walk", &["number", "prefixes"]),
    ("unparseable", &["reason"]),
    ("defects", &["defects"]),
    ("ghost-calls", &["calls", "rang"]),
];

const LOOP_ARGS: &[&str] = &[
    "messages",
    "copies",
    "first_ttl",
    "last_ttl",
    "time",
    "source",
    "destination",
];

/// Cause evidence codes with the args each one may cite.
pub(crate) const CAUSE_EVIDENCE_CODES: &[(&str, &[&str])] = &[
    (
        "internal-attacker",
        &["address", "kinds", "messages", "mac", "vendor"],
    ),
    (
        "inbound-from-internet",
        &[
            "source",
            "destination",
            "requests",
            "addressed_to",
            "scanner_target",
        ],
    ),
    ("sip-rewritten", &["messages", "fields"]),
    ("rewrite-sample", &["fields", "before", "after", "time"]),
    ("routing-loop", LOOP_ARGS),
    ("frame-storm", LOOP_ARGS),
    ("phone-rang-for-stranger", &["phone", "calls"]),
    // diagnose: the live tests
    ("alg-rewritten", &["transport", "port", "fields"]),
    ("alg-unchanged", &["transport", "port"]),
    ("alg-no-answer", &["transport", "port", "error"]),
    (
        "source-port-rewritten",
        &["transport", "port", "local", "observed"],
    ),
    (
        "source-port-kept",
        &["transport", "port", "local", "observed"],
    ),
    ("probe-answered", &["target", "status"]),
    ("probe-non-sip", &["target"]),
    ("probe-silent", &["target"]),
    ("probe-closed", &["target"]),
    ("capture-clean", &["interface", "seconds", "messages"]),
    ("gateway", &["address", "mac", "vendor"]),
    ("gateway-unknown", &["address", "mac"]),
    // diagnose: why a cause could not be tested
    ("reflector-unreachable", &["reflector", "error"]),
    ("probe-not-run", &["error"]),
    ("capture-failed", &["error"]),
    ("no-stranger-invite", &["seconds"]),
    ("binding-not-tested", &[]),
    ("binding-not-run", &["error"]),
    ("binding-short", &["lower", "upper", "interval", "source"]),
    ("binding-kept", &["lower", "interval", "source"]),
    ("binding-unclear", &["lower", "upper", "interval", "source"]),
    ("binding-outlived-waits", &["lower", "interval", "source"]),
    ("gateway-not-found", &[]),
    ("router-age-unknown", &["vendor"]),
];

fn get<'a>(args: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    args.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

fn known(table: &[(&str, &[&str])], code: &str) -> bool {
    table.iter().any(|(c, _)| *c == code)
}

/// A code the catalogue does not know still shows all its facts.
fn other(lang: Lang, code: &str, args: &[(&'static str, String)]) -> String {
    let list: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tr_args(
        lang,
        "ev-other",
        &[("code", code.to_string()), ("args", list.join(", "))],
    )
}

/// One sentence for a piece of evidence against a source.
#[must_use]
pub fn evidence_sentence(e: &Evidence, lang: Lang) -> String {
    let args = e.args.as_slice();
    let mut s = match e.code {
        "sipvicious-tag" if e.get("target").is_some() => {
            tr_args(lang, "ev-sipvicious-tag-target", args)
        }
        "sipvicious-tag" => tr_args(lang, "ev-sipvicious-tag-data", args),
        code if known(EVIDENCE_CODES, code) => tr_args(lang, &format!("ev-{code}"), args),
        code => other(lang, code, args),
    };
    if e.count > 1 && e.code != "ghost-calls" {
        s.push(' ');
        s.push_str(&tr_args(
            lang,
            "evidence-count",
            &[("count", e.count.to_string())],
        ));
    }
    s
}

/// An address with what is known of the device behind it.
pub(crate) fn host(lang: Lang, address: &str, mac: Option<&str>, vendor: Option<&str>) -> String {
    let a = ("address", address.to_string());
    match (mac, vendor) {
        (Some(m), Some(v)) => tr_args(
            lang,
            "host-mac-vendor",
            &[a, ("mac", m.into()), ("vendor", v.into())],
        ),
        (Some(m), None) => tr_args(lang, "host-mac", &[a, ("mac", m.into())]),
        _ => address.to_string(),
    }
}

/// One sentence (or two) for a fact behind a cause.
#[must_use]
pub fn cause_evidence_sentence(e: &CauseEvidence, lang: Lang) -> String {
    let args = e.args.as_slice();
    let arg = |n: &str| get(args, n).unwrap_or_default().to_string();
    let mut s = match e.code {
        "internal-attacker" => {
            let kinds: Vec<String> = arg("kinds")
                .split(", ")
                .map(|k| kind_name_str(k, lang))
                .collect();
            let host = host(lang, &arg("address"), get(args, "mac"), get(args, "vendor"));
            tr_args(
                lang,
                "cev-internal-attacker",
                &[
                    ("host", host),
                    ("kinds", join_list(lang, &kinds)),
                    ("messages", arg("messages")),
                ],
            )
        }
        "gateway" if get(args, "vendor").is_none() => tr_args(lang, "cev-gateway-unknown", args),
        code if known(CAUSE_EVIDENCE_CODES, code) => tr_args(lang, &format!("cev-{code}"), args),
        code => return other(lang, code, args),
    };
    let extras: &[(&str, &str)] = match e.code {
        "inbound-from-internet" => &[
            ("addressed_to", "cev-addressed-to"),
            ("scanner_target", "cev-scanner-target"),
        ],
        "routing-loop" | "frame-storm" => &[("destination", "cev-between")],
        "alg-rewritten" => &[("field", "cev-alg-change")],
        "probe-answered" => &[("agent", "cev-probe-agent")],
        _ => &[],
    };
    for (name, id) in extras {
        if get(args, name).is_some() {
            s.push(' ');
            s.push_str(&tr_args(lang, id, args));
        }
    }
    s
}

/// Names a list of things, in a sentence.
pub(crate) fn and_more(lang: Lang, shown: usize, total: usize) -> Option<String> {
    (total > shown).then(|| {
        tr_args(
            lang,
            "more-evidence",
            &[("count", (total - shown).to_string())],
        )
    })
}

/// `rang, answered` and friends for one ghost call.
pub(crate) fn call_result(lang: Lang, rang: bool, answered: bool, status: Option<u16>) -> String {
    let id = match (rang, answered) {
        (_, true) => "result-answered",
        (true, false) => "result-rang",
        (false, false) => "result-not-rang",
    };
    let mut s = tr(lang, id);
    if let Some(code) = status {
        s.push_str("; ");
        s.push_str(&tr_args(
            lang,
            "result-status",
            &[("status", code.to_string())],
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use ghostguard_engine::Kind;
    use ghostguard_packet::Timestamp;

    use super::*;
    use crate::i18n::lookup;

    #[test]
    fn every_evidence_code_has_a_sentence_in_both_languages() {
        for lang in [Lang::En, Lang::Nl] {
            for (code, names) in EVIDENCE_CODES {
                let args: Vec<(&str, String)> =
                    names.iter().map(|n| (*n, "12".to_string())).collect();
                let id = if *code == "sipvicious-tag" {
                    "ev-sipvicious-tag-target".into()
                } else {
                    format!("ev-{code}")
                };
                let s = lookup(lang, &id, &args);
                assert!(
                    s.as_ref().is_ok_and(|s| !s.contains("ev-")),
                    "{code}: {s:?}"
                );
            }
            let data = [
                ("tool", "SIPVicious".to_string()),
                ("data", "100".to_string()),
            ];
            assert!(lookup(lang, "ev-sipvicious-tag-data", &data).is_ok());
            for (code, names) in CAUSE_EVIDENCE_CODES {
                let mut args: Vec<(&str, String)> =
                    names.iter().map(|n| (*n, "12".to_string())).collect();
                args.push(("host", "h".into()));
                let s = lookup(lang, &format!("cev-{code}"), &args);
                assert!(s.is_ok(), "{code}: {s:?}");
            }
            for id in [
                "cev-addressed-to",
                "cev-scanner-target",
                "cev-between",
                "cev-alg-change",
                "cev-probe-agent",
            ] {
                let args: Vec<(&str, String)> = [
                    "addressed_to",
                    "scanner_target",
                    "source",
                    "destination",
                    "field",
                    "sent",
                    "received",
                    "agent",
                ]
                .map(|n| (n, "x".into()))
                .into();
                assert!(lookup(lang, id, &args).is_ok(), "{id}");
            }
        }
    }

    #[test]
    fn sentences_cite_their_facts() {
        let e = Evidence::new(
            "structure",
            Kind::Scanner,
            95,
            "sipvicious-tag",
            Timestamp::ZERO,
        )
        .arg("tool", "SIPVicious svmap")
        .arg("target", "198.51.100.7:5060");
        assert_eq!(
            evidence_sentence(&e, Lang::En),
            "The From tag carries the SIPVicious svmap marker, aimed at 198.51.100.7:5060."
        );
        let mut e = Evidence::new("x", Kind::Flood, 1, "new-code", Timestamp::ZERO).arg("n", "3");
        e.count = 4;
        assert_eq!(
            evidence_sentence(&e, Lang::En),
            "new-code: n=3 (seen 4 times)"
        );
        let c = CauseEvidence::new("internal-attacker")
            .arg("address", "192.168.1.66")
            .arg("kinds", "scanner, enumeration")
            .arg("messages", 900)
            .arg("mac", "b8:27:eb:12:34:56");
        assert_eq!(
            cause_evidence_sentence(&c, Lang::Nl),
            "192.168.1.66 (MAC b8:27:eb:12:34:56) in uw eigen netwerk valt aan \
             (scanner en toestelnummers aftasten; 900 berichten)."
        );
        let c = CauseEvidence::new("inbound-from-internet")
            .arg("source", "203.0.113.5")
            .arg("destination", "192.168.1.20:5060")
            .arg("requests", 1)
            .arg("addressed_to", "198.51.100.7");
        let s = cause_evidence_sentence(&c, Lang::En);
        assert!(s.ends_with("(1 request). It was sent to your public address 198.51.100.7, so the router forwarded it."), "{s}");
    }
}
