//! The pages' words in English and Dutch: `locales/{en,nl}/web.ftl`,
//! compiled in (fluent-templates, as the report crate does).
//!
//! A page picks its language from the `gg_lang` cookie (set by
//! `/lang/{code}`), else from the config's `language`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use serde::{Deserialize, Serialize};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments (they show as
        // garbage in some fonts and in copied text).
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static NL: LanguageIdentifier = langid!("nl");

/// A language of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Nl,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Nl];

    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag() == s)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Nl => &NL,
        }
    }
}

/// Looks messages up in one language; templates call `tr.t("id")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// A message without arguments; the id itself when it is missing in
    /// both languages (a test keeps the catalogues complete).
    #[must_use]
    pub fn t(&self, id: &str) -> String {
        self.args(id, &[])
    }

    /// A message with one argument.
    #[must_use]
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.args(id, &[(name, value.to_owned())])
    }

    /// A message with arguments (numbers stay numbers for plural rules).
    #[must_use]
    pub fn args(&self, id: &str, args: &[(&str, String)]) -> String {
        self.lookup(id, args).unwrap_or_else(|| id.to_owned())
    }

    /// A message in this language (or the English fallback), if it exists
    /// and every argument it uses is given.
    fn lookup(&self, id: &str, args: &[(&str, String)]) -> Option<String> {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(k, v)| {
                let val = match v.parse::<u64>() {
                    Ok(n) if n.to_string() == *v => FluentValue::from(n),
                    _ => FluentValue::from(v.clone()),
                };
                (Cow::Owned((*k).to_owned()), val)
            })
            .collect();
        LOCALES.try_lookup_complete(self.lang.id(), id, (!map.is_empty()).then_some(&map))
    }

    /// An incident kind (`kind-scanner`), or the kind itself when unknown.
    #[must_use]
    pub fn kind(&self, kind: &str) -> String {
        let id = format!("kind-{kind}");
        let s = self.t(&id);
        if s == id { kind.to_owned() } else { s }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Message ids with the argument names their text uses.
    fn ids(text: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for l in text.lines() {
            if !l.starts_with([' ', '#', '.']) && l.contains(" =") {
                out.push((l.split(" =").next().unwrap_or("").to_owned(), Vec::new()));
            }
            if let Some(last) = out.last_mut() {
                for part in l.split("{ $").skip(1) {
                    let name: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !last.1.contains(&name) {
                        last.1.push(name);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn both_catalogues_have_the_same_messages() {
        let en = ids(include_str!("../locales/en/web.ftl"));
        let nl = ids(include_str!("../locales/nl/web.ftl"));
        assert!(en.len() > 50, "{}", en.len());
        let names =
            |v: &[(String, Vec<String>)]| v.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>();
        let (en_ids, nl_ids) = (names(&en), names(&nl));
        for (id, args) in &en {
            assert!(nl_ids.contains(id), "nl lacks {id}");
            let args: Vec<(&str, String)> =
                args.iter().map(|a| (a.as_str(), "2".to_owned())).collect();
            for lang in Lang::ALL {
                let text = Tr { lang }.lookup(id, &args);
                let text = text.unwrap_or_else(|| panic!("{} {id} does not resolve", lang.tag()));
                assert!(!text.contains('{'), "{} {id}: {text}", lang.tag());
            }
        }
        for id in &nl_ids {
            assert!(en_ids.contains(id), "en lacks {id}");
        }
    }

    #[test]
    fn arguments_and_kinds() {
        let nl = Tr { lang: Lang::Nl };
        assert_eq!(nl.t("nav-bans"), "Blokkades");
        assert!(
            nl.args(
                "incidents-total",
                &[
                    ("count", "3".into()),
                    ("from", "1".into()),
                    ("to", "3".into())
                ]
            )
            .starts_with("3 incidenten")
        );
        assert_eq!(nl.t("made-up-id"), "made-up-id");
        assert_eq!(nl.kind("toll-fraud"), "belfraude");
        assert_eq!(nl.kind("made-up"), "made-up");
    }
}
