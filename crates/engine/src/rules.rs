//! Signature rules: a TOML file of patterns over SIP fields, shipped with
//! defaults (`rules/default.toml`) and replaceable by the user.
//!
//! Signatures are *one* signal. Attackers change User-Agents; the behaviour
//! detectors and the structural fingerprints catch what the rules miss.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;

use crate::finding::Kind;

/// The rules shipped with ghostguard.
pub const DEFAULT_RULES: &str = include_str!("../../../rules/default.toml");

/// Which part of a message a signature looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    UserAgent,
    FromDisplay,
    FromUser,
    ToDisplay,
    ToUser,
    ContactUser,
    RequestUser,
    SdpSession,
    SdpOrigin,
    CallId,
}

impl Field {
    pub(crate) const ALL: [Field; 10] = [
        Field::UserAgent,
        Field::FromDisplay,
        Field::FromUser,
        Field::ToDisplay,
        Field::ToUser,
        Field::ContactUser,
        Field::RequestUser,
        Field::SdpSession,
        Field::SdpOrigin,
        Field::CallId,
    ];
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::UserAgent => "user-agent",
            Field::FromDisplay => "from-display",
            Field::FromUser => "from-user",
            Field::ToDisplay => "to-display",
            Field::ToUser => "to-user",
            Field::ContactUser => "contact-user",
            Field::RequestUser => "request-user",
            Field::SdpSession => "sdp-session",
            Field::SdpOrigin => "sdp-origin",
            Field::CallId => "call-id",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MatchType {
    #[default]
    Contains,
    Prefix,
    Equals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    Scanner,
    TollFraud,
    Bruteforce,
}

impl From<RuleKind> for Kind {
    fn from(k: RuleKind) -> Kind {
        match k {
            RuleKind::Scanner => Kind::Scanner,
            RuleKind::TollFraud => Kind::TollFraud,
            RuleKind::Bruteforce => Kind::Bruteforce,
        }
    }
}

/// One signature. Matching is ASCII case-insensitive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub id: String,
    pub tool: String,
    pub field: Field,
    #[serde(default, rename = "match")]
    pub match_type: MatchType,
    pub pattern: String,
    pub confidence: u8,
    #[serde(default = "default_kind")]
    pub kind: RuleKind,
}

fn default_kind() -> RuleKind {
    RuleKind::Scanner
}

/// Confidences of the structural fingerprints (0 switches one off).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Structure {
    /// SIPVicious From-tag: hex of `<data> 0x01 <decimal>`.
    pub sipvicious_tag: u8,
    /// `z9hG4bK-<digits>` branch with a decimal Call-ID and To equal to From.
    pub sipvicious_shape: u8,
    /// SIPPTS: branch without the RFC 3261 cookie, 32-hex Call-ID, 8-hex tag.
    pub sippts_shape: u8,
    /// Nmap NSE sip-* scripts: branch `foo`, Call-ID `50000`, tag `root`.
    pub nmap_nse: u8,
}

