//! The translation catalogue: `locales/{en,nl}/report.ftl`, compiled in.
//!
//! Every sentence the report prints comes from here. Names of the engine's
//! closed vocabularies map to message ids by their stable strings:
//! `kind-<Kind::as_str>`, `cause-<CauseKind::as_str>`, `remedy-<serde id>`,
//! `trust-<serde id>`, `ev-<evidence code>`, `cev-<cause evidence code>`.

use std::collections::HashMap;

use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid, static_loader};
use ghostguard_engine::Kind;
use ghostguard_engine::cause::{CauseKind, Remedy};
use serde::Serialize;

use crate::Lang;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they would show up
        // as garbage in terminals and in the JSON.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static NL: LanguageIdentifier = langid!("nl");

fn lang_id(lang: Lang) -> &'static LanguageIdentifier {
    match lang {
        Lang::En => &EN,
        Lang::Nl => &NL,
    }
}

/// Every kind of abuse, cause and remedy: the engine's own lists, so a new
/// value there fails the translation tests here.
pub(crate) const KINDS: [Kind; 8] = Kind::ALL;
#[cfg(test)]
pub(crate) const CAUSES: [CauseKind; 7] = CauseKind::ALL;
#[cfg(test)]
pub(crate) const REMEDIES: [Remedy; 16] = Remedy::ALL;

/// The serde name of a unit enum value (`DisableSipAlg` -> `disable-sip-alg`).
pub(crate) fn serde_id<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".to_string(),
    }
}

/// A count stays a number (for plural rules) only if it prints back the
/// same; `0031…` or `1e3` stay text.
fn value(v: &str) -> FluentValue<'static> {
    match v.parse::<u64>() {
        Ok(n) if n.to_string() == v => FluentValue::from(n),
        _ => FluentValue::from(v.to_string()),
    }
}

/// Looks a message up in one language only; an error names what is wrong.
pub(crate) fn lookup(lang: Lang, id: &str, args: &[(&str, String)]) -> Result<String, String> {
    let map: HashMap<&str, FluentValue<'static>> =
        args.iter().map(|(k, v)| (*k, value(v))).collect();
    LOCALES
        .lookup_single_language(lang_id(lang), id, Some(&map))
        .map_err(|e| format!("{} {id}: {e}", lang.tag()))
}

/// A message with arguments. Falls back to English, then to the bare id
/// and arguments, so a gap in a catalogue never hides a fact.
pub(crate) fn tr_args(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    lookup(lang, id, args)
        .or_else(|_| lookup(Lang::En, id, args))
        .unwrap_or_else(|_| {
            let list: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{id}: {}", list.join(", "))
        })
}

pub(crate) fn tr(lang: Lang, id: &str) -> String {
    tr_args(lang, id, &[])
}

/// Joins a list the way a sentence does: `a, b and c`.
pub(crate) fn join_list(lang: Lang, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => tr_args(
            lang,
            "list-and",
            &[("head", head.join(", ")), ("last", last.clone())],
        ),
    }
}

/// The name of a kind of abuse.
#[must_use]
pub fn kind_name(k: Kind, lang: Lang) -> String {
    tr(lang, &format!("kind-{}", k.as_str()))
}

/// A kind named by its stable string (`scanner`); unknown names pass through.
pub(crate) fn kind_name_str(s: &str, lang: Lang) -> String {
    KINDS
        .iter()
        .find(|k| k.as_str() == s)
        .map_or_else(|| s.to_string(), |k| kind_name(*k, lang))
}

/// The name of a cause, as a short sentence.
#[must_use]
pub fn cause_name(c: CauseKind, lang: Lang) -> String {
    tr(lang, &format!("cause-{}", c.as_str()))
}

/// The generic wording of a remedy (the report's steps add what was found).
#[must_use]
pub fn remedy_text(r: Remedy, lang: Lang) -> String {
    tr(lang, &format!("remedy-{}", serde_id(&r)))
}

/// Why a server is trusted (takes the engine's `TrustReason`).
pub(crate) fn trust_name<T: Serialize>(reason: &T, lang: Lang) -> String {
    tr(lang, &format!("trust-{}", serde_id(reason)))
}