impl Default for Structure {
    fn default() -> Self {
        Structure {
            sipvicious_tag: 95,
            sipvicious_shape: 70,
            sippts_shape: 60,
            nmap_nse: 90,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: u32,
    #[serde(default)]
    structure: Structure,
    #[serde(default, rename = "signature")]
    signatures: Vec<Signature>,
}

/// Why a rules file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    #[error("rules file is not valid TOML for ghostguard rules: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rules file version {0} is not supported (expected 1)")]
    Version(u32),
    #[error("signature `{id}`: {reason}")]
    Signature { id: String, reason: &'static str },
    #[error("two signatures have the id `{0}`")]
    DuplicateId(String),
    #[error("could not build the matcher: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

/// The compiled signatures of one field, by match type: `equals` patterns
/// in a map (one lookup of the lowercased value), `prefix` patterns
/// compared in turn (there are few), `contains` patterns in one automaton.
#[derive(Debug, Clone, Default)]
struct Matcher {
    /// Lowercased pattern -> signature indexes.
    equals: HashMap<Vec<u8>, Vec<usize>, foldhash::fast::RandomState>,
    prefix: Vec<usize>,
    /// Automaton over the `contains` patterns and the signature of each.
    contains: Option<(AhoCorasick, Vec<usize>)>,
}

/// Compiled rules: one matcher per field.
#[derive(Debug, Clone)]
pub struct Rules {
    pub structure: Structure,
    signatures: Vec<Signature>,
    /// Per field (indexed by `Field as usize`); `None` when no rule looks at it.
    matchers: Vec<Option<Matcher>>,
}

/// Longest pattern a rule may have (bytes).
const MAX_PATTERN: usize = 256;

impl Rules {
    /// Parses and compiles a rules file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(text)?;
        if file.version != 1 {
            return Err(RulesError::Version(file.version));
        }
        let mut seen = std::collections::HashSet::new();
        for s in &file.signatures {
            if !seen.insert(s.id.as_str()) {
                return Err(RulesError::DuplicateId(s.id.clone()));
            }
            let bad = |reason| {
                Err(RulesError::Signature {
                    id: s.id.clone(),
                    reason,
                })
            };
            if s.pattern.is_empty() {
                return bad("the pattern is empty");
            }
            if s.pattern.len() > MAX_PATTERN {
                return bad("the pattern is longer than 256 bytes");
            }
            if s.confidence > 100 {
                return bad("confidence must be 0–100");
            }
        }
        let mut matchers = Vec::with_capacity(Field::ALL.len());
        for field in Field::ALL {
            let idx: Vec<usize> = (0..file.signatures.len())
                .filter(|&i| file.signatures[i].field == field && file.signatures[i].confidence > 0)
                .collect();
            if idx.is_empty() {
                matchers.push(None);
                continue;
            }
            let mut m = Matcher::default();
            let mut contains = Vec::new();
            for &i in &idx {
                let sig = &file.signatures[i];
                match sig.match_type {
                    MatchType::Equals => m
                        .equals
                        .entry(sig.pattern.to_ascii_lowercase().into_bytes())
                        .or_default()
                        .push(i),
                    MatchType::Prefix => m.prefix.push(i),
                    MatchType::Contains => contains.push(i),
                }
            }
            if !contains.is_empty() {
                let ac = AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(
                        contains
                            .iter()
                            .map(|&i| file.signatures[i].pattern.as_bytes()),
                    )?;
                m.contains = Some((ac, contains));
            }
            matchers.push(Some(m));
        }
        Ok(Rules {
            structure: file.structure,
            signatures: file.signatures,
            matchers,
        })
    }

    /// The shipped default rules.
    pub fn default_rules() -> Result<Rules, RulesError> {
        Rules::parse(DEFAULT_RULES)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }

    /// Whether any signature looks at `field` (lets a caller skip parsing
    /// a field no rule can match).
    #[must_use]
    pub fn has_field(&self, field: Field) -> bool {
        self.matchers
            .get(field as usize)
            .is_some_and(Option::is_some)
    }

    /// The strongest signature matching `value` in `field`, with its index
    /// (between equally strong ones, the first in the rules file).
    #[must_use]
    pub fn best_match(&self, field: Field, value: &[u8]) -> Option<(usize, &Signature)> {
        let m = self.matchers.get(field as usize)?.as_ref()?;
        let mut best: Option<usize> = None;
        let mut consider = |i: usize| {
            let stronger = best.is_none_or(|b| {
                let (c, bc) = (self.signatures[i].confidence, self.signatures[b].confidence);
                c > bc || (c == bc && i < b)
            });
            if stronger {
                best = Some(i);
            }
        };
        if !m.equals.is_empty() && value.len() <= MAX_PATTERN {
            let mut buf = [0u8; MAX_PATTERN];
            let low = &mut buf[..value.len()];
            low.copy_from_slice(value);
            low.make_ascii_lowercase();
            for &i in m.equals.get(&*low).into_iter().flatten() {
                consider(i);
            }
        }
        for &i in &m.prefix {
            let p = self.signatures[i].pattern.as_bytes();
            if value.len() >= p.len() && value[..p.len()].eq_ignore_ascii_case(p) {
                consider(i);
            }
        }
        if let Some((ac, idx)) = &m.contains {
            // Most values match nothing: a first-match scan settles that
            // faster than enumerating every overlapping match.
            if ac.is_match(value) {
                for hit in ac.find_overlapping_iter(value) {
                    consider(idx[hit.pattern().as_usize()]);
                }
            }
        }
        best.map(|i| (i, &self.signatures[i]))
    }

    /// The signature at `index` (as returned by [`Rules::best_match`]).
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&Signature> {
        self.signatures.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_parse_and_match() {
        let r = Rules::default_rules().unwrap();
        assert!(r.len() >= 20);
        let (_, s) = r.best_match(Field::UserAgent, b"Friendly-Scanner").unwrap();
        assert_eq!(s.tool, "SIPVicious");
        assert!(
            r.best_match(Field::UserAgent, b"Yealink SIP-T46S 66.86.0.15")
                .is_none()
        );
        // `equals` does not match inside a longer value.
        assert!(r.best_match(Field::FromUser, b"1000").is_some());
        assert!(r.best_match(Field::FromUser, b"31201000").is_none());
    }

    #[test]
    fn match_types_case_and_ties() {
        let sig = |id: &str, m: &str, pat: &str, conf: u8| {
            format!(
                "[[signature]]\nid='{id}'\ntool='{id}'\nfield='user-agent'\nmatch='{m}'\npattern='{pat}'\nconfidence={conf}\n"
            )
        };
        let text = format!(
            "version = 1\n{}{}{}{}{}",
            sig("eq", "equals", "Scan", 50),
            sig("pre", "prefix", "SCANNER/", 60),
            sig("has", "contains", "bot", 40),
            sig("tie-first", "contains", "evil", 70),
            sig("tie-second", "equals", "evil", 70),
        );
        let r = Rules::parse(&text).unwrap();
        let best = |v: &[u8]| {
            r.best_match(Field::UserAgent, v)
                .map(|(_, s)| s.id.as_str())
        };
        assert_eq!(best(b"sCaN"), Some("eq"));
        assert_eq!(best(b"scan "), None, "equals needs the whole value");
        assert_eq!(best(b"scanner/1.0 bot"), Some("pre"), "the strongest wins");
        assert_eq!(best(b"x scanner/1.0"), None, "prefix only at the start");
        assert_eq!(best(b"a BOT b"), Some("has"));
        assert_eq!(
            best(b"EVIL"),
            Some("tie-first"),
            "a tie goes to the first in the file"
        );
        assert_eq!(best(&[b'a'; 300]), None, "longer than any pattern");
    }

    #[test]
    fn has_field_names_the_fields_rules_look_at() {
        let r = Rules::default_rules().unwrap();
        assert!(r.has_field(Field::UserAgent));
        assert!(!r.has_field(Field::ContactUser));
        let r = Rules::parse(
            "version = 1\n[[signature]]\nid='c'\ntool='t'\nfield='contact-user'\npattern='x'\nconfidence=5",
        )
        .unwrap();
        assert!(r.has_field(Field::ContactUser));
        assert!(!r.has_field(Field::UserAgent));
    }

    #[test]
    fn bad_rules_are_refused_with_reason() {
        let e = Rules::parse("version = 2").unwrap_err();
        assert!(e.to_string().contains("version 2"));
        let e = Rules::parse(
            "version = 1\n[[signature]]\nid='a'\ntool='t'\nfield='user-agent'\npattern=''\nconfidence=5",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`a`: the pattern is empty"), "{e}");
        let e = Rules::parse("version = 1\n[[signature]]\nid='a'\ntool='t'\nfield='agent'\npattern='x'\nconfidence=5")
            .unwrap_err();
        assert!(e.to_string().contains("unknown variant `agent`"), "{e}");
    }
}