/// `high`/`medium`/`low` for a 0–100 confidence.
pub(crate) fn level(confidence: u8, lang: Lang) -> String {
    let id = match confidence {
        80.. => "level-high",
        50..80 => "level-medium",
        _ => "level-low",
    };
    tr(lang, id)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    const EN_FTL: &str = include_str!("../locales/en/report.ftl");
    const NL_FTL: &str = include_str!("../locales/nl/report.ftl");

    /// Message id -> the variables its text uses.
    fn messages(src: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut current = None;
        for line in src.lines() {
            if line.starts_with(|c: char| c.is_ascii_lowercase()) {
                current = line.split_once(" =").map(|(id, _)| id.trim().to_string());
                if let Some(id) = &current {
                    out.entry(id.clone()).or_default();
                }
            } else if !line.starts_with(' ') {
                current = None;
            }
            let Some(id) = &current else { continue };
            for part in line.split('$').skip(1) {
                let var: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.entry(id.clone()).or_default().insert(var);
            }
        }
        out
    }

    #[test]
    fn both_languages_have_the_same_messages_and_variables() {
        let (en, nl) = (messages(EN_FTL), messages(NL_FTL));
        assert!(en.len() > 100, "parsed only {} ids", en.len());
        let only_en: Vec<_> = en.keys().filter(|k| !nl.contains_key(*k)).collect();
        let only_nl: Vec<_> = nl.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            only_en.is_empty() && only_nl.is_empty(),
            "en only: {only_en:?}; nl only: {only_nl:?}"
        );
        for (id, vars) in &en {
            assert_eq!(Some(vars), nl.get(id), "variables of {id}");
            let args: Vec<(&str, String)> =
                vars.iter().map(|v| (v.as_str(), "7".to_string())).collect();
            for lang in [Lang::En, Lang::Nl] {
                let text = lookup(lang, id, &args);
                assert!(text.as_ref().is_ok_and(|t| !t.is_empty()), "{id}: {text:?}");
            }
        }
    }

    #[test]
    fn every_vocabulary_word_is_translated() {
        for lang in [Lang::En, Lang::Nl] {
            for k in KINDS {
                assert!(
                    lookup(lang, &format!("kind-{}", k.as_str()), &[]).is_ok(),
                    "{k:?}"
                );
            }
            for c in CAUSES {
                assert!(
                    lookup(lang, &format!("cause-{}", c.as_str()), &[]).is_ok(),
                    "{c:?}"
                );
                for r in ghostguard_engine::cause::Cause::remedies_for(c) {
                    assert!(REMEDIES.contains(&r), "{r:?} missing from REMEDIES");
                }
            }
            for r in REMEDIES {
                let t = lookup(lang, &format!("remedy-{}", serde_id(&r)), &[]);
                assert!(t.as_ref().is_ok_and(|t| t.len() > 40), "{r:?}: {t:?}");
            }
            for id in ["level-high", "level-medium", "level-low"] {
                assert!(lookup(lang, id, &[]).is_ok());
            }
            for t in [
                "configured",
                "registrar",
                "outbound-proxy",
                "provider-network",
            ] {
                assert!(lookup(lang, &format!("trust-{t}"), &[]).is_ok());
            }
        }
    }

    #[test]
    fn dutch_and_english_differ_and_numbers_pluralise() {
        let en = tr_args(
            Lang::En,
            "phone-line",
            &[("phone", "10.0.0.2".into()), ("calls", "1".into())],
        );
        let nl = tr_args(
            Lang::Nl,
            "phone-line",
            &[("phone", "10.0.0.2".into()), ("calls", "3".into())],
        );
        assert_eq!(en, "Phone 10.0.0.2: 1 ghost call");
        assert_eq!(nl, "Toestel 10.0.0.2: 3 spookgesprekken");
        assert!(remedy_text(Remedy::DisableSipAlg, Lang::Nl).contains("Zet SIP ALG uit"));
        // Leading zeros are text, not a number.
        let s = tr_args(
            Lang::En,
            "ev-international-invite",
            &[("number", "0031201234".into()), ("prefix", "0031".into())],
        );
        assert!(s.contains("0031201234") && !s.contains('\u{2068}'), "{s}");
    }

    #[test]
    fn lists_and_levels() {
        let l = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(join_list(Lang::En, &l), "a, b and c");
        assert_eq!(join_list(Lang::Nl, &l[..2]), "a en b");
        assert_eq!(level(90, Lang::Nl), "hoog");
        assert_eq!(level(60, Lang::En), "medium");
        assert_eq!(level(10, Lang::En), "low");
    }
}
